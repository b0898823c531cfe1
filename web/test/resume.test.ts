import { test } from "node:test";
import assert from "node:assert/strict";
import { ResumeState } from "../src/lib/resume";

test("takes each cursor once and resumes after the last", () => {
  const r = new ResumeState();
  assert.equal(r.cursor, "");
  assert.equal(r.takeEvent("c1"), true);
  assert.equal(r.takeEvent("c2"), true);
  assert.equal(r.takeEvent("c1"), false);
  assert.equal(r.cursor, "c2");
});

test("a duplicate does not move the resume point back", () => {
  const r = new ResumeState();
  r.takeEvent("c1");
  r.takeEvent("c2");
  r.takeEvent("c1");
  assert.equal(r.cursor, "c2");
});

test("progress markers move the resume point", () => {
  const r = new ResumeState();
  r.takeEvent("c1");
  r.takeProgress("p9");
  assert.equal(r.cursor, "p9");
  r.takeProgress("");
  assert.equal(r.cursor, "p9");
});

test("forgets the oldest cursors beyond capacity", () => {
  const r = new ResumeState(3);
  for (const c of ["a", "b", "c", "d"]) r.takeEvent(c);
  assert.equal(r.size, 3);
  assert.equal(r.has("a"), false);
  assert.equal(r.has("d"), true);
  for (let i = 0; i < 10_000; i++) r.takeEvent(`x${i}`);
  assert.equal(r.size, 3);
  assert.equal(r.takeEvent("x9999"), false);
});

test("reset forgets everything", () => {
  const r = new ResumeState();
  r.takeEvent("c1");
  r.reset();
  assert.equal(r.cursor, "");
  assert.equal(r.takeEvent("c1"), true);
});
