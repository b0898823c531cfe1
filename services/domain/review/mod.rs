//! Peer review: a programme's review settings, reviews (one per assigned
//! reviewer), their weighted scores, and the ranking of a programme's
//! applications against its remaining budget. The decisions of the review
//! actions (assign, declare a conflict, submit) are pure functions over a
//! `Situation`, like the lifecycle's (`decide.rs`); the ranking is in
//! `ranking.rs`.

mod decide;
mod ranking;

pub use decide::{assign, check_reviews_for_approval, declare_conflict, submit_review};
pub use ranking::{RankedApplication, Ranking, rank};

use std::cmp::Ordering;

use super::access::{Caller, Role};
use super::application::{Application, State};
use super::error::{Error, Reason, Result, Violations};
use super::ids::{ApiKeyName, InstitutionName, ReviewName};
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
            let name = v.check(text::line(name, &format!("{at}.name"), MAX_CRITERION_CHARS));
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

impl ReviewView {
    /// `review` labelled `label`, with its weighted score under the
    /// programme's settings (as officers, administrators and the reviewer
    /// see it).
    pub fn new(review: Review, label: String, programme: &Programme) -> Self {
        let weighted_score = programme
            .review
            .as_ref()
            .and_then(|s| review.score(s))
            .map(Score::as_f64);
        Self {
            review,
            label,
            weighted_score,
        }
    }
}

/// The labels of an application's reviews, in assignment order: "Reviewer
/// N", numbering the reviews without a declared conflict, or "Reviewer
/// (conflict declared)".
fn labels(reviews: &[Review]) -> Vec<String> {
    let mut n = 0;
    reviews
        .iter()
        .map(|r| {
            if r.state == ReviewState::ConflictDeclared {
                "Reviewer (conflict declared)".to_owned()
            } else {
                n += 1;
                format!("Reviewer {n}")
            }
        })
        .collect()
}

/// The label of `changed` among `reviews` (which it joins or replaces).
pub(crate) fn label_among(reviews: &[Review], changed: &Review) -> String {
    let mut all: Vec<Review> = reviews.iter().filter(|r| r.name != changed.name).cloned().collect();
    all.push(changed.clone());
    all.sort_by_key(|r| r.ordinal);
    let at = all.iter().position(|r| r.name == changed.name).unwrap_or(0);
    labels(&all).swap_remove(at)
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

/// The reviews of one application as `caller` may see them, numbered
/// "Reviewer N" in assignment order among those shown.
pub fn reviews_for(
    caller: &Caller,
    application: &Application,
    programme: &Programme,
    reviews: Vec<Review>,
) -> Result<Vec<ReviewView>> {
    match caller.role {
        Role::Admin | Role::Officer | Role::Reviewer => {
            let labels = labels(&reviews);
            Ok(reviews
                .into_iter()
                .zip(labels)
                .map(|(r, label)| ReviewView::new(r, label, programme))
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
