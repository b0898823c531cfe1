//! After the award: an application's schedule, report versions and
//! closure (JSON and text), the columns derived from them (the next due
//! time, indexed for the overdue job, and the report counts summaries add
//! up), the tranche a disbursement paid, post-award activity on events,
//! and `job_lease`, where one replica at a time holds a background job.
//! Only nullable additions: rows written before read as no schedule (one
//! tranche of the whole award), no report, no closure, no tranche.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TEXT_COLUMNS: [(&str, &str); 4] = [
    ("application", "schedule"),
    ("application", "reports"),
    ("application", "closure"),
    ("application_event", "report_activity"),
];

const INTEGER_COLUMNS: [(&str, &str); 5] = [
    ("application", "next_report_due"),
    ("application", "reports_due"),
    ("application", "reports_overdue"),
    ("application", "reports_accepted"),
    ("disbursement", "tranche"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for (table, column) in TEXT_COLUMNS {
            m.alter_table(Table::alter().table(table).add_column(text_null(column)).to_owned())
                .await?;
        }
        for (table, column) in INTEGER_COLUMNS {
            let column = match column {
                "tranche" => integer_null(column),
                _ => big_integer_null(column),
            };
            m.alter_table(Table::alter().table(table).add_column(column).to_owned())
                .await?;
        }
        m.create_index(
            Index::create()
                .name("application_next_report_due")
                .table("application")
                .col("next_report_due")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("job_lease")
                .col(string("name").primary_key())
                .col(string("holder"))
                .col(big_integer("until_time"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("job_lease").to_owned()).await?;
        m.drop_index(
            Index::drop()
                .name("application_next_report_due")
                .table("application")
                .to_owned(),
        )
        .await?;
        for (table, column) in INTEGER_COLUMNS.into_iter().rev() {
            m.alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        for (table, column) in TEXT_COLUMNS.into_iter().rev() {
            m.alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
