//! A database made by the previous version (schema up to migration 5,
//! before peer review) upgrades in place when the new server starts: its
//! rows keep every value, its event history still reads, and peer review
//! works on the applications it already held.

mod common;

use common::reviewing::*;
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use sea_orm::{ConnectionTrait, Database};
use sea_orm_migration::MigratorTrait;

on_every_backend!(a_database_of_the_previous_version_upgrades_in_place);

const NOW_SECS: i64 = 1_790_000_000;

/// The rows version 5 wrote for a submitted HKU application to a
/// programme that needs a Guangdong partner, with its two events.
fn previous_version_rows(now: i64, open: i64, close: i64) -> Vec<String> {
    let snapshot = |state: &str, version: i64, submit: &str| {
        format!(
            r#"{{"id":"app-legacy","programme_id":"prog-legacy","applicant_institution_id":"inst-hku","title":"Legacy estuary study","abstract_text":"Sediment in the Pearl River estuary.","pi_name":"Dr Lee","pi_email":"lee@hku.hk","pi_orcid":"0000-0002-1825-0097","partner_institution_ids":"inst-sysu","currency_code":"CNY","requested_minor":50000000,"duration_months":24,"state":"{state}","version":{version},"create_time":{now},"update_time":{now},"submit_time":{submit},"decision_reason":null,"decision_actor":null,"decision_time":null,"award_number":null,"awarded_minor":null,"disbursed_minor":0}}"#
        )
    };
    vec![
        format!(
            "INSERT INTO institution (id, display_name, local_name, region, ror_id, create_time) VALUES \
             ('inst-hku', 'The University of Hong Kong', '香港大學', 'HONG_KONG', NULL, {now}), \
             ('inst-sysu', 'Sun Yat-sen University', '中山大学', 'GUANGDONG', NULL, {now}), \
             ('inst-cuhk', 'The Chinese University of Hong Kong', '香港中文大學', 'HONG_KONG', NULL, {now})"
        ),
        format!(
            "INSERT INTO programme (id, display_name, local_name, funder, currency_code, budget_minor, \
             committed_minor, max_award_minor, eligible_regions, requires_guangdong_partner, open_time, \
             close_time, version, create_time, update_time, awards_issued) VALUES ('prog-legacy', \
             'Legacy Joint Fund', '粤港澳旧基金', 'GDSTC', 'CNY', 1000000000, 0, 100000000, 'HONG_KONG,MACAO', \
             TRUE, {open}, {close}, 3, {now}, {now}, 0)"
        ),
        format!(
            "INSERT INTO application (id, programme_id, applicant_institution_id, title, abstract, pi_name, \
             pi_email, pi_orcid, partner_institution_ids, currency_code, requested_minor, duration_months, \
             state, version, create_time, update_time, submit_time, decision_reason, decision_actor, \
             decision_time, award_number, awarded_minor, disbursed_minor) VALUES ('app-legacy', 'prog-legacy', \
             'inst-hku', 'Legacy estuary study', 'Sediment in the Pearl River estuary.', 'Dr Lee', \
             'lee@hku.hk', '0000-0002-1825-0097', 'inst-sysu', 'CNY', 50000000, 24, 'SUBMITTED', 2, {now}, \
             {now}, {now}, NULL, NULL, NULL, NULL, NULL, 0)"
        ),
        format!(
            "INSERT INTO application_event (seq, application_id, programme_id, institution_id, previous_state, \
             new_state, actor_key, actor_role, reason, event_time, disbursement_id, snapshot) VALUES \
             (1, 'app-legacy', 'prog-legacy', 'inst-hku', NULL, 'DRAFT', 'key-legacy', 'APPLICANT', '', {now}, \
             NULL, '{}'), \
             (2, 'app-legacy', 'prog-legacy', 'inst-hku', 'DRAFT', 'SUBMITTED', 'key-legacy', 'APPLICANT', '', \
             {now}, NULL, '{}')",
            snapshot("DRAFT", 1, "null"),
            snapshot("SUBMITTED", 2, &now.to_string()),
        ),
    ]
}

async fn a_database_of_the_previous_version_upgrades_in_place(backend: Backend) {
    let db = TestDb::new(backend).await;
    let url = match backend {
        Backend::Sqlite => format!("{}?mode=rwc", db.url),
        Backend::Postgres => db.url.clone(),
    };
    let conn = Database::connect(&url).await.expect("connect");
    gba_grants::store::migration::Migrator::up(&conn, Some(5))
        .await
        .expect("the previous version's schema");
    let now = now_seconds().max(NOW_SECS) * 1_000_000;
    let (open, close) = (now - 3_600_000_000, now + 30 * 86_400_000_000);
    for sql in previous_version_rows(now, open, close) {
        conn.execute_unprepared(&sql)
            .await
            .expect("a row of the previous version");
    }
    let applied = |conn: sea_orm::DatabaseConnection| async move {
        let rows = conn
            .query_all_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                "SELECT version FROM seaql_migrations ORDER BY version",
            ))
            .await
            .expect("migrations");
        conn.close().await.ok();
        rows.len()
    };
    assert_eq!(applied(conn).await, 5);

    let server = TestServer::start_on(db).await;
    let conn = Database::connect(&url).await.expect("connect again");
    let every = gba_grants::store::migration::Migrator::migrations().len();
    assert_eq!(applied(conn).await, every, "the newer migrations ran at start");

    // Every value as the previous version left it.
    let name = "programmes/prog-legacy/applications/app-legacy";
    let app = get(&server, &server.admin_key, name)
        .await
        .expect("the old application");
    assert_eq!(app.title, "Legacy estuary study");
    assert_eq!(app.state, state(State::Submitted));
    assert_eq!(app.etag, "2");
    assert_eq!(app.requested_amount.as_ref().map(|m| m.units), Some(500_000));
    assert_eq!(app.partner_institutions, ["institutions/inst-sysu"]);
    assert_eq!(
        app.principal_investigator.as_ref().map(|p| p.email.as_str()),
        Some("lee@hku.hk")
    );
    let programme = server
        .programmes(&server.admin_key)
        .get_programme(v1::GetProgrammeRequest {
            name: "programmes/prog-legacy".into(),
        })
        .await
        .expect("the old programme")
        .into_inner()
        .programme
        .expect("programme");
    assert_eq!(programme.etag, "3");
    assert_eq!(programme.budget.as_ref().map(|m| m.units), Some(10_000_000));
    assert!(
        programme.review_settings.is_none(),
        "old programmes have no peer review"
    );
    let history = events(&server, &server.admin_key, name).await;
    assert_eq!(history.len(), 2);
    assert!(history.iter().all(|e| e.review_activity.is_none()));
    assert_eq!(
        history.last().and_then(|e| e.snapshot.as_ref()).map(|s| s.state),
        Some(state(State::Submitted))
    );

    // With it, the old application can be reviewed.
    configure(&server, "programmes/prog-legacy", settings(1))
        .await
        .expect("configure");
    let (r, r_name) = reviewer(&server, "institutions/inst-cuhk", "programmes/prog-legacy").await;
    let assigned = assign(&server, &server.admin_key, name, &r_name).await.expect("assign");
    submit_review(&server, &r, review(&assigned.name, scores(4, 4, 4)))
        .await
        .expect("review");
    let approved = approve(&server, &server.admin_key, name, 400_000, "")
        .await
        .expect("approve");
    assert_eq!(approved.state, state(State::Approved));
    assert_eq!(events(&server, &server.admin_key, name).await.len(), 5);
    server.stop().await;
}
