//! Rate limits: client endpoints per license key and per client IP, admin endpoints per
//! bearer token. With `CODITECT_REDIS_URL` the counters live in Redis and are shared by
//! every process; without it, or while Redis does not answer, each process counts on its
//! own (the same limits, per process). A refusal is `429 rate_limited` with `Retry-After`.
//! The limiter never fails a request because of Redis: it fails open to memory.

mod allowances;
mod local;
mod shared;

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use coditect_domain::rate::key_allowance;

use crate::http::{ApiError, ApiResult};
use allowances::KeyAllowances;
use local::LocalWindows;
pub(crate) use shared::SharedWindows;

/// Limits per window; 0 turns a limit off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Length of a counting window.
    pub window: Duration,
    /// Client requests per license key per window: the floor; a license whose seats need
    /// more at the contract's heartbeat interval gets what they need (`coditect_domain::rate`).
    pub per_key: u64,
    /// Client requests per client IP per window.
    pub per_ip: u64,
    /// Admin requests per bearer token per window (off by default).
    pub per_admin_token: u64,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(60),
            per_key: 6_000,
            per_ip: 60_000,
            per_admin_token: 0,
        }
    }
}

/// One bucket's count after a hit.
#[derive(Clone, Copy, Debug)]
struct Count {
    count: u64,
    resets_in: Duration,
}

/// The limiter of one process.
pub struct RateLimiter {
    limits: RateLimits,
    allowances: KeyAllowances,
    local: LocalWindows,
    shared: Option<SharedWindows>,
}

/// Where a Redis is configured, whether it answers (for `/readyz`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedisHealth {
    /// No Redis configured.
    NotConfigured,
    /// It answered a PING.
    Up,
    /// It did not answer within the timeout.
    Down,
}

impl RateLimiter {
    /// A limiter; with a Redis URL its counters are shared (connected lazily).
    pub fn new(
        limits: RateLimits,
        redis_url: Option<&str>,
        redis_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let shared = redis_url
            .map(|u| SharedWindows::new(u, redis_timeout))
            .transpose()?;
        Ok(Self {
            limits,
            allowances: KeyAllowances::default(),
            local: LocalWindows::new(),
            shared,
        })
    }

    /// The limits in force.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Counts a client request (acquire, heartbeat, release, validate). The key's limit
    /// follows its license ([`key_allowance`]), learned from the seat answers this process
    /// gives; a key over the configured floor whose license this process has not seen yet
    /// (it just started, others share the count through Redis) has `license` looked up
    /// once, `(seats_total, heartbeat_ttl_seconds)` or `None` for no such license.
    pub async fn check_client<F, Fut>(
        &self,
        ip: IpAddr,
        key_hash: &str,
        license: F,
    ) -> ApiResult<()>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Option<(i64, i64)>>,
    {
        let mut buckets = Vec::with_capacity(2);
        // A prefix of the key's SHA-256 names it; the key itself never leaves.
        let short = key_hash.get(..32).unwrap_or(key_hash);
        let key_limit = self.allowances.limit(short, self.limits.per_key);
        if self.limits.per_key > 0 {
            buckets.push((
                format!("coditect:rl:key:{short}"),
                key_limit.unwrap_or(self.limits.per_key),
            ));
        }
        if self.limits.per_ip > 0 {
            buckets.push((format!("coditect:rl:ip:{ip}"), self.limits.per_ip));
        }
        let counts = self.hit(&buckets, self.limits.window).await;
        let over_floor = self.limits.per_key > 0 && counts[0].count > self.limits.per_key;
        if over_floor && key_limit.is_none() {
            let (seats, ttl) = license().await.unwrap_or((0, 1));
            self.learn_license(key_hash, seats, ttl);
            buckets[0].1 = self
                .allowances
                .limit(short, self.limits.per_key)
                .unwrap_or(self.limits.per_key);
        }
        decide(&buckets, &counts)
    }

    /// Records what a license's key may send, from a seat answer for it.
    pub fn learn_license(&self, key_hash: &str, seats_total: i64, heartbeat_ttl_seconds: i64) {
        let short = key_hash.get(..32).unwrap_or(key_hash);
        let allowance = key_allowance(
            self.limits.per_key,
            seats_total,
            heartbeat_ttl_seconds,
            self.limits.window,
        );
        self.allowances.learn(short, allowance);
    }

    /// Counts an admin request by the SHA-256 of its bearer token.
    pub async fn check_admin(&self, token_hash: &str) -> ApiResult<()> {
        if self.limits.per_admin_token == 0 {
            return Ok(());
        }
        let short = token_hash.get(..32).unwrap_or(token_hash);
        let bucket = format!("coditect:rl:admin:{short}");
        self.check(&[(bucket, self.limits.per_admin_token)]).await
    }

    /// Counts a self-service trial request of a client address: `per_hour` an hour
    /// (0: unlimited).
    pub async fn check_trial(&self, ip: IpAddr, per_hour: u32) -> ApiResult<()> {
        if per_hour == 0 {
            return Ok(());
        }
        let bucket = (format!("coditect:rl:trial:{ip}"), u64::from(per_hour));
        self.check_in(&[bucket], Duration::from_secs(3600)).await
    }

    async fn check(&self, buckets: &[(String, u64)]) -> ApiResult<()> {
        self.check_in(buckets, self.limits.window).await
    }

    async fn check_in(&self, buckets: &[(String, u64)], window: Duration) -> ApiResult<()> {
        let counts = self.hit(buckets, window).await;
        decide(buckets, &counts)
    }

    /// Counts one hit on every bucket: in Redis when it answers, else in this process.
    async fn hit(&self, buckets: &[(String, u64)], window: Duration) -> Vec<Count> {
        if buckets.is_empty() {
            return Vec::new();
        }
        let names: Vec<String> = buckets.iter().map(|(n, _)| n.clone()).collect();
        let counts = match &self.shared {
            Some(s) => s.hit(&names, window).await,
            None => None,
        };
        counts.unwrap_or_else(|| names.iter().map(|n| self.local.hit(n, window)).collect())
    }

    /// The Redis connection of the limiter, when one is configured: sign-in throttling
    /// shares its counts through it, with the same timeout and fallback to memory.
    pub(crate) fn shared_redis(&self) -> Option<&SharedWindows> {
        self.shared.as_ref()
    }

    /// Pings Redis, when one is configured.
    pub async fn redis_health(&self) -> RedisHealth {
        match &self.shared {
            None => RedisHealth::NotConfigured,
            Some(s) if s.ping().await => RedisHealth::Up,
            Some(_) => RedisHealth::Down,
        }
    }
}

/// `429` when any bucket is over its limit, with the longest wait among them.
fn decide(buckets: &[(String, u64)], counts: &[Count]) -> ApiResult<()> {
    let wait = buckets
        .iter()
        .zip(counts)
        .filter(|((_, limit), c)| c.count > *limit)
        .map(|(_, c)| c.resets_in)
        .max();
    match wait {
        None => Ok(()),
        Some(wait) => {
            metrics::counter!("rate_limited_total").increment(1);
            Err(limited(wait))
        }
    }
}

/// `429 rate_limited` with `Retry-After` in whole seconds (at least 1).
fn limited(wait: Duration) -> ApiError {
    let secs = wait.as_millis().div_ceil(1000).max(1) as u64;
    ApiError::rate_limited(secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    /// The license lookup of a key no license has.
    async fn unknown() -> Option<(i64, i64)> {
        None
    }

    fn limiter(per_key: u64, per_ip: u64) -> RateLimiter {
        let limits = RateLimits {
            window: Duration::from_secs(30),
            per_key,
            per_ip,
            per_admin_token: 2,
        };
        RateLimiter::new(limits, None, Duration::from_millis(100)).unwrap()
    }

    #[tokio::test]
    async fn refuses_past_the_key_limit_with_retry_after() {
        let l = limiter(3, 0);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            l.check_client(ip, "aaaa", unknown).await.unwrap();
        }
        let e = l.check_client(ip, "aaaa", unknown).await.unwrap_err();
        assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.code, coditect_domain::ErrorCode::RateLimited);
        assert!((1..=30).contains(&e.retry_after.unwrap()));
        // Another key is counted apart.
        l.check_client(ip, "bbbb", unknown).await.unwrap();
    }

    #[tokio::test]
    async fn refuses_past_the_ip_limit_across_keys() {
        let l = limiter(0, 2);
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        l.check_client(ip, "k1", unknown).await.unwrap();
        l.check_client(ip, "k2", unknown).await.unwrap();
        assert!(l.check_client(ip, "k3", unknown).await.is_err());
        l.check_client("10.0.0.3".parse().unwrap(), "k1", unknown)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn admin_limit_counts_per_token_and_zero_is_off() {
        let l = limiter(0, 0);
        l.check_admin("t1").await.unwrap();
        l.check_admin("t1").await.unwrap();
        assert!(l.check_admin("t1").await.is_err());
        l.check_admin("t2").await.unwrap();
        let off = RateLimiter::new(RateLimits::default(), None, Duration::from_millis(1)).unwrap();
        for _ in 0..100 {
            off.check_admin("t1").await.unwrap();
        }
    }

    #[tokio::test]
    async fn an_unreachable_redis_falls_back_to_memory() {
        // Port 1 on loopback: connection refused at once.
        let limits = RateLimits {
            per_key: 2,
            ..RateLimits::default()
        };
        let l = RateLimiter::new(
            limits,
            Some("redis://127.0.0.1:1/"),
            Duration::from_millis(200),
        )
        .unwrap();
        let ip: IpAddr = "10.0.0.9".parse().unwrap();
        l.check_client(ip, "kk", unknown).await.unwrap();
        l.check_client(ip, "kk", unknown).await.unwrap();
        assert!(l.check_client(ip, "kk", unknown).await.is_err());
        assert_eq!(l.redis_health().await, RedisHealth::Down);
    }

    #[tokio::test]
    async fn a_big_licenses_key_gets_what_its_seats_need() {
        let l = limiter(2, 0);
        let ip: IpAddr = "10.0.0.9".parse().unwrap();
        // Unknown: the floor. Once over it, the license is looked up and its allowance
        // (1,000 seats at a 6 s TTL) applies; the lookup happens once.
        let looked_up = std::sync::atomic::AtomicUsize::new(0);
        let big = || async {
            looked_up.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Some((1_000, 6))
        };
        for _ in 0..50 {
            l.check_client(ip, "big", big).await.unwrap();
        }
        assert_eq!(looked_up.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Learned from a seat answer, without a lookup.
        // One seat at the default TTL: 2 heartbeats (1 × 1.5, rounded up) and 3 more a
        // window, above the floor of 2.
        l.learn_license("small", 1, 360);
        for _ in 0..5 {
            l.check_client(ip, "small", unknown).await.unwrap();
        }
        assert!(l.check_client(ip, "small", unknown).await.is_err());
    }
}
