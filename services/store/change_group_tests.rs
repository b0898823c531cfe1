//! Tests of the change committer on a real SQLite file.

use std::time::Duration;

use rusqlite::types::Value as Sql;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use tokio::sync::oneshot;

use super::{Batch, Ticket, start};

/// A caller: waits for its turn, answers with one insert (or drops
/// the turn), and returns whether its insert committed.
async fn change(queue: &tokio::sync::mpsc::Sender<Ticket>, id: i64, v: i64, answer: bool) -> Option<bool> {
    change_after(queue, id, v, answer, Duration::ZERO).await
}

/// [`change`], answering its turn only after `delay`.
async fn change_after(
    queue: &tokio::sync::mpsc::Sender<Ticket>,
    id: i64,
    v: i64,
    answer: bool,
    delay: Duration,
) -> Option<bool> {
    let (turn, given) = oneshot::channel();
    let ticket = Ticket {
        application: id.to_string(),
        programme: None,
        turn,
    };
    queue.send(ticket).await.ok()?;
    let turn = given.await.ok()?;
    tokio::time::sleep(delay).await;
    if !answer {
        return None;
    }
    let (done, committed) = oneshot::channel();
    let statements = vec![(
        "INSERT INTO t (id, v) VALUES (?, ?)".to_owned(),
        vec![Sql::Integer(id), Sql::Integer(v)],
    )];
    turn.reply
        .send(Batch {
            statements,
            event: false,
            done,
        })
        .ok()?;
    committed.await.ok()
}

/// A committer over a new file with one table, `t (id, v < 10)`.
async fn committer(timeout: Duration) -> (tempfile::TempDir, tokio::sync::mpsc::Sender<Ticket>) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("group.db");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v < 10))",
    )
    .expect("schema");
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(&path))
        .await
        .expect("pool");
    let queue = start(
        pool,
        path.to_string_lossy().into_owned(),
        timeout,
        None,
        Default::default(),
    );
    (dir, queue)
}

fn rows(path: &std::path::Path) -> Vec<(i64, i64)> {
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut query = conn.prepare("SELECT id, v FROM t ORDER BY id").expect("prepare");
    query
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows")
}

/// A group is all or nothing: one failing statement rolls back every
/// change of its group (each then runs alone on the ordinary path); a
/// change that drops its turn writes nothing and holds up no one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_commits_whole_or_not_at_all() {
    let (dir, queue) = committer(Duration::from_secs(5)).await;
    let path = dir.path().join("group.db");

    // Ten changes at once, one of them breaking the CHECK: whichever
    // group holds it commits nothing.
    let (a, b) = (queue.clone(), queue.clone());
    let first = tokio::spawn(async move {
        futures_util::future::join_all((1..=10).map(|id| {
            let queue = a.clone();
            async move { (id, change(&queue, id, if id == 7 { 99 } else { id }, true).await) }
        }))
        .await
    });
    let results = first.await.expect("task");
    let written = rows(&path);
    for (id, committed) in &results {
        let committed = committed.expect("every change hears back");
        assert_eq!(committed, written.iter().any(|(i, _)| i == id), "change {id}");
    }
    assert_eq!(results.iter().find(|(id, _)| *id == 7).and_then(|r| r.1), Some(false));
    assert!(!written.iter().any(|(id, _)| *id == 7));

    // A change that drops its turn writes nothing; the others commit.
    let outcome = tokio::spawn(async move {
        futures_util::future::join_all((20..25).map(|id| {
            let queue = b.clone();
            async move { (id, change(&queue, id, 1, id != 22).await) }
        }))
        .await
    })
    .await
    .expect("task");
    for (id, committed) in outcome {
        assert_eq!(committed, (id != 22).then_some(true), "change {id}");
    }
    let written: Vec<i64> = rows(&path)
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| *id >= 20)
        .collect();
    assert_eq!(written, vec![20, 21, 23, 24]);
}

/// A change that holds its turn without answering holds up its group
/// only until the database timeout; its late answer is refused (it
/// would then run alone), and the others commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_change_holds_the_lock_only_until_the_timeout() {
    let timeout = Duration::from_millis(300);
    let (dir, queue) = committer(timeout).await;
    let path = dir.path().join("group.db");
    let slow = {
        let queue = queue.clone();
        tokio::spawn(async move { change_after(&queue, 1, 1, true, Duration::from_secs(2)).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    let quick = change(&queue, 2, 2, true).await;
    assert_eq!(quick, Some(true));
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(slow.await.expect("task"), None, "the late answer is refused");
    let written: Vec<i64> = rows(&path).into_iter().map(|(id, _)| id).collect();
    assert_eq!(written, vec![2]);
}
