//! What the scale tests are built with: real server processes and their databases
//! (`harness`), the load they run with its checks (`load`), and for the failover test a
//! PostgreSQL primary with a synchronous standby of its own (`pg_cluster`) behind a
//! switchable TCP proxy (`proxy`).

pub mod harness;
pub mod load;
pub mod pg_cluster;
pub mod proxy;

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
