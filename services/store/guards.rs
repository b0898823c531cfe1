//! Guards that cannot drift (tests only).
//!
//! - Every entity's row reads back through SQLite in its own column
//!   order (`entity!`'s reader), whatever its columns are: a column added
//!   to an entity is read where it stands.
//! - The statements PostgreSQL's write path builds name every column of
//!   the rows they write or read.
//! - The lifecycle's changes that leave the programme alone never decide
//!   on the programme's totals ([`super::rows::programme::is_total`]): those are
//!   the only columns an optimistic write on remembered rows does not
//!   compare, so a change of them cannot make a decision wrong.

#![allow(clippy::inconsistent_digit_grouping)]

use sea_orm::{ActiveModelTrait, DbBackend, EntityTrait, Iterable, ModelTrait, QueryTrait};
use serde_json::{Map, Value};

use super::rows::{
    FromSqliteRow, api_key, application, columns, disbursement, document, event, idempotency, institution, programme,
    review,
};

/// A model of `E` whose every field holds a value of its own (so two
/// columns read in each other's place would differ).
fn distinct<M: serde::Serialize + serde::de::DeserializeOwned>(sample: &M) -> M {
    let Value::Object(fields) = serde_json::to_value(sample).expect("a model is an object") else {
        panic!("a model is an object");
    };
    let mut filled = Map::new();
    for (i, (name, value)) in fields.into_iter().enumerate() {
        let i = i64::try_from(i).unwrap_or(0) + 1;
        let value = match value {
            Value::Bool(_) => Value::Bool(i % 2 == 0),
            Value::Number(_) => Value::from(i * 1_000 + 7),
            Value::String(_) | Value::Null => Value::String(format!("{name}-{i}")),
            other => other,
        };
        filled.insert(name, value);
    }
    // An optional number left null above came back as a string: try
    // numbers for those.
    serde_json::from_value(Value::Object(filled.clone())).unwrap_or_else(|_| {
        let numbered: Map<String, Value> = filled
            .into_iter()
            .enumerate()
            .map(|(i, (name, value))| match value {
                Value::String(s) if s.starts_with(&name) => {
                    (name, Value::from(i64::try_from(i).unwrap_or(0) * 1_000 + 9))
                }
                other => (name, other),
            })
            .collect();
        serde_json::from_value(Value::Object(numbered)).expect("a model of distinct values")
    })
}

/// Writes `model` into a table of its entity's columns and reads it back
/// with the entity's reader.
fn round_trip<E>(model: E::Model)
where
    E: EntityTrait + Default,
    E::Model: FromSqliteRow + serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug + Clone,
    E::ActiveModel: From<E::Model> + ActiveModelTrait<Entity = E>,
{
    let conn = rusqlite::Connection::open_in_memory().expect("SQLite");
    let table = E::default().table_name().to_owned();
    let cols = columns::<E>();
    conn.execute_batch(&format!(
        "CREATE TABLE \"{table}\" ({})",
        cols.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
    ))
    .expect("a table");
    let model = distinct(&model);
    let insert = E::insert(E::ActiveModel::from(model.clone()).reset_all()).build(DbBackend::Sqlite);
    crate::store::sqlite::sql::execute(&conn, &insert).expect("insert");
    let read: Option<E::Model> =
        crate::store::sqlite::sql::row(&conn, &crate::store::sqlite::sql::select(E::find(), None)).expect("read");
    assert_eq!(read, Some(model), "{table}: read back in its column order");
}

fn sample_application() -> application::Model {
    application::Model {
        id: String::new(),
        programme_id: String::new(),
        applicant_institution_id: String::new(),
        title: String::new(),
        abstract_text: String::new(),
        pi_name: String::new(),
        pi_email: String::new(),
        pi_orcid: None,
        partner_institution_ids: String::new(),
        currency_code: String::new(),
        requested_minor: Some(0),
        duration_months: Some(0),
        state: String::new(),
        version: 0,
        create_time: 0,
        update_time: 0,
        submit_time: Some(0),
        decision_reason: None,
        decision_actor: None,
        decision_time: Some(0),
        award_number: None,
        awarded_minor: Some(0),
        disbursed_minor: 0,
        team: Some("[]".into()),
        endorsements: Some("[ ]".into()),
        schedule: Some(r#"{"tranches":[]}"#.into()),
        reports: Some("[  ]".into()),
        closure: Some("COMPLETED".into()),
        next_report_due: Some(7),
        reports_due: Some(1),
        reports_overdue: Some(2),
        reports_accepted: Some(3),
        preferred_periods: Some("[[1,2]]".into()),
    }
}

fn sample_programme() -> programme::Model {
    programme::Model {
        id: String::new(),
        display_name: String::new(),
        local_name: String::new(),
        funder: String::new(),
        currency_code: "CNY".into(),
        budget_minor: 1_000_000_00,
        committed_minor: 0,
        max_award_minor: 500_000_00,
        eligible_regions: "HONG_KONG,MACAO".into(),
        requires_guangdong_partner: true,
        open_time: 0,
        close_time: i64::MAX / 2,
        awards_issued: 0,
        version: 1,
        create_time: 0,
        update_time: 0,
        review_settings: None,
        document_requirements: None,
        endorsement_requirement: Some("APPLICANT".into()),
        facility: None,
    }
}

#[test]
fn every_entity_reads_back_in_its_own_column_order() {
    round_trip::<application::Entity>(sample_application());
    round_trip::<programme::Entity>(sample_programme());
    round_trip::<institution::Entity>(institution::Model {
        id: String::new(),
        display_name: String::new(),
        local_name: String::new(),
        region: String::new(),
        ror_id: None,
        create_time: 0,
        version: 1,
        update_time: 0,
    });
    round_trip::<api_key::Entity>(api_key::Model {
        id: String::new(),
        secret_hash: String::new(),
        role: String::new(),
        institution_id: None,
        programme_ids: String::new(),
        all_programmes: false,
        display_name: String::new(),
        create_time: 0,
        revoke_time: Some(0),
        person_name: Some("name".into()),
        person_orcid: Some("orcid".into()),
    });
    round_trip::<disbursement::Entity>(disbursement::Model {
        id: String::new(),
        application_id: String::new(),
        programme_id: String::new(),
        amount_minor: 0,
        payee_currency: String::new(),
        payee_minor: 0,
        bank_charges_minor: 0,
        exchange_rate: String::new(),
        pay_time: 0,
        reference: String::new(),
        create_time: 0,
        tranche: Some(2),
        period_start: Some(4),
        period_end: Some(5),
    });
    round_trip::<review::Entity>(review::Model {
        id: String::new(),
        application_id: String::new(),
        programme_id: String::new(),
        reviewer_key: String::new(),
        reviewer_institution_id: String::new(),
        ordinal: 0,
        state: String::new(),
        scores: String::new(),
        recommendation: None,
        applicant_comment: String::new(),
        officer_comment: String::new(),
        conflict_reason: String::new(),
        assigned_by: String::new(),
        assign_time: 0,
        submit_time: Some(0),
        update_time: 0,
        revision: 0,
    });
    round_trip::<idempotency::Entity>(idempotency::Model {
        caller: String::new(),
        request_id: String::new(),
        fingerprint: String::new(),
        resource: String::new(),
        create_time: 0,
        response: None,
    });
    round_trip::<event::Entity>(event::Model {
        seq: 0,
        application_id: String::new(),
        programme_id: String::new(),
        institution_id: String::new(),
        previous_state: None,
        new_state: String::new(),
        actor_key: String::new(),
        actor_role: String::new(),
        reason: String::new(),
        event_time: 0,
        disbursement_id: None,
        snapshot: String::new(),
        review_activity: None,
        document_activity: None,
        team_activity: Some("team".into()),
        actor_person: Some("person".into()),
        partner_institution_ids: Some("partners".into()),
        report_activity: Some("report".into()),
    });
    round_trip::<document::Entity>(document::Model {
        id: String::new(),
        application_id: String::new(),
        programme_id: String::new(),
        kind: String::new(),
        version: 0,
        file_name: String::new(),
        media_type: String::new(),
        size_bytes: 0,
        sha256: String::new(),
        uploader_key: String::new(),
        create_time: 0,
    });
    round_trip::<document::object::Entity>(document::object::Model {
        sha256: String::new(),
        claimed_until: 0,
    });
}

#[test]
fn postgres_statements_name_every_column() {
    let change_read = crate::store::postgres::change_read_sql_for_tests();
    for c in columns::<application::Entity>() {
        assert!(
            change_read.contains(&format!("a.\"{c}\" AS a_{c}")),
            "what a change reads lacks application.{c}"
        );
    }
    for c in columns::<programme::Entity>() {
        assert!(
            change_read.contains(&format!("p.\"{c}\" AS p_{c}")),
            "what a change reads lacks programme.{c}"
        );
    }
    let (create, append) = crate::store::postgres::write_statements_for_tests();
    for c in columns::<application::Entity>() {
        assert!(create.contains(&format!("\"{c}\"")), "a create lacks application.{c}");
    }
    for c in columns::<event::Entity>() {
        assert!(
            append.contains(&format!("\"{c}\"")),
            "an event append lacks application_event.{c}"
        );
    }
}

mod lifecycle {
    //! The changes that leave the programme alone, decided on a programme
    //! and on the same programme with one total changed, decide alike.

    use super::*;
    use crate::domain::Result;
    use crate::domain::access::{Caller, ProgrammeScope, Role};
    use crate::domain::event::Disbursement;
    use crate::domain::ids::{ApiKeyName, DisbursementName, InstitutionName, ProgrammeName};
    use crate::domain::lifecycle::{self, Outcome, Situation};
    use crate::domain::money::{Currency, Money};
    use crate::domain::time::Timestamp;

    fn situation(state: &str, programme: &programme::Model) -> Situation {
        let mut app = sample_application();
        app.id = "a1".into();
        app.programme_id = "p1".into();
        app.applicant_institution_id = "hku".into();
        app.partner_institution_ids = "sysu".into();
        app.title = "Typhoon-resilient coastal infrastructure".into();
        app.abstract_text = "Storm surge across the Pearl River Delta.".into();
        app.pi_name = "Dr Chan".into();
        app.pi_email = "chan@hku.hk".into();
        app.pi_orcid = Some("0000-0002-1825-0097".into());
        app.currency_code = "CNY".into();
        app.requested_minor = Some(400_000_00);
        app.duration_months = Some(24);
        app.state = state.into();
        app.version = 3;
        app.submit_time = None;
        app.decision_time = None;
        app.awarded_minor = matches!(state, "APPROVED" | "ACTIVE").then_some(300_000_00);
        app.disbursed_minor = 0;
        // Approved before schedules: one tranche of the whole award.
        (app.schedule, app.reports, app.closure) = (None, None, None);
        let inst = |id: &str, region: &str| institution::Model {
            id: id.into(),
            display_name: id.into(),
            local_name: id.into(),
            region: region.into(),
            ror_id: None,
            create_time: 0,
            version: 1,
            update_time: 0,
        };
        crate::store::shared::situation(
            app,
            programme.clone(),
            vec![inst("hku", "HONG_KONG"), inst("sysu", "GUANGDONG")],
            &[],
        )
        .expect("a situation")
    }

    fn caller(role: Role) -> Caller {
        Caller {
            key: ApiKeyName::from_id(format!("{role:?}")),
            role,
            institution: (role == Role::Applicant).then(|| InstitutionName::from_id("hku")),
            person: None,
            programmes: match role {
                Role::Officer => ProgrammeScope::Only(vec![ProgrammeName::from_id("p1")]),
                _ => ProgrammeScope::All,
            },
        }
    }

    /// Each change that leaves the programme alone, in a state it applies
    /// from.
    fn decisions(programme: &programme::Model) -> Vec<(String, Result<Outcome>)> {
        let now = Timestamp::from_micros(1_000_000);
        let applicant = caller(Role::Applicant);
        let officer = caller(Role::Officer);
        let payment = |s: &Situation| Disbursement {
            name: DisbursementName::new(s.application.name.clone(), "d1".to_owned()),
            amount: Money::from_minor(Currency::parse("CNY", "c").expect("CNY"), 10_000_00),
            payee_amount: Money::from_minor(Currency::parse("HKD", "c").expect("HKD"), 11_250_00),
            bank_charges: Money::zero(Currency::parse("HKD", "c").expect("HKD")),
            exchange_rate: "1.125".into(),
            pay_time: now,
            tranche: 0,
            reference: "FPS-1".into(),
            create_time: now,
            period: None,
        };
        let mut out = Vec::new();
        for state in [
            "DRAFT",
            "SUBMITTED",
            "UNDER_REVIEW",
            "CHANGES_REQUESTED",
            "APPROVED",
            "ACTIVE",
        ] {
            let s = situation(state, programme);
            out.push((format!("submit from {state}"), lifecycle::submit(&applicant, &s, now)));
            out.push((
                format!("withdraw from {state}"),
                lifecycle::withdraw(&applicant, &s, String::new(), now),
            ));
            out.push((
                format!("start review from {state}"),
                lifecycle::start_review(&officer, &s, now),
            ));
            out.push((
                format!("request changes from {state}"),
                lifecycle::request_changes(&officer, &s, "More detail".into(), now),
            ));
            out.push((
                format!("reject from {state}"),
                lifecycle::reject(&officer, &s, "No".into(), now),
            ));
            out.push((
                format!("disburse from {state}"),
                lifecycle::disburse(&officer, &s, payment(&s), now),
            ));
        }
        out
    }

    /// Other values of `value`'s kind: much larger, nothing, one; a flag
    /// flipped; another text.
    fn others(value: sea_orm::Value) -> Vec<sea_orm::Value> {
        use sea_orm::Value;
        match value {
            Value::BigInt(Some(n)) => [n.saturating_add(1_000_000_000_00), 0, 1]
                .into_iter()
                .filter(|m| *m != n)
                .map(|m| Value::BigInt(Some(m)))
                .collect(),
            Value::Bool(Some(b)) => vec![Value::Bool(Some(!b))],
            Value::String(Some(s)) => vec![Value::String(Some(format!("{s}x"))), Value::String(Some(String::new()))],
            other => panic!("a total of a kind this test does not change: {other:?}"),
        }
    }

    #[test]
    fn changes_that_leave_the_programme_alone_never_decide_on_its_totals() {
        let base = sample_programme();
        let before = decisions(&base);
        let mut changes_seen = 0;
        for (column, value) in programme::Column::iter()
            .filter(|c| programme::is_total(*c))
            .flat_map(|c| others(base.get(c)).into_iter().map(move |v| (c, v)))
        {
            let mut other = base.clone();
            other.set(column, value);
            let after = decisions(&other);
            for ((what, a), (_, b)) in before.iter().zip(&after) {
                let a_programme = a.as_ref().ok().and_then(|o| o.programme.clone());
                assert!(a_programme.is_none(), "{what} changed the programme");
                assert_eq!(
                    format!("{a:?}"),
                    format!("{b:?}"),
                    "{what} decided differently when the programme's {column:?} changed"
                );
                changes_seen += usize::from(a.is_ok());
            }
        }
        assert!(
            changes_seen > 10,
            "the decisions compared include changes that apply: {changes_seen}"
        );
    }
}
