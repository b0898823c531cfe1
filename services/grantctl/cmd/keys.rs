//! `grantctl keys create|list|revoke` (admin). `create` prints the secret
//! alone on standard output (it is shown once) and the key's details on
//! standard error; `-o json`/`jsonl` print the whole response instead. A
//! key may name the person who holds it (`--person-name`, `--person-orcid`):
//! events and endorsements show them.

use clap::{Args, Subcommand};
use gba_grants::proto::v1;
use gba_grants::proto::v1::access_service_client::AccessServiceClient as Client;

use super::{Ctx, ListArgs, RoleArg, WriteArgs, institution_arg, programme_arg};
use crate::error::Result;
use crate::json::{input, out};
use crate::output::{self, Format};
use crate::{names, table, views::Resource};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Issue a key; prints its secret alone on standard output, once.
    #[command(after_help = "Example:\n  \
                            OFFICER=$(grantctl keys create --role officer --programme programmes/0193... --display-name 'Ms Lee')\n  \
                            grantctl keys create --role applicant --institution institutions/0193... > hku.key\n  \
                            grantctl keys create --role applicant --institution institutions/0193... --person-name 'Ou Yang' \\\n    \
                            --person-orcid 0000-0003-1415-9269 > sysu-office.key\n  \
                            grantctl keys create --role reviewer --institution institutions/0193... --programme programmes/0193... > reviewer.key")]
    Create(CreateArgs),
    /// List issued keys (never their secrets).
    #[command(after_help = "Example:\n  grantctl keys list --filter 'role = OFFICER AND revoked = false'")]
    List(ListArgs),
    /// Revoke a key: it fails from its next call on, and its streams end.
    #[command(after_help = "Example:\n  grantctl keys revoke apiKeys/0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4")]
    Revoke {
        /// apiKeys/ID or the bare ID.
        name: String,
        #[command(flatten)]
        write: WriteArgs,
    },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The key's role.
    #[arg(long, value_enum, ignore_case = true)]
    role: Option<RoleArg>,
    /// Applicant: its institution (required). Officer: its affiliation.
    /// Reviewer: its affiliation (required, for the conflict-of-interest rule).
    #[arg(long)]
    institution: Option<String>,
    /// Officer, viewer and reviewer: a programme in scope (repeat for several).
    #[arg(long = "programme")]
    programmes: Vec<String>,
    /// Viewer: every programme is in scope.
    #[arg(long)]
    all_programmes: bool,
    /// A label, such as the holder's name.
    #[arg(long)]
    display_name: Option<String>,
    /// The person who holds the key (events and endorsements show them).
    #[arg(long, value_name = "NAME")]
    person_name: Option<String>,
    /// The holder's ORCID iD (with --person-name); a reviewer whose ORCID iD
    /// is on an application's team is conflicted on it.
    #[arg(long, value_name = "ORCID")]
    person_orcid: Option<String>,
    /// An ApiKey in proto3 JSON (`-`: standard input); flags override it.
    #[arg(long, value_name = "FILE")]
    from_file: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Create(a) => {
            let mut key = match &a.from_file {
                Some(path) => input::api_key(&input::read(path)?)?,
                None => v1::ApiKey::default(),
            };
            if let Some(r) = a.role {
                key.role = r.proto();
            }
            if let Some(i) = &a.institution {
                key.institution = institution_arg("--institution", i)?;
            }
            if !a.programmes.is_empty() {
                key.programmes = a
                    .programmes
                    .iter()
                    .map(|p| programme_arg("--programme", p))
                    .collect::<Result<_>>()?;
            }
            key.all_programmes |= a.all_programmes;
            if let Some(d) = a.display_name {
                key.display_name = d;
            }
            if a.person_name.is_some() || a.person_orcid.is_some() {
                let person = key.person.get_or_insert_with(Default::default);
                if let Some(n) = a.person_name {
                    person.display_name = n;
                }
                if let Some(o) = a.person_orcid {
                    person.orcid = o;
                }
            }
            let request = v1::CreateApiKeyRequest {
                api_key: Some(key),
                request_id: a.write.id(),
            };
            let r = ctx
                .conn
                .call(request, |ch, r| async move { Client::new(ch).create_api_key(r).await })
                .await?;
            match ctx.format {
                Format::Json => output::write(&output::pretty(&out::created_key(&r))),
                Format::Jsonl => output::write(&output::compact(&out::created_key(&r))),
                Format::Table | Format::Name => {
                    let key = r.api_key.unwrap_or_default();
                    eprint!("{}", table::fields(&key.details()));
                    if r.secret.is_empty() {
                        eprintln!("(a replayed request: the secret is shown only once, to the first call)");
                        return Ok(());
                    }
                    output::write(&format!("{}\n", r.secret))
                }
            }
        }
        Cmd::List(l) => {
            let items = l
                .paging()
                .collect(|page_size, page_token| {
                    let request = v1::ListApiKeysRequest {
                        page_size,
                        page_token,
                        filter: l.filter(),
                    };
                    async move {
                        let r = ctx
                            .conn
                            .call(request, |ch, r| async move { Client::new(ch).list_api_keys(r).await })
                            .await?;
                        Ok((r.api_keys, r.next_page_token))
                    }
                })
                .await?;
            output::list(ctx.format, &items)
        }
        Cmd::Revoke { name, write } => {
            let request = v1::RevokeApiKeyRequest {
                name: names::api_key(&name).map_err(|e| crate::error::CliError::invalid("NAME", e))?,
                request_id: write.id(),
            };
            let r = ctx
                .conn
                .call(request, |ch, r| async move { Client::new(ch).revoke_api_key(r).await })
                .await?;
            output::one(ctx.format, &r.api_key.unwrap_or_default())
        }
    }
}
