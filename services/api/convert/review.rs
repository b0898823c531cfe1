//! Review messages: reviews, review activity on events, and rankings.

use super::common::{name_or_empty, time_out};
use crate::domain::event::{ReviewActivity, ReviewActivityKind};
use crate::domain::review::{
    CriterionScore, RankedApplication, Ranking, Recommendation, ReviewInput, ReviewState, ReviewView,
};
use crate::domain::{Error, Result};
use crate::proto::v1;
use crate::proto::v1::review::{Recommendation as ProtoRecommendation, State as ProtoState};
use crate::proto::v1::review_activity::Kind;

/// The reviewer's fields of a submitted review, and its name.
pub fn input(value: Option<v1::Review>) -> Result<(String, ReviewInput)> {
    let v1::Review {
        name,
        reviewer: _,
        reviewer_institution: _,
        reviewer_label: _,
        state: _,
        scores,
        recommendation,
        applicant_comment,
        officer_comment,
        weighted_score: _,
        conflict_reason: _,
        assigned_by: _,
        assign_time: _,
        submit_time: _,
        update_time: _,
        revision: _,
    } = value.ok_or_else(|| Error::invalid("review", "is required"))?;
    let recommendation = match ProtoRecommendation::try_from(recommendation) {
        Ok(ProtoRecommendation::Unspecified) => None,
        Ok(ProtoRecommendation::Fund) => Some(Recommendation::Fund),
        Ok(ProtoRecommendation::FundWithChanges) => Some(Recommendation::FundWithChanges),
        Ok(ProtoRecommendation::DoNotFund) => Some(Recommendation::DoNotFund),
        Err(_) => {
            return Err(Error::invalid(
                "review.recommendation",
                format!("{recommendation} is not a recommendation"),
            ));
        }
    };
    Ok((
        name,
        ReviewInput {
            scores: scores
                .into_iter()
                .map(|s| CriterionScore {
                    criterion: s.criterion,
                    score: s.score,
                })
                .collect(),
            recommendation,
            applicant_comment,
            officer_comment,
        },
    ))
}

fn state_out(s: ReviewState) -> ProtoState {
    match s {
        ReviewState::Assigned => ProtoState::Assigned,
        ReviewState::Completed => ProtoState::Completed,
        ReviewState::ConflictDeclared => ProtoState::ConflictDeclared,
    }
}

fn recommendation_out(r: Option<Recommendation>) -> ProtoRecommendation {
    match r {
        None => ProtoRecommendation::Unspecified,
        Some(Recommendation::Fund) => ProtoRecommendation::Fund,
        Some(Recommendation::FundWithChanges) => ProtoRecommendation::FundWithChanges,
        Some(Recommendation::DoNotFund) => ProtoRecommendation::DoNotFund,
    }
}

pub fn output(value: ReviewView) -> v1::Review {
    let ReviewView {
        review,
        label,
        weighted_score,
    } = value;
    v1::Review {
        name: review.name.to_string(),
        reviewer: name_or_empty(&review.reviewer, review.reviewer.id()),
        reviewer_institution: name_or_empty(&review.reviewer_institution, review.reviewer_institution.id()),
        reviewer_label: label,
        state: state_out(review.state).into(),
        scores: review
            .scores
            .into_iter()
            .map(|s| v1::CriterionScore {
                criterion: s.criterion,
                score: s.score,
            })
            .collect(),
        recommendation: recommendation_out(review.recommendation).into(),
        applicant_comment: review.applicant_comment,
        officer_comment: review.officer_comment,
        weighted_score: weighted_score.unwrap_or(0.0),
        conflict_reason: review.conflict_reason,
        assigned_by: name_or_empty(&review.assigned_by, review.assigned_by.id()),
        assign_time: Some(time_out(review.assign_time)),
        submit_time: review.submit_time.map(time_out),
        update_time: Some(time_out(review.update_time)),
        revision: review.revision,
    }
}

pub fn activity_out(a: ReviewActivity) -> v1::ReviewActivity {
    let kind = match a.kind {
        ReviewActivityKind::ReviewerAssigned => Kind::ReviewerAssigned,
        ReviewActivityKind::ConflictDeclared => Kind::ConflictDeclared,
        ReviewActivityKind::ReviewSubmitted => Kind::ReviewSubmitted,
        ReviewActivityKind::ReviewRevised => Kind::ReviewRevised,
        ReviewActivityKind::ReviewsOverridden => Kind::ReviewsOverridden,
    };
    v1::ReviewActivity {
        kind: kind.into(),
        review: a.review.map(|r| r.to_string()).unwrap_or_default(),
        completed_reviews: a.completed,
        required_reviews: a.required,
    }
}

fn entry_out(e: RankedApplication) -> v1::RankedApplication {
    let RankedApplication {
        rank,
        application,
        mean,
        completed,
        required,
        spread,
        requested,
        cumulative,
        above_line,
    } = e;
    let (requested_amount, requested_resource) = super::common::amount_out(&requested);
    let (cumulative_requested, cumulative_requested_resource) = super::common::amount_out(&cumulative);
    v1::RankedApplication {
        rank,
        application: application.name.to_string(),
        title: application.title,
        applicant_institution: application.applicant.to_string(),
        mean_score: mean.map_or(0.0, |m| m.as_f64()),
        completed_reviews: completed,
        required_reviews: required,
        score_spread: spread.map_or(0.0, |s| s.as_f64()),
        requested_amount,
        cumulative_requested,
        above_funding_line: above_line,
        submit_time: application.submit_time.map(time_out),
        requested_resource,
        cumulative_requested_resource,
    }
}

pub fn ranking_out(r: Ranking) -> v1::ReviewRanking {
    let Ranking {
        programme,
        entries,
        remaining,
        funded_count,
        compute_time,
    } = r;
    let (remaining_budget, remaining_capacity) = super::common::amount_out(&remaining);
    v1::ReviewRanking {
        programme: programme.to_string(),
        entries: entries.into_iter().map(entry_out).collect(),
        remaining_budget,
        remaining_capacity,
        funded_count,
        compute_time: Some(time_out(compute_time)),
    }
}
