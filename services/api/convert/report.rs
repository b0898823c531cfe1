//! Schedule, report and outputs messages.

use super::common::{money_in, money_out, time_in, time_out};
use crate::domain::Result;
use crate::domain::application::Application;
use crate::domain::error::Violations;
use crate::domain::postaward::outputs::{Dataset, Patent, Publication, TrainingLevel};
use crate::domain::postaward::schedule::{ReportDueInput, ScheduleInput, TrancheInput};
use crate::domain::postaward::{
    Closure, Outputs, Report, ReportActivity, ReportActivityKind, ReportKind, ReportStatus, decide::schedule_of,
    status_of, versions_of,
};
use crate::proto::v1;

fn kind_in(value: i32) -> Option<ReportKind> {
    match v1::ReportKind::try_from(value) {
        Ok(v1::ReportKind::Interim) => Some(ReportKind::Interim),
        Ok(v1::ReportKind::Final) => Some(ReportKind::Final),
        Ok(v1::ReportKind::Unspecified) | Err(_) => None,
    }
}

fn kind_out(value: ReportKind) -> v1::ReportKind {
    match value {
        ReportKind::Interim => v1::ReportKind::Interim,
        ReportKind::Final => v1::ReportKind::Final,
    }
}

fn status_out(value: ReportStatus) -> v1::ReportStatus {
    match value {
        ReportStatus::Due => v1::ReportStatus::Due,
        ReportStatus::Submitted => v1::ReportStatus::Submitted,
        ReportStatus::Returned => v1::ReportStatus::Returned,
        ReportStatus::Accepted => v1::ReportStatus::Accepted,
        ReportStatus::Overdue => v1::ReportStatus::Overdue,
    }
}

/// A schedule as sent; amounts and times checked for form here, the rest
/// by the domain against the award.
pub fn schedule_in(value: Option<v1::PaymentSchedule>) -> Result<Option<ScheduleInput>> {
    let Some(v1::PaymentSchedule { tranches, reports }) = value else {
        return Ok(None);
    };
    let mut v = Violations::new();
    let mut input = ScheduleInput::default();
    for (i, t) in tranches.into_iter().enumerate() {
        let v1::Tranche {
            number: _,
            amount,
            planned_time,
            after_report,
            paid_amount: _,
        } = t;
        let f = |n: &str| format!("schedule.tranches[{i}].{n}");
        input.tranches.push(TrancheInput {
            amount: v.check(money_in(amount, &f("amount"))).flatten(),
            planned: v.check(time_in(planned_time, &f("planned_time"))).flatten(),
            after_report,
        });
    }
    for (i, r) in reports.into_iter().enumerate() {
        let v1::ReportDue {
            number: _,
            kind,
            due_time,
            status: _,
            versions: _,
        } = r;
        input.reports.push(ReportDueInput {
            kind: kind_in(kind),
            due: v
                .check(time_in(due_time, &format!("schedule.reports[{i}].due_time")))
                .flatten(),
        });
    }
    v.finish()?;
    Ok(Some(input))
}

/// The schedule as the application shows it: what was paid of each
/// tranche, where each report stands.
pub fn schedule_out(a: &Application) -> Option<v1::PaymentSchedule> {
    if a.disbursed.currency().is_resource() {
        // A facility award has usage, not a payment schedule.
        return None;
    }
    let schedule = schedule_of(a)?;
    Some(v1::PaymentSchedule {
        tranches: schedule
            .tranches
            .iter()
            .enumerate()
            .map(|(i, t)| v1::Tranche {
                number: i as i32 + 1,
                amount: Some(money_out(&t.amount)),
                planned_time: t.planned.map(time_out),
                after_report: t.after_report as i32,
                paid_amount: Some(money_out(&t.paid)),
            })
            .collect(),
        reports: schedule
            .reports
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let n = i as u32 + 1;
                v1::ReportDue {
                    number: n as i32,
                    kind: kind_out(r.kind).into(),
                    due_time: Some(time_out(r.due)),
                    status: status_out(status_of(&schedule, &a.reports, n)).into(),
                    versions: versions_of(&a.reports, n) as i32,
                }
            })
            .collect(),
    })
}

pub fn closure_out(value: Option<Closure>) -> v1::application::Closure {
    match value {
        None => v1::application::Closure::Unspecified,
        Some(Closure::Completed) => v1::application::Closure::Completed,
        Some(Closure::Terminated) => v1::application::Closure::Terminated,
    }
}

pub fn outputs_in(value: Option<v1::ReportOutputs>) -> Outputs {
    let v1::ReportOutputs {
        publications,
        datasets,
        patents,
        people_trained,
    } = value.unwrap_or_default();
    Outputs {
        publications: publications
            .into_iter()
            .map(|v1::Publication { doi, title }| Publication { doi, title })
            .collect(),
        datasets: datasets
            .into_iter()
            .map(|v1::Dataset { doi, url, title }| Dataset { doi, url, title })
            .collect(),
        patents: patents
            .into_iter()
            .map(|v1::Patent { number, title }| Patent { number, title })
            .collect(),
        trained: people_trained
            .into_iter()
            .map(|v1::PeopleTrained { level, count }| {
                let level = match v1::TrainingLevel::try_from(level) {
                    Ok(v1::TrainingLevel::Undergraduate) => Some(TrainingLevel::Undergraduate),
                    Ok(v1::TrainingLevel::Masters) => Some(TrainingLevel::Masters),
                    Ok(v1::TrainingLevel::Doctoral) => Some(TrainingLevel::Doctoral),
                    Ok(v1::TrainingLevel::Postdoctoral) => Some(TrainingLevel::Postdoctoral),
                    Ok(v1::TrainingLevel::Unspecified) | Err(_) => None,
                };
                (level, count)
            })
            .collect(),
    }
}

fn outputs_out(value: Outputs) -> v1::ReportOutputs {
    let Outputs {
        publications,
        datasets,
        patents,
        trained,
    } = value;
    v1::ReportOutputs {
        publications: publications
            .into_iter()
            .map(|Publication { doi, title }| v1::Publication { doi, title })
            .collect(),
        datasets: datasets
            .into_iter()
            .map(|Dataset { doi, url, title }| v1::Dataset { doi, url, title })
            .collect(),
        patents: patents
            .into_iter()
            .map(|Patent { number, title }| v1::Patent { number, title })
            .collect(),
        people_trained: trained
            .into_iter()
            .map(|(level, count)| v1::PeopleTrained {
                level: match level {
                    None => v1::TrainingLevel::Unspecified,
                    Some(TrainingLevel::Undergraduate) => v1::TrainingLevel::Undergraduate,
                    Some(TrainingLevel::Masters) => v1::TrainingLevel::Masters,
                    Some(TrainingLevel::Doctoral) => v1::TrainingLevel::Doctoral,
                    Some(TrainingLevel::Postdoctoral) => v1::TrainingLevel::Postdoctoral,
                }
                .into(),
                count,
            })
            .collect(),
    }
}

pub fn report_out(value: Report) -> v1::Report {
    let Report {
        application,
        kind,
        version,
    } = value;
    let status = version.status();
    let crate::domain::postaward::ReportVersion {
        number,
        version,
        document,
        outputs,
        submitted_by,
        submit_time,
        decision,
    } = version;
    v1::Report {
        name: format!("{application}/reports/{number}"),
        number: number as i32,
        kind: kind_out(kind).into(),
        version: version as i32,
        status: status_out(status).into(),
        document: document.to_string(),
        outputs: Some(outputs_out(outputs)),
        submit_time: Some(time_out(submit_time)),
        submitted_by: submitted_by.to_string(),
        decide_time: decision.as_ref().map(|d| time_out(d.time)),
        decided_by: decision.as_ref().map(|d| d.actor.to_string()).unwrap_or_default(),
        decision_reason: decision.map(|d| d.reason).unwrap_or_default(),
    }
}

pub fn activity_out(value: ReportActivity) -> v1::ReportActivity {
    use v1::report_activity::Kind;
    let ReportActivity { kind, number, version } = value;
    v1::ReportActivity {
        kind: match kind {
            ReportActivityKind::ScheduleRevised => Kind::ScheduleRevised,
            ReportActivityKind::ReportSubmitted => Kind::ReportSubmitted,
            ReportActivityKind::ReportAccepted => Kind::ReportAccepted,
            ReportActivityKind::ReportReturned => Kind::ReportReturned,
            ReportActivityKind::ReportOverdue => Kind::ReportOverdue,
        }
        .into(),
        number: number as i32,
        version: version as i32,
    }
}
