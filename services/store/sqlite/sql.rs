//! Statements built by SeaORM's query builder, run on a rusqlite
//! connection: their values bound as SQLite takes them, their rows read
//! into models by the entity's own column order ([`FromSqliteRow`]).

use std::sync::LazyLock;

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Select, Statement, Value};

use crate::domain::{Error, Reason};
use crate::store::faults::outage_seen;
use crate::store::rows::idempotency as record;
use crate::store::rows::{FromSqliteRow, application, document, programme};

// The hot paths' point selects, built by SeaORM from the entities once and
// run with their values bound by position: building a statement costs
// about as much as running it (measured: 8 µs of a 25 µs GetApplication).

/// An application by id (`?1`) and programme id (`?2`).
pub(crate) static APPLICATION: LazyLock<String> = LazyLock::new(|| {
    let query =
        application::Entity::find_by_id(String::new()).filter(application::Column::ProgrammeId.eq(String::new()));
    select(query, None).sql
});

/// A programme by id (`?1`).
pub(crate) static PROGRAMME: LazyLock<String> =
    LazyLock::new(|| select(programme::Entity::find_by_id(String::new()), None).sql);

/// The documents of an application (`?1`), every version.
pub(crate) static DOCUMENTS: LazyLock<String> = LazyLock::new(|| {
    select(
        document::Entity::find().filter(document::Column::ApplicationId.eq(String::new())),
        None,
    )
    .sql
});

/// A request id's record by caller (`?1`) and request id (`?2`).
pub(crate) static RECORD: LazyLock<String> =
    LazyLock::new(|| select(record::Entity::find_by_id((String::new(), String::new())), None).sql);

/// A rusqlite failure in the domain's terms: BUSY and LOCKED may heal
/// (UNAVAILABLE), the rest is INTERNAL.
pub(crate) fn sqlite_err(err: rusqlite::Error) -> Error {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            outage_seen();
            Error::Unavailable {
                reason: Reason::StorageUnavailable,
                message: "the database is busy; retry".into(),
            }
        }
        _ => {
            tracing::error!(%err, "SQLite error");
            Error::internal(format!("SQLite failed: {err}"))
        }
    }
}

/// A value of a built statement as SQLite takes it.
fn value(v: Value) -> rusqlite::Result<Sql> {
    let int = |n: Option<i64>| n.map_or(Sql::Null, Sql::Integer);
    Ok(match v {
        Value::Bool(b) => int(b.map(i64::from)),
        Value::TinyInt(n) => int(n.map(i64::from)),
        Value::SmallInt(n) => int(n.map(i64::from)),
        Value::Int(n) => int(n.map(i64::from)),
        Value::BigInt(n) => int(n),
        Value::TinyUnsigned(n) => int(n.map(i64::from)),
        Value::SmallUnsigned(n) => int(n.map(i64::from)),
        Value::Unsigned(n) => int(n.map(i64::from)),
        Value::BigUnsigned(n) => int(n
            .map(i64::try_from)
            .transpose()
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?),
        Value::Float(f) => f.map_or(Sql::Null, |f| Sql::Real(f.into())),
        Value::Double(f) => f.map_or(Sql::Null, Sql::Real),
        Value::String(s) => s.map_or(Sql::Null, Sql::Text),
        Value::Char(c) => c.map_or(Sql::Null, |c| Sql::Text(c.to_string())),
        Value::Bytes(b) => b.map_or(Sql::Null, Sql::Blob),
        other => {
            return Err(rusqlite::Error::ToSqlConversionFailure(
                format!("a value SQLite does not take here: {other:?}").into(),
            ));
        }
    })
}

fn params(statement: &Statement) -> rusqlite::Result<Vec<Sql>> {
    statement
        .values
        .as_ref()
        .map(|v| v.0.clone())
        .unwrap_or_default()
        .into_iter()
        .map(value)
        .collect()
}

/// Runs a statement that writes; the rows it changed.
pub(crate) fn execute(conn: &Connection, statement: &Statement) -> rusqlite::Result<usize> {
    conn.prepare_cached(&statement.sql)?
        .execute(rusqlite::params_from_iter(params(statement)?))
}

/// The rows of a statement that selects the columns of `M`, in order.
pub(crate) fn rows<M: FromSqliteRow>(conn: &Connection, statement: &Statement) -> rusqlite::Result<Vec<M>> {
    conn.prepare_cached(&statement.sql)?
        .query_map(rusqlite::params_from_iter(params(statement)?), M::from_sqlite_row)?
        .collect()
}

/// The first row of such a statement.
pub(crate) fn row<M: FromSqliteRow>(conn: &Connection, statement: &Statement) -> rusqlite::Result<Option<M>> {
    conn.prepare_cached(&statement.sql)?
        .query_row(rusqlite::params_from_iter(params(statement)?), M::from_sqlite_row)
        .optional()
}

/// The first row of one of the prebuilt selects above, with `params`.
pub(crate) fn point<M: FromSqliteRow>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Option<M>> {
    conn.prepare_cached(sql)?
        .query_row(params, M::from_sqlite_row)
        .optional()
}

/// The rows of one of the prebuilt selects above, with `params`.
pub(crate) fn points<M: FromSqliteRow>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<M>> {
    conn.prepare_cached(sql)?
        .query_map(params, M::from_sqlite_row)?
        .collect()
}

/// The first row of a statement, read by `read`.
pub(crate) fn row_with<T>(
    conn: &Connection,
    statement: &Statement,
    read: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    conn.prepare_cached(&statement.sql)?
        .query_row(rusqlite::params_from_iter(params(statement)?), read)
        .optional()
}

/// A select of every column of `E` (as `Entity::find()` makes it), built
/// for SQLite; with its LIMIT written into the statement when given:
/// SQLite plans a statement with a bound LIMIT again on every run.
pub(crate) fn select<E: EntityTrait>(query: Select<E>, limit: Option<u64>) -> Statement {
    let mut statement = query.build(DbBackend::Sqlite);
    if let Some(limit) = limit {
        statement.sql = format!("{} LIMIT {limit}", statement.sql);
    }
    statement
}
