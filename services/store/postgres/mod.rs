//! The PostgreSQL backend: one database that several replicas share.
//!
//! - every create and change of an application is one guarded statement
//!   (`write`), decided on what this process last saw (`recent`), on a
//!   fresh read, or under the locks;
//! - point reads of applications and programmes, and what changes read,
//!   are read together (`points`) on connections kept out of the pool
//!   (`kept`);
//! - event positions are transaction ids, read below the horizon of
//!   transactions in flight (`log`);
//! - commits and revocations are announced to the other replicas
//!   (`listen`);
//! - keys, institutions, programmes' writes, lists and summaries run
//!   through the shared SeaORM pool (`store::shared`).

mod kept;
mod listen;
mod log;
mod points;
mod recent;
mod situation;
mod state;
mod write;

use state::{Gates, Inner};

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, QueryTrait, Statement};
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use super::backend::Backend;
use super::connect::{Create, connect, monitor_pool, read_log_state};
use super::faults::db_err;
use super::options::{DbOptions, PoolStats};
use super::rows::{application, event, programme};
use super::shared::{self, HasSea, Lock, Sea};
use crate::domain::Result;
use crate::domain::access::Revocation;
use crate::domain::application::{Application, ApplicationFilter};
use crate::domain::event::{AppendSignal, ApplicationEvent, Cursor, LogId, NewEvent};
use crate::domain::ids::{ApiKeyName, ApplicationName, InstitutionName, ProgrammeName};
use crate::domain::money::Currency;
use crate::domain::page::PageRequest;
use crate::domain::ports::{
    ApplicationChange, ApplicationStore, Changed, EventStore, Idempotency, ProgrammeChange, ProgrammeStore,
};
use crate::domain::programme::{NewProgramme, Programme, ProgrammeFilter};
use crate::domain::time::Timestamp;
use crate::domain::watch::EventScope;
use crate::jobs::Jobs;

use listen::KEYS_CHANNEL;

/// Names the advisory lock taken while bootstrapping the first admin key.
const BOOTSTRAP_LOCK: i64 = 0x6762_615f_626f_6f74; // "gba_boot"

pub(crate) struct PgStore(Arc<Inner>);

impl PgStore {
    pub(crate) async fn open(options: &DbOptions, jobs: &Jobs) -> Result<Self> {
        let url = options.url.clone();
        let conn = connect(&url, options.max_connections, options.timeout, Create::Never).await?;
        let monitor = monitor_pool(&url, options.timeout).await?;
        let (log, offset) = read_log_state(&conn).await?;
        let sea = Arc::new(Sea {
            writer: conn.clone(),
            conn,
            monitor,
            timeout: options.timeout,
            jitter: options.commit_jitter,
            log,
            appended: Arc::default(),
            revocations: broadcast::channel(256).0,
            facts: Default::default(),
            closing: CancellationToken::new(),
        });
        let kept = Arc::new(kept::Kept::new(sea.conn.get_postgres_connection_pool().clone()));
        let points = points::Points::start(jobs, &kept, options.timeout);
        let announcer = connect(&url, 1, options.timeout, Create::Never).await?;
        let (committed, newest) = watch::channel(0_i64);
        jobs.spawn("postgres commit announcer", move |stop| {
            listen::announce_commits(announcer, newest, stop)
        });
        let (signal, revocations) = (sea.appended.clone(), sea.revocations.clone());
        jobs.spawn("postgres listener", move |stop| async move {
            listen::listen(&url, signal, &revocations, stop).await;
        });
        Ok(Self(Arc::new(Inner {
            sea,
            offset,
            kept,
            points,
            recent: Default::default(),
            gates: Gates::default(),
            committed,
        })))
    }

    fn sea_ref(&self) -> &Sea {
        &self.0.sea
    }
}

impl HasSea for PgStore {
    fn sea(&self) -> &Arc<Sea> {
        &self.0.sea
    }

    fn lock(&self, lock: Lock<'_>) -> Option<Statement> {
        Some(match lock {
            Lock::Programme(id) => write::programme_lock(id),
            Lock::Object(sha256) => write::object_lock(sha256),
            Lock::Bootstrap => Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT pg_advisory_xact_lock({BOOTSTRAP_LOCK})"),
            ),
        })
    }

    /// Delivered to every LISTENing replica when the revocation commits:
    /// they end the key's streams.
    fn revoked_notice(&self, key: &ApiKeyName) -> Option<Statement> {
        Some(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [KEYS_CHANNEL.into(), key.id().into()],
        ))
    }
}

#[async_trait]
impl ProgrammeStore for PgStore {
    async fn create_programme(&self, new: NewProgramme, idem: Option<Idempotency>) -> Result<Programme> {
        shared::programmes::create(self.0.sea.clone(), new, idem).await
    }

    async fn get_programme(&self, name: &ProgrammeName) -> Result<Option<Programme>> {
        let found = match self.0.points.programmes.get(name.id()).await {
            Some(found) => found?,
            None => {
                self.0
                    .kept
                    .find(programme::Entity::find_by_id(name.id().to_owned()))
                    .await?
            }
        };
        found.map(programme::to_domain).transpose()
    }

    async fn creation_facts(
        &self,
        name: &ProgrammeName,
        institution: &InstitutionName,
    ) -> Result<Option<(Currency, bool)>> {
        let sea = self.sea_ref();
        if let Some(known) = sea.facts.creation(name, institution) {
            return Ok(Some(known));
        }
        // The programme, and whether the institution exists, in one read.
        let exists = super::shared::reads::institution_exists(institution);
        let query = programme::Entity::find_by_id(name.id().to_owned()).expr_as(exists, "institution_exists");
        let Some(found) = self.0.kept.query_one(query.build(DbBackend::Postgres)).await? else {
            return Ok(None);
        };
        let exists: bool = found.try_get("", "institution_exists").map_err(db_err)?;
        let p = programme::to_domain(programme::Model::from_query_result(&found, "").map_err(db_err)?)?;
        sea.facts.learn(name, &p.currency, exists.then_some(institution));
        Ok(Some((p.currency, exists)))
    }

    async fn list_programmes(
        &self,
        filter: &ProgrammeFilter,
        scope: Option<&[ProgrammeName]>,
        page: &PageRequest,
    ) -> Result<Vec<Programme>> {
        shared::programmes::list(self.sea_ref(), filter, scope, page).await
    }

    async fn update_programme(
        &self,
        name: &ProgrammeName,
        idem: Option<Idempotency>,
        change: ProgrammeChange,
    ) -> Result<Option<Programme>> {
        let lock = self.lock(Lock::Programme(name.id()));
        shared::programmes::update(self.0.sea.clone(), name, idem, lock, change).await
    }
}

#[async_trait]
impl ApplicationStore for PgStore {
    async fn create_application(
        &self,
        application: Application,
        event: NewEvent,
        idem: Option<Idempotency>,
    ) -> Result<Application> {
        self.0.clone().create(application, event, idem).await
    }

    async fn get_application(&self, name: &ApplicationName) -> Result<Option<Application>> {
        let found = match self.0.points.applications.get(name.id()).await {
            Some(found) => found?,
            None => {
                let query = application::Entity::find_by_id(name.id().to_owned())
                    .filter(application::Column::ProgrammeId.eq(name.programme.id()));
                self.0.kept.find(query).await?
            }
        };
        found
            .filter(|row| row.programme_id == name.programme.id())
            .map(application::to_domain)
            .transpose()
    }

    async fn list_applications(&self, filter: &ApplicationFilter, page: &PageRequest) -> Result<Vec<Application>> {
        // On a kept connection, read by position (every column, in the
        // entity's order).
        let select = shared::reads::applications(filter, page).limit(page.fetch_limit());
        let rows = self.0.kept.query_all(select.build(DbBackend::Postgres)).await?;
        rows.iter()
            .map(|row| {
                let model = <application::Model as crate::store::rows::FromPgRow>::from_pg_row(row).map_err(db_err)?;
                application::to_domain(model)
            })
            .collect()
    }

    async fn change_application(
        &self,
        name: &ApplicationName,
        idem: Option<Idempotency>,
        claim: &str,
        changes_programme: bool,
        change: ApplicationChange,
    ) -> Result<Changed> {
        self.0
            .clone()
            .change(name.clone(), idem, claim.to_owned(), changes_programme, change)
            .await
    }

    async fn list_application_events(
        &self,
        application: &ApplicationName,
        after: Option<Cursor>,
        limit: u64,
    ) -> Result<Vec<ApplicationEvent>> {
        let sea = self.sea_ref();
        let rows = shared::reads::application_events(application, after.map(|c| c.seq))
            .limit(limit)
            .all(&sea.conn)
            .await
            .map_err(db_err)?;
        // Read your writes, and hand out only final positions: the newest
        // event listed is returned once no older transaction is in flight.
        if let Some(last) = rows.last() {
            log::wait_until_final(sea, self.0.offset, last.seq).await?;
        }
        rows.into_iter().map(|m| event::to_domain(m, sea.log)).collect()
    }
}

#[async_trait]
impl EventStore for PgStore {
    /// Below the horizon of the transactions in flight: every position
    /// read is final.
    async fn events_after(&self, after: Cursor, scope: &EventScope, limit: u64) -> Result<Vec<ApplicationEvent>> {
        let sea = self.sea_ref();
        let rows = shared::reads::events_in_scope(after.seq, scope)
            .filter(log::below_horizon(self.0.offset))
            .limit(limit)
            .all(&sea.conn)
            .await
            .map_err(db_err)?;
        rows.into_iter().map(|m| event::to_domain(m, sea.log)).collect()
    }

    fn event_log(&self) -> LogId {
        self.sea_ref().log
    }

    async fn settle(&self) -> Result<()> {
        log::wait_until_settled(self.sea_ref(), self.0.offset).await
    }

    async fn event_head(&self) -> Result<Cursor> {
        let query = event::Entity::find().filter(log::below_horizon(self.0.offset));
        let head = shared::reads::event_head(self.sea_ref(), query).await?;
        Ok(Cursor::new(self.sea_ref().log, head))
    }
}

#[async_trait]
impl Backend for PgStore {
    fn kind(&self) -> &'static str {
        "postgresql"
    }

    fn pool_stats(&self) -> Vec<PoolStats> {
        let pool = self.sea_ref().conn.get_postgres_connection_pool();
        vec![PoolStats {
            name: "main",
            size: pool.size(),
            idle: pool.num_idle(),
            max: pool.options().get_max_connections(),
        }]
    }

    async fn check(&self) -> Result<()> {
        self.sea_ref().check().await
    }

    fn append_signal(&self) -> Arc<AppendSignal> {
        self.sea_ref().appended.clone()
    }

    fn revocations(&self) -> broadcast::Receiver<Revocation> {
        self.sea_ref().revocations.subscribe()
    }

    async fn prune_request_ids(&self, before: Timestamp) -> Result<u64> {
        shared::reads::prune_request_ids(self.0.sea.clone(), before).await
    }

    async fn close(&self) {
        let sea = self.sea_ref();
        let pools = [&sea.conn, &sea.monitor].map(|conn| conn.get_postgres_connection_pool().clone());
        for pool in &pools {
            // Marks the pool closed now; the future waits for connections.
            drop(pool.close());
        }
        sea.end_writes();
        for pool in &pools {
            pool.close().await;
        }
    }
}

/// What a change reads, as the guards test sees it.
#[cfg(test)]
pub(crate) fn change_read_sql_for_tests() -> String {
    situation::change_read_sql("a.id = $1")
}

/// A create and an event append, built, as the guards test sees them.
#[cfg(test)]
pub(crate) fn write_statements_for_tests() -> (String, String) {
    use crate::domain::application::{Application, State};
    use crate::domain::ids::{ApiKeyName, ApplicationName};
    use crate::domain::money::Money;
    let currency = Currency::parse("CNY", "c").expect("CNY");
    let now = Timestamp::from_micros(1);
    let application = Application {
        name: ApplicationName::new(ProgrammeName::from_id("p"), "a".to_owned()),
        applicant: InstitutionName::from_id("i"),
        title: String::new(),
        abstract_text: String::new(),
        investigator: Default::default(),
        partners: Vec::new(),
        requested: None,
        duration_months: None,
        state: State::Draft,
        version: 1,
        create_time: now,
        update_time: now,
        submit_time: None,
        decision: None,
        award_number: None,
        awarded: None,
        disbursed: Money::zero(currency),
        team: Vec::new(),
        endorsements: Vec::new(),
        schedule: None,
        reports: Vec::new(),
        closure: None,
        preferred_periods: Vec::new(),
    };
    let event = NewEvent {
        previous: None,
        new: State::Draft,
        actor: ApiKeyName::from_id("k"),
        actor_role: crate::domain::access::Role::Admin,
        reason: String::new(),
        disbursement: None,
        review: None,
        document: None,
        team: None,
        report: None,
        actor_person: None,
    };
    let create = write::create_statement(0, &application, &event, None).expect("a create");
    let append = log::append(0, &application, &event, None).expect("an append");
    (create.sql, DbBackend::Postgres.build(&append).sql)
}
