//! `grantctl export applications|awards|disbursements|usage|reports`: a
//! programme's data as CSV (RFC 4180) or JSON Lines, for spreadsheets and
//! finance systems (reports: `export/reports.rs`; usage of facility
//! awards: `export/usage.rs`).
//! Each kind is a [`Table`] of columns and one function that walks the
//! List RPCs page by page (page_token until empty) and writes each page's
//! rows as it arrives, so nothing holds the whole data set. Amounts are
//! exact decimals (`1234567.89`) with their currency in a column of its
//! own; a facility programme's amounts are exact decimals of its resource
//! (`96.5`) with the unit (`beam-h`) in a column of its own, the money
//! columns left empty; institutions' English and Chinese names come from one
//! GetInstitution each, cached (empty where the key may not read it);
//! times are RFC 3339 in UTC; absent values are empty. A file (`-O`) is
//! written beside its name and renamed into place when complete.

mod reports;
mod usage;

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use futures_util::future::join_all;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use gba_grants::proto::v1::application_service_client::ApplicationServiceClient;
use gba_grants::proto::v1::award_service_client::AwardServiceClient;
use gba_grants::proto::v1::institution_service_client::InstitutionServiceClient;

use super::{Ctx, StateArg, programme_arg};
use crate::error::{CliError, Result, exit};
use crate::records::{AtomicFile, Layout, Table, Writer, number, text};
use crate::{money, resource, timefmt};

const EXCEL_HELP: &str = "For Excel: start CSV output with the UTF-8 byte order mark (U+FEFF) \
    Excel needs to read Chinese names, and prefix a text value that starts with =, +, - or @ \
    with a single quote (') so that Excel shows it as text instead of running it as a formula; \
    amounts are never prefixed. Without --excel the data is written as it is. JSON Lines are \
    the same either way.";

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Every application of a programme: state, amounts, times, and its
    /// institution's English and Chinese names.
    #[command(
        after_help = "Columns: name, programme, title, state, applicant_institution, institution_name_en, \
                      institution_name_zh, principal_investigator, requested_amount, requested_currency, \
                      duration_months, submit_time, create_time, update_time, requested_unit\n\n\
                      A facility programme's requested_amount is in its unit (such as 96.5), named by \
                      requested_unit; requested_currency is then empty.\n\n\
                      Example:\n  grantctl export applications --programme programmes/0193... > applications.csv\n  \
                      grantctl export applications --programme 0193... --state submitted --format jsonl"
    )]
    Applications {
        #[command(flatten)]
        scope: Scope,
        /// Only applications in this state (any case: submitted, UNDER_REVIEW, under-review).
        #[arg(long, value_enum, ignore_case = true)]
        state: Option<StateArg>,
        #[command(flatten)]
        out: Out,
    },
    /// The awards: applications APPROVED, ACTIVE or CLOSED with an award
    /// number, with what was awarded, disbursed and remains, and how a
    /// closed one ended (COMPLETED or TERMINATED).
    #[command(
        after_help = "Columns: name, award_number, title, applicant_institution, institution_name_en, \
                      institution_name_zh, awarded_amount, disbursed_amount, remaining_amount, currency, state, \
                      closure, used_amount, unit\n\n\
                      A facility award's awarded_amount (the allocation), used_amount and remaining_amount \
                      are in its unit, named by unit; disbursed_amount and currency are then empty.\n\n\
                      Example:\n  grantctl export awards --programme programmes/0193... --excel -O awards.csv"
    )]
    Awards {
        #[command(flatten)]
        scope: Scope,
        #[command(flatten)]
        out: Out,
    },
    /// Every disbursement of every award, oldest first within each award.
    #[command(
        after_help = "Columns: application, name, reference, amount, currency, payee_amount, payee_currency, \
                      exchange_rate, bank_charges, bank_charges_currency, pay_time, create_time\n\n\
                      Example:\n  grantctl export disbursements --programme programmes/0193... --format jsonl | jq -r .reference"
    )]
    Disbursements {
        #[command(flatten)]
        scope: Scope,
        #[command(flatten)]
        out: Out,
    },
    /// Every usage record of every facility award, oldest first within each award.
    #[command(after_help = usage::HELP)]
    Usage {
        #[command(flatten)]
        scope: Scope,
        #[command(flatten)]
        out: Out,
    },
    /// Every version of every report of every award, by application, then
    /// report number, then version: its kind, status, due and decision,
    /// its document, and counts of its outputs with their DOIs.
    #[command(after_help = reports::HELP)]
    Reports {
        #[command(flatten)]
        scope: Scope,
        #[command(flatten)]
        out: Out,
    },
}

/// Whose data.
#[derive(Debug, Args)]
pub struct Scope {
    /// The programme: programmes/ID or the bare ID (default: every
    /// programme the key may see, as with `applications list`).
    #[arg(long)]
    programme: Option<String>,
    /// Results per page asked of the server (its default is 50; at most
    /// 1000); rows are written a page at a time.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..=1000))]
    page_size: Option<i32>,
}

impl Scope {
    /// `programmes/{id}`, or `programmes/-` for every programme in scope.
    fn parent(&self) -> Result<String> {
        match &self.programme {
            Some(p) => programme_arg("--programme", p),
            None => Ok("programmes/-".to_owned()),
        }
    }
}

/// Where and how rows are written.
#[derive(Debug, Args)]
pub struct Out {
    /// csv: RFC 4180 (comma separated, CRLF, a header row, quoted where
    /// needed, UTF-8); jsonl: one JSON object a line, keyed by column,
    /// every value a string as in the CSV. (-o does not apply here.)
    #[arg(long, value_enum, ignore_case = true, default_value = "csv")]
    format: FormatArg,
    #[arg(long, help = EXCEL_HELP)]
    excel: bool,
    /// Write to FILE instead of standard output (`-` is standard output).
    /// It is written under a temporary name beside FILE and renamed to
    /// FILE (replacing it) only when the export is complete, so a failed
    /// or interrupted export leaves FILE as it was.
    #[arg(short = 'O', long = "output-file", value_name = "FILE")]
    output_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// RFC 4180 CSV.
    Csv,
    /// JSON Lines.
    Jsonl,
}

/// One export kind's columns. Adding a kind: its table, its function
/// writing rows through a [`Sink`], and a variant of [`Cmd`].
pub const APPLICATIONS: Table = &[
    text("name"),
    text("programme"),
    text("title"),
    text("state"),
    text("applicant_institution"),
    text("institution_name_en"),
    text("institution_name_zh"),
    text("principal_investigator"),
    number("requested_amount"),
    text("requested_currency"),
    number("duration_months"),
    number("submit_time"),
    number("create_time"),
    number("update_time"),
    text("requested_unit"),
];

pub const AWARDS: Table = &[
    text("name"),
    text("award_number"),
    text("title"),
    text("applicant_institution"),
    text("institution_name_en"),
    text("institution_name_zh"),
    number("awarded_amount"),
    number("disbursed_amount"),
    number("remaining_amount"),
    text("currency"),
    text("state"),
    text("closure"),
    number("used_amount"),
    text("unit"),
];

pub const DISBURSEMENTS: Table = &[
    text("application"),
    text("name"),
    text("reference"),
    number("amount"),
    text("currency"),
    number("payee_amount"),
    text("payee_currency"),
    number("exchange_rate"),
    number("bank_charges"),
    text("bank_charges_currency"),
    number("pay_time"),
    number("create_time"),
];

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let (table, scope, out) = match &cmd {
        Cmd::Applications { scope, out, .. } => (APPLICATIONS, scope, out),
        Cmd::Awards { scope, out } => (AWARDS, scope, out),
        Cmd::Disbursements { scope, out } => (DISBURSEMENTS, scope, out),
        Cmd::Usage { scope, out } => (usage::USAGE, scope, out),
        Cmd::Reports { scope, out } => (reports::REPORTS, scope, out),
    };
    // Refuse a bad flag (exit 4) before a file is made.
    let parent = scope.parent()?;
    let page_size = scope.page_size.unwrap_or(0);
    let mut sink = Sink::open(out, table)?;
    let interrupted = format!("interrupted; {}", sink.left());
    let walk = async {
        match &cmd {
            Cmd::Applications { state, .. } => applications(ctx, &parent, *state, page_size, &mut sink).await,
            Cmd::Awards { .. } => awards(ctx, &parent, page_size, &mut sink).await,
            Cmd::Disbursements { .. } => disbursements(ctx, &parent, page_size, &mut sink).await,
            Cmd::Usage { .. } => usage::usage(ctx, &parent, page_size, &mut sink).await,
            Cmd::Reports { .. } => reports::reports(ctx, &parent, page_size, &mut sink).await,
        }
    };
    tokio::select! {
        done = walk => done?,
        // Ctrl-C: the temporary file goes with the sink; FILE is untouched.
        Ok(()) = tokio::signal::ctrl_c() => return Err(CliError::other(interrupted)),
    }
    sink.finish()
}

/// Applications, page by page, with the filter given.
async fn applications(ctx: &Ctx, parent: &str, state: Option<StateArg>, page_size: i32, sink: &mut Sink) -> Result<()> {
    let filter = state
        .map(|s| format!("state = {}", s.filter_value()))
        .unwrap_or_default();
    let mut pages = Pages::new(parent, filter, page_size);
    let mut institutions = Institutions::default();
    while let Some(page) = pages.next(ctx).await? {
        institutions
            .learn(ctx, page.iter().map(|a| a.applicant_institution.as_str()))
            .await?;
        for a in &page {
            let (en, zh) = institutions.names(&a.applicant_institution);
            sink.row(&[
                a.name.clone(),
                programme_of(&a.name),
                a.title.clone(),
                state_word(a.state),
                a.applicant_institution.clone(),
                en,
                zh,
                a.principal_investigator
                    .as_ref()
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                either(a.requested_amount.as_ref(), a.requested_resource.as_ref()),
                currency(a.requested_amount.as_ref()),
                count(a.duration_months),
                time(a.submit_time.as_ref()),
                time(a.create_time.as_ref()),
                time(a.update_time.as_ref()),
                unit(a.requested_resource.as_ref()),
            ])?;
        }
        sink.flush()?;
    }
    Ok(())
}

/// Awards: one pass over the applications (so one that changes state
/// during the export is written once), keeping the awarded ones.
async fn awards(ctx: &Ctx, parent: &str, page_size: i32, sink: &mut Sink) -> Result<()> {
    let mut pages = Pages::new(parent, String::new(), page_size);
    let mut institutions = Institutions::default();
    while let Some(page) = pages.next(ctx).await? {
        let page: Vec<v1::Application> = page.into_iter().filter(awarded).collect();
        institutions
            .learn(ctx, page.iter().map(|a| a.applicant_institution.as_str()))
            .await?;
        for a in &page {
            let (en, zh) = institutions.names(&a.applicant_institution);
            let money = a.awarded_amount.as_ref().or(a.disbursed_amount.as_ref());
            sink.row(&[
                a.name.clone(),
                a.award_number.clone(),
                a.title.clone(),
                a.applicant_institution.clone(),
                en,
                zh,
                either(a.awarded_amount.as_ref(), a.awarded_resource.as_ref()),
                amount(a.disbursed_amount.as_ref()),
                remaining(a),
                currency(money),
                state_word(a.state),
                crate::views_report::closure_word(a.closure),
                resource_amount(used(a).as_ref()),
                unit(a.awarded_resource.as_ref().or(a.requested_resource.as_ref())),
            ])?;
        }
        sink.flush()?;
    }
    Ok(())
}

/// Disbursements of each awarded application that has paid anything
/// (as it stood when listed), in the order of the applications.
async fn disbursements(ctx: &Ctx, parent: &str, page_size: i32, sink: &mut Sink) -> Result<()> {
    let mut pages = Pages::new(parent, String::new(), page_size);
    while let Some(page) = pages.next(ctx).await? {
        for a in page.iter().filter(|a| awarded(a) && paid_anything(a)) {
            let mut token = String::new();
            loop {
                let request = v1::ListDisbursementsRequest {
                    parent: a.name.clone(),
                    page_size,
                    page_token: token,
                };
                let r = ctx
                    .conn
                    .call(request, |ch, r| async move {
                        AwardServiceClient::new(ch).list_disbursements(r).await
                    })
                    .await?;
                for d in &r.disbursements {
                    sink.row(&[
                        a.name.clone(),
                        d.name.clone(),
                        d.reference.clone(),
                        amount(d.amount.as_ref()),
                        currency(d.amount.as_ref()),
                        amount(d.payee_amount.as_ref()),
                        currency(d.payee_amount.as_ref()),
                        d.exchange_rate.clone(),
                        amount(d.bank_charges.as_ref()),
                        currency(d.bank_charges.as_ref()),
                        time(d.pay_time.as_ref()),
                        time(d.create_time.as_ref()),
                    ])?;
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

/// Pages of ListApplications, followed to the last.
struct Pages {
    parent: String,
    filter: String,
    page_size: i32,
    /// The token of the next page; `None` after the last.
    next: Option<String>,
}

impl Pages {
    fn new(parent: &str, filter: String, page_size: i32) -> Self {
        Self {
            parent: parent.to_owned(),
            filter,
            page_size,
            next: Some(String::new()),
        }
    }

    async fn next(&mut self, ctx: &Ctx) -> Result<Option<Vec<v1::Application>>> {
        let Some(page_token) = self.next.take() else {
            return Ok(None);
        };
        let request = v1::ListApplicationsRequest {
            parent: self.parent.clone(),
            page_size: self.page_size,
            page_token,
            filter: self.filter.clone(),
        };
        let r = ctx
            .conn
            .call(request, |ch, r| async move {
                ApplicationServiceClient::new(ch).list_applications(r).await
            })
            .await?;
        if !r.next_page_token.is_empty() {
            self.next = Some(r.next_page_token);
        }
        Ok(Some(r.applications))
    }
}

/// Institutions' English and Chinese names, each read once.
#[derive(Default)]
struct Institutions {
    known: HashMap<String, (String, String)>,
}

impl Institutions {
    /// Reads those of `names` not read yet, at once. One the key may not
    /// read (or that is gone) gets empty names; any other failure stops
    /// the export.
    async fn learn<'a>(&mut self, ctx: &Ctx, names: impl Iterator<Item = &'a str>) -> Result<()> {
        let mut unknown: Vec<&str> = names
            .filter(|n| !n.is_empty() && !self.known.contains_key(*n))
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        let read = join_all(unknown.iter().map(|name| {
            let request = v1::GetInstitutionRequest {
                name: (*name).to_owned(),
            };
            ctx.conn.call(request, |ch, r| async move {
                InstitutionServiceClient::new(ch).get_institution(r).await
            })
        }))
        .await;
        for (name, outcome) in unknown.into_iter().zip(read) {
            let names = match outcome {
                Ok(r) => r
                    .institution
                    .map(|i| (i.display_name, i.local_name))
                    .unwrap_or_default(),
                Err(e) if e.code == exit::NOT_FOUND_OR_DENIED => Default::default(),
                Err(e) => return Err(e),
            };
            self.known.insert(name.to_owned(), names);
        }
        Ok(())
    }

    fn names(&self, name: &str) -> (String, String) {
        self.known.get(name).cloned().unwrap_or_default()
    }
}

/// An award: APPROVED, ACTIVE or CLOSED, with an award number.
fn awarded(a: &v1::Application) -> bool {
    matches!(
        State::try_from(a.state),
        Ok(State::Approved | State::Active | State::Closed)
    ) && !a.award_number.is_empty()
}

fn paid_anything(a: &v1::Application) -> bool {
    a.disbursed_amount
        .as_ref()
        .is_some_and(|m| money::Amount::from_proto(m).minor != 0)
}

/// What a facility award used, exact (0 once allocated and nothing used).
fn used(a: &v1::Application) -> Option<v1::ResourceAmount> {
    match (&a.used_resource, &a.awarded_resource) {
        (Some(u), _) => Some(u.clone()),
        (None, Some(r)) => Some(v1::ResourceAmount {
            unit: r.unit.clone(),
            ..Default::default()
        }),
        (None, None) => None,
    }
}

/// Awarded less disbursed (of a facility award, allocated less used),
/// exact; empty without an award.
fn remaining(a: &v1::Application) -> String {
    if let Some(r) = &a.awarded_resource {
        return resource_amount(resource::minus(r, a.used_resource.as_ref()).as_ref());
    }
    let Some(awarded) = a.awarded_amount.as_ref().map(money::Amount::from_proto) else {
        return String::new();
    };
    let disbursed = a.disbursed_amount.as_ref().map(money::Amount::from_proto);
    let minor = match disbursed {
        Some(d) if d.minor != 0 && d.currency != awarded.currency => return String::new(),
        Some(d) => awarded.minor - d.minor,
        None => awarded.minor,
    };
    money::Amount {
        currency: awarded.currency,
        minor,
    }
    .plain()
}

/// `programmes/P` of `programmes/P/applications/A`.
fn programme_of(application: &str) -> String {
    match application.split('/').collect::<Vec<_>>().as_slice() {
        ["programmes", p, "applications", _] => format!("programmes/{p}"),
        _ => String::new(),
    }
}

/// `UNDER_REVIEW`, as filters and `--state` take it; empty when unset.
fn state_word(v: i32) -> String {
    match State::try_from(v) {
        Ok(State::Unspecified) => String::new(),
        Ok(s) => s.as_str_name().trim_start_matches("STATE_").to_owned(),
        Err(_) => v.to_string(),
    }
}

fn amount(m: Option<&v1::Money>) -> String {
    m.map(money::plain).unwrap_or_default()
}

/// `96.5`: a resource amount's exact decimal, without separators or unit.
fn resource_amount(r: Option<&v1::ResourceAmount>) -> String {
    r.map(resource::plain).unwrap_or_default()
}

/// The money's exact decimal, else the resource amount's.
fn either(m: Option<&v1::Money>, r: Option<&v1::ResourceAmount>) -> String {
    match m {
        Some(m) => money::plain(m),
        None => resource_amount(r),
    }
}

fn unit(r: Option<&v1::ResourceAmount>) -> String {
    r.map(|r| r.unit.clone()).unwrap_or_default()
}

fn currency(m: Option<&v1::Money>) -> String {
    m.map(|m| m.currency_code.clone()).unwrap_or_default()
}

fn time(t: Option<&prost_types::Timestamp>) -> String {
    t.map(timefmt::format).unwrap_or_default()
}

fn count(n: i32) -> String {
    if n == 0 { String::new() } else { n.to_string() }
}

/// Where the rows go: standard output, or a file renamed into place at
/// the end.
enum Dest {
    Stdout(io::Stdout),
    File(AtomicFile),
}

impl Write for Dest {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Stdout(s) => s.write(buf),
            Self::File(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Stdout(s) => s.flush(),
            Self::File(f) => f.flush(),
        }
    }
}

/// The writer of one export and what it writes to. The header (and the
/// BOM) is written with the first page, so an export refused at its first
/// call prints nothing at all.
struct Sink {
    /// Where to, and how, until the first page.
    pending: Option<(Dest, Table, Layout, bool)>,
    writer: Option<Writer<Dest>>,
    /// FILE, or None for standard output.
    path: Option<PathBuf>,
}

impl Sink {
    fn open(out: &Out, table: Table) -> Result<Self> {
        let path = out.output_file.clone().filter(|p| p.as_os_str() != "-");
        let dest = match &path {
            None => Dest::Stdout(io::stdout()),
            Some(p) => Dest::File(
                AtomicFile::create(p)
                    .map_err(|e| CliError::invalid("--output-file", format!("cannot write {}: {e}", p.display())))?,
            ),
        };
        let layout = match out.format {
            FormatArg::Csv => Layout::Csv,
            FormatArg::Jsonl => Layout::Jsonl,
        };
        Ok(Self {
            pending: Some((dest, table, layout, out.excel)),
            writer: None,
            path,
        })
    }

    /// The writer, started (BOM and header) on first use.
    fn writer(&mut self) -> io::Result<&mut Writer<Dest>> {
        if let Some((dest, table, layout, excel)) = self.pending.take() {
            self.writer = Some(Writer::new(dest, table, layout, excel)?);
        }
        self.writer
            .as_mut()
            .ok_or_else(|| io::Error::other("the export was already finished"))
    }

    fn row(&mut self, values: &[String]) -> Result<()> {
        let written = self.writer().and_then(|w| w.row(values));
        written.map_err(|e| self.failed(e))
    }

    /// After each page: what was written so far goes out.
    fn flush(&mut self) -> Result<()> {
        let flushed = self.writer().and_then(Writer::flush);
        flushed.map_err(|e| self.failed(e))
    }

    /// The last rows out (the header alone when there were none), and
    /// FILE renamed into place.
    fn finish(mut self) -> Result<()> {
        let started = self.writer().map(|_| ());
        started.map_err(|e| self.failed(e))?;
        let path = self.path.take();
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        match writer.finish() {
            Ok(Dest::Stdout(_)) => Ok(()),
            Ok(Dest::File(f)) => f.commit().map_err(|e| failed(path.as_deref(), e)),
            Err(e) => Err(failed(path.as_deref(), e)),
        }
    }

    fn failed(&self, e: io::Error) -> CliError {
        failed(self.path.as_deref(), e)
    }

    /// What a stopped export leaves: FILE as it was, or part of the rows
    /// on standard output.
    fn left(&self) -> String {
        match &self.path {
            Some(p) => format!("{} was left as it was", p.display()),
            None => "the output is incomplete".to_owned(),
        }
    }
}

/// A write that failed; a closed standard output (`| head`) ends quietly,
/// as the other commands do.
fn failed(path: Option<&std::path::Path>, e: io::Error) -> CliError {
    match path {
        None if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        None => CliError::other(format!("cannot write to standard output: {e}")),
        Some(p) => CliError::other(format!("cannot write {}: {e}; it was left as it was", p.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(units: i64, nanos: i32) -> Option<v1::Money> {
        Some(v1::Money {
            currency_code: "CNY".into(),
            units,
            nanos,
        })
    }

    #[test]
    fn remaining_is_awarded_less_disbursed_exactly() {
        let mut a = v1::Application {
            awarded_amount: cny(1_234_567, 890_000_000),
            disbursed_amount: cny(100_000, 100_000_000),
            ..Default::default()
        };
        assert_eq!(remaining(&a), "1134567.79");
        a.disbursed_amount = cny(0, 0);
        assert_eq!(remaining(&a), "1234567.89");
        a.disbursed_amount = None;
        assert_eq!(remaining(&a), "1234567.89");
        a.awarded_amount = None;
        assert_eq!(remaining(&a), "");
    }

    #[test]
    fn facility_awards_are_exact_in_their_unit() {
        let beam = |steps| {
            Some(v1::ResourceAmount {
                unit: "beam-h".into(),
                steps,
                value: String::new(),
            })
        };
        let mut a = v1::Application {
            awarded_resource: beam(160),
            used_resource: beam(25),
            ..Default::default()
        };
        assert_eq!(remaining(&a), "67.5");
        assert_eq!(either(None, a.awarded_resource.as_ref()), "80");
        a.used_resource = None;
        assert_eq!(remaining(&a), "80");
        assert_eq!(resource_amount(used(&a).as_ref()), "0");
        assert_eq!(unit(a.awarded_resource.as_ref()), "beam-h");
        assert_eq!(either(cny(5, 0).as_ref(), beam(3).as_ref()), "5.00", "money wins");
    }

    #[test]
    fn awards_are_approved_active_or_closed_with_a_number() {
        let app = |state: State, number: &str| v1::Application {
            state: state as i32,
            award_number: number.into(),
            ..Default::default()
        };
        assert!(awarded(&app(State::Approved, "GBA-1")));
        assert!(awarded(&app(State::Active, "GBA-1")));
        assert!(awarded(&app(State::Closed, "GBA-1")));
        assert!(!awarded(&app(State::Closed, "")));
        assert!(!awarded(&app(State::Rejected, "GBA-1")));
        assert!(!awarded(&app(State::Submitted, "")));
    }

    #[test]
    fn words_of_a_row() {
        assert_eq!(programme_of("programmes/p1/applications/a1"), "programmes/p1");
        assert_eq!(programme_of("nonsense"), "");
        assert_eq!(state_word(State::UnderReview as i32), "UNDER_REVIEW");
        assert_eq!(state_word(0), "");
        assert_eq!(count(0), "");
        assert_eq!(count(24), "24");
        assert_eq!(amount(cny(750_000, 0).as_ref()), "750000.00");
        assert_eq!(amount(None), "");
    }

    #[test]
    fn every_table_names_each_column_once() {
        for table in [APPLICATIONS, AWARDS, DISBURSEMENTS, usage::USAGE, reports::REPORTS] {
            let mut names: Vec<&str> = table.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), table.len());
        }
        assert_eq!(APPLICATIONS.len(), 15);
        assert_eq!(AWARDS.len(), 14);
        assert_eq!(AWARDS[11].name, "closure", "new columns go last");
        assert_eq!(AWARDS.last().map(|c| c.name), Some("unit"), "new columns go last");
        assert_eq!(DISBURSEMENTS.len(), 12);
    }
}
