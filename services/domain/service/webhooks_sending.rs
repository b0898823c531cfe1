//! What the webhook sender asks of the domain: the webhooks that deliver,
//! what each one's key may see (checked again after every revocation this
//! process learns of), the log, and its progress written once per batch.

use std::sync::atomic::Ordering;

use super::Grants;
use super::webhooks::Blocked;
use crate::domain::access::Caller;
use crate::domain::application::View;
use crate::domain::error::{Error, Result};
use crate::domain::event::{ApplicationEvent, Cursor};
use crate::domain::time::Timestamp;
use crate::domain::watch::EventScope;
use crate::domain::webhook::{Delivery, EventKind, Progress, Webhook, WebhookName};

/// What a webhook's key may see: the events of its scope, in its view.
#[derive(Debug, Clone)]
pub struct Entitlement {
    pub scope: EventScope,
    /// How much of each event the key sees (one rendering serves every
    /// webhook with the same view).
    pub view: View,
}

impl Entitlement {
    /// Whether `webhook` sends `event`: in its key's scope and of its kinds.
    pub fn sends(&self, webhook: &Webhook, event: &ApplicationEvent) -> bool {
        self.scope.matches(event) && webhook.sends(EventKind::of(event))
    }
}

impl Grants {
    /// Says that a webhook changed (in this process).
    pub(super) fn webhook_changed(&self) {
        self.webhook_changes.fetch_add(1, Ordering::AcqRel);
    }

    /// How many times webhooks were changed by their owners in this
    /// process: when it moves, the sender reads its list again.
    pub fn webhook_changes(&self) -> u64 {
        self.webhook_changes.load(Ordering::Acquire)
    }

    /// What `webhook`'s key may see now, or why it may not deliver.
    pub async fn webhook_entitlement(&self, webhook: &Webhook) -> Result<std::result::Result<Entitlement, Blocked>> {
        let Some(key) = self.store.get_api_key(&webhook.creator).await? else {
            return Ok(Err(Blocked::Disable("its key no longer exists".into())));
        };
        if key.revoke_time.is_some() {
            return Ok(Err(Blocked::Disable(format!("its key {} was revoked", key.name))));
        }
        let caller = Caller::from_key(&key);
        match self.watch_scope(&caller, Self::webhook_filter(&webhook.scope)).await {
            Ok((scope, view)) => Ok(Ok(Entitlement { scope, view })),
            Err(Error::PermissionDenied { message, .. }) => {
                Ok(Err(Blocked::Disable(format!("its key lost the scope: {message}"))))
            }
            Err(other) => Err(other),
        }
    }

    /// Up to `limit` events of the whole log after `after`, in commit
    /// order (the same committed, gap-free read as streams').
    pub async fn log_after(&self, after: i64, limit: u64) -> Result<Vec<ApplicationEvent>> {
        let from = Cursor::new(self.store.event_log(), after);
        self.store.events_after(from, &EventScope::all(), limit).await
    }

    /// This database's event log (cursors name it).
    pub fn event_log(&self) -> crate::domain::event::LogId {
        self.store.event_log()
    }

    /// Webhooks neither paused nor disabled.
    pub async fn deliverable_webhooks(&self) -> Result<Vec<Webhook>> {
        self.store.deliverable_webhooks().await
    }

    /// The sender's batch: attempts, cursors and failures, in one write.
    pub async fn record_webhook_progress(&self, deliveries: &[Delivery], moves: &[Progress]) -> Result<()> {
        self.store.record_progress(deliveries, moves).await
    }

    /// Forgets a webhook's attempts but its newest `keep`.
    pub async fn prune_webhook_deliveries(&self, webhook: &WebhookName, keep: u64) -> Result<u64> {
        self.store.prune_deliveries(webhook, keep).await
    }

    /// Disables `current` (with `failures` in a row) for `why`, if its
    /// owner did not change it since; false if they did.
    pub async fn disable_webhook(&self, current: &Webhook, failures: i32, why: String) -> Result<bool> {
        let mut next = current.clone();
        next.disabled = Some(why);
        next.failures = failures;
        next.version = current.version + 1;
        next.update_time = Timestamp::now();
        self.store.replace_webhook(&next, current.version).await
    }

    /// Takes or renews the `webhook-sender` lease for `holder`.
    pub async fn webhook_lease(&self, holder: &str, lease: std::time::Duration) -> Result<bool> {
        let now = Timestamp::now();
        self.store
            .take_lease("webhook-sender", holder, now.plus(lease), now)
            .await
    }
}
