// Capped exponential backoff with jitter, for reconnecting streams.

export interface BackoffOptions {
  /** First delay, in ms. */
  baseMs: number;
  /** Largest delay, in ms. */
  maxMs: number;
  /** Growth per attempt. */
  factor: number;
  /** Fraction of the delay that is random: 0.5 gives delays in [d/2, d]. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 15_000, factor: 2, jitter: 0.5 };

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * Math.pow(opts.factor, Math.max(0, Math.min(attempt, 60))));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(exp * (1 - opts.jitter) + exp * opts.jitter * r);
}

/** Retry counter: `next()` gives the next delay, `reset()` after a success. */
export class Backoff {
  attempt = 0;
  constructor(
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}
  next(): number {
    const d = backoffDelay(this.attempt, this.opts, this.random);
    this.attempt++;
    return d;
  }
  reset(): void {
    this.attempt = 0;
  }
}
