//! Application, event and disbursement messages.

use super::access::role_out;
use super::common::{amount_in, amount_out, money_in, money_out, time_in, time_out};
use crate::domain::Result;
use crate::domain::application::{Application, ApplicationInput, Decision, Investigator, State};
use crate::domain::event::{ApplicationEvent, Disbursement, DisbursementInput};
use crate::proto::v1;
use crate::proto::v1::application::State as ProtoState;

pub fn state_out(state: State) -> ProtoState {
    match state {
        State::Draft => ProtoState::Draft,
        State::Submitted => ProtoState::Submitted,
        State::UnderReview => ProtoState::UnderReview,
        State::ChangesRequested => ProtoState::ChangesRequested,
        State::Approved => ProtoState::Approved,
        State::Active => ProtoState::Active,
        State::Closed => ProtoState::Closed,
        State::Rejected => ProtoState::Rejected,
        State::Withdrawn => ProtoState::Withdrawn,
    }
}

/// The client-settable fields; also returns `name` and `etag`.
pub fn input(value: v1::Application) -> Result<(ApplicationInput, String, String)> {
    let v1::Application {
        name,
        applicant_institution,
        title,
        r#abstract,
        principal_investigator,
        partner_institutions,
        requested_amount,
        duration_months,
        state: _,
        etag,
        create_time: _,
        update_time: _,
        submit_time: _,
        decision: _,
        award_number: _,
        awarded_amount: _,
        disbursed_amount: _,
        team,
        endorsements: _,
        schedule: _,
        closure: _,
        requested_resource,
        awarded_resource: _,
        used_resource: _,
        preferred_periods,
    } = value;
    let v1::Investigator {
        name: investigator_name,
        email,
        orcid,
    } = principal_investigator.unwrap_or_default();
    let input = ApplicationInput {
        applicant: applicant_institution,
        title,
        abstract_text: r#abstract,
        investigator_name,
        investigator_email: email,
        investigator_orcid: orcid,
        partners: partner_institutions,
        requested: amount_in(
            requested_amount,
            requested_resource,
            "application.requested_amount",
            "application.requested_resource",
        )?,
        duration_months,
        team: team.into_iter().map(super::team::member_in).collect(),
        preferred_periods: preferred_periods
            .into_iter()
            .enumerate()
            .map(|(i, p)| super::common::period_in(p, &format!("application.preferred_periods[{i}]")))
            .collect::<Result<_>>()?,
    };
    Ok((input, name, etag))
}

pub fn output(value: Application) -> v1::Application {
    let etag = value.etag();
    let schedule = super::report::schedule_out(&value);
    let Application {
        name,
        applicant,
        title,
        abstract_text,
        investigator: Investigator {
            name: pi_name,
            email,
            orcid,
        },
        partners,
        requested,
        duration_months,
        state,
        version: _,
        create_time,
        update_time,
        submit_time,
        decision,
        award_number,
        awarded,
        disbursed,
        team,
        endorsements,
        schedule: _,
        reports: _,
        closure,
        preferred_periods,
    } = value;
    let (requested_amount, requested_resource) = requested.as_ref().map(amount_out).unwrap_or_default();
    let (awarded_amount, awarded_resource) = awarded.as_ref().map(amount_out).unwrap_or_default();
    let (disbursed_amount, used_resource) = amount_out(&disbursed);
    v1::Application {
        name: name.to_string(),
        applicant_institution: applicant.to_string(),
        title,
        r#abstract: abstract_text,
        principal_investigator: Some(v1::Investigator {
            name: pi_name,
            email,
            orcid: orcid.map(|o| o.as_str().to_owned()).unwrap_or_default(),
        }),
        partner_institutions: partners.into_iter().map(|p| p.to_string()).collect(),
        requested_amount,
        duration_months: duration_months.unwrap_or(0),
        state: state_out(state).into(),
        etag,
        create_time: Some(time_out(create_time)),
        update_time: Some(time_out(update_time)),
        submit_time: submit_time.map(time_out),
        decision: decision.map(|Decision { reason, actor, time }| v1::Decision {
            reason,
            actor: actor.to_string(),
            decide_time: Some(time_out(time)),
        }),
        award_number: award_number.unwrap_or_default(),
        awarded_amount,
        disbursed_amount,
        team: team.into_iter().map(super::team::member_out).collect(),
        endorsements: endorsements.into_iter().map(super::team::endorsement_out).collect(),
        schedule,
        closure: super::report::closure_out(closure).into(),
        requested_resource,
        awarded_resource,
        used_resource,
        preferred_periods: preferred_periods.into_iter().map(super::common::period_out).collect(),
    }
}

pub fn event_out(value: ApplicationEvent) -> v1::ApplicationEvent {
    let ApplicationEvent {
        cursor,
        application,
        programme,
        applicant,
        previous,
        new,
        actor,
        actor_role,
        reason,
        time,
        snapshot,
        disbursement,
        review,
        document,
        team,
        report,
        actor_person,
    } = value;
    let usage = snapshot.disbursed.currency().is_resource();
    v1::ApplicationEvent {
        cursor: cursor.encode(),
        application: application.to_string(),
        programme: programme.to_string(),
        applicant_institution: applicant.to_string(),
        previous_state: previous.map_or(ProtoState::Unspecified, state_out).into(),
        new_state: state_out(new).into(),
        actor: super::common::name_or_empty(&actor, actor.id()),
        actor_role: role_out(actor_role).into(),
        reason,
        event_time: Some(time_out(time)),
        snapshot: Some(output(snapshot)),
        disbursement: disbursement
            .as_ref()
            .filter(|_| !usage)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        usage_record: disbursement
            .filter(|_| usage)
            .map(|d| usage_name(&d))
            .unwrap_or_default(),
        review_activity: review.map(super::review::activity_out),
        document_activity: document.map(super::document::activity_out),
        team_activity: team.map(super::team::activity_out),
        actor_person: actor_person.map(super::team::person_out),
        report_activity: report.map(super::report::activity_out),
    }
}

pub fn disbursement_in(value: Option<v1::Disbursement>) -> Result<DisbursementInput> {
    let v1::Disbursement {
        name: _,
        amount,
        payee_amount,
        exchange_rate,
        pay_time,
        reference,
        create_time: _,
        bank_charges,
        tranche,
    } = value.unwrap_or_default();
    Ok(DisbursementInput {
        amount: money_in(amount, "disbursement.amount")?,
        payee_amount: money_in(payee_amount, "disbursement.payee_amount")?,
        bank_charges: money_in(bank_charges, "disbursement.bank_charges")?,
        exchange_rate,
        pay_time: time_in(pay_time, "disbursement.pay_time")?,
        reference,
        tranche,
    })
}

pub fn disbursement_out(value: Disbursement) -> v1::Disbursement {
    let Disbursement {
        name,
        amount,
        payee_amount,
        bank_charges,
        exchange_rate,
        pay_time,
        reference,
        create_time,
        tranche,
        period: _,
    } = value;
    v1::Disbursement {
        tranche: tranche as i32,
        name: name.to_string(),
        amount: Some(money_out(&amount)),
        payee_amount: Some(money_out(&payee_amount)),
        bank_charges: Some(money_out(&bank_charges)),
        exchange_rate,
        pay_time: Some(time_out(pay_time)),
        reference,
        create_time: Some(time_out(create_time)),
    }
}

/// A usage record's resource name: the disbursement row it is stored as,
/// under `usageRecords`.
pub fn usage_name(name: &crate::domain::ids::DisbursementName) -> String {
    format!("{}/usageRecords/{}", name.application, name.id())
}

pub fn usage_in(value: Option<v1::UsageRecord>) -> Result<crate::domain::facility::UsageInput> {
    let v1::UsageRecord {
        name: _,
        amount,
        period,
        reference,
        create_time: _,
    } = value.unwrap_or_default();
    Ok(crate::domain::facility::UsageInput {
        amount: super::common::resource_in(amount, "usage_record.amount")?,
        period: period
            .map(|p| super::common::period_in(p, "usage_record.period"))
            .transpose()?,
        reference,
    })
}

pub fn usage_out(value: Disbursement) -> v1::UsageRecord {
    let Disbursement {
        name,
        amount,
        payee_amount: _,
        bank_charges: _,
        exchange_rate: _,
        pay_time: _,
        reference,
        create_time,
        tranche: _,
        period,
    } = value;
    v1::UsageRecord {
        name: usage_name(&name),
        amount: Some(super::common::resource_out(&amount)),
        period: period.map(super::common::period_out),
        reference,
        create_time: Some(time_out(create_time)),
    }
}
