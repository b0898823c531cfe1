//! `grantctl`: the command-line client of gba-grants, built only on the
//! tonic clients generated from `proto/` (`gba_grants::proto`). Parses the
//! command line, runs one command, prints one sentence on failure and exits
//! with a stable code (see `grantctl --help`).

mod backoff;
mod cli;
mod client;
mod cmd;
mod contexts;
mod error;
mod exchange;
mod json;
mod media;
mod money;
mod names;
mod output;
mod progress;
mod records;
mod resource;
mod settings;
mod size;
mod table;
mod timefmt;
mod transient;
mod views;
mod views_app;
mod views_doc;
mod views_facility;
mod views_report;
mod views_review;
mod views_team;
mod views_webhook;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};
use crate::client::Conn;
use crate::cmd::Ctx;
use crate::error::Result;
use crate::settings::Given;

fn main() -> ExitCode {
    // Usage errors exit 2 (clap's own); --help and --version exit 0.
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    let given = Given::from_matches(&matches);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("grantctl: cannot start the async runtime: {err}");
            return ExitCode::from(error::exit::OTHER);
        }
    };
    let result = runtime.block_on(run(cli, given));
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("grantctl: {}", err.message);
            ExitCode::from(err.code)
        }
    }
}

async fn run(cli: Cli, given: Given) -> Result<()> {
    let command = match cli.command {
        Command::Completion { shell } => return cmd::system::completion(shell),
        Command::Config { command } => return cmd::config::run(command, &cli.global, &given, cli.global.output),
        command => command,
    };
    // Only the health check works without a key; every other call needs one,
    // refused here (exit 4) before any call.
    let needs_token = !matches!(command, Command::Health(_));
    let resolved = settings::resolve(&cli.global, &given, needs_token)?;
    let conn = Conn::new(&resolved.endpoint, resolved.token, cli.global.timeout, &resolved.tls)?;
    let ctx = Ctx {
        conn,
        format: cli.global.output,
        context: resolved.context,
    };
    match command {
        Command::Institutions { command } => cmd::institutions::run(&ctx, command).await,
        Command::Programmes { command } => cmd::programmes::run(&ctx, command).await,
        Command::Applications { command } => cmd::applications::run(&ctx, command).await,
        Command::Documents { command } => cmd::documents::run(&ctx, command).await,
        Command::Reviews { command } => cmd::reviews::run(&ctx, command).await,
        Command::Awards { command } => cmd::awards::run(&ctx, command).await,
        Command::Reports { command } => cmd::reports::run(&ctx, command).await,
        Command::Export { command } => cmd::export::run(&ctx, command).await,
        Command::Keys { command } => cmd::keys::run(&ctx, command).await,
        Command::Watch { command } => cmd::watch::run(&ctx, command).await,
        Command::Webhooks { command } => cmd::webhooks::run(&ctx, command).await,
        Command::Whoami => cmd::whoami::run(&ctx).await,
        Command::Health(args) => cmd::system::run(&ctx, args).await,
        Command::Completion { .. } | Command::Config { .. } => Ok(()),
    }
}
