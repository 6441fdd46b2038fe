//! Fixed-window counters in this process's memory: the limiter when no Redis is
//! configured, and the fallback while Redis does not answer.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Count;

/// Shards, so concurrent requests rarely wait on one another's lock.
const SHARDS: usize = 16;
/// A shard holding more buckets than this drops those whose window is over.
const PRUNE_ABOVE: usize = 4096;

struct Window {
    started: Instant,
    count: u64,
}

/// Per-process counters, one per bucket name.
pub(super) struct LocalWindows {
    shards: Vec<Mutex<HashMap<String, Window>>>,
}

impl LocalWindows {
    pub(super) fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    /// Counts one request in `bucket`'s current window of length `window`.
    pub(super) fn hit(&self, bucket: &str, window: Duration) -> Count {
        let mut h = DefaultHasher::new();
        bucket.hash(&mut h);
        let shard = &self.shards[(h.finish() as usize) % SHARDS];
        let now = Instant::now();
        let mut map = shard.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, w| now.duration_since(w.started) < window);
        }
        let w = map.entry(bucket.to_owned()).or_insert(Window {
            started: now,
            count: 0,
        });
        if now.duration_since(w.started) >= window {
            w.started = now;
            w.count = 0;
        }
        w.count += 1;
        Count {
            count: w.count,
            resets_in: window.saturating_sub(now.duration_since(w.started)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_a_window_and_resets_after_it() {
        let l = LocalWindows::new();
        let w = Duration::from_millis(200);
        assert_eq!(l.hit("a", w).count, 1);
        assert_eq!(l.hit("a", w).count, 2);
        assert_eq!(l.hit("b", w).count, 1);
        let c = l.hit("a", w);
        assert_eq!(c.count, 3);
        assert!(c.resets_in <= w);
        std::thread::sleep(Duration::from_millis(220));
        assert_eq!(l.hit("a", w).count, 1);
    }

    #[test]
    fn prunes_finished_windows() {
        let l = LocalWindows::new();
        let w = Duration::from_millis(1);
        for i in 0..(PRUNE_ABOVE * SHARDS * 2) {
            l.hit(&format!("k{i}"), w);
        }
        std::thread::sleep(Duration::from_millis(5));
        for i in 0..SHARDS * 4 {
            l.hit(&format!("z{i}"), w);
        }
        let total: usize = l.shards.iter().map(|s| s.lock().unwrap().len()).sum();
        assert!(total < PRUNE_ABOVE * SHARDS * 2, "{total} buckets kept");
    }
}
