// The facts of an application at the head of its history panel: the
// programme, the applicant, the principal investigator, the partners, the
// money and the abstract, from the snapshot of its latest event. Viewers
// get the investigator's e-mail redacted by the server: what comes is shown.
import type { Application } from "../gen/gba/grants/v1/application_pb";
import { t, tn, type MsgKey } from "../lib/i18n";
import { h, type Child } from "./dom";
import { institutionLabel, programmeLabel, type Lookup } from "./event-row";
import { amount } from "./programme-card";

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
      row("facts.requested", "requested", app.requestedAmount ? amount(app.requestedAmount) : "—"),
      app.awardedAmount && row("facts.awarded", "awarded", amount(app.awardedAmount)),
      app.disbursedAmount && row("facts.disbursed", "disbursed", amount(app.disbursedAmount)),
      app.awardNumber && row("facts.awardNumber", "award-number", h("span", { class: "nowrap" }, app.awardNumber)),
    ),
    app.abstract && [h("h3", { class: "facts-h" }, t("facts.abstract")), h("p", { class: "abstract", "data-field": "abstract" }, app.abstract)],
  );
}
