// The totals row above the programme cards: counts across every programme
// the key may see, money per currency (one block per currency; money in
// different currencies is never added together), and the facility
// programmes' resources per unit (one block per unit, likewise).
import type { MsgKey } from "../lib/i18n";
import { t } from "../lib/i18n";
import type { Totals } from "../lib/totals";
import { h } from "./dom";
import { amount, countText } from "./programme-card";
import { quantity } from "./facility-card";
import { unitName } from "../lib/resources";

export function renderTotals(totals: Totals): HTMLElement[] {
  const scope = h(
    "p",
    { class: "totals-scope", "data-totals": "all" },
    h("span", { class: "nowrap" }, countText("count.programmes", totals.programmes, "programmes")),
    h("span", { class: "sep", "aria-hidden": "true" }, "·"),
    h("span", { class: "nowrap" }, countText("count.applications", totals.applications, "applications")),
    h("span", { class: "sep", "aria-hidden": "true" }, "·"),
    h("span", { class: "nowrap" }, countText("count.awards", totals.awards, "awards")),
  );
  const figures: [string, MsgKey, "requested" | "committed" | "disbursed" | "remaining"][] = [
    ["requested", "totals.requested", "requested"],
    ["committed", "totals.committed", "committed"],
    ["disbursed", "totals.disbursed", "disbursed"],
    ["remaining", "totals.remaining", "remaining"],
  ];
  const blocks = totals.byCurrency.map((c) =>
    h(
      "article",
      { class: "total-currency", "data-currency": c.currency },
      h(
        "h3",
        null,
        h("span", { class: "code" }, c.currency),
        " ",
        h("span", { class: "muted small nowrap" }, countText("count.programmes", c.programmes, "programmes")),
      ),
      h(
        "dl",
        { class: "total-figures" },
        figures.map(([key, label, field]) =>
          h("div", { class: "figure" }, h("dt", null, t(label)), h("dd", { "data-total": key }, amount(c[field]))),
        ),
      ),
      h(
        "p",
        { class: "muted small" },
        h("span", { class: "nowrap" }, countText("count.applications", c.applications, "applications")),
        " · ",
        h("span", { class: "nowrap" }, countText("count.awards", c.awards, "awards")),
      ),
      c.live < c.programmes && h("p", { class: "muted small", "data-partial": "" }, t("totals.partial")),
    ),
  );
  const unitFigures: [string, MsgKey, "requested" | "allocated" | "used" | "free"][] = [
    ["requested", "totals.requestedResource", "requested"],
    ["allocated", "totals.allocated", "allocated"],
    ["used", "totals.used", "used"],
    ["free", "totals.free", "free"],
  ];
  const unitBlocks = totals.byUnit.map((u) =>
    h(
      "article",
      { class: "total-unit", "data-unit": u.unit },
      h(
        "h3",
        null,
        h("span", { class: "code", title: unitName(u.unit) }, u.unit),
        " ",
        h("span", { class: "muted small nowrap" }, countText("count.programmes", u.programmes, "programmes")),
      ),
      h(
        "dl",
        { class: "total-figures" },
        unitFigures.map(([key, label, field]) =>
          h("div", { class: "figure" }, h("dt", null, t(label)), h("dd", { "data-total": key }, quantity(u[field]))),
        ),
      ),
      h(
        "p",
        { class: "muted small" },
        h("span", { class: "nowrap" }, countText("count.applications", u.applications, "applications")),
        " · ",
        h("span", { class: "nowrap" }, countText("count.awards", u.awards, "awards")),
      ),
      u.live < u.programmes && h("p", { class: "muted small", "data-partial": "" }, t("totals.partial")),
    ),
  );
  return [scope, h("div", { class: "totals-grid" }, blocks, unitBlocks)];
}
