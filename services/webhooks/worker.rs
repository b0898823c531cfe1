//! One webhook's task: the events after its cursor, one at a time, in
//! commit order, from the log kept in memory (or the store, catching up).
//! Before each attempt it takes the webhook as it stands (an owner's
//! pause, change or deletion applies from the next attempt) and its key's
//! entitlement (a revocation disables it). Its attempts, progress and
//! disabling go to the batch writer.

use std::sync::Arc;

use super::sender::{Shared, Slot};
use crate::domain::event::ApplicationEvent;
use crate::domain::service::webhooks::Blocked;
use crate::domain::time::Timestamp;
use crate::domain::webhook::{DeliveryOutcome, Webhook, WebhookName};

/// Events taken at once.
const TAKE: usize = 100;

/// Where a webhook stands in this task.
struct State {
    name: WebhookName,
    cursor: i64,
    failures: i32,
    /// The version its failures were last taken from.
    version: i64,
    failing_since: Option<Timestamp>,
}

/// The task of the webhook `first` (as listed), from its cursor or the
/// one its previous task reached (`remembered`). Boxed: a task may read
/// the list, which starts tasks.
pub(super) fn work(
    shared: Arc<Shared>,
    slot: Arc<Slot>,
    first: Webhook,
    remembered: Option<i64>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    Box::pin(run(shared, slot, first, remembered))
}

async fn run(shared: Arc<Shared>, slot: Arc<Slot>, first: Webhook, remembered: Option<i64>) {
    let mut state = State {
        name: first.name.clone(),
        cursor: first.cursor.max(remembered.unwrap_or(i64::MIN)),
        failures: first.failures,
        version: first.version,
        failing_since: None,
    };
    loop {
        drain(&shared, &slot, &mut state).await;
        if shared.leave(&state.name, &slot, state.cursor) {
            return;
        }
        // Still deliverable: it stopped on an error; try again soon.
        if !shared.pause(shared.settings.interval).await && shared.leave(&state.name, &slot, state.cursor) {
            return;
        }
    }
}

/// Sends what is owed until it may not (paused, disabled, deleted, the
/// lease lost, the process stopping) or an error.
async fn drain(shared: &Arc<Shared>, slot: &Slot, state: &mut State) {
    let mut grown = shared.log.subscribe();
    while shared.may_send() {
        let events = match shared.log.after(state.cursor, TAKE) {
            Some(kept) => kept,
            None => match shared.grants.log_after(state.cursor, TAKE as u64).await {
                Ok(read) => read.into_iter().map(Arc::new).collect(),
                Err(err) => {
                    tracing::warn!(webhook = %state.name, %err, "reading a webhook's events failed");
                    return;
                }
            },
        };
        if events.is_empty() {
            grown.mark_unchanged();
            // Anything kept meanwhile? Else wait for the log to grow.
            if shared.log.after(state.cursor, 1).is_none_or(|e| e.is_empty()) {
                tokio::select! {
                    () = shared.stop.cancelled() => return,
                    _ = grown.changed() => {}
                    () = tokio::time::sleep(shared.settings.interval) => {}
                }
            }
            if shared.current(slot).await.is_none() {
                return;
            }
            continue;
        }
        for event in events {
            if !send(shared, slot, state, &event).await {
                return;
            }
        }
    }
}

/// Delivers one event (or skips it: out of scope, of another kind),
/// retrying until delivered or given up on; false when the task ends.
async fn send(shared: &Arc<Shared>, slot: &Slot, state: &mut State, event: &ApplicationEvent) -> bool {
    let seq = event.cursor.seq;
    let mut attempt = 1;
    loop {
        if !shared.may_send() {
            return false;
        }
        let Some(webhook) = shared.current(slot).await else {
            return false;
        };
        if webhook.version != state.version {
            // Its owner changed it (a resume clears the failures).
            state.version = webhook.version;
            state.failures = webhook.failures;
        }
        let entitled = match shared.entitlement(&webhook).await {
            Ok(Ok(entitled)) => entitled,
            Ok(Err(Blocked::Disable(why))) => {
                disable(shared, slot, &webhook, state.failures, why, "key");
                return false;
            }
            Err(err) => {
                tracing::warn!(webhook = %webhook.name, %err, "checking a webhook's key failed");
                return false;
            }
        };
        if !entitled.sends(&webhook, event) {
            state.cursor = seq;
            shared.batch.moved(&state.name, seq, state.failures);
            return true;
        }
        let body = match shared.deliverer.body(event, entitled.view) {
            Ok(body) => body,
            Err(err) => {
                tracing::warn!(webhook = %webhook.name, %err, "a delivery could not be made");
                return false;
            }
        };
        let delivery = {
            let Ok(_permit) = shared.permits.acquire().await else {
                return false;
            };
            shared
                .deliverer
                .post(&webhook, event.cursor, body, attempt, false)
                .await
        };
        let delivered = delivery.outcome == DeliveryOutcome::Delivered;
        shared.batch.attempt(delivery);
        if delivered {
            state.cursor = seq;
            state.failures = 0;
            state.failing_since = None;
            shared.batch.moved(&state.name, seq, 0);
            return true;
        }
        state.failures = state.failures.saturating_add(1);
        let since = *state.failing_since.get_or_insert_with(Timestamp::now);
        let given_up = Timestamp::now() >= since.plus(shared.settings.retry_for);
        if given_up {
            // Retried for the whole window: the event is given up on, the
            // next one goes.
            state.cursor = seq;
            state.failing_since = None;
        }
        shared.batch.moved(&state.name, state.cursor, state.failures);
        if state.failures >= shared.settings.max_failures {
            let why = format!("{} failed attempts in a row", state.failures);
            disable(shared, slot, &webhook, state.failures, why, "failures");
            return false;
        }
        if given_up {
            return true;
        }
        if !shared.pause(shared.backoff(state.failures)).await {
            return false;
        }
        attempt += 1;
    }
}

/// Ends the task and has `webhook` disabled for `why` once its attempts
/// are written (unless its owner changed it meanwhile).
fn disable(shared: &Shared, slot: &Slot, webhook: &Webhook, failures: i32, why: String, cause: &'static str) {
    shared.batch.disable(webhook.clone(), failures, why, cause);
    shared.drop_slot(slot);
}
