// The team and the sign-off of an application in its history panel, from
// its latest snapshot: each member (name, role, institution, ORCID iD
// linked to orcid.org, e-mail when the server sends one: viewers get it
// redacted), then each institution that signed or must sign under the
// programme's endorsement requirement, with who signed and when.
import type { Application } from "../gen/gba/grants/v1/application_pb";
import type { Endorsement, TeamMember } from "../gen/gba/grants/v1/team_pb";
import { formatDateTime, isoString } from "../lib/dates";
import { t, tParts } from "../lib/i18n";
import {
  missingEndorsements,
  orcidUrl,
  requirementLabel,
  requirementToken,
  signerName,
  signOffRows,
  teamRoleLabel,
  teamRoleToken,
} from "../lib/team";
import { fillParts, h, type Child } from "./dom";
import { institutionList, institutionName, type Lookup } from "./event-row";

function memberItem(m: TeamMember, lookup: Lookup): HTMLLIElement {
  const url = orcidUrl(m.orcid);
  const orcid =
    m.orcid &&
    (url
      ? h(
          "a",
          {
            class: "member-orcid",
            "data-field": "member-orcid",
            href: url,
            target: "_blank",
            rel: "noopener noreferrer",
            "aria-label": t("team.orcidLabel", { name: m.displayName, orcid: m.orcid }),
          },
          `${t("facts.orcid")} `,
          h("span", { class: "nowrap" }, m.orcid),
        )
      : h("span", { class: "member-orcid", "data-field": "member-orcid" }, `${t("facts.orcid")} `, h("span", { class: "nowrap" }, m.orcid)));
  return h(
    "li",
    { class: "member", "data-role": teamRoleToken(m.role), "data-institution": m.institution, "data-orcid": m.orcid || null },
    h(
      "div",
      { class: "member-head" },
      h("span", { class: "member-name", "data-field": "member-name" }, m.displayName),
      h("span", { class: "member-role", "data-field": "member-role" }, teamRoleLabel(m.role)),
    ),
    h(
      "div",
      { class: "member-meta small muted" },
      m.institution && h("span", { class: "member-inst", "data-field": "member-institution" }, institutionName(m.institution, lookup)),
      orcid,
      m.email && h("span", { class: "member-email mono", "data-field": "member-email" }, m.email),
    ),
  );
}

/** The team section of the history panel (`#history-team`). */
export function renderTeam(app: Application, lookup: Lookup): HTMLElement {
  return h(
    "section",
    { class: "team", id: "history-team", "data-members": app.team.length },
    h("h3", { class: "facts-h" }, t("team.heading")),
    app.team.length ? h("ul", { class: "members" }, app.team.map((m) => memberItem(m, lookup))) : h("p", { class: "muted small" }, t("team.none")),
  );
}

function signed(e: Endorsement): Child[] {
  const who = signerName(e.actor, e.actorPerson);
  const whoEl = h(
    "span",
    { class: who.isKey ? "signoff-who mono" : "signoff-who", "data-field": "signed-by", title: who.isKey ? null : e.actor },
    who.text,
  );
  const time = h("time", { datetime: isoString(e.endorseTime), "data-field": "signed-time" }, formatDateTime(e.endorseTime));
  return fillParts(tParts("signoff.signed", {}, ["time", "who"]), (slot) => (slot === "time" ? time : whoEl));
}

/**
 * The sign-off section of the history panel (`#history-signoff`): what the
 * programme requires (when the page knows the programme), whether anyone
 * is still to sign, and a row per institution that signed or must sign.
 */
export function renderSignOff(app: Application, programme: string, lookup: Lookup): HTMLElement {
  const requirement = lookup.programme(programme)?.endorsementRequirement;
  const partners = app.partnerInstitutions;
  const rows = signOffRows(requirement, app.applicantInstitution, partners, app.endorsements);
  const missing = requirement === undefined ? [] : missingEndorsements(requirement, app.applicantInstitution, partners, app.endorsements);
  const anyRequired = rows.some((r) => r.required);
  const status = !anyRequired
    ? null
    : missing.length
      ? h(
          "p",
          { class: "signoff-status pending", "data-field": "signoff-status" },
          fillParts(tParts("signoff.awaiting", {}, ["institutions"]), () => institutionList(missing, lookup)),
        )
      : h("p", { class: "signoff-status done", "data-field": "signoff-status" }, t("signoff.complete"));
  return h(
    "section",
    {
      class: "signoff",
      id: "history-signoff",
      "data-requirement": requirement === undefined ? "unknown" : requirementToken(requirement),
      "data-endorsements": app.endorsements.length,
      "data-missing": missing.join(" "),
    },
    h("h3", { class: "facts-h" }, t("signoff.heading")),
    requirement !== undefined && h("p", { class: "small muted", "data-field": "requirement" }, requirementLabel(requirement)),
    status,
    rows.length
      ? h(
          "ul",
          { class: "signoffs" },
          rows.map((r) =>
            h(
              "li",
              { class: r.endorsement ? "signoff-row is-signed" : "signoff-row is-missing", "data-institution": r.institution, "data-signed": String(!!r.endorsement), "data-required": String(r.required) },
              h("span", { class: "signoff-mark", "aria-hidden": "true" }, r.endorsement ? "✓" : "○"),
              h("span", { class: "signoff-inst", "data-field": "signoff-institution" }, institutionName(r.institution, lookup)),
              r.endorsement
                ? h("span", { class: "signoff-detail small muted", "data-field": "signed" }, signed(r.endorsement))
                : h("span", { class: "signoff-detail signoff-missing small", "data-field": "not-signed" }, t("signoff.missing")),
            ),
          ),
        )
      : requirement === undefined && h("p", { class: "muted small" }, t("signoff.none")),
  );
}
