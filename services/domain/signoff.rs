//! Edits and sign-off: a change of a draft's content (which clears every
//! endorsement, saying so in its event), and an institution's endorsement
//! of the application as it stands, or its withdrawal.

use super::access::{Caller, Role};
use super::application::{Application, DraftFields};
use super::error::{Error, Reason, Result};
use super::event::NewEvent;
use super::ids::InstitutionName;
use super::lifecycle::{Outcome, Situation, may_see, not_visible};
use super::team::{Endorsement, TeamActivity, TeamActivityKind};
use super::time::Timestamp;

/// An edit of a draft (or of an application whose changes were requested)
/// to `fields`, already checked. A change of content clears every
/// endorsement; a change of the team, or a clearing, is an event.
pub fn edit(caller: &Caller, s: &Situation, fields: DraftFields, now: Timestamp) -> Result<Outcome> {
    let current = &s.application;
    let mut application = current.clone();
    application.title = fields.title;
    application.abstract_text = fields.abstract_text;
    application.investigator = fields.investigator;
    application.partners = fields.partners;
    application.requested = fields.requested;
    application.duration_months = fields.duration_months;
    application.team = fields.team;
    application.preferred_periods = fields.preferred_periods;
    let team_changed = application.team != current.team;
    let content_changed = team_changed || application != *current;
    let cleared = if content_changed {
        clear_endorsements(&mut application)
    } else {
        None
    };
    application.version += 1;
    application.update_time = now;
    let event = match (team_changed, cleared) {
        (false, None) => None,
        (true, cleared) => Some(TeamActivity {
            kind: TeamActivityKind::TeamChanged,
            institution: None,
            cleared: cleared.unwrap_or_default(),
        }),
        (false, Some(cleared)) => Some(TeamActivity {
            kind: TeamActivityKind::EndorsementsCleared,
            institution: None,
            cleared,
        }),
    }
    .map(|team| {
        let mut e = NewEvent::by(caller, Some(current.state), current.state, String::new());
        e.team = Some(team);
        e
    });
    Ok(Outcome {
        application,
        programme: None,
        event,
        disbursement: None,
        review: None,
        review_label: None,
        document: None,
        noop: false,
    })
}

/// Clears every endorsement of an application whose content changed,
/// returning the institutions whose sign-off went (`None` if there was
/// none).
pub fn clear_endorsements(application: &mut Application) -> Option<Vec<InstitutionName>> {
    if application.endorsements.is_empty() {
        return None;
    }
    Some(
        std::mem::take(&mut application.endorsements)
            .into_iter()
            .map(|e| e.institution)
            .collect(),
    )
}

/// The institution a sign-off is for: an applicant key's own, or the one
/// an admin names; it must be the applicant or a partner.
fn signing_institution(
    caller: &Caller,
    a: &Application,
    named: Option<&InstitutionName>,
    action: &str,
) -> Result<InstitutionName> {
    if !may_see(caller, a) {
        return Err(not_visible(&a.name));
    }
    caller.require(&[Role::Admin, Role::Applicant], action)?;
    let institution = match (caller.role, &caller.institution, named) {
        (Role::Applicant, Some(own), None) => own.clone(),
        (Role::Applicant, Some(own), Some(n)) if n == own => own.clone(),
        (Role::Applicant, _, Some(n)) => {
            return Err(Error::denied(
                Reason::OutOfScope,
                format!("this key signs for its own institution only, not {n}"),
            ));
        }
        (_, _, Some(n)) => n.clone(),
        (_, _, None) => return Err(Error::invalid("institution", "is required: the institution that signs")),
    };
    if !a.involves(&institution) {
        return Err(Error::invalid(
            "institution",
            format!("{institution} is neither the applicant nor a partner of {}", a.name),
        ));
    }
    if !a.state.is_editable() {
        return Err(Error::precondition(
            Reason::InvalidState,
            format!("cannot {action} an application in state {}", a.state.as_str()),
        ));
    }
    Ok(institution)
}

fn signed(
    caller: &Caller,
    s: &Situation,
    team: TeamActivity,
    endorsements: Vec<Endorsement>,
    reason: String,
    now: Timestamp,
) -> Outcome {
    let mut application = s.application.clone();
    application.endorsements = endorsements;
    application.version += 1;
    application.update_time = now;
    let state = application.state;
    let mut event = NewEvent::by(caller, Some(state), state, reason);
    event.team = Some(team);
    Outcome {
        application,
        programme: None,
        event: Some(event),
        disbursement: None,
        review: None,
        review_label: None,
        document: None,
        noop: false,
    }
}

/// An institution's sign-off of the application as it stands at `etag`
/// (checked by the caller); a second one replaces its first.
pub fn endorse(caller: &Caller, s: &Situation, named: Option<&InstitutionName>, now: Timestamp) -> Result<Outcome> {
    let a = &s.application;
    let institution = signing_institution(caller, a, named, "endorse")?;
    let mut endorsements: Vec<Endorsement> = a
        .endorsements
        .iter()
        .filter(|e| e.institution != institution)
        .cloned()
        .collect();
    endorsements.push(Endorsement {
        institution: institution.clone(),
        etag: a.etag(),
        actor: caller.key.clone(),
        person: caller.person.clone(),
        time: now,
    });
    let team = TeamActivity {
        kind: TeamActivityKind::Endorsed,
        institution: Some(institution),
        cleared: Vec::new(),
    };
    Ok(signed(caller, s, team, endorsements, String::new(), now))
}

/// Withdrawing an institution's sign-off.
pub fn withdraw_endorsement(
    caller: &Caller,
    s: &Situation,
    named: Option<&InstitutionName>,
    reason: String,
    now: Timestamp,
) -> Result<Outcome> {
    let a = &s.application;
    let institution = signing_institution(caller, a, named, "withdraw an endorsement of")?;
    if !a.endorsements.iter().any(|e| e.institution == institution) {
        return Err(Error::precondition(
            Reason::NotEndorsed,
            format!("{institution} has not endorsed {} as it stands", a.name),
        ));
    }
    let endorsements = a
        .endorsements
        .iter()
        .filter(|e| e.institution != institution)
        .cloned()
        .collect();
    let team = TeamActivity {
        kind: TeamActivityKind::EndorsementWithdrawn,
        institution: Some(institution),
        cleared: Vec::new(),
    };
    Ok(signed(caller, s, team, endorsements, reason, now))
}
