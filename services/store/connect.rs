//! Connecting: pool settings, retrying what can heal at start (and
//! reporting at once, with the server's own message, what cannot),
//! creating a PostgreSQL database that does not exist yet, migrating, and
//! reading the event log's identity.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use super::faults::{code, db_err, idle_since_last_outage, is_transient, sqlx_error};
use super::migration;
use crate::domain::event::LogId;
use crate::domain::{Error, Reason};

/// The SQLite log size, in pages, at which a commit still checkpoints
/// itself: checkpoints run in a job of their own (`sqlite::checkpoint`),
/// this is the backstop.
pub(crate) const WAL_BACKSTOP_PAGES: u32 = 10_000;

/// Arbitrary constant naming the advisory lock that serialises migrations.
pub const MIGRATION_LOCK: i64 = 0x6762_615f_6d69_6772; // "gba_migr"

/// Whether connecting may create what is missing (the server) or must find
/// a database that the server has already set up (admin commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    IfMissing,
    Never,
}

pub(crate) fn connect_options(url: &str, max_connections: u32, timeout: Duration, create: Create) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(timeout)
        .acquire_timeout(timeout)
        .sqlx_logging(false)
        // Connections idle for a second are pinged before use (cheap: a
        // busy pool reuses them sooner), and any idle since before the last
        // outage seen are dropped unasked: after the server restarts, no
        // call gets a dead connection.
        .test_before_acquire_if_idle_for(Duration::from_secs(1))
        .map_sqlx_postgres_before_acquire(|_conn, meta| {
            Box::pin(async move { Ok(idle_since_last_outage(meta.idle_for)) })
        })
        .map_sqlx_sqlite_opts(move |o| {
            o.create_if_missing(create == Create::IfMissing)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(timeout)
                .foreign_keys(true)
                // Checkpoints run in a task of their own (`checkpoint`);
                // a commit checkpoints only past this backstop.
                .pragma("wal_autocheckpoint", WAL_BACKSTOP_PAGES.to_string())
        });
    opts
}

/// The URL without its password, for messages.
pub(crate) fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A start-up failure that will not heal by waiting, with the server's
/// own words.
fn cannot_open(url: &str, err: &DbErr) -> Error {
    let detail = match sqlx_error(err) {
        Some(e) => e.to_string(),
        None => err.to_string(),
    };
    Error::Unavailable {
        reason: Reason::StorageUnavailable,
        message: format!("cannot open the database {}: {detail}", redacted(url)),
    }
}

/// Connects a pool. Failures that can heal (the server is starting, the
/// SQLite file is being set up by another process) are retried for a
/// while; the others fail at once. A PostgreSQL database that does not
/// exist is created when `create` allows it.
pub(crate) async fn connect(
    url: &str,
    max_connections: u32,
    timeout: Duration,
    create: Create,
) -> Result<DatabaseConnection, Error> {
    readable_root_certificate(url)?;
    let mut delay = Duration::from_millis(50);
    let mut created = false;
    for attempt in 0.. {
        let err = match Database::connect(connect_options(url, max_connections, timeout, create)).await {
            Ok(conn) => return Ok(conn),
            Err(err) => err,
        };
        // 3D000: invalid_catalog_name, "database … does not exist".
        if code(&err).as_deref() == Some("3D000") && create == Create::IfMissing && !created {
            create_database(url, timeout).await?;
            created = true;
            continue;
        }
        if !is_transient(&err) || attempt >= 10 {
            return Err(cannot_open(url, &err));
        }
        tracing::warn!(%err, ?delay, "cannot connect to the database yet; retrying");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
    Err(Error::internal("connect loop ended"))
}

/// A PostgreSQL URL's `sslrootcert` file can be read: a missing or
/// unreadable one stops the start at once (the driver would report it as
/// an I/O error, which waiting might heal).
fn readable_root_certificate(url: &str) -> Result<(), Error> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    for (key, value) in query.split('&').filter_map(|pair| pair.split_once('=')) {
        if key == "sslrootcert"
            && let Err(err) = std::fs::read(value)
        {
            return Err(Error::Unavailable {
                reason: Reason::StorageUnavailable,
                message: format!(
                    "cannot open the database {}: sslrootcert {value} cannot be read: {err}",
                    redacted(url)
                ),
            });
        }
    }
    Ok(())
}

/// Creates the database named by a PostgreSQL `url`, through the server's
/// `postgres` database. Another replica creating it at the same moment is
/// fine.
async fn create_database(url: &str, timeout: Duration) -> Result<(), Error> {
    // The query (sslmode, sslrootcert=/a/path) may hold slashes: the
    // database's name is the path's last segment before it.
    let (path, query) = url.split_at(url.find('?').unwrap_or(url.len()));
    let (base, name) = path
        .rsplit_once('/')
        .ok_or_else(|| Error::invalid("database_url", "names no database"))?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(Error::invalid(
            "database_url",
            "the database name must be letters, digits, _ or - to be created automatically",
        ));
    }
    // The same server, the same options (sslmode and its certificates).
    let admin_url = format!("{base}/postgres{query}");
    let admin = Database::connect(connect_options(&admin_url, 1, timeout, Create::Never))
        .await
        .map_err(|e| cannot_open(url, &e))?;
    tracing::info!(database = name, "creating the PostgreSQL database");
    let result = admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await;
    let _ = admin.close().await;
    match result {
        Ok(_) => Ok(()),
        // Created meanwhile by another replica: 42P04 duplicate_database
        // when its creation had committed before ours began, 23505
        // unique_violation (on pg_database's name index) when both ran at
        // once.
        Err(err) if matches!(code(&err).as_deref(), Some("42P04" | "23505")) => Ok(()),
        Err(err) => Err(cannot_open(url, &err)),
    }
}

/// Runs pending migrations in one locked transaction on a connection of
/// its own, so replicas starting together apply them once. With
/// `Create::Never` a database that was never migrated is refused: admin
/// commands work only on a database a server has set up.
pub(crate) async fn migrate(url: &str, timeout: Duration, create: Create) -> Result<(), Error> {
    let conn = connect(url, 1, timeout, create).await?;
    let result = async {
        if create == Create::Never && !is_migrated(&conn).await? {
            return Err(Error::Unavailable {
                reason: Reason::StorageUnavailable,
                message: format!(
                    "{} is not a gba-grants database (never migrated); start the server once on it, or check the URL",
                    redacted(url)
                ),
            });
        }
        let txn = conn
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
            .map_err(db_err)?;
        if txn.get_database_backend() == DbBackend::Postgres {
            let lock = format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})");
            txn.execute_raw(Statement::from_string(DbBackend::Postgres, lock))
                .await
                .map_err(db_err)?;
        }
        migration::Migrator::up(&txn, None).await.map_err(db_err)?;
        if txn.get_database_backend() == DbBackend::Postgres {
            // Event positions are transaction ids plus this offset; keep
            // them above every position already used, also after a restore
            // into a cluster whose transaction ids restarted lower. Against
            // the snapshot's xmax (the first id not yet given out), which
            // is above every committed event's id: in a live cluster this
            // never changes the offset replicas already run with.
            txn.execute_unprepared(
                "UPDATE event_log_state SET pos_offset = GREATEST(pos_offset, \
                 (SELECT COALESCE(MAX(seq), 0) FROM application_event) \
                 - pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 1) WHERE id = 1",
            )
            .await
            .map_err(db_err)?;
        }
        txn.commit().await.map_err(db_err)
    }
    .await;
    if let Err(err) = conn.close().await {
        tracing::warn!(%err, "closing the migration connection failed");
    }
    result
}

/// Whether the migrations table exists and has rows.
async fn is_migrated(conn: &DatabaseConnection) -> Result<bool, Error> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'seaql_migrations'"
        }
        _ => "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
    };
    let row = conn
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .map_err(db_err)?;
    let tables: i64 = match row {
        Some(r) => r.try_get("", "n").map_err(db_err)?,
        None => 0,
    };
    Ok(tables > 0)
}

/// A connection pool kept apart for health checks, so a busy main pool
/// never makes the database look down.
pub(crate) async fn monitor_pool(url: &str, timeout: Duration) -> Result<DatabaseConnection, Error> {
    let mut opts = connect_options(url, 1, timeout, Create::Never);
    opts.min_connections(0);
    Database::connect(opts).await.map_err(|e| cannot_open(url, &e))
}

/// The identity of the database's event log, made by the migrations, and
/// the offset of its positions (PostgreSQL; 0 on SQLite).
pub(crate) async fn read_log_state(conn: &DatabaseConnection) -> Result<(LogId, i64), Error> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT log_id, pos_offset FROM event_log_state WHERE id = 1",
        ))
        .await
        .map_err(db_err)?
        .ok_or_else(|| Error::internal("event_log_state has no row"))?;
    let text: String = row.try_get("", "log_id").map_err(db_err)?;
    let offset: i64 = row.try_get("", "pos_offset").map_err(db_err)?;
    let log =
        LogId::parse_hex(&text).ok_or_else(|| Error::internal(format!("stored event log id {text:?} is invalid")))?;
    Ok((log, offset))
}
