//! Teams, endorsements, people and team activity as they are kept: JSON
//! in columns of `application`, `application_event` and `api_key`.

use serde::{Deserialize, Serialize};

use super::{corrupt, from_json, to_json};
use crate::domain::Result;
use crate::domain::ids::{ApiKeyName, InstitutionName, OrcidId};
use crate::domain::team::{
    Endorsement, EndorsementRequirement, Person, TeamActivity, TeamActivityKind, TeamMember, TeamRole,
};
use crate::domain::time::Timestamp;

#[derive(Serialize, Deserialize)]
struct MemberJson {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    orcid: Option<String>,
    #[serde(default)]
    email: String,
    institution: String,
    role: String,
}

#[derive(Serialize, Deserialize)]
struct PersonJson {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    orcid: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct EndorsementJson {
    institution: String,
    etag: String,
    actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    person: Option<PersonJson>,
    time: i64,
}

#[derive(Serialize, Deserialize)]
struct ActivityJson {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    institution: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    cleared: Vec<String>,
}

fn orcid(text: Option<String>, what: &str) -> Result<Option<OrcidId>> {
    text.map(|o| OrcidId::parse(&o, what))
        .transpose()
        .map_err(|e| corrupt(what, e))
}

fn person_json(p: &Person) -> PersonJson {
    PersonJson {
        name: p.name.clone(),
        orcid: p.orcid.as_ref().map(|o| o.as_str().to_owned()),
    }
}

fn person_from(p: PersonJson) -> Result<Person> {
    Ok(Person {
        name: p.name,
        orcid: orcid(p.orcid, "person")?,
    })
}

/// A list column: `None` (rows from before teams) when empty.
fn list<T: Serialize>(what: &str, items: &[T]) -> Result<Option<String>> {
    if items.is_empty() {
        return Ok(None);
    }
    to_json(what, &items).map(Some)
}

pub fn team_to_json(team: &[TeamMember]) -> Result<Option<String>> {
    let rows: Vec<MemberJson> = team
        .iter()
        .map(|m| MemberJson {
            name: m.name.clone(),
            orcid: m.orcid.as_ref().map(|o| o.as_str().to_owned()),
            email: m.email.clone(),
            institution: m.institution.id().to_owned(),
            role: m.role.as_str().to_owned(),
        })
        .collect();
    list("team", &rows)
}

pub fn team_from_json(text: Option<&str>) -> Result<Vec<TeamMember>> {
    let Some(text) = text else { return Ok(Vec::new()) };
    let rows: Vec<MemberJson> = from_json("team", text)?;
    rows.into_iter()
        .map(|m| {
            Ok(TeamMember {
                role: TeamRole::from_str_exact(&m.role).ok_or_else(|| {
                    crate::domain::Error::internal(format!("stored team role {:?} is unknown", m.role))
                })?,
                name: m.name,
                orcid: orcid(m.orcid, "team")?,
                email: m.email,
                institution: InstitutionName::from_id(m.institution),
            })
        })
        .collect()
}

pub fn endorsements_to_json(list_: &[Endorsement]) -> Result<Option<String>> {
    let rows: Vec<EndorsementJson> = list_
        .iter()
        .map(|e| EndorsementJson {
            institution: e.institution.id().to_owned(),
            etag: e.etag.clone(),
            actor: e.actor.id().to_owned(),
            person: e.person.as_ref().map(person_json),
            time: e.time.micros(),
        })
        .collect();
    list("endorsements", &rows)
}

pub fn endorsements_from_json(text: Option<&str>) -> Result<Vec<Endorsement>> {
    let Some(text) = text else { return Ok(Vec::new()) };
    let rows: Vec<EndorsementJson> = from_json("endorsements", text)?;
    rows.into_iter()
        .map(|e| {
            Ok(Endorsement {
                institution: InstitutionName::from_id(e.institution),
                etag: e.etag,
                actor: ApiKeyName::from_id(e.actor),
                person: e.person.map(person_from).transpose()?,
                time: Timestamp::from_micros(e.time),
            })
        })
        .collect()
}

pub fn person_to_json(person: Option<&Person>) -> Result<Option<String>> {
    person.map(|p| to_json("person", &person_json(p))).transpose()
}

pub fn person_from_json(text: Option<&str>) -> Result<Option<Person>> {
    text.map(|t| from_json::<PersonJson>("person", t).and_then(person_from))
        .transpose()
}

pub fn activity_to_json(a: Option<&TeamActivity>) -> Result<Option<String>> {
    a.map(|a| {
        to_json(
            "team_activity",
            &ActivityJson {
                kind: a.kind.as_str().to_owned(),
                institution: a.institution.as_ref().map(|i| i.id().to_owned()),
                cleared: a.cleared.iter().map(|i| i.id().to_owned()).collect(),
            },
        )
    })
    .transpose()
}

pub fn activity_from_json(text: Option<&str>) -> Result<Option<TeamActivity>> {
    let Some(text) = text else { return Ok(None) };
    let a: ActivityJson = from_json("team_activity", text)?;
    Ok(Some(TeamActivity {
        kind: TeamActivityKind::from_str_exact(&a.kind)
            .ok_or_else(|| crate::domain::Error::internal(format!("stored team activity {:?} is unknown", a.kind)))?,
        institution: a.institution.map(InstitutionName::from_id),
        cleared: a.cleared.into_iter().map(InstitutionName::from_id).collect(),
    }))
}

/// A programme's requirement: `None` (rows from before) is no requirement.
pub fn requirement_to_column(r: EndorsementRequirement) -> Option<String> {
    (r != EndorsementRequirement::None).then(|| r.as_str().to_owned())
}

pub fn requirement_from_column(text: Option<&str>) -> Result<EndorsementRequirement> {
    match text {
        None => Ok(EndorsementRequirement::None),
        Some(t) => EndorsementRequirement::from_str_exact(t)
            .ok_or_else(|| crate::domain::Error::internal(format!("stored endorsement requirement {t:?} is unknown"))),
    }
}
