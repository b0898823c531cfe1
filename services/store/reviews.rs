//! Reviews on SQL: rows of `review`, review settings and review activity
//! as JSON, and the reads of peer review. Reviews are written by
//! `change_application`, in the transaction of the application they
//! belong to.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement,
};
use serde::{Deserialize, Serialize};

use super::entity::application as arow;
use super::entity::review::{self as row, Column, Entity};
use super::{Db, OnlyRow, corrupt, db_err};
use crate::domain::application::State;
use crate::domain::event::{ReviewActivity, ReviewActivityKind};
use crate::domain::ids::{ApiKeyName, ApplicationName, InstitutionName, ProgrammeName, ReviewName};
use crate::domain::review::{Criterion, CriterionScore, Recommendation, Review, ReviewSettings, ReviewState};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};

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

pub(crate) fn settings_to_json(s: &ReviewSettings) -> String {
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

pub(crate) fn settings_from_json(text: &str) -> Result<ReviewSettings> {
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

pub(crate) fn activity_to_json(a: &ReviewActivity) -> String {
    let json = ActivityJson {
        kind: a.kind.as_str().to_owned(),
        review: a.review.as_ref().map(|r| r.id().to_owned()),
        completed: a.completed,
        required: a.required,
    };
    serde_json::to_string(&json).unwrap_or_default()
}

pub(crate) fn activity_from_json(text: &str, application: &ApplicationName) -> Result<ReviewActivity> {
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

pub(crate) fn to_domain(m: row::Model) -> Result<Review> {
    let row::Model {
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

pub(crate) fn to_model(r: &Review) -> row::Model {
    let scores: Vec<ScoreJson> = r
        .scores
        .iter()
        .map(|s| ScoreJson {
            criterion: s.criterion.clone(),
            score: s.score,
        })
        .collect();
    row::Model {
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

/// Insert-or-replace of a review row, to run in a change's batch.
pub(crate) fn upsert_statement(review: &Review, backend: DbBackend) -> Statement {
    use sea_orm::QueryTrait;
    use sea_orm::sea_query::OnConflict;
    let model = to_model(review);
    let active = row::ActiveModel::from(model).reset_all();
    let mut insert = Entity::insert(active);
    insert = insert.on_conflict(
        OnConflict::column(Column::Id)
            .update_columns([
                Column::State,
                Column::Scores,
                Column::Recommendation,
                Column::ApplicantComment,
                Column::OfficerComment,
                Column::ConflictReason,
                Column::SubmitTime,
                Column::UpdateTime,
                Column::Revision,
            ])
            .to_owned(),
    );
    insert.build(backend)
}

impl Db {
    /// Reviews of one application in assignment order, on `conn`.
    pub(crate) async fn reviews_of(
        &self,
        conn: &impl ConnectionTrait,
        application: &ApplicationName,
    ) -> Result<Vec<Review>> {
        Entity::find()
            .filter(Column::ApplicationId.eq(application.id()))
            .filter(Column::ProgrammeId.eq(application.programme.id()))
            .order_by_asc(Column::Ordinal)
            .all(conn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    pub(crate) async fn find_review_row(
        &self,
        application: &ApplicationName,
        reviewer: &ApiKeyName,
    ) -> Result<Option<Review>> {
        Entity::find()
            .filter(Column::ApplicationId.eq(application.id()))
            .filter(Column::ReviewerKey.eq(reviewer.id()))
            .filter(Column::ProgrammeId.eq(application.programme.id()))
            .only(self.conn())
            .await
            .map_err(db_err)?
            .map(to_domain)
            .transpose()
    }

    pub(crate) async fn ranking_rows(
        &self,
        programme: &ProgrammeName,
    ) -> Result<Vec<(crate::domain::application::Application, Vec<Review>)>> {
        let apps = arow::Entity::find()
            .filter(arow::Column::ProgrammeId.eq(programme.id()))
            .filter(arow::Column::State.eq(State::UnderReview.as_str()))
            .order_by_asc(arow::Column::Id)
            .all(self.conn())
            .await
            .map_err(db_err)?;
        let reviews = Entity::find()
            .filter(Column::ProgrammeId.eq(programme.id()))
            .filter(Column::State.eq(ReviewState::Completed.as_str()))
            .all(self.conn())
            .await
            .map_err(db_err)?;
        let mut out = Vec::with_capacity(apps.len());
        let mut by_app: std::collections::HashMap<String, Vec<Review>> = std::collections::HashMap::new();
        for r in reviews {
            let app = r.application_id.clone();
            by_app.entry(app).or_default().push(to_domain(r)?);
        }
        for a in apps {
            let reviews = by_app.remove(&a.id).unwrap_or_default();
            out.push((super::applications::to_domain(a)?, reviews));
        }
        Ok(out)
    }

    /// Completed reviews of each application of `programme` awaiting a
    /// decision (one number per application that has any).
    pub(crate) async fn awaiting_review_counts(&self, programme: &ProgrammeName) -> Result<Vec<i64>> {
        let backend = self.conn().get_database_backend();
        let p = if backend == DbBackend::Postgres { "$1" } else { "?" };
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM review r JOIN application a ON a.id = r.application_id \
             WHERE r.programme_id = {p} AND r.state = 'COMPLETED' AND a.state IN ('SUBMITTED', 'UNDER_REVIEW') \
             GROUP BY r.application_id"
        );
        let rows = self
            .conn()
            .query_all_raw(Statement::from_sql_and_values(backend, sql, [programme.id().into()]))
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| r.try_get_by_index::<i64>(0).map_err(db_err))
            .collect()
    }
}
