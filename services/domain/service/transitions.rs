//! The state changes: submit and withdraw (applicants), review decisions
//! (officers), disbursements and closing (officers). Each decides inside
//! the store's transaction through [`crate::domain::lifecycle`].

use std::sync::Arc;

use super::applications::StateChange;
use super::{Grants, RequestKey};
use crate::domain::access::Caller;
use crate::domain::application::{optional_reason, required_reason};
use crate::domain::error::{Error, FieldViolation, Reason, Result, Violations};
use crate::domain::event::{Disbursement, DisbursementInput, convert, parse_rate};
use crate::domain::ids::{ApplicationName, DisbursementName};
use crate::domain::lifecycle;
use crate::domain::money::Money;
use crate::domain::ports::ApplicationChange;
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
        let (who, etag) = (caller.clone(), etag.to_owned());
        let decide: ApplicationChange = Arc::new(move |s: &lifecycle::Situation| {
            lifecycle::authorise(&who, lifecycle::Action::Submit, &s.application)?;
            check_etag(s, &etag)?;
            lifecycle::submit(&who, s, now)
        });
        self.apply(caller, name, request, None, false, decide).await
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
        let (who, etag) = (caller.clone(), etag.to_owned());
        let decide: ApplicationChange = Arc::new(move |s: &lifecycle::Situation| {
            lifecycle::authorise(&who, lifecycle::Action::Withdraw, &s.application)?;
            check_etag(s, &etag)?;
            lifecycle::withdraw(&who, s, reason.clone(), now)
        });
        self.apply(caller, name, request, None, false, decide).await
    }

    /// An institution's sign-off of the application as it stands at
    /// `etag` (required: nobody signs content they did not see).
    pub async fn endorse_application(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        etag: &str,
        institution: &str,
        request: Option<RequestKey>,
    ) -> Result<StateChange> {
        if etag.is_empty() {
            return Err(Error::invalid(
                "etag",
                "is required: the etag of the content you endorse",
            ));
        }
        let institution = signer(institution)?;
        let now = Timestamp::now();
        let (who, etag) = (caller.clone(), etag.to_owned());
        let decide: ApplicationChange = Arc::new(move |s: &lifecycle::Situation| {
            if !lifecycle::may_see(&who, &s.application) {
                return Err(lifecycle::not_visible(&s.application.name));
            }
            check_etag(s, &etag)?;
            crate::domain::signoff::endorse(&who, s, institution.as_ref(), now)
        });
        self.apply(caller, name, request, None, false, decide).await
    }

    /// Withdraws an institution's sign-off.
    pub async fn withdraw_endorsement(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        institution: &str,
        reason: &str,
        etag: &str,
        request: Option<RequestKey>,
    ) -> Result<StateChange> {
        let reason = optional_reason(reason)?;
        let institution = signer(institution)?;
        let now = Timestamp::now();
        let (who, etag) = (caller.clone(), etag.to_owned());
        let decide: ApplicationChange = Arc::new(move |s: &lifecycle::Situation| {
            if !lifecycle::may_see(&who, &s.application) {
                return Err(lifecycle::not_visible(&s.application.name));
            }
            check_etag(s, &etag)?;
            crate::domain::signoff::withdraw_endorsement(&who, s, institution.as_ref(), reason.clone(), now)
        });
        self.apply(caller, name, request, None, false, decide).await
    }

    pub async fn start_review(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        request: Option<RequestKey>,
    ) -> Result<StateChange> {
        let now = Timestamp::now();
        let who = caller.clone();
        let decide: ApplicationChange = Arc::new(move |s: &lifecycle::Situation| lifecycle::start_review(&who, s, now));
        self.apply(caller, name, request, None, false, decide).await
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
        let who = caller.clone();
        let decide: ApplicationChange =
            Arc::new(move |s: &lifecycle::Situation| lifecycle::request_changes(&who, s, reason.clone(), now));
        self.apply(caller, name, request, None, false, decide).await
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
        let who = caller.clone();
        let decide: ApplicationChange =
            Arc::new(move |s: &lifecycle::Situation| lifecycle::reject(&who, s, reason.clone(), now));
        self.apply(caller, name, request, None, false, decide).await
    }

    pub async fn approve_application(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        approval: Approval,
        request: Option<RequestKey>,
    ) -> Result<StateChange> {
        let Approval {
            awarded,
            reason,
            override_reviews,
            schedule,
        } = approval;
        let reason = optional_reason(reason.as_str())?;
        let now = Timestamp::now();
        let who = caller.clone();
        let decide: ApplicationChange = Arc::new(move |s: &lifecycle::Situation| {
            lifecycle::approve(
                &who,
                s,
                awarded.clone(),
                reason.clone(),
                override_reviews,
                schedule.as_ref(),
                now,
            )
        });
        self.apply(caller, name, request, None, true, decide).await
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
            bank_charges,
            exchange_rate,
            pay_time,
            reference,
            tranche,
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
        let reference = v.check(text::line(&reference, &f("reference"), 200));
        let bank_charges = match (bank_charges, &payee_amount) {
            (Some(c), Some(p)) if c.currency() != p.currency() => {
                v.add(
                    f("bank_charges.currency_code"),
                    format!("must be the payee currency {}", p.currency()),
                );
                None
            }
            (Some(c), _) if c.minor() < 0 => {
                v.add(f("bank_charges"), "must not be negative");
                None
            }
            (Some(c), _) => Some(c),
            (None, Some(p)) => Some(Money::zero(p.currency().clone())),
            (None, None) => None,
        };
        if tranche < 0 {
            v.add(f("tranche"), "must not be negative (0 pays the next tranche)");
        }
        let now = Timestamp::now();
        if pay_time.is_some_and(|t| t > now) {
            v.add(f("pay_time"), "must not be in the future");
        }
        v.finish()?;
        let (Some(amount), Some(payee_amount), Some(bank_charges), Some(exchange_rate), Some(reference)) =
            (amount, payee_amount, bank_charges, rate, reference)
        else {
            return Err(Error::internal("disbursement validation lost a violation"));
        };
        check_payee_amount(&amount, &exchange_rate, &payee_amount, &bank_charges)?;
        let disbursement = Disbursement {
            name: DisbursementName::generate(name.clone()),
            amount,
            payee_amount,
            bank_charges,
            exchange_rate,
            pay_time: pay_time.unwrap_or(now),
            reference,
            create_time: now,
            tranche: tranche.max(0) as u32,
            period: None,
        };
        let claim = disbursement.name.clone();
        let who = caller.clone();
        let decide: ApplicationChange =
            Arc::new(move |s: &lifecycle::Situation| lifecycle::disburse(&who, s, disbursement.clone(), now));
        self.apply(caller, name, request, Some(&claim), false, decide).await
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
        let who = caller.clone();
        let decide: ApplicationChange =
            Arc::new(move |s: &lifecycle::Situation| lifecycle::close(&who, s, reason.clone(), now));
        self.apply(caller, name, request, None, true, decide).await
    }

    pub async fn list_disbursements(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        page_size: i32,
        page_token: &str,
    ) -> Result<crate::domain::page::Page<Disbursement>> {
        self.list_payments(caller, name, page_size, page_token, false).await
    }
}

/// What an officer approves: the award, why, whether incomplete reviews
/// are overridden, and how it is paid (none: one tranche).
#[derive(Debug, Clone, Default)]
pub struct Approval {
    pub awarded: Option<Money>,
    pub reason: String,
    pub override_reviews: bool,
    pub schedule: Option<crate::domain::postaward::schedule::ScheduleInput>,
}

/// The payee amount must be `amount × rate`, rounded half-even to the payee
/// currency's minor unit, less the bank charges.
fn check_payee_amount(amount: &Money, rate: &str, payee: &Money, charges: &Money) -> Result<()> {
    let too_large = || Error::invalid("disbursement.amount", "is too large to convert at this exchange rate");
    let converted = convert(amount, rate, payee.currency()).ok_or_else(too_large)?;
    let expected = converted.checked_sub(charges).ok_or_else(too_large)?;
    if !expected.is_positive() {
        return Err(Error::invalid(
            "disbursement.bank_charges",
            format!("{charges} leaves nothing of the converted {converted}"),
        ));
    }
    if payee.minor() != expected.minor() {
        return Err(Error::InvalidArgument {
            reason: Reason::PayeeAmountMismatch,
            violations: vec![FieldViolation::new(
                "disbursement.payee_amount",
                format!(
                    "must be {expected}: {amount} × {rate} = {converted} (rounded half-even to the minor unit) \
                     less bank charges of {charges}; got {payee}"
                ),
            )],
        });
    }
    Ok(())
}

/// The institution a sign-off names, if any.
fn signer(institution: &str) -> Result<Option<crate::domain::ids::InstitutionName>> {
    if institution.is_empty() {
        return Ok(None);
    }
    crate::domain::ids::InstitutionName::parse(institution, "institution").map(Some)
}

/// An optional etag: when sent, it must be current (checked after access).
fn check_etag(s: &lifecycle::Situation, etag: &str) -> Result<()> {
    if etag.is_empty() || s.application.etag() == etag {
        return Ok(());
    }
    Err(Error::Aborted {
        reason: Reason::EtagMismatch,
        message: format!(
            "{} changed since it was read (etag {})",
            s.application.name,
            s.application.etag()
        ),
    })
}
