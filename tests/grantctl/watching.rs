//! `grantctl watch events` across a server restart on the same port and
//! database, while 500 events are written: every event printed exactly
//! once, in commit order, as ListApplicationEvents tells it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use gba_grants::proto::v1;
use gba_grants::startup::{Application, Settings};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint};

use super::common::watching::*;
use super::common::world::*;
use super::common::*;
use super::run::command;

/// A server started by the test on a fixed address (TestServer binds port 0).
struct Fixed {
    stop: CancellationToken,
    task: JoinHandle<Result<(), gba_grants::startup::Error>>,
    channel: Channel,
}

impl Fixed {
    async fn start(addr: SocketAddr, url: &str) -> Self {
        let mut settings = Settings::new(addr.to_string(), url.to_owned());
        settings.shutdown_grace = Duration::from_secs(5);
        // The old listener may linger for a moment after the stop.
        let mut tries = 0;
        let app = loop {
            match Application::build(settings.clone()).await {
                Ok(app) => break app,
                Err(err) if tries < 50 => {
                    tries += 1;
                    eprintln!("restart on {addr} not yet possible: {err}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(err) => panic!("cannot restart on {addr}: {err}"),
            }
        };
        let stop = CancellationToken::new();
        let signal = stop.clone();
        let task = tokio::spawn(app.run_until(async move { signal.cancelled().await }));
        let channel = Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        Self { stop, task, channel }
    }

    fn apps(&self, key: &str) -> Apps {
        ApplicationServiceClient::with_interceptor(self.channel.clone(), Bearer::new(key))
    }

    async fn stop(self) {
        self.stop.cancel();
        self.task.await.expect("server task").expect("clean exit");
    }
}

/// Drafts `n` applications, 5 writers at a time; returns their names.
async fn drafts(apps: Apps, programme: String, hku: String, sysu: String, n: usize) -> Vec<String> {
    let mut writers = Vec::new();
    for _ in 0..5 {
        let (mut apps, programme, hku, sysu) = (apps.clone(), programme.clone(), hku.clone(), sysu.clone());
        writers.push(tokio::spawn(async move {
            let mut names = Vec::new();
            for _ in 0..n / 5 {
                let request = v1::CreateApplicationRequest {
                    parent: programme.clone(),
                    application: Some(application(&hku, &[&sysu], 100_000)),
                    request_id: String::new(),
                };
                let created = apps.create_application(request).await.expect("create").into_inner();
                names.push(created.application.unwrap().name);
            }
            names
        }));
    }
    let mut names = Vec::new();
    for w in writers {
        names.extend(w.await.unwrap());
    }
    names
}

pub async fn watch_events_resumes_across_a_restart_without_gaps_or_duplicates(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = TestServer::start_on(db.share()).await;
    let (addr, admin) = (first.addr, first.admin_key.clone());
    let w = first.world().await;
    let p = w.programme.name.clone();
    let (_, start) = open(
        &mut first.watch(&admin),
        v1::WatchApplicationEventsRequest {
            programme: p.clone(),
            ..Default::default()
        },
    )
    .await
    .expect("watch");

    let mut cmd = command();
    cmd.args([
        "--endpoint",
        &format!("http://{addr}"),
        "--token",
        &admin,
        "watch",
        "events",
    ])
    .args([
        "--programme",
        &p,
        "--cursor",
        &start,
        "-o",
        "jsonl",
        "--max-events",
        "500",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start grantctl watch");
    let (tx, mut lines) = mpsc::unbounded_channel::<String>();
    let stdout = child.stdout.take().unwrap();
    // While `paused`, nothing is read: grantctl blocks on its full pipe and
    // stops reading its stream, so the restart finds it behind.
    let paused = Arc::new(AtomicBool::new(false));
    let gate = paused.clone();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout).lines();
        loop {
            while gate.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
            }
            let Some(Ok(line)) = reader.next() else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed: Vec<Value> = Vec::new();
    let take = |lines: &mut mpsc::UnboundedReceiver<String>, printed: &mut Vec<Value>| {
        while let Ok(line) = lines.try_recv() {
            printed.push(serde_json::from_str(&line).expect("a JSON line"));
        }
    };

    // 250 creates on the first server, watched live until 50 are printed;
    // then grantctl is held back (its pipe full) while the rest are written.
    let writer = tokio::spawn(drafts(
        first.apps(&w.hku_key),
        p.clone(),
        w.hku.clone(),
        w.sysu.clone(),
        250,
    ));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while printed.len() < 50 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
        take(&mut lines, &mut printed);
    }
    assert!(
        printed.len() >= 50,
        "grantctl printed only {} events live",
        printed.len()
    );
    paused.store(true, Ordering::SeqCst);
    let created = writer.await.unwrap();

    // Stop the server with grantctl behind, let grantctl drain what it
    // received, leave the port closed a moment, start another on it.
    first.signal_stop();
    tokio::time::sleep(Duration::from_millis(300)).await;
    paused.store(false, Ordering::SeqCst);
    first.wait().await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let second = Fixed::start(addr, &db.url).await;
    let mut apps = second.apps(&w.hku_key);
    for name in &created {
        apps.submit_application(v1::SubmitApplicationRequest {
            name: name.clone(),
            ..Default::default()
        })
        .await
        .expect("submit");
    }

    let status = tokio::task::spawn_blocking(move || {
        let status = child.wait();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).ok();
        (status, stderr)
    });
    let (status, stderr) = tokio::time::timeout(Duration::from_secs(60), status)
        .await
        .expect("grantctl exits after 500 events")
        .unwrap();
    assert!(status.unwrap().success(), "{stderr}");
    while let Some(line) = lines.recv().await {
        printed.push(serde_json::from_str(&line).expect("a JSON line"));
    }
    assert!(stderr.contains("resuming"), "it noticed the restart: {stderr}");
    assert!(stderr.contains("last cursor: "), "{stderr}");

    // The truth: the programme's committed history.
    let mut truth = Vec::new();
    let mut token = String::new();
    loop {
        let page = second
            .apps(&admin)
            .list_application_events(v1::ListApplicationEventsRequest {
                parent: p.clone(),
                page_size: 1_000,
                page_token: token,
            })
            .await
            .expect("list events")
            .into_inner();
        truth.extend(page.events);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(truth.len(), 500);
    let seen: Vec<(String, String)> = printed
        .iter()
        .map(|e| {
            (
                e["cursor"].as_str().unwrap().to_owned(),
                e["application"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = truth
        .iter()
        .map(|e| (e.cursor.clone(), e.application.clone()))
        .collect();
    assert_eq!(seen.len(), 500, "every event printed exactly once");
    assert_eq!(seen, expected, "in commit order, no gap, no duplicate");
    assert!(
        stderr.ends_with(&format!("last cursor: {}\n", expected[499].0)),
        "{stderr}"
    );
    second.stop().await;
}
