// One money programme: names, funder, budget bar, counts by state, awards,
// peer review progress and money by applicant region, in the page's
// language, and the CSV downloads of its applications and payments
// (export.ts). Facility programmes have a card of their own
// (facility-card.ts), which shares the counts and reviews drawn here.
import type { Programme } from "../gen/gba/grants/v1/programme_pb";
import type { ProgrammeSummary, RegionTotals } from "../gen/gba/grants/v1/watch_pb";
import { decimalString, percentOf, zero, type MoneyValue } from "../lib/money";
import { formatDate, formatDateTime } from "../lib/dates";
import { formatAmount, formatNumber, names, t, tn, type MsgKey } from "../lib/i18n";
import { REGION_ORDER, regionLabel, STATE_ORDER, stateLabel, stateToken } from "../lib/labels";
import { reviewProgress, reviewSettingsText } from "../lib/reviews";
import { programmeFigures } from "../lib/totals";
import { h } from "./dom";
import { renderExports, type ExportState } from "./export";
import type { ExportKind } from "../lib/csv";

/** An amount that never wraps, with its exact value in `data-value`. */
export function amount(m: MoneyValue, attrs: Record<string, string> = {}, opts: Parameters<typeof formatAmount>[1] = {}): HTMLElement {
  return h("span", { class: "amount", "data-value": decimalString(m), "data-currency": m.currencyCode, ...attrs }, formatAmount(m, opts));
}

/**
 * `exports` gives the state of the card's CSV downloads (applications,
 * payments) in this session; without it the card has no download buttons.
 */
export function renderProgrammeCard(
  p: Programme,
  s: ProgrammeSummary | undefined,
  exports?: (kind: ExportKind) => ExportState | undefined,
): HTMLElement {
  const cur = p.currencyCode;
  const f = programmeFigures(p, s);
  const segments: [string, MsgKey, MoneyValue][] = [
    ["disbursed", "budget.disbursed", f.disbursed],
    ["committed", "budget.committedOpen", f.committedOpen],
    ["remaining", "budget.remaining", f.remaining],
  ];
  const bar = h(
    "div",
    {
      class: "bar",
      role: "img",
      "aria-label": t("budget.aria", {
        parts: segments.map(([, label, m]) => t("budget.ariaPart", { label: t(label), amount: formatAmount(m) })).join(t("list.separator")),
        budget: formatAmount(f.budget),
      }),
    },
    segments.map(([key, , m]) => {
      // Through the CSSOM, which a Content-Security-Policy without
      // 'unsafe-inline' styles still allows (a style attribute it does not).
      const seg = h("span", { class: `seg seg-${key}` });
      seg.style.width = `${percentOf(m, f.budget)}%`;
      return seg;
    }),
  );
  const legend = h(
    "dl",
    { class: "legend" },
    segments.map(([key, label, m]) => [
      h("dt", null, h("span", { class: `swatch seg-${key}` }), t(label)),
      h("dd", { "data-amount": key }, amount(m)),
    ]),
    h("dt", { class: "total" }, t("budget.total")),
    h("dd", { class: "total", "data-amount": "budget" }, amount(f.budget)),
    h("dt", null, t("budget.committed")),
    h("dd", { "data-amount": "committed-total" }, amount(f.committed)),
    h("dt", null, t("budget.requested")),
    h("dd", { "data-amount": "requested" }, amount(f.requested)),
  );

  const name = names(p);
  return h(
    "article",
    { class: "card", "data-programme": p.name, "data-currency": cur },
    h(
      "header",
      null,
      h("h3", { lang: name.primaryLang, "data-name": "primary" }, name.primary),
      name.secondary && h("p", { class: "alt-name", lang: name.secondaryLang, "data-name": "secondary" }, name.secondary),
      h(
        "p",
        { class: "meta" },
        h("span", null, p.funder),
        h("span", { class: "nowrap" }, t("card.currency", { code: cur })),
        (p.openTime || p.closeTime) && h("span", null, t("card.open", { from: formatDate(p.openTime), to: formatDate(p.closeTime) })),
        p.reviewSettings && h("span", { "data-review-settings": "" }, reviewSettingsText(p.reviewSettings)),
      ),
    ),
    bar,
    legend,
    h(
      "div",
      { class: "stats" },
      h("p", { class: "stat" }, countText("count.applications", f.applications, "applications")),
      h("p", { class: "stat" }, countText("count.awards", f.awards, "awards")),
    ),
    stateChips(s),
    renderReviews(s),
    renderRegions(s?.regionTotals ?? [], cur),
    s?.computeTime && h("p", { class: "muted small" }, t("card.asOf", { time: formatDateTime(s.computeTime) })),
    exports && renderExports(name.primary, exports),
  );
}

/**
 * "12 applications" with the number in bold (`data-count`): the plural
 * form is split around `{n}`, so the word order is the language's.
 */
export function countText(key: "count.applications" | "count.awards" | "count.programmes", n: bigint | number, dataCount: string): (string | HTMLElement)[] {
  const marker = "\u0000";
  const [before = "", after = ""] = tn(key, n, { n: marker }).split(marker);
  return [before, h("b", { "data-count": dataCount }, formatNumber(n)), after];
}

/** The number of applications in each state, as chips (or why there are none). */
export function stateChips(s: ProgrammeSummary | undefined): HTMLElement {
  const counts = new Map<number, bigint>();
  for (const c of s?.stateCounts ?? []) counts.set(c.state, c.count);
  const chips = STATE_ORDER.filter((st) => (counts.get(st) ?? 0n) > 0n).map((st) =>
    h(
      "li",
      { class: `chip st st-${stateToken(st)}`, "data-state": stateToken(st) },
      stateLabel(st),
      " ",
      h("b", null, formatNumber(counts.get(st)!)),
    ),
  );
  return chips.length ? h("ul", { class: "chips" }, chips) : h("p", { class: "muted small" }, s ? t("card.noApplications") : t("card.waiting"));
}

/** Completed / required reviews of the applications awaiting a decision. */
export function renderReviews(s: ProgrammeSummary | undefined): HTMLElement | null {
  const r = reviewProgress(s?.reviewsCompleted, s?.reviewsRequired);
  if (!r) return null;
  const seg = h("span", { class: "seg seg-reviews" });
  // Through the CSSOM, as for the budget bar (no inline style attribute).
  seg.style.width = `${r.percent}%`;
  return h(
    "div",
    { class: "reviews" },
    h(
      "p",
      null,
      t("reviews.progress"),
      " ",
      h("b", { "data-count": "reviews-completed" }, formatNumber(r.completed)),
      " / ",
      h("b", { "data-count": "reviews-required" }, formatNumber(r.required)),
      h("span", { class: "muted small" }, " ", t("reviews.awaiting")),
    ),
    h("div", { class: "bar bar-thin", role: "img", "aria-label": r.label }, seg),
  );
}

/**
 * Money and awards by applicant region: a row per figure (`data-row`), a
 * column per region (`data-region`). Narrow screens show each row as a
 * small card (the region names come from `data-label`); the wrapper
 * scrolls sideways should it still not fit.
 */
function renderRegions(totals: RegionTotals[], cur: string): HTMLElement {
  if (!totals.length) return h("p", { class: "muted small regions-empty" }, t("regions.none"));
  const byRegion = new Map(totals.map((x) => [x.region as number, x]));
  const regions = [...REGION_ORDER, ...totals.map((x) => x.region).filter((r) => !REGION_ORDER.includes(r))];
  const money = (m: MoneyValue | undefined) => amount(m && m.currencyCode ? m : { ...(m ?? zero(cur)), currencyCode: cur }, {}, { currencyDisplay: "none" });
  const rows: [string, MsgKey, (x: RegionTotals | undefined) => HTMLElement][] = [
    ["requested", "regions.requested", (x) => money(x?.requested)],
    ["committed", "regions.committed", (x) => money(x?.committed)],
    ["disbursed", "regions.disbursed", (x) => money(x?.disbursed)],
    ["awards", "regions.awards", (x) => h("span", { class: "amount" }, formatNumber(x?.awardCount ?? 0n))],
  ];
  return h(
    "div",
    { class: "regions-wrap" },
    h(
      "table",
      { class: "regions" },
      h("caption", null, t("regions.caption", { currency: cur })),
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
