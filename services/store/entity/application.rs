//! Row of `application`. Serialisable: event snapshots store it as JSON.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "application")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub programme_id: String,
    pub applicant_institution_id: String,
    pub title: String,
    #[sea_orm(column_name = "abstract")]
    pub abstract_text: String,
    pub pi_name: String,
    pub pi_email: String,
    pub pi_orcid: Option<String>,
    /// Comma-separated institution ids.
    pub partner_institution_ids: String,
    pub currency_code: String,
    pub requested_minor: Option<i64>,
    pub duration_months: Option<i32>,
    pub state: String,
    pub version: i64,
    pub create_time: i64,
    pub update_time: i64,
    pub submit_time: Option<i64>,
    pub decision_reason: Option<String>,
    pub decision_actor: Option<String>,
    pub decision_time: Option<i64>,
    pub award_number: Option<String>,
    pub awarded_minor: Option<i64>,
    pub disbursed_minor: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
