// Exact money arithmetic and formatting for `gba.grants.v1.Money`
// ({currency_code, units (int64), nanos (int32)}). Amounts are handled as
// BigInt nano units and never pass through a float.

import { MINOR_DIGITS } from "../gen/currencies";

export interface MoneyValue {
  currencyCode: string;
  units: bigint;
  nanos: number;
}

export const NANOS_PER_UNIT = 1_000_000_000n;

/** The amount in nano units (10^-9), exactly. A missing amount is zero. */
export function toNanos(m: MoneyValue | undefined | null): bigint {
  if (!m) return 0n;
  return BigInt(m.units) * NANOS_PER_UNIT + BigInt(m.nanos);
}

/** Builds a Money value from nano units: units and nanos share the sign. */
export function fromNanos(currencyCode: string, nanos: bigint): MoneyValue {
  // BigInt division truncates toward zero, so both parts keep the sign.
  return {
    currencyCode,
    units: nanos / NANOS_PER_UNIT,
    nanos: Number(nanos % NANOS_PER_UNIT),
  };
}

export function zero(currencyCode: string): MoneyValue {
  return { currencyCode, units: 0n, nanos: 0 };
}

export function addMoney(a: MoneyValue, b: MoneyValue | undefined | null): MoneyValue {
  return fromNanos(a.currencyCode, toNanos(a) + toNanos(b));
}

export function subMoney(a: MoneyValue, b: MoneyValue | undefined | null): MoneyValue {
  return fromNanos(a.currencyCode, toNanos(a) - toNanos(b));
}

/** max(0, a - b). */
export function subClamped(a: MoneyValue, b: MoneyValue | undefined | null): MoneyValue {
  const d = toNanos(a) - toNanos(b);
  return fromNanos(a.currencyCode, d < 0n ? 0n : d);
}

/**
 * `part / whole` as a percentage in 0..=100, to 0.01 %, for drawing only
 * (bar widths). Zero when `whole` is not positive.
 */
export function percentOf(part: MoneyValue | undefined | null, whole: MoneyValue | undefined | null): number {
  const w = toNanos(whole);
  if (w <= 0n) return 0;
  let p = toNanos(part);
  if (p < 0n) p = 0n;
  if (p > w) p = w;
  return Number((p * 10_000n) / w) / 100;
}

/**
 * Minor-unit digits of an ISO 4217 currency (CNY, HKD, MOP: 2; JPY: 0),
 * from the table the server reads too (proto/iso4217.txt); 2 for a code
 * it does not list.
 */
export function currencyDigits(code: string): number {
  return MINOR_DIGITS[code] ?? 2;
}

export interface FormatOptions {
  /**
   * `code` (CNY 1,234.50, the default), `symbol` (CN¥1,234.50), `name`,
   * `narrowSymbol`, or `none` (1,234.50: the number alone).
   */
  currencyDisplay?: "code" | "symbol" | "narrowSymbol" | "name" | "none";
  /** Minimum fraction digits; default the currency's minor digits. */
  minimumFractionDigits?: number;
}

interface Formatters {
  template: Intl.NumberFormatPart[];
  negTemplate: Intl.NumberFormatPart[];
  integer: Intl.NumberFormat;
  decimal: string;
  digits: string[];
}

const formatterCache = new Map<string, Formatters>();

function formatters(locale: string | undefined, code: string, display: string): Formatters {
  const key = `${locale ?? ""}|${code}|${display}`;
  let f = formatterCache.get(key);
  if (f) return f;
  let currencyStyle: Intl.NumberFormatOptions;
  let prefixCode = false;
  try {
    if (display === "none") throw new Error("the number alone");
    new Intl.NumberFormat(locale, { style: "currency", currency: code });
    currencyStyle = { style: "currency", currency: code, currencyDisplay: display as Intl.NumberFormatOptions["currencyDisplay"] };
  } catch {
    // Not a currency Intl knows: a plain number, the code put in front.
    currencyStyle = { style: "decimal" };
    prefixCode = display !== "none";
  }
  const whole = new Intl.NumberFormat(locale, { ...currencyStyle, minimumFractionDigits: 0, maximumFractionDigits: 0 });
  const withFraction = new Intl.NumberFormat(locale, { ...currencyStyle, minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const plain = new Intl.NumberFormat(locale, { useGrouping: false });
  let template = whole.formatToParts(1);
  let negTemplate = whole.formatToParts(-1);
  if (prefixCode) {
    const prefix: Intl.NumberFormatPart[] = [{ type: "currency", value: code }, { type: "literal", value: "\u00a0" }];
    template = [...prefix, ...template];
    negTemplate = [...prefix, ...negTemplate];
  }
  f = {
    template,
    negTemplate,
    integer: new Intl.NumberFormat(locale, { useGrouping: true, maximumFractionDigits: 0 }),
    decimal: withFraction.formatToParts(1.5).find((p) => p.type === "decimal")?.value ?? ".",
    digits: Array.from({ length: 10 }, (_, i) => plain.format(i)),
  };
  formatterCache.set(key, f);
  return f;
}

/**
 * Formats an amount exactly, for `locale` (default: the reader's), with
 * thousands separators and the currency's minor digits; more digits are
 * shown only when the amount has them (never rounded away).
 */
export function formatMoney(m: MoneyValue | undefined | null, locale?: string, opts: FormatOptions = {}): string {
  const code = m?.currencyCode || "XXX";
  const total = toNanos(m);
  const negative = total < 0n;
  const abs = negative ? -total : total;
  const intPart = abs / NANOS_PER_UNIT;
  const frac = (abs % NANOS_PER_UNIT).toString().padStart(9, "0");
  const minDigits = Math.min(9, opts.minimumFractionDigits ?? currencyDigits(code));
  const fraction = frac.slice(0, minDigits) + frac.slice(minDigits).replace(/0+$/, "");
  const f = formatters(locale, code, opts.currencyDisplay ?? "code");
  const intText = f.integer
    .formatToParts(intPart)
    .filter((p) => p.type === "integer" || p.type === "group")
    .map((p) => p.value)
    .join("");
  const fracText = fraction.replace(/[0-9]/g, (d) => f.digits[Number(d)]!);
  const number = fraction ? intText + f.decimal + fracText : intText;
  return (negative ? f.negTemplate : f.template).map((p) => (p.type === "integer" ? number : p.value)).join("");
}

/**
 * The amount as an exact decimal string with at least the currency's minor
 * digits and no grouping ("1234567.89", "-0.50", "1.005"), for data
 * attributes and tests: what Intl.NumberFormat would format exactly.
 */
export function decimalString(m: MoneyValue | undefined | null): string {
  const total = toNanos(m);
  const abs = total < 0n ? -total : total;
  const frac = (abs % NANOS_PER_UNIT).toString().padStart(9, "0");
  const minDigits = currencyDigits(m?.currencyCode || "XXX");
  const fraction = frac.slice(0, minDigits) + frac.slice(minDigits).replace(/0+$/, "");
  return `${total < 0n ? "-" : ""}${abs / NANOS_PER_UNIT}${fraction ? "." + fraction : ""}`;
}
