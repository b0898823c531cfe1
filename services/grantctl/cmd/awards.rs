//! `grantctl awards disburse|disbursements|close|usage` (officers).
//! `disburse` computes the payee amount (amount × rate, rounded half-even,
//! less bank charges) when `--payee-currency` is given instead of
//! `--payee-amount`. Facility awards record usage instead (`usage
//! record|list`, usage.rs).

use clap::Subcommand;
use gba_grants::proto::v1;
use gba_grants::proto::v1::award_service_client::AwardServiceClient as Client;

use super::{AppRef, Ctx, ListArgs, WriteArgs, money_arg, time_opt};
use crate::error::{CliError, Result};
use crate::json::{input, out};
use crate::output::{self, Format};
use crate::{exchange, money, resource, table, views::Resource};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Record a payment of an award; the first moves APPROVED → ACTIVE.
    ///
    /// It pays a tranche of the award's payment schedule (`--tranche N`,
    /// default the first with something left to pay), within what is left
    /// of it, and only once the report it waits for is accepted.
    #[command(
        after_help = "Example:\n  grantctl awards disburse P/A --amount '100,000 CNY' --rate 1.0842 \\\n    \
                            --payee-amount '108,420.00 HKD' --reference FPS-1\n  \
                            grantctl awards disburse P/A --amount '100,000 CNY' --rate 1.0842 --payee-currency HKD \\\n    \
                            --bank-charges '25 HKD' --reference FPS-2   # payee amount computed: HKD 108,395.00\n  \
                            grantctl awards disburse P/A --tranche 2 --amount '450,000 CNY' --rate 1 --payee-currency CNY \\\n    \
                            --reference BOC-7   # once the report tranche 2 waits for is accepted"
    )]
    Disburse {
        #[command(flatten)]
        app: AppRef,
        /// Amount paid, in the programme's currency, such as "100,000 CNY".
        #[arg(long)]
        amount: Option<String>,
        /// What the payee received in its own currency, such as "108,420.00 HKD".
        #[arg(long)]
        payee_amount: Option<String>,
        /// Payee currency units per programme currency unit, such as 1.0842.
        #[arg(long)]
        rate: Option<String>,
        /// Compute the payee amount in this currency (instead of --payee-amount).
        #[arg(long, conflicts_with = "payee_amount")]
        payee_currency: Option<String>,
        /// Bank charges deducted, in the payee currency.
        #[arg(long)]
        bank_charges: Option<String>,
        /// Payment reference, unique within the programme.
        #[arg(long)]
        reference: Option<String>,
        /// When it was paid: RFC 3339, a date, or relative (now, today, -2d).
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        pay_time: Option<String>,
        /// The tranche of the payment schedule paid (see `grantctl reports
        /// schedule`); 0: the first with something left to pay. A tranche
        /// waiting for a report not yet accepted is refused
        /// (REPORT_NOT_ACCEPTED) [default: 0].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(0..))]
        tranche: Option<i32>,
        /// A Disbursement in proto3 JSON (`-`: standard input); flags override it.
        #[arg(long, value_name = "FILE")]
        from_file: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// List an application's disbursements.
    #[command(after_help = "Example:\n  grantctl awards disbursements P/A -o json")]
    Disbursements {
        #[command(flatten)]
        app: AppRef,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Usage of a facility award (beam time, core-hours): record, list.
    #[command(
        after_help = "Example:\n  grantctl awards usage record P/A --amount '12.5 beam-h' \\\n    \
                            --period 2026-03-02T08:00:00Z/2026-03-02T20:30:00Z --reference EXP-2026-0042\n  \
                            grantctl awards usage list P/A"
    )]
    Usage {
        #[command(subcommand)]
        command: super::usage::Cmd,
    },
    /// ACTIVE → CLOSED (or rescind an APPROVED grant never paid, with --reason).
    ///
    /// It closes COMPLETED once the schedule's final report is accepted (or
    /// when the schedule asks for no final report), otherwise TERMINATED,
    /// which needs --reason; the undisbursed remainder returns to the budget
    /// (of a facility award, the unused allocation to the capacity).
    #[command(after_help = "Example:\n  grantctl awards close P/A\n  \
                            grantctl awards close P/A --reason 'The team dissolved; no final report'")]
    Close {
        #[command(flatten)]
        app: AppRef,
        /// Why (required when rescinding).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Disburse {
            app,
            amount,
            payee_amount,
            rate,
            payee_currency,
            bank_charges,
            reference,
            pay_time,
            tranche,
            from_file,
            write,
        } => {
            let mut d = match &from_file {
                Some(path) => input::disbursement(&input::read(path)?)?,
                None => v1::Disbursement::default(),
            };
            if amount.as_deref().is_some_and(resource::names_unit) {
                return Err(CliError::invalid(
                    "--amount",
                    "a facility award's use is recorded with grantctl awards usage record P/A --amount AMOUNT \
                     --period START/END --reference REF",
                ));
            }
            let amount = amount.map(|a| money_arg("--amount", &a)).transpose()?;
            let charges = bank_charges.map(|c| money_arg("--bank-charges", &c)).transpose()?;
            if let Some(r) = &rate {
                exchange::check_rate(r).map_err(|e| CliError::invalid("--rate", e))?;
                d.exchange_rate = r.clone();
            }
            if let Some(p) = payee_amount {
                d.payee_amount = Some(money_arg("--payee-amount", &p)?.to_proto());
            } else if let Some(currency) = payee_currency {
                let base = amount
                    .clone()
                    .or_else(|| d.amount.as_ref().map(money::Amount::from_proto));
                let (Some(base), false) = (base, d.exchange_rate.is_empty()) else {
                    return Err(CliError::invalid(
                        "--payee-currency",
                        "computing the payee amount needs --amount and --rate",
                    ));
                };
                let computed = exchange::payee_amount(&base, &d.exchange_rate, &currency, charges.as_ref())
                    .map_err(|e| CliError::invalid("--payee-currency", e))?;
                d.payee_amount = Some(computed.to_proto());
            }
            if let Some(a) = amount {
                d.amount = Some(a.to_proto());
            }
            if let Some(c) = charges {
                d.bank_charges = Some(c.to_proto());
            }
            if let Some(r) = reference {
                d.reference = r;
            }
            if pay_time.is_some() {
                d.pay_time = time_opt("--pay-time", pay_time.as_ref())?;
            }
            if let Some(n) = tranche {
                d.tranche = n;
            }
            let request = v1::RecordDisbursementRequest {
                parent: app.name()?,
                disbursement: Some(d),
                request_id: write.id(),
            };
            let r = ctx
                .conn
                .call(
                    request,
                    |ch, r| async move { Client::new(ch).record_disbursement(r).await },
                )
                .await?;
            print_recorded(ctx.format, &r)
        }
        Cmd::Disbursements { app, list } => {
            if list.filter.is_some() {
                return Err(CliError::invalid("--filter", "disbursements cannot be filtered"));
            }
            let parent = app.name()?;
            let items = list
                .paging()
                .collect(|page_size, page_token| {
                    let request = v1::ListDisbursementsRequest {
                        parent: parent.clone(),
                        page_size,
                        page_token,
                    };
                    async move {
                        let r = ctx
                            .conn
                            .call(
                                request,
                                |ch, r| async move { Client::new(ch).list_disbursements(r).await },
                            )
                            .await?;
                        Ok((r.disbursements, r.next_page_token))
                    }
                })
                .await?;
            output::list(ctx.format, &items)
        }
        Cmd::Usage { command } => super::usage::run(ctx, command).await,
        Cmd::Close { app, reason, write } => {
            let request = v1::CloseGrantRequest {
                name: app.name()?,
                reason: reason.unwrap_or_default(),
                request_id: write.id(),
            };
            let r = ctx
                .conn
                .call(request, |ch, r| async move { Client::new(ch).close_grant(r).await })
                .await?;
            output::one(ctx.format, &r.application.unwrap_or_default())
        }
    }
}

/// `-o json`: the whole response `{"disbursement", "application"}`; the
/// table shows the payment and the application's state and totals.
fn print_recorded(format: Format, r: &v1::RecordDisbursementResponse) -> Result<()> {
    let d = r.disbursement.clone().unwrap_or_default();
    let a = r.application.clone().unwrap_or_default();
    match format {
        Format::Json => output::write(&output::pretty(&out::recorded(r))),
        Format::Jsonl => output::write(&output::compact(&out::recorded(r))),
        Format::Name => output::write(&format!("{}\n", d.name)),
        Format::Table => {
            let mut fields = d.details();
            fields.push(("Application", a.name.clone()));
            fields.push(("State", crate::views::state_word(a.state)));
            fields.push(("Awarded", crate::views::money(a.awarded_amount.as_ref())));
            fields.push(("Disbursed", crate::views::money(a.disbursed_amount.as_ref())));
            output::write(&table::fields(&fields))
        }
    }
}
