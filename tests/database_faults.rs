//! Database faults are visible and bounded, on every backend: an outage
//! answers UNAVAILABLE quickly and turns health NOT_SERVING until it
//! heals, with no restart and no failed call after it heals; a call stuck
//! on a lock does not hold a shutdown past its grace. PostgreSQL faults
//! are made on a private cluster the test kills (`-m immediate`); SQLite
//! faults by holding the database lock from another connection.

mod common;

use std::time::{Duration, Instant};

use common::private_pg::PrivatePostgres;
use common::watching::*;
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use gba_grants::proto::v1::watch_application_events_response::Kind;
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use tokio::time::timeout;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

on_every_backend!(
    an_outage_answers_unavailable_quickly_and_heals_without_a_restart,
    a_call_stuck_on_a_lock_does_not_hold_shutdown_past_the_grace,
);

async fn health(server: &TestServer) -> i32 {
    HealthClient::new(server.channel.clone())
        .check(HealthCheckRequest { service: String::new() })
        .await
        .map(|r| r.into_inner().status)
        .unwrap_or(-1)
}

async fn wait_for_health(server: &TestServer, want: ServingStatus, within: Duration) {
    let started = Instant::now();
    while health(server).await != want as i32 {
        assert!(
            started.elapsed() < within,
            "health did not turn {want:?} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Holds SQLite's write lock from another connection until dropped.
async fn lock_sqlite(url: &str) -> (DatabaseConnection, DatabaseTransaction) {
    let conn = Database::connect(url).await.expect("second connection");
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    let txn = conn.begin_with_options(options).await.expect("take the write lock");
    (conn, txn)
}

async fn an_outage_answers_unavailable_quickly_and_heals_without_a_restart(backend: Backend) {
    let cluster = (backend == Backend::Postgres).then(PrivatePostgres::start);
    let sqlite = TestDb::new(Backend::Sqlite).await;
    // On PostgreSQL the database does not exist yet: the server creates it.
    let url = match &cluster {
        Some(pg) => pg.url("grants"),
        None => sqlite.url.clone(),
    };
    let server = TestServer::start_with(TestDb::at(&url), |s| {
        s.database_timeout = Duration::from_secs(2);
        s.database_check_interval = Duration::from_millis(200);
    })
    .await;
    let w = server.world().await;
    let before = w.draft(&server, 1_000).await;
    let after_before = events(&server, &server.admin_key, &before.name).await[0].cursor.clone();
    let mut watch = server.watch(&server.admin_key);
    let (mut stream, _) = open(&mut watch, filter_all(&after_before)).await.unwrap();
    wait_for_health(&server, ServingStatus::Serving, Duration::from_secs(5)).await;

    // The outage.
    let held = match &cluster {
        Some(pg) => {
            pg.kill();
            None
        }
        None => Some(lock_sqlite(&url).await),
    };
    let mut apps = server.apps(&w.hku_key);
    for _ in 0..3 {
        let started = Instant::now();
        let status = apps
            .create_application(v1::CreateApplicationRequest {
                parent: w.programme.name.clone(),
                application: Some(application(&w.hku, &[&w.sysu], 1_000)),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        assert_eq!(reason(&status), "STORAGE_UNAVAILABLE");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "answered in {:?}",
            started.elapsed()
        );
    }
    if cluster.is_some() {
        // Reads fail the same way, and health says so.
        let status = get(&server, &w.hku_key, &before.name).await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        wait_for_health(&server, ServingStatus::NotServing, Duration::from_secs(5)).await;
    } else {
        // A locked SQLite file still serves reads (WAL).
        get(&server, &w.hku_key, &before.name).await.expect("reads go on");
    }

    // The database comes back: no call fails after that, none needs a
    // restart, and the open stream catches up.
    match &cluster {
        Some(pg) => pg.start_again(),
        None => drop(held),
    }
    wait_for_health(&server, ServingStatus::Serving, Duration::from_secs(10)).await;
    let mut made = Vec::new();
    for _ in 0..20 {
        get(&server, &w.hku_key, &before.name)
            .await
            .expect("read after recovery");
        made.push(w.draft(&server, 1_000).await.name);
    }
    let mut seen = Vec::new();
    timeout(Duration::from_secs(10), async {
        while seen.len() < made.len() {
            match next(&mut stream).await {
                Ok(Some(Kind::Event(e))) => seen.push(e.application),
                Ok(Some(Kind::Progress(_))) => {}
                other => panic!("the stream ended: {other:?}"),
            }
        }
    })
    .await
    .expect("the stream catches up after the outage");
    assert_eq!(seen, made);
    server.stop().await;
}

async fn a_call_stuck_on_a_lock_does_not_hold_shutdown_past_the_grace(backend: Backend) {
    let db = TestDb::new(backend).await;
    let url = db.url.clone();
    let server = TestServer::start_with(db.share(), |s| {
        s.shutdown_grace = Duration::from_secs(2);
        s.database_timeout = Duration::from_secs(60);
    })
    .await;
    let w = server.world().await;
    let server_admin = server.admin_key.clone();
    let reviewed = w.under_review(&server, 100_000).await;
    // Hold the lock an approval needs: SQLite's write lock, or the
    // programme row on PostgreSQL.
    let holder = Database::connect(&url).await.unwrap();
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    let txn = holder.begin_with_options(options).await.unwrap();
    if backend == Backend::Postgres {
        txn.execute_unprepared("SELECT * FROM programme FOR UPDATE")
            .await
            .unwrap();
    }
    let mut reviews = server.reviews(&w.officer_key);
    let name = reviewed.name.clone();
    let stuck = tokio::spawn(async move {
        reviews
            .approve_application(v1::ApproveApplicationRequest {
                awarded_resource: None,
                name,
                awarded_amount: Some(money("CNY", 10_000, 0)),
                reason: String::new(),
                request_id: "stuck-approval".into(),
                override_incomplete_reviews: false,
                schedule: None,
            })
            .await
    });
    if backend == Backend::Postgres {
        // The approval's session waits on the lock (a condition, within a
        // bound).
        let waiting = timeout(Duration::from_secs(10), async {
            loop {
                let row = holder
                    .query_one_raw(sea_orm::Statement::from_string(
                        sea_orm::DbBackend::Postgres,
                        "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
                         AND wait_event_type = 'Lock'",
                    ))
                    .await
                    .expect("pg_stat_activity");
                let n: i64 = row.map(|r| r.try_get("", "n").expect("count")).unwrap_or(0);
                if n > 0 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        assert!(waiting.is_ok(), "the approval never waited on the lock");
    } else {
        // SQLite shows no waiters: the call has not answered while the
        // write lock is held.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(!stuck.is_finished(), "the approval waits for the lock");
    let started = Instant::now();
    server.signal_stop();
    timeout(Duration::from_secs(6), server.wait())
        .await
        .expect("the server exits within its grace (2 s) and a bounded close");
    assert!(started.elapsed() < Duration::from_secs(6), "{:?}", started.elapsed());
    let status = timeout(Duration::from_secs(5), stuck)
        .await
        .expect("the stuck call is answered")
        .unwrap()
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    drop(txn);
    drop(holder);
    assert_eq!(reason(&status), "SHUTTING_DOWN", "{status:?}");
    // Cut unanswered, the approval may or may not have been made (a
    // statement PostgreSQL had received completes once the lock is free).
    // Whichever it was, it was made whole or not at all, and a retry with
    // its request id on a server started again answers the approval and
    // leaves exactly one.
    let again = TestServer::start_on(TestDb::at(&url)).await;
    let admin = TestServer::remote(again.channel.clone(), &server_admin);
    let settled = timeout(Duration::from_secs(10), async {
        loop {
            let now = get(&admin, &w.officer_key, &reviewed.name).await.expect("read back");
            let paid = committed(&admin, &w.programme.name).await;
            let history = events(&admin, &w.officer_key, &reviewed.name).await;
            let approvals = history.iter().filter(|e| e.new_state == State::Approved as i32).count();
            match (
                now.state == State::Approved as i32,
                paid == money("CNY", 10_000, 0),
                approvals,
            ) {
                (true, true, 1) | (false, false, 0) => return now.state,
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    })
    .await
    .expect("the approval is made whole or not at all");
    eprintln!(
        "the cut approval was {}",
        if settled == State::Approved as i32 {
            "made"
        } else {
            "not made"
        }
    );
    // The same request again (a retry is the same request with the same
    // id).
    let retried = admin
        .reviews(&w.officer_key)
        .approve_application(v1::ApproveApplicationRequest {
            awarded_resource: None,
            name: reviewed.name.clone(),
            awarded_amount: Some(money("CNY", 10_000, 0)),
            reason: String::new(),
            request_id: "stuck-approval".into(),
            override_incomplete_reviews: false,
            schedule: None,
        })
        .await
        .expect("the retry answers the approval")
        .into_inner()
        .application
        .expect("application");
    assert_eq!(retried.state, State::Approved as i32);
    assert_eq!(committed(&admin, &w.programme.name).await, money("CNY", 10_000, 0));
    let approvals = events(&admin, &w.officer_key, &reviewed.name)
        .await
        .iter()
        .filter(|e| e.new_state == State::Approved as i32)
        .count();
    assert_eq!(approvals, 1, "approved exactly once");
    again.stop().await;
}
