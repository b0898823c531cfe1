// The facts of an application at the head of its history panel: the
// programme, the applicant, the principal investigator, the partners, the
// money (or, for a facility programme, the resource requested, allocated
// and used, and the preferred periods) and the abstract, from the snapshot
// of its latest event. Viewers get the investigator's e-mail redacted by
// the server: what comes is shown.
import type { Application } from "../gen/gba/grants/v1/application_pb";
import { t, tn, type MsgKey } from "../lib/i18n";
import { h, type Child } from "./dom";
import { institutionLabel, programmeLabel, type Lookup } from "./event-row";
import { amount } from "./programme-card";
import { quantity } from "./facility-card";
import { formatDateTime } from "../lib/dates";

/**
 * Requested, awarded and paid: money, or for a facility programme (money
 * unset, resources set) requested, allocated and used in its unit.
 */
function amounts(app: Application): Child[] {
  const row = (key: MsgKey, field: string, value: Child) => [h("dt", null, t(key)), h("dd", { "data-field": field }, value)];
  const facility = !app.requestedAmount && !app.awardedAmount && !app.disbursedAmount && !!(app.requestedResource || app.awardedResource || app.usedResource);
  if (facility) {
    return [
      row("facts.requestedResource", "requested", app.requestedResource ? quantity(app.requestedResource) : "—"),
      app.awardedResource && row("facts.awardedResource", "awarded", quantity(app.awardedResource)),
      app.usedResource && row("facts.used", "used", quantity(app.usedResource)),
    ];
  }
  return [
    row("facts.requested", "requested", app.requestedAmount ? amount(app.requestedAmount) : "—"),
    app.awardedAmount && row("facts.awarded", "awarded", amount(app.awardedAmount)),
    app.disbursedAmount && row("facts.disbursed", "disbursed", amount(app.disbursedAmount)),
  ];
}

export function renderApplicationFacts(app: Application, programme: string, lookup: Lookup): HTMLElement {
  const row = (key: MsgKey, field: string, ...value: Child[]) => [h("dt", null, t(key)), h("dd", { "data-field": field }, ...value)];
  const pi = app.principalInvestigator;
  const investigator =
    pi && (pi.name || pi.email || pi.orcid)
      ? [
          pi.name && h("span", { class: "pi-name", "data-field": "investigator-name" }, pi.name),
          pi.email && h("span", { class: "pi-email mono", "data-field": "investigator-email" }, pi.email),
          pi.orcid && h("span", { class: "pi-orcid small muted", "data-field": "investigator-orcid" }, `${t("facts.orcid")} `, h("span", { class: "nowrap" }, pi.orcid)),
        ]
      : ["—"];
  const partners = app.partnerInstitutions.length
    ? h(
        "ul",
        { class: "partners" },
        app.partnerInstitutions.map((p) => h("li", { "data-institution": p }, institutionLabel(p, lookup))),
      )
    : t("facts.noPartners");
  return h(
    "div",
    { class: "app-facts", id: "history-facts" },
    h(
      "dl",
      { class: "facts" },
      row("facts.programme", "programme", programmeLabel(programme, lookup)),
      row("facts.applicant", "applicant", institutionLabel(app.applicantInstitution, lookup)),
      row("facts.investigator", "investigator", investigator),
      row("facts.partners", "partners", partners),
      app.durationMonths > 0 && row("facts.duration", "duration", tn("count.months", app.durationMonths)),
      ...amounts(app),
      app.preferredPeriods.length > 0 &&
        row(
          "facts.periods",
          "preferred-periods",
          h(
            "ul",
            { class: "periods" },
            app.preferredPeriods.map((p) => h("li", null, t("facts.period", { from: formatDateTime(p.startTime), to: formatDateTime(p.endTime) }))),
          ),
        ),
      app.awardNumber && row("facts.awardNumber", "award-number", h("span", { class: "nowrap" }, app.awardNumber)),
    ),
    app.abstract && [h("h3", { class: "facts-h" }, t("facts.abstract")), h("p", { class: "abstract", "data-field": "abstract" }, app.abstract)],
  );
}
