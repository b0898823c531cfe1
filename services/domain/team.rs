//! Teams and sign-off: the people of an application (a principal
//! investigator, co-PIs, co-investigators and collaborators, at the
//! applicant institution or one of its partners), the person behind a key,
//! and each institution's endorsement of the application as it stands.

use super::error::{Error, Result, Violations};
use super::ids::{ApiKeyName, InstitutionName, OrcidId};
use super::text;
use super::time::Timestamp;

/// People on one application, at most.
pub const MAX_TEAM: usize = 50;

/// What a member does on the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TeamRole {
    PrincipalInvestigator,
    CoPrincipalInvestigator,
    CoInvestigator,
    Collaborator,
}

impl TeamRole {
    pub const ALL: [TeamRole; 4] = [
        TeamRole::PrincipalInvestigator,
        TeamRole::CoPrincipalInvestigator,
        TeamRole::CoInvestigator,
        TeamRole::Collaborator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::PrincipalInvestigator => "PRINCIPAL_INVESTIGATOR",
            TeamRole::CoPrincipalInvestigator => "CO_PRINCIPAL_INVESTIGATOR",
            TeamRole::CoInvestigator => "CO_INVESTIGATOR",
            TeamRole::Collaborator => "COLLABORATOR",
        }
    }

    pub fn from_str_exact(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }
}

/// A person named as a key's holder or on a team: a display name and, where
/// known, an ORCID iD.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    pub name: String,
    pub orcid: Option<OrcidId>,
}

impl Person {
    /// A key's person from what was sent: both empty is no person; an
    /// ORCID iD needs a name.
    pub fn parse(name: &str, orcid: &str, field: &str) -> Result<Option<Self>> {
        let mut v = Violations::new();
        let name = v.check(text::optional_line(name, &format!("{field}.display_name"), 200));
        let orcid = if orcid.trim().is_empty() {
            Some(None)
        } else {
            v.check(OrcidId::parse(orcid, &format!("{field}.orcid")).map(Some))
        };
        if let (Some(n), Some(Some(_))) = (&name, &orcid)
            && n.is_empty()
        {
            v.add(format!("{field}.display_name"), "is required with an ORCID iD");
        }
        v.finish()?;
        match (name, orcid) {
            (Some(name), _) if name.is_empty() => Ok(None),
            (Some(name), Some(orcid)) => Ok(Some(Person { name, orcid })),
            _ => Err(Error::internal("person validation lost a violation")),
        }
    }
}

/// One person of an application's team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    pub name: String,
    pub orcid: Option<OrcidId>,
    /// Redacted where investigator e-mails are.
    pub email: String,
    /// The applicant institution or one of its partners.
    pub institution: InstitutionName,
    pub role: TeamRole,
}

/// A team member as sent; `role: None` when unspecified.
#[derive(Debug, Clone, Default)]
pub struct TeamMemberInput {
    pub name: String,
    pub orcid: String,
    pub email: String,
    pub institution: String,
    pub role: Option<TeamRole>,
}

impl From<&TeamMember> for TeamMemberInput {
    fn from(m: &TeamMember) -> Self {
        Self {
            name: m.name.clone(),
            orcid: m.orcid.as_ref().map(|o| o.as_str().to_owned()).unwrap_or_default(),
            email: m.email.clone(),
            institution: m.institution.to_string(),
            role: Some(m.role),
        }
    }
}

/// Checks a team against the application's institutions: each member at
/// the applicant or a partner, named, with a valid ORCID iD and e-mail when
/// given, a role, no ORCID iD twice, and at most one PI, at the applicant.
pub fn parse_team(
    input: &[TeamMemberInput],
    applicant: &InstitutionName,
    partners: &[InstitutionName],
    prefix: &str,
) -> Result<Vec<TeamMember>> {
    if input.len() > MAX_TEAM {
        return Err(Error::invalid(
            format!("{prefix}.team"),
            format!("at most {MAX_TEAM} people"),
        ));
    }
    let mut v = Violations::new();
    let mut team = Vec::with_capacity(input.len());
    let mut pis = 0;
    for (i, m) in input.iter().enumerate() {
        let f = |name: &str| format!("{prefix}.team[{i}].{name}");
        let name = v.check(text::line(
            &m.name,
            &f("display_name"),
            super::application::MAX_PERSON_CHARS,
        ));
        let orcid = if m.orcid.trim().is_empty() {
            Some(None)
        } else {
            v.check(OrcidId::parse(&m.orcid, &f("orcid")).map(Some))
        };
        let email = m.email.trim().to_owned();
        if v.check(text::optional_line(&email, &f("email"), 254)).is_some()
            && !email.is_empty()
            && !super::application::valid_email(&email)
        {
            v.add(
                f("email"),
                format!("{} is not an e-mail address", text::excerpt(&email)),
            );
        }
        let institution = if m.institution.trim().is_empty() {
            v.add(f("institution"), "is required: the applicant or one of its partners");
            None
        } else {
            v.check(InstitutionName::parse(&m.institution, &f("institution")))
        };
        if let Some(inst) = &institution
            && inst != applicant
            && !partners.contains(inst)
        {
            v.add(
                f("institution"),
                format!("{inst} is neither the applicant nor a partner institution of this application"),
            );
        }
        if m.role.is_none() {
            v.add(
                f("role"),
                "is required: PRINCIPAL_INVESTIGATOR, CO_PRINCIPAL_INVESTIGATOR, CO_INVESTIGATOR or COLLABORATOR",
            );
        }
        if m.role == Some(TeamRole::PrincipalInvestigator) {
            pis += 1;
            if pis > 1 {
                v.add(f("role"), "a team has at most one principal investigator");
            }
            if institution.as_ref().is_some_and(|inst| inst != applicant) {
                v.add(
                    f("institution"),
                    format!("the principal investigator belongs to the applicant institution {applicant}"),
                );
            }
        }
        if let Some(Some(o)) = &orcid
            && team.iter().any(|t: &TeamMember| t.orcid.as_ref() == Some(o))
        {
            v.add(f("orcid"), format!("{} is on the team already", o.as_str()));
        }
        if let (Some(name), Some(orcid), Some(institution), Some(role)) = (name, orcid, institution, m.role) {
            team.push(TeamMember {
                name,
                orcid,
                email,
                institution,
                role,
            });
        }
    }
    v.finish()?;
    Ok(team)
}

/// One institution's sign-off of the application as it stood at `etag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endorsement {
    pub institution: InstitutionName,
    /// The etag of the application that was endorsed.
    pub etag: String,
    pub actor: ApiKeyName,
    pub person: Option<Person>,
    pub time: Timestamp,
}

/// Whose endorsement a programme needs before submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum EndorsementRequirement {
    #[default]
    None,
    Applicant,
    Partners,
    ApplicantAndPartners,
}

impl EndorsementRequirement {
    pub const ALL: [EndorsementRequirement; 4] = [
        EndorsementRequirement::None,
        EndorsementRequirement::Applicant,
        EndorsementRequirement::Partners,
        EndorsementRequirement::ApplicantAndPartners,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EndorsementRequirement::None => "NONE",
            EndorsementRequirement::Applicant => "APPLICANT",
            EndorsementRequirement::Partners => "PARTNERS",
            EndorsementRequirement::ApplicantAndPartners => "APPLICANT_AND_PARTNERS",
        }
    }

    pub fn from_str_exact(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }

    /// The institutions that must endorse an application of `applicant`
    /// with `partners`.
    pub fn signatories(self, applicant: &InstitutionName, partners: &[InstitutionName]) -> Vec<InstitutionName> {
        let mut out = Vec::new();
        if matches!(self, Self::Applicant | Self::ApplicantAndPartners) {
            out.push(applicant.clone());
        }
        if matches!(self, Self::Partners | Self::ApplicantAndPartners) {
            out.extend(partners.iter().cloned());
        }
        out
    }
}

/// What a team or sign-off event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamActivityKind {
    TeamChanged,
    Endorsed,
    EndorsementWithdrawn,
    EndorsementsCleared,
}

impl TeamActivityKind {
    pub const ALL: [TeamActivityKind; 4] = [
        TeamActivityKind::TeamChanged,
        TeamActivityKind::Endorsed,
        TeamActivityKind::EndorsementWithdrawn,
        TeamActivityKind::EndorsementsCleared,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TeamActivityKind::TeamChanged => "TEAM_CHANGED",
            TeamActivityKind::Endorsed => "ENDORSED",
            TeamActivityKind::EndorsementWithdrawn => "ENDORSEMENT_WITHDRAWN",
            TeamActivityKind::EndorsementsCleared => "ENDORSEMENTS_CLEARED",
        }
    }

    pub fn from_str_exact(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// A team or sign-off event: the kind, the institution that endorsed or
/// withdrew, and the endorsements a change of content cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamActivity {
    pub kind: TeamActivityKind,
    pub institution: Option<InstitutionName>,
    pub cleared: Vec<InstitutionName>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(id: &str) -> InstitutionName {
        InstitutionName::from_id(id)
    }

    fn member(inst: &str, role: TeamRole, orcid: &str) -> TeamMemberInput {
        TeamMemberInput {
            name: "A Person".into(),
            orcid: orcid.into(),
            email: "a@example.edu".into(),
            institution: format!("institutions/{inst}"),
            role: Some(role),
        }
    }

    #[test]
    fn a_team_names_its_people_at_the_applicant_or_its_partners() {
        let (hku, sysu) = (inst("hku"), inst("sysu"));
        let ok = parse_team(
            &[
                member("hku", TeamRole::PrincipalInvestigator, "0000-0002-1825-0097"),
                member("sysu", TeamRole::CoInvestigator, ""),
            ],
            &hku,
            std::slice::from_ref(&sysu),
            "application",
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        let fields = |r: Result<Vec<TeamMember>>| match r {
            Err(Error::InvalidArgument { violations, .. }) => {
                violations.into_iter().map(|v| v.field).collect::<Vec<_>>()
            }
            other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
        };
        let two_pis = parse_team(
            &[
                member("hku", TeamRole::PrincipalInvestigator, ""),
                member("hku", TeamRole::PrincipalInvestigator, ""),
            ],
            &hku,
            &[],
            "application",
        );
        assert_eq!(fields(two_pis), ["application.team[1].role"]);
        let elsewhere = parse_team(
            &[
                member("sysu", TeamRole::PrincipalInvestigator, ""),
                member("cuhk", TeamRole::Collaborator, "0000-0002-1825-0098"),
            ],
            &hku,
            std::slice::from_ref(&sysu),
            "application",
        );
        assert_eq!(
            fields(elsewhere),
            [
                "application.team[0].institution",
                "application.team[1].orcid",
                "application.team[1].institution"
            ]
        );
    }

    #[test]
    fn requirements_name_their_signatories() {
        let (a, p) = (inst("a"), vec![inst("p1"), inst("p2")]);
        assert!(EndorsementRequirement::None.signatories(&a, &p).is_empty());
        assert_eq!(
            EndorsementRequirement::Applicant.signatories(&a, &p),
            std::slice::from_ref(&a)
        );
        assert_eq!(EndorsementRequirement::Partners.signatories(&a, &p), p);
        assert_eq!(
            EndorsementRequirement::ApplicantAndPartners.signatories(&a, &p).len(),
            3
        );
    }
}
