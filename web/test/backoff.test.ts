import { test } from "node:test";
import assert from "node:assert/strict";
import { Backoff, backoffDelay } from "../src/lib/backoff";

const opts = { baseMs: 500, maxMs: 15_000, factor: 2, jitter: 0.5 };

test("grows exponentially and is capped", () => {
  const top = (a: number) => backoffDelay(a, opts, () => 1);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 50].map(top), [500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
});

test("jitter keeps the delay within [d(1-j), d]", () => {
  assert.equal(backoffDelay(2, opts, () => 0), 1000);
  assert.equal(backoffDelay(2, opts, () => 0.5), 1500);
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(3, opts);
    assert.ok(d >= 2000 && d <= 4000, String(d));
  }
});

test("reset starts over", () => {
  const b = new Backoff(opts, () => 1);
  assert.deepEqual([b.next(), b.next(), b.next()], [500, 1000, 2000]);
  b.reset();
  assert.equal(b.next(), 500);
});
