//! PostgreSQL connections kept out of the pool for the hot statements.
//! sqlx tests every connection it takes back into its pool with a ping
//! (a Sync and its ReadyForQuery: a round trip), so a statement run on
//! the pool costs two round trips of CPU, on both sides. A few
//! connections detached from the pool serve the point reads and the
//! optimistic changes instead, and go back to a list of their own after
//! a statement that succeeded. A statement that failed (or was
//! cancelled) drops its connection; a connection idle since before the
//! last outage seen is dropped, one idle for a second is pinged, as the
//! pool does.
//!
//! When all are in use, the statement runs on the pool: nothing waits
//! for a kept connection.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::PgRow;
use sea_orm::sqlx::{self, Connection, PgConnection, Postgres};
use sea_orm::{DbBackend, EntityTrait, FromQueryResult, QueryResult, QueryTrait, Select, Statement};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::Result;
use crate::store::faults::db_err;

/// Connections kept at most.
const KEEP: usize = 8;

#[derive(Debug)]
pub(crate) struct Kept {
    pool: sqlx::Pool<Postgres>,
    idle: Mutex<Vec<(PgConnection, Instant)>>,
    permits: Arc<Semaphore>,
}

impl Kept {
    pub(crate) fn new(pool: sqlx::Pool<Postgres>) -> Self {
        Self {
            pool,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(KEEP)),
        }
    }

    /// A kept connection, or `None` when all are in use.
    async fn take(&self) -> std::result::Result<Option<(PgConnection, OwnedSemaphorePermit)>, sqlx::Error> {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            return Ok(None);
        };
        loop {
            let next = self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop();
            let Some((mut conn, since)) = next else {
                let conn = self.pool.acquire().await?.detach();
                return Ok(Some((conn, permit)));
            };
            let idle_for = since.elapsed();
            if !crate::store::faults::idle_since_last_outage(idle_for) {
                tokio::spawn(conn.close());
                continue;
            }
            if idle_for > Duration::from_secs(1) && conn.ping().await.is_err() {
                continue;
            }
            return Ok(Some((conn, permit)));
        }
    }

    fn give(&self, conn: PgConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < KEEP {
            idle.push((conn, Instant::now()));
        } else {
            tokio::spawn(conn.close());
        }
    }
}

impl Kept {
    /// Runs `sql`, which selects rows whose id is in the text array `$1`,
    /// on a kept connection when one is free, else on the pool.
    pub(crate) async fn fetch_by_ids(
        &self,
        sql: Arc<str>,
        ids: Vec<String>,
    ) -> std::result::Result<Vec<PgRow>, sqlx::Error> {
        let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ids);
        let Some((mut conn, permit)) = self.take().await? else {
            return query.fetch_all(&self.pool).await;
        };
        let rows = query.fetch_all(&mut conn).await?;
        self.give(conn);
        drop(permit);
        Ok(rows)
    }
}

impl Kept {
    /// Runs one statement and returns its first row: on a kept connection
    /// when one is free, else on the pool.
    pub(crate) async fn query_one(&self, statement: Statement) -> Result<Option<QueryResult>> {
        self.query_one_raw(statement).await.map_err(db_err)
    }

    /// [`Kept::query_one`], with the driver's error as it is (a caller may
    /// tell a unique violation from other failures).
    pub(crate) async fn query_one_raw(
        &self,
        statement: Statement,
    ) -> std::result::Result<Option<QueryResult>, sea_orm::DbErr> {
        use crate::store::faults::sqlx as wrap;
        let values = sea_query_sqlx::SqlxValues(statement.values.unwrap_or(sea_orm::Values(Vec::new())));
        let query = sqlx::query_with(sqlx::AssertSqlSafe(statement.sql), values);
        let Some((mut conn, permit)) = self.take().await.map_err(wrap)? else {
            let row = query.fetch_optional(&self.pool).await.map_err(wrap)?;
            return Ok(row.map(QueryResult::from));
        };
        let row = query.fetch_optional(&mut conn).await.map_err(wrap)?;
        self.give(conn);
        drop(permit);
        Ok(row.map(QueryResult::from))
    }

    /// Runs one statement and returns its rows: on a kept connection when
    /// one is free, else on the pool.
    pub(crate) async fn query_all(&self, statement: Statement) -> Result<Vec<QueryResult>> {
        use crate::store::faults::sqlx as wrap;
        let values = sea_query_sqlx::SqlxValues(statement.values.unwrap_or(sea_orm::Values(Vec::new())));
        let query = sqlx::query_with(sqlx::AssertSqlSafe(statement.sql), values);
        let rows = match self.take().await.map_err(wrap).map_err(db_err)? {
            None => query.fetch_all(&self.pool).await,
            Some((mut conn, permit)) => {
                let rows = query.fetch_all(&mut conn).await;
                if rows.is_ok() {
                    self.give(conn);
                }
                drop(permit);
                rows
            }
        };
        Ok(rows
            .map_err(wrap)
            .map_err(db_err)?
            .into_iter()
            .map(QueryResult::from)
            .collect())
    }

    /// The one row `select` finds (a point read).
    pub(crate) async fn find<E: EntityTrait>(&self, select: Select<E>) -> Result<Option<E::Model>> {
        self.query_one(select.build(DbBackend::Postgres))
            .await?
            .map(|row| E::Model::from_query_result(&row, ""))
            .transpose()
            .map_err(db_err)
    }
}
