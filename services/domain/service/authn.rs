//! Authentication with an in-memory cache of keys: the hash of a bearer
//! secret → its caller, so a call costs no database lookup for its key.
//! A revocation drops the key from the cache: at once in the process that
//! revoked it, and on other replicas when the store announces it (within
//! the same bound as their open streams end). A lookup that raced with a
//! revocation is not cached (a generation counter tells). Entries also
//! expire after [`TTL`], so even a lost announcement lets a revoked key
//! work for at most that long.
//!
//! An address that failed authentication too often in a second has its
//! unknown secrets refused unchecked (see `api::limits`). So that a good
//! key behind the same address (a NAT, a proxy, a university's egress) is
//! never refused with them, the process also keeps the hashes of every
//! key issued and not revoked ([`Issued`]): a secret of that set is
//! looked up as usual, whatever its address did. The set is read from
//! the database when first needed, then only the keys created since, at
//! most every [`ISSUED_REFRESH`]; a revocation empties it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::Grants;
use crate::domain::access::{Caller, Revocation, SECRET_PREFIX, hash_secret};
use crate::domain::error::{Error, Reason, Result};
use crate::domain::ids::ApiKeyName;
use crate::domain::time::Timestamp;

/// Keys kept at most; past that the cache starts over.
const CAPACITY: usize = 100_000;

/// How long a cached key is trusted without looking at the database.
pub const TTL: Duration = Duration::from_secs(10);

/// How often at most the set of issued keys is read again, while
/// addresses over the limit present secrets it does not hold.
pub const ISSUED_REFRESH: Duration = Duration::from_millis(100);

/// Keys created this long before the newest one read are read again at
/// each refresh: other replicas' clocks may lag.
const CLOCK_SLACK: Duration = Duration::from_secs(60);

#[derive(Default)]
pub(super) struct KeyCache {
    by_hash: Mutex<HashMap<String, (Caller, Instant)>>,
    /// Bumped by every revocation.
    generation: AtomicU64,
    issued: tokio::sync::Mutex<Issued>,
}

/// The hashes of the keys issued and not revoked, as last read.
#[derive(Default)]
struct Issued {
    hashes: HashMap<String, ApiKeyName>,
    /// The newest creation time read; `None`: read them all next time.
    newest: Option<Timestamp>,
    read_at: Option<Instant>,
}

impl KeyCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Caller, Instant)>> {
        self.by_hash.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, hash: &str) -> Option<Caller> {
        let map = self.lock();
        let (caller, since) = map.get(hash)?;
        (since.elapsed() < TTL).then(|| caller.clone())
    }

    /// Caches `caller` unless a revocation happened since `generation`.
    fn put(&self, hash: String, caller: Caller, generation: u64) {
        let mut map = self.lock();
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(hash, (caller, Instant::now()));
    }

    fn forget(&self, key: Option<&ApiKeyName>) {
        let mut map = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        match key {
            Some(key) => map.retain(|_, (caller, _)| &caller.key != key),
            None => map.clear(),
        }
        drop(map);
        // The issued set: that key out (or, unknown, all of them read
        // again). Without waiting for a refresh in progress: a revoked
        // key left in the set earns a lookup, which refuses it, never a
        // caller.
        if let Ok(mut issued) = self.issued.try_lock() {
            match key {
                Some(key) => issued.hashes.retain(|_, k| k != key),
                None => *issued = Issued::default(),
            }
        }
    }
}

fn invalid() -> Error {
    Error::Unauthenticated {
        reason: Reason::InvalidCredentials,
        message: "the API key is not valid (unknown or revoked)".into(),
    }
}

/// How a bearer secret fares without the database.
pub enum Known {
    /// A cached key's caller.
    Caller(Caller),
    /// Missing, or not of a key's form: UNAUTHENTICATED without a lookup.
    Refused(Error),
    /// To be looked up ([`Grants::look_up_key`]).
    Unknown,
}

impl Grants {
    /// Resolves a bearer secret to its caller. Missing, unknown and
    /// revoked keys are all UNAUTHENTICATED.
    pub async fn authenticate(&self, secret: Option<&str>) -> Result<Caller> {
        match self.known_key(secret) {
            Known::Caller(caller) => Ok(caller),
            Known::Refused(err) => Err(err),
            Known::Unknown => self.look_up_key(secret.unwrap_or_default()).await,
        }
    }

    /// What the cache says of a bearer secret, without the database.
    pub fn known_key(&self, secret: Option<&str>) -> Known {
        let Some(secret) = secret.filter(|s| !s.is_empty()) else {
            return Known::Refused(Error::Unauthenticated {
                reason: Reason::MissingCredentials,
                message: "send `authorization: Bearer <api key>`".into(),
            });
        };
        if !secret.starts_with(SECRET_PREFIX) || secret.len() > 200 {
            return Known::Refused(invalid());
        }
        match self.keys.get(&hash_secret(secret)) {
            Some(caller) => Known::Caller(caller),
            None => Known::Unknown,
        }
    }

    /// Whether `secret` is of a key issued and not revoked, by the set of
    /// their hashes (read again first when older than [`ISSUED_REFRESH`]):
    /// no lookup of the secret itself.
    pub async fn is_issued_key(&self, secret: &str) -> Result<bool> {
        let hash = hash_secret(secret);
        let mut issued = self.keys.issued.lock().await;
        if issued.hashes.contains_key(&hash) {
            return Ok(true);
        }
        if issued.read_at.is_some_and(|at| at.elapsed() < ISSUED_REFRESH) {
            return Ok(false);
        }
        let slack = i64::try_from(CLOCK_SLACK.as_micros()).unwrap_or(i64::MAX);
        let since = issued
            .newest
            .map(|t| Timestamp::from_micros(t.micros().saturating_sub(slack)));
        let (hashes, newest) = self.store.issued_key_hashes(since).await?;
        issued.hashes.extend(hashes);
        issued.newest = issued.newest.max(newest);
        issued.read_at = Some(Instant::now());
        Ok(issued.hashes.contains_key(&hash))
    }

    /// Remembers a key just issued here as issued.
    pub(super) async fn issued_here(&self, hash: String, key: ApiKeyName) {
        self.keys.issued.lock().await.hashes.insert(hash, key);
    }

    /// Looks a well-formed secret up in the database (and caches a valid
    /// key).
    pub async fn look_up_key(&self, secret: &str) -> Result<Caller> {
        if !secret.starts_with(SECRET_PREFIX) || secret.len() > 200 {
            return Err(invalid());
        }
        let hash = hash_secret(secret);
        let generation = self.keys.generation.load(Ordering::Acquire);
        match self.store.find_api_key_by_hash(&hash).await? {
            Some(key) if key.revoke_time.is_none() => {
                let caller = Caller::from_key(&key);
                self.keys.put(hash, caller.clone(), generation);
                Ok(caller)
            }
            _ => Err(invalid()),
        }
    }

    /// Bumped by every revocation this process learns of (its own, and
    /// other replicas' as announced): whoever trusts a key checked before
    /// a change of it checks again.
    pub fn key_generation(&self) -> u64 {
        self.keys.generation.load(Ordering::Acquire)
    }

    /// Drops revoked keys from the cache (`Revocation::Unknown`: all).
    pub fn forget_key(&self, revocation: &Revocation) {
        match revocation {
            Revocation::Key(key) => self.keys.forget(Some(key)),
            Revocation::Unknown => self.keys.forget(None),
        }
    }
}
