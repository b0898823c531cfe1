//! Webhook delivery benchmark: gba-grants (release binary, SQLite then
//! PostgreSQL) sending every event to N webhooks while a writer commits
//! events at a steady rate, received by a plain HTTP server in a process of
//! its own; against a bare HTTP client (this benchmark run again as
//! `bare`) posting the same number of bodies of the same size to the same
//! receiver. Reports deliveries per second, the delay from commit to
//! receipt (p50, p99, max) and the server's CPU per delivery beside the
//! bare client's CPU per post.
//!
//! `cargo build --release && cargo bench --bench webhooks` (1,000 webhooks,
//! 10 events/s, 30 s; `-- quick`: 20 webhooks, 10 events/s, 5 s;
//! `BENCH_WEBHOOKS`, `BENCH_RATE`, `BENCH_SECONDS` override them).
//! PostgreSQL: `GBA_GRANTS_TEST_POSTGRES` (default the local server);
//! skipped when none answers. Prints a Markdown table.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gba_grants::proto::v1;
use tonic::Request;
use tonic::metadata::MetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Endpoint;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// CPU seconds (user + system) of process `pid` so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of stat: 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(mut command: Command) -> Res<(Killed, String)> {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().ok_or("stdout")?),
        &mut line,
    )?;
    Ok((Killed(child), line.trim().to_owned()))
}

// ---- the receiver: `webhooks receiver` ----

#[derive(Default)]
struct Received {
    /// (application named in the body, receipt time in µs).
    arrivals: Vec<(String, i64)>,
    body_bytes: usize,
}

async fn receiver() -> Res<()> {
    use axum::routing::{get, post};
    let state = Arc::new(Mutex::new(Received::default()));
    let (hooks, counts, dumps) = (state.clone(), state.clone(), state.clone());
    let app = axum::Router::new()
        .route(
            "/hook/{n}",
            post(move |body: axum::body::Bytes| {
                let state = hooks.clone();
                async move {
                    let at = now_us();
                    let application = serde_json::from_slice::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v["application"].as_str().map(str::to_owned))
                        .unwrap_or_default();
                    let mut s = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    s.body_bytes = body.len();
                    s.arrivals.push((application, at));
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        )
        .route(
            "/count",
            get(move || {
                let state = counts.clone();
                async move {
                    let s = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    format!("{} {}", s.arrivals.len(), s.body_bytes)
                }
            }),
        )
        .route(
            "/dump",
            get(move || {
                let state = dumps.clone();
                async move {
                    let mut s = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    let out: String = s.arrivals.iter().map(|(a, t)| format!("{a} {t}\n")).collect();
                    s.arrivals.clear();
                    out
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

// ---- the bare client: `webhooks bare URL POSTS CONCURRENCY BYTES` ----

async fn bare(url: String, posts: usize, concurrency: usize, bytes: usize) -> Res<()> {
    let client = reqwest::Client::builder().build()?;
    let body = bytes::Bytes::from(vec![b'x'; bytes]);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, body, next, url) = (client.clone(), body.clone(), next.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < posts {
                let _ = client
                    .post(format!("{url}/hook/0"))
                    .header("content-type", "application/json")
                    .header("webhook-id", "bare")
                    .header("webhook-timestamp", "0")
                    .header("webhook-signature", "v1,bare")
                    .body(body.clone())
                    .send()
                    .await;
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    println!(
        "{} {}",
        cpu_seconds(std::process::id()),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

// ---- the measurement ----

#[derive(Clone)]
struct Bearer(MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut r: Request<()>) -> Result<Request<()>, tonic::Status> {
        r.metadata_mut().insert("authorization", self.0.clone());
        Ok(r)
    }
}

struct Sizes {
    webhooks: usize,
    rate: u64,
    seconds: u64,
}

fn ts(offset: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: now_us() / 1_000_000 + offset,
        nanos: 0,
    })
}

async fn measure(exe: &str, url: &str, database: &str, sizes: &Sizes, receiver: &str) -> Res<String> {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string();
    let mut command = Command::new(exe);
    command.args(["serve", "--listen", &addr, "--database-url", url]);
    command.args([
        "--webhook-allow-http",
        "--webhook-allow-private",
        "--max-calls-per-key",
        "100000",
    ]);
    let dir = tempfile::tempdir()?;
    command.arg("--document-store").arg(dir.path().join("documents"));
    let (server, admin) = spawn(command)?;
    let pid = server.0.id();
    let channel = loop {
        if let Ok(c) = Endpoint::from_shared(format!("http://{addr}"))?.connect().await {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let c = InterceptedService::new(channel, Bearer(format!("Bearer {admin}").parse()?));
    let mut institutions = Vec::new();
    for (name, region) in [
        ("The University of Hong Kong", v1::Region::HongKong),
        ("Sun Yat-sen University", v1::Region::Guangdong),
    ] {
        let made = v1::institution_service_client::InstitutionServiceClient::new(c.clone())
            .create_institution(v1::CreateInstitutionRequest {
                institution: Some(v1::Institution {
                    display_name: name.into(),
                    local_name: name.into(),
                    region: region.into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await?;
        institutions.push(made.into_inner().institution.ok_or("institution")?.name);
    }
    let money = |units| {
        Some(v1::Money {
            currency_code: "CNY".into(),
            units,
            nanos: 0,
        })
    };
    let programme = v1::programme_service_client::ProgrammeServiceClient::new(c.clone())
        .create_programme(v1::CreateProgrammeRequest {
            programme: Some(v1::Programme {
                display_name: "Greater Bay Area Joint Research".into(),
                local_name: "粤港澳联合研究".into(),
                funder: "Guangdong Provincial Science and Technology Department".into(),
                currency_code: "CNY".into(),
                budget: money(1_000_000_000_000),
                max_award: money(1_000_000),
                eligible_regions: vec![v1::Region::HongKong.into()],
                requires_guangdong_partner: true,
                open_time: ts(-3_600),
                close_time: ts(86_400),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .programme
        .ok_or("programme")?
        .name;
    for n in 0..sizes.webhooks {
        v1::webhook_service_client::WebhookServiceClient::new(c.clone())
            .create_webhook(v1::CreateWebhookRequest {
                webhook: Some(v1::Webhook {
                    url: format!("http://{receiver}/hook/{n}"),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await?;
    }
    // The writer: `rate` events a second for `seconds`, each timed from
    // just before its create was sent (no later than its commit).
    let sent: Arc<Mutex<HashMap<String, i64>>> = Arc::default();
    let cpu_before = cpu_seconds(pid);
    let started = Instant::now();
    let total = sizes.rate * sizes.seconds;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / sizes.rate.max(1)));
    let mut writes = Vec::new();
    for _ in 0..total {
        tick.tick().await;
        let (mut apps, sent, programme) = (
            v1::application_service_client::ApplicationServiceClient::new(c.clone()),
            sent.clone(),
            programme.clone(),
        );
        let (applicant, partner) = (institutions[0].clone(), institutions[1].clone());
        writes.push(tokio::spawn(async move {
            let at = now_us();
            let made = apps
                .create_application(v1::CreateApplicationRequest {
                    parent: programme,
                    application: Some(v1::Application {
                        applicant_institution: applicant,
                        title: "Typhoon-resilient coastal infrastructure".into(),
                        partner_institutions: vec![partner],
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await;
            if let Ok(made) = made
                && let Some(a) = made.into_inner().application
            {
                sent.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(a.name, at);
            }
        }));
    }
    for w in writes {
        w.await?;
    }
    let expected = sent.lock().map_or(0, |s| s.len()) * sizes.webhooks;
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut received, mut body_bytes) = (0, 0);
    while Instant::now() < deadline {
        let count = http
            .get(format!("http://{receiver}/count"))
            .send()
            .await?
            .text()
            .await?;
        let mut parts = count.split_whitespace().map(|p| p.parse::<usize>().unwrap_or(0));
        (received, body_bytes) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        if received >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid) - cpu_before;
    let dump = http.get(format!("http://{receiver}/dump")).send().await?.text().await?;
    let sent = sent.lock().map(|s| s.clone()).unwrap_or_default();
    let mut delays: Vec<i64> = dump
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter_map(|(a, t)| Some(t.parse::<i64>().ok()? - sent.get(a)?))
        .collect();
    delays.sort_unstable();
    drop(server);

    // The bare client: the same number of posts, the same body size.
    let posts = received.max(1);
    let concurrency = sizes.webhooks.clamp(1, 64);
    let exe_self = std::env::current_exe()?;
    let out = Command::new(exe_self)
        .args(["bare", &format!("http://{receiver}")])
        .arg(posts.to_string())
        .arg(concurrency.to_string())
        .arg(body_bytes.max(1).to_string())
        .output()?;
    let line = String::from_utf8_lossy(&out.stdout);
    let mut parts = line.split_whitespace().map(|p| p.parse::<f64>().unwrap_or(0.0));
    let (bare_cpu, bare_secs) = (parts.next().unwrap_or(0.0), parts.next().unwrap_or(0.0));
    let _ = http.get(format!("http://{receiver}/dump")).send().await;
    let ms = |us: i64| us as f64 / 1_000.0;
    Ok(format!(
        "| {database} | {} × {} events/s, {} s | {received} of {expected} | {:.0} | {:.0} / {:.0} / {:.0} | {:.1} | {:.1} ({:.0} posts/s) | {:.1} |",
        sizes.webhooks,
        sizes.rate,
        sizes.seconds,
        received as f64 / took,
        ms(percentile(&delays, 0.5)),
        ms(percentile(&delays, 0.99)),
        ms(delays.last().copied().unwrap_or(0)),
        cpu * 1e6 / received.max(1) as f64,
        bare_cpu * 1e6 / posts as f64,
        posts as f64 / bare_secs.max(1e-9),
        (cpu / received.max(1) as f64) / (bare_cpu / posts as f64).max(1e-12),
    ))
}

async fn postgres_url() -> Option<(String, String, String)> {
    let admin = std::env::var("GBA_GRANTS_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    use sea_orm::ConnectionTrait;
    let conn = sea_orm::Database::connect(&admin).await.ok()?;
    let name = format!("gba_bench_hooks_{}", uuid::Uuid::now_v7().simple());
    conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.ok()?;
    let _ = conn.close().await;
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b.to_owned(), format!("?{q}")),
        None => (admin.clone(), String::new()),
    };
    let base = base.rsplit_once('/').map_or(base.as_str(), |(b, _)| b).to_owned();
    Some((admin, name.clone(), format!("{base}/{name}{query}")))
}

async fn run(quick: bool) -> Res<()> {
    let mut sizes = match quick {
        true => Sizes {
            webhooks: 20,
            rate: 10,
            seconds: 5,
        },
        false => Sizes {
            webhooks: 1_000,
            rate: 10,
            seconds: 30,
        },
    };
    // BENCH_WEBHOOKS, BENCH_RATE (events a second), BENCH_SECONDS override.
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    sizes.webhooks = env("BENCH_WEBHOOKS").map_or(sizes.webhooks, |v| v as usize);
    sizes.rate = env("BENCH_RATE").unwrap_or(sizes.rate);
    sizes.seconds = env("BENCH_SECONDS").unwrap_or(sizes.seconds);
    let exe = std::env::var("GBA_GRANTS_BIN").unwrap_or_else(|_| "target/release/gba-grants".into());
    let mut receiver_command = Command::new(std::env::current_exe()?);
    receiver_command.arg("receiver");
    let (receiver_process, receiver) = spawn(receiver_command)?;
    let mut rows = Vec::new();
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    rows.push(measure(&exe, &sqlite, "SQLite", &sizes, &receiver).await?);
    match postgres_url().await {
        Some((admin, name, url)) => {
            let measured = measure(&exe, &url, "PostgreSQL", &sizes, &receiver).await;
            use sea_orm::ConnectionTrait;
            if let Ok(conn) = sea_orm::Database::connect(&admin).await {
                let _ = conn
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
            rows.push(measured?);
        }
        None => eprintln!("no PostgreSQL answers: its row is skipped"),
    }
    drop(receiver_process);
    println!(
        "| database | load | received | deliveries/s | commit → receipt ms (p50 / p99 / max) | server CPU µs a delivery | bare client CPU µs a post | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match args.get(1).map(String::as_str) {
        Some("receiver") => runtime.block_on(receiver()),
        Some("bare") => {
            let n = |i: usize| args.get(i).and_then(|v| v.parse::<usize>().ok()).unwrap_or(1);
            runtime.block_on(bare(args.get(2).cloned().unwrap_or_default(), n(3), n(4), n(5)))
        }
        _ => runtime.block_on(run(args.iter().any(|a| a == "quick"))),
    }
}
