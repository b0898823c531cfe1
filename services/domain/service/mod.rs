//! Domain operations: each authorises the caller, validates, decides, and
//! asks the store to persist. One method per API operation.

mod applications;
mod authn;
mod institutions;
mod keys;
pub use applications::StateChange;
pub use authn::Known;
pub use keys::IssuedKey;
mod programmes;
mod reviews;
mod transitions;
mod watching;

use std::sync::Arc;

use super::access::Caller;
use super::error::Result;
use super::ports::{Idempotency, Store};
use super::text;

/// The idempotency part of a request: the client's `request_id` and a
/// fingerprint of the whole request (computed by the transport layer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestKey {
    pub request_id: String,
    pub fingerprint: String,
}

/// The grant service's domain operations over a store.
#[derive(Clone)]
pub struct Grants {
    store: Arc<dyn Store>,
    keys: Arc<authn::KeyCache>,
}

impl Grants {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            keys: Arc::default(),
        }
    }

    /// Bootstraps the first admin key on an empty database: the secret, or
    /// `None` when keys exist already.
    pub async fn bootstrap_admin(&self) -> Result<Option<String>> {
        let (secret, hash) = super::access::generate_secret();
        Ok(self.store.bootstrap_admin(hash).await?.map(|_| secret))
    }
}

/// Validates a request id and ties it to the caller.
fn idempotency(caller: &Caller, key: Option<RequestKey>) -> Result<Option<Idempotency>> {
    let Some(RequestKey {
        request_id,
        fingerprint,
    }) = key
    else {
        return Ok(None);
    };
    if request_id.is_empty() {
        return Ok(None);
    }
    let request_id = text::line(&request_id, "request_id", 128)?;
    Ok(Some(Idempotency {
        caller: caller.key.clone(),
        request_id,
        fingerprint,
    }))
}
