//! Row of `disbursement`, and its conversions.

use sea_orm::entity::prelude::*;

use super::{corrupt, entity};
use crate::domain::Result;
use crate::domain::application::Application;
use crate::domain::event::Disbursement;
use crate::domain::facility::Period;
use crate::domain::ids::DisbursementName;
use crate::domain::money::{Currency, Money};
use crate::domain::time::Timestamp;

entity! {
    #[sea_orm(table_name = "disbursement")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub application_id: String,
        pub programme_id: String,
        pub amount_minor: i64,
        pub payee_currency: String,
        pub payee_minor: i64,
        /// Bank charges deducted from the payee amount, in the payee
        /// currency.
        pub bank_charges_minor: i64,
        pub exchange_rate: String,
        pub pay_time: i64,
        pub reference: String,
        pub create_time: i64,
        /// Added by m0011: the tranche paid (none: before schedules).
        #[serde(default)]
        pub tranche: Option<i32>,
        /// Added by m0013: the period of a facility award's usage.
        #[serde(default)]
        pub period_start: Option<i64>,
        #[serde(default)]
        pub period_end: Option<i64>,
    }
}

/// A payment of `application` (whose currency its amount is in).
pub fn to_domain(m: Model, application: &Application) -> Result<Disbursement> {
    let Model {
        id,
        application_id: _,
        programme_id: _,
        amount_minor,
        payee_currency,
        payee_minor,
        bank_charges_minor,
        exchange_rate,
        pay_time,
        reference,
        create_time,
        tranche,
        period_start,
        period_end,
    } = m;
    let payee = Currency::parse_stored(&payee_currency, "payee_currency").map_err(|e| corrupt("disbursement", e))?;
    Ok(Disbursement {
        name: DisbursementName::new(application.name.clone(), id),
        amount: Money::from_minor(application.disbursed.currency().clone(), amount_minor),
        payee_amount: Money::from_minor(payee.clone(), payee_minor),
        bank_charges: Money::from_minor(payee, bank_charges_minor),
        exchange_rate,
        pay_time: Timestamp::from_micros(pay_time),
        reference,
        create_time: Timestamp::from_micros(create_time),
        tranche: tranche.map_or(0, |t| t.max(0) as u32),
        period: match (period_start, period_end) {
            (Some(start), Some(end)) => Some(Period {
                start: Timestamp::from_micros(start),
                end: Timestamp::from_micros(end),
            }),
            _ => None,
        },
    })
}

pub fn to_model(d: &Disbursement) -> Model {
    Model {
        id: d.name.id().to_owned(),
        application_id: d.name.application.id().to_owned(),
        programme_id: d.name.application.programme.id().to_owned(),
        amount_minor: d.amount.minor(),
        payee_currency: d.payee_amount.currency().code().to_owned(),
        payee_minor: d.payee_amount.minor(),
        bank_charges_minor: d.bank_charges.minor(),
        exchange_rate: d.exchange_rate.clone(),
        pay_time: d.pay_time.micros(),
        reference: d.reference.clone(),
        create_time: d.create_time.micros(),
        tranche: (d.tranche > 0).then_some(d.tranche as i32),
        period_start: d.period.map(|p| p.start.micros()),
        period_end: d.period.map(|p| p.end.micros()),
    }
}
