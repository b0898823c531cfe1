//! A future polled again only when it woke its task. Thousands of live
//! streams each wait on the same few signals (shutdown, their key's
//! revocation) while they deliver events; polling a cancellation token's
//! wait takes its locks, shared by every stream, at every delivery
//! (measured: about 5 % of the server's CPU per delivery in the fan-out
//! benchmark). Wrapped, the wait is polled once to register, and after
//! that only when it has woken the task (or the task's waker changed):
//! any other poll of the stream costs an atomic load.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

pin_project_lite::pin_project! {
    /// `F`, polled only after it woke its task.
    pub struct Woken<F> {
        #[pin]
        inner: F,
        relay: Option<Arc<Relay>>,
    }
}

/// The waker handed to the inner future: notes the wake, then wakes the
/// task.
struct Relay {
    woke: AtomicBool,
    task: Waker,
}

impl Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woke.store(true, Ordering::Release);
        self.task.wake_by_ref();
    }
}

impl<F: Future> Woken<F> {
    pub fn new(inner: F) -> Self {
        Self { inner, relay: None }
    }
}

impl<F: Future> Future for Woken<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let relay = match this.relay {
            // Registered with this task, and not woken since: nothing new.
            Some(relay) if relay.task.will_wake(cx.waker()) => {
                if !relay.woke.swap(false, Ordering::AcqRel) {
                    return Poll::Pending;
                }
                relay.clone()
            }
            // First poll, or polled from another task: register anew.
            _ => {
                let relay = Arc::new(Relay {
                    woke: AtomicBool::new(false),
                    task: cx.waker().clone(),
                });
                *this.relay = Some(relay.clone());
                relay
            }
        };
        let waker = Waker::from(relay);
        this.inner.poll(&mut Context::from_waker(&waker))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_util::sync::CancellationToken;

    #[tokio::test]
    async fn ends_when_the_token_is_cancelled_after_many_idle_polls() {
        let token = CancellationToken::new();
        let wait = Woken::new(token.clone().cancelled_owned());
        tokio::pin!(wait);
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        for _ in 0..3 {
            assert!(wait.as_mut().poll(&mut cx).is_pending());
        }
        token.cancel();
        assert!(wait.as_mut().poll(&mut cx).is_ready());
    }

    #[tokio::test]
    async fn wakes_the_task_that_waits() {
        let token = CancellationToken::new();
        let wait = Woken::new(token.clone().cancelled_owned());
        let waiting = tokio::spawn(wait);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        token.cancel();
        let ended = tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await;
        assert!(matches!(ended, Ok(Ok(()))), "the wait did not end: {ended:?}");
    }

    #[tokio::test]
    async fn a_token_cancelled_before_the_first_poll_is_seen() {
        let token = CancellationToken::new();
        token.cancel();
        let wait = Woken::new(token.cancelled_owned());
        let ended = tokio::time::timeout(std::time::Duration::from_secs(5), wait).await;
        assert!(ended.is_ok());
    }
}
