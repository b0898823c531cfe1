//! `grantctl institutions create|get|list`.

use clap::{Args, Subcommand};
use gba_grants::proto::v1;
use gba_grants::proto::v1::institution_service_client::InstitutionServiceClient as Client;

use super::{Ctx, ListArgs, RegionArg, WriteArgs, institution_arg};
use crate::error::Result;
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
    #[command(after_help = "Example:\n  grantctl institutions list --filter 'region = MACAO' -o name")]
    List(ListArgs),
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
        Cmd::List(l) => {
            let items = l
                .paging()
                .collect(|page_size, page_token| {
                    let request = v1::ListInstitutionsRequest {
                        page_size,
                        page_token,
                        filter: l.filter(),
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
