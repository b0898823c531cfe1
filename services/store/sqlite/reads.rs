//! Reads on SQLite without a worker thread. sqlx runs every SQLite
//! statement on a thread of its own and hands the result back (two
//! context switches a query: a third of a point read's CPU); these reads
//! instead run in place on a small pool of read-only rusqlite connections
//! to the same file, over the same libsqlite3. A primary-key read takes
//! microseconds, so it does not hold the async thread noticeably; a page
//! of more than [`IN_PLACE_ROWS`] rows is read on a blocking thread.
//! Under WAL, each statement sees the last commit.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sea_orm::Statement;

use super::sql::{self, sqlite_err};
use crate::domain::{Error, Result};
use crate::store::rows::FromSqliteRow;

/// Connections kept for reuse; more are opened under load, then closed.
const KEEP: usize = 8;
/// Pages of up to this many rows are read in place (a row takes about a
/// microsecond); larger ones on a blocking thread.
pub(crate) const IN_PLACE_ROWS: u64 = 101;

pub(crate) struct Reads {
    path: String,
    timeout: Duration,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Reads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reads").field("path", &self.path).finish()
    }
}

impl Reads {
    pub(crate) fn new(path: String, timeout: Duration) -> Self {
        Self {
            path,
            timeout,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` in place on a pooled read-only connection.
    pub(crate) fn with<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = Connection::open_with_flags(&self.path, flags).map_err(sqlite_err)?;
                conn.busy_timeout(self.timeout).map_err(sqlite_err)?;
                conn
            }
        };
        let result = read(&conn).map_err(sqlite_err);
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < KEEP {
            idle.push(conn);
        }
        result
    }

    /// The one row of a prebuilt point select ([`sql::APPLICATION`], …).
    pub(crate) fn point<M: FromSqliteRow>(&self, sql: &str, params: impl rusqlite::Params) -> Result<Option<M>> {
        self.with(|conn| sql::point(conn, sql, params))
    }

    /// The rows of a statement whose LIMIT (written into it) is `limit`:
    /// in place for a page of up to [`IN_PLACE_ROWS`], else on a blocking
    /// thread.
    pub(crate) async fn page<M: FromSqliteRow + Send + 'static>(
        self: &Arc<Self>,
        statement: Statement,
        limit: u64,
    ) -> Result<Vec<M>> {
        if limit <= IN_PLACE_ROWS {
            return self.with(|conn| sql::rows(conn, &statement));
        }
        let reads = self.clone();
        tokio::task::spawn_blocking(move || reads.with(|conn| sql::rows(conn, &statement)))
            .await
            .map_err(|e| Error::internal(format!("a page read did not finish: {e}")))?
    }
}
