// The gba-grants live dashboard: programme budgets and counts from
// WatchProgrammeSummary, and a feed of application events (history, then
// WatchApplicationEvents), all over gRPC-Web on this page's own origin.
import "./styles.css";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ApplicationEvent } from "./gen/gba/grants/v1/application_pb";
import type { Institution } from "./gen/gba/grants/v1/institution_pb";
import type { Programme } from "./gen/gba/grants/v1/programme_pb";
import type { ProgrammeSummary } from "./gen/gba/grants/v1/watch_pb";
import { apiKey, createClients, type Clients } from "./client";
import { describe, recoveryFor } from "./lib/errors";
import { EventFeed, type ConnState, type Filter } from "./lib/event-feed";
import { SummaryFeed } from "./lib/summary-feed";
import { Backoff } from "./lib/backoff";
import { byId, FrameScheduler, h } from "./ui/dom";
import { renderProgrammeCard } from "./ui/programme-card";
import { institutionLabel, renderEventRow, renderHistoryItem } from "./ui/event-row";
import { formatMoney } from "./lib/money";

const FEED_CAP = 500;
const SUMMARY_GRACE_MS = 3000;

const clients: Clients = createClients(window.location.origin);

// ---- elements -------------------------------------------------------------
const els = {
  conn: byId("conn"),
  connText: byId("conn-text"),
  signout: byId<HTMLButtonElement>("signout"),
  signin: byId("signin"),
  signinForm: byId<HTMLFormElement>("signin-form"),
  keyInput: byId<HTMLInputElement>("api-key"),
  signinMsg: byId("signin-msg"),
  dashboard: byId("dashboard"),
  programmes: byId("programmes"),
  filterProgramme: byId<HTMLSelectElement>("filter-programme"),
  filterInstitution: byId<HTMLSelectElement>("filter-institution"),
  feed: byId<HTMLOListElement>("feed"),
  feedEmpty: byId("feed-empty"),
  feedNotice: byId("feed-notice"),
  history: byId("history"),
  historyTitle: byId("history-title"),
  historyBody: byId("history-body"),
  historyClose: byId<HTMLButtonElement>("history-close"),
};

// ---- state ----------------------------------------------------------------
let session: AbortController | null = null;
const programmes = new Map<string, Programme>();
const summaries = new Map<string, ProgrammeSummary>();
const institutions = new Map<string, Institution>();
const dirtyCards = new Set<string>();
let cardsAll = false;
let programmesLoaded = false;
let pendingEvents: ApplicationEvent[] = [];
let resetFeed = false;
let feedState: ConnState = "stopped";
let feedDetail = "";
let summaryState: ConnState = "stopped";
let summaryDetail = "";
let summaryTroubleSince = 0;
let historyApp: string | null = null;
let historyCursors = new Set<string>();
let historyAbort: AbortController | null = null;

const lookup = {
  institution: (name: string) => institutions.get(name),
  programme: (name: string) => programmes.get(name),
};

// ---- rendering, at most once per frame / 100 ms -------------------------
const render = new FrameScheduler(() => {
  if (resetFeed) {
    els.feed.replaceChildren();
    resetFeed = false;
  }
  if (pendingEvents.length) {
    let batch = pendingEvents;
    pendingEvents = [];
    if (batch.length > FEED_CAP) batch = batch.slice(batch.length - FEED_CAP);
    const frag = document.createDocumentFragment();
    for (let i = batch.length - 1; i >= 0; i--) frag.appendChild(renderEventRow(batch[i]!, lookup));
    els.feed.prepend(frag);
    while (els.feed.childElementCount > FEED_CAP) els.feed.lastElementChild!.remove();
  }
  els.feedEmpty.hidden = els.feed.childElementCount > 0;
  if (cardsAll) {
    cardsAll = false;
    const cards = [...programmes.values()].map((p) => renderProgrammeCard(p, summaries.get(p.name)));
    els.programmes.replaceChildren(...cards);
    if (!cards.length) els.programmes.append(h("p", { class: "empty" }, "No programmes visible to this key."));
    dirtyCards.clear();
  } else {
    for (const name of dirtyCards) {
      const p = programmes.get(name);
      const old = els.programmes.querySelector(`[data-programme="${CSS.escape(name)}"]`);
      if (p && old) old.replaceWith(renderProgrammeCard(p, summaries.get(name)));
    }
    dirtyCards.clear();
  }
  renderConnection();
});

function renderConnection(): void {
  let state: ConnState = feedState;
  let detail = feedDetail;
  if (!session) {
    state = "signed-out";
    detail = "";
  } else if (
    summaryState === "reconnecting" &&
    state !== "reconnecting" &&
    performance.now() - summaryTroubleSince >= SUMMARY_GRACE_MS
  ) {
    // The summary stream sends nothing while nothing changes, so an idle
    // connection may be closed under it; a quick reopen is not news.
    state = "reconnecting";
    detail = summaryDetail;
  }
  const words: Record<ConnState, string> = {
    loading: "Loading history…",
    connecting: "Connecting…",
    live: "Live",
    reconnecting: "Reconnecting…",
    stale: "Stale",
    "signed-out": "Signed out",
    stopped: "Stopped",
  };
  els.conn.dataset["state"] = state;
  els.conn.dataset["events"] = feedState;
  els.conn.dataset["summaries"] = summaryState;
  els.connText.textContent = words[state] + (detail && state !== "live" ? ` — ${detail}` : "");
  els.conn.title = detail;
}

// ---- sign-in --------------------------------------------------------------
function showSignin(message: string): void {
  els.dashboard.hidden = true;
  els.history.hidden = true;
  els.signout.hidden = true;
  els.signin.hidden = false;
  els.signinMsg.textContent = message;
  els.keyInput.value = "";
  els.keyInput.focus();
  renderConnection();
}

els.signinForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const key = els.keyInput.value.trim();
  els.keyInput.value = "";
  if (!key) return;
  apiKey.set(key);
  els.signinMsg.textContent = "Checking the key…";
  clients.programmes.listProgrammes({ pageSize: 1 }).then(
    () => startSession(),
    (err) => {
      const e = ConnectError.from(err);
      if (e.code === Code.Unauthenticated) {
        apiKey.clear();
        els.signinMsg.textContent = "That API key was not accepted.";
      } else {
        // The server may be restarting: go on, the streams retry.
        startSession();
      }
    },
  );
});

els.signout.addEventListener("click", () => signOut("Signed out."));

function signOut(message: string): void {
  session?.abort();
  session = null;
  eventFeed.stop();
  summaryFeed.stop();
  closeHistory();
  apiKey.clear();
  programmes.clear();
  programmesLoaded = false;
  summaries.clear();
  institutions.clear();
  pendingEvents = [];
  els.feed.replaceChildren();
  els.programmes.replaceChildren();
  feedState = summaryState = "signed-out";
  showSignin(message);
}

// ---- the session ----------------------------------------------------------
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });

const eventFeed = new EventFeed<ApplicationEvent>(
  {
    async listEvents(parent, pageToken, pageSize, signal) {
      return clients.applications.listApplicationEvents({ parent, pageToken, pageSize }, { signal });
    },
    async *watchEvents(req, signal, onOpen) {
      for await (const m of clients.watch.watchApplicationEvents(req, { signal, onHeader: onOpen })) {
        if (m.kind.case === "event") yield { event: m.kind.value };
        else if (m.kind.case === "progress") yield { progressCursor: m.kind.value.cursor };
      }
    },
    sleep,
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
    random: Math.random,
  },
  {
    reset() {
      pendingEvents = [];
      resetFeed = true;
      render.request();
    },
    events(batch) {
      for (const ev of batch) {
        pendingEvents.push(ev);
        if (!institutions.has(ev.applicantInstitution)) refreshInstitutionsSoon();
        if (programmesLoaded && !programmes.has(ev.programme)) refreshProgrammesSoon();
        if (historyApp && ev.application === historyApp) appendHistory([ev]);
      }
      // Only the newest FEED_CAP can be shown: keep the queue bounded even
      // while frames do not run (hidden tab).
      if (pendingEvents.length > 2 * FEED_CAP) pendingEvents = pendingEvents.slice(-FEED_CAP);
      render.request();
    },
    state(state, detail) {
      feedState = state;
      feedDetail = detail ?? "";
      render.request();
    },
    signedOut: (message) => signOut(message),
    notice(message) {
      els.feedNotice.hidden = !message;
      els.feedNotice.textContent = message ?? "";
    },
  },
);

const summaryFeed = new SummaryFeed<ProgrammeSummary>(
  {
    async *watchSummaries(signal, onOpen) {
      for await (const m of clients.watch.watchProgrammeSummary({ programmes: [] }, { signal, onHeader: onOpen })) {
        if (m.summary) yield m.summary;
      }
    },
    sleep,
    random: Math.random,
  },
  {
    summary(s) {
      summaries.set(s.programme, s);
      if (programmes.has(s.programme)) dirtyCards.add(s.programme);
      else if (programmesLoaded) refreshProgrammesSoon();
      render.request();
    },
    state(state, detail) {
      if (state === "reconnecting" && summaryState !== "reconnecting") {
        summaryTroubleSince = performance.now();
        setTimeout(() => render.request(), SUMMARY_GRACE_MS + 10);
      }
      summaryState = state;
      summaryDetail = detail ?? "";
      render.request();
    },
    signedOut: (message) => signOut(message),
  },
);

function startSession(): void {
  session?.abort();
  session = new AbortController();
  els.signin.hidden = true;
  els.signinMsg.textContent = "";
  els.dashboard.hidden = false;
  els.signout.hidden = false;
  void loadWithRetry(loadProgrammes, session.signal);
  void loadWithRetry(loadInstitutions, session.signal);
  void summaryFeed.start();
  void eventFeed.start(currentFilter());
  render.request();
}

/** Runs a unary load until it works, backing off; signs out on UNAUTHENTICATED. */
async function loadWithRetry(load: (signal: AbortSignal) => Promise<void>, signal: AbortSignal): Promise<void> {
  const backoff = new Backoff();
  while (!signal.aborted) {
    try {
      await load(signal);
      return;
    } catch (err) {
      if (signal.aborted) return;
      const f = describe(err);
      if (f.code === Code.Unauthenticated) {
        const r = recoveryFor(f, "");
        signOut(r.kind === "signout" ? r.message : "Please sign in.");
        return;
      }
      await sleep(backoff.next(), signal);
    }
  }
}

async function loadProgrammes(signal: AbortSignal): Promise<void> {
  const all: Programme[] = [];
  let pageToken = "";
  do {
    const res = await clients.programmes.listProgrammes({ pageSize: 1000, pageToken }, { signal });
    all.push(...res.programmes);
    pageToken = res.nextPageToken;
  } while (pageToken);
  if (signal.aborted) return;
  const added = programmesLoaded && all.some((p) => !programmes.has(p.name));
  programmes.clear();
  for (const p of all) programmes.set(p.name, p);
  programmesLoaded = true;
  // A programme new since the summary stream opened: open it again so that
  // it covers the new one too.
  if (added) void summaryFeed.start();
  fillSelect(
    els.filterProgramme,
    "All programmes",
    all.map((p) => [p.name, p.localName ? `${p.displayName} · ${p.localName}` : p.displayName]),
  );
  cardsAll = true;
  render.request();
}

async function loadInstitutions(signal: AbortSignal): Promise<void> {
  const all: Institution[] = [];
  let pageToken = "";
  do {
    const res = await clients.institutions.listInstitutions({ pageSize: 1000, pageToken }, { signal });
    all.push(...res.institutions);
    pageToken = res.nextPageToken;
  } while (pageToken);
  if (signal.aborted) return;
  institutions.clear();
  for (const i of all) institutions.set(i.name, i);
  // Rows drawn before an institution was known show its resource name.
  for (const row of els.feed.querySelectorAll<HTMLElement>("li[data-institution]")) {
    const cell = row.querySelector(".inst");
    const name = row.dataset["institution"] ?? "";
    if (cell && cell.textContent === name && institutions.has(name)) cell.replaceChildren(...institutionLabel(name, lookup));
  }
  fillSelect(
    els.filterInstitution,
    "All institutions",
    all.map((i) => [i.name, i.localName ? `${i.displayName} · ${i.localName}` : i.displayName]),
  );
}

function fillSelect(select: HTMLSelectElement, allLabel: string, options: [string, string][]): void {
  const value = select.value;
  select.replaceChildren(h("option", { value: "" }, allLabel), ...options.map(([v, label]) => h("option", { value: v }, label)));
  select.value = options.some(([v]) => v === value) ? value : "";
}

let programmesRefresh: ReturnType<typeof setTimeout> | null = null;
function refreshProgrammesSoon(): void {
  if (programmesRefresh || !session) return;
  const signal = session.signal;
  programmesRefresh = setTimeout(() => {
    void loadWithRetry(loadProgrammes, signal).finally(() => (programmesRefresh = null));
  }, 1000);
}

let institutionsRefresh: ReturnType<typeof setTimeout> | null = null;
function refreshInstitutionsSoon(): void {
  if (institutionsRefresh || !session) return;
  const signal = session.signal;
  institutionsRefresh = setTimeout(() => {
    void loadWithRetry(loadInstitutions, signal).finally(() => {
      // Rows already drawn keep the resource name; new rows get the names.
      setTimeout(() => (institutionsRefresh = null), 10_000);
    });
  }, 1000);
}

// ---- filters ----------------------------------------------------------------
function currentFilter(): Filter {
  if (els.filterProgramme.value) return { programme: els.filterProgramme.value };
  if (els.filterInstitution.value) return { institution: els.filterInstitution.value };
  return {};
}

// The watch takes one filter at a time: choosing one clears the other.
els.filterProgramme.addEventListener("change", () => {
  if (els.filterProgramme.value) els.filterInstitution.value = "";
  if (session) void eventFeed.start(currentFilter());
});
els.filterInstitution.addEventListener("change", () => {
  if (els.filterInstitution.value) els.filterProgramme.value = "";
  if (session) void eventFeed.start(currentFilter());
});

// ---- application history panel --------------------------------------------
els.feed.addEventListener("click", (ev) => {
  const button = (ev.target as Element).closest<HTMLElement>("[data-open-application]");
  if (button) openHistory(button.dataset["openApplication"]!, button.textContent ?? "");
});
els.historyClose.addEventListener("click", () => closeHistory());
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape" && !els.history.hidden) closeHistory();
});

function closeHistory(): void {
  historyAbort?.abort();
  historyAbort = null;
  historyApp = null;
  els.history.hidden = true;
}

function openHistory(application: string, title: string): void {
  historyAbort?.abort();
  const abort = new AbortController();
  historyAbort = abort;
  historyApp = application;
  historyCursors = new Set();
  els.history.hidden = false;
  els.history.dataset["application"] = application;
  els.historyTitle.textContent = title || application;
  const list = h("ol", { class: "timeline", id: "history-list" });
  const status = h("p", { class: "muted" }, "Loading…");
  els.historyBody.replaceChildren(h("p", { class: "muted mono" }, application), status, list);
  els.historyClose.focus();
  void (async () => {
    try {
      let pageToken = "";
      do {
        const res = await clients.applications.listApplicationEvents(
          { parent: application, pageToken, pageSize: 1000 },
          { signal: abort.signal },
        );
        if (abort.signal.aborted) return;
        appendHistory(res.events);
        pageToken = res.nextPageToken;
      } while (pageToken);
      status.remove();
      const last = [...list.querySelectorAll<HTMLElement>("[data-cursor]")].length;
      if (!last) list.append(h("li", { class: "muted" }, "No events."));
    } catch (err) {
      if (abort.signal.aborted) return;
      const f = describe(err);
      if (f.code === Code.Unauthenticated) {
        signOut("Your API key was not accepted.");
        return;
      }
      status.textContent = `Could not load the history: ${[f.reason, f.message].filter(Boolean).join(": ")}`;
    }
  })();
}

function appendHistory(events: ApplicationEvent[]): void {
  const list = document.getElementById("history-list");
  if (!list) return;
  for (const ev of events) {
    if (ev.cursor && historyCursors.has(ev.cursor)) continue;
    historyCursors.add(ev.cursor);
    list.append(renderHistoryItem(ev, lookup));
    const snap = ev.snapshot;
    if (snap) {
      els.historyTitle.textContent = snap.title || els.historyTitle.textContent;
      const facts = document.getElementById("history-facts");
      const next = h(
        "dl",
        { class: "facts", id: "history-facts" },
        h("dt", null, "Requested"),
        h("dd", null, formatMoney(snap.requestedAmount)),
        snap.awardedAmount && [h("dt", null, "Awarded"), h("dd", null, formatMoney(snap.awardedAmount))],
        snap.disbursedAmount && [h("dt", null, "Disbursed"), h("dd", null, formatMoney(snap.disbursedAmount))],
        snap.awardNumber && [h("dt", null, "Award number"), h("dd", null, snap.awardNumber)],
      );
      if (facts) facts.replaceWith(next);
      else list.before(next);
    }
  }
}

// ---- start ------------------------------------------------------------------
if (apiKey.get()) startSession();
else showSignin("");
