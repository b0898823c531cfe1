// The figures of one programme (from its live summary, or from the
// programme itself until the summary comes), and the totals across the
// programmes, one set per currency: amounts in different currencies are
// never added together. Facility programmes (facility.ts) are counted with
// the others and totalled per unit. Exact (BigInt nano units, see money.ts).
import { addMoney, subClamped, zero, type MoneyValue } from "./money";
import { totalsByUnit, type FacilityFigures, type UnitTotals } from "./facility";

/** The fields of a Programme used here. */
export interface ProgrammeLike {
  currencyCode: string;
  budget?: MoneyValue;
  committed?: MoneyValue;
}

/** The fields of a ProgrammeSummary used here. */
export interface SummaryLike {
  requested?: MoneyValue;
  committed?: MoneyValue;
  disbursed?: MoneyValue;
  remainingBudget?: MoneyValue;
  stateCounts: readonly { count: bigint }[];
  awardCount: bigint;
}

export interface ProgrammeFigures {
  currency: string;
  budget: MoneyValue;
  /** Awarded and not released (includes what was disbursed). */
  committed: MoneyValue;
  disbursed: MoneyValue;
  /** Committed and not yet disbursed. */
  committedOpen: MoneyValue;
  remaining: MoneyValue;
  requested: MoneyValue;
  applications: bigint;
  awards: bigint;
  /** Whether the figures come from a live summary. */
  live: boolean;
}

/** An amount in `currency`: a missing amount is zero, a missing code is the programme's. */
function inCurrency(m: MoneyValue | undefined, currency: string): MoneyValue {
  if (!m) return zero(currency);
  return m.currencyCode ? m : { ...m, currencyCode: currency };
}

/** The currency of a programme, or of its summary while the programme is not known. */
export function currencyOf(p: ProgrammeLike | undefined, s: SummaryLike | undefined): string {
  return (
    p?.currencyCode ||
    s?.remainingBudget?.currencyCode ||
    s?.committed?.currencyCode ||
    s?.requested?.currencyCode ||
    s?.disbursed?.currencyCode ||
    "XXX"
  );
}

/**
 * A programme's figures. The summary is live: there the budget is
 * committed + remaining. Without one, the programme's budget and committed
 * total are used, and requested and disbursed read zero.
 */
export function programmeFigures(p: ProgrammeLike | undefined, s: SummaryLike | undefined): ProgrammeFigures {
  const currency = currencyOf(p, s);
  const committed = inCurrency(s?.committed ?? p?.committed, currency);
  const disbursed = inCurrency(s?.disbursed, currency);
  const budget = s?.remainingBudget ? addMoney(committed, inCurrency(s.remainingBudget, currency)) : inCurrency(p?.budget, currency);
  const remaining = s?.remainingBudget ? inCurrency(s.remainingBudget, currency) : subClamped(budget, committed);
  return {
    currency,
    budget,
    committed,
    disbursed,
    committedOpen: subClamped(committed, disbursed),
    remaining,
    requested: inCurrency(s?.requested, currency),
    applications: (s?.stateCounts ?? []).reduce((a, c) => a + BigInt(c.count), 0n),
    awards: BigInt(s?.awardCount ?? 0n),
    live: !!s,
  };
}

export interface CurrencyTotals {
  currency: string;
  programmes: number;
  /** How many of them had a live summary. */
  live: number;
  applications: bigint;
  awards: bigint;
  budget: MoneyValue;
  requested: MoneyValue;
  committed: MoneyValue;
  disbursed: MoneyValue;
  remaining: MoneyValue;
}

export interface Totals {
  /** One entry per currency, by currency code. */
  byCurrency: CurrencyTotals[];
  /** One entry per unit of the facility programmes, by unit. */
  byUnit: UnitTotals[];
  programmes: number;
  applications: bigint;
  awards: bigint;
}

/**
 * Totals per currency, and per unit for the facility programmes. Counts
 * (programmes, applications, awards) may be added across currencies and
 * units; money and resources never are.
 */
export function totalsByCurrency(figures: readonly ProgrammeFigures[], facilities: readonly FacilityFigures[] = []): Totals {
  const map = new Map<string, CurrencyTotals>();
  for (const f of figures) {
    let c = map.get(f.currency);
    if (!c) {
      const z = zero(f.currency);
      c = { currency: f.currency, programmes: 0, live: 0, applications: 0n, awards: 0n, budget: z, requested: z, committed: z, disbursed: z, remaining: z };
      map.set(f.currency, c);
    }
    c.programmes++;
    if (f.live) c.live++;
    c.applications += f.applications;
    c.awards += f.awards;
    c.budget = addMoney(c.budget, f.budget);
    c.requested = addMoney(c.requested, f.requested);
    c.committed = addMoney(c.committed, f.committed);
    c.disbursed = addMoney(c.disbursed, f.disbursed);
    c.remaining = addMoney(c.remaining, f.remaining);
  }
  const byCurrency = [...map.values()].sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
  const byUnit = totalsByUnit(facilities);
  return {
    byCurrency,
    byUnit,
    programmes: figures.length + facilities.length,
    applications: [...byCurrency, ...byUnit].reduce((a, c) => a + c.applications, 0n),
    awards: [...byCurrency, ...byUnit].reduce((a, c) => a + c.awards, 0n),
  };
}
