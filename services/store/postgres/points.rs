//! PostgreSQL point reads of applications and programmes, and what a
//! change reads before it decides (outside a transaction), read together.
//! Each read hands its id to a reader task; the reader sends every id
//! that has arrived in one statement (`id = ANY($1)`), one statement in
//! flight while it is quick (a few beside a slow one), and answers each
//! read from the rows. A statement
//! is sent only after every read it answers arrived, so a read still sees
//! everything committed (on any replica) before it was asked: reads stay
//! as fresh as reading alone, at one round trip per batch instead of one
//! per call.
//!
//! A failed statement fails every read it answers, with its error; one
//! that takes longer than the database timeout fails them as an outage
//! would. A read the reader cannot answer otherwise (a row that does not
//! decode, a reader gone) is read alone by its caller, so its error is
//! reported as for any other statement.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::sqlx::{self, postgres::PgRow};
use sea_orm::{DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryResult, QueryTrait};
use sea_orm::{DbErr, RuntimeErr};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::kept::Kept;
use super::situation::{ChangeRead, change_read_sql};
use crate::domain::Result;
use crate::jobs::Jobs;
use crate::store::faults::db_err;
use crate::store::rows::{application, programme};
use tokio_util::sync::CancellationToken;

/// Statements in flight at most per kind of row; reads arriving while
/// they are out wait for the next one.
const IN_FLIGHT: usize = 3;
/// A statement out for longer than this lets the next one go beside it
/// (a stalled connection must not hold every read); until then the
/// reads that arrive wait for it and go together in the next one. With
/// several statements out at once, each would carry only the few reads
/// of its moment and the database would spend its CPU on statements
/// rather than rows (measured: a third of the reads per second, and four
/// times the database's CPU per read, in BENCHMARKS.md).
const OVERLAP_AFTER: Duration = Duration::from_millis(20);
/// Before a statement goes out, the reader lets the tasks that are ready
/// run this many times (each turn also polls the sockets), so that the
/// calls that have just arrived ask before it is sent and go with it.
/// Measured side by side (BENCHMARKS.md): PostgreSQL's CPU per
/// GetApplication 4.2 → 2.7 µs and per GetProgramme 2.2 → 0.9 µs; when
/// idle, a read waits two turns of the runtime (microseconds).
const YIELDS: usize = 2;
/// Ids sent in one statement at most.
const MAX_BATCH: usize = 128;

/// What a read gets: the row, none, or why not.
type Answer<M> = std::result::Result<Option<M>, Unanswered>;

#[derive(Clone)]
enum Unanswered {
    /// Read it alone.
    Alone,
    /// The statement failed.
    Failed(Arc<sqlx::Error>),
}

struct Ask<M> {
    id: String,
    answer: oneshot::Sender<Answer<M>>,
}

/// The reader of one kind of row.
pub(crate) struct PointReads<M> {
    asks: mpsc::UnboundedSender<Ask<M>>,
}

impl<M> std::fmt::Debug for PointReads<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointReads").finish_non_exhaustive()
    }
}

impl<M: FromQueryResult + Clone + Send + 'static> PointReads<M> {
    /// Starts the reader. `sql` selects the rows whose id is in the text
    /// array `$1`; `id_of` tells a row's id; a statement may take
    /// `timeout` at most.
    pub(crate) fn start(
        jobs: &Jobs,
        name: &'static str,
        kept: Arc<Kept>,
        sql: String,
        id_of: fn(&M) -> &str,
        timeout: Duration,
    ) -> Self {
        let (asks, rx) = mpsc::unbounded_channel();
        let reader = Reader {
            kept,
            sql: Arc::from(sql),
            id_of,
            timeout,
        };
        let reader = Arc::new(reader);
        jobs.spawn(name, move |stop| serve(reader, rx, stop));
        Self { asks }
    }

    /// The row with `id` (or the statement's error), or `None` when the
    /// reader could not answer and the caller should read it alone.
    pub(crate) async fn get(&self, id: &str) -> Option<Result<Option<M>>> {
        use tracing::Instrument;
        let span = tracing::info_span!(
            target: crate::telemetry::TRACE,
            "postgresql.point_read",
            db.system = "postgresql",
            db.operation = "select"
        );
        self.get_now(id).instrument(span).await
    }

    async fn get_now(&self, id: &str) -> Option<Result<Option<M>>> {
        let (answer, rx) = oneshot::channel();
        self.asks
            .send(Ask {
                id: id.to_owned(),
                answer,
            })
            .ok()?;
        match rx.await.ok()? {
            Ok(found) => Some(Ok(found)),
            Err(Unanswered::Alone) => None,
            Err(Unanswered::Failed(err)) => Some(Err(db_err(DbErr::Query(RuntimeErr::SqlxError(err))))),
        }
    }
}

/// What the reader of one kind of row reads with.
struct Reader<M> {
    kept: Arc<Kept>,
    sql: Arc<str>,
    id_of: fn(&M) -> &str,
    timeout: Duration,
}

async fn serve<M: FromQueryResult + Clone + Send + 'static>(
    reader: Arc<Reader<M>>,
    mut asks: mpsc::UnboundedReceiver<Ask<M>>,
    stop: CancellationToken,
) {
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
    loop {
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return;
        };
        let first = tokio::select! {
            () = stop.cancelled() => return,
            ask = asks.recv() => match ask {
                Some(ask) => ask,
                None => return,
            },
        };
        let mut batch = vec![first];
        take_waiting(&mut asks, &mut batch);
        for _ in 0..YIELDS {
            if batch.len() >= MAX_BATCH {
                break;
            }
            tokio::task::yield_now().await;
            take_waiting(&mut asks, &mut batch);
        }
        let reader = reader.clone();
        let (done, answered) = oneshot::channel::<()>();
        tokio::spawn(async move {
            reader.answer(batch).await;
            drop(permit);
            drop(done);
        });
        // The next statement waits for this one while it is quick, so that
        // it carries every read that arrives meanwhile; only a slow one
        // lets another go out beside it.
        let _ = tokio::time::timeout(OVERLAP_AFTER, answered).await;
    }
}

fn take_waiting<M>(asks: &mut mpsc::UnboundedReceiver<Ask<M>>, batch: &mut Vec<Ask<M>>) {
    while batch.len() < MAX_BATCH {
        match asks.try_recv() {
            Ok(ask) => batch.push(ask),
            Err(_) => break,
        }
    }
}

impl<M: FromQueryResult + Clone> Reader<M> {
    async fn answer(&self, mut batch: Vec<Ask<M>>) {
        // Callers that went away need no answer and no row.
        batch.retain(|ask| !ask.answer.is_closed());
        if batch.is_empty() {
            return;
        }
        let mut ids: Vec<String> = batch.iter().map(|ask| ask.id.clone()).collect();
        ids.sort_unstable();
        ids.dedup();
        let fetched = tokio::time::timeout(self.timeout, self.kept.fetch_by_ids(self.sql.clone(), ids))
            .await
            .unwrap_or_else(|_| {
                Err(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "a point read took longer than the database timeout",
                )))
            });
        let found = match fetched {
            Ok(rows) => decode(rows, self.id_of).ok_or(Unanswered::Alone),
            Err(err) => Err(Unanswered::Failed(Arc::new(err))),
        };
        for ask in batch {
            let answer = match &found {
                Ok(rows) => Ok(rows.get(&ask.id).cloned()),
                Err(why) => Err(why.clone()),
            };
            // A caller that went away needs no answer.
            let _ = ask.answer.send(answer);
        }
    }
}

/// The rows by id, or `None` when one does not decode (each caller then
/// reads alone and hears the error).
fn decode<M: FromQueryResult>(rows: Vec<PgRow>, id_of: fn(&M) -> &str) -> Option<HashMap<String, M>> {
    rows.into_iter()
        .map(|row| {
            let model = M::from_query_result(&QueryResult::from(row), "").ok()?;
            Some((id_of(&model).to_owned(), model))
        })
        .collect()
}

/// The readers of applications, programmes, and what changes read.
#[derive(Debug)]
pub(crate) struct Points {
    pub(crate) applications: PointReads<application::Model>,
    pub(crate) programmes: PointReads<programme::Model>,
    pub(crate) changes: PointReads<ChangeRead>,
}

impl Points {
    pub(crate) fn start(jobs: &Jobs, kept: &Arc<Kept>, timeout: Duration) -> Self {
        Self {
            applications: PointReads::start(
                jobs,
                "postgres application reads",
                kept.clone(),
                select_by_ids(application::Entity),
                |m| &m.id,
                timeout,
            ),
            programmes: PointReads::start(
                jobs,
                "postgres programme reads",
                kept.clone(),
                select_by_ids(programme::Entity),
                |m| &m.id,
                timeout,
            ),
            changes: PointReads::start(
                jobs,
                "postgres change reads",
                kept.clone(),
                change_read_sql("a.id = ANY($1)"),
                |m| &m.application.id,
                timeout,
            ),
        }
    }
}

/// The entity's select of every column, for the rows whose id is in `$1`.
fn select_by_ids<E: EntityTrait>(entity: E) -> String {
    let by_ids = Expr::cust(format!("\"{}\".\"id\" = ANY($1)", entity.table_name()));
    E::find().filter(by_ids).build(DbBackend::Postgres).sql
}
