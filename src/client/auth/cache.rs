//! The token cache: one slot per (origin, scope) holding an `Authorization` value and when to
//! refresh it. Reading a slot never waits; fetching takes the slot's `tokio::sync::Mutex`, so
//! concurrent requests needing the same token wait for one fetch instead of starting N. Counters of token
//! fetches are kept for the load report (`AuthStats`).

use super::challenge::Challenge;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Token counters of a client.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct AuthStats {
    /// Access tokens fetched from a token endpoint (each fetch counts once, whatever the
    /// number of HTTP requests its flow took; refreshes included).
    pub token_requests: u64,
    /// Of those, fetches that replaced a cached token (expiring, or refused with a 401).
    pub token_refreshes: u64,
}

/// A cached `Authorization` value (its `Debug` never shows the value).
#[derive(Clone)]
pub(crate) struct Cached {
    /// The header value (`Bearer ...`).
    pub value: String,
    /// When to fetch a new one before using it again (`None`: never expires).
    pub refresh_at: Option<Instant>,
    /// The challenge it answered, to fetch the next one without a 401 first.
    pub challenge: Option<Challenge>,
}

impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cached")
            .field("value", &"<redacted>")
            .field("refresh_at", &self.refresh_at)
            .finish()
    }
}

impl Cached {
    /// Whether the token is due for a refresh.
    pub fn due(&self) -> bool {
        self.refresh_at.is_some_and(|at| Instant::now() >= at)
    }
}

/// When a token valid for `lifetime` should be replaced: a quarter of its lifetime (at most a
/// minute) before it expires.
pub(crate) fn refresh_at(fetched: Instant, lifetime: Duration) -> Instant {
    let margin = (lifetime / 4).min(Duration::from_secs(60));
    fetched + lifetime.saturating_sub(margin)
}

/// One cache slot: the published value, read without waiting, and the fetch lock, held by
/// the one task fetching a new value while the others wait for it.
#[derive(Debug, Default)]
pub(crate) struct SlotInner {
    value: Mutex<Option<Cached>>,
    pub fetch: tokio::sync::Mutex<()>,
}

impl SlotInner {
    /// The published value.
    pub fn get(&self) -> Option<Cached> {
        self.value.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Publishes a value (or clears it).
    pub fn set(&self, value: Option<Cached>) {
        *self.value.lock().unwrap_or_else(|e| e.into_inner()) = value;
    }
}

/// A shared slot.
pub(crate) type Slot = Arc<SlotInner>;

/// Most slots kept; past it, idle slots are dropped (a long load run over many repositories).
const MAX_SLOTS: usize = 10_000;

/// Token slots by key, Basic values by origin, counters.
#[derive(Default)]
pub(crate) struct TokenCache {
    slots: Mutex<HashMap<String, Slot>>,
    basic: Mutex<HashMap<String, String>>,
    requests: AtomicU64,
    refreshes: AtomicU64,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// The slot for `key`, created empty if needed.
    pub fn slot(&self, key: &str) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() >= MAX_SLOTS && !slots.contains_key(key) {
            // Keep slots someone is using (or fetching into); drop the idle ones.
            slots.retain(|_, s| Arc::strong_count(s) > 1);
        }
        slots.entry(key.to_string()).or_default().clone()
    }

    /// The slot for `key` if one exists.
    pub fn existing(&self, key: &str) -> Option<Slot> {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.get(key).cloned()
    }

    /// The Basic value accepted at `origin`, if any.
    pub fn basic(&self, origin: &str) -> Option<String> {
        let basic = self.basic.lock().unwrap_or_else(|e| e.into_inner());
        basic.get(origin).cloned()
    }

    /// Remembers the Basic value for `origin`.
    pub fn set_basic(&self, origin: &str, value: &str) {
        let mut basic = self.basic.lock().unwrap_or_else(|e| e.into_inner());
        basic.insert(origin.to_string(), value.to_string());
    }

    /// Counts one token fetch.
    pub fn count_fetch(&self, refresh: bool) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if refresh {
            self.refreshes.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> AuthStats {
        AuthStats {
            token_requests: self.requests.load(Ordering::Relaxed),
            token_refreshes: self.refreshes.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_happens_before_expiry() {
        let t0 = Instant::now();
        assert_eq!(
            refresh_at(t0, Duration::from_secs(4)),
            t0 + Duration::from_secs(3)
        );
        assert_eq!(
            refresh_at(t0, Duration::from_secs(75 * 60)),
            t0 + Duration::from_secs(74 * 60)
        );
        assert_eq!(refresh_at(t0, Duration::ZERO), t0);
        let c = Cached {
            value: "Bearer x".into(),
            refresh_at: Some(t0),
            challenge: None,
        };
        assert!(c.due());
        assert!(!format!("{c:?}").contains("Bearer x"));
        let c = Cached {
            refresh_at: None,
            ..c
        };
        assert!(!c.due());
    }

    #[test]
    fn slots_are_shared_and_bounded() {
        let cache = TokenCache::default();
        let a = cache.slot("k");
        let b = cache.slot("k");
        assert!(Arc::ptr_eq(&a, &b));
        drop((a, b));
        for i in 0..MAX_SLOTS + 5 {
            let _ = cache.slot(&format!("k{i}"));
        }
        let held = cache.slot("held");
        for i in 0..MAX_SLOTS {
            let _ = cache.slot(&format!("again{i}"));
        }
        let len = cache.slots.lock().unwrap().len();
        assert!(len <= MAX_SLOTS + 1, "{len}");
        assert!(Arc::ptr_eq(&held, &cache.existing("held").unwrap()));
        cache.count_fetch(false);
        cache.count_fetch(true);
        assert_eq!(
            cache.stats(),
            AuthStats {
                token_requests: 2,
                token_refreshes: 1
            }
        );
    }
}
