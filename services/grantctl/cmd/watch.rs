//! `grantctl watch events`: a live tail that survives restarts. It resumes
//! from the last cursor it saw (events and progress markers both carry
//! one) after UNAVAILABLE, a dropped connection, a stream that simply ends
//! or WATCHER_TOO_SLOW, with jittered exponential backoff capped at ~10 s:
//! no gap, no duplicate. Ctrl-C prints `last cursor: C` on stderr, exit 0.

use std::io::IsTerminal;

use clap::{Args, Subcommand};
use gba_grants::proto::v1;
use gba_grants::proto::v1::watch_application_events_response::Kind;
use gba_grants::proto::v1::watch_service_client::WatchServiceClient as Client;
use tonic::Status;

use super::{Ctx, RelationArg, institution_arg, programme_arg};
use crate::backoff::Backoff;
use crate::error::{self, CliError, Result};
use crate::output::{self, Format};
use crate::transient::{self, StreamAction};
use crate::views::Resource;
use crate::{names, table};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Print application events as they are committed, reconnecting as needed.
    #[command(
        after_help = "Example:\n  grantctl watch events --programme programmes/0193... -o jsonl\n  \
                            grantctl watch events --cursor \"$(grantctl applications events P/A -o jsonl | tail -1 | jq -r .cursor)\"\n  \
                            grantctl watch events --relation partner   # a partner's key: the joint applications naming it"
    )]
    Events(EventsArgs),
    /// One line per programme: counts by state and money, redrawn live.
    #[command(after_help = "Example:\n  grantctl watch summary --programme programmes/0193...")]
    Summary(super::summary::SummaryArgs),
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only this programme's events.
    #[arg(long, conflicts_with_all = ["institution", "application"])]
    programme: Option<String>,
    /// Only events of this institution's applications.
    #[arg(long, conflicts_with = "application")]
    institution: Option<String>,
    /// Only this application's events (programmes/P/applications/A or P/A).
    #[arg(long)]
    application: Option<String>,
    /// An applicant institution's key: only its own applications (own) or
    /// only those naming it as a partner (partner); default both. Other
    /// roles: with --institution, that institution's own or partnered ones.
    #[arg(long, value_enum, ignore_case = true)]
    relation: Option<RelationArg>,
    /// Start after this cursor (default: from now).
    #[arg(long)]
    cursor: Option<String>,
    /// Exit after printing N events.
    #[arg(long, value_name = "N")]
    max_events: Option<u64>,
}

/// How one connection ended.
pub enum Outcome {
    /// Reconnect (after backoff), saying why on stderr.
    Reconnect(String),
    /// Enough events: exit 0.
    Done,
    Fatal(CliError),
    Interrupted,
}

/// What to do after a stream failed with `status`.
pub fn classify(ctx: &Ctx, status: &Status, cursor: &str) -> Outcome {
    match transient::stream_action(status) {
        StreamAction::Resume(why) => Outcome::Reconnect(why),
        StreamAction::CursorGone(reason) => Outcome::Fatal(CliError::new(
            error::exit::INVALID,
            format!(
                "OUT_OF_RANGE {reason}: cannot resume after cursor {cursor} ({}); re-list the history with \
                 `grantctl applications events`, then start `grantctl watch events` without --cursor",
                status.message()
            ),
        )),
        StreamAction::Fail => Outcome::Fatal(ctx.conn.error(status)),
    }
}

struct Tail {
    request: v1::WatchApplicationEventsRequest,
    cursor: String,
    printed: u64,
    max: Option<u64>,
    backoff: Backoff,
}

impl Tail {
    /// `last cursor: C` on stderr, for `--cursor C` later.
    fn report(&self) {
        if self.cursor.is_empty() {
            eprintln!("last cursor: (none yet; start again without --cursor)");
        } else {
            eprintln!("last cursor: {}", self.cursor);
        }
    }

    async fn follow(&mut self, ctx: &Ctx) -> Outcome {
        let mut request = self.request.clone();
        request.cursor = self.cursor.clone();
        let opened = Client::new(ctx.conn.channel())
            .watch_application_events(ctx.conn.request(request))
            .await;
        let mut stream = match opened {
            Ok(s) => s.into_inner(),
            Err(status) => return classify(ctx, &status, &self.cursor),
        };
        let mut first = true;
        loop {
            let message = match stream.message().await {
                Ok(Some(m)) => m,
                Ok(None) => return Outcome::Reconnect("the server ended the stream".into()),
                Err(status) => return classify(ctx, &status, &self.cursor),
            };
            match message.kind {
                Some(Kind::Event(e)) => {
                    self.backoff.reset();
                    if !e.cursor.is_empty() {
                        self.cursor = e.cursor.clone();
                    }
                    if let Err(err) = output::stream_item(ctx.format, &e) {
                        return Outcome::Fatal(err);
                    }
                    self.printed += 1;
                    if self.max.is_some_and(|m| self.printed >= m) {
                        return Outcome::Done;
                    }
                }
                Some(Kind::Progress(p)) => {
                    if !first {
                        self.backoff.reset();
                    }
                    if !p.cursor.is_empty() {
                        self.cursor = p.cursor;
                    }
                }
                None => {}
            }
            first = false;
        }
    }
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Events(args) => events(ctx, args).await,
        Cmd::Summary(args) => super::summary::run(ctx, args).await,
    }
}

async fn events(ctx: &Ctx, args: EventsArgs) -> Result<()> {
    let request = v1::WatchApplicationEventsRequest {
        relation: args.relation.map_or(0, RelationArg::proto),
        programme: args
            .programme
            .map(|p| programme_arg("--programme", &p))
            .transpose()?
            .unwrap_or_default(),
        applicant_institution: args
            .institution
            .map(|i| institution_arg("--institution", &i))
            .transpose()?
            .unwrap_or_default(),
        application: args
            .application
            .map(|a| names::application(&a, None).map_err(|e| CliError::invalid("--application", e)))
            .transpose()?
            .unwrap_or_default(),
        cursor: String::new(),
    };
    let mut tail = Tail {
        request,
        cursor: args.cursor.unwrap_or_default(),
        printed: 0,
        max: args.max_events,
        backoff: Backoff::reconnect(),
    };
    if ctx.format == Format::Table && std::io::stdout().is_terminal() {
        output::write(&table::render(v1::ApplicationEvent::header(), &[]))?;
    }
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let outcome = tokio::select! {
            _ = &mut ctrl_c => Outcome::Interrupted,
            outcome = tail.follow(ctx) => outcome,
        };
        let wait = match outcome {
            Outcome::Done | Outcome::Interrupted => {
                tail.report();
                return Ok(());
            }
            Outcome::Fatal(err) => return Err(err),
            Outcome::Reconnect(why) => {
                let delay = tail.backoff.next_delay();
                eprintln!("grantctl: stream interrupted ({why}); resuming in {delay:.1?}");
                delay
            }
        };
        tokio::select! {
            _ = &mut ctrl_c => {
                tail.report();
                return Ok(());
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
}
