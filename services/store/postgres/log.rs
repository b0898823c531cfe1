//! The event log on PostgreSQL: positions that follow commit order
//! without serialising appends.
//!
//! A sequence number taken at insert could commit out of order: a tailer
//! that had read 11 would never see 10 commit later. So an event's
//! position (`seq`) is its transaction's id (`pg_current_xact_id()`,
//! xid8) plus a fixed offset (`event_log_state.pos_offset`, kept above
//! every position used, also after a restore into a cluster whose ids
//! restarted lower), and every read of the log stays below
//! `pg_snapshot_xmin(pg_current_snapshot())` + offset ([`below_horizon`]):
//! every transaction that could still add a smaller position is over.
//! Appends commit in parallel; a transaction appends at most one event.
//! Changes of one application take its advisory lock before their first
//! write, so the later change gets the larger transaction id: per
//! application, log order is commit order.

use std::time::Duration;

use sea_orm::sea_query::{Expr, InsertStatement, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DbBackend, Iterable, ModelTrait, Statement};

use crate::domain::application::Application;
use crate::domain::event::NewEvent;
use crate::domain::time::Timestamp;
use crate::domain::{Error, Reason, Result};
use crate::store::faults::db_err;
use crate::store::rows::event::{self, Column, Entity};
use crate::store::shared::Sea;

/// The PostgreSQL channel on which commits of events are announced.
pub const EVENTS_CHANNEL: &str = "gba_grants_events";

/// The position of the event a transaction appends.
fn position(offset: i64) -> SimpleExpr {
    Expr::cust(format!("pg_current_xact_id()::text::bigint + {offset}"))
}

/// The insert of `event` of `application` (as it stands after the
/// change), returning its position; every column of the entity, the
/// position the transaction's. With `when`, it inserts only if that
/// condition holds.
pub(crate) fn append(
    offset: i64,
    application: &Application,
    event: &NewEvent,
    when: Option<SimpleExpr>,
) -> Result<InsertStatement> {
    let row = event::new_row(application, event, Timestamp::now())?;
    let values: Vec<SimpleExpr> = Column::iter()
        .map(|column| match column {
            Column::Seq => position(offset),
            other => SimpleExpr::Value(row.get(other)),
        })
        .collect();
    let mut insert = Query::insert();
    insert.into_table(Entity).columns(Column::iter());
    match when {
        None => {
            insert
                .values(values)
                .map_err(|e| Error::internal(format!("event insert: {e}")))?;
        }
        Some(when) => {
            let select = Query::select().exprs(values).and_where(when).to_owned();
            insert
                .select_from(select)
                .map_err(|e| Error::internal(format!("event insert: {e}")))?;
        }
    }
    insert.returning_col(Column::Seq);
    Ok(insert)
}

/// The condition that keeps a read of the log below the oldest
/// transaction in flight.
pub(crate) fn below_horizon(offset: i64) -> SimpleExpr {
    Expr::cust(format!(
        "application_event.seq < pg_snapshot_xmin(pg_current_snapshot())::text::bigint + {offset}"
    ))
}

/// Waits until every event committed before this call is readable below
/// the horizon (read your writes).
pub(crate) async fn wait_until_settled(sea: &Sea, offset: i64) -> Result<()> {
    let sql = format!("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint + {offset} AS next");
    let row = sea
        .conn
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .map_err(db_err)?;
    let next: i64 = match row {
        Some(r) => r.try_get("", "next").map_err(db_err)?,
        None => return Ok(()),
    };
    wait_until_final(sea, offset, next - 1).await
}

/// Waits until every position up to `seq` is final, i.e. no transaction
/// that could still add a smaller one is in flight. Usually a few
/// milliseconds at most; bounded by the database timeout.
pub(crate) async fn wait_until_final(sea: &Sea, offset: i64, seq: i64) -> Result<()> {
    let sql = format!("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint + {offset} AS horizon");
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        let row = sea
            .conn
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
        if started.elapsed() > sea.timeout {
            return Err(Error::Unavailable {
                reason: Reason::StorageUnavailable,
                message: "a long-running transaction holds the event log back; retry".into(),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}
