//! Cross-replica news: on PostgreSQL, LISTEN for the event commits and the
//! key revocations of other replicas, and pass them on (a wake-up of the
//! local tailer; a revocation). Reconnects with backoff; the tailer's
//! polling covers event notifications lost in between, and a reconnect
//! announces that revocations may have been missed.

use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use super::log::EVENTS_CHANNEL;
use crate::domain::access::Revocation;
use crate::domain::event::AppendSignal;
use crate::domain::ids::ApiKeyName;

/// The PostgreSQL channel on which key revocations are announced.
pub const KEYS_CHANNEL: &str = "gba_grants_keys";

/// Announces the newest event position this process committed on
/// `EVENTS_CHANNEL`, from its own connection and outside the writing
/// transactions (a NOTIFY takes a cluster-wide lock at commit, which would
/// serialise them). Commits that land while an announcement is on its way
/// are covered by the next one. Ends at `stop` (or when the sender is
/// dropped).
pub(crate) async fn announce_commits(
    conn: sea_orm::DatabaseConnection,
    mut rx: tokio::sync::watch::Receiver<i64>,
    stop: CancellationToken,
) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    {
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                changed = rx.changed() => if changed.is_err() { break },
            }
            let newest = *rx.borrow_and_update();
            let notify = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [EVENTS_CHANNEL.into(), newest.to_string().into()],
            );
            if let Err(err) = conn.execute_raw(notify).await {
                // Other replicas find the events by polling meanwhile.
                tracing::warn!(%err, "cannot announce committed events to other replicas; retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
                rx.mark_changed();
            }
        }
        conn.close().await.ok();
    }
}

/// Runs until `stop`, signalling `signal` on every event committed by
/// any process and announcing every revocation on `revocations`.
pub(crate) async fn listen(
    url: &str,
    signal: std::sync::Arc<AppendSignal>,
    revocations: &tokio::sync::broadcast::Sender<Revocation>,
    stop: CancellationToken,
) {
    {
        let mut backoff = Duration::from_millis(100);
        while !stop.is_cancelled() {
            let mut listener = match PgListener::connect(url).await {
                Ok(l) => l,
                Err(err) => {
                    tracing::warn!(%err, ?backoff, "cannot LISTEN for events; retrying");
                    tokio::select! { () = stop.cancelled() => return, () = tokio::time::sleep(backoff) => {} }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            if let Err(err) = listener.listen_all([EVENTS_CHANNEL, KEYS_CHANNEL]).await {
                tracing::warn!(%err, ?backoff, "LISTEN failed; retrying");
                tokio::select! { () = stop.cancelled() => return, () = tokio::time::sleep(backoff) => {} }
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
            backoff = Duration::from_millis(100);
            // Anything committed while we were not listening is found by
            // the tailer after this wake-up; revocations are checked again.
            let missed = || {
                signal.announce(None);
                let _ = revocations.send(Revocation::Unknown);
            };
            missed();
            loop {
                // `try_recv` (not `recv`, which reconnects silently) tells us
                // when the connection was lost: notifications sent meanwhile
                // are gone, so whatever they would have said is checked again.
                tokio::select! {
                    () = stop.cancelled() => return,
                    received = listener.try_recv() => match received {
                        Ok(Some(n)) if n.channel() == KEYS_CHANNEL => {
                            let _ = revocations.send(Revocation::Key(ApiKeyName::from_id(n.payload().to_owned())));
                        }
                        // The payload is the position of the committed event.
                        Ok(Some(n)) => signal.announce(n.payload().parse().ok()),
                        Ok(None) => {
                            tracing::warn!("LISTEN connection lost; it reconnects, and what was missed is checked");
                            missed();
                        }
                        Err(err) => {
                            tracing::warn!(%err, "LISTEN connection lost; reconnecting");
                            break;
                        }
                    }
                }
            }
        }
    }
}
