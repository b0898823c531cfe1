import { test } from "node:test";
import assert from "node:assert/strict";
import { Application_State as State, ReviewActivity_Kind as Kind } from "../src/gen/gba/grants/v1/application_pb";
import { ApiKey_Role as Role } from "../src/gen/gba/grants/v1/access_pb";
import { roleLabel } from "../src/lib/labels";
import {
  describeReviewEvent,
  reviewCountText,
  reviewKindLabel,
  reviewKindToken,
  reviewProgress,
  reviewSettingsText,
} from "../src/lib/reviews";

const activity = (kind: Kind, completedReviews: number, requiredReviews: number) => ({ kind, completedReviews, requiredReviews });

test("programme review progress: completed / required, none without peer review", () => {
  assert.equal(reviewProgress(0n, 0n), null);
  assert.equal(reviewProgress(undefined, undefined), null);
  assert.deepEqual(reviewProgress(3n, 4n), { completed: 3n, required: 4n, percent: 75, text: "3 / 4", label: "3 of 4 reviews completed" });
  assert.equal(reviewProgress(0n, 6n)?.percent, 0);
  assert.equal(reviewProgress(1n, 3n)?.percent, 33.33);
  assert.equal(reviewProgress(1n, 1n)?.label, "1 of 1 review completed");
  // int64 counts beyond 2^53 stay exact in the words, grouped for the locale.
  assert.equal(reviewProgress(9_007_199_254_740_993n, 9_007_199_254_740_994n)?.text, "9,007,199,254,740,993 / 9,007,199,254,740,994");
  assert.equal(reviewProgress(1n, 2n)?.label, "1 of 2 reviews completed");
});

test("the bar never draws past full or below empty", () => {
  const over = reviewProgress(5n, 4n)!;
  assert.equal(over.percent, 100);
  assert.equal(over.text, "5 / 4");
  assert.equal(reviewProgress(-1n, 4n)?.percent, 0);
});

test("review settings in words, with the default of 2 reviews", () => {
  assert.equal(reviewSettingsText(undefined), "");
  assert.equal(reviewSettingsText({ requiredReviews: 0 }), "Peer review: 2 reviews per application");
  assert.equal(reviewSettingsText({ requiredReviews: 1 }), "Peer review: 1 review per application");
  assert.equal(reviewSettingsText({ requiredReviews: 5 }), "Peer review: 5 reviews per application");
});

test("review event kinds in words, with stable tokens", () => {
  assert.equal(reviewKindLabel(Kind.REVIEWER_ASSIGNED), "Reviewer assigned");
  assert.equal(reviewKindLabel(Kind.CONFLICT_DECLARED), "Conflict declared");
  assert.equal(reviewKindLabel(Kind.REVIEW_SUBMITTED), "Review submitted");
  assert.equal(reviewKindLabel(Kind.REVIEW_REVISED), "Review revised");
  assert.equal(reviewKindLabel(Kind.REVIEWS_OVERRIDDEN), "Approved with incomplete reviews (override)");
  assert.equal(reviewKindLabel(99 as Kind), "Review activity 99");
  assert.equal(reviewKindToken(Kind.REVIEW_SUBMITTED), "REVIEW_SUBMITTED");
  assert.equal(reviewKindToken(99 as Kind), "99");
});

test("an application's review count", () => {
  assert.equal(reviewCountText(1, 2), "1/2 reviews");
  assert.equal(reviewCountText(0, 1), "0/1 review");
  assert.equal(reviewCountText(0, 0), "");
});

test("review events read as what happened, not as a state change that did not change", () => {
  const U = State.UNDER_REVIEW;
  assert.deepEqual(describeReviewEvent(State.SUBMITTED, U, activity(Kind.REVIEWER_ASSIGNED, 0, 2)), {
    token: "REVIEWER_ASSIGNED",
    text: "Reviewer assigned · 0/2 reviews",
    showStateChange: true, // the first assignment starts the review
  });
  assert.deepEqual(describeReviewEvent(U, U, activity(Kind.REVIEWER_ASSIGNED, 1, 2)), {
    token: "REVIEWER_ASSIGNED",
    text: "Reviewer assigned · 1/2 reviews",
    showStateChange: false,
  });
  assert.equal(describeReviewEvent(U, U, activity(Kind.REVIEW_SUBMITTED, 2, 2)).text, "Review submitted · 2/2 reviews");
  assert.equal(describeReviewEvent(U, U, activity(Kind.REVIEW_REVISED, 2, 2)).text, "Review revised · 2/2 reviews");
  assert.equal(describeReviewEvent(U, U, activity(Kind.CONFLICT_DECLARED, 0, 2)).text, "Conflict declared · 0/2 reviews");
  const override = describeReviewEvent(U, State.APPROVED, activity(Kind.REVIEWS_OVERRIDDEN, 1, 2));
  assert.equal(override.text, "Approved with incomplete reviews (override) · 1/2 reviews");
  assert.equal(override.showStateChange, false, "the words already say Approved");
  // No count known: the words alone.
  assert.equal(describeReviewEvent(U, U, activity(Kind.CONFLICT_DECLARED, 0, 0)).text, "Conflict declared");
  assert.equal(describeReviewEvent(State.UNSPECIFIED, U, activity(Kind.REVIEWER_ASSIGNED, 0, 2)).showStateChange, false);
});

test("the reviewer role in words", () => {
  assert.equal(roleLabel(Role.REVIEWER), "Reviewer");
  assert.equal(roleLabel(Role.VIEWER), "Viewer");
});
