//! The one home of background jobs: the store's writer and readers, the
//! hub's tailer and pruning, the health pinger, the revocation and
//! request-id housekeeping. Each is named, started here (logged), handed
//! the token that ends it, and stopped here at shutdown within a bound
//! (logged; one that outlives it is aborted and named).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Running jobs. Cheap to clone; every clone is the same home.
#[derive(Clone, Default)]
pub struct Jobs {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    stop: CancellationToken,
    running: Mutex<Vec<(&'static str, JoinHandle<()>)>>,
}

impl Jobs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts `job`, which must end soon after the token it is given is
    /// cancelled.
    pub fn spawn<F>(&self, name: &'static str, job: impl FnOnce(CancellationToken) -> F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let work = job(self.inner.stop.clone());
        tracing::info!(job = name, "job started");
        let handle = tokio::spawn(async move {
            work.await;
            tracing::info!(job = name, "job stopped");
        });
        let mut running = self
            .inner
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        running.retain(|(_, h)| !h.is_finished());
        running.push((name, handle));
    }

    /// The names of the jobs still running.
    pub fn running(&self) -> Vec<&'static str> {
        let running = self
            .inner
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        running
            .iter()
            .filter(|(_, h)| !h.is_finished())
            .map(|(name, _)| *name)
            .collect()
    }

    /// Ends every job: cancels their token, then waits for them, `within`
    /// in all; a job still running then is aborted.
    pub async fn stop(&self, within: Duration) {
        self.inner.stop.cancel();
        let handles = std::mem::take(
            &mut *self
                .inner
                .running
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let deadline = tokio::time::Instant::now() + within;
        for (name, mut handle) in handles {
            if tokio::time::timeout_at(deadline, &mut handle).await.is_err() {
                tracing::warn!(job = name, ?within, "job did not stop in time; aborted");
                handle.abort();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_end_when_stopped_and_stragglers_are_aborted() {
        let jobs = Jobs::new();
        jobs.spawn("polite", |stop| async move { stop.cancelled().await });
        jobs.spawn("stubborn", |_| async move { std::future::pending::<()>().await });
        assert_eq!(jobs.running(), ["polite", "stubborn"]);
        let started = tokio::time::Instant::now();
        jobs.stop(Duration::from_millis(200)).await;
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(jobs.running().is_empty());
    }
}
