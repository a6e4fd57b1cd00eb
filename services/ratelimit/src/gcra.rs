//! GCRA (generic cell rate algorithm), once in Lua for Redis and once in Rust
//! for the in-process fallback. Both use the same integer microsecond math.
//!
//! State per bucket is one number, the *theoretical arrival time* (TAT, µs).
//! With `T = window / limit` (the emission interval) and capacity
//! `C = limit + burst`, a request of cost `n` at time `now` is allowed when
//! `max(TAT, now) + n·T − now ≤ C·T`; if so TAT advances by `n·T`. A rested
//! client can therefore send `C` requests at once, and then one every `T`:
//! in any interval of length `t` at most `C + ⌊t/T⌋` requests pass.
//! The bucket key expires when TAT is reached (the bucket is full again), so
//! idle subjects cost no memory.

/// Inputs: KEYS[1] bucket (TAT), KEYS[2] usage of the day (hash), KEYS[3] usage of the month (hash).
/// ARGV: interval µs, capacity, hits, check_only (0/1), shadow (0/1), day TTL s, month TTL s,
/// requests (how many client requests the call covers, for usage counting).
/// Returns `{allowed, remaining, tat_us, retry_after_us, now_us}`. Time is Redis's own `TIME`,
/// so every replica of every caller agrees. Usage counting happens in the same call.
pub const LUA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local hits = tonumber(ARGV[3])
local check_only = ARGV[4] == '1'
local shadow = ARGV[5] == '1'
local tolerance = interval * capacity
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + hits * interval
local allowed = (new_tat - now) <= tolerance
local final_tat = tat
if allowed and not check_only then
  final_tat = new_tat
  redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
end
local remaining = math.floor((tolerance - (final_tat - now)) / interval)
local retry_after = 0
if not allowed then retry_after = new_tat - tolerance - now end
local requests = tonumber(ARGV[8])
-- A refused batch (requests > 1, not shadowed) is re-decided request by request
-- by its caller, which counts them then.
if not check_only and (allowed or shadow or requests <= 1) then
  redis.call('HINCRBY', KEYS[2], 'requests', requests)
  redis.call('HINCRBY', KEYS[3], 'requests', requests)
  if not allowed then
    local field = 'refused'
    if shadow then field = 'shadowed' end
    redis.call('HINCRBY', KEYS[2], field, requests)
    redis.call('HINCRBY', KEYS[3], field, requests)
  end
  redis.call('EXPIRE', KEYS[2], ARGV[6])
  redis.call('EXPIRE', KEYS[3], ARGV[7])
end
return {allowed and 1 or 0, remaining, final_tat, retry_after, now}
";

/// The script's arguments, in the order of its ARGV. The limiter and the
/// benchmark's direct baseline both call the script through [`Args::invocation`],
/// so they cannot drift apart from [`LUA`] or from each other.
#[derive(Debug, Clone, Copy)]
pub struct Args {
    pub interval_us: u64,
    pub capacity: u64,
    pub hits: u64,
    pub check_only: bool,
    pub shadow: bool,
    pub day_ttl_s: u64,
    pub month_ttl_s: u64,
    /// How many client requests the call covers (usage counting), at least 1.
    pub requests: u32,
}

impl Args {
    /// `script` with KEYS (bucket, usage of the day, usage of the month) and ARGV set.
    pub fn invocation<'a>(
        &self,
        script: &'a redis::Script,
        [bucket, day, month]: [&str; 3],
    ) -> redis::ScriptInvocation<'a> {
        let mut invocation = script.key(bucket);
        invocation
            .key(day)
            .key(month)
            .arg(self.interval_us)
            .arg(self.capacity)
            .arg(self.hits)
            .arg(u8::from(self.check_only))
            .arg(u8::from(self.shadow))
            .arg(self.day_ttl_s)
            .arg(self.month_ttl_s)
            .arg(self.requests.max(1));
        invocation
    }
}

/// A decision in microseconds, as the script (or the fallback) computed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawDecision {
    pub allowed: bool,
    pub remaining: u64,
    /// TAT after the call: the bucket is full again at this instant.
    pub tat_us: u64,
    /// Wait until `hits` would pass (0 when allowed).
    pub retry_after_us: u64,
    pub now_us: u64,
}

impl RawDecision {
    /// From the script's reply `{allowed, remaining, tat_us, retry_after_us, now_us}`.
    pub fn from_reply(v: &[i64]) -> Option<Self> {
        let [allowed, remaining, tat, retry, now] = v else {
            return None;
        };
        let u = |x: i64| u64::try_from(x).ok();
        Some(Self {
            allowed: *allowed == 1,
            remaining: u(*remaining)?,
            tat_us: u(*tat)?,
            retry_after_us: u(*retry)?,
            now_us: u(*now)?,
        })
    }

    /// Epoch seconds when the quota is fully available again (never before now).
    pub fn reset_epoch_seconds(&self) -> i64 {
        i64::try_from(self.tat_us.max(self.now_us).div_ceil(1_000_000)).unwrap_or(i64::MAX)
    }

    /// Whole seconds to wait before retrying (at least 1 when refused).
    pub fn retry_after_seconds(&self) -> u32 {
        if self.allowed {
            0
        } else {
            u32::try_from(self.retry_after_us.div_ceil(1_000_000).max(1)).unwrap_or(u32::MAX)
        }
    }
}

/// The same decision as [`LUA`], on a TAT held in memory. Returns the decision and the new TAT.
pub fn decide(
    tat: Option<u64>,
    now_us: u64,
    interval_us: u64,
    capacity: u64,
    hits: u64,
    check_only: bool,
) -> RawDecision {
    let tolerance = interval_us.saturating_mul(capacity);
    let tat = tat.unwrap_or(now_us).max(now_us);
    let new_tat = tat.saturating_add(hits.saturating_mul(interval_us));
    let allowed = new_tat - now_us <= tolerance;
    let final_tat = if allowed && !check_only { new_tat } else { tat };
    let remaining = (tolerance.saturating_sub(final_tat - now_us)) / interval_us.max(1);
    let retry_after_us = if allowed {
        0
    } else {
        new_tat - tolerance - now_us
    };
    RawDecision {
        allowed,
        remaining,
        tat_us: final_tat,
        retry_after_us,
        now_us,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rested_bucket_allows_capacity_then_one_per_interval() {
        let (interval, cap) = (1_000_000, 5);
        let mut tat = None;
        let mut allowed = 0;
        for _ in 0..10 {
            let d = decide(tat, 0, interval, cap, 1, false);
            if d.allowed {
                allowed += 1;
                tat = Some(d.tat_us);
            }
        }
        assert_eq!(allowed, 5);
        let refused = decide(tat, 0, interval, cap, 1, false);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_us, 1_000_000);
        assert_eq!(refused.retry_after_seconds(), 1);
        assert_eq!(refused.reset_epoch_seconds(), 5);
        let later = decide(tat, 1_000_000, interval, cap, 1, false);
        assert!(later.allowed);
        assert_eq!(later.remaining, 0);
    }

    #[test]
    fn check_only_spends_nothing_and_cost_counts() {
        let d = decide(None, 10, 100, 10, 4, false);
        assert_eq!(d.remaining, 6);
        let c = decide(Some(d.tat_us), 10, 100, 10, 1, true);
        assert!(c.allowed);
        assert_eq!((c.remaining, c.tat_us), (6, d.tat_us));
        let big = decide(Some(d.tat_us), 10, 100, 10, 7, false);
        assert!(!big.allowed);
        assert_eq!(big.remaining, 6);
    }
}
