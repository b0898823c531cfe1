// Reads the `google.rpc.ErrorInfo` reason of a gRPC error and decides what
// a watching client does next.
import { Code, ConnectError } from "@connectrpc/connect";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { msg, type Msg, type MsgKey } from "./i18n";

const KNOWN_REASONS = [
  "WATCHER_TOO_SLOW",
  "CURSOR_EXPIRED",
  "CURSOR_AHEAD",
  "CURSOR_UNKNOWN_LOG",
  "MISSING_CREDENTIALS",
  "INVALID_CREDENTIALS",
  "KEY_REVOKED",
  "SHUTTING_DOWN",
  "STORAGE_UNAVAILABLE",
  "STARTING",
  "TOO_MANY_CALLS_PER_KEY",
  "TOO_MANY_STREAMS_PER_KEY",
  "TOO_MANY_STREAMS_PER_CONNECTION",
  "ROLE_NOT_ALLOWED",
  "OUT_OF_SCOPE",
  "INVALID_FIELD",
];

/** Decodes the `reason` (field 1) of a serialized google.rpc.ErrorInfo. */
export function decodeErrorInfoReason(bytes: Uint8Array): string | undefined {
  try {
    const r = new BinaryReader(bytes);
    while (r.pos < r.len) {
      const [field, wireType] = r.tag();
      if (field === 1 && wireType === WireType.LengthDelimited) return r.string();
      r.skip(wireType);
    }
  } catch {
    // Malformed detail: no reason.
  }
  return undefined;
}

/** The ErrorInfo reason of an error, from its details or, failing that, its message. */
export function errorReason(err: unknown): string | undefined {
  const e = ConnectError.from(err);
  for (const d of e.details) {
    if ("type" in d && d.type === "google.rpc.ErrorInfo" && d.value instanceof Uint8Array) {
      const reason = decodeErrorInfoReason(d.value);
      if (reason) return reason;
    }
  }
  for (const r of KNOWN_REASONS) {
    if (new RegExp(`\\b${r}\\b`).test(e.rawMessage)) return r;
  }
  return undefined;
}

/** What the client does after a stream or a history load failed or ended. */
export type Recovery =
  | { kind: "stop" } // we cancelled it
  | { kind: "signout"; message: Msg } // the key is not (or no longer) valid
  | { kind: "reload" } // the cursor is of no use: load history again, then watch
  | { kind: "resume"; immediate: boolean }; // watch again from the last cursor

export interface Failure {
  /** Absent when the stream simply ended. */
  code?: Code;
  reason?: string;
  message?: string;
  /** Why, when the client itself ended the stream (worded in the page's language). */
  note?: MsgKey;
}

export function describe(err: unknown): Failure {
  const e = ConnectError.from(err);
  return { code: e.code, reason: errorReason(e), message: e.rawMessage };
}

/** Decides what to do after a watch stream ended with `failure`. */
export function recoveryFor(failure: Failure, cursor: string): Recovery {
  if (failure.code === Code.Canceled) return { kind: "stop" };
  if (failure.code === Code.Unauthenticated) {
    const why: MsgKey =
      failure.reason === "KEY_REVOKED"
        ? "signout.revoked"
        : failure.reason === "MISSING_CREDENTIALS"
          ? "signout.missing"
          : "signout.notAccepted";
    return { kind: "signout", message: msg(why) };
  }
  switch (failure.reason) {
    case "CURSOR_EXPIRED":
    case "CURSOR_AHEAD":
    case "CURSOR_UNKNOWN_LOG":
      return { kind: "reload" };
    case "WATCHER_TOO_SLOW":
      return cursor ? { kind: "resume", immediate: true } : { kind: "reload" };
  }
  // UNAVAILABLE (server restart, SHUTTING_DOWN), network errors, a stream
  // that ended, RESOURCE_EXHAUSTED and the rest: back off, then resume. With
  // no cursor yet there is nothing to resume from without a gap: reload.
  return cursor ? { kind: "resume", immediate: false } : { kind: "reload" };
}

/** A failure in words: the server's reason and message as they came, or the client's own note. */
export function failureText(f: Failure): Msg | string {
  const parts = [f.reason, f.message].filter(Boolean);
  if (parts.length) return parts.join(": ");
  return msg(f.note ?? "detail.disconnected");
}
