//! The SQLite backend. A file of its own (WAL, `synchronous=NORMAL`):
//!
//! - point reads, pages and the event log are read in place on rusqlite
//!   (`reads`);
//! - every create and change of an application goes through one writer
//!   (`writer`), in group commits;
//! - WAL checkpoints run off the commit path (`checkpoint`);
//! - keys, institutions, programmes' writes, lists and summaries run
//!   through the shared SeaORM pools (`store::shared`): a read pool and a
//!   writer pool of one connection, which the writer holds too while it
//!   writes (the process's write token).

pub(crate) mod checkpoint;
mod reads;
pub(crate) mod sql;
mod writer;

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::{EntityTrait, QuerySelect, Statement};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::backend::Backend;
use super::connect::{Create, connect, monitor_pool, read_log_state};
use super::options::{DbOptions, PoolStats};
use super::rows::{application, columns, event, programme};
use super::shared::{self, HasSea, Lock, Sea};
use crate::domain::access::Revocation;
use crate::domain::application::{Application, ApplicationFilter};
use crate::domain::event::{AppendSignal, ApplicationEvent, Cursor, LogId, NewEvent};
use crate::domain::ids::{ApiKeyName, ApplicationName, InstitutionName, ProgrammeName};
use crate::domain::money::Currency;
use crate::domain::page::PageRequest;
use crate::domain::ports::ProgrammeStore;
use crate::domain::ports::{ApplicationChange, ApplicationStore, Changed, EventStore, Idempotency, ProgrammeChange};
use crate::domain::programme::{NewProgramme, Programme, ProgrammeFilter};
use crate::domain::time::Timestamp;
use crate::domain::watch::EventScope;
use crate::domain::{Error, Result};
use crate::jobs::Jobs;

pub(crate) struct SqliteStore {
    sea: Arc<Sea>,
    reads: Arc<reads::Reads>,
    writer: writer::Writer,
}

impl SqliteStore {
    pub(crate) async fn open(options: &DbOptions, jobs: &Jobs) -> Result<Self> {
        let url = options.url.as_str();
        let path = url
            .parse::<sea_orm::sqlx::sqlite::SqliteConnectOptions>()
            .map_err(|e| Error::invalid("database_url", format!("is not a SQLite URL: {e}")))?
            .get_filename()
            .to_string_lossy()
            .into_owned();
        if path.is_empty() || path.contains(":memory:") {
            return Err(Error::invalid(
                "database_url",
                "must name a SQLite file (an in-memory database keeps nothing)",
            ));
        }
        let conn = connect(url, options.max_connections, options.timeout, Create::Never).await?;
        let writer_pool = connect(url, 1, options.timeout, Create::Never).await?;
        let monitor = monitor_pool(url, options.timeout).await?;
        let (log, _) = read_log_state(&conn).await?;
        let token = writer_pool.get_sqlite_connection_pool().clone();
        let sea = Arc::new(Sea {
            conn,
            writer: writer_pool,
            monitor,
            timeout: options.timeout,
            jitter: options.commit_jitter,
            log,
            appended: Arc::default(),
            revocations: broadcast::channel(256).0,
            facts: Default::default(),
            closing: CancellationToken::new(),
        });
        let reads = Arc::new(reads::Reads::new(path.clone(), options.timeout));
        let writer = writer::Writer::start(jobs, token, path.clone(), sea.clone());
        let timeout = options.timeout;
        jobs.spawn("sqlite checkpoints", move |stop| checkpoint::run(path, timeout, stop));
        Ok(Self { sea, reads, writer })
    }
}

impl HasSea for SqliteStore {
    fn sea(&self) -> &Arc<Sea> {
        &self.sea
    }

    /// The write transaction holds SQLite's one write lock.
    fn lock(&self, _: Lock<'_>) -> Option<Statement> {
        None
    }

    /// One process writes a file; nobody else to tell.
    fn revoked_notice(&self, _: &ApiKeyName) -> Option<Statement> {
        None
    }
}

#[async_trait]
impl ProgrammeStore for SqliteStore {
    async fn create_programme(&self, new: NewProgramme, idem: Option<Idempotency>) -> Result<Programme> {
        shared::programmes::create(self.sea.clone(), new, idem).await
    }

    async fn get_programme(&self, name: &ProgrammeName) -> Result<Option<Programme>> {
        self.reads
            .point(&sql::PROGRAMME, [name.id()])?
            .map(programme::to_domain)
            .transpose()
    }

    async fn creation_facts(
        &self,
        name: &ProgrammeName,
        institution: &InstitutionName,
    ) -> Result<Option<(Currency, bool)>> {
        if let Some(known) = self.sea.facts.creation(name, institution) {
            return Ok(Some(known));
        }
        // The programme, and whether the institution exists, in one read.
        let exists = shared::reads::institution_exists(institution);
        let query = programme::Entity::find_by_id(name.id().to_owned()).expr_as(exists, "institution_exists");
        let statement = sql::select(query, None);
        let at = columns::<programme::Entity>().len();
        let found = self.reads.with(|conn| {
            sql::row_with(conn, &statement, |r| {
                Ok((
                    <programme::Model as super::rows::FromSqliteRow>::from_sqlite_row(r)?,
                    r.get::<_, bool>(at)?,
                ))
            })
        })?;
        let Some((p, exists)) = found else { return Ok(None) };
        let p = programme::to_domain(p)?;
        self.sea.facts.learn(name, &p.currency, exists.then_some(institution));
        Ok(Some((p.currency, exists)))
    }

    async fn list_programmes(
        &self,
        filter: &ProgrammeFilter,
        scope: Option<&[ProgrammeName]>,
        page: &PageRequest,
    ) -> Result<Vec<Programme>> {
        shared::programmes::list(&self.sea, filter, scope, page).await
    }

    async fn update_programme(
        &self,
        name: &ProgrammeName,
        idem: Option<Idempotency>,
        change: ProgrammeChange,
    ) -> Result<Option<Programme>> {
        shared::programmes::update(self.sea.clone(), name, idem, None, change).await
    }
}

#[async_trait]
impl ApplicationStore for SqliteStore {
    async fn create_application(
        &self,
        application: Application,
        event: NewEvent,
        idem: Option<Idempotency>,
    ) -> Result<Application> {
        self.writer.create(application, event, idem).await
    }

    async fn get_application(&self, name: &ApplicationName) -> Result<Option<Application>> {
        self.reads
            .point(&sql::APPLICATION, [name.id(), name.programme.id()])?
            .map(application::to_domain)
            .transpose()
    }

    async fn list_applications(&self, filter: &ApplicationFilter, page: &PageRequest) -> Result<Vec<Application>> {
        let limit = page.fetch_limit();
        let query = sql::select(shared::reads::applications(filter, page), Some(limit));
        let rows: Vec<application::Model> = self.reads.page(query, limit).await?;
        rows.into_iter().map(application::to_domain).collect()
    }

    async fn change_application(
        &self,
        name: &ApplicationName,
        idem: Option<Idempotency>,
        claim: &str,
        changes_programme: bool,
        change: ApplicationChange,
    ) -> Result<Changed> {
        self.writer.change(name, idem, claim, changes_programme, change).await
    }

    async fn list_application_events(
        &self,
        application: &ApplicationName,
        after: Option<Cursor>,
        limit: u64,
    ) -> Result<Vec<ApplicationEvent>> {
        let query = shared::reads::application_events(application, after.map(|c| c.seq));
        let rows: Vec<event::Model> = self.reads.page(sql::select(query, Some(limit)), limit).await?;
        rows.into_iter().map(|m| event::to_domain(m, self.sea.log)).collect()
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    /// Read in place (for up to a page of rows), with the LIMIT written
    /// into the statement: the tailer's read is on the way of every event
    /// to its watchers. One writer commits in order, so every position
    /// read is final.
    async fn events_after(&self, after: Cursor, scope: &EventScope, limit: u64) -> Result<Vec<ApplicationEvent>> {
        let query = shared::reads::events_in_scope(after.seq, scope);
        let rows: Vec<event::Model> = self.reads.page(sql::select(query, Some(limit)), limit).await?;
        rows.into_iter().map(|m| event::to_domain(m, self.sea.log)).collect()
    }

    fn event_log(&self) -> LogId {
        self.sea.log
    }

    /// Every committed event is readable at once.
    async fn settle(&self) -> Result<()> {
        Ok(())
    }

    async fn event_head(&self) -> Result<Cursor> {
        let head = shared::reads::event_head(&self.sea, event::Entity::find()).await?;
        Ok(Cursor::new(self.sea.log, head))
    }
}

#[async_trait]
impl Backend for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn pool_stats(&self) -> Vec<PoolStats> {
        let stats = |name, pool: &sea_orm::sqlx::Pool<sea_orm::sqlx::Sqlite>| PoolStats {
            name,
            size: pool.size(),
            idle: pool.num_idle(),
            max: pool.options().get_max_connections(),
        };
        vec![
            stats("reads", self.sea.conn.get_sqlite_connection_pool()),
            stats("writes", self.sea.writer.get_sqlite_connection_pool()),
        ]
    }

    async fn check(&self) -> Result<()> {
        self.sea.check().await
    }

    fn append_signal(&self) -> Arc<AppendSignal> {
        self.sea.appended.clone()
    }

    fn revocations(&self) -> broadcast::Receiver<Revocation> {
        self.sea.revocations.subscribe()
    }

    async fn prune_request_ids(&self, before: Timestamp) -> Result<u64> {
        shared::reads::prune_request_ids(self.sea.clone(), before).await
    }

    async fn close(&self) {
        let pools =
            [&self.sea.conn, &self.sea.writer, &self.sea.monitor].map(|conn| conn.get_sqlite_connection_pool().clone());
        for pool in &pools {
            // Marks the pool closed now; the future waits for connections.
            drop(pool.close());
        }
        self.sea.end_writes();
        for pool in &pools {
            pool.close().await;
        }
    }
}
