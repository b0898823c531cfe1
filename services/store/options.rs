//! What a backend is opened with, and what it reports of its pools.

use std::time::Duration;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub url: String,
    pub max_connections: u32,
    /// How long a call waits for a pooled connection, a new connection, or
    /// (SQLite) the database lock, before it fails UNAVAILABLE.
    pub timeout: Duration,
    /// Test knob: sleep up to this long between appending an event and
    /// committing, to widen the window in which concurrent transactions
    /// could commit out of sequence order. `None` in production.
    pub commit_jitter: Option<Duration>,
}

impl DbOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            timeout: Duration::from_secs(5),
            commit_jitter: None,
        }
    }
}

/// One connection pool's occupancy.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub name: &'static str,
    pub size: u32,
    pub idle: usize,
    pub max: u32,
}
