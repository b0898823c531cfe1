//! Authentication with an in-memory cache of keys: the hash of a bearer
//! secret → its caller, so a call costs no database lookup for its key.
//! A revocation drops the key from the cache: at once in the process that
//! revoked it, and on other replicas when the store announces it (within
//! the same bound as their open streams end). A lookup that raced with a
//! revocation is not cached (a generation counter tells). Entries also
//! expire after [`TTL`], so even a lost announcement lets a revoked key
//! work for at most that long.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::Grants;
use crate::domain::access::{Caller, Revocation, SECRET_PREFIX, hash_secret};
use crate::domain::error::{Error, Reason, Result};
use crate::domain::ids::ApiKeyName;

/// Keys kept at most; past that the cache starts over.
const CAPACITY: usize = 100_000;

/// How long a cached key is trusted without looking at the database.
pub const TTL: Duration = Duration::from_secs(10);

#[derive(Default)]
pub(super) struct KeyCache {
    by_hash: Mutex<HashMap<String, (Caller, Instant)>>,
    /// Bumped by every revocation.
    generation: AtomicU64,
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
    }
}

impl Grants {
    /// Resolves a bearer secret to its caller. Missing, unknown and
    /// revoked keys are all UNAUTHENTICATED.
    pub async fn authenticate(&self, secret: Option<&str>) -> Result<Caller> {
        let Some(secret) = secret.filter(|s| !s.is_empty()) else {
            return Err(Error::Unauthenticated {
                reason: Reason::MissingCredentials,
                message: "send `authorization: Bearer <api key>`".into(),
            });
        };
        let invalid = || Error::Unauthenticated {
            reason: Reason::InvalidCredentials,
            message: "the API key is not valid (unknown or revoked)".into(),
        };
        if !secret.starts_with(SECRET_PREFIX) || secret.len() > 200 {
            return Err(invalid());
        }
        let hash = hash_secret(secret);
        if let Some(caller) = self.keys.get(&hash) {
            return Ok(caller);
        }
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

    /// Drops revoked keys from the cache (`Revocation::Unknown`: all).
    pub fn forget_key(&self, revocation: &Revocation) {
        match revocation {
            Revocation::Key(key) => self.keys.forget(Some(key)),
            Revocation::Unknown => self.keys.forget(None),
        }
    }
}
