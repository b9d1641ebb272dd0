//! What `GetKey` said about each key, kept for a short while.
//!
//! An export needs the facts of the key and of the KEK (usage, algorithm, modes, exportability,
//! KCV) before `ExportKey`, and asking AWS for them each time made every issued key cost three
//! calls of the account's quota. The facts only change when someone changes the key in AWS, so
//! they are kept per key id (ARN or alias, as configured) for `key_cache_ttl_ms`, and a steady
//! stream of requests costs one call per key. Safety does not rest on the cache: AWS still
//! checks every `ExportKey`, and the reply is still checked against the facts.
//!
//! Facts are kept only for a key that is enabled and fully created: a disabled key, or one
//! pending deletion, is asked about every time. An export that fails in a way that suggests the
//! key changed (any failure that is not AWS being slow or unavailable) drops the facts of both
//! keys, so the next request asks again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keybridge::export::KeyFacts;

/// The cache of one gateway.
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (KeyFacts, Instant)>>,
    /// One lock per key id being asked about, so that concurrent misses ask AWS once.
    fetching: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl KeyCache {
    /// A cache keeping facts for `ttl`; zero keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
            fetching: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, (KeyFacts, Instant)>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The facts of `key_id` if they are fresh, without counting a lookup.
    pub fn peek(&self, key_id: &str) -> Option<KeyFacts> {
        let mut entries = self.entries();
        match entries.get(key_id) {
            Some((facts, at)) if at.elapsed() < self.ttl => Some(facts.clone()),
            Some(_) => {
                entries.remove(key_id);
                None
            }
            None => None,
        }
    }

    /// The lock to hold while asking AWS about `key_id` (one per key id; key ids are the
    /// configured keys and the readers' KEKs, a bounded set).
    pub fn fetch_lock(&self, key_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut fetching = self.fetching.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        fetching.entry(key_id.to_owned()).or_default().clone()
    }

    /// The facts of `key_id` if they are fresh; counts the hit or miss.
    pub fn get(&self, key_id: &str) -> Option<KeyFacts> {
        let found = self.peek(key_id);
        let (counter, result) = if found.is_some() {
            (&self.hits, "hit")
        } else {
            (&self.misses, "miss")
        };
        counter.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("keybridge_key_cache_lookups_total", "result" => result).increment(1);
        metrics::gauge!("keybridge_key_cache_hit_ratio").set(self.hit_ratio());
        found
    }

    /// Keeps `facts` for `key_id` when the key is settled (enabled, not pending deletion).
    pub fn put(&self, key_id: &str, facts: &KeyFacts) {
        if self.ttl.is_zero() || !facts.is_settled() {
            return;
        }
        self.entries()
            .insert(key_id.to_owned(), (facts.clone(), Instant::now()));
    }

    /// Drops what is kept about `key_id`.
    pub fn forget(&self, key_id: &str) {
        self.entries().remove(key_id);
    }

    /// Hits over lookups so far (0 before the first).
    pub fn hit_ratio(&self) -> f64 {
        let hits = self.hits.load(Ordering::Relaxed) as f64;
        let lookups = hits + self.misses.load(Ordering::Relaxed) as f64;
        if lookups == 0.0 { 0.0 } else { hits / lookups }
    }
}

#[cfg(test)]
mod tests {
    use keybridge::export::{KeyAlgorithm, ModesOfUse};
    use keybridge::tr31::KeyUsage;

    use super::*;

    fn facts(enabled: bool, state: &str) -> KeyFacts {
        KeyFacts {
            arn: "arn:aws:payment-cryptography:us-east-1:111122223333:key/k".into(),
            usage: KeyUsage::P0,
            algorithm: KeyAlgorithm::Tdes2Key,
            modes: ModesOfUse::default(),
            exportable: true,
            kcv: "08D7B4".into(),
            kcv_algorithm: None,
            enabled,
            state: state.into(),
        }
    }

    #[test]
    fn settled_keys_are_kept_until_forgotten() {
        let cache = KeyCache::new(Duration::from_secs(60));
        assert_eq!(cache.get("alias/k"), None);
        cache.put("alias/k", &facts(true, "CREATE_COMPLETE"));
        assert_eq!(cache.get("alias/k"), Some(facts(true, "CREATE_COMPLETE")));
        assert_eq!(cache.hit_ratio(), 0.5);
        cache.forget("alias/k");
        assert_eq!(cache.get("alias/k"), None);
    }

    #[test]
    fn disabled_pending_deletion_and_unfinished_keys_are_never_kept() {
        let cache = KeyCache::new(Duration::from_secs(60));
        for (enabled, state) in [
            (false, "CREATE_COMPLETE"),
            (true, "DELETE_PENDING"),
            (true, "CREATE_IN_PROGRESS"),
        ] {
            cache.put("alias/k", &facts(enabled, state));
            assert_eq!(cache.get("alias/k"), None, "{enabled} {state}");
        }
    }

    #[test]
    fn a_zero_ttl_keeps_nothing() {
        let cache = KeyCache::new(Duration::ZERO);
        cache.put("alias/k", &facts(true, "CREATE_COMPLETE"));
        assert_eq!(cache.get("alias/k"), None);
    }
}
