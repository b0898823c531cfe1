//! One watcher's stream: replay from the cursor, then live events, each
//! exactly once and in commit order, with progress markers when idle.

use std::sync::Arc;

use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::{Hub, Inner, Published};
use crate::domain::Result;
use crate::domain::access::Caller;
use crate::domain::application::View;
use crate::domain::event::{ApplicationEvent, Cursor};
use crate::domain::ids::ApiKeyName;
use crate::domain::watch::{
    EventScope, WatchItem, assignment_ended, cursor_ahead, cursor_expired, cursor_unknown_log, key_revoked,
    shutting_down, too_slow,
};

/// Replays after a lag right after a replay, before calling the watcher slow.
const CATCH_UPS: u32 = 3;

/// Events a replay reads per query: what a stream holds in memory while
/// its client reads them.
const REPLAY_BATCH: u64 = 100;

/// Reads one replay batch in a task of its own, so the query runs to its
/// end and gives its connection back whether or not the client reads: a
/// stream is polled only while its client takes messages, and a query
/// suspended inside an unpolled stream would hold a pooled connection for
/// as long as the client stalls.
async fn read_batch(inner: &Arc<Inner>, after: Cursor, scope: &Arc<EventScope>) -> Result<Vec<ApplicationEvent>> {
    let (store, scope) = (inner.store.clone(), scope.clone());
    tokio::spawn(async move { store.events_after(after, &scope, REPLAY_BATCH).await })
        .await
        .map_err(|e| crate::domain::Error::internal(format!("replay task failed: {e}")))?
}

impl Hub {
    /// The events in `scope` after `cursor` (or from now), then live ones.
    /// The first item is a progress marker with the starting position, so
    /// a client always holds a cursor to resume from. A cursor of another
    /// event log, beyond the newest event, or older than what is retained
    /// is refused.
    pub async fn watch_events(
        &self,
        caller: Caller,
        scope: EventScope,
        view: View,
        cursor: Option<Cursor>,
    ) -> Result<impl Stream<Item = Result<WatchItem>> + Send + 'static> {
        let inner = self.inner.clone();
        if inner.stopping.is_cancelled() {
            // Draining: the client should go to another replica at once.
            return Err(shutting_down());
        }
        let revoked = inner.keys.token(&caller.key);
        // Subscribe before reading anything: whatever is published from
        // here on reaches this receiver, and the replay covers what came
        // before. The stream checks the stop and revocation flags after
        // this, so it misses neither signal (see `Published`).
        let rx = inner.tx.subscribe();
        let start = match cursor {
            Some(c) => {
                inner.check_cursor(c).await?;
                c
            }
            None => inner.head(),
        };
        Ok(stream(
            inner,
            rx,
            (caller.key, revoked),
            scope,
            view,
            start,
            cursor.is_some(),
        ))
    }
}

impl Inner {
    async fn check_cursor(&self, cursor: Cursor) -> Result<()> {
        if cursor.log != self.log {
            return Err(cursor_unknown_log());
        }
        let head = self.store.event_head().await?;
        if cursor.seq > head.seq {
            return Err(cursor_ahead(cursor, head));
        }
        let pruned = self.store.pruned_through().await?;
        if cursor.seq < pruned.seq {
            return Err(cursor_expired(cursor, pruned));
        }
        Ok(())
    }
}

/// How the stream must end if the hub is stopping or its key was revoked,
/// read from the flags (which are set before the ring carries the signal).
fn signalled(inner: &Inner, revoked: &CancellationToken) -> Option<crate::domain::Error> {
    if inner.stopping.is_cancelled() {
        Some(shutting_down())
    } else if revoked.is_cancelled() {
        Some(key_revoked())
    } else {
        None
    }
}

fn stream(
    inner: Arc<Inner>,
    mut rx: tokio::sync::broadcast::Receiver<Published>,
    (key, revoked): (ApiKeyName, CancellationToken),
    scope: EventScope,
    view: View,
    start: Cursor,
    replay: bool,
) -> impl Stream<Item = Result<WatchItem>> + Send + 'static {
    let scope = Arc::new(scope);
    async_stream::stream! {
        // Only ever advanced past events this stream has read (from the
        // log or the ring), never to a head it has not reached, so a
        // progress marker can never hand out a cursor past an event that
        // is still on its way.
        let mut position = start;
        yield Ok(WatchItem::Progress(position));
        // A lag right after a replay is the replay's doing (the log was read
        // while the ring moved on): replay again, a few times at most. A lag
        // after live delivery means the watcher is too slow.
        let mut catch_ups = 0;
        let mut replay = replay;
        let mut catching_up = replay;
        // Waited on while a replay reads the log (live, the ring carries
        // the stop).
        let stopping = inner.stopping.clone().cancelled_owned();
        tokio::pin!(stopping);
        loop {
            if replay {
                // Replay committed events after `position` from the log, a
                // bounded batch per query.
                loop {
                    // After (re)subscribing: signals published before it are
                    // seen here, by their flags.
                    if let Some(end) = signalled(&inner, &revoked) { yield Err(end); return; }
                    // Every event up to the published head is final, so the
                    // read below returns all of them that are in scope.
                    let published = inner.head();
                    // A replay slowed by the database still ends at once
                    // when shutdown begins.
                    let read = tokio::select! {
                        biased;
                        () = &mut stopping => { yield Err(shutting_down()); return; }
                        read = read_batch(&inner, position, &scope) => read,
                    };
                    let batch = match read {
                        Ok(b) => b,
                        Err(err) => { yield Err(err); return; }
                    };
                    let full = batch.len() as u64 == REPLAY_BATCH;
                    for event in batch {
                        position = event.cursor;
                        let ends = scope.ends_after(&event);
                        yield Ok(WatchItem::Event(Arc::new(event), view));
                        if ends { yield Err(assignment_ended()); return; }
                    }
                    if !full {
                        // Out-of-scope events up to there need not be
                        // resumed after again (the ring's copies are dropped).
                        position = position.max(published);
                        break;
                    }
                }
            } else {
                if let Some(end) = signalled(&inner, &revoked) { yield Err(end); return; }
            }
            // A tick marks progress only if nothing went out since the tick
            // before; the first tick after opening only starts the count,
            // so an idle stream gets a marker every one or two intervals.
            let mut sent_since_tick = true;
            loop {
                match rx.recv().await {
                    Ok(Published::Event(event)) => {
                        catching_up = false;
                        if event.cursor <= position { continue; }
                        position = event.cursor;
                        if scope.matches(&event) {
                            let ends = scope.ends_after(&event);
                            yield Ok(WatchItem::Event(event, view));
                            if ends { yield Err(assignment_ended()); return; }
                            sent_since_tick = true;
                        }
                    }
                    Ok(Published::Tick) => {
                        if !std::mem::take(&mut sent_since_tick) {
                            yield Ok(WatchItem::Progress(position));
                        }
                    }
                    Ok(Published::Revoked(of)) => {
                        if of == key { yield Err(key_revoked()); return; }
                    }
                    Ok(Published::Stopping) | Err(RecvError::Closed) => { yield Err(shutting_down()); return; }
                    Err(RecvError::Lagged(_)) if catching_up && catch_ups < CATCH_UPS => {
                        catch_ups += 1;
                        rx = rx.resubscribe();
                        break;
                    }
                    Err(RecvError::Lagged(_)) => {
                        // Signals may have been among what was missed.
                        if let Some(end) = signalled(&inner, &revoked) { yield Err(end); return; }
                        metrics::counter!("gba_grants_watchers_too_slow_total").increment(1);
                        yield Err(too_slow());
                        return;
                    }
                }
            }
            replay = true;
        }
    }
}
