//! Fixed-window counters in Redis, shared by every process that uses the same Redis.
//! Redis is an accelerator that may vanish at any moment: every call is bounded by a
//! timeout, and after a failure the limiter stops asking Redis for a short while (a
//! circuit breaker) so requests do not each wait out the timeout.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use super::Count;

/// How long Redis is left alone after a failure before it is tried again.
const COOL_OFF: Duration = Duration::from_secs(1);

/// Counts each key given (`KEYS`) in a window of `ARGV[1]` milliseconds that starts at
/// its first hit; answers `{count, ms until reset}` per key. A key left without a TTL (it
/// cannot happen in one script run, but costs nothing to repair) gets one.
const HIT_SCRIPT: &str = r"
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if n == 1 or ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  out[#out + 1] = n
  out[#out + 1] = ttl
end
return out
";

/// The Redis side of the limiter (its connection is also what sign-in throttling shares
/// counts through: [`SharedWindows::eval`]).
pub(crate) struct SharedWindows {
    conn: ConnectionManager,
    script: Script,
    timeout: Duration,
    started: Instant,
    /// Milliseconds since `started` until which Redis is not asked (0: ask).
    skip_until_ms: AtomicU64,
}

impl SharedWindows {
    /// Prepares a lazily connecting client; nothing is sent until the first request, so a
    /// server starts even while Redis is down.
    pub(super) fn new(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("CODITECT_REDIS_URL is not a Redis URL: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(timeout);
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| anyhow::anyhow!("cannot set up the Redis client: {e}"))?;
        Ok(Self {
            conn,
            script: Script::new(HIT_SCRIPT),
            timeout,
            started: Instant::now(),
            skip_until_ms: AtomicU64::new(0),
        })
    }

    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Whether Redis is being skipped after a recent failure.
    pub(super) fn cooling_off(&self) -> bool {
        self.elapsed_ms() < self.skip_until_ms.load(Ordering::Relaxed)
    }

    fn trip(&self, why: &str) {
        let until = self.elapsed_ms() + COOL_OFF.as_millis() as u64;
        let before = self.skip_until_ms.swap(until, Ordering::Relaxed);
        metrics::counter!("rate_limit_redis_errors_total").increment(1);
        if before <= self.elapsed_ms() {
            tracing::warn!(
                error = why,
                "Redis is not answering; rate limits fall back to this process for now"
            );
        }
    }

    /// Counts one hit in each bucket; `None` when Redis did not answer in time (the caller
    /// then counts in memory).
    pub(super) async fn hit(&self, buckets: &[String], window: Duration) -> Option<Vec<Count>> {
        if self.cooling_off() {
            return None;
        }
        let mut conn = self.conn.clone();
        let mut call = self.script.prepare_invoke();
        for b in buckets {
            call.key(b);
        }
        call.arg(window.as_millis() as u64);
        let reply = tokio::time::timeout(self.timeout, call.invoke_async::<Vec<i64>>(&mut conn));
        match reply.await {
            Ok(Ok(v)) if v.len() == buckets.len() * 2 => Some(
                v.chunks(2)
                    .map(|c| Count {
                        count: c[0].max(0) as u64,
                        resets_in: Duration::from_millis(c[1].max(0) as u64),
                    })
                    .collect(),
            ),
            Ok(Ok(v)) => {
                self.trip(&format!("unexpected reply of {} values", v.len()));
                None
            }
            Ok(Err(e)) => {
                self.failed(&e);
                None
            }
            Err(_) => {
                self.trip("timed out");
                None
            }
        }
    }

    /// Handles a failed call: only a Redis that cannot be reached (connection refused or
    /// dropped, I/O error, timeout) trips the breaker for every counter; an error the
    /// server answered (a script error, for one) is that call's alone, so it is logged and
    /// the other counters keep using Redis.
    fn failed(&self, e: &redis::RedisError) {
        if is_unreachable(e) {
            self.trip(&e.to_string());
        } else {
            metrics::counter!("rate_limit_redis_errors_total").increment(1);
            tracing::warn!(error = %e, "a Redis script failed; this call counts in memory");
        }
    }

    /// Runs a script of another counter (sign-in throttling) with `keys` as `KEYS` (so
    /// Redis Cluster can route it) and `args` as `ARGV`, under the same timeout and
    /// circuit breaker as the rate limits: `None` when Redis did not answer in time, is
    /// being skipped, or the script failed (the caller then counts in memory).
    pub(crate) async fn eval(
        &self,
        script: &Script,
        keys: &[String],
        args: &[String],
    ) -> Option<Vec<i64>> {
        if self.cooling_off() {
            return None;
        }
        let mut conn = self.conn.clone();
        let mut call = script.prepare_invoke();
        for k in keys {
            call.key(k);
        }
        for a in args {
            call.arg(a);
        }
        let reply = tokio::time::timeout(self.timeout, call.invoke_async::<Vec<i64>>(&mut conn));
        match reply.await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                self.failed(&e);
                None
            }
            Err(_) => {
                self.trip("timed out");
                None
            }
        }
    }

    /// Whether Redis answers a PING within the timeout (readiness).
    pub(super) async fn ping(&self) -> bool {
        let mut conn = self.conn.clone();
        let cmd = redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut conn);
        matches!(tokio::time::timeout(self.timeout, ping).await, Ok(Ok(_)))
    }
}

/// Whether an error means Redis could not be reached, rather than that it answered with
/// an error.
fn is_unreachable(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_refusal() || e.is_connection_dropped() || e.is_timeout()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Redis every test of this workspace may use (see the working notes).
    const REDIS: &str = "redis://127.0.0.1:6379";

    #[tokio::test]
    async fn a_script_error_does_not_trip_the_breaker_but_no_connection_does() {
        let shared = SharedWindows::new(REDIS, Duration::from_secs(2)).unwrap();
        assert!(shared.ping().await, "Redis at {REDIS} is needed");
        let failing = Script::new("return redis.error_reply('boom')");
        let keys = ["{coditect:test}:k".to_owned()];
        assert_eq!(shared.eval(&failing, &keys, &[]).await, None);
        assert!(!shared.cooling_off(), "a script error is not an outage");
        // KEYS reach the script as KEYS.
        let echo = Script::new("return {#KEYS, #ARGV}");
        let args = ["a".to_owned(), "b".to_owned()];
        assert_eq!(shared.eval(&echo, &keys, &args).await, Some(vec![1, 2]));

        let down = SharedWindows::new("redis://127.0.0.1:1", Duration::from_secs(2)).unwrap();
        assert_eq!(down.eval(&echo, &keys, &args).await, None);
        assert!(down.cooling_off(), "no connection trips the breaker");
    }
}
