//! `grantctl applications team list|add|remove`: the people of an
//! application. A change reads the application, edits its team and sends
//! the whole list back (UpdateApplication, mask `team`) with the etag read;
//! when someone else changed the application in between (ABORTED
//! ETAG_MISMATCH), it reads it again and redoes the change once, unless
//! `--etag` or `--request-id` pinned the attempt. Also the `--member`
//! form of `applications create|update`.

use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use gba_grants::proto::v1;
use gba_grants::proto::v1::application_service_client::ApplicationServiceClient as Client;
use gba_grants::proto::v1::team_member::Role;

use super::applications::get;
use super::{AppRef, Ctx, WriteArgs, institution_arg};
use crate::error::{CliError, Result, exit};
use crate::{names, output};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List the people of an application's team.
    #[command(after_help = "Example:\n  grantctl applications team list P/A\n  \
                            grantctl applications team list P/A -o json | jq -r '.[].orcid'")]
    List(AppRef),
    /// Add a person to the team (the applicant's key; DRAFT or CHANGES_REQUESTED).
    #[command(
        after_help = "Example:\n  grantctl applications team add P/A --name 'Li Hua' --role co-pi \\\n    \
                            --institution institutions/0193... --orcid 0000-0001-5109-3700 --email lihua@mail.sysu.edu.cn"
    )]
    Add(AddArgs),
    /// Remove a person from the team, by ORCID iD or by name.
    #[command(
        after_help = "Example:\n  grantctl applications team remove P/A --orcid 0000-0001-5109-3700\n  \
                            grantctl applications team remove P/A --name 'Zhang Wei'"
    )]
    Remove(RemoveArgs),
}

/// A role on the team, as `--role` takes it: `pi`, `co-pi`, `co-i`,
/// `collaborator`, or the API's spelling (`CO_INVESTIGATOR`), any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TeamRoleArg {
    #[value(
        name = "principal-investigator",
        alias = "pi",
        alias = "principal_investigator",
        alias = "role_principal_investigator"
    )]
    PrincipalInvestigator,
    #[value(
        name = "co-principal-investigator",
        alias = "co-pi",
        alias = "co_pi",
        alias = "copi",
        alias = "co_principal_investigator",
        alias = "role_co_principal_investigator"
    )]
    CoPrincipalInvestigator,
    #[value(
        name = "co-investigator",
        alias = "co-i",
        alias = "co_i",
        alias = "coi",
        alias = "co_investigator",
        alias = "role_co_investigator"
    )]
    CoInvestigator,
    #[value(alias = "role_collaborator")]
    Collaborator,
}

impl TeamRoleArg {
    pub fn proto(self) -> i32 {
        match self {
            Self::PrincipalInvestigator => Role::PrincipalInvestigator as i32,
            Self::CoPrincipalInvestigator => Role::CoPrincipalInvestigator as i32,
            Self::CoInvestigator => Role::CoInvestigator as i32,
            Self::Collaborator => Role::Collaborator as i32,
        }
    }
}

const ROLES: &str = "pi, co-pi, co-i, collaborator (or principal-investigator, co-principal-investigator, \
                     co-investigator)";

#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    app: AppRef,
    /// The person's full name.
    #[arg(long)]
    name: String,
    /// Their role: pi, co-pi, co-i, collaborator (any case; also the API's
    /// PRINCIPAL_INVESTIGATOR, CO_PRINCIPAL_INVESTIGATOR, CO_INVESTIGATOR).
    #[arg(long, value_enum, ignore_case = true, hide_possible_values = true)]
    role: TeamRoleArg,
    /// Their institution: the applicant or a partner (default: the applicant).
    #[arg(long)]
    institution: Option<String>,
    /// Their ORCID iD, such as 0000-0002-1825-0097 (checked by the server).
    #[arg(long)]
    orcid: Option<String>,
    /// Their e-mail address.
    #[arg(long)]
    email: Option<String>,
    /// Only if this etag is current (no second attempt on a mismatch).
    #[arg(long)]
    etag: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("who").required(true).args(["orcid", "name"])))]
pub struct RemoveArgs {
    #[command(flatten)]
    app: AppRef,
    /// The ORCID iD of the person to remove.
    #[arg(long)]
    orcid: Option<String>,
    /// The name of the person to remove (any case; refused when two share it).
    #[arg(long)]
    name: Option<String>,
    /// Only if this etag is current (no second attempt on a mismatch).
    #[arg(long)]
    etag: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

/// `NAME;ROLE;INSTITUTION[;ORCID[;EMAIL]]`, as `--member` takes it.
pub fn member_arg(text: &str) -> Result<v1::TeamMember> {
    let form =
        "write NAME;ROLE;INSTITUTION[;ORCID[;EMAIL]], such as 'Li Hua;co-pi;institutions/0193...;0000-0001-5109-3700'";
    let bad = |problem: String| CliError::invalid("--member", format!("{problem}; {form}"));
    let parts: Vec<&str> = text.split(';').map(str::trim).collect();
    if !(3..=5).contains(&parts.len()) {
        return Err(bad(format!("{text:?} has {} parts, not 3 to 5", parts.len())));
    }
    if parts[0].is_empty() {
        return Err(bad(format!("{text:?} has no name")));
    }
    let role = TeamRoleArg::from_str(parts[1], true)
        .map_err(|_| bad(format!("{:?} is not a team role ({ROLES})", parts[1])))?;
    Ok(v1::TeamMember {
        display_name: parts[0].to_owned(),
        role: role.proto(),
        institution: institution_arg("--member", parts[2])?,
        orcid: parts.get(3).copied().unwrap_or_default().to_owned(),
        email: parts.get(4).copied().unwrap_or_default().to_owned(),
    })
}

/// `0000-0002-1825-0097` from it or its URL, for comparing.
fn bare_orcid(orcid: &str) -> String {
    let o = orcid.trim();
    o.strip_prefix("https://orcid.org/").unwrap_or(o).to_ascii_uppercase()
}

/// Takes the person `who` (by ORCID iD or name) off `team`.
fn remove(team: &mut Vec<v1::TeamMember>, orcid: Option<&str>, name: Option<&str>, app: &str) -> Result<()> {
    let found: Vec<usize> = team
        .iter()
        .enumerate()
        .filter(|(_, m)| match (orcid, name) {
            (Some(o), _) => !m.orcid.is_empty() && bare_orcid(&m.orcid) == bare_orcid(o),
            (None, Some(n)) => m.display_name.trim().to_lowercase() == n.trim().to_lowercase(),
            (None, None) => false,
        })
        .map(|(i, _)| i)
        .collect();
    let who = match (orcid, name) {
        (Some(o), _) => format!("with ORCID iD {o}"),
        (None, n) => format!("named {:?}", n.unwrap_or_default()),
    };
    match found.as_slice() {
        [i] => {
            team.remove(*i);
            Ok(())
        }
        [] => {
            let people: Vec<&str> = team.iter().map(|m| m.display_name.as_str()).collect();
            Err(CliError::new(
                exit::NOT_FOUND_OR_DENIED,
                format!(
                    "no one {who} is on the team of {app} (the team: {})",
                    if people.is_empty() {
                        "nobody".to_owned()
                    } else {
                        people.join(", ")
                    }
                ),
            ))
        }
        several => Err(CliError::invalid(
            "--name",
            format!(
                "{} people {who} are on the team of {app}: give --orcid, or send the whole team with \
                 applications update --from-file",
                several.len()
            ),
        )),
    }
}

/// Reads the application, edits its team with `edit`, and sends it back
/// with the etag read (or `etag`); after ETAG_MISMATCH, once more from a
/// fresh read, unless the attempt was pinned by `etag` or `request_id`.
async fn change<F>(ctx: &Ctx, name: String, etag: Option<String>, write: &WriteArgs, edit: F) -> Result<v1::Application>
where
    F: Fn(&v1::Application, &mut Vec<v1::TeamMember>) -> Result<()>,
{
    let pinned = etag.is_some() || write.request_id.is_some();
    let mut attempt = 1;
    loop {
        let current = get(ctx, name.clone()).await?;
        let mut team = current.team.clone();
        edit(&current, &mut team)?;
        let request = v1::UpdateApplicationRequest {
            application: Some(v1::Application {
                name: name.clone(),
                etag: etag.clone().unwrap_or_else(|| current.etag.clone()),
                team,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["team".into()],
            }),
            request_id: write.id(),
        };
        let outcome = ctx
            .conn
            .call(
                request,
                |ch, r| async move { Client::new(ch).update_application(r).await },
            )
            .await;
        match outcome {
            Ok(r) => {
                let updated = r.application.unwrap_or_default();
                report(&current, &updated);
                return Ok(updated);
            }
            Err(e) if attempt == 1 && !pinned && e.has_reason("ETAG_MISMATCH") => {
                eprintln!(
                    "{} changed while its team was edited; reading it again",
                    names::short_application(&name)
                );
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Says on standard error which endorsements the change cleared.
fn report(before: &v1::Application, after: &v1::Application) {
    let cleared: Vec<&str> = before
        .endorsements
        .iter()
        .filter(|e| !after.endorsements.iter().any(|a| a.institution == e.institution))
        .map(|e| e.institution.as_str())
        .collect();
    if !cleared.is_empty() {
        eprintln!(
            "The change cleared the endorsements of {}: they sign again with grantctl applications endorse {}",
            cleared.join(", "),
            names::short_application(&after.name)
        );
    }
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    let application = match cmd {
        Cmd::List(app) => get(ctx, app.name()?).await?,
        Cmd::Add(a) => {
            let member = v1::TeamMember {
                display_name: a.name.clone(),
                role: a.role.proto(),
                institution: a
                    .institution
                    .as_deref()
                    .map(|i| institution_arg("--institution", i))
                    .transpose()?
                    .unwrap_or_default(),
                orcid: a.orcid.clone().unwrap_or_default(),
                email: a.email.clone().unwrap_or_default(),
            };
            let name = a.app.name()?;
            change(ctx, name, a.etag.clone(), &a.write, move |current, team| {
                let mut member = member.clone();
                if member.institution.is_empty() {
                    member.institution = current.applicant_institution.clone();
                }
                team.push(member);
                Ok(())
            })
            .await?
        }
        Cmd::Remove(r) => {
            let name = r.app.name()?;
            let (orcid, who) = (r.orcid.clone(), r.name.clone());
            change(ctx, name.clone(), r.etag.clone(), &r.write, move |_, team| {
                remove(team, orcid.as_deref(), who.as_deref(), &name)
            })
            .await?
        }
    };
    output::list(ctx.format, &application.team)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, orcid: &str) -> v1::TeamMember {
        v1::TeamMember {
            display_name: name.into(),
            orcid: orcid.into(),
            ..Default::default()
        }
    }

    #[test]
    fn members_as_flags() {
        let m = member_arg("Li Hua; co-pi ;institutions/s;0000-0001-5109-3700;li@sysu.edu.cn").unwrap();
        assert_eq!(m.display_name, "Li Hua");
        assert_eq!(m.role, Role::CoPrincipalInvestigator as i32);
        assert_eq!(m.institution, "institutions/s");
        assert_eq!(
            (m.orcid.as_str(), m.email.as_str()),
            ("0000-0001-5109-3700", "li@sysu.edu.cn")
        );
        let m = member_arg("Zhang Wei;CO_INVESTIGATOR;s;;zw@sysu.edu.cn").unwrap();
        assert_eq!(
            (m.role, m.institution.as_str()),
            (Role::CoInvestigator as i32, "institutions/s")
        );
        assert!(m.orcid.is_empty());
        assert_eq!(
            member_arg("Chan;PI;h").unwrap().role,
            Role::PrincipalInvestigator as i32
        );
        for bad in [
            "Chan;pi",
            ";pi;h",
            "Chan;dean;h",
            "Chan;pi;h;o;e;x",
            "Chan;pi;Not A Name",
        ] {
            let err = member_arg(bad).unwrap_err();
            assert_eq!(err.code, exit::INVALID, "{bad}");
            assert!(err.message.starts_with("invalid --member"), "{}", err.message);
        }
    }

    #[test]
    fn removing_by_orcid_or_name() {
        let mut team = vec![
            person("Chan Tai Man", "0000-0002-1825-0097"),
            person("Li Hua", ""),
            person("li hua", "0000-0001-5109-3700"),
        ];
        remove(&mut team, Some("https://orcid.org/0000-0002-1825-0097"), None, "p/a").unwrap();
        assert_eq!(team.len(), 2);
        let err = remove(&mut team, None, Some("Li Hua"), "p/a").unwrap_err();
        assert_eq!(err.code, exit::INVALID);
        assert!(err.message.contains("give --orcid"), "{}", err.message);
        let err = remove(&mut team, None, Some("Wong"), "p/a").unwrap_err();
        assert_eq!(err.code, exit::NOT_FOUND_OR_DENIED);
        assert!(err.message.contains("Li Hua, li hua"), "{}", err.message);
        remove(&mut team, Some("0000-0001-5109-3700"), None, "p/a").unwrap();
        assert_eq!(team, vec![person("Li Hua", "")]);
    }
}
