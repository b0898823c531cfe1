// A facility programme's figures, the segments of its capacity bar (exact,
// integer widths that add up to 100 %) and totals per unit (lib/facility.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  capacitySegments,
  crossBorderPercent,
  crossBorderShare,
  crossBorderText,
  facilityFigures,
  isFacility,
  percentText,
  totalsByUnit,
} from "../src/lib/facility";
import { formatTenths, useLanguage } from "../src/lib/i18n";
import { Region } from "../src/gen/gba/grants/v1/common_pb";
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

// ---- the share of the awards that went to Hong Kong and Macao -------------------
const regions = (hk: bigint, mo: bigint, gd: bigint) => [
  { region: Region.HONG_KONG, awardCount: hk },
  { region: Region.MACAO, awardCount: mo },
  { region: Region.GUANGDONG, awardCount: gd },
];

test("cross-border share: Hong Kong and Macao's awards summed, of the programme's, in tenths of a percent", () => {
  // The demo's CSNS cycle: 256 of 320 proposals allocated, 32 of them from Hong Kong or Macao.
  assert.deepEqual(crossBorderShare(regions(20n, 12n, 224n), 256n), { crossBorder: 32n, awards: 256n, permille: 125n });
  // The demo's NSCC-GZ programme: every award across the border.
  assert.deepEqual(crossBorderShare(regions(150n, 70n, 0n), 220n), { crossBorder: 220n, awards: 220n, permille: 1000n });
  // Regions the server does not send count as none; Guangdong alone is 0 %.
  assert.deepEqual(crossBorderShare([{ region: Region.GUANGDONG, awardCount: 7n }], 7n), { crossBorder: 0n, awards: 7n, permille: 0n });
  assert.deepEqual(crossBorderShare([{ region: Region.MACAO, awardCount: 1n }], 1n), { crossBorder: 1n, awards: 1n, permille: 1000n });
});

test("cross-border share: integer division rounds down, never overstating the share", () => {
  // 1 of 3 is 33.33… %: 33.3; 2 of 3 is 66.66… %: 66.6, not 66.7.
  assert.equal(crossBorderShare(regions(1n, 0n, 2n), 3n)!.permille, 333n);
  assert.equal(crossBorderShare(regions(2n, 0n, 1n), 3n)!.permille, 666n);
  // 999 of 10,000 is 9.99 %: 9.9, below 10.
  assert.equal(crossBorderShare(regions(999n, 0n, 9001n), 10_000n)!.permille, 99n);
  // Big counts stay exact (no float on the way).
  const big = 9_007_199_254_740_993n;
  assert.equal(crossBorderShare(regions(big, 0n, big), 2n * big)!.permille, 500n);
});

test("cross-border share: no region totals, no awards, and counts that do not add up", () => {
  assert.equal(crossBorderShare([], 5n), null);
  assert.deepEqual(crossBorderShare(regions(0n, 0n, 0n), 0n), { crossBorder: 0n, awards: 0n, permille: null });
  // Awards of an applicant with no region: in the programme's count only.
  assert.deepEqual(crossBorderShare(regions(1n, 1n, 2n), 8n), { crossBorder: 2n, awards: 8n, permille: 250n });
  // Regions adding up to more than the programme's count: their sum, never above 100 %.
  assert.deepEqual(crossBorderShare(regions(3n, 1n, 0n), 2n), { crossBorder: 4n, awards: 4n, permille: 1000n });
  // A negative count (never sent) counts as none.
  assert.deepEqual(crossBorderShare(regions(-1n, 2n, 2n), 4n), { crossBorder: 2n, awards: 4n, permille: 500n });
});

test("cross-border figure in the page's three languages", () => {
  const csns = crossBorderShare(regions(20n, 12n, 224n), 256n)!;
  const one = crossBorderShare([{ region: Region.HONG_KONG, awardCount: 1n }], 1n)!;
  const many = crossBorderShare(regions(1_000n, 234n, 10_000n), 11_234n)!;
  try {
    useLanguage("en");
    assert.equal(crossBorderText(csns), "Hong Kong and Macao: 32 of 256 projects (12.5 %)");
    assert.equal(crossBorderText(one), "Hong Kong and Macao: 1 of 1 project (100.0 %)");
    assert.equal(crossBorderText(many), "Hong Kong and Macao: 1,234 of 11,234 projects (10.9 %)");
    assert.equal(crossBorderPercent({ crossBorder: 0n, awards: 0n, permille: null }), "");
    assert.equal(formatTenths(0n), "0.0");
    assert.equal(formatTenths(12_345n), "1,234.5");
    useLanguage("zh-Hant");
    assert.equal(crossBorderText(csns), "港澳：256 個項目中的 32 個（12.5%）");
    assert.equal(crossBorderText(many), "港澳：11,234 個項目中的 1,234 個（10.9%）");
    useLanguage("zh-Hans");
    assert.equal(crossBorderText(csns), "港澳：256 个项目中的 32 个（12.5%）");
    assert.equal(crossBorderText(one), "港澳：1 个项目中的 1 个（100.0%）");
  } finally {
    useLanguage("en");
  }
});
