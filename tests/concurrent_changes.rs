//! Competing state changes, on every backend: callers change the same
//! applications and the same programme at once. Every change applies
//! whole, with exactly one event, or is refused naming why and changes
//! nothing; each application's history is an unbroken chain that ends in
//! its current state; the budget holds; and a watcher sees the whole
//! history exactly once, in the order of the log.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::watching::*;
use common::world::*;
use common::*;
use futures_util::future::join_all;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use gba_grants::proto::v1::watch_application_events_response::Kind;
use tonic::{Code, Status};

on_every_backend!(competing_changes_apply_whole_or_not_at_all);

/// Applications of each kind (under review; submitted).
const EACH: usize = 24;
/// The main programme's budget (10,000,000 CNY) fits 20 such awards.
const AWARD: i64 = 500_000;

type Call = std::pin::Pin<Box<dyn std::future::Future<Output = Result<v1::Application, Status>> + Send>>;

async fn competing_changes_apply_whole_or_not_at_all(backend: Backend) {
    let server = Arc::new(TestServer::start(backend).await);
    let w = Arc::new(server.world().await);
    let mut watch = server.watch(&server.admin_key);
    let (mut stream, _) = open(&mut watch, filter_all("")).await.expect("watch");

    let reviewed = join_all((0..EACH).map(|_| w.under_review(&server, AWARD))).await;
    let submitted = join_all((0..EACH).map(|_| w.submitted(&server, 100_000))).await;
    let mut before: HashMap<String, usize> = HashMap::new();
    for a in reviewed.iter().chain(&submitted) {
        before.insert(a.name.clone(), events(&server, &w.officer_key, &a.name).await.len());
    }

    // All at once: two approvals and a rejection of each application under
    // review (approvals of one programme, competing for its budget); a
    // withdrawal, two review starts and a rejection of each submitted one.
    let mut calls: Vec<(String, &'static str, Call)> = Vec::new();
    for a in &reviewed {
        for what in ["approve", "approve", "reject"] {
            let (s, w, name) = (server.clone(), w.clone(), a.name.clone());
            let call: Call = if what == "approve" {
                Box::pin(async move { approve(&s, &w.officer_key, &name, AWARD, "").await })
            } else {
                Box::pin(async move { reject(&s, &w.officer_key, &name, "out of scope").await })
            };
            calls.push((a.name.clone(), what, call));
        }
    }
    for a in &submitted {
        for what in ["withdraw", "start_review", "start_review", "reject"] {
            let (s, w, name) = (server.clone(), w.clone(), a.name.clone());
            let call: Call = match what {
                "withdraw" => Box::pin(async move { withdraw(&s, &w.hku_key, &name).await }),
                "start_review" => Box::pin(async move { start_review(&s, &w.officer_key, &name).await }),
                _ => Box::pin(async move { reject(&s, &w.officer_key, &name, "out of scope").await }),
            };
            calls.push((a.name.clone(), what, call));
        }
    }
    let (names, futures): (Vec<_>, Vec<_>) = calls.into_iter().map(|(n, what, c)| ((n, what), c)).unzip();
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut applied: HashMap<String, Vec<i32>> = HashMap::new();
    for ((name, what), handle) in names.into_iter().zip(handles) {
        match handle.await.expect("task") {
            Ok(a) => applied.entry(name).or_default().push(a.state),
            Err(status) => {
                assert_eq!(status.code(), Code::FailedPrecondition, "{what} of {name}: {status:?}");
                let why = reason(&status);
                assert!(
                    why == "INVALID_STATE" || (what == "approve" && why == "BUDGET_EXCEEDED"),
                    "{what} of {name} refused with {why}"
                );
            }
        }
    }

    // Each application: one event per applied change, chained, ending in
    // its current state; and each changed application was changed at
    // least once (the first change of each always applies).
    let mut all = Vec::new();
    let mut approved = 0;
    for a in reviewed.iter().chain(&submitted) {
        let history = events(&server, &w.officer_key, &a.name).await;
        let new = &history[before[&a.name]..];
        let mut applied_states = applied.remove(&a.name).unwrap_or_default();
        assert!(!applied_states.is_empty(), "{}: no change applied", a.name);
        assert_eq!(
            new.len(),
            applied_states.len(),
            "{}: one event per applied change",
            a.name
        );
        for pair in history.windows(2) {
            assert_eq!(
                pair[1].previous_state, pair[0].new_state,
                "{}: the chain is unbroken",
                a.name
            );
        }
        let mut event_states: Vec<i32> = new.iter().map(|e| e.new_state).collect();
        event_states.sort();
        applied_states.sort();
        assert_eq!(
            event_states, applied_states,
            "{}: the events are the changes applied",
            a.name
        );
        let current = get(&server, &w.officer_key, &a.name).await.expect("get");
        assert_eq!(history.last().map(|e| e.new_state), Some(current.state));
        if current.state == state(State::Approved) {
            approved += 1;
        }
        all.extend(history);
    }
    assert!(approved <= 20, "{approved} awards of {AWARD} in a budget of 10,000,000");
    assert_eq!(
        committed(&server, &w.programme.name).await,
        money("CNY", AWARD * approved, 0)
    );

    // The watcher saw every event, once, in log order.
    all.sort_by_key(|e| seq(&e.cursor));
    let expected: Vec<String> = all.iter().map(|e| e.cursor.clone()).collect();
    let mut seen = Vec::new();
    while seen.len() < expected.len() {
        match tokio::time::timeout(Duration::from_secs(10), next(&mut stream)).await {
            Ok(Ok(Some(Kind::Event(e)))) => seen.push(e.cursor),
            Ok(Ok(Some(_))) => {}
            other => panic!("the watch ended early after {} events: {other:?}", seen.len()),
        }
    }
    assert_eq!(seen, expected);
}
