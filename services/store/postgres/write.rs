//! The one write path of applications on PostgreSQL: every create and
//! every change, with or without a request id, is written by one
//! statement that is atomic on its own ([`create_statement`],
//! [`change_statement`]). A request id only adds its record (with the
//! response kept for replays) to the same statement, as a plain insert:
//! a twin that committed first makes it fail whole on the record's key,
//! and the call then replays the twin's answer.
//!
//! A change decides on what it reads, then writes only if what it decided
//! on is still so:
//!
//! ```sql
//! WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock(1, hashtext($app))),
//!      w0 AS (UPDATE application SET … WHERE id = $app AND version = $read
//!             AND EXISTS (SELECT 1 FROM l) RETURNING 1),
//!      wi AS (INSERT INTO idempotency_record … SELECT … WHERE EXISTS (SELECT 1 FROM w0))
//! INSERT INTO application_event … SELECT … WHERE EXISTS (SELECT 1 FROM w0)
//! RETURNING seq
//! ```
//!
//! Every change of an application (and of a programme) raises its version,
//! and PostgreSQL re-checks an updated or locked row's condition against
//! its newest version, so a change that lost a race writes nothing. The
//! statement takes the application's advisory lock (and, for a change of
//! the programme's totals, the programme's, in that order) before it
//! writes, so it never lands inside a locked change.
//!
//! What it decides on comes, in order:
//!
//! 1. from what this process last saw (`recent`), with the programme's
//!    columns the change decides on compared in the statement as well
//!    (every column but its totals, [`programme::is_total`]);
//! 2. from a fresh read (read together with other calls' reads);
//! 3. after [`FRESH_ATTEMPTS`] lost races, and always under peer review
//!    (which decides on the reviews), under the locks: in a transaction
//!    that takes them first, reads, decides, and runs the same statement.
//!
//! A refusal decided on remembered rows is decided again on a fresh read.
//! Changes of one programme's totals on one replica wait for each other
//! at a gate, so each decides on what the one before it wrote.

use std::sync::Arc;

use sea_orm::sea_query::{
    Alias, CommonTableExpression, Expr, ExprTrait, InsertStatement, LockType, OnConflict, Query, ReturningClause,
    SimpleExpr, WithClause,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, Iterable,
    ModelTrait, QueryFilter, QueryTrait, Statement, TransactionTrait,
};

use super::situation::ChangeRead;
use super::state::Inner;
use crate::domain::application::Application;
use crate::domain::document::DocumentWrite;
use crate::domain::event::NewEvent;
use crate::domain::ids::ApplicationName;
use crate::domain::lifecycle::{Outcome, Situation};
use crate::domain::ports::{ApplicationChange, Changed, Decide, Idempotency};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};
use crate::store::faults::{constraint, db_err, is_unique_violation};
use crate::store::rows::idempotency::{self as record, ChangeResponse, Replay};
use crate::store::rows::{application, disbursement, document, from_json, programme, review, to_json};
use crate::store::shared::reads::{OnlyRow, duplicate_reference, payment_with_reference, reviews_of};

/// Fresh reads decided on before a change takes the locks.
const FRESH_ATTEMPTS: usize = 3;

/// The advisory lock classes: application and programme locks never
/// collide.
const APPLICATION_LOCK: i32 = 1;
const PROGRAMME_LOCK: i32 = 2;
const OBJECT_LOCK: i32 = 3;

/// The statement that takes the advisory lock of `id` in `class`.
pub(crate) fn lock_statement(class: i32, id: &str) -> Statement {
    Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        [class.into(), id.into()],
    )
}

pub(crate) fn programme_lock(id: &str) -> Statement {
    lock_statement(PROGRAMME_LOCK, id)
}

/// The lock of a document store's object, by SHA-256.
pub(crate) fn object_lock(sha256: &str) -> Statement {
    lock_statement(OBJECT_LOCK, sha256)
}

fn lock_expr(class: i32, id: &str) -> SimpleExpr {
    use sea_orm::sea_query::Func;
    Func::cust(Alias::new("pg_advisory_xact_lock"))
        .arg(Expr::val(class))
        .arg(Func::cust(Alias::new("hashtext")).arg(Expr::val(id)))
        .into()
}

/// `EXISTS (SELECT 1 FROM cte)`.
fn exists_in(cte: &str) -> SimpleExpr {
    Expr::exists(Query::select().expr(Expr::cust("1")).from(Alias::new(cte)).to_owned())
}

fn cte(
    name: &str,
    query: impl Into<sea_orm::sea_query::SubQueryStatement>,
    materialized: bool,
) -> CommonTableExpression {
    let mut cte = CommonTableExpression::new();
    cte.query(query).table_name(Alias::new(name));
    if materialized {
        cte.materialized(true);
    }
    cte
}

/// Every column of `model`'s entity, selected as values only `when` holds:
/// an insert of the row that writes only then.
fn insert_when<M: ModelTrait>(model: &M, when: SimpleExpr) -> Result<InsertStatement>
where
    <M::Entity as EntityTrait>::Column: Iterable,
{
    let columns: Vec<_> = <M::Entity as EntityTrait>::Column::iter().collect();
    let values: Vec<SimpleExpr> = columns.iter().map(|c| SimpleExpr::Value(model.get(*c))).collect();
    let mut insert = Query::insert();
    insert
        .into_table(<M::Entity as Default>::default())
        .columns(columns)
        .select_from(Query::select().exprs(values).and_where(when).to_owned())
        .map_err(|e| Error::internal(format!("a conditional insert: {e}")))?;
    Ok(insert)
}

/// The record of a request id, kept with the response, written only
/// `when` holds (a plain insert: a twin's record fails the statement).
fn record_when(idem: &Idempotency, resource: &str, response: String, when: SimpleExpr) -> Result<InsertStatement> {
    insert_when(&record::record(idem, resource, response, Timestamp::now()), when)
}

/// A create, with its event and the request id's record: one statement,
/// whose text is built once from the entities ([`CREATE_SQL`]) and whose
/// values are bound in column order (building it with the query builder on
/// every call was a tenth of the server's CPU a create, measured).
pub(crate) fn create_statement(
    offset: i64,
    application: &Application,
    event: &NewEvent,
    idem: Option<&Idempotency>,
) -> Result<Statement> {
    let model = application::to_model(application);
    let mut values: Vec<sea_orm::Value> = application::Column::iter().map(|c| model.get(c)).collect();
    if let Some(idem) = idem {
        let response = to_json("response", &model)?;
        let kept = record::record(idem, application.name.id(), response, Timestamp::now());
        values.extend(record::Column::iter().map(|c| kept.get(c)));
    }
    let row = crate::store::rows::event::new_row(application, event, Timestamp::now())?;
    values.push(offset.into());
    values.extend(
        event_columns()
            .filter(|c| !matches!(c, crate::store::rows::event::Column::Seq))
            .map(|c| row.get(c)),
    );
    let sql = &CREATE_SQL[usize::from(idem.is_some())];
    Ok(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql.as_str(),
        values,
    ))
}

fn event_columns() -> impl Iterator<Item = crate::store::rows::event::Column> {
    crate::store::rows::event::Column::iter()
}

/// The text of a create, without and with a request id's record: every
/// column of the application (`$1`…), of the record, then the offset of
/// event positions and every column of the event but its position (see
/// `log`).
static CREATE_SQL: std::sync::LazyLock<[String; 2]> =
    std::sync::LazyLock::new(|| [create_sql(false), create_sql(true)]);

fn create_sql(with_record: bool) -> String {
    use sea_orm::{EntityName, IdenStatic};
    use std::fmt::Write;
    fn columns<C: IdenStatic>(columns: impl Iterator<Item = C>) -> String {
        columns
            .map(|c| format!("\"{}\"", c.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
    let mut n = 0;
    let mut marks = |count: usize| {
        let marks: Vec<String> = (n + 1..=n + count).map(|i| format!("${i}")).collect();
        n += count;
        marks.join(", ")
    };
    let mut sql = format!(
        "WITH created AS (INSERT INTO \"{}\" ({}) VALUES ({}))",
        application::Entity.table_name(),
        columns(application::Column::iter()),
        marks(application::Column::iter().count()),
    );
    if with_record {
        let _ = write!(
            sql,
            ", kept AS (INSERT INTO \"{}\" ({}) VALUES ({}))",
            record::Entity.table_name(),
            columns(record::Column::iter()),
            marks(record::Column::iter().count()),
        );
    }
    let offset = marks(1);
    let mut values = Vec::new();
    for column in event_columns() {
        match column {
            crate::store::rows::event::Column::Seq => {
                values.push(format!("pg_current_xact_id()::text::bigint + {offset}::bigint"))
            }
            _ => values.push(marks(1)),
        }
    }
    let _ = write!(
        sql,
        " INSERT INTO \"{}\" ({}) VALUES ({}) RETURNING \"{}\"",
        crate::store::rows::event::Entity.table_name(),
        columns(event_columns()),
        values.join(", "),
        crate::store::rows::event::Column::Seq.as_str(),
    );
    sql
}

/// How sure a change is of what it decided on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// What this process last saw: the programme's columns are compared
    /// too.
    Remembered,
    /// Read just now, or under the locks.
    Current,
}

/// The statement that writes `outcome`, decided on `before`, only while
/// the rows decided on are as they were read; `idem` adds its record.
/// It returns one row (`seq`, or `written` without an event) when it
/// wrote, none when a row had changed.
fn change_statement(
    offset: i64,
    before: &Situation,
    outcome: &Outcome,
    read: Read,
    idem: Option<(&Idempotency, &str, String)>,
) -> Result<Statement> {
    let name = &before.application.name;
    let mut with = WithClause::new();
    let mut locks = Query::select();
    locks.expr(lock_expr(APPLICATION_LOCK, name.id()));
    if let Some(p) = &outcome.programme {
        locks.expr(lock_expr(PROGRAMME_LOCK, p.name.id()));
    }
    with.cte(cte("l", locks.to_owned(), true));
    // The application at the version decided on (and, for remembered
    // rows, the programme's columns decided on unchanged).
    let mut same = application::Column::Id
        .eq(name.id())
        .and(application::Column::Version.eq(before.application.version))
        .and(exists_in("l"));
    if read == Read::Remembered && outcome.programme.is_none() {
        same = same.and(programme_unchanged(&before.programme));
    }
    let update = application::changed(&before.application, &outcome.application);
    // The anchor: a row of it means every guard held and the writes go.
    let anchor = if let Some(p) = &outcome.programme {
        // The application locked while still the version read; the
        // programme updated while still the version read; the rest only
        // if it was.
        with.cte(locked_while(same));
        let mut totals = programme::Entity::update_many()
            .set(programme::to_row(p))
            .filter(programme::Column::Id.eq(p.name.id()))
            .filter(programme::Column::Version.eq(before.programme.version))
            .filter(exists_in("a0"))
            .into_query();
        totals.returning(ReturningClause::Exprs(vec![Expr::cust("1")]));
        with.cte(cte("wp", totals, false));
        if update.is_changed() {
            let mut w0 = application::Entity::update_many()
                .set(update)
                .filter(application::Column::Id.eq(name.id()))
                .filter(exists_in("wp"))
                .into_query();
            w0.returning(ReturningClause::Exprs(vec![Expr::cust("1")]));
            with.cte(cte("w0", w0, false));
        }
        "wp"
    } else if update.is_changed() {
        let mut w0 = application::Entity::update_many().set(update).filter(same).into_query();
        w0.returning(ReturningClause::Exprs(vec![Expr::cust("1")]));
        with.cte(cte("w0", w0, false));
        "w0"
    } else {
        // Nothing of the row changes (a review, a repeated action): the
        // row is locked at the version decided on.
        with.cte(locked_while(same));
        "a0"
    };
    if let Some(d) = &outcome.disbursement {
        with.cte(cte(
            "wd",
            insert_when(&disbursement::to_model(d), exists_in(anchor))?,
            false,
        ));
    }
    if let Some(r) = &outcome.review {
        let mut upsert = insert_when(&review::to_model(r), exists_in(anchor))?;
        upsert.on_conflict(
            OnConflict::column(review::Column::Id)
                .update_columns(review::Column::iter().filter(|c| !matches!(c, review::Column::Id)))
                .to_owned(),
        );
        with.cte(cte("wr", upsert, false));
    }
    match &outcome.document {
        Some(DocumentWrite::Add(d)) => {
            with.cte(cte(
                "wdoc",
                insert_when(&document::to_model(d), exists_in(anchor))?,
                false,
            ));
        }
        Some(DocumentWrite::Delete(d)) => {
            let mut delete = document::Entity::delete_many()
                .filter(document::Column::Id.eq(d.name.id()))
                .filter(exists_in(anchor))
                .into_query();
            delete.returning(ReturningClause::Exprs(vec![Expr::cust("1")]));
            with.cte(cte("wdoc", delete, false));
        }
        None => {}
    }
    if let Some((idem, claim, response)) = idem {
        with.cte(cte("wi", record_when(idem, claim, response, exists_in(anchor))?, false));
    }
    let last: sea_orm::sea_query::SubQueryStatement = match &outcome.event {
        Some(event) if !outcome.noop => {
            super::log::append(offset, &outcome.application, event, Some(exists_in(anchor)))?.into()
        }
        _ => Query::select()
            .expr_as(Expr::cust("1"), Alias::new("written"))
            .from(Alias::new(anchor))
            .to_owned()
            .into(),
    };
    Ok(DbBackend::Postgres.build(&with.query(last)))
}

/// `a0`: the application row, locked (`FOR UPDATE`, which re-checks the
/// newest version of the row) while `same` holds of it.
fn locked_while(same: SimpleExpr) -> CommonTableExpression {
    let mut locked = Query::select();
    locked
        .expr(Expr::cust("1"))
        .from(application::Entity)
        .cond_where(same)
        .lock(LockType::Update);
    cte("a0", locked.to_owned(), true)
}

/// Every column of the programme but its totals, as decided on.
fn programme_unchanged(p: &crate::domain::programme::Programme) -> SimpleExpr {
    let row = programme::to_model(p);
    let mut select = Query::select();
    select.expr(Expr::cust("1")).from(programme::Entity);
    for column in programme::Column::iter() {
        if programme::is_total(column) {
            continue;
        }
        let value = row.get(column);
        let condition = match is_null(&value) {
            true => Expr::col((programme::Entity, column)).is_null(),
            false => Expr::col((programme::Entity, column)).eq(value),
        };
        select.and_where(condition);
    }
    Expr::exists(select.to_owned())
}

fn is_null(value: &sea_orm::Value) -> bool {
    matches!(
        value,
        sea_orm::Value::String(None)
            | sea_orm::Value::BigInt(None)
            | sea_orm::Value::Int(None)
            | sea_orm::Value::Bool(None)
    )
}

/// How a guarded write ended.
enum Wrote {
    /// Written; the event's position, if it appended one.
    Yes(Option<i64>),
    /// A row decided on had changed: nothing was written.
    Stale,
    /// A twin with the same request id committed first: nothing written.
    Twin,
}

impl Inner {
    async fn run(&self, statement: Statement, event: bool) -> Result<Wrote> {
        use tracing::Instrument;
        let span = tracing::info_span!(target: crate::telemetry::TRACE, "postgresql.statement", db.system = "postgresql", db.operation = "write");
        let found = match self.sea.jitter {
            // Tests widen the window between the append and the commit.
            Some(_) if event => self.run_with_jitter(statement).await,
            _ => self.kept.query_one_raw(statement).instrument(span).await,
        };
        written(found, event)
    }

    async fn run_with_jitter(&self, statement: Statement) -> std::result::Result<Option<sea_orm::QueryResult>, DbErr> {
        let txn = self.sea.conn.begin().await?;
        let found = txn.query_one_raw(statement).await?;
        self.sea.jitter().await;
        txn.commit().await?;
        Ok(found)
    }

    /// Reads the record of `idem`, if the request id was used.
    async fn claimed(&self, idem: Option<&Idempotency>, on: &impl ConnectionTrait) -> Result<Option<Replay>> {
        let Some(idem) = idem else { return Ok(None) };
        let found = record::Entity::find_by_id((idem.caller.id().to_owned(), idem.request_id.clone()))
            .only(on)
            .await
            .map_err(db_err)?;
        found.map(|found| record::replay(found, idem)).transpose()
    }

    fn wrote(
        &self,
        application: &Application,
        programme: Option<&crate::domain::programme::Programme>,
        documents: Vec<crate::domain::document::DocumentSummary>,
        seq: Option<i64>,
    ) {
        if let Some(seq) = seq {
            self.announce(seq);
        }
        self.recent.wrote(application, programme, documents);
    }

    /// A create: one statement (the row, its event, the request id's
    /// record).
    pub(crate) async fn create(
        self: Arc<Self>,
        application: Application,
        event: NewEvent,
        idem: Option<Idempotency>,
    ) -> Result<Application> {
        let this = self.clone();
        self.sea
            .detached(async move {
                for _ in 0..2 {
                    if let Some(replay) = this.claimed(idem.as_ref(), &this.sea.conn).await? {
                        return this.replayed_create(replay).await;
                    }
                    let statement = create_statement(this.offset, &application, &event, idem.as_ref())?;
                    match this.run(statement, true).await? {
                        Wrote::Yes(seq) => {
                            this.wrote(&application, None, Vec::new(), seq);
                            return Ok(application);
                        }
                        Wrote::Twin => continue,
                        Wrote::Stale => return Err(Error::internal("a create wrote nothing")),
                    }
                }
                Err(Error::internal("a request id was claimed twice without a record"))
            })
            .await
    }

    async fn replayed_create(&self, replay: Replay) -> Result<Application> {
        let row: application::Model = match replay.response {
            Some(text) => from_json("response", &text)?,
            None => self
                .kept
                .find(application::Entity::find_by_id(replay.resource))
                .await?
                .ok_or_else(|| Error::internal("replayed application is missing"))?,
        };
        application::to_domain(row)
    }

    /// A change (see the module's documentation).
    pub(crate) async fn change(
        self: Arc<Self>,
        name: ApplicationName,
        idem: Option<Idempotency>,
        claim: String,
        changes_programme: bool,
        change: ApplicationChange,
    ) -> Result<Changed> {
        let this = self.clone();
        self.sea
            .detached(async move {
                // Changes of a programme's totals on this replica wait for
                // each other; a gate not had within the database timeout
                // (the one before is stuck in an outage, say) is gone
                // without: the versions decide.
                let _gate = match changes_programme {
                    true => tokio::time::timeout(this.sea.timeout, this.gates.of(name.programme.id()).lock())
                        .await
                        .ok(),
                    false => None,
                };
                this.change_now(&name, idem.as_ref(), &claim, changes_programme, &*change)
                    .await
            })
            .await
    }

    async fn change_now(
        &self,
        name: &ApplicationName,
        idem: Option<&Idempotency>,
        claim: &str,
        changes_programme: bool,
        change: Decide<'_>,
    ) -> Result<Changed> {
        if let Some(replay) = self.claimed(idem, &self.sea.conn).await? {
            return self.replayed_change(name, replay).await;
        }
        if let Some(seen) = self.recent.situation(name)
            && seen.programme.review.is_none()
        {
            match self
                .attempt(&seen, Read::Remembered, changes_programme, change, idem, claim)
                .await?
            {
                Attempt::Done(changed) => return Ok(changed),
                Attempt::Refused(_) | Attempt::Stale => self.recent.forget(name),
                Attempt::Twin => return self.replay_twin(name, idem).await,
            }
        }
        for _ in 0..FRESH_ATTEMPTS {
            // A read that fails (a connection the server dropped, say) is
            // left to the locked path, which reports what it finds.
            let Ok(read) = self.read_current(name).await else { break };
            let Some(situation) = read else {
                return Ok(Changed::Missing);
            };
            self.recent.read(&situation);
            if situation.programme.review.is_some() {
                break;
            }
            match self
                .attempt(&situation, Read::Current, changes_programme, change, idem, claim)
                .await?
            {
                Attempt::Done(changed) => return Ok(changed),
                Attempt::Refused(err) => return Err(err),
                Attempt::Stale => self.recent.forget(name),
                Attempt::Twin => return self.replay_twin(name, idem).await,
            }
        }
        self.change_locked(name, idem, claim, changes_programme, change).await
    }

    /// What a change reads, outside a transaction: read together with
    /// other calls' reads.
    async fn read_current(&self, name: &ApplicationName) -> Result<Option<Situation>> {
        let found = match self.points.changes.get(name.id()).await {
            Some(found) => found?,
            None => {
                let query = Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    super::situation::change_read_sql("a.id = $1"),
                    [name.id().into()],
                );
                self.kept
                    .query_one(query)
                    .await?
                    .map(|row| ChangeRead::from_query_result(&row, "").map_err(db_err))
                    .transpose()?
            }
        };
        found
            .filter(|read| read.application.programme_id == name.programme.id())
            .map(ChangeRead::into_situation)
            .transpose()
    }

    /// Decides on `situation` and writes if what it decided on is still
    /// so.
    async fn attempt(
        &self,
        situation: &Situation,
        read: Read,
        changes_programme: bool,
        change: Decide<'_>,
        idem: Option<&Idempotency>,
        claim: &str,
    ) -> Result<Attempt> {
        let decided = tracing::info_span!(target: crate::telemetry::TRACE, "decide").in_scope(|| change(situation));
        let outcome = match decided {
            Ok(outcome) => outcome,
            Err(err) => return Ok(Attempt::Refused(err)),
        };
        if outcome.programme.is_some() && !changes_programme {
            return Err(Error::internal(
                "a change of an application changed its programme without locking it",
            ));
        }
        if outcome.noop && idem.is_none() {
            return Ok(Attempt::Done(Changed::Applied(Box::new(outcome))));
        }
        let kept = idem
            .map(|idem| Ok::<_, Error>((idem, claim, to_json("response", &ChangeResponse::of(&outcome))?)))
            .transpose()?;
        let statement = change_statement(self.offset, situation, &outcome, read, kept)?;
        let event = outcome.event.is_some() && !outcome.noop;
        match self.run(statement, event).await {
            Ok(Wrote::Yes(seq)) => {
                self.wrote(
                    &outcome.application,
                    outcome.programme.as_ref(),
                    outcome.documents_after(&situation.documents),
                    seq,
                );
                Ok(Attempt::Done(Changed::Applied(Box::new(outcome))))
            }
            Ok(Wrote::Stale) => Ok(Attempt::Stale),
            Ok(Wrote::Twin) => Ok(Attempt::Twin),
            // The payment's reference was taken meanwhile: named with the
            // payment that took it.
            Err(err @ Error::AlreadyExists { .. }) => match &outcome.disbursement {
                Some(d) => Err(self.duplicate_reference(d).await),
                None => Err(err),
            },
            Err(err) => Err(err),
        }
    }

    /// Under the locks, in a transaction: read, decide, and the same
    /// statement.
    async fn change_locked(
        &self,
        name: &ApplicationName,
        idem: Option<&Idempotency>,
        claim: &str,
        changes_programme: bool,
        change: Decide<'_>,
    ) -> Result<Changed> {
        let txn = self.sea.conn.begin().await.map_err(db_err)?;
        // The application's lock, then (for a change of the totals) the
        // programme's: the order every writer takes them in.
        txn.execute_raw(lock_statement(APPLICATION_LOCK, name.id()))
            .await
            .map_err(db_err)?;
        if changes_programme {
            txn.execute_raw(lock_statement(PROGRAMME_LOCK, name.programme.id()))
                .await
                .map_err(db_err)?;
        }
        if let Some(replay) = self.claimed(idem, &txn).await? {
            drop(txn);
            return self.replayed_change(name, replay).await;
        }
        let query = Statement::from_sql_and_values(
            DbBackend::Postgres,
            super::situation::change_read_sql("a.id = $1 AND a.programme_id = $2"),
            [name.id().into(), name.programme.id().into()],
        );
        let Some(found) = txn.query_one_raw(query).await.map_err(db_err)? else {
            return Ok(Changed::Missing);
        };
        let mut situation = ChangeRead::from_query_result(&found, "")
            .map_err(db_err)?
            .into_situation()?;
        if situation.programme.review.is_some() {
            situation.reviews = reviews_of(name)
                .all(&txn)
                .await
                .map_err(db_err)?
                .into_iter()
                .map(review::to_domain)
                .collect::<Result<_>>()?;
        }
        let outcome = tracing::info_span!(target: crate::telemetry::TRACE, "decide").in_scope(|| change(&situation))?;
        if outcome.programme.is_some() && !changes_programme {
            return Err(Error::internal(
                "a change of an application changed its programme without locking it",
            ));
        }
        if outcome.noop && idem.is_none() {
            return Ok(Changed::Applied(Box::new(outcome)));
        }
        if let Some(d) = &outcome.disbursement
            && let Some(earlier) = payment_with_reference(&d.name.application.programme, &d.reference)
                .only(&txn)
                .await
                .map_err(db_err)?
        {
            return Err(duplicate_reference(d, &earlier));
        }
        let kept = idem
            .map(|idem| Ok::<_, Error>((idem, claim, to_json("response", &ChangeResponse::of(&outcome))?)))
            .transpose()?;
        let statement = change_statement(self.offset, &situation, &outcome, Read::Current, kept)?;
        let event = outcome.event.is_some() && !outcome.noop;
        let found = txn.query_one_raw(statement).await;
        let seq = match written(found, event)? {
            Wrote::Yes(seq) => seq,
            Wrote::Stale => return Err(Error::internal("a change under its locks found its rows changed")),
            Wrote::Twin => return Err(Error::internal("a request id was claimed under its locks")),
        };
        if event {
            self.sea.jitter().await;
        }
        txn.commit().await.map_err(db_err)?;
        self.wrote(
            &outcome.application,
            outcome.programme.as_ref(),
            outcome.documents_after(&situation.documents),
            seq,
        );
        Ok(Changed::Applied(Box::new(outcome)))
    }

    /// A twin with the same request id committed first: its answer.
    async fn replay_twin(&self, name: &ApplicationName, idem: Option<&Idempotency>) -> Result<Changed> {
        match self.claimed(idem, &self.sea.conn).await? {
            Some(replay) => self.replayed_change(name, replay).await,
            None => Err(Error::internal("a request id's record vanished")),
        }
    }

    /// The first response of a replayed change, or for a record written
    /// before responses were kept, the application (and payment) now.
    async fn replayed_change(&self, name: &ApplicationName, replay: Replay) -> Result<Changed> {
        if let Some(text) = replay.response {
            return ChangeResponse::replayed(&text);
        }
        let Some(row) = self
            .kept
            .find(
                application::Entity::find_by_id(name.id().to_owned())
                    .filter(application::Column::ProgrammeId.eq(name.programme.id())),
            )
            .await?
        else {
            return Ok(Changed::Missing);
        };
        let application = application::to_domain(row)?;
        let disbursement = match replay.resource.rsplit_once("/disbursements/") {
            Some((_, id)) => self
                .kept
                .find(disbursement::Entity::find_by_id(id.to_owned()))
                .await?
                .map(|d| disbursement::to_domain(d, &application))
                .transpose()?,
            None => None,
        };
        Ok(Changed::Replayed {
            application: Box::new(application),
            disbursement: disbursement.map(Box::new),
            review: None,
            review_label: None,
            document: None,
        })
    }

    /// The error for a payment reference a concurrent payment took.
    async fn duplicate_reference(&self, d: &crate::domain::event::Disbursement) -> Error {
        let earlier = payment_with_reference(&d.name.application.programme, &d.reference)
            .only(&self.sea.conn)
            .await;
        match earlier {
            Ok(Some(earlier)) => duplicate_reference(d, &earlier),
            Ok(None) => Error::internal("unique payment reference violated, but no earlier payment found"),
            Err(err) => db_err(err),
        }
    }
}

/// How an attempt on what was read ended.
enum Attempt {
    Done(Changed),
    /// Refused by the change itself.
    Refused(Error),
    /// A row changed since it was read: nothing was written.
    Stale,
    /// A twin with the same request id committed first.
    Twin,
}

/// What a guarded statement's answer means.
fn written(found: std::result::Result<Option<sea_orm::QueryResult>, DbErr>, event: bool) -> Result<Wrote> {
    match found {
        Ok(Some(row)) if event => Ok(Wrote::Yes(Some(row.try_get::<i64>("", "seq").map_err(db_err)?))),
        Ok(Some(_)) => Ok(Wrote::Yes(None)),
        Ok(None) => Ok(Wrote::Stale),
        Err(err) if is_unique_violation(&err) => match constraint(&err).as_deref() {
            Some("idempotency_record_pkey") => Ok(Wrote::Twin),
            Some("disbursement_reference") => Err(Error::AlreadyExists {
                reason: crate::domain::Reason::DuplicatePaymentReference,
                message: "disbursement.reference: this payment reference was just recorded in this programme".into(),
            }),
            _ => Err(db_err(err)),
        },
        Err(err) => Err(db_err(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every programme column is compared for remembered rows but the
    /// totals, which the changes that leave the programme alone must not
    /// decide on (`tests/guards.rs` checks the lifecycle against that).
    #[test]
    fn remembered_rows_compare_every_programme_column_but_the_totals() {
        let compared: Vec<&str> = programme::Column::iter()
            .filter(|c| !programme::is_total(*c))
            .map(|c| sea_orm::IdenStatic::as_str(&c))
            .collect();
        let all = crate::store::rows::columns::<programme::Entity>();
        assert_eq!(compared.len() + 4, all.len());
        assert!(compared.contains(&"max_award_minor") && compared.contains(&"review_settings"));
    }
}
