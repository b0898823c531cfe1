//! Webhooks and their delivery log. New tables only.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("webhook")
                .col(string("id").primary_key())
                .col(string("creator_key_id"))
                .col(text("url"))
                .col(string_null("programme_id"))
                .col(string_null("institution_id"))
                .col(text("event_kinds"))
                .col(boolean("paused"))
                .col(text_null("disabled_reason"))
                .col(big_integer("cursor_seq"))
                .col(integer("failures"))
                .col(text("secret"))
                .col(text_null("previous_secret"))
                .col(big_integer_null("previous_secret_until"))
                .col(big_integer("version"))
                .col(big_integer("create_time"))
                .col(big_integer("update_time"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_creator")
                .table("webhook")
                .col("creator_key_id")
                .col("id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("webhook_delivery")
                .col(string("id").primary_key())
                .col(string("webhook_id"))
                .col(big_integer("event_seq"))
                .col(integer("attempt"))
                .col(string("outcome"))
                .col(integer("response_code"))
                .col(text("detail"))
                .col(big_integer("latency_ms"))
                .col(big_integer("attempt_time"))
                .col(boolean("redelivery"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_delivery_webhook")
                .table("webhook_delivery")
                .col("webhook_id")
                .col("id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("webhook_delivery").to_owned()).await?;
        m.drop_table(Table::drop().table("webhook").to_owned()).await
    }
}
