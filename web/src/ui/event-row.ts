// One application event: a row of the live feed, or an item of the
// history panel.
import type { ApplicationEvent } from "../gen/gba/grants/v1/application_pb";
import { Application_State as State } from "../gen/gba/grants/v1/application_pb";
import type { Institution } from "../gen/gba/grants/v1/institution_pb";
import type { Programme } from "../gen/gba/grants/v1/programme_pb";
import { formatDateTime, isoString } from "../lib/dates";
import { roleLabel, stateLabel, stateToken } from "../lib/labels";
import { formatMoney } from "../lib/money";
import { describeReviewEvent } from "../lib/reviews";
import { h } from "./dom";

export interface Lookup {
  institution(name: string): Institution | undefined;
  programme(name: string): Programme | undefined;
}

export function institutionLabel(name: string, lookup: Lookup): (string | HTMLElement)[] {
  const i = lookup.institution(name);
  if (!i) return [name];
  return i.localName ? [i.displayName, " ", h("span", { lang: "zh", class: "local" }, i.localName)] : [i.displayName];
}

function stateChip(s: State): HTMLElement {
  return h("span", { class: `st st-${stateToken(s)}` }, stateLabel(s));
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
  if (ev.disbursement) {
    return h("span", { class: "change" }, "Payment recorded ", ev.snapshot?.disbursedAmount ? `(total ${formatMoney(ev.snapshot.disbursedAmount)}) ` : "", "→ ", to);
  }
  if (ev.previousState === State.UNSPECIFIED) return h("span", { class: "change" }, "Created as ", to);
  return h("span", { class: "change" }, stateChip(ev.previousState), " → ", to);
}

export function renderEventRow(ev: ApplicationEvent, lookup: Lookup): HTMLLIElement {
  const title = ev.snapshot?.title || ev.application;
  const programme = lookup.programme(ev.programme);
  return h(
    "li",
    {
      class: "ev",
      "data-cursor": ev.cursor,
      "data-application": ev.application,
      "data-institution": ev.applicantInstitution,
      "data-state": stateToken(ev.newState),
    },
    h("time", { datetime: isoString(ev.eventTime) }, formatDateTime(ev.eventTime)),
    h(
      "span",
      { class: "title" },
      h("button", { type: "button", class: "link", "data-open-application": ev.application }, title),
      programme && h("span", { class: "programme" }, programme.displayName),
    ),
    h("span", { class: "inst" }, institutionLabel(ev.applicantInstitution, lookup)),
    change(ev),
    h("span", { class: "role" }, roleLabel(ev.actorRole)),
    h("span", { class: "reason" }, ev.reason),
  );
}

export function renderHistoryItem(ev: ApplicationEvent, lookup: Lookup): HTMLLIElement {
  return h(
    "li",
    { "data-cursor": ev.cursor, "data-state": stateToken(ev.newState) },
    h("time", { datetime: isoString(ev.eventTime) }, formatDateTime(ev.eventTime)),
    change(ev),
    h("span", { class: "muted" }, ` by ${roleLabel(ev.actorRole)}`),
    ev.reason && h("p", { class: "reason" }, ev.reason),
    ev.snapshot?.awardedAmount && ev.newState === State.APPROVED && !ev.disbursement
      ? h("p", { class: "small" }, `Awarded ${formatMoney(ev.snapshot.awardedAmount)}`)
      : null,
    h("p", { class: "small muted" }, institutionLabel(ev.applicantInstitution, lookup)),
  );
}
