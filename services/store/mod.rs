//! Persistence on SQLite or PostgreSQL through SeaORM. Implements the
//! domain's storage ports; rows never leave this module, and driver errors
//! become domain errors here.

mod applications;
mod change_group;
mod checkpoint;
mod connect;
mod entity;
mod events;
mod facts;
mod group_commit;
mod idempotency;
mod institutions;
mod kept;
mod keys;
mod listen;
pub mod migration;
mod optimistic;
mod point_reads;
mod programmes;
mod recent;
mod reviews;
mod sqlite_reads;
mod write_paths;
mod writes;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};

pub use connect::MIGRATION_LOCK;
pub(crate) use connect::db_err;
use connect::{Create, connect, migrate};
use point_reads::Points;

use crate::domain::access::Revocation;
use crate::domain::event::{AppendSignal, LogId};
use crate::domain::{Error, Reason};

/// Connection settings.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub url: String,
    pub max_connections: u32,
    /// How long a call waits for a pooled connection, a new connection, or
    /// (SQLite) the database lock, before it fails UNAVAILABLE.
    pub timeout: Duration,
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
            timeout: Duration::from_secs(5),
            commit_jitter: None,
        }
    }
}

/// What [`Db::lock`] locks; the value is the advisory lock's class, so
/// application and programme locks never collide.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lock {
    Application = 1,
    Programme = 2,
}

/// One connection pool's occupancy.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub name: &'static str,
    pub size: u32,
    pub idle: usize,
    pub max: u32,
}

/// Pools of connections to one database.
#[derive(Clone, Debug)]
pub struct Db {
    /// Reads (and, on PostgreSQL, writes).
    conn: DatabaseConnection,
    /// Write transactions. On SQLite a pool of one: writers queue in
    /// process, in order, instead of sleeping in SQLite's busy handler.
    writer: DatabaseConnection,
    /// One connection for health checks, apart from the busy pools.
    monitor: DatabaseConnection,
    timeout: Duration,
    /// Signalled after each commit that appended an event.
    appended: Arc<AppendSignal>,
    /// Revoked keys, local and (on PostgreSQL) from other replicas.
    revocations: broadcast::Sender<Revocation>,
    url: String,
    commit_jitter: Option<Duration>,
    /// This database's event log identity (see `event_log_state`).
    log: LogId,
    /// PostgreSQL: added to transaction ids to make event positions
    /// (`event_log_state.pos_offset`, see `events::event_statement`).
    pos_offset: i64,
    /// SQLite: point reads in place, without sqlx's worker thread.
    pub(crate) fast: Option<Arc<sqlite_reads::SqliteReads>>,
    /// PostgreSQL: the newest position this process committed, which a
    /// task of its own announces to every replica (NOTIFY), coalescing
    /// the commits that land while one announcement is on its way.
    committed: Option<tokio::sync::watch::Sender<i64>>,
    /// What a create checks that never changes once true.
    facts: Arc<facts::Facts>,
    /// PostgreSQL: what changes last saw, to decide on without a read.
    recent: Arc<recent::Recent>,
    /// PostgreSQL: connections kept out of the pool for hot statements.
    kept: Option<Arc<kept::Kept>>,
    /// PostgreSQL: changes of one programme's totals wait for each other.
    gates: Arc<optimistic::Gates>,
    /// PostgreSQL: point reads of applications and programmes, read together.
    points: Option<Arc<Points>>,
    /// SQLite: creates waiting to be written together.
    creates: Option<tokio::sync::mpsc::Sender<group_commit::Job>>,
    /// SQLite on a file: changes waiting to be written together.
    changes: Option<tokio::sync::mpsc::Sender<change_group::Ticket>>,
    /// SQLite on a file: keeps the WAL checkpointer running (see
    /// `checkpoint`) while any handle to the database lives.
    _checkpoints: Option<tokio::sync::mpsc::Sender<()>>,
    /// Cancelled by [`Db::close`]: writes still running end there.
    closing: tokio_util::sync::CancellationToken,
}

impl Db {
    /// Creates the database if it is missing (a SQLite file, a PostgreSQL
    /// database), runs pending migrations, then connects the pools.
    /// Migrations run in one locked transaction on a dedicated connection,
    /// so replicas starting together apply them once, one after the other.
    pub async fn connect(options: &DbOptions) -> Result<Self, Error> {
        Self::open(options, Create::IfMissing).await
    }

    /// Connects to a database that a server has already set up, for admin
    /// commands: a missing or never-migrated database is refused, naming
    /// the URL.
    pub async fn connect_existing(options: &DbOptions) -> Result<Self, Error> {
        Self::open(options, Create::Never).await
    }

    async fn open(options: &DbOptions, create: Create) -> Result<Self, Error> {
        let url = options.url.as_str();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(Error::invalid(
                "database_url",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        migrate(url, options.timeout, create).await?;
        let conn = connect(url, options.max_connections, options.timeout, Create::Never).await?;
        let writer = if conn.get_database_backend() == DbBackend::Sqlite {
            connect(url, 1, options.timeout, Create::Never).await?
        } else {
            conn.clone()
        };
        let monitor = connect::monitor_pool(url, options.timeout).await?;
        let (log, pos_offset) = read_log_state(&conn).await?;
        let fast = (conn.get_database_backend() == DbBackend::Sqlite)
            .then(|| url.parse::<sea_orm::sqlx::sqlite::SqliteConnectOptions>().ok())
            .flatten()
            .map(|o| o.get_filename().to_string_lossy().into_owned())
            .filter(|path| !path.is_empty() && !path.contains(":memory:"))
            .map(|path| Arc::new(sqlite_reads::SqliteReads::new(path, options.timeout)));
        let is_postgres = conn.get_database_backend() == DbBackend::Postgres;
        let appended: Arc<AppendSignal> = Arc::default();
        let creates =
            (!is_postgres).then(|| group_commit::start(writer.get_sqlite_connection_pool().clone(), appended.clone()));
        let kept = is_postgres.then(|| Arc::new(kept::Kept::new(conn.get_postgres_connection_pool().clone())));
        let points = kept.as_ref().map(|kept| Arc::new(Points::start(kept, options.timeout)));
        let changes = fast.as_ref().map(|reads| {
            change_group::start(
                writer.get_sqlite_connection_pool().clone(),
                reads.path().to_owned(),
                options.timeout,
                options.commit_jitter,
                appended.clone(),
            )
        });
        let checkpoints = fast
            .as_ref()
            .map(|reads| checkpoint::start(reads.path().to_owned(), options.timeout));
        let committed = if is_postgres {
            let announcer = connect(url, 1, options.timeout, Create::Never).await?;
            Some(listen::announce_commits(announcer))
        } else {
            None
        };
        Ok(Self {
            conn,
            writer,
            monitor,
            timeout: options.timeout,
            appended,
            revocations: broadcast::channel(256).0,
            url: url.to_owned(),
            commit_jitter: options.commit_jitter,
            log,
            pos_offset,
            fast,
            committed,
            facts: Arc::default(),
            recent: Arc::default(),
            kept,
            gates: Arc::default(),
            points,
            creates,
            changes,
            _checkpoints: checkpoints,
            closing: tokio_util::sync::CancellationToken::new(),
        })
    }

    /// After a commit that appended an event at `seq` (when known): wakes
    /// this process's tailer, and on PostgreSQL has every replica told.
    pub(crate) fn announce_append(&self, seq: Option<i64>) {
        self.appended.announce(seq);
        if let (Some(tx), Some(seq)) = (&self.committed, seq) {
            tx.send_modify(|newest| *newest = (*newest).max(seq));
        }
    }

    /// Signalled after each commit that appended an event (this process's,
    /// and on PostgreSQL every replica's).
    pub fn append_signal(&self) -> Arc<AppendSignal> {
        self.appended.clone()
    }

    /// Every key revocation committed from now on, by any process.
    pub fn revocations(&self) -> broadcast::Receiver<Revocation> {
        self.revocations.subscribe()
    }

    pub(crate) fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Size, idle connections and maximum of each pool (for metrics).
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        let stats = |name, size: u32, idle: usize, max: u32| PoolStats { name, size, idle, max };
        if self.is_postgres() {
            let pool = self.conn.get_postgres_connection_pool();
            return vec![stats(
                "main",
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )];
        }
        [("reads", &self.conn), ("writes", &self.writer)]
            .into_iter()
            .map(|(name, conn)| {
                let pool = conn.get_sqlite_connection_pool();
                stats(name, pool.size(), pool.num_idle(), pool.options().get_max_connections())
            })
            .collect()
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

    /// Takes a transaction-scoped lock on one application or programme. On
    /// PostgreSQL an advisory lock, which (unlike `FOR UPDATE`) gives the
    /// transaction no id while it waits; on SQLite the write transaction
    /// already holds the database lock.
    pub(crate) async fn lock(&self, txn: &DatabaseTransaction, what: Lock, id: &str) -> Result<(), Error> {
        if !self.is_postgres() {
            return Ok(());
        }
        let class = what as i32;
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            [class.into(), id.into()],
        ))
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Locks an application and then its programme, in one round trip
    /// (the target list is evaluated left to right).
    pub(crate) async fn lock_application_and_programme(
        &self,
        txn: &DatabaseTransaction,
        application: &str,
        programme: &str,
    ) -> Result<(), Error> {
        if !self.is_postgres() {
            return Ok(());
        }
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1, hashtext($2)), pg_advisory_xact_lock($3, hashtext($4))",
            [
                (Lock::Application as i32).into(),
                application.into(),
                (Lock::Programme as i32).into(),
                programme.into(),
            ],
        ))
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Sleeps a random part of the commit jitter, if one is set (tests).
    pub(crate) async fn jitter(&self) {
        if let Some(max) = self.commit_jitter {
            let micros = rand::random_range(0..=u64::try_from(max.as_micros()).unwrap_or(u64::MAX));
            tokio::time::sleep(Duration::from_micros(micros)).await;
        }
    }

    /// Checks that the database answers, within the database timeout, on a
    /// connection of its own.
    pub async fn check(&self) -> Result<(), Error> {
        let unavailable = || {
            connect::outage_seen();
            Error::Unavailable {
                reason: Reason::StorageUnavailable,
                message: "the database did not answer in time".into(),
            }
        };
        match tokio::time::timeout(self.timeout, self.monitor.ping()).await {
            Ok(result) => result.map_err(db_err),
            Err(_) => Err(unavailable()),
        }
    }

    /// Closes the pools. They are marked closed first, then the writes
    /// still running are ended: a connection they give back is closed
    /// with whatever transaction it held, not handed to anyone.
    pub async fn close(self) {
        let sqlite = self.conn.get_database_backend() == DbBackend::Sqlite;
        let pools = if sqlite {
            vec![self.conn, self.writer, self.monitor]
        } else {
            vec![self.conn, self.monitor]
        };
        let closed: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>> = pools
            .iter()
            .map(
                |pool| -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
                    // `close` marks the pool closed when called; the future
                    // only waits for its connections.
                    if sqlite {
                        let pool = pool.get_sqlite_connection_pool().clone();
                        drop(pool.close());
                        Box::pin(async move { pool.close().await })
                    } else {
                        let pool = pool.get_postgres_connection_pool().clone();
                        drop(pool.close());
                        Box::pin(async move { pool.close().await })
                    }
                },
            )
            .collect();
        self.closing.cancel();
        for pool in closed {
            pool.await;
        }
        drop(pools);
    }
}

/// The identity of the database's event log, made by the migrations, and
/// the offset of its positions.
async fn read_log_state(conn: &DatabaseConnection) -> Result<(LogId, i64), Error> {
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

/// One page of `query` in `id` order, after the page's last key: up to
/// `fetch_limit` rows, so the domain can tell whether another page follows.
pub(crate) async fn page_by_id<E: sea_orm::EntityTrait>(
    query: sea_orm::Select<E>,
    id: E::Column,
    page: &crate::domain::page::PageRequest,
    conn: &DatabaseConnection,
) -> Result<Vec<E::Model>, Error> {
    use sea_orm::QuerySelect;
    keyset(query, id, page)
        .limit(page.fetch_limit())
        .all(conn)
        .await
        .map_err(db_err)
}

/// `query` in `id` order, after the page's last key (without a limit).
pub(crate) fn keyset<E: sea_orm::EntityTrait>(
    query: sea_orm::Select<E>,
    id: E::Column,
    page: &crate::domain::page::PageRequest,
) -> sea_orm::Select<E> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let query = match &page.after {
        Some(after) => query.filter(id.gt(after.as_str())),
        None => query,
    };
    query.order_by_asc(id)
}

/// `Select::one` adds a bound `LIMIT ?`, and SQLite re-prepares a cached
/// statement whose plan could depend on a bound value: every point lookup
/// was parsed and planned again (a quarter of a read's CPU). Lookups by a
/// unique key need no LIMIT; this reads them without one.
pub(crate) trait OnlyRow<E: sea_orm::EntityTrait> {
    async fn only<C: ConnectionTrait>(self, db: &C) -> Result<Option<E::Model>, DbErr>;
}

impl<E: sea_orm::EntityTrait> OnlyRow<E> for sea_orm::Select<E> {
    async fn only<C: ConnectionTrait>(self, db: &C) -> Result<Option<E::Model>, DbErr> {
        Ok(self.all(db).await?.into_iter().next())
    }
}

impl Db {
    /// Runs a write in a task of its own and waits for its result. A
    /// caller can go away at any `.await` (tonic drops a handler's future
    /// when its client cancels or its deadline passes); the write then
    /// still runs to its end, committed or rolled back, and never leaves a
    /// connection inside a transaction for the next call. (sqlx's BEGIN
    /// cancelled before its answer arrived returned the connection to the
    /// pool inside the transaction: other calls' statements then ran in it
    /// and were lost with it.) Only [`Db::close`] ends a write part-way,
    /// after it has closed the pools: a connection given back then is
    /// closed, and what it held rolled back, never handed on.
    pub(crate) async fn detached<T: Send + 'static>(
        &self,
        work: impl std::future::Future<Output = Result<T, Error>> + Send + 'static,
    ) -> Result<T, Error> {
        let closing = self.closing.clone();
        let task = tokio::spawn(async move {
            tokio::select! {
                biased;
                result = work => result,
                () = closing.cancelled() => Err(Error::Unavailable {
                    reason: Reason::ShuttingDown,
                    message: "the server is shutting down; the write was not made; retry elsewhere".into(),
                }),
            }
        });
        match task.await {
            Ok(result) => result,
            Err(err) => Err(Error::internal(format!("a write did not run to its end: {err}"))),
        }
    }
}

/// Whether a driver error is a unique-key violation.
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// A row held data the domain refuses: corruption or a bug, never input.
pub(crate) fn corrupt(what: &str, err: Error) -> Error {
    Error::internal(format!("stored {what} is invalid: {err}"))
}
