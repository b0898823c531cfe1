//! Peer review: a programme's review settings, reviews (one per assigned
//! reviewer), their weighted scores, and the ranking of a programme's
//! applications against its remaining budget. The decisions of the review
//! actions (assign, declare a conflict, submit) are pure functions over a
//! [`Situation`], like the lifecycle's.

use std::cmp::Ordering;

use super::access::{ApiKey, Caller, Role};
use super::application::{Application, State};
use super::error::{Error, Reason, Result, Violations};
use super::event::{NewEvent, ReviewActivity, ReviewActivityKind};
use super::ids::{ApiKeyName, InstitutionName, ProgrammeName, ReviewName};
use super::lifecycle::{Action, Outcome, Situation, authorise, not_visible, transition};
use super::money::Money;
use super::programme::Programme;
use super::text;
use super::time::Timestamp;

pub const MAX_CRITERIA: usize = 10;
pub const MAX_CRITERION_CHARS: usize = 100;
pub const DEFAULT_MAX_SCORE: i32 = 5;
pub const MAX_MAX_SCORE: i32 = 10;
pub const DEFAULT_REQUIRED_REVIEWS: i32 = 2;
pub const MAX_REQUIRED_REVIEWS: i32 = 20;
pub const MAX_COMMENT_CHARS: usize = 10_000;
pub const MAX_CONFLICT_CHARS: usize = 2_000;
/// Weights are kept exactly, in thousandths.
const WEIGHT_SCALE: f64 = 1000.0;
const MAX_WEIGHT_MILLI: i64 = 1_000_000;

/// One criterion and its weight in thousandths (0.5 is 500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub name: String,
    pub weight_milli: i64,
}

/// How a programme's applications are peer reviewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewSettings {
    pub criteria: Vec<Criterion>,
    /// Scores run from 1 to this.
    pub max_score: i32,
    pub required_reviews: i32,
    pub reviewers_see_email: bool,
    /// A review was submitted: the settings are fixed.
    pub locked: bool,
}

/// Review settings as a client sends them.
#[derive(Debug, Clone, Default)]
pub struct ReviewSettingsInput {
    pub criteria: Vec<(String, f64)>,
    pub max_score: i32,
    pub required_reviews: i32,
    pub reviewers_see_email: bool,
}

impl ReviewSettings {
    /// Validates every field under `prefix`, applying the defaults (a 1–5
    /// scale, two required reviews).
    pub fn parse(input: ReviewSettingsInput, prefix: &str) -> Result<Self> {
        let f = |name: &str| format!("{prefix}.{name}");
        let mut v = Violations::new();
        if input.criteria.is_empty() || input.criteria.len() > MAX_CRITERIA {
            v.add(f("criteria"), format!("must name 1 to {MAX_CRITERIA} criteria"));
        }
        let mut criteria: Vec<Criterion> = Vec::new();
        for (i, (name, weight)) in input.criteria.iter().enumerate() {
            let at = format!("{}[{i}]", f("criteria"));
            let name = v.check(text::required(name, &format!("{at}.name"), MAX_CRITERION_CHARS));
            let scaled = weight * WEIGHT_SCALE;
            let weight_milli = if !weight.is_finite() || *weight <= 0.0 {
                v.add(format!("{at}.weight"), "must be greater than zero");
                None
            } else if (scaled - scaled.round()).abs() > 1e-6 || scaled.round() > MAX_WEIGHT_MILLI as f64 {
                v.add(
                    format!("{at}.weight"),
                    "must be at most 1000, with at most three decimal places",
                );
                None
            } else {
                Some(scaled.round() as i64)
            };
            if let Some(name) = name {
                if criteria.iter().any(|c| c.name.trim() == name.trim()) {
                    v.add(format!("{at}.name"), format!("{} is named twice", text::excerpt(&name)));
                }
                if let Some(weight_milli) = weight_milli {
                    criteria.push(Criterion { name, weight_milli });
                }
            }
        }
        let max_score = match input.max_score {
            0 => DEFAULT_MAX_SCORE,
            n if (2..=MAX_MAX_SCORE).contains(&n) => n,
            _ => {
                v.add(f("max_score"), format!("must be from 2 to {MAX_MAX_SCORE} (0 means 5)"));
                DEFAULT_MAX_SCORE
            }
        };
        let required_reviews = match input.required_reviews {
            0 => DEFAULT_REQUIRED_REVIEWS,
            n if (1..=MAX_REQUIRED_REVIEWS).contains(&n) => n,
            _ => {
                v.add(
                    f("required_reviews"),
                    format!("must be from 1 to {MAX_REQUIRED_REVIEWS} (0 means 2)"),
                );
                DEFAULT_REQUIRED_REVIEWS
            }
        };
        v.finish()?;
        Ok(Self {
            criteria,
            max_score,
            required_reviews,
            reviewers_see_email: input.reviewers_see_email,
            locked: false,
        })
    }

    fn total_weight(&self) -> i128 {
        self.criteria.iter().map(|c| i128::from(c.weight_milli)).sum()
    }
}

/// Where a review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewState {
    Assigned,
    Completed,
    ConflictDeclared,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Assigned => "ASSIGNED",
            ReviewState::Completed => "COMPLETED",
            ReviewState::ConflictDeclared => "CONFLICT_DECLARED",
        }
    }

    pub fn parse(value: &str, field: &str) -> Result<Self> {
        [
            ReviewState::Assigned,
            ReviewState::Completed,
            ReviewState::ConflictDeclared,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
        .ok_or_else(|| Error::invalid(field, format!("{} is not a review state", text::excerpt(value))))
    }
}

/// A reviewer's recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recommendation {
    Fund,
    FundWithChanges,
    DoNotFund,
}

impl Recommendation {
    pub const ALL: [Recommendation; 3] = [
        Recommendation::Fund,
        Recommendation::FundWithChanges,
        Recommendation::DoNotFund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::Fund => "FUND",
            Recommendation::FundWithChanges => "FUND_WITH_CHANGES",
            Recommendation::DoNotFund => "DO_NOT_FUND",
        }
    }

    pub fn parse(value: &str, field: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == value)
            .ok_or_else(|| Error::invalid(field, format!("{} is not a recommendation", text::excerpt(value))))
    }
}

/// A score for one criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionScore {
    pub criterion: String,
    pub score: i32,
}

/// An exact weighted score: `num / den`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    pub num: i128,
    pub den: i128,
}

impl Score {
    pub fn as_f64(self) -> f64 {
        if self.den == 0 {
            0.0
        } else {
            self.num as f64 / self.den as f64
        }
    }

    /// Exact comparison (denominators are positive).
    pub fn cmp_exact(self, other: Score) -> Ordering {
        (self.num * other.den).cmp(&(other.num * self.den))
    }
}

/// One reviewer's review of one application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub name: ReviewName,
    pub reviewer: ApiKeyName,
    pub reviewer_institution: InstitutionName,
    /// Assignment order within the application, from 1.
    pub ordinal: i32,
    pub state: ReviewState,
    /// In the order of the programme's criteria.
    pub scores: Vec<CriterionScore>,
    pub recommendation: Option<Recommendation>,
    pub applicant_comment: String,
    pub officer_comment: String,
    pub conflict_reason: String,
    pub assigned_by: ApiKeyName,
    pub assign_time: Timestamp,
    pub submit_time: Option<Timestamp>,
    pub update_time: Timestamp,
    /// Times submitted.
    pub revision: i32,
}

impl Review {
    /// The weighted mean of the scores, for a completed review.
    pub fn score(&self, settings: &ReviewSettings) -> Option<Score> {
        if self.state != ReviewState::Completed {
            return None;
        }
        let num = settings
            .criteria
            .iter()
            .map(|c| {
                let s = self
                    .scores
                    .iter()
                    .find(|s| s.criterion == c.name)
                    .map_or(0, |s| s.score);
                i128::from(c.weight_milli) * i128::from(s)
            })
            .sum();
        Some(Score {
            num,
            den: settings.total_weight(),
        })
    }
}

/// A review as one caller may see it: who reviewed is for officers and
/// administrators; applicants see only the comment meant for them.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewView {
    pub review: Review,
    /// "Reviewer N".
    pub label: String,
    pub weighted_score: Option<f64>,
}

/// What a reviewer sends.
#[derive(Debug, Clone, Default)]
pub struct ReviewInput {
    pub scores: Vec<CriterionScore>,
    pub recommendation: Option<Recommendation>,
    pub applicant_comment: String,
    pub officer_comment: String,
}

/// Whether `review` counts for `application`: completed, by a reviewer
/// still free of conflict (partners may have changed since it was
/// submitted).
pub fn counts(review: &Review, application: &Application) -> bool {
    review.state == ReviewState::Completed && conflict_with(&review.reviewer_institution, application).is_none()
}

/// Reviews among `reviews` that count for `application`.
pub fn completed(reviews: &[Review], application: &Application) -> i32 {
    i32::try_from(reviews.iter().filter(|r| counts(r, application)).count()).unwrap_or(i32::MAX)
}

fn settings_of(p: &Programme) -> Result<&ReviewSettings> {
    p.review.as_ref().ok_or_else(|| {
        Error::precondition(
            Reason::ReviewNotConfigured,
            format!("{} has no review settings; an administrator sets them first", p.name),
        )
    })
}

fn event(caller: &Caller, previous: State, new: State, activity: ReviewActivity) -> NewEvent {
    NewEvent {
        previous: Some(previous),
        new,
        actor: caller.key.clone(),
        actor_role: caller.role,
        reason: String::new(),
        disbursement: None,
        review: Some(activity),
    }
}

/// The affiliation of `institution` with `application`, if any.
pub fn conflict_with(institution: &InstitutionName, application: &Application) -> Option<&'static str> {
    if institution == &application.applicant {
        Some("the applicant")
    } else if application.partners.contains(institution) {
        Some("a partner institution")
    } else {
        None
    }
}

fn unchanged(s: &Situation, review: Review) -> Outcome {
    Outcome {
        application: s.application.clone(),
        programme: None,
        event: None,
        disbursement: None,
        review: Some(review),
        noop: true,
    }
}

/// Assigning `reviewer` (a key read before the transaction) as review
/// `name` (used only for a new assignment).
pub fn assign(caller: &Caller, s: &Situation, reviewer: &ApiKey, name: ReviewName, now: Timestamp) -> Result<Outcome> {
    authorise(caller, Action::AssignReviewer, &s.application)?;
    let previous = s.application.state;
    let new = transition(previous, Action::AssignReviewer)?;
    let settings = settings_of(&s.programme)?;
    let programme = &s.application.name.programme;
    let affiliation = match (&reviewer.role, &reviewer.revoke_time, &reviewer.institution) {
        (Role::Reviewer, None, Some(i)) if reviewer.programmes.contains(programme) => i.clone(),
        (Role::Reviewer, Some(_), _) => return Err(Error::invalid("reviewer", "this reviewer key was revoked")),
        (Role::Reviewer, None, _) => {
            return Err(Error::invalid(
                "reviewer",
                format!("this reviewer key is not scoped to {programme}"),
            ));
        }
        _ => return Err(Error::invalid("reviewer", "is not a reviewer key")),
    };
    if let Some(existing) = s.reviews.iter().find(|r| r.reviewer == reviewer.name) {
        if existing.state == ReviewState::ConflictDeclared {
            return Err(Error::precondition(
                Reason::ConflictOfInterest,
                format!(
                    "this reviewer declared a conflict of interest on {}",
                    s.application.name
                ),
            ));
        }
        return Ok(unchanged(s, existing.clone()));
    }
    if let Some(role) = conflict_with(&affiliation, &s.application) {
        return Err(Error::precondition(
            Reason::ConflictOfInterest,
            format!("this reviewer is affiliated with {affiliation}, {role} of this application"),
        ));
    }
    let review = Review {
        name,
        reviewer: reviewer.name.clone(),
        reviewer_institution: affiliation,
        ordinal: i32::try_from(s.reviews.len() + 1).unwrap_or(i32::MAX),
        state: ReviewState::Assigned,
        scores: Vec::new(),
        recommendation: None,
        applicant_comment: String::new(),
        officer_comment: String::new(),
        conflict_reason: String::new(),
        assigned_by: caller.key.clone(),
        assign_time: now,
        submit_time: None,
        update_time: now,
        revision: 0,
    };
    let mut application = s.application.clone();
    if new != previous {
        application.state = new;
        application.version += 1;
        application.update_time = now;
    }
    let activity = ReviewActivity {
        kind: ReviewActivityKind::ReviewerAssigned,
        review: Some(review.name.clone()),
        completed: completed(&s.reviews, &s.application),
        required: settings.required_reviews,
    };
    Ok(Outcome {
        application,
        programme: None,
        event: Some(event(caller, previous, new, activity)),
        disbursement: None,
        review: Some(review),
        noop: false,
    })
}

/// The review `name` of the situation, if the caller may act on it.
fn own_review<'a>(caller: &Caller, s: &'a Situation, name: &ReviewName) -> Result<&'a Review> {
    let found = s.reviews.iter().find(|r| r.name.id() == name.id());
    match found {
        Some(r) if caller.role == Role::Admin || r.reviewer == caller.key => Ok(r),
        None if caller.role == Role::Admin => Err(Error::NotFound {
            resource: name.to_string(),
        }),
        _ => Err(not_visible(name)),
    }
}

fn undecided(state: State, action: &str) -> Result<()> {
    if matches!(state, State::Submitted | State::UnderReview | State::ChangesRequested) {
        Ok(())
    } else {
        Err(Error::precondition(
            Reason::InvalidState,
            format!("cannot {action} an application in state {}", state.as_str()),
        ))
    }
}

/// The assigned reviewer (or an administrator) ends the assignment.
pub fn declare_conflict(
    caller: &Caller,
    s: &Situation,
    name: &ReviewName,
    reason: String,
    now: Timestamp,
) -> Result<Outcome> {
    caller.require(&[Role::Admin, Role::Reviewer], "declare conflicts of interest")?;
    let current = own_review(caller, s, name)?;
    if current.state == ReviewState::ConflictDeclared {
        return Ok(unchanged(s, current.clone()));
    }
    undecided(s.application.state, "declare a conflict on")?;
    let settings = settings_of(&s.programme)?;
    let mut review = current.clone();
    review.state = ReviewState::ConflictDeclared;
    review.conflict_reason = reason;
    review.update_time = now;
    let others: Vec<Review> = s.reviews.iter().filter(|r| r.name != review.name).cloned().collect();
    let state = s.application.state;
    let activity = ReviewActivity {
        kind: ReviewActivityKind::ConflictDeclared,
        review: Some(review.name.clone()),
        completed: completed(&others, &s.application),
        required: settings.required_reviews,
    };
    Ok(Outcome {
        application: s.application.clone(),
        programme: None,
        event: Some(event(caller, state, state, activity)),
        disbursement: None,
        review: Some(review),
        noop: false,
    })
}

/// Checks a review's scores and texts against the programme's settings.
fn check_input(input: &ReviewInput, settings: &ReviewSettings) -> Result<Vec<CriterionScore>> {
    let mut v = Violations::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, s) in input.scores.iter().enumerate() {
        let at = format!("review.scores[{i}]");
        if !settings.criteria.iter().any(|c| c.name == s.criterion) {
            v.add(
                format!("{at}.criterion"),
                format!(
                    "{} is not a criterion of this programme ({})",
                    text::excerpt(&s.criterion),
                    settings
                        .criteria
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        } else if seen.contains(&s.criterion.as_str()) {
            v.add(
                format!("{at}.criterion"),
                format!("{} is scored twice", text::excerpt(&s.criterion)),
            );
        } else {
            seen.push(&s.criterion);
        }
        if !(1..=settings.max_score).contains(&s.score) {
            v.add(
                format!("{at}.score"),
                format!("must be from 1 to {}, got {}", settings.max_score, s.score),
            );
        }
    }
    let missing: Vec<&str> = settings
        .criteria
        .iter()
        .filter(|c| !input.scores.iter().any(|s| s.criterion == c.name))
        .map(|c| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        v.add("review.scores", format!("needs a score for {}", missing.join(", ")));
    }
    if input.recommendation.is_none() {
        v.add(
            "review.recommendation",
            "is required (FUND, FUND_WITH_CHANGES or DO_NOT_FUND)",
        );
    }
    v.check(text::optional(
        &input.applicant_comment,
        "review.applicant_comment",
        MAX_COMMENT_CHARS,
    ));
    v.check(text::optional(
        &input.officer_comment,
        "review.officer_comment",
        MAX_COMMENT_CHARS,
    ));
    v.finish()?;
    Ok(settings
        .criteria
        .iter()
        .filter_map(|c| input.scores.iter().find(|s| s.criterion == c.name).cloned())
        .collect())
}

/// The assigned reviewer submits (or revises) the review.
pub fn submit_review(
    caller: &Caller,
    s: &Situation,
    name: &ReviewName,
    input: &ReviewInput,
    now: Timestamp,
) -> Result<Outcome> {
    caller.require(&[Role::Reviewer], "submit reviews")?;
    let current = own_review(caller, s, name)?;
    if current.state == ReviewState::ConflictDeclared {
        return Err(Error::precondition(
            Reason::AssignmentEnded,
            format!("{name} ended when a conflict of interest was declared; it takes no review"),
        ));
    }
    let state = s.application.state;
    if !matches!(state, State::Submitted | State::UnderReview) {
        return Err(Error::precondition(
            Reason::InvalidState,
            format!("cannot review an application in state {}", state.as_str()),
        ));
    }
    if let Some(role) = conflict_with(&current.reviewer_institution, &s.application) {
        return Err(Error::precondition(
            Reason::ConflictOfInterest,
            format!(
                "this reviewer is affiliated with {}, now {role} of this application; declare the conflict",
                current.reviewer_institution
            ),
        ));
    }
    let settings = settings_of(&s.programme)?;
    let scores = check_input(input, settings)?;
    let first = current.state == ReviewState::Assigned;
    let mut review = current.clone();
    review.state = ReviewState::Completed;
    review.scores = scores;
    review.recommendation = input.recommendation;
    review.applicant_comment = input.applicant_comment.clone();
    review.officer_comment = input.officer_comment.clone();
    review.revision += 1;
    review.update_time = now;
    if first {
        review.submit_time = Some(now);
    }
    let after: Vec<Review> = s
        .reviews
        .iter()
        .map(|r| {
            if r.name == review.name {
                review.clone()
            } else {
                r.clone()
            }
        })
        .collect();
    let programme = (!settings.locked).then(|| {
        let mut p = s.programme.clone();
        if let Some(r) = &mut p.review {
            r.locked = true;
        }
        p.version += 1;
        p.update_time = now;
        p
    });
    let activity = ReviewActivity {
        kind: if first {
            ReviewActivityKind::ReviewSubmitted
        } else {
            ReviewActivityKind::ReviewRevised
        },
        review: Some(review.name.clone()),
        completed: completed(&after, &s.application),
        required: settings.required_reviews,
    };
    Ok(Outcome {
        application: s.application.clone(),
        programme,
        event: Some(event(caller, state, state, activity)),
        disbursement: None,
        review: Some(review),
        noop: false,
    })
}

/// Approval under peer review: refused while reviews are incomplete,
/// unless overridden with a reason. Returns the activity to record when
/// the approval overrides missing reviews.
pub fn check_reviews_for_approval(
    s: &Situation,
    override_incomplete: bool,
    reason: &str,
) -> Result<Option<ReviewActivity>> {
    let Some(settings) = &s.programme.review else {
        return Ok(None);
    };
    let done = completed(&s.reviews, &s.application);
    if done >= settings.required_reviews {
        return Ok(None);
    }
    if !override_incomplete {
        return Err(Error::precondition(
            Reason::ReviewsIncomplete,
            format!(
                "{done} of the {} required reviews are complete; approve with override_incomplete_reviews and a reason to decide anyway",
                settings.required_reviews
            ),
        ));
    }
    if reason.trim().is_empty() {
        return Err(Error::invalid("reason", "is required to override incomplete reviews"));
    }
    Ok(Some(ReviewActivity {
        kind: ReviewActivityKind::ReviewsOverridden,
        review: None,
        completed: done,
        required: settings.required_reviews,
    }))
}

/// The reviews of one application as `caller` may see them, numbered
/// "Reviewer N" in assignment order among those shown.
pub fn reviews_for(
    caller: &Caller,
    application: &Application,
    programme: &Programme,
    reviews: Vec<Review>,
) -> Result<Vec<ReviewView>> {
    let settings = programme.review.as_ref();
    let score = |r: &Review| settings.and_then(|s| r.score(s)).map(Score::as_f64);
    match caller.role {
        Role::Admin | Role::Officer | Role::Reviewer => {
            let mut n = 0;
            Ok(reviews
                .into_iter()
                .map(|r| {
                    let label = if r.state == ReviewState::ConflictDeclared {
                        "Reviewer (conflict declared)".to_owned()
                    } else {
                        n += 1;
                        format!("Reviewer {n}")
                    };
                    ReviewView {
                        label,
                        weighted_score: score(&r),
                        review: r,
                    }
                })
                .filter(|v| caller.role != Role::Reviewer || v.review.reviewer == caller.key)
                .collect())
        }
        Role::Applicant => {
            if !matches!(
                application.state,
                State::Approved | State::Active | State::Closed | State::Rejected
            ) {
                return Err(Error::precondition(
                    Reason::InvalidState,
                    format!(
                        "reviews are shared with the applicant once the application is decided; it is {}",
                        application.state.as_str()
                    ),
                ));
            }
            Ok(reviews
                .into_iter()
                .filter(|r| r.state == ReviewState::Completed)
                .enumerate()
                .map(|(i, r)| ReviewView {
                    label: format!("Reviewer {}", i + 1),
                    weighted_score: None,
                    review: anonymised(r),
                })
                .collect())
        }
        Role::Viewer => Err(Error::denied(
            Reason::RoleNotAllowed,
            "the viewer role may not read reviews",
        )),
    }
}

/// What an applicant sees of a completed review: the comment for them.
fn anonymised(r: Review) -> Review {
    Review {
        name: r.name,
        reviewer: ApiKeyName::from_id(""),
        reviewer_institution: InstitutionName::from_id(""),
        // Not sent; lists page by it.
        ordinal: r.ordinal,
        state: r.state,
        scores: Vec::new(),
        recommendation: None,
        applicant_comment: r.applicant_comment,
        officer_comment: String::new(),
        conflict_reason: String::new(),
        assigned_by: ApiKeyName::from_id(""),
        assign_time: r.assign_time,
        submit_time: r.submit_time,
        update_time: r.update_time,
        revision: 0,
    }
}

/// One application of a ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedApplication {
    pub rank: i32,
    pub application: Application,
    pub mean: Option<Score>,
    pub completed: i32,
    pub required: i32,
    /// Highest minus lowest weighted review score.
    pub spread: Option<Score>,
    pub requested: Money,
    pub cumulative: Money,
    pub above_line: bool,
}

/// A programme's applications under review, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    pub programme: ProgrammeName,
    pub entries: Vec<RankedApplication>,
    pub remaining: Money,
    pub funded_count: i32,
    pub compute_time: Timestamp,
}

/// Ranks `candidates` (applications with their reviews): by mean weighted
/// score, best first (exactly, no rounding), ties by submit time then
/// name; applications without a completed review last. The funding line
/// falls at the first entry whose running total of requests exceeds the
/// remaining budget; entries without a completed review are never above it.
pub fn rank(programme: &Programme, candidates: Vec<(Application, Vec<Review>)>, now: Timestamp) -> Ranking {
    let currency = programme.currency.clone();
    let remaining = programme
        .remaining_budget()
        .unwrap_or_else(|| Money::zero(currency.clone()));
    let (settings, required) = match &programme.review {
        Some(s) => (Some(s), s.required_reviews),
        None => (None, 0),
    };
    let mut rows: Vec<(Application, Option<Score>, i32, Option<Score>)> = candidates
        .into_iter()
        .filter(|(a, _)| a.state == State::UnderReview)
        .map(|(a, reviews)| {
            let scores: Vec<Score> = settings
                .map(|s| {
                    reviews
                        .iter()
                        .filter(|r| counts(r, &a))
                        .filter_map(|r| r.score(s))
                        .collect()
                })
                .unwrap_or_default();
            let n = i32::try_from(scores.len()).unwrap_or(i32::MAX);
            if scores.is_empty() {
                return (a, None, 0, None);
            }
            let den = scores[0].den;
            let num: i128 = scores.iter().map(|s| s.num).sum();
            let hi = scores.iter().map(|s| s.num).max().unwrap_or(0);
            let lo = scores.iter().map(|s| s.num).min().unwrap_or(0);
            let mean = Score {
                num,
                den: den * i128::from(n),
            };
            (a, Some(mean), n, Some(Score { num: hi - lo, den }))
        })
        .collect();
    rows.sort_by(|(a, sa, _, _), (b, sb, _, _)| {
        let by_score = match (sa, sb) {
            (Some(x), Some(y)) => y.cmp_exact(*x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        by_score
            .then_with(|| a.submit_time.cmp(&b.submit_time))
            .then_with(|| a.name.to_string().cmp(&b.name.to_string()))
    });
    let mut cumulative: i128 = 0;
    let mut open = true;
    let mut funded_count = 0;
    let entries = rows
        .into_iter()
        .enumerate()
        .map(|(i, (application, mean, completed, spread))| {
            let requested = application.requested.as_ref().map_or(0, Money::minor);
            cumulative += i128::from(requested);
            let fits = cumulative <= i128::from(remaining.minor());
            let above_line = open && mean.is_some() && fits;
            if above_line {
                funded_count += 1;
            } else {
                open = false;
            }
            RankedApplication {
                rank: i32::try_from(i + 1).unwrap_or(i32::MAX),
                mean,
                completed,
                required,
                spread,
                requested: Money::from_minor(currency.clone(), requested),
                cumulative: Money::from_minor(currency.clone(), i64::try_from(cumulative).unwrap_or(i64::MAX)),
                above_line,
                application,
            }
        })
        .collect();
    Ranking {
        programme: programme.name.clone(),
        entries,
        remaining,
        funded_count,
        compute_time: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(criteria: &[(&str, f64)]) -> Result<ReviewSettings> {
        ReviewSettings::parse(
            ReviewSettingsInput {
                criteria: criteria.iter().map(|(n, w)| ((*n).to_owned(), *w)).collect(),
                ..Default::default()
            },
            "programme.review_settings",
        )
    }

    #[test]
    fn settings_default_to_a_five_point_scale_and_two_reviews() {
        let s = settings(&[("scientific merit", 0.5), ("feasibility", 0.3), ("cross-border", 0.2)]).unwrap();
        assert_eq!((s.max_score, s.required_reviews), (5, 2));
        assert_eq!(s.criteria[0].weight_milli, 500);
        assert_eq!(s.total_weight(), 1000);
    }

    #[test]
    fn bad_settings_name_the_field() {
        for (criteria, field) in [
            (vec![], "programme.review_settings.criteria"),
            (vec![("a", 0.0)], "programme.review_settings.criteria[0].weight"),
            (vec![("a", 0.0005)], "programme.review_settings.criteria[0].weight"),
            (vec![("a", f64::NAN)], "programme.review_settings.criteria[0].weight"),
            (
                vec![("a", 1.0), ("a", 2.0)],
                "programme.review_settings.criteria[1].name",
            ),
            (vec![(" ", 1.0)], "programme.review_settings.criteria[0].name"),
        ] {
            match settings(&criteria) {
                Err(Error::InvalidArgument { violations, .. }) => {
                    assert!(
                        violations.iter().any(|v| v.field == field),
                        "{criteria:?}: {violations:?}"
                    );
                }
                other => panic!("{criteria:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn scores_compare_exactly() {
        let third = Score { num: 1, den: 3 };
        let also = Score { num: 2, den: 6 };
        assert_eq!(third.cmp_exact(also), Ordering::Equal);
        assert_eq!(Score { num: 1, den: 2 }.cmp_exact(third), Ordering::Greater);
    }
}
