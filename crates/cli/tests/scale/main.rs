//! Scale-out and crash tests over real server processes (the `coditect-license` binary):
//! several processes on one PostgreSQL database, `kill -9` during load on SQLite and
//! PostgreSQL, and Redis flushed or stopped during load. Run on their own with
//! `cargo test -p coditect-license --test scale -- --test-threads=1`; the PostgreSQL tests
//! need `CODITECT_TEST_DATABASE_URL`, the Redis tests `redis-server` on the PATH, and each
//! prints "skipping" when it cannot run (CI fails on that).
//!
//! `CODITECT_SCALE_SECONDS` sets the length of each load phase (default 12).

mod crash;
mod harness;
mod load;
mod multiprocess;
mod redis_loss;

use std::time::Duration;

/// How long the main load phase of a test lasts.
pub fn load_seconds() -> Duration {
    let s = std::env::var("CODITECT_SCALE_SECONDS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(12)
        .clamp(2, 120);
    Duration::from_secs(s)
}

/// Rate limits off: these tests are about seats, not about throttling.
pub fn unlimited() -> Vec<(&'static str, String)> {
    vec![
        ("CODITECT_RATE_LIMIT_PER_KEY", "0".into()),
        ("CODITECT_RATE_LIMIT_PER_IP", "0".into()),
    ]
}
