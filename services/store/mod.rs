//! Persistence on SQLite or PostgreSQL through SeaORM. Implements the
//! domain's storage ports; rows never leave this module, and driver errors
//! become domain errors here.

mod applications;
mod entity;
mod events;
mod idempotency;
mod institutions;
mod keys;
mod listen;
pub mod migration;
mod programmes;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, broadcast};

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::domain::access::Revocation;
use crate::domain::event::LogId;
use crate::domain::{Error, Reason};

/// Arbitrary constant naming the advisory lock that serialises migrations.
pub const MIGRATION_LOCK: i64 = 0x6762_615f_6d69_6772; // "gba_migr"

/// Connection settings.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub url: String,
    pub max_connections: u32,
    /// Test knob: sleep up to this long between appending an event and
    /// committing, to widen the window in which concurrent transactions
    /// could commit out of sequence order. `None` in production.
    pub commit_jitter: Option<Duration>,
}

impl DbOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            commit_jitter: None,
        }
    }
}

/// Pools of connections to one database.
#[derive(Clone, Debug)]
pub struct Db {
    /// Reads (and, on PostgreSQL, writes).
    conn: DatabaseConnection,
    /// Write transactions. On SQLite a pool of one: writers queue in
    /// process, in order, instead of sleeping in SQLite's busy handler.
    writer: DatabaseConnection,
    /// Signalled after each local commit that appended an event.
    appended: Arc<Notify>,
    /// Revoked keys, local and (on PostgreSQL) from other replicas.
    revocations: broadcast::Sender<Revocation>,
    url: String,
    commit_jitter: Option<Duration>,
    /// This database's event log identity (see `event_log_state`).
    log: LogId,
}

fn connect_options(url: &str, max_connections: u32) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(false)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
        });
    opts
}

impl Db {
    /// Runs pending migrations, then connects the pool. Migrations run in
    /// one locked transaction on a dedicated connection, so replicas
    /// starting together apply them once, one after the other.
    pub async fn connect(options: &DbOptions) -> Result<Self, Error> {
        let url = options.url.as_str();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(Error::invalid(
                "database_url",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        migrate(url).await?;
        let conn = connect(url, options.max_connections).await?;
        let writer = if conn.get_database_backend() == DbBackend::Sqlite {
            connect(url, 1).await?
        } else {
            conn.clone()
        };
        let log = read_log_id(&conn).await?;
        Ok(Self {
            conn,
            writer,
            appended: Arc::new(Notify::new()),
            revocations: broadcast::channel(256).0,
            url: url.to_owned(),
            commit_jitter: options.commit_jitter,
            log,
        })
    }

    /// Signalled after each commit of this process that appended an event.
    pub fn append_signal(&self) -> Arc<Notify> {
        self.appended.clone()
    }

    /// Every key revocation committed from now on, by any process.
    pub fn revocations(&self) -> broadcast::Receiver<Revocation> {
        self.revocations.subscribe()
    }

    pub(crate) fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub fn is_postgres(&self) -> bool {
        self.conn.get_database_backend() == DbBackend::Postgres
    }

    /// Starts a transaction that will write: IMMEDIATE on SQLite, so a
    /// read-then-write never fails on a stale snapshot.
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, Error> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        self.writer.begin_with_options(options).await.map_err(db_err)
    }

    /// Sleeps a random part of the commit jitter, if one is set (tests).
    pub(crate) async fn jitter(&self) {
        if let Some(max) = self.commit_jitter {
            let micros = rand::random_range(0..=u64::try_from(max.as_micros()).unwrap_or(u64::MAX));
            tokio::time::sleep(Duration::from_micros(micros)).await;
        }
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), Error> {
        self.conn.ping().await.map_err(db_err)
    }

    pub async fn close(self) {
        let sqlite = self.conn.get_database_backend() == DbBackend::Sqlite;
        for pool in if sqlite {
            vec![self.conn, self.writer]
        } else {
            vec![self.conn]
        } {
            if let Err(err) = pool.close().await {
                tracing::warn!(%err, "closing a database pool failed");
            }
        }
    }
}

/// The identity of the database's event log, made by the migrations.
async fn read_log_id(conn: &DatabaseConnection) -> Result<LogId, Error> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT log_id FROM event_log_state WHERE id = 1",
        ))
        .await
        .map_err(db_err)?
        .ok_or_else(|| Error::internal("event_log_state has no row"))?;
    let text: String = row.try_get("", "log_id").map_err(db_err)?;
    LogId::parse_hex(&text).ok_or_else(|| Error::internal(format!("stored event log id {text:?} is invalid")))
}

/// Connects a pool, retrying for a while: a SQLite file that another
/// process is setting up (WAL switch, migrations) answers "locked" to new
/// connections for a moment, and a database server may still be starting.
async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, Error> {
    let mut delay = Duration::from_millis(50);
    for _ in 0..10 {
        match Database::connect(connect_options(url, max_connections)).await {
            Ok(conn) => return Ok(conn),
            Err(err @ (DbErr::Conn(_) | DbErr::ConnectionAcquire(_))) => {
                tracing::warn!(%err, ?delay, "cannot connect to the database yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(err) => return Err(db_err(err)),
        }
    }
    Database::connect(connect_options(url, max_connections))
        .await
        .map_err(db_err)
}

async fn migrate(url: &str) -> Result<(), Error> {
    let conn = connect(url, 1).await?;
    let result = async {
        // One transaction: the write lock (SQLite IMMEDIATE) or an advisory
        // lock (PostgreSQL) makes concurrent starters wait, then find the
        // migrations applied. DDL is transactional on both.
        let txn = conn
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        if txn.get_database_backend() == DbBackend::Postgres {
            let lock = format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})");
            txn.execute_raw(Statement::from_string(DbBackend::Postgres, lock))
                .await?;
        }
        migration::Migrator::up(&txn, None).await?;
        txn.commit().await
    }
    .await
    .map_err(db_err);
    if let Err(err) = conn.close().await {
        tracing::warn!(%err, "closing the migration connection failed");
    }
    result
}

/// Maps a driver error that no caller handled specially.
pub(crate) fn db_err(err: DbErr) -> Error {
    match &err {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => {
            tracing::error!(%err, "database unavailable");
            Error::Unavailable {
                reason: Reason::StorageUnavailable,
                message: "the database is unavailable".into(),
            }
        }
        _ => {
            tracing::error!(%err, "database error");
            Error::internal(format!("database error: {err}"))
        }
    }
}

/// One page of `query` in `id` order, after the page's last key: up to
/// `fetch_limit` rows, so the domain can tell whether another page follows.
pub(crate) async fn page_by_id<E: sea_orm::EntityTrait>(
    query: sea_orm::Select<E>,
    id: E::Column,
    page: &crate::domain::page::PageRequest,
    conn: &DatabaseConnection,
) -> Result<Vec<E::Model>, Error> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let query = match &page.after {
        Some(after) => query.filter(id.gt(after.as_str())),
        None => query,
    };
    query
        .order_by_asc(id)
        .limit(page.fetch_limit())
        .all(conn)
        .await
        .map_err(db_err)
}

/// Whether a driver error is a unique-key violation.
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// A row held data the domain refuses: corruption or a bug, never input.
pub(crate) fn corrupt(what: &str, err: Error) -> Error {
    Error::internal(format!("stored {what} is invalid: {err}"))
}
