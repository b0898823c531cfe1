//! Fan-out benchmark, side by side in one run: gba-grants'
//! WatchApplicationEvents (real server process, SQLite, events made by
//! real writes) against a bare tonic server broadcasting the same message
//! shape from a tokio broadcast channel (the ceiling).
//!
//! `cargo bench --bench fanout` runs every scenario; `-- quick` a short one.
//! Reports delivered/s, p50/p99 commit→receipt latency, server CPU per
//! delivery and server memory per watcher, each with its ratio to the bare
//! ceiling.

use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gba_grants::proto::v1::{
    self,
    watch_application_events_response::Kind,
    watch_service_client::WatchServiceClient,
    watch_service_server::{WatchService, WatchServiceServer},
};
use tokio::sync::broadcast;
use tokio_stream::{Stream, StreamExt, wrappers::BroadcastStream};
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Request, Response, Status};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

fn ts(micros: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: micros / 1_000_000,
        nanos: ((micros % 1_000_000) * 1_000) as i32,
    }
}

fn micros(t: &prost_types::Timestamp) -> i64 {
    t.seconds * 1_000_000 + i64::from(t.nanos / 1_000)
}

// ---------- the bare ceiling: a tonic server over a broadcast channel ----------

struct Bare {
    tx: broadcast::Sender<v1::WatchApplicationEventsResponse>,
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl WatchService for Bare {
    type WatchApplicationEventsStream = BoxStream<v1::WatchApplicationEventsResponse>;
    type WatchProgrammeSummaryStream = BoxStream<v1::WatchProgrammeSummaryResponse>;

    async fn watch_application_events(
        &self,
        _: Request<v1::WatchApplicationEventsRequest>,
    ) -> Result<Response<Self::WatchApplicationEventsStream>, Status> {
        let first = v1::WatchApplicationEventsResponse {
            kind: Some(Kind::Progress(v1::Progress {
                cursor: String::new(),
                send_time: None,
            })),
        };
        let live = BroadcastStream::new(self.tx.subscribe()).filter_map(|m| m.ok().map(Ok));
        Ok(Response::new(Box::pin(tokio_stream::once(Ok(first)).chain(live))))
    }

    async fn watch_programme_summary(
        &self,
        _: Request<v1::WatchProgrammeSummaryRequest>,
    ) -> Result<Response<Self::WatchProgrammeSummaryStream>, Status> {
        Err(Status::unimplemented("bare"))
    }
}

/// An event shaped like the ones gba-grants sends.
fn sample_event(seq: i64) -> v1::WatchApplicationEventsResponse {
    let app = "programmes/019ac4f0a1b27c3d8e9f001122334455/applications/019ac4f0a1b27c3d8e9f0011223344aa";
    let snapshot = v1::Application {
        name: app.into(),
        applicant_institution: "institutions/019ac4f0a1b27c3d8e9f001122334466".into(),
        title: "Typhoon-resilient coastal infrastructure for the Pearl River Delta".into(),
        r#abstract: "We model storm surge across Hong Kong, Macao and Guangdong.".into(),
        principal_investigator: Some(v1::Investigator {
            name: "Dr Chan Tai Man".into(),
            email: "tmchan@hku.hk".into(),
            orcid: "0000-0002-1825-0097".into(),
        }),
        requested_amount: Some(v1::Money {
            currency_code: "CNY".into(),
            units: 1_000,
            nanos: 0,
        }),
        duration_months: 24,
        state: 1,
        etag: "1".into(),
        create_time: Some(ts(now_micros())),
        update_time: Some(ts(now_micros())),
        disbursed_amount: Some(v1::Money {
            currency_code: "CNY".into(),
            units: 0,
            nanos: 0,
        }),
        ..Default::default()
    };
    v1::WatchApplicationEventsResponse {
        kind: Some(Kind::Event(v1::ApplicationEvent {
            cursor: format!("{seq}"),
            application: app.into(),
            programme: "programmes/019ac4f0a1b27c3d8e9f001122334455".into(),
            applicant_institution: "institutions/019ac4f0a1b27c3d8e9f001122334466".into(),
            new_state: 1,
            actor: "apiKeys/019ac4f0a1b27c3d8e9f001122334477".into(),
            actor_role: 3,
            event_time: Some(ts(now_micros())),
            snapshot: Some(snapshot),
            ..Default::default()
        })),
    }
}

/// `fanout bare-server RATE`: serve on 127.0.0.1:0, print the port, and
/// publish RATE events per second forever.
async fn bare_server(rate: u64) -> Res<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?.port());
    let (tx, _) = broadcast::channel(4_096);
    let publisher = tx.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
        let mut seq = 0;
        loop {
            tick.tick().await;
            seq += 1;
            let _ = publisher.send(sample_event(seq));
        }
    });
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    Server::builder()
        .add_service(WatchServiceServer::new(Bare { tx }))
        .serve_with_incoming(incoming)
        .await?;
    Ok(())
}

// ---------- measuring ----------

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

struct Scenario {
    watchers: usize,
    rate: u64,
    seconds: u64,
}

/// The publishing window, in µs since the epoch (0: not yet).
#[derive(Default)]
struct Window {
    start: AtomicI64,
    stop: AtomicI64,
    closed: AtomicBool,
}

#[derive(Debug, Default)]
struct Figures {
    delivered_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_us_per_delivery: f64,
    kib_per_watcher: f64,
    complete: bool,
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
    let mut stream = client
        .watch_application_events(v1::WatchApplicationEventsRequest::default())
        .await?
        .into_inner();
    stream.message().await?;
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

async fn measure(
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
        ready_rx.recv().await;
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

fn spawn(cmd: &mut Command) -> Res<(Child, String)> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().ok_or("stdout")?),
        &mut line,
    )?;
    Ok((child, line.trim().to_owned()))
}

async fn gba(s: &Scenario, dir: &std::path::Path) -> Res<Figures> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = format!("127.0.0.1:{port}");
    let exe = std::env::var("GBA_GRANTS_BIN").unwrap_or_else(|_| "target/release/gba-grants".into());
    let (mut child, admin) = spawn(
        Command::new(exe)
            .args(["serve", "--listen", &addr, "--database-url"])
            .arg(format!(
                "sqlite://{}/bench-{}.db",
                dir.display(),
                s.watchers * 1_000 + s.rate as usize
            ))
            .args(["--watch-buffer", "65536"]),
    )?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let channel = Endpoint::from_shared(format!("http://{addr}"))?
        .tcp_nodelay(true)
        .connect()
        .await?;
    let auth: MetadataValue<_> = format!("Bearer {admin}").parse()?;
    let interceptor = move |mut r: Request<()>| {
        r.metadata_mut().insert("authorization", auth.clone());
        Ok(r)
    };
    use v1::{
        application_service_client::ApplicationServiceClient, institution_service_client::InstitutionServiceClient,
        programme_service_client::ProgrammeServiceClient,
    };
    let hku = InstitutionServiceClient::with_interceptor(channel.clone(), interceptor.clone())
        .create_institution(v1::CreateInstitutionRequest {
            institution: Some(v1::Institution {
                display_name: "HKU".into(),
                local_name: "香港大學".into(),
                region: v1::Region::HongKong.into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .institution
        .ok_or("institution")?
        .name;
    let now = now_micros();
    let programme = ProgrammeServiceClient::with_interceptor(channel.clone(), interceptor.clone())
        .create_programme(v1::CreateProgrammeRequest {
            programme: Some(v1::Programme {
                display_name: "Bench".into(),
                local_name: "基准".into(),
                funder: "GD".into(),
                currency_code: "CNY".into(),
                budget: Some(v1::Money {
                    currency_code: "CNY".into(),
                    units: 1_000_000_000,
                    nanos: 0,
                }),
                max_award: Some(v1::Money {
                    currency_code: "CNY".into(),
                    units: 1_000_000,
                    nanos: 0,
                }),
                eligible_regions: vec![v1::Region::HongKong.into()],
                open_time: Some(ts(now - 3_600_000_000)),
                close_time: Some(ts(now + 3_600_000_000)),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .programme
        .ok_or("programme")?
        .name;
    let rate = s.rate;
    let writer = move |how_long: Duration| {
        let mut apps = ApplicationServiceClient::with_interceptor(channel.clone(), interceptor.clone());
        let (programme, hku) = (programme.clone(), hku.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
            let end = Instant::now() + how_long;
            let mut n = 0;
            while Instant::now() < end {
                tick.tick().await;
                let app = v1::Application {
                    applicant_institution: hku.clone(),
                    title: "Bench".into(),
                    ..Default::default()
                };
                if apps
                    .create_application(v1::CreateApplicationRequest {
                        parent: programme.clone(),
                        application: Some(app),
                        request_id: String::new(),
                    })
                    .await
                    .is_ok()
                {
                    n += 1;
                }
            }
            n
        })
    };
    let figures = measure(child.id(), &addr, &admin, s, writer).await;
    child.kill().ok();
    child.wait().ok();
    figures
}

async fn bare(s: &Scenario) -> Res<Figures> {
    let exe = std::env::current_exe()?;
    let (mut child, port) = spawn(Command::new(exe).args(["bare-server", &s.rate.to_string()]))?;
    let addr = format!("127.0.0.1:{port}");
    let rate = s.rate;
    let figures = measure(child.id(), &addr, "none", s, move |d: Duration| {
        // The bare server publishes on its own; count what it publishes.
        tokio::spawn(async move {
            tokio::time::sleep(d).await;
            (d.as_secs_f64() * rate as f64 * 0.98) as u64
        })
    })
    .await;
    child.kill().ok();
    child.wait().ok();
    figures
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if args.get(1).map(String::as_str) == Some("bare-server") {
        let rate = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(10);
        return rt.block_on(bare_server(rate));
    }
    let quick = args.iter().any(|a| a == "quick");
    let scenarios = if quick {
        vec![Scenario {
            watchers: 200,
            rate: 10,
            seconds: 3,
        }]
    } else {
        vec![
            Scenario {
                watchers: 1_000,
                rate: 10,
                seconds: 10,
            },
            Scenario {
                watchers: 10_000,
                rate: 10,
                seconds: 10,
            },
            Scenario {
                watchers: 1_000,
                rate: 100,
                seconds: 10,
            },
        ]
    };
    let dir = tempfile::tempdir()?;
    println!(
        "| watchers × events/s | server | delivered/s | p50 ms | p99 ms | server CPU µs/delivery | KiB/watcher | all delivered |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for s in &scenarios {
        let ceiling = rt.block_on(bare(s))?;
        let ours = rt.block_on(gba(s, dir.path()))?;
        let label = format!("{} × {}", s.watchers, s.rate);
        for (name, f) in [("bare tonic broadcast", &ceiling), ("gba-grants", &ours)] {
            println!(
                "| {label} | {name} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
                f.delivered_per_s, f.p50_ms, f.p99_ms, f.cpu_us_per_delivery, f.kib_per_watcher, f.complete
            );
        }
        println!(
            "| {label} | **ratio** | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | |",
            ours.delivered_per_s / ceiling.delivered_per_s.max(1.0),
            ours.p50_ms / ceiling.p50_ms.max(0.001),
            ours.p99_ms / ceiling.p99_ms.max(0.001),
            ours.cpu_us_per_delivery / ceiling.cpu_us_per_delivery.max(0.001),
            ours.kib_per_watcher / ceiling.kib_per_watcher.max(0.001),
        );
    }
    Ok(())
}
