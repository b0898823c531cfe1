//! The live side: one tailer per process reads the event log in commit
//! order and fans each event out in memory to every watcher of this
//! process, so database load grows with replicas, not with watchers.
//!
//! Wake-ups come from local commits (an in-process signal), other
//! replicas' commits (PostgreSQL LISTEN/NOTIFY, see `store::postgres`), and
//! a bounded polling interval as the fallback.

mod events;
mod revocations;
pub mod summary;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use crate::domain::Result;
use crate::domain::access::Revocation;
use crate::domain::event::{AppendSignal, ApplicationEvent, Cursor, LogId};
use crate::domain::ids::{ApiKeyName, ProgrammeName};
use crate::domain::ports::Store;
use crate::domain::time::Timestamp;
use crate::domain::watch::{EventScope, ProgrammeSummary};

/// How the hub behaves; every field has a sensible default.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// How many events a watcher may fall behind the newest before it is
    /// ended with WATCHER_TOO_SLOW. The buffer is one ring shared by all
    /// watchers of the process, so memory is bounded by this alone.
    pub watcher_buffer: usize,
    /// Idle streams get a progress message this often.
    pub progress_interval: Duration,
    /// The tailer looks for new events at least this often.
    pub poll_interval: Duration,
    /// Events older than this may be pruned; `None` keeps everything.
    pub retention: Option<Duration>,
    /// Summaries of one programme are recomputed at most this often.
    pub summary_interval: Duration,
    /// Test hook: when set, the tailer takes one permit before publishing
    /// each event, so a test can hold an event between "read from the log"
    /// and "published" and check what watchers see meanwhile.
    pub publish_gate: Option<Arc<PublishGate>>,
}

/// See [`HubOptions::publish_gate`]. Starts closed.
#[derive(Debug)]
pub struct PublishGate {
    pub permits: tokio::sync::Semaphore,
    /// The sequence number of the event the tailer is waiting to publish.
    pub waiting: AtomicI64,
}

impl Default for PublishGate {
    fn default() -> Self {
        Self {
            permits: tokio::sync::Semaphore::new(0),
            waiting: AtomicI64::new(0),
        }
    }
}

impl Default for HubOptions {
    fn default() -> Self {
        Self {
            watcher_buffer: 4_096,
            progress_interval: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
            retention: None,
            summary_interval: Duration::from_millis(250),
            publish_gate: None,
        }
    }
}

/// Rows the tailer reads per query: a page that SQLite reads in place
/// (`store::sqlite`), without a hand-off to another thread.
const BATCH: u64 = 100;

type SummarySender = watch::Sender<Option<Arc<ProgrammeSummary>>>;

/// What the ring carries: the events, and the signals every event stream
/// of the process must see. In the ring, they reach a stream through the
/// one receiver it waits on anyway, so a delivery polls neither a timer
/// nor a cancellation wait per stream.
///
/// A signal is published after its flag is set (the hub's stopping
/// token, the key's revocation token), and a stream checks the flags
/// after it subscribes: a stream sees every signal either way.
#[derive(Debug, Clone)]
enum Published {
    Event(Arc<ApplicationEvent>),
    /// Time for a progress marker on streams idle since the last one.
    Tick,
    /// This key was revoked: its streams end.
    Revoked(ApiKeyName),
    /// The process is stopping: every stream ends.
    Stopping,
}

struct Inner {
    store: Arc<dyn Store>,
    tx: broadcast::Sender<Published>,
    /// This database's event log.
    log: LogId,
    /// The newest event published to watchers (stored after publishing).
    head: AtomicI64,
    /// The same, for whoever waits for new events without a stream (the
    /// webhook sender): changed once per batch published.
    head_changes: watch::Sender<i64>,
    /// Cancelled per key when the key is revoked: ends its open streams.
    keys: revocations::Revocations,
    options: HubOptions,
    stopping: CancellationToken,
    summaries: Mutex<HashMap<ProgrammeName, SummarySender>>,
    dirty: Mutex<HashSet<ProgrammeName>>,
}

/// The process's event fan-out. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl Hub {
    /// Starts, as jobs, the tailer (from the current end of the log), the
    /// signals, the summary task, the revocation watcher and, with a
    /// retention, the pruner. All stop with `stopping` (before the jobs
    /// are stopped), which also ends every stream with UNAVAILABLE.
    pub async fn start(
        store: Arc<dyn Store>,
        signal: Arc<AppendSignal>,
        revocations: broadcast::Receiver<Revocation>,
        options: HubOptions,
        stopping: CancellationToken,
        jobs: &crate::jobs::Jobs,
    ) -> Result<Self> {
        let head = store.event_head().await?;
        let (tx, _) = broadcast::channel(options.watcher_buffer.max(1));
        let inner = Arc::new(Inner {
            log: store.event_log(),
            store,
            tx,
            head: AtomicI64::new(head.seq),
            head_changes: watch::Sender::new(head.seq),
            keys: revocations::Revocations::default(),
            options,
            stopping,
            summaries: Mutex::new(HashMap::new()),
            dirty: Mutex::new(HashSet::new()),
        });
        let each = || inner.clone();
        let shared = each();
        jobs.spawn("event tailer", move |_| tail(shared, signal));
        let shared = each();
        jobs.spawn("stream signals", move |_| signals(shared));
        let shared = each();
        jobs.spawn("programme summaries", move |_| summary::refresh(shared));
        let shared = each();
        jobs.spawn("stream revocations", move |_| revocations::follow(shared, revocations));
        if let Some(retention) = inner.options.retention {
            let shared = each();
            jobs.spawn("event pruning", move |_| prune(shared, retention));
        }
        Ok(Self { inner })
    }

    /// The newest event this process has published.
    pub fn head(&self) -> Cursor {
        self.inner.head()
    }

    /// The position of the newest event published, changed after each
    /// batch the tailer publishes (local commits and other replicas'),
    /// so a reader of the log wakes on commit without polling.
    pub fn head_changes(&self) -> watch::Receiver<i64> {
        self.inner.head_changes.subscribe()
    }
}

impl Inner {
    fn head(&self) -> Cursor {
        Cursor::new(self.log, self.head.load(Ordering::Acquire))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Reads new events in commit order and publishes them.
async fn tail(inner: Arc<Inner>, signal: Arc<AppendSignal>) {
    let mut head = inner.head();
    let all = EventScope::all();
    // Never publish more at once than half the ring: a burst must not
    // overtake watchers that keep up.
    let publish_batch = BATCH.min((inner.options.watcher_buffer as u64 / 2).max(1));
    // How long to wait before reading again when an event is known to be
    // committed but is not readable yet (an older transaction is still in
    // flight on PostgreSQL).
    let mut pending_backoff = None::<Duration>;
    let mut pending_since = None::<std::time::Instant>;
    let mut warned = false;
    loop {
        let wait = pending_backoff.unwrap_or(inner.options.poll_interval);
        tokio::select! {
            () = inner.stopping.cancelled() => return,
            () = signal.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
        loop {
            let reading = std::time::Instant::now();
            let read = inner.store.events_after(head, &all, publish_batch).await;
            metrics::histogram!("gba_grants_tailer_read_seconds").record(reading.elapsed().as_secs_f64());
            let batch = match read {
                Ok(batch) => batch,
                Err(err) => {
                    tracing::warn!(%err, "tailer cannot read events; will retry");
                    break;
                }
            };
            let full = batch.len() as u64 == publish_batch;
            if !batch.is_empty() {
                let mut dirty = lock(&inner.dirty);
                for event in &batch {
                    dirty.insert(event.programme.clone());
                }
            }
            for event in batch {
                head = event.cursor;
                if let Some(gate) = &inner.options.publish_gate {
                    gate.waiting.store(head.seq, Ordering::Release);
                    if let Ok(permit) = gate.permits.acquire().await {
                        permit.forget();
                    }
                }
                // Publish first, then advance the head: a watcher that
                // starts from the head, or reads it, never finds it past an
                // event that is not in the ring yet. No receivers is fine.
                let _ = inner.tx.send(Published::Event(Arc::new(event)));
                inner.head.store(head.seq, Ordering::Release);
                metrics::counter!("gba_grants_events_published_total").increment(1);
            }
            inner.head_changes.send_if_modified(|seen| {
                let moved = *seen != head.seq;
                *seen = head.seq;
                moved
            });
            if !full {
                break;
            }
            // Let watchers drain before publishing the next batch.
            tokio::task::yield_now().await;
        }
        // Announced as committed (here, or by NOTIFY from other replicas)
        // and not yet published.
        metrics::gauge!("gba_grants_tailer_lag_events").set((signal.newest() - head.seq).max(0) as f64);
        // An event announced as committed is not readable yet: an older
        // transaction is still in flight (on PostgreSQL, anywhere in the
        // cluster). Look again soon, and say so if it lasts.
        if head.seq < signal.newest() {
            let since = *pending_since.get_or_insert_with(std::time::Instant::now);
            if since.elapsed() > Duration::from_secs(5) && !warned {
                tracing::warn!(
                    head = head.seq,
                    announced = signal.newest(),
                    "committed events wait for an older transaction still in flight in the database cluster; \
                     live streams are held back until it ends"
                );
                warned = true;
            }
            pending_backoff =
                Some(pending_backoff.map_or(Duration::from_millis(1), |b| (b * 2).min(Duration::from_millis(50))));
        } else {
            (pending_backoff, pending_since, warned) = (None, None, false);
        }
    }
}

/// Publishes a progress tick every progress interval, and the end of
/// every stream when the hub stops.
async fn signals(inner: Arc<Inner>) {
    let every = inner.options.progress_interval;
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = inner.stopping.cancelled() => break,
            _ = ticks.tick() => { let _ = inner.tx.send(Published::Tick); }
        }
    }
    let _ = inner.tx.send(Published::Stopping);
}

/// Deletes events older than the retention, now and then.
async fn prune(inner: Arc<Inner>, retention: Duration) {
    let every = (retention / 10).clamp(Duration::from_millis(100), Duration::from_secs(60));
    loop {
        tokio::select! {
            () = inner.stopping.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        let micros = i64::try_from(retention.as_micros()).unwrap_or(i64::MAX);
        let before = Timestamp::from_micros(Timestamp::now().micros().saturating_sub(micros));
        match inner.store.prune_events(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(pruned = n, "pruned events past retention"),
            Err(err) => tracing::warn!(%err, "pruning events failed"),
        }
    }
}
