//! After the award: the schedule revised, reports submitted and decided
//! on, listed; and the overdue job's step, which marks late reports once
//! whatever the number of replicas (a lease, and a version-guarded change
//! per report).

use std::sync::Arc;

use super::applications::StateChange;
use super::{Grants, RequestKey};
use crate::domain::access::{Caller, ProgrammeScope, Role};
use crate::domain::application::{optional_reason, required_reason};
use crate::domain::error::{Error, Result};
use crate::domain::ids::{ApiKeyName, ApplicationName, DocumentName};
use crate::domain::lifecycle;
use crate::domain::page::{Page, PageRequest};
use crate::domain::ports::ApplicationChange;
use crate::domain::postaward::schedule::ScheduleInput;
use crate::domain::postaward::{Outputs, Report, ReportName, decide};
use crate::domain::time::Timestamp;

/// A change with the report version it concerns.
pub struct ReportChange {
    pub report: Report,
    pub change: StateChange,
}

/// The latest version of report `number` in `change`'s application.
fn with_report(change: StateChange, number: u32) -> Result<ReportChange> {
    let a = &change.application;
    let schedule = a
        .schedule
        .as_ref()
        .ok_or_else(|| Error::internal("a report change without a schedule"))?;
    let kind = schedule
        .reports
        .get(number as usize - 1)
        .map(|r| r.kind)
        .ok_or_else(|| Error::internal("a report change outside the schedule"))?;
    let version = a
        .reports
        .iter()
        .filter(|v| v.number == number)
        .max_by_key(|v| v.version)
        .cloned()
        .ok_or_else(|| Error::internal("a report change without a version"))?;
    Ok(ReportChange {
        report: Report {
            application: a.name.clone(),
            kind,
            version,
        },
        change,
    })
}

/// The caller the server acts as for its own jobs (events name it as
/// `apiKeys/server`).
pub fn server_caller() -> Caller {
    Caller {
        key: ApiKeyName::from_id("server"),
        role: Role::Admin,
        institution: None,
        programmes: ProgrammeScope::All,
        person: None,
    }
}

impl Grants {
    pub async fn revise_schedule(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        schedule: Option<ScheduleInput>,
        reason: &str,
        request: Option<RequestKey>,
    ) -> Result<StateChange> {
        let schedule = schedule.ok_or_else(|| Error::invalid("schedule", "is required: the whole new schedule"))?;
        let reason = optional_reason(reason)?;
        let now = Timestamp::now();
        let who = caller.clone();
        let decide: ApplicationChange =
            Arc::new(move |s: &lifecycle::Situation| decide::revise(&who, s, &schedule, reason.clone(), now));
        self.apply(caller, name, request, None, false, decide).await
    }

    pub async fn submit_report(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        number: i32,
        document: &str,
        outputs: Outputs,
        request: Option<RequestKey>,
    ) -> Result<ReportChange> {
        let document = match document.is_empty() {
            true => return Err(Error::invalid("document", "is required: the report's REPORT document")),
            false => DocumentName::parse(document, "document")?,
        };
        let outputs = Outputs::parse(outputs)?;
        let now = Timestamp::now();
        let who = caller.clone();
        let decide: ApplicationChange = Arc::new(move |s: &lifecycle::Situation| {
            decide::submit(&who, s, i64::from(number), &document, outputs.clone(), now)
        });
        let change = self.apply(caller, name, request, None, false, decide).await?;
        with_report(change, number.max(1) as u32)
    }

    pub async fn decide_report(
        &self,
        caller: &Caller,
        name: &ReportName,
        accept: bool,
        reason: &str,
        request: Option<RequestKey>,
    ) -> Result<ReportChange> {
        let reason = match accept {
            true => optional_reason(reason)?,
            false => required_reason(reason)?,
        };
        let now = Timestamp::now();
        let (who, number) = (caller.clone(), name.number);
        let decide: ApplicationChange =
            Arc::new(move |s: &lifecycle::Situation| decide::decide(&who, s, number, accept, reason.clone(), now));
        let change = self
            .apply(caller, &name.application, request, None, false, decide)
            .await?;
        with_report(change, number)
    }

    /// Every version of every report of an application, by number then
    /// version. Payments and reports are no reviewer's business.
    pub async fn list_reports(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<Report>> {
        caller.require(
            &[Role::Admin, Role::Officer, Role::Applicant, Role::Viewer],
            "list reports",
        )?;
        let application = self.get_application(caller, name).await?;
        let page = PageRequest::parse(page_size, page_token, &name.to_string(), "")?;
        let key = |r: &Report| format!("{:03}-{:05}", r.version.number, r.version.version);
        let kinds: Vec<_> = application
            .schedule
            .as_ref()
            .map(|s| s.reports.iter().map(|r| r.kind).collect())
            .unwrap_or_default();
        let mut reports: Vec<Report> = application
            .reports
            .iter()
            .filter_map(|v| {
                Some(Report {
                    application: application.name.clone(),
                    kind: *kinds.get(v.number as usize - 1)?,
                    version: v.clone(),
                })
            })
            .collect();
        reports.sort_by_key(key);
        let rows: Vec<Report> = reports
            .into_iter()
            .filter(|r| page.after.as_ref().is_none_or(|after| &key(r) > after))
            .take(usize::try_from(page.fetch_limit()).unwrap_or(usize::MAX))
            .collect();
        Ok(Page::from_rows(&page, rows, key))
    }

    /// One pass of the overdue job, while this replica holds its lease:
    /// each report past due and not yet marked gets its one REPORT_OVERDUE
    /// event. Returns how many were marked.
    pub async fn mark_overdue_reports(&self, holder: &str, lease: std::time::Duration) -> Result<u64> {
        let now = Timestamp::now();
        if !self
            .store
            .take_lease("report-overdue", holder, now.plus(lease), now)
            .await?
        {
            return Ok(0);
        }
        let system = server_caller();
        let mut marked = 0;
        for _ in 0..10 {
            let due = self.store.reports_due_by(Timestamp::now(), 200).await?;
            if due.is_empty() {
                break;
            }
            for name in due {
                let who = system.clone();
                let decide: ApplicationChange =
                    Arc::new(move |s: &lifecycle::Situation| decide::mark_overdue(&who, s, Timestamp::now()));
                match self.apply(&system, &name, None, None, false, decide).await {
                    Ok(_) => marked += 1,
                    Err(err) => tracing::warn!(application = %name, error = %err, "marking a report overdue failed"),
                }
            }
        }
        Ok(marked)
    }
}
