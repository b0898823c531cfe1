// A facility programme's figures, the segments of its capacity bar (exact,
// integer widths that add up to 100 %) and totals per unit (lib/facility.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { capacitySegments, facilityFigures, isFacility, percentText, totalsByUnit } from "../src/lib/facility";
import { resourceDecimal } from "../src/lib/resources";
import { totalsByCurrency } from "../src/lib/totals";

const b = (steps: bigint, unit = "beam-h") => ({ unit, steps });
const summary = (s: { capacity: bigint; allocated: bigint; used: bigint; free?: bigint; requested?: bigint; apps?: bigint[]; awards?: bigint }, unit = "beam-h") => ({
  capacity: b(s.capacity, unit),
  allocated: b(s.allocated, unit),
  used: b(s.used, unit),
  free: b(s.free ?? s.capacity - s.allocated, unit),
  requestedResource: b(s.requested ?? 0n, unit),
  stateCounts: (s.apps ?? []).map((count) => ({ count })),
  awardCount: s.awards ?? 0n,
});

test("figures from the summary: used, allocated but not yet used, free", () => {
  const f = facilityFigures({ unit: "beam-h" }, summary({ capacity: 3000n, allocated: 2481n, used: 1960n, requested: 2700n, apps: [2n, 1n], awards: 1n }));
  assert.equal(f.unit, "beam-h");
  assert.equal(resourceDecimal(f.capacity), "1500");
  assert.equal(resourceDecimal(f.allocated), "1240.5");
  assert.equal(resourceDecimal(f.used), "980");
  assert.equal(resourceDecimal(f.allocatedOpen), "260.5");
  assert.equal(resourceDecimal(f.free), "259.5");
  assert.equal(resourceDecimal(f.requested), "1350");
  assert.equal(f.applications, 3n);
  assert.equal(f.awards, 1n);
  assert.equal(f.live, true);
  assert.equal(f.consistent, true);
});

test("the segments: labels are the exact amounts, widths from the steps by integer division", () => {
  const f = facilityFigures({ unit: "beam-h" }, summary({ capacity: 3000n, allocated: 2481n, used: 1960n }));
  const segs = capacitySegments(f);
  assert.deepEqual(segs.map((s) => s.key), ["used", "allocated", "free"]);
  assert.deepEqual(segs.map((s) => resourceDecimal(s.amount)), ["980", "260.5", "259.5"]);
  // Edges at floor(1960·10000/3000) = 6533 and floor(2481·10000/3000) = 8270.
  assert.deepEqual(segs.map((s) => s.basisPoints), [6533n, 1737n, 1730n]);
  assert.deepEqual(segs.map((s) => s.width), ["65.33%", "17.37%", "17.30%"]);
  assert.equal(segs.reduce((a, s) => a + s.basisPoints, 0n), 10_000n);
});

test("thirds and other repeating shares still add up to exactly 100 %", () => {
  for (const [capacity, allocated, used] of [
    [3n, 2n, 1n],
    [7n, 5n, 3n],
    [999_999_999_999_999_999n, 333_333_333_333_333_333n, 111_111_111_111_111_111n],
    [9_223_372_036_854_775_807n, 9_223_372_036_854_775_806n, 1n],
  ]) {
    const segs = capacitySegments(facilityFigures({ unit: "core-h" }, summary({ capacity: capacity!, allocated: allocated!, used: used! }, "core-h")));
    assert.equal(segs.reduce((a, s) => a + s.basisPoints, 0n), 10_000n, `${capacity}/${allocated}/${used}`);
    assert.ok(segs.every((s) => s.basisPoints >= 0n));
  }
  const [u, a, free] = capacitySegments(facilityFigures({ unit: "core-h" }, summary({ capacity: 3n, allocated: 2n, used: 1n }, "core-h")));
  assert.deepEqual([u!.width, a!.width, free!.width], ["33.33%", "33.33%", "33.34%"]);
});

test("empty, full and degenerate capacities", () => {
  const none = capacitySegments(facilityFigures({ unit: "beam-h" }, summary({ capacity: 0n, allocated: 0n, used: 0n })));
  assert.deepEqual(none.map((s) => s.width), ["0.00%", "0.00%", "0.00%"]);
  const fresh = capacitySegments(facilityFigures({ unit: "beam-h" }, summary({ capacity: 3000n, allocated: 0n, used: 0n })));
  assert.deepEqual(fresh.map((s) => s.width), ["0.00%", "0.00%", "100.00%"]);
  const full = capacitySegments(facilityFigures({ unit: "beam-h" }, summary({ capacity: 3000n, allocated: 3000n, used: 3000n })));
  assert.deepEqual(full.map((s) => s.width), ["100.00%", "0.00%", "0.00%"]);
  // Figures that break used ≤ allocated ≤ capacity: drawn within the bar,
  // labelled as they came, and marked.
  const odd = facilityFigures({ unit: "beam-h" }, summary({ capacity: 1000n, allocated: 1200n, used: 1300n, free: 0n }));
  assert.equal(odd.consistent, false);
  const segs = capacitySegments(odd);
  assert.deepEqual(segs.map((s) => s.basisPoints), [10_000n, 0n, 0n]);
  assert.equal(resourceDecimal(segs[0]!.amount), "650");
  assert.equal(percentText(5n), "0.05%");
});

test("without a summary: the programme's capacity and allocation, free is capacity less allocated, nothing used yet", () => {
  const f = facilityFigures({ unit: "beam-h", capacity: b(3000n), allocated: b(1000n) }, undefined);
  assert.equal(f.live, false);
  assert.equal(resourceDecimal(f.free), "1000");
  assert.equal(resourceDecimal(f.used), "0");
  assert.equal(resourceDecimal(f.allocatedOpen), "500");
  assert.equal(resourceDecimal(f.requested), "0");
  assert.equal(f.requested.unit, "beam-h");
  // Amounts without a unit take the programme's.
  const g = facilityFigures({ unit: "gpu-h" }, { capacity: { unit: "", steps: 10n }, stateCounts: [], awardCount: 0n });
  assert.equal(g.capacity.unit, "gpu-h");
  assert.equal(g.free.unit, "gpu-h");
});

test("which programmes are facility programmes", () => {
  assert.equal(isFacility({ facility: { unit: "beam-h" } }), true);
  assert.equal(isFacility({ facility: undefined }), false);
  // A summary whose programme is not known yet: resources set, money unset.
  assert.equal(isFacility(undefined, summary({ capacity: 10n, allocated: 0n, used: 0n })), true);
  assert.equal(isFacility(undefined, { remainingBudget: {}, stateCounts: [], awardCount: 0n }), false);
  assert.equal(isFacility(undefined, undefined), false);
});

test("totals per unit, never across units; counts across everything", () => {
  const beam1 = facilityFigures({ unit: "beam-h" }, summary({ capacity: 3000n, allocated: 2481n, used: 1960n, requested: 2700n, apps: [1n], awards: 1n }));
  const beam2 = facilityFigures({ unit: "beam-h" }, summary({ capacity: 1001n, allocated: 1n, used: 0n, apps: [2n] }));
  const core = facilityFigures({ unit: "core-h" }, summary({ capacity: 250_000n, allocated: 0n, used: 0n }, "core-h"));
  const units = totalsByUnit([core, beam1, beam2]);
  assert.deepEqual(units.map((u) => u.unit), ["beam-h", "core-h"]);
  assert.equal(resourceDecimal(units[0]!.capacity), "2000.5");
  assert.equal(resourceDecimal(units[0]!.allocated), "1241");
  assert.equal(resourceDecimal(units[0]!.free), "759.5");
  assert.equal(units[0]!.programmes, 2);
  assert.equal(units[0]!.applications, 3n);
  assert.equal(resourceDecimal(units[1]!.capacity), "250000");
  const all = totalsByCurrency([], [core, beam1, beam2]);
  assert.equal(all.byCurrency.length, 0);
  assert.equal(all.programmes, 3);
  assert.equal(all.applications, 3n);
  assert.equal(all.awards, 1n);
});
