//! Applications, disbursements and the application event log; the award
//! counter on programmes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn index(m: &SchemaManager<'_>, table: &str, name: &str, cols: &[&str]) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table.to_owned());
    for col in cols {
        index.col(String::from(*col));
    }
    m.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("programme")
                .add_column(big_integer("awards_issued").default(0))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("application")
                .col(string("id").primary_key())
                .col(string("programme_id"))
                .col(string("applicant_institution_id"))
                .col(text("title"))
                .col(text("abstract"))
                .col(text("pi_name"))
                .col(text("pi_email"))
                .col(string_null("pi_orcid"))
                .col(text("partner_institution_ids"))
                .col(string("currency_code"))
                .col(big_integer_null("requested_minor"))
                .col(integer_null("duration_months"))
                .col(string("state"))
                .col(big_integer("version"))
                .col(big_integer("create_time"))
                .col(big_integer("update_time"))
                .col(big_integer_null("submit_time"))
                .col(text_null("decision_reason"))
                .col(string_null("decision_actor"))
                .col(big_integer_null("decision_time"))
                .col(string_null("award_number").unique_key())
                .col(big_integer_null("awarded_minor"))
                .col(big_integer("disbursed_minor"))
                .check(Expr::col("disbursed_minor").gte(0))
                .to_owned(),
        )
        .await?;
        index(m, "application", "application_programme", &["programme_id", "id"]).await?;
        index(
            m,
            "application",
            "application_institution",
            &["applicant_institution_id", "id"],
        )
        .await?;

        m.create_table(
            Table::create()
                .table("disbursement")
                .col(string("id").primary_key())
                .col(string("application_id"))
                .col(string("programme_id"))
                .col(big_integer("amount_minor"))
                .col(string("payee_currency"))
                .col(big_integer("payee_minor"))
                .col(string("exchange_rate"))
                .col(big_integer("pay_time"))
                .col(text("reference"))
                .col(big_integer("create_time"))
                .to_owned(),
        )
        .await?;
        index(m, "disbursement", "disbursement_application", &["application_id", "id"]).await?;

        m.create_table(
            Table::create()
                .table("application_event")
                .col(big_pk_auto("seq"))
                .col(string("application_id"))
                .col(string("programme_id"))
                .col(string("institution_id"))
                .col(string_null("previous_state"))
                .col(string("new_state"))
                .col(string("actor_key"))
                .col(string("actor_role"))
                .col(text("reason"))
                .col(big_integer("event_time"))
                .col(string_null("disbursement_id"))
                .col(text("snapshot"))
                .to_owned(),
        )
        .await?;
        index(m, "application_event", "event_programme", &["programme_id", "seq"]).await?;
        index(m, "application_event", "event_institution", &["institution_id", "seq"]).await?;
        index(m, "application_event", "event_application", &["application_id", "seq"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["application_event", "disbursement", "application"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table("programme")
                .drop_column("awards_issued")
                .to_owned(),
        )
        .await
    }
}
