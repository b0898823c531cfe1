//! Row of `application_event`: the log, numbered in commit order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "application_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub application_id: String,
    pub programme_id: String,
    pub institution_id: String,
    pub previous_state: Option<String>,
    pub new_state: String,
    pub actor_key: String,
    pub actor_role: String,
    pub reason: String,
    pub event_time: i64,
    pub disbursement_id: Option<String>,
    /// The application row after the change, as JSON.
    pub snapshot: String,
    /// Added by m0006: what a peer-review event did, as JSON.
    pub review_activity: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
