//! Facility-access programmes: a programme's facility (names, as JSON;
//! its unit is the programme's `currency_code`, its capacity the budget
//! column, so the committed ≤ budget CHECK of m0001 bounds allocations
//! too), an application's preferred periods (JSON) and the period of a
//! usage record (a disbursement row of a facility programme). Only
//! nullable additions: rows written before read as money programmes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TEXT_COLUMNS: [(&str, &str); 2] = [("programme", "facility"), ("application", "preferred_periods")];

const INTEGER_COLUMNS: [(&str, &str); 2] = [("disbursement", "period_start"), ("disbursement", "period_end")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for (table, column) in TEXT_COLUMNS {
            m.alter_table(Table::alter().table(table).add_column(text_null(column)).to_owned())
                .await?;
        }
        for (table, column) in INTEGER_COLUMNS {
            m.alter_table(
                Table::alter()
                    .table(table)
                    .add_column(big_integer_null(column))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
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
