//! Webhook and delivery messages.

use super::common::time_out;
use crate::domain::webhook::{Delivery, DeliveryOutcome, EventKind, Webhook, WebhookInput, WebhookScope, WebhookState};
use crate::proto::v1;

fn kind_in(value: i32) -> Option<EventKind> {
    use v1::WebhookEventKind as K;
    match K::try_from(value) {
        Ok(K::StateChange) => Some(EventKind::StateChange),
        Ok(K::Disbursement) => Some(EventKind::Disbursement),
        Ok(K::Review) => Some(EventKind::Review),
        Ok(K::Document) => Some(EventKind::Document),
        Ok(K::Team) => Some(EventKind::Team),
        Ok(K::Report) => Some(EventKind::Report),
        Ok(K::Unspecified) | Err(_) => None,
    }
}

fn kind_out(value: EventKind) -> v1::WebhookEventKind {
    use v1::WebhookEventKind as K;
    match value {
        EventKind::StateChange => K::StateChange,
        EventKind::Disbursement => K::Disbursement,
        EventKind::Review => K::Review,
        EventKind::Document => K::Document,
        EventKind::Team => K::Team,
        EventKind::Report => K::Report,
    }
}

/// The settable fields; also returns `name` and `etag`.
pub fn input(value: Option<v1::Webhook>) -> (WebhookInput, String, String) {
    let v1::Webhook {
        name,
        url,
        programme,
        institution,
        event_kinds,
        paused,
        state: _,
        disabled_reason: _,
        creator: _,
        cursor: _,
        consecutive_failures: _,
        previous_secret_expire_time: _,
        create_time: _,
        update_time: _,
        etag,
    } = value.unwrap_or_default();
    (
        WebhookInput {
            url,
            programme,
            institution,
            kinds: event_kinds.into_iter().map(kind_in).collect(),
            paused,
        },
        name,
        etag,
    )
}

pub fn output(value: Webhook, log: crate::domain::event::LogId) -> v1::Webhook {
    let etag = value.etag();
    let state = value.state();
    let Webhook {
        name,
        url,
        scope,
        kinds,
        paused,
        disabled,
        creator,
        cursor,
        failures,
        secret: _,
        previous,
        version: _,
        create_time,
        update_time,
    } = value;
    let (programme, institution) = match scope {
        WebhookScope::All => (String::new(), String::new()),
        WebhookScope::Programme(p) => (p.to_string(), String::new()),
        WebhookScope::Institution(i) => (String::new(), i.to_string()),
    };
    v1::Webhook {
        name: name.to_string(),
        url,
        programme,
        institution,
        event_kinds: kinds.into_iter().map(|k| kind_out(k).into()).collect(),
        paused,
        state: match state {
            WebhookState::Active => v1::webhook::State::Active,
            WebhookState::Paused => v1::webhook::State::Paused,
            WebhookState::Disabled => v1::webhook::State::Disabled,
        }
        .into(),
        disabled_reason: disabled.unwrap_or_default(),
        creator: creator.to_string(),
        cursor: crate::domain::event::Cursor::new(log, cursor).encode(),
        consecutive_failures: failures,
        previous_secret_expire_time: previous.map(|(_, until)| time_out(until)),
        create_time: Some(time_out(create_time)),
        update_time: Some(time_out(update_time)),
        etag,
    }
}

pub fn delivery_out(value: Delivery, log: crate::domain::event::LogId) -> v1::WebhookDelivery {
    let Delivery {
        id,
        webhook,
        event_seq,
        attempt,
        outcome,
        response_code,
        detail,
        latency_ms,
        time,
        redelivery,
    } = value;
    v1::WebhookDelivery {
        name: format!("{webhook}/deliveries/{id}"),
        event: crate::domain::event::Cursor::new(log, event_seq).encode(),
        attempt,
        outcome: match outcome {
            DeliveryOutcome::Delivered => v1::webhook_delivery::Outcome::Delivered,
            DeliveryOutcome::Failed => v1::webhook_delivery::Outcome::Failed,
            DeliveryOutcome::Skipped => v1::webhook_delivery::Outcome::Skipped,
        }
        .into(),
        response_code,
        detail,
        latency_ms,
        attempt_time: Some(time_out(time)),
        redelivery,
    }
}
