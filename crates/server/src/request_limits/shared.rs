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

/// The Redis side of the limiter.
pub(super) struct SharedWindows {
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
                self.trip(&e.to_string());
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
