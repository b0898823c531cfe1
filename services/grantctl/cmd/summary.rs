//! `grantctl watch summary`: one line per programme, redrawn in place (ANSI
//! cursor-up) when standard output is a terminal and the format is a
//! table; otherwise each snapshot is printed as a line of its own.
//! Reconnects with backoff like `watch events`.

use std::io::IsTerminal;

use clap::Args;
use gba_grants::proto::v1;
use gba_grants::proto::v1::watch_service_client::WatchServiceClient as Client;

use super::watch::{Outcome, classify};
use super::{Ctx, programme_arg};
use crate::backoff::Backoff;
use crate::error::Result;
use crate::json::out;
use crate::output::{self, Format};
use crate::views_app::summary_line;

#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// A programme to watch (repeat for several; default: all you may see).
    #[arg(long = "programme")]
    programmes: Vec<String>,
    /// Exit after N snapshots.
    #[arg(long, value_name = "N")]
    max_events: Option<u64>,
}

struct Board {
    /// Latest line per programme, in order of first appearance.
    lines: Vec<(String, String)>,
    drawn: usize,
    redraw: bool,
    seen: u64,
}

impl Board {
    fn show(&mut self, format: Format, s: &v1::ProgrammeSummary) -> Result<()> {
        self.seen += 1;
        match format {
            Format::Json | Format::Jsonl => return output::write(&output::compact(&out::summary(s))),
            Format::Name => return output::write(&format!("{}\n", s.programme)),
            Format::Table if !self.redraw => return output::write(&format!("{}\n", summary_line(s))),
            Format::Table => {}
        }
        let line = summary_line(s);
        match self.lines.iter_mut().find(|(p, _)| *p == s.programme) {
            Some(entry) => entry.1 = line,
            None => self.lines.push((s.programme.clone(), line)),
        }
        let mut text = String::new();
        if self.drawn > 0 {
            text.push_str(&format!("\x1b[{}A", self.drawn));
        }
        for (_, line) in &self.lines {
            text.push_str("\r\x1b[2K");
            text.push_str(line);
            text.push('\n');
        }
        self.drawn = self.lines.len();
        output::write(&text)
    }
}

async fn follow(
    ctx: &Ctx,
    request: &v1::WatchProgrammeSummaryRequest,
    board: &mut Board,
    max: Option<u64>,
    backoff: &mut Backoff,
) -> Outcome {
    let opened = Client::new(ctx.conn.channel())
        .watch_programme_summary(ctx.conn.request(request.clone()))
        .await;
    let mut stream = match opened {
        Ok(s) => s.into_inner(),
        Err(status) => return classify(ctx, &status, ""),
    };
    loop {
        match stream.message().await {
            Ok(Some(m)) => {
                backoff.reset();
                if let Err(err) = board.show(ctx.format, &m.summary.unwrap_or_default()) {
                    return Outcome::Fatal(err);
                }
                if max.is_some_and(|m| board.seen >= m) {
                    return Outcome::Done;
                }
            }
            Ok(None) => return Outcome::Reconnect("the server ended the stream".into()),
            Err(status) => return classify(ctx, &status, ""),
        }
    }
}

pub async fn run(ctx: &Ctx, args: SummaryArgs) -> Result<()> {
    let request = v1::WatchProgrammeSummaryRequest {
        programmes: args
            .programmes
            .iter()
            .map(|p| programme_arg("--programme", p))
            .collect::<Result<_>>()?,
    };
    let mut board = Board {
        lines: Vec::new(),
        drawn: 0,
        redraw: std::io::stdout().is_terminal(),
        seen: 0,
    };
    let mut backoff = Backoff::reconnect();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let outcome = tokio::select! {
            _ = &mut ctrl_c => Outcome::Interrupted,
            outcome = follow(ctx, &request, &mut board, args.max_events, &mut backoff) => outcome,
        };
        let delay = match outcome {
            Outcome::Done | Outcome::Interrupted => return Ok(()),
            Outcome::Fatal(err) => return Err(err),
            Outcome::Reconnect(why) => {
                let delay = backoff.next_delay();
                eprintln!("grantctl: stream interrupted ({why}); reconnecting in {delay:.1?}");
                delay
            }
        };
        tokio::select! {
            _ = &mut ctrl_c => return Ok(()),
            () = tokio::time::sleep(delay) => {}
        }
    }
}
