//! Row of `api_key`: the secret only as its SHA-256 hash.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "api_key")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub secret_hash: String,
    pub role: String,
    pub institution_id: Option<String>,
    /// Comma-separated programme ids.
    pub programme_ids: String,
    pub all_programmes: bool,
    pub display_name: String,
    pub create_time: i64,
    pub revoke_time: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
