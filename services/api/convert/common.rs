//! Money, regions, timestamps and request fingerprints.

use prost::Message;
use sha2::{Digest, Sha256};

use crate::domain::institution::Region;
use crate::domain::money::{Money, Total};
use crate::domain::time::Timestamp;
use crate::domain::{Error, RequestKey, Result};
use crate::proto::v1;

pub fn money_in(value: Option<v1::Money>, field: &str) -> Result<Option<Money>> {
    value
        .map(
            |v1::Money {
                 currency_code,
                 units,
                 nanos,
             }| Money::from_parts(&currency_code, units, nanos, field),
        )
        .transpose()
}

/// A resource amount in the `ResourceAmount` shape; `field` is its path.
pub fn resource_in(value: Option<v1::ResourceAmount>, field: &str) -> Result<Option<Money>> {
    value
        .map(|v1::ResourceAmount { unit, steps, value: _ }| Money::from_steps(&unit, steps, field))
        .transpose()
}

/// An amount a client may give as money or, on a facility programme, as
/// a resource: at most one of the two fields.
pub fn amount_in(
    money: Option<v1::Money>,
    resource: Option<v1::ResourceAmount>,
    money_field: &str,
    resource_field: &str,
) -> Result<Option<Money>> {
    match (money, resource) {
        (Some(_), Some(_)) => Err(crate::domain::Error::invalid(
            resource_field,
            format!("set {money_field} on a money programme or {resource_field} on a facility programme, not both"),
        )),
        (money, None) => money_in(money, money_field),
        (None, resource) => resource_in(resource, resource_field),
    }
}

pub fn resource_out(value: &Money) -> v1::ResourceAmount {
    let steps = value.minor();
    v1::ResourceAmount {
        unit: value.currency().code().to_owned(),
        steps,
        value: crate::units::decimal(steps, value.currency().steps_per_unit()),
    }
}

/// An amount in its field: money in the money field, a resource in the
/// resource field, the other left unset.
pub fn amount_out(value: &Money) -> (Option<v1::Money>, Option<v1::ResourceAmount>) {
    match value.currency().is_resource() {
        true => (None, Some(resource_out(value))),
        false => (Some(money_out(value)), None),
    }
}

/// A total in its field, as `amount_out`; steps beyond i64 saturate.
pub fn total_amount_out(value: &Total) -> (Option<v1::Money>, Option<v1::ResourceAmount>) {
    if !value.currency().is_resource() {
        return (Some(total_out(value)), None);
    }
    let steps = i64::try_from(value.minor()).unwrap_or(if value.minor() > 0 { i64::MAX } else { i64::MIN });
    (
        None,
        Some(resource_out(&Money::from_minor(value.currency().clone(), steps))),
    )
}

/// A period as sent: either bound may be missing (the domain says which).
pub fn period_in(value: v1::Period, field: &str) -> Result<crate::domain::facility::PeriodInput> {
    let v1::Period { start_time, end_time } = value;
    Ok(crate::domain::facility::PeriodInput {
        start: time_in(start_time, &format!("{field}.start_time"))?,
        end: time_in(end_time, &format!("{field}.end_time"))?,
    })
}

pub fn period_out(value: crate::domain::facility::Period) -> v1::Period {
    v1::Period {
        start_time: Some(time_out(value.start)),
        end_time: Some(time_out(value.end)),
    }
}

pub fn money_out(value: &Money) -> v1::Money {
    let (units, nanos) = value.units_nanos();
    v1::Money {
        currency_code: value.currency().code().to_owned(),
        units,
        nanos,
    }
}

pub fn total_out(value: &Total) -> v1::Money {
    let (units, nanos) = value.units_nanos();
    v1::Money {
        currency_code: value.currency().code().to_owned(),
        units,
        nanos,
    }
}

pub fn region_in(value: i32, field: &str) -> Result<Option<Region>> {
    match v1::Region::try_from(value) {
        Ok(v1::Region::Unspecified) => Ok(None),
        Ok(v1::Region::HongKong) => Ok(Some(Region::HongKong)),
        Ok(v1::Region::Macao) => Ok(Some(Region::Macao)),
        Ok(v1::Region::Guangdong) => Ok(Some(Region::Guangdong)),
        Err(_) => Err(Error::invalid(field, format!("{value} is not a region"))),
    }
}

pub fn region_out(value: Region) -> v1::Region {
    match value {
        Region::HongKong => v1::Region::HongKong,
        Region::Macao => v1::Region::Macao,
        Region::Guangdong => v1::Region::Guangdong,
    }
}

const MICROS_PER_SECOND: i64 = 1_000_000;

pub fn time_in(value: Option<prost_types::Timestamp>, field: &str) -> Result<Option<Timestamp>> {
    let Some(prost_types::Timestamp { seconds, nanos }) = value else {
        return Ok(None);
    };
    if !(0..1_000_000_000).contains(&nanos) {
        return Err(Error::invalid(
            format!("{field}.nanos"),
            "must be within 0..=999,999,999",
        ));
    }
    // Years 1..=9999, as google.protobuf.Timestamp allows.
    if !(-62_135_596_800..=253_402_300_799).contains(&seconds) {
        return Err(Error::invalid(format!("{field}.seconds"), "is outside years 1..=9999"));
    }
    Ok(Some(Timestamp::from_micros(
        seconds * MICROS_PER_SECOND + i64::from(nanos / 1_000),
    )))
}

pub fn time_out(value: Timestamp) -> prost_types::Timestamp {
    let micros = value.micros();
    let nanos = micros.rem_euclid(MICROS_PER_SECOND) * 1_000;
    prost_types::Timestamp {
        seconds: micros.div_euclid(MICROS_PER_SECOND),
        nanos: i32::try_from(nanos).unwrap_or(0),
    }
}

/// The idempotency key of a request: its `request_id` and a digest of
/// the method and the whole request.
pub fn request_key<M: Message>(method: &str, request_id: &str, message: &M) -> Option<RequestKey> {
    if request_id.is_empty() {
        return None;
    }
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(message.encode_to_vec());
    Some(RequestKey {
        request_id: request_id.to_owned(),
        fingerprint: hex::encode(hasher.finalize()),
    })
}

/// A resource name, or empty where the domain hid it (an empty id).
pub fn name_or_empty(name: &impl std::fmt::Display, id: &str) -> String {
    if id.is_empty() { String::new() } else { name.to_string() }
}
