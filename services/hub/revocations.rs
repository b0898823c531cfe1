//! Revoked keys end their open streams: each stream holds a cancellation
//! token of its key, cancelled when this process learns of the revocation
//! (a local revoke, or a PostgreSQL NOTIFY from another replica); the
//! revocation is then also published in the event ring, where live event
//! streams see it. When
//! notifications may have been missed, and every 30 s in any case, every
//! key with open streams is checked against the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;

use super::{Inner, Published, lock};
use crate::domain::access::Revocation;
use crate::domain::ids::ApiKeyName;

/// One token per key that has (or had) a stream, or was revoked.
#[derive(Default)]
pub(super) struct Revocations(Mutex<HashMap<ApiKeyName, CancellationToken>>);

impl Revocations {
    /// The token of `key`; already cancelled if the key was revoked while
    /// the caller was being authenticated.
    pub(super) fn token(&self, key: &ApiKeyName) -> CancellationToken {
        lock(&self.0).entry(key.clone()).or_default().clone()
    }

    fn revoke(&self, key: &ApiKeyName) {
        // Kept, cancelled: a stream opened by a request authenticated just
        // before the revocation gets a cancelled token and ends at once.
        lock(&self.0).entry(key.clone()).or_default().cancel();
    }
}

impl Inner {
    /// Ends the streams of `key`: its token first, then the ring (see
    /// `Published`).
    fn revoke(&self, key: &ApiKeyName) {
        self.keys.revoke(key);
        let _ = self.tx.send(Published::Revoked(key.clone()));
    }
}

impl Revocations {
    /// Keys not known to be revoked. (Entries stay for the life of the
    /// process: at most one per key that ever streamed here.)
    fn live(&self) -> Vec<ApiKeyName> {
        lock(&self.0)
            .iter()
            .filter(|(_, t)| !t.is_cancelled())
            .map(|(k, _)| k.clone())
            .collect()
    }
}

/// Keys with open streams are checked against the database this often,
/// in case an announcement was lost.
const RECHECK: Duration = Duration::from_secs(30);

/// Follows revocations until the hub stops.
pub(super) async fn follow(inner: Arc<Inner>, mut revocations: broadcast::Receiver<Revocation>) {
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + RECHECK, RECHECK);
    loop {
        let received = tokio::select! {
            () = inner.stopping.cancelled() => return,
            _ = every.tick() => {
                recheck(&inner).await;
                continue;
            }
            received = revocations.recv() => received,
        };
        match received {
            Ok(Revocation::Key(key)) => inner.revoke(&key),
            Ok(Revocation::Unknown) | Err(RecvError::Lagged(_)) => recheck(&inner).await,
            Err(RecvError::Closed) => return,
        }
    }
}

/// Checks every key with open streams against the database.
async fn recheck(inner: &Inner) {
    for key in inner.keys.live() {
        match inner.store.get_api_key(&key).await {
            Ok(Some(found)) if found.revoke_time.is_none() => {}
            Ok(_) => inner.revoke(&key),
            Err(err) => tracing::warn!(%err, %key, "cannot check whether a key was revoked"),
        }
    }
}
