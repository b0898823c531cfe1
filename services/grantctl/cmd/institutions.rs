//! `grantctl institutions create|get|list|update`.

use clap::{Args, Subcommand};
use gba_grants::proto::v1;
use gba_grants::proto::v1::institution_service_client::InstitutionServiceClient as Client;

use super::{Ctx, ListArgs, RegionArg, WriteArgs, institution_arg};
use crate::error::{CliError, Result};
use crate::json::input;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Register an institution (admin).
    #[command(
        after_help = "Example:\n  grantctl institutions create --display-name 'The University of Hong Kong' \\\n    \
                            --local-name 香港大學 --region hong-kong --ror 02zhqgq86"
    )]
    Create(CreateArgs),
    /// Show one institution.
    #[command(
        after_help = "Example:\n  grantctl institutions get institutions/0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4 -o json"
    )]
    Get {
        /// institutions/ID or the bare ID.
        name: String,
    },
    /// List institutions (all pages unless --limit).
    #[command(after_help = "Example:\n  grantctl institutions list --region macao -o name\n  \
                            grantctl institutions list --filter 'region = MACAO'")]
    List {
        /// Only institutions of this region (any case: hong-kong, HONG_KONG, hk, macao, guangdong).
        #[arg(long, value_enum, ignore_case = true)]
        region: Option<RegionArg>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Change an institution's names or ROR id (admin); the region never
    /// changes. Only the fields given change; --ror '' clears the ROR id.
    #[command(
        after_help = "Example:\n  grantctl institutions update institutions/0193... --display-name 'The University of Hong Kong (HKU)'\n  \
                      grantctl institutions update 0193... --local-name 香港大學 --ror 02zhqgq86\n  \
                      grantctl institutions update 0193... --ror ''   # clears the ROR id"
    )]
    Update(UpdateArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// English display name.
    #[arg(long)]
    display_name: Option<String>,
    /// Chinese local name (Traditional for HK/Macao, Simplified for Guangdong).
    #[arg(long)]
    local_name: Option<String>,
    /// Region.
    #[arg(long, value_enum, ignore_case = true)]
    region: Option<RegionArg>,
    /// ROR id, such as 02zhqgq86.
    #[arg(long)]
    ror: Option<String>,
    /// An Institution in proto3 JSON (`-`: standard input); flags override it.
    #[arg(long, value_name = "FILE")]
    from_file: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// institutions/ID or the bare ID.
    name: String,
    /// New English display name.
    #[arg(long)]
    display_name: Option<String>,
    /// New Chinese local name.
    #[arg(long)]
    local_name: Option<String>,
    /// New ROR id, such as 02zhqgq86 ('' clears it).
    #[arg(long)]
    ror: Option<String>,
    /// The etag to send (default: read the current one first).
    #[arg(long)]
    etag: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

async fn get(ctx: &Ctx, name: String) -> Result<v1::Institution> {
    let r = ctx
        .conn
        .call(v1::GetInstitutionRequest { name }, |ch, r| async move {
            Client::new(ch).get_institution(r).await
        })
        .await?;
    Ok(r.institution.unwrap_or_default())
}

async fn update(ctx: &Ctx, a: UpdateArgs) -> Result<()> {
    let name = institution_arg("NAME", &a.name)?;
    let mut institution = v1::Institution {
        name: name.clone(),
        ..Default::default()
    };
    let mut mask = Vec::new();
    for (value, field, path) in [
        (a.display_name, &mut institution.display_name, "display_name"),
        (a.local_name, &mut institution.local_name, "local_name"),
        (a.ror, &mut institution.ror_id, "ror_id"),
    ] {
        if let Some(v) = value {
            *field = v;
            mask.push(path.to_owned());
        }
    }
    if mask.is_empty() {
        return Err(CliError::invalid(
            "update",
            "give at least one field to change: --display-name, --local-name or --ror",
        ));
    }
    institution.etag = match a.etag {
        Some(e) => e,
        None => get(ctx, name).await?.etag,
    };
    let request = v1::UpdateInstitutionRequest {
        institution: Some(institution),
        update_mask: Some(prost_types::FieldMask { paths: mask }),
        request_id: a.write.id(),
    };
    let r = ctx
        .conn
        .call(
            request,
            |ch, r| async move { Client::new(ch).update_institution(r).await },
        )
        .await?;
    output::one(ctx.format, &r.institution.unwrap_or_default())
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Create(a) => {
            let mut i = match &a.from_file {
                Some(path) => input::institution(&input::read(path)?)?,
                None => v1::Institution::default(),
            };
            if let Some(v) = a.display_name {
                i.display_name = v;
            }
            if let Some(v) = a.local_name {
                i.local_name = v;
            }
            if let Some(v) = a.region {
                i.region = v.proto();
            }
            if let Some(v) = a.ror {
                i.ror_id = v;
            }
            let request = v1::CreateInstitutionRequest {
                institution: Some(i),
                request_id: a.write.id(),
            };
            let r = ctx
                .conn
                .call(
                    request,
                    |ch, r| async move { Client::new(ch).create_institution(r).await },
                )
                .await?;
            output::one(ctx.format, &r.institution.unwrap_or_default())
        }
        Cmd::Get { name } => {
            let request = v1::GetInstitutionRequest {
                name: institution_arg("NAME", &name)?,
            };
            let r = ctx
                .conn
                .call(request, |ch, r| async move { Client::new(ch).get_institution(r).await })
                .await?;
            output::one(ctx.format, &r.institution.unwrap_or_default())
        }
        Cmd::Update(a) => update(ctx, a).await,
        Cmd::List { region, list: l } => {
            let filter = l.filter_with(&[("--region", "region", region.map(|r| r.filter_value().to_owned()))])?;
            let items = l
                .paging()
                .collect(|page_size, page_token| {
                    let request = v1::ListInstitutionsRequest {
                        page_size,
                        page_token,
                        filter: filter.clone(),
                    };
                    async move {
                        let r = ctx
                            .conn
                            .call(
                                request,
                                |ch, r| async move { Client::new(ch).list_institutions(r).await },
                            )
                            .await?;
                        Ok((r.institutions, r.next_page_token))
                    }
                })
                .await?;
            output::list(ctx.format, &items)
        }
    }
}
