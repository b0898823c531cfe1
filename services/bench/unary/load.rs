//! A closed-loop load: a fixed number of calls in flight over a few
//! HTTP/2 connections for a while, with latency percentiles and the server
//! process's CPU per call.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// User + system CPU of a process, in microseconds (100 ticks a second).
pub fn cpu_micros(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    ticks * 10_000
}

/// User + system CPU of every local process named `postgres` (the
/// database server's backends and workers), in microseconds; 0 without any.
pub fn database_cpu_micros() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
        .map(cpu_micros)
        .sum()
}

pub fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// With `BENCH_PERF_DIR` set, each measured window of the server is
/// recorded by `perf record -g` into `DIR/window-N.data` (N counts the
/// windows of the run, in the order of the table; the echo ceiling's two
/// come first).
struct Profile(std::process::Child);

impl Profile {
    fn start(pid: u32) -> Option<Self> {
        static WINDOW: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::var("BENCH_PERF_DIR").ok()?;
        let n = WINDOW.fetch_add(1, Ordering::Relaxed) + 1;
        let out = format!("{dir}/window-{n:02}.data");
        eprintln!("perf: recording window {n} into {out}");
        // BENCH_PERF_ALL=1: the whole machine (the database's processes
        // too), to be split by `perf report --sort comm,symbol`.
        let pid = pid.to_string();
        let whom = match std::env::var("BENCH_PERF_ALL").is_ok_and(|v| v == "1") {
            true => vec!["-a"],
            false => vec!["-p", pid.as_str()],
        };
        std::process::Command::new("perf")
            .args(["record", "-q", "-e", "cpu-clock"])
            // BENCH_PERF_DWARF=1: call graphs unwound from DWARF (the
            // release build keeps no frame pointers).
            .args(match std::env::var("BENCH_PERF_DWARF").is_ok_and(|v| v == "1") {
                true => ["--call-graph", "dwarf,16384"].as_slice(),
                false => ["-g"].as_slice(),
            })
            .args(whom)
            .args(["-o", &out])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()
            .map(Self)
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        // perf writes its file on SIGINT.
        let _ = std::process::Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Server CPU per call, µs (0 when not measured).
    pub cpu_us: f64,
    /// CPU per call of the local PostgreSQL's processes, µs (whatever
    /// else they served in the window included; 0 without a local one).
    pub db_cpu_us: f64,
    pub failed: usize,
}

/// Runs `call` with `in_flight` calls at a time for `how_long` (after a
/// short warm-up); `call(i)` gets a running number and says whether it
/// succeeded. `pid`: the server whose CPU is measured.
pub async fn drive<F, Fut>(in_flight: usize, how_long: Duration, pid: Option<u32>, call: F) -> Stats
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let counter = Arc::new(AtomicUsize::new(0));
    let warm_up = (how_long / 10).min(Duration::from_millis(500));
    let begin = Instant::now() + warm_up;
    let end = begin + how_long;
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let (call, counter) = (call.clone(), counter.clone());
            tokio::spawn(async move {
                let (mut latencies, mut failed) = (Vec::new(), 0);
                loop {
                    let started = Instant::now();
                    if started >= end {
                        break;
                    }
                    let ok = call(counter.fetch_add(1, Ordering::Relaxed)).await;
                    if started >= begin {
                        latencies.push(started.elapsed());
                        if !ok {
                            failed += 1;
                        }
                    }
                }
                (latencies, failed)
            })
        })
        .collect();
    tokio::time::sleep_until(begin.into()).await;
    let cpu_before = pid.map(cpu_micros);
    let db_before = database_cpu_micros();
    let profile = pid.and_then(Profile::start);
    tokio::time::sleep_until(end.into()).await;
    let cpu_after = pid.map(cpu_micros);
    let db_after = database_cpu_micros();
    drop(profile);
    let (mut all, mut failed) = (Vec::new(), 0);
    for task in tasks {
        if let Ok((latencies, f)) = task.await {
            all.extend(latencies);
            failed += f;
        }
    }
    all.sort();
    let pick = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    let calls = all.len().max(1) as f64;
    Stats {
        per_s: all.len() as f64 / how_long.as_secs_f64(),
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        cpu_us: match (cpu_before, cpu_after) {
            (Some(a), Some(b)) => b.saturating_sub(a) as f64 / calls,
            _ => 0.0,
        },
        db_cpu_us: db_after.saturating_sub(db_before) as f64 / calls,
        failed,
    }
}
