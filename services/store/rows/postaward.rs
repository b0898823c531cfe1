//! The post-award half as it is kept: the schedule and the report versions
//! as JSON in columns of `application` (with the columns derived from
//! them: the next due time and the counts), and post-award activity as
//! JSON on events.

use serde::{Deserialize, Serialize};

use super::{from_json, to_json};
use crate::domain::application::{Application, State};
use crate::domain::ids::{ApiKeyName, ApplicationName, DocumentName};
use crate::domain::money::{Currency, Money};
use crate::domain::postaward::outputs::{Dataset, Patent, Publication, TrainingLevel};
use crate::domain::postaward::{
    Outputs, ReportActivity, ReportActivityKind, ReportCounts, ReportDecision, ReportDue, ReportKind, ReportVersion,
    Schedule, Tranche, counts, next_due,
};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};

#[derive(Serialize, Deserialize)]
struct TrancheJson {
    amount: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    planned: Option<i64>,
    #[serde(default)]
    after_report: u32,
    #[serde(default)]
    paid: i64,
}

#[derive(Serialize, Deserialize)]
struct ReportDueJson {
    kind: String,
    due: i64,
    #[serde(default)]
    overdue_marked: bool,
}

#[derive(Serialize, Deserialize)]
struct ScheduleJson {
    tranches: Vec<TrancheJson>,
    #[serde(default)]
    reports: Vec<ReportDueJson>,
}

#[derive(Serialize, Deserialize)]
struct PublicationJson {
    doi: String,
    title: String,
}

#[derive(Serialize, Deserialize)]
struct DatasetJson {
    #[serde(default)]
    doi: String,
    #[serde(default)]
    url: String,
    title: String,
}

#[derive(Serialize, Deserialize)]
struct PatentJson {
    number: String,
    title: String,
}

#[derive(Serialize, Deserialize, Default)]
struct OutputsJson {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    publications: Vec<PublicationJson>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    datasets: Vec<DatasetJson>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    patents: Vec<PatentJson>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    trained: Vec<(String, i32)>,
}

#[derive(Serialize, Deserialize)]
struct DecisionJson {
    accepted: bool,
    actor: String,
    time: i64,
    #[serde(default)]
    reason: String,
}

#[derive(Serialize, Deserialize)]
struct VersionJson {
    number: u32,
    version: u32,
    document: String,
    #[serde(default)]
    outputs: OutputsJson,
    submitted_by: String,
    submit_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    decision: Option<DecisionJson>,
}

#[derive(Serialize, Deserialize)]
struct ActivityJson {
    kind: String,
    #[serde(default)]
    number: u32,
    #[serde(default)]
    version: u32,
}

fn unknown(what: &str, value: &str) -> Error {
    Error::internal(format!("stored {what} {value:?} is unknown"))
}

/// The columns of `application` derived from the post-award half.
pub struct Derived {
    pub schedule: Option<String>,
    pub reports: Option<String>,
    pub next_report_due: Option<i64>,
    pub counts: Option<ReportCounts>,
}

/// Encodes `a`'s schedule and reports, and derives what is indexed and
/// summed from them. Plain strings and integers: encoding cannot fail.
pub fn derived(a: &Application) -> Derived {
    let Some(schedule) = &a.schedule else {
        return Derived {
            schedule: None,
            reports: reports_to_json(&a.reports),
            next_report_due: None,
            counts: None,
        };
    };
    let running = matches!(a.state, State::Approved | State::Active);
    let json = ScheduleJson {
        tranches: schedule
            .tranches
            .iter()
            .map(|t| TrancheJson {
                amount: t.amount.minor(),
                planned: t.planned.map(Timestamp::micros),
                after_report: t.after_report,
                paid: t.paid.minor(),
            })
            .collect(),
        reports: schedule
            .reports
            .iter()
            .map(|r| ReportDueJson {
                kind: r.kind.as_str().to_owned(),
                due: r.due.micros(),
                overdue_marked: r.overdue_marked,
            })
            .collect(),
    };
    Derived {
        schedule: to_json("schedule", &json).ok(),
        reports: reports_to_json(&a.reports),
        next_report_due: next_due(schedule, &a.reports, running).map(Timestamp::micros),
        counts: (!schedule.reports.is_empty()).then(|| counts(schedule, &a.reports, running)),
    }
}

pub fn schedule_from_json(text: Option<&str>, currency: &Currency) -> Result<Option<Schedule>> {
    let Some(text) = text else { return Ok(None) };
    let json: ScheduleJson = from_json("schedule", text)?;
    let money = |minor| Money::from_minor(currency.clone(), minor);
    Ok(Some(Schedule {
        tranches: json
            .tranches
            .into_iter()
            .map(|t| Tranche {
                amount: money(t.amount),
                planned: t.planned.map(Timestamp::from_micros),
                after_report: t.after_report,
                paid: money(t.paid),
            })
            .collect(),
        reports: json
            .reports
            .into_iter()
            .map(|r| {
                Ok(ReportDue {
                    kind: ReportKind::from_str_exact(&r.kind).ok_or_else(|| unknown("report kind", &r.kind))?,
                    due: Timestamp::from_micros(r.due),
                    overdue_marked: r.overdue_marked,
                })
            })
            .collect::<Result<_>>()?,
    }))
}

fn reports_to_json(reports: &[ReportVersion]) -> Option<String> {
    if reports.is_empty() {
        return None;
    }
    let rows: Vec<VersionJson> = reports
        .iter()
        .map(|v| VersionJson {
            number: v.number,
            version: v.version,
            document: v.document.id().to_owned(),
            outputs: OutputsJson {
                publications: v
                    .outputs
                    .publications
                    .iter()
                    .map(|p| PublicationJson {
                        doi: p.doi.clone(),
                        title: p.title.clone(),
                    })
                    .collect(),
                datasets: v
                    .outputs
                    .datasets
                    .iter()
                    .map(|d| DatasetJson {
                        doi: d.doi.clone(),
                        url: d.url.clone(),
                        title: d.title.clone(),
                    })
                    .collect(),
                patents: v
                    .outputs
                    .patents
                    .iter()
                    .map(|p| PatentJson {
                        number: p.number.clone(),
                        title: p.title.clone(),
                    })
                    .collect(),
                trained: v
                    .outputs
                    .trained
                    .iter()
                    .map(|(l, n)| (l.map_or("", TrainingLevel::as_str).to_owned(), *n))
                    .collect(),
            },
            submitted_by: v.submitted_by.id().to_owned(),
            submit_time: v.submit_time.micros(),
            decision: v.decision.as_ref().map(|d| DecisionJson {
                accepted: d.accepted,
                actor: d.actor.id().to_owned(),
                time: d.time.micros(),
                reason: d.reason.clone(),
            }),
        })
        .collect();
    to_json("reports", &rows).ok()
}

pub fn reports_from_json(text: Option<&str>, application: &ApplicationName) -> Result<Vec<ReportVersion>> {
    let Some(text) = text else { return Ok(Vec::new()) };
    let rows: Vec<VersionJson> = from_json("reports", text)?;
    rows.into_iter()
        .map(|v| {
            let o = v.outputs;
            Ok(ReportVersion {
                number: v.number,
                version: v.version,
                document: DocumentName::new(application.clone(), v.document),
                outputs: Outputs {
                    publications: o
                        .publications
                        .into_iter()
                        .map(|p| Publication {
                            doi: p.doi,
                            title: p.title,
                        })
                        .collect(),
                    datasets: o
                        .datasets
                        .into_iter()
                        .map(|d| Dataset {
                            doi: d.doi,
                            url: d.url,
                            title: d.title,
                        })
                        .collect(),
                    patents: o
                        .patents
                        .into_iter()
                        .map(|p| Patent {
                            number: p.number,
                            title: p.title,
                        })
                        .collect(),
                    trained: o
                        .trained
                        .into_iter()
                        .map(|(l, n)| (TrainingLevel::from_str_exact(&l), n))
                        .collect(),
                },
                submitted_by: ApiKeyName::from_id(v.submitted_by),
                submit_time: Timestamp::from_micros(v.submit_time),
                decision: v.decision.map(|d| ReportDecision {
                    accepted: d.accepted,
                    actor: ApiKeyName::from_id(d.actor),
                    time: Timestamp::from_micros(d.time),
                    reason: d.reason,
                }),
            })
        })
        .collect()
}

pub fn activity_to_json(a: &ReportActivity) -> Result<String> {
    to_json(
        "report_activity",
        &ActivityJson {
            kind: a.kind.as_str().to_owned(),
            number: a.number,
            version: a.version,
        },
    )
}

pub fn activity_from_json(text: &str) -> Result<ReportActivity> {
    let json: ActivityJson = from_json("report_activity", text)?;
    Ok(ReportActivity {
        kind: ReportActivityKind::from_str_exact(&json.kind).ok_or_else(|| unknown("report activity", &json.kind))?,
        number: json.number,
        version: json.version,
    })
}
