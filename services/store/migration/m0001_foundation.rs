//! Institutions, programmes, API keys and idempotency records. Money is
//! integer minor units; times are integer microseconds since the epoch.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("institution")
                .col(string("id").primary_key())
                .col(string("display_name"))
                .col(string("local_name"))
                .col(string("region"))
                .col(string_null("ror_id").unique_key())
                .col(big_integer("create_time"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("institution_region")
                .table("institution")
                .col("region")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("programme")
                .col(string("id").primary_key())
                .col(string("display_name"))
                .col(string("local_name"))
                .col(string("funder"))
                .col(string("currency_code"))
                .col(big_integer("budget_minor"))
                .col(big_integer("committed_minor"))
                .col(big_integer("max_award_minor"))
                .col(string("eligible_regions"))
                .col(boolean("requires_guangdong_partner"))
                .col(big_integer("open_time"))
                .col(big_integer("close_time"))
                .col(big_integer("version"))
                .col(big_integer("create_time"))
                .col(big_integer("update_time"))
                .check(Expr::col("committed_minor").lte(Expr::col("budget_minor")))
                .check(Expr::col("committed_minor").gte(0))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("api_key")
                .col(string("id").primary_key())
                .col(string("secret_hash").unique_key())
                .col(string("role"))
                .col(string_null("institution_id"))
                .col(text("programme_ids"))
                .col(boolean("all_programmes"))
                .col(string("display_name"))
                .col(big_integer("create_time"))
                .col(big_integer_null("revoke_time"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("idempotency_record")
                .col(string("caller"))
                .col(string("request_id"))
                .col(string("fingerprint"))
                .col(string("resource"))
                .col(big_integer("create_time"))
                .primary_key(Index::create().col("caller").col("request_id"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["idempotency_record", "api_key", "programme", "institution"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
