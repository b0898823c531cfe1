//! Group commit of changes on SQLite. A change reads its application,
//! decides in Rust and writes; done alone, that is a transaction of six
//! hand-offs to the driver's worker thread, all holding the one write
//! lock, so changes ran at a fifth of the rate of grouped creates.
//!
//! Here a committer task takes the changes waiting (up to [`MAX_GROUP`]),
//! takes the process's write token (the writer pool's one connection, so
//! no other write transaction of this process runs meanwhile), and begins
//! one IMMEDIATE transaction on a connection of its own. Then it gives
//! each change its turn: with the database write lock held, nothing can
//! commit, so what each change reads in place (`sqlite_reads`) is current.
//! Each decides in its own task and hands back its statements; the
//! committer runs them all and commits once.
//!
//! Changes in one group never touch the same rows: a group holds at most
//! one change of an application, and at most one change that locks a given
//! programme. Changes that only read a programme are written before the
//! one that changes it, so every change decided on what the statements
//! before it left. Positions of events follow statement order, which is
//! commit order.
//!
//! What a group cannot do runs alone, on the ordinary path: changes with a
//! request id, peer review (which reads reviews), disbursements (which
//! check their reference in the transaction), and every change of a group
//! that failed and was rolled back.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::types::Value as Sql;
use sea_orm::sqlx::{self, Sqlite};
use sea_orm::{DbBackend, Statement, Value};
use tokio::sync::{mpsc, oneshot};

use super::Db;
use crate::domain::event::AppendSignal;
use crate::domain::ids::ApplicationName;
use crate::domain::lifecycle::Outcome;
use crate::domain::ports::{Changed, Decide};
use crate::domain::{Error, Result};

/// Changes written in one transaction at most.
const MAX_GROUP: usize = 32;

/// A change waiting for its turn.
pub(crate) struct Ticket {
    application: String,
    /// The programme, when the change locks it.
    programme: Option<String>,
    turn: oneshot::Sender<Turn>,
}

/// The committer's go-ahead: it holds the write lock. Dropping the turn
/// without replying writes nothing.
pub(crate) struct Turn {
    reply: oneshot::Sender<Batch>,
}

/// A change's statements, and who waits to hear whether they committed.
struct Batch {
    statements: Vec<(String, Vec<Sql>)>,
    /// Whether they append an event.
    event: bool,
    done: oneshot::Sender<bool>,
}

/// Starts the committer for the SQLite file at `path`; `pool` is the
/// writer pool (one connection), held as the process's write token.
pub(crate) fn start(
    pool: sqlx::Pool<Sqlite>,
    path: String,
    timeout: Duration,
    jitter: Option<Duration>,
    appended: Arc<AppendSignal>,
) -> mpsc::Sender<Ticket> {
    let (tx, mut rx) = mpsc::channel::<Ticket>(4 * MAX_GROUP);
    let mut committer = Committer {
        pool,
        path,
        timeout,
        jitter,
        appended,
        conn: None,
    };
    tokio::spawn(async move {
        let mut waiting = VecDeque::new();
        loop {
            if waiting.is_empty() {
                match rx.recv().await {
                    Some(ticket) => waiting.push_back(ticket),
                    None => return,
                }
            }
            while waiting.len() < 4 * MAX_GROUP {
                match rx.try_recv() {
                    Ok(ticket) => waiting.push_back(ticket),
                    Err(_) => break,
                }
            }
            let group = pick(&mut waiting);
            if !group.is_empty() {
                committer.write(group).await;
            }
        }
    });
    tx
}

/// The next group: changes that touch different rows, oldest first. The
/// others wait, at the front, for the next group; changes whose callers
/// have gone are dropped.
fn pick(waiting: &mut VecDeque<Ticket>) -> Vec<Ticket> {
    let mut applications = HashSet::new();
    let mut programmes = HashSet::new();
    let mut group = Vec::new();
    let mut later = VecDeque::new();
    for ticket in waiting.drain(..) {
        if ticket.turn.is_closed() {
            continue;
        }
        let fits = group.len() < MAX_GROUP
            && !applications.contains(&ticket.application)
            && ticket.programme.as_ref().is_none_or(|p| !programmes.contains(p));
        if fits {
            applications.insert(ticket.application.clone());
            if let Some(p) = &ticket.programme {
                programmes.insert(p.clone());
            }
            group.push(ticket);
        } else {
            later.push_back(ticket);
        }
    }
    *waiting = later;
    group
}

struct Committer {
    pool: sqlx::Pool<Sqlite>,
    path: String,
    timeout: Duration,
    jitter: Option<Duration>,
    /// Woken after a group that appended events commits (the callers may
    /// be gone by then).
    appended: Arc<AppendSignal>,
    /// Its own read-write connection, opened on first use; closed (and
    /// opened again) after a failure that may have left it in a
    /// transaction.
    conn: Option<Connection>,
}

impl Committer {
    /// Writes one group. Tickets dropped unanswered (no token, no lock)
    /// send their changes down the ordinary path, which reports the error.
    async fn write(&mut self, group: Vec<Ticket>) {
        let Ok(token) = self.pool.acquire().await else {
            return;
        };
        let (path, timeout) = (self.path.clone(), self.timeout);
        let conn = self.conn.take();
        let began = tokio::task::spawn_blocking(move || {
            let conn = match conn {
                Some(conn) => conn,
                None => open(&path, timeout)?,
            };
            // On failure the connection is closed: it holds nothing then.
            conn.execute_batch("BEGIN IMMEDIATE").map(|()| conn)
        })
        .await;
        let mut conn = match began {
            Ok(Ok(conn)) => conn,
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "a group of changes could not begin; each runs alone");
                return;
            }
            Err(_) => return,
        };
        // Each change's turn, then its answer (a change that errs or runs
        // alone answers by dropping its turn).
        let mut answers = Vec::with_capacity(group.len());
        for ticket in group {
            let (reply, answer) = oneshot::channel();
            if ticket.turn.send(Turn { reply }).is_ok() {
                answers.push((ticket.programme.is_some(), answer));
            }
        }
        // Answers are awaited until the database timeout at most, so a
        // caller that is never polled again cannot hold the write lock: a
        // late answer finds its receiver gone and runs alone.
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut batches = Vec::with_capacity(answers.len());
        for (locks_programme, answer) in answers {
            if let Ok(Ok(batch)) = tokio::time::timeout_at(deadline, answer).await {
                batches.push((locks_programme, batch));
            }
        }
        // Readers of a programme before the change that changes it.
        batches.sort_by_key(|(locks_programme, _)| *locks_programme);
        if let (Some(max), false) = (self.jitter, batches.is_empty()) {
            let micros = rand::random_range(0..=u64::try_from(max.as_micros()).unwrap_or(u64::MAX));
            tokio::time::sleep(Duration::from_micros(micros)).await;
        }
        let events = batches.iter().filter(|(_, b)| b.event).count();
        let (statements, waiting): (Vec<_>, Vec<_>) = batches.into_iter().map(|(_, b)| (b.statements, b.done)).unzip();
        let written = tokio::task::spawn_blocking(move || {
            let result = run(&mut conn, &statements);
            if let Err(err) = &result {
                tracing::warn!(error = %err, "a group of changes failed and was rolled back; each runs alone");
                if rollback(&mut conn).is_err() || !conn.is_autocommit() {
                    // Closing the connection rolls back whatever it holds.
                    return (None, false);
                }
            }
            (Some(conn), result.is_ok())
        })
        .await;
        let committed = match written {
            Ok((conn, committed)) => {
                self.conn = conn;
                committed
            }
            // The connection is gone with the task, and with it anything
            // uncommitted: nothing was written.
            Err(_) => false,
        };
        drop(token);
        if committed && events > 0 {
            self.appended.announce(None);
            metrics::counter!("gba_grants_events_appended_total").increment(events as u64);
        }
        for done in waiting {
            let _ = done.send(committed);
        }
    }
}

fn open(path: &str, timeout: Duration) -> rusqlite::Result<Connection> {
    let conn = super::checkpoint::read_write(path, timeout)?;
    conn.execute_batch("PRAGMA foreign_keys = ON")?;
    conn.pragma_update(None, "wal_autocheckpoint", super::checkpoint::BACKSTOP_PAGES)?;
    Ok(conn)
}

fn run(conn: &mut Connection, batches: &[Vec<(String, Vec<Sql>)>]) -> rusqlite::Result<()> {
    for (sql, values) in batches.iter().flatten() {
        conn.prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(values.iter()))?;
    }
    conn.execute_batch("COMMIT")
}

fn rollback(conn: &mut Connection) -> rusqlite::Result<()> {
    if conn.is_autocommit() {
        return Ok(());
    }
    conn.execute_batch("ROLLBACK")
}

/// A statement built for SQLite, with its values as SQLite takes them.
fn to_sql(statement: Statement) -> Result<(String, Vec<Sql>)> {
    let values = statement.values.map(|v| v.0).unwrap_or_default();
    let values = values.into_iter().map(value).collect::<Result<Vec<_>>>()?;
    Ok((statement.sql, values))
}

fn value(v: Value) -> Result<Sql> {
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
            .map_err(|_| Error::internal("an unsigned value beyond SQLite's integers"))?),
        Value::Float(f) => f.map_or(Sql::Null, |f| Sql::Real(f.into())),
        Value::Double(f) => f.map_or(Sql::Null, Sql::Real),
        Value::String(s) => s.map_or(Sql::Null, Sql::Text),
        Value::Char(c) => c.map_or(Sql::Null, |c| Sql::Text(c.to_string())),
        Value::Bytes(b) => b.map_or(Sql::Null, Sql::Blob),
        other => {
            return Err(Error::internal(format!(
                "a value the group commit does not write: {other:?}"
            )));
        }
    })
}

/// What a change decided in its turn.
enum Decided {
    Missing,
    /// It cannot be written in a group.
    Alone,
    /// A no-op: nothing to write.
    Nothing(Box<Outcome>),
    Write(Vec<(String, Vec<Sql>)>, Box<Outcome>),
}

impl Db {
    /// Runs `change` in a group commit. `None` when it must run alone:
    /// not SQLite on a file, no turn given, a change a group cannot write,
    /// or a group that failed and was rolled back (nothing was written).
    pub(super) async fn change_in_group(
        &self,
        name: &ApplicationName,
        changes_programme: bool,
        change: Decide<'_>,
    ) -> Result<Option<Changed>> {
        let (Some(queue), Some(_)) = (&self.changes, &self.fast) else {
            return Ok(None);
        };
        let (turn, given) = oneshot::channel();
        let ticket = Ticket {
            application: name.id().to_owned(),
            programme: changes_programme.then(|| name.programme.id().to_owned()),
            turn,
        };
        if queue.send(ticket).await.is_err() {
            return Ok(None);
        }
        let Ok(turn) = given.await else {
            return Ok(None);
        };
        // The committer holds the write lock: what is read now is current.
        // Returning (or dropping the turn) before replying writes nothing.
        let (statements, outcome) = match self.decide_in_turn(name, changes_programme, change)? {
            Decided::Missing => return Ok(Some(Changed::Missing)),
            Decided::Alone => return Ok(None),
            Decided::Nothing(outcome) => return Ok(Some(Changed::Applied(outcome))),
            Decided::Write(statements, outcome) => (statements, outcome),
        };
        let (done, committed) = oneshot::channel();
        let event = outcome.event.is_some();
        if turn
            .reply
            .send(Batch {
                statements,
                event,
                done,
            })
            .is_err()
        {
            return Ok(None);
        }
        // The committer announces the events of what it committed.
        match committed.await {
            Ok(true) => Ok(Some(Changed::Applied(outcome))),
            Ok(false) => Ok(None),
            Err(_) => Err(Error::internal(
                "the group commit ended without saying whether a change was written",
            )),
        }
    }

    fn decide_in_turn(&self, name: &ApplicationName, changes_programme: bool, change: Decide<'_>) -> Result<Decided> {
        let Some(reads) = &self.fast else {
            return Ok(Decided::Alone);
        };
        // A read that fails (busy, say) is left to the ordinary path.
        let Ok(read) = reads.for_change(name.id(), name.programme.id()) else {
            return Ok(Decided::Alone);
        };
        let Some(read) = read else {
            return Ok(Decided::Missing);
        };
        let situation = super::write_paths::situation(read)?;
        if situation.programme.review.is_some() {
            // Peer review decides on the reviews too, read in the
            // transaction.
            return Ok(Decided::Alone);
        }
        let outcome = change(&situation)?;
        if outcome.programme.is_some() && !changes_programme {
            return Err(Error::internal(
                "a change of an application changed its programme without locking it",
            ));
        }
        if outcome.disbursement.is_some() {
            return Ok(Decided::Alone);
        }
        if outcome.noop {
            return Ok(Decided::Nothing(Box::new(outcome)));
        }
        let statements = self
            .outcome_writes(name, &situation.application, &outcome, DbBackend::Sqlite)?
            .into_statements()
            .into_iter()
            .map(to_sql)
            .collect::<Result<Vec<_>>>()?;
        Ok(Decided::Write(statements, Box::new(outcome)))
    }
}

#[cfg(test)]
#[path = "change_group_tests.rs"]
mod tests;
