//! The cost of metrics and of traces on a call, in one run:
//! GetApplication against a second gba-grants on the same database with
//! `--metrics-listen` (and a scraper reading `/metrics` every second, as
//! Prometheus would); against a third with `--otlp-endpoint` exporting
//! every call's spans (each call carries a sampled W3C `traceparent`) to a
//! receiver in this process; then again against the first server, with
//! neither, right after.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use gba_grants::proto::v1;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::load::{Stats, drive};
use super::report::{Row, row};
use super::{Authed, CONNECTIONS, IN_FLIGHT, Res, Settings, authed, channels, pinned};

/// Sampled W3C trace context, the same on every call (a caller's).
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async fn get_applications(chans: Vec<Authed>, sample: Arc<Vec<String>>, pid: u32, s: &Settings, traced: bool) -> Stats {
    drive(IN_FLIGHT, s.how_long, Some(pid), move |i| {
        let mut c = v1::application_service_client::ApplicationServiceClient::new(chans[i % CONNECTIONS].clone());
        let name = sample[i % sample.len().max(1)].clone();
        async move {
            let mut request = tonic::Request::new(v1::GetApplicationRequest { name });
            if traced && let Ok(value) = TRACEPARENT.parse() {
                request.metadata_mut().insert("traceparent", value);
            }
            c.get_application(request).await.is_ok()
        }
    })
    .await
}

/// An OTLP receiver that counts the spans it is sent and keeps nothing.
#[derive(Clone, Default)]
struct Sink {
    spans: Arc<std::sync::atomic::AtomicU64>,
}

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let n: usize = request
            .into_inner()
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        self.spans.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

/// A second server on the same database, with `extra` arguments, serving.
async fn second(
    exe: &str,
    url: &str,
    admin: &str,
    sample: &[String],
    extra: &[&str],
) -> Res<(std::process::Child, Vec<Authed>)> {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string();
    let child = pinned(exe)
        .args(["serve", "--listen", &addr, "--database-url", url])
        .args(extra)
        .args(["--max-calls-per-key", "10000"])
        .env("OTEL_BSP_MAX_QUEUE_SIZE", "65536")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let mut child = child;
    let chans = loop {
        if let Some(status) = child.try_wait()? {
            return Err(format!("{exe} {extra:?} exited ({status}): a build without these flags?").into());
        }
        match channels(&addr).await {
            Ok(c) => break c,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    // Serving once the database is open: a call answers.
    let authed = authed(&chans, admin)?;
    for _ in 0..200 {
        let mut c = v1::application_service_client::ApplicationServiceClient::new(authed[0].clone());
        let name = sample.first().cloned().unwrap_or_default();
        if c.get_application(v1::GetApplicationRequest { name }).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok((child, authed))
}

async fn scrape(addr: &str) -> Option<usize> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    let mut body = Vec::new();
    stream.read_to_end(&mut body).await.ok()?;
    Some(body.len())
}

/// Three rows: with metrics, with traces, and with neither (the first
/// server, again).
pub async fn measure(
    exe: &str,
    url: &str,
    admin: &str,
    sample: Arc<Vec<String>>,
    without_pid: u32,
    without: &[Authed],
    s: &Settings,
) -> Res<Vec<Row>> {
    let metrics = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string();
    let (mut child, chans) = second(exe, url, admin, &sample, &["--metrics-listen", &metrics]).await?;
    let scraper = tokio::spawn(async move {
        loop {
            scrape(&metrics).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let with_metrics = get_applications(chans, sample.clone(), child.id(), s, false).await;
    scraper.abort();
    child.kill().ok();
    child.wait().ok();

    let sink = Sink::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let collector = format!("http://{}", listener.local_addr()?);
    let serving = sink.clone();
    let receiver = tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(serving))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
    });
    let (mut child, chans) = second(exe, url, admin, &sample, &["--otlp-endpoint", &collector]).await?;
    let with_traces = get_applications(chans, sample.clone(), child.id(), s, true).await;
    tokio::time::sleep(Duration::from_secs(6)).await; // the last batches
    child.kill().ok();
    child.wait().ok();
    receiver.abort();
    let exported = sink.spans.load(std::sync::atomic::Ordering::Relaxed);

    let plain = get_applications(without.to_vec(), sample, without_pid, s, false).await;
    let server = "gba-grants SQLite".to_owned();
    let cpu = |with: &Stats| (with.cpu_us / plain.cpu_us.max(0.001) - 1.0) * 100.0;
    let mut on = row("GetApplication, metrics on (scraped every s)", &server, with_metrics);
    on.versus = Some(("neither".into(), with_metrics.per_s / plain.per_s.max(1.0)));
    on.note = format!("CPU per call {:+.1} % against neither", cpu(&with_metrics));
    let mut traced = row("GetApplication, traces on (every call exported)", &server, with_traces);
    traced.versus = Some(("neither".into(), with_traces.per_s / plain.per_s.max(1.0)));
    traced.note = format!(
        "CPU per call {:+.1} % against neither; {:.1} spans exported per call",
        cpu(&with_traces),
        exported as f64 / (with_traces.per_s * s.how_long.as_secs_f64()).max(1.0)
    );
    Ok(vec![
        on,
        traced,
        row("GetApplication, neither (metrics or traces off)", &server, plain),
    ])
}
