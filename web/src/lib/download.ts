// A document's download (DownloadDocument, server streaming): the document
// first, then its content in chunks. The chunks are put together, resumed
// from the bytes received (`offset`) when the stream breaks, and the whole
// is checked against the document's size and SHA-256 before anything is
// handed back: a download that does not check out is never saved. The
// stream is injected, so that this is tested with fake streams.
import { Code, ConnectError } from "@connectrpc/connect";

export interface DownloadedDocument {
  name: string;
  fileName: string;
  mediaType: string;
  sizeBytes: bigint;
  sha256: string;
}

/** One message of DownloadDocument (the generated type fits). */
export interface DownloadMessage<D extends DownloadedDocument = DownloadedDocument> {
  part: { case: "document"; value: D } | { case: "chunk"; value: Uint8Array } | { case: undefined; value?: undefined };
}

/** Opens the stream from `offset` bytes. */
export type OpenDownload<D extends DownloadedDocument> = (offset: bigint, signal: AbortSignal) => AsyncIterable<DownloadMessage<D>>;

export type DownloadFailure =
  /** What arrived does not have the document's SHA-256. */
  | "checksum"
  /** More or fewer bytes than the document's size arrived. */
  | "size"
  /** The document changed between a stream and its resumption. */
  | "changed"
  /** The stream did not start with the document, or named it twice. */
  | "protocol";

/** A download that arrived but does not check out. */
export class DownloadError extends Error {
  constructor(
    readonly failure: DownloadFailure,
    message: string,
    /** Bytes received. */
    readonly received: bigint = 0n,
    /** The SHA-256 of what arrived (for "checksum"). */
    readonly actualSha256 = "",
  ) {
    super(message);
    this.name = "DownloadError";
  }
}

export interface DownloadOptions {
  signal?: AbortSignal;
  /** After each chunk: bytes received so far, of `total`. */
  onProgress?(received: bigint, total: bigint): void;
  /** Once every byte arrived, while the SHA-256 is computed. */
  onVerifying?(): void;
  /** SHA-256 of the bytes (default: crypto.subtle). */
  digest?(data: ArrayBuffer): Promise<ArrayBuffer>;
  /** Resumptions after a broken stream (default 3). */
  retries?: number;
  /** Whether a failure is worth resuming after (default: UNAVAILABLE, DEADLINE_EXCEEDED, UNKNOWN, a stream cut short). */
  retryable?(err: unknown): boolean;
  /** Waits before a resumption (default: 500 ms doubling). */
  sleep?(ms: number): Promise<void>;
}

export interface Download<D> {
  document: D;
  blob: Blob;
  /** The SHA-256 of what arrived (equal to the document's). */
  sha256: string;
}

export function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const defaultDigest = (data: ArrayBuffer) => globalThis.crypto.subtle.digest("SHA-256", data);

export function retryableDownloadError(err: unknown): boolean {
  if (err instanceof DownloadError) return false;
  const code = ConnectError.from(err).code;
  return code === Code.Unavailable || code === Code.DeadlineExceeded || code === Code.Unknown;
}

/** A stream that ended before the document's last byte. */
class CutShort extends Error {}

/**
 * Downloads one document: assembles its chunks (resuming from the bytes
 * received when the stream breaks), then checks the size and the SHA-256.
 * Resolves to the content as a Blob of the document's media type; rejects
 * with a DownloadError when what arrived does not check out, or with the
 * stream's own error.
 */
export async function downloadDocument<D extends DownloadedDocument>(open: OpenDownload<D>, options: DownloadOptions = {}): Promise<Download<D>> {
  const signal = options.signal ?? new AbortController().signal;
  const retryable = options.retryable ?? ((err: unknown) => err instanceof CutShort || retryableDownloadError(err));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let retries = options.retries ?? 3;
  let wait = 500;
  let document: D | undefined;
  const parts: Uint8Array[] = [];
  let received = 0n;

  for (;;) {
    try {
      let first = true;
      for await (const m of open(received, signal)) {
        if (first) {
          first = false;
          if (m.part.case !== "document") throw new DownloadError("protocol", "the stream did not start with the document", received);
          const d = m.part.value;
          if (document && (d.sha256.toLowerCase() !== document.sha256.toLowerCase() || d.sizeBytes !== document.sizeBytes)) {
            throw new DownloadError("changed", "the document changed while it was downloading", received);
          }
          document ??= d;
          options.onProgress?.(received, document.sizeBytes);
          continue;
        }
        if (m.part.case === "document") throw new DownloadError("protocol", "the stream named the document twice", received);
        if (m.part.case !== "chunk") continue;
        const chunk = m.part.value;
        if (!chunk.length) continue;
        received += BigInt(chunk.length);
        if (received > document!.sizeBytes) {
          throw new DownloadError("size", `more than the document's ${document!.sizeBytes} bytes arrived`, received);
        }
        parts.push(chunk);
        options.onProgress?.(received, document!.sizeBytes);
      }
      if (first) throw new CutShort("the stream ended before the document");
      if (received < document!.sizeBytes) throw new CutShort(`the stream ended after ${received} of ${document!.sizeBytes} bytes`);
      break;
    } catch (err) {
      if (signal.aborted || !(retries > 0) || !retryable(err)) {
        if (err instanceof CutShort) throw new DownloadError(document ? "size" : "protocol", err.message, received);
        throw err;
      }
      retries--;
      await sleep(wait);
      wait *= 2;
      if (signal.aborted) throw new ConnectError("the download was cancelled", Code.Canceled);
    }
  }

  const doc = document!;
  options.onVerifying?.();
  const blob = new Blob(parts as BlobPart[], { type: doc.mediaType || "application/octet-stream" });
  // The Blob holds the bytes now: let the chunks go before the digest's copy.
  parts.length = 0;
  const actual = hex(await (options.digest ?? defaultDigest)(await blob.arrayBuffer()));
  if (actual !== doc.sha256.toLowerCase()) {
    throw new DownloadError("checksum", `the SHA-256 of what arrived is ${actual}, not the document's ${doc.sha256}`, received, actual);
  }
  return { document: doc, blob, sha256: actual };
}
