//! Wrong-password throttling.
//!
//! Dashboard sign-in ([`SignInThrottle`]) counts failures per (client address, account)
//! pair, per client address, and per account across all addresses:
//! - 5 per pair in 15 minutes: one address guessing at one account is stopped early.
//! - 20 per client address: one address guessing across accounts is capped.
//! - 100 per account across every address, except from an address that signed in to
//!   that account within the last 30 days. The ceiling slows a guess spread over many
//!   addresses; the exception is what keeps it from being a lock-out switch: an attacker
//!   who knows the owner's e-mail can exhaust it, but the owner's usual address (where
//!   they signed in before) does not meet it. A per-e-mail limit alone, as before, let
//!   anyone who knew the owner's address lock the owner out everywhere.
//!
//! Past a limit, sign-in answers `429 rate_limited` with `Retry-After`. An attempt is
//! counted when it starts, in the same step that checks the limits, and refunded when it
//! succeeds: parallel guesses cannot all pass a check made before any was counted. Staff
//! can clear an account's counters ([`SignInThrottle::unlock`]).
//!
//! With Redis configured (`CODITECT_REDIS_URL`), the counters live there and every
//! replica shares them (see `sign_in_redis`); while Redis does not answer they fall back
//! to this process, as the rate limits do. Without Redis each process counts on its own.
//!
//! The other one-time flows (reset links, sign-up, second factor) use [`FailureLimiter`]
//! (`failure_limiter`), an in-process counter per key and per client.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use super::failure_limiter::FailureLimiter;
use super::sign_in_redis::{SharedAttempt, SignInScripts};
use crate::crypto::sha256_hex;
use crate::request_limits::RateLimiter;

/// The limits of dashboard sign-in (see the module doc for why these three).
#[derive(Clone, Debug)]
pub struct SignInLimits {
    /// Length of a counting window.
    pub window: Duration,
    /// Failures per (client, account) pair per window.
    pub per_pair: u64,
    /// Failures per client address per window.
    pub per_client: u64,
    /// Failures per account per window from addresses that have not signed in to it.
    pub per_account: u64,
    /// How long a successful sign-in exempts its address from the account ceiling.
    pub remember_for: Duration,
}

impl Default for SignInLimits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_pair: 5,
            per_client: 20,
            per_account: 100,
            remember_for: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// An attempt in flight: what [`SignInThrottle::succeed`] takes back.
pub struct SignInAttempt {
    account: String,
    client: String,
    /// Where it was counted: in Redis (with what Redis answered) or in this process.
    shared: Option<SharedAttempt>,
    account_counted: bool,
}

/// Dashboard sign-in throttling per pair, client and account (module doc).
pub struct SignInThrottle {
    limits: SignInLimits,
    local: Mutex<LocalCounts>,
    /// The rate limiter whose Redis connection shares the counts, when one is configured.
    limiter: Option<Arc<RateLimiter>>,
    scripts: SignInScripts,
}

#[derive(Default)]
struct LocalCounts {
    windows: HashMap<String, VecDeque<Instant>>,
    /// `account:client` pairs that signed in, and when.
    known: HashMap<String, Instant>,
}

/// The name an account is counted under: a prefix of the SHA-256 of its e-mail, so no
/// address is kept in Redis.
fn account_key(email: &str) -> String {
    sha256_hex(email.as_bytes())[..32].to_owned()
}

fn wait_secs(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000).max(1) as u64
}

impl SignInThrottle {
    /// The dashboard's limits, shared through `limiter`'s Redis when it has one.
    pub fn for_sign_in(limiter: Option<Arc<RateLimiter>>) -> Self {
        Self::new(SignInLimits::default(), limiter)
    }

    /// A throttle with explicit limits.
    pub fn new(limits: SignInLimits, limiter: Option<Arc<RateLimiter>>) -> Self {
        Self {
            limits,
            local: Mutex::new(LocalCounts::default()),
            limiter,
            scripts: SignInScripts::new(),
        }
    }

    fn limit_triple(&self) -> [u64; 3] {
        let l = &self.limits;
        [l.per_pair, l.per_client, l.per_account]
    }

    /// Starts an attempt: `Err(seconds)` while a counter is at its limit, else counts it
    /// as a failure until [`Self::succeed`].
    pub async fn attempt(&self, email: &str, client: &str) -> Result<SignInAttempt, u64> {
        let account = account_key(email);
        if let Some(redis) = self.limiter.as_ref().and_then(|l| l.shared_redis()) {
            let window = self.limits.window;
            let answer = self
                .scripts
                .attempt(redis, &account, client, window, self.limit_triple());
            if let Some(shared) = answer.await {
                shared.allowed.map_err(wait_secs)?;
                return Ok(SignInAttempt {
                    account,
                    client: client.to_owned(),
                    account_counted: shared.account_counted,
                    shared: Some(shared),
                });
            }
        }
        let account_counted = self.attempt_locally(&account, client)?;
        Ok(SignInAttempt {
            account,
            client: client.to_owned(),
            shared: None,
            account_counted,
        })
    }

    fn keys(account: &str, client: &str) -> [String; 3] {
        [
            format!("p:{account}:{client}"),
            format!("ip:{client}"),
            format!("a:{account}"),
        ]
    }

    /// The in-process [`Self::attempt`]; `Ok(account counted)`.
    fn attempt_locally(&self, account: &str, client: &str) -> Result<bool, u64> {
        let mut c = self.local.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let window = self.limits.window;
        let known = c
            .known
            .get(&format!("{account}:{client}"))
            .is_some_and(|t| now.duration_since(*t) < self.limits.remember_for);
        let keys = Self::keys(account, client);
        let limits = self.limit_triple();
        let counted = if known { 2 } else { 3 };
        let mut wait = Duration::ZERO;
        for (key, limit) in keys.iter().zip(limits).take(counted) {
            let Some(q) = c.windows.get_mut(key) else {
                continue;
            };
            while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
                q.pop_front();
            }
            let limit = limit as usize;
            if limit > 0 && q.len() >= limit {
                let oldest = q[q.len() - limit];
                wait = wait.max(window.saturating_sub(now.duration_since(oldest)));
            }
        }
        if !wait.is_zero() {
            return Err(wait_secs(wait));
        }
        if c.windows.len() > 100_000 {
            // Bounded memory under a spray of addresses: forget windows that are over.
            c.windows
                .retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        for (key, limit) in keys.into_iter().zip(limits).take(counted) {
            let q = c.windows.entry(key).or_default();
            q.push_back(now);
            while q.len() > limit as usize {
                q.pop_front();
            }
        }
        Ok(!known)
    }

    /// Ends an attempt that succeeded: forgets the pair's failures, takes the attempt
    /// back from the client's and account's counts, and remembers the pair so the
    /// account ceiling no longer applies to this address.
    pub async fn succeed(&self, a: SignInAttempt) {
        if let (Some(shared), Some(redis)) = (
            &a.shared,
            self.limiter.as_ref().and_then(|l| l.shared_redis()),
        ) {
            let remember = self.limits.remember_for;
            if self
                .scripts
                .succeed(redis, &a.account, &a.client, shared, remember)
                .await
            {
                return;
            }
        }
        let mut c = self.local.lock().unwrap_or_else(|e| e.into_inner());
        let [pair, client, account] = Self::keys(&a.account, &a.client);
        c.windows.remove(&pair);
        let mut back = vec![client];
        if a.account_counted {
            back.push(account);
        }
        for key in back {
            if let Some(q) = c.windows.get_mut(&key) {
                q.pop_back();
            }
        }
        let now = Instant::now();
        if c.known.len() > 100_000 {
            let keep = self.limits.remember_for;
            c.known.retain(|_, t| now.duration_since(*t) < keep);
        }
        c.known.insert(format!("{}:{}", a.account, a.client), now);
    }

    /// Clears every counter of an account (staff unlock): its pairs and its ceiling,
    /// in Redis and in this process. `false` when Redis is configured but did not answer
    /// (the counts there stay).
    pub async fn unlock(&self, email: &str) -> bool {
        let account = account_key(email);
        {
            let mut c = self.local.lock().unwrap_or_else(|e| e.into_inner());
            let pairs = format!("p:{account}:");
            let ceiling = format!("a:{account}");
            c.windows
                .retain(|k, _| !k.starts_with(&pairs) && *k != ceiling);
        }
        match self.limiter.as_ref().and_then(|l| l.shared_redis()) {
            Some(redis) => self.scripts.unlock(redis, &account).await,
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_pair: u64, per_client: u64, per_account: u64) -> SignInThrottle {
        let limits = SignInLimits {
            window: Duration::from_secs(60),
            per_pair,
            per_client,
            per_account,
            remember_for: Duration::from_secs(3600),
        };
        SignInThrottle::new(limits, None)
    }

    #[tokio::test]
    async fn another_address_cannot_lock_the_owner_out() {
        let t = throttle(2, 10, 100);
        for _ in 0..2 {
            t.attempt("owner@x.io", "6.6.6.6").await.unwrap();
        }
        // The attacker's pair is at its limit; the owner's address is not.
        assert!(t.attempt("owner@x.io", "6.6.6.6").await.is_err());
        let mine = t.attempt("owner@x.io", "1.1.1.1").await.unwrap();
        t.succeed(mine).await;
        // Staff unlock clears the attacker's pair too.
        assert!(t.unlock("owner@x.io").await);
        assert!(t.attempt("owner@x.io", "6.6.6.6").await.is_ok());
    }

    #[tokio::test]
    async fn the_account_ceiling_spares_addresses_that_signed_in_before() {
        let t = throttle(5, 10, 3);
        let ok = t.attempt("a@x.io", "1.1.1.1").await.unwrap();
        t.succeed(ok).await;
        // A guess spread over three addresses meets the account ceiling ...
        for i in 2..5 {
            t.attempt("a@x.io", &format!("2.2.2.{i}")).await.unwrap();
        }
        assert!(t.attempt("a@x.io", "3.3.3.3").await.is_err());
        // ... which the owner's known address does not meet.
        assert!(t.attempt("a@x.io", "1.1.1.1").await.is_ok());
    }

    #[tokio::test]
    async fn the_client_limit_spans_accounts() {
        let t = throttle(5, 2, 100);
        t.attempt("a@x.io", "1.1.1.1").await.unwrap();
        t.attempt("b@x.io", "1.1.1.1").await.unwrap();
        assert!(t.attempt("c@x.io", "1.1.1.1").await.is_err());
        assert!(t.attempt("c@x.io", "4.4.4.4").await.is_ok());
    }

    #[tokio::test]
    async fn an_unreachable_redis_falls_back_to_this_process() {
        // Port 1 on loopback: connection refused at once.
        let limiter = RateLimiter::new(
            crate::request_limits::RateLimits::default(),
            Some("redis://127.0.0.1:1/"),
            Duration::from_millis(200),
        )
        .unwrap();
        let limits = SignInLimits {
            per_pair: 2,
            ..SignInLimits::default()
        };
        let t = SignInThrottle::new(limits, Some(Arc::new(limiter)));
        for _ in 0..2 {
            t.attempt("a@x.io", "1.1.1.1").await.unwrap();
        }
        assert!(t.attempt("a@x.io", "1.1.1.1").await.is_err());
        // The unlock clears this process's counts but says Redis's were not reached.
        assert!(!t.unlock("a@x.io").await);
        assert!(t.attempt("a@x.io", "1.1.1.1").await.is_ok());
    }
}
