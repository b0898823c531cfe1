//! Team members, endorsements, people, requirements and team activity.

use super::common::time_out;
use crate::domain::team::{
    Endorsement, EndorsementRequirement, Person, TeamActivity, TeamActivityKind, TeamMember, TeamMemberInput, TeamRole,
};
use crate::proto::v1;
use crate::proto::v1::team_member::Role as ProtoRole;

fn role_in(value: i32) -> Option<TeamRole> {
    match ProtoRole::try_from(value).ok()? {
        ProtoRole::Unspecified => None,
        ProtoRole::PrincipalInvestigator => Some(TeamRole::PrincipalInvestigator),
        ProtoRole::CoPrincipalInvestigator => Some(TeamRole::CoPrincipalInvestigator),
        ProtoRole::CoInvestigator => Some(TeamRole::CoInvestigator),
        ProtoRole::Collaborator => Some(TeamRole::Collaborator),
    }
}

fn role_out(role: TeamRole) -> ProtoRole {
    match role {
        TeamRole::PrincipalInvestigator => ProtoRole::PrincipalInvestigator,
        TeamRole::CoPrincipalInvestigator => ProtoRole::CoPrincipalInvestigator,
        TeamRole::CoInvestigator => ProtoRole::CoInvestigator,
        TeamRole::Collaborator => ProtoRole::Collaborator,
    }
}

/// A member as sent (an unknown or unspecified role is `None`, refused by
/// the domain naming the field).
pub fn member_in(value: v1::TeamMember) -> TeamMemberInput {
    let v1::TeamMember {
        display_name,
        orcid,
        email,
        institution,
        role,
    } = value;
    TeamMemberInput {
        name: display_name,
        orcid,
        email,
        institution,
        role: role_in(role),
    }
}

pub fn member_out(value: TeamMember) -> v1::TeamMember {
    let TeamMember {
        name,
        orcid,
        email,
        institution,
        role,
    } = value;
    v1::TeamMember {
        display_name: name,
        orcid: orcid.map(|o| o.as_str().to_owned()).unwrap_or_default(),
        email,
        institution: institution.to_string(),
        role: role_out(role).into(),
    }
}

/// A person as sent: (display name, ORCID iD).
pub fn person_in(value: Option<v1::Person>) -> (String, String) {
    let v1::Person { display_name, orcid } = value.unwrap_or_default();
    (display_name, orcid)
}

pub fn person_out(value: Person) -> v1::Person {
    let Person { name, orcid } = value;
    v1::Person {
        display_name: name,
        orcid: orcid.map(|o| o.as_str().to_owned()).unwrap_or_default(),
    }
}

pub fn endorsement_out(value: Endorsement) -> v1::Endorsement {
    let Endorsement {
        institution,
        etag,
        actor,
        person,
        time,
    } = value;
    v1::Endorsement {
        institution: institution.to_string(),
        etag,
        actor: actor.to_string(),
        actor_person: person.map(person_out),
        endorse_time: Some(time_out(time)),
    }
}

pub fn requirement_in(value: i32, field: &str) -> crate::domain::Result<EndorsementRequirement> {
    use v1::EndorsementRequirement as P;
    match P::try_from(value) {
        Ok(P::Unspecified) => Ok(EndorsementRequirement::None),
        Ok(P::Applicant) => Ok(EndorsementRequirement::Applicant),
        Ok(P::Partners) => Ok(EndorsementRequirement::Partners),
        Ok(P::ApplicantAndPartners) => Ok(EndorsementRequirement::ApplicantAndPartners),
        Err(_) => Err(crate::domain::Error::invalid(
            field,
            format!("{value} is not an endorsement requirement"),
        )),
    }
}

pub fn requirement_out(value: EndorsementRequirement) -> v1::EndorsementRequirement {
    use v1::EndorsementRequirement as P;
    match value {
        EndorsementRequirement::None => P::Unspecified,
        EndorsementRequirement::Applicant => P::Applicant,
        EndorsementRequirement::Partners => P::Partners,
        EndorsementRequirement::ApplicantAndPartners => P::ApplicantAndPartners,
    }
}

pub fn relation_in(value: i32, field: &str) -> crate::domain::Result<Option<crate::domain::application::Relation>> {
    use crate::domain::application::Relation;
    match v1::Relation::try_from(value) {
        Ok(v1::Relation::Unspecified) => Ok(None),
        Ok(v1::Relation::Own) => Ok(Some(Relation::Own)),
        Ok(v1::Relation::Partner) => Ok(Some(Relation::Partner)),
        Err(_) => Err(crate::domain::Error::invalid(
            field,
            format!("{value} is not a relation"),
        )),
    }
}

pub fn activity_out(value: TeamActivity) -> v1::TeamActivity {
    use v1::team_activity::Kind;
    let TeamActivity {
        kind,
        institution,
        cleared,
    } = value;
    let kind = match kind {
        TeamActivityKind::TeamChanged => Kind::TeamChanged,
        TeamActivityKind::Endorsed => Kind::Endorsed,
        TeamActivityKind::EndorsementWithdrawn => Kind::EndorsementWithdrawn,
        TeamActivityKind::EndorsementsCleared => Kind::EndorsementsCleared,
    };
    v1::TeamActivity {
        kind: kind.into(),
        institution: institution.map(|i| i.to_string()).unwrap_or_default(),
        cleared: cleared.into_iter().map(|i| i.to_string()).collect(),
    }
}
