//! Per-call cost benchmark, side by side in one run: gba-grants (release
//! binary, SQLite and PostgreSQL) against its ceilings — a bare tonic echo
//! server answering the same messages (no key, no database), and raw sqlx
//! inserting the same rows on the same database with the same pool shape.
//!
//! `cargo build --release && cargo bench --bench unary` (add `-- quick` for a
//! run of seconds). 64 calls in flight over 4 HTTP/2 connections; the
//! server is pinned to CPU 0 and this client to CPU 1 when `taskset`
//! exists. PostgreSQL: `GBA_GRANTS_TEST_POSTGRES` (default the local
//! server); skipped when none answers. Prints a Markdown table.

mod echo;
mod load;
mod observability;
mod raw;
mod report;
mod world;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use gba_grants::proto::v1;
use load::{Stats, drive, rss_mib};
use report::{Row, print, row, versus};
use sea_orm::ConnectionTrait;
use tonic::Request;
use tonic::metadata::MetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use world::{cny, create_many, draft, world};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const IN_FLIGHT: usize = 64;
const CONNECTIONS: usize = 4;

fn has_taskset() -> bool {
    Command::new("taskset")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A command, pinned to CPU 0 when possible.
fn pinned(exe: &str) -> Command {
    if has_taskset() {
        let mut c = Command::new("taskset");
        c.args(["-c", "0", exe]);
        c
    } else {
        Command::new(exe)
    }
}

/// Starts a server process; returns it with the first line it prints.
fn spawn(mut command: Command) -> Res<(Child, String)> {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().ok_or("stdout")?),
        &mut line,
    )?;
    Ok((child, line.trim().to_owned()))
}

#[derive(Clone)]
struct Bearer(MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut r: Request<()>) -> Result<Request<()>, tonic::Status> {
        r.metadata_mut().insert("authorization", self.0.clone());
        Ok(r)
    }
}

type Authed = InterceptedService<Channel, Bearer>;

async fn channels(addr: &str) -> Res<Vec<Channel>> {
    let mut out = Vec::new();
    for _ in 0..CONNECTIONS {
        out.push(
            Endpoint::from_shared(format!("http://{addr}"))?
                .tcp_nodelay(true)
                .connect()
                .await?,
        );
    }
    Ok(out)
}

fn authed(channels: &[Channel], key: &str) -> Res<Vec<Authed>> {
    let bearer = Bearer(format!("Bearer {key}").parse()?);
    Ok(channels
        .iter()
        .map(|c| InterceptedService::new(c.clone(), bearer.clone()))
        .collect())
}

struct Settings {
    how_long: Duration,
    applications: usize,
    chains: usize,
}

async fn ceiling(how_long: Duration) -> Res<(Stats, Stats)> {
    let exe = std::env::current_exe()?;
    let (mut child, port) = spawn({
        let mut c = pinned(&exe.to_string_lossy());
        c.arg("echo-server");
        c
    })?;
    let addr = format!("127.0.0.1:{port}");
    let chans = channels(&addr).await?;
    let pid = Some(child.id());
    let p = chans.clone();
    let programme = drive(IN_FLIGHT, how_long, pid, move |i| {
        let mut c = v1::programme_service_client::ProgrammeServiceClient::new(p[i % CONNECTIONS].clone());
        async move { c.get_programme(v1::GetProgrammeRequest::default()).await.is_ok() }
    })
    .await;
    let a = chans.clone();
    let application = drive(IN_FLIGHT, how_long, pid, move |i| {
        let mut c = v1::application_service_client::ApplicationServiceClient::new(a[i % CONNECTIONS].clone());
        async move { c.get_application(v1::GetApplicationRequest::default()).await.is_ok() }
    })
    .await;
    child.kill().ok();
    child.wait().ok();
    Ok((programme, application))
}

async fn backend(name: &str, url: &str, s: &Settings, echo: &(Stats, Stats), rows: &mut Vec<Row>) -> Res<()> {
    let exe = std::env::var("GBA_GRANTS_BIN").unwrap_or_else(|_| "target/release/gba-grants".into());
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = format!("127.0.0.1:{port}");
    let (mut child, admin) = spawn({
        let mut c = pinned(&exe);
        c.args(["serve", "--listen", &addr, "--database-url", url])
            .args(["--max-streams-per-key", "10000", "--max-calls-per-key", "10000"])
            .args(["--max-streams-per-connection", "1000"])
            .args(["--max-failed-authentications-per-second", "100000000"]);
        c
    })?;
    let pid = child.id();
    let result = measure_backend(name, &addr, &admin, pid, url, s, echo, rows).await;
    child.kill().ok();
    child.wait().ok();
    let (programme, institution, ids) = result?;
    // What each database library buys: the same point read through each.
    let ids = Arc::new(ids);
    if let Some(path) = url.strip_prefix("sqlite://") {
        let sqlx = raw::drivers::sqlite_sqlx(url, ids.clone(), s.how_long).await?;
        let rusqlite = raw::drivers::sqlite_rusqlite(path, ids.clone(), s.how_long).await;
        rows.push(row("driver: point read, sqlx (worker thread)", "SQLite", sqlx));
        rows.push(versus(
            row("driver: point read, rusqlite in place", "SQLite", rusqlite),
            "sqlx",
            &sqlx,
        ));
    } else {
        let pool = raw::drivers::postgres_pool(url, ids.clone(), s.how_long).await?;
        let kept = raw::drivers::postgres_kept(url, ids.clone(), s.how_long).await?;
        rows.push(row(
            "driver: point read, sqlx pool (pinged on return)",
            "PostgreSQL",
            pool,
        ));
        rows.push(versus(
            row("driver: point read, kept connections", "PostgreSQL", kept),
            "sqlx pool",
            &pool,
        ));
    }
    if reads_only() {
        return Ok(());
    }
    // The write ceiling, on the same database with the server stopped.
    let raw = if url.starts_with("sqlite:") {
        raw::sqlite(url, &programme, &institution, s.how_long).await?
    } else {
        raw::postgres(url, &programme, &institution, s.how_long).await?
    };
    rows.push(row(
        "raw sqlx: row + event in one transaction",
        &format!("sqlx {name}"),
        raw,
    ));
    // The CreateApplication row was pushed before; compare it now.
    if let Some(pos) = rows
        .iter()
        .position(|r| r.call == "CreateApplication" && r.server.ends_with(name))
    {
        let created = rows.remove(pos);
        rows.push(versus(created, "raw sqlx", &raw));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn measure_backend(
    name: &str,
    addr: &str,
    admin: &str,
    pid: u32,
    url: &str,
    s: &Settings,
    echo: &(Stats, Stats),
    rows: &mut Vec<Row>,
) -> Res<(String, String, Vec<String>)> {
    let chans = channels(addr).await?;
    let c = authed(&chans, admin)?;
    let w = world(&c).await?;
    let server = format!("gba-grants {name}");
    let started = std::time::Instant::now();
    let names = create_many(&c, &w, std::slice::from_ref(&w.programme), s.applications).await;
    eprintln!("{name}: {} applications in {:?}", names.len(), started.elapsed());
    // Every tenth submitted, for a selective state filter.
    for chunk in names.chunks(IN_FLIGHT * 10).map(<[String]>::to_vec) {
        let calls = chunk.iter().step_by(10).cloned().enumerate().map(|(i, n)| {
            let mut a = v1::application_service_client::ApplicationServiceClient::new(c[i % CONNECTIONS].clone());
            tokio::spawn(async move {
                a.submit_application(v1::SubmitApplicationRequest {
                    name: n,
                    ..Default::default()
                })
                .await
                .is_ok()
            })
        });
        for call in calls.collect::<Vec<_>>() {
            call.await.ok();
        }
    }
    if url.starts_with("postgres") {
        let conn = sea_orm::Database::connect(url).await?;
        conn.execute_unprepared("ANALYZE").await?;
        // BENCH_CHECKPOINT=1: a checkpoint after the load, as a load past
        // max_wal_size brings on its own (see BENCHMARKS.md).
        if std::env::var("BENCH_CHECKPOINT").is_ok_and(|v| v == "1") {
            conn.execute_unprepared("CHECKPOINT").await?;
        }
        conn.close().await?;
    }
    let rss_loaded = rss_mib(pid);

    // Health, no key, no database.
    let h = chans.clone();
    let health = drive(IN_FLIGHT, s.how_long, Some(pid), move |i| {
        let mut c = tonic_health::pb::health_client::HealthClient::new(h[i % CONNECTIONS].clone());
        async move { c.check(tonic_health::pb::HealthCheckRequest::default()).await.is_ok() }
    })
    .await;
    rows.push(versus(row("grpc.health.v1 Check", &server, health), "echo", &echo.0));
    // A key the server does not know.
    let unknown = authed(&chans, "gbk_NotAKeyNotAKeyNotAKeyNotAKeyNotAKeyNotAKey00")?;
    let p = w.programme.clone();
    let bad = drive(IN_FLIGHT, s.how_long, Some(pid), move |i| {
        let mut c = v1::programme_service_client::ProgrammeServiceClient::new(unknown[i % CONNECTIONS].clone());
        let name = p.clone();
        async move {
            c.get_programme(v1::GetProgrammeRequest { name })
                .await
                .is_err_and(|e| e.code() == tonic::Code::Unauthenticated)
        }
    })
    .await;
    rows.push(versus(
        row("unknown key (UNAUTHENTICATED)", &server, bad),
        "echo",
        &echo.0,
    ));
    let (cc, p) = (c.clone(), w.programme.clone());
    let get_programme = drive(IN_FLIGHT, s.how_long, Some(pid), move |i| {
        let mut c = v1::programme_service_client::ProgrammeServiceClient::new(cc[i % CONNECTIONS].clone());
        let name = p.clone();
        async move { c.get_programme(v1::GetProgrammeRequest { name }).await.is_ok() }
    })
    .await;
    rows.push(versus(row("GetProgramme", &server, get_programme), "echo", &echo.0));
    let (cc, sample) = (
        c.clone(),
        Arc::new(names.iter().take(1_000).cloned().collect::<Vec<_>>()),
    );
    let get_application = drive(IN_FLIGHT, s.how_long, Some(pid), move |i| {
        let mut c = v1::application_service_client::ApplicationServiceClient::new(cc[i % CONNECTIONS].clone());
        let name = sample[i % sample.len().max(1)].clone();
        async move { c.get_application(v1::GetApplicationRequest { name }).await.is_ok() }
    })
    .await;
    rows.push(versus(row("GetApplication", &server, get_application), "echo", &echo.1));
    let ids: Vec<String> = names
        .iter()
        .take(1_000)
        .filter_map(|n| n.rsplit('/').next().map(str::to_owned))
        .collect();
    if reads_only() {
        return Ok((w.programme, w.institutions[0].clone(), ids));
    }
    if url.starts_with("sqlite:") {
        let exe = std::env::var("GBA_GRANTS_BIN").unwrap_or_else(|_| "target/release/gba-grants".into());
        let sample = Arc::new(names.iter().take(1_000).cloned().collect::<Vec<_>>());
        match observability::measure(&exe, url, admin, sample, pid, &c, s).await {
            Ok(measured) => rows.extend(measured),
            Err(err) => eprintln!("metrics and traces not measured: {err}"),
        }
    }

    // Pages of 50, unfiltered and with each filter the API accepts.
    let mut unfiltered = None;
    for (label, filter) in [
        ("ListApplications, 50 rows", String::new()),
        ("  filter state = SUBMITTED", "state = SUBMITTED".to_owned()),
        (
            "  filter applicant_institution",
            format!("applicant_institution = \"{}\"", w.institutions[0]),
        ),
        (
            "  filter both",
            format!(
                "state = SUBMITTED AND applicant_institution = \"{}\"",
                w.institutions[0]
            ),
        ),
    ] {
        let (cc, parent) = (c.clone(), w.programme.clone());
        let rows_seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = rows_seen.clone();
        let stats = drive(IN_FLIGHT, s.how_long, Some(pid), move |i| {
            let mut c = v1::application_service_client::ApplicationServiceClient::new(cc[i % CONNECTIONS].clone());
            let (parent, filter, seen) = (parent.clone(), filter.clone(), seen.clone());
            async move {
                let page = c
                    .list_applications(v1::ListApplicationsRequest {
                        parent,
                        page_size: 50,
                        filter,
                        ..Default::default()
                    })
                    .await;
                match page {
                    Ok(p) => {
                        seen.fetch_add(p.into_inner().applications.len(), std::sync::atomic::Ordering::Relaxed);
                        true
                    }
                    Err(_) => false,
                }
            }
        })
        .await;
        let calls = stats.per_s * s.how_long.as_secs_f64();
        let per_page = rows_seen.load(std::sync::atomic::Ordering::Relaxed) as f64 / calls.max(1.0);
        let mut r = row(label, &server, stats);
        r.note = format!("{:.1} µs CPU per row", stats.cpu_us / per_page.max(1.0));
        match unfiltered {
            None => unfiltered = Some(stats),
            Some(base) => {
                r.versus = Some(("unfiltered".into(), stats.per_s / base.per_s.max(1.0)));
            }
        }
        rows.push(r);
    }

    // Writes: drafts (row + event), then state changes over 16 programmes.
    let (cc, p, hku, sysu) = (
        c.clone(),
        w.programme.clone(),
        w.institutions[0].clone(),
        w.institutions[2].clone(),
    );
    let create = drive(IN_FLIGHT, s.how_long, Some(pid), move |i| {
        let mut c = v1::application_service_client::ApplicationServiceClient::new(cc[i % CONNECTIONS].clone());
        let request = v1::CreateApplicationRequest {
            parent: p.clone(),
            application: Some(draft(&hku, &sysu)),
            request_id: String::new(),
        };
        async move { c.create_application(request).await.is_ok() }
    })
    .await;
    rows.push(row("CreateApplication", &server, create));
    let drafts = Arc::new(create_many(&c, &w, &w.spread, s.chains).await);
    let cc = c.clone();
    let chain = drive(IN_FLIGHT, s.how_long, Some(pid), move |i| {
        let mut a = v1::application_service_client::ApplicationServiceClient::new(cc[i % CONNECTIONS].clone());
        let mut r = v1::review_service_client::ReviewServiceClient::new(cc[i % CONNECTIONS].clone());
        let name = drafts.get(i).cloned();
        async move {
            let Some(name) = name else { return false };
            let submitted = a
                .submit_application(v1::SubmitApplicationRequest {
                    name: name.clone(),
                    ..Default::default()
                })
                .await;
            let reviewed = r
                .start_review(v1::StartReviewRequest {
                    name: name.clone(),
                    request_id: String::new(),
                })
                .await;
            let approved = r
                .approve_application(v1::ApproveApplicationRequest {
                    awarded_resource: None,
                    name,
                    awarded_amount: cny(50_000),
                    reason: String::new(),
                    request_id: String::new(),
                    override_incomplete_reviews: false,
                    schedule: None,
                })
                .await;
            submitted.is_ok() && reviewed.is_ok() && approved.is_ok()
        }
    })
    .await;
    let transitions = Stats {
        per_s: chain.per_s * 3.0,
        cpu_us: chain.cpu_us / 3.0,
        db_cpu_us: chain.db_cpu_us / 3.0,
        ..chain
    };
    let mut r = row(
        "Submit → StartReview → Approve (per transition), 16 programmes",
        &server,
        transitions,
    );
    r.versus = Some(("CreateApplication".into(), transitions.per_s / create.per_s.max(1.0)));
    r.note = if chain.failed == 0 {
        "every chain completed".into()
    } else {
        format!(
            "{} chains failed or ran out of drafts: the rate is not valid",
            chain.failed
        )
    };
    rows.push(r);

    // Memory: after the data, and with 1,000 idle watchers.
    let mut watchers = Vec::new();
    for i in 0..1_000 {
        let mut client = v1::watch_service_client::WatchServiceClient::new(c[i % CONNECTIONS].clone());
        if let Ok(stream) = client
            .watch_application_events(v1::WatchApplicationEventsRequest::default())
            .await
        {
            watchers.push(stream.into_inner());
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut r = row("memory", &server, Stats::default());
    r.note = format!(
        "RSS {rss_loaded:.0} MiB after {} applications; {:.0} MiB with {} idle watchers",
        names.len(),
        rss_mib(pid),
        watchers.len()
    );
    rows.push(r);
    Ok((w.programme, w.institutions[0].clone(), ids))
}

async fn postgres_database() -> Option<String> {
    let admin = std::env::var("GBA_GRANTS_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let conn = sea_orm::Database::connect(&admin).await.ok()?;
    let name = format!("gba_bench_{}", uuid::Uuid::now_v7().simple());
    conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.ok()?;
    conn.close().await.ok();
    // The admin URL's options (`?sslmode=disable`, say) carry over.
    let (admin, options) = admin.split_once('?').map_or((admin.as_str(), ""), |(a, o)| (a, o));
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    let options = if options.is_empty() {
        String::new()
    } else {
        format!("?{options}")
    };
    Some(format!("{base}/{name}{options}"))
}

/// `BENCH_READS_ONLY=1`: health, an unknown key and the point reads only.
fn reads_only() -> bool {
    std::env::var("BENCH_READS_ONLY").is_ok_and(|v| v == "1")
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if args.get(1).map(String::as_str) == Some("echo-server") {
        return rt.block_on(echo::echo_server());
    }
    if has_taskset() {
        let _ = Command::new("taskset")
            .args(["-a", "-cp", "1", &std::process::id().to_string()])
            .stdout(Stdio::null())
            .status();
    }
    let quick = args.iter().any(|a| a == "quick");
    let s = Settings {
        how_long: Duration::from_secs_f64(
            std::env::var("BENCH_SECONDS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(if quick { 1.0 } else { 5.0 }),
        ),
        applications: std::env::var("BENCH_APPLICATIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if quick { 1_000 } else { 100_000 }),
        chains: if quick { 6_000 } else { 40_000 },
    };
    rt.block_on(async {
        let echo = ceiling(s.how_long).await?;
        let dir = tempfile::tempdir()?;
        let mut rows = Vec::new();
        // BENCH_ONLY=sqlite or postgres measures one database.
        let only = std::env::var("BENCH_ONLY").unwrap_or_default();
        if only != "postgres" {
            let sqlite = format!("sqlite://{}/bench.db", dir.path().display());
            backend("SQLite", &sqlite, &s, &echo, &mut rows).await?;
        }
        if only != "sqlite" {
            match postgres_database().await {
                Some(url) => backend("PostgreSQL", &url, &s, &echo, &mut rows).await?,
                None => eprintln!("no PostgreSQL answers: its rows are skipped"),
            }
        }
        print(&rows, &echo);
        Ok(())
    })
}
