//! Row of `idempotency_record`: which resource a caller's request id made.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_record")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub caller: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: String,
    pub fingerprint: String,
    /// Resource name (or id) the first call produced.
    pub resource: String,
    pub create_time: i64,
    /// The first call's response (the stored rows, as JSON), replayed to
    /// retries. `None` for records written before responses were kept.
    pub response: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
