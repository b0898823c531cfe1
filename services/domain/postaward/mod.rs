//! After the award: the payment schedule (tranches, each paid only when
//! the report it waits for is accepted), the reports due and every
//! version submitted, and how a grant was closed. Kept on the application
//! and changed through its one write path, like every other change.

pub mod decide;
pub mod outputs;
pub mod schedule;

use super::error::{Error, Result};
use super::ids::{ApiKeyName, ApplicationName, DocumentName};
use super::money::Money;
use super::time::Timestamp;
pub use outputs::Outputs;

/// Tranches and reports in one schedule, at most each.
pub const MAX_TRANCHES: usize = 24;
pub const MAX_REPORTS: usize = 24;

/// Interim or final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    Interim,
    Final,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Interim => "INTERIM",
            ReportKind::Final => "FINAL",
        }
    }

    pub fn from_str_exact(value: &str) -> Option<Self> {
        [ReportKind::Interim, ReportKind::Final]
            .into_iter()
            .find(|k| k.as_str() == value)
    }
}

/// Where a report due stands (derived from its versions and whether it
/// was marked overdue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportStatus {
    Due,
    Submitted,
    Returned,
    Accepted,
    Overdue,
}

impl ReportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Due => "DUE",
            ReportStatus::Submitted => "SUBMITTED",
            ReportStatus::Returned => "RETURNED",
            ReportStatus::Accepted => "ACCEPTED",
            ReportStatus::Overdue => "OVERDUE",
        }
    }

    pub fn from_str_exact(value: &str) -> Option<Self> {
        [
            ReportStatus::Due,
            ReportStatus::Submitted,
            ReportStatus::Returned,
            ReportStatus::Accepted,
            ReportStatus::Overdue,
        ]
        .into_iter()
        .find(|k| k.as_str() == value)
    }

    /// Waiting for the applicant: due, returned or overdue.
    pub fn is_open(self) -> bool {
        matches!(self, ReportStatus::Due | ReportStatus::Returned | ReportStatus::Overdue)
    }
}

/// One tranche of an award.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tranche {
    pub amount: Money,
    pub planned: Option<Timestamp>,
    /// The report (1-based) that must be accepted first; 0: none.
    pub after_report: u32,
    pub paid: Money,
}

impl Tranche {
    pub fn remainder(&self) -> i64 {
        self.amount.minor() - self.paid.minor()
    }
}

/// A report the schedule asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDue {
    pub kind: ReportKind,
    pub due: Timestamp,
    /// Marked overdue once (the REPORT_OVERDUE event was written).
    pub overdue_marked: bool,
}

/// The payment schedule and the reports due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub tranches: Vec<Tranche>,
    pub reports: Vec<ReportDue>,
}

impl Schedule {
    /// One unconditional tranche of the whole award, no reports: an award
    /// approved without a schedule.
    pub fn single(awarded: &Money, paid: &Money) -> Self {
        Self {
            tranches: vec![Tranche {
                amount: awarded.clone(),
                planned: None,
                after_report: 0,
                paid: paid.clone(),
            }],
            reports: Vec::new(),
        }
    }

    /// The final report's number, if the schedule asks for one.
    pub fn final_report(&self) -> Option<u32> {
        self.reports
            .iter()
            .position(|r| r.kind == ReportKind::Final)
            .map(|i| i as u32 + 1)
    }
}

/// What the officer decided on one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDecision {
    pub accepted: bool,
    pub actor: ApiKeyName,
    pub time: Timestamp,
    pub reason: String,
}

/// One version of one report, as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportVersion {
    pub number: u32,
    pub version: u32,
    pub document: DocumentName,
    pub outputs: Outputs,
    pub submitted_by: ApiKeyName,
    pub submit_time: Timestamp,
    pub decision: Option<ReportDecision>,
}

impl ReportVersion {
    /// SUBMITTED, RETURNED or ACCEPTED.
    pub fn status(&self) -> ReportStatus {
        match &self.decision {
            None => ReportStatus::Submitted,
            Some(d) if d.accepted => ReportStatus::Accepted,
            Some(_) => ReportStatus::Returned,
        }
    }
}

/// A report as the API shows one version: the version with its kind and
/// resource name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub application: ApplicationName,
    pub kind: ReportKind,
    pub version: ReportVersion,
}

/// How a closed grant ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Closure {
    Completed,
    Terminated,
}

impl Closure {
    pub fn as_str(self) -> &'static str {
        match self {
            Closure::Completed => "COMPLETED",
            Closure::Terminated => "TERMINATED",
        }
    }

    pub fn from_str_exact(value: &str) -> Option<Self> {
        [Closure::Completed, Closure::Terminated]
            .into_iter()
            .find(|k| k.as_str() == value)
    }
}

/// What a post-award event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportActivityKind {
    ScheduleRevised,
    ReportSubmitted,
    ReportAccepted,
    ReportReturned,
    ReportOverdue,
}

impl ReportActivityKind {
    pub const ALL: [ReportActivityKind; 5] = [
        ReportActivityKind::ScheduleRevised,
        ReportActivityKind::ReportSubmitted,
        ReportActivityKind::ReportAccepted,
        ReportActivityKind::ReportReturned,
        ReportActivityKind::ReportOverdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportActivityKind::ScheduleRevised => "SCHEDULE_REVISED",
            ReportActivityKind::ReportSubmitted => "REPORT_SUBMITTED",
            ReportActivityKind::ReportAccepted => "REPORT_ACCEPTED",
            ReportActivityKind::ReportReturned => "REPORT_RETURNED",
            ReportActivityKind::ReportOverdue => "REPORT_OVERDUE",
        }
    }

    pub fn from_str_exact(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// A post-award event: what happened, to which report and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportActivity {
    pub kind: ReportActivityKind,
    pub number: u32,
    pub version: u32,
}

/// `programmes/{p}/applications/{a}/reports/{n}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportName {
    pub application: ApplicationName,
    pub number: u32,
}

impl ReportName {
    pub fn parse(name: &str, field: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                field,
                format!(
                    "{} is not of the form programmes/{{programme}}/applications/{{application}}/reports/{{number}}",
                    super::text::excerpt(name)
                ),
            )
        };
        let (application, number) = name.rsplit_once("/reports/").ok_or_else(bad)?;
        let number = number
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_REPORTS as u32).contains(n) && !number.starts_with('0'))
            .ok_or_else(bad)?;
        let application = ApplicationName::parse(application, field).map_err(|_| bad())?;
        Ok(Self { application, number })
    }
}

impl std::fmt::Display for ReportName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/reports/{}", self.application, self.number)
    }
}

/// Where report `number` (1-based) of `schedule` stands, from its versions.
pub fn status_of(schedule: &Schedule, versions: &[ReportVersion], number: u32) -> ReportStatus {
    let marked = schedule
        .reports
        .get(number as usize - 1)
        .is_some_and(|r| r.overdue_marked);
    let latest = versions.iter().filter(|v| v.number == number).max_by_key(|v| v.version);
    match latest.map(ReportVersion::status) {
        Some(ReportStatus::Returned) if marked => ReportStatus::Overdue,
        Some(status) => status,
        None if marked => ReportStatus::Overdue,
        None => ReportStatus::Due,
    }
}

/// How many versions of report `number` were submitted.
pub fn versions_of(versions: &[ReportVersion], number: u32) -> u32 {
    versions.iter().filter(|v| v.number == number).count() as u32
}

/// Counts of an application's reports for summaries: due (open, not
/// overdue), overdue, accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportCounts {
    pub due: i64,
    pub overdue: i64,
    pub accepted: i64,
}

/// The counts of `schedule`'s reports; due and overdue only while the
/// grant runs (`running`).
pub fn counts(schedule: &Schedule, versions: &[ReportVersion], running: bool) -> ReportCounts {
    let mut c = ReportCounts::default();
    for n in 1..=schedule.reports.len() as u32 {
        match status_of(schedule, versions, n) {
            ReportStatus::Accepted => c.accepted += 1,
            ReportStatus::Overdue if running => c.overdue += 1,
            ReportStatus::Due | ReportStatus::Returned if running => c.due += 1,
            _ => {}
        }
    }
    c
}

/// The earliest due time of a report not yet marked overdue and still
/// waiting for the applicant, while the grant runs: when the overdue job
/// next has something to do for this application.
pub fn next_due(schedule: &Schedule, versions: &[ReportVersion], running: bool) -> Option<Timestamp> {
    if !running {
        return None;
    }
    schedule
        .reports
        .iter()
        .enumerate()
        .filter(|(i, r)| !r.overdue_marked && status_of(schedule, versions, *i as u32 + 1).is_open())
        .map(|(_, r)| r.due)
        .min()
}
