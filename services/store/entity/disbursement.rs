//! Row of `disbursement`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "disbursement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub application_id: String,
    pub programme_id: String,
    pub amount_minor: i64,
    pub payee_currency: String,
    pub payee_minor: i64,
    /// Bank charges deducted from the payee amount, in the payee currency.
    pub bank_charges_minor: i64,
    pub exchange_rate: String,
    pub pay_time: i64,
    pub reference: String,
    pub create_time: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
