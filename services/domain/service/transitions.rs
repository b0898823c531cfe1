//! The state changes: submit and withdraw (applicants), review decisions
//! (officers), disbursements and closing (officers). Each decides inside
//! the store's transaction through [`crate::domain::lifecycle`].

use super::applications::StateChange;
use super::{Grants, RequestKey};
use crate::domain::access::Caller;
use crate::domain::application::{optional_reason, required_reason};
use crate::domain::error::{Error, Result, Violations};
use crate::domain::event::{Disbursement, DisbursementInput, parse_rate};
use crate::domain::ids::{ApplicationName, DisbursementName};
use crate::domain::lifecycle;
use crate::domain::money::Money;
use crate::domain::text;
use crate::domain::time::Timestamp;

impl Grants {
    pub async fn submit_application(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        etag: &str,
        request: Option<RequestKey>,
    ) -> Result<StateChange> {
        let now = Timestamp::now();
        let decide = |s: &lifecycle::Situation| {
            lifecycle::authorise(caller, lifecycle::Action::Submit, &s.application)?;
            check_etag(s, etag)?;
            lifecycle::submit(caller, s, now)
        };
        self.apply(caller, name, request, None, &decide).await
    }

    pub async fn withdraw_application(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        reason: &str,
        etag: &str,
        request: Option<RequestKey>,
    ) -> Result<StateChange> {
        let reason = optional_reason(reason)?;
        let now = Timestamp::now();
        let decide = |s: &lifecycle::Situation| {
            lifecycle::authorise(caller, lifecycle::Action::Withdraw, &s.application)?;
            check_etag(s, etag)?;
            lifecycle::withdraw(caller, s, reason.clone(), now)
        };
        self.apply(caller, name, request, None, &decide).await
    }

    pub async fn start_review(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        request: Option<RequestKey>,
    ) -> Result<StateChange> {
        let now = Timestamp::now();
        let decide = |s: &lifecycle::Situation| lifecycle::start_review(caller, s, now);
        self.apply(caller, name, request, None, &decide).await
    }

    pub async fn request_changes(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        reason: &str,
        request: Option<RequestKey>,
    ) -> Result<StateChange> {
        let reason = required_reason(reason)?;
        let now = Timestamp::now();
        let decide = |s: &lifecycle::Situation| lifecycle::request_changes(caller, s, reason.clone(), now);
        self.apply(caller, name, request, None, &decide).await
    }

    pub async fn reject_application(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        reason: &str,
        request: Option<RequestKey>,
    ) -> Result<StateChange> {
        let reason = required_reason(reason)?;
        let now = Timestamp::now();
        let decide = |s: &lifecycle::Situation| lifecycle::reject(caller, s, reason.clone(), now);
        self.apply(caller, name, request, None, &decide).await
    }

    pub async fn approve_application(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        awarded: Option<Money>,
        reason: &str,
        request: Option<RequestKey>,
    ) -> Result<StateChange> {
        let awarded = awarded.ok_or_else(|| Error::invalid("awarded_amount", "is required"))?;
        let reason = optional_reason(reason)?;
        let now = Timestamp::now();
        let decide = |s: &lifecycle::Situation| lifecycle::approve(caller, s, awarded.clone(), reason.clone(), now);
        self.apply(caller, name, request, None, &decide).await
    }

    pub async fn record_disbursement(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        input: DisbursementInput,
        request: Option<RequestKey>,
    ) -> Result<StateChange> {
        let DisbursementInput {
            amount,
            payee_amount,
            exchange_rate,
            pay_time,
            reference,
        } = input;
        let mut v = Violations::new();
        let f = |n: &str| format!("disbursement.{n}");
        match &amount {
            None => v.add(f("amount"), "is required"),
            Some(m) if !m.is_positive() => v.add(f("amount"), "must be greater than zero"),
            Some(_) => {}
        }
        match &payee_amount {
            None => v.add(f("payee_amount"), "is required"),
            Some(m) if !m.is_positive() => v.add(f("payee_amount"), "must be greater than zero"),
            Some(_) => {}
        }
        let rate = v.check(parse_rate(&exchange_rate, &f("exchange_rate")));
        let reference = v.check(text::optional(&reference, &f("reference"), 200));
        let now = Timestamp::now();
        if pay_time.is_some_and(|t| t > now) {
            v.add(f("pay_time"), "must not be in the future");
        }
        v.finish()?;
        let (Some(amount), Some(payee_amount), Some(exchange_rate), Some(reference)) =
            (amount, payee_amount, rate, reference)
        else {
            return Err(Error::internal("disbursement validation lost a violation"));
        };
        let disbursement = Disbursement {
            name: DisbursementName::generate(name.clone()),
            amount,
            payee_amount,
            exchange_rate,
            pay_time: pay_time.unwrap_or(now),
            reference,
            create_time: now,
        };
        let claim = disbursement.name.clone();
        let decide = |s: &lifecycle::Situation| lifecycle::disburse(caller, s, disbursement.clone(), now);
        self.apply(caller, name, request, Some(&claim), &decide).await
    }

    pub async fn close_grant(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        reason: &str,
        request: Option<RequestKey>,
    ) -> Result<StateChange> {
        let reason = optional_reason(reason)?;
        let now = Timestamp::now();
        let decide = |s: &lifecycle::Situation| lifecycle::close(caller, s, reason.clone(), now);
        self.apply(caller, name, request, None, &decide).await
    }

    pub async fn list_disbursements(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        page_size: i32,
        page_token: &str,
    ) -> Result<crate::domain::page::Page<Disbursement>> {
        self.get_application(caller, name).await?;
        let page = crate::domain::page::PageRequest::parse(page_size, page_token, &name.to_string(), "")?;
        let rows = self.store.list_disbursements(name, &page).await?;
        Ok(crate::domain::page::Page::from_rows(&page, rows, |d: &Disbursement| {
            d.name.id().to_owned()
        }))
    }
}

/// An optional etag: when sent, it must be current (checked after access).
fn check_etag(s: &lifecycle::Situation, etag: &str) -> Result<()> {
    if etag.is_empty() || s.application.etag() == etag {
        return Ok(());
    }
    Err(Error::Aborted {
        reason: crate::domain::Reason::EtagMismatch,
        message: format!(
            "{} changed since it was read (etag {})",
            s.application.name,
            s.application.etag()
        ),
    })
}
