//! Persistence on SQLite or PostgreSQL. The backend is chosen once, at
//! connect, from the URL; each lives in a folder of its own and
//! implements the domain's storage ports completely, with its own
//! connection machinery:
//!
//! - `rows/`: the entities (rows as stored) and their conversions to and
//!   from the domain; column lists derive from them;
//! - `shared/`: what both run the same way through SeaORM (keys,
//!   institutions, programmes' writes, lists, summaries) and the one
//!   helper for request ids there;
//! - `sqlite/`: reads in place on rusqlite, one writer for every write of
//!   applications, WAL checkpoints;
//! - `postgres/`: kept connections, point reads read together, one
//!   guarded statement per write of applications, event positions from
//!   transaction ids, LISTEN/NOTIFY.
//!
//! - `blobs.rs`: the document store (a directory or an S3-compatible
//!   bucket, through `object_store`), content addressed by SHA-256.
//!
//! Rows never leave this module; driver errors become domain errors here
//! (`faults`).

mod backend;
mod blobs;
mod connect;
mod faults;
#[cfg(test)]
mod guards;
pub mod migration;
mod options;
mod postgres;
pub(crate) mod rows;
mod shared;
pub(crate) mod sqlite;

use std::sync::Arc;

use tokio::sync::broadcast;

pub use blobs::ObjectBlobs;
pub use connect::MIGRATION_LOCK;
use connect::{Create, migrate};
pub use options::{DbOptions, PoolStats};

use crate::domain::access::Revocation;
use crate::domain::event::AppendSignal;
use crate::domain::ports::Store;
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};
use crate::jobs::Jobs;

/// A connected database: the backend chosen at connect. Cheap to clone.
#[derive(Clone)]
pub struct Db(Arc<dyn backend::Backend>);

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").finish_non_exhaustive()
    }
}

impl Db {
    /// Creates the database if it is missing (a SQLite file, a PostgreSQL
    /// database), runs pending migrations, then connects the backend,
    /// whose background jobs (its writer, readers, checkpoints) start in
    /// `jobs`. Migrations run in one locked transaction on a dedicated
    /// connection, so replicas starting together apply them once, one
    /// after the other.
    pub async fn connect(options: &DbOptions, jobs: &Jobs) -> Result<Self> {
        Self::open(options, Create::IfMissing, jobs).await
    }

    /// Connects to a database that a server has already set up, for admin
    /// commands: a missing or never-migrated database is refused, naming
    /// the URL.
    pub async fn connect_existing(options: &DbOptions, jobs: &Jobs) -> Result<Self> {
        Self::open(options, Create::Never, jobs).await
    }

    async fn open(options: &DbOptions, create: Create, jobs: &Jobs) -> Result<Self> {
        let url = options.url.as_str();
        let backend: Arc<dyn backend::Backend> = if url.starts_with("sqlite:") {
            migrate(url, options.timeout, create).await?;
            Arc::new(sqlite::SqliteStore::open(options, jobs).await?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            migrate(url, options.timeout, create).await?;
            Arc::new(postgres::PgStore::open(options, jobs).await?)
        } else {
            return Err(Error::invalid(
                "database_url",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        };
        Ok(Self(backend))
    }

    /// The domain's view of the database.
    pub fn store(&self) -> Arc<dyn Store> {
        self.0.clone()
    }

    /// Signalled after each commit that appended an event (this process's,
    /// and on PostgreSQL every replica's).
    pub fn append_signal(&self) -> Arc<AppendSignal> {
        self.0.append_signal()
    }

    /// Every key revocation committed from now on, by any process.
    pub fn revocations(&self) -> broadcast::Receiver<Revocation> {
        self.0.revocations()
    }

    /// The database's kind: `sqlite` or `postgresql` (for metrics).
    pub fn kind(&self) -> &'static str {
        self.0.kind()
    }

    /// Size, idle connections and maximum of each pool (for metrics).
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        self.0.pool_stats()
    }

    /// Checks that the database answers, within the database timeout, on a
    /// connection of its own.
    pub async fn check(&self) -> Result<()> {
        self.0.check().await
    }

    /// Deletes idempotency records older than `before`: a retry after that
    /// is a new request. Returns how many.
    pub async fn prune_request_ids(&self, before: Timestamp) -> Result<u64> {
        self.0.prune_request_ids(before).await
    }

    /// Closes the pools: they are marked closed first, then the writes
    /// still running are ended, so a connection they give back is closed
    /// with whatever transaction it held, not handed to anyone.
    pub async fn close(self) {
        self.0.close().await;
    }
}
