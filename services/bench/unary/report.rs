//! The report: one Markdown row per measurement, with its ratio to what
//! it is compared with.

use super::load::Stats;

/// One row of the report.
pub struct Row {
    pub call: String,
    pub server: String,
    pub stats: Stats,
    /// What the ratio column compares with, and the ratio of req/s.
    pub versus: Option<(String, f64)>,
    pub note: String,
}

pub fn row(call: &str, server: &str, stats: Stats) -> Row {
    Row {
        call: call.into(),
        server: server.into(),
        stats,
        versus: None,
        note: String::new(),
    }
}

pub fn versus(mut r: Row, name: &str, ceiling: &Stats) -> Row {
    r.versus = Some((name.into(), r.stats.per_s / ceiling.per_s.max(1.0)));
    r.note = format!("p99 {:.2}× the ceiling's", r.stats.p99_ms / ceiling.p99_ms.max(0.001));
    r
}

pub fn print(rows: &[Row], echo: &(Stats, Stats)) {
    println!("| call | server | req/s | p50 ms | p99 ms | server CPU µs/call | ratio | vs | notes |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (call, stats) in [("GetProgramme", &echo.0), ("GetApplication", &echo.1)] {
        println!(
            "| {call} | bare tonic echo | {:.0} | {:.2} | {:.2} | {:.1} | 1 | | ceiling |",
            stats.per_s, stats.p50_ms, stats.p99_ms, stats.cpu_us
        );
    }
    for r in rows {
        let (ratio, vs) = r
            .versus
            .as_ref()
            .map_or((String::new(), String::new()), |(v, x)| (format!("{x:.2}"), v.clone()));
        let s = &r.stats;
        if s.per_s == 0.0 {
            println!("| {} | {} | | | | | | | {} |", r.call, r.server, r.note);
        } else {
            println!(
                "| {} | {} | {:.0} | {:.2} | {:.2} | {:.1} | {ratio} | {vs} | {}{}{} |",
                r.call,
                r.server,
                s.per_s,
                s.p50_ms,
                s.p99_ms,
                s.cpu_us,
                r.note,
                if r.server.ends_with("PostgreSQL") && s.db_cpu_us > 0.0 {
                    let sep = if r.note.is_empty() { "" } else { "; " };
                    format!("{sep}PostgreSQL CPU {:.1} µs/call", s.db_cpu_us)
                } else {
                    String::new()
                },
                if s.failed > 0 {
                    format!(" ({} failed)", s.failed)
                } else {
                    String::new()
                }
            );
        }
    }
}
