//! Row of `application_event`: the log, numbered in commit order; and
//! the row a change appends.

use sea_orm::entity::prelude::*;

use super::{application, corrupt, entity, from_json, to_json};
use crate::domain::Result;
use crate::domain::access::Role;
use crate::domain::application::{Application, State};
use crate::domain::event::{ApplicationEvent, Cursor, DocumentActivity, DocumentActivityKind, LogId, NewEvent};
use crate::domain::ids::{ApiKeyName, ApplicationName, DisbursementName, InstitutionName, ProgrammeName};
use crate::domain::time::Timestamp;

entity! {
    #[sea_orm(table_name = "application_event")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i64,
        pub application_id: String,
        pub programme_id: String,
        pub institution_id: String,
        pub previous_state: Option<String>,
        pub new_state: String,
        pub actor_key: String,
        pub actor_role: String,
        pub reason: String,
        pub event_time: i64,
        pub disbursement_id: Option<String>,
        /// The application row after the change, as JSON.
        pub snapshot: String,
        /// Added by m0006: what a peer-review event did, as JSON.
        pub review_activity: Option<String>,
        /// Added by m0009: what a document event did, as JSON.
        #[serde(default)]
        pub document_activity: Option<String>,
        /// Added by m0010: what a team or sign-off event did, as JSON.
        #[serde(default)]
        pub team_activity: Option<String>,
        /// Added by m0010: the person behind the actor's key, as JSON.
        #[serde(default)]
        pub actor_person: Option<String>,
        /// Added by m0010: the partners the application named after the
        /// change, comma-separated ids (a partner's scope selects on it).
        #[serde(default)]
        pub partner_institution_ids: Option<String>,
        /// Added by m0011: what a post-award event did, as JSON.
        #[serde(default)]
        pub report_activity: Option<String>,
    }
}

/// The row that records `event` of `application` (as it stands after the
/// change). Its `seq` is the database's to give: 0 here.
pub fn new_row(application: &Application, event: &NewEvent, time: Timestamp) -> Result<Model> {
    Ok(Model {
        seq: 0,
        application_id: application.name.id().to_owned(),
        programme_id: application.name.programme.id().to_owned(),
        institution_id: application.applicant.id().to_owned(),
        previous_state: event.previous.map(|s| s.as_str().to_owned()),
        new_state: event.new.as_str().to_owned(),
        actor_key: event.actor.id().to_owned(),
        actor_role: event.actor_role.as_str().to_owned(),
        reason: event.reason.clone(),
        event_time: time.micros(),
        disbursement_id: event.disbursement.as_ref().map(|d| d.id().to_owned()),
        snapshot: to_json("snapshot", &application::to_model(application))?,
        review_activity: event.review.as_ref().map(super::review::activity_to_json),
        document_activity: event.document.as_ref().map(document_activity_to_json).transpose()?,
        team_activity: super::team::activity_to_json(event.team.as_ref())?,
        actor_person: super::team::person_to_json(event.actor_person.as_ref())?,
        partner_institution_ids: (!application.partners.is_empty()).then(|| {
            application
                .partners
                .iter()
                .map(|p| p.id())
                .collect::<Vec<_>>()
                .join(",")
        }),
        report_activity: event
            .report
            .as_ref()
            .map(super::postaward::activity_to_json)
            .transpose()?,
    })
}

#[derive(serde::Serialize, serde::Deserialize)]
struct DocumentActivityJson {
    kind: String,
    document: super::document::Kept,
}

fn document_activity_to_json(a: &DocumentActivity) -> Result<String> {
    super::to_json(
        "document_activity",
        &DocumentActivityJson {
            kind: a.kind.as_str().to_owned(),
            document: super::document::to_kept(&a.document),
        },
    )
}

fn document_activity_from_json(text: &str) -> Result<DocumentActivity> {
    let json: DocumentActivityJson = super::from_json("document_activity", text)?;
    Ok(DocumentActivity {
        kind: DocumentActivityKind::parse(&json.kind).ok_or_else(|| {
            crate::domain::Error::internal(format!("stored document activity kind {:?} is unknown", json.kind))
        })?,
        document: super::document::from_kept(json.document)?,
    })
}

/// Parses a stored role.
pub fn role(text: &str) -> Result<Role> {
    Role::parse(text, "role").map_err(|e| corrupt("event", e))
}

pub fn to_domain(m: Model, log: LogId) -> Result<ApplicationEvent> {
    let Model {
        seq,
        application_id,
        programme_id,
        institution_id,
        previous_state,
        new_state,
        actor_key,
        actor_role,
        reason,
        event_time,
        disbursement_id,
        snapshot,
        review_activity,
        document_activity,
        team_activity,
        actor_person,
        partner_institution_ids: _,
        report_activity,
    } = m;
    let bad = |e| corrupt("event", e);
    let row: application::Model = from_json("snapshot", &snapshot)?;
    let application = ApplicationName::new(ProgrammeName::from_id(programme_id.clone()), application_id);
    Ok(ApplicationEvent {
        cursor: Cursor::new(log, seq),
        programme: ProgrammeName::from_id(programme_id),
        applicant: InstitutionName::from_id(institution_id),
        previous: previous_state
            .map(|s| State::parse(&s, "previous_state"))
            .transpose()
            .map_err(bad)?,
        new: State::parse(&new_state, "new_state").map_err(bad)?,
        actor: ApiKeyName::from_id(actor_key),
        actor_role: role(&actor_role)?,
        reason,
        time: Timestamp::from_micros(event_time),
        snapshot: application::to_domain(row)?,
        disbursement: disbursement_id.map(|d| DisbursementName::new(application.clone(), d)),
        review: review_activity
            .map(|r| super::review::activity_from_json(&r, &application))
            .transpose()?,
        document: document_activity.map(|d| document_activity_from_json(&d)).transpose()?,
        team: super::team::activity_from_json(team_activity.as_deref())?,
        actor_person: super::team::person_from_json(actor_person.as_deref())?,
        report: report_activity
            .map(|r| super::postaward::activity_from_json(&r))
            .transpose()?,
        application,
    })
}
