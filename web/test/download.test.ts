import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { DownloadError, downloadDocument, hex, type DownloadMessage, type DownloadedDocument } from "../src/lib/download";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function content(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

function docOf(bytes: Uint8Array, over: Partial<DownloadedDocument> = {}): DownloadedDocument {
  return { name: "programmes/p/applications/a/documents/d", fileName: "proposal.pdf", mediaType: "application/pdf", sizeBytes: BigInt(bytes.length), sha256: sha(bytes), ...over };
}

const docMsg = (d: DownloadedDocument): DownloadMessage => ({ part: { case: "document", value: d } });
const chunkMsg = (b: Uint8Array): DownloadMessage => ({ part: { case: "chunk", value: b } });

/** A fake server: the document, then the content from `offset` in chunks of `size`; `cut` breaks the first stream after that many bytes. */
function fakeServer(bytes: Uint8Array, opts: { chunk?: number; cutAfter?: number; doc?: DownloadedDocument; error?: ConnectError } = {}) {
  const calls: bigint[] = [];
  const open = (offset: bigint): AsyncIterable<DownloadMessage> => {
    calls.push(offset);
    const first = calls.length === 1;
    return (async function* () {
      yield docMsg(opts.doc ?? docOf(bytes));
      const size = opts.chunk ?? 1024;
      for (let i = Number(offset); i < bytes.length; i += size) {
        if (first && opts.cutAfter !== undefined && i >= opts.cutAfter) throw opts.error ?? new ConnectError("connection reset", Code.Unavailable);
        yield chunkMsg(bytes.subarray(i, Math.min(bytes.length, i + size)));
      }
    })();
  };
  return { open, calls };
}

const noSleep = async () => {};

test("chunks are assembled in order, with progress, and the SHA-256 checked", async () => {
  const bytes = content(10_000);
  const server = fakeServer(bytes, { chunk: 3000 });
  const progress: [bigint, bigint][] = [];
  let verifying = 0;
  const r = await downloadDocument(server.open, { onProgress: (a, b) => progress.push([a, b]), onVerifying: () => verifying++ });
  assert.equal(r.sha256, sha(bytes));
  assert.equal(r.blob.size, 10_000);
  assert.equal(r.blob.type, "application/pdf");
  assert.deepEqual(new Uint8Array(await r.blob.arrayBuffer()), bytes);
  assert.deepEqual(progress, [
    [0n, 10_000n],
    [3000n, 10_000n],
    [6000n, 10_000n],
    [9000n, 10_000n],
    [10_000n, 10_000n],
  ]);
  assert.equal(verifying, 1);
  assert.deepEqual(server.calls, [0n]);
});

test("a SHA-256 that differs is refused, and nothing is handed back", async () => {
  const bytes = content(5000);
  const other = content(5000);
  other[4000] = other[4000]! ^ 0xff;
  // The server declares the checksum of other bytes than it sends.
  const server = fakeServer(bytes, { doc: docOf(other) });
  await assert.rejects(downloadDocument(server.open), (err: unknown) => {
    assert.ok(err instanceof DownloadError);
    assert.equal(err.failure, "checksum");
    assert.equal(err.actualSha256, sha(bytes));
    return true;
  });
  // An upper-case declared checksum is the same checksum.
  const upper = fakeServer(bytes, { doc: docOf(bytes, { sha256: sha(bytes).toUpperCase() }) });
  assert.equal((await downloadDocument(upper.open)).sha256, sha(bytes));
});

test("the digest is injected: what it says decides", async () => {
  const bytes = content(100);
  const server = fakeServer(bytes);
  const zero = new ArrayBuffer(32);
  await assert.rejects(downloadDocument(server.open, { digest: async () => zero }), (err: unknown) => err instanceof DownloadError && err.actualSha256 === hex(zero));
});

test("a broken stream resumes from the bytes received (offset), once per break", async () => {
  const bytes = content(10_000);
  const server = fakeServer(bytes, { chunk: 1000, cutAfter: 4000 });
  const r = await downloadDocument(server.open, { sleep: noSleep });
  assert.deepEqual(server.calls, [0n, 4000n]);
  assert.deepEqual(new Uint8Array(await r.blob.arrayBuffer()), bytes);
});

test("a failure that is not worth retrying is not retried", async () => {
  const bytes = content(3000);
  const denied = new ConnectError("viewers read documents' metadata only", Code.PermissionDenied);
  const server = fakeServer(bytes, { cutAfter: 0, error: denied });
  await assert.rejects(downloadDocument(server.open, { sleep: noSleep }), (err: unknown) => ConnectError.from(err).code === Code.PermissionDenied);
  assert.deepEqual(server.calls, [0n]);
});

test("retries run out", async () => {
  const bytes = content(3000);
  let calls = 0;
  const open = () => {
    calls++;
    return (async function* (): AsyncGenerator<DownloadMessage> {
      yield docMsg(docOf(bytes));
      throw new ConnectError("down", Code.Unavailable);
    })();
  };
  await assert.rejects(downloadDocument(open, { sleep: noSleep, retries: 2 }), (err: unknown) => ConnectError.from(err).code === Code.Unavailable);
  assert.equal(calls, 3);
});

test("a stream that ends short is resumed, then refused as the wrong size", async () => {
  const bytes = content(3000);
  const short = (offset: bigint) =>
    (async function* (): AsyncGenerator<DownloadMessage> {
      yield docMsg(docOf(bytes));
      if (offset === 0n) yield chunkMsg(bytes.subarray(0, 1000));
    })();
  await assert.rejects(downloadDocument(short, { sleep: noSleep, retries: 1 }), (err: unknown) => {
    assert.ok(err instanceof DownloadError);
    assert.equal(err.failure, "size");
    assert.equal(err.received, 1000n);
    return true;
  });
});

test("more bytes than the document's size are refused", async () => {
  const bytes = content(3000);
  const server = fakeServer(bytes, { doc: docOf(bytes, { sizeBytes: 2000n }) });
  await assert.rejects(downloadDocument(server.open), (err: unknown) => err instanceof DownloadError && err.failure === "size");
});

test("a stream that does not start with the document, or names it twice, is refused", async () => {
  const bytes = content(10);
  const noDoc = () =>
    (async function* (): AsyncGenerator<DownloadMessage> {
      yield chunkMsg(bytes);
    })();
  await assert.rejects(downloadDocument(noDoc), (err: unknown) => err instanceof DownloadError && err.failure === "protocol");
  const twice = () =>
    (async function* (): AsyncGenerator<DownloadMessage> {
      yield docMsg(docOf(bytes));
      yield docMsg(docOf(bytes));
    })();
  await assert.rejects(downloadDocument(twice), (err: unknown) => err instanceof DownloadError && err.failure === "protocol");
});

test("a document that changed between a break and the resumption is refused", async () => {
  const bytes = content(4000);
  let call = 0;
  const open = () => {
    const n = call++;
    return (async function* (): AsyncGenerator<DownloadMessage> {
      yield docMsg(n === 0 ? docOf(bytes) : docOf(bytes, { sha256: "0".repeat(64) }));
      yield chunkMsg(bytes.subarray(0, 1000));
      if (n === 0) throw new ConnectError("reset", Code.Unavailable);
    })();
  };
  await assert.rejects(downloadDocument(open, { sleep: noSleep }), (err: unknown) => err instanceof DownloadError && err.failure === "changed");
});

test("an empty document downloads as an empty file", async () => {
  const empty = new Uint8Array(0);
  const open = () =>
    (async function* (): AsyncGenerator<DownloadMessage> {
      yield docMsg(docOf(empty));
    })();
  const r = await downloadDocument(open);
  assert.equal(r.blob.size, 0);
  assert.equal(r.sha256, sha(empty));
});
