//! Peer review: programmes' review settings, the `review` table (one row
//! per assigned reviewer of an application, with the review once
//! submitted), and review activity on events. Only additions: existing
//! rows keep their data (NULL settings: no peer review).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("programme")
                .add_column(text_null("review_settings"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("application_event")
                .add_column(text_null("review_activity"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("review")
                .col(string("id").primary_key())
                .col(string("application_id"))
                .col(string("programme_id"))
                .col(string("reviewer_key"))
                .col(string("reviewer_institution_id"))
                .col(integer("ordinal"))
                .col(string("state"))
                .col(text("scores"))
                .col(string_null("recommendation"))
                .col(text("applicant_comment"))
                .col(text("officer_comment"))
                .col(text("conflict_reason"))
                .col(string("assigned_by"))
                .col(big_integer("assign_time"))
                .col(big_integer_null("submit_time"))
                .col(big_integer("update_time"))
                .col(integer("revision"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("review_application_reviewer")
                .table("review")
                .col("application_id")
                .col("reviewer_key")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("review_reviewer")
                .table("review")
                .col("reviewer_key")
                .col("application_id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("review_programme")
                .table("review")
                .col("programme_id")
                .col("state")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("review").to_owned()).await?;
        m.alter_table(
            Table::alter()
                .table("application_event")
                .drop_column("review_activity")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("programme")
                .drop_column("review_settings")
                .to_owned(),
        )
        .await
    }
}
