//! Measuring one scenario against a running server process: watchers,
//! latency, delivered/s, server CPU and memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use gba_grants::proto::v1::{self, watch_application_events_response::Kind, watch_service_client::WatchServiceClient};
use tonic::Request;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};

use super::{Res, micros, now_micros};

fn proc_field(pid: u32, file: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap_or_default()
}

fn rss_kib(pid: u32) -> u64 {
    proc_field(pid, "status")
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// User + system CPU of a process, in microseconds.
fn cpu_micros(pid: u32) -> u64 {
    let stat = proc_field(pid, "stat");
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    ticks * 10_000 // 100 ticks per second
}

pub struct Scenario {
    pub watchers: usize,
    pub rate: u64,
    pub seconds: u64,
}

/// The publishing window, in µs since the epoch (0: not yet).
#[derive(Default)]
struct Window {
    start: AtomicI64,
    stop: AtomicI64,
    closed: AtomicBool,
}

#[derive(Debug, Default)]
pub struct Figures {
    pub delivered_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub cpu_us_per_delivery: f64,
    pub kib_per_watcher: f64,
    pub complete: bool,
}

/// A watcher: records the latency of each event published in the window.
async fn watcher(
    channel: Channel,
    key: String,
    window: Arc<Window>,
    ready: tokio::sync::mpsc::Sender<()>,
) -> Res<(Vec<u32>, Vec<String>)> {
    let auth: MetadataValue<_> = format!("Bearer {key}").parse()?;
    let mut client = WatchServiceClient::with_interceptor(channel, move |mut r: Request<()>| {
        r.metadata_mut().insert("authorization", auth.clone());
        Ok(r)
    });
    let opened = async {
        let mut stream = client
            .watch_application_events(v1::WatchApplicationEventsRequest::default())
            .await?
            .into_inner();
        stream.message().await?;
        Ok::<_, tonic::Status>(stream)
    };
    let mut stream = match opened.await {
        Ok(stream) => stream,
        Err(status) => {
            // Say so, rather than leave the benchmark waiting for it.
            eprintln!("a watcher could not open its stream: {status:?}");
            return Err(status.into());
        }
    };
    ready.send(()).await.ok();
    let (mut lat, mut ids) = (Vec::new(), Vec::new());
    while let Some(m) = stream.message().await? {
        if let Some(Kind::Event(e)) = m.kind {
            let sent = e.event_time.as_ref().map_or(0, micros);
            let (start, stop) = (window.start.load(Ordering::SeqCst), window.stop.load(Ordering::SeqCst));
            if start > 0 && sent >= start && (stop == 0 || sent <= stop) {
                lat.push(u32::try_from(now_micros() - sent).unwrap_or(u32::MAX));
                ids.push(e.cursor);
            }
            if window.closed.load(Ordering::SeqCst) {
                break;
            }
        }
    }
    Ok((lat, ids))
}

pub async fn measure(
    pid: u32,
    addr: &str,
    key: &str,
    s: &Scenario,
    mut write: impl FnMut(Duration) -> tokio::task::JoinHandle<u64>,
) -> Res<Figures> {
    let base_rss = rss_kib(pid);
    let connections = s.watchers.div_ceil(500);
    let mut channels = Vec::new();
    for _ in 0..connections {
        channels.push(
            Endpoint::from_shared(format!("http://{addr}"))?
                .tcp_nodelay(true)
                .connect()
                .await?,
        );
    }
    let window = Arc::new(Window::default());
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(s.watchers);
    let mut tasks = Vec::new();
    for i in 0..s.watchers {
        tasks.push(tokio::spawn(watcher(
            channels[i % connections].clone(),
            key.to_owned(),
            window.clone(),
            ready_tx.clone(),
        )));
    }
    for _ in 0..s.watchers {
        tokio::time::timeout(Duration::from_secs(60), ready_rx.recv())
            .await
            .map_err(|_| "watchers did not all open their streams within 60 s")?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let kib_per_watcher = rss_kib(pid).saturating_sub(base_rss) as f64 / s.watchers as f64;

    let cpu0 = cpu_micros(pid);
    let t0 = Instant::now();
    window.start.store(now_micros(), Ordering::SeqCst);
    let writer = write(Duration::from_secs(s.seconds));
    tokio::time::sleep(Duration::from_secs(s.seconds)).await;
    window.stop.store(now_micros(), Ordering::SeqCst);
    let elapsed = t0.elapsed().as_secs_f64();
    let published = writer.await?;
    let cpu = cpu_micros(pid) - cpu0;
    // Let in-flight events arrive, then close the window.
    tokio::time::sleep(Duration::from_secs(2)).await;
    window.closed.store(true, Ordering::SeqCst);
    // Wake every watcher so it sees the closed window.
    let _ = write(Duration::from_millis(300)).await;
    let mut latencies = Vec::new();
    let mut per_watcher = Vec::new();
    let mut union = std::collections::HashSet::new();
    for t in tasks {
        let (lat, ids) = tokio::time::timeout(Duration::from_secs(30), t).await???;
        union.extend(ids.iter().cloned());
        per_watcher.push(ids);
        latencies.extend(lat);
    }
    let delivered = latencies.len();
    // Every watcher got every event of the window, once; and the window
    // holds what was published (give or take the event at each edge).
    let complete = per_watcher.iter().all(|ids| {
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        distinct.len() == ids.len() && ids.len() == union.len()
    }) && union.len() as u64 + 2 >= published;
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0) as f64
            / 1_000.0
    };
    Ok(Figures {
        delivered_per_s: delivered as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        cpu_us_per_delivery: cpu as f64 / delivered.max(1) as f64,
        kib_per_watcher,
        complete,
    })
}
