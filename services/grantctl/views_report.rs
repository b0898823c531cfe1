//! Views of the half after the award: a report version's row and field
//! list, the payment schedule as two tables (tranches, reports due), an
//! application's schedule and closure among its details, and the
//! post-award activity of events (see views.rs for the other resources).
//! Kinds, statuses, levels and closures read as flags and files take them
//! (`INTERIM`, `ACCEPTED`, `DOCTORAL`, `COMPLETED`).

use gba_grants::proto::v1;
use gba_grants::proto::v1::report_activity::Kind as ActivityKind;
use serde_json::Value;

use crate::json::report as json;
use crate::views::{Resource, money, state_word, time};
use crate::views_team::inline_table;
use crate::{names, table};

/// The value name without its prefix: `REPORT_KIND_INTERIM` → `INTERIM`;
/// empty for the zero value, the number for one grantctl does not know.
fn word(v: i32, name: Option<&'static str>, prefix: &str) -> String {
    match (v, name) {
        (0, _) => String::new(),
        (_, Some(n)) => n.trim_start_matches(prefix).to_owned(),
        (v, None) => v.to_string(),
    }
}

/// `INTERIM` or `FINAL`.
pub fn kind_word(v: i32) -> String {
    word(v, json::report_kind_name(v), "REPORT_KIND_")
}

/// `DUE`, `SUBMITTED`, `RETURNED`, `ACCEPTED` or `OVERDUE`.
pub fn status_word(v: i32) -> String {
    word(v, json::report_status_name(v), "REPORT_STATUS_")
}

/// `COMPLETED` or `TERMINATED`; empty while the grant is not closed.
pub fn closure_word(v: i32) -> String {
    word(v, json::closure_name(v), "CLOSURE_")
}

fn level_word(v: i32) -> String {
    let name = v1::TrainingLevel::try_from(v).ok().map(|l| l.as_str_name());
    word(v, name, "TRAINING_LEVEL_")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// People trained in all, whatever their level.
pub fn people_trained(o: &v1::ReportOutputs) -> i64 {
    o.people_trained.iter().map(|t| i64::from(t.count)).sum()
}

/// `2 publications, 1 dataset, 3 people trained`; `none` when empty.
pub fn outputs_summary(o: Option<&v1::ReportOutputs>) -> String {
    let Some(o) = o else {
        return "none".to_owned();
    };
    let trained = people_trained(o);
    let parts: Vec<String> = [
        (
            o.publications.len(),
            plural(o.publications.len(), "publication", "publications"),
        ),
        (o.datasets.len(), plural(o.datasets.len(), "dataset", "datasets")),
        (o.patents.len(), plural(o.patents.len(), "patent", "patents")),
        (trained as usize, format!("{trained} trained")),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(_, text)| text)
    .collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

/// One line per output of a kind: `10.1038/…  Array programming with NumPy`.
fn lines<T>(items: &[T], line: impl Fn(&T) -> String) -> String {
    items.iter().map(line).collect::<Vec<_>>().join("\n")
}

fn either<'a>(first: &'a str, second: &'a str) -> &'a str {
    if first.is_empty() { second } else { first }
}

impl Resource for v1::Report {
    const PLURAL: &'static str = "reports";

    fn name(&self) -> String {
        self.name.clone()
    }

    fn json(&self) -> Value {
        json::report(self)
    }

    fn header() -> &'static [&'static str] {
        &[
            "REPORT",
            "KIND",
            "VERSION",
            "STATUS",
            "SUBMITTED",
            "DECIDED",
            "OUTPUTS",
            "REASON",
        ]
    }

    fn row(&self) -> Vec<String> {
        vec![
            names::short_report(&self.name),
            kind_word(self.kind),
            self.version.to_string(),
            status_word(self.status),
            time(self.submit_time.as_ref()),
            time(self.decide_time.as_ref()),
            outputs_summary(self.outputs.as_ref()),
            table::truncate(&self.decision_reason, 40),
        ]
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        let o = self.outputs.clone().unwrap_or_default();
        vec![
            ("Name", self.name.clone()),
            ("Kind", kind_word(self.kind)),
            ("Version", self.version.to_string()),
            ("Status", status_word(self.status)),
            ("Document", self.document.clone()),
            ("Submitted", time(self.submit_time.as_ref())),
            ("Submitted by", self.submitted_by.clone()),
            ("Decided", time(self.decide_time.as_ref())),
            ("Decided by", self.decided_by.clone()),
            ("Reason", self.decision_reason.clone()),
            ("Outputs", outputs_summary(Some(&o))),
            (
                "Publications",
                lines(&o.publications, |p| format!("{}  {}", p.doi, p.title)),
            ),
            (
                "Datasets",
                lines(&o.datasets, |d| format!("{}  {}", either(&d.doi, &d.url), d.title)),
            ),
            ("Patents", lines(&o.patents, |p| format!("{}  {}", p.number, p.title))),
            (
                "People trained",
                lines(&o.people_trained, |t| format!("{} {}", level_word(t.level), t.count)),
            ),
        ]
    }
}

/// What a tranche waits for: `none`, or `after report 1 (DUE)` with
/// where that report stands now.
fn condition(s: &v1::PaymentSchedule, t: &v1::Tranche) -> String {
    if t.after_report == 0 {
        return "none".to_owned();
    }
    let now = s
        .reports
        .iter()
        .find(|r| r.number == t.after_report)
        .map(|r| status_word(r.status))
        .unwrap_or_default();
    if now.is_empty() {
        format!("after report {}", t.after_report)
    } else {
        format!("after report {} ({now})", t.after_report)
    }
}

const TRANCHE_HEADER: &[&str] = &["TRANCHE", "AMOUNT", "PAID", "CONDITION", "PLANNED"];
const REPORT_HEADER: &[&str] = &["REPORT", "KIND", "DUE", "STATUS", "VERSIONS"];

fn tranche_rows(s: &v1::PaymentSchedule) -> Vec<Vec<String>> {
    s.tranches
        .iter()
        .map(|t| {
            vec![
                t.number.to_string(),
                money(t.amount.as_ref()),
                money(t.paid_amount.as_ref()),
                condition(s, t),
                time(t.planned_time.as_ref()),
            ]
        })
        .collect()
}

fn report_rows(s: &v1::PaymentSchedule) -> Vec<Vec<String>> {
    s.reports
        .iter()
        .map(|r| {
            vec![
                r.number.to_string(),
                kind_word(r.kind),
                time(r.due_time.as_ref()),
                status_word(r.status),
                r.versions.to_string(),
            ]
        })
        .collect()
}

/// `grantctl reports schedule` for people: the grant's state and money,
/// then the tranches and the reports due, each a table.
pub fn schedule_text(a: &v1::Application, s: &v1::PaymentSchedule) -> String {
    let mut out = table::fields(&[
        ("Application", a.name.clone()),
        ("State", state_word(a.state)),
        ("Closure", closure_word(a.closure)),
        ("Awarded", money(a.awarded_amount.as_ref())),
        ("Disbursed", money(a.disbursed_amount.as_ref())),
    ]);
    out.push('\n');
    out.push_str(&table::render(TRANCHE_HEADER, &tranche_rows(s)));
    out.push('\n');
    if s.reports.is_empty() {
        out.push_str("No reports due.\n");
    } else {
        out.push_str(&table::render(REPORT_HEADER, &report_rows(s)));
    }
    out
}

/// The `Closure`, `Tranches` and `Reports` fields of an application (none
/// before the award).
pub fn application_details(a: &v1::Application) -> Vec<(&'static str, String)> {
    let mut fields = vec![("Closure", closure_word(a.closure))];
    if let Some(s) = &a.schedule {
        fields.push(("Tranches", inline_table(TRANCHE_HEADER, &tranche_rows(s))));
        if !s.reports.is_empty() {
            fields.push(("Reports", inline_table(REPORT_HEADER, &report_rows(s))));
        }
    }
    fields
}

/// What a post-award event did: `SCHEDULE_REVISED`, `REPORT_SUBMITTED
/// report 1 v2`, `REPORT_OVERDUE report 2`.
pub fn activity(a: &v1::ReportActivity) -> String {
    let mut text = match ActivityKind::try_from(a.kind) {
        Ok(ActivityKind::Unspecified) | Err(_) => format!("report activity {}", a.kind),
        Ok(k) => k.as_str_name().trim_start_matches("KIND_").to_owned(),
    };
    if a.number > 0 {
        text.push_str(&format!(" report {}", a.number));
    }
    if a.version > 0 {
        text.push_str(&format!(" v{}", a.version));
    }
    text
}

/// The reports of a programme summary: `reports due 2, overdue 1,
/// accepted 3`; empty when all are zero.
pub fn summary_reports(s: &v1::ProgrammeSummary) -> String {
    if s.reports_due == 0 && s.reports_overdue == 0 && s.reports_accepted == 0 {
        return String::new();
    }
    format!(
        "reports due {}, overdue {}, accepted {}",
        s.reports_due, s.reports_overdue, s.reports_accepted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(units: i64) -> Option<v1::Money> {
        Some(v1::Money {
            currency_code: "CNY".into(),
            units,
            nanos: 0,
        })
    }

    fn schedule() -> v1::PaymentSchedule {
        v1::PaymentSchedule {
            tranches: vec![
                v1::Tranche {
                    number: 1,
                    amount: cny(300_000),
                    paid_amount: cny(300_000),
                    ..Default::default()
                },
                v1::Tranche {
                    number: 2,
                    amount: cny(450_000),
                    after_report: 1,
                    paid_amount: cny(0),
                    ..Default::default()
                },
            ],
            reports: vec![v1::ReportDue {
                number: 1,
                kind: v1::ReportKind::Interim as i32,
                status: v1::ReportStatus::Returned as i32,
                versions: 1,
                ..Default::default()
            }],
        }
    }

    #[test]
    fn tranches_say_what_they_wait_for() {
        let s = schedule();
        let rows = tranche_rows(&s);
        assert_eq!(rows[0][1..4], ["CNY 300,000.00", "CNY 300,000.00", "none"]);
        assert_eq!(rows[1][3], "after report 1 (RETURNED)");
        assert_eq!(report_rows(&s)[0][..2], ["1", "INTERIM"]);
        let a = v1::Application {
            schedule: Some(s),
            closure: v1::application::Closure::Completed as i32,
            ..Default::default()
        };
        let fields = application_details(&a);
        let labels: Vec<&str> = fields.iter().map(|(l, _)| *l).collect();
        assert_eq!(labels, ["Closure", "Tranches", "Reports"]);
        assert_eq!(fields[0].1, "COMPLETED");
        assert!(fields[1].1.starts_with("TRANCHE  AMOUNT"), "{}", fields[1].1);
    }

    #[test]
    fn outputs_and_activity_read_briefly() {
        let o = v1::ReportOutputs {
            publications: vec![v1::Publication::default(); 2],
            datasets: vec![v1::Dataset::default()],
            people_trained: vec![
                v1::PeopleTrained {
                    level: v1::TrainingLevel::Doctoral as i32,
                    count: 2,
                },
                v1::PeopleTrained {
                    level: v1::TrainingLevel::Masters as i32,
                    count: 1,
                },
            ],
            ..Default::default()
        };
        assert_eq!(outputs_summary(Some(&o)), "2 publications, 1 dataset, 3 trained");
        assert_eq!(outputs_summary(Some(&v1::ReportOutputs::default())), "none");
        let a = v1::ReportActivity {
            kind: ActivityKind::ReportSubmitted as i32,
            number: 1,
            version: 2,
        };
        assert_eq!(activity(&a), "REPORT_SUBMITTED report 1 v2");
        let a = v1::ReportActivity {
            kind: ActivityKind::ScheduleRevised as i32,
            ..Default::default()
        };
        assert_eq!(activity(&a), "SCHEDULE_REVISED");
        assert_eq!(closure_word(0), "");
        assert_eq!(status_word(v1::ReportStatus::Overdue as i32), "OVERDUE");
    }
}
