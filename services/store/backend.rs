//! What the service needs of a backend beyond the domain's ports: its
//! pools' occupancy, a health check, the cross-replica news, housekeeping
//! and closing. Each backend implements it, and [`super::Db`] holds the
//! one chosen at connect.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::broadcast;

use super::options::PoolStats;
use crate::domain::Result;
use crate::domain::access::Revocation;
use crate::domain::event::AppendSignal;
use crate::domain::ports::Store;
use crate::domain::time::Timestamp;

#[async_trait]
pub(crate) trait Backend: Store + Send + Sync + 'static {
    /// `sqlite` or `postgresql`.
    fn kind(&self) -> &'static str;
    /// Size, idle connections and maximum of each pool (for metrics).
    fn pool_stats(&self) -> Vec<PoolStats>;
    /// Whether the database answers, within the database timeout.
    async fn check(&self) -> Result<()>;
    /// Signalled after each commit that appended an event (this
    /// process's, and where the database tells, every replica's).
    fn append_signal(&self) -> Arc<AppendSignal>;
    /// Every key revocation committed from now on, by any process.
    fn revocations(&self) -> broadcast::Receiver<Revocation>;
    /// Forgets request ids older than `before`; how many.
    async fn prune_request_ids(&self, before: Timestamp) -> Result<u64>;
    /// Closes the pools, ending the writes still running.
    async fn close(&self);
}
