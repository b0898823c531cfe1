//! Point reads on SQLite without the driver's worker thread. sqlx runs
//! every SQLite statement on a thread of its own and hands the result back
//! (two context switches a query: a third of a point read's CPU); these
//! reads instead run in place on a small pool of read-only connections to
//! the same file (rusqlite, over the same libsqlite3). A primary-key read
//! takes microseconds, so it does not hold the async thread noticeably.
//! Under WAL, each statement sees the last committed state, as the sqlx
//! pool's readers do.
//!
//! Pages of applications are read here too, with their LIMIT written into
//! the statement: SQLite plans a statement with a bound LIMIT again on
//! every run, and sqlx copied every value of every row before sea-orm
//! decoded it by name. A page of more than [`IN_PLACE_ROWS`] rows is read
//! on a blocking thread instead, so as not to hold the async thread.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::Value as Param;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row};
use sea_orm::{DbBackend, EntityTrait, QueryTrait, Select, Value};

use super::entity::{application, application_event, institution, programme};
use crate::domain::{Error, Reason};

/// Connections kept for reuse; more are opened under load, then closed.
const KEEP: usize = 8;
/// Pages of up to this many rows are read in place (a row takes about a
/// microsecond); larger ones on a blocking thread.
const IN_PLACE_ROWS: u64 = 101;

pub(crate) struct SqliteReads {
    path: String,
    timeout: Duration,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for SqliteReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteReads").field("path", &self.path).finish()
    }
}

fn storage(err: rusqlite::Error) -> Error {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => Error::Unavailable {
            reason: Reason::StorageUnavailable,
            message: "the database is busy; retry".into(),
        },
        _ => Error::internal(format!("SQLite read failed: {err}")),
    }
}

const APPLICATION: &str = "SELECT id, programme_id, applicant_institution_id, title, abstract, pi_name, pi_email, \
    pi_orcid, partner_institution_ids, currency_code, requested_minor, duration_months, state, version, \
    create_time, update_time, submit_time, decision_reason, decision_actor, decision_time, award_number, \
    awarded_minor, disbursed_minor FROM application WHERE id = ?1 AND programme_id = ?2";

const PROGRAMME: &str = "SELECT id, display_name, local_name, funder, currency_code, budget_minor, committed_minor, \
    max_award_minor, eligible_regions, requires_guangdong_partner, open_time, close_time, awards_issued, version, \
    create_time, update_time, review_settings FROM programme WHERE id = ?1";

const INSTITUTION: &str = "SELECT id, display_name, local_name, region, ror_id, create_time FROM institution";

fn institution_row(r: &Row<'_>) -> rusqlite::Result<institution::Model> {
    Ok(institution::Model {
        id: r.get(0)?,
        display_name: r.get(1)?,
        local_name: r.get(2)?,
        region: r.get(3)?,
        ror_id: r.get(4)?,
        create_time: r.get(5)?,
    })
}

/// A row of the event log, its columns in the entity's order (as
/// `Entity::find()` selects them).
pub(crate) fn event_row(r: &Row<'_>) -> rusqlite::Result<application_event::Model> {
    Ok(application_event::Model {
        seq: r.get(0)?,
        application_id: r.get(1)?,
        programme_id: r.get(2)?,
        institution_id: r.get(3)?,
        previous_state: r.get(4)?,
        new_state: r.get(5)?,
        actor_key: r.get(6)?,
        actor_role: r.get(7)?,
        reason: r.get(8)?,
        event_time: r.get(9)?,
        disbursement_id: r.get(10)?,
        snapshot: r.get(11)?,
        review_activity: r.get(12)?,
    })
}

pub(crate) fn application_row(r: &Row<'_>) -> rusqlite::Result<application::Model> {
    Ok(application::Model {
        id: r.get(0)?,
        programme_id: r.get(1)?,
        applicant_institution_id: r.get(2)?,
        title: r.get(3)?,
        abstract_text: r.get(4)?,
        pi_name: r.get(5)?,
        pi_email: r.get(6)?,
        pi_orcid: r.get(7)?,
        partner_institution_ids: r.get(8)?,
        currency_code: r.get(9)?,
        requested_minor: r.get(10)?,
        duration_months: r.get(11)?,
        state: r.get(12)?,
        version: r.get(13)?,
        create_time: r.get(14)?,
        update_time: r.get(15)?,
        submit_time: r.get(16)?,
        decision_reason: r.get(17)?,
        decision_actor: r.get(18)?,
        decision_time: r.get(19)?,
        award_number: r.get(20)?,
        awarded_minor: r.get(21)?,
        disbursed_minor: r.get(22)?,
    })
}

fn programme_row(r: &Row<'_>) -> rusqlite::Result<programme::Model> {
    Ok(programme::Model {
        id: r.get(0)?,
        display_name: r.get(1)?,
        local_name: r.get(2)?,
        funder: r.get(3)?,
        currency_code: r.get(4)?,
        budget_minor: r.get(5)?,
        committed_minor: r.get(6)?,
        max_award_minor: r.get(7)?,
        eligible_regions: r.get(8)?,
        requires_guangdong_partner: r.get(9)?,
        open_time: r.get(10)?,
        close_time: r.get(11)?,
        awards_issued: r.get(12)?,
        version: r.get(13)?,
        create_time: r.get(14)?,
        update_time: r.get(15)?,
        review_settings: r.get(16)?,
    })
}

impl SqliteReads {
    /// Reads of the SQLite file `path` (as sqlx parsed it from the URL).
    pub(crate) fn new(path: String, timeout: Duration) -> Self {
        Self {
            path,
            timeout,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The file read.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    fn with<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, Error> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = Connection::open_with_flags(&self.path, flags).map_err(storage)?;
                conn.busy_timeout(self.timeout).map_err(storage)?;
                conn
            }
        };
        let result = read(&conn).map_err(storage);
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < KEEP {
            idle.push(conn);
        }
        result
    }

    pub(crate) fn application(&self, id: &str, programme: &str) -> Result<Option<application::Model>, Error> {
        self.with(|conn| {
            conn.prepare_cached(APPLICATION)?
                .query_row([id, programme], application_row)
                .optional()
        })
    }

    pub(crate) fn programme(&self, id: &str) -> Result<Option<programme::Model>, Error> {
        self.with(|conn| {
            conn.prepare_cached(PROGRAMME)?
                .query_row([id], programme_row)
                .optional()
        })
    }

    /// What a change decides on: the application, its programme and the
    /// institutions it names (applicant and partners), read on one
    /// connection. Current only while the caller holds the write lock.
    pub(crate) fn for_change(
        &self,
        id: &str,
        programme: &str,
    ) -> Result<Option<(application::Model, programme::Model, Vec<institution::Model>)>, Error> {
        self.with(|conn| {
            let Some(found) = conn
                .prepare_cached(APPLICATION)?
                .query_row([id, programme], application_row)
                .optional()?
            else {
                return Ok(None);
            };
            let Some(owner) = conn
                .prepare_cached(PROGRAMME)?
                .query_row([programme], programme_row)
                .optional()?
            else {
                return Ok(None);
            };
            let mut wanted: Vec<&str> = super::applications::ids(&found.partner_institution_ids).collect();
            wanted.push(&found.applicant_institution_id);
            // One statement per number of institutions named (a handful).
            let marks = vec!["?"; wanted.len()].join(", ");
            let institutions = conn
                .prepare_cached(&format!("{INSTITUTION} WHERE id IN ({marks})"))?
                .query_map(rusqlite::params_from_iter(wanted), institution_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some((found, owner, institutions)))
        })
    }

    /// The programme, and whether the institution exists (a create's read).
    pub(crate) fn programme_and_institution(
        &self,
        id: &str,
        institution: &str,
    ) -> Result<Option<(programme::Model, bool)>, Error> {
        let columns = PROGRAMME.split(" FROM ").next().unwrap_or(PROGRAMME);
        let sql = format!(
            "{columns}, EXISTS (SELECT 1 FROM institution WHERE institution.id = ?2) FROM programme WHERE id = ?1"
        );
        self.with(|conn| {
            conn.prepare_cached(&sql)?
                .query_row([id, institution], |r| Ok((programme_row(r)?, r.get::<_, bool>(17)?)))
                .optional()
        })
    }
}

/// A bound value of a sea-query statement as SQLite takes it.
fn param(value: Value) -> Result<Param, Error> {
    Ok(match value {
        Value::Bool(v) => v.map_or(Param::Null, |b| Param::Integer(i64::from(b))),
        Value::Int(v) => v.map_or(Param::Null, |n| Param::Integer(i64::from(n))),
        Value::BigInt(v) => v.map_or(Param::Null, Param::Integer),
        Value::String(v) => v.map_or(Param::Null, Param::Text),
        other => return Err(Error::internal(format!("no SQLite parameter for {other:?}"))),
    })
}

impl SqliteReads {
    /// The first `limit` rows of `query` (which selects every column of
    /// `E`, in order), each made by `read`.
    pub(crate) async fn page<E: EntityTrait>(
        self: &Arc<Self>,
        query: Select<E>,
        limit: u64,
        read: fn(&Row<'_>) -> rusqlite::Result<E::Model>,
    ) -> Result<Vec<E::Model>, Error>
    where
        E::Model: Send + 'static,
    {
        let statement = query.build(DbBackend::Sqlite);
        let sql = format!("{} LIMIT {limit}", statement.sql);
        let params = statement
            .values
            .map(|v| v.0)
            .unwrap_or_default()
            .into_iter()
            .map(param)
            .collect::<Result<Vec<_>, _>>()?;
        let run = move |reads: &Self| {
            reads.with(|conn| {
                conn.prepare_cached(&sql)?
                    .query_map(rusqlite::params_from_iter(params), read)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
        };
        if limit <= IN_PLACE_ROWS {
            return run(self);
        }
        let reads = self.clone();
        tokio::task::spawn_blocking(move || run(&reads))
            .await
            .map_err(|e| Error::internal(format!("a page read did not finish: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{IdenStatic, Iterable};

    fn columns(sql: &str) -> Vec<String> {
        let list = sql.split(" FROM ").next().unwrap_or("").trim_start_matches("SELECT ");
        list.split(',').map(|c| c.trim().to_owned()).collect()
    }

    /// The column lists name every field of the rows, in order: a column
    /// added to an entity must be added here too.
    #[test]
    fn column_lists_match_the_entities() {
        let application: Vec<String> = super::application::Column::iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        assert_eq!(columns(super::APPLICATION), application);
        let programme: Vec<String> = super::programme::Column::iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        assert_eq!(columns(super::PROGRAMME), programme);
        let institution: Vec<String> = super::institution::Column::iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        assert_eq!(columns(super::INSTITUTION), institution);
    }
}
