//! `grantctl programmes create|get|list|update`. Update builds the field
//! mask from the flags given (and the fields of `--from-file`) and fetches
//! the current etag unless `--etag` is passed.

use clap::{Args, Subcommand};
use gba_grants::proto::v1;
use gba_grants::proto::v1::programme_service_client::ProgrammeServiceClient as Client;

use super::{Ctx, ListArgs, RegionArg, WriteArgs, money_arg, money_opt, programme_arg, time_opt};
use crate::error::{CliError, Result};
use crate::json::input;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create a programme (admin).
    #[command(
        after_help = "Example:\n  grantctl programmes create --display-name 'GBA Joint Research' --local-name 粤港澳联合研究 \\\n    \
                            --funder 'Guangdong S&T Department' --budget '10,000,000 CNY' --max-award '1,000,000 CNY' \\\n    \
                            --eligible-region hong-kong --eligible-region macao --requires-guangdong-partner \\\n    \
                            --open-time 2026-01-01 --close-time 2026-12-01"
    )]
    Create(Fields),
    /// Show one programme.
    #[command(after_help = "Example:\n  grantctl programmes get programmes/0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4")]
    Get {
        /// programmes/ID or the bare ID.
        name: String,
    },
    /// List the programmes you may see.
    #[command(after_help = "Example:\n  grantctl programmes list --filter 'open = true AND eligible_region = MACAO'")]
    List(ListArgs),
    /// Change the fields given (admin); the mask is built from the flags.
    #[command(
        after_help = "Example:\n  grantctl programmes update programmes/0193... --budget '2,000,000 CNY' --close-time 2027-01-01"
    )]
    Update {
        /// programmes/ID or the bare ID.
        name: String,
        /// The etag to send (default: read the current one first).
        #[arg(long)]
        etag: Option<String>,
        #[command(flatten)]
        fields: Fields,
    },
}

#[derive(Debug, Args)]
pub struct Fields {
    /// English display name.
    #[arg(long)]
    display_name: Option<String>,
    /// Chinese local name.
    #[arg(long)]
    local_name: Option<String>,
    /// The funding body.
    #[arg(long)]
    funder: Option<String>,
    /// Currency of every amount (create only; default: the budget's).
    #[arg(long)]
    currency: Option<String>,
    /// Total budget, such as "10,000,000 CNY".
    #[arg(long)]
    budget: Option<String>,
    /// Largest award, such as "1,000,000 CNY".
    #[arg(long)]
    max_award: Option<String>,
    /// A region whose institutions may apply (repeat for several).
    #[arg(long = "eligible-region", value_enum, ignore_case = true)]
    eligible_regions: Vec<RegionArg>,
    /// Whether applications must name a Guangdong partner.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    requires_guangdong_partner: Option<bool>,
    /// Applications may be submitted from (RFC 3339 or a date, UTC midnight).
    #[arg(long)]
    open_time: Option<String>,
    /// ...until (exclusive).
    #[arg(long)]
    close_time: Option<String>,
    /// A Programme in proto3 JSON (`-`: standard input); flags override it.
    #[arg(long, value_name = "FILE")]
    from_file: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

/// Output-only fields: never part of an update mask.
const OUTPUT_ONLY: &[&str] = &[
    "name",
    "etag",
    "committed",
    "create_time",
    "update_time",
    "currency_code",
];

impl Fields {
    /// The programme and the proto names of the fields set.
    fn build(&self) -> Result<(v1::Programme, Vec<String>)> {
        let (mut p, mut set) = match &self.from_file {
            Some(path) => input::programme(&input::read(path)?)?,
            None => (v1::Programme::default(), Vec::new()),
        };
        let mut mark = |field: &str| set.push(field.to_owned());
        if let Some(v) = &self.display_name {
            p.display_name = v.clone();
            mark("display_name");
        }
        if let Some(v) = &self.local_name {
            p.local_name = v.clone();
            mark("local_name");
        }
        if let Some(v) = &self.funder {
            p.funder = v.clone();
            mark("funder");
        }
        if let Some(v) = &self.budget {
            p.budget = Some(money_arg("--budget", v)?.to_proto());
            mark("budget");
        }
        if self.max_award.is_some() {
            p.max_award = money_opt("--max-award", self.max_award.as_ref())?;
            mark("max_award");
        }
        if !self.eligible_regions.is_empty() {
            p.eligible_regions = self.eligible_regions.iter().map(|r| r.proto()).collect();
            mark("eligible_regions");
        }
        if let Some(v) = self.requires_guangdong_partner {
            p.requires_guangdong_partner = v;
            mark("requires_guangdong_partner");
        }
        if self.open_time.is_some() {
            p.open_time = time_opt("--open-time", self.open_time.as_ref())?;
            mark("open_time");
        }
        if self.close_time.is_some() {
            p.close_time = time_opt("--close-time", self.close_time.as_ref())?;
            mark("close_time");
        }
        if let Some(c) = &self.currency {
            p.currency_code = c.to_ascii_uppercase();
        } else if p.currency_code.is_empty() {
            p.currency_code = p.budget.as_ref().map(|b| b.currency_code.clone()).unwrap_or_default();
        }
        set.retain(|f| !OUTPUT_ONLY.contains(&f.as_str()));
        set.sort();
        set.dedup();
        Ok((p, set))
    }
}

async fn get(ctx: &Ctx, name: String) -> Result<v1::Programme> {
    let r = ctx
        .conn
        .call(v1::GetProgrammeRequest { name }, |ch, r| async move {
            Client::new(ch).get_programme(r).await
        })
        .await?;
    Ok(r.programme.unwrap_or_default())
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Create(f) => {
            let (programme, _) = f.build()?;
            let request = v1::CreateProgrammeRequest {
                programme: Some(programme),
                request_id: f.write.id(),
            };
            let r = ctx
                .conn
                .call(
                    request,
                    |ch, r| async move { Client::new(ch).create_programme(r).await },
                )
                .await?;
            output::one(ctx.format, &r.programme.unwrap_or_default())
        }
        Cmd::Get { name } => output::one(ctx.format, &get(ctx, programme_arg("NAME", &name)?).await?),
        Cmd::List(l) => {
            let items = l
                .paging()
                .collect(|page_size, page_token| {
                    let request = v1::ListProgrammesRequest {
                        page_size,
                        page_token,
                        filter: l.filter(),
                    };
                    async move {
                        let r = ctx
                            .conn
                            .call(request, |ch, r| async move { Client::new(ch).list_programmes(r).await })
                            .await?;
                        Ok((r.programmes, r.next_page_token))
                    }
                })
                .await?;
            output::list(ctx.format, &items)
        }
        Cmd::Update { name, etag, fields } => {
            let name = programme_arg("NAME", &name)?;
            let (mut programme, mask) = fields.build()?;
            if mask.is_empty() {
                return Err(CliError::invalid(
                    "update",
                    "give at least one field to change, such as --budget",
                ));
            }
            programme.name = name.clone();
            programme.etag = match etag {
                Some(e) => e,
                None if !programme.etag.is_empty() => programme.etag,
                None => get(ctx, name).await?.etag,
            };
            let request = v1::UpdateProgrammeRequest {
                programme: Some(programme),
                update_mask: Some(prost_types::FieldMask { paths: mask }),
                request_id: fields.write.id(),
            };
            let r = ctx
                .conn
                .call(
                    request,
                    |ch, r| async move { Client::new(ch).update_programme(r).await },
                )
                .await?;
            output::one(ctx.format, &r.programme.unwrap_or_default())
        }
    }
}
