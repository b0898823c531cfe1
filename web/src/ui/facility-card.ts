// One facility-access programme (it awards beam time or core-hours, not
// money): names, funder and unit; the facility's English and Chinese names
// and the resource; a capacity bar (used, allocated but not yet used, free)
// with its exact amounts in words and in its aria-label; the counts by
// state, awards and peer review as on a money card (programme-card.ts); the
// resource and awards by applicant region, with the share of the awards that
// went to Hong Kong and Macao; and the CSV download of its applications.
import type { Programme } from "../gen/gba/grants/v1/programme_pb";
import type { ProgrammeSummary, RegionTotals } from "../gen/gba/grants/v1/watch_pb";
import {
  capacitySegments,
  crossBorderKey,
  crossBorderPercent,
  crossBorderShare,
  crossBorderText,
  facilityFigures,
  type FacilityFigures,
  type SegmentKey,
} from "../lib/facility";
import { formatDate, formatDateTime } from "../lib/dates";
import { formatNumber, formatQuantity, names, t, tParts, type MsgKey } from "../lib/i18n";
import { REGION_ORDER, regionLabel } from "../lib/labels";
import { resource, resourceDecimal, unitName, type ResourceFormatOptions, type ResourceValue } from "../lib/resources";
import { reviewSettingsText } from "../lib/reviews";
import type { ExportKind } from "../lib/csv";
import { fillParts, h } from "./dom";
import { renderExports, type ExportState } from "./export";
import { amount, countText, renderReviews, stateChips } from "./programme-card";
import type { MoneyValue } from "../lib/money";

/** An amount of a resource that never wraps, with its exact decimal in `data-value` and its unit in `data-unit`. */
export function quantity(r: ResourceValue, attrs: Record<string, string> = {}, opts: ResourceFormatOptions = {}): HTMLElement {
  return h("span", { class: "amount", "data-value": resourceDecimal(r), "data-unit": r.unit, ...attrs }, formatQuantity(r, opts));
}

/**
 * Money when it is set, else the resource amount (facility programmes leave
 * the money of their applications unset); null when neither is.
 */
export function amountOrQuantity(m: MoneyValue | undefined, r: ResourceValue | undefined): HTMLElement | null {
  if (m) return amount(m);
  return r ? quantity(r) : null;
}

const SEGMENT_LABEL: Record<SegmentKey, MsgKey> = {
  used: "capacity.used",
  allocated: "capacity.allocatedOpen",
  free: "capacity.free",
};

/**
 * "Capacity: allocated 1,240.5 of 1,500 beam-h, used 980", the amounts as
 * elements (the unit once, after the capacity).
 */
function capacityLine(f: FacilityFigures): HTMLElement {
  const plain = { unit: false };
  const slots: Record<string, HTMLElement> = {
    allocated: quantity(f.allocated, { "data-figure": "allocated" }, plain),
    capacity: quantity(f.capacity, { "data-figure": "capacity" }),
    used: quantity(f.used, { "data-figure": "used" }, plain),
  };
  return h(
    "p",
    { class: "capacity-line", "data-capacity-line": "" },
    fillParts(tParts("capacity.line", {}, Object.keys(slots)), (slot) => slots[slot]),
  );
}

/** The capacity bar: three segments, named with their amounts in the aria-label (colour is not the only cue). */
function capacityBar(f: FacilityFigures): HTMLElement {
  const label = t("capacity.aria", {
    allocated: formatQuantity(f.allocated, { unit: false }),
    capacity: formatQuantity(f.capacity),
    used: formatQuantity(f.used, { unit: false }),
    free: formatQuantity(f.free),
  });
  return h(
    "div",
    { class: "bar bar-capacity", role: "img", "aria-label": label, "data-consistent": String(f.consistent) },
    capacitySegments(f).map((s) => {
      const seg = h("span", { class: `seg seg-${s.key}`, "data-segment": s.key, "data-basis-points": String(s.basisPoints) });
      // Through the CSSOM, as for the budget bar (no inline style attribute).
      seg.style.width = s.width;
      return seg;
    }),
  );
}

function legend(f: FacilityFigures): HTMLElement {
  const parts: [SegmentKey, string, ResourceValue][] = [
    ["used", "used", f.used],
    ["allocated", "allocated-open", f.allocatedOpen],
    ["free", "free", f.free],
  ];
  return h(
    "dl",
    { class: "legend" },
    parts.map(([key, dataKey, r]) => [
      h("dt", null, h("span", { class: `swatch seg-${key}` }), t(SEGMENT_LABEL[key])),
      h("dd", { "data-amount": dataKey }, quantity(r)),
    ]),
    h("dt", { class: "total" }, t("capacity.total")),
    h("dd", { class: "total", "data-amount": "capacity" }, quantity(f.capacity)),
    h("dt", null, t("capacity.allocated")),
    h("dd", { "data-amount": "allocated" }, quantity(f.allocated)),
    h("dt", null, t("capacity.requested")),
    h("dd", { "data-amount": "requested" }, quantity(f.requested)),
  );
}

/** The facility's names (the page language's first) and the resource. */
function facilityFacts(p: Programme): HTMLElement | null {
  const fac = p.facility;
  if (!fac) return null;
  const n = names({ displayName: fac.facility, localName: fac.localName });
  return h(
    "dl",
    { class: "facility-facts" },
    h("dt", null, t("facility.facility")),
    h(
      "dd",
      { "data-field": "facility" },
      h("span", { lang: n.primaryLang, "data-name": "primary" }, n.primary),
      n.secondary && [" ", h("span", { class: "alt-name", lang: n.secondaryLang, "data-name": "secondary" }, n.secondary)],
    ),
    h("dt", null, t("facility.resource")),
    h("dd", { "data-field": "resource" }, fac.resource),
    fac.maxRequest && [
      h("dd", { class: "muted small", "data-field": "max-request" }, fillParts(tParts("facility.maxRequest", {}, ["amount"]), () => quantity(fac.maxRequest!))),
    ],
  );
}

/**
 * The resource by applicant region: requested, allocated and used in the
 * programme's unit, and awards; a row per figure (`data-row`), a column per
 * region (`data-region`), drawn as the money card's table is.
 */
function renderRegions(totals: RegionTotals[], unit: string): HTMLElement {
  if (!totals.length) return h("p", { class: "muted small regions-empty" }, t("regions.none"));
  const byRegion = new Map(totals.map((x) => [x.region as number, x]));
  const regions = [...REGION_ORDER, ...totals.map((x) => x.region).filter((r) => !REGION_ORDER.includes(r))];
  const amount = (r: ResourceValue | undefined) => quantity(r && r.unit ? r : { ...(r ?? resource(unit, 0n)), unit }, {}, { unit: false });
  const rows: [string, MsgKey, (x: RegionTotals | undefined) => HTMLElement][] = [
    ["requested", "regions.requestedResource", (x) => amount(x?.requestedResource)],
    ["allocated", "regions.allocated", (x) => amount(x?.allocated)],
    ["used", "regions.used", (x) => amount(x?.used)],
    ["awards", "regions.awards", (x) => h("span", { class: "amount" }, formatNumber(x?.awardCount ?? 0n))],
  ];
  return h(
    "div",
    { class: "regions-wrap" },
    h(
      "table",
      { class: "regions", "data-unit": unit },
      h("caption", null, t("regions.captionUnit", { unit })),
      h("thead", null, h("tr", null, h("td"), regions.map((r) => h("th", { scope: "col", "data-region": String(r) }, regionLabel(r))))),
      h(
        "tbody",
        null,
        rows.map(([key, label, cell]) =>
          h(
            "tr",
            { "data-row": key },
            h("th", { scope: "row" }, t(label)),
            regions.map((r) => h("td", { "data-region": String(r), "data-label": regionLabel(r) }, cell(byRegion.get(r)))),
          ),
        ),
      ),
    ),
  );
}

/**
 * Under the region table, one line: the share of the programme's awards
 * that went to Hong Kong and Macao applicants, "Hong Kong and Macao: 32 of
 * 256 projects (12.5 %)" (`data-cross-border`, the counts in
 * `data-cross-border-awards` and `data-awards`, the share in tenths of a
 * percent in `data-permille`). Nothing while the server reports no region
 * totals or the programme has no awards.
 */
function renderCrossBorder(s: ProgrammeSummary | undefined): HTMLElement | null {
  const share = crossBorderShare(s?.regionTotals ?? [], s?.awardCount ?? 0n);
  if (!share || share.permille === null) return null;
  const slots: Record<string, HTMLElement> = {
    count: h("span", { class: "amount", "data-share": "cross-border" }, formatNumber(share.crossBorder)),
    n: h("span", { class: "amount", "data-share": "awards" }, formatNumber(share.awards)),
    percent: h("span", { class: "amount", "data-share": "percent" }, crossBorderPercent(share)),
  };
  return h(
    "p",
    {
      class: "cross-border small",
      "data-cross-border": "",
      "data-cross-border-awards": String(share.crossBorder),
      "data-awards": String(share.awards),
      "data-permille": String(share.permille),
      title: crossBorderText(share),
    },
    fillParts(tParts(crossBorderKey(share), {}, Object.keys(slots)), (slot) => slots[slot]),
  );
}

const FACILITY_EXPORTS: readonly ExportKind[] = ["applications"];

/**
 * A facility programme's card. `exports` gives the state of its CSV
 * download in this session; without it the card has no download button.
 */
export function renderFacilityCard(
  p: Programme,
  s: ProgrammeSummary | undefined,
  exports?: (kind: ExportKind) => ExportState | undefined,
): HTMLElement {
  const f = facilityFigures(p.facility, s);
  const name = names(p);
  return h(
    "article",
    { class: "card card-facility", "data-programme": p.name, "data-unit": f.unit },
    h(
      "header",
      null,
      h("h3", { lang: name.primaryLang, "data-name": "primary" }, name.primary),
      name.secondary && h("p", { class: "alt-name", lang: name.secondaryLang, "data-name": "secondary" }, name.secondary),
      h(
        "p",
        { class: "meta" },
        h("span", null, p.funder),
        h("span", { class: "nowrap", title: unitName(f.unit) }, t("card.unit", { unit: f.unit })),
        (p.openTime || p.closeTime) && h("span", null, t("card.open", { from: formatDate(p.openTime), to: formatDate(p.closeTime) })),
        p.reviewSettings && h("span", { "data-review-settings": "" }, reviewSettingsText(p.reviewSettings)),
      ),
    ),
    facilityFacts(p),
    capacityLine(f),
    capacityBar(f),
    legend(f),
    h(
      "div",
      { class: "stats" },
      h("p", { class: "stat" }, countText("count.applications", f.applications, "applications")),
      h("p", { class: "stat" }, countText("count.awards", f.awards, "awards")),
    ),
    stateChips(s),
    renderReviews(s),
    renderRegions(s?.regionTotals ?? [], f.unit),
    renderCrossBorder(s),
    s?.computeTime && h("p", { class: "muted small" }, t("card.asOf", { time: formatDateTime(s.computeTime) })),
    exports && renderExports(name.primary, exports, FACILITY_EXPORTS),
  );
}
