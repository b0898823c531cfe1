//! Event positions on PostgreSQL become transaction ids plus an offset
//! (see `store::events::event_statement`); the offset lives here.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("event_log_state")
                .add_column(big_integer("pos_offset").default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("event_log_state")
                .drop_column("pos_offset")
                .to_owned(),
        )
        .await
    }
}
