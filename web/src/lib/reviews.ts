// Peer review in words: the review progress of a programme summary, and the
// review events of the feed (`ApplicationEvent.review_activity`). Plain
// data and strings (in the current language, see i18n.ts), so that the
// DOM code stays thin and this is testable.
import { Application_State as State, ReviewActivity_Kind as Kind } from "../gen/gba/grants/v1/application_pb";
import { formatNumber, isMsgKey, t, tn } from "./i18n";

/** The programme's default when `ReviewSettings.required_reviews` is 0. */
export const DEFAULT_REQUIRED_REVIEWS = 2;

export interface ReviewProgress {
  completed: bigint;
  required: bigint;
  /** completed / required in 0..=100, to 0.01 %, for drawing only. */
  percent: number;
  /** "3 / 4". */
  text: string;
  /** "3 of 4 reviews completed", for assistive technology. */
  label: string;
}

/**
 * The review progress of a programme summary (`reviews_completed`,
 * `reviews_required`), or null when no review is required (no peer
 * review, or nothing awaiting a decision).
 */
export function reviewProgress(completed: bigint | number | undefined, required: bigint | number | undefined): ReviewProgress | null {
  const r = BigInt(required ?? 0);
  if (r <= 0n) return null;
  const c = BigInt(completed ?? 0);
  const drawn = c < 0n ? 0n : c > r ? r : c;
  return {
    completed: c,
    required: r,
    percent: Number((drawn * 10_000n) / r) / 100,
    text: `${formatNumber(c)} / ${formatNumber(r)}`,
    label: tn("reviews.aria", r, { completed: c, required: r }),
  };
}

/** "Peer review: 2 reviews per application", from the programme's settings. */
export function reviewSettingsText(settings: { requiredReviews: number } | undefined): string {
  if (!settings) return "";
  const n = settings.requiredReviews > 0 ? settings.requiredReviews : DEFAULT_REQUIRED_REVIEWS;
  return tn("reviews.settings", n);
}

export function reviewKindLabel(k: Kind): string {
  const key = `review.${Kind[k] ?? ""}`;
  return isMsgKey(key) ? t(key) : t("review.unknown", { n: k });
}

/** Stable token for CSS and tests: `REVIEWER_ASSIGNED`, `REVIEW_SUBMITTED`, … */
export function reviewKindToken(k: Kind): string {
  return Kind[k] ?? String(k);
}

/** "1/2 reviews" (an application's completed / required); empty when none is required. */
export function reviewCountText(completed: number, required: number): string {
  if (!(required > 0)) return "";
  return tn("reviews.count", required, { completed, required });
}

export interface ReviewActivityLike {
  kind: Kind;
  completedReviews: number;
  requiredReviews: number;
}

export interface ReviewEventView {
  /** For CSS and tests (`data-review`). */
  token: string;
  /** "Reviewer assigned · 1/2 reviews". */
  text: string;
  /**
   * Whether to show the state change beside it as well: only when the state
   * changed (the first assignment moves SUBMITTED to UNDER_REVIEW), and not
   * for an override, whose words already say "Approved".
   */
  showStateChange: boolean;
}

/** How a peer-review event reads in the feed and the history panel. */
export function describeReviewEvent(previous: State, next: State, a: ReviewActivityLike): ReviewEventView {
  const count = reviewCountText(a.completedReviews, a.requiredReviews);
  return {
    token: reviewKindToken(a.kind),
    text: count ? `${reviewKindLabel(a.kind)} · ${count}` : reviewKindLabel(a.kind),
    showStateChange: a.kind !== Kind.REVIEWS_OVERRIDDEN && previous !== State.UNSPECIFIED && previous !== next,
  };
}
