// The gba-grants live dashboard: totals per currency (and per unit for
// facility programmes) and programme budgets, capacities and counts from
// WatchProgrammeSummary, and a feed of application events
// (history, then WatchApplicationEvents), with each programme's applications
// and payments as CSV downloads, all over gRPC-Web on this page's own
// origin, in English, Traditional or Simplified Chinese.
import "./styles.css";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ApplicationEvent } from "./gen/gba/grants/v1/application_pb";
import type { ApiKey_Role as Role } from "./gen/gba/grants/v1/access_pb";
import { DocumentActivity_Kind, type Document, type DocumentKind } from "./gen/gba/grants/v1/document_pb";
import type { Institution } from "./gen/gba/grants/v1/institution_pb";
import type { Programme } from "./gen/gba/grants/v1/programme_pb";
import type { Person } from "./gen/gba/grants/v1/team_pb";
import type { ProgrammeSummary } from "./gen/gba/grants/v1/watch_pb";
import { apiKey, createClients, type Clients } from "./client";
import { describe, recoveryFor } from "./lib/errors";
import { EventFeed, type ConnState, type Filter } from "./lib/event-feed";
import { SummaryFeed } from "./lib/summary-feed";
import { Backoff } from "./lib/backoff";
import { byId, FrameScheduler, h } from "./ui/dom";
import { renderProgrammeCard } from "./ui/programme-card";
import { renderFacilityCard } from "./ui/facility-card";
import { facilityFigures, isFacility, type FacilityFigures } from "./lib/facility";
import { institutionLabel, institutionName, renderEventRow, renderHistoryItem } from "./ui/event-row";
import { renderApplicationFacts } from "./ui/history";
import { renderSignOff, renderTeam } from "./ui/team";
import { renderDocuments, renderDownloadStatus, saveBlob, type DownloadState } from "./ui/documents";
import { mayDownload, formatBytes } from "./lib/documents";
import { DownloadError, downloadDocument } from "./lib/download";
import { renderTotals } from "./ui/totals";
import { renderExportStatus, type ExportState } from "./ui/export";
import { CSV_MEDIA_TYPE, type ExportKind } from "./lib/csv";
import { exportProgramme } from "./lib/programme-export";
import { programmeFigures, totalsByCurrency, type ProgrammeFigures } from "./lib/totals";
import {
  browserLanguages,
  detectLang,
  isLang,
  isMsgKey,
  language,
  locale,
  localeFor,
  msg,
  names,
  render as words,
  storedLang,
  storeLang,
  t,
  useLanguage,
  type Lang,
  type Text,
} from "./lib/i18n";
import { localNameLang } from "./lib/labels";

const FEED_CAP = 500;
const SUMMARY_GRACE_MS = 3000;

const clients: Clients = createClients(window.location.origin);

// ---- elements -------------------------------------------------------------
const els = {
  conn: byId("conn"),
  connText: byId("conn-text"),
  signout: byId<HTMLButtonElement>("signout"),
  langSwitch: byId("lang-switch"),
  signin: byId("signin"),
  signinForm: byId<HTMLFormElement>("signin-form"),
  keyInput: byId<HTMLInputElement>("api-key"),
  signinMsg: byId("signin-msg"),
  dashboard: byId("dashboard"),
  programmes: byId("programmes"),
  totals: byId("totals"),
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
let totalsDirty = false;
let programmesLoaded = false;
let pendingEvents: ApplicationEvent[] = [];
let resetFeed = false;
let feedState: ConnState = "stopped";
let feedDetail: Text = "";
let summaryState: ConnState = "stopped";
let summaryDetail: Text = "";
let summaryTroubleSince = 0;
let historyApp: string | null = null;
let historyCursors = new Set<string>();
let historyAbort: AbortController | null = null;
/** The events of the application in the history panel, oldest first. */
let historyEvents: ApplicationEvent[] = [];
let historyFallbackTitle = "";
/** Loading, failed, or null once loaded. */
let historyStatus: Text | null = null;
let signinMessage: Text = "";
let feedNotice: Text | null = null;
/** The role of the signed-in key (AccessService.GetCurrentApiKey); null until known. */
let currentRole: Role | null = null;
/** The documents of the application in the history panel, every version. */
let historyDocs: Document[] = [];
/** Loading, failed, or null once listed. */
let historyDocsStatus: Text | null = null;
let docsAbort: AbortController | null = null;
let docsReload: ReturnType<typeof setTimeout> | null = null;
/** Kinds whose earlier versions are open in the panel. */
const expandedKinds = new Set<DocumentKind>();
/** Downloads of this session, by document name. */
const downloads = new Map<string, DownloadState>();
/** CSV downloads of this session, by programme, then kind. */
const exports = new Map<string, Map<ExportKind, ExportState>>();
/** The event each feed row shows, to draw it again in another language. */
const rowEvents = new WeakMap<Element, ApplicationEvent>();

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
    for (let i = batch.length - 1; i >= 0; i--) frag.appendChild(feedRow(batch[i]!));
    els.feed.prepend(frag);
    while (els.feed.childElementCount > FEED_CAP) els.feed.lastElementChild!.remove();
  }
  els.feedEmpty.hidden = els.feed.childElementCount > 0;
  if (cardsAll) {
    cardsAll = false;
    const cards = [...programmes.values()].map((p) => card(p));
    els.programmes.replaceChildren(...cards);
    if (!cards.length) els.programmes.append(h("p", { class: "empty" }, t("programmes.none")));
    dirtyCards.clear();
    totalsDirty = true;
  } else {
    for (const name of dirtyCards) {
      const p = programmes.get(name);
      const old = els.programmes.querySelector(`[data-programme="${CSS.escape(name)}"]`);
      if (p && old) old.replaceWith(card(p));
    }
    if (dirtyCards.size) totalsDirty = true;
    dirtyCards.clear();
  }
  if (totalsDirty) {
    totalsDirty = false;
    drawTotals();
  }
  renderConnection();
});

function card(p: Programme): HTMLElement {
  const render = p.facility ? renderFacilityCard : renderProgrammeCard;
  return render(p, summaries.get(p.name), (kind) => exports.get(p.name)?.get(kind));
}

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
  const stateText = t(`conn.${state}`);
  const detailText = words(detail);
  els.conn.dataset["state"] = state;
  els.conn.dataset["events"] = feedState;
  els.conn.dataset["summaries"] = summaryState;
  els.connText.textContent = detailText && state !== "live" ? t("conn.withDetail", { state: stateText, detail: detailText }) : stateText;
  els.conn.title = detailText;
}

/** The totals row: counts across the programmes, money per currency. */
function drawTotals(): void {
  // Before the programme list comes, the programmes the summaries name.
  const shown = new Set([...programmes.keys()]);
  if (!programmesLoaded) for (const n of summaries.keys()) shown.add(n);
  if (!shown.size) {
    els.totals.replaceChildren(h("p", { class: "empty" }, programmesLoaded ? t("programmes.none") : t("card.waiting")));
    return;
  }
  // Facility programmes are totalled per unit, the others per currency.
  const figures: ProgrammeFigures[] = [];
  const resources: FacilityFigures[] = [];
  for (const n of shown) {
    const [p, s] = [programmes.get(n), summaries.get(n)];
    if (isFacility(p, s)) resources.push(facilityFigures(p?.facility, s));
    else figures.push(programmeFigures(p, s));
  }
  els.totals.replaceChildren(...renderTotals(totalsByCurrency(figures, resources)));
}

function feedRow(ev: ApplicationEvent): HTMLLIElement {
  const row = renderEventRow(ev, lookup);
  rowEvents.set(row, ev);
  return row;
}

// ---- sign-in --------------------------------------------------------------
function setSigninMessage(message: Text): void {
  signinMessage = message;
  els.signinMsg.textContent = words(message);
  if (typeof message === "string") delete els.signinMsg.dataset["msg"];
  else els.signinMsg.dataset["msg"] = message.key;
}

function showSignin(message: Text): void {
  els.dashboard.hidden = true;
  els.history.hidden = true;
  els.signout.hidden = true;
  els.signin.hidden = false;
  setSigninMessage(message);
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
  setSigninMessage(msg("signin.checking"));
  clients.programmes.listProgrammes({ pageSize: 1 }).then(
    () => startSession(),
    (err) => {
      const e = ConnectError.from(err);
      if (e.code === Code.Unauthenticated) {
        apiKey.clear();
        setSigninMessage(msg("signin.rejected"));
      } else {
        // The server may be restarting: go on, the streams retry.
        startSession();
      }
    },
  );
});

els.signout.addEventListener("click", () => signOut(msg("signout.done")));

function signOut(message: Text): void {
  session?.abort();
  session = null;
  eventFeed.stop();
  summaryFeed.stop();
  closeHistory();
  apiKey.clear();
  currentRole = null;
  downloads.clear();
  exports.clear();
  programmes.clear();
  programmesLoaded = false;
  summaries.clear();
  institutions.clear();
  pendingEvents = [];
  els.feed.replaceChildren();
  els.programmes.replaceChildren();
  els.totals.replaceChildren();
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
        const named = [ev.applicantInstitution, ev.teamActivity?.institution ?? "", ...(ev.teamActivity?.cleared ?? [])];
        if (named.some((i) => i && !institutions.has(i))) refreshInstitutionsSoon();
        if (programmesLoaded && !programmes.has(ev.programme)) refreshProgrammesSoon();
        if (historyApp && ev.application === historyApp) {
          appendHistory([ev]);
          if (ev.documentActivity) reloadDocumentsSoon();
        }
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
      feedNotice = message;
      drawFeedNotice();
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
      totalsDirty = true;
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
  setSigninMessage("");
  els.dashboard.hidden = false;
  els.signout.hidden = false;
  void loadWithRetry(loadProgrammes, session.signal);
  void loadWithRetry(loadInstitutions, session.signal);
  currentRole = null;
  void loadWithRetry(loadRole, session.signal);
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
        signOut(r.kind === "signout" ? r.message : msg("signout.missing"));
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
  fillProgrammeSelect();
  // The history panel's sign-off reads the programme's requirement.
  drawHistory();
  cardsAll = true;
  render.request();
}

/** The key's role: viewers get no download buttons (they may read documents' metadata only). */
async function loadRole(signal: AbortSignal): Promise<void> {
  const res = await clients.access.getCurrentApiKey({}, { signal });
  if (signal.aborted) return;
  currentRole = res.apiKey?.role ?? null;
  drawHistory();
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
  // And the institutions that team events name.
  for (const el of els.feed.querySelectorAll<HTMLElement>(".inst-name.mono[data-institution]")) {
    const name = el.dataset["institution"] ?? "";
    if (institutions.has(name)) el.replaceWith(institutionName(name, lookup));
  }
  fillInstitutionSelect();
  // The history panel names institutions (team, sign-off, events).
  drawHistory();
}

/** "name · other name", the page language's name first. */
function optionLabel(item: { displayName: string; localName: string }, localLang?: string): string {
  const n = names(item, undefined, localLang);
  return n.secondary ? `${n.primary} · ${n.secondary}` : n.primary;
}

function fillProgrammeSelect(): void {
  fillSelect(els.filterProgramme, t("feed.allProgrammes"), [...programmes.values()].map((p) => [p.name, optionLabel(p)]));
}

function fillInstitutionSelect(): void {
  fillSelect(
    els.filterInstitution,
    t("feed.allInstitutions"),
    [...institutions.values()].map((i) => [i.name, optionLabel(i, localNameLang(i.region))]),
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
  docsAbort?.abort();
  docsAbort = null;
  if (docsReload) clearTimeout(docsReload);
  docsReload = null;
  historyApp = null;
  historyEvents = [];
  historyDocs = [];
  els.history.hidden = true;
}

function openHistory(application: string, title: string): void {
  historyAbort?.abort();
  const abort = new AbortController();
  historyAbort = abort;
  historyApp = application;
  historyCursors = new Set();
  historyEvents = [];
  historyFallbackTitle = title;
  historyStatus = msg("history.loading");
  historyDocs = [];
  historyDocsStatus = msg("docs.loading");
  expandedKinds.clear();
  els.history.hidden = false;
  els.history.dataset["application"] = application;
  drawHistory();
  els.historyClose.focus();
  loadDocuments(application);
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
      historyStatus = null;
      drawHistory();
    } catch (err) {
      if (abort.signal.aborted) return;
      const f = describe(err);
      if (f.code === Code.Unauthenticated) {
        signOut(msg("signout.notAccepted"));
        return;
      }
      historyStatus = msg("history.failed", { detail: [f.reason, f.message].filter(Boolean).join(": ") });
      drawHistory();
    }
  })();
}

/** Lists the application's documents, every version, into the panel. */
function loadDocuments(application: string): void {
  docsAbort?.abort();
  const abort = new AbortController();
  docsAbort = abort;
  void (async () => {
    try {
      const all: Document[] = [];
      let pageToken = "";
      do {
        const res = await clients.documents.listDocuments({ parent: application, pageSize: 1000, pageToken, allVersions: true }, { signal: abort.signal });
        if (abort.signal.aborted) return;
        all.push(...res.documents);
        pageToken = res.nextPageToken;
      } while (pageToken);
      historyDocs = all;
      historyDocsStatus = null;
      drawHistory();
    } catch (err) {
      if (abort.signal.aborted) return;
      const f = describe(err);
      if (f.code === Code.Unauthenticated) {
        signOut(msg("signout.notAccepted"));
        return;
      }
      historyDocsStatus = msg("docs.failed", { detail: [f.reason, f.message].filter(Boolean).join(": ") });
      drawHistory();
    }
  })();
}

/** After a document event of the open application: list its documents again. */
function reloadDocumentsSoon(): void {
  if (docsReload || !historyApp) return;
  docsReload = setTimeout(() => {
    docsReload = null;
    if (historyApp) loadDocuments(historyApp);
  }, 150);
}

/** The role of the key that uploaded each document, and the person behind it, from its event in the panel. */
function uploaders(): Map<string, { role: Role; person?: Person | undefined }> {
  const by = new Map<string, { role: Role; person?: Person | undefined }>();
  for (const ev of historyEvents) {
    const a = ev.documentActivity;
    if (a?.document && a.kind !== DocumentActivity_Kind.DOCUMENT_DELETED) by.set(a.document.name, { role: ev.actorRole, person: ev.actorPerson });
  }
  return by;
}

function drawDocuments(): HTMLElement {
  const by = uploaders();
  return renderDocuments({
    docs: historyDocs,
    status: historyDocsStatus,
    canDownload: mayDownload(currentRole),
    uploader: (name) => by.get(name),
    downloads,
    expanded: expandedKinds,
    onToggle(kind, open) {
      if (open) expandedKinds.add(kind);
      else expandedKinds.delete(kind);
    },
  });
}

// ---- downloads --------------------------------------------------------------------
els.historyBody.addEventListener("click", (ev) => {
  const button = (ev.target as Element).closest<HTMLButtonElement>("[data-download]");
  if (button && !button.disabled) startDownload(button.dataset["download"]!);
});

/** Shows a download's state where its document is drawn. */
function setDownload(name: string, state: DownloadState): void {
  downloads.set(name, state);
  const busy = state.phase === "running" || state.phase === "verifying";
  for (const el of els.historyBody.querySelectorAll<HTMLElement>(`[data-status-for="${CSS.escape(name)}"]`)) {
    el.replaceWith(renderDownloadStatus(name, state));
  }
  for (const b of els.historyBody.querySelectorAll<HTMLButtonElement>(`[data-download="${CSS.escape(name)}"]`)) b.disabled = busy;
}

/**
 * Downloads a document over gRPC-Web (server streaming), checks its
 * SHA-256 and saves it under its file name; what does not check out is
 * not saved, and the refusal or failure is shown beside the document.
 */
function startDownload(name: string): void {
  const doc = historyDocs.find((d) => d.name === name);
  const signal = session?.signal;
  const now = downloads.get(name);
  if (!doc || !signal || now?.phase === "running" || now?.phase === "verifying") return;
  setDownload(name, { phase: "running", received: 0n, total: doc.sizeBytes });
  downloadDocument((offset, s) => clients.documents.downloadDocument({ name, offset }, { signal: s }), {
    signal,
    onProgress: (received, total) => setDownload(name, { phase: "running", received, total }),
    onVerifying: () => setDownload(name, { phase: "verifying" }),
  }).then(
    ({ document, blob }) => {
      if (signal.aborted) return;
      saveBlob(blob, document.fileName || doc.fileName);
      setDownload(name, { phase: "saved" });
    },
    (err) => {
      if (signal.aborted) return;
      if (err instanceof DownloadError) {
        const message =
          err.failure === "checksum"
            ? msg("docs.checksumMismatch")
            : err.failure === "size"
              ? msg("docs.sizeMismatch", { received: formatBytes(err.received), size: formatBytes(doc.sizeBytes) })
              : err.failure === "changed"
                ? msg("docs.changed")
                : msg("docs.badStream");
        setDownload(name, { phase: "failed", message, failure: err.failure });
        return;
      }
      const f = describe(err);
      if (f.code === Code.Unauthenticated) {
        signOut(msg("signout.notAccepted"));
        return;
      }
      const detail = [f.reason, f.message].filter(Boolean).join(": ");
      const denied = f.code === Code.PermissionDenied;
      setDownload(name, {
        phase: "failed",
        message: msg(denied ? "docs.denied" : "docs.downloadFailed", { detail }),
        failure: denied ? "denied" : (f.reason ?? "error"),
      });
    },
  );
}

// ---- CSV downloads of a programme -------------------------------------------
els.programmes.addEventListener("click", (ev) => {
  const button = (ev.target as Element).closest<HTMLButtonElement>("[data-export]");
  const programme = button?.closest<HTMLElement>("[data-programme]")?.dataset["programme"];
  const kind = button?.dataset["export"];
  if (button && !button.disabled && programme && (kind === "applications" || kind === "payments")) startExport(programme, kind);
});

/** Shows an export's state on its programme's card (drawn again from `exports` when the card is). */
function setExport(programme: string, kind: ExportKind, state: ExportState): void {
  let byKind = exports.get(programme);
  if (!byKind) exports.set(programme, (byKind = new Map()));
  byKind.set(kind, state);
  const cardEl = els.programmes.querySelector(`[data-programme="${CSS.escape(programme)}"]`);
  if (!cardEl) return;
  cardEl.querySelector(`[data-export-status="${kind}"]`)?.replaceWith(renderExportStatus(kind, state));
  const button = cardEl.querySelector<HTMLButtonElement>(`[data-export="${kind}"]`);
  if (button) button.disabled = state.phase === "running";
}

/**
 * Lists the programme's applications (every page), and for payments the
 * disbursements of each paid one, with this tab's key, and saves them as
 * `programme-<id>-applications.csv` or `programme-<id>-disbursements.csv`,
 * the columns of grantctl's exports (see lib/csv.ts).
 */
function startExport(programme: string, kind: ExportKind): void {
  const signal = session?.signal;
  if (!signal || exports.get(programme)?.get(kind)?.phase === "running") return;
  setExport(programme, kind, { phase: "running", progress: { step: "applications", done: 0 } });
  exportProgramme(
    kind,
    programme,
    {
      listApplications: (parent, pageToken, s) => clients.applications.listApplications({ parent, pageToken, pageSize: 1000 }, { signal: s }),
      listDisbursements: (parent, pageToken, s) => clients.awards.listDisbursements({ parent, pageToken, pageSize: 1000 }, { signal: s }),
      async getInstitution(name, s) {
        try {
          return (await clients.institutions.getInstitution({ name }, { signal: s })).institution;
        } catch (err) {
          const code = ConnectError.from(err).code;
          // Not visible to this key: its names stay empty.
          if (code === Code.NotFound || code === Code.PermissionDenied) return undefined;
          throw err;
        }
      },
    },
    {
      signal,
      knownInstitution: (name) => institutions.get(name),
      onProgress: (progress) => {
        if (!signal.aborted) setExport(programme, kind, { phase: "running", progress });
      },
    },
  ).then(
    ({ fileName, text, rows }) => {
      if (signal.aborted) return;
      saveBlob(new Blob([text], { type: CSV_MEDIA_TYPE }), fileName);
      setExport(programme, kind, { phase: "saved", rows, fileName });
    },
    (err) => {
      if (signal.aborted) return;
      const f = describe(err);
      if (f.code === Code.Unauthenticated) {
        signOut(msg("signout.notAccepted"));
        return;
      }
      const detail = [f.reason, f.message].filter(Boolean).join(": ");
      const denied = f.code === Code.PermissionDenied;
      setExport(programme, kind, {
        phase: "failed",
        message: msg(denied ? "export.denied" : "export.failed", { detail }),
        failure: denied ? "denied" : (f.reason ?? "error"),
      });
    },
  );
}

function appendHistory(events: ApplicationEvent[]): void {
  let added = false;
  for (const ev of events) {
    if (ev.cursor && historyCursors.has(ev.cursor)) continue;
    historyCursors.add(ev.cursor);
    historyEvents.push(ev);
    added = true;
  }
  if (added) drawHistory();
}

/** Draws the history panel from its events: the facts of the latest snapshot, then the timeline. */
function drawHistory(): void {
  if (!historyApp) return;
  const latest = [...historyEvents].reverse().find((ev) => ev.snapshot);
  els.historyTitle.textContent = latest?.snapshot?.title || historyFallbackTitle || historyApp;
  const list = h(
    "ol",
    { class: "timeline", id: "history-list" },
    historyEvents.map((ev) => renderHistoryItem(ev, lookup)),
    !historyEvents.length && !historyStatus && h("li", { class: "muted" }, t("history.none")),
  );
  els.historyBody.replaceChildren(
    h("p", { class: "muted mono" }, historyApp),
    latest?.snapshot ? renderApplicationFacts(latest.snapshot, latest.programme, lookup) : "",
    latest?.snapshot ? renderTeam(latest.snapshot, lookup) : "",
    latest?.snapshot ? renderSignOff(latest.snapshot, latest.programme, lookup) : "",
    historyStatus ? h("p", { class: "muted", id: "history-status" }, words(historyStatus)) : "",
    drawDocuments(),
    h("h3", { class: "facts-h" }, t("history.events")),
    list,
  );
}

function drawFeedNotice(): void {
  els.feedNotice.hidden = !feedNotice;
  els.feedNotice.textContent = words(feedNotice);
}

// ---- language -----------------------------------------------------------------
/** Words, numbers and dates in `lang`: the static text, then everything drawn. */
function applyLanguage(lang: Lang): void {
  useLanguage(lang, localeFor(lang, browserLanguages()));
  const root = document.documentElement;
  root.lang = locale();
  root.dataset["lang"] = lang;
  document.title = t("doc.title");
  for (const el of document.querySelectorAll<HTMLElement>("[data-i18n]")) {
    const key = el.dataset["i18n"] ?? "";
    if (isMsgKey(key)) el.textContent = t(key);
  }
  for (const el of document.querySelectorAll<HTMLElement>("[data-i18n-aria-label]")) {
    const key = el.dataset["i18nAriaLabel"] ?? "";
    if (isMsgKey(key)) el.setAttribute("aria-label", t(key));
  }
  for (const b of els.langSwitch.querySelectorAll<HTMLButtonElement>("[data-set-lang]")) {
    b.setAttribute("aria-pressed", String(b.dataset["setLang"] === lang));
  }
  // What is drawn already, again in the new language.
  setSigninMessage(signinMessage);
  drawFeedNotice();
  fillProgrammeSelect();
  fillInstitutionSelect();
  for (const row of [...els.feed.children]) {
    const ev = rowEvents.get(row);
    if (ev) row.replaceWith(feedRow(ev));
  }
  drawHistory();
  if (session) {
    cardsAll = true;
    totalsDirty = true;
  }
  // At once, so that no frame shows two languages.
  render.flush();
}

els.langSwitch.addEventListener("click", (ev) => {
  const lang = (ev.target as Element).closest<HTMLElement>("[data-set-lang]")?.dataset["setLang"];
  if (!isLang(lang)) return;
  // Remembered even when it is the language shown: a choice made.
  storeLang(lang);
  if (lang !== language()) applyLanguage(lang);
});

// With no choice made on the page, follow the browser's languages.
window.addEventListener("languagechange", () => {
  if (!storedLang()) applyLanguage(detectLang(browserLanguages()));
});

// ---- start ------------------------------------------------------------------
applyLanguage(storedLang() ?? detectLang(browserLanguages()));
if (apiKey.get()) startSession();
else showSignin("");
