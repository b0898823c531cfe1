//! Proto3 JSON of teams and sign-off, both ways: TeamMember, Endorsement,
//! Person and TeamActivity out; a team (and a key's person) in, roles by
//! value name (`ROLE_CO_INVESTIGATOR`) or as `--role` takes them
//! (`co-investigator`, `pi`).

use gba_grants::proto::v1;
use gba_grants::proto::v1::team_member::Role;
use serde_json::Value;

use super::{Fields, Obj};
use crate::error::Result;

fn role_name(v: i32) -> Option<&'static str> {
    Role::try_from(v).ok().map(|r| r.as_str_name())
}

fn kind_name(v: i32) -> Option<&'static str> {
    v1::team_activity::Kind::try_from(v).ok().map(|k| k.as_str_name())
}

/// `endorsementRequirement`'s value name.
pub fn requirement_name(v: i32) -> Option<&'static str> {
    v1::EndorsementRequirement::try_from(v).ok().map(|r| r.as_str_name())
}

pub fn person(p: &v1::Person) -> Value {
    Obj::new()
        .str("display_name", &p.display_name)
        .str("orcid", &p.orcid)
        .build()
}

pub fn member(m: &v1::TeamMember) -> Value {
    Obj::new()
        .str("display_name", &m.display_name)
        .str("orcid", &m.orcid)
        .str("email", &m.email)
        .str("institution", &m.institution)
        .enumeration("role", m.role, role_name(m.role))
        .build()
}

pub fn endorsement(e: &v1::Endorsement) -> Value {
    Obj::new()
        .str("institution", &e.institution)
        .str("etag", &e.etag)
        .str("actor", &e.actor)
        .object("actor_person", e.actor_person.as_ref().map(person))
        .time("endorse_time", e.endorse_time.as_ref())
        .build()
}

pub fn activity(a: &v1::TeamActivity) -> Value {
    Obj::new()
        .enumeration("kind", a.kind, kind_name(a.kind))
        .str("institution", &a.institution)
        .strs("cleared", &a.cleared)
        .build()
}

/// A team role by its value name (`ROLE_PRINCIPAL_INVESTIGATOR`), or as
/// flags take it (`principal-investigator`, `CO_INVESTIGATOR`, `pi`,
/// `co-pi`, `co-i`).
pub fn role(s: &str) -> Option<i32> {
    let upper = s.trim().to_ascii_uppercase().replace('-', "_");
    let bare = upper.strip_prefix("ROLE_").unwrap_or(&upper);
    let bare = match bare {
        "PI" => "PRINCIPAL_INVESTIGATOR",
        "CO_PI" | "COPI" => "CO_PRINCIPAL_INVESTIGATOR",
        "CO_I" | "COI" => "CO_INVESTIGATOR",
        other => other,
    };
    Role::from_str_name(&format!("ROLE_{bare}"))
        .filter(|r| *r != Role::Unspecified)
        .map(|r| r as i32)
}

const MEMBER: &[&str] = &["display_name", "orcid", "email", "institution", "role"];
const ENDORSEMENT: &[&str] = &["institution", "etag", "actor", "actor_person", "endorse_time"];
pub const PERSON: &[&str] = &["display_name", "orcid"];

/// `team` of an application, or `None` when the file has none.
pub fn team_in(f: &Fields) -> Result<Option<Vec<v1::TeamMember>>> {
    let Some(members) = f.objects("team", MEMBER)? else {
        return Ok(None);
    };
    members
        .iter()
        .map(|m| {
            Ok(v1::TeamMember {
                display_name: m.string("display_name")?.unwrap_or_default(),
                orcid: m.string("orcid")?.unwrap_or_default(),
                email: m.string("email")?.unwrap_or_default(),
                institution: m.string("institution")?.unwrap_or_default(),
                role: m.enum_one("role", role)?.unwrap_or_default(),
            })
        })
        .collect::<Result<_>>()
        .map(Some)
}

/// `endorsements` are output only: checked for shape, then dropped.
pub fn check_endorsements(f: &Fields) -> Result<()> {
    for e in f.objects("endorsements", ENDORSEMENT)?.unwrap_or_default() {
        e.object("actor_person", PERSON)?;
        e.time("endorse_time")?;
    }
    Ok(())
}

/// `person` of an API key.
pub fn person_in(f: &Fields) -> Result<Option<v1::Person>> {
    let Some(p) = f.object("person", PERSON)? else {
        return Ok(None);
    };
    Ok(Some(v1::Person {
        display_name: p.string("display_name")?.unwrap_or_default(),
        orcid: p.string("orcid")?.unwrap_or_default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn roles_by_value_name_or_as_flags_take_them() {
        let pi = Role::PrincipalInvestigator as i32;
        for s in ["ROLE_PRINCIPAL_INVESTIGATOR", "principal-investigator", "PI", "pi"] {
            assert_eq!(role(s), Some(pi), "{s}");
        }
        assert_eq!(role("co-pi"), Some(Role::CoPrincipalInvestigator as i32));
        assert_eq!(role("Co_Investigator"), Some(Role::CoInvestigator as i32));
        assert_eq!(role("collaborator"), Some(Role::Collaborator as i32));
        assert_eq!(role("ROLE_UNSPECIFIED"), None);
        assert_eq!(role("dean"), None);
    }

    #[test]
    fn team_members_and_endorsements_in_and_out() {
        let v = json!({"team": [
            {"displayName": "Chan Tai Man", "orcid": "0000-0002-1825-0097", "institution": "institutions/h",
             "role": "ROLE_PRINCIPAL_INVESTIGATOR"},
            {"display_name": "Li Hua", "institution": "institutions/s", "role": "co-pi", "email": "li@sysu.edu.cn"}
        ], "endorsements": [{"institution": "institutions/h", "etag": "3",
            "actorPerson": {"displayName": "Ou Yang"}, "endorseTime": "2026-06-01T09:00:00Z"}]});
        let f = Fields::new(&v, "application", &["team", "endorsements"]).unwrap();
        let team = team_in(&f).unwrap().unwrap();
        assert_eq!(team.len(), 2);
        assert_eq!(team[1].role, Role::CoPrincipalInvestigator as i32);
        assert_eq!(team[1].email, "li@sysu.edu.cn");
        check_endorsements(&f).unwrap();
        let out = member(&team[0]);
        assert_eq!(
            out,
            json!({"displayName": "Chan Tai Man", "orcid": "0000-0002-1825-0097",
                   "institution": "institutions/h", "role": "ROLE_PRINCIPAL_INVESTIGATOR"})
        );
        let bad = json!({"team": [{"displayName": "X", "role": "DEAN"}]});
        let f = Fields::new(&bad, "application", &["team"]).unwrap();
        let err = team_in(&f).unwrap_err().message;
        assert!(err.contains("application.team[0].role"), "{err}");
        let bad = json!({"team": [{"displayName": "X", "colour": "red"}]});
        let f = Fields::new(&bad, "application", &["team"]).unwrap();
        assert!(team_in(&f).is_err());
    }
}
