//! Documents: the `document` table (one row per version of one kind of
//! an application's documents, naming its content by SHA-256), the
//! `document_object` claims that keep content from the sweeper, what
//! programmes ask of documents, and document activity on events. Only
//! additions.

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
                .add_column(text_null("document_requirements"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("application_event")
                .add_column(text_null("document_activity"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("document")
                .col(string("id").primary_key())
                .col(string("application_id"))
                .col(string("programme_id"))
                .col(string("kind"))
                .col(integer("version"))
                .col(string("file_name"))
                .col(string("media_type"))
                .col(big_integer("size_bytes"))
                .col(string("sha256"))
                .col(string("uploader_key"))
                .col(big_integer("create_time"))
                .to_owned(),
        )
        .await?;
        // One version of a kind per application: two uploads deciding on
        // the same version cannot both be stored.
        m.create_index(
            Index::create()
                .name("document_application_kind_version")
                .table("document")
                .col("application_id")
                .col("kind")
                .col("version")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("document_sha256")
                .table("document")
                .col("sha256")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("document_object")
                .col(string("sha256").primary_key())
                .col(big_integer("claimed_until"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("document_object_claimed_until")
                .table("document_object")
                .col("claimed_until")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("document_object").to_owned()).await?;
        m.drop_table(Table::drop().table("document").to_owned()).await?;
        m.alter_table(
            Table::alter()
                .table("application_event")
                .drop_column("document_activity")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("programme")
                .drop_column("document_requirements")
                .to_owned(),
        )
        .await
    }
}
