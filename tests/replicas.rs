//! Two replicas on one database, on every backend: what one commits,
//! watchers on the other see, all of it, in order, within a second.
//! PostgreSQL wakes the other replica by LISTEN/NOTIFY (its polling is set
//! to 30 s here, so only a notification can be that fast); SQLite replicas
//! poll.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::watching::*;
use common::world::*;
use common::*;
use gba_grants::proto::v1::watch_application_events_response::Kind;
use tokio::time::timeout;

on_every_backend!(watchers_on_one_replica_see_commits_of_the_other);

fn micros(t: &prost_types::Timestamp) -> i64 {
    t.seconds * 1_000_000 + i64::from(t.nanos / 1_000)
}

async fn watchers_on_one_replica_see_commits_of_the_other(backend: Backend) {
    let db = TestDb::new(backend).await;
    let shared = db.share();
    let poll = if backend == Backend::Postgres {
        Duration::from_secs(30)
    } else {
        Duration::from_millis(200)
    };
    let a = Arc::new(TestServer::start_with(db, |s| s.hub.poll_interval = poll).await);
    let w = Arc::new(a.world().await);
    let b = TestServer::start_with(shared, |s| s.hub.poll_interval = poll).await;
    assert!(b.admin_key.is_empty(), "the second replica found the first one's keys");

    let mut watchers = Vec::new();
    for _ in 0..3 {
        let mut client = b.watch(&a.admin_key);
        watchers.push(open(&mut client, filter_all("")).await.expect("watch on B").0);
    }
    // Writes through A, one at a time, so each commit time is known.
    let mut expected = Vec::new();
    for _ in 0..20 {
        let app = w.draft(&a, 1_000).await;
        submit(&a, &w.hku_key, &app.name).await.unwrap();
        expected.push(app.name.clone());
        expected.push(app.name);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for mut stream in watchers {
        let mut got = Vec::new();
        let mut last = 0;
        while got.len() < expected.len() {
            match timeout(Duration::from_secs(5), next(&mut stream))
                .await
                .expect("B delivers")
            {
                Ok(Some(Kind::Event(e))) => {
                    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros()).unwrap();
                    let lag = now - micros(e.event_time.as_ref().unwrap());
                    assert!(lag < 1_000_000, "seen {lag} µs after commit");
                    let s = seq(&e.cursor);
                    assert!(s > last, "in order");
                    last = s;
                    got.push(e.application);
                }
                Ok(Some(Kind::Progress(_))) => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(got, expected);
    }
    b.stop().await;
}
