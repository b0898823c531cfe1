// Formatting of facility resource amounts (lib/resources.ts): exact from
// the steps and the unit table, thousands separators, negatives, and a unit
// the table does not list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatResource, resourceDecimal, stepsDecimal, stepsPerUnit, unitName } from "../src/lib/resources";
import { formatQuantity, useLanguage } from "../src/lib/i18n";
import { UNITS } from "../src/gen/units";

const r = (unit: string, steps: bigint, value?: string) => ({ unit, steps, ...(value === undefined ? {} : { value }) });

test("the unit table comes from proto/resource-units.txt", () => {
  assert.deepEqual(Object.keys(UNITS), ["h", "beam-h", "core-h", "node-h", "gpu-h"]);
  assert.equal(stepsPerUnit("beam-h"), 2);
  assert.equal(stepsPerUnit("h"), 2);
  assert.equal(stepsPerUnit("core-h"), 1);
  assert.equal(stepsPerUnit("CNY"), undefined);
  // Not an inherited property of the table.
  assert.equal(stepsPerUnit("constructor"), undefined);
  assert.equal(unitName("beam-h"), "beam hours");
  assert.equal(unitName("gpu-h"), "GPU-hours");
  assert.equal(unitName("furlongs"), "furlongs");
});

test("formats exactly from the steps, with thousands separators", () => {
  assert.equal(formatResource(r("beam-h", 2481n), "en-US"), "1,240.5 beam-h");
  assert.equal(formatResource(r("beam-h", 3000n), "en-US"), "1,500 beam-h");
  assert.equal(formatResource(r("core-h", 250_000n), "en-US"), "250,000 core-h");
  assert.equal(formatResource(r("beam-h", 193n), "en-US"), "96.5 beam-h");
  assert.equal(formatResource(r("beam-h", 1n), "en-US"), "0.5 beam-h");
  assert.equal(formatResource(r("h", 0n), "en-US"), "0 h");
  assert.equal(formatResource(r("beam-h", 2481n), "en-US", { unit: false }), "1,240.5");
  // The server's value is not what is shown for a known unit: the steps are.
  assert.equal(formatResource(r("beam-h", 2481n, "9.9"), "en-US"), "1,240.5 beam-h");
});

test("int64 step counts beyond 2^53 stay exact", () => {
  assert.equal(formatResource(r("core-h", 9_223_372_036_854_775_807n), "en-US"), "9,223,372,036,854,775,807 core-h");
  assert.equal(formatResource(r("beam-h", 9_007_199_254_740_993n), "en-US"), "4,503,599,627,370,496.5 beam-h");
  assert.equal(resourceDecimal(r("beam-h", -9_223_372_036_854_775_808n)), "-4611686018427387904");
});

test("negative amounts, including below one unit", () => {
  assert.equal(formatResource(r("beam-h", -3n), "en-US"), "-1.5 beam-h");
  assert.equal(formatResource(r("beam-h", -1n), "en-US"), "-0.5 beam-h");
  assert.equal(formatResource(r("core-h", -1_234_567n), "en-US"), "-1,234,567 core-h");
  assert.equal(resourceDecimal(r("beam-h", -3n)), "-1.5");
});

test("decimals as the server writes them (steps per unit divide 1000)", () => {
  assert.equal(stepsDecimal(193n, 2), "96.5");
  assert.equal(stepsDecimal(3000n, 2), "1500");
  assert.equal(stepsDecimal(-3n, 2), "-1.5");
  assert.equal(stepsDecimal(1n, 8), "0.125");
  assert.equal(stepsDecimal(3n, 4), "0.75");
  assert.equal(stepsDecimal(1n, 1000), "0.001");
  assert.equal(stepsDecimal(250_000n, 1), "250000");
  assert.equal(resourceDecimal(undefined), "0");
});

test("a unit the table does not list: its symbol, with the server's exact value", () => {
  assert.equal(formatResource(r("shift", 7n, "3.5"), "en-US"), "3.5 shift");
  assert.equal(formatResource(r("shift", 12_345n, "12345"), "en-US"), "12,345 shift");
  assert.equal(formatResource(r("shift", -7n, "-3.5"), "en-US"), "-3.5 shift");
  // Without a usable value: the steps as whole units.
  assert.equal(formatResource(r("shift", 1200n), "en-US"), "1,200 shift");
  assert.equal(formatResource(r("shift", 1200n, "1e3"), "en-US"), "1,200 shift");
  assert.equal(formatResource(r("", 5n), "en-US"), "5");
});

test("the locale's separators; the page's locale through i18n", () => {
  assert.equal(formatResource(r("beam-h", 2_000_001n), "de-DE"), "1.000.000,5 beam-h");
  assert.equal(formatResource(r("beam-h", 2_000_001n), "zh-HK"), "1,000,000.5 beam-h");
  assert.equal(formatResource(r("beam-h", 2_000_001n), "zh-CN"), "1,000,000.5 beam-h");
  try {
    useLanguage("zh-Hant", "zh-MO");
    assert.equal(formatQuantity(r("core-h", 250_000n)), "250,000 core-h");
    assert.equal(formatQuantity(r("beam-h", 1961n), { unit: false }), "980.5");
  } finally {
    useLanguage("en");
  }
  assert.equal(formatQuantity(r("beam-h", 2481n)), "1,240.5 beam-h");
});
