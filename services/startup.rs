//! Start-up as a library function, used by `main` and by the tests: bind
//! first (so the port is known), connect and migrate, then serve until a
//! shutdown signal, draining in-flight calls.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::api;
use crate::api::idle::IdleTimeout;
use crate::api::limits::{LimitSettings, Limits};
use crate::domain::access::Revocation;
use crate::domain::ports::Store;
use crate::domain::time::Timestamp;
use crate::domain::{DocumentLimits, Grants};
use crate::hub::{Hub, HubOptions};
use crate::jobs::Jobs;
use crate::proto;
use crate::store::{Db, DbOptions};

/// How much a client may send on one HTTP/2 stream before the server has
/// read it: one whole request message of the largest size taken by
/// default (4 MiB), so that an upload's next 1 MiB chunk is on its way
/// while the last is hashed and written (with hyper's default, 1 MiB,
/// each chunk waited until the one before was read: measured side by
/// side, uploads ran at 0.78–0.86 and downloads at 0.58–0.79 of their
/// speed with these windows; BENCHMARKS.md, "Documents").
const STREAM_WINDOW_BYTES: u32 = 4 << 20;
/// How much a client may send on one connection, all its streams
/// together, before the server has read it: four such messages.
const CONNECTION_WINDOW_BYTES: u32 = 16 << 20;

/// The largest HTTP/2 frame a client may send: a whole 1 MiB chunk of an
/// upload in one frame instead of 64 of HTTP/2's default 16 KiB.
const MAX_FRAME_BYTES: u32 = 1 << 20;

/// Everything needed to start the service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free one.
    pub listen: String,
    pub database_url: String,
    /// How long in-flight calls may take to finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// Most concurrent HTTP/2 streams per connection.
    pub max_concurrent_streams: u32,
    /// Limits per key and per connection.
    pub limits: LimitSettings,
    /// A connection with no traffic either way for this long is closed.
    pub idle_timeout: Duration,
    /// The server pings HTTP/2 clients this often, and closes the
    /// connection of one that does not answer within `keepalive_timeout`.
    pub keepalive_interval: Duration,
    pub keepalive_timeout: Duration,
    /// How long a call waits for a database connection (and, on SQLite,
    /// for the database lock) before it answers UNAVAILABLE.
    pub database_timeout: Duration,
    /// How often the database is checked for health reporting.
    pub database_check_interval: Duration,
    /// Streams: watcher buffer, progress interval, retention.
    pub hub: HubOptions,
    /// How long a request_id is remembered (and its first response
    /// replayed to retries).
    pub request_id_retention: Duration,
    /// Test knob, see [`DbOptions::commit_jitter`].
    pub commit_jitter: Option<Duration>,
    /// Origins (`https://dash.example.org`) whose pages may call the API
    /// with gRPC-Web; none by default, so browsers refuse cross-origin calls.
    pub cors_origins: Vec<String>,
    /// Where to serve Prometheus metrics (`GET /metrics`); `None`: nowhere.
    pub metrics_listen: Option<String>,
    /// Serve the API (and gRPC-Web and the page) over TLS only.
    pub tls: Option<crate::tls::TlsFiles>,
    /// Where documents are kept, and their limits.
    pub documents: DocumentSettings,
    /// How often reports past due are looked for (and marked OVERDUE, by
    /// the one replica holding the job's lease).
    pub report_overdue_interval: Duration,
    /// Where webhooks may send, and how their sender runs.
    pub webhooks: WebhookSettings,
}

/// Webhooks: what they may reach, and their sender.
#[derive(Debug, Clone, Default)]
pub struct WebhookSettings {
    pub policy: crate::domain::webhook::UrlPolicy,
    pub sender: crate::webhooks::sender::SenderSettings,
}

/// The document store and its limits.
#[derive(Debug, Clone)]
pub struct DocumentSettings {
    /// `s3://bucket/prefix`, `file:///dir` or a directory; `None`: a
    /// directory beside the SQLite file (`{name}-documents`), or
    /// `./gba-grants-documents` on PostgreSQL.
    pub store: Option<String>,
    pub limits: DocumentLimits,
    /// How often the sweeper looks for objects no document names.
    pub sweep_interval: Duration,
}

impl Default for DocumentSettings {
    fn default() -> Self {
        Self {
            store: None,
            limits: DocumentLimits::default(),
            sweep_interval: Duration::from_secs(600),
        }
    }
}

impl DocumentSettings {
    /// The store to open for the database at `database_url`.
    pub fn store_for(&self, database_url: &str) -> String {
        if let Some(store) = &self.store {
            return store.clone();
        }
        let file = database_url
            .strip_prefix("sqlite://")
            .or_else(|| database_url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or_default());
        match file {
            Some(file) if !file.is_empty() => {
                let path = std::path::Path::new(file);
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("gba-grants");
                path.with_file_name(format!("{stem}-documents"))
                    .to_string_lossy()
                    .into_owned()
            }
            _ => "gba-grants-documents".to_owned(),
        }
    }
}

impl Settings {
    pub fn new(listen: impl Into<String>, database_url: impl Into<String>) -> Self {
        Self {
            listen: listen.into(),
            database_url: database_url.into(),
            shutdown_grace: Duration::from_secs(30),
            max_concurrent_streams: 1_024,
            limits: LimitSettings::default(),
            idle_timeout: Duration::from_secs(120),
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(10),
            database_timeout: Duration::from_secs(5),
            database_check_interval: Duration::from_secs(1),
            hub: HubOptions::default(),
            request_id_retention: Duration::from_secs(7 * 24 * 3_600),
            commit_jitter: None,
            cors_origins: Vec::new(),
            metrics_listen: None,
            tls: None,
            documents: DocumentSettings::default(),
            report_overdue_interval: Duration::from_secs(30),
            webhooks: WebhookSettings::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("{0}")]
    Domain(#[from] crate::domain::Error),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("reflection setup failed: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("the server task failed: {0}")]
    Task(String),
    #[error("invalid settings: {0}")]
    Settings(String),
}

/// The service's fully qualified gRPC names, for health reporting.
const SERVICES: [&str; 10] = [
    "gba.grants.v1.InstitutionService",
    "gba.grants.v1.ProgrammeService",
    "gba.grants.v1.ApplicationService",
    "gba.grants.v1.ReviewService",
    "gba.grants.v1.AwardService",
    "gba.grants.v1.WatchService",
    "gba.grants.v1.AccessService",
    "gba.grants.v1.DocumentService",
    "gba.grants.v1.ReportService",
    "gba.grants.v1.WebhookService",
];

async fn set_all(reporter: &HealthReporter, status: ServingStatus) {
    reporter.set_service_status("", status).await;
    for service in SERVICES {
        reporter.set_service_status(service, status).await;
    }
}

/// A bound, migrated service, serving.
pub struct Application {
    addr: SocketAddr,
    db: Db,
    health: Health,
    /// The background jobs, stopped after the drain, before the database
    /// closes.
    jobs: Jobs,
    stopping: CancellationToken,
    /// Cancelled when the grace period is over: unanswered calls are cut.
    cut: CancellationToken,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
    bootstrap_secret: Option<String>,
    metrics_addr: Option<SocketAddr>,
    settings: Settings,
}

impl Application {
    /// Binds the listener and starts serving at once — health (NOT_SERVING)
    /// and reflection answer, gba.grants calls get UNAVAILABLE — then
    /// connects, runs migrations, issues the bootstrap admin key on an empty
    /// database, opens the gate and turns health SERVING.
    pub async fn build(settings: Settings) -> Result<Self, Error> {
        let bind = |source| Error::Bind {
            addr: settings.listen.clone(),
            source,
        };
        if settings.keepalive_interval >= settings.idle_timeout {
            return Err(Error::Settings(format!(
                "the keepalive interval ({:?}) must be shorter than the idle timeout ({:?}), \
                 or live HTTP/2 clients would be closed as idle",
                settings.keepalive_interval, settings.idle_timeout
            )));
        }
        let listener = TcpListener::bind(&settings.listen).await.map_err(bind)?;
        let addr = listener.local_addr().map_err(bind)?;
        let (reporter, health) = tonic_health::server::health_reporter();
        set_all(&reporter, ServingStatus::NotServing).await;
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()?;
        let cors = api::cors::layer(&settings.cors_origins).map_err(Error::Settings)?;
        // Before anything is served: metric handles made earlier are inert.
        let recorder = match settings.metrics_listen {
            Some(_) => Some(crate::exporter::install().map_err(Error::Settings)?),
            None => None,
        };
        let services = api::Services::default();
        let stopping = CancellationToken::new();
        let cut = CancellationToken::new();
        let routes = services.add_to(
            Routes::new(health)
                .add_service(reflection_v1)
                .add_service(reflection_v1alpha),
        );
        let idle = settings.idle_timeout;
        let incoming = TcpIncoming::from(listener)
            .with_nodelay(Some(true))
            .with_keepalive(Some(Duration::from_secs(60)))
            .map(move |connection| connection.map(|io| IdleTimeout::new(io, idle)));
        let mut builder = Server::builder();
        if let Some(tls) = &settings.tls {
            let config = tls.server_config().map_err(Error::Settings)?;
            builder = builder
                .tls_config(config)
                .map_err(|e| Error::Settings(format!("the TLS certificate and key do not work together: {e}")))?;
        }
        let server = builder
            .accept_http1(true)
            .max_concurrent_streams(Some(settings.max_concurrent_streams))
            .initial_stream_window_size(Some(STREAM_WINDOW_BYTES))
            .initial_connection_window_size(Some(CONNECTION_WINDOW_BYTES))
            .max_frame_size(Some(MAX_FRAME_BYTES))
            .http2_keepalive_interval(Some(settings.keepalive_interval))
            .http2_keepalive_timeout(Some(settings.keepalive_timeout))
            .layer(tower::util::option_layer(cors))
            .layer(api::page::PageLayer)
            .layer(tonic_web::GrpcWebLayer::new())
            .layer(api::metrics::CallMetricsLayer)
            .layer(api::drain::DrainLayer::new(stopping.clone(), cut.clone()))
            .add_routes(routes)
            .serve_with_incoming_shutdown(incoming, stopping.clone().cancelled_owned());
        let server = tokio::spawn(server);
        let jobs = Jobs::new();
        let ready = async {
            let mut options = DbOptions::new(&settings.database_url);
            options.commit_jitter = settings.commit_jitter;
            options.timeout = settings.database_timeout;
            let db = Db::connect(&options, &jobs).await?;
            let store: Arc<dyn Store> = db.store();
            let documents = settings.documents.store_for(&settings.database_url);
            let blobs = crate::store::ObjectBlobs::open(&documents)?;
            blobs.check().await?;
            let grants = Grants::new(store.clone())
                .with_documents(Arc::new(blobs), settings.documents.limits)
                .with_webhook_policy(settings.webhooks.policy);
            let bootstrap_secret = grants.bootstrap_admin().await?;
            let hub = Hub::start(
                store,
                db.append_signal(),
                db.revocations(),
                settings.hub.clone(),
                stopping.clone(),
                &jobs,
            )
            .await?;
            Ok::<_, Error>((db, grants, hub, bootstrap_secret))
        };
        let (db, grants, hub, bootstrap_secret) = match ready.await {
            Ok(ready) => ready,
            Err(err) => {
                stopping.cancel();
                jobs.stop(Duration::from_secs(2)).await;
                return Err(err);
            }
        };
        let metrics_addr = match (&settings.metrics_listen, recorder) {
            (Some(listen), Some(handle)) => {
                match crate::exporter::serve(listen, handle, db.clone(), stopping.clone()).await {
                    Ok(addr) => Some(addr),
                    Err(message) => {
                        stopping.cancel();
                        return Err(Error::Settings(message));
                    }
                }
            }
            _ => None,
        };
        let (revoked, forgetting) = (db.revocations(), grants.clone());
        jobs.spawn("revoked keys", move |stop| {
            forget_revoked_keys(forgetting, revoked, stop)
        });
        let health = Health {
            reporter: reporter.clone(),
            stopping: stopping.clone(),
            shut: Arc::default(),
        };
        let (checked, every, watching) = (db.clone(), settings.database_check_interval, health.clone());
        jobs.spawn("database health", move |_| {
            report_database_health(checked, watching, every)
        });
        let (sweeping, every) = (grants.clone(), settings.documents.sweep_interval);
        jobs.spawn("document sweeper", move |stop| sweep_documents(sweeping, every, stop));
        let (marking, every) = (grants.clone(), settings.report_overdue_interval);
        jobs.spawn("report deadlines", move |stop| {
            mark_overdue_reports(marking, every, stop)
        });
        let (pruned, keep) = (db.clone(), settings.request_id_retention);
        jobs.spawn("request id retention", move |stop| {
            forget_request_ids(pruned, keep, stop)
        });
        let limits = Limits::new(settings.limits.clone());
        let auth = api::auth::AuthLayer::new(grants.clone(), limits);
        let deliverer = match crate::webhooks::Deliverer::new(settings.webhooks.policy) {
            Ok(d) => Some(d),
            Err(err) => {
                tracing::error!(%err, "webhooks cannot be sent from this server");
                None
            }
        };
        if let Some(deliverer) = deliverer.clone() {
            let (sending, how, published) = (grants.clone(), settings.webhooks.sender.clone(), hub.head_changes());
            jobs.spawn("webhook sender", move |stop| {
                crate::webhooks::sender::run(sending, published, deliverer, how, stop)
            });
        }
        services.open(&grants, &hub, &auth, settings.limits.message_bytes, deliverer);
        health.set(ServingStatus::Serving).await;
        tracing::info!(%addr, "gba-grants serving gRPC, gRPC-Web, health and reflection");
        Ok(Self {
            addr,
            db,
            health,
            jobs,
            stopping,
            cut,
            server,
            bootstrap_secret,
            metrics_addr,
            settings,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where Prometheus metrics are served, when they are.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The admin key issued because the database was empty; `None` otherwise.
    pub fn bootstrap_secret(&self) -> Option<&str> {
        self.bootstrap_secret.as_deref()
    }

    /// Serves until `shutdown` completes, then turns health NOT_SERVING,
    /// ends every stream with UNAVAILABLE and drains in-flight calls for up
    /// to the grace period.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), Error> {
        let Self {
            addr: _,
            db,
            health,
            jobs,
            stopping,
            cut,
            mut server,
            bootstrap_secret: _,
            metrics_addr: _,
            settings,
        } = self;
        let early = tokio::select! {
            () = shutdown => None,
            result = &mut server => Some(result),
        };
        let result = match early {
            Some(result) => flatten(result),
            None => {
                // From here on only shutdown sets the health status.
                health.shut_down().await;
                tracing::info!("shutdown requested: health NOT_SERVING, draining");
                match tokio::time::timeout(settings.shutdown_grace, &mut server).await {
                    Ok(result) => flatten(result),
                    Err(_) => {
                        tracing::warn!(grace = ?settings.shutdown_grace, "grace period over; cutting remaining calls");
                        cut.cancel();
                        match tokio::time::timeout(Duration::from_secs(1), &mut server).await {
                            Ok(result) => flatten(result),
                            Err(_) => {
                                server.abort();
                                Ok(())
                            }
                        }
                    }
                }
            }
        };
        stopping.cancel();
        jobs.stop(Duration::from_secs(2)).await;
        // Connections still held by calls cut at the end of the grace are
        // not waited for.
        if tokio::time::timeout(Duration::from_secs(2), db.close()).await.is_err() {
            tracing::warn!("database connections still busy at exit; closing them anyway");
        }
        tracing::info!("gba-grants stopped");
        result
    }
}

/// Who sets the health status: the database checks while serving, and
/// shutdown for good; one at a time, and never a check after shutdown.
#[derive(Clone)]
struct Health {
    reporter: HealthReporter,
    stopping: CancellationToken,
    /// Whether shutdown has set the status for good.
    shut: Arc<tokio::sync::Mutex<bool>>,
}

impl Health {
    /// Sets every status, unless shutdown has set it for good.
    async fn set(&self, status: ServingStatus) {
        let shut = self.shut.lock().await;
        if !*shut {
            set_all(&self.reporter, status).await;
        }
    }

    /// NOT_SERVING for good (health watchers are told), then shutdown
    /// begins: streams end, the server stops accepting.
    async fn shut_down(&self) {
        let mut shut = self.shut.lock().await;
        *shut = true;
        set_all(&self.reporter, ServingStatus::NotServing).await;
        self.stopping.cancel();
    }
}

/// Checks the database every `every`: health turns NOT_SERVING while it
/// does not answer (calls then get UNAVAILABLE quickly) and SERVING again
/// when it does. Ends when shutdown begins, which then owns the status.
async fn report_database_health(db: Db, health: Health, every: Duration) {
    let mut serving = true;
    loop {
        tokio::select! {
            () = health.stopping.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        let ok = match db.check().await {
            Ok(()) => true,
            Err(err) => {
                if serving {
                    tracing::warn!(%err, "the database does not answer: health NOT_SERVING");
                }
                false
            }
        };
        if ok != serving {
            if ok {
                tracing::info!("the database answers again: health SERVING");
            }
            health
                .set(if ok {
                    ServingStatus::Serving
                } else {
                    ServingStatus::NotServing
                })
                .await;
            serving = ok;
        }
    }
}

/// Drops keys revoked by any process from the authentication cache.
async fn forget_revoked_keys(
    grants: Grants,
    mut revocations: tokio::sync::broadcast::Receiver<Revocation>,
    stop: CancellationToken,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        let received = tokio::select! {
            () = stop.cancelled() => return,
            received = revocations.recv() => received,
        };
        match received {
            Ok(revocation) => grants.forget_key(&revocation),
            Err(RecvError::Lagged(_)) => grants.forget_key(&Revocation::Unknown),
            Err(RecvError::Closed) => return,
        }
    }
}

/// Deletes idempotency records older than `keep`, now and then: a retry
/// after that is a new request.
/// Removes, every `every`, the objects of the document store that no
/// document names once their claim ran out.
async fn sweep_documents(grants: Grants, every: Duration, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        match grants.sweep_documents().await {
            Ok(swept) if swept.removed > 0 => {
                tracing::info!(
                    removed = swept.removed,
                    kept = swept.kept,
                    "removed objects no document names"
                )
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "the document sweep failed"),
        }
    }
}

/// Marks reports past due as OVERDUE, every `every`, while this process
/// holds the job's lease (one replica at a time; another takes over
/// within three intervals of this one's end).
async fn mark_overdue_reports(grants: Grants, every: Duration, stop: CancellationToken) {
    let holder = crate::domain::ids::new_id();
    let lease = (every * 3).max(Duration::from_secs(3));
    loop {
        match grants.mark_overdue_reports(&holder, lease).await {
            Ok(marked) if marked > 0 => tracing::info!(marked, "reports marked overdue"),
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "looking for overdue reports failed"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

async fn forget_request_ids(db: Db, keep: Duration, stop: CancellationToken) {
    let every = (keep / 24).clamp(Duration::from_secs(1), Duration::from_secs(3_600));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        let keep = i64::try_from(keep.as_micros()).unwrap_or(i64::MAX);
        let before = Timestamp::from_micros(Timestamp::now().micros().saturating_sub(keep));
        match db.prune_request_ids(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(forgotten = n, "forgot request ids past their retention"),
            Err(err) => tracing::warn!(%err, "forgetting old request ids failed"),
        }
    }
}

fn flatten(joined: Result<Result<(), tonic::transport::Error>, tokio::task::JoinError>) -> Result<(), Error> {
    match joined {
        Ok(result) => result.map_err(Error::from),
        Err(err) => Err(Error::Task(err.to_string())),
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C). The handlers are installed
/// when this is called, not when it is first polled, so a signal that
/// arrives while the service is still starting is not lost.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
                }
                (Err(err), _) | (_, Err(err)) => {
                    tracing::error!(%err, "cannot listen for SIGTERM/SIGINT; stop with SIGKILL");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
