//! The post-award decisions, each inside the store's transaction through
//! the application's one write path: a schedule set at approval or
//! revised, a tranche paid, a report submitted, accepted, returned or
//! marked overdue, and how a closing grant ends.

use super::schedule::{self, ScheduleInput};
use super::{
    Closure, Outputs, ReportActivity, ReportActivityKind, ReportDecision, ReportStatus, ReportVersion, Schedule,
    status_of, versions_of,
};
use crate::domain::access::{Caller, Role};
use crate::domain::application::{Application, State};
use crate::domain::document::DocumentKind;
use crate::domain::error::{Error, Reason, Result};
use crate::domain::event::{Disbursement, NewEvent};
use crate::domain::ids::DocumentName;
use crate::domain::lifecycle::{Outcome, Situation, conflicted, may_see, not_visible, require_own};
use crate::domain::money::Money;
use crate::domain::time::Timestamp;

/// The schedule an application is paid by: its own, or (approved before
/// schedules, or without one) a single tranche of the whole award.
pub fn schedule_of(a: &Application) -> Option<Schedule> {
    match (&a.schedule, &a.awarded) {
        (Some(s), _) => Some(s.clone()),
        (None, Some(awarded)) => Some(Schedule::single(awarded, &a.disbursed)),
        (None, None) => None,
    }
}

/// The schedule of an approval: the one given, checked against the award,
/// or a single unconditional tranche.
pub fn at_approval(input: Option<&ScheduleInput>, awarded: &Money) -> Result<Schedule> {
    match input {
        Some(input) => schedule::parse(input, awarded),
        None => Ok(Schedule::single(awarded, &Money::zero(awarded.currency().clone()))),
    }
}

/// Pays `d` from its tranche (0: the first with a remainder), once the
/// report the tranche waits for is accepted, within its remainder.
pub fn pay_tranche(a: &mut Application, d: &mut Disbursement) -> Result<()> {
    let Some(mut schedule) = schedule_of(a) else {
        return Err(Error::internal("a disbursement on an application without an award"));
    };
    let n = match d.tranche {
        0 => schedule
            .tranches
            .iter()
            .position(|t| t.remainder() > 0)
            .map_or(schedule.tranches.len() as u32, |i| i as u32 + 1),
        n => n,
    };
    let count = schedule.tranches.len() as u32;
    if n == 0 || n > count {
        return Err(Error::invalid(
            "disbursement.tranche",
            format!("must be 0 (the next tranche) or a tranche of the schedule, 1 to {count}"),
        ));
    }
    let index = n as usize - 1;
    let after = schedule.tranches[index].after_report;
    if after > 0 {
        let status = status_of(&schedule, &a.reports, after);
        if status != ReportStatus::Accepted {
            return Err(Error::precondition(
                Reason::ReportNotAccepted,
                format!(
                    "tranche {n} is paid once report {after} is accepted; report {after} is {}",
                    status.as_str()
                ),
            ));
        }
    }
    let tranche = &mut schedule.tranches[index];
    if d.amount.minor() > tranche.remainder() {
        let remainder = Money::from_minor(tranche.amount.currency().clone(), tranche.remainder());
        return Err(Error::precondition(
            Reason::DisbursementExceedsAward,
            format!(
                "disbursing {} from tranche {n} is more than its remainder of {remainder} (of {})",
                d.amount, tranche.amount
            ),
        ));
    }
    tranche.paid = tranche
        .paid
        .checked_add(&d.amount)
        .ok_or_else(|| Error::internal("a tranche's paid total overflows"))?;
    d.tranche = n;
    a.schedule = Some(schedule);
    Ok(())
}

/// How a grant closes: COMPLETED with its final report accepted (or,
/// when the schedule asks for none, once paid); TERMINATED otherwise,
/// which needs a reason.
pub fn closure(a: &Application, reason: &str) -> Result<Closure> {
    let terminated = || {
        if crate::domain::text::is_blank(reason) {
            return Err(Error::invalid(
                "reason",
                "is required to close a grant whose final report is not accepted (it closes TERMINATED)",
            ));
        }
        Ok(Closure::Terminated)
    };
    if a.state == State::Approved {
        return terminated();
    }
    let Some(schedule) = schedule_of(a) else {
        return Ok(Closure::Completed);
    };
    match schedule.final_report() {
        None => Ok(Closure::Completed),
        Some(n) if status_of(&schedule, &a.reports, n) == ReportStatus::Accepted => Ok(Closure::Completed),
        Some(_) => terminated(),
    }
}

/// A running grant (APPROVED or ACTIVE) that `caller` may see, or the
/// error that says why not.
fn running(caller: &Caller, a: &Application, roles: &[Role], action: &str) -> Result<Schedule> {
    if !may_see(caller, a) {
        return Err(not_visible(&a.name));
    }
    caller.require(roles, action)?;
    require_own(caller, a, action)?;
    if roles.contains(&Role::Officer) {
        conflicted(caller, a)?;
    }
    if !matches!(a.state, State::Approved | State::Active) {
        return Err(Error::precondition(
            Reason::InvalidState,
            format!("cannot {action} an application in state {}", a.state.as_str()),
        ));
    }
    schedule_of(a).ok_or_else(|| Error::internal("a running grant without an award"))
}

fn changed(caller: &Caller, activity: ReportActivity, reason: String, application: Application) -> Outcome {
    let state = application.state;
    let mut event = NewEvent::by(caller, Some(state), state, reason);
    event.report = Some(activity);
    Outcome {
        application,
        programme: None,
        event: Some(event),
        disbursement: None,
        review: None,
        review_label: None,
        document: None,
        noop: false,
    }
}

fn touched(s: &Situation, now: Timestamp) -> Application {
    let mut a = s.application.clone();
    a.version += 1;
    a.update_time = now;
    a
}

/// A revision of the schedule by an officer.
pub fn revise(
    caller: &Caller,
    s: &Situation,
    input: &ScheduleInput,
    reason: String,
    now: Timestamp,
) -> Result<Outcome> {
    let a = &s.application;
    let old = running(caller, a, &[Role::Admin, Role::Officer], "revise the schedule of")?;
    let awarded = a
        .awarded
        .clone()
        .ok_or_else(|| Error::internal("a running grant without an award"))?;
    if awarded.currency().is_resource() {
        return Err(Error::invalid(
            "schedule",
            "a facility award has no payment schedule: its usage is recorded with RecordUsage",
        ));
    }
    let new = schedule::revise(&old, &a.reports, input, &awarded)?;
    let mut application = touched(s, now);
    application.schedule = Some(new);
    let activity = ReportActivity {
        kind: ReportActivityKind::ScheduleRevised,
        number: 0,
        version: 0,
    };
    Ok(changed(caller, activity, reason, application))
}

/// The report of `number`, or INVALID_ARGUMENT naming `field`.
fn report_number(schedule: &Schedule, number: i64, field: &str) -> Result<u32> {
    let count = schedule.reports.len();
    if number < 1 || number as usize > count {
        return Err(Error::invalid(
            field,
            match count {
                0 => "names no report: this grant's schedule asks for none".to_owned(),
                _ => format!("must be a report of the schedule, 1 to {count}"),
            },
        ));
    }
    Ok(number as u32)
}

/// A report (or a new version of a returned one) by the applicant.
pub fn submit(
    caller: &Caller,
    s: &Situation,
    number: i64,
    document: &DocumentName,
    outputs: Outputs,
    now: Timestamp,
) -> Result<Outcome> {
    let a = &s.application;
    let schedule = running(caller, a, &[Role::Admin, Role::Applicant], "submit a report on")?;
    let number = report_number(&schedule, number, "number")?;
    let status = status_of(&schedule, &a.reports, number);
    if !status.is_open() {
        return Err(Error::precondition(
            Reason::ReportNotOpen,
            format!("report {number} is {}: it cannot be submitted now", status.as_str()),
        ));
    }
    let is_report = document.application == a.name
        && s.documents
            .iter()
            .any(|d| &d.name == document && d.kind == DocumentKind::Report);
    if !is_report {
        return Err(Error::invalid(
            "document",
            format!("{document} is not a REPORT document of {}", a.name),
        ));
    }
    let version = versions_of(&a.reports, number) + 1;
    let mut application = touched(s, now);
    application.reports.push(ReportVersion {
        number,
        version,
        document: document.clone(),
        outputs,
        submitted_by: caller.key.clone(),
        submit_time: now,
        decision: None,
    });
    let activity = ReportActivity {
        kind: ReportActivityKind::ReportSubmitted,
        number,
        version,
    };
    Ok(changed(caller, activity, String::new(), application))
}

/// The officer's decision on the submitted version of a report.
pub fn decide(
    caller: &Caller,
    s: &Situation,
    number: u32,
    accept: bool,
    reason: String,
    now: Timestamp,
) -> Result<Outcome> {
    let a = &s.application;
    let action = if accept {
        "accept a report of"
    } else {
        "return a report of"
    };
    let schedule = running(caller, a, &[Role::Admin, Role::Officer], action)?;
    let number = report_number(&schedule, i64::from(number), "name")?;
    let status = status_of(&schedule, &a.reports, number);
    if status != ReportStatus::Submitted {
        return Err(Error::precondition(
            Reason::ReportNotSubmitted,
            format!(
                "report {number} is {}: only a SUBMITTED report is decided on",
                status.as_str()
            ),
        ));
    }
    let mut application = touched(s, now);
    let Some(latest) = application
        .reports
        .iter_mut()
        .filter(|v| v.number == number)
        .max_by_key(|v| v.version)
    else {
        return Err(Error::internal("a submitted report without a version"));
    };
    latest.decision = Some(ReportDecision {
        accepted: accept,
        actor: caller.key.clone(),
        time: now,
        reason: reason.clone(),
    });
    let activity = ReportActivity {
        kind: if accept {
            ReportActivityKind::ReportAccepted
        } else {
            ReportActivityKind::ReportReturned
        },
        number,
        version: latest.version,
    };
    Ok(changed(caller, activity, reason, application))
}

/// Marks the earliest report past its due time and still waiting for the
/// applicant as OVERDUE, once; nothing to do (another replica did it, or
/// it was submitted meanwhile) is a no-op.
pub fn mark_overdue(system: &Caller, s: &Situation, now: Timestamp) -> Result<Outcome> {
    let a = &s.application;
    let nothing = || Outcome {
        application: a.clone(),
        programme: None,
        event: None,
        disbursement: None,
        review: None,
        review_label: None,
        document: None,
        noop: true,
    };
    if !matches!(a.state, State::Approved | State::Active) {
        return Ok(nothing());
    }
    let Some(schedule) = a.schedule.as_ref() else {
        return Ok(nothing());
    };
    let late = schedule
        .reports
        .iter()
        .enumerate()
        .filter(|(i, r)| !r.overdue_marked && r.due <= now && status_of(schedule, &a.reports, *i as u32 + 1).is_open())
        .min_by_key(|(_, r)| r.due)
        .map(|(i, _)| i);
    let Some(index) = late else {
        return Ok(nothing());
    };
    let mut application = touched(s, now);
    if let Some(schedule) = application.schedule.as_mut() {
        schedule.reports[index].overdue_marked = true;
    }
    let number = index as u32 + 1;
    let activity = ReportActivity {
        kind: ReportActivityKind::ReportOverdue,
        number,
        version: 0,
    };
    let reason = format!("report {number} was due at {}", schedule.reports[index].due);
    Ok(changed(system, activity, reason, application))
}
