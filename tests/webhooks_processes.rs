//! Webhook senders as real `gba-grants` processes: kill -9 of the sender
//! mid-delivery skips nothing (on every backend); three processes on one
//! PostgreSQL database, the senders killed one after another under load:
//! one sender at a time, and the survivor takes over from the cursor.

mod common;

use std::time::Duration;

use common::process::Process;
use common::receiver::{Receiver, hooks};
use common::world::*;
use common::*;
use gba_grants::proto::v1;

on_every_backend!(kill_nine_of_the_sender_mid_delivery_skips_nothing);

const SENDER: [&str; 6] = [
    "--webhook-allow-http",
    "--webhook-allow-private",
    "--webhook-lease-seconds",
    "2",
    "--webhook-max-failures",
    "1000",
];

/// The programme's history: every event's cursor, in commit order.
async fn history(server: &TestServer, key: &str, programme: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let page = server
            .apps(key)
            .list_application_events(v1::ListApplicationEventsRequest {
                parent: programme.into(),
                page_size: 1000,
                page_token: token,
            })
            .await
            .expect("history")
            .into_inner();
        out.extend(page.events.into_iter().map(|e| e.cursor));
        token = page.next_page_token;
        if token.is_empty() {
            return out;
        }
    }
}

async fn drafts(server: &TestServer, w: &World, n: usize) {
    let mut apps = server.apps(&w.hku_key);
    for i in 0..n {
        apps.create_application(v1::CreateApplicationRequest {
            parent: w.programme.name.clone(),
            application: Some(v1::Application {
                title: format!("Draft {i}"),
                ..application(&w.hku, &[&w.sysu], 100_000)
            }),
            request_id: format!("draft-{i}"),
        })
        .await
        .expect("a draft");
    }
}

/// What arrived against what was committed: every event, first arrivals in
/// commit order; a repeat only of an id already received, and only what
/// a killed sender had sent since its last batch was written (attempts and
/// cursors are written every 50 ms; a write may wait for the database).
fn check_arrivals(receiver: &Receiver, committed: &[String], kills: usize) {
    assert_eq!(receiver.ids(), committed, "every event once, in commit order");
    let lines = receiver.lines();
    assert!(
        lines.iter().all(|l| l["verified"] == serde_json::json!([0])),
        "every delivery verified"
    );
    let repeats = lines.len() - committed.len();
    assert!(
        repeats <= 20 * kills,
        "{repeats} repeats: only what was sent since the last batch, at {kills} kills"
    );
}

async fn kill_nine_of_the_sender_mid_delivery_skips_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut first = Process::start_with(&db.url, &SENDER, &[]);
    let channel = first.serving().await;
    let admin = first
        .stdout
        .recv_timeout(Duration::from_secs(10))
        .expect("the bootstrap key");
    let server = TestServer::remote(channel, &admin);
    let w = server.world().await;
    // Slow answers, so the kill lands while deliveries are in flight.
    let receiver = Receiver::start(&["--delay-ms", "20"]);
    let made = hooks(&server, &w.officer_key)
        .create_webhook(v1::CreateWebhookRequest {
            webhook: Some(v1::Webhook {
                url: receiver.url(),
                programme: w.programme.name.clone(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create the webhook")
        .into_inner();
    receiver.set_secrets(&[&made.secret]);
    drafts(&server, &w, 200).await;
    receiver.wait_for("some deliveries", |r| r.ids().len() >= 40).await;
    first.kill_nine();
    let arrived_before = receiver.ids().len();
    assert!(arrived_before < 200, "killed mid-delivery ({arrived_before} of 200)");

    let mut second = Process::start_with(&db.url, &SENDER, &[]);
    let server = TestServer::remote(second.serving().await, &admin);
    receiver
        .wait_for("all 200 after the restart", |r| r.ids().len() >= 200)
        .await;
    let committed = history(&server, &w.officer_key, &w.programme.name).await;
    assert_eq!(committed.len(), 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    check_arrivals(&receiver, &committed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: cargo test -- --include-ignored"]
async fn three_senders_on_postgres_one_at_a_time_and_the_survivor_takes_over() {
    let db = TestDb::new(Backend::Postgres).await;
    let mut replicas = [
        Process::start_with(&db.url, &SENDER, &[]),
        Process::start_with(&db.url, &SENDER, &[]),
        Process::start_with(&db.url, &SENDER, &[]),
    ];
    let mut channels = Vec::new();
    for r in &mut replicas {
        channels.push(r.serving().await);
    }
    let admin = replicas
        .iter()
        .find_map(|r| r.stdout.recv_timeout(Duration::from_millis(500)).ok())
        .expect("one bootstrap key");
    // The writes go through the third replica, which is never killed.
    let server = TestServer::remote(channels[2].clone(), &admin);
    let w = server.world().await;
    let receiver = Receiver::start(&["--delay-ms", "10"]);
    let made = hooks(&server, &w.officer_key)
        .create_webhook(v1::CreateWebhookRequest {
            webhook: Some(v1::Webhook {
                url: receiver.url(),
                programme: w.programme.name.clone(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create the webhook")
        .into_inner();
    receiver.set_secrets(&[&made.secret]);
    let writing = {
        let (server, w) = (TestServer::remote(channels[2].clone(), &admin), w.clone());
        tokio::spawn(async move { drafts(&server, &w, 300).await })
    };
    // Under load, the first two are killed one after the other: whichever
    // held the lease, the third ends up sending.
    receiver
        .wait_for("deliveries under load", |r| r.ids().len() >= 50)
        .await;
    replicas[0].kill_nine();
    receiver.wait_for("deliveries go on", |r| r.ids().len() >= 120).await;
    replicas[1].kill_nine();
    writing.await.expect("the writer");
    receiver.wait_for("all 300", |r| r.ids().len() >= 300).await;
    let committed = history(&server, &w.officer_key, &w.programme.name).await;
    assert_eq!(committed.len(), 300);
    tokio::time::sleep(Duration::from_millis(500)).await;
    check_arrivals(&receiver, &committed, 2);
    // One sender at a time: never two deliveries of this webhook at once.
    let most = receiver
        .lines()
        .iter()
        .filter_map(|l| l["inflight"].as_i64())
        .max()
        .unwrap_or(0);
    assert_eq!(most, 1, "two senders delivered at once");
}
