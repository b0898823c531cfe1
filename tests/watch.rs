//! Live status streams, on every backend: exactly-once delivery across
//! reconnects and concurrent writers, slow consumers, retention, scope,
//! shutdown and summaries.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use common::watching::*;
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use gba_grants::proto::v1::watch_application_events_response::Kind;
use tokio::time::timeout;
use tonic::Code;

on_every_backend!(
    every_watcher_sees_every_event_in_scope_exactly_once,
    a_slow_watcher_is_ended_and_resumes_without_gaps,
    an_expired_cursor_is_refused_not_skipped,
    watchers_never_see_outside_their_scope,
    shutdown_ends_every_stream_with_unavailable,
    summaries_agree_with_a_fresh_count_after_a_burst,
);

/// Every event of the given applications, in commit order (seq, event).
async fn truth(server: &TestServer, names: &[String]) -> Vec<(i64, v1::ApplicationEvent)> {
    let mut all = Vec::new();
    for name in names {
        for e in events(server, &server.admin_key, name).await {
            all.push((seq(&e.cursor), e));
        }
    }
    all.sort_by_key(|(s, _)| *s);
    all
}

/// Creates, submits and withdraws applications until `budget` events were
/// made; returns the application names.
async fn write_events(server: Arc<TestServer>, w: Arc<World>, writers: usize, budget: usize) -> Vec<String> {
    let made = Arc::new(AtomicUsize::new(0));
    let tasks = (0..writers).map(|i| {
        let (server, w, made) = (server.clone(), w.clone(), made.clone());
        tokio::spawn(async move {
            let mut names = Vec::new();
            let (key, applicant, programme, partners) = if i % 2 == 0 {
                (
                    w.hku_key.clone(),
                    w.hku.clone(),
                    w.programme.name.clone(),
                    vec![w.sysu.clone()],
                )
            } else {
                (w.um_key.clone(), w.um.clone(), w.other_programme.name.clone(), vec![])
            };
            while made.fetch_add(3, Ordering::SeqCst) + 3 <= budget {
                let partners: Vec<&str> = partners.iter().map(String::as_str).collect();
                let created = server
                    .apps(&key)
                    .create_application(v1::CreateApplicationRequest {
                        parent: programme.clone(),
                        application: Some(application(&applicant, &partners, 1_000)),
                        request_id: String::new(),
                    })
                    .await
                    .expect("create")
                    .into_inner()
                    .application
                    .expect("application");
                submit(&server, &key, &created.name).await.expect("submit");
                withdraw(&server, &key, &created.name).await.expect("withdraw");
                names.push(created.name);
            }
            names
        })
    });
    let mut names = Vec::new();
    for t in futures_util::future::join_all(tasks).await {
        names.extend(t.expect("writer"));
    }
    names
}

fn in_scope(e: &v1::ApplicationEvent, w: &World, who: usize) -> bool {
    match who % 4 {
        0 => true,
        1 | 3 => e.programme == w.programme.name,
        _ => e.applicant_institution == w.hku,
    }
}

fn key_of(server: &TestServer, w: &World, who: usize) -> String {
    match who % 4 {
        0 => server.admin_key.clone(),
        1 => w.officer_key.clone(),
        2 => w.hku_key.clone(),
        _ => w.viewer_key.clone(),
    }
}

async fn every_watcher_sees_every_event_in_scope_exactly_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = Arc::new(
        TestServer::start_with(db, |s| {
            s.hub.progress_interval = Duration::from_millis(200);
            if backend == Backend::Postgres {
                s.commit_jitter = Some(Duration::from_millis(1));
            }
        })
        .await,
    );
    let w = Arc::new(server.world().await);
    const EVENTS: usize = 10_002;
    let final_head = Arc::new(AtomicI64::new(i64::MAX));
    let started = Arc::new(AtomicUsize::new(0));

    let watchers = (0..20).map(|who| {
        let (server, w, final_head, started) = (server.clone(), w.clone(), final_head.clone(), started.clone());
        tokio::spawn(async move {
            let key = key_of(&server, &w, who);
            let mut client = server.watch(&key);
            let (mut stream, mut cursor) = open(&mut client, filter_all("")).await.expect("watch");
            started.fetch_add(1, Ordering::SeqCst);
            let mut seen: Vec<(i64, String)> = Vec::new();
            let mut reconnects = 0;
            loop {
                let budget = rand::random_range(1..300);
                for _ in 0..budget {
                    match timeout(Duration::from_secs(30), next(&mut stream))
                        .await
                        .expect("stream stalled")
                    {
                        Ok(Some(Kind::Event(e))) => {
                            let s = seq(&e.cursor);
                            assert!(in_scope(&e, &w, who), "watcher {who} got an event outside its scope");
                            if let Some((last, _)) = seen.last() {
                                assert!(s > *last, "watcher {who}: cursor {s} after {last}");
                            }
                            seen.push((s, e.application.clone()));
                            cursor = e.cursor;
                        }
                        Ok(Some(Kind::Progress(p))) => cursor = p.cursor,
                        Ok(None) => panic!("stream ended"),
                        Err(status) => panic!("watcher {who}: {status:?}"),
                    }
                    if seq(&cursor) >= final_head.load(Ordering::SeqCst) {
                        return (seen, reconnects);
                    }
                }
                // Disconnect and resume from the last cursor.
                drop(stream);
                reconnects += 1;
                (stream, _) = open(&mut client, filter_all(&cursor)).await.expect("resume");
            }
        })
    });
    let watchers: Vec<_> = watchers.collect();
    while started.load(Ordering::SeqCst) < 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let names = write_events(server.clone(), w.clone(), 64, EVENTS).await;
    let truth = truth(&server, &names).await;
    assert_eq!(truth.len(), EVENTS);
    final_head.store(truth.last().map_or(0, |(s, _)| *s), Ordering::SeqCst);

    for (who, watcher) in watchers.into_iter().enumerate() {
        let (seen, reconnects) = timeout(Duration::from_secs(120), watcher)
            .await
            .expect("watcher finished")
            .unwrap();
        let expected: Vec<(i64, String)> = truth
            .iter()
            .filter(|(_, e)| in_scope(e, &w, who))
            .map(|(s, e)| (*s, e.application.clone()))
            .collect();
        assert!(reconnects > 0, "watcher {who} reconnected");
        assert_eq!(
            seen.len(),
            expected.len(),
            "watcher {who}: every event in scope exactly once"
        );
        assert_eq!(seen, expected, "watcher {who}: same events in commit order");
    }
}

async fn a_slow_watcher_is_ended_and_resumes_without_gaps(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = Arc::new(
        TestServer::start_with(db, |s| {
            s.hub.watcher_buffer = 64;
            s.hub.progress_interval = Duration::from_millis(200);
        })
        .await,
    );
    let w = Arc::new(server.world().await);
    let mut fast_client = server.watch(&server.admin_key);
    let (mut fast, _) = open(&mut fast_client, filter_all("")).await.unwrap();
    // The slow client grants the server little HTTP/2 window, so the server
    // cannot park the backlog in the client's buffers.
    let narrow = tonic::transport::Endpoint::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .initial_stream_window_size(Some(4_096))
        .initial_connection_window_size(Some(4_096))
        .connect()
        .await
        .unwrap();
    let mut slow_client = WatchServiceClient::with_interceptor(narrow, Bearer::new(&server.admin_key));
    let (mut slow, mut slow_cursor) = open(&mut slow_client, filter_all("")).await.unwrap();

    // Writers keep going, in bursts, until the slow watcher has been ended.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (server, w, stop) = (server.clone(), w.clone(), stop.clone());
        tokio::spawn(async move {
            let mut names = Vec::new();
            for _ in 0..100 {
                names.extend(write_events(server.clone(), w.clone(), 8, 96).await);
                if stop.load(Ordering::SeqCst) {
                    break;
                }
            }
            names
        })
    };
    let target = Arc::new(AtomicUsize::new(usize::MAX));
    let fast_reader = {
        let target = target.clone();
        tokio::spawn(async move {
            let mut got = Vec::new();
            while got.len() < target.load(Ordering::SeqCst) {
                match timeout(Duration::from_secs(30), next(&mut fast))
                    .await
                    .expect("fast watcher stalled")
                {
                    Ok(Some(Kind::Event(e))) => got.push(seq(&e.cursor)),
                    Ok(Some(Kind::Progress(_))) => {}
                    other => panic!("fast watcher: {other:?}"),
                }
            }
            got
        })
    };
    let mut slow_seen = Vec::new();
    let ended = loop {
        tokio::time::sleep(Duration::from_millis(15)).await;
        match timeout(Duration::from_secs(30), next(&mut slow))
            .await
            .expect("slow watcher stalled")
        {
            Ok(Some(Kind::Event(e))) => {
                slow_seen.push(seq(&e.cursor));
                slow_cursor = e.cursor;
            }
            Ok(Some(Kind::Progress(p))) => slow_cursor = p.cursor,
            Ok(None) => panic!("slow stream ended without an error"),
            Err(status) => break status,
        }
    };
    stop.store(true, Ordering::SeqCst);
    assert_eq!(ended.code(), Code::ResourceExhausted, "{ended:?}");
    assert_eq!(reason(&ended), "WATCHER_TOO_SLOW");
    let names = writer.await.unwrap();
    let truth: Vec<i64> = truth(&server, &names).await.into_iter().map(|(s, _)| s).collect();
    target.store(truth.len(), Ordering::SeqCst);
    let fast_seen = fast_reader.await.unwrap();
    assert_eq!(fast_seen, truth, "the fast watcher kept up: every event once, in order");

    // Resume from the last cursor: the rest, with no gap and no repeat.
    let (mut resumed, _) = open(&mut slow_client, filter_all(&slow_cursor)).await.unwrap();
    while slow_seen.len() < truth.len() {
        match timeout(Duration::from_secs(10), next(&mut resumed))
            .await
            .expect("resumed stream stalled")
        {
            Ok(Some(Kind::Event(e))) => slow_seen.push(seq(&e.cursor)),
            Ok(Some(Kind::Progress(_))) => {}
            other => panic!("resumed: {other:?}"),
        }
    }
    assert_eq!(slow_seen, truth);
}

async fn an_expired_cursor_is_refused_not_skipped(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = Arc::new(TestServer::start_with(db, |s| s.hub.retention = Some(Duration::from_millis(300))).await);
    let w = Arc::new(server.world().await);
    let mut client = server.watch(&server.admin_key);
    let (_, old) = open(&mut client, filter_all("")).await.unwrap();
    write_events(server.clone(), w.clone(), 1, 6).await;
    let status = timeout(Duration::from_secs(20), async {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if let Err(status) = open(&mut client, filter_all(&old)).await {
                return status;
            }
        }
    })
    .await
    .expect("the old cursor expires once its events are pruned");
    assert_eq!(status.code(), Code::OutOfRange);
    assert_eq!(reason(&status), "CURSOR_EXPIRED");
    // A fresh stream still works, and garbage cursors are refused.
    assert!(open(&mut client, filter_all("")).await.is_ok());
    let bad = open(&mut client, filter_all("nonsense")).await.expect_err("refused");
    assert_eq!(bad.code(), Code::InvalidArgument);
}

async fn watchers_never_see_outside_their_scope(backend: Backend) {
    let server = Arc::new(TestServer::start(backend).await);
    let w = Arc::new(server.world().await);
    let mut hku = server.watch(&w.hku_key);
    let (mut mine, _) = open(&mut hku, filter_all("")).await.unwrap();
    let mut viewer = server.watch(&w.viewer_key);
    let (mut viewed, _) = open(&mut viewer, filter_all("")).await.unwrap();
    let names = write_events(server.clone(), w.clone(), 4, 60).await;
    let truth = truth(&server, &names).await;
    let own: Vec<i64> = truth
        .iter()
        .filter(|(_, e)| e.applicant_institution == w.hku)
        .map(|(s, _)| *s)
        .collect();
    let mut got = Vec::new();
    while got.len() < own.len() {
        match timeout(Duration::from_secs(10), next(&mut mine))
            .await
            .expect("stalled")
        {
            Ok(Some(Kind::Event(e))) => {
                assert_eq!(
                    e.applicant_institution, w.hku,
                    "an applicant never sees another institution"
                );
                got.push(seq(&e.cursor));
            }
            Ok(Some(Kind::Progress(_))) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(got, own);
    let in_programme = truth.iter().filter(|(_, e)| e.programme == w.programme.name).count();
    let mut count = 0;
    while count < in_programme {
        match timeout(Duration::from_secs(10), next(&mut viewed))
            .await
            .expect("stalled")
        {
            Ok(Some(Kind::Event(e))) => {
                assert_eq!(e.programme, w.programme.name);
                let pi = e.snapshot.unwrap().principal_investigator.unwrap();
                assert_eq!(pi.email, "", "viewers get no e-mails");
                count += 1;
            }
            Ok(Some(Kind::Progress(_))) => {}
            other => panic!("{other:?}"),
        }
    }

    // Naming something outside the scope is refused.
    let foreign = v1::WatchApplicationEventsRequest {
        applicant_institution: w.um.clone(),
        ..Default::default()
    };
    assert_eq!(
        open(&mut hku, foreign).await.err().unwrap().code(),
        Code::PermissionDenied
    );
    let um_app = names.iter().find(|n| n.starts_with(&w.other_programme.name)).unwrap();
    let foreign = v1::WatchApplicationEventsRequest {
        application: um_app.clone(),
        ..Default::default()
    };
    assert_eq!(
        open(&mut hku, foreign).await.err().unwrap().code(),
        Code::PermissionDenied
    );
    let mut officer = server.watch(&w.officer_key);
    let other = v1::WatchApplicationEventsRequest {
        programme: w.other_programme.name.clone(),
        ..Default::default()
    };
    assert_eq!(
        open(&mut officer, other).await.err().unwrap().code(),
        Code::PermissionDenied
    );
    let both = v1::WatchApplicationEventsRequest {
        programme: w.programme.name.clone(),
        application: um_app.clone(),
        ..Default::default()
    };
    assert_eq!(
        open(&mut officer, both).await.err().unwrap().code(),
        Code::InvalidArgument
    );
    let mut anonymous = WatchServiceClient::new(server.channel.clone());
    let status = anonymous.watch_application_events(filter_all("")).await.err().unwrap();
    assert_eq!(status.code(), Code::Unauthenticated);
}

async fn shutdown_ends_every_stream_with_unavailable(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut streams = Vec::new();
    for _ in 0..100 {
        let mut client = server.watch(&server.admin_key);
        streams.push(open(&mut client, filter_all("")).await.unwrap().0);
    }
    server.signal_stop();
    for mut stream in streams {
        let status = timeout(Duration::from_secs(5), next(&mut stream))
            .await
            .expect("ended promptly")
            .unwrap_err();
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(reason(&status), "SHUTTING_DOWN");
    }
    // A stream opened while the server drains is refused at once, so its
    // client goes to another replica instead of waiting here.
    // (Refused by the hub with UNAVAILABLE, or by a connection the server
    // is already closing: either way, never served.)
    let mut late = server.watch(&server.admin_key);
    let served = match late.watch_application_events(filter_all("")).await {
        Err(_) => None,
        Ok(response) => response.into_inner().message().await.ok().flatten(),
    };
    assert!(served.is_none(), "a draining server serves no new stream: {served:?}");
    timeout(Duration::from_secs(10), server.wait())
        .await
        .expect("server exits within the grace period");
}

async fn summaries_agree_with_a_fresh_count_after_a_burst(backend: Backend) {
    let server = Arc::new(TestServer::start(backend).await);
    let w = Arc::new(server.world().await);
    let mut client = server.watch(&w.officer_key);
    let request = v1::WatchProgrammeSummaryRequest {
        programmes: vec![w.programme.name.clone()],
    };
    let mut stream = client.watch_programme_summary(request).await.unwrap().into_inner();
    let first = stream.message().await.unwrap().unwrap().summary.unwrap();
    assert!(first.state_counts.is_empty());
    assert_eq!(first.remaining_budget, Some(money("CNY", 10_000_000, 0)));

    // A burst: drafts, submissions, withdrawals, an approval and a payment.
    write_events(server.clone(), w.clone(), 4, 60).await;
    let approved = w.approved(&server, 200_000, 150_000).await;
    disburse(
        &server,
        &w.officer_key,
        &approved.name,
        payment(50_000, 54_210, 0, "1.0842"),
        "",
    )
    .await
    .unwrap();
    w.submitted(&server, 300_000).await;

    let listed = server
        .apps(&w.officer_key)
        .list_applications(v1::ListApplicationsRequest {
            parent: w.programme.name.clone(),
            page_size: 1_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .applications;
    let mut fresh: HashMap<i32, i64> = HashMap::new();
    for a in &listed {
        *fresh.entry(a.state).or_default() += 1;
    }
    let requested: i64 = listed
        .iter()
        .filter(|a| a.state != state(State::Draft) && a.state != state(State::Withdrawn))
        .map(|a| a.requested_amount.as_ref().map_or(0, |m| m.units))
        .sum();
    let settled = timeout(Duration::from_secs(10), async {
        let mut updates = 0;
        loop {
            let s = stream.message().await.unwrap().unwrap().summary.unwrap();
            updates += 1;
            let counts: HashMap<i32, i64> = s.state_counts.iter().map(|c| (c.state, c.count)).collect();
            if counts == fresh {
                return (s, updates);
            }
        }
    })
    .await
    .expect("the summary catches up with a fresh count");
    let (summary, updates) = settled;
    assert!(updates < 60, "bursts are coalesced: {updates} updates for ~70 changes");
    assert_eq!(summary.requested, Some(money("CNY", requested, 0)));
    assert_eq!(summary.committed, Some(money("CNY", 150_000, 0)));
    assert_eq!(summary.disbursed, Some(money("CNY", 50_000, 0)));
    assert_eq!(summary.remaining_budget, Some(money("CNY", 10_000_000 - 150_000, 0)));
    assert_eq!(committed(&server, &w.programme.name).await, money("CNY", 150_000, 0));

    // Applicants may not watch programme-wide summaries.
    let status = server
        .watch(&w.hku_key)
        .watch_programme_summary(v1::WatchProgrammeSummaryRequest::default())
        .await;
    assert_eq!(status.err().unwrap().code(), Code::PermissionDenied);
}
