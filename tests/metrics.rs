//! Prometheus metrics on their own listener, on every backend: every
//! documented series from the start (at zero), calls by service, method
//! and code, the RPC semantic conventions' duration histogram and messages
//! per stream, streams, events, pools, the process and build information,
//! in the text format.

mod common;

use std::time::Duration;

use common::watching::*;
use common::world::*;
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

on_every_backend!(
    metrics_count_calls_streams_and_events,
    every_documented_series_exists_from_the_start,
);

async fn scrape(addr: std::net::SocketAddr) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: metrics\r\nConnection: close\r\n\r\n")
        .await
        .expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response).into_owned();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    text
}

/// The value of the first sample of `name` whose labels include all of
/// `labels` (each `key="value"`).
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        let (labelled, value) = match rest.strip_prefix('{') {
            Some(r) => r.split_once("} ")?,
            None => ("", rest.strip_prefix(' ')?),
        };
        labels
            .iter()
            .all(|l| labelled.split(',').any(|have| have == *l))
            .then(|| value.trim().parse().ok())?
    })
}

async fn metrics_count_calls_streams_and_events(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start_with(db, |s| s.metrics_listen = Some("127.0.0.1:0".into())).await;
    let metrics = server.metrics_addr.expect("metrics are served");

    let watch_events = [
        "rpc_system=\"grpc\"",
        "rpc_service=\"gba.grants.v1.WatchService\"",
        "rpc_method=\"WatchApplicationEvents\"",
    ];
    let w = server.world().await;
    let draft = w.draft(&server, 100_000).await;
    get(&server, &w.hku_key, &draft.name).await.expect("read");
    let missing = format!("{}/applications/01a0000000007000800000000000000a", w.programme.name);
    let denied = get(&server, &w.um_key, &draft.name).await.unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    get(&server, &server.admin_key, &missing).await.unwrap_err();
    get(&server, "gbk_unknown", &draft.name).await.unwrap_err();
    let mut watch = server.watch(&w.officer_key);
    let (stream, _cursor) = open(&mut watch, filter_all("")).await.expect("watch");

    let text = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let text = scrape(metrics).await;
            if sample(&text, "gba_grants_streams_open", &["kind=\"events\""]).is_some_and(|v| v >= 1.0) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the open stream is counted");
    let app = "service=\"gba.grants.v1.ApplicationService\"";
    let get_app = "method=\"GetApplication\"";
    for code in ["OK", "PERMISSION_DENIED", "NOT_FOUND", "UNAUTHENTICATED"] {
        let label = format!("code=\"{code}\"");
        let n = sample(&text, "gba_grants_calls_total", &[app, get_app, &label]);
        assert!(n.is_some_and(|n| n >= 1.0), "GetApplication {code}: {n:?}\n{text}");
    }
    // The semantic conventions' duration, by status code number.
    let rpc_app = "rpc_service=\"gba.grants.v1.ApplicationService\"";
    let rpc_get = "rpc_method=\"GetApplication\"";
    for code in ["0", "7", "5", "16"] {
        let label = format!("rpc_grpc_status_code=\"{code}\"");
        let n = sample(
            &text,
            "rpc_server_call_duration_seconds_count",
            &[rpc_app, rpc_get, &label],
        );
        assert!(
            n.is_some_and(|n| n >= 1.0),
            "GetApplication status {code}: {n:?}\n{text}"
        );
    }
    assert!(
        text.contains("rpc_server_call_duration_seconds_bucket{"),
        "a histogram, not a summary"
    );
    assert!(
        text.contains("# TYPE rpc_server_call_duration_seconds histogram"),
        "{text}"
    );
    assert!(sample(&text, "gba_grants_events_appended_total", &[]).is_some_and(|n| n >= 1.0));
    assert!(sample(&text, "gba_grants_calls_in_flight", &[]).is_some());
    assert!(sample(&text, "gba_grants_db_connections_max", &[]).is_some_and(|n| n >= 1.0));
    let database = if backend == Backend::Sqlite {
        "database=\"sqlite\""
    } else {
        "database=\"postgresql\""
    };
    assert!(
        text.lines()
            .any(|l| l.starts_with("gba_grants_build_info{") && l.contains("version=\"") && l.ends_with(" 1")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("gba_grants_build_info{") && l.contains(database)),
        "the database kind is a label"
    );
    // Nothing secret is exported.
    assert!(
        !text.contains(&server.admin_key) && !text.contains("@"),
        "no secrets or e-mails"
    );

    // A stream that ends is counted with the messages it sent (at least
    // its first progress marker).
    drop(stream);
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let text = scrape(metrics).await;
            if sample(&text, "rpc_server_responses_per_rpc_count", &watch_events).is_some_and(|n| n >= 1.0) {
                let sent = sample(&text, "rpc_server_responses_per_rpc_sum", &watch_events);
                assert!(sent.is_some_and(|n| n >= 1.0), "{sent:?}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the ended stream is counted");
}

/// A server process of its own (the test process's recorder is shared by
/// every test in it), scraped before any call.
async fn every_documented_series_exists_from_the_start(backend: Backend) {
    let db = TestDb::new(backend).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut server = common::process::Process::start_with(&db.url, &["--metrics-listen", &listen], &[]);
    server.serving().await;
    let metrics: std::net::SocketAddr = listen.parse().expect("address");
    // Before any call, every documented series is there, at zero.
    let fresh = scrape(metrics).await;
    let close = [
        "rpc_system=\"grpc\"",
        "rpc_service=\"gba.grants.v1.AwardService\"",
        "rpc_method=\"CloseGrant\"",
        "rpc_grpc_status_code=\"0\"",
    ];
    assert_eq!(
        sample(&fresh, "rpc_server_call_duration_seconds_count", &close),
        Some(0.0),
        "{fresh}"
    );
    let watch_events = [
        "rpc_system=\"grpc\"",
        "rpc_service=\"gba.grants.v1.WatchService\"",
        "rpc_method=\"WatchApplicationEvents\"",
    ];
    assert_eq!(
        sample(&fresh, "rpc_server_responses_per_rpc_count", &watch_events),
        Some(0.0),
        "{fresh}"
    );
    for zero in [
        "gba_grants_events_appended_total",
        "gba_grants_events_published_total",
        "gba_grants_watchers_too_slow_total",
        "gba_grants_idempotent_replays_total",
        "gba_grants_tailer_lag_events",
        "gba_grants_calls_in_flight",
    ] {
        assert_eq!(sample(&fresh, zero, &[]), Some(0.0), "{zero} at zero from the start");
    }
    assert_eq!(
        sample(&fresh, "gba_grants_streams_open", &["kind=\"summaries\""]),
        Some(0.0)
    );
    assert!(
        sample(&fresh, "process_resident_memory_bytes", &[]).is_some_and(|b| b > 1e6),
        "{fresh}"
    );
    assert!(sample(&fresh, "process_cpu_seconds_total", &[]).is_some(), "{fresh}");
    assert!(
        sample(&fresh, "process_open_fds", &[]).is_some_and(|n| n > 0.0),
        "{fresh}"
    );

    // Health checks are calls too; they are the only ones made so far.
    let text = scrape(metrics).await;
    assert_eq!(
        sample(&text, "gba_grants_calls_total", &["method=\"GetApplication\""]),
        Some(0.0)
    );
    server.kill_nine();
}
