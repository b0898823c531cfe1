//! The event log's retention watermark: events up to `pruned_through` were
//! deleted, so older cursors are refused instead of silently skipping.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("event_log_state")
                .col(integer("id").primary_key())
                .col(big_integer("pruned_through"))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table("event_log_state")
                .columns(["id", "pruned_through"])
                .values_panic([1.into(), 0_i64.into()])
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("event_time")
                .table("application_event")
                .col("event_time")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("event_time").table("application_event").to_owned())
            .await?;
        m.drop_table(Table::drop().table("event_log_state").to_owned()).await
    }
}
