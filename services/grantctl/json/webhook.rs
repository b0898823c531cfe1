//! Proto3 JSON of the webhook messages grantctl prints: Webhook,
//! WebhookDelivery, and the responses that carry a secret (CreateWebhook,
//! RotateWebhookSecret).

use gba_grants::proto::v1;
use gba_grants::proto::v1::webhook::State;
use gba_grants::proto::v1::webhook_delivery::Outcome;
use serde_json::Value;

use super::Obj;

pub fn state_name(v: i32) -> Option<&'static str> {
    State::try_from(v).ok().map(|s| s.as_str_name())
}

pub fn kind_name(v: i32) -> Option<&'static str> {
    v1::WebhookEventKind::try_from(v).ok().map(|k| k.as_str_name())
}

pub fn outcome_name(v: i32) -> Option<&'static str> {
    Outcome::try_from(v).ok().map(|o| o.as_str_name())
}

pub fn webhook(w: &v1::Webhook) -> Value {
    let kinds = w
        .event_kinds
        .iter()
        .map(|k| kind_name(*k).map_or_else(|| Value::from(*k), Value::from))
        .collect();
    Obj::new()
        .str("name", &w.name)
        .str("url", &w.url)
        .str("programme", &w.programme)
        .str("institution", &w.institution)
        .list("event_kinds", kinds)
        .bool("paused", w.paused)
        .enumeration("state", w.state, state_name(w.state))
        .str("disabled_reason", &w.disabled_reason)
        .str("creator", &w.creator)
        .str("cursor", &w.cursor)
        .int32("consecutive_failures", w.consecutive_failures)
        .time("previous_secret_expire_time", w.previous_secret_expire_time.as_ref())
        .time("create_time", w.create_time.as_ref())
        .time("update_time", w.update_time.as_ref())
        .str("etag", &w.etag)
        .build()
}

pub fn delivery(d: &v1::WebhookDelivery) -> Value {
    Obj::new()
        .str("name", &d.name)
        .str("event", &d.event)
        .int32("attempt", d.attempt)
        .enumeration("outcome", d.outcome, outcome_name(d.outcome))
        .int32("response_code", d.response_code)
        .str("detail", &d.detail)
        .int64("latency_ms", d.latency_ms)
        .time("attempt_time", d.attempt_time.as_ref())
        .bool("redelivery", d.redelivery)
        .build()
}

/// `{"webhook": …, "secret": …}`: the CreateWebhook and
/// RotateWebhookSecret responses.
pub fn with_secret(w: Option<&v1::Webhook>, secret: &str) -> Value {
    Obj::new()
        .object("webhook", w.map(webhook))
        .str("secret", secret)
        .build()
}
