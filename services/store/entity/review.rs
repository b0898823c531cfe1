//! Row of `review` (m0006): one assigned reviewer of one application, and
//! the review once submitted.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
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

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
