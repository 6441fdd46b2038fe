//! What each license key may send per window, as this process has learned it from the
//! license: a bounded map from the key's short hash to its allowance.

use std::collections::HashMap;
use std::sync::RwLock;

/// The most keys remembered; past it the map starts over (each key is learned again from
/// its next seat answer, at the floor meanwhile).
const MAX_KEYS: usize = 200_000;

/// Learned allowances, by the key's short hash.
#[derive(Default)]
pub(super) struct KeyAllowances {
    by_key: RwLock<HashMap<String, u64>>,
}

impl KeyAllowances {
    /// The learned allowance, `None` when this process has not seen the key's license;
    /// `None` also while the per-key limit is off (`floor` 0).
    pub(super) fn limit(&self, short_hash: &str, floor: u64) -> Option<u64> {
        if floor == 0 {
            return None;
        }
        self.by_key.read().expect("lock").get(short_hash).copied()
    }

    /// Remembers a key's allowance.
    pub(super) fn learn(&self, short_hash: &str, allowance: u64) {
        if self.by_key.read().expect("lock").get(short_hash) == Some(&allowance) {
            return;
        }
        let mut map = self.by_key.write().expect("lock");
        if map.len() >= MAX_KEYS {
            map.clear();
        }
        map.insert(short_hash.to_owned(), allowance);
    }
}
