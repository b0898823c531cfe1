//! Commands about grantctl and the server rather than a resource:
//! `grantctl health` (grpc.health.v1 Check, which needs no token; prints
//! SERVING or NOT_SERVING, or UNKNOWN / SERVICE_UNKNOWN; exit 0 only when
//! SERVING, 6 otherwise) and `grantctl completion bash|zsh|fish`.

use clap::{Args, CommandFactory};
use clap_complete::Shell;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use super::Ctx;
use crate::error::{CliError, Result, exit};
use crate::output::{self, Format};

pub const HEALTH_EXAMPLE: &str =
    "Example:\n  grantctl health && echo up\n  grantctl health --service gba.grants.v1.WatchService";

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// A service to check, such as gba.grants.v1.WatchService (default: the server).
    #[arg(long, default_value = "")]
    service: String,
}

pub async fn run(ctx: &Ctx, args: HealthArgs) -> Result<()> {
    let request = HealthCheckRequest { service: args.service };
    let r = ctx
        .conn
        .call(request, |ch, r| async move { HealthClient::new(ch).check(r).await })
        .await?;
    let status = ServingStatus::try_from(r.status).unwrap_or(ServingStatus::Unknown);
    let text = status.as_str_name();
    match ctx.format {
        Format::Json => output::write(&format!("{{\n  \"status\": \"{text}\"\n}}\n"))?,
        Format::Jsonl => output::write(&format!("{{\"status\":\"{text}\"}}\n"))?,
        Format::Table | Format::Name => output::write(&format!("{text}\n"))?,
    }
    if status == ServingStatus::Serving {
        Ok(())
    } else {
        Err(CliError::new(
            exit::UNAVAILABLE,
            format!("the server at {} is {text}", ctx.conn.endpoint()),
        ))
    }
}

pub const COMPLETION_EXAMPLE: &str = "Example:\n  grantctl completion bash > /etc/bash_completion.d/grantctl\n  \
                                      grantctl completion zsh > \"${fpath[1]}/_grantctl\"";

/// Prints the completion script of `shell` on standard output.
pub fn completion(shell: Shell) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut crate::cli::Cli::command(), "grantctl", &mut script);
    output::write(&String::from_utf8_lossy(&script))
}
