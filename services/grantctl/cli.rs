//! The command line: global connection and output flags (with environment
//! fallbacks) and the noun–verb command tree, with the exit codes in
//! `--help`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

use crate::cmd::{applications, awards, institutions, keys, programmes, review, reviews, system, watch};
use crate::output::Format;

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  any other failure
  2  usage: an unknown command or flag, a missing or malformed argument
  3  not found or not allowed: NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED
  4  invalid: INVALID_ARGUMENT, OUT_OF_RANGE, or input refused before any call
  5  precondition or conflict: FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS
  6  unavailable: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, cannot connect";

const TOP_EXAMPLE: &str = "\
Example:
  export GBA_GRANTS_ENDPOINT=http://127.0.0.1:50051 GBA_GRANTS_TOKEN=gbk_...
  grantctl institutions list --filter 'region = HONG_KONG'
  grantctl applications list --programme programmes/0193... -o json";

#[derive(Debug, Parser)]
#[command(
    name = "grantctl",
    version,
    about = "Command-line client of gba-grants: cross-border research grants in the Greater Bay Area",
    after_help = format!("{EXIT_CODES}\n\n{TOP_EXAMPLE}"),
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Connection and output, accepted before or after the command.
#[derive(Debug, Args)]
pub struct Global {
    /// Server address.
    #[arg(
        long,
        global = true,
        env = "GBA_GRANTS_ENDPOINT",
        default_value = "http://127.0.0.1:50051"
    )]
    pub endpoint: String,
    /// API key, sent as `authorization: Bearer <token>`; never printed.
    #[arg(long, global = true, env = "GBA_GRANTS_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Read the API key from this file (wins over --token).
    #[arg(long, global = true, env = "GBA_GRANTS_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// PEM CA certificate to trust for an https:// endpoint (default: the
    /// system's roots).
    #[arg(long, global = true, env = "GBA_GRANTS_CA_FILE", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate, for a server that requires mutual TLS.
    #[arg(
        long,
        global = true,
        env = "GBA_GRANTS_CERT_FILE",
        value_name = "FILE",
        requires = "key_file"
    )]
    pub cert_file: Option<PathBuf>,
    /// PEM private key of --cert-file.
    #[arg(
        long,
        global = true,
        env = "GBA_GRANTS_KEY_FILE",
        value_name = "FILE",
        requires = "cert_file"
    )]
    pub key_file: Option<PathBuf>,
    /// Deadline of each call, such as 10s, 500ms or 2m (streams have none).
    #[arg(long, global = true, default_value = "30s", value_parser = crate::timefmt::parse_duration)]
    pub timeout: Duration,
    /// Output format.
    #[arg(short = 'o', long, global = true, value_enum, default_value = "table")]
    pub output: Format,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Register and read institutions.
    #[command(after_help = "Example:\n  grantctl institutions list --filter 'region = HONG_KONG'")]
    Institutions {
        #[command(subcommand)]
        command: institutions::Cmd,
    },
    /// Create, read and update funding programmes.
    #[command(after_help = "Example:\n  grantctl programmes list --filter 'open = true' -o name")]
    Programmes {
        #[command(subcommand)]
        command: programmes::Cmd,
    },
    /// Draft, submit, withdraw and read applications and their history.
    #[command(
        after_help = "Example:\n  grantctl applications list --programme programmes/0193... --filter 'state = SUBMITTED'"
    )]
    Applications {
        #[command(subcommand)]
        command: applications::Cmd,
    },
    /// Officers' decisions on submitted applications.
    #[command(after_help = "Example:\n  grantctl review approve P/A --amount '750,000 CNY'")]
    Review {
        #[command(subcommand)]
        command: review::Cmd,
    },
    /// Peer review: assign reviewers, declare conflicts, submit and read reviews.
    #[command(
        after_help = "Example:\n  grantctl reviews assign P/A --reviewer apiKeys/0193...\n  \
                      grantctl reviews submit P/A/R --score 'scientific merit=4' --score feasibility=3 --recommendation fund"
    )]
    Reviews {
        #[command(subcommand)]
        command: reviews::Cmd,
    },
    /// Pay and close awarded grants.
    #[command(
        after_help = "Example:\n  grantctl awards disburse P/A --amount '100,000 CNY' --rate 1.0842 --payee-currency HKD --reference FPS-1"
    )]
    Awards {
        #[command(subcommand)]
        command: awards::Cmd,
    },
    /// Issue, list and revoke API keys (admin).
    #[command(
        after_help = "Example:\n  grantctl keys create --role viewer --all-programmes --display-name dashboard > viewer.key"
    )]
    Keys {
        #[command(subcommand)]
        command: keys::Cmd,
    },
    /// Live streams: application events and programme summaries.
    #[command(after_help = "Example:\n  grantctl watch events --programme programmes/0193... -o jsonl")]
    Watch {
        #[command(subcommand)]
        command: watch::Cmd,
    },
    /// Check the server's health (grpc.health.v1; no token needed).
    #[command(after_help = system::HEALTH_EXAMPLE)]
    Health(system::HealthArgs),
    /// Print a shell completion script.
    #[command(after_help = system::COMPLETION_EXAMPLE)]
    Completion {
        /// The shell.
        shell: Shell,
    },
}
