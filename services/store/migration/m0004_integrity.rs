//! Integrity: the event log's identity (cursors name the log they came
//! from), the first response of each idempotent request, bank charges and
//! unique payment references on disbursements, and indexes for filtered
//! application lists.

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
                .add_column(string("log_id").default(""))
                .to_owned(),
        )
        .await?;
        // A random identity for this database's event log, made once.
        let log_id = format!("{:016x}", rand::random::<u64>());
        m.exec_stmt(
            Query::update()
                .table("event_log_state")
                .value("log_id", log_id)
                .and_where(Expr::col("id").eq(1))
                .to_owned(),
        )
        .await?;

        m.alter_table(
            Table::alter()
                .table("idempotency_record")
                .add_column(text_null("response"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idempotency_record_time")
                .table("idempotency_record")
                .col("create_time")
                .to_owned(),
        )
        .await?;

        m.alter_table(
            Table::alter()
                .table("disbursement")
                .add_column(big_integer("bank_charges_minor").default(0))
                .to_owned(),
        )
        .await?;
        // Same syntax on SQLite and PostgreSQL: a partial unique index.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX disbursement_reference ON disbursement (programme_id, reference) \
                 WHERE reference <> ''",
            )
            .await?;

        for (name, cols) in [
            ("application_programme_state", ["programme_id", "state", "id"]),
            (
                "application_institution_state",
                ["applicant_institution_id", "state", "id"],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table("application");
            for col in cols {
                index.col(col);
            }
            m.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("application_institution_state", "application"),
            ("application_programme_state", "application"),
            ("disbursement_reference", "disbursement"),
            ("idempotency_record_time", "idempotency_record"),
        ] {
            m.drop_index(Index::drop().name(name).table(table).to_owned()).await?;
        }
        for (table, col) in [
            ("disbursement", "bank_charges_minor"),
            ("idempotency_record", "response"),
            ("event_log_state", "log_id"),
        ] {
            m.alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}
