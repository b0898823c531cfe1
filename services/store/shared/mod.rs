//! What both backends share: SeaORM pools over sqlx for what is not on
//! the hot path (administrative writes and reads, lists, summaries), the
//! one helper that runs a write under a request id, and the queries both
//! run the same way. Nothing here chooses a backend: each backend embeds
//! a [`Sea`] and calls these with it.

pub(crate) mod documents;
pub(crate) mod facts;
pub(crate) mod institutions;
pub(crate) mod keys;
pub(crate) mod leases;
pub(crate) mod once;
pub(crate) mod programmes;
pub(crate) mod reads;
mod webhook_writes;
pub(crate) mod webhooks;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DatabaseConnection, DatabaseTransaction, SqliteTransactionMode, TransactionOptions, TransactionTrait};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::faults::{db_err, outage_seen};
use crate::domain::access::Revocation;
use crate::domain::event::{AppendSignal, LogId};
use crate::domain::{Error, Reason, Result};

/// The SeaORM side of a backend.
pub(crate) struct Sea {
    /// Reads (and, on PostgreSQL, writes).
    pub(crate) conn: DatabaseConnection,
    /// Write transactions: on SQLite a pool of one connection, which the
    /// backend's writer also holds while it writes (the process's write
    /// token); on PostgreSQL the same pool as `conn`.
    pub(crate) writer: DatabaseConnection,
    /// One connection for health checks, apart from the busy pools.
    pub(crate) monitor: DatabaseConnection,
    pub(crate) timeout: Duration,
    /// Test knob: sleep up to this long before a commit that appends an
    /// event (see `DbOptions::commit_jitter`).
    pub(crate) jitter: Option<Duration>,
    /// This database's event log identity (see `event_log_state`).
    pub(crate) log: LogId,
    /// Signalled after each commit that appended an event.
    pub(crate) appended: Arc<AppendSignal>,
    /// Revoked keys, local and (on PostgreSQL) from other replicas.
    pub(crate) revocations: broadcast::Sender<Revocation>,
    /// What a create checks that never changes once true.
    pub(crate) facts: facts::Facts,
    /// Cancelled by [`Sea::close`]: writes still running end there.
    pub(crate) closing: CancellationToken,
}

/// The situation a change decides on, from the rows it read: the
/// application, its programme, and the institutions it names (without the
/// reviews, which only peer review reads).
pub(crate) fn situation(
    app: crate::store::rows::application::Model,
    owner: crate::store::rows::programme::Model,
    named: Vec<crate::store::rows::institution::Model>,
    documents: &[crate::store::rows::document::Model],
) -> Result<crate::domain::lifecycle::Situation> {
    use crate::store::rows::{application, document, institution, programme};
    let application = application::to_domain(app)?;
    let programme = programme::to_domain(owner)?;
    let institutions = named
        .into_iter()
        .map(institution::to_domain)
        .collect::<Result<Vec<_>>>()?;
    let lookup = |n: &crate::domain::ids::InstitutionName| institutions.iter().find(|i| &i.name == n).cloned();
    Ok(crate::domain::lifecycle::Situation {
        applicant: lookup(&application.applicant),
        partners: application.partners.iter().map(|p| (p.clone(), lookup(p))).collect(),
        application,
        programme,
        reviews: Vec::new(),
        documents: documents.iter().map(document::summary).collect::<Result<_>>()?,
    })
}

/// A lock a write transaction of the shared pools takes first.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lock<'a> {
    /// A programme's: its updates and its approvals serialise.
    Programme(&'a str),
    /// Issuing the first admin key, once, whoever starts first.
    Bootstrap,
    /// An object of the document store, by SHA-256: its claims and its
    /// sweep serialise.
    Object(&'a str),
}

/// A backend that embeds a [`Sea`] (shared with its detached writes), and
/// what the shared writes need of it.
pub(crate) trait HasSea {
    fn sea(&self) -> &Arc<Sea>;
    /// The statement that takes `lock` in a transaction; `None` where the
    /// write transaction's own lock serialises writers already (SQLite).
    fn lock(&self, lock: Lock<'_>) -> Option<sea_orm::Statement>;
    /// A statement to run in a key's revocation, telling other replicas
    /// when it commits; `None` where there is no one to tell.
    fn revoked_notice(&self, key: &crate::domain::ids::ApiKeyName) -> Option<sea_orm::Statement>;
}

impl Sea {
    /// Starts a transaction that will write: IMMEDIATE on SQLite, so a
    /// read-then-write never fails on a stale snapshot.
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        self.writer.begin_with_options(options).await.map_err(db_err)
    }

    /// Sleeps a random part of the commit jitter, if one is set (tests).
    pub(crate) async fn jitter(&self) {
        if let Some(max) = self.jitter {
            let micros = rand::random_range(0..=u64::try_from(max.as_micros()).unwrap_or(u64::MAX));
            tokio::time::sleep(Duration::from_micros(micros)).await;
        }
    }

    /// After a commit that appended events: wakes this process's tailer.
    pub(crate) fn appended(&self, events: u64) {
        if events > 0 {
            self.appended.announce(None);
            metrics::counter!("gba_grants_events_appended_total").increment(events);
        }
    }

    /// Runs a write in a task of its own and waits for its result. A
    /// caller can go away at any `.await` (tonic drops a handler's future
    /// when its client cancels or its deadline passes); the write then
    /// still runs to its end, committed or rolled back, and never leaves a
    /// connection inside a transaction for the next call. (sqlx's BEGIN
    /// cancelled before its answer arrived returned the connection to the
    /// pool inside the transaction: other calls' statements then ran in it
    /// and were lost with it.) Only [`Sea::close`] ends a write part-way,
    /// after it has closed the pools: a connection given back then is
    /// closed, and what it held rolled back, never handed on.
    pub(crate) async fn detached<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        use tracing::Instrument;
        let closing = self.closing.clone();
        // The write's spans stay under the call's.
        let span = tracing::Span::current();
        let task = tokio::spawn(
            async move {
                tokio::select! {
                    biased;
                    result = work => result,
                    () = closing.cancelled() => Err(Error::Unavailable {
                        reason: Reason::ShuttingDown,
                        message: "the server is shutting down; the write was not made; retry elsewhere".into(),
                    }),
                }
            }
            .instrument(span),
        );
        match task.await {
            Ok(result) => result,
            Err(err) => Err(Error::internal(format!("a write did not run to its end: {err}"))),
        }
    }

    /// Checks that the database answers, within the database timeout, on
    /// the monitor's connection.
    pub(crate) async fn check(&self) -> Result<()> {
        match tokio::time::timeout(self.timeout, self.monitor.ping()).await {
            Ok(result) => result.map_err(db_err),
            Err(_) => {
                outage_seen();
                Err(Error::Unavailable {
                    reason: Reason::StorageUnavailable,
                    message: "the database did not answer in time".into(),
                })
            }
        }
    }

    /// Ends the writes still running (see [`Sea::detached`]); the backend
    /// calls it once its pools are marked closed.
    pub(crate) fn end_writes(&self) {
        self.closing.cancel();
    }
}
