//! A progress line on standard error for long transfers: drawn only when
//! standard error is a terminal, only once a transfer has run for half a
//! second, redrawn at most ten times a second, and erased at the end, so
//! it never mixes with output or with what scripts read.
//!
//! The transfer adds to a counter; a small thread draws it.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Before this, nothing is drawn (short transfers stay silent).
const QUIET: Duration = Duration::from_millis(500);
/// Between two redraws.
const TICK: Duration = Duration::from_millis(100);
const BAR: usize = 24;

struct Shared {
    done: AtomicU64,
    stopped: AtomicBool,
    /// Display width of the line on screen (0: none).
    drawn: AtomicUsize,
}

/// A transfer's progress: `add` as bytes go, `finish` (or drop) at the end.
pub struct Progress {
    shared: Arc<Shared>,
}

impl Progress {
    /// `label` (such as `uploading proposal.pdf`) of `total` bytes,
    /// `start` of which were there before (a resumed download).
    pub fn start(label: &str, total: u64, start: u64) -> Self {
        let shared = Arc::new(Shared {
            done: AtomicU64::new(start),
            stopped: AtomicBool::new(false),
            drawn: AtomicUsize::new(0),
        });
        if total > 0 && std::io::stderr().is_terminal() {
            let label = crate::table::truncate(label, 32);
            let s = shared.clone();
            let began = Instant::now();
            // A thread, not a task: it draws during blocking reads too.
            let spawned = std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || ticker(&s, &label, total, start, began));
            if spawned.is_err() {
                shared.stopped.store(true, Ordering::SeqCst);
            }
        }
        Self { shared }
    }

    /// A progress that never draws.
    pub fn hidden() -> Self {
        Self::start("", 0, 0)
    }

    /// Sets the count (a transfer that starts over or resumes).
    pub fn set(&self, bytes: u64) {
        self.shared.done.store(bytes, Ordering::Relaxed);
    }

    /// A handle to add to from elsewhere (a stream of chunks).
    pub fn counter(&self) -> Counter {
        Counter(self.shared.clone())
    }

    /// Prints `message` as a line of its own on standard error; the
    /// progress line is drawn again under it.
    pub fn note(&self, message: &str) {
        let mut err = std::io::stderr().lock();
        let width = self.shared.drawn.swap(0, Ordering::SeqCst);
        if width > 0 {
            let _ = write!(err, "\r{}\r", " ".repeat(width));
        }
        let _ = writeln!(err, "{message}");
        let _ = err.flush();
    }

    /// Stops drawing and erases the line.
    pub fn finish(&self) {
        let mut err = std::io::stderr().lock();
        // Under the lock of standard error, as the drawing thread draws:
        // once stopped, nothing is drawn again.
        if !self.shared.stopped.swap(true, Ordering::SeqCst) {
            let width = self.shared.drawn.swap(0, Ordering::SeqCst);
            if width > 0 {
                let _ = write!(err, "\r{}\r", " ".repeat(width));
                let _ = err.flush();
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Adds to a [`Progress`] from another place (it may outlive it).
#[derive(Clone)]
pub struct Counter(Arc<Shared>);

impl Counter {
    pub fn add(&self, bytes: u64) {
        self.0.done.fetch_add(bytes, Ordering::Relaxed);
    }
}

fn ticker(s: &Shared, label: &str, total: u64, start: u64, began: Instant) {
    std::thread::sleep(QUIET);
    loop {
        {
            let mut err = std::io::stderr().lock();
            if s.stopped.load(Ordering::SeqCst) {
                return;
            }
            let done = s.done.load(Ordering::Relaxed).min(total);
            let text = line(label, done, total, start, began.elapsed());
            let width = crate::table::width(&text);
            let previous = s.drawn.swap(width, Ordering::SeqCst);
            let pad = " ".repeat(previous.saturating_sub(width));
            let _ = write!(err, "\r{text}{pad}");
            let _ = err.flush();
        }
        std::thread::sleep(TICK);
    }
}

/// `uploading proposal.pdf [=========>      ]  45%  12.3 MiB / 27.0 MiB  5.2 MiB/s`
pub fn line(label: &str, done: u64, total: u64, start: u64, elapsed: Duration) -> String {
    let fraction = if total == 0 { 1.0 } else { done as f64 / total as f64 };
    let filled = ((fraction * BAR as f64) as usize).min(BAR);
    let mut bar = "=".repeat(filled);
    if filled < BAR {
        bar.push('>');
        bar.push_str(&" ".repeat(BAR - filled - 1));
    }
    let seconds = elapsed.as_secs_f64();
    let moved = done.saturating_sub(start);
    let rate = if seconds > 0.0 { moved as f64 / seconds } else { 0.0 };
    let mut text = format!(
        "{label} [{bar}] {:>3}%  {} / {}",
        (fraction * 100.0) as u64,
        crate::size::human(done as i64),
        crate::size::human(total as i64),
    );
    if rate >= 1.0 {
        text.push_str(&format!("  {}/s", crate::size::human(rate as i64)));
        let left = total.saturating_sub(done) as f64 / rate;
        if left >= 1.0 {
            let left = left as u64;
            text.push_str(&format!("  {}:{:02} left", left / 60, left % 60));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_the_share_the_bytes_and_the_rate() {
        let l = line("uploading a.pdf", 12 << 20, 24 << 20, 0, Duration::from_secs(4));
        assert_eq!(
            l,
            "uploading a.pdf [============>           ]  50%  12.0 MiB / 24.0 MiB  3.0 MiB/s  0:04 left"
        );
        let done = line("x", 10, 10, 0, Duration::ZERO);
        assert_eq!(done, "x [========================] 100%  10 B / 10 B");
        // A resumed download's rate counts only what this run moved.
        let resumed = line("x", 3 << 20, 4 << 20, 2 << 20, Duration::from_secs(1));
        assert!(resumed.contains("1.0 MiB/s"), "{resumed}");
    }
}
