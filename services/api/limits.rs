//! Limits per key and per connection, shedding load instead of queueing:
//! a call over a limit is answered RESOURCE_EXHAUSTED at once, with a
//! reason naming the limit, and costs the server almost nothing. Each limit
//! is a command-line flag (see `cli.rs`).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::ids::ApiKeyName;
use crate::domain::{Error, Reason, Result};

/// The limits; every field has a documented default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitSettings {
    /// Calls of one key in progress at once (streams count while opening).
    pub calls_per_key: usize,
    /// Open WatchService streams of one key.
    pub streams_per_key: usize,
    /// Open WatchService streams on one connection.
    pub streams_per_connection: usize,
    /// Items in any repeated field of a request.
    pub repeated_items: usize,
    /// Bytes of one request message.
    pub message_bytes: usize,
    /// Calls from one client address that may fail authentication within
    /// a second; beyond it, that address's calls are refused unchecked
    /// until the second is over.
    pub failed_authentications_per_second: u32,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            calls_per_key: 256,
            streams_per_key: 256,
            streams_per_connection: 100,
            repeated_items: 100,
            message_bytes: 4 * 1024 * 1024,
            failed_authentications_per_second: 100,
        }
    }
}

/// Counts in use, per key or connection.
struct Counter<K>(Mutex<HashMap<K, usize>>);

impl<K: Hash + Eq + Clone> Counter<K> {
    fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(HashMap::new())))
    }

    fn take(self: &Arc<Self>, key: &K, max: usize) -> Option<Slot<K>> {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let used = map.entry(key.clone()).or_insert(0);
        if *used >= max {
            return None;
        }
        *used += 1;
        Some(Slot {
            counter: self.clone(),
            key: key.clone(),
        })
    }
}

/// One unit of a limit, given back when dropped.
pub struct Slot<K: Hash + Eq + Clone> {
    counter: Arc<Counter<K>>,
    key: K,
}

impl<K: Hash + Eq + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut map = self.counter.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(used) = map.get_mut(&self.key) {
            *used = used.saturating_sub(1);
            if *used == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// What an open stream holds until it ends.
pub struct StreamSlots {
    _key: Slot<ApiKeyName>,
    _connection: Option<Slot<SocketAddr>>,
}

/// The process's limits and their counters. Cheap to clone.
#[derive(Clone)]
pub struct Limits {
    settings: LimitSettings,
    /// Keyed by the bearer secret's hash, so calls are shed before the key
    /// is even looked up.
    calls: Arc<Counter<String>>,
    key_streams: Arc<Counter<ApiKeyName>>,
    connection_streams: Arc<Counter<SocketAddr>>,
    /// Failed authentications per client address in the current second.
    failures: Arc<Mutex<Failures>>,
}

/// One-second windows of failed authentications, per client address.
#[derive(Default)]
struct Failures {
    window: Option<Instant>,
    counts: HashMap<IpAddr, u32>,
}

impl Failures {
    /// The counts of the current window (a new window empties them).
    fn current(&mut self) -> &mut HashMap<IpAddr, u32> {
        let now = Instant::now();
        if self
            .window
            .is_none_or(|w| now.duration_since(w) >= Duration::from_secs(1))
        {
            self.window = Some(now);
            self.counts.clear();
        }
        &mut self.counts
    }
}

fn exhausted(reason: Reason, message: String) -> Error {
    Error::ResourceExhausted { reason, message }
}

impl Limits {
    pub fn new(settings: LimitSettings) -> Self {
        Self {
            settings,
            calls: Counter::new(),
            key_streams: Counter::new(),
            connection_streams: Counter::new(),
            failures: Arc::default(),
        }
    }

    /// Refuses a call from `peer` while its address is over the limit of
    /// failed authentications for this second.
    pub fn check_failures(&self, peer: Option<SocketAddr>) -> Result<()> {
        let Some(peer) = peer else { return Ok(()) };
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // A read: addresses that never fail leave no entry.
        let failed = failures.current().get(&peer.ip()).copied().unwrap_or(0);
        if failed >= self.settings.failed_authentications_per_second {
            return Err(exhausted(
                Reason::TooManyFailedAuthentications,
                format!(
                    "more than {} calls from this address failed authentication in the last second \
                     (--max-failed-authentications-per-second); fix the key and retry",
                    self.settings.failed_authentications_per_second
                ),
            ));
        }
        Ok(())
    }

    /// Counts a failed authentication of `peer`.
    pub fn failed(&self, peer: Option<SocketAddr>) {
        if let Some(peer) = peer {
            let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *failures.current().entry(peer.ip()).or_insert(0) += 1;
        }
    }

    pub fn settings(&self) -> &LimitSettings {
        &self.settings
    }

    /// A call slot of the key whose secret hashes to `secret_hash`, held
    /// until the call has answered.
    pub fn call(&self, secret_hash: &str) -> Result<Slot<String>> {
        self.calls
            .take(&secret_hash.to_owned(), self.settings.calls_per_key)
            .ok_or_else(|| {
                exhausted(
                    Reason::TooManyCallsPerKey,
                    format!(
                        "this key already has {} calls in progress (--max-calls-per-key); retry with backoff",
                        self.settings.calls_per_key
                    ),
                )
            })
    }

    /// Stream slots of `key` and of its connection, held while it is open.
    pub fn stream(&self, key: &ApiKeyName, connection: Option<SocketAddr>) -> Result<StreamSlots> {
        let connection = match connection {
            Some(addr) => Some(
                self.connection_streams
                    .take(&addr, self.settings.streams_per_connection)
                    .ok_or_else(|| {
                        exhausted(
                            Reason::TooManyStreamsPerConnection,
                            format!(
                                "this connection already has {} open streams (--max-streams-per-connection)",
                                self.settings.streams_per_connection
                            ),
                        )
                    })?,
            ),
            None => None,
        };
        let key = self
            .key_streams
            .take(key, self.settings.streams_per_key)
            .ok_or_else(|| {
                exhausted(
                    Reason::TooManyStreamsPerKey,
                    format!(
                        "this key already has {} open streams (--max-streams-per-key)",
                        self.settings.streams_per_key
                    ),
                )
            })?;
        Ok(StreamSlots {
            _key: key,
            _connection: connection,
        })
    }

    /// Refuses a repeated field of more than `--max-repeated-items`.
    pub fn items(&self, field: &str, count: usize) -> Result<()> {
        if count > self.settings.repeated_items {
            return Err(exhausted(
                Reason::TooManyItems,
                format!(
                    "{field}: {count} items, more than the {} allowed in one request (--max-repeated-items)",
                    self.settings.repeated_items
                ),
            ));
        }
        Ok(())
    }

    /// The error for a request message over `--max-message-bytes`.
    pub fn message_too_large(&self) -> Error {
        exhausted(
            Reason::MessageTooLarge,
            format!(
                "the request message is larger than {} bytes (--max-message-bytes)",
                self.settings.message_bytes
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_given_back_when_dropped() {
        let limits = Limits::new(LimitSettings {
            calls_per_key: 2,
            ..LimitSettings::default()
        });
        let a = limits.call("k").unwrap();
        let _b = limits.call("k").unwrap();
        assert!(limits.call("k").is_err());
        assert!(limits.call("other").is_ok());
        drop(a);
        assert!(limits.call("k").is_ok());
    }
}
