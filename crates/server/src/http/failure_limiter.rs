//! An in-process failure counter per key and per client address within a sliding window,
//! for the one-time flows (reset links, sign-up, the second factor): past `per_email` per
//! key or `per_client` per client, `Err(seconds to wait)`. An attempt is counted when it
//! starts ([`FailureLimiter::attempt`]) and refunded when it succeeds, so parallel
//! guesses cannot all pass a check made before any of them was counted. Dashboard
//! sign-in has its own throttle (`sign_in_throttle::SignInThrottle`).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failure counters keyed by a name (`e:` prefix: an e-mail or token) and client address
/// (`ip:` prefix), in this process: for reset links, sign-up and the second factor.
pub struct FailureLimiter {
    window: Duration,
    per_email: usize,
    per_client: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl FailureLimiter {
    /// The limits of the dashboard plan: 5 per e-mail, 20 per client, in 15 minutes.
    pub fn for_sign_in() -> Self {
        Self::new(Duration::from_secs(15 * 60), 5, 20)
    }

    /// A limiter with explicit limits.
    pub fn new(window: Duration, per_email: usize, per_client: usize) -> Self {
        Self {
            window,
            per_email,
            per_client,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(email: &str, client: &str) -> [(String, bool); 2] {
        [
            (format!("e:{email}"), true),
            (format!("ip:{client}"), false),
        ]
    }

    /// Starts an attempt: `Err(seconds)` when either counter is at its limit (how long
    /// until a try is allowed), else counts it as a failure until [`Self::succeed`].
    pub fn attempt(&self, email: &str, client: &str) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        self.wait(&mut map, email, client)?;
        self.record(&mut map, email, client);
        Ok(())
    }

    /// `Err(seconds)` when either counter is at its limit: how long until a try is allowed.
    pub fn check(&self, email: &str, client: &str) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        self.wait(&mut map, email, client)
    }

    fn wait(
        &self,
        map: &mut HashMap<String, VecDeque<Instant>>,
        email: &str,
        client: &str,
    ) -> Result<(), u64> {
        let now = Instant::now();
        let mut wait = Duration::ZERO;
        for (key, is_email) in Self::keys(email, client) {
            let limit = if is_email {
                self.per_email
            } else {
                self.per_client
            };
            if let Some(q) = map.get_mut(&key) {
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    q.pop_front();
                }
                if q.len() >= limit {
                    let oldest = q[q.len() - limit];
                    wait = wait.max(self.window.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.as_secs().max(1) + u64::from(wait.subsec_nanos() > 0))
        }
    }

    /// Counts a failure against both keys.
    pub fn fail(&self, email: &str, client: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        self.record(&mut map, email, client);
    }

    fn record(&self, map: &mut HashMap<String, VecDeque<Instant>>, email: &str, client: &str) {
        let now = Instant::now();
        if map.len() > 100_000 {
            // Bounded memory under a spray of addresses: forget windows that are over.
            map.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        for (key, _) in Self::keys(email, client) {
            let q = map.entry(key).or_default();
            q.push_back(now);
            while q.len() > self.per_client.max(self.per_email) {
                q.pop_front();
            }
        }
    }

    /// Ends an attempt that succeeded: forgets the e-mail's failures and takes the
    /// attempt back from the client's count.
    pub fn succeed(&self, email: &str, client: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("e:{email}"));
        if let Some(q) = map.get_mut(&format!("ip:{client}")) {
            q.pop_back();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_email_and_per_client() {
        let l = FailureLimiter::new(Duration::from_secs(60), 2, 3);
        l.fail("a@x.io", "1.1.1.1");
        assert!(l.check("a@x.io", "1.1.1.1").is_ok());
        l.fail("a@x.io", "1.1.1.1");
        let wait = l.check("a@x.io", "2.2.2.2").unwrap_err();
        assert!((59..=60).contains(&wait), "{wait}");
        // Another e-mail from the same client: one more try, then the client is limited.
        assert!(l.check("b@x.io", "1.1.1.1").is_ok());
        l.fail("b@x.io", "1.1.1.1");
        assert!(l.check("c@x.io", "1.1.1.1").is_err());
        assert!(l.check("c@x.io", "3.3.3.3").is_ok());
        l.succeed("a@x.io", "9.9.9.9");
        assert!(l.check("a@x.io", "4.4.4.4").is_ok());
    }

    #[test]
    fn attempts_count_when_they_start() {
        let l = FailureLimiter::new(Duration::from_secs(60), 3, 100);
        // Three attempts in flight at once: a fourth is refused before any has finished.
        for _ in 0..3 {
            l.attempt("a@x.io", "1.1.1.1").unwrap();
        }
        assert!(l.attempt("a@x.io", "1.1.1.1").is_err());
        // A success refunds: the e-mail may try again, the client's count goes down.
        l.succeed("a@x.io", "1.1.1.1");
        assert!(l.attempt("a@x.io", "1.1.1.1").is_ok());
    }
}
