//! The application event log: appended inside the transaction of the
//! change it records, numbered in commit order.

use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DatabaseTransaction,
    DbBackend, Statement,
};

use super::applications::{role, to_domain, to_model};
use super::entity::application::Model as ApplicationRow;
use super::entity::application_event::{ActiveModel, Model};
use super::{corrupt, db_err};
use crate::domain::application::{Application, State};
use crate::domain::event::{ApplicationEvent, Cursor, NewEvent};
use crate::domain::ids::{
    ApiKeyName, ApplicationName, DisbursementName, InstitutionName, ProgrammeName,
};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};

/// Names the advisory lock that orders event appends on PostgreSQL.
const EVENT_LOCK: i64 = 0x6762_615f_6576_6e74; // "gba_evnt"

/// Appends `event` for `application` (its state after the change).
///
/// On PostgreSQL the append first takes a transaction-scoped advisory
/// lock, held until commit: appends therefore commit one at a time, in the
/// order of their sequence numbers, and a reader that has seen sequence N
/// can never later see a smaller one commit. SQLite's single writer gives
/// the same guarantee.
pub(crate) async fn append_event(
    txn: &DatabaseTransaction,
    application: &Application,
    event: &NewEvent,
) -> Result<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        let lock = format!("SELECT pg_advisory_xact_lock({EVENT_LOCK})");
        txn.execute_raw(Statement::from_string(DbBackend::Postgres, lock))
            .await
            .map_err(db_err)?;
    }
    let snapshot = serde_json::to_string(&to_model(application))
        .map_err(|e| Error::internal(format!("cannot encode snapshot: {e}")))?;
    let row = ActiveModel {
        seq: NotSet,
        application_id: Set(application.name.id().to_owned()),
        programme_id: Set(application.name.programme.id().to_owned()),
        institution_id: Set(application.applicant.id().to_owned()),
        previous_state: Set(event.previous.map(|s| s.as_str().to_owned())),
        new_state: Set(event.new.as_str().to_owned()),
        actor_key: Set(event.actor.id().to_owned()),
        actor_role: Set(event.actor_role.as_str().to_owned()),
        reason: Set(event.reason.clone()),
        event_time: Set(Timestamp::now().micros()),
        disbursement_id: Set(event.disbursement.as_ref().map(|d| d.id().to_owned())),
        snapshot: Set(snapshot),
    };
    row.insert(txn).await.map_err(db_err)?;
    Ok(())
}

pub(crate) fn event_to_domain(m: Model) -> Result<ApplicationEvent> {
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
    } = m;
    let bad = |e| corrupt("event", e);
    let row: ApplicationRow = serde_json::from_str(&snapshot)
        .map_err(|e| Error::internal(format!("stored snapshot is invalid: {e}")))?;
    let application =
        ApplicationName::new(ProgrammeName::from_id(programme_id.clone()), application_id);
    Ok(ApplicationEvent {
        cursor: Cursor(seq),
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
        snapshot: to_domain(row)?,
        disbursement: disbursement_id.map(|d| DisbursementName::new(application.clone(), d)),
        application,
    })
}
