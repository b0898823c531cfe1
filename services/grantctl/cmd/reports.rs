//! `grantctl reports schedule|revise|submit|accept|return|list`: the half
//! after the award. The payment schedule of a grant (its tranches, each
//! paid once the report it waits for is accepted, and the reports due),
//! revised by officers; reports submitted by the applicant institution
//! against a REPORT document, accepted or returned by officers; every
//! version listed. A report is `programmes/P/applications/A/reports/N` or
//! `P/A/N`; tranches are paid with `grantctl awards disburse --tranche N`.

use clap::{ArgGroup, Subcommand};
use gba_grants::proto::v1;
use gba_grants::proto::v1::application_service_client::ApplicationServiceClient;
use gba_grants::proto::v1::report_service_client::ReportServiceClient as Client;

use super::schedule::ScheduleArgs;
use super::{AppRef, Ctx, WriteArgs};
use crate::client::Paging;
use crate::error::{CliError, Result, exit};
use crate::json::{input, report as json};
use crate::output::{self, Format};
use crate::views::state_word;
use crate::{names, views_report};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Show a grant's payment schedule: each tranche with its amount, what
    /// was paid of it and the report it waits for; each report due with
    /// its kind, due time, status and versions.
    ///
    /// `-o json` prints the PaymentSchedule, which `reports revise
    /// --schedule` reads back; `-o name` the name of each report due.
    #[command(after_help = "Example:\n  grantctl reports schedule P/A\n  \
                            grantctl reports schedule P/A -o json > schedule.json")]
    Schedule {
        #[command(flatten)]
        app: AppRef,
    },
    /// Revise the payment schedule of an APPROVED or ACTIVE grant (officers).
    ///
    /// The new schedule is given whole, as a file or as flags; its tranches
    /// still sum to the award, a tranche already paid keeps its amount and
    /// condition (TRANCHE_PAID), and a report already submitted keeps its
    /// kind. Prints the schedule as `reports schedule` does.
    #[command(
        group(ArgGroup::new("new_schedule").args(["schedule", "tranches", "reports"]).required(true).multiple(true)),
        after_help = "Example:\n  grantctl reports schedule P/A -o json > schedule.json   # edit, then:\n  \
                      grantctl reports revise P/A --schedule schedule.json --reason 'Interim report moved'\n  \
                      grantctl reports revise P/A --tranche '300,000 CNY' --tranche '450,000 CNY@after=1' \\\n    \
                      --report interim@2027-09-30 --report final@2028-12-31"
    )]
    Revise {
        #[command(flatten)]
        app: AppRef,
        #[command(flatten)]
        schedule: ScheduleArgs,
        /// Why (optional; recorded in the event).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Submit a report due, or a new version of a returned one (the
    /// applicant institution), while the grant is APPROVED or ACTIVE.
    ///
    /// The report itself is a REPORT document of the application (upload
    /// it first: grantctl documents upload P/A FILE --kind report). The
    /// outputs are a ReportOutputs in proto3 JSON: publications [{doi,
    /// title}], datasets [{doi or url, title}], patents [{number, title}],
    /// peopleTrained [{level, count}] (levels UNDERGRADUATE, MASTERS,
    /// DOCTORAL, POSTDOCTORAL).
    #[command(
        after_help = "Example:\n  D=$(grantctl documents upload P/A interim.pdf --kind report -o name)\n  \
                      grantctl reports submit P/A --number 1 --document \"$D\" --outputs outputs.json\n\n\
                      outputs.json:\n  \
                      {\"publications\": [{\"doi\": \"10.1038/s41586-020-2649-2\", \"title\": \"Array programming with NumPy\"}],\n   \
                      \"datasets\": [{\"url\": \"https://data.example.org/surge\", \"title\": \"Surge 2025\"}],\n   \
                      \"patents\": [{\"number\": \"CN202410123456.7\", \"title\": \"Sensor buoy\"}],\n   \
                      \"peopleTrained\": [{\"level\": \"DOCTORAL\", \"count\": 2}]}"
    )]
    Submit {
        #[command(flatten)]
        app: AppRef,
        /// The report's number in the schedule (see `reports schedule`).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..))]
        number: i32,
        /// The REPORT document: its bare id D (a document of APPLICATION),
        /// P/A/D, or programmes/P/applications/A/documents/D.
        #[arg(long, value_name = "DOCUMENT")]
        document: String,
        /// What the project produced so far: a ReportOutputs in proto3 JSON
        /// (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        outputs: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Accept the submitted version of a report (officers).
    #[command(after_help = "Example:\n  grantctl reports accept P/A/1\n  \
                            grantctl reports accept programmes/P/applications/A/reports/2 --reason 'Thorough'")]
    Accept {
        /// The report: programmes/P/applications/A/reports/N or P/A/N.
        #[arg(value_name = "REPORT")]
        report: String,
        /// A note (optional).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Return the submitted version of a report with a reason (officers);
    /// the applicant submits it again.
    #[command(after_help = "Example:\n  grantctl reports return P/A/1 --reason 'Give the dataset a DOI'")]
    Return {
        /// The report: programmes/P/applications/A/reports/N or P/A/N.
        #[arg(value_name = "REPORT")]
        report: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// List every version of every report of a grant, by number then version.
    #[command(after_help = "Example:\n  grantctl reports list P/A\n  \
                            grantctl reports list P/A -o json | jq '.[] | select(.status == \"REPORT_STATUS_ACCEPTED\")'")]
    List {
        #[command(flatten)]
        app: AppRef,
        /// Results per page (the server's default is 50; at most 1000).
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..=1000))]
        page_size: Option<i32>,
        /// Stop after N results (default: page through all of them).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        limit: Option<u64>,
    },
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let c = &ctx.conn;
    let report = match cmd {
        Cmd::Schedule { app } => {
            let request = v1::GetApplicationRequest { name: app.name()? };
            let a = c
                .call(request, |ch, r| async move {
                    ApplicationServiceClient::new(ch).get_application(r).await
                })
                .await?
                .application
                .unwrap_or_default();
            return print_schedule(ctx.format, &a);
        }
        Cmd::Revise {
            app,
            schedule,
            reason,
            write,
        } => {
            let name = app.name()?;
            let schedule = schedule.schedule()?;
            let request = v1::ReviseScheduleRequest {
                name,
                schedule,
                reason: reason.unwrap_or_default(),
                request_id: write.id(),
            };
            let a = c
                .call(request, |ch, r| async move { Client::new(ch).revise_schedule(r).await })
                .await?
                .application
                .unwrap_or_default();
            return print_schedule(ctx.format, &a);
        }
        Cmd::Submit {
            app,
            number,
            document,
            outputs,
            write,
        } => {
            let parent = app.name()?;
            let document = names::document_of(&parent, &document).map_err(|e| CliError::invalid("--document", e))?;
            let outputs = match &outputs {
                Some(path) => Some(json::outputs_in(&input::read_as("--outputs", path)?)?),
                None => None,
            };
            let request = v1::SubmitReportRequest {
                parent,
                number,
                document,
                outputs,
                request_id: write.id(),
            };
            c.call(request, |ch, r| async move { Client::new(ch).submit_report(r).await })
                .await?
                .report
        }
        Cmd::Accept { report, reason, write } => {
            let request = v1::AcceptReportRequest {
                name: report_arg(&report)?,
                reason: reason.unwrap_or_default(),
                request_id: write.id(),
            };
            c.call(request, |ch, r| async move { Client::new(ch).accept_report(r).await })
                .await?
                .report
        }
        Cmd::Return { report, reason, write } => {
            let request = v1::ReturnReportRequest {
                name: report_arg(&report)?,
                reason,
                request_id: write.id(),
            };
            c.call(request, |ch, r| async move { Client::new(ch).return_report(r).await })
                .await?
                .report
        }
        Cmd::List { app, page_size, limit } => {
            let parent = app.name()?;
            let paging = Paging {
                page_size,
                limit: limit.map(|l| l as usize),
            };
            let items = paging
                .collect(|page_size, page_token| {
                    let request = v1::ListReportsRequest {
                        parent: parent.clone(),
                        page_size,
                        page_token,
                    };
                    async move {
                        let r = c
                            .call(request, |ch, r| async move { Client::new(ch).list_reports(r).await })
                            .await?;
                        Ok((r.reports, r.next_page_token))
                    }
                })
                .await?;
            return output::list(ctx.format, &items);
        }
    };
    output::one(ctx.format, &report.unwrap_or_default())
}

fn report_arg(text: &str) -> Result<String> {
    names::report(text).map_err(|e| CliError::invalid("REPORT", e))
}

/// The schedule of `a` in the format asked; one that has none (not
/// awarded) is exit 5.
fn print_schedule(format: Format, a: &v1::Application) -> Result<()> {
    let Some(s) = &a.schedule else {
        return Err(CliError::new(
            exit::CONFLICT,
            format!(
                "{} has no payment schedule: it is {}, and a schedule comes with the award \
                 (grantctl reviews approve P/A --amount AMOUNT --schedule FILE)",
                a.name,
                state_word(a.state)
            ),
        ));
    };
    match format {
        Format::Table => output::write(&views_report::schedule_text(a, s)),
        Format::Json => output::write(&output::pretty(&json::schedule(s))),
        Format::Jsonl => output::write(&output::compact(&json::schedule(s))),
        Format::Name => output::write(
            &s.reports
                .iter()
                .map(|r| format!("{}/reports/{}\n", a.name, r.number))
                .collect::<String>(),
        ),
    }
}
