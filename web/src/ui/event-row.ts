// One application event: a row of the live feed, or an item of the
// history panel, in the page's language, with the person behind the
// acting key when the key names one. Facility programmes' amounts are
// resources (beam hours ...), and their usage events read like payments.
import type { ApplicationEvent } from "../gen/gba/grants/v1/application_pb";
import { Application_State as State } from "../gen/gba/grants/v1/application_pb";
import type { Institution } from "../gen/gba/grants/v1/institution_pb";
import type { Programme } from "../gen/gba/grants/v1/programme_pb";
import { formatDateTime, isoString } from "../lib/dates";
import { names, t, tParts } from "../lib/i18n";
import { localNameLang, roleLabel, stateLabel, stateToken } from "../lib/labels";
import { describeReviewEvent } from "../lib/reviews";
import { documentActivityToken, documentEventParts } from "../lib/documents";
import { actorParts, alsoClearedParts, clearedParts, teamActivityToken, teamEventParts } from "../lib/team";
import { fillParts, h, type Child } from "./dom";
import { amount } from "./programme-card";
import { amountOrQuantity, quantity } from "./facility-card";

export interface Lookup {
  institution(name: string): Institution | undefined;
  programme(name: string): Programme | undefined;
}

/**
 * An institution's names, the page language's first (the resource name
 * while the institution is not known yet).
 */
export function institutionLabel(name: string, lookup: Lookup): (string | HTMLElement)[] {
  const i = lookup.institution(name);
  if (!i) return [name];
  const n = names(i, undefined, localNameLang(i.region));
  return [
    h("span", { lang: n.primaryLang, class: "name" }, n.primary),
    n.secondary ? [" ", h("span", { lang: n.secondaryLang, class: "alt-name" }, n.secondary)] : "",
  ].flat();
}

/**
 * An institution's name in the page's language only, the other name in its
 * tooltip (the resource name while the institution is not known).
 */
export function institutionName(name: string, lookup: Lookup): HTMLElement {
  const i = lookup.institution(name);
  if (!i) return h("span", { class: "inst-name mono", "data-institution": name }, name);
  const n = names(i, undefined, localNameLang(i.region));
  return h("span", { class: "inst-name", lang: n.primaryLang, title: n.secondary || null, "data-institution": name }, n.primary);
}

/** Institutions as one list in the page's language ("A, B" / "A、B"), each name with its own `lang`. */
export function institutionList(list: readonly string[], lookup: Lookup): Child[] {
  return list.flatMap((name, i) => (i ? [t("list.names"), institutionName(name, lookup)] : [institutionName(name, lookup)]));
}

/** A programme's name in the page's language. */
export function programmeLabel(name: string, lookup: Lookup): HTMLElement | string {
  const p = lookup.programme(name);
  if (!p) return name;
  const n = names(p);
  return h("span", { lang: n.primaryLang }, n.primary);
}

function stateChip(s: State): HTMLElement {
  return h("span", { class: `st st-${stateToken(s)}`, "data-state": stateToken(s) }, stateLabel(s));
}

/**
 * A team event's words, institutions drawn by name: its main words, what
 * a team change adds when it cleared endorsements, or what a document
 * event adds; "" for none.
 */
function teamWords(ev: ApplicationEvent, lookup: Lookup, which: "main" | "also" | "cleared"): Child {
  const a = ev.teamActivity;
  if (!a) return "";
  const main = which === "main";
  const parts = main ? teamEventParts(a) : which === "also" ? alsoClearedParts(a) : clearedParts(a);
  if (!parts.length) return "";
  const token = main ? teamActivityToken(a.kind) : "ENDORSEMENTS_CLEARED";
  return h(
    "span",
    { class: `tv tv-${token}`, "data-team-activity": token },
    fillParts(parts, (slot) => (slot === "institution" ? institutionName(a.institution, lookup) : institutionList(a.cleared, lookup))),
  );
}

/** The acting key's role, with the person behind it when the key names one. */
function actor(ev: ApplicationEvent): Child[] {
  const person = ev.actorPerson;
  return fillParts(actorParts(roleLabel(ev.actorRole), person), () =>
    h("span", { class: "actor-person", "data-field": "actor-person" }, person?.displayName.trim() ?? ""),
  );
}

function change(ev: ApplicationEvent, lookup: Lookup): HTMLElement {
  const to = stateChip(ev.newState);
  if (ev.reviewActivity) {
    // A peer-review event: what happened and the application's review
    // count, rather than a state "change" that usually changed nothing.
    const r = describeReviewEvent(ev.previousState, ev.newState, ev.reviewActivity);
    return h(
      "span",
      { class: "change", "data-review": r.token },
      h("span", { class: `rv rv-${r.token}` }, r.text),
      r.showStateChange && [" · ", stateChip(ev.previousState), " → ", to],
    );
  }
  if (ev.documentActivity) {
    // A document added, replaced or deleted: the state did not change.
    // It may also have cleared the endorsements.
    const a = ev.documentActivity;
    const token = documentActivityToken(a.kind);
    const cleared = teamWords(ev, lookup, "cleared");
    return h(
      "span",
      { class: "change", "data-document-activity": token },
      h(
        "span",
        { class: `dv dv-${token}` },
        documentEventParts(a).map((p) => (typeof p === "string" ? p : h("span", { class: "file-name" }, a.document?.fileName ?? ""))),
      ),
      cleared && [" · ", cleared],
    );
  }
  if (ev.teamActivity) {
    // The team changed, an institution signed or withdrew, or a change
    // cleared the endorsements: the state did not change.
    const token = teamActivityToken(ev.teamActivity.kind);
    const cleared = teamWords(ev, lookup, "also");
    return h("span", { class: "change", "data-team-activity": token }, teamWords(ev, lookup, "main"), cleared && [" · ", cleared]);
  }
  if (ev.disbursement) {
    const total = ev.snapshot?.disbursedAmount;
    let paid: (string | HTMLElement)[] = [];
    if (total) {
      const [before = "", after = ""] = t("change.paymentTotal", { amount: "\u0000" }).split("\u0000");
      paid = [" ", before, amount(total), after];
    }
    return h("span", { class: "change" }, t("change.payment"), ...paid, " → ", to);
  }
  if (ev.usageRecord) {
    // Usage of a facility award reads like a payment: the total used so far.
    const total = ev.snapshot?.usedResource;
    let used: (string | HTMLElement)[] = [];
    if (total) {
      const [before = "", after = ""] = t("change.usageTotal", { amount: "\u0000" }).split("\u0000");
      used = [" ", before, quantity(total), after];
    }
    return h("span", { class: "change", "data-usage-record": ev.usageRecord }, t("change.usage"), ...used, " → ", to);
  }
  if (ev.previousState === State.UNSPECIFIED) return h("span", { class: "change" }, t("change.created"), " ", to);
  return h("span", { class: "change" }, stateChip(ev.previousState), " → ", to);
}

export function renderEventRow(ev: ApplicationEvent, lookup: Lookup): HTMLLIElement {
  const title = ev.snapshot?.title || ev.application;
  return h(
    "li",
    {
      class: "ev",
      "data-cursor": ev.cursor,
      "data-application": ev.application,
      "data-programme": ev.programme,
      "data-institution": ev.applicantInstitution,
      "data-state": stateToken(ev.newState),
      "data-document": ev.documentActivity?.document?.name,
      "data-team-activity": ev.teamActivity ? teamActivityToken(ev.teamActivity.kind) : null,
    },
    h("time", { datetime: isoString(ev.eventTime) }, formatDateTime(ev.eventTime)),
    h(
      "span",
      { class: "title" },
      h("button", { type: "button", class: "link", "data-open-application": ev.application }, title),
      lookup.programme(ev.programme) && h("span", { class: "programme" }, programmeLabel(ev.programme, lookup)),
    ),
    h("span", { class: "inst" }, institutionLabel(ev.applicantInstitution, lookup)),
    change(ev, lookup),
    h(
      "span",
      { class: "role" },
      roleLabel(ev.actorRole),
      ev.actorPerson?.displayName.trim() && h("span", { class: "actor-person", "data-field": "actor-person" }, ev.actorPerson.displayName.trim()),
    ),
    h("span", { class: "reason" }, ev.reason),
  );
}

export function renderHistoryItem(ev: ApplicationEvent, lookup: Lookup): HTMLLIElement {
  // The award (money, or a facility's allocation) on the approval.
  const awarded =
    ev.snapshot && ev.newState === State.APPROVED && !ev.disbursement && !ev.usageRecord
      ? amountOrQuantity(ev.snapshot.awardedAmount, ev.snapshot.awardedResource)
      : null;
  let awardedLine: HTMLElement | null = null;
  if (awarded) {
    const [before = "", after = ""] = t("history.awarded", { amount: "\u0000" }).split("\u0000");
    awardedLine = h("p", { class: "small" }, before, awarded, after);
  }
  return h(
    "li",
    {
      "data-cursor": ev.cursor,
      "data-state": stateToken(ev.newState),
      "data-document": ev.documentActivity?.document?.name,
      "data-team-activity": ev.teamActivity ? teamActivityToken(ev.teamActivity.kind) : null,
    },
    h("time", { datetime: isoString(ev.eventTime) }, formatDateTime(ev.eventTime)),
    change(ev, lookup),
    h("span", { class: "muted history-by" }, " ", fillParts(tParts("history.by", {}, ["role"]), () => actor(ev))),
    ev.reason && h("p", { class: "reason" }, ev.reason),
    awardedLine,
    h("p", { class: "small muted" }, institutionLabel(ev.applicantInstitution, lookup)),
  );
}
