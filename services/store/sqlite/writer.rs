//! The one write path of applications on SQLite: every create and every
//! change, with or without a request id, is a piece of work for one
//! writer, which owns the process's read-write connection.
//!
//! The writer takes the work waiting (up to [`MAX_GROUP`]) and does it in
//! one `BEGIN IMMEDIATE` … `COMMIT`, each piece in a savepoint of its
//! own: it reads what the piece decides on (on the writer's connection,
//! so it sees the pieces before it), claims the request id (a record
//! found is replayed, nothing written), lets the domain decide, and
//! writes the outcome with its event and the request id's record. A
//! piece the domain refuses is rolled back to its savepoint alone; the
//! others commit. The log then writes each page once per group, not once
//! per piece, and the positions of events follow statement order, which
//! is commit order. Answers go out only after the commit: an OK is
//! durable.
//!
//! The writer holds the writer pool's one connection while it writes (the
//! process's write token), so the writes of the shared pools (keys,
//! programmes) queue in process instead of sleeping in SQLite's busy
//! handler. It runs each group on a blocking thread; a caller that goes
//! away does not stop its piece.

use std::time::Duration;

use rusqlite::Connection;
use sea_orm::sqlx::{self, Sqlite};
use sea_orm::{ActiveModelTrait, ActiveValue, ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::sql::{self, sqlite_err};
use crate::domain::application::Application;
use crate::domain::document::DocumentWrite;
use crate::domain::event::NewEvent;
use crate::domain::ids::ApplicationName;
use crate::domain::lifecycle::{Outcome, Situation};
use crate::domain::ports::{ApplicationChange, Changed, Idempotency};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Reason, Result};
use crate::jobs::Jobs;
use crate::store::rows::idempotency::{self as record, ChangeResponse, Replay};
use crate::store::rows::{
    application, disbursement, document, event, from_json, institution, programme, review, to_json,
};
use crate::store::shared::Sea;
use crate::store::shared::reads::{payment_with_reference, reviews_of};

/// Pieces of work done in one transaction at most.
const MAX_GROUP: usize = 64;

/// Prepared statements the writer's connection keeps (rusqlite's default
/// is 16; a group's pieces use more than that between them: the reads,
/// an update for each set of columns a transition alters, the inserts).
const STATEMENTS_KEPT: usize = 128;

/// A piece of work and who waits for its answer.
enum Work {
    Create {
        application: Box<Application>,
        event: Box<NewEvent>,
        idem: Option<Idempotency>,
        done: oneshot::Sender<Result<Application>>,
        /// The call's span: the piece's spans go under it.
        span: tracing::Span,
    },
    Change {
        name: ApplicationName,
        idem: Option<Idempotency>,
        claim: String,
        changes_programme: bool,
        change: ApplicationChange,
        done: oneshot::Sender<Result<Changed>>,
        span: tracing::Span,
    },
}

/// A piece's answer, sent once its group committed.
enum Answer {
    Created(oneshot::Sender<Result<Application>>, Result<Box<Application>>),
    Changed(oneshot::Sender<Result<Changed>>, Result<Changed>),
}

impl Answer {
    fn is_ok(&self) -> bool {
        match self {
            Answer::Created(_, r) => r.is_ok(),
            Answer::Changed(_, r) => r.is_ok(),
        }
    }

    /// The group did not commit: the piece failed with it.
    fn failed(self, err: &Error) -> Self {
        match self {
            Answer::Created(done, Ok(_)) => Answer::Created(done, Err(err.clone())),
            Answer::Changed(done, Ok(_)) => Answer::Changed(done, Err(err.clone())),
            refused => refused,
        }
    }

    fn send(self) {
        // A caller that went away needs no answer.
        match self {
            Answer::Created(done, r) => drop(done.send(r.map(|a| *a))),
            Answer::Changed(done, r) => drop(done.send(r)),
        }
    }
}

/// The writer's queue.
pub(crate) struct Writer {
    queue: mpsc::Sender<Work>,
}

/// What the writer writes with.
struct State {
    /// The writer pool, held as the write token.
    token: sqlx::Pool<Sqlite>,
    path: String,
    timeout: Duration,
    jitter: Option<Duration>,
    /// Opened on first use; closed (and opened again) after a failure
    /// that may have left it inside a transaction.
    conn: Option<Connection>,
}

fn shutting_down() -> Error {
    Error::Unavailable {
        reason: Reason::ShuttingDown,
        message: "the server is shutting down; the write was not made; retry elsewhere".into(),
    }
}

impl Writer {
    /// Starts the writer of the SQLite file at `path` as a job.
    pub(crate) fn start(jobs: &Jobs, token: sqlx::Pool<Sqlite>, path: String, sea: std::sync::Arc<Sea>) -> Self {
        let (queue, rx) = mpsc::channel(4 * MAX_GROUP);
        let state = State {
            token,
            path,
            timeout: sea.timeout,
            jitter: sea.jitter,
            conn: None,
        };
        jobs.spawn("sqlite writer", move |stop| run(state, rx, sea, stop));
        Self { queue }
    }

    async fn submit<T>(&self, work: Work, answer: oneshot::Receiver<Result<T>>) -> Result<T> {
        self.queue.send(work).await.map_err(|_| shutting_down())?;
        answer.await.map_err(|_| shutting_down())?
    }

    pub(crate) async fn create(
        &self,
        application: Application,
        event: NewEvent,
        idem: Option<Idempotency>,
    ) -> Result<Application> {
        let (done, answer) = oneshot::channel();
        let work = Work::Create {
            application: Box::new(application),
            event: Box::new(event),
            idem,
            done,
            span: tracing::Span::current(),
        };
        self.submit(work, answer).await
    }

    pub(crate) async fn change(
        &self,
        name: &ApplicationName,
        idem: Option<Idempotency>,
        claim: &str,
        changes_programme: bool,
        change: ApplicationChange,
    ) -> Result<Changed> {
        let (done, answer) = oneshot::channel();
        let work = Work::Change {
            name: name.clone(),
            idem,
            claim: claim.to_owned(),
            changes_programme,
            change,
            done,
            span: tracing::Span::current(),
        };
        self.submit(work, answer).await
    }
}

async fn run(mut state: State, mut rx: mpsc::Receiver<Work>, sea: std::sync::Arc<Sea>, stop: CancellationToken) {
    loop {
        let first = tokio::select! {
            biased;
            () = stop.cancelled() => break,
            work = rx.recv() => match work {
                Some(work) => work,
                None => break,
            },
        };
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(work) => group.push(work),
                Err(_) => break,
            }
        }
        let token = match tokio::time::timeout(state.timeout, state.token.acquire()).await {
            Ok(Ok(token)) => token,
            _ => {
                let busy = Error::Unavailable {
                    reason: Reason::StorageUnavailable,
                    message: "the database is busy; retry".into(),
                };
                for work in group {
                    refuse(work, &busy);
                }
                continue;
            }
        };
        let conn = state.conn.take();
        let (path, timeout, jitter) = (state.path.clone(), state.timeout, state.jitter);
        let done = tokio::task::spawn_blocking(move || write_group(conn, &path, timeout, jitter, group)).await;
        drop(token);
        let (conn, answers, events) = match done {
            Ok(done) => done,
            Err(err) => {
                tracing::error!(%err, "the SQLite writer's group did not finish");
                continue;
            }
        };
        state.conn = conn;
        sea.appended(events);
        for answer in answers {
            answer.send();
        }
    }
    // What is still queued is answered: the server is going away.
    rx.close();
    while let Ok(work) = rx.try_recv() {
        refuse(work, &shutting_down());
    }
}

fn refuse(work: Work, err: &Error) {
    match work {
        Work::Create { done, .. } => drop(done.send(Err(err.clone()))),
        Work::Change { done, .. } => drop(done.send(Err(err.clone()))),
    }
}

const TRACE: &str = crate::telemetry::TRACE;

/// The writer's read-write connection, set up as the pools' are.
fn open(path: &str, timeout: Duration) -> rusqlite::Result<Connection> {
    let conn = super::checkpoint::read_write(path, timeout)?;
    // Each piece of a group runs in a savepoint, whose sub-journal keeps a
    // copy of every page the piece first touches: in memory, not in a
    // temporary file (measured: the file's writes were a quarter of the
    // server's CPU on a create).
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY")?;
    conn.pragma_update(None, "wal_autocheckpoint", super::checkpoint::BACKSTOP_PAGES)?;
    conn.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
    Ok(conn)
}

/// Does `group` in one transaction (blocking). Returns the connection if
/// it is clean to keep, the answers, and how many events committed.
fn write_group(
    conn: Option<Connection>,
    path: &str,
    timeout: Duration,
    jitter: Option<Duration>,
    group: Vec<Work>,
) -> (Option<Connection>, Vec<Answer>, u64) {
    let began = conn
        .map_or_else(|| open(path, timeout), Ok)
        .and_then(|conn| conn.execute_batch("BEGIN IMMEDIATE").map(|()| conn));
    let conn = match began {
        Ok(conn) => conn,
        Err(err) => {
            let err = sqlite_err(err);
            let answers = group.into_iter().map(|w| unanswered(w, &err)).collect();
            return (None, answers, 0);
        }
    };
    let mut answers = Vec::with_capacity(group.len());
    let mut events = 0;
    let mut broken = None;
    for work in group {
        if let Some(err) = &broken {
            answers.push(unanswered(work, err));
            continue;
        }
        let (answer, appended) = match conn.execute_batch("SAVEPOINT piece") {
            Ok(()) => piece(&conn, work),
            Err(err) => {
                let err = sqlite_err(err);
                answers.push(unanswered(work, &err));
                broken = Some(err);
                continue;
            }
        };
        let ended = if answer.is_ok() {
            conn.execute_batch("RELEASE piece")
        } else {
            conn.execute_batch("ROLLBACK TO piece; RELEASE piece")
        };
        if let Err(err) = ended {
            broken = Some(sqlite_err(err));
        } else if answer.is_ok() && appended {
            events += 1;
        }
        answers.push(answer);
    }
    let committed = match broken {
        Some(err) => Err(err),
        None => {
            if let (Some(max), true) = (jitter, events > 0) {
                let micros = rand::random_range(0..=u64::try_from(max.as_micros()).unwrap_or(u64::MAX));
                std::thread::sleep(Duration::from_micros(micros));
            }
            conn.execute_batch("COMMIT").map_err(sqlite_err)
        }
    };
    match committed {
        Ok(()) => (Some(conn), answers, events),
        Err(err) => {
            tracing::warn!(%err, "a group of writes failed and was rolled back");
            let clean = conn.execute_batch("ROLLBACK").is_ok() && conn.is_autocommit();
            let answers = answers.into_iter().map(|a| a.failed(&err)).collect();
            // Closing the connection rolls back whatever it holds.
            (clean.then_some(conn), answers, 0)
        }
    }
}

fn unanswered(work: Work, err: &Error) -> Answer {
    match work {
        Work::Create { done, .. } => Answer::Created(done, Err(err.clone())),
        Work::Change { done, .. } => Answer::Changed(done, Err(err.clone())),
    }
}

/// One piece, in its savepoint: its answer, and whether it appended an
/// event.
fn piece(conn: &Connection, work: Work) -> (Answer, bool) {
    match work {
        Work::Create {
            application,
            event,
            idem,
            done,
            span,
        } => {
            let _in = tracing::info_span!(target: TRACE, parent: &span, "sqlite.write", db.system = "sqlite", db.operation = "create")
                .entered();
            let result = create(conn, *application, &event, idem.as_ref());
            let appended = matches!(result, Ok((_, true)));
            (Answer::Created(done, result.map(|(a, _)| Box::new(a))), appended)
        }
        Work::Change {
            name,
            idem,
            claim,
            changes_programme,
            change,
            done,
            span,
        } => {
            let _in = tracing::info_span!(target: TRACE, parent: &span, "sqlite.write", db.system = "sqlite", db.operation = "change")
                .entered();
            let result = change_one(conn, &name, idem.as_ref(), &claim, changes_programme, &*change);
            let appended = matches!(&result, Ok((_, true)));
            (Answer::Changed(done, result.map(|(c, _)| c)), appended)
        }
    }
}

/// The record of `idem`, if the request id was used.
fn claimed(conn: &Connection, idem: Option<&Idempotency>) -> Result<Option<Replay>> {
    let Some(idem) = idem else { return Ok(None) };
    let found: Option<record::Model> =
        sql::point(conn, &sql::RECORD, [idem.caller.id(), idem.request_id.as_str()]).map_err(sqlite_err)?;
    found.map(|found| record::replay(found, idem)).transpose()
}

fn keep(conn: &Connection, idem: Option<&Idempotency>, resource: &str, response: String) -> Result<()> {
    let Some(idem) = idem else { return Ok(()) };
    let row = record::record(idem, resource, response, Timestamp::now());
    let insert = record::Entity::insert(record::ActiveModel::from(row).reset_all()).build(DbBackend::Sqlite);
    sql::execute(conn, &insert).map_err(sqlite_err)?;
    Ok(())
}

fn event_insert(application: &Application, event: &NewEvent) -> Result<sea_orm::Statement> {
    let mut row = event::ActiveModel::from(event::new_row(application, event, Timestamp::now())?).reset_all();
    // The position is SQLite's to give (AUTOINCREMENT, in commit order).
    row.seq = ActiveValue::NotSet;
    Ok(event::Entity::insert(row).build(DbBackend::Sqlite))
}

/// A create: the application, its creation event and the request id's
/// record; or the first call's answer.
fn create(
    conn: &Connection,
    application: Application,
    event: &NewEvent,
    idem: Option<&Idempotency>,
) -> Result<(Application, bool)> {
    if let Some(Replay { resource, response }) = claimed(conn, idem)? {
        let row: application::Model = match response {
            Some(text) => from_json("response", &text)?,
            None => {
                let query = application::Entity::find_by_id(resource);
                sql::row(conn, &sql::select(query, None))
                    .map_err(sqlite_err)?
                    .ok_or_else(|| Error::internal("replayed application is missing"))?
            }
        };
        return Ok((application::to_domain(row)?, false));
    }
    let model = application::to_model(&application);
    let insert = application::Entity::insert(application::insert(&application)).build(DbBackend::Sqlite);
    sql::execute(conn, &insert).map_err(sqlite_err)?;
    sql::execute(conn, &event_insert(&application, event)?).map_err(sqlite_err)?;
    keep(conn, idem, application.name.id(), to_json("response", &model)?)?;
    Ok((application, true))
}

/// What a change decides on, read on the writer's connection (inside the
/// group's transaction, which holds the database's write lock): the
/// application, its programme, the institutions it names, and under peer
/// review its reviews.
fn situation(conn: &Connection, name: &ApplicationName) -> Result<Option<Situation>> {
    let app = sql::point(conn, &sql::APPLICATION, [name.id(), name.programme.id()]).map_err(sqlite_err)?;
    let Some(app): Option<application::Model> = app else {
        return Ok(None);
    };
    let owner: programme::Model = sql::point(conn, &sql::PROGRAMME, [name.programme.id()])
        .map_err(sqlite_err)?
        .ok_or_else(|| Error::internal("an application without its programme"))?;
    let named = institution::Entity::find()
        .filter(institution::Column::Id.is_in(application::institutions_named(&app).into_iter().map(str::to_owned)));
    let named: Vec<institution::Model> = sql::rows(conn, &sql::select(named, None)).map_err(sqlite_err)?;
    let documents: Vec<document::Model> = sql::points(conn, &sql::DOCUMENTS, [name.id()]).map_err(sqlite_err)?;
    let mut situation = crate::store::shared::situation(app, owner, named, &documents)?;
    if situation.programme.review.is_some() {
        let reviews: Vec<review::Model> = sql::rows(conn, &sql::select(reviews_of(name), None)).map_err(sqlite_err)?;
        situation.reviews = reviews.into_iter().map(review::to_domain).collect::<Result<_>>()?;
    }
    Ok(Some(situation))
}

/// A change: decided on what it reads, written with its event and the
/// request id's record; or the first call's answer.
fn change_one(
    conn: &Connection,
    name: &ApplicationName,
    idem: Option<&Idempotency>,
    claim: &str,
    changes_programme: bool,
    change: crate::domain::ports::Decide<'_>,
) -> Result<(Changed, bool)> {
    if let Some(Replay { resource, response }) = claimed(conn, idem)? {
        let replayed = match response {
            Some(text) => ChangeResponse::replayed(&text)?,
            None => replay_as_now(conn, name, &resource)?,
        };
        return Ok((replayed, false));
    }
    let Some(situation) = situation(conn, name)? else {
        return Ok((Changed::Missing, false));
    };
    let outcome = tracing::info_span!(target: TRACE, "decide").in_scope(|| change(&situation))?;
    if outcome.programme.is_some() && !changes_programme {
        return Err(Error::internal(
            "a change of an application changed its programme without locking it",
        ));
    }
    let response = to_json("response", &ChangeResponse::of(&outcome))?;
    if !outcome.noop {
        for statement in writes(conn, &situation.application, &outcome)? {
            sql::execute(conn, &statement).map_err(sqlite_err)?;
        }
    }
    keep(conn, idem, claim, response)?;
    let appended = outcome.event.is_some() && !outcome.noop;
    Ok((Changed::Applied(Box::new(outcome)), appended))
}

/// The statements an outcome decided on `before` writes, in order: the
/// payment (its reference is unique in the programme), the application
/// (only the columns it alters), the programme, the review and the event.
fn writes(conn: &Connection, before: &Application, outcome: &Outcome) -> Result<Vec<sea_orm::Statement>> {
    let mut writes = Vec::new();
    if let Some(d) = &outcome.disbursement {
        let earlier = payment_with_reference(&d.name.application.programme, &d.reference);
        let earlier: Option<disbursement::Model> = sql::row(conn, &sql::select(earlier, None)).map_err(sqlite_err)?;
        if let Some(earlier) = earlier {
            return Err(crate::store::shared::reads::duplicate_reference(d, &earlier));
        }
        let row = disbursement::ActiveModel::from(disbursement::to_model(d)).reset_all();
        writes.push(disbursement::Entity::insert(row).build(DbBackend::Sqlite));
    }
    let update = application::changed(before, &outcome.application);
    if update.is_changed() {
        writes.push(
            application::Entity::update_many()
                .set(update)
                .filter(application::Column::Id.eq(before.name.id()))
                .build(DbBackend::Sqlite),
        );
    }
    if let Some(p) = &outcome.programme {
        writes.push(
            programme::Entity::update_many()
                .set(programme::to_row(p))
                .filter(programme::Column::Id.eq(p.name.id()))
                .build(DbBackend::Sqlite),
        );
    }
    if let Some(r) = &outcome.review {
        writes.push(review::upsert(r, DbBackend::Sqlite));
    }
    match &outcome.document {
        Some(DocumentWrite::Add(d)) => {
            let row = document::ActiveModel::from(document::to_model(d)).reset_all();
            writes.push(document::Entity::insert(row).build(DbBackend::Sqlite));
        }
        Some(DocumentWrite::Delete(d)) => writes.push(
            document::Entity::delete_many()
                .filter(document::Column::Id.eq(d.name.id()))
                .build(DbBackend::Sqlite),
        ),
        None => {}
    }
    if let Some(e) = &outcome.event {
        writes.push(event_insert(&outcome.application, e)?);
    }
    Ok(writes)
}

/// The replay of a record written before responses were kept: the
/// application (and payment) as they are now.
fn replay_as_now(conn: &Connection, name: &ApplicationName, resource: &str) -> Result<Changed> {
    let app = application::Entity::find_by_id(name.id().to_owned())
        .filter(application::Column::ProgrammeId.eq(name.programme.id()));
    let Some(app): Option<application::Model> = sql::row(conn, &sql::select(app, None)).map_err(sqlite_err)? else {
        return Ok(Changed::Missing);
    };
    let app = application::to_domain(app)?;
    let disbursement = match resource.rsplit_once("/disbursements/") {
        Some((_, id)) => {
            let query = disbursement::Entity::find_by_id(id.to_owned());
            let found: Option<disbursement::Model> = sql::row(conn, &sql::select(query, None)).map_err(sqlite_err)?;
            found.map(|d| disbursement::to_domain(d, &app)).transpose()?
        }
        None => None,
    };
    Ok(Changed::Replayed {
        application: Box::new(app),
        disbursement: disbursement.map(Box::new),
        review: None,
        review_label: None,
        document: None,
    })
}
