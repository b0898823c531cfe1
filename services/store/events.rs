//! The application event log: appended inside the transaction of the
//! change it records, numbered in commit order.

use sea_orm::{ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, QueryTrait, Statement};

use super::applications::{role, to_domain, to_model};
use super::entity::application::Model as ApplicationRow;
use super::entity::application_event::{ActiveModel, Entity as EventRow, Model};
use super::{Db, corrupt, db_err};
use crate::domain::application::{Application, State};
use crate::domain::event::{ApplicationEvent, Cursor, LogId, NewEvent};
use crate::domain::ids::{ApiKeyName, ApplicationName, DisbursementName, InstitutionName, ProgrammeName};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};

/// The statement that appends `event` for `application` (its state after
/// the change), to run in the transaction of the change, alone or in a
/// [`super::writes::Writes`] batch.
///
/// Positions (`seq`) follow commit order without serialising appends:
///
/// - SQLite has one writer; `seq` is its AUTOINCREMENT, in commit order.
/// - PostgreSQL: `seq` is the transaction's id (xid8, plus a fixed
///   offset), and readers read only below the oldest transaction still in
///   flight (`pg_snapshot_xmin`, see [`horizon`]): whatever they have read
///   can never be preceded later by a smaller position committing. Changes
///   of one application take its advisory lock before their first write,
///   so the later change gets the larger transaction id: per application,
///   log order is commit order. A transaction appends at most one event.
pub(crate) fn event_statement(db: &Db, application: &Application, event: &NewEvent) -> Result<Statement> {
    event_statement_from(db, application, event, 1)
}

/// [`event_statement`] with PostgreSQL placeholders numbered from `first`
/// (to follow another statement's in one query).
pub(crate) fn event_statement_from(
    db: &Db,
    application: &Application,
    event: &NewEvent,
    first: usize,
) -> Result<Statement> {
    appended(db, application, event, first, None)
}

/// On PostgreSQL, [`event_statement_from`] that inserts only when
/// `condition` holds (and then returns no position).
pub(crate) fn event_statement_if(
    db: &Db,
    application: &Application,
    event: &NewEvent,
    first: usize,
    condition: &str,
) -> Result<Statement> {
    appended(db, application, event, first, Some(condition))
}

fn appended(
    db: &Db,
    application: &Application,
    event: &NewEvent,
    first: usize,
    condition: Option<&str>,
) -> Result<Statement> {
    let snapshot = serde_json::to_string(&to_model(application))
        .map_err(|e| Error::internal(format!("cannot encode snapshot: {e}")))?;
    let previous = event.previous.map(|s| s.as_str().to_owned());
    let disbursement = event.disbursement.as_ref().map(|d| d.id().to_owned());
    let review = event.review.as_ref().map(super::reviews::activity_to_json);
    if db.is_postgres() {
        // Returns the position, which the committing replica announces to
        // the others after the commit (see `Db::announce_append`): a
        // NOTIFY inside the transaction would serialise every commit on
        // PostgreSQL's notification lock.
        let sql = format!(
            "INSERT INTO application_event (seq, application_id, programme_id, institution_id, \
             previous_state, new_state, actor_key, actor_role, reason, event_time, disbursement_id, snapshot, \
             review_activity) \
             {} RETURNING seq",
            {
                let row = format!(
                    "pg_current_xact_id()::text::bigint + {}, {}",
                    db.pos_offset,
                    (first..first + 12)
                        .map(|n| format!("${n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                match condition {
                    Some(condition) => format!("SELECT {row} WHERE {condition}"),
                    None => format!("VALUES ({row})"),
                }
            }
        );
        let values: [sea_orm::Value; 12] = [
            application.name.id().into(),
            application.name.programme.id().into(),
            application.applicant.id().into(),
            previous.into(),
            event.new.as_str().into(),
            event.actor.id().into(),
            event.actor_role.as_str().into(),
            event.reason.as_str().into(),
            Timestamp::now().micros().into(),
            disbursement.into(),
            snapshot.into(),
            review.into(),
        ];
        return Ok(Statement::from_sql_and_values(DbBackend::Postgres, sql, values));
    }
    let row = ActiveModel {
        seq: NotSet,
        application_id: Set(application.name.id().to_owned()),
        programme_id: Set(application.name.programme.id().to_owned()),
        institution_id: Set(application.applicant.id().to_owned()),
        previous_state: Set(previous),
        new_state: Set(event.new.as_str().to_owned()),
        actor_key: Set(event.actor.id().to_owned()),
        actor_role: Set(event.actor_role.as_str().to_owned()),
        reason: Set(event.reason.clone()),
        event_time: Set(Timestamp::now().micros()),
        disbursement_id: Set(disbursement),
        snapshot: Set(snapshot),
        review_activity: Set(review),
    };
    Ok(EventRow::insert(row).build(DbBackend::Sqlite))
}

/// On PostgreSQL, the condition that keeps a read of the log below the
/// oldest transaction in flight (see [`event_statement`]); `None` on SQLite.
pub(crate) fn horizon(db: &Db) -> Option<sea_orm::sea_query::SimpleExpr> {
    db.is_postgres().then(|| {
        sea_orm::sea_query::Expr::cust(format!(
            "application_event.seq < pg_snapshot_xmin(pg_current_snapshot())::text::bigint + {}",
            db.pos_offset
        ))
    })
}

impl Db {
    /// Waits until every event committed before this call is readable
    /// below the horizon (read your writes; at once on SQLite).
    pub(crate) async fn wait_until_settled(&self) -> Result<()> {
        if !self.is_postgres() {
            return Ok(());
        }
        let sql = format!(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint + {} AS next",
            self.pos_offset
        );
        let row = self
            .conn()
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .map_err(db_err)?;
        let next: i64 = match row {
            Some(r) => r.try_get("", "next").map_err(db_err)?,
            None => return Ok(()),
        };
        self.wait_until_final(next - 1).await
    }

    /// Waits until every position up to `seq` is final, i.e. no
    /// transaction that could still add a smaller one is in flight
    /// (PostgreSQL; at once on SQLite). Usually a few milliseconds at most;
    /// bounded by the database timeout.
    pub(crate) async fn wait_until_final(&self, seq: i64) -> Result<()> {
        if !self.is_postgres() {
            return Ok(());
        }
        let sql = format!(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint + {} AS horizon",
            self.pos_offset
        );
        let started = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(1);
        loop {
            let row = self
                .conn()
                .query_one_raw(Statement::from_string(DbBackend::Postgres, sql.clone()))
                .await
                .map_err(db_err)?;
            let horizon: i64 = match row {
                Some(r) => r.try_get("", "horizon").map_err(db_err)?,
                None => i64::MAX,
            };
            if horizon > seq {
                return Ok(());
            }
            if started.elapsed() > self.timeout {
                return Err(Error::Unavailable {
                    reason: crate::domain::Reason::StorageUnavailable,
                    message: "a long-running transaction holds the event log back; retry".into(),
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_millis(20));
        }
    }
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
        review_activity,
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
        review: review_activity
            .map(|r| super::reviews::activity_from_json(&r, &application))
            .transpose()?,
        application,
    })
}

mod source {
    //! The log read as a stream source, pruning, and programme summaries.

    use async_trait::async_trait;
    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement};

    use super::super::entity::application_event::{Column, Entity};
    use super::super::entity::programme as prow;
    use super::super::{Db, OnlyRow, db_err};
    use super::{event_to_domain, horizon};
    use crate::domain::application::State;
    use crate::domain::event::LogId;
    use crate::domain::event::{ApplicationEvent, Cursor};
    use crate::domain::ids::ProgrammeName;
    use crate::domain::institution::Region;
    use crate::domain::ports::EventStore;
    use crate::domain::time::Timestamp;
    use crate::domain::watch::{EventScope, ProgrammeSummary, SummaryGroup};
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
            if let Some(below) = horizon(self) {
                query = query.filter(below);
            }
            let query = query.order_by_asc(Column::Seq);
            let rows = match &self.fast {
                // SQLite: read in place (for up to a page of rows), with
                // the LIMIT written into the statement, rather than on
                // the driver's worker thread: the tailer's read is on
                // the way of every event to its watchers.
                Some(fast) => fast.page(query, limit, super::super::sqlite_reads::event_row).await?,
                None => query.limit(limit).all(self.conn()).await.map_err(db_err)?,
            };
            rows.into_iter().map(|m| event_to_domain(m, self.log)).collect()
        }

        fn event_log(&self) -> LogId {
            self.log
        }

        async fn settle(&self) -> Result<()> {
            self.wait_until_settled().await
        }

        async fn event_head(&self) -> Result<Cursor> {
            let mut query = Entity::find();
            if let Some(below) = horizon(self) {
                query = query.filter(below);
            }
            let head: Option<i64> = query
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
            // In short transactions of at most PRUNE_BATCH events: on
            // PostgreSQL a long one would hold back every reader's horizon.
            const PRUNE_BATCH: u64 = 1_000;
            let mut total = 0;
            loop {
                let txn = self.begin_write().await?;
                let batch: Vec<i64> = Entity::find()
                    .select_only()
                    .column(Column::Seq)
                    .filter(Column::EventTime.lt(before.micros()))
                    .order_by_asc(Column::Seq)
                    .limit(PRUNE_BATCH)
                    .into_tuple()
                    .all(&txn)
                    .await
                    .map_err(db_err)?;
                let Some(&last) = batch.last() else { return Ok(total) };
                total += Entity::delete_many()
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
                if (batch.len() as u64) < PRUNE_BATCH {
                    return Ok(total);
                }
            }
        }

        async fn programme_summary(&self, programme: &ProgrammeName) -> Result<Option<ProgrammeSummary>> {
            let Some(p) = prow::Entity::find_by_id(programme.id().to_owned())
                .only(self.conn())
                .await
                .map_err(db_err)?
            else {
                return Ok(None);
            };
            let p = super::super::programmes::to_domain(p)?;
            // Sums split into whole billions and the rest, each of which
            // fits in BIGINT whatever the row count, then added up wide:
            // totals of many large amounts never overflow.
            let backend = self.conn().get_database_backend();
            let sum = |column: &str| {
                format!(
                    "CAST(COALESCE(SUM(COALESCE({column}, 0) / 1000000000), 0) AS BIGINT), \
                     CAST(COALESCE(SUM(COALESCE({column}, 0) % 1000000000), 0) AS BIGINT)"
                )
            };
            let sql = format!(
                "SELECT a.state, i.region, CAST(COUNT(*) AS BIGINT), {}, {}, {}, \
                 CAST(SUM(CASE WHEN a.disbursed_minor > 0 THEN 1 ELSE 0 END) AS BIGINT) \
                 FROM application a JOIN institution i ON i.id = a.applicant_institution_id \
                 WHERE a.programme_id = {} GROUP BY a.state, i.region",
                sum("a.requested_minor"),
                sum("a.awarded_minor"),
                sum("a.disbursed_minor"),
                if backend == sea_orm::DbBackend::Postgres {
                    "$1"
                } else {
                    "?"
                },
            );
            let rows = self
                .conn()
                .query_all_raw(Statement::from_sql_and_values(backend, sql, [programme.id().into()]))
                .await
                .map_err(db_err)?;
            let wide = |hi: i64, lo: i64| i128::from(hi) * 1_000_000_000 + i128::from(lo);
            let mut groups = Vec::with_capacity(rows.len());
            for row in rows {
                let state: String = row.try_get_by_index(0).map_err(db_err)?;
                let region: String = row.try_get_by_index(1).map_err(db_err)?;
                let n = |i: usize| row.try_get_by_index::<i64>(i).map_err(db_err);
                groups.push(SummaryGroup {
                    state: State::parse(&state, "state").map_err(|e| Error::internal(e.to_string()))?,
                    region: Region::parse(&region, "region").map_err(|e| Error::internal(e.to_string()))?,
                    count: n(2)?,
                    requested: wide(n(3)?, n(4)?),
                    awarded: wide(n(5)?, n(6)?),
                    disbursed: wide(n(7)?, n(8)?),
                    paid: n(9)?,
                });
            }
            let awaiting = if p.review.is_some() {
                self.awaiting_review_counts(programme).await?
            } else {
                Vec::new()
            };
            Ok(Some(ProgrammeSummary::from_groups(&p, &groups, &awaiting)))
        }
    }
}
