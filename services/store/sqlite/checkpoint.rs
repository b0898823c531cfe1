//! SQLite's WAL checkpoints, off the commit path. By default SQLite
//! copies the write-ahead log back into the database file, syncing both,
//! inside the commit that takes the log past `wal_autocheckpoint` pages:
//! one commit in a few hundred waited for that copy and two fsyncs, and
//! so did the events it carried on their way to every watcher.
//!
//! Here a task checkpoints on a connection of its own, on a blocking
//! thread: PASSIVE (it never waits for readers or writers, nor makes
//! them wait), every [`BUSY_INTERVAL`] while commits arrive, backing off
//! to [`IDLE_INTERVAL`] when none do. The commits' own checkpoint stays,
//! at [`BACKSTOP_PAGES`], for when this task falls behind and for other
//! processes writing the same file.

use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio_util::sync::CancellationToken;

/// The log size, in pages, at which a commit still checkpoints itself.
pub(crate) use crate::store::connect::WAL_BACKSTOP_PAGES as BACKSTOP_PAGES;
/// Between checkpoints while the log grows.
const BUSY_INTERVAL: Duration = Duration::from_millis(100);
/// Between checkpoints at most while it does not.
const IDLE_INTERVAL: Duration = Duration::from_secs(1);

/// Checkpoints the SQLite file at `path` until `stop`.
pub(crate) async fn run(path: String, timeout: Duration, stop: CancellationToken) {
    let mut conn: Option<Connection> = None;
    let mut interval = BUSY_INTERVAL;
    let mut last_log = 0;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        let (path, taken) = (path.clone(), conn.take());
        let done = tokio::task::spawn_blocking(move || {
            let conn = match taken {
                Some(conn) => conn,
                None => read_write(&path, timeout)?,
            };
            checkpoint(&conn).map(|log| (conn, log))
        })
        .await;
        match done {
            Ok(Ok((kept, log))) => {
                conn = Some(kept);
                // The log restarts from its first page once a writer finds
                // it all copied, so any change of size is news.
                interval = match log == last_log {
                    true => (interval * 2).min(IDLE_INTERVAL),
                    false => BUSY_INTERVAL,
                };
                last_log = log;
            }
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "WAL checkpoint failed; commits checkpoint for themselves meanwhile");
                interval = IDLE_INTERVAL;
            }
            Err(err) => {
                tracing::error!(error = %err, "the WAL checkpoint task failed");
                interval = IDLE_INTERVAL;
            }
        }
    }
}

/// A read-write connection to the file, set up as the driver's
/// connections are (WAL is the file's own): the busy timeout, and
/// `synchronous=NORMAL`.
pub(crate) fn read_write(path: &str, timeout: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(timeout)?;
    conn.execute_batch("PRAGMA synchronous = NORMAL")?;
    Ok(conn)
}

/// One PASSIVE checkpoint; the pages in the log.
fn checkpoint(conn: &Connection) -> rusqlite::Result<i64> {
    // (busy, pages in the log, pages copied); busy when another
    // checkpoint runs, which is as good.
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))
}
