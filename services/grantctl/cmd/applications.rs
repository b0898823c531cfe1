//! `grantctl applications create|get|list|update|submit|withdraw|events`,
//! and the team and sign-off commands `team list|add|remove` (team.rs) and
//! `endorse|unendorse` (signoff.rs).

use clap::Subcommand;
use gba_grants::proto::v1;
use gba_grants::proto::v1::application_service_client::ApplicationServiceClient as Client;

use super::application_fields::Fields;
use super::{AppRef, Ctx, ListArgs, RelationArg, StateArg, WriteArgs, institution_arg, programme_arg, signoff, team};
use crate::error::{CliError, Result};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Draft an application to a programme (applicant).
    #[command(
        after_help = "Example:\n  grantctl applications create --programme programmes/0193... \\\n    \
                            --title 'Typhoon-resilient coastal infrastructure' --abstract 'We model storm surge.' \\\n    \
                            --pi-name 'Dr Chan Tai Man' --pi-email tmchan@hku.hk --pi-orcid 0000-0002-1825-0097 \\\n    \
                            --partner institutions/0193... --requested '800,000 CNY' --duration-months 24 \\\n    \
                            --member 'Dr Chan Tai Man;pi;institutions/0193...;0000-0002-1825-0097;tmchan@hku.hk' \\\n    \
                            --member 'Li Hua;co-pi;institutions/0194...;0000-0001-5109-3700'\n  \
                            grantctl applications create --programme programmes/0195... --title 'Battery cathodes under load' \\\n    \
                            --pi-name 'Dr Ho Ka Yan' --requested '96.5 beam-h' \\\n    \
                            --preferred-period 2026-03-02T08:00:00Z/2026-03-06T08:00:00Z \\\n    \
                            --preferred-period 2026-04-13T08:00:00Z/2026-04-17T08:00:00Z   # a facility programme"
    )]
    Create {
        /// The programme: programmes/ID or the bare ID.
        #[arg(long)]
        programme: String,
        #[command(flatten)]
        fields: Fields,
    },
    /// Show one application, with its team, its sign-off and who still has to sign.
    #[command(after_help = "Example:\n  grantctl applications get 0193aaaa.../0193bbbb... -o json")]
    Get(AppRef),
    /// List applications of a programme, or of every programme you may see.
    #[command(
        after_help = "Example:\n  grantctl applications list --programme programmes/0193... --state submitted\n  \
                            grantctl applications list --institution institutions/0193... --state under-review -o name\n  \
                            grantctl applications list --filter 'state = SUBMITTED'\n  \
                            grantctl applications list --relation partner    # a partner's key: the joint applications naming it"
    )]
    List {
        /// The programme (default: every programme you may see).
        #[arg(long)]
        programme: Option<String>,
        /// Only applications in this state (any case: submitted, UNDER_REVIEW, under-review).
        #[arg(long, value_enum, ignore_case = true)]
        state: Option<StateArg>,
        /// Only applications of this applying institution: institutions/ID or the bare ID.
        #[arg(long)]
        institution: Option<String>,
        /// An applicant institution's key: only its own applications (own)
        /// or only those naming it as a partner (partner); default both.
        #[arg(long, value_enum, ignore_case = true)]
        relation: Option<RelationArg>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Edit a draft, or an application whose changes were requested.
    #[command(
        after_help = "Example:\n  grantctl applications update P/A --requested '750,000 CNY' --duration-months 36\n  \
                            grantctl applications update P/A --requested '120 beam-h' \\\n    \
                            --preferred-period 2026-05-04T08:00:00Z/2026-05-08T08:00:00Z   # a facility programme"
    )]
    Update {
        #[command(flatten)]
        app: AppRef,
        /// The etag to send (default: read the current one first).
        #[arg(long)]
        etag: Option<String>,
        #[command(flatten)]
        fields: Fields,
    },
    /// Submit an application for review.
    #[command(after_help = "Example:\n  grantctl applications submit P/A")]
    Submit {
        #[command(flatten)]
        app: AppRef,
        /// Only if this etag is current.
        #[arg(long)]
        etag: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Withdraw an application.
    #[command(after_help = "Example:\n  grantctl applications withdraw P/A --reason 'PI moved institution'")]
    Withdraw {
        #[command(flatten)]
        app: AppRef,
        /// Why (optional).
        #[arg(long)]
        reason: Option<String>,
        /// Only if this etag is current.
        #[arg(long)]
        etag: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// The committed history: of one application, a programme, an institution, or everything.
    #[command(after_help = "Example:\n  grantctl applications events P/A -o jsonl\n  \
                            grantctl applications events --programme programmes/0193... --limit 100")]
    Events(super::events::EventsArgs),
    /// An application's team: list, add and remove people.
    #[command(after_help = "Example:\n  grantctl applications team list P/A\n  \
                            grantctl applications team add P/A --name 'Li Hua' --role co-pi --institution institutions/0193...\n  \
                            grantctl applications team remove P/A --name 'Li Hua'")]
    Team {
        #[command(subcommand)]
        command: team::Cmd,
    },
    /// Sign the application as it stands, for your institution (the applicant or a partner).
    ///
    /// Without --etag, reads the application and signs the etag just read
    /// (said on standard error). Any later change of its content clears
    /// every endorsement. DRAFT or CHANGES_REQUESTED only.
    #[command(after_help = "Example:\n  grantctl applications endorse P/A\n  \
                            grantctl applications endorse P/A --etag 7\n  \
                            grantctl applications endorse P/A --institution institutions/0193...   # an admin names it")]
    Endorse(signoff::EndorseArgs),
    /// Withdraw your institution's endorsement.
    #[command(
        after_help = "Example:\n  grantctl applications unendorse P/A --reason 'the budget table is still wrong'"
    )]
    Unendorse(signoff::UnendorseArgs),
}

pub async fn get(ctx: &Ctx, name: String) -> Result<v1::Application> {
    let r = ctx
        .conn
        .call(v1::GetApplicationRequest { name }, |ch, r| async move {
            Client::new(ch).get_application(r).await
        })
        .await?;
    Ok(r.application.unwrap_or_default())
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let application = match cmd {
        Cmd::Create { programme, fields } => {
            let (application, _) = fields.build()?;
            let request = v1::CreateApplicationRequest {
                parent: programme_arg("--programme", &programme)?,
                application: Some(application),
                request_id: fields.write.id(),
            };
            let r = ctx
                .conn
                .call(
                    request,
                    |ch, r| async move { Client::new(ch).create_application(r).await },
                )
                .await?;
            r.application
        }
        Cmd::Get(app) => return signoff::show(ctx, &get(ctx, app.name()?).await?).await,
        Cmd::List {
            programme,
            state,
            institution,
            relation,
            list,
        } => {
            let parent = match programme {
                Some(p) => programme_arg("--programme", &p)?,
                None => "programmes/-".to_owned(),
            };
            let institution = institution
                .map(|i| institution_arg("--institution", &i).map(|name| format!("\"{name}\"")))
                .transpose()?;
            let filter = list.filter_with(&[
                ("--state", "state", state.map(|s| s.filter_value().to_owned())),
                ("--institution", "applicant_institution", institution),
                ("--relation", "relation", relation.map(|r| r.filter_value().to_owned())),
            ])?;
            let items = list
                .paging()
                .collect(|page_size, page_token| {
                    let request = v1::ListApplicationsRequest {
                        parent: parent.clone(),
                        page_size,
                        page_token,
                        filter: filter.clone(),
                    };
                    async move {
                        let r = ctx
                            .conn
                            .call(
                                request,
                                |ch, r| async move { Client::new(ch).list_applications(r).await },
                            )
                            .await?;
                        Ok((r.applications, r.next_page_token))
                    }
                })
                .await?;
            return output::list(ctx.format, &items);
        }
        Cmd::Update { app, etag, fields } => {
            let name = app.name()?;
            let (mut application, mask) = fields.build()?;
            if mask.is_empty() {
                return Err(CliError::invalid(
                    "update",
                    "give at least one field to change, such as --title or --member",
                ));
            }
            application.name = name.clone();
            application.etag = match etag {
                Some(e) => e,
                None if !application.etag.is_empty() => application.etag,
                None => get(ctx, name).await?.etag,
            };
            let request = v1::UpdateApplicationRequest {
                application: Some(application),
                update_mask: Some(prost_types::FieldMask { paths: mask }),
                request_id: fields.write.id(),
            };
            let r = ctx
                .conn
                .call(
                    request,
                    |ch, r| async move { Client::new(ch).update_application(r).await },
                )
                .await?;
            r.application
        }
        Cmd::Submit { app, etag, write } => {
            let request = v1::SubmitApplicationRequest {
                name: app.name()?,
                etag: etag.unwrap_or_default(),
                request_id: write.id(),
            };
            let r = ctx
                .conn
                .call(
                    request,
                    |ch, r| async move { Client::new(ch).submit_application(r).await },
                )
                .await?;
            r.application
        }
        Cmd::Withdraw {
            app,
            reason,
            etag,
            write,
        } => {
            let request = v1::WithdrawApplicationRequest {
                name: app.name()?,
                reason: reason.unwrap_or_default(),
                etag: etag.unwrap_or_default(),
                request_id: write.id(),
            };
            let r = ctx
                .conn
                .call(
                    request,
                    |ch, r| async move { Client::new(ch).withdraw_application(r).await },
                )
                .await?;
            r.application
        }
        Cmd::Events(args) => return super::events::run(ctx, args).await,
        Cmd::Team { command } => return team::run(ctx, command).await,
        Cmd::Endorse(args) => return signoff::endorse(ctx, args).await,
        Cmd::Unendorse(args) => return signoff::unendorse(ctx, args).await,
    };
    output::one(ctx.format, &application.unwrap_or_default())
}
