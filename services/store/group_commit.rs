//! Group commit of creates on SQLite. A create without a request id is
//! two inserts that depend on nothing but themselves, so concurrent ones
//! can share a transaction: one task takes the creates waiting (up to
//! [`MAX_GROUP`]) and writes them in batches — BEGIN IMMEDIATE, the
//! inserts, COMMIT — in a single hand-off to the driver's worker thread,
//! on the writer connection that every other write transaction also
//! queues for. The database then writes each log page once per group, not
//! once per create. Should a group fail, it is rolled back and each create
//! is written alone, so one bad create never fails the others. Events keep
//! their commit order: their positions are assigned in statement order.

use sea_orm::sqlx::{self, Sqlite, pool::PoolConnection};
use sea_orm::{DbErr, RuntimeErr, Value};
use tokio::sync::{mpsc, oneshot};

use super::{Db, db_err};
use crate::domain::{Error, Result};

/// Creates written in one transaction at most. Groups are written in
/// power-of-two sizes (a group of 13 is 8, 4 and 1), so the driver caches
/// a few batch statements per connection, not one per size.
const MAX_GROUP: usize = 32;

/// One create: its statements and their arguments, and who waits for it.
pub(crate) struct Job {
    sql: String,
    values: Vec<Value>,
    done: Option<oneshot::Sender<std::result::Result<(), sqlx::Error>>>,
}

impl Job {
    pub(crate) fn new(sql: String, values: Vec<Value>) -> Self {
        Self {
            sql,
            values,
            done: None,
        }
    }
}

/// Starts the task that writes groups on `pool`; it ends when every
/// sender is gone.
pub(crate) fn start(pool: sqlx::Pool<Sqlite>) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel::<Job>(4 * MAX_GROUP);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            while !group.is_empty() {
                let size = 1 << group.len().ilog2();
                let rest = group.split_off(size);
                write(&pool, group).await;
                group = rest;
            }
        }
    });
    tx
}

async fn write(pool: &sqlx::Pool<Sqlite>, group: Vec<Job>) {
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(err) => return fail(group, &err),
    };
    if group.len() > 1 {
        let sql = group.iter().map(|j| j.sql.as_str()).collect::<Vec<_>>().join(";\n");
        let values = group.iter().flat_map(|j| j.values.iter().cloned()).collect::<Vec<_>>();
        if run(&mut conn, &sql, values).await.is_ok() {
            for job in group {
                if let Some(done) = job.done {
                    let _ = done.send(Ok(()));
                }
            }
            return;
        }
        // Each alone, so only a create that fails by itself fails.
    }
    for job in group {
        let result = run(&mut conn, &job.sql, job.values).await;
        if let Some(done) = job.done {
            let _ = done.send(result);
        }
    }
}

/// One transaction of `sql`; rolled back if it stops part-way, so no
/// transaction stays open on the pooled connection.
async fn run(conn: &mut PoolConnection<Sqlite>, sql: &str, values: Vec<Value>) -> std::result::Result<(), sqlx::Error> {
    let batch = format!("BEGIN IMMEDIATE;\n{sql};\nCOMMIT");
    let args = sea_query_sqlx::SqlxValues(sea_orm::Values(values));
    let done = sqlx::query_with(sqlx::AssertSqlSafe(batch), args)
        .execute(&mut **conn)
        .await;
    if done.is_err() {
        let _ = sqlx::query("ROLLBACK").execute(&mut **conn).await;
    }
    done.map(drop)
}

fn fail(group: Vec<Job>, err: &sqlx::Error) {
    for job in group {
        if let Some(done) = job.done {
            let _ = done.send(Err(sqlx::Error::Protocol(format!("no writer connection: {err}"))));
        }
    }
}

impl Db {
    /// Writes `job` with whatever creates are waiting with it.
    pub(crate) async fn group_commit(&self, mut job: Job) -> Result<()> {
        let Some(queue) = &self.creates else {
            return Err(Error::internal("group commit runs on SQLite only"));
        };
        let (tx, rx) = oneshot::channel();
        job.done = Some(tx);
        queue
            .send(job)
            .await
            .map_err(|_| Error::internal("the group-commit task ended"))?;
        rx.await
            .map_err(|_| Error::internal("the group-commit task dropped a create"))?
            .map_err(|e| db_err(DbErr::Exec(RuntimeErr::SqlxError(std::sync::Arc::new(e)))))
    }
}
