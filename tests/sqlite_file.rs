//! SQLite only: the database file as an operator handles it. The server
//! copies its write-ahead log back into the file shortly after commits
//! stop, so a copy of the `.db` file alone, taken while the server is
//! idle, holds every committed change: no `-wal` file needed. PostgreSQL
//! has no such file; the same writes are checked on both databases by the
//! rest of the suite.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// Applications in a copy of the database file taken now, without its
/// log; `None` when the copy cannot be read (taken mid-write).
fn applications_in_a_copy(db: &str, dir: &std::path::Path) -> Option<i64> {
    let copy = dir.join("copy.db");
    for stale in ["copy.db", "copy.db-wal", "copy.db-shm"] {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    std::fs::copy(db, &copy).ok()?;
    let conn = rusqlite::Connection::open(&copy).ok()?;
    conn.query_row("SELECT count(*) FROM application", [], |row| row.get(0))
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_of_the_database_file_alone_holds_every_commit_soon_after_writes_stop() {
    let server = TestServer::start(Backend::Sqlite).await;
    let w = server.world().await;
    let created: i64 = 300;
    for i in 0..created {
        w.draft(&server, 1_000 + i).await;
    }
    let db = server.db.url.trim_start_matches("sqlite://").to_owned();
    let dir = tempfile::tempdir().expect("temporary directory");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut found = applications_in_a_copy(&db, dir.path());
    while found != Some(created) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        found = applications_in_a_copy(&db, dir.path());
    }
    assert_eq!(
        found,
        Some(created),
        "a copy of {db} alone, 10 s after the last commit, holds every application"
    );
    server.stop().await;
}
