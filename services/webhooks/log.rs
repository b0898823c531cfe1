//! The log as the sender reads it: once for all webhooks. One reader
//! follows the event log (woken by the hub when events are published,
//! here or by another replica), keeps the newest events in memory, and
//! wakes the webhooks' tasks; a task whose cursor is older than what is
//! kept reads the store itself until it catches up.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::domain::Grants;
use crate::domain::event::ApplicationEvent;

/// Events kept in memory: at 10 events a second, over a quarter of an
/// hour for a webhook that fell behind.
const KEPT: usize = 10_000;

/// Events read per query.
const READ: u64 = 500;

pub(super) struct Log {
    kept: Mutex<Kept>,
    /// The position of the newest event kept: changed once per batch read.
    end: watch::Sender<i64>,
}

/// Every event of the log after `start`, up to the newest read, in order.
struct Kept {
    start: i64,
    events: VecDeque<Arc<ApplicationEvent>>,
}

impl Log {
    /// A log kept from `head` on (what came before is read from the store).
    pub(super) fn new(head: i64) -> Self {
        Self {
            kept: Mutex::new(Kept {
                start: head,
                events: VecDeque::new(),
            }),
            end: watch::Sender::new(head),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Changes when new events are kept.
    pub(super) fn subscribe(&self) -> watch::Receiver<i64> {
        self.end.subscribe()
    }

    /// Up to `limit` events after `cursor`, from memory; `None` when
    /// `cursor` is older than what is kept (read the store).
    pub(super) fn after(&self, cursor: i64, limit: usize) -> Option<Vec<Arc<ApplicationEvent>>> {
        let kept = self.lock();
        if cursor < kept.start {
            return None;
        }
        let from = kept.events.partition_point(|e| e.cursor.seq <= cursor);
        Some(kept.events.range(from..).take(limit).cloned().collect())
    }

    fn end(&self) -> i64 {
        *self.end.borrow()
    }

    fn push(&self, read: Vec<ApplicationEvent>) {
        let Some(last) = read.last().map(|e| e.cursor.seq) else {
            return;
        };
        {
            let mut kept = self.lock();
            kept.events.extend(read.into_iter().map(Arc::new));
            while kept.events.len() > KEPT {
                if let Some(old) = kept.events.pop_front() {
                    kept.start = old.cursor.seq;
                }
            }
        }
        self.end.send_replace(last);
    }
}

/// Reads what the log gains, when the hub publishes (or every `interval`),
/// until `stop`.
pub(super) async fn follow(
    grants: Grants,
    log: Arc<Log>,
    mut published: watch::Receiver<i64>,
    interval: Duration,
    stop: CancellationToken,
) {
    loop {
        loop {
            match grants.log_after(log.end(), READ).await {
                Ok(read) => {
                    let full = read.len() as u64 == READ;
                    log.push(read);
                    if !full {
                        break;
                    }
                }
                Err(err) => {
                    tracing::warn!(%err, "the webhook sender cannot read the event log; will retry");
                    break;
                }
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            changed = published.changed() => {
                if changed.is_err() {
                    // No hub (it stopped): poll.
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(interval) => {}
                    }
                }
            }
            () = tokio::time::sleep(interval) => {}
        }
    }
}
