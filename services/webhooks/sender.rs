//! The sender job. Every replica runs it; only the holder of the
//! `webhook-sender` lease sends. Each webhook is drained by one task at a
//! time, one event at a time, so its events go out in commit order; its
//! cursor moves (a compare-and-set on the webhook's version) only past an
//! event delivered or given up on. A replica that dies mid-delivery leaves
//! the cursor before that event: the next holder sends it again, with the
//! same `webhook-id`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::Deliverer;
use crate::domain::Grants;
use crate::domain::service::webhooks::Blocked;
use crate::domain::time::Timestamp;
use crate::domain::webhook::{Webhook, WebhookName};

/// How the sender runs.
#[derive(Debug, Clone)]
pub struct SenderSettings {
    /// How often it looks for events owed (and renews its lease).
    pub interval: Duration,
    /// How long a lease lasts unrenewed: another replica takes over within
    /// it after this one dies.
    pub lease: Duration,
    /// Failed attempts in a row that disable a webhook.
    pub max_failures: i32,
    /// Deliveries in flight at once, all webhooks together.
    pub concurrency: usize,
    /// The first retry's delay; each next one doubles, up to `max_backoff`,
    /// with jitter.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// How long one event is retried before it is given up on.
    pub retry_for: Duration,
}

impl Default for SenderSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(250),
            lease: Duration::from_secs(10),
            max_failures: 50,
            concurrency: 64,
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(3_600),
            retry_for: Duration::from_secs(3 * 86_400),
        }
    }
}

struct Shared {
    grants: Grants,
    deliverer: Deliverer,
    settings: SenderSettings,
    permits: Semaphore,
    /// Whether this replica holds the lease.
    leased: AtomicBool,
    /// Webhooks being drained by a task of this replica.
    draining: Mutex<HashSet<WebhookName>>,
    stop: CancellationToken,
}

/// Runs until `stop`.
pub async fn run(grants: Grants, deliverer: Deliverer, settings: SenderSettings, stop: CancellationToken) {
    let holder = crate::domain::ids::new_id();
    let shared = Arc::new(Shared {
        permits: Semaphore::new(settings.concurrency.max(1)),
        grants,
        deliverer,
        settings,
        leased: AtomicBool::new(false),
        draining: Mutex::default(),
        stop: stop.clone(),
    });
    let mut renewed: Option<tokio::time::Instant> = None;
    loop {
        let renew_every = shared.settings.lease / 3;
        if renewed.is_none_or(|at| at.elapsed() >= renew_every) {
            let held = shared.grants.webhook_lease(&holder, shared.settings.lease).await;
            match held {
                Ok(held) => {
                    if held != shared.leased.swap(held, Ordering::AcqRel) {
                        tracing::info!(held, "webhook sender lease");
                    }
                    renewed = Some(tokio::time::Instant::now());
                }
                Err(err) => {
                    // Unsure whether it is still ours: stop sending.
                    shared.leased.store(false, Ordering::Release);
                    tracing::warn!(%err, "the webhook sender lease could not be renewed");
                }
            }
        }
        if shared.leased.load(Ordering::Acquire) {
            match shared.grants.deliverable_webhooks().await {
                Ok(webhooks) => {
                    for webhook in webhooks {
                        let fresh = lock(&shared.draining).insert(webhook.name.clone());
                        if fresh {
                            let shared = shared.clone();
                            tokio::spawn(async move {
                                let name = webhook.name.clone();
                                drain(&shared, webhook).await;
                                lock(&shared.draining).remove(&name);
                            });
                        }
                    }
                }
                Err(err) => tracing::warn!(%err, "listing webhooks failed"),
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(shared.settings.interval) => {}
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    fn may_send(&self) -> bool {
        self.leased.load(Ordering::Acquire) && !self.stop.is_cancelled()
    }

    /// Writes `next` over `current`; on a conflict (its owner changed it)
    /// reads it again: `None` when it may no longer deliver.
    async fn progress(&self, current: &Webhook, next: Webhook) -> Option<Webhook> {
        match self.grants.webhook_progress(current, &next).await {
            Ok(true) => Some(Webhook {
                version: current.version + 1,
                ..next
            }),
            Ok(false) => None,
            Err(err) => {
                tracing::warn!(webhook = %current.name, %err, "a webhook's progress was not saved");
                None
            }
        }
    }

    async fn pause(&self, duration: Duration) -> bool {
        tokio::select! {
            () = self.stop.cancelled() => false,
            () = tokio::time::sleep(duration) => self.may_send(),
        }
    }

    fn backoff(&self, failures: i32) -> Duration {
        let exponent = u32::try_from(failures.saturating_sub(1)).unwrap_or(0).min(20);
        let base = self
            .settings
            .first_backoff
            .saturating_mul(1 << exponent)
            .min(self.settings.max_backoff);
        // Full jitter on the upper half: between half and the whole delay.
        let half = base / 2;
        half + half.mul_f64(rand::rng().random::<f64>())
    }
}

/// Sends a webhook what it is owed, in order, until nothing is owed, it
/// may not deliver, or the lease is lost. Its row is the only state: a
/// task that ends anywhere leaves it consistent.
async fn drain(shared: &Shared, listed: Webhook) {
    // Read again: a task of this replica may have moved it since the list.
    let mut webhook = match shared.grants.webhook_now(&listed.name).await {
        Ok(Some(w)) if w.state() == crate::domain::webhook::WebhookState::Active => w,
        Ok(_) => return,
        Err(err) => {
            tracing::warn!(webhook = %listed.name, %err, "reading a webhook failed");
            return;
        }
    };
    let mut failing_since: Option<Timestamp> = None;
    while shared.may_send() {
        let owed = match shared.grants.owed(&webhook, 100).await {
            Ok(Ok(owed)) => owed,
            Ok(Err(Blocked::Disable(why))) => {
                tracing::warn!(webhook = %webhook.name, reason = %why, "webhook disabled");
                let mut next = webhook.clone();
                next.disabled = Some(why);
                shared.progress(&webhook, next).await;
                return;
            }
            Err(err) => {
                tracing::warn!(webhook = %webhook.name, %err, "reading a webhook's events failed");
                return;
            }
        };
        if owed.through <= webhook.cursor {
            return;
        }
        for event in owed.events {
            let seq = event.cursor.seq;
            let mut attempt = 1;
            loop {
                if !shared.may_send() {
                    return;
                }
                // The webhook as it stands now: paused, changed (URL,
                // kinds, secret) or deleted since this task read it, the
                // task ends and the next one starts from what is stored.
                match shared.grants.webhook_now(&webhook.name).await {
                    Ok(Some(now)) if now.version == webhook.version => {}
                    Ok(_) => return,
                    Err(err) => {
                        tracing::warn!(webhook = %webhook.name, %err, "reading a webhook failed");
                        return;
                    }
                }
                // The key is checked again before every attempt: a
                // revoked key stops its webhooks at once.
                match shared.grants.webhook_key_valid(&webhook).await {
                    Ok(None) => {}
                    Ok(Some(why)) => {
                        tracing::warn!(webhook = %webhook.name, reason = %why, "webhook disabled");
                        let mut next = webhook.clone();
                        next.disabled = Some(why);
                        shared.progress(&webhook, next).await;
                        return;
                    }
                    Err(err) => {
                        tracing::warn!(webhook = %webhook.name, %err, "checking a webhook's key failed");
                        return;
                    }
                }
                let delivered = {
                    let Ok(_permit) = shared.permits.acquire().await else {
                        return;
                    };
                    shared
                        .deliverer
                        .attempt(&shared.grants, &webhook, event.clone(), Some(owed.view), attempt, false)
                        .await
                };
                let mut next = webhook.clone();
                match delivered {
                    Ok(d) if d.outcome == crate::domain::webhook::DeliveryOutcome::Delivered => {
                        next.cursor = seq;
                        next.failures = 0;
                        failing_since = None;
                        match shared.progress(&webhook, next).await {
                            Some(moved) => webhook = moved,
                            None => return,
                        }
                        break;
                    }
                    Ok(_) | Err(_) => {
                        if let Err(err) = &delivered {
                            tracing::warn!(webhook = %webhook.name, %err, "a delivery could not be made");
                        }
                        next.failures = webhook.failures.saturating_add(1);
                        let since = *failing_since.get_or_insert_with(Timestamp::now);
                        let given_up = Timestamp::now() >= since.plus(shared.settings.retry_for);
                        if given_up {
                            // Retried for the whole window: the event is
                            // given up on, the next one goes.
                            next.cursor = seq;
                            failing_since = None;
                        }
                        if next.failures >= shared.settings.max_failures {
                            let why = format!("{} failed attempts in a row", next.failures);
                            tracing::warn!(webhook = %webhook.name, reason = %why, "webhook disabled");
                            next.disabled = Some(why);
                            shared.progress(&webhook, next).await;
                            return;
                        }
                        let failures = next.failures;
                        match shared.progress(&webhook, next).await {
                            Some(moved) => webhook = moved,
                            None => return,
                        }
                        if given_up {
                            break;
                        }
                        if !shared.pause(shared.backoff(failures)).await {
                            return;
                        }
                        attempt += 1;
                    }
                }
            }
        }
        if owed.through > webhook.cursor {
            let mut next = webhook.clone();
            next.cursor = owed.through;
            match shared.progress(&webhook, next).await {
                Some(moved) => webhook = moved,
                None => return,
            }
        }
    }
}
