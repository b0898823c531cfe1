//! `grantctl awards usage record|list` (officers): usage of a facility
//! award, in the programme's unit (`12.5 beam-h`), each with the period it
//! covers and the facility's reference. Usage is to a facility award what
//! disbursements are to money: the first record moves APPROVED → ACTIVE,
//! usage beyond the allocation is refused (USAGE_EXCEEDS_ALLOCATION), and
//! a reference is used once in a programme (DUPLICATE_USAGE_REFERENCE).

use clap::Subcommand;
use gba_grants::proto::v1;
use gba_grants::proto::v1::award_service_client::AwardServiceClient as Client;

use super::{AppRef, Ctx, ListArgs, WriteArgs, period_arg, resource_arg};
use crate::error::{CliError, Result, exit};
use crate::json::{input, out};
use crate::output::{self, Format};
use crate::table;
use crate::views::{Resource, state_word};
use crate::views_facility::application_details;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Record usage of a facility award; the first moves APPROVED → ACTIVE.
    ///
    /// Within what is left of the allocation; the reference (an experiment
    /// number, a job-accounting id) is used once within the programme.
    #[command(
        after_help = "Example:\n  grantctl awards usage record P/A --amount '12.5 beam-h' \\\n    \
                      --period 2026-03-02T08:00:00Z/2026-03-02T20:30:00Z --reference EXP-2026-0042\n  \
                      grantctl awards usage record P/A --amount '250,000 core-h' --period 2026-03-01/2026-04-01 \\\n    \
                      --reference JOB-7781 --request-id 0193aaaa-usage-march"
    )]
    Record {
        #[command(flatten)]
        app: AppRef,
        /// Amount used, in the programme's unit, such as "12.5 beam-h".
        #[arg(long, value_name = "AMOUNT")]
        amount: Option<String>,
        /// When it was used: START/END in RFC 3339 (or dates, or relative
        /// such as -2d/now).
        #[arg(long, value_name = "START/END", allow_hyphen_values = true)]
        period: Option<String>,
        /// The facility's reference, unique within the programme, such as EXP-2026-0042.
        #[arg(long)]
        reference: Option<String>,
        /// A UsageRecord in proto3 JSON (`-`: standard input); flags override it.
        #[arg(long, value_name = "FILE")]
        from_file: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// List an application's usage records, oldest first.
    #[command(after_help = "Example:\n  grantctl awards usage list P/A\n  \
                            grantctl awards usage list P/A -o json | jq -r '.[].amount.value'")]
    List {
        #[command(flatten)]
        app: AppRef,
        #[command(flatten)]
        list: ListArgs,
    },
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Record {
            app,
            amount,
            period,
            reference,
            from_file,
            write,
        } => {
            let mut u = match &from_file {
                Some(path) => input::usage_record(&input::read(path)?)?,
                None => v1::UsageRecord::default(),
            };
            if let Some(a) = amount {
                u.amount = Some(resource_arg(
                    "--amount",
                    &a,
                    "money is paid with grantctl awards disburse",
                )?);
            }
            if let Some(p) = period {
                u.period = Some(period_arg("--period", &p)?);
            }
            if let Some(r) = reference {
                u.reference = r;
            }
            let missing = [
                (u.amount.is_none(), "--amount"),
                (u.period.is_none(), "--period"),
                (u.reference.is_empty(), "--reference"),
            ];
            if let Some((_, flag)) = missing.iter().find(|(absent, _)| *absent) {
                return Err(CliError::new(
                    exit::INVALID,
                    format!("{flag} is missing: usage has an amount, a period and a reference"),
                ));
            }
            let request = v1::RecordUsageRequest {
                parent: app.name()?,
                usage_record: Some(u),
                request_id: write.id(),
            };
            let r = ctx
                .conn
                .call(request, |ch, r| async move { Client::new(ch).record_usage(r).await })
                .await?;
            print_recorded(ctx.format, &r)
        }
        Cmd::List { app, list } => {
            if list.filter.is_some() {
                return Err(CliError::invalid("--filter", "usage records cannot be filtered"));
            }
            let parent = app.name()?;
            let items = list
                .paging()
                .collect(|page_size, page_token| {
                    let request = v1::ListUsageRecordsRequest {
                        parent: parent.clone(),
                        page_size,
                        page_token,
                    };
                    async move {
                        let r = ctx
                            .conn
                            .call(
                                request,
                                |ch, r| async move { Client::new(ch).list_usage_records(r).await },
                            )
                            .await?;
                        Ok((r.usage_records, r.next_page_token))
                    }
                })
                .await?;
            output::list(ctx.format, &items)
        }
    }
}

/// `-o json`: the whole response `{"usageRecord", "application"}`; the
/// table shows the usage and the award's state, allocation, use and
/// what is left.
fn print_recorded(format: Format, r: &v1::RecordUsageResponse) -> Result<()> {
    let u = r.usage_record.clone().unwrap_or_default();
    let a = r.application.clone().unwrap_or_default();
    match format {
        Format::Json => output::write(&output::pretty(&out::recorded_usage(r))),
        Format::Jsonl => output::write(&output::compact(&out::recorded_usage(r))),
        Format::Name => output::write(&format!("{}\n", u.name)),
        Format::Table => {
            let mut fields = u.details();
            fields.push(("Application", a.name.clone()));
            fields.push(("State", state_word(a.state)));
            fields.extend(
                application_details(&a)
                    .into_iter()
                    .filter(|(label, _)| *label != "Preferred periods"),
            );
            output::write(&table::fields(&fields))
        }
    }
}
