//! PostgreSQL: a change in two round trips instead of five. The locked path (BEGIN, the advisory lock, the
//! read, the writes, COMMIT) holds the application's lock while the
//! change decides; here the change reads without a lock, decides, and
//! writes in one statement that is atomic on its own:
//!
//! ```sql
//! WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock(1, hashtext($id))),
//!      w0 AS (UPDATE application SET … WHERE id = $id AND version = $read
//!             AND EXISTS (SELECT 1 FROM l) RETURNING 1)
//! INSERT INTO application_event … SELECT … WHERE EXISTS (SELECT 1 FROM w0)
//! RETURNING seq
//! ```
//!
//! Every change of an application (and of a programme) raises its
//! version, so the update matches only if nothing changed the row since it
//! was read. Should a
//! change have committed since (PostgreSQL re-checks an updated row's
//! condition against its newest version), the update matches nothing, no
//! event is written, and the change runs again on the locked path. The
//! statement takes the application's advisory lock before it updates, so
//! it never lands between a locked change's read and its write.
//!
//! A change that also changes its programme (approval, closing) takes both
//! advisory locks, in the locked path's order, and writes all or nothing:
//! the application row is locked only while it is still the version read
//! (a locking read re-checks the newest version), the programme is updated
//! only while it is still the version read, and the application only if
//! the programme was.
//!
//! Changes of one programme's totals on one replica wait for each other
//! (`Gates`): each then decides on what the one before it wrote, instead
//! of losing its race to it and taking the locked path. Across replicas
//! the versions still decide.
//!
//! Peer review, disbursements and changes with a request id always take
//! the locked path.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Statement};

use super::entity::{application as row, programme as prow};
use super::write_paths::changed;
use super::writes::renumber;
use super::{Db, Lock, db_err};
use crate::domain::ids::ApplicationName;
use crate::domain::lifecycle::{Outcome, Situation};
use crate::domain::ports::{Changed, Decide};
use crate::domain::{Error, Result};

/// Gates of this process for changes of a programme's totals, one per
/// stripe of programme ids (a programme always meets the same gate).
#[derive(Debug)]
pub(crate) struct Gates {
    stripes: Box<[tokio::sync::Mutex<()>]>,
    hasher: std::collections::hash_map::RandomState,
}

impl Default for Gates {
    fn default() -> Self {
        Self {
            stripes: (0..256).map(|_| tokio::sync::Mutex::new(())).collect(),
            hasher: Default::default(),
        }
    }
}

impl Gates {
    fn of(&self, programme: &str) -> &tokio::sync::Mutex<()> {
        use std::hash::BuildHasher;
        let stripes = self.stripes.len();
        let stripe = usize::try_from(self.hasher.hash_one(programme) % stripes as u64).unwrap_or(0);
        &self.stripes[stripe]
    }
}

/// How an optimistic attempt ended.
enum Attempt {
    Written(Box<Outcome>),
    /// Refused by the change itself.
    Refused(Error),
    /// A row changed since it was read: nothing was written.
    Stale,
    /// Not a change this path writes.
    Locked,
}

impl Db {
    /// Runs `change` optimistically; `None` when it must take the locked
    /// path (not PostgreSQL, a change it cannot write, or a row changed
    /// since it was read: then nothing was written). It decides first on
    /// what this process last saw of the application (see `recent`), and
    /// again on a fresh read if that was stale or refused.
    pub(super) async fn change_optimistically(
        &self,
        name: &ApplicationName,
        changes_programme: bool,
        change: Decide<'_>,
    ) -> Result<Option<Changed>> {
        if !self.is_postgres() {
            return Ok(None);
        }
        // A gate not had within the database timeout (the one before is
        // stuck in an outage, say) is gone without: the versions decide.
        let _gate = match changes_programme {
            true => tokio::time::timeout(self.timeout, self.gates.of(name.programme.id()).lock())
                .await
                .ok(),
            false => None,
        };
        if let Some(seen) = self.recent.situation(name) {
            match self.attempt(name, changes_programme, change, seen, true).await? {
                Attempt::Written(outcome) => return Ok(Some(Changed::Applied(outcome))),
                Attempt::Locked => return Ok(None),
                Attempt::Refused(_) | Attempt::Stale => self.recent.forget(name),
            }
        }
        // A read that fails (a connection the server dropped, say) is
        // left to the locked path, which reports what it finds.
        let Ok(read) = self.read_current(name).await else {
            return Ok(None);
        };
        let Some(read) = read else {
            return Ok(Some(Changed::Missing));
        };
        let situation = super::write_paths::situation(read)?;
        self.recent.read(&situation);
        match self.attempt(name, changes_programme, change, situation, false).await? {
            Attempt::Written(outcome) => Ok(Some(Changed::Applied(outcome))),
            Attempt::Refused(err) => Err(err),
            Attempt::Stale => {
                self.recent.forget(name);
                Ok(None)
            }
            Attempt::Locked => Ok(None),
        }
    }

    /// Decides on `situation` and writes if the rows decided on are still
    /// the versions read. `remembered`: the situation may be old in every
    /// part, so the programme's rules are checked too (a fresh read is as
    /// current as the locked path's, which does not lock the programme of
    /// a change that leaves it alone).
    async fn attempt(
        &self,
        name: &ApplicationName,
        changes_programme: bool,
        change: Decide<'_>,
        situation: Situation,
        remembered: bool,
    ) -> Result<Attempt> {
        if situation.programme.review.is_some() {
            return Ok(Attempt::Locked);
        }
        let outcome = match change(&situation) {
            Ok(outcome) => outcome,
            Err(err) => return Ok(Attempt::Refused(err)),
        };
        if outcome.programme.is_some() && !changes_programme {
            return Err(Error::internal(
                "a change of an application changed its programme without locking it",
            ));
        }
        let (read_version, read_programme) = (situation.application.version, situation.programme.version);
        if outcome.disbursement.is_some()
            || outcome.review.is_some()
            || outcome.noop
            || outcome.application.version != read_version + 1
            || outcome
                .programme
                .as_ref()
                .is_some_and(|p| p.version != read_programme + 1)
        {
            return Ok(Attempt::Locked);
        }
        let mut values: Vec<sea_orm::Value> = Vec::new();
        let take = |statement: Statement, values: &mut Vec<sea_orm::Value>| {
            let sql = renumber(&statement.sql, values.len());
            values.extend(statement.values.map(|v| v.0).unwrap_or_default());
            sql
        };
        let sql = match &outcome.programme {
            // The application alone: its update is guarded by the version
            // read.
            None => {
                values.extend([(Lock::Application as i32).into(), name.id().into()]);
                // Remembered rows may be old in every part: the programme's
                // rules that a change decides on (approvals change only its
                // totals) must still be those decided on.
                let rules = if remembered {
                    let p = &situation.programme;
                    values.extend([
                        name.programme.id().into(),
                        p.open_time.micros().into(),
                        p.close_time.micros().into(),
                        p.max_award.minor().into(),
                        super::programmes::regions_to_text(&p.eligible_regions).into(),
                        p.requires_guangdong_partner.into(),
                    ]);
                    " WHERE EXISTS (SELECT 1 FROM programme WHERE id = $3 AND open_time = $4 \
                     AND close_time = $5 AND max_award_minor = $6 AND eligible_regions = $7 \
                     AND requires_guangdong_partner = $8 AND review_settings IS NULL)"
                } else {
                    ""
                };
                let update = row::Entity::update_many()
                    .set(changed(&situation.application, &outcome.application))
                    .filter(row::Column::Id.eq(name.id()))
                    .filter(row::Column::Version.eq(read_version))
                    .filter(Expr::cust("EXISTS (SELECT 1 FROM pv)"))
                    .build(DbBackend::Postgres);
                format!(
                    "WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock($1, hashtext($2))), \
                     pv AS MATERIALIZED (SELECT 1 FROM l{rules}), \
                     w0 AS ({} RETURNING 1)",
                    take(update, &mut values)
                )
            }
            // The application and its programme, all or nothing: the
            // application row is locked if (and only if) it is still the
            // version read (a locking read re-checks the newest version);
            // then the programme is updated if it is still the version
            // read; then the application, only if the programme was.
            Some(p) => {
                values.extend([
                    (Lock::Application as i32).into(),
                    name.id().into(),
                    (Lock::Programme as i32).into(),
                    p.name.id().into(),
                    name.id().into(),
                    read_version.into(),
                ]);
                let programme = prow::Entity::update_many()
                    .set(super::programmes::to_row(p))
                    .filter(prow::Column::Id.eq(p.name.id()))
                    .filter(prow::Column::Version.eq(read_programme))
                    .filter(Expr::cust("EXISTS (SELECT 1 FROM a0)"))
                    .build(DbBackend::Postgres);
                let programme = take(programme, &mut values);
                let update = row::Entity::update_many()
                    .set(changed(&situation.application, &outcome.application))
                    .filter(row::Column::Id.eq(name.id()))
                    .filter(Expr::cust("EXISTS (SELECT 1 FROM wp)"))
                    .build(DbBackend::Postgres);
                format!(
                    "WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock($1, hashtext($2)), \
                     pg_advisory_xact_lock($3, hashtext($4))), \
                     a0 AS MATERIALIZED (SELECT 1 FROM application WHERE id = $5 AND version = $6 \
                     AND EXISTS (SELECT 1 FROM l) FOR UPDATE), \
                     wp AS ({programme} RETURNING 1), \
                     w0 AS ({} RETURNING 1)",
                    take(update, &mut values)
                )
            }
        };
        let sql = match &outcome.event {
            Some(event) => {
                let appended = super::events::event_statement_if(
                    self,
                    &outcome.application,
                    event,
                    values.len() + 1,
                    "EXISTS (SELECT 1 FROM w0)",
                )?;
                values.extend(appended.values.map(|v| v.0).unwrap_or_default());
                format!("{sql} {}", appended.sql)
            }
            None => format!("{sql} SELECT 1 AS updated FROM w0"),
        };
        let Some(written) = self
            .query_one_kept(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
            .await?
        else {
            // Changed since it was read: nothing was written.
            return Ok(Attempt::Stale);
        };
        if outcome.event.is_some() {
            let seq = written.try_get::<i64>("", "seq").map_err(db_err)?;
            self.announce_append(Some(seq));
            metrics::counter!("gba_grants_events_appended_total").increment(1);
        }
        self.recent.wrote(&outcome.application, outcome.programme.as_ref());
        Ok(Attempt::Written(Box::new(outcome)))
    }
}
