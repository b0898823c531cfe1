//! Row of `review` (m0006): one assigned reviewer of one application, and
//! the review once submitted; review settings and review activity, kept
//! as JSON in `programme` and `application_event`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::{corrupt, entity};
use crate::domain::event::{ReviewActivity, ReviewActivityKind};
use crate::domain::ids::{ApiKeyName, ApplicationName, InstitutionName, ProgrammeName, ReviewName};
use crate::domain::review::{Criterion, CriterionScore, Recommendation, Review, ReviewSettings, ReviewState};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};

entity! {
    #[sea_orm(table_name = "review")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub application_id: String,
        pub programme_id: String,
        pub reviewer_key: String,
        pub reviewer_institution_id: String,
        pub ordinal: i32,
        pub state: String,
        /// `[{"criterion": "...", "score": 4}, ...]`.
        pub scores: String,
        pub recommendation: Option<String>,
        pub applicant_comment: String,
        pub officer_comment: String,
        pub conflict_reason: String,
        pub assigned_by: String,
        pub assign_time: i64,
        pub submit_time: Option<i64>,
        pub update_time: i64,
        pub revision: i32,
    }
}

#[derive(Serialize, Deserialize)]
struct SettingsJson {
    criteria: Vec<CriterionJson>,
    max_score: i32,
    required_reviews: i32,
    reviewers_see_email: bool,
    locked: bool,
}

#[derive(Serialize, Deserialize)]
struct CriterionJson {
    name: String,
    weight_milli: i64,
}

pub fn settings_to_json(s: &ReviewSettings) -> String {
    let json = SettingsJson {
        criteria: s
            .criteria
            .iter()
            .map(|c| CriterionJson {
                name: c.name.clone(),
                weight_milli: c.weight_milli,
            })
            .collect(),
        max_score: s.max_score,
        required_reviews: s.required_reviews,
        reviewers_see_email: s.reviewers_see_email,
        locked: s.locked,
    };
    serde_json::to_string(&json).unwrap_or_default()
}

pub fn settings_from_json(text: &str) -> Result<ReviewSettings> {
    let json: SettingsJson =
        serde_json::from_str(text).map_err(|e| Error::internal(format!("stored review settings are invalid: {e}")))?;
    Ok(ReviewSettings {
        criteria: json
            .criteria
            .into_iter()
            .map(|c| Criterion {
                name: c.name,
                weight_milli: c.weight_milli,
            })
            .collect(),
        max_score: json.max_score,
        required_reviews: json.required_reviews,
        reviewers_see_email: json.reviewers_see_email,
        locked: json.locked,
    })
}

#[derive(Serialize, Deserialize)]
struct ScoreJson {
    criterion: String,
    score: i32,
}

#[derive(Serialize, Deserialize)]
struct ActivityJson {
    kind: String,
    review: Option<String>,
    completed: i32,
    required: i32,
}

pub fn activity_to_json(a: &ReviewActivity) -> String {
    let json = ActivityJson {
        kind: a.kind.as_str().to_owned(),
        review: a.review.as_ref().map(|r| r.id().to_owned()),
        completed: a.completed,
        required: a.required,
    };
    serde_json::to_string(&json).unwrap_or_default()
}

pub fn activity_from_json(text: &str, application: &ApplicationName) -> Result<ReviewActivity> {
    let json: ActivityJson =
        serde_json::from_str(text).map_err(|e| Error::internal(format!("stored review activity is invalid: {e}")))?;
    Ok(ReviewActivity {
        kind: ReviewActivityKind::parse(&json.kind)
            .ok_or_else(|| Error::internal(format!("stored review activity kind {:?} is unknown", json.kind)))?,
        review: json.review.map(|id| ReviewName::new(application.clone(), id)),
        completed: json.completed,
        required: json.required,
    })
}

pub fn to_domain(m: Model) -> Result<Review> {
    let Model {
        id,
        application_id,
        programme_id,
        reviewer_key,
        reviewer_institution_id,
        ordinal,
        state,
        scores,
        recommendation,
        applicant_comment,
        officer_comment,
        conflict_reason,
        assigned_by,
        assign_time,
        submit_time,
        update_time,
        revision,
    } = m;
    let bad = |e| corrupt("review", e);
    let scores: Vec<ScoreJson> =
        serde_json::from_str(&scores).map_err(|e| Error::internal(format!("stored review scores are invalid: {e}")))?;
    let application = ApplicationName::new(ProgrammeName::from_id(programme_id), application_id);
    Ok(Review {
        name: ReviewName::new(application, id),
        reviewer: ApiKeyName::from_id(reviewer_key),
        reviewer_institution: InstitutionName::from_id(reviewer_institution_id),
        ordinal,
        state: ReviewState::parse(&state, "state").map_err(bad)?,
        scores: scores
            .into_iter()
            .map(|s| CriterionScore {
                criterion: s.criterion,
                score: s.score,
            })
            .collect(),
        recommendation: recommendation
            .map(|r| Recommendation::parse(&r, "recommendation"))
            .transpose()
            .map_err(bad)?,
        applicant_comment,
        officer_comment,
        conflict_reason,
        assigned_by: ApiKeyName::from_id(assigned_by),
        assign_time: Timestamp::from_micros(assign_time),
        submit_time: submit_time.map(Timestamp::from_micros),
        update_time: Timestamp::from_micros(update_time),
        revision,
    })
}

pub fn to_model(r: &Review) -> Model {
    let scores: Vec<ScoreJson> = r
        .scores
        .iter()
        .map(|s| ScoreJson {
            criterion: s.criterion.clone(),
            score: s.score,
        })
        .collect();
    Model {
        id: r.name.id().to_owned(),
        application_id: r.name.application.id().to_owned(),
        programme_id: r.name.application.programme.id().to_owned(),
        reviewer_key: r.reviewer.id().to_owned(),
        reviewer_institution_id: r.reviewer_institution.id().to_owned(),
        ordinal: r.ordinal,
        state: r.state.as_str().to_owned(),
        scores: serde_json::to_string(&scores).unwrap_or_else(|_| "[]".into()),
        recommendation: r.recommendation.map(|x| x.as_str().to_owned()),
        applicant_comment: r.applicant_comment.clone(),
        officer_comment: r.officer_comment.clone(),
        conflict_reason: r.conflict_reason.clone(),
        assigned_by: r.assigned_by.id().to_owned(),
        assign_time: r.assign_time.micros(),
        submit_time: r.submit_time.map(Timestamp::micros),
        update_time: r.update_time.micros(),
        revision: r.revision,
    }
}

/// Insert-or-replace of a review row, to run in a change's writes: every
/// column but the id is set from the review.
pub fn upsert(review: &Review, backend: sea_orm::DbBackend) -> sea_orm::Statement {
    use sea_orm::sea_query::OnConflict;
    use sea_orm::{ActiveModelTrait, Iterable, QueryTrait};
    let active = ActiveModel::from(to_model(review)).reset_all();
    Entity::insert(active)
        .on_conflict(
            OnConflict::column(Column::Id)
                .update_columns(Column::iter().filter(|c| !matches!(c, Column::Id)))
                .to_owned(),
        )
        .build(backend)
}
