//! Fan-out benchmark, side by side in one run: gba-grants'
//! WatchApplicationEvents (real server process, SQLite, events made by
//! real writes) against a bare tonic server broadcasting the same message
//! shape from a tokio broadcast channel (the ceiling).
//!
//! `cargo bench --bench fanout` runs every scenario, 3 interleaved rounds
//! each (`BENCH_ROUNDS`; `BENCH_ONLY=1000x100` runs one scenario);
//! `-- quick` a short one, once.
//! Reports delivered/s, p50/p99 commit→receipt latency, server CPU per
//! delivery and server memory per watcher, each with its ratio to the bare
//! ceiling.

mod bare;
mod measure;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gba_grants::proto::v1;
use tonic::Request;
use tonic::metadata::MetadataValue;
use tonic::transport::Endpoint;

use measure::{Figures, Scenario, measure};

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

/// The median (the mean of the middle two for an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
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

/// One round of gba-grants on a new database (its first start prints the
/// bootstrap admin key).
async fn gba(s: &Scenario, dir: &std::path::Path, exe: &str, round: usize) -> Res<Figures> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = format!("127.0.0.1:{port}");
    let (mut child, admin) = spawn(
        Command::new(exe)
            .args(["serve", "--listen", &addr, "--database-url"])
            .arg(format!(
                "sqlite://{}/bench-{}-{}-{round}.db",
                dir.display(),
                s.watchers,
                s.rate
            ))
            .args(["--watch-buffer", "65536"])
            .args([
                "--max-streams-per-connection",
                "1000",
                "--max-streams-per-key",
                "100000",
                "--max-calls-per-key",
                "100000",
            ]),
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

/// One row of ratios `of / base`: the median of the rounds' ratios, with
/// each round's in brackets.
fn print_ratios(label: &str, name: &str, base: &[Figures], of: &[Figures], rounds: usize) {
    let ratio = |pick: fn(&Figures) -> f64| {
        let each: Vec<f64> = base.iter().zip(of).map(|(c, o)| pick(o) / pick(c).max(0.001)).collect();
        let shown: Vec<String> = each.iter().map(|r| format!("{r:.2}")).collect();
        (median(each), shown.join(" "))
    };
    let cell = |(median, each): (f64, String)| {
        if rounds > 1 {
            format!("{median:.2} ({each})")
        } else {
            format!("{median:.2}")
        }
    };
    println!(
        "| {label} | {name}{} | {} | {} | {} | {} | {} | |",
        if rounds > 1 { " (median of rounds)" } else { "" },
        cell(ratio(|f| f.delivered_per_s)),
        cell(ratio(|f| f.p50_ms)),
        cell(ratio(|f| f.p99_ms)),
        cell(ratio(|f| f.cpu_us_per_delivery)),
        cell(ratio(|f| f.kib_per_watcher)),
    );
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if args.get(1).map(String::as_str) == Some("bare-server") {
        let rate = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(10);
        return rt.block_on(bare::bare_server(rate));
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
    // BENCH_ONLY=WATCHERSxRATE (e.g. 1000x100): that scenario alone.
    let only = std::env::var("BENCH_ONLY").ok();
    let scenarios: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| only.as_ref().is_none_or(|o| *o == format!("{}x{}", s.watchers, s.rate)))
        .collect();
    // BENCH_ROUNDS: rounds per scenario, each the ceiling then ours; the
    // table gives the medians, and the median of the rounds' ratios.
    let rounds = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 1 } else { 3 })
        .max(1);
    let dir = tempfile::tempdir()?;
    println!(
        "| watchers × events/s | server | delivered/s | p50 ms | p99 ms | server CPU µs/delivery | KiB/watcher | all delivered |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    // GBA_GRANTS_BIN_B: a second build of the server, run in the same
    // rounds (after the first), for a side-by-side comparison of two
    // builds; its rows and ratios are marked (B), and "B / A" is the
    // median of the rounds' ratios between the two builds.
    let mut exes = vec![std::env::var("GBA_GRANTS_BIN").unwrap_or_else(|_| "target/release/gba-grants".into())];
    exes.extend(std::env::var("GBA_GRANTS_BIN_B").ok());
    for s in &scenarios {
        let mut ceilings = Vec::new();
        let mut ours: Vec<Vec<Figures>> = exes.iter().map(|_| Vec::new()).collect();
        for round in 0..rounds {
            ceilings.push(rt.block_on(bare(s))?);
            for (i, exe) in exes.iter().enumerate() {
                ours[i].push(rt.block_on(gba(s, dir.path(), exe, round * exes.len() + i))?);
            }
        }
        let label = format!("{} × {}", s.watchers, s.rate);
        let names = ["gba-grants", "gba-grants (B)"];
        let rows = std::iter::once(("bare tonic broadcast", &ceilings)).chain(names.iter().copied().zip(&ours));
        for (name, f) in rows {
            let m = |pick: fn(&Figures) -> f64| median(f.iter().map(pick).collect());
            println!(
                "| {label} | {name} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
                m(|f| f.delivered_per_s),
                m(|f| f.p50_ms),
                m(|f| f.p99_ms),
                m(|f| f.cpu_us_per_delivery),
                m(|f| f.kib_per_watcher),
                f.iter().all(|f| f.complete)
            );
        }
        let mut pairs = vec![("**ratio**", &ceilings, &ours[0])];
        if let Some(b) = ours.get(1) {
            pairs.push(("**ratio (B)**", &ceilings, b));
            pairs.push(("**B / A**", &ours[0], b));
        }
        for (name, base, of) in pairs {
            print_ratios(&label, name, base, of, rounds);
        }
    }
    Ok(())
}
