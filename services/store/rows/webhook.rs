//! Rows of `webhook` and `webhook_delivery`, and their conversions.

use sea_orm::entity::prelude::*;

use super::{corrupt, entity, ids};
use crate::domain::Result;
use crate::domain::ids::{ApiKeyName, InstitutionName, ProgrammeName};
use crate::domain::time::Timestamp;
use crate::domain::webhook::{EventKind, Secret, Webhook, WebhookName, WebhookScope};

entity! {
    #[sea_orm(table_name = "webhook")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub creator_key_id: String,
        pub url: String,
        pub programme_id: Option<String>,
        pub institution_id: Option<String>,
        /// Comma-separated event kinds; empty: every kind.
        pub event_kinds: String,
        pub paused: bool,
        pub disabled_reason: Option<String>,
        /// The log position of the last event delivered or given up on.
        pub cursor_seq: i64,
        pub failures: i32,
        /// The signing secret, base64 (HMAC needs the secret itself).
        pub secret: String,
        pub previous_secret: Option<String>,
        pub previous_secret_until: Option<i64>,
        pub version: i64,
        pub create_time: i64,
        pub update_time: i64,
    }
}

pub fn to_domain(m: Model) -> Result<Webhook> {
    let Model {
        id,
        creator_key_id,
        url,
        programme_id,
        institution_id,
        event_kinds,
        paused,
        disabled_reason,
        cursor_seq,
        failures,
        secret,
        previous_secret,
        previous_secret_until,
        version,
        create_time,
        update_time,
    } = m;
    let scope = match (programme_id, institution_id) {
        (Some(p), _) => WebhookScope::Programme(ProgrammeName::from_id(p)),
        (None, Some(i)) => WebhookScope::Institution(InstitutionName::from_id(i)),
        (None, None) => WebhookScope::All,
    };
    let kinds = ids(&event_kinds)
        .map(|k| {
            EventKind::from_str_exact(k)
                .ok_or_else(|| corrupt("webhook", crate::domain::Error::internal(format!("event kind {k:?}"))))
        })
        .collect::<Result<Vec<_>>>()?;
    let previous = match (previous_secret, previous_secret_until) {
        (Some(s), Some(until)) => Some((Secret::from_stored(&s)?, Timestamp::from_micros(until))),
        _ => None,
    };
    Ok(Webhook {
        name: WebhookName::from_id(id),
        url,
        scope,
        kinds,
        paused,
        disabled: disabled_reason,
        creator: ApiKeyName::from_id(creator_key_id),
        cursor: cursor_seq,
        failures,
        secret: Secret::from_stored(&secret)?,
        previous,
        version,
        create_time: Timestamp::from_micros(create_time),
        update_time: Timestamp::from_micros(update_time),
    })
}

pub fn to_model(w: &Webhook) -> Model {
    let (programme_id, institution_id) = match &w.scope {
        WebhookScope::All => (None, None),
        WebhookScope::Programme(p) => (Some(p.id().to_owned()), None),
        WebhookScope::Institution(i) => (None, Some(i.id().to_owned())),
    };
    Model {
        id: w.name.id().to_owned(),
        creator_key_id: w.creator.id().to_owned(),
        url: w.url.clone(),
        programme_id,
        institution_id,
        event_kinds: w.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(","),
        paused: w.paused,
        disabled_reason: w.disabled.clone(),
        cursor_seq: w.cursor,
        failures: w.failures,
        secret: w.secret.stored(),
        previous_secret: w.previous.as_ref().map(|(s, _)| s.stored()),
        previous_secret_until: w.previous.as_ref().map(|(_, t)| t.micros()),
        version: w.version,
        create_time: w.create_time.micros(),
        update_time: w.update_time.micros(),
    }
}

pub mod delivery {
    //! Row of `webhook_delivery`: one attempt.

    use sea_orm::entity::prelude::*;

    use super::super::{corrupt, entity};
    use crate::domain::Result;
    use crate::domain::time::Timestamp;
    use crate::domain::webhook::{Delivery, DeliveryOutcome, WebhookName};

    entity! {
        #[sea_orm(table_name = "webhook_delivery")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: String,
            pub webhook_id: String,
            pub event_seq: i64,
            pub attempt: i32,
            pub outcome: String,
            pub response_code: i32,
            pub detail: String,
            pub latency_ms: i64,
            pub attempt_time: i64,
            pub redelivery: bool,
        }
    }

    pub fn to_domain(m: Model) -> Result<Delivery> {
        let Model {
            id,
            webhook_id,
            event_seq,
            attempt,
            outcome,
            response_code,
            detail,
            latency_ms,
            attempt_time,
            redelivery,
        } = m;
        Ok(Delivery {
            id,
            webhook: WebhookName::from_id(webhook_id),
            event_seq,
            attempt,
            outcome: DeliveryOutcome::from_str_exact(&outcome)
                .ok_or_else(|| corrupt("webhook_delivery", crate::domain::Error::internal(outcome.clone())))?,
            response_code,
            detail,
            latency_ms,
            time: Timestamp::from_micros(attempt_time),
            redelivery,
        })
    }

    pub fn to_model(d: &Delivery) -> Model {
        Model {
            id: d.id.clone(),
            webhook_id: d.webhook.id().to_owned(),
            event_seq: d.event_seq,
            attempt: d.attempt,
            outcome: d.outcome.as_str().to_owned(),
            response_code: d.response_code,
            detail: d.detail.clone(),
            latency_ms: d.latency_ms,
            attempt_time: d.time.micros(),
            redelivery: d.redelivery,
        }
    }
}
