//! Webhooks' delivery: the event log carried to URLs, in commit order per
//! webhook, each event at least once, from a durable cursor, by the one
//! replica that holds the `webhook-sender` lease. The domain decides what
//! a webhook is owed (`domain::service::webhooks`); here it is rendered,
//! signed and POSTed.

pub mod http;
pub mod render;
pub mod sender;
pub mod sign;

use crate::domain::event::{ApplicationEvent, Cursor};
use crate::domain::time::Timestamp;
use crate::domain::webhook::{Delivery, DeliveryOutcome, Webhook};
use crate::domain::{Grants, Result};

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

    /// One attempt to deliver `event` to `webhook`, recorded in its log.
    pub async fn attempt(
        &self,
        grants: &Grants,
        webhook: &Webhook,
        event: ApplicationEvent,
        view: Option<crate::domain::application::View>,
        attempt: i32,
        redelivery: bool,
    ) -> Result<Delivery> {
        let cursor: Cursor = event.cursor;
        let body = match view {
            Some(view) => self.render.body_in(event, view)?,
            None => self.render.body(event)?,
        };
        let now = Timestamp::now();
        let id = cursor.encode();
        let timestamp = now.micros() / 1_000_000;
        let signature = sign::signature(&webhook.signing_secrets(now), &id, timestamp, &body);
        let answer = self.http.post(&webhook.url, &id, timestamp, &signature, body).await;
        let delivery = Delivery {
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
        };
        grants.record_webhook_delivery(&delivery).await?;
        Ok(delivery)
    }
}
