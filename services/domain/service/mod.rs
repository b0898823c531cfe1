//! Domain operations: each authorises the caller, validates, decides, and
//! asks the store to persist. One method per API operation.

mod applications;
mod authn;
mod documents;
mod institutions;
mod keys;
pub use applications::StateChange;
pub use authn::Known;
pub use documents::{DocumentLimits, Documents, Swept};
pub use keys::IssuedKey;
pub use transitions::Approval;
mod programmes;
pub mod reports;
mod reviews;
mod transitions;
mod usage;
mod watching;
pub mod webhooks;
mod webhooks_sending;
pub use webhooks_sending::Entitlement;

use std::sync::Arc;

use super::access::{Caller, Role};
use super::error::{Error, Result};
use super::ids::{InstitutionName, ProgrammeName};
use super::lifecycle::not_visible;
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
    documents: Option<Arc<Documents>>,
    webhooks: super::webhook::UrlPolicy,
    /// Bumped after every change of a webhook by its owner in this
    /// process: the sender reads its list again before its next attempt.
    webhook_changes: Arc<std::sync::atomic::AtomicU64>,
}

impl Grants {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            keys: Arc::default(),
            documents: None,
            webhooks: super::webhook::UrlPolicy::default(),
            webhook_changes: Arc::default(),
        }
    }

    /// Webhooks may reach plain http and non-public addresses as `policy`
    /// allows.
    pub fn with_webhook_policy(mut self, policy: super::webhook::UrlPolicy) -> Self {
        self.webhooks = policy;
        self
    }

    pub fn webhook_policy(&self) -> super::webhook::UrlPolicy {
        self.webhooks
    }

    /// With documents kept in `blobs`, under `limits`.
    pub fn with_documents(mut self, blobs: Arc<dyn super::ports::Blobs>, limits: DocumentLimits) -> Self {
        self.documents = Some(Arc::new(Documents::new(blobs, limits)));
        self
    }

    /// Bootstraps the first admin key on an empty database: the secret, or
    /// `None` when keys exist already.
    pub async fn bootstrap_admin(&self) -> Result<Option<String>> {
        let (secret, hash) = super::access::generate_secret();
        Ok(self.store.bootstrap_admin(hash).await?.map(|_| secret))
    }
}

/// The parent of a list or a stream. One the caller may not see and one
/// that does not exist get the same PERMISSION_DENIED, so neither leaks;
/// admins, who see everything, get NOT_FOUND for a missing one. Never an
/// empty page that hides a typo.
impl Grants {
    async fn require_programme_parent(&self, caller: &Caller, name: &ProgrammeName) -> Result<()> {
        caller.require_programme(name).map_err(|_| not_visible(name))?;
        match self.store.get_programme(name).await? {
            Some(_) => Ok(()),
            None => Err(missing(caller, name)),
        }
    }

    async fn require_institution_parent(&self, caller: &Caller, name: &InstitutionName) -> Result<()> {
        if caller.role == Role::Applicant && caller.institution.as_ref() != Some(name) {
            return Err(not_visible(name));
        }
        match self.store.get_institution(name).await? {
            Some(_) => Ok(()),
            None => Err(missing(caller, name)),
        }
    }
}

fn missing(caller: &Caller, name: &impl std::fmt::Display) -> Error {
    if caller.role == Role::Admin {
        Error::NotFound {
            resource: name.to_string(),
        }
    } else {
        not_visible(name)
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
