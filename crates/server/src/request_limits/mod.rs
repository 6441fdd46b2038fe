//! Rate limits: client endpoints per license key and per client IP, admin endpoints per
//! bearer token. With `CODITECT_REDIS_URL` the counters live in Redis and are shared by
//! every process; without it, or while Redis does not answer, each process counts on its
//! own (the same limits, per process). A refusal is `429 rate_limited` with `Retry-After`.
//! The limiter never fails a request because of Redis: it fails open to memory.

mod local;
mod shared;

use std::net::IpAddr;
use std::time::Duration;

use crate::http::{ApiError, ApiResult};
use local::LocalWindows;
use shared::SharedWindows;

/// Limits per window; 0 turns a limit off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Length of a counting window.
    pub window: Duration,
    /// Client requests per license key per window.
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
            local: LocalWindows::new(),
            shared,
        })
    }

    /// The limits in force.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Counts a client request (acquire, heartbeat, release, validate).
    pub async fn check_client(&self, ip: IpAddr, key_hash: &str) -> ApiResult<()> {
        let mut buckets = Vec::with_capacity(2);
        if self.limits.per_key > 0 {
            // A prefix of the key's SHA-256 names it; the key itself never leaves.
            let short = key_hash.get(..32).unwrap_or(key_hash);
            buckets.push((format!("coditect:rl:key:{short}"), self.limits.per_key));
        }
        if self.limits.per_ip > 0 {
            buckets.push((format!("coditect:rl:ip:{ip}"), self.limits.per_ip));
        }
        self.check(&buckets).await
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
        if buckets.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = buckets.iter().map(|(n, _)| n.clone()).collect();
        let counts = match &self.shared {
            Some(s) => s.hit(&names, window).await,
            None => None,
        };
        let counts =
            counts.unwrap_or_else(|| names.iter().map(|n| self.local.hit(n, window)).collect());
        let wait = buckets
            .iter()
            .zip(&counts)
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

    /// Pings Redis, when one is configured.
    pub async fn redis_health(&self) -> RedisHealth {
        match &self.shared {
            None => RedisHealth::NotConfigured,
            Some(s) if s.ping().await => RedisHealth::Up,
            Some(_) => RedisHealth::Down,
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
            l.check_client(ip, "aaaa").await.unwrap();
        }
        let e = l.check_client(ip, "aaaa").await.unwrap_err();
        assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.code, coditect_domain::ErrorCode::RateLimited);
        assert!((1..=30).contains(&e.retry_after.unwrap()));
        // Another key is counted apart.
        l.check_client(ip, "bbbb").await.unwrap();
    }

    #[tokio::test]
    async fn refuses_past_the_ip_limit_across_keys() {
        let l = limiter(0, 2);
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        l.check_client(ip, "k1").await.unwrap();
        l.check_client(ip, "k2").await.unwrap();
        assert!(l.check_client(ip, "k3").await.is_err());
        l.check_client("10.0.0.3".parse().unwrap(), "k1")
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
        l.check_client(ip, "kk").await.unwrap();
        l.check_client(ip, "kk").await.unwrap();
        assert!(l.check_client(ip, "kk").await.is_err());
        assert_eq!(l.redis_health().await, RedisHealth::Down);
    }
}
