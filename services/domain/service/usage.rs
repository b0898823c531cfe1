//! Usage of facility awards: recorded by the facility's officer, listed
//! like payments. A usage record is a disbursement whose amount is in the
//! programme's resource unit, so it takes the one write path of payments
//! (the allocation bounds it, its reference is unique in the programme)
//! and is told apart only here and at the edge.

use std::sync::Arc;

use super::applications::StateChange;
use super::{Grants, RequestKey};
use crate::domain::access::{Caller, Role};
use crate::domain::error::{Error, Reason, Result, Violations};
use crate::domain::event::Disbursement;
use crate::domain::facility::{Period, UsageInput};
use crate::domain::ids::{ApplicationName, DisbursementName};
use crate::domain::lifecycle;
use crate::domain::money::Money;
use crate::domain::page::{Page, PageRequest};
use crate::domain::ports::ApplicationChange;
use crate::domain::text;
use crate::domain::time::Timestamp;

/// Longest usage reference (an experiment number, a job-accounting id).
pub const MAX_REFERENCE_CHARS: usize = 100;

impl Grants {
    pub async fn record_usage(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        input: UsageInput,
        request: Option<RequestKey>,
    ) -> Result<StateChange> {
        let UsageInput {
            amount,
            period,
            reference,
        } = input;
        let f = |n: &str| format!("usage_record.{n}");
        let mut v = Violations::new();
        match &amount {
            None => v.add(f("amount"), "is required"),
            Some(m) if !m.is_positive() => v.add(f("amount"), "must be greater than zero"),
            Some(_) => {}
        }
        let now = Timestamp::now();
        let period = match period {
            None => {
                v.add(f("period"), "is required");
                None
            }
            Some(p) => v.check(Period::parse(p, &f("period"))),
        };
        if period.is_some_and(|p| p.start > now) {
            v.add(
                f("period.start_time"),
                "must not be in the future: usage is recorded once it began",
            );
        }
        let reference = v.check(text::line(&reference, &f("reference"), MAX_REFERENCE_CHARS));
        v.finish()?;
        let (Some(amount), Some(period), Some(reference)) = (amount, period, reference) else {
            return Err(Error::internal("usage validation lost a violation"));
        };
        let usage = Disbursement {
            name: DisbursementName::generate(name.clone()),
            payee_amount: amount.clone(),
            bank_charges: Money::zero(amount.currency().clone()),
            amount,
            exchange_rate: "1".to_owned(),
            pay_time: period.end.min(now),
            reference,
            create_time: now,
            tranche: 0,
            period: Some(period),
        };
        let claim = usage.name.clone();
        let who = caller.clone();
        let decide: ApplicationChange =
            Arc::new(move |s: &lifecycle::Situation| lifecycle::disburse(&who, s, usage.clone(), now));
        self.apply(caller, name, request, Some(&claim), false, decide)
            .await
            .map_err(as_usage)
    }

    /// The usage records of a facility award, oldest first.
    pub async fn list_usage_records(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<Disbursement>> {
        self.list_payments(caller, name, page_size, page_token, true).await
    }

    /// Payments (`usage` false) or usage records of one application; the
    /// other kind is INVALID_ARGUMENT naming `parent`.
    pub(super) async fn list_payments(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        page_size: i32,
        page_token: &str,
        usage: bool,
    ) -> Result<Page<Disbursement>> {
        // Payments and usage are no reviewer's business, even on an
        // assigned application.
        caller.require(
            &[Role::Admin, Role::Officer, Role::Applicant, Role::Viewer],
            if usage {
                "list usage records"
            } else {
                "list disbursements"
            },
        )?;
        let application = self.get_application(caller, name).await?;
        match (application.disbursed.currency().is_resource(), usage) {
            (true, false) => {
                return Err(Error::invalid(
                    "parent",
                    "is an application to a facility programme: list its usage with ListUsageRecords",
                ));
            }
            (false, true) => {
                return Err(Error::invalid(
                    "parent",
                    "is an application to a money programme: list its payments with ListDisbursements",
                ));
            }
            _ => {}
        }
        let page = PageRequest::parse(page_size, page_token, &name.to_string(), "")?;
        let rows = self.store.list_disbursements(name, &page).await?;
        Ok(Page::from_rows(&page, rows, |d: &Disbursement| d.name.id().to_owned()))
    }
}

/// A payment's refusals in a usage record's words.
fn as_usage(e: Error) -> Error {
    match e {
        Error::AlreadyExists {
            reason: Reason::DuplicatePaymentReference,
            message,
        } => Error::AlreadyExists {
            reason: Reason::DuplicateUsageReference,
            message: message
                .replace("disbursement.reference", "usage_record.reference")
                .replace("payment reference", "usage reference")
                .replace("/disbursements/", "/usageRecords/"),
        },
        other => other,
    }
}
