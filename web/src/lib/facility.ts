// The figures of a facility-access programme (one that awards beam time or
// core-hours instead of money), from its live summary or from the programme
// until the summary comes; the three segments of its capacity bar (used,
// allocated but not yet used, free); and totals per unit (amounts in
// different units are never added together); and the share of its awards
// that went to Hong Kong and Macao applicants. Exact: BigInt steps, see
// resources.ts. Pure (unit-tested).
import { Region } from "../gen/gba/grants/v1/common_pb";
import { formatTenths, pluralForm, t, type MsgKey } from "./i18n";
import { resource, stepsOf, type ResourceValue } from "./resources";

/**
 * The fields of a Programme's `facility` used here. Its usage is taken
 * from the summary only, which always has it.
 */
export interface FacilityLike {
  unit: string;
  capacity?: ResourceValue;
  allocated?: ResourceValue;
}

/** The fields of a ProgrammeSummary used here (its resource twins). */
export interface FacilitySummaryLike {
  requestedResource?: ResourceValue;
  allocated?: ResourceValue;
  used?: ResourceValue;
  free?: ResourceValue;
  capacity?: ResourceValue;
  stateCounts: readonly { count: bigint }[];
  awardCount: bigint;
}

export interface FacilityFigures {
  unit: string;
  capacity: ResourceValue;
  /** Allocated by approvals and not released (includes what was used). */
  allocated: ResourceValue;
  used: ResourceValue;
  /** Allocated and not yet used. */
  allocatedOpen: ResourceValue;
  /** Capacity not allocated. */
  free: ResourceValue;
  requested: ResourceValue;
  applications: bigint;
  awards: bigint;
  /** Whether the figures come from a live summary. */
  live: boolean;
  /** Whether 0 ≤ used ≤ allocated ≤ capacity holds, as the server keeps it. */
  consistent: boolean;
}

/** Whether a programme (or, while it is not known, its summary) is a facility programme. */
export function isFacility(p: { facility?: unknown } | undefined, s?: FacilitySummaryLike & { remainingBudget?: unknown }): boolean {
  if (p) return !!p.facility;
  return !!s && !s.remainingBudget && !!(s.capacity || s.free || s.allocated);
}

/** The unit of a facility programme, or of its summary while the programme is not known. */
export function unitOf(f: FacilityLike | undefined, s: FacilitySummaryLike | undefined): string {
  return f?.unit || s?.capacity?.unit || s?.free?.unit || s?.allocated?.unit || s?.used?.unit || s?.requestedResource?.unit || "";
}

/** An amount in `unit`: a missing amount is zero, a missing unit the programme's. */
function inUnit(r: ResourceValue | undefined, unit: string): ResourceValue {
  if (!r) return resource(unit, 0n);
  return r.unit ? r : { ...r, unit };
}

const max0 = (n: bigint) => (n < 0n ? 0n : n);

/**
 * A facility programme's figures. The live summary has them all; without
 * one, the programme's capacity and allocation, free being capacity less
 * allocated, and requested and used zero.
 */
export function facilityFigures(f: FacilityLike | undefined, s: FacilitySummaryLike | undefined): FacilityFigures {
  const unit = unitOf(f, s);
  const capacity = inUnit(s?.capacity ?? f?.capacity, unit);
  const allocated = inUnit(s?.allocated ?? f?.allocated, unit);
  const used = inUnit(s?.used, unit);
  const free = s?.free ? inUnit(s.free, unit) : resource(unit, max0(stepsOf(capacity) - stepsOf(allocated)));
  const [c, a, u] = [stepsOf(capacity), stepsOf(allocated), stepsOf(used)];
  return {
    unit,
    capacity,
    allocated,
    used,
    allocatedOpen: resource(unit, max0(a - u)),
    free,
    requested: inUnit(s?.requestedResource, unit),
    applications: (s?.stateCounts ?? []).reduce((n, x) => n + BigInt(x.count), 0n),
    awards: BigInt(s?.awardCount ?? 0n),
    live: !!s,
    consistent: 0n <= u && u <= a && a <= c,
  };
}

export type SegmentKey = "used" | "allocated" | "free";

export interface CapacitySegment {
  key: SegmentKey;
  /** The exact amount the segment stands for (its label). */
  amount: ResourceValue;
  /** Its share of the bar in hundredths of a percent, by integer division. */
  basisPoints: bigint;
  /** Its CSS width ("82.70%"), from the basis points: no float on the way. */
  width: string;
}

/** Hundredths of a percent as a CSS percentage: 8270n is "82.70%". */
export function percentText(basisPoints: bigint): string {
  return `${basisPoints / 100n}.${(basisPoints % 100n).toString().padStart(2, "0")}%`;
}

/**
 * The capacity bar: used, allocated but not yet used, and free, in that
 * order, labelled with the exact amounts of the figures. The widths come
 * from the steps by integer division at the segments' edges, so the three
 * always add up to exactly 100 % (or 0 with no capacity) and never
 * overlap. For drawing only, used is taken as at most allocated and the
 * bar as at least as long as the allocation, should the figures ever break
 * used ≤ allocated ≤ capacity.
 */
export function capacitySegments(fig: FacilityFigures): CapacitySegment[] {
  const allocated = max0(stepsOf(fig.allocated));
  let used = max0(stepsOf(fig.used));
  if (used > allocated) used = allocated;
  const capacity = stepsOf(fig.capacity);
  const whole = capacity > allocated ? capacity : allocated;
  const edge = (n: bigint) => (whole > 0n ? (n * 10_000n) / whole : 0n);
  const [e1, e2, e3] = [edge(used), edge(allocated), whole > 0n ? 10_000n : 0n];
  const seg = (key: SegmentKey, amount: ResourceValue, bp: bigint): CapacitySegment => ({ key, amount, basisPoints: bp, width: percentText(bp) });
  return [seg("used", fig.used, e1), seg("allocated", fig.allocatedOpen, e2 - e1), seg("free", fig.free, e3 - e2)];
}

export interface UnitTotals {
  unit: string;
  programmes: number;
  /** How many of them had a live summary. */
  live: number;
  applications: bigint;
  awards: bigint;
  capacity: ResourceValue;
  requested: ResourceValue;
  allocated: ResourceValue;
  used: ResourceValue;
  free: ResourceValue;
}

/** Totals per unit, sorted by unit: beam hours are never added to core-hours. */
export function totalsByUnit(figures: readonly FacilityFigures[]): UnitTotals[] {
  const map = new Map<string, UnitTotals>();
  const add = (a: ResourceValue, b: ResourceValue) => resource(a.unit, stepsOf(a) + stepsOf(b));
  for (const f of figures) {
    let t = map.get(f.unit);
    if (!t) {
      const z = resource(f.unit, 0n);
      t = { unit: f.unit, programmes: 0, live: 0, applications: 0n, awards: 0n, capacity: z, requested: z, allocated: z, used: z, free: z };
      map.set(f.unit, t);
    }
    t.programmes++;
    if (f.live) t.live++;
    t.applications += f.applications;
    t.awards += f.awards;
    t.capacity = add(t.capacity, f.capacity);
    t.requested = add(t.requested, f.requested);
    t.allocated = add(t.allocated, f.allocated);
    t.used = add(t.used, f.used);
    t.free = add(t.free, f.free);
  }
  return [...map.values()].sort((a, b) => (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0));
}

/** The fields of a RegionTotals used for the cross-border figure. */
export interface RegionAwardsLike {
  region: number;
  awardCount: bigint;
}

/** Hong Kong and Macao (gba.grants.v1.Region), the regions across the border from Guangdong. */
export const CROSS_BORDER_REGIONS: readonly number[] = [Region.HONG_KONG, Region.MACAO];

/**
 * The share of a programme's awards that went to Hong Kong and Macao
 * applicants: "Hong Kong and Macao: 32 of 256 projects (12.5 %)".
 */
export interface CrossBorderShare {
  /** Awards to Hong Kong and Macao applicants: the two regions' award counts summed. */
  crossBorder: bigint;
  /** The programme's awards (at least the regions' awards summed). */
  awards: bigint;
  /**
   * The share in tenths of a percent, by integer division (rounded down,
   * so the figure never overstates it): 32 of 256 is 125n (12.5 %).
   * Null when there are no awards.
   */
  permille: bigint | null;
}

/**
 * The cross-border figure from the summary's region totals and its award
 * count. Null while the server reports no region totals (the card says so
 * in its region table). The programme's awards are the summary's
 * `award_count`; should the regions' award counts add up to more, their
 * sum is taken, so that the share never exceeds 100 %.
 */
export function crossBorderShare(regionTotals: readonly RegionAwardsLike[], awardCount: bigint): CrossBorderShare | null {
  if (!regionTotals.length) return null;
  let crossBorder = 0n;
  let byRegion = 0n;
  for (const r of regionTotals) {
    const n = max0(BigInt(r.awardCount ?? 0n));
    byRegion += n;
    if (CROSS_BORDER_REGIONS.includes(r.region)) crossBorder += n;
  }
  const total = max0(BigInt(awardCount ?? 0n));
  const awards = total > byRegion ? total : byRegion;
  return { crossBorder, awards, permille: awards > 0n ? (crossBorder * 1000n) / awards : null };
}

/** The figure's message key for its number of awards (`regions.crossBorder.one` / `.other`). */
export function crossBorderKey(share: CrossBorderShare): MsgKey {
  return pluralForm("regions.crossBorder", share.awards);
}

/** The share as a percentage with one decimal, in the current language: "12.5 %" ("12.5%" in Chinese); "" with no awards. */
export function crossBorderPercent(share: CrossBorderShare): string {
  return share.permille === null ? "" : t("regions.percent", { value: formatTenths(share.permille) });
}

/** The figure in words, in the current language: "Hong Kong and Macao: 32 of 256 projects (12.5 %)". */
export function crossBorderText(share: CrossBorderShare): string {
  return t(crossBorderKey(share), { count: share.crossBorder, n: share.awards, percent: crossBorderPercent(share) });
}
