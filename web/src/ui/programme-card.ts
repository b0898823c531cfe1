// One programme: names, funder, budget bar, counts by state, awards, peer
// review progress and money by applicant region.
import type { Programme } from "../gen/gba/grants/v1/programme_pb";
import type { ProgrammeSummary, RegionTotals } from "../gen/gba/grants/v1/watch_pb";
import { addMoney, formatMoney, percentOf, subClamped, zero, type MoneyValue } from "../lib/money";
import { formatDate, formatDateTime } from "../lib/dates";
import { REGION_ORDER, regionLabel, STATE_ORDER, stateLabel, stateToken } from "../lib/labels";
import { reviewProgress, reviewSettingsText } from "../lib/reviews";
import { h } from "./dom";

function money(m: MoneyValue | undefined, currency: string): MoneyValue {
  return m && m.currencyCode ? m : { ...(m ?? zero(currency)), currencyCode: currency };
}

export function renderProgrammeCard(p: Programme, s: ProgrammeSummary | undefined): HTMLElement {
  const cur = p.currencyCode;
  const committed = money(s?.committed ?? p.committed, cur);
  const disbursed = money(s?.disbursed, cur);
  // The summary is live; the budget is committed + remaining there.
  const budget = s?.remainingBudget ? addMoney(committed, money(s.remainingBudget, cur)) : money(p.budget, cur);
  const remaining = s?.remainingBudget ? money(s.remainingBudget, cur) : subClamped(budget, committed);
  const committedOpen = subClamped(committed, disbursed);
  const segments: [string, string, MoneyValue][] = [
    ["disbursed", "Disbursed", disbursed],
    ["committed", "Committed, not yet disbursed", committedOpen],
    ["remaining", "Remaining", remaining],
  ];
  const bar = h(
    "div",
    {
      class: "bar",
      role: "img",
      "aria-label": segments.map(([, label, m]) => `${label} ${formatMoney(m)}`).join(", ") + ` of ${formatMoney(budget)}`,
    },
    segments.map(([key, , m]) => {
      // Through the CSSOM, which a Content-Security-Policy without
      // 'unsafe-inline' styles still allows (a style attribute it does not).
      const seg = h("span", { class: `seg seg-${key}` });
      seg.style.width = `${percentOf(m, budget)}%`;
      return seg;
    }),
  );
  const legend = h(
    "dl",
    { class: "legend" },
    segments.map(([key, label, m]) => [
      h("dt", null, h("span", { class: `swatch seg-${key}` }), label),
      h("dd", { "data-amount": key }, formatMoney(m)),
    ]),
    h("dt", { class: "total" }, "Budget"),
    h("dd", { class: "total", "data-amount": "budget" }, formatMoney(budget)),
    h("dt", null, "Committed (awarded)"),
    h("dd", { "data-amount": "committed-total" }, formatMoney(committed)),
    h("dt", null, "Requested (submitted)"),
    h("dd", { "data-amount": "requested" }, formatMoney(money(s?.requested, cur))),
  );

  const counts = new Map<number, bigint>();
  for (const c of s?.stateCounts ?? []) counts.set(c.state, c.count);
  const total = [...counts.values()].reduce((a, b) => a + b, 0n);
  const chips = STATE_ORDER.filter((st) => (counts.get(st) ?? 0n) > 0n).map((st) =>
    h(
      "li",
      { class: `chip st st-${stateToken(st)}`, "data-state": stateToken(st) },
      stateLabel(st),
      " ",
      h("b", null, String(counts.get(st))),
    ),
  );

  return h(
    "article",
    { class: "card", "data-programme": p.name },
    h(
      "header",
      null,
      h("h3", null, p.displayName),
      p.localName && h("p", { class: "local", lang: "zh" }, p.localName),
      h(
        "p",
        { class: "meta" },
        h("span", null, p.funder),
        h("span", null, `Currency ${cur}`),
        (p.openTime || p.closeTime) && h("span", null, `Open ${formatDate(p.openTime)} – ${formatDate(p.closeTime)}`),
        p.reviewSettings && h("span", { "data-review-settings": "" }, reviewSettingsText(p.reviewSettings)),
      ),
    ),
    bar,
    legend,
    h(
      "div",
      { class: "stats" },
      h("p", { class: "stat" }, h("b", { "data-count": "applications" }, String(total)), total === 1n ? " application" : " applications"),
      h("p", { class: "stat" }, h("b", { "data-count": "awards" }, String(s?.awardCount ?? 0n)), s?.awardCount === 1n ? " award" : " awards"),
    ),
    chips.length ? h("ul", { class: "chips" }, chips) : h("p", { class: "muted small" }, s ? "No applications yet." : "Waiting for live figures…"),
    renderReviews(s),
    renderRegions(s?.regionTotals ?? [], cur),
    s?.computeTime && h("p", { class: "muted small" }, `As of ${formatDateTime(s.computeTime)}`),
  );
}

/** Completed / required reviews of the applications awaiting a decision. */
function renderReviews(s: ProgrammeSummary | undefined): HTMLElement | null {
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
      "Reviews: ",
      h("b", { "data-count": "reviews-completed" }, String(r.completed)),
      " / ",
      h("b", { "data-count": "reviews-required" }, String(r.required)),
      h("span", { class: "muted small" }, " for applications awaiting a decision"),
    ),
    h("div", { class: "bar bar-thin", role: "img", "aria-label": r.label }, seg),
  );
}

function renderRegions(totals: RegionTotals[], cur: string): HTMLElement {
  if (!totals.length) return h("p", { class: "muted small regions-empty" }, "No figures by applicant region yet.");
  const byRegion = new Map(totals.map((t) => [t.region as number, t]));
  const regions = [...REGION_ORDER, ...totals.map((t) => t.region).filter((r) => !REGION_ORDER.includes(r))];
  const amount = (m: MoneyValue | undefined) => formatMoney(money(m, cur), undefined, { currencyDisplay: "none" });
  const rows: [string, string, (t: RegionTotals | undefined) => string][] = [
    ["requested", "Requested", (t) => amount(t?.requested)],
    ["committed", "Committed", (t) => amount(t?.committed)],
    ["disbursed", "Disbursed", (t) => amount(t?.disbursed)],
    ["awards", "Awards", (t) => String(t?.awardCount ?? 0n)],
  ];
  return h(
    "div",
    { class: "regions-wrap" },
    h(
      "table",
      { class: "regions" },
      h("caption", null, `By applicant region (${cur})`),
      h("thead", null, h("tr", null, h("td"), regions.map((r) => h("th", { scope: "col", "data-region": String(r) }, regionLabel(r))))),
      h(
        "tbody",
        null,
        rows.map(([key, label, cell]) =>
          h(
            "tr",
            { "data-row": key },
            h("th", { scope: "row" }, label),
            regions.map((r) => h("td", { "data-region": String(r) }, cell(byRegion.get(r)))),
          ),
        ),
      ),
    ),
  );
}
