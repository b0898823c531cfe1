//! The application event log: appended inside the transaction of the
//! change it records, numbered in commit order.

use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DatabaseTransaction, DbBackend, Statement,
};

use super::applications::{role, to_domain, to_model};
use super::entity::application::Model as ApplicationRow;
use super::entity::application_event::{ActiveModel, Model};
use super::{corrupt, db_err};
use crate::domain::application::{Application, State};
use crate::domain::event::{ApplicationEvent, Cursor, LogId, NewEvent};
use crate::domain::ids::{ApiKeyName, ApplicationName, DisbursementName, InstitutionName, ProgrammeName};
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
pub(crate) async fn append_event(txn: &DatabaseTransaction, application: &Application, event: &NewEvent) -> Result<()> {
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
    if txn.get_database_backend() == DbBackend::Postgres {
        // Delivered to every LISTENing replica when the transaction commits.
        let notify = format!("SELECT pg_notify('{EVENTS_CHANNEL}', '')");
        txn.execute_raw(Statement::from_string(DbBackend::Postgres, notify))
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// The PostgreSQL channel on which commits of events are announced.
pub const EVENTS_CHANNEL: &str = "gba_grants_events";

pub(crate) fn event_to_domain(m: Model, log: LogId) -> Result<ApplicationEvent> {
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
    let row: ApplicationRow =
        serde_json::from_str(&snapshot).map_err(|e| Error::internal(format!("stored snapshot is invalid: {e}")))?;
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
        snapshot: to_domain(row)?,
        disbursement: disbursement_id.map(|d| DisbursementName::new(application.clone(), d)),
        application,
    })
}

mod source {
    //! The log read as a stream source, pruning, and programme summaries.

    use async_trait::async_trait;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement};

    use super::super::entity::application_event::{Column, Entity};
    use super::super::entity::{application as arow, programme as prow};
    use super::super::{Db, db_err};
    use super::event_to_domain;
    use crate::domain::application::State;
    use crate::domain::event::LogId;
    use crate::domain::event::{ApplicationEvent, Cursor};
    use crate::domain::ids::ProgrammeName;
    use crate::domain::money::{Money, Total};
    use crate::domain::ports::EventStore;
    use crate::domain::time::Timestamp;
    use crate::domain::watch::{EventScope, ProgrammeSummary};
    use crate::domain::{Error, Result};

    #[async_trait]
    impl EventStore for Db {
        async fn events_after(&self, after: Cursor, scope: &EventScope, limit: u64) -> Result<Vec<ApplicationEvent>> {
            let mut query = Entity::find().filter(Column::Seq.gt(after.seq));
            if let Some(list) = &scope.programmes {
                query = query.filter(Column::ProgrammeId.is_in(list.iter().map(|p| p.id().to_owned())));
            }
            if let Some(i) = &scope.institution {
                query = query.filter(Column::InstitutionId.eq(i.id()));
            }
            if let Some(a) = &scope.application {
                query = query
                    .filter(Column::ApplicationId.eq(a.id()))
                    .filter(Column::ProgrammeId.eq(a.programme.id()));
            }
            let rows = query
                .order_by_asc(Column::Seq)
                .limit(limit)
                .all(self.conn())
                .await
                .map_err(db_err)?;
            rows.into_iter().map(|m| event_to_domain(m, self.log)).collect()
        }

        fn event_log(&self) -> LogId {
            self.log
        }

        async fn event_head(&self) -> Result<Cursor> {
            let head: Option<i64> = Entity::find()
                .select_only()
                .column_as(Column::Seq.max(), "head")
                .into_tuple::<Option<i64>>()
                .one(self.conn())
                .await
                .map_err(db_err)?
                .flatten();
            Ok(Cursor::new(self.log, head.unwrap_or(0)))
        }

        async fn pruned_through(&self) -> Result<Cursor> {
            let backend = self.conn().get_database_backend();
            let row = self
                .conn()
                .query_one_raw(Statement::from_string(
                    backend,
                    "SELECT pruned_through FROM event_log_state WHERE id = 1",
                ))
                .await
                .map_err(db_err)?;
            let through = match row {
                Some(r) => r.try_get::<i64>("", "pruned_through").map_err(db_err)?,
                None => 0,
            };
            Ok(Cursor::new(self.log, through))
        }

        async fn prune_events(&self, before: Timestamp) -> Result<u64> {
            let txn = self.begin_write().await?;
            let last: Option<i64> = Entity::find()
                .select_only()
                .column_as(Column::Seq.max(), "last")
                .filter(Column::EventTime.lt(before.micros()))
                .into_tuple::<Option<i64>>()
                .one(&txn)
                .await
                .map_err(db_err)?
                .flatten();
            let Some(last) = last else { return Ok(0) };
            let deleted = Entity::delete_many()
                .filter(Column::Seq.lte(last))
                .exec(&txn)
                .await
                .map_err(db_err)?
                .rows_affected;
            let backend = txn.get_database_backend();
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                match backend {
                    sea_orm::DbBackend::Postgres => {
                        "UPDATE event_log_state SET pruned_through = GREATEST(pruned_through, $1) WHERE id = 1"
                    }
                    _ => "UPDATE event_log_state SET pruned_through = MAX(pruned_through, ?) WHERE id = 1",
                },
                [last.into()],
            ))
            .await
            .map_err(db_err)?;
            txn.commit().await.map_err(db_err)?;
            Ok(deleted)
        }

        async fn programme_summary(&self, programme: &ProgrammeName) -> Result<Option<ProgrammeSummary>> {
            let Some(p) = prow::Entity::find_by_id(programme.id().to_owned())
                .one(self.conn())
                .await
                .map_err(db_err)?
            else {
                return Ok(None);
            };
            let p = super::super::programmes::to_domain(p)?;
            // Sums split into whole billions and the rest, each of which
            // fits in BIGINT whatever the row count, then added up wide:
            // totals of many large amounts never overflow.
            let rows: Vec<(String, i64, i64, i64, i64, i64)> = arow::Entity::find()
                .select_only()
                .column(arow::Column::State)
                .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
                .column_as(
                    Expr::cust("CAST(COALESCE(SUM(requested_minor / 1000000000), 0) AS BIGINT)"),
                    "requested_hi",
                )
                .column_as(
                    Expr::cust("CAST(COALESCE(SUM(requested_minor % 1000000000), 0) AS BIGINT)"),
                    "requested_lo",
                )
                .column_as(
                    Expr::cust("CAST(COALESCE(SUM(disbursed_minor / 1000000000), 0) AS BIGINT)"),
                    "disbursed_hi",
                )
                .column_as(
                    Expr::cust("CAST(COALESCE(SUM(disbursed_minor % 1000000000), 0) AS BIGINT)"),
                    "disbursed_lo",
                )
                .filter(arow::Column::ProgrammeId.eq(programme.id()))
                .group_by(arow::Column::State)
                .into_tuple()
                .all(self.conn())
                .await
                .map_err(db_err)?;
            let wide = |hi: i64, lo: i64| i128::from(hi) * 1_000_000_000 + i128::from(lo);
            let mut counts = Vec::new();
            let mut requested = Total::zero(p.currency.clone());
            let mut disbursed = Total::zero(p.currency.clone());
            for (state, n, req_hi, req_lo, paid_hi, paid_lo) in rows {
                let state = State::parse(&state, "state").map_err(|e| Error::internal(e.to_string()))?;
                if !matches!(state, State::Draft | State::Withdrawn) {
                    requested.add_minor(wide(req_hi, req_lo));
                }
                disbursed.add_minor(wide(paid_hi, paid_lo));
                counts.push((state, n));
            }
            counts.sort();
            let currency = p.currency.clone();
            Ok(Some(ProgrammeSummary {
                programme: p.name.clone(),
                counts,
                requested,
                committed: p.committed.clone(),
                disbursed,
                remaining_budget: p.remaining_budget().unwrap_or_else(|| Money::zero(currency)),
                compute_time: Timestamp::now(),
            }))
        }
    }
}
