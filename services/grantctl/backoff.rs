//! Exponential backoff with jitter, for retried writes and reconnecting
//! streams: the delay doubles from `base` up to `cap`, and each wait is a
//! random point in its upper half, so many clients do not retry in step.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self { base, cap, attempt: 0 }
    }

    /// For reconnecting streams: 250 ms doubling up to ~10 s.
    pub fn reconnect() -> Self {
        Self::new(Duration::from_millis(250), Duration::from_secs(10))
    }

    /// For retried calls: 200 ms, then 400 ms.
    pub fn retry() -> Self {
        Self::new(Duration::from_millis(200), Duration::from_secs(2))
    }

    /// The next delay (and counts the attempt).
    pub fn next_delay(&mut self) -> Duration {
        let factor = 1_u32 << self.attempt.min(16);
        self.attempt = self.attempt.saturating_add(1);
        let ceiling = self.base.saturating_mul(factor).min(self.cap);
        let half = ceiling / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis() as u64);
        half + Duration::from_millis(jitter)
    }

    /// Starts over after a success.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_with_jitter_up_to_the_cap() {
        let mut b = Backoff::reconnect();
        let first = b.next_delay();
        assert!(first >= Duration::from_millis(125) && first <= Duration::from_millis(250));
        for _ in 0..20 {
            assert!(b.next_delay() <= Duration::from_secs(10));
        }
        assert!(b.next_delay() >= Duration::from_secs(5));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(250));
    }
}
