import { test } from "node:test";
import assert from "node:assert/strict";
import { addMoney, currencyDigits, formatMoney, fromNanos, percentOf, subClamped, subMoney, toNanos } from "../src/lib/money";

const m = (currencyCode: string, units: bigint, nanos = 0) => ({ currencyCode, units, nanos });
// Intl puts a no-break space between a currency code and the number.
const norm = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");

test("minor digits per currency", () => {
  assert.equal(currencyDigits("CNY"), 2);
  assert.equal(currencyDigits("HKD"), 2);
  assert.equal(currencyDigits("MOP"), 2);
  assert.equal(currencyDigits("JPY"), 0);
});

test("formats with thousands separators and the currency's minor digits", () => {
  assert.equal(norm(formatMoney(m("CNY", 1234567n, 890_000_000), "en-US")), "CNY 1,234,567.89");
  assert.equal(norm(formatMoney(m("HKD", 0n, 0), "en-US")), "HKD 0.00");
  assert.equal(norm(formatMoney(m("MOP", 1000n, 50_000_000), "en-US")), "MOP 1,000.05");
  assert.equal(norm(formatMoney(m("JPY", 1500n), "en-US")), "JPY 1,500");
});

test("int64 amounts beyond 2^53 stay exact", () => {
  assert.equal(norm(formatMoney(m("CNY", 9_223_372_036_854_775_807n, 999_999_999), "en-US")), "CNY 9,223,372,036,854,775,807.999999999");
  assert.equal(norm(formatMoney(m("CNY", 9_007_199_254_740_993n, 10_000_000), "en-US")), "CNY 9,007,199,254,740,993.01");
});

test("negative amounts, including below one unit", () => {
  assert.equal(norm(formatMoney(m("CNY", -1234n, -500_000_000), "en-US")), "-CNY 1,234.50");
  assert.equal(norm(formatMoney(m("CNY", 0n, -500_000_000), "en-US")), "-CNY 0.50");
});

test("digits beyond the minor unit are shown, never rounded away", () => {
  assert.equal(norm(formatMoney(m("CNY", 1n, 5_000_000), "en-US")), "CNY 1.005");
  assert.equal(norm(formatMoney(m("CNY", 1n, 1), "en-US")), "CNY 1.000000001");
});

test("locale separators and currency placement", () => {
  assert.equal(norm(formatMoney(m("CNY", 1234567n, 890_000_000), "de-DE")), "1.234.567,89 CNY");
  assert.equal(norm(formatMoney(m("HKD", 1234567n, 890_000_000), "zh-HK")), "HKD 1,234,567.89");
  assert.equal(norm(formatMoney(m("CNY", 1234567n, 890_000_000), "fr-FR")), "1 234 567,89 CNY");
  assert.equal(formatMoney(m("CNY", 1234n, 500_000_000), "en-US", { currencyDisplay: "symbol" }), "CN¥1,234.50");
  assert.equal(formatMoney(m("CNY", -1234n, -500_000_000), "en-US", { currencyDisplay: "none" }), "-1,234.50");
  assert.equal(formatMoney(m("CNY", 1234n, 500_000_000), "de-DE", { currencyDisplay: "none" }), "1.234,50");
});

test("a missing amount is zero", () => {
  assert.equal(norm(formatMoney(undefined, "en-US")), "XXX 0.00");
  assert.equal(toNanos(undefined), 0n);
});

test("nano arithmetic keeps units and nanos of one sign", () => {
  assert.equal(toNanos(m("CNY", 12n, 340_000_000)), 12_340_000_000n);
  assert.deepEqual(fromNanos("CNY", -1_500_000_000n), m("CNY", -1n, -500_000_000));
  assert.deepEqual(fromNanos("CNY", -500_000_000n), m("CNY", 0n, -500_000_000));
  assert.deepEqual(addMoney(m("CNY", 1n, 600_000_000), m("CNY", 0n, 600_000_000)), m("CNY", 2n, 200_000_000));
  assert.deepEqual(subMoney(m("CNY", 1n, 0), m("CNY", 1n, 500_000_000)), m("CNY", 0n, -500_000_000));
  assert.deepEqual(subClamped(m("CNY", 1n, 0), m("CNY", 2n, 0)), m("CNY", 0n, 0));
});

test("percentOf is clamped and exact enough for drawing", () => {
  assert.equal(percentOf(m("CNY", 250n), m("CNY", 1000n)), 25);
  assert.equal(percentOf(m("CNY", 1n), m("CNY", 3n)), 33.33);
  assert.equal(percentOf(m("CNY", 5000n), m("CNY", 1000n)), 100);
  assert.equal(percentOf(m("CNY", -5n), m("CNY", 1000n)), 0);
  assert.equal(percentOf(m("CNY", 5n), m("CNY", 0n)), 0);
});
