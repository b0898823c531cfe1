//! The `gba-grants` command line: `serve` (the default) and the offline
//! `keys create`. Flags win over environment variables.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::api::limits::LimitSettings;
use crate::domain::access::{ApiKeyInput, Role};
use crate::domain::{Error, Grants};
use crate::jobs::Jobs;
use crate::startup::{self, Application, Settings};
use crate::store::{Db, DbOptions};
use crate::telemetry::{self, LogFormat};

#[derive(Debug, Parser)]
#[command(
    name = "gba-grants",
    version,
    about = "Cross-border research grant tracking for the Greater Bay Area"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve gRPC, gRPC-Web, health and reflection (the default).
    Serve(Box<ServeArgs>),
    /// Fill a database with a realistic Greater Bay Area picture for the
    /// dashboard (through the service's own operations; a second run adds
    /// nothing), print a viewer key, and with --live keep it moving.
    #[command(after_help = "Example:\n  gba-grants demo && gba-grants serve\n  \
        then open http://127.0.0.1:50051/ and paste the viewer key")]
    Demo(DemoArgs),
    /// Manage API keys directly on the database (no server needed).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Issue a key and print its secret alone on standard output.
    Create(CreateKeyArgs),
}

#[derive(Debug, Args)]
struct DbArgs {
    /// `sqlite://FILE` or `postgres://…`.
    #[arg(long, env = "GBA_GRANTS_DATABASE_URL", default_value = "sqlite://gba-grants.db")]
    database_url: String,
    /// Seconds a call waits for a database connection (and, on SQLite, for
    /// the database lock) before it answers UNAVAILABLE.
    #[arg(long, env = "GBA_GRANTS_DATABASE_TIMEOUT_SECONDS", default_value_t = 5)]
    database_timeout_seconds: u64,
}

impl DbArgs {
    fn options(&self) -> DbOptions {
        let mut options = DbOptions::new(&self.database_url);
        options.timeout = Duration::from_secs(self.database_timeout_seconds.max(1));
        options
    }
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GBA_GRANTS_LISTEN", default_value = "127.0.0.1:50051")]
    listen: String,
    #[command(flatten)]
    db: DbArgs,
    /// Log format on standard error.
    #[arg(long, env = "GBA_GRANTS_LOG_FORMAT", value_enum, default_value = "pretty")]
    log_format: LogFormat,
    /// Seconds in-flight calls get to finish after SIGTERM.
    #[arg(long, env = "GBA_GRANTS_SHUTDOWN_GRACE_SECONDS", default_value_t = 30)]
    shutdown_grace_seconds: u64,
    /// Events a watcher may fall behind before it is ended (WATCHER_TOO_SLOW).
    #[arg(long, env = "GBA_GRANTS_WATCH_BUFFER", default_value_t = 4_096)]
    watch_buffer: usize,
    /// Seconds between progress messages on idle streams.
    #[arg(long, env = "GBA_GRANTS_PROGRESS_INTERVAL_SECONDS", default_value_t = 10)]
    progress_interval_seconds: u64,
    /// Prune events older than this many hours (0 keeps all); older cursors
    /// then fail with CURSOR_EXPIRED.
    #[arg(long, env = "GBA_GRANTS_EVENT_RETENTION_HOURS", default_value_t = 0)]
    event_retention_hours: u64,
    /// Hours a request_id is remembered: a retry within them replays the
    /// first response; after them the same id is a new request.
    #[arg(long, env = "GBA_GRANTS_REQUEST_ID_RETENTION_HOURS", default_value_t = 168)]
    request_id_retention_hours: u64,
    /// An origin (`https://dash.example.org`) whose pages may call the API
    /// with gRPC-Web from the browser; repeat for several (the environment
    /// variable takes a comma-separated list). None by default: the
    /// built-in page needs none, and browsers refuse other origins.
    #[arg(long = "cors-origin", env = "GBA_GRANTS_CORS_ORIGIN", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// Serve Prometheus metrics at http://ADDRESS/metrics (e.g.
    /// 127.0.0.1:9464), apart from the API; off by default.
    #[arg(long, env = "GBA_GRANTS_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// Export traces over OTLP/gRPC to this collector (e.g.
    /// http://127.0.0.1:4317): a span per call, its parent from the
    /// caller's `traceparent`. Off by default.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    otlp_endpoint: Option<String>,
    /// PEM certificate (chain) of this server: serve TLS only. Needs --tls-key.
    #[arg(long, env = "GBA_GRANTS_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "GBA_GRANTS_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// PEM CA certificate: require client certificates it signed (mutual
    /// TLS), in addition to API keys. Needs --tls-cert.
    #[arg(long, env = "GBA_GRANTS_TLS_CLIENT_CA", requires = "tls_cert")]
    tls_client_ca: Option<std::path::PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    documents: DocumentArgs,
}

/// Documents: where their content is kept, and their limits.
#[derive(Debug, Args)]
struct DocumentArgs {
    /// Where documents' content is kept: a directory, `file:///dir`, or an
    /// S3-compatible bucket `s3://bucket/prefix` (endpoint, region and
    /// credentials from AWS_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY; AWS_ALLOW_HTTP=true for plain HTTP). Default:
    /// a directory beside the SQLite file (NAME-documents), or
    /// ./gba-grants-documents on PostgreSQL (give a bucket for replicas).
    #[arg(long, env = "GBA_GRANTS_DOCUMENT_STORE")]
    document_store: Option<String>,
    /// Bytes of one document at most (a programme may ask for less).
    #[arg(long, env = "GBA_GRANTS_MAX_DOCUMENT_BYTES", default_value_t = 256 << 20)]
    max_document_bytes: i64,
    /// Document versions one application may carry.
    #[arg(long, env = "GBA_GRANTS_MAX_DOCUMENTS_PER_APPLICATION", default_value_t = 100)]
    max_documents_per_application: usize,
    /// Uploads one API key may have in progress at once.
    #[arg(long, env = "GBA_GRANTS_MAX_UPLOADS_PER_KEY", default_value_t = 4)]
    max_uploads_per_key: usize,
    /// Seconds an uploaded object stays claimed; an object no document
    /// names is removed only after that.
    #[arg(long, env = "GBA_GRANTS_DOCUMENT_SWEEP_GRACE_SECONDS", default_value_t = 86_400)]
    document_sweep_grace_seconds: u64,
    /// Seconds between sweeps of objects no document names.
    #[arg(long, env = "GBA_GRANTS_DOCUMENT_SWEEP_INTERVAL_SECONDS", default_value_t = 600)]
    document_sweep_interval_seconds: u64,
    /// Seconds between looks for reports past their due time (marked
    /// OVERDUE once each, by one replica at a time).
    #[arg(long, env = "GBA_GRANTS_REPORT_OVERDUE_INTERVAL_SECONDS", default_value_t = 30)]
    report_overdue_interval_seconds: u64,
    /// Let webhooks be sent over plain http (tests on loopback; never in
    /// production).
    #[arg(long, env = "GBA_GRANTS_WEBHOOK_ALLOW_HTTP")]
    webhook_allow_http: bool,
    /// Let webhooks reach loopback, private and link-local addresses.
    #[arg(long, env = "GBA_GRANTS_WEBHOOK_ALLOW_PRIVATE")]
    webhook_allow_private: bool,
    /// Failed attempts in a row after which a webhook is disabled.
    #[arg(long, env = "GBA_GRANTS_WEBHOOK_MAX_FAILURES", default_value_t = 50)]
    webhook_max_failures: i32,
    /// Webhook deliveries in flight at once, all webhooks together.
    #[arg(long, env = "GBA_GRANTS_WEBHOOK_CONCURRENCY", default_value_t = 64)]
    webhook_concurrency: usize,
    /// Seconds the webhook sender's lease lasts unrenewed: when the replica
    /// sending dies, another takes over within this.
    #[arg(long, env = "GBA_GRANTS_WEBHOOK_LEASE_SECONDS", default_value_t = 10)]
    webhook_lease_seconds: u64,
}

/// Limits: going over one answers RESOURCE_EXHAUSTED with a reason naming
/// it, at once (load is shed, not queued).
#[derive(Debug, Args)]
struct LimitArgs {
    /// Calls of one API key in progress at once.
    #[arg(long, env = "GBA_GRANTS_MAX_CALLS_PER_KEY", default_value_t = 256)]
    max_calls_per_key: usize,
    /// Open WatchService streams of one API key.
    #[arg(long, env = "GBA_GRANTS_MAX_STREAMS_PER_KEY", default_value_t = 256)]
    max_streams_per_key: usize,
    /// Open WatchService streams on one connection.
    #[arg(long, env = "GBA_GRANTS_MAX_STREAMS_PER_CONNECTION", default_value_t = 100)]
    max_streams_per_connection: usize,
    /// Items in any repeated field of a request.
    #[arg(long, env = "GBA_GRANTS_MAX_REPEATED_ITEMS", default_value_t = 100)]
    max_repeated_items: usize,
    /// Bytes of one request message.
    #[arg(long, env = "GBA_GRANTS_MAX_MESSAGE_BYTES", default_value_t = 4 * 1024 * 1024)]
    max_message_bytes: usize,
    /// Seconds without traffic after which a connection is closed.
    #[arg(long, env = "GBA_GRANTS_IDLE_TIMEOUT_SECONDS", default_value_t = 120)]
    idle_timeout_seconds: u64,
    /// Seconds between HTTP/2 keepalive pings; a peer that does not answer
    /// within 10 s is dropped.
    #[arg(long, env = "GBA_GRANTS_KEEPALIVE_SECONDS", default_value_t = 30)]
    keepalive_seconds: u64,
    /// Calls from one client address that may fail authentication within a
    /// second; beyond it that address is refused, unchecked, until the
    /// second is over.
    #[arg(
        long,
        env = "GBA_GRANTS_MAX_FAILED_AUTHENTICATIONS_PER_SECOND",
        default_value_t = 100
    )]
    max_failed_authentications_per_second: u32,
}

#[derive(Debug, Args)]
struct DemoArgs {
    #[command(flatten)]
    db: DbArgs,
    /// After filling, keep acting as officers and applicants until stopped.
    #[arg(long)]
    live: bool,
    /// Seconds between live steps.
    #[arg(long, default_value_t = 2)]
    live_interval_seconds: u64,
    /// Where the server (started separately) listens, for the printed URL.
    #[arg(long, env = "GBA_GRANTS_LISTEN", default_value = "127.0.0.1:50051")]
    listen: String,
}

#[derive(Debug, Args)]
struct CreateKeyArgs {
    /// admin, officer, applicant, viewer or reviewer.
    #[arg(long)]
    role: String,
    /// `institutions/…`: the applicant's institution, or the officer's or
    /// reviewer's affiliation (required for reviewers: the
    /// conflict-of-interest rule).
    #[arg(long)]
    institution: Option<String>,
    /// `programmes/…` in scope (officer, viewer, reviewer); repeat for several.
    #[arg(long = "programme")]
    programmes: Vec<String>,
    /// Viewer: every programme is in scope.
    #[arg(long)]
    all_programmes: bool,
    /// A label for the key.
    #[arg(long, default_value = "")]
    display_name: String,
    /// The person who holds the key: events and endorsements show them.
    #[arg(long, default_value = "")]
    person_name: String,
    /// The holder's ORCID iD (with --person-name); a reviewer whose ORCID
    /// iD is on an application's team is conflicted on it.
    #[arg(long, default_value = "")]
    person_orcid: String,
    #[command(flatten)]
    db: DbArgs,
}

/// Runs the command line; the exit code is 0 on success.
pub async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(*args).await,
        Some(Command::Demo(args)) => demo(args).await,
        Some(Command::Keys {
            command: KeysCommand::Create(args),
        }) => create_key(args).await,
    }
}

async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let telemetry = telemetry::init(args.log_format, args.otlp_endpoint.as_deref())?;
    let result = serve_with(args).await;
    telemetry.shutdown();
    result
}

async fn serve_with(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let mut settings = Settings::new(args.listen, args.db.database_url.clone());
    settings.database_timeout = Duration::from_secs(args.db.database_timeout_seconds.max(1));
    settings.cors_origins = args.cors_origins.clone();
    settings.metrics_listen = args.metrics_listen.clone();
    settings.tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(crate::tls::TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
            client_ca: args.tls_client_ca.clone(),
        }),
        _ => None,
    };
    let LimitArgs {
        max_calls_per_key,
        max_streams_per_key,
        max_streams_per_connection,
        max_repeated_items,
        max_message_bytes,
        idle_timeout_seconds,
        keepalive_seconds,
        max_failed_authentications_per_second,
    } = args.limits;
    settings.limits = LimitSettings {
        calls_per_key: max_calls_per_key.max(1),
        streams_per_key: max_streams_per_key.max(1),
        streams_per_connection: max_streams_per_connection.max(1),
        repeated_items: max_repeated_items.max(1),
        message_bytes: max_message_bytes.max(1_024),
        failed_authentications_per_second: max_failed_authentications_per_second.max(1),
    };
    settings.idle_timeout = Duration::from_secs(idle_timeout_seconds.max(1));
    settings.keepalive_interval = Duration::from_secs(keepalive_seconds.max(1));
    settings.shutdown_grace = Duration::from_secs(args.shutdown_grace_seconds);
    settings.hub.watcher_buffer = args.watch_buffer.max(1);
    settings.hub.progress_interval = Duration::from_secs(args.progress_interval_seconds.max(1));
    settings.hub.retention =
        (args.event_retention_hours > 0).then(|| Duration::from_secs(args.event_retention_hours * 3_600));
    settings.request_id_retention = Duration::from_secs(args.request_id_retention_hours.max(1) * 3_600);
    let d = &args.documents;
    settings.documents = startup::DocumentSettings {
        store: d.document_store.clone(),
        limits: crate::domain::DocumentLimits {
            max_document_bytes: d.max_document_bytes.max(1),
            max_documents_per_application: d.max_documents_per_application.max(1),
            max_uploads_per_key: d.max_uploads_per_key.max(1),
            claim: Duration::from_secs(d.document_sweep_grace_seconds.max(1)),
        },
        sweep_interval: Duration::from_secs(d.document_sweep_interval_seconds.max(1)),
    };
    settings.report_overdue_interval = Duration::from_secs(d.report_overdue_interval_seconds.max(1));
    settings.webhooks.policy = crate::domain::webhook::UrlPolicy {
        allow_http: d.webhook_allow_http,
        allow_private: d.webhook_allow_private,
    };
    settings.webhooks.sender.max_failures = d.webhook_max_failures.max(1);
    settings.webhooks.sender.concurrency = d.webhook_concurrency.max(1);
    settings.webhooks.sender.lease = Duration::from_secs(d.webhook_lease_seconds.max(1));
    let mut signal = Box::pin(startup::shutdown_signal());
    // A signal during start-up (say, while the database is still being
    // waited for) stops it at once.
    let app = tokio::select! {
        app = Application::build(settings) => app?,
        () = &mut signal => {
            tracing::info!("stopped by a signal before start-up finished");
            return Ok(());
        }
    };
    if let Some(secret) = app.bootstrap_secret() {
        eprintln!("gba-grants: empty database; bootstrap admin key (shown once, store it now):");
        println!("{secret}");
    }
    app.run_until(signal).await?;
    Ok(())
}

async fn create_key(args: CreateKeyArgs) -> Result<(), Box<dyn std::error::Error>> {
    telemetry::init(LogFormat::Pretty, None)?;
    let CreateKeyArgs {
        role,
        institution,
        programmes,
        all_programmes,
        display_name,
        person_name,
        person_orcid,
        db,
    } = args;
    let input = ApiKeyInput {
        role: Some(Role::parse(&role, "--role")?),
        institution: institution.unwrap_or_default(),
        programmes,
        all_programmes,
        display_name,
        person_name,
        person_orcid,
    };
    let jobs = Jobs::new();
    let db = Db::connect_existing(&db.options(), &jobs).await?;
    let grants = Grants::new(db.store());
    let issued = grants.create_api_key_offline(input).await;
    jobs.stop(Duration::from_secs(2)).await;
    db.close().await;
    let secret = issued?
        .secret
        .ok_or_else(|| Error::internal("a new key came back without its secret"))?;
    println!("{secret}");
    Ok(())
}

async fn demo(args: DemoArgs) -> Result<(), Box<dyn std::error::Error>> {
    telemetry::init(LogFormat::Pretty, None)?;
    let jobs = Jobs::new();
    let db = Db::connect(&args.db.options(), &jobs).await?;
    let grants = Grants::new(db.store());
    let result = async {
        let demo = crate::demo::Demo::new(grants).await?;
        let filled = demo.fill().await?;
        eprintln!(
            "gba-grants demo: {} programmes and {} applications in {}",
            filled.programmes.len(),
            filled.applications,
            args.db.database_url
        );
        eprintln!("gba-grants demo: a viewer key for every programme (shown once):");
        println!("{}", filled.viewer_secret);
        eprintln!(
            "gba-grants demo: start `gba-grants serve --database-url {}` and open http://{}/",
            args.db.database_url, args.listen
        );
        if args.live {
            let every = Duration::from_secs(args.live_interval_seconds.max(1));
            eprintln!("gba-grants demo: acting live every {every:?}; Ctrl-C stops");
            crate::demo::live(&demo, every, startup::shutdown_signal()).await?;
        }
        Ok::<_, Error>(())
    }
    .await;
    jobs.stop(Duration::from_secs(2)).await;
    db.close().await;
    Ok(result?)
}
