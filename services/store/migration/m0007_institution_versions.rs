//! Institutions can be updated (names, ROR id): a version for their etag,
//! and the time of the last update. New columns with defaults; the update
//! time of the rows that exist is set in m0008.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("institution")
                .add_column(big_integer("version").default(1))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("institution")
                .add_column(big_integer("update_time").default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("institution")
                .drop_column("update_time")
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table("institution").drop_column("version").to_owned())
            .await
    }
}
