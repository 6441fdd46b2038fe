//! The Redis side of sign-in throttling ([`super::sign_in_throttle::SignInThrottle`]):
//! three Lua scripts, each one atomic step, run over the rate limiter's connection (its
//! timeout and circuit breaker included: `None` means "count in memory instead").
//!
//! Keys hold no e-mail address, only a prefix of its SHA-256 (`acct`). Fixed windows: a
//! counter's window starts at its first failure. Clearing an account's throttle bumps
//! the account's generation, which is part of its pair and account counters' names, so
//! every counter of the account is left behind at once without scanning keys.
//!
//! Every key a script touches is passed in `KEYS` (Redis Cluster routes a script by
//! them), and all of them carry the hash tag `{coditect:si}`, so one script's keys are in
//! one slot. The generation is part of key names, so a caller names the keys with the
//! generation it expects; the attempt script answers "stale" with the current one when
//! that changed, and the caller names them again.

use std::time::Duration;

use redis::Script;

use crate::request_limits::SharedWindows;

/// The hash tag and prefix of every sign-in throttle key.
const PREFIX: &str = "{coditect:si}";

/// Checks the counters of an attempt and, when none is at its limit, counts it in each.
/// `KEYS`: generation, known pair, pair counter, client counter, account counter (all of
/// the generation in `ARGV[1]`). `ARGV`: expected generation, window ms, per pair, per
/// client, per account. Answers `{allowed 0|1, wait ms, account counted 0|1, generation}`,
/// or `{-1, 0, 0, generation}` when the generation is not the expected one (nothing
/// counted). The account ceiling is skipped for a client that signed in to the account
/// lately (its `known` key).
const ATTEMPT: &str = r"
local gen = redis.call('GET', KEYS[1]) or '0'
if gen ~= ARGV[1] then
  return {-1, 0, 0, tonumber(gen)}
end
local window = tonumber(ARGV[2])
local known = redis.call('EXISTS', KEYS[2]) == 1
local keys = {KEYS[3], KEYS[4]}
local limits = {tonumber(ARGV[3]), tonumber(ARGV[4])}
if not known then
  keys[3] = KEYS[5]
  limits[3] = tonumber(ARGV[5])
end
local wait = 0
for i, key in ipairs(keys) do
  if tonumber(redis.call('GET', key) or '0') >= limits[i] then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('PEXPIRE', key, window)
      ttl = window
    end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then
  return {0, wait, 0, tonumber(gen)}
end
for _, key in ipairs(keys) do
  if redis.call('INCR', key) == 1 or redis.call('PTTL', key) < 0 then
    redis.call('PEXPIRE', key, window)
  end
end
return {1, 0, known and 0 or 1, tonumber(gen)}
";

/// Ends an attempt that succeeded: forgets the pair's failures, takes the attempt back
/// from the client's (and, when counted, the account's) count and remembers the pair.
/// `KEYS`: pair counter, client counter, known pair, account counter (of the attempt's
/// generation). `ARGV`: account counted 0|1, remember ms.
const SUCCEED: &str = r"
redis.call('DEL', KEYS[1])
local back = {KEYS[2]}
if ARGV[1] == '1' then back[2] = KEYS[4] end
for _, key in ipairs(back) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
return {1}
";

/// Clears an account's throttle by starting a new generation. `KEYS`: generation.
const UNLOCK: &str = r"
return {redis.call('INCR', KEYS[1])}
";

/// The key names of one (account, client) pair in one generation.
struct PairKeys {
    generation: String,
    known: String,
    pair: String,
    client: String,
    account: String,
}

impl PairKeys {
    fn new(acct: &str, client: &str, generation: i64) -> Self {
        Self {
            generation: generation_key(acct),
            known: format!("{PREFIX}:known:{acct}:{client}"),
            pair: format!("{PREFIX}:pair:{acct}:{generation}:{client}"),
            client: format!("{PREFIX}:ip:{client}"),
            account: format!("{PREFIX}:acct:{acct}:{generation}"),
        }
    }
}

fn generation_key(acct: &str) -> String {
    format!("{PREFIX}:gen:{acct}")
}

/// The scripts, prepared once (their SHA-1 is computed on creation).
pub(super) struct SignInScripts {
    attempt: Script,
    succeed: Script,
    unlock: Script,
}

/// What Redis answered to an attempt.
pub(super) struct SharedAttempt {
    /// `Err(wait)` when a counter is at its limit.
    pub allowed: Result<(), Duration>,
    /// Whether the account ceiling counted it.
    pub account_counted: bool,
    /// The account's generation the counters were named with.
    pub generation: i64,
}

impl SignInScripts {
    pub(super) fn new() -> Self {
        Self {
            attempt: Script::new(ATTEMPT),
            succeed: Script::new(SUCCEED),
            unlock: Script::new(UNLOCK),
        }
    }

    /// Runs [`ATTEMPT`]; `None` when Redis did not answer.
    pub(super) async fn attempt(
        &self,
        redis: &SharedWindows,
        acct: &str,
        client: &str,
        window: Duration,
        limits: [u64; 3],
    ) -> Option<SharedAttempt> {
        // Most accounts were never unlocked (generation 0); after an unlock the script
        // names the current generation and the attempt is made again with it.
        let mut generation = 0;
        for _ in 0..3 {
            let k = PairKeys::new(acct, client, generation);
            let keys = [k.generation, k.known, k.pair, k.client, k.account];
            let mut args = vec![generation.to_string(), window.as_millis().to_string()];
            args.extend(limits.iter().map(u64::to_string));
            let v = redis.eval(&self.attempt, &keys, &args).await?;
            let [allowed, wait, counted, current] = v[..] else {
                return None;
            };
            if allowed == -1 {
                generation = current;
                continue;
            }
            return Some(SharedAttempt {
                allowed: if allowed == 1 {
                    Ok(())
                } else {
                    Err(Duration::from_millis(wait.max(1) as u64))
                },
                account_counted: counted == 1,
                generation: current,
            });
        }
        // The generation kept changing under us: count in memory this once.
        None
    }

    /// Runs [`SUCCEED`]; `false` when Redis did not answer.
    pub(super) async fn succeed(
        &self,
        redis: &SharedWindows,
        acct: &str,
        client: &str,
        attempt: &SharedAttempt,
        remember: Duration,
    ) -> bool {
        let k = PairKeys::new(acct, client, attempt.generation);
        let keys = [k.pair, k.client, k.known, k.account];
        let args = [
            u8::from(attempt.account_counted).to_string(),
            remember.as_millis().to_string(),
        ];
        redis.eval(&self.succeed, &keys, &args).await.is_some()
    }

    /// Runs [`UNLOCK`]; `false` when Redis did not answer.
    pub(super) async fn unlock(&self, redis: &SharedWindows, acct: &str) -> bool {
        redis
            .eval(&self.unlock, &[generation_key(acct)], &[])
            .await
            .is_some()
    }
}
