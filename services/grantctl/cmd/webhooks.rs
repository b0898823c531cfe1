//! `grantctl webhooks create|list|get|update|delete|rotate|deliveries|redeliver`:
//! the application events a key may see, POSTed to a URL as they are
//! committed, signed per Standard Webhooks. `create` and `rotate` show the
//! secret once, as `keys create` shows a key's: alone on standard output
//! (the webhook on standard error), or in `--secret-file FILE` (0600).
//! `update` builds the mask from the flags given; without `--etag` it
//! sends none and tries again on ETAG_MISMATCH, as the sender moves the
//! webhook on (and its etag) with every delivery. A webhook is
//! `webhooks/ID` or the bare ID.

mod secret;

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use gba_grants::proto::v1;
use gba_grants::proto::v1::webhook_service_client::WebhookServiceClient as Client;

use self::secret::{SecretFile, show};
use super::{Ctx, WriteArgs, institution_arg, programme_arg};
use crate::client::Paging;
use crate::error::{CliError, Result};
use crate::output::{self, Format};
use crate::{names, timefmt};

/// The longest overlap the server takes: a week.
const MAX_OVERLAP_SECONDS: i64 = 7 * 86_400;
/// Attempts of an update without `--etag`, the first included.
const UPDATE_ATTEMPTS: u32 = 3;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create a webhook; prints its secret alone on standard output, once.
    ///
    /// Events are POSTed to URL in commit order, each signed with the
    /// secret (`whsec_…`): everything the key may see, or one programme's
    /// or institution's applications, of every kind or of the kinds given.
    /// The webhook's details go to standard error; `-o name` prints its
    /// name on standard output and the secret on standard error; `-o json`
    /// prints `{"webhook": …, "secret": …}`. With --secret-file the secret
    /// goes to that file alone, and standard output gets the webhook.
    #[command(after_help = "Example:\n  \
                            SECRET=$(grantctl webhooks create --url https://erp.hku.hk/hooks/grants --institution institutions/0193...)\n  \
                            grantctl webhooks create --url https://finance.example.org/gba --programme programmes/0193... \\\n    \
                            --kind disbursement --kind report --secret-file finance.secret -o name")]
    Create(CreateArgs),
    /// List your webhooks (an admin's key: everyone's), all pages unless --limit.
    #[command(after_help = "Example:\n  grantctl webhooks list\n  \
                            grantctl webhooks list -o json | jq -r '.[] | select(.state == \"STATE_DISABLED\") | .name'")]
    List(PageArgs),
    /// Show a webhook: its state (and why it was disabled), its cursor, its
    /// failures in a row, and until when the previous secret signs.
    #[command(after_help = "Example:\n  grantctl webhooks get webhooks/0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4")]
    Get {
        /// webhooks/ID or the bare ID.
        #[arg(value_name = "WEBHOOK")]
        name: String,
    },
    /// Change the URL or the event kinds, or pause or resume deliveries;
    /// only what is given changes.
    ///
    /// A paused webhook's events wait and are delivered, in order, once it
    /// is resumed. --resume is also how a DISABLED webhook (stopped by the
    /// server after too many failed attempts) is enabled again: it then
    /// delivers what it missed, from its cursor.
    #[command(
        group(ArgGroup::new("change").args(["url", "kinds", "all_kinds", "pause", "resume"]).required(true).multiple(true)),
        after_help = "Example:\n  grantctl webhooks update 0193... --pause\n  \
                      grantctl webhooks update 0193... --resume            # also re-enables a DISABLED webhook\n  \
                      grantctl webhooks update 0193... --url https://erp.hku.hk/hooks/v2 --kind state-change\n  \
                      grantctl webhooks update 0193... --all-kinds"
    )]
    Update(UpdateArgs),
    /// Delete a webhook and its delivery log.
    #[command(after_help = "Example:\n  grantctl webhooks delete webhooks/0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4")]
    Delete {
        /// webhooks/ID or the bare ID.
        #[arg(value_name = "WEBHOOK")]
        name: String,
    },
    /// Issue a new secret, printed as `create` prints it; the old one keeps
    /// signing beside it for --overlap, so receivers can switch over.
    ///
    /// Sent once, never retried: a second rotation would end the first
    /// one's overlap. `get` shows until when the previous secret signs.
    #[command(after_help = "Example:\n  NEW=$(grantctl webhooks rotate 0193... --overlap 24h)\n  \
                            grantctl webhooks rotate 0193... --overlap 0 --secret-file hook.secret   # the old one stops now")]
    Rotate(RotateArgs),
    /// List a webhook's delivery attempts, newest first (all pages unless --limit).
    #[command(after_help = "Example:\n  grantctl webhooks deliveries 0193... --limit 20\n  \
                            grantctl webhooks deliveries 0193... -o json | jq -r '.[] | select(.outcome == \"OUTCOME_FAILED\") | .event'")]
    Deliveries {
        /// webhooks/ID or the bare ID.
        #[arg(value_name = "WEBHOOK")]
        name: String,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Send one event again, once, beside the ordered deliveries (with the
    /// same webhook-id); prints the attempt.
    #[command(after_help = "Example:\n  \
                            E=$(grantctl webhooks deliveries 0193... --limit 1 -o json | jq -r '.[0].event')\n  \
                            grantctl webhooks redeliver 0193... --event \"$E\"")]
    Redeliver {
        /// webhooks/ID or the bare ID.
        #[arg(value_name = "WEBHOOK")]
        name: String,
        /// The event's cursor, whole: a delivery's `event` (`-o json`), or
        /// an event's `cursor` from `grantctl applications events`.
        #[arg(long, value_name = "CURSOR")]
        event: String,
    },
}

/// Which events a webhook sends, as `--kind` takes it: `state-change`,
/// `STATE_CHANGE`, `disbursement` (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    #[value(alias = "state_change", alias = "webhook_event_kind_state_change")]
    StateChange,
    #[value(alias = "webhook_event_kind_disbursement")]
    Disbursement,
    #[value(alias = "webhook_event_kind_review")]
    Review,
    #[value(alias = "webhook_event_kind_document")]
    Document,
    #[value(alias = "webhook_event_kind_team")]
    Team,
    #[value(alias = "webhook_event_kind_report")]
    Report,
}

impl KindArg {
    pub fn proto(self) -> i32 {
        use v1::WebhookEventKind as K;
        match self {
            Self::StateChange => K::StateChange as i32,
            Self::Disbursement => K::Disbursement as i32,
            Self::Review => K::Review as i32,
            Self::Document => K::Document as i32,
            Self::Team => K::Team as i32,
            Self::Report => K::Report as i32,
        }
    }
}

/// The kinds given, each once, in the order given.
fn kinds(given: &[KindArg]) -> Vec<i32> {
    let mut out = Vec::new();
    for k in given.iter().map(|k| k.proto()) {
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// Paging flags of the webhook lists (they take no filter).
#[derive(Debug, Args)]
pub struct PageArgs {
    /// Results per page (the server's default is 50; at most 1000).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..=1000))]
    page_size: Option<i32>,
    /// Stop after N results (default: page through all of them).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
}

impl PageArgs {
    fn paging(&self) -> Paging {
        Paging {
            page_size: self.page_size,
            limit: self.limit.map(|l| l as usize),
        }
    }
}

/// Where a new secret goes.
#[derive(Debug, Args)]
pub struct SecretArgs {
    /// Write the secret to FILE (readable by you alone, 0600; replaced if
    /// it exists) instead of printing it; standard output then gets the
    /// webhook in the -o format.
    #[arg(long, value_name = "FILE")]
    secret_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Where to POST: https:// (http:// and private addresses only if the
    /// server allows them).
    #[arg(long)]
    url: String,
    /// Only this programme's applications: programmes/ID or the bare ID.
    #[arg(long, conflicts_with = "institution")]
    programme: Option<String>,
    /// Only this institution's applications: institutions/ID or the bare ID.
    #[arg(long)]
    institution: Option<String>,
    /// Only events of this kind (repeat for several; default: every kind).
    #[arg(long = "kind", value_name = "KIND", value_enum, ignore_case = true)]
    kinds: Vec<KindArg>,
    /// Create it paused: events wait until `webhooks update W --resume`.
    #[arg(long)]
    paused: bool,
    #[command(flatten)]
    secret: SecretArgs,
    #[command(flatten)]
    write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// webhooks/ID or the bare ID.
    #[arg(value_name = "WEBHOOK")]
    name: String,
    /// The new URL.
    #[arg(long)]
    url: Option<String>,
    /// Send only events of this kind (repeat for several); replaces the kinds.
    #[arg(
        long = "kind",
        value_name = "KIND",
        value_enum,
        ignore_case = true,
        conflicts_with = "all_kinds"
    )]
    kinds: Vec<KindArg>,
    /// Send events of every kind.
    #[arg(long)]
    all_kinds: bool,
    /// Pause deliveries: events wait.
    #[arg(long, conflicts_with = "resume")]
    pause: bool,
    /// Resume deliveries of a PAUSED webhook, or enable a DISABLED one
    /// again; either way it delivers what it missed, in order.
    #[arg(long)]
    resume: bool,
    /// Only if this etag is current (default: whatever it is now).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// webhooks/ID or the bare ID.
    #[arg(value_name = "WEBHOOK")]
    name: String,
    /// How long the old secret keeps signing beside the new one: 24h, 90m,
    /// 7d at most, or 0 to stop it at once [default: 24h].
    #[arg(long, value_name = "DURATION")]
    overlap: Option<String>,
    #[command(flatten)]
    secret: SecretArgs,
}

fn webhook_arg(text: &str) -> Result<String> {
    names::webhook(text).map_err(|e| CliError::invalid("WEBHOOK", e))
}

fn overlap_arg(text: &str) -> Result<i64> {
    let seconds = timefmt::parse_seconds(text).map_err(|e| CliError::invalid("--overlap", e))?;
    if seconds > MAX_OVERLAP_SECONDS {
        return Err(CliError::invalid(
            "--overlap",
            format!("{text:?} is longer than a week (7d), the most the old secret may keep signing"),
        ));
    }
    Ok(seconds)
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let c = &ctx.conn;
    match cmd {
        Cmd::Create(a) => create(ctx, a).await,
        Cmd::List(page) => {
            let items = page
                .paging()
                .collect(|page_size, page_token| {
                    let request = v1::ListWebhooksRequest { page_size, page_token };
                    async move {
                        let r = c
                            .call(request, |ch, r| async move { Client::new(ch).list_webhooks(r).await })
                            .await?;
                        Ok((r.webhooks, r.next_page_token))
                    }
                })
                .await?;
            output::list(ctx.format, &items)
        }
        Cmd::Get { name } => {
            let request = v1::GetWebhookRequest {
                name: webhook_arg(&name)?,
            };
            let r = c
                .call(request, |ch, r| async move { Client::new(ch).get_webhook(r).await })
                .await?;
            output::one(ctx.format, &r.webhook.unwrap_or_default())
        }
        Cmd::Update(a) => update(ctx, a).await,
        Cmd::Delete { name } => {
            let name = webhook_arg(&name)?;
            let request = v1::DeleteWebhookRequest {
                name: name.clone(),
                request_id: String::new(),
            };
            c.call(request, |ch, r| async move { Client::new(ch).delete_webhook(r).await })
                .await?;
            output::write(&match ctx.format {
                Format::Table => format!("Deleted {name} and its delivery log.\n"),
                Format::Name => format!("{name}\n"),
                Format::Json | Format::Jsonl => "{}\n".to_owned(),
            })
        }
        Cmd::Rotate(a) => {
            let request = v1::RotateWebhookSecretRequest {
                name: webhook_arg(&a.name)?,
                overlap_seconds: a.overlap.as_deref().map(overlap_arg).transpose()?,
                request_id: String::new(),
            };
            let file = SecretFile::prepare(a.secret.secret_file.as_deref())?;
            let r = c
                .call_once(request, |ch, r| async move {
                    Client::new(ch).rotate_webhook_secret(r).await
                })
                .await?;
            show(ctx.format, &r.webhook.unwrap_or_default(), &r.secret, file)
        }
        Cmd::Deliveries { name, page } => {
            let parent = webhook_arg(&name)?;
            let items = page
                .paging()
                .collect(|page_size, page_token| {
                    let request = v1::ListWebhookDeliveriesRequest {
                        parent: parent.clone(),
                        page_size,
                        page_token,
                    };
                    async move {
                        let r = c
                            .call(request, |ch, r| async move {
                                Client::new(ch).list_webhook_deliveries(r).await
                            })
                            .await?;
                        Ok((r.deliveries, r.next_page_token))
                    }
                })
                .await?;
            output::list(ctx.format, &items)
        }
        Cmd::Redeliver { name, event } => {
            let request = v1::RedeliverEventRequest {
                name: webhook_arg(&name)?,
                event: event.trim().to_owned(),
                request_id: String::new(),
            };
            let r = c
                .call(request, |ch, r| async move { Client::new(ch).redeliver_event(r).await })
                .await?;
            output::one(ctx.format, &r.delivery.unwrap_or_default())
        }
    }
}

async fn create(ctx: &Ctx, a: CreateArgs) -> Result<()> {
    let webhook = v1::Webhook {
        url: a.url,
        programme: a
            .programme
            .map(|p| programme_arg("--programme", &p))
            .transpose()?
            .unwrap_or_default(),
        institution: a
            .institution
            .map(|i| institution_arg("--institution", &i))
            .transpose()?
            .unwrap_or_default(),
        event_kinds: kinds(&a.kinds),
        paused: a.paused,
        ..Default::default()
    };
    let request = v1::CreateWebhookRequest {
        webhook: Some(webhook),
        request_id: a.write.id(),
    };
    // The file is made before the call, so a path that cannot be written
    // is refused before the secret exists.
    let file = SecretFile::prepare(a.secret.secret_file.as_deref())?;
    let r = ctx
        .conn
        .call(request, |ch, r| async move { Client::new(ch).create_webhook(r).await })
        .await?;
    show(ctx.format, &r.webhook.unwrap_or_default(), &r.secret, file)
}

async fn update(ctx: &Ctx, a: UpdateArgs) -> Result<()> {
    let mut webhook = v1::Webhook {
        name: webhook_arg(&a.name)?,
        ..Default::default()
    };
    let mut paths = Vec::new();
    if let Some(url) = a.url {
        webhook.url = url;
        paths.push("url".to_owned());
    }
    if a.all_kinds || !a.kinds.is_empty() {
        webhook.event_kinds = kinds(&a.kinds);
        paths.push("event_kinds".to_owned());
    }
    if a.pause || a.resume {
        webhook.paused = a.pause;
        paths.push("paused".to_owned());
    }
    let pinned = a.etag.is_some();
    webhook.etag = a.etag.unwrap_or_default();
    let request = v1::UpdateWebhookRequest {
        webhook: Some(webhook),
        update_mask: Some(prost_types::FieldMask { paths }),
    };
    let mut attempt = 1;
    let r = loop {
        let outcome = ctx
            .conn
            .call(request.clone(), |ch, r| async move {
                Client::new(ch).update_webhook(r).await
            })
            .await;
        match outcome {
            // Moved on by a delivery between the server's read and write.
            Err(e) if !pinned && attempt < UPDATE_ATTEMPTS && e.has_reason("ETAG_MISMATCH") => attempt += 1,
            other => break other?,
        }
    };
    output::one(ctx.format, &r.webhook.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_are_zero_to_a_week() {
        assert_eq!(overlap_arg("24h").ok(), Some(86_400));
        assert_eq!(overlap_arg("0").ok(), Some(0));
        assert_eq!(overlap_arg("7d").ok(), Some(MAX_OVERLAP_SECONDS));
        let e = overlap_arg("8d").err().map(|e| (e.code, e.message));
        assert!(
            matches!(&e, Some((4, m)) if m.starts_with("invalid --overlap") && m.contains("7d")),
            "{e:?}"
        );
        assert!(overlap_arg("a day").is_err());
    }

    #[test]
    fn kinds_are_sent_once_each() {
        let given = [KindArg::Report, KindArg::StateChange, KindArg::Report];
        assert_eq!(
            kinds(&given),
            [
                v1::WebhookEventKind::Report as i32,
                v1::WebhookEventKind::StateChange as i32
            ]
        );
    }
}
