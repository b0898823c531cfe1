// History, then live: loads the committed events of a filter page by page
// (oldest first), then watches from the cursor of the last one, and keeps
// watching across dropped streams and server restarts, resuming from the
// last cursor so that no event is missed or shown twice.
//
// The transport is injected (see `FeedDeps`), so this runs unchanged in
// unit tests against a scripted fake server.
import { Code } from "@connectrpc/connect";
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff";
import { describe, failureText, recoveryFor, type Failure } from "./errors";
import { msg, type Msg, type Text } from "./i18n";
import { ResumeState } from "./resume";

/** At most one of the three; none means everything the key may see. */
export interface Filter {
  programme?: string;
  institution?: string;
  application?: string;
}

export interface WatchRequestFields {
  programme: string;
  applicantInstitution: string;
  application: string;
  cursor: string;
}

/** The `parent` of ListApplicationEvents for a filter. */
export function historyParent(f: Filter): string {
  return f.application || f.programme || f.institution || "programmes/-";
}

/** The WatchApplicationEvents request for a filter and a resume cursor. */
export function watchRequest(f: Filter, cursor: string): WatchRequestFields {
  return {
    programme: f.application ? "" : f.programme ?? "",
    applicantInstitution: f.application || f.programme ? "" : f.institution ?? "",
    application: f.application ?? "",
    cursor,
  };
}

export type ConnState = "loading" | "connecting" | "live" | "reconnecting" | "stale" | "signed-out" | "stopped";

/** One message of the watch stream, reduced to what matters here. */
export interface StreamMessage<E> {
  event?: E;
  progressCursor?: string;
}

export interface FeedDeps<E extends { cursor: string }> {
  listEvents(parent: string, pageToken: string, pageSize: number, signal: AbortSignal): Promise<{ events: E[]; nextPageToken: string }>;
  watchEvents(req: WatchRequestFields, signal: AbortSignal, onOpen: () => void): AsyncIterable<StreamMessage<E>>;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  random(): number;
  now?(): number;
}

/** A stream open this long was healthy: the next reconnect starts the backoff over. */
export const HEALTHY_STREAM_MS = 5_000;

/** A stream that has not failed this long after it was opened is open. */
export const SETTLE_MS = 1_500;

export interface FeedSink<E> {
  /** Forget every row shown (history is about to be loaded again). */
  reset(): void;
  /** Events not shown before, oldest first. */
  events(batch: E[]): void;
  state(state: ConnState, detail?: Text): void;
  signedOut(message: Msg): void;
  notice(message: Text | null): void;
}

export interface FeedOptions {
  /** No message (event or progress) for this long: the data is stale. */
  staleMs: number;
  /** No message for this long: the connection is presumed dead and reopened. */
  deadMs: number;
  /** How many of the newest history events are handed to the sink. */
  historyLimit: number;
  pageSize: number;
  backoff: BackoffOptions;
}

export const DEFAULT_FEED_OPTIONS: FeedOptions = {
  staleMs: 25_000,
  deadMs: 60_000,
  historyLimit: 500,
  pageSize: 1000,
  backoff: DEFAULT_BACKOFF,
};

export class EventFeed<E extends { cursor: string }> {
  /** The resume state of the current run (each run has its own). */
  resume = new ResumeState();
  private run: AbortController | null = null;
  private readonly opts: FeedOptions;

  constructor(
    private readonly deps: FeedDeps<E>,
    private readonly sink: FeedSink<E>,
    opts: Partial<FeedOptions> = {},
  ) {
    this.opts = { ...DEFAULT_FEED_OPTIONS, ...opts };
  }

  /** (Re)starts for a filter; the previous run is cancelled. Resolves when the run ends. */
  start(filter: Filter): Promise<void> {
    this.stop();
    const run = new AbortController();
    this.run = run;
    return this.loop(filter, run.signal).catch((err) => {
      if (!run.signal.aborted) this.sink.state("reconnecting", String(err));
    });
  }

  stop(): void {
    this.run?.abort();
    this.run = null;
  }

  private async loop(filter: Filter, signal: AbortSignal): Promise<void> {
    const { deps, sink } = this;
    const resume = new ResumeState();
    this.resume = resume;
    const backoff = new Backoff(this.opts.backoff, deps.random);
    let reload = true;
    while (!signal.aborted) {
      if (reload) {
        sink.reset();
        resume.reset();
        sink.notice(null);
        sink.state(backoff.attempt > 0 ? "reconnecting" : "loading");
        try {
          await this.loadHistory(filter, signal, resume);
        } catch (err) {
          if (signal.aborted) return;
          const f = describe(err);
          if (f.code === Code.Unauthenticated) {
            const r = recoveryFor(f, "");
            sink.state("signed-out");
            sink.signedOut(r.kind === "signout" ? r.message : msg("signout.missing"));
            return;
          }
          if (f.code === Code.InvalidArgument || f.code === Code.Unimplemented) {
            // The server cannot list history for this filter: show what
            // happens from now on rather than nothing.
            sink.notice(msg("feed.historyUnavailable", { detail: f.message || f.reason || String(f.code ?? "") }));
          } else {
            sink.state("reconnecting", failureText(f));
            await deps.sleep(backoff.next(), signal);
            continue;
          }
        }
        if (signal.aborted) return;
        reload = false;
      }

      const failure = await this.watchOnce(filter, signal, backoff, resume);
      if (signal.aborted) return;
      const r = recoveryFor(failure, resume.cursor);
      switch (r.kind) {
        case "stop":
          return;
        case "signout":
          sink.state("signed-out");
          sink.signedOut(r.message);
          return;
        case "reload":
          reload = true;
          sink.state("reconnecting", failureText(failure));
          {
            // A cursor of no use: reload at once the first time, with
            // backoff should it go on.
            const delay = backoff.next();
            await deps.sleep(failure.reason?.startsWith("CURSOR_") && backoff.attempt === 1 ? 0 : delay, signal);
          }
          break;
        case "resume":
          sink.state("reconnecting", failureText(failure));
          await deps.sleep(r.immediate ? Math.round(deps.random() * 250) : backoff.next(), signal);
          break;
      }
    }
  }

  private async loadHistory(filter: Filter, signal: AbortSignal, resume: ResumeState): Promise<void> {
    const parent = historyParent(filter);
    const tail: E[] = [];
    let token = "";
    let count = 0;
    do {
      const page = await this.deps.listEvents(parent, token, this.opts.pageSize, signal);
      if (signal.aborted) return;
      for (const ev of page.events) {
        if (!resume.takeEvent(ev.cursor)) continue;
        tail.push(ev);
        count++;
      }
      if (tail.length > this.opts.historyLimit) tail.splice(0, tail.length - this.opts.historyLimit);
      token = page.nextPageToken;
      if (token) this.sink.state("loading", msg("detail.historyCount", { count }));
    } while (token && !signal.aborted);
    if (tail.length && !signal.aborted) this.sink.events(tail);
  }

  /** One watch stream, from open to end; returns why it ended. */
  private async watchOnce(filter: Filter, signal: AbortSignal, backoff: Backoff, resume: ResumeState): Promise<Failure> {
    const { deps, sink, opts } = this;
    const stream = new AbortController();
    const onAbort = () => stream.abort();
    signal.addEventListener("abort", onAbort);
    if (signal.aborted) stream.abort();
    let dead = false;
    let staleTimer: unknown = null;
    let deadTimer: unknown = null;
    const arm = () => {
      if (staleTimer !== null) deps.clearTimer(staleTimer);
      if (deadTimer !== null) deps.clearTimer(deadTimer);
      staleTimer = deps.setTimer(() => sink.state("stale", msg("detail.staleFor", { seconds: Math.round(opts.staleMs / 1000) })), opts.staleMs);
      deadTimer = deps.setTimer(() => {
        dead = true;
        stream.abort();
      }, opts.deadMs);
    };
    let gotMessage = false;
    const now = deps.now ?? Date.now;
    let openedAt = -1;
    let settle: unknown = null;
    sink.state(backoff.attempt > 0 ? "reconnecting" : "connecting");
    arm();
    try {
      const opened = () => {
        if (openedAt < 0) openedAt = now();
        if (!signal.aborted && !gotMessage) sink.state("live");
      };
      // Response headers may come only with the first message: a stream
      // that has not failed within SETTLE_MS is taken as open.
      settle = deps.setTimer(opened, SETTLE_MS);
      const messages = deps.watchEvents(watchRequest(filter, resume.cursor), stream.signal, opened);
      for await (const m of messages) {
        if (signal.aborted) break;
        arm();
        if (!gotMessage) {
          gotMessage = true;
          backoff.reset();
        }
        sink.state("live");
        if (m.event) {
          if (resume.takeEvent(m.event.cursor)) sink.events([m.event]);
        } else if (m.progressCursor !== undefined) {
          resume.takeProgress(m.progressCursor);
        }
      }
      return { note: "detail.streamEnded" };
    } catch (err) {
      if (dead && !signal.aborted) return { code: Code.Unavailable, note: "detail.silent" };
      return describe(err);
    } finally {
      if (settle !== null) deps.clearTimer(settle);
      if (openedAt >= 0 && now() - openedAt >= HEALTHY_STREAM_MS) backoff.reset();
      if (staleTimer !== null) deps.clearTimer(staleTimer);
      if (deadTimer !== null) deps.clearTimer(deadTimer);
      signal.removeEventListener("abort", onAbort);
    }
  }
}
