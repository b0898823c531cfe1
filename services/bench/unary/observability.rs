//! The cost of metrics on a call, in one run: GetApplication against a
//! second gba-grants on the same database with `--metrics-listen` (and a
//! scraper reading `/metrics` every second, as Prometheus would), then
//! again against the first server, without metrics, right after.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use gba_grants::proto::v1;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::load::{Stats, drive};
use super::report::{Row, row};
use super::{Authed, CONNECTIONS, IN_FLIGHT, Res, Settings, authed, channels, pinned};

async fn get_applications(chans: Vec<Authed>, sample: Arc<Vec<String>>, pid: u32, s: &Settings) -> Stats {
    drive(IN_FLIGHT, s.how_long, Some(pid), move |i| {
        let mut c = v1::application_service_client::ApplicationServiceClient::new(chans[i % CONNECTIONS].clone());
        let name = sample[i % sample.len().max(1)].clone();
        async move { c.get_application(v1::GetApplicationRequest { name }).await.is_ok() }
    })
    .await
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

/// Two rows: with metrics, and without (the first server, again).
pub async fn measure(
    exe: &str,
    url: &str,
    admin: &str,
    sample: Arc<Vec<String>>,
    without_pid: u32,
    without: &[Authed],
    s: &Settings,
) -> Res<Vec<Row>> {
    let free = || std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr());
    let (addr, metrics) = (free()?.to_string(), free()?.to_string());
    let mut child = pinned(exe)
        .args([
            "serve",
            "--listen",
            &addr,
            "--database-url",
            url,
            "--metrics-listen",
            &metrics,
        ])
        .args(["--max-calls-per-key", "10000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let chans = loop {
        match channels(&addr).await {
            Ok(c) => break c,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    // Serving once the database is open: a call answers.
    let with_metrics = authed(&chans, admin)?;
    for _ in 0..200 {
        let mut c = v1::application_service_client::ApplicationServiceClient::new(with_metrics[0].clone());
        let name = sample.first().cloned().unwrap_or_default();
        if c.get_application(v1::GetApplicationRequest { name }).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let scraper = tokio::spawn(async move {
        loop {
            scrape(&metrics).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let with = get_applications(with_metrics, sample.clone(), child.id(), s).await;
    scraper.abort();
    child.kill().ok();
    child.wait().ok();
    let plain = get_applications(without.to_vec(), sample, without_pid, s).await;
    let server = "gba-grants SQLite".to_owned();
    let mut on = row("GetApplication, metrics on (scraped every s)", &server, with);
    on.versus = Some(("metrics off".into(), with.per_s / plain.per_s.max(1.0)));
    on.note = format!(
        "CPU per call {:+.1} % against metrics off",
        (with.cpu_us / plain.cpu_us.max(0.001) - 1.0) * 100.0
    );
    Ok(vec![on, row("GetApplication, metrics off (again)", &server, plain)])
}
