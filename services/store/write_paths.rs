//! The short write paths of applications and what a change reads and
//! writes: a create in one statement (PostgreSQL) or in a group commit
//! (SQLite); the application, programme and institutions a change decides
//! on; and the statements its outcome writes.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, Iterable, ModelTrait, QueryFilter,
    QueryTrait, Statement,
};

use super::applications::{active, by_name, ids, to_domain, to_model};
use super::entity::{application as row, institution as irow, programme as prow};
use super::writes::Writes;
use super::{Db, OnlyRow, db_err};
use crate::domain::application::Application;
use crate::domain::event::NewEvent;
use crate::domain::ids::{ApplicationName, InstitutionName};
use crate::domain::lifecycle::{Outcome, Situation};
use crate::domain::{Error, Result};

/// What a change reads: the application, its programme, and the
/// institutions it names.
pub(super) type ForChange = (row::Model, prow::Model, Vec<irow::Model>);

/// What a change reads on PostgreSQL, as one row: the institutions as a
/// JSON array.
#[derive(Debug, Clone)]
pub(super) struct ChangeRead {
    pub(super) application: row::Model,
    programme: prow::Model,
    institutions: String,
}

impl sea_orm::FromQueryResult for ChangeRead {
    fn from_query_result(found: &sea_orm::QueryResult, _: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        Ok(Self {
            application: row::Model::from_query_result(found, "a_")?,
            programme: prow::Model::from_query_result(found, "p_")?,
            institutions: found.try_get("", "institutions")?,
        })
    }
}

impl ChangeRead {
    fn into_parts(self) -> Result<ForChange> {
        let institutions: Vec<irow::Model> = serde_json::from_str(&self.institutions)
            .map_err(|e| Error::internal(format!("institutions read for a change are invalid: {e}")))?;
        Ok((self.application, self.programme, institutions))
    }
}

/// On PostgreSQL, the query of what a change reads, for the applications
/// `condition` selects (`a` the application, `p` its programme).
pub(super) fn change_read_sql(condition: &str) -> String {
    use sea_orm::{IdenStatic, Iterable};
    let columns = |prefix: &str, names: Vec<&'static str>| {
        names
            .into_iter()
            .map(|c| format!("{prefix}.\"{c}\" AS {prefix}_{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "SELECT {}, {}, inst.rows::text AS institutions FROM application a \
         JOIN programme p ON p.id = a.programme_id \
         LEFT JOIN LATERAL (SELECT COALESCE(json_agg(i), '[]') AS rows FROM institution i \
         WHERE i.id = a.applicant_institution_id \
         OR i.id = ANY(string_to_array(a.partner_institution_ids, ','))) inst ON TRUE \
         WHERE {condition}",
        columns("a", row::Column::iter().map(|c| c.as_str()).collect()),
        columns("p", prow::Column::iter().map(|c| c.as_str()).collect()),
    )
}

/// The situation a change decides on, from what it read (without the
/// reviews, which only peer review reads).
pub(super) fn situation((current, programme, found): ForChange) -> Result<Situation> {
    let application = to_domain(current)?;
    let programme = super::programmes::to_domain(programme)?;
    let institutions = found
        .into_iter()
        .map(super::institutions::to_domain)
        .collect::<Result<Vec<_>>>()?;
    let lookup = |n: &InstitutionName| institutions.iter().find(|i| &i.name == n).cloned();
    Ok(Situation {
        applicant: lookup(&application.applicant),
        partners: application.partners.iter().map(|p| (p.clone(), lookup(p))).collect(),
        application,
        programme,
        reviews: Vec::new(),
    })
}

/// The columns `new` changes against `old`, set for an update of only
/// those: the update is guarded by the version `old` was read at, so the
/// other columns already hold what `new` has.
pub(super) fn changed(old: &Application, new: &Application) -> row::ActiveModel {
    let (old, new) = (to_model(old), to_model(new));
    let mut update = row::ActiveModel::from(new.clone());
    for column in row::Column::iter() {
        let value = new.get(column);
        if old.get(column) != value {
            update.set(column, value);
        }
    }
    update
}

impl Db {
    /// The writes of an outcome decided on `before`, in order: the
    /// application row (only the columns the change alters: `before` was
    /// read under the change's locks, so the others hold their values
    /// already, and the indexes of the columns it leaves alone are not
    /// rewritten), the programme, the review and the event. (A
    /// disbursement is inserted before them, on its own: its unique
    /// reference may refuse it.)
    pub(super) fn outcome_writes(
        &self,
        name: &ApplicationName,
        before: &Application,
        outcome: &Outcome,
        backend: DbBackend,
    ) -> Result<Writes> {
        let mut writes = Writes::default();
        // A review action may leave the row as it was.
        let update = changed(before, &outcome.application);
        if update.is_changed() {
            writes.push(
                row::Entity::update_many()
                    .set(update)
                    .filter(row::Column::Id.eq(name.id()))
                    .build(backend),
            );
        }
        if let Some(p) = &outcome.programme {
            writes.push(
                prow::Entity::update_many()
                    .set(super::programmes::to_row(p))
                    .filter(prow::Column::Id.eq(p.name.id()))
                    .build(backend),
            );
        }
        if let Some(review) = &outcome.review {
            writes.push(super::reviews::upsert_statement(review, backend));
        }
        if let Some(event) = &outcome.event {
            writes.push_event(super::events::event_statement(self, &outcome.application, event)?);
        }
        Ok(writes)
    }

    /// The application, its programme and the institutions it names, read
    /// under the locks the change took: the application's advisory lock
    /// (and the programme's when the change may change it). Every writer
    /// of an application or programme row takes that lock first, and each
    /// statement reads what was committed before it, so no row lock is
    /// needed. On PostgreSQL one query; on SQLite, which holds the write
    /// lock, three.
    pub(super) async fn read_for_change<C: ConnectionTrait>(
        &self,
        txn: &C,
        name: &ApplicationName,
    ) -> Result<Option<ForChange>> {
        self.read_for_change_on(txn, name, false).await
    }

    /// [`Db::read_for_change`] outside a transaction; on PostgreSQL on a
    /// kept connection when one is free.
    pub(super) async fn read_current(&self, name: &ApplicationName) -> Result<Option<ForChange>> {
        self.read_for_change_on(self.conn(), name, true).await
    }

    async fn read_for_change_on<C: ConnectionTrait>(
        &self,
        txn: &C,
        name: &ApplicationName,
        kept: bool,
    ) -> Result<Option<ForChange>> {
        use sea_orm::FromQueryResult;
        if self.is_postgres() {
            // Outside a transaction, read together with other changes'
            // reads (`point_reads`).
            if kept && let Some(found) = self.read_point(|points| &points.changes, name.id()).await {
                return found?
                    .filter(|read| read.application.programme_id == name.programme.id())
                    .map(ChangeRead::into_parts)
                    .transpose();
            }
            let query = Statement::from_sql_and_values(
                DbBackend::Postgres,
                change_read_sql("a.id = $1 AND a.programme_id = $2"),
                [name.id().into(), name.programme.id().into()],
            );
            let found = match kept {
                true => self.query_one_kept(query).await?,
                false => txn.query_one_raw(query).await.map_err(db_err)?,
            };
            return found
                .map(|found| ChangeRead::from_query_result(&found, "").map_err(db_err))
                .transpose()?
                .map(ChangeRead::into_parts)
                .transpose();
        }
        let Some(current) = by_name(name).only(txn).await.map_err(db_err)? else {
            return Ok(None);
        };
        let programme = prow::Entity::find_by_id(name.programme.id().to_owned())
            .only(txn)
            .await
            .map_err(db_err)?
            .ok_or_else(|| Error::internal("application without its programme"))?;
        let mut wanted: Vec<&str> = ids(&current.partner_institution_ids).collect();
        wanted.push(&current.applicant_institution_id);
        let found = irow::Entity::find()
            .filter(irow::Column::Id.is_in(wanted))
            .all(txn)
            .await
            .map_err(db_err)?;
        Ok(Some((current, programme, found)))
    }

    /// On PostgreSQL, a create without a request id is one statement (the
    /// row, and the event in a data-modifying CTE), atomic on its own: one
    /// round trip instead of BEGIN, two inserts and COMMIT.
    pub(super) async fn create_in_one_statement(
        &self,
        application: Application,
        event: &NewEvent,
    ) -> Result<Application> {
        let insert = row::Entity::insert(active(to_model(&application))).build(DbBackend::Postgres);
        let mut values = insert.values.map(|v| v.0).unwrap_or_default();
        let appended = super::events::event_statement_from(self, &application, event, values.len() + 1)?;
        values.extend(appended.values.map(|v| v.0).unwrap_or_default());
        let sql = format!("WITH created AS ({}) {}", insert.sql, appended.sql);
        let row = self
            .query_one_kept(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
            .await?;
        let seq = row.map(|r| r.try_get::<i64>("", "seq")).transpose().map_err(db_err)?;
        self.announce_append(seq);
        metrics::counter!("gba_grants_events_appended_total").increment(1);
        self.recent.wrote(&application, None);
        Ok(application)
    }

    /// On SQLite, a create without a request id joins a group commit:
    /// concurrent creates are written in one transaction (see
    /// `group_commit`), which writes each page of the log once per group
    /// rather than once per create.
    pub(super) async fn create_in_group(&self, application: Application, event: &NewEvent) -> Result<Application> {
        let insert = row::Entity::insert(active(to_model(&application))).build(DbBackend::Sqlite);
        let appended = super::events::event_statement(self, &application, event)?;
        let mut values = insert.values.map(|v| v.0).unwrap_or_default();
        values.extend(appended.values.map(|v| v.0).unwrap_or_default());
        let job = super::group_commit::Job::new(format!("{};\n{}", insert.sql, appended.sql), values);
        // The group-commit task has woken the tailer.
        self.group_commit(job).await?;
        metrics::counter!("gba_grants_events_appended_total").increment(1);
        Ok(application)
    }
}
