//! How many client requests a license key may make in a rate-limit window.
//!
//! Why: a flat per-key limit throttles a big license that does exactly what the contract
//! tells it to (a 20,000-seat license heartbeating every TTL/3 sends far more than any
//! flat default), while a small one needs far less. The allowance follows the license:
//! what its seats need at the contract's heartbeat interval, with headroom for a morning
//! when everyone starts at once and for retries, and never below the operator's floor.

use std::time::Duration;

use crate::seats::heartbeat_interval_seconds;

/// How much more than the steady heartbeat rate a key may send: retries, clocks that
/// drift, heartbeats sent early.
const STEADY_HEADROOM: f64 = 1.5;
/// Requests per seat per window on top of heartbeats: an acquire and a release each (a
/// storm of starts, or restarts), plus validates.
const PER_SEAT_EXTRA: u64 = 3;

/// The requests a key of a license with `seats` seats and sessions of `ttl_seconds` may
/// make per `window`: at least `floor` (the configured per-key limit); 0 stays 0 (off).
pub fn key_allowance(floor: u64, seats: i64, ttl_seconds: i64, window: Duration) -> u64 {
    if floor == 0 {
        return 0;
    }
    let seats = seats.max(0).unsigned_abs();
    let interval = heartbeat_interval_seconds(ttl_seconds.max(1)).unsigned_abs();
    let beats_per_seat = window.as_secs().div_ceil(interval).max(1);
    let steady = (seats.saturating_mul(beats_per_seat) as f64 * STEADY_HEADROOM).ceil() as u64;
    let need = steady.saturating_add(seats.saturating_mul(PER_SEAT_EXTRA));
    need.max(floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn a_big_license_heartbeating_at_its_interval_fits_with_headroom() {
        // 2,000 seats, TTL 6 s: a heartbeat every 2 s, 60,000 a minute.
        let allowance = key_allowance(6_000, 2_000, 6, MINUTE);
        assert!(allowance >= 60_000 + 2 * 2_000, "{allowance}");
        assert_eq!(allowance, 96_000);
        // 20,000 seats at the default TTL (360 s, a heartbeat every 120 s).
        assert_eq!(key_allowance(6_000, 20_000, 360, MINUTE), 90_000);
    }

    #[test]
    fn a_small_license_gets_the_floor_and_off_stays_off() {
        assert_eq!(key_allowance(6_000, 5, 360, MINUTE), 6_000);
        assert_eq!(key_allowance(20, 1, 360, MINUTE), 20);
        assert_eq!(key_allowance(0, 2_000, 6, MINUTE), 0);
    }

    #[test]
    fn odd_inputs_neither_panic_nor_overflow() {
        assert_eq!(key_allowance(10, -5, 0, MINUTE), 10);
        assert_eq!(
            key_allowance(10, i64::MAX, 1, Duration::from_secs(u64::MAX)),
            u64::MAX
        );
    }
}
