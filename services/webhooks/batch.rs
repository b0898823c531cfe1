//! The sender's writes, once per batch: every attempt of the last moments
//! as rows of `webhook_delivery`, and each webhook's newest cursor and
//! failures, in one transaction (`--webhook-batch-ms` apart at most
//! while there is work). A crash loses at most the last batch: the
//! cursors stay before those events, which are sent again with the same
//! `webhook-id`. A webhook the sender disables is disabled after the
//! attempts that led to it are written. Attempts beyond the newest `keep`
//! of a webhook are forgotten now and then.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::domain::Grants;
use crate::domain::webhook::{Delivery, Progress, Webhook, WebhookName};

/// How often attempts beyond the kept ones are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

enum Record {
    Attempt(Delivery),
    Moved(Progress),
    Disable(Disable),
}

/// A webhook to disable once the attempts before are written.
struct Disable {
    webhook: Webhook,
    failures: i32,
    why: String,
    cause: &'static str,
}

/// Webhooks whose disabling is not written yet: no task starts for them.
pub(super) type Disabling = Arc<std::sync::Mutex<HashSet<WebhookName>>>;

/// Where the webhooks' tasks hand their work in. Cheap to clone.
#[derive(Clone)]
pub(super) struct Batch {
    tx: mpsc::UnboundedSender<Record>,
    disabling: Disabling,
}

impl Batch {
    pub(super) fn attempt(&self, delivery: Delivery) {
        // Closed: the sender is stopping; the attempt is made again.
        let _ = self.tx.send(Record::Attempt(delivery));
    }

    /// Disables `webhook` (as last read) for `why`, after the attempts
    /// handed in before, unless its owner changed it meanwhile.
    pub(super) fn disable(&self, webhook: Webhook, failures: i32, why: String, cause: &'static str) {
        super::sender::lock(&self.disabling).insert(webhook.name.clone());
        let _ = self.tx.send(Record::Disable(Disable {
            webhook,
            failures,
            why,
            cause,
        }));
    }

    /// Whether `webhook` is being disabled.
    pub(super) fn disabling(&self, webhook: &WebhookName) -> bool {
        super::sender::lock(&self.disabling).contains(webhook)
    }

    pub(super) fn moved(&self, webhook: &WebhookName, cursor: i64, failures: i32) {
        let _ = self.tx.send(Record::Moved(Progress {
            webhook: webhook.clone(),
            cursor,
            failures,
        }));
    }
}

/// What one batch writes.
#[derive(Default)]
struct Pending {
    attempts: Vec<Delivery>,
    moves: HashMap<WebhookName, Progress>,
    disables: Vec<Disable>,
}

impl Pending {
    fn add(&mut self, record: Record) {
        match record {
            Record::Attempt(d) => self.attempts.push(d),
            Record::Disable(d) => self.disables.push(d),
            Record::Moved(p) => match self.moves.get_mut(&p.webhook) {
                Some(seen) => {
                    seen.cursor = seen.cursor.max(p.cursor);
                    seen.failures = p.failures;
                }
                None => {
                    self.moves.insert(p.webhook.clone(), p);
                }
            },
        }
    }

    fn is_empty(&self) -> bool {
        self.attempts.is_empty() && self.moves.is_empty() && self.disables.is_empty()
    }
}

/// The writer of batches, and where to send them.
pub(super) fn start(grants: Grants, every: Duration, keep: u64, stop: CancellationToken) -> (Batch, Writer) {
    let (tx, rx) = mpsc::unbounded_channel();
    let disabling = Disabling::default();
    let writer = Writer {
        grants,
        rx,
        every,
        keep,
        stop,
        disabling: disabling.clone(),
    };
    (Batch { tx, disabling }, writer)
}

pub(super) struct Writer {
    grants: Grants,
    rx: mpsc::UnboundedReceiver<Record>,
    every: Duration,
    keep: u64,
    stop: CancellationToken,
    disabling: Disabling,
}

impl Writer {
    /// Writes batches until `stop`, then what is left.
    pub(super) async fn run(mut self) {
        let mut pending = Pending::default();
        let mut used: HashSet<WebhookName> = HashSet::new();
        let mut pruned = tokio::time::Instant::now();
        let pruning = Arc::new(AtomicBool::new(false));
        loop {
            let stopping = tokio::select! {
                () = self.stop.cancelled() => true,
                record = self.rx.recv() => match record {
                    Some(record) => { pending.add(record); false }
                    None => true,
                },
            };
            if !stopping {
                // Gather for a while: one write for everything meanwhile.
                let until = tokio::time::Instant::now() + self.every;
                loop {
                    tokio::select! {
                        () = self.stop.cancelled() => break,
                        () = tokio::time::sleep_until(until) => break,
                        record = self.rx.recv() => match record {
                            Some(record) => pending.add(record),
                            None => break,
                        },
                    }
                }
            }
            while let Ok(record) = self.rx.try_recv() {
                pending.add(record);
            }
            used.extend(pending.attempts.iter().map(|d| d.webhook.clone()));
            self.write(&mut pending).await;
            if stopping || self.stop.is_cancelled() {
                return;
            }
            if pruned.elapsed() >= PRUNE_EVERY && !pruning.swap(true, Ordering::AcqRel) {
                pruned = tokio::time::Instant::now();
                let (grants, keep, done) = (self.grants.clone(), self.keep, pruning.clone());
                let webhooks = std::mem::take(&mut used);
                tokio::spawn(async move {
                    for webhook in webhooks {
                        if let Err(err) = grants.prune_webhook_deliveries(&webhook, keep).await {
                            tracing::warn!(%webhook, %err, "old deliveries could not be deleted");
                        }
                    }
                    done.store(false, Ordering::Release);
                });
            }
        }
    }

    async fn write(&self, pending: &mut Pending) {
        if pending.is_empty() {
            return;
        }
        let moves: Vec<Progress> = pending.moves.values().cloned().collect();
        let started = std::time::Instant::now();
        match self.grants.record_webhook_progress(&pending.attempts, &moves).await {
            Ok(()) => {
                metrics::histogram!("gba_grants_webhook_batch_seconds").record(started.elapsed().as_secs_f64());
                pending.moves.clear();
            }
            Err(err) => {
                // The cursors are written with the next batch; the
                // attempts' rows are lost (the write may have landed).
                tracing::warn!(%err, attempts = pending.attempts.len(), "a batch of webhook progress was not written");
            }
        }
        pending.attempts.clear();
        for d in std::mem::take(&mut pending.disables) {
            match self.grants.disable_webhook(&d.webhook, d.failures, d.why.clone()).await {
                Ok(true) => {
                    tracing::warn!(webhook = %d.webhook.name, reason = %d.why, "webhook disabled");
                    metrics::counter!("gba_grants_webhook_disabled_total", "cause" => d.cause).increment(1);
                }
                // Its owner changed it meanwhile: it goes on as it is now.
                Ok(false) => {}
                Err(err) => tracing::warn!(webhook = %d.webhook.name, %err, "a webhook could not be disabled"),
            }
            super::sender::lock(&self.disabling).remove(&d.webhook.name);
        }
    }
}
