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
    /// Which window this is (a lookup's ticket tells its own).
    number: u64,
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
            self.number += 1;
            self.counts.clear();
        }
        &mut self.counts
    }
}

/// A lookup of an unknown secret, counted as a failure of its address
/// before it runs (so concurrent lookups cannot pass the limit together),
/// until [`Lookup::succeeded`] says the key was good.
pub struct Lookup {
    failures: Arc<Mutex<Failures>>,
    ip: IpAddr,
    window: u64,
}

impl Lookup {
    /// The key was valid (or the lookup could not tell): not a failure.
    pub fn succeeded(self) {
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if failures.number != self.window {
            return;
        }
        if let Some(count) = failures.counts.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
        }
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

    /// A lookup of an unknown secret from `peer`, counted as a failure
    /// until it [succeeds](Lookup::succeeded); refused while the address
    /// is at the limit of failed authentications for this second. So a
    /// burst of made-up keys, however concurrent, reaches the database at
    /// most the limit's number of times a second per address. (A call
    /// without an address, which tonic always records, is not limited.)
    pub fn lookup(&self, peer: Option<SocketAddr>) -> Result<Option<Lookup>> {
        let Some(peer) = peer else { return Ok(None) };
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let failed = failures.current().entry(peer.ip()).or_insert(0);
        if *failed >= self.settings.failed_authentications_per_second {
            return Err(exhausted(
                Reason::TooManyFailedAuthentications,
                format!(
                    "more than {} calls from this address failed authentication in the last second \
                     (--max-failed-authentications-per-second); fix the key and retry",
                    self.settings.failed_authentications_per_second
                ),
            ));
        }
        *failed += 1;
        Ok(Some(Lookup {
            failures: self.failures.clone(),
            ip: peer.ip(),
            window: failures.number,
        }))
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

    #[test]
    fn lookups_count_before_they_run_and_good_keys_give_theirs_back() {
        let limits = Limits::new(LimitSettings {
            failed_authentications_per_second: 3,
            ..LimitSettings::default()
        });
        let peer = Some(SocketAddr::from(([127, 0, 0, 1], 1)));
        let other = Some(SocketAddr::from(([127, 0, 0, 2], 1)));
        let held: Vec<_> = (0..3).map(|_| limits.lookup(peer).unwrap()).collect();
        assert!(limits.lookup(peer).is_err(), "three lookups in flight are the limit");
        assert!(limits.lookup(other).is_ok(), "another address is not affected");
        for lookup in held.into_iter().flatten() {
            lookup.succeeded();
        }
        assert!(limits.lookup(peer).is_ok(), "good keys are not failures");
    }
}
