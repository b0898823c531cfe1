//! Webhooks' delivery: the event log carried to URLs, in commit order per
//! webhook, each event at least once, from a durable cursor, by the one
//! replica that holds the `webhook-sender` lease. The domain decides what
//! a webhook may see (`domain::service::webhooks_sending`); here it is
//! rendered, signed and POSTed.

mod batch;
pub mod http;
mod log;
pub mod render;
pub mod sender;
pub mod sign;
mod worker;

use bytes::Bytes;

use crate::domain::Result;
use crate::domain::event::{ApplicationEvent, Cursor};
use crate::domain::time::Timestamp;
use crate::domain::webhook::{Delivery, DeliveryOutcome, Webhook};

/// Renders, signs and POSTs one event: what every delivery and every
/// redelivery goes through.
#[derive(Clone)]
pub struct Deliverer {
    http: http::Sender,
    render: render::Renderer,
}

impl Deliverer {
    pub fn new(policy: crate::domain::webhook::UrlPolicy) -> Result<Self> {
        Ok(Self {
            http: http::Sender::new(policy)
                .map_err(|e| crate::domain::Error::internal(format!("the webhook client cannot start: {e}")))?,
            render: render::Renderer::new()?,
        })
    }

    /// A redelivery of `event` (already in its key's view) to `webhook`:
    /// the attempt, to be recorded.
    pub async fn redeliver(&self, webhook: &Webhook, event: ApplicationEvent) -> Result<Delivery> {
        let cursor = event.cursor;
        let body = self.render.body(event)?;
        Ok(self.post(webhook, cursor, body, 1, true).await)
    }

    /// The body of `event` (as read from the log) in `view`, rendered once
    /// for all webhooks of that view.
    pub fn body(&self, event: &ApplicationEvent, view: crate::domain::application::View) -> Result<Bytes> {
        self.render.body_in(event, view)
    }

    /// Signs and POSTs `body` (the event at `cursor`) to `webhook`: the
    /// attempt, not yet recorded.
    pub async fn post(
        &self,
        webhook: &Webhook,
        cursor: Cursor,
        body: Bytes,
        attempt: i32,
        redelivery: bool,
    ) -> Delivery {
        let now = Timestamp::now();
        let id = cursor.encode();
        let timestamp = now.micros() / 1_000_000;
        let signature = sign::signature(&webhook.signing_secrets(now), &id, timestamp, &body);
        let answer = self.http.post(&webhook.url, &id, timestamp, &signature, body).await;
        Delivery {
            id: crate::domain::ids::new_id(),
            webhook: webhook.name.clone(),
            event_seq: cursor.seq,
            attempt,
            outcome: if answer.delivered() {
                DeliveryOutcome::Delivered
            } else {
                DeliveryOutcome::Failed
            },
            response_code: i32::from(answer.code),
            detail: answer.detail,
            latency_ms: i64::try_from(answer.latency.as_millis()).unwrap_or(i64::MAX),
            time: now,
            redelivery,
        }
    }
}
