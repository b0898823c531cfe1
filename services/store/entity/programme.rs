//! Row of `programme`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "programme")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub display_name: String,
    pub local_name: String,
    pub funder: String,
    pub currency_code: String,
    pub budget_minor: i64,
    pub committed_minor: i64,
    pub max_award_minor: i64,
    /// Comma-separated region codes, e.g. `HONG_KONG,MACAO`.
    pub eligible_regions: String,
    pub requires_guangdong_partner: bool,
    pub open_time: i64,
    pub close_time: i64,
    /// Added by m0002.
    pub awards_issued: i64,
    pub version: i64,
    pub create_time: i64,
    pub update_time: i64,
    /// Added by m0006: the review settings as JSON; NULL without peer review.
    #[serde(default)]
    pub review_settings: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
