//! Domain operations: each authorises the caller, validates, decides, and
//! asks the store to persist. One method per API operation.

mod applications;
mod institutions;
mod keys;
pub use applications::StateChange;
pub use keys::IssuedKey;
mod programmes;
mod transitions;
mod watching;

use std::sync::Arc;

use super::access::{Caller, SECRET_PREFIX, hash_secret};
use super::error::{Error, Reason, Result};
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
}

impl Grants {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Resolves a bearer secret to its caller. Missing, unknown and
    /// revoked keys are all UNAUTHENTICATED.
    pub async fn authenticate(&self, secret: Option<&str>) -> Result<Caller> {
        let Some(secret) = secret.filter(|s| !s.is_empty()) else {
            return Err(Error::Unauthenticated {
                reason: Reason::MissingCredentials,
                message: "send `authorization: Bearer <api key>`".into(),
            });
        };
        let invalid = || Error::Unauthenticated {
            reason: Reason::InvalidCredentials,
            message: "the API key is not valid (unknown or revoked)".into(),
        };
        if !secret.starts_with(SECRET_PREFIX) || secret.len() > 200 {
            return Err(invalid());
        }
        match self.store.find_api_key_by_hash(&hash_secret(secret)).await? {
            Some(key) if key.revoke_time.is_none() => Ok(Caller::from_key(&key)),
            _ => Err(invalid()),
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
    let request_id = text::required(&request_id, "request_id", 128)?;
    Ok(Some(Idempotency {
        caller: caller.key.clone(),
        request_id,
        fingerprint,
    }))
}
