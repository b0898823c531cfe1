//! `grantctl export reports`: one row per version of every report of every
//! award in scope, for a funder's records of what each grant reported.
//! One pass over the applications (as `export awards` makes), keeping the
//! awards whose schedule shows a report submitted at least once, then
//! ListReports of each, every page; the due time comes from the
//! application's schedule as listed, the institution's names from one
//! GetInstitution each (as the other exports), and the outputs are
//! counted, their DOIs joined with `;`.

use gba_grants::proto::v1;
use gba_grants::proto::v1::report_service_client::ReportServiceClient;

use super::{Ctx, Institutions, Pages, Sink, awarded, time};
use crate::error::{Result, exit};
use crate::records::{Table, number, text};
use crate::views_report::{kind_word, people_trained, status_word};

pub const HELP: &str = "\
Columns: application, award_number, applicant_institution, institution_name_en, institution_name_zh, \
report_number, kind, version, status, due_time, submit_time, submitted_by, decided_by, decide_time, \
decision_reason, document, publications, datasets, patents, people_trained, dois

kind is INTERIM or FINAL; status is the version's own: SUBMITTED (waiting for the officer), RETURNED or \
ACCEPTED; due_time is the report's in the schedule; publications, datasets and patents count the \
version's outputs and people_trained adds up every level; dois are the DOIs of its publications, then \
of its datasets, joined with ';'. Applications whose reports the key may not read are left out.

Example:
  grantctl export reports --programme programmes/0193... --excel -O reports.csv
  grantctl export reports --format jsonl | jq -r 'select(.status == \"RETURNED\") | .application'";

pub const REPORTS: Table = &[
    text("application"),
    text("award_number"),
    text("applicant_institution"),
    text("institution_name_en"),
    text("institution_name_zh"),
    number("report_number"),
    text("kind"),
    number("version"),
    text("status"),
    number("due_time"),
    number("submit_time"),
    text("submitted_by"),
    text("decided_by"),
    number("decide_time"),
    text("decision_reason"),
    text("document"),
    number("publications"),
    number("datasets"),
    number("patents"),
    number("people_trained"),
    text("dois"),
];

/// An award with a report submitted at least once (as it stood when listed).
fn reported(a: &v1::Application) -> bool {
    awarded(a)
        && a.schedule
            .as_ref()
            .is_some_and(|s| s.reports.iter().any(|r| r.versions > 0))
}

/// The DOIs of a version's publications, then of its datasets.
fn dois(o: &v1::ReportOutputs) -> String {
    o.publications
        .iter()
        .map(|p| p.doi.as_str())
        .chain(o.datasets.iter().map(|d| d.doi.as_str()))
        .filter(|d| !d.is_empty())
        .collect::<Vec<_>>()
        .join(";")
}

/// One version's row; `names` are the applicant institution's English and
/// Chinese names.
fn row(a: &v1::Application, names: &(String, String), r: &v1::Report) -> Vec<String> {
    let due = a
        .schedule
        .as_ref()
        .and_then(|s| s.reports.iter().find(|d| d.number == r.number))
        .and_then(|d| d.due_time.as_ref());
    let o = r.outputs.clone().unwrap_or_default();
    vec![
        a.name.clone(),
        a.award_number.clone(),
        a.applicant_institution.clone(),
        names.0.clone(),
        names.1.clone(),
        r.number.to_string(),
        kind_word(r.kind),
        r.version.to_string(),
        status_word(r.status),
        time(due),
        time(r.submit_time.as_ref()),
        r.submitted_by.clone(),
        r.decided_by.clone(),
        time(r.decide_time.as_ref()),
        r.decision_reason.clone(),
        r.document.clone(),
        o.publications.len().to_string(),
        o.datasets.len().to_string(),
        o.patents.len().to_string(),
        people_trained(&o).to_string(),
        dois(&o),
    ]
}

/// Every version of every report of the awards of `parent`, in the order
/// of the applications, then as ListReports gives them (by number, then
/// version).
pub(super) async fn reports(ctx: &Ctx, parent: &str, page_size: i32, sink: &mut Sink) -> Result<()> {
    let mut pages = Pages::new(parent, String::new(), page_size);
    let mut institutions = Institutions::default();
    while let Some(page) = pages.next(ctx).await? {
        let page: Vec<v1::Application> = page.into_iter().filter(reported).collect();
        institutions
            .learn(ctx, page.iter().map(|a| a.applicant_institution.as_str()))
            .await?;
        for a in &page {
            let names = institutions.names(&a.applicant_institution);
            let mut token = String::new();
            loop {
                let request = v1::ListReportsRequest {
                    parent: a.name.clone(),
                    page_size,
                    page_token: token,
                };
                let listed = ctx
                    .conn
                    .call(request, |ch, r| async move {
                        ReportServiceClient::new(ch).list_reports(r).await
                    })
                    .await;
                let r = match listed {
                    Ok(r) => r,
                    // A key that reads the application but not its reports.
                    Err(e) if e.code == exit::NOT_FOUND_OR_DENIED => break,
                    Err(e) => return Err(e),
                };
                for version in &r.reports {
                    sink.row(&row(a, &names, version))?;
                }
                sink.flush()?;
                if r.next_page_token.is_empty() {
                    break;
                }
                token = r.next_page_token;
            }
        }
        sink.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gba_grants::proto::v1::application::State;

    #[test]
    fn a_version_is_one_row_with_its_due_time_counts_and_dois() {
        let a = v1::Application {
            name: "programmes/p/applications/a".into(),
            state: State::Active as i32,
            award_number: "GBA-2027-0001".into(),
            applicant_institution: "institutions/h".into(),
            schedule: Some(v1::PaymentSchedule {
                reports: vec![v1::ReportDue {
                    number: 1,
                    due_time: Some(prost_types::Timestamp {
                        seconds: 1_814_400_000,
                        nanos: 0,
                    }),
                    versions: 2,
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(reported(&a));
        let r = v1::Report {
            name: "programmes/p/applications/a/reports/1".into(),
            number: 1,
            kind: v1::ReportKind::Interim as i32,
            version: 2,
            status: v1::ReportStatus::Accepted as i32,
            outputs: Some(v1::ReportOutputs {
                publications: vec![
                    v1::Publication {
                        doi: "10.1/a".into(),
                        title: "A".into(),
                    },
                    v1::Publication {
                        doi: "10.1/b".into(),
                        title: "B".into(),
                    },
                ],
                datasets: vec![
                    v1::Dataset {
                        url: "https://x.example".into(),
                        ..Default::default()
                    },
                    v1::Dataset {
                        doi: "10.2/c".into(),
                        ..Default::default()
                    },
                ],
                people_trained: vec![
                    v1::PeopleTrained { level: 3, count: 2 },
                    v1::PeopleTrained { level: 2, count: 1 },
                ],
                ..Default::default()
            }),
            ..Default::default()
        };
        let names = ("The University of Hong Kong".to_owned(), "香港大學".to_owned());
        let cells = row(&a, &names, &r);
        assert_eq!(cells.len(), REPORTS.len());
        let cell = |column: &str| cells[REPORTS.iter().position(|c| c.name == column).unwrap()].clone();
        assert_eq!(cell("institution_name_zh"), "香港大學");
        assert_eq!(
            (cell("kind"), cell("version"), cell("status")),
            ("INTERIM".into(), "2".into(), "ACCEPTED".into())
        );
        assert_eq!(cell("due_time"), "2027-07-01T00:00:00Z");
        assert_eq!(cell("decide_time"), "");
        assert_eq!(
            (
                cell("publications"),
                cell("datasets"),
                cell("patents"),
                cell("people_trained")
            ),
            ("2".into(), "2".into(), "0".into(), "3".into())
        );
        assert_eq!(cell("dois"), "10.1/a;10.1/b;10.2/c");
        let never = v1::Application {
            schedule: None,
            ..a.clone()
        };
        assert!(!reported(&never));
    }
}
