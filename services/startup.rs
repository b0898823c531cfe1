//! Start-up as a library function, used by `main` and by the tests: bind
//! first (so the port is known), connect and migrate, then serve until a
//! shutdown signal, draining in-flight calls.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::api;
use crate::domain::Grants;
use crate::domain::ports::Store;
use crate::hub::{Hub, HubOptions};
use crate::proto;
use crate::store::{Db, DbOptions};

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
    /// Streams: watcher buffer, progress interval, retention.
    pub hub: HubOptions,
    /// Test knob, see [`DbOptions::commit_jitter`].
    pub commit_jitter: Option<Duration>,
}

impl Settings {
    pub fn new(listen: impl Into<String>, database_url: impl Into<String>) -> Self {
        Self {
            listen: listen.into(),
            database_url: database_url.into(),
            shutdown_grace: Duration::from_secs(30),
            max_concurrent_streams: 1_024,
            hub: HubOptions::default(),
            commit_jitter: None,
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
}

/// The service's fully qualified gRPC names, for health reporting.
const SERVICES: [&str; 7] = [
    "gba.grants.v1.InstitutionService",
    "gba.grants.v1.ProgrammeService",
    "gba.grants.v1.ApplicationService",
    "gba.grants.v1.ReviewService",
    "gba.grants.v1.AwardService",
    "gba.grants.v1.WatchService",
    "gba.grants.v1.AccessService",
];

async fn set_all(reporter: &HealthReporter, status: ServingStatus) {
    reporter.set_service_status("", status).await;
    for service in SERVICES {
        reporter.set_service_status(service, status).await;
    }
}

/// A bound, migrated service, ready to run.
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    db: Db,
    grants: Grants,
    hub: Hub,
    stopping: CancellationToken,
    bootstrap_secret: Option<String>,
    settings: Settings,
}

impl Application {
    /// Binds the listener, connects to the database, runs migrations and,
    /// on an empty database, issues the bootstrap admin key.
    pub async fn build(settings: Settings) -> Result<Self, Error> {
        let listener = TcpListener::bind(&settings.listen)
            .await
            .map_err(|source| Error::Bind {
                addr: settings.listen.clone(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: settings.listen.clone(),
            source,
        })?;
        let mut options = DbOptions::new(&settings.database_url);
        options.commit_jitter = settings.commit_jitter;
        let db = Db::connect(&options).await?;
        let store: Arc<dyn Store> = Arc::new(db.clone());
        let grants = Grants::new(store.clone());
        let bootstrap_secret = grants.bootstrap_admin().await?;
        let stopping = CancellationToken::new();
        let hub = Hub::start(store, db.append_signal(), settings.hub.clone(), stopping.clone()).await?;
        let listen_db = db.clone();
        let listen_stop = stopping.clone();
        tokio::spawn(async move { listen_db.listen_for_appends(listen_stop).await });
        Ok(Self {
            listener,
            addr,
            db,
            grants,
            hub,
            stopping,
            bootstrap_secret,
            settings,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The admin key issued because the database was empty; `None` otherwise.
    pub fn bootstrap_secret(&self) -> Option<&str> {
        self.bootstrap_secret.as_deref()
    }

    /// Serves until `shutdown` completes, then turns health NOT_SERVING and
    /// drains in-flight calls for up to the grace period.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), Error> {
        let Self {
            listener,
            addr,
            db,
            grants,
            hub,
            stopping,
            bootstrap_secret: _,
            settings,
        } = self;
        let (reporter, health) = tonic_health::server::health_reporter();
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()?;
        let routes = api::routes(&grants, &hub)
            .add_service(health)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha);

        set_all(&reporter, ServingStatus::Serving).await;
        let drain_reporter = reporter.clone();
        let stop = stopping.clone();
        tokio::spawn(async move {
            shutdown.await;
            set_all(&drain_reporter, ServingStatus::NotServing).await;
            stop.cancel();
            tracing::info!("shutdown requested: health NOT_SERVING, draining");
        });

        tracing::info!(%addr, "gba-grants serving gRPC, gRPC-Web, health and reflection");
        let server = Server::builder()
            .accept_http1(true)
            .max_concurrent_streams(Some(settings.max_concurrent_streams))
            .layer(tonic_web::GrpcWebLayer::new())
            .layer(api::auth::AuthLayer::new(grants))
            .add_routes(routes)
            .serve_with_incoming_shutdown(
                TcpIncoming::from(listener)
                    .with_nodelay(Some(true))
                    .with_keepalive(Some(Duration::from_secs(60))),
                stopping.clone().cancelled_owned(),
            );
        let grace = settings.shutdown_grace;
        let result = tokio::select! {
            result = server => result.map_err(Error::from),
            () = async {
                stopping.cancelled().await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(?grace, "grace period over; closing remaining calls");
                Ok(())
            }
        };
        db.close().await;
        tracing::info!("gba-grants stopped");
        result
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
