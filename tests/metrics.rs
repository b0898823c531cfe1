//! Prometheus metrics on their own listener, on every backend: calls by
//! service, method and code, latency histograms, streams, events, pools
//! and build information, in the text format.

mod common;

use std::time::Duration;

use common::watching::*;
use common::world::*;
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

on_every_backend!(metrics_count_calls_streams_and_events,);

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
    let w = server.world().await;
    let draft = w.draft(&server, 100_000).await;
    get(&server, &w.hku_key, &draft.name).await.expect("read");
    let missing = format!("{}/applications/01a0000000007000800000000000000a", w.programme.name);
    let denied = get(&server, &w.um_key, &draft.name).await.unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    get(&server, &server.admin_key, &missing).await.unwrap_err();
    get(&server, "gbk_unknown", &draft.name).await.unwrap_err();
    let mut watch = server.watch(&w.officer_key);
    let (_stream, _cursor) = open(&mut watch, filter_all("")).await.expect("watch");

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
    assert!(sample(&text, "gba_grants_call_duration_seconds_count", &[app, get_app]).is_some_and(|n| n >= 4.0));
    assert!(
        text.contains("gba_grants_call_duration_seconds_bucket{"),
        "a histogram, not a summary"
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
}
