//! Prometheus metrics on their own listener (`--metrics-listen`), apart
//! from the API so the port need not be exposed with it: `GET /metrics` in
//! the text exposition format, rendered by `metrics-exporter-prometheus`.
//! The recorder is installed once per process; database pool gauges are
//! read at each scrape.

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::store::Db;

/// Latency buckets, seconds: 0.5 ms to 10 s.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Messages per call: a unary call's one, a stream's many.
const MESSAGES: [f64; 9] = [0.0, 1.0, 2.0, 5.0, 10.0, 100.0, 1_000.0, 10_000.0, 100_000.0];

/// Installs the recorder (once per process). Call it before the first
/// call is served: metric handles made before it record nothing.
pub fn install() -> Result<PrometheusHandle, String> {
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full("rpc_server_responses_per_rpc".into()), &MESSAGES))
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|e| format!("cannot install the metrics recorder: {e}"))
        })
        .clone()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "gba_grants_calls_total",
        "gRPC calls answered, by service, method and code"
    );
    describe_histogram!(
        "rpc_server_call_duration_seconds",
        metrics::Unit::Seconds,
        "rpc.server.call.duration: a call's whole time (a stream's, to its end), by rpc_service, rpc_method \
         and rpc_grpc_status_code"
    );
    describe_histogram!(
        "rpc_server_responses_per_rpc",
        "rpc.server.responses_per_rpc: messages a call sent (a stream's events), by rpc_service and rpc_method"
    );
    describe_gauge!(
        "gba_grants_calls_in_flight",
        "gRPC calls (streams included) not yet finished"
    );
    describe_gauge!(
        "gba_grants_streams_open",
        "open watch streams, by kind (events, summaries)"
    );
    describe_counter!("gba_grants_events_appended_total", "events committed by this replica");
    describe_counter!(
        "gba_grants_events_published_total",
        "events the tailer published to this replica's watchers"
    );
    describe_gauge!(
        "gba_grants_tailer_lag_events",
        "newest position announced as committed minus the newest published"
    );
    describe_histogram!(
        "gba_grants_tailer_read_seconds",
        "time of one read of the event log by the tailer"
    );
    describe_counter!(
        "gba_grants_watchers_too_slow_total",
        "watchers ended with WATCHER_TOO_SLOW"
    );
    describe_counter!(
        "gba_grants_idempotent_replays_total",
        "calls answered from a request_id's first response"
    );
    describe_counter!(
        "gba_grants_webhook_disabled_total",
        "webhooks the sender disabled, by cause: failures (too many in a row) or key (revoked, or its scope lost)"
    );
    describe_histogram!(
        "gba_grants_webhook_batch_seconds",
        "time to write one batch of webhook attempts and cursors"
    );
    describe_gauge!("gba_grants_db_connections", "open database connections, by pool");
    describe_gauge!("gba_grants_db_connections_idle", "idle database connections, by pool");
    describe_gauge!("gba_grants_db_connections_max", "maximum database connections, by pool");
    describe_gauge!(
        "gba_grants_build_info",
        "1, labelled with version, git commit and database kind"
    );
}

/// Binds `listen` and serves `/metrics` from `handle` until `stopping`;
/// returns the bound address.
pub async fn serve(
    listen: &str,
    handle: PrometheusHandle,
    db: Db,
    stopping: CancellationToken,
) -> Result<SocketAddr, String> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen for metrics on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    describe();
    register();
    let process = metrics_process::Collector::default();
    process.describe();
    metrics::gauge!(
        "gba_grants_build_info",
        "version" => env!("CARGO_PKG_VERSION"),
        "git_commit" => env!("GBA_GRANTS_GIT_COMMIT"),
        "database" => db.kind()
    )
    .set(1.0);
    let router = Router::new().route(
        "/metrics",
        get(move || {
            let (handle, db, process) = (handle.clone(), db.clone(), process.clone());
            async move {
                pool_gauges(&db);
                process.collect();
                (
                    [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
                    handle.render(),
                )
            }
        }),
    );
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(stopping.cancelled_owned())
            .await;
        if let Err(err) = served {
            tracing::warn!(%err, "the metrics listener failed");
        }
    });
    tracing::info!(%addr, "serving Prometheus metrics at /metrics");
    Ok(addr)
}

/// Every documented series, at zero: they exist from the first scrape,
/// not from their first increment.
fn register() {
    crate::api::metrics::register_every_method();
    for counter in [
        "gba_grants_events_appended_total",
        "gba_grants_events_published_total",
        "gba_grants_watchers_too_slow_total",
        "gba_grants_idempotent_replays_total",
    ] {
        metrics::counter!(counter).increment(0);
    }
    for kind in ["events", "summaries"] {
        metrics::gauge!("gba_grants_streams_open", "kind" => kind).increment(0.0);
    }
    for cause in ["failures", "key"] {
        metrics::counter!("gba_grants_webhook_disabled_total", "cause" => cause).increment(0);
    }
    metrics::gauge!("gba_grants_tailer_lag_events").increment(0.0);
    let _ = metrics::histogram!("gba_grants_tailer_read_seconds");
}

fn pool_gauges(db: &Db) {
    for pool in db.pool_stats() {
        let labels = [("pool", pool.name)];
        metrics::gauge!("gba_grants_db_connections", &labels).set(f64::from(pool.size));
        metrics::gauge!("gba_grants_db_connections_idle", &labels).set(pool.idle as f64);
        metrics::gauge!("gba_grants_db_connections_max", &labels).set(f64::from(pool.max));
    }
}
