//! Clients that go away mid-call, on every backend. A storm of calls
//! whose deadlines expire while the server is inside them (so the server
//! drops their work at whatever point it had reached) runs beside calls
//! that wait for their answer. Afterwards:
//!
//! - every OK answer is still true: the application reads back as
//!   answered, with exactly the events that answer implies;
//! - no call answered INTERNAL;
//! - retrying each cancelled call with its request id applies it exactly
//!   once or replays it, and a second retry answers byte for byte as the
//!   first;
//! - (PostgreSQL) no connection of the service is left inside a
//!   transaction.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::world::*;
use common::*;
use futures_util::future::join_all;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use prost::Message;
use tonic::{Code, Request};

on_every_backend!(cancelled_calls_leave_other_answers_true);

/// Callers whose deadline expires inside the call, and their calls each.
const CANCELLERS: usize = 8;
const CANCELLED_EACH: usize = 40;
/// Callers that wait for their answers, and their calls each.
const WAITERS: usize = 48;
const WAITED_EACH: usize = 12;

async fn submit_with(
    server: &TestServer,
    key: &str,
    name: &str,
    request_id: &str,
    deadline: Duration,
) -> Result<v1::SubmitApplicationResponse, tonic::Status> {
    let mut request = Request::new(v1::SubmitApplicationRequest {
        name: name.into(),
        etag: String::new(),
        request_id: request_id.into(),
    });
    request.set_timeout(deadline);
    server
        .apps(key)
        .submit_application(request)
        .await
        .map(|r| r.into_inner())
}

async fn cancelled_calls_leave_other_answers_true(backend: Backend) {
    let server = Arc::new(TestServer::start(backend).await);
    let w = Arc::new(server.world().await);
    let drafts = |n: usize| {
        let (server, w) = (server.clone(), w.clone());
        async move {
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                out.push(w.draft(&server, 100_000).await.name);
            }
            out
        }
    };
    let for_cancellers = join_all((0..CANCELLERS).map(|_| drafts(CANCELLED_EACH))).await;
    let for_waiters = join_all((0..WAITERS).map(|_| drafts(WAITED_EACH))).await;

    // The storm: cancellers with request ids and deadlines of 1–5 ms,
    // waiters without request ids and with 20 s.
    let cancellers = for_cancellers.into_iter().enumerate().map(|(c, names)| {
        let (server, w) = (server.clone(), w.clone());
        tokio::spawn(async move {
            let mut out = Vec::with_capacity(names.len());
            for (i, name) in names.into_iter().enumerate() {
                let request_id = format!("storm-{c}-{i}");
                let deadline = Duration::from_millis(1 + (c as u64 + i as u64) % 5);
                let result = submit_with(&server, &w.hku_key, &name, &request_id, deadline).await;
                out.push((name, request_id, result));
            }
            out
        })
    });
    let waiters = for_waiters.into_iter().map(|names| {
        let (server, w) = (server.clone(), w.clone());
        tokio::spawn(async move {
            let mut out = Vec::with_capacity(names.len());
            for name in names {
                let result = submit_with(&server, &w.hku_key, &name, "", Duration::from_secs(20)).await;
                out.push((name, result));
            }
            out
        })
    });
    let (cancelled, waited) = tokio::join!(join_all(cancellers), join_all(waiters));
    let cancelled: Vec<_> = cancelled.into_iter().flat_map(|r| r.expect("canceller")).collect();
    let waited: Vec<_> = waited.into_iter().flat_map(|r| r.expect("waiter")).collect();

    // Every waiter's call answered OK (nothing else competes for its
    // draft), and no call of either kind answered INTERNAL.
    let mut ok_answers: Vec<v1::Application> = Vec::new();
    for (name, result) in &waited {
        match result {
            Ok(response) => ok_answers.push(response.application.clone().expect("application")),
            Err(status) => panic!("a waiting call of {name} failed: {status:?}"),
        }
    }
    let mut expired = 0;
    for (name, _, result) in &cancelled {
        match result {
            Ok(response) => ok_answers.push(response.application.clone().expect("application")),
            Err(status) => {
                assert!(
                    matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
                    "a cancelled call of {name} answered {status:?}"
                );
                expired += 1;
            }
        }
    }
    assert_eq!(
        ok_answers.len() + expired,
        WAITERS * WAITED_EACH + CANCELLERS * CANCELLED_EACH
    );
    assert!(
        expired > 0,
        "no call was cancelled: the storm tested nothing (all {} answered in time)",
        cancelled.len()
    );

    // No connection left inside a transaction (PostgreSQL reports every
    // session's state). Cancelled calls may still be finishing: wait for
    // that, within a bound.
    if backend == Backend::Postgres {
        let stuck = wait_for_no_open_transactions(&server.db.url).await;
        assert_eq!(stuck, 0, "connections left inside a transaction after the storm");
    }

    // Every OK answer is still true.
    for answered in &ok_answers {
        assert_eq!(answered.state, State::Submitted as i32, "{} answered", answered.name);
        let now = get(&server, &w.hku_key, &answered.name).await.expect("read back");
        assert_eq!(now.state, State::Submitted as i32, "{} read back", answered.name);
        assert_eq!(now.etag, answered.etag, "{} read back", answered.name);
        let history = events(&server, &w.hku_key, &answered.name).await;
        let states: Vec<i32> = history.iter().map(|e| e.new_state).collect();
        assert_eq!(
            states,
            [State::Draft as i32, State::Submitted as i32],
            "{}: its history",
            answered.name
        );
    }

    // Retrying each cancelled call with its request id applies it once or
    // replays it; a second retry answers byte for byte as the first.
    for (name, request_id, _) in &cancelled {
        let first = submit_with(&server, &w.hku_key, name, request_id, Duration::from_secs(20))
            .await
            .unwrap_or_else(|status| panic!("retry of {name} ({request_id}): {status:?}"));
        let again = submit_with(&server, &w.hku_key, name, request_id, Duration::from_secs(20))
            .await
            .unwrap_or_else(|status| panic!("second retry of {name}: {status:?}"));
        assert_eq!(first.encode_to_vec(), again.encode_to_vec(), "{name}: replays differ");
        let history = events(&server, &w.hku_key, name).await;
        let submitted = history
            .iter()
            .filter(|e| e.new_state == State::Submitted as i32)
            .count();
        assert_eq!(submitted, 1, "{name}: submitted {submitted} times");
    }
    eprintln!(
        "cancellation storm ({backend:?}): {} calls, {} cancelled, {} OK answers checked, 0 lost, 0 INTERNAL",
        waited.len() + cancelled.len(),
        expired,
        ok_answers.len()
    );
}

/// The sessions of the test database left inside a transaction, once
/// none has been for a moment (or after 10 s).
async fn wait_for_no_open_transactions(url: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
    let name = url.rsplit('/').next().unwrap_or_default().to_owned();
    let conn = Database::connect(url).await.expect("connect to the test database");
    let query = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = $1 \
         AND state IN ('idle in transaction', 'idle in transaction (aborted)') AND pid <> pg_backend_pid()",
        [name.into()],
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let row = conn.query_one_raw(query.clone()).await.expect("pg_stat_activity");
        let n: i64 = row.map(|r| r.try_get("", "n").expect("count")).unwrap_or(0);
        if n == 0 || tokio::time::Instant::now() > deadline {
            conn.close().await.ok();
            return n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
