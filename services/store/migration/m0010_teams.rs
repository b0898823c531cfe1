//! Teams and sign-off: an application's team and endorsements (JSON), a
//! programme's endorsement requirement, the person behind a key, and on
//! events the team activity, the actor's person and the partners named
//! (so a partner's stream and history select its joint applications).
//! Only nullable additions: rows written before read as no team, no
//! endorsement, no requirement, no person, no partner.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [(&str, &str); 8] = [
    ("application", "team"),
    ("application", "endorsements"),
    ("programme", "endorsement_requirement"),
    ("api_key", "person_name"),
    ("api_key", "person_orcid"),
    ("application_event", "team_activity"),
    ("application_event", "actor_person"),
    ("application_event", "partner_institution_ids"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for (table, column) in COLUMNS {
            m.alter_table(Table::alter().table(table).add_column(text_null(column)).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in COLUMNS.into_iter().rev() {
            m.alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
