//! Test harness: a real server on 127.0.0.1:0 over a fresh database —
//! SQLite in a temporary directory, or a new PostgreSQL database (dropped
//! afterwards) when `GBA_GRANTS_TEST_POSTGRES` names a server — and
//! generated clients that send a bearer key.

#![allow(dead_code)]

pub mod documents;
pub mod private_pg;
pub mod process;
pub mod receiver;
pub mod reviewing;
pub mod s3;
pub mod watching;
pub mod world;

use std::time::Duration;

use gba_grants::proto::v1;
use gba_grants::startup::{Application, Settings};
use sea_orm::{ConnectionTrait, Database};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::metadata::MetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Status};

pub use gba_grants::proto::v1::access_service_client::AccessServiceClient;
pub use gba_grants::proto::v1::institution_service_client::InstitutionServiceClient;
pub use gba_grants::proto::v1::programme_service_client::ProgrammeServiceClient;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the PostgreSQL tests create their databases when
/// `GBA_GRANTS_TEST_POSTGRES` is not set.
pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The PostgreSQL server URL for tests: `GBA_GRANTS_TEST_POSTGRES`, or the
/// local server.
pub fn postgres_url() -> String {
    std::env::var("GBA_GRANTS_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES.to_owned())
}

/// Runs one behaviour test on every backend. The PostgreSQL half is
/// marked ignored, so a plain `cargo test` reports it as not run rather
/// than as passed; `cargo test -- --include-ignored` runs it against
/// `GBA_GRANTS_TEST_POSTGRES` (default: the local server), and fails
/// loudly when no PostgreSQL answers there.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs PostgreSQL: cargo test -- --include-ignored"]
                async fn postgres() {
                    super::$name($crate::common::Backend::Postgres).await;
                }
            }
        )*
    };
}

/// A fresh, empty database that is removed when dropped.
pub struct TestDb {
    pub url: String,
    /// The document store of servers on this database.
    pub documents: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

/// A document store directory for the database at `url`, in the system's
/// temporary directory (never the working tree).
pub fn documents_for(url: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hash = std::collections::hash_map::DefaultHasher::new();
    url.hash(&mut hash);
    std::env::temp_dir()
        .join("gba-test-documents")
        .join(format!("{:016x}", hash.finish()))
        .to_string_lossy()
        .into_owned()
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("grants.db").display());
                Self {
                    url,
                    documents: dir.path().join("documents").to_string_lossy().into_owned(),
                    _dir: Some(dir),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin = postgres_url();
                let name = format!("gba_test_{}", uuid::Uuid::now_v7().simple());
                let conn = Database::connect(&admin).await.unwrap_or_else(|err| {
                    panic!("no PostgreSQL answers at {admin} (set GBA_GRANTS_TEST_POSTGRES): {err}")
                });
                conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create database");
                conn.close().await.ok();
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
                let url = format!("{base}/{name}");
                Self {
                    documents: documents_for(&url),
                    url,
                    _dir: None,
                    postgres: Some((admin, name)),
                }
            }
        }
    }
}

impl TestDb {
    /// A PostgreSQL database that does not exist yet (the server creates
    /// it), dropped afterwards if it was made.
    pub fn missing_postgres() -> Self {
        let admin = postgres_url();
        let name = format!("gba_test_{}", uuid::Uuid::now_v7().simple());
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
        let url = format!("{base}/{name}");
        Self {
            documents: documents_for(&url),
            url,
            _dir: None,
            postgres: Some((admin, name)),
        }
    }

    /// The same database again, for a second server; the first owns it.
    pub fn share(&self) -> Self {
        Self {
            url: self.url.clone(),
            documents: self.documents.clone(),
            _dir: None,
            postgres: None,
        }
    }

    /// A database at `url` that someone else owns (and removes).
    pub fn at(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            documents: documents_for(url),
            _dir: None,
            postgres: None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop the database from a separate runtime: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(conn) = Database::connect(&admin).await {
                    let _ = conn
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

/// A running server and what a test needs to talk to it.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    /// Where Prometheus metrics are served, when the settings ask for it.
    pub metrics_addr: Option<std::net::SocketAddr>,
    pub admin_key: String,
    pub channel: Channel,
    stop: CancellationToken,
    task: Option<JoinHandle<Result<(), gba_grants::startup::Error>>>,
    pub db: TestDb,
}

impl TestServer {
    pub async fn start(backend: Backend) -> Self {
        let db = TestDb::new(backend).await;
        Self::start_on(db).await
    }

    pub async fn start_on(db: TestDb) -> Self {
        Self::start_with(db, |_| {}).await
    }

    /// Starts with settings adjusted by `adjust`.
    pub async fn start_with(db: TestDb, adjust: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = Settings::new("127.0.0.1:0", db.url.clone());
        settings.shutdown_grace = Duration::from_secs(5);
        settings.documents.store = Some(db.documents.clone());
        adjust(&mut settings);
        let app = Application::build(settings).await.expect("server builds");
        let addr = app.local_addr();
        let metrics_addr = app.metrics_addr();
        let admin_key = app.bootstrap_secret().unwrap_or_default().to_owned();
        let stop = CancellationToken::new();
        let signal = stop.clone();
        let task = tokio::spawn(app.run_until(async move { signal.cancelled().await }));
        let channel = Endpoint::from_shared(format!("http://{addr}"))
            .expect("endpoint")
            .connect()
            .await
            .expect("connect to the test server");
        Self {
            addr,
            metrics_addr,
            admin_key,
            channel,
            stop,
            task: Some(task),
            db,
        }
    }

    pub fn institutions(&self, key: &str) -> InstitutionServiceClient<InterceptedService<Channel, Bearer>> {
        InstitutionServiceClient::with_interceptor(self.channel.clone(), Bearer::new(key))
    }

    pub fn programmes(&self, key: &str) -> ProgrammeServiceClient<InterceptedService<Channel, Bearer>> {
        ProgrammeServiceClient::with_interceptor(self.channel.clone(), Bearer::new(key))
    }

    pub fn access(&self, key: &str) -> AccessServiceClient<InterceptedService<Channel, Bearer>> {
        AccessServiceClient::with_interceptor(self.channel.clone(), Bearer::new(key))
    }

    /// Clients of a server running elsewhere (another process) over
    /// `channel`, with its admin key.
    pub fn remote(channel: Channel, admin_key: &str) -> Self {
        Self {
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            metrics_addr: None,
            admin_key: admin_key.to_owned(),
            channel,
            stop: CancellationToken::new(),
            task: None,
            db: TestDb::at(""),
        }
    }

    /// Asks the server to stop (as SIGTERM does), without waiting.
    pub fn signal_stop(&self) {
        self.stop.cancel();
    }

    /// Waits for the server to exit; it must exit cleanly.
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server exits cleanly");
        }
    }

    /// Stops the server and waits for it to exit.
    pub async fn stop(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server exits cleanly");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Adds `authorization: Bearer <key>` to every call (nothing if empty).
#[derive(Clone)]
pub struct Bearer(Option<MetadataValue<tonic::metadata::Ascii>>);

impl Bearer {
    pub fn new(key: &str) -> Self {
        Self((!key.is_empty()).then(|| format!("Bearer {key}").parse().expect("ascii key")))
    }
}

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// The `google.rpc.ErrorInfo.reason` of a status.
pub fn reason(status: &Status) -> String {
    use tonic_types::StatusExt;
    status.get_details_error_info().map(|i| i.reason).unwrap_or_default()
}

/// The fields named by a status's `google.rpc.BadRequest`.
pub fn bad_fields(status: &Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// Asserts a call failed with `code` and returns the status.
#[track_caller]
pub fn expect_code<T: std::fmt::Debug>(result: Result<tonic::Response<T>, Status>, code: Code) -> Status {
    match result {
        Ok(response) => panic!("expected {code:?}, got OK: {:?}", response.into_inner()),
        Err(status) => {
            assert_eq!(status.code(), code, "unexpected status: {status:?}");
            status
        }
    }
}

pub fn money(code: &str, units: i64, nanos: i32) -> v1::Money {
    v1::Money {
        currency_code: code.into(),
        units,
        nanos,
    }
}

pub fn ts(seconds: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds, nanos: 0 }
}

pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn institution(display: &str, local: &str, region: v1::Region, ror: &str) -> v1::Institution {
    v1::Institution {
        display_name: display.into(),
        local_name: local.into(),
        region: region.into(),
        ror_id: ror.into(),
        ..Default::default()
    }
}

/// A valid CNY programme open now, with a budget of `budget` yuan.
pub fn programme(budget: i64, max_award: i64) -> v1::Programme {
    let now = now_seconds();
    v1::Programme {
        display_name: "Greater Bay Area Joint Research".into(),
        local_name: "粤港澳联合研究".into(),
        funder: "Guangdong Provincial Science and Technology Department".into(),
        currency_code: "CNY".into(),
        budget: Some(money("CNY", budget, 0)),
        eligible_regions: vec![v1::Region::HongKong.into(), v1::Region::Macao.into()],
        requires_guangdong_partner: true,
        max_award: Some(money("CNY", max_award, 0)),
        open_time: Some(ts(now - 3_600)),
        close_time: Some(ts(now + 30 * 86_400)),
        ..Default::default()
    }
}
