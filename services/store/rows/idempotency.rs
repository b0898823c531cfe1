//! Row of `idempotency_record`: a caller's request id, the fingerprint
//! of the request, and the first call's response (the rows it returned,
//! as JSON), replayed to retries byte for byte however the resource
//! changed since.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::{application, disbursement, entity, from_json, review};
use crate::domain::lifecycle::Outcome;
use crate::domain::ports::{Changed, Idempotency};
use crate::domain::time::Timestamp;
use crate::domain::{Error, FieldViolation, Reason, Result};

entity! {
    #[sea_orm(table_name = "idempotency_record")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub caller: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub request_id: String,
        pub fingerprint: String,
        /// Resource name (or id) the first call produced.
        pub resource: String,
        pub create_time: i64,
        /// The first call's response (the stored rows, as JSON), replayed
        /// to retries. `None` for records written before responses were
        /// kept.
        pub response: Option<String>,
    }
}

/// A request id already used: the first call's answer.
#[derive(Debug)]
pub struct Replay {
    pub resource: String,
    /// `None` for a record written before responses were kept (then: the
    /// resource it made or changed, read now).
    pub response: Option<String>,
}

/// The replay of a found record, or REQUEST_ID_REUSED when the id was
/// used for another request.
pub fn replay(found: Model, idem: &Idempotency) -> Result<Replay> {
    if found.fingerprint != idem.fingerprint {
        return Err(Error::InvalidArgument {
            reason: Reason::RequestIdReused,
            violations: vec![FieldViolation::new(
                "request_id",
                "was already used for a different request; use a new request_id",
            )],
        });
    }
    metrics::counter!("gba_grants_idempotent_replays_total").increment(1);
    Ok(Replay {
        resource: found.resource,
        response: found.response,
    })
}

/// The record of a call that claimed `idem` for `resource`, with its
/// response.
pub fn record(idem: &Idempotency, resource: &str, response: String, now: Timestamp) -> Model {
    Model {
        caller: idem.caller.id().to_owned(),
        request_id: idem.request_id.clone(),
        fingerprint: idem.fingerprint.clone(),
        resource: resource.to_owned(),
        create_time: now.micros(),
        response: Some(response),
    }
}

/// What a change of an application returned, kept for replays.
#[derive(Serialize, Deserialize)]
pub struct ChangeResponse {
    pub application: application::Model,
    pub disbursement: Option<disbursement::Model>,
    #[serde(default)]
    pub review: Option<review::Model>,
    #[serde(default)]
    pub review_label: Option<String>,
    /// The document stored or deleted.
    #[serde(default)]
    pub document: Option<super::document::Kept>,
}

impl ChangeResponse {
    pub fn of(outcome: &Outcome) -> Self {
        Self {
            application: application::to_model(&outcome.application),
            disbursement: outcome.disbursement.as_ref().map(disbursement::to_model),
            review: outcome.review.as_ref().map(review::to_model),
            review_label: outcome.review_label.clone(),
            document: outcome
                .document
                .as_ref()
                .map(|d| super::document::to_kept(d.document())),
        }
    }

    /// The replay of a kept response.
    pub fn replayed(text: &str) -> Result<Changed> {
        let Self {
            application,
            disbursement,
            review,
            review_label,
            document,
        } = from_json("response", text)?;
        let application = application::to_domain(application)?;
        let disbursement = disbursement
            .map(|d| disbursement::to_domain(d, &application).map(Box::new))
            .transpose()?;
        let review = review.map(|r| review::to_domain(r).map(Box::new)).transpose()?;
        let document = document
            .map(|d| super::document::from_kept(d).map(Box::new))
            .transpose()?;
        Ok(Changed::Replayed {
            application: Box::new(application),
            disbursement,
            review,
            review_label,
            document,
        })
    }
}
