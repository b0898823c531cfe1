// The history-then-live state machine against a scripted fake server: no
// event is missed or shown twice across failures, and each failure gets
// the documented recovery.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { EventFeed, historyParent, watchRequest, type ConnState, type StreamMessage, type WatchRequestFields } from "../src/lib/event-feed";
import { render } from "../src/lib/i18n";

interface Ev {
  cursor: string;
}

interface Step {
  /** Events committed (e.g. while the client was away) before the stream starts. */
  append?: number;
  /** Deliver at most this many events (default: all after the cursor). */
  events?: number;
  /** Replay the event just before the cursor first (an overlapping replay). */
  dupFirst?: boolean;
  /** Send a progress marker after the events. */
  progress?: boolean;
  /** How the stream ends. */
  end: ConnectError | "end" | "hang";
}

function reasonError(code: Code, reason: string): ConnectError {
  const w = new BinaryWriter();
  w.tag(1, 2).string(reason).tag(2, 2).string("grants.gba");
  const e = new ConnectError(reason.toLowerCase(), code);
  e.details = [{ type: "google.rpc.ErrorInfo", value: w.finish() }];
  return e;
}

class Fake {
  log: Ev[] = [];
  steps: Step[] = [];
  watchCalls: WatchRequestFields[] = [];
  historyCalls: string[] = [];
  historyFailures: ConnectError[] = [];
  historyGate: Promise<void> | null = null;
  sleeps: number[] = [];
  timers: { fn: () => void; ms: number; live: boolean }[] = [];
  hangs = 0;
  private hangWaiters: (() => void)[] = [];

  // sink
  shown: string[] = [];
  resets = 0;
  states: ConnState[] = [];
  notices: (string | null)[] = [];
  signedOut: string[] = [];
  signedOutKeys: string[] = [];

  append(n: number) {
    for (let i = 0; i < n; i++) this.log.push({ cursor: `c${this.log.length + 1}` });
  }

  private after(cursor: string): number {
    return cursor ? Number(cursor.slice(1)) : this.log.length;
  }

  /** Resolves once `n` streams in all have reached a "hang" step. */
  waitHang(n: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (this.hangs >= n ? resolve() : this.hangWaiters.push(check));
      check();
    });
  }

  feed(pageSize = 2, staleMs = 25_000, deadMs = 60_000) {
    return new EventFeed<Ev>(
      {
        listEvents: async (parent, pageToken) => {
          this.historyCalls.push(parent);
          const gate = this.historyGate;
          this.historyGate = null;
          if (gate) await gate;
          const f = this.historyFailures.shift();
          if (f) throw f;
          const start = pageToken ? Number(pageToken) : 0;
          const events = this.log.slice(start, start + pageSize);
          const next = start + pageSize < this.log.length ? String(start + pageSize) : "";
          return { events, nextPageToken: next };
        },
        watchEvents: (req, signal, onOpen) => this.watch(req, signal, onOpen),
        sleep: async (ms) => {
          this.sleeps.push(ms);
        },
        setTimer: (fn, ms) => {
          const t = { fn, ms, live: true };
          this.timers.push(t);
          return t;
        },
        clearTimer: (t) => {
          (t as { live: boolean }).live = false;
        },
        random: () => 1,
      },
      {
        reset: () => {
          this.resets++;
          this.shown = [];
        },
        events: (batch) => this.shown.push(...batch.map((e) => e.cursor)),
        state: (s) => this.states.push(s),
        signedOut: (m) => {
          this.signedOut.push(render(m));
          this.signedOutKeys.push(m.key);
        },
        notice: (m) => this.notices.push(m === null ? null : render(m)),
      },
      { staleMs, deadMs, pageSize, backoff: { baseMs: 500, maxMs: 4000, factor: 2, jitter: 0.5 } },
    );
  }

  fire(ms: number) {
    const t = [...this.timers].reverse().find((x) => x.live && x.ms === ms);
    assert.ok(t, `no live ${ms} ms timer`);
    t.live = false;
    t.fn();
  }

  private async *watch(req: WatchRequestFields, signal: AbortSignal, onOpen: () => void): AsyncGenerator<StreamMessage<Ev>> {
    this.watchCalls.push(req);
    const step = this.steps.shift() ?? { end: "hang" };
    let i = this.after(req.cursor);
    this.append(step.append ?? 0);
    onOpen();
    if (step.dupFirst && i > 0) yield { event: this.log[i - 1]! };
    const stop = step.events === undefined ? this.log.length : Math.min(this.log.length, i + step.events);
    for (; i < stop; i++) yield { event: this.log[i]! };
    if (step.progress) yield { progressCursor: `c${i}` };
    if (step.end === "end") return;
    if (step.end === "hang") {
      this.hangs++;
      for (const w of this.hangWaiters.splice(0)) w();
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      throw new ConnectError("aborted", Code.Canceled);
    }
    throw step.end;
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => `c${from + k}`);

test("filters map to the history parent and the watch request", () => {
  assert.equal(historyParent({}), "programmes/-");
  assert.equal(historyParent({ programme: "programmes/p" }), "programmes/p");
  assert.equal(historyParent({ institution: "institutions/i" }), "institutions/i");
  assert.equal(historyParent({ application: "programmes/p/applications/a" }), "programmes/p/applications/a");
  assert.deepEqual(watchRequest({ institution: "institutions/i" }, "c9"), { programme: "", applicantInstitution: "institutions/i", application: "", cursor: "c9" });
  assert.deepEqual(watchRequest({}, ""), { programme: "", applicantInstitution: "", application: "", cursor: "" });
});

test("history, then live; drops, restarts and overlapping replays lose and double nothing", async () => {
  const f = new Fake();
  f.append(5);
  f.steps = [
    { append: 2, events: 1, end: new ConnectError("connection reset", Code.Unavailable) },
    { append: 3, dupFirst: true, end: "end" },
    { append: 1, progress: true, end: reasonError(Code.Unavailable, "SHUTTING_DOWN") },
    { append: 2, dupFirst: true, end: "hang" },
  ];
  const feed = f.feed();
  const done = feed.start({});
  await f.waitHang(1);
  assert.deepEqual(f.shown, range(1, 13));
  assert.deepEqual(f.historyCalls, ["programmes/-", "programmes/-", "programmes/-"]);
  assert.deepEqual(f.watchCalls.map((c) => c.cursor), ["c5", "c6", "c10", "c11"]);
  assert.equal(f.resets, 1);
  assert.equal(f.states.at(-1), "live");
  feed.stop();
  await done;
  assert.equal(feed.resume.cursor, "c13");
});

test("a progress marker is a resume point", async () => {
  const f = new Fake();
  f.steps = [{ progress: true, end: new ConnectError("", Code.Unavailable) }, { append: 2, end: "hang" }];
  const feed = f.feed();
  const done = feed.start({ programme: "programmes/p" });
  await f.waitHang(1);
  assert.deepEqual(f.watchCalls.map((c) => [c.programme, c.cursor]), [["programmes/p", ""], ["programmes/p", "c0"]]);
  assert.deepEqual(f.shown, ["c1", "c2"]);
  assert.deepEqual(f.historyCalls, ["programmes/p"]);
  feed.stop();
  await done;
});

test("WATCHER_TOO_SLOW resumes at once from the last cursor", async () => {
  const f = new Fake();
  f.append(3);
  f.steps = [{ append: 2, end: reasonError(Code.ResourceExhausted, "WATCHER_TOO_SLOW") }, { append: 1, end: "hang" }];
  const feed = f.feed();
  const done = feed.start({});
  await f.waitHang(1);
  assert.deepEqual(f.watchCalls.map((c) => c.cursor), ["c3", "c5"]);
  assert.deepEqual(f.sleeps, [250]);
  assert.deepEqual(f.shown, range(1, 6));
  feed.stop();
  await done;
});

test("CURSOR_EXPIRED loads the history again, then watches from its end", async () => {
  const f = new Fake();
  f.append(2);
  f.steps = [{ append: 1, end: reasonError(Code.OutOfRange, "CURSOR_EXPIRED") }, { append: 1, end: "hang" }];
  const feed = f.feed();
  const done = feed.start({ institution: "institutions/i" });
  await f.waitHang(1);
  assert.equal(f.resets, 2);
  assert.deepEqual(f.historyCalls, ["institutions/i", "institutions/i", "institutions/i"]); // 1 page, then 2
  assert.deepEqual(f.watchCalls.map((c) => [c.applicantInstitution, c.cursor]), [["institutions/i", "c2"], ["institutions/i", "c3"]]);
  assert.deepEqual(f.shown, range(1, 4)); // rows were cleared, then reloaded: each once
  feed.stop();
  await done;
});

test("UNAUTHENTICATED signs out and stops", async () => {
  const f = new Fake();
  f.steps = [{ end: reasonError(Code.Unauthenticated, "KEY_REVOKED") }];
  const feed = f.feed();
  await feed.start({});
  assert.equal(f.signedOut.length, 1);
  assert.match(f.signedOut[0]!, /revoked/);
  assert.deepEqual(f.signedOutKeys, ["signout.revoked"]);
  assert.equal(f.states.at(-1), "signed-out");
  assert.equal(f.watchCalls.length, 1);
});

test("history the server refuses: a notice, then events from now on", async () => {
  const f = new Fake();
  f.append(4);
  f.historyFailures = [new ConnectError("parent must be an application", Code.InvalidArgument)];
  f.steps = [{ append: 2, end: "hang" }];
  const feed = f.feed();
  const done = feed.start({ programme: "programmes/p" });
  await f.waitHang(1);
  assert.ok(f.notices.some((n) => n && /not available/.test(n)));
  assert.deepEqual(f.watchCalls.map((c) => c.cursor), [""]);
  assert.deepEqual(f.shown, ["c5", "c6"]);
  feed.stop();
  await done;
});

test("a history that fails for another reason is retried with backoff", async () => {
  const f = new Fake();
  f.append(1);
  f.historyFailures = [new ConnectError("down", Code.Unavailable), new ConnectError("down", Code.Unavailable)];
  const feed = f.feed();
  const done = feed.start({});
  await f.waitHang(1);
  assert.deepEqual(f.sleeps, [500, 1000]);
  assert.deepEqual(f.shown, ["c1"]);
  assert.deepEqual(f.watchCalls.map((c) => c.cursor), ["c1"]);
  feed.stop();
  await done;
});

test("backoff grows over failed attempts, is capped, and resets once data flows", async () => {
  const f = new Fake();
  f.append(1);
  const down = () => new ConnectError("fetch failed", Code.Unknown);
  f.steps = [
    { events: 0, end: down() },
    { events: 0, end: down() },
    { events: 0, end: down() },
    { events: 0, end: down() },
    { events: 0, end: down() },
    { append: 1, end: down() },
    { events: 0, end: down() },
  ];
  const feed = f.feed();
  const done = feed.start({});
  await f.waitHang(1);
  assert.deepEqual(f.sleeps, [500, 1000, 2000, 4000, 4000, 500, 1000]);
  assert.ok(f.states.includes("reconnecting"));
  assert.deepEqual(f.shown, ["c1", "c2"]);
  feed.stop();
  await done;
});

test("with no cursor yet, a failed stream reloads history rather than leave a gap", async () => {
  const f = new Fake();
  f.steps = [{ events: 0, end: new ConnectError("", Code.Unavailable) }, { end: "hang" }];
  const feed = f.feed();
  const done = feed.start({});
  await f.waitHang(1);
  assert.equal(f.historyCalls.length, 2);
  assert.equal(f.resets, 2);
  feed.stop();
  await done;
});

test("silence marks the data stale, then the stream is reopened", async () => {
  const f = new Fake();
  f.append(1);
  f.steps = [{ end: "hang" }, { append: 1, end: "hang" }];
  const feed = f.feed(2, 25_000, 60_000);
  const done = feed.start({});
  await f.waitHang(1);
  f.fire(25_000);
  assert.equal(f.states.at(-1), "stale");
  f.fire(60_000);
  await f.waitHang(2);
  assert.deepEqual(f.watchCalls.map((c) => c.cursor), ["c1", "c1"]);
  assert.deepEqual(f.shown, ["c1", "c2"]);
  assert.equal(f.states.at(-1), "live");
  feed.stop();
  await done;
});

test("restarting with another filter starts over", async () => {
  const f = new Fake();
  f.append(2);
  const feed = f.feed();
  const first = feed.start({});
  await f.waitHang(1);
  const second = feed.start({ programme: "programmes/q" });
  await first;
  await f.waitHang(2);
  assert.equal(f.resets, 2);
  assert.deepEqual(f.watchCalls.map((c) => [c.programme, c.cursor]), [["", "c2"], ["programmes/q", "c2"]]);
  feed.stop();
  await second;
});

test("a filter changed while history loads: nothing of the old filter is shown", async () => {
  const f = new Fake();
  f.append(3);
  let release!: () => void;
  f.historyGate = new Promise<void>((r) => (release = r));
  const feed = f.feed(10);
  const old = feed.start({ programme: "programmes/old" });
  await Promise.resolve();
  const current = feed.start({});
  await f.waitHang(1);
  release();
  await old;
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(f.shown, ["c1", "c2", "c3"]);
  assert.deepEqual(f.watchCalls.map((c) => [c.programme, c.cursor]), [["", "c3"]]);
  assert.equal(feed.resume.cursor, "c3");
  feed.stop();
  await current;
});
