//! Three `gba-grants serve` processes started at the same moment on a
//! PostgreSQL database that does not exist yet: all three create it (or
//! find it made), migrate once and serve, with one bootstrap key.
//! Two processes — the built binary, not in-process servers — started at
//! the same moment on one empty PostgreSQL database: both serve, one
//! bootstrap key; a watcher on B receives every event
//! committed through A, in order (the commit-to-receipt delay across
//! processes is reported); SIGTERM on A ends its streams with UNAVAILABLE
//! and the watcher resumes on B from its cursor with no gap.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::watching::*;
use common::*;
use gba_grants::proto::v1;
use gba_grants::proto::v1::watch_application_events_response::Kind;
use tokio::time::timeout;
use tonic::transport::{Channel, Endpoint};

struct Replica {
    child: Child,
    addr: String,
    /// Lines of standard output (the bootstrap key, if this one made it).
    stdout: mpsc::Receiver<String>,
}

impl Replica {
    fn start(url: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_gba-grants"))
            .args(["serve", "--listen", &addr, "--database-url", url])
            .args(["--progress-interval-seconds", "1", "--shutdown-grace-seconds", "5"])
            .args(["--document-store", &documents_for(url)])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gba-grants");
        let (tx, stdout) = mpsc::channel();
        let out = BufReader::new(child.stdout.take().expect("stdout"));
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self { child, addr, stdout }
    }

    /// A channel once the replica serves (health SERVING).
    async fn serving(&self) -> Channel {
        use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
        timeout(Duration::from_secs(60), async {
            loop {
                if let Ok(channel) = Endpoint::from_shared(format!("http://{}", self.addr))
                    .unwrap()
                    .connect()
                    .await
                {
                    let status = HealthClient::new(channel.clone())
                        .check(HealthCheckRequest::default())
                        .await
                        .map(|r| r.into_inner().status);
                    if status.is_ok_and(|s| s == ServingStatus::Serving as i32) {
                        return channel;
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("the replica serves")
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        assert!(status.is_ok_and(|s| s.success()));
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn micros(t: &prost_types::Timestamp) -> i64 {
    t.seconds * 1_000_000 + i64::from(t.nanos) / 1_000
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// The next event of a stream (skipping progress markers).
async fn next_event(
    stream: &mut tonic::Streaming<v1::WatchApplicationEventsResponse>,
) -> Result<v1::ApplicationEvent, tonic::Status> {
    loop {
        match timeout(Duration::from_secs(20), next(stream))
            .await
            .expect("an event in time")?
        {
            Some(Kind::Event(e)) => return Ok(e),
            Some(Kind::Progress(_)) => {}
            None => return Err(tonic::Status::unavailable("the stream ended")),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: cargo test -- --include-ignored"]
async fn two_processes_on_one_database_deliver_every_event_and_hand_watchers_over() {
    let db = TestDb::new(Backend::Postgres).await;
    let (a, b) = (Replica::start(&db.url), Replica::start(&db.url));
    let (channel_a, channel_b) = (a.serving().await, b.serving().await);
    let mut keys: Vec<String> = Vec::new();
    for replica in [&a, &b] {
        keys.extend(replica.stdout.recv_timeout(Duration::from_secs(1)).ok());
    }
    assert_eq!(keys.len(), 1, "one replica bootstraps the admin key: {keys:?}");
    let admin = keys.remove(0);

    // Set up through A.
    let on = |channel: &Channel| TestServer::remote(channel.clone(), &admin);
    let server_a = on(&channel_a);
    let w = server_a.world().await;
    let mut watch_b = on(&channel_b).watch(&admin);
    let (mut on_b, _) = open(&mut watch_b, filter_all("")).await.expect("watch on B");

    // 100 events through A, each received on B as it comes, in order; the
    // delay is from the event's commit time to its receipt.
    let reader = tokio::spawn(async move {
        let mut received = Vec::new();
        for _ in 0..100 {
            let e = next_event(&mut on_b).await.expect("delivered on B");
            received.push((now_micros() - e.event_time.as_ref().map_or(0, micros), e));
        }
        received
    });
    let mut made = Vec::new();
    for _ in 0..100 {
        made.push(w.draft(&server_a, 10_000).await.name);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (mut delays, received): (Vec<i64>, Vec<v1::ApplicationEvent>) = reader.await.unwrap().into_iter().unzip();
    assert_eq!(received.iter().map(|e| e.application.clone()).collect::<Vec<_>>(), made);
    assert!(received.windows(2).all(|p| seq(&p[0].cursor) < seq(&p[1].cursor)));
    delays.sort_unstable();
    let p99 = delays[delays.len() * 99 / 100 - 1];
    println!(
        "commit-to-receipt across processes: p50 {} µs, p99 {} µs",
        delays[delays.len() / 2],
        p99
    );
    assert!(p99 < 250_000, "p99 {p99} µs (goal: under 100 ms)");

    // A watcher on A; A drains; the watcher resumes on B from its cursor.
    let mut watch_a = server_a.watch(&admin);
    let last = received.last().map(|e| e.cursor.clone()).unwrap_or_default();
    let (mut on_a, _) = open(&mut watch_a, filter_all(&last)).await.expect("watch on A");
    let server_b = on(&channel_b);
    let mut more = Vec::new();
    for _ in 0..5 {
        more.push(w.draft(&server_b, 10_000).await.name);
    }
    let mut cursor = last;
    for name in &more[..5] {
        let e = next_event(&mut on_a).await.expect("delivered on A");
        assert_eq!(&e.application, name);
        cursor = e.cursor;
    }
    a.terminate();
    let ended = match next_event(&mut on_a).await {
        Ok(e) => panic!("no event after the drain started: {e:?}"),
        Err(status) => status,
    };
    assert_eq!(ended.code(), tonic::Code::Unavailable, "{ended:?}");
    for _ in 0..5 {
        more.push(w.draft(&server_b, 10_000).await.name);
    }
    let (mut resumed, _) = open(&mut watch_b, filter_all(&cursor)).await.expect("resume on B");
    for name in &more[5..] {
        let e = next_event(&mut resumed).await.expect("resumed on B");
        assert_eq!(&e.application, name, "no gap and no duplicate after the hand-over");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: cargo test -- --include-ignored"]
async fn three_processes_started_together_on_a_missing_database_all_serve() {
    for round in 0..3 {
        let db = TestDb::missing_postgres();
        let replicas: Vec<Replica> = (0..3).map(|_| Replica::start(&db.url)).collect();
        for (i, replica) in replicas.iter().enumerate() {
            // `serving` waits up to a minute; a replica that exited fails it.
            let channel = replica.serving().await;
            drop(channel);
            assert!(
                Command::new("kill")
                    .args(["-0", &replica.child.id().to_string()])
                    .status()
                    .is_ok_and(|s| s.success()),
                "round {round}: replica {i} is running"
            );
        }
        let mut keys: Vec<String> = Vec::new();
        for replica in &replicas {
            keys.extend(replica.stdout.recv_timeout(Duration::from_secs(1)).ok());
        }
        assert_eq!(
            keys.len(),
            1,
            "round {round}: one replica bootstraps the admin key: {keys:?}"
        );
    }
}
