import { test } from "node:test";
import assert from "node:assert/strict";
import { programmeFigures, totalsByCurrency, type SummaryLike } from "../src/lib/totals";
import { decimalString } from "../src/lib/money";

const m = (currencyCode: string, units: bigint, nanos = 0) => ({ currencyCode, units, nanos });
const summary = (cur: string, s: { requested: [bigint, number]; committed: [bigint, number]; disbursed: [bigint, number]; remaining: [bigint, number]; apps: bigint[]; awards: bigint }): SummaryLike => ({
  requested: m(cur, ...s.requested),
  committed: m(cur, ...s.committed),
  disbursed: m(cur, ...s.disbursed),
  remainingBudget: m(cur, ...s.remaining),
  stateCounts: s.apps.map((count) => ({ count })),
  awardCount: s.awards,
});

test("money is totalled per currency, exactly; counts across all", () => {
  const figures = [
    programmeFigures(
      { currencyCode: "CNY", budget: m("CNY", 10_000_000n) },
      summary("CNY", { requested: [7_407_407n, 340_000_000], committed: [1_000_000n, 500_000_000], disbursed: [0n, 0], remaining: [8_999_999n, 500_000_000], apps: [6n, 1n], awards: 1n }),
    ),
    programmeFigures(
      { currencyCode: "HKD", budget: m("HKD", 5_500_000n) },
      summary("HKD", { requested: [88_888n, 880_000_000], committed: [0n, 0], disbursed: [0n, 0], remaining: [5_500_000n, 0], apps: [1n], awards: 0n }),
    ),
    programmeFigures(
      { currencyCode: "CNY", budget: m("CNY", 3_000_000n, 250_000_000) },
      summary("CNY", { requested: [456_789n, 10_000_000], committed: [400_000n, 990_000_000], disbursed: [150_000n, 330_000_000], remaining: [2_599_999n, 260_000_000], apps: [1n], awards: 1n }),
    ),
  ];
  const totals = totalsByCurrency(figures);
  assert.deepEqual(totals.byCurrency.map((c) => c.currency), ["CNY", "HKD"]);
  const [cny, hkd] = totals.byCurrency;
  assert.equal(cny!.programmes, 2);
  assert.equal(decimalString(cny!.requested), "7864196.35");
  assert.equal(decimalString(cny!.committed), "1400001.49");
  assert.equal(decimalString(cny!.disbursed), "150000.33");
  assert.equal(decimalString(cny!.remaining), "11599998.76");
  assert.equal(decimalString(cny!.budget), "13000000.25");
  assert.equal(cny!.applications, 8n);
  assert.equal(cny!.awards, 2n);
  assert.equal(decimalString(hkd!.requested), "88888.88");
  assert.equal(decimalString(hkd!.remaining), "5500000.00");
  assert.equal(hkd!.requested.currencyCode, "HKD");
  assert.equal(totals.programmes, 3);
  assert.equal(totals.applications, 9n);
  assert.equal(totals.awards, 2n);
});

test("sums beyond 2^53 and sub-cent nanos stay exact", () => {
  const big = programmeFigures(
    { currencyCode: "MOP" },
    summary("MOP", { requested: [9_007_199_254_740_993n, 1], committed: [0n, 0], disbursed: [0n, 0], remaining: [0n, 0], apps: [], awards: 0n }),
  );
  const totals = totalsByCurrency([big, big]);
  assert.equal(decimalString(totals.byCurrency[0]!.requested), "18014398509481986.000000002");
});

test("a programme without its summary yet: budget less committed, and marked not live", () => {
  const f = programmeFigures({ currencyCode: "CNY", budget: m("CNY", 100n), committed: m("CNY", 30n) }, undefined);
  assert.equal(f.live, false);
  assert.equal(decimalString(f.remaining), "70.00");
  assert.equal(decimalString(f.requested), "0.00");
  const t = totalsByCurrency([f]);
  assert.equal(t.byCurrency[0]!.live, 0);
  // Amounts with no code take the programme's currency.
  const g = programmeFigures({ currencyCode: "HKD" }, { requested: m("", 5n), stateCounts: [], awardCount: 0n });
  assert.equal(g.requested.currencyCode, "HKD");
  // A summary whose programme is not known yet: the currency of its money.
  assert.equal(programmeFigures(undefined, { remainingBudget: m("MOP", 1n), stateCounts: [], awardCount: 0n }).currency, "MOP");
});

test("decimal strings keep the currency's minor digits and the sign", () => {
  assert.equal(decimalString(m("CNY", 1234567n, 890_000_000)), "1234567.89");
  assert.equal(decimalString(m("CNY", 0n, -500_000_000)), "-0.50");
  assert.equal(decimalString(m("CNY", 1n, 5_000_000)), "1.005");
  assert.equal(decimalString(m("JPY", 1500n)), "1500");
  assert.equal(decimalString(undefined), "0.00");
});
