//! Programme summaries: one shared, coalesced snapshot per watched
//! programme, recomputed from the database at most every
//! `summary_interval` after a change, and pushed to every watcher of it.

use std::sync::Arc;

use futures_util::{Stream, StreamExt};
use tokio::sync::watch;
use tokio_stream::StreamMap;
use tokio_stream::wrappers::WatchStream;

use super::{Hub, Inner, lock};
use crate::domain::Result;
use crate::domain::access::Caller;
use crate::domain::ids::ProgrammeName;
use crate::domain::watch::{ProgrammeSummary, key_revoked, shutting_down};

/// Lists the programmes a stream of "everything visible" should hold now.
pub type Follow = Arc<dyn Fn() -> futures_util::future::BoxFuture<'static, Result<Vec<ProgrammeName>>> + Send + Sync>;

impl Hub {
    /// A snapshot of each programme now, then a new one shortly after
    /// each change. The caller has checked access to `programmes`. A
    /// programme whose summary cannot be computed is retried in the
    /// background; it never holds up or breaks the others.
    ///
    /// With `follow` (a stream of "every programme the caller may see"),
    /// programmes that become visible later are added: `follow` is asked
    /// for the current list every progress interval.
    pub async fn watch_summaries(
        &self,
        caller: &Caller,
        programmes: Vec<ProgrammeName>,
        follow: Option<Follow>,
    ) -> Result<impl Stream<Item = Result<Arc<ProgrammeSummary>>> + Send + 'static> {
        if self.inner.stopping.is_cancelled() {
            return Err(shutting_down());
        }
        let revoked = self.inner.keys.token(&caller.key);
        let mut map = StreamMap::new();
        let mut latest = Vec::new();
        for programme in programmes {
            let rx = self.summary_receiver(&programme).await;
            latest.push(rx.clone());
            map.insert(programme, WatchStream::new(rx));
        }
        let stopping = self.inner.stopping.clone();
        let hub = self.clone();
        let mut recheck = tokio::time::interval_at(
            tokio::time::Instant::now() + self.inner.options.progress_interval,
            self.inner.options.progress_interval,
        );
        // A quiet stream repeats one summary (the next, in turn) every
        // progress interval, so that its connection is never idle: HTTP/1.1
        // (gRPC-Web) connections get no keepalive pings.
        let every = self.inner.options.progress_interval;
        let mut quiet = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        Ok(async_stream::stream! {
            let mut turn = 0_usize;
            loop {
                tokio::select! {
                    biased;
                    () = stopping.cancelled() => { yield Err(shutting_down()); return; }
                    () = revoked.cancelled() => { yield Err(key_revoked()); return; }
                    // No programme in scope (yet): the stream stays open
                    // and quiet rather than ending as if it had failed.
                    next = map.next(), if !map.is_empty() => {
                        if let Some((_, Some(summary))) = next {
                            quiet.reset();
                            yield Ok(summary);
                        }
                    }
                    _ = recheck.tick(), if follow.is_some() => {
                        let Some(list) = &follow else { continue };
                        match list().await {
                            Ok(now) => {
                                for programme in now {
                                    if !map.contains_key(&programme) {
                                        let rx = hub.summary_receiver(&programme).await;
                                        latest.push(rx.clone());
                                        map.insert(programme, WatchStream::new(rx));
                                    }
                                }
                            }
                            Err(err) => tracing::debug!(%err, "cannot list the programmes a summary stream follows"),
                        }
                    }
                    _ = quiet.tick() => {
                        if latest.is_empty() {
                            continue;
                        }
                        turn = (turn + 1) % latest.len();
                        let again = latest[turn].borrow().clone();
                        if let Some(summary) = again {
                            yield Ok(summary);
                        }
                    }
                }
            }
        })
    }

    async fn summary_receiver(&self, programme: &ProgrammeName) -> watch::Receiver<Option<Arc<ProgrammeSummary>>> {
        if let Some(tx) = lock(&self.inner.summaries).get(programme) {
            return tx.subscribe();
        }
        let first = match self.inner.store.programme_summary(programme).await {
            Ok(summary) => summary.map(Arc::new),
            Err(err) => {
                tracing::warn!(%err, %programme, "cannot compute a programme summary; will retry");
                lock(&self.inner.dirty).insert(programme.clone());
                None
            }
        };
        let mut summaries = lock(&self.inner.summaries);
        // Another watcher may have raced us here; keep the first sender.
        let tx = summaries
            .entry(programme.clone())
            .or_insert_with(|| watch::channel(first).0);
        tx.subscribe()
    }
}

/// Recomputes the summaries of changed, watched programmes, coalescing
/// bursts into at most one recomputation per programme per interval.
pub(super) async fn refresh(inner: Arc<Inner>) {
    let mut tick = tokio::time::interval(inner.options.summary_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = inner.stopping.cancelled() => return,
            _ = tick.tick() => {}
        }
        let dirty: Vec<ProgrammeName> = lock(&inner.dirty).drain().collect();
        let watched: Vec<ProgrammeName> = {
            let mut summaries = lock(&inner.summaries);
            summaries.retain(|_, tx| tx.receiver_count() > 0);
            dirty.into_iter().filter(|p| summaries.contains_key(p)).collect()
        };
        for programme in watched {
            match inner.store.programme_summary(&programme).await {
                Ok(summary) => {
                    if let Some(tx) = lock(&inner.summaries).get(&programme) {
                        tx.send_replace(summary.map(Arc::new));
                    }
                }
                Err(err) => {
                    tracing::warn!(%err, %programme, "cannot compute a programme summary; will retry");
                    lock(&inner.dirty).insert(programme);
                }
            }
        }
    }
}
