import { test } from "node:test";
import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { decodeErrorInfoReason, errorReason, failureText, recoveryFor } from "../src/lib/errors";
import { render, useLanguage } from "../src/lib/i18n";

function errorInfo(reason: string, domain = "grants.gba"): Uint8Array {
  // ErrorInfo { reason = 1; domain = 2; map<string,string> metadata = 3 }
  const w = new BinaryWriter();
  w.tag(2, 2).string(domain);
  w.tag(3, 2).fork().tag(1, 2).string("k").tag(2, 2).string("v").join();
  w.tag(1, 2).string(reason);
  return w.finish();
}

function wireError(code: Code, message: string, reason?: string): ConnectError {
  const e = new ConnectError(message, code);
  if (reason) e.details = [{ type: "google.rpc.ErrorInfo", value: errorInfo(reason) }];
  return e;
}

test("decodes the ErrorInfo reason whatever the field order", () => {
  assert.equal(decodeErrorInfoReason(errorInfo("WATCHER_TOO_SLOW")), "WATCHER_TOO_SLOW");
  assert.equal(decodeErrorInfoReason(new Uint8Array([0xff])), undefined);
});

test("reads the reason from the details, else from the message", () => {
  assert.equal(errorReason(wireError(Code.ResourceExhausted, "too slow", "WATCHER_TOO_SLOW")), "WATCHER_TOO_SLOW");
  assert.equal(errorReason(new ConnectError("events pruned (CURSOR_EXPIRED)", Code.OutOfRange)), "CURSOR_EXPIRED");
  assert.equal(errorReason(new ConnectError("nothing", Code.Unavailable)), undefined);
  assert.equal(errorReason(new TypeError("Failed to fetch")), undefined);
});

test("what to do after each failure", () => {
  const after = (code: Code | undefined, reason?: string, cursor = "c1") => recoveryFor({ code, reason }, cursor).kind;
  assert.equal(after(Code.Canceled), "stop");
  assert.equal(after(Code.Unauthenticated, "KEY_REVOKED"), "signout");
  assert.equal(after(Code.OutOfRange, "CURSOR_EXPIRED"), "reload");
  assert.equal(after(Code.OutOfRange, "CURSOR_AHEAD"), "reload");
  assert.equal(after(Code.OutOfRange, "CURSOR_UNKNOWN_LOG"), "reload");
  assert.deepEqual(recoveryFor({ code: Code.ResourceExhausted, reason: "WATCHER_TOO_SLOW" }, "c1"), { kind: "resume", immediate: true });
  assert.deepEqual(recoveryFor({ code: Code.Unavailable, reason: "SHUTTING_DOWN" }, "c1"), { kind: "resume", immediate: false });
  assert.equal(after(Code.Unknown), "resume"); // network error
  assert.equal(after(undefined), "resume"); // the stream ended
  assert.equal(after(Code.Unavailable, undefined, ""), "reload"); // no cursor yet
  const revoked = recoveryFor({ code: Code.Unauthenticated, reason: "KEY_REVOKED" }, "c");
  assert.equal(revoked.kind === "signout" && revoked.message.key, "signout.revoked");
  assert.match(revoked.kind === "signout" ? render(revoked.message) : "", /revoked/);
});

test("a failure in words: the server's text as it came, else the client's note in the page's language", () => {
  assert.equal(failureText({ code: Code.Unavailable, reason: "SHUTTING_DOWN", message: "the server is stopping" }), "SHUTTING_DOWN: the server is stopping");
  assert.deepEqual(failureText({ note: "detail.streamEnded" }), { key: "detail.streamEnded" });
  assert.deepEqual(failureText({}), { key: "detail.disconnected" });
  useLanguage("zh-Hant");
  try {
    assert.equal(render(failureText({ note: "detail.streamEnded" })), "串流已結束");
    const revoked = recoveryFor({ code: Code.Unauthenticated, reason: "KEY_REVOKED" }, "c");
    assert.equal(revoked.kind === "signout" ? render(revoked.message) : "", "你的 API 金鑰已被撤銷。");
  } finally {
    useLanguage("en");
  }
});
