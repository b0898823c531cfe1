//! The command line: global connection and output flags (with environment
//! fallbacks) and the noun–verb command tree, with the exit codes in
//! `--help`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

use crate::cmd::{
    applications, awards, config, documents, export, institutions, keys, programmes, reports, reviews, system, watch,
    webhooks,
};
use crate::output::Format;

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  any other failure (a download whose SHA-256 is not the document's, too)
  2  usage: an unknown command or flag, a missing or malformed argument
  3  not found or not allowed: NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED;
     also a list or watch under a parent that is missing or not yours (the same)
  4  invalid: INVALID_ARGUMENT, OUT_OF_RANGE, or input refused before any call
     (no API key, a malformed name, money or time, an unknown context)
  5  precondition or conflict: FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS;
     also a download's FILE that exists and is another file (without --force)
  6  unavailable: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, cannot connect";

const TOP_EXAMPLE: &str = "\
Example:
  export GBA_GRANTS_ENDPOINT=127.0.0.1:50051 GBA_GRANTS_TOKEN=gbk_...
  grantctl whoami
  grantctl institutions list --region hong-kong
  grantctl applications list --programme programmes/0193... --state submitted -o json
  grantctl config set-context prod --endpoint https://grants.example.org --token-file ~/.gba/prod.key";

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

/// Connection and output, accepted before or after the command. Each
/// connection setting comes from its flag, else its environment variable,
/// else the context (`--context`, `GBA_GRANTS_CONTEXT`, or the current
/// one), else the built-in default; none is required on the command line.
#[derive(Debug, Args)]
pub struct Global {
    /// Server address, such as 127.0.0.1:50051 or https://grants.example.org
    /// (no scheme: http://, or https:// with TLS files) [default: the
    /// context's, else 127.0.0.1:50051].
    #[arg(
        long,
        global = true,
        env = "GBA_GRANTS_ENDPOINT",
        hide_env_values = true,
        value_name = "URL",
        help_heading = "Connection"
    )]
    pub endpoint: Option<String>,
    /// API key, sent as `authorization: Bearer <token>`; never printed
    /// [default: the context's].
    #[arg(
        long,
        global = true,
        env = "GBA_GRANTS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        help_heading = "Connection"
    )]
    pub token: Option<String>,
    /// Read the API key from this file (wins over --token at the same level).
    #[arg(
        long,
        global = true,
        env = "GBA_GRANTS_TOKEN_FILE",
        hide_env_values = true,
        value_name = "FILE",
        help_heading = "Connection"
    )]
    pub token_file: Option<PathBuf>,
    /// PEM CA certificate to trust for an https:// endpoint (default: the
    /// system's roots).
    #[arg(
        long,
        global = true,
        env = "GBA_GRANTS_CA_FILE",
        hide_env_values = true,
        value_name = "FILE",
        help_heading = "Connection"
    )]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate, for a server that requires mutual TLS (with --key-file).
    #[arg(
        long,
        global = true,
        env = "GBA_GRANTS_CERT_FILE",
        hide_env_values = true,
        value_name = "FILE",
        help_heading = "Connection"
    )]
    pub cert_file: Option<PathBuf>,
    /// PEM private key of --cert-file.
    #[arg(
        long,
        global = true,
        env = "GBA_GRANTS_KEY_FILE",
        hide_env_values = true,
        value_name = "FILE",
        help_heading = "Connection"
    )]
    pub key_file: Option<PathBuf>,
    /// The saved context to use instead of the current one (see `grantctl config`).
    #[arg(
        long,
        global = true,
        env = "GBA_GRANTS_CONTEXT",
        hide_env_values = true,
        value_name = "NAME",
        help_heading = "Connection"
    )]
    pub context: Option<String>,
    /// Deadline of each call, such as 10s, 500ms or 2m (streams have none).
    #[arg(
        long,
        global = true,
        default_value = "30s",
        value_parser = crate::timefmt::parse_duration,
        help_heading = "Output"
    )]
    pub timeout: Duration,
    /// Output format.
    #[arg(
        short = 'o',
        long,
        global = true,
        value_enum,
        ignore_case = true,
        default_value = "table",
        help_heading = "Output"
    )]
    pub output: Format,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Register, update and read institutions.
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
    /// Draft, submit, withdraw and read applications, their history, teams and sign-off.
    #[command(
        after_help = "Example:\n  grantctl applications list --programme programmes/0193... --filter 'state = SUBMITTED'"
    )]
    Applications {
        #[command(subcommand)]
        command: applications::Cmd,
    },
    /// Upload, download, list and delete an application's documents.
    #[command(
        after_help = "Example:\n  grantctl documents upload P/A proposal.pdf --kind proposal\n  \
                      grantctl documents list P/A\n  grantctl documents download P/A/D"
    )]
    Documents {
        #[command(subcommand)]
        command: documents::Cmd,
    },
    /// Officers' decisions and peer review (`grantctl review` is the same).
    ///
    /// Officers' decisions: start, request-changes, approve, reject. Peer
    /// review: assign, declare-conflict, submit, get, list. `grantctl review
    /// VERB` and `grantctl reviews VERB` are the same command.
    #[command(
        visible_alias = "review",
        after_help = "Example:\n  grantctl reviews start P/A\n  \
                      grantctl reviews approve P/A --amount '750,000 CNY'\n  \
                      grantctl reviews assign P/A --reviewer apiKeys/0193...\n  \
                      grantctl reviews submit P/A/R --score 'scientific merit=4' --score feasibility=3 --recommendation fund"
    )]
    Reviews {
        #[command(subcommand)]
        command: reviews::Cmd,
    },
    /// Pay tranches of awarded grants, record usage of facility awards, and close them.
    #[command(
        after_help = "Example:\n  grantctl awards disburse P/A --amount '100,000 CNY' --rate 1.0842 --payee-currency HKD --reference FPS-1\n  \
                      grantctl awards usage record P/A --amount '12.5 beam-h' \\\n    \
                      --period 2026-03-02T08:00:00Z/2026-03-02T20:30:00Z --reference EXP-2026-0042"
    )]
    Awards {
        #[command(subcommand)]
        command: awards::Cmd,
    },
    /// After the award: the payment schedule, and reports submitted,
    /// accepted, returned and listed.
    #[command(after_help = "Example:\n  grantctl reports schedule P/A\n  \
                      grantctl reports submit P/A --number 1 --document D --outputs outputs.json\n  \
                      grantctl reports accept P/A/1\n  grantctl reports list P/A")]
    Reports {
        #[command(subcommand)]
        command: reports::Cmd,
    },
    /// Export applications, awards, disbursements, usage or reports as CSV
    /// or JSON Lines, streamed page by page (for spreadsheets and finance
    /// systems).
    #[command(
        after_help = "Example:\n  grantctl export awards --programme programmes/0193... --excel -O awards.csv\n  \
                      grantctl export disbursements --programme programmes/0193... --format jsonl"
    )]
    Export {
        #[command(subcommand)]
        command: export::Cmd,
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
    /// Webhooks: the events your key may see, POSTed to a URL as they are
    /// committed and signed (Standard Webhooks); their deliveries.
    #[command(
        after_help = "Example:\n  SECRET=$(grantctl webhooks create --url https://erp.hku.hk/hooks/grants --programme programmes/0193...)\n  \
                      grantctl webhooks list\n  grantctl webhooks deliveries webhooks/0193... --limit 20\n  \
                      grantctl webhooks update webhooks/0193... --resume"
    )]
    Webhooks {
        #[command(subcommand)]
        command: webhooks::Cmd,
    },
    /// Show the API key in use: its role, scope and label (never its secret).
    #[command(after_help = "Example:\n  grantctl whoami\n  grantctl whoami -o json | jq -r .role")]
    Whoami,
    /// Saved contexts (endpoint, key, TLS files), like kubectl's.
    #[command(
        after_help = "Example:\n  grantctl config set-context prod --endpoint https://grants.example.org --token-file ~/.gba/prod.key\n  \
                      grantctl config use-context prod\n  grantctl config get-contexts"
    )]
    Config {
        #[command(subcommand)]
        command: config::Cmd,
    },
    /// Check the server's health (grpc.health.v1; no token needed).
    #[command(after_help = system::HEALTH_EXAMPLE)]
    Health(system::HealthArgs),
    /// Print a shell completion script.
    #[command(after_help = system::COMPLETION_EXAMPLE)]
    Completion {
        /// The shell.
        #[arg(value_enum, ignore_case = true)]
        shell: Shell,
    },
}
