// Keeps a WatchProgrammeSummary stream open: one summary per programme at
// start, then one after each change. Reconnects with backoff; a fresh
// stream starts with a full set again, so nothing needs resuming.
import { Code } from "@connectrpc/connect";
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff";
import { describe, failureText, recoveryFor } from "./errors";
import { msg, type Msg, type Text } from "./i18n";
import type { ConnState } from "./event-feed";

export interface SummaryDeps<S> {
  watchSummaries(signal: AbortSignal, onOpen: () => void): AsyncIterable<S>;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  random(): number;
  now?(): number;
}

/**
 * A stream that stayed open this long counts as healthy: the next reconnect
 * starts the backoff over. (A summary stream may carry no message at all,
 * e.g. with no programme in scope, and the server may close an idle one.)
 */
export const HEALTHY_STREAM_MS = 5_000;

/** A stream that has not failed this long after it was opened is open. */
export const SETTLE_MS = 1_500;

export interface SummarySink<S> {
  summary(s: S): void;
  state(state: ConnState, detail?: Text): void;
  signedOut(message: Msg): void;
}

export class SummaryFeed<S> {
  private run: AbortController | null = null;
  constructor(
    private readonly deps: SummaryDeps<S>,
    private readonly sink: SummarySink<S>,
    private readonly backoffOptions: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  start(): Promise<void> {
    this.stop();
    const run = new AbortController();
    this.run = run;
    return this.loop(run.signal);
  }

  stop(): void {
    this.run?.abort();
    this.run = null;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(this.backoffOptions, this.deps.random);
    let lastFailed = false;
    let everOpen = false;
    while (!signal.aborted) {
      if (!everOpen || lastFailed) this.sink.state(lastFailed ? "reconnecting" : "connecting");
      let failed = false;
      let detail: Text = "";
      const now = this.deps.now ?? Date.now;
      let openedAt = -1;
      let settle: ReturnType<typeof setTimeout> | undefined;
      try {
        const opened = () => {
          if (openedAt < 0) openedAt = now();
          if (!signal.aborted) this.sink.state("live");
        };
        // Response headers may not arrive before the first summary (and with
        // no programme in scope there is none): a stream that has not
        // failed within SETTLE_MS is taken as open.
        settle = setTimeout(opened, SETTLE_MS);
        for await (const s of this.deps.watchSummaries(signal, opened)) {
          backoff.reset();
          this.sink.state("live");
          this.sink.summary(s);
        }
      } catch (err) {
        if (signal.aborted) return;
        const f = describe(err);
        if (f.code === Code.Canceled) return;
        if (f.code === Code.Unauthenticated) {
          const r = recoveryFor(f, "");
          this.sink.state("signed-out");
          this.sink.signedOut(r.kind === "signout" ? r.message : msg("signout.missing"));
          return;
        }
        failed = true;
        detail = failureText(f);
      } finally {
        clearTimeout(settle);
      }
      if (signal.aborted) return;
      if (openedAt >= 0 && now() - openedAt >= HEALTHY_STREAM_MS) backoff.reset();
      // A stream that ends without an error is not a fault: the server ends
      // it at once when no programme is in scope. The figures shown stay
      // valid; ask again after the backoff (new programmes then show up).
      lastFailed = failed;
      everOpen ||= openedAt >= 0;
      if (failed) this.sink.state("reconnecting", detail);
      else this.sink.state("live");
      await this.deps.sleep(backoff.next(), signal);
    }
  }
}
