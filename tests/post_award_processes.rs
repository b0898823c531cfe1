//! Overdue reports with three `gba-grants` processes (the built binary) on
//! one PostgreSQL database, each running the overdue job every second:
//! one REPORT_OVERDUE event per report, whichever process holds the lease,
//! and still one after the holder is killed and another takes over.

mod common;

use std::time::Duration;

use common::process::Process;
use common::world::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::report_activity::Kind;

const OVERDUE_EVERY_SECOND: [&str; 2] = ["--report-overdue-interval-seconds", "1"];

fn due(kind: v1::ReportKind, seconds_from_now: i64) -> v1::ReportDue {
    v1::ReportDue {
        kind: kind.into(),
        due_time: Some(ts(now_seconds() + seconds_from_now)),
        ..Default::default()
    }
}

/// An approved grant of `w`'s programme whose reports are due at `dues`.
async fn grant_with_reports(server: &TestServer, w: &World, dues: &[i64]) -> String {
    let app = w.under_review(server, 100_000).await;
    let reports: Vec<v1::ReportDue> = dues
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let kind = if i + 1 == dues.len() {
                v1::ReportKind::Final
            } else {
                v1::ReportKind::Interim
            };
            due(kind, *d)
        })
        .collect();
    server
        .reviews(&w.officer_key)
        .approve_application(v1::ApproveApplicationRequest {
            awarded_resource: None,
            name: app.name.clone(),
            awarded_amount: Some(money("CNY", 100_000, 0)),
            reason: String::new(),
            request_id: String::new(),
            override_incomplete_reviews: false,
            schedule: Some(v1::PaymentSchedule {
                tranches: vec![v1::Tranche {
                    amount: Some(money("CNY", 100_000, 0)),
                    ..Default::default()
                }],
                reports,
            }),
        })
        .await
        .expect("approve with reports due");
    app.name
}

async fn overdue_events(server: &TestServer, key: &str, name: &str) -> Vec<i32> {
    let mut numbers: Vec<i32> = events(server, key, name)
        .await
        .iter()
        .filter_map(|e| e.report_activity.as_ref())
        .filter(|r| r.kind() == Kind::ReportOverdue)
        .map(|r| r.number)
        .collect();
    numbers.sort();
    numbers
}

/// The overdue reports marked on each grant, by number.
async fn marked(server: &TestServer, key: &str, grants: &[String]) -> Vec<Vec<i32>> {
    let mut all = Vec::new();
    for g in grants {
        all.push(overdue_events(server, key, g).await);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: cargo test -- --include-ignored"]
async fn three_processes_mark_each_overdue_report_once() {
    let db = TestDb::new(Backend::Postgres).await;
    let mut processes = [
        Process::start_with(&db.url, &OVERDUE_EVERY_SECOND, &[]),
        Process::start_with(&db.url, &OVERDUE_EVERY_SECOND, &[]),
        Process::start_with(&db.url, &OVERDUE_EVERY_SECOND, &[]),
    ];
    let mut channels = Vec::new();
    for p in &mut processes {
        channels.push(p.serving().await);
    }
    let admin = processes
        .iter()
        .find_map(|p| p.stdout.recv_timeout(Duration::from_millis(500)).ok())
        .expect("one bootstrap key");
    let server = TestServer::remote(channels[2].clone(), &admin);
    let w = server.world().await;
    // Ten grants, each with two reports already past due and one not.
    let mut grants = Vec::new();
    for _ in 0..10 {
        grants.push(grant_with_reports(&server, &w, &[-7_200, -3_600, 86_400]).await);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = marked(&server, &w.officer_key, &grants).await;
        if now.iter().all(|n| n.len() >= 2) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all marked in 30 s: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The lease holder may be either of the first two: both are killed;
    // more grants fall due while the third takes over.
    processes[0].kill_nine();
    processes[1].kill_nine();
    for _ in 0..5 {
        grants.push(grant_with_reports(&server, &w, &[-60, 86_400]).await);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = marked(&server, &w.officer_key, &grants).await;
        if now.iter().all(|n| !n.is_empty()) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not taken over in 30 s: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Several more rounds of the job change nothing: one event per report.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let now = marked(&server, &w.officer_key, &grants).await;
    for (i, numbers) in now.iter().enumerate() {
        let want: &[i32] = if i < 10 { &[1, 2] } else { &[1] };
        assert_eq!(numbers, want, "grant {i}");
    }
}
