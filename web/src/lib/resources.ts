// Exact amounts of facility resources (`gba.grants.v1.ResourceAmount`:
// {unit, steps (int64), value}): beam hours in 0.5-hour steps, whole
// core-hours. An amount is a count of its unit's smallest steps, handled as
// BigInt and never passed through a float; its decimal comes from the steps
// and the unit table (src/gen/units.ts, from proto/resource-units.txt).
// Pure: no DOM (unit-tested).
import { UNITS } from "../gen/units";

export interface ResourceValue {
  /** The unit's symbol, e.g. `beam-h`. */
  unit: string;
  /** How many of the unit's smallest steps. */
  steps: bigint;
  /** The server's exact decimal in whole units (output only); used only for a unit not in the table. */
  value?: string;
}

/** The unit's row of the table, or undefined for a unit the page does not know. */
function unitRow(unit: string): { readonly stepsPerUnit: number; readonly name: string } | undefined {
  return Object.prototype.hasOwnProperty.call(UNITS, unit) ? UNITS[unit] : undefined;
}

/** Smallest steps in one unit (2 for `beam-h`); undefined for an unknown unit. */
export function stepsPerUnit(unit: string): number | undefined {
  return unitRow(unit)?.stepsPerUnit;
}

/** The unit's name from the table ("beam hours"); the symbol itself for a unit it does not list. */
export function unitName(unit: string): string {
  return unitRow(unit)?.name || unit;
}

/** The steps of an amount (a missing amount is zero). */
export function stepsOf(r: ResourceValue | undefined | null): bigint {
  return r ? BigInt(r.steps) : 0n;
}

/** An amount of `steps` in `unit`. */
export function resource(unit: string, steps: bigint): ResourceValue {
  return { unit, steps };
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * The amount in whole units as an exact decimal, as the server writes
 * `value`: 193 half-hour steps are "96.5", -3 are "-1.5", 250000 core-hours
 * "250000". Steps per unit divide 1000, so a fraction has at most three
 * digits (thousandths). For a unit the table does not list, the server's
 * `value` when it is a decimal, else the steps as whole units.
 */
export function resourceDecimal(r: ResourceValue | undefined | null): string {
  if (!r) return "0";
  const per = stepsPerUnit(r.unit);
  if (per === undefined) return r.value && DECIMAL.test(r.value) ? r.value : String(BigInt(r.steps));
  return stepsDecimal(BigInt(r.steps), per);
}

/** `steps` of a unit with `per` steps per unit, as an exact decimal (per divides 1000). */
export function stepsDecimal(steps: bigint, per: number): string {
  const p = BigInt(Math.max(1, per));
  const negative = steps < 0n;
  const abs = negative ? -steps : steps;
  const whole = abs / p;
  const rest = abs % p;
  const sign = negative ? "-" : "";
  if (rest === 0n) return `${sign}${whole}`;
  const thousandths = rest * (1000n / p);
  return `${sign}${whole}.${thousandths.toString().padStart(3, "0").replace(/0+$/, "")}`;
}

interface Formatters {
  integer: Intl.NumberFormat;
  decimal: string;
  minus: Intl.NumberFormatPart[];
  digits: string[];
}

const cache = new Map<string, Formatters>();

function formatters(locale: string | undefined): Formatters {
  const key = locale ?? "";
  let f = cache.get(key);
  if (f) return f;
  const integer = new Intl.NumberFormat(locale, { useGrouping: true, maximumFractionDigits: 0 });
  const plain = new Intl.NumberFormat(locale, { useGrouping: false });
  f = {
    integer,
    decimal: new Intl.NumberFormat(locale, { minimumFractionDigits: 1 }).formatToParts(1.5).find((p) => p.type === "decimal")?.value ?? ".",
    // The locale's sign and where it goes, around the number.
    minus: integer.formatToParts(-1),
    digits: Array.from({ length: 10 }, (_, i) => plain.format(i)),
  };
  cache.set(key, f);
  return f;
}

export interface ResourceFormatOptions {
  /** Whether to put the unit's symbol after the number (the default). */
  unit?: boolean;
}

/**
 * Formats an amount exactly for `locale`, with the locale's thousands
 * separators and decimal sign, then the unit's symbol: "1,240.5 beam-h",
 * "250,000 core-h", "-1.5 beam-h". Only the digits the amount has are
 * shown (0.5 steps: one decimal; whole units: none). A unit the table does
 * not list is shown by its symbol, with the server's decimal.
 */
export function formatResource(r: ResourceValue | undefined | null, locale?: string, opts: ResourceFormatOptions = {}): string {
  const decimal = resourceDecimal(r);
  const negative = decimal.startsWith("-");
  const [intDigits = "0", fraction = ""] = (negative ? decimal.slice(1) : decimal).split(".");
  const f = formatters(locale);
  const intText = f.integer
    .formatToParts(BigInt(intDigits))
    .filter((p) => p.type === "integer" || p.type === "group")
    .map((p) => p.value)
    .join("");
  const fracText = fraction.replace(/[0-9]/g, (d) => f.digits[Number(d)]!);
  const number = fraction ? intText + f.decimal + fracText : intText;
  const signed = negative ? f.minus.map((p) => (p.type === "integer" ? number : p.value)).join("") : number;
  const unit = r?.unit ?? "";
  return opts.unit === false || !unit ? signed : `${signed} ${unit}`;
}
