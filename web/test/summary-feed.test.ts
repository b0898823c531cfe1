import { test } from "node:test";
import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { SummaryFeed } from "../src/lib/summary-feed";
import type { ConnState } from "../src/lib/event-feed";
import { render } from "../src/lib/i18n";

interface Plan {
  summaries: string[];
  /** How long the stream stays open before it fails (fake clock). */
  openMs: number;
  open?: boolean;
  end: ConnectError | "end" | "hang";
}

function harness(plans: Plan[]) {
  let clock = 0;
  const seen: string[] = [];
  const states: ConnState[] = [];
  const sleeps: number[] = [];
  const signedOut: string[] = [];
  let hung: () => void = () => {};
  const hang = new Promise<void>((r) => (hung = r));
  const feed = new SummaryFeed<string>(
    {
      async *watchSummaries(signal, onOpen) {
        const p = plans.shift() ?? { summaries: [], openMs: 0, end: "hang" as const };
        if (p.open !== false) onOpen();
        for (const s of p.summaries) yield s;
        clock += p.openMs;
        if (p.end === "end") return;
        if (p.end === "hang") {
          hung();
          await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
          throw new ConnectError("aborted", Code.Canceled);
        }
        throw p.end;
      },
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      random: () => 1,
      now: () => clock,
    },
    { summary: (s) => seen.push(s), state: (s) => states.push(s), signedOut: (m) => signedOut.push(render(m)) },
    { baseMs: 500, maxMs: 8000, factor: 2, jitter: 0.5 },
  );
  return { feed, seen, states, sleeps, signedOut, hang };
}

test("summaries flow; failures reconnect with backoff that resets after data", async () => {
  const down = () => new ConnectError("down", Code.Unavailable);
  const h = harness([
    { summaries: ["a1", "b1"], openMs: 100, end: down() },
    { summaries: [], openMs: 0, open: false, end: down() },
    { summaries: [], openMs: 0, open: false, end: down() },
    { summaries: ["a2"], openMs: 0, end: "end" },
  ]);
  const done = h.feed.start();
  await h.hang;
  assert.deepEqual(h.seen, ["a1", "b1", "a2"]);
  assert.deepEqual(h.sleeps, [500, 1000, 2000, 500]);
  assert.equal(h.states.at(-1), "live");
  h.feed.stop();
  await done;
});

test("a stream that stayed open a while counts as healthy even with no message", async () => {
  const idleCut = () => new ConnectError("connection closed", Code.Unavailable);
  const h = harness([
    { summaries: [], openMs: 0, open: false, end: idleCut() },
    { summaries: [], openMs: 0, open: false, end: idleCut() },
    { summaries: [], openMs: 120_000, end: idleCut() },
    { summaries: [], openMs: 120_000, end: idleCut() },
  ]);
  const done = h.feed.start();
  await h.hang;
  assert.deepEqual(h.sleeps, [500, 1000, 500, 500]);
  h.feed.stop();
  await done;
});

test("UNAUTHENTICATED signs out and stops", async () => {
  const h = harness([{ summaries: [], openMs: 0, end: new ConnectError("revoked", Code.Unauthenticated) }]);
  await h.feed.start();
  assert.equal(h.signedOut.length, 1);
  assert.equal(h.states.at(-1), "signed-out");
});

test("a stream that ends at once with nothing in scope is not a fault, and is polled with backoff", async () => {
  const h = harness([
    { summaries: [], openMs: 0, end: "end" },
    { summaries: [], openMs: 0, end: "end" },
    { summaries: [], openMs: 0, end: "end" },
    { summaries: ["new"], openMs: 0, end: "hang" },
  ]);
  const done = h.feed.start();
  await h.hang;
  assert.ok(!h.states.includes("reconnecting"));
  assert.deepEqual(h.sleeps, [500, 1000, 2000]);
  assert.deepEqual(h.seen, ["new"]);
  h.feed.stop();
  await done;
});
