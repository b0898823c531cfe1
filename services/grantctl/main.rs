//! `grantctl`: the command-line client of gba-grants, built only on the
//! tonic clients generated from `proto/` (`gba_grants::proto`). Parses the
//! command line, runs one command, prints one sentence on failure and exits
//! with a stable code (see `grantctl --help`).

mod backoff;
mod cli;
mod client;
mod cmd;
mod error;
mod exchange;
mod json;
mod money;
mod names;
mod output;
mod table;
mod timefmt;
mod transient;
mod views;
mod views_app;
mod views_review;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::client::Conn;
use crate::cmd::Ctx;
use crate::error::{CliError, Result};

fn main() -> ExitCode {
    // Usage errors exit 2 (clap's own); --help and --version exit 0.
    let cli = Cli::parse();
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
    let result = runtime.block_on(run(cli));
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("grantctl: {}", err.message);
            ExitCode::from(err.code)
        }
    }
}

/// The token: `--token-file` wins over `--token` / GBA_GRANTS_TOKEN.
fn token(global: &cli::Global) -> Result<Option<String>> {
    match &global.token_file {
        Some(path) => std::fs::read_to_string(path)
            .map(|t| Some(t.trim().to_owned()))
            .map_err(|e| CliError::invalid("--token-file", format!("cannot read {}: {e}", path.display()))),
        None => Ok(global.token.clone()),
    }
}

async fn run(cli: Cli) -> Result<()> {
    if let Command::Completion { shell } = cli.command {
        return cmd::system::completion(shell);
    }
    let tls = client::Tls {
        ca_file: cli.global.ca_file.clone(),
        identity: cli.global.cert_file.clone().zip(cli.global.key_file.clone()),
    };
    let conn = Conn::new(&cli.global.endpoint, token(&cli.global)?, cli.global.timeout, &tls)?;
    let ctx = Ctx {
        conn,
        format: cli.global.output,
    };
    match cli.command {
        Command::Institutions { command } => cmd::institutions::run(&ctx, command).await,
        Command::Programmes { command } => cmd::programmes::run(&ctx, command).await,
        Command::Applications { command } => cmd::applications::run(&ctx, command).await,
        Command::Review { command } => cmd::review::run(&ctx, command).await,
        Command::Reviews { command } => cmd::reviews::run(&ctx, command).await,
        Command::Awards { command } => cmd::awards::run(&ctx, command).await,
        Command::Keys { command } => cmd::keys::run(&ctx, command).await,
        Command::Watch { command } => cmd::watch::run(&ctx, command).await,
        Command::Health(args) => cmd::system::run(&ctx, args).await,
        Command::Completion { .. } => Ok(()),
    }
}
