//! `gba-grants`: parse the command line and run it.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = gba_grants::cli::Cli::parse();
    match gba_grants::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("gba-grants: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
