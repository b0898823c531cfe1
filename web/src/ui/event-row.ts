// One application event: a row of the live feed, or an item of the
// history panel, in the page's language.
import type { ApplicationEvent } from "../gen/gba/grants/v1/application_pb";
import { Application_State as State } from "../gen/gba/grants/v1/application_pb";
import type { Institution } from "../gen/gba/grants/v1/institution_pb";
import type { Programme } from "../gen/gba/grants/v1/programme_pb";
import { formatDateTime, isoString } from "../lib/dates";
import { names, t } from "../lib/i18n";
import { localNameLang, roleLabel, stateLabel, stateToken } from "../lib/labels";
import { describeReviewEvent } from "../lib/reviews";
import { documentActivityToken, documentEventParts } from "../lib/documents";
import { h } from "./dom";
import { amount } from "./programme-card";

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

function change(ev: ApplicationEvent): HTMLElement {
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
    const a = ev.documentActivity;
    const token = documentActivityToken(a.kind);
    return h(
      "span",
      { class: "change", "data-document-activity": token },
      h(
        "span",
        { class: `dv dv-${token}` },
        documentEventParts(a).map((p) => (typeof p === "string" ? p : h("span", { class: "file-name" }, a.document?.fileName ?? ""))),
      ),
    );
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
    },
    h("time", { datetime: isoString(ev.eventTime) }, formatDateTime(ev.eventTime)),
    h(
      "span",
      { class: "title" },
      h("button", { type: "button", class: "link", "data-open-application": ev.application }, title),
      lookup.programme(ev.programme) && h("span", { class: "programme" }, programmeLabel(ev.programme, lookup)),
    ),
    h("span", { class: "inst" }, institutionLabel(ev.applicantInstitution, lookup)),
    change(ev),
    h("span", { class: "role" }, roleLabel(ev.actorRole)),
    h("span", { class: "reason" }, ev.reason),
  );
}

export function renderHistoryItem(ev: ApplicationEvent, lookup: Lookup): HTMLLIElement {
  const awarded = ev.snapshot?.awardedAmount && ev.newState === State.APPROVED && !ev.disbursement ? ev.snapshot.awardedAmount : null;
  let awardedLine: HTMLElement | null = null;
  if (awarded) {
    const [before = "", after = ""] = t("history.awarded", { amount: "\u0000" }).split("\u0000");
    awardedLine = h("p", { class: "small" }, before, amount(awarded), after);
  }
  return h(
    "li",
    { "data-cursor": ev.cursor, "data-state": stateToken(ev.newState), "data-document": ev.documentActivity?.document?.name },
    h("time", { datetime: isoString(ev.eventTime) }, formatDateTime(ev.eventTime)),
    change(ev),
    h("span", { class: "muted" }, " ", t("history.by", { role: roleLabel(ev.actorRole) })),
    ev.reason && h("p", { class: "reason" }, ev.reason),
    awardedLine,
    h("p", { class: "small muted" }, institutionLabel(ev.applicantInstitution, lookup)),
  );
}
