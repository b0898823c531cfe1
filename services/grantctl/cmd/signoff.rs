//! `grantctl applications endorse|unendorse`: an institution's sign-off of
//! an application as it stands (EndorseApplication, WithdrawEndorsement),
//! and an application shown with who still has to sign under its
//! programme's endorsement requirement (`applications get`); and that
//! requirement as `programmes create|update --endorsement-requirement` takes it.

use clap::{Args, ValueEnum};
use gba_grants::proto::v1;
use gba_grants::proto::v1::application_service_client::ApplicationServiceClient as Client;
use gba_grants::proto::v1::programme_service_client::ProgrammeServiceClient;

use super::applications::get;
use super::{AppRef, Ctx, WriteArgs, institution_arg};
use crate::error::{CliError, Result};
use crate::output::{self, Format};
use crate::views::Resource;
use crate::{names, table, views_team};

/// Whose endorsement a programme requires before submission, as
/// `--endorsement-requirement` takes it (any case, `-` or `_`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RequirementArg {
    #[value(alias = "unspecified", alias = "endorsement_requirement_unspecified")]
    None,
    #[value(alias = "endorsement_requirement_applicant")]
    Applicant,
    #[value(alias = "endorsement_requirement_partners")]
    Partners,
    #[value(
        alias = "applicant_and_partners",
        alias = "endorsement_requirement_applicant_and_partners"
    )]
    ApplicantAndPartners,
}

impl RequirementArg {
    pub fn proto(self) -> i32 {
        match self {
            Self::None => v1::EndorsementRequirement::Unspecified as i32,
            Self::Applicant => v1::EndorsementRequirement::Applicant as i32,
            Self::Partners => v1::EndorsementRequirement::Partners as i32,
            Self::ApplicantAndPartners => v1::EndorsementRequirement::ApplicantAndPartners as i32,
        }
    }
}

#[derive(Debug, Args)]
pub struct EndorseArgs {
    #[command(flatten)]
    app: AppRef,
    /// The institution signing: the applicant or a partner (default: your
    /// key's own; an admin names it).
    #[arg(long)]
    institution: Option<String>,
    /// The etag you sign, from `applications get` (default: read the
    /// application and sign it as it stands now).
    #[arg(long)]
    etag: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct UnendorseArgs {
    #[command(flatten)]
    app: AppRef,
    /// The institution whose endorsement is withdrawn (default: your key's
    /// own; an admin names it).
    #[arg(long)]
    institution: Option<String>,
    /// Why (optional; the event records it).
    #[arg(long)]
    reason: Option<String>,
    /// Only if this etag is current.
    #[arg(long)]
    etag: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

fn institution_opt(institution: Option<&str>) -> Result<String> {
    Ok(institution
        .map(|i| institution_arg("--institution", i))
        .transpose()?
        .unwrap_or_default())
}

/// `programmes/P` of `programmes/P/applications/A`.
fn programme_of(application: &str) -> String {
    application
        .split("/applications/")
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The programme's endorsement requirement, when the key may read it
/// (best effort: 0, none, otherwise).
async fn requirement(ctx: &Ctx, application: &str) -> i32 {
    let request = v1::GetProgrammeRequest {
        name: programme_of(application),
    };
    ctx.conn
        .call(request, |ch, r| async move {
            ProgrammeServiceClient::new(ch).get_programme(r).await
        })
        .await
        .ok()
        .and_then(|r| r.programme)
        .map_or(0, |p| p.endorsement_requirement)
}

/// Prints `a`: in a table, with who still has to sign (read from its
/// programme); otherwise as every application is printed.
pub async fn show(ctx: &Ctx, a: &v1::Application) -> Result<()> {
    if ctx.format != Format::Table {
        return output::one(ctx.format, a);
    }
    let mut fields = a.details();
    fields.extend(views_team::to_sign(a, requirement(ctx, &a.name).await));
    output::write(&table::fields(&fields))
}

pub async fn endorse(ctx: &Ctx, args: EndorseArgs) -> Result<()> {
    let name = args.app.name()?;
    let etag = match args.etag {
        Some(e) => e,
        None => get(ctx, name.clone()).await?.etag,
    };
    let request = v1::EndorseApplicationRequest {
        name: name.clone(),
        etag: etag.clone(),
        institution: institution_opt(args.institution.as_deref())?,
        request_id: args.write.id(),
    };
    let short = names::short_application(&name);
    let r = ctx
        .conn
        .call(
            request,
            |ch, r| async move { Client::new(ch).endorse_application(r).await },
        )
        .await
        .map_err(|e| {
            if e.has_reason("ETAG_MISMATCH") {
                CliError::new(
                    e.code,
                    format!(
                        "{} (etag {etag} is not the application as it stands: read it again with grantctl \
                         applications get {short}, then endorse what you read)",
                        e.message
                    ),
                )
            } else {
                e
            }
        })?;
    let a = r.application.unwrap_or_default();
    let signer = a
        .endorsements
        .iter()
        .find(|e| e.etag == etag)
        .map(|e| e.institution.clone())
        .unwrap_or_else(|| "your institution".to_owned());
    eprintln!("Endorsed {short} as it stood at etag {etag}, for {signer}.");
    show(ctx, &a).await
}

pub async fn unendorse(ctx: &Ctx, args: UnendorseArgs) -> Result<()> {
    let name = args.app.name()?;
    let institution = institution_opt(args.institution.as_deref())?;
    let request = v1::WithdrawEndorsementRequest {
        name: name.clone(),
        institution: institution.clone(),
        reason: args.reason.unwrap_or_default(),
        etag: args.etag.unwrap_or_default(),
        request_id: args.write.id(),
    };
    let r = ctx
        .conn
        .call(
            request,
            |ch, r| async move { Client::new(ch).withdraw_endorsement(r).await },
        )
        .await?;
    let a = r.application.unwrap_or_default();
    let whose = if institution.is_empty() {
        "your institution".to_owned()
    } else {
        institution
    };
    eprintln!(
        "Withdrew the endorsement of {whose} from {}.",
        names::short_application(&name)
    );
    show(ctx, &a).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_programme_of_an_application() {
        assert_eq!(programme_of("programmes/p1/applications/a1"), "programmes/p1");
    }
}
