//! Views of teams and sign-off: a team member's row, an application's team
//! and sign-off tables (and who still has to sign under the programme's
//! endorsement requirement), the person behind a key, a programme's
//! requirement and the team activity of events (see views.rs for the other
//! resources).

use gba_grants::proto::v1;
use gba_grants::proto::v1::application::State;
use gba_grants::proto::v1::team_activity::Kind;
use gba_grants::proto::v1::team_member::Role;
use serde_json::Value;

use crate::json::team;
use crate::table;
use crate::views::{Resource, time};

/// A team role as `--role` takes it: `PRINCIPAL_INVESTIGATOR`.
pub fn role_word(v: i32) -> String {
    match Role::try_from(v) {
        Ok(Role::Unspecified) => "—".to_owned(),
        Ok(r) => r.as_str_name().trim_start_matches("ROLE_").to_owned(),
        Err(_) => format!("role {v}"),
    }
}

/// A requirement as `--endorsement-requirement` takes it: `APPLICANT_AND_PARTNERS`.
pub fn requirement_word(v: i32) -> String {
    match v1::EndorsementRequirement::try_from(v) {
        Ok(v1::EndorsementRequirement::Unspecified) => "NONE".to_owned(),
        Ok(r) => r
            .as_str_name()
            .trim_start_matches("ENDORSEMENT_REQUIREMENT_")
            .to_owned(),
        Err(_) => format!("requirement {v}"),
    }
}

/// What a requirement asks, in words.
fn requirement_meaning(v: i32) -> &'static str {
    match v1::EndorsementRequirement::try_from(v) {
        Ok(v1::EndorsementRequirement::Applicant) => "the applicant institution signs before submission",
        Ok(v1::EndorsementRequirement::Partners) => "every partner institution signs before submission",
        Ok(v1::EndorsementRequirement::ApplicantAndPartners) => {
            "the applicant and every partner institution sign before submission"
        }
        _ => "none required",
    }
}

/// `Ou Yang (ORCID 0000-0003-1415-9269)`, `Ou Yang`, or "".
pub fn person_word(p: Option<&v1::Person>) -> String {
    match p {
        None => String::new(),
        Some(p) if p.orcid.is_empty() => p.display_name.clone(),
        Some(p) => format!("{} (ORCID {})", p.display_name, p.orcid),
    }
}

impl Resource for v1::TeamMember {
    const PLURAL: &'static str = "team members";

    /// Members have no resource name: `-o name` prints their names.
    fn name(&self) -> String {
        self.display_name.clone()
    }

    fn json(&self) -> Value {
        team::member(self)
    }

    fn header() -> &'static [&'static str] {
        &["NAME", "ROLE", "INSTITUTION", "ORCID", "E-MAIL"]
    }

    fn row(&self) -> Vec<String> {
        vec![
            self.display_name.clone(),
            role_word(self.role),
            self.institution.clone(),
            self.orcid.clone(),
            self.email.clone(),
        ]
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Name", self.display_name.clone()),
            ("Role", role_word(self.role)),
            ("Institution", self.institution.clone()),
            ("ORCID", self.orcid.clone()),
            ("E-mail", self.email.clone()),
        ]
    }
}

/// A table as one field's value: its lines without the final newline.
pub fn inline_table(header: &[&str], rows: &[Vec<String>]) -> String {
    table::render(header, rows).trim_end_matches('\n').to_owned()
}

/// Who signed: the person behind the key, else the key.
fn signer(e: &v1::Endorsement) -> String {
    match &e.actor_person {
        Some(p) if !p.display_name.is_empty() => p.display_name.clone(),
        _ => e.actor.clone(),
    }
}

/// The `Team` and `Sign-off` fields of an application (none when empty).
pub fn application_details(a: &v1::Application) -> Vec<(&'static str, String)> {
    let mut fields = Vec::new();
    if !a.team.is_empty() {
        let rows: Vec<Vec<String>> = a.team.iter().map(Resource::row).collect();
        fields.push(("Team", inline_table(v1::TeamMember::header(), &rows)));
    }
    if !a.endorsements.is_empty() {
        let rows: Vec<Vec<String>> = a
            .endorsements
            .iter()
            .map(|e| {
                vec![
                    e.institution.clone(),
                    signer(e),
                    time(e.endorse_time.as_ref()),
                    e.etag.clone(),
                ]
            })
            .collect();
        fields.push((
            "Sign-off",
            inline_table(&["INSTITUTION", "SIGNED BY", "WHEN", "ETAG"], &rows),
        ));
    }
    fields
}

/// The institutions `requirement` asks to sign `a`, applicant first.
pub fn signatories(a: &v1::Application, requirement: i32) -> Vec<String> {
    use v1::EndorsementRequirement as R;
    let (applicant, partners) = match R::try_from(requirement) {
        Ok(R::Applicant) => (true, false),
        Ok(R::Partners) => (false, true),
        Ok(R::ApplicantAndPartners) => (true, true),
        _ => (false, false),
    };
    let mut out = Vec::new();
    if applicant && !a.applicant_institution.is_empty() {
        out.push(a.applicant_institution.clone());
    }
    if partners {
        out.extend(a.partner_institutions.iter().cloned());
    }
    out
}

/// The institutions `requirement` asks to sign that have not.
pub fn unsigned(a: &v1::Application, requirement: i32) -> Vec<String> {
    signatories(a, requirement)
        .into_iter()
        .filter(|i| !a.endorsements.iter().any(|e| &e.institution == i))
        .collect()
}

/// The `To sign` field, while `a` may still be signed and the programme
/// asks for signatures: who has not signed yet.
pub fn to_sign(a: &v1::Application, requirement: i32) -> Option<(&'static str, String)> {
    let editable = [State::Draft as i32, State::ChangesRequested as i32].contains(&a.state);
    if !editable || signatories(a, requirement).is_empty() {
        return None;
    }
    let missing = unsigned(a, requirement);
    let word = requirement_word(requirement);
    Some((
        "To sign",
        if missing.is_empty() {
            format!("nobody: every institution the programme requires ({word}) has signed")
        } else {
            format!("{} (the programme requires {word})", missing.join(", "))
        },
    ))
}

/// A programme's `Sign-off` field, when it requires endorsements.
pub fn programme_details(p: &v1::Programme) -> Vec<(&'static str, String)> {
    if p.endorsement_requirement == 0 {
        return Vec::new();
    }
    vec![(
        "Sign-off",
        format!(
            "{}: {}",
            requirement_word(p.endorsement_requirement),
            requirement_meaning(p.endorsement_requirement)
        ),
    )]
}

/// What a team or sign-off event did: `institutions/h endorsed`,
/// `team changed; endorsements of institutions/h cleared`.
pub fn activity(a: &v1::TeamActivity) -> String {
    let cleared = (!a.cleared.is_empty()).then(|| format!("endorsements of {} cleared", a.cleared.join(", ")));
    let what = match Kind::try_from(a.kind) {
        Ok(Kind::TeamChanged) => "team changed".to_owned(),
        Ok(Kind::Endorsed) => format!("{} endorsed", a.institution),
        Ok(Kind::EndorsementWithdrawn) => format!("{} withdrew its endorsement", a.institution),
        Ok(Kind::EndorsementsCleared) => return cleared.unwrap_or_else(|| "endorsements cleared".to_owned()),
        Ok(Kind::Unspecified) | Err(_) => format!("team activity {}", a.kind),
    };
    match cleared {
        Some(c) => format!("{what}; {c}"),
        None => what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(state: State) -> v1::Application {
        v1::Application {
            state: state as i32,
            applicant_institution: "institutions/h".into(),
            partner_institutions: vec!["institutions/s".into(), "institutions/m".into()],
            endorsements: vec![v1::Endorsement {
                institution: "institutions/s".into(),
                etag: "4".into(),
                actor: "apiKeys/k".into(),
                actor_person: Some(v1::Person {
                    display_name: "Ou Yang".into(),
                    orcid: String::new(),
                }),
                endorse_time: None,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn who_still_has_to_sign() {
        use v1::EndorsementRequirement as R;
        let a = app(State::Draft);
        assert_eq!(
            unsigned(&a, R::ApplicantAndPartners as i32),
            ["institutions/h", "institutions/m"]
        );
        assert_eq!(unsigned(&a, R::Partners as i32), ["institutions/m"]);
        assert_eq!(unsigned(&a, R::Applicant as i32), ["institutions/h"]);
        assert!(signatories(&a, R::Unspecified as i32).is_empty());
        assert_eq!(
            to_sign(&a, R::Partners as i32).map(|f| f.1),
            Some("institutions/m (the programme requires PARTNERS)".to_owned())
        );
        assert_eq!(to_sign(&a, R::Unspecified as i32), None);
        assert_eq!(to_sign(&app(State::Submitted), R::Partners as i32), None);
        let fields = application_details(&a);
        assert_eq!(fields.len(), 1);
        assert!(fields[0].1.contains("Ou Yang"), "{}", fields[0].1);
    }

    #[test]
    fn team_activity_reads_briefly() {
        let a = |kind: Kind, institution: &str, cleared: &[&str]| v1::TeamActivity {
            kind: kind as i32,
            institution: institution.into(),
            cleared: cleared.iter().map(|c| c.to_string()).collect(),
        };
        assert_eq!(
            activity(&a(Kind::Endorsed, "institutions/h", &[])),
            "institutions/h endorsed"
        );
        assert_eq!(
            activity(&a(Kind::EndorsementWithdrawn, "institutions/s", &[])),
            "institutions/s withdrew its endorsement"
        );
        assert_eq!(
            activity(&a(Kind::EndorsementsCleared, "", &["institutions/h", "institutions/s"])),
            "endorsements of institutions/h, institutions/s cleared"
        );
        assert_eq!(
            activity(&a(Kind::TeamChanged, "", &["institutions/h"])),
            "team changed; endorsements of institutions/h cleared"
        );
        assert_eq!(activity(&a(Kind::TeamChanged, "", &[])), "team changed");
    }
}
