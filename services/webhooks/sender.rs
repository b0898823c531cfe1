//! The sender job. Every replica runs it; only the holder of the
//! `webhook-sender` lease sends. It keeps the list of deliverable
//! webhooks in memory (read again every `interval`, and before the next
//! attempt after an owner's change in this process), one task per
//! webhook (`worker.rs`: one event in flight, in commit order), one reader
//! of the log for all of them (`log.rs`) and one writer of their progress
//! (`batch.rs`). A cursor moves only past an event delivered or given up
//! on; a replica that dies leaves it before the last batch's events: the
//! next holder sends them again, with the same `webhook-id`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::sync::{Semaphore, watch};
use tokio_util::sync::CancellationToken;

use super::Deliverer;
use super::batch::{self, Batch};
use super::log::{self, Log};
use crate::domain::Grants;
use crate::domain::service::Entitlement;
use crate::domain::service::webhooks::Blocked;
use crate::domain::webhook::{Webhook, WebhookName};

/// How the sender runs.
#[derive(Debug, Clone)]
pub struct SenderSettings {
    /// How often the list of webhooks is read again (and the lease
    /// renewed): how soon another replica's pause or change takes effect.
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
    /// Attempts and cursors are written together at most this often.
    pub batch: Duration,
    /// Attempts kept per webhook for ListWebhookDeliveries.
    pub keep_deliveries: u64,
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
            batch: Duration::from_millis(50),
            keep_deliveries: 1_000,
        }
    }
}

/// A key's entitlement is trusted this long without a revocation (the
/// authentication cache's bound) before it is checked again.
const KEY_RECHECK: Duration = Duration::from_secs(10);

/// A webhook with a task: its configuration as last read, `None` once it
/// may no longer deliver (paused, disabled, deleted).
pub(super) struct Slot {
    config: Mutex<Option<Webhook>>,
}

struct Checked {
    generation: u64,
    at: Instant,
    version: i64,
    entitled: Arc<Entitlement>,
}

pub(super) struct Shared {
    pub(super) grants: Grants,
    pub(super) deliverer: Deliverer,
    pub(super) settings: SenderSettings,
    pub(super) permits: Semaphore,
    pub(super) log: Arc<Log>,
    pub(super) batch: Batch,
    /// Whether this replica holds the lease.
    leased: AtomicBool,
    pub(super) stop: CancellationToken,
    slots: Mutex<HashMap<WebhookName, Arc<Slot>>>,
    /// Cursors of webhooks whose task ended, maybe not written yet.
    cursors: Mutex<HashMap<WebhookName, i64>>,
    keys: Mutex<HashMap<WebhookName, Checked>>,
    /// The owners' change count the list was last read at.
    listed: std::sync::atomic::AtomicU64,
    /// One reading of the list at a time.
    listing: tokio::sync::Mutex<()>,
}

/// Runs until `stop`; `published` changes when the hub publishes events.
pub async fn run(
    grants: Grants,
    published: watch::Receiver<i64>,
    deliverer: Deliverer,
    settings: SenderSettings,
    stop: CancellationToken,
) {
    let holder = crate::domain::ids::new_id();
    let log = Arc::new(Log::new(*published.borrow()));
    let (batch, writer) = batch::start(grants.clone(), settings.batch, settings.keep_deliveries, stop.clone());
    let writing = tokio::spawn(writer.run());
    let reading = tokio::spawn(log::follow(
        grants.clone(),
        log.clone(),
        published,
        settings.interval,
        stop.clone(),
    ));
    let shared = Arc::new(Shared {
        permits: Semaphore::new(settings.concurrency.max(1)),
        grants,
        deliverer,
        settings,
        log,
        batch,
        leased: AtomicBool::new(false),
        stop: stop.clone(),
        slots: Mutex::default(),
        cursors: Mutex::default(),
        keys: Mutex::default(),
        listed: std::sync::atomic::AtomicU64::new(0),
        listing: tokio::sync::Mutex::new(()),
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
            shared.list(false).await;
        } else {
            lock(&shared.cursors).clear();
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(shared.settings.interval) => {}
        }
    }
    // The tasks end at their next step; the writer writes what it has.
    let _ = reading.await;
    let _ = writing.await;
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub(super) fn may_send(&self) -> bool {
        self.leased.load(Ordering::Acquire) && !self.stop.is_cancelled()
    }

    /// Reads the list of deliverable webhooks (`only_if_changed`: only if
    /// an owner changed one in this process since it was last read) and
    /// starts a task for each new one; the others see their new
    /// configuration at their next attempt.
    async fn list(self: &Arc<Self>, only_if_changed: bool) {
        let _one = self.listing.lock().await;
        let changes = self.grants.webhook_changes();
        if only_if_changed && self.listed.load(Ordering::Acquire) == changes {
            return;
        }
        let webhooks = match self.grants.deliverable_webhooks().await {
            Ok(webhooks) => webhooks,
            Err(err) => {
                tracing::warn!(%err, "listing webhooks failed");
                return;
            }
        };
        self.listed.store(changes, Ordering::Release);
        let mut slots = lock(&self.slots);
        let active: HashSet<&WebhookName> = webhooks.iter().map(|w| &w.name).collect();
        for (name, slot) in slots.iter() {
            if !active.contains(name) {
                *lock(&slot.config) = None;
            }
        }
        for webhook in webhooks {
            if self.batch.disabling(&webhook.name) {
                continue;
            }
            if let Some(slot) = slots.get(&webhook.name) {
                *lock(&slot.config) = Some(webhook);
                continue;
            }
            let slot = Arc::new(Slot {
                config: Mutex::new(Some(webhook.clone())),
            });
            slots.insert(webhook.name.clone(), slot.clone());
            let remembered = lock(&self.cursors).remove(&webhook.name);
            let shared = self.clone();
            tokio::spawn(super::worker::work(shared, slot, webhook, remembered));
        }
    }

    /// The webhook as it stands now (its owner's last change in this
    /// process included); `None` when it may no longer deliver.
    pub(super) async fn current(self: &Arc<Self>, slot: &Slot) -> Option<Webhook> {
        if self.grants.webhook_changes() != self.listed.load(Ordering::Acquire) {
            self.list(true).await;
        }
        lock(&slot.config).clone()
    }

    /// Ends a webhook's task unless it may deliver again (resumed
    /// meanwhile): true when it ended.
    pub(super) fn leave(&self, name: &WebhookName, slot: &Slot, cursor: i64) -> bool {
        let mut slots = lock(&self.slots);
        if self.may_send() && lock(&slot.config).is_some() {
            return false;
        }
        slots.remove(name);
        lock(&self.cursors).insert(name.clone(), cursor);
        lock(&self.keys).remove(name);
        true
    }

    /// Stops a webhook's task for good (its row says why).
    pub(super) fn drop_slot(&self, slot: &Slot) {
        *lock(&slot.config) = None;
    }

    /// What `webhook`'s key may see, checked again after any revocation
    /// this process learns of, and every [`KEY_RECHECK`].
    pub(super) async fn entitlement(
        &self,
        webhook: &Webhook,
    ) -> crate::domain::Result<Result<Arc<Entitlement>, Blocked>> {
        let generation = self.grants.key_generation();
        let cached = {
            let keys = lock(&self.keys);
            keys.get(&webhook.name)
                .filter(|c| c.generation == generation && c.version == webhook.version && c.at.elapsed() < KEY_RECHECK)
                .map(|c| c.entitled.clone())
        };
        if let Some(entitled) = cached {
            return Ok(Ok(entitled));
        }
        let entitled = match self.grants.webhook_entitlement(webhook).await? {
            Ok(entitled) => Arc::new(entitled),
            Err(blocked) => return Ok(Err(blocked)),
        };
        lock(&self.keys).insert(
            webhook.name.clone(),
            Checked {
                generation,
                at: Instant::now(),
                version: webhook.version,
                entitled: entitled.clone(),
            },
        );
        Ok(Ok(entitled))
    }

    pub(super) async fn pause(&self, duration: Duration) -> bool {
        tokio::select! {
            () = self.stop.cancelled() => false,
            () = tokio::time::sleep(duration) => self.may_send(),
        }
    }

    pub(super) fn backoff(&self, failures: i32) -> Duration {
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
