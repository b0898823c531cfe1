//! Driver failures in the domain's terms: what can heal (the server is
//! unreachable, restarting, overloaded, or SQLite is busy) is UNAVAILABLE
//! `STORAGE_UNAVAILABLE` and raises the outage watermark (connections
//! idle since before it may have died with the server); the rest is
//! INTERNAL, logged and not sent.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{DbErr, RuntimeErr};

use crate::domain::{Error, Reason};

/// When the process started, for the outage watermark.
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);
/// Milliseconds after `EPOCH` at which a connection failure was last seen
/// (0: never). A pooled connection idle since before then may have died
/// with the server, so it is dropped instead of handed out.
static LAST_OUTAGE_MS: AtomicU64 = AtomicU64::new(0);

fn now_ms() -> u64 {
    u64::try_from(EPOCH.elapsed().as_millis()).unwrap_or(u64::MAX).max(1)
}

/// Records that the database was unreachable just now.
pub(crate) fn outage_seen() {
    LAST_OUTAGE_MS.fetch_max(now_ms(), Ordering::Relaxed);
}

/// Whether a connection idle for `idle_for` was put back after the last
/// outage seen (so it did not die in it).
pub(crate) fn idle_since_last_outage(idle_for: Duration) -> bool {
    let outage = LAST_OUTAGE_MS.load(Ordering::Relaxed);
    let idle_ms = u64::try_from(idle_for.as_millis()).unwrap_or(u64::MAX);
    outage == 0 || now_ms().saturating_sub(idle_ms) > outage
}

/// The driver error inside a sea-orm error, if any.
pub(crate) fn sqlx_error(err: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    match err {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e.as_ref()),
        _ => None,
    }
}

/// The SQLSTATE (PostgreSQL) or result code (SQLite) of a database error.
pub(crate) fn code(err: &DbErr) -> Option<String> {
    match sqlx_error(err)? {
        sea_orm::sqlx::Error::Database(e) => e.code().map(|c| c.into_owned()),
        _ => None,
    }
}

/// Whether a failure may heal by itself: the server is unreachable,
/// restarting, overloaded or (SQLite) busy. Such failures are retried where
/// that is safe and answered UNAVAILABLE; all others are not.
pub(crate) fn is_transient(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as E;
    if matches!(err, DbErr::ConnectionAcquire(_)) {
        return true;
    }
    match sqlx_error(err) {
        // A TLS handshake refused (a certificate not trusted, or not for
        // this host) surfaces as InvalidData: waiting will not heal it.
        Some(E::Io(e)) => e.kind() != std::io::ErrorKind::InvalidData,
        Some(E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed | E::Protocol(_)) => true,
        Some(E::Database(_)) => code(err).is_some_and(|c| {
            // PostgreSQL (five-character SQLSTATEs): connection exceptions,
            // shutting down or starting up, too many connections. SQLite
            // (numeric result codes): BUSY and LOCKED, with their extended
            // codes.
            c.starts_with("08")
                || matches!(c.as_str(), "57P01" | "57P02" | "57P03" | "53300")
                || (c.len() <= 4 && c.parse::<u32>().is_ok_and(|n| n & 0xff == 5 || n & 0xff == 6))
        }),
        _ => false,
    }
}

/// Maps a driver error that no caller handled specially: UNAVAILABLE for
/// what may heal, INTERNAL (logged, not sent) for the rest.
pub(crate) fn db_err(err: DbErr) -> Error {
    if is_transient(&err) {
        outage_seen();
        tracing::warn!(%err, "database unavailable");
        Error::Unavailable {
            reason: Reason::StorageUnavailable,
            message: "the database is unavailable (unreachable or busy); retry with backoff".into(),
        }
    } else {
        tracing::error!(%err, "database error");
        Error::internal(format!("database error: {err}"))
    }
}

/// Whether a driver error is a unique-key violation.
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// The constraint a PostgreSQL error names (a unique index, a CHECK).
pub(crate) fn constraint(err: &DbErr) -> Option<String> {
    match sqlx_error(err)? {
        sea_orm::sqlx::Error::Database(e) => e.constraint().map(str::to_owned),
        _ => None,
    }
}

/// A sqlx error, as sea-orm wraps it.
pub(crate) fn sqlx(err: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(std::sync::Arc::new(err)))
}
