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
//! The task itself wakes the tailer after each commit, so the events go
//! to their watchers without waiting for their callers to run again.

use std::sync::Arc;

use sea_orm::sqlx::{self, Sqlite, pool::PoolConnection};
use sea_orm::{DbErr, RuntimeErr, Value};
use tokio::sync::{mpsc, oneshot};

use super::{Db, db_err};
use crate::domain::event::AppendSignal;
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

/// Starts the task that writes groups on `pool`, announcing each commit
/// to `appended`; it ends when every sender is gone.
pub(crate) fn start(pool: sqlx::Pool<Sqlite>, appended: Arc<AppendSignal>) -> mpsc::Sender<Job> {
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
                if write(&pool, group).await {
                    appended.announce(None);
                }
                group = rest;
            }
        }
    });
    tx
}

/// Writes `group`; whether any of it committed.
async fn write(pool: &sqlx::Pool<Sqlite>, group: Vec<Job>) -> bool {
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(err) => {
            fail(group, &err);
            return false;
        }
    };
    if group.len() > 1 {
        let sql = group.iter().map(|j| j.sql.as_str()).collect::<Vec<_>>().join(";\n");
        let values = group.iter().flat_map(|j| j.values.iter().cloned()).collect::<Vec<_>>();
        match run(&mut conn, &sql, values).await {
            Ok(()) => {
                for job in group {
                    if let Some(done) = job.done {
                        let _ = done.send(Ok(()));
                    }
                }
                return true;
            }
            Err(Failed::Stuck(err)) => {
                // The connection may still be inside the transaction: it
                // must not go back to the pool.
                let _ = conn.close().await;
                fail(group, &err);
                return false;
            }
            // Each alone, so only a create that fails by itself fails.
            Err(Failed::RolledBack(_)) => {}
        }
    }
    let mut jobs = group.into_iter();
    let mut committed = false;
    while let Some(job) = jobs.next() {
        let result = run(&mut conn, &job.sql, job.values).await;
        let stuck = matches!(result, Err(Failed::Stuck(_)));
        committed |= result.is_ok();
        if let Some(done) = job.done {
            let _ = done.send(result.map_err(Failed::into_error));
        }
        if stuck {
            let _ = conn.close().await;
            let rest: Vec<Job> = jobs.collect();
            let err = sqlx::Error::Protocol("the writer connection was closed after a failed rollback".into());
            fail(rest, &err);
            return committed;
        }
    }
    committed
}

/// How a batch failed: rolled back (the connection is clean), or with its
/// rollback failing too (the connection may still hold the transaction).
enum Failed {
    RolledBack(sqlx::Error),
    Stuck(sqlx::Error),
}

impl Failed {
    fn into_error(self) -> sqlx::Error {
        match self {
            Failed::RolledBack(e) | Failed::Stuck(e) => e,
        }
    }
}

/// One transaction of `sql`; rolled back if it stops part-way.
async fn run(conn: &mut PoolConnection<Sqlite>, sql: &str, values: Vec<Value>) -> std::result::Result<(), Failed> {
    let batch = format!("BEGIN IMMEDIATE;\n{sql};\nCOMMIT");
    let args = sea_query_sqlx::SqlxValues(sea_orm::Values(values));
    match sqlx::query_with(sqlx::AssertSqlSafe(batch), args)
        .execute(&mut **conn)
        .await
    {
        Ok(_) => Ok(()),
        Err(err) => {
            // A failure before BEGIN took effect leaves no transaction, and
            // ROLLBACK then fails with "no transaction is active": ask
            // SQLite whether one is open instead of trusting that error.
            let _ = sqlx::query("ROLLBACK").execute(&mut **conn).await;
            if in_transaction(conn).await {
                Err(Failed::Stuck(err))
            } else {
                Err(Failed::RolledBack(err))
            }
        }
    }
}

/// Whether the connection is (or may be) inside a transaction, checked by
/// trying to open one: a connection that cannot even do that is not clean.
async fn in_transaction(conn: &mut PoolConnection<Sqlite>) -> bool {
    match sqlx::query("BEGIN").execute(&mut **conn).await {
        Ok(_) => sqlx::query("ROLLBACK").execute(&mut **conn).await.is_err(),
        Err(_) => true,
    }
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
