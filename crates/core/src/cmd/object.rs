//! OBJECT (ENCODING FREQ IDLETIME REFCOUNT HELP) and the per-key access stamp
//! behind IDLETIME and FREQ (Redis's `robj.lru` field, object.c/evict.c).
//!
//! Every keyspace entry carries one `u32` stamp (`db::AccessStamp`, stored in
//! the dict entry beside the value). Its low 24 bits are exactly Redis's `lru`
//! field, whose meaning follows `maxmemory-policy`: under LRU policies (and by
//! default) the last access time on a 24-bit seconds clock; under LFU policies
//! `(minutes << 8) | log_counter`. When the policy changes at runtime the bits
//! are reinterpreted, hence Redis's "LRU and LFU data will take some time to
//! adjust" warning. The high bits hold per-object flags ([`UNSHARED`]).

use crate::args::Args;
use crate::command::{acl, flags::*, Command};
use crate::config::Config;
use crate::ctx::Ctx;
use crate::db::AccessStamp;
use crate::error::{CmdError, CmdResult};
use crate::value::Value;
use ember_resp::Reply;
use rand::Rng;

/// Counter given to new keys under LFU (Redis's LFU_INIT_VAL).
pub const LFU_INIT_VAL: u32 = 5;
/// Integers in `0..SHARED_INTEGERS` are shared objects in Redis (refcount INT_MAX).
const SHARED_INTEGERS: i64 = 10000;
/// The bits of a stamp that are Redis's 24-bit `lru` field (LRU_CLOCK_MAX).
pub const LRU_MASK: AccessStamp = (1 << 24) - 1;
/// Flag: an integer value Redis would hold as its own object even in the
/// shared range (a COPY duplicates the object), so OBJECT REFCOUNT says 1.
pub const UNSHARED: AccessStamp = 1 << 24;

/// True when `maxmemory-policy` is an LFU policy (Redis's MAXMEMORY_FLAG_LFU).
pub fn lfu_policy(config: &Config) -> bool {
    config.maxmemory_policy.ends_with("-lfu")
}

/// The LRU clock: seconds since the epoch, 24 bits (wraps every ~194 days).
pub fn lru_clock(now_ms: i64) -> AccessStamp {
    ((now_ms.max(0) / 1000) as u64 & LRU_MASK as u64) as AccessStamp
}

/// LFU time: minutes since the epoch, 16 bits (Redis's LFUGetTimeInMinutes).
fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms.max(0) / 60_000) & 0xffff) as u32
}

/// The stamp of a freshly created value.
pub fn new_stamp(config: &Config, now_ms: i64) -> AccessStamp {
    if lfu_policy(config) {
        (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL
    } else {
        lru_clock(now_ms)
    }
}

/// The stamp after an access (Redis's lookupKey touch / updateLFU); flags kept.
/// Inline: it is on every key lookup.
#[inline]
pub fn touched(config: &Config, rng: &mut impl Rng, old: AccessStamp, now_ms: i64) -> AccessStamp {
    let lru = if lfu_policy(config) {
        let counter = lfu_log_incr(config, rng, lfu_decr(config, old, now_ms));
        (lfu_minutes(now_ms) << 8) | counter
    } else {
        lru_clock(now_ms)
    };
    (old & !LRU_MASK) | lru
}

/// The stamp of a value that replaces `old` at the same key (Redis's setKey:
/// the old object is touched and, under LFU, its counter inherited); the new
/// value starts without flags.
pub fn replaced(config: &Config, rng: &mut impl Rng, old: AccessStamp, now_ms: i64) -> AccessStamp {
    touched(config, rng, old, now_ms) & LRU_MASK
}

/// Idle time in ms of an LRU stamp (Redis's estimateObjectIdleTime, including
/// its handling of the 24-bit clock wrapping around).
pub fn idle_ms(stamp: AccessStamp, now_ms: i64) -> i64 {
    let lru = (stamp & LRU_MASK) as i64;
    let clock = lru_clock(now_ms) as i64;
    let secs = if clock >= lru {
        clock - lru
    } else {
        clock + (LRU_MASK as i64 - lru)
    };
    secs * 1000
}

/// The LFU counter decayed by the minutes elapsed since the stamp
/// (Redis's LFUDecrAndReturn); this is what OBJECT FREQ reports.
pub fn lfu_decr(config: &Config, stamp: AccessStamp, now_ms: i64) -> u32 {
    let last = (stamp & LRU_MASK) >> 8;
    let counter = stamp & 0xff;
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= last {
        now - last
    } else {
        0xffff - last + now
    };
    let periods = match config.lfu_decay_time {
        0 => 0,
        d => elapsed / d,
    };
    counter.saturating_sub(periods)
}

/// Logarithmic increment (Redis's LFULogIncr): the higher the counter, the
/// less likely an access bumps it.
fn lfu_log_incr(config: &Config, rng: &mut impl Rng, counter: u32) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * config.lfu_log_factor as f64 + 1.0);
    if rng.gen::<f64>() < p {
        counter + 1
    } else {
        counter
    }
}

pub fn commands() -> Vec<Command> {
    vec![Command::container(
        "object",
        -2,
        0,
        acl::SLOW,
        vec![
            Command::new("encoding", 3, READONLY, acl::KEYSPACE, encoding).keys(2, 2, 1),
            Command::new("freq", 3, READONLY, acl::KEYSPACE, freq).keys(2, 2, 1),
            Command::new("idletime", 3, READONLY, acl::KEYSPACE, idletime).keys(2, 2, 1),
            Command::new("refcount", 3, READONLY, acl::KEYSPACE, refcount).keys(2, 2, 1),
            Command::new("help", 2, LOADING | STALE, acl::KEYSPACE, help),
        ],
    )]
}

/// OBJECT looks keys up without touching them and without `keymiss` events
/// (LOOKUP_NOTOUCH|LOOKUP_NONOTIFY), but expires them and counts hits/misses.
fn lookup<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<(&'c Value, AccessStamp)> {
    ctx.lookup_read_with(key, false, false)?;
    let db = ctx.db_index;
    ctx.engine.dbs[db]
        .keys
        .get_with_meta(key)
        .map(|(v, m)| (v, m.stamp))
}

fn encoding(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    Ok(match lookup(ctx, key) {
        Some((v, _)) => Reply::bulk_static(v.encoding().as_bytes()),
        None => Reply::Nil,
    })
}

fn freq(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let now = ctx.now_ms;
    let Some((_, stamp)) = lookup(ctx, key) else {
        return Ok(Reply::Nil);
    };
    if !lfu_policy(&ctx.engine.config) {
        return Err(CmdError::err(
            "An LFU maxmemory policy is not selected, access frequency not tracked. \
             Please note that when switching between policies at runtime LRU and LFU \
             data will take some time to adjust.",
        ));
    }
    Ok(Reply::Integer(
        lfu_decr(&ctx.engine.config, stamp, now) as i64
    ))
}

fn idletime(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let now = ctx.now_ms;
    let Some((_, stamp)) = lookup(ctx, key) else {
        return Ok(Reply::Nil);
    };
    if lfu_policy(&ctx.engine.config) {
        return Err(CmdError::err(
            "An LFU maxmemory policy is selected, idle time not tracked. \
             Please note that when switching between policies at runtime LRU and LFU \
             data will take some time to adjust.",
        ));
    }
    Ok(Reply::Integer(idle_ms(stamp, now) / 1000))
}

fn refcount(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let policy_lru_lfu = {
        let p = &ctx.engine.config.maxmemory_policy;
        p.ends_with("-lru") || p.ends_with("-lfu")
    };
    // Redis stores small integers as shared objects unless an LRU/LFU policy
    // with a memory limit needs per-key access data.
    let shares = ctx.engine.config.maxmemory == 0 || !policy_lru_lfu;
    Ok(match lookup(ctx, key) {
        Some((Value::Str(s), stamp))
            if shares
                && stamp & UNSHARED == 0
                && s.int().is_some_and(|n| (0..SHARED_INTEGERS).contains(&n)) =>
        {
            Reply::Integer(i32::MAX as i64)
        }
        Some(_) => Reply::Integer(1),
        None => Reply::Nil,
    })
}

const HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

fn help(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(Reply::Array(
        HELP.iter().map(|l| Reply::status(l)).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::engine::Engine;
    use bytes::Bytes;
    use std::sync::Arc;

    fn run(e: &mut Engine, id: u64, args: &[&str]) -> Reply {
        let argv: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
        e.execute(id, &argv).unwrap()
    }

    fn engine() -> (Engine, ManualClock, u64) {
        let clock = ManualClock::new(1_700_000_000_000);
        let mut e = Engine::builder().clock(Arc::new(clock.clone())).build();
        let id = e.add_client();
        (e, clock, id)
    }

    #[test]
    fn idletime_tracks_last_access() {
        let (mut e, clock, id) = engine();
        run(&mut e, id, &["SET", "k", "v"]);
        clock.advance(5_500);
        assert_eq!(
            run(&mut e, id, &["OBJECT", "IDLETIME", "k"]),
            Reply::Integer(5)
        );
        // OBJECT itself does not touch the key.
        assert_eq!(
            run(&mut e, id, &["OBJECT", "IDLETIME", "k"]),
            Reply::Integer(5)
        );
        run(&mut e, id, &["GET", "k"]);
        assert_eq!(
            run(&mut e, id, &["OBJECT", "IDLETIME", "k"]),
            Reply::Integer(0)
        );
        clock.advance(3_000);
        assert_eq!(
            run(&mut e, id, &["OBJECT", "IDLETIME", "k"]),
            Reply::Integer(3)
        );
        assert_eq!(
            run(&mut e, id, &["OBJECT", "IDLETIME", "nokey"]),
            Reply::Nil
        );
    }

    #[test]
    fn freq_needs_lfu_and_counts_accesses() {
        let (mut e, clock, id) = engine();
        run(&mut e, id, &["SET", "k", "v"]);
        assert!(matches!(run(&mut e, id, &["OBJECT", "FREQ", "k"]),
            Reply::Error(t) if t.starts_with("ERR An LFU maxmemory policy is not selected")));
        e.config.maxmemory_policy = "allkeys-lfu".into();
        run(&mut e, id, &["SET", "f", "v"]);
        assert_eq!(run(&mut e, id, &["OBJECT", "FREQ", "f"]), Reply::Integer(5));
        // At the initial value the increment probability is 1.
        run(&mut e, id, &["GET", "f"]);
        assert_eq!(run(&mut e, id, &["OBJECT", "FREQ", "f"]), Reply::Integer(6));
        for _ in 0..200 {
            run(&mut e, id, &["GET", "f"]);
        }
        let Reply::Integer(n) = run(&mut e, id, &["OBJECT", "FREQ", "f"]) else {
            panic!()
        };
        assert!((7..40).contains(&n), "logarithmic growth: {n}");
        // Decays one step per minute (lfu-decay-time 1).
        clock.advance(3 * 60_000);
        assert_eq!(
            run(&mut e, id, &["OBJECT", "FREQ", "f"]),
            Reply::Integer(n - 3)
        );
        assert!(matches!(run(&mut e, id, &["OBJECT", "IDLETIME", "f"]),
            Reply::Error(t) if t.starts_with("ERR An LFU maxmemory policy is selected")));
    }

    #[test]
    fn encoding_refcount_help() {
        let (mut e, _clock, id) = engine();
        run(&mut e, id, &["SET", "n", "100"]);
        run(&mut e, id, &["SET", "big", "10000"]);
        run(&mut e, id, &["SET", "s", "hello"]);
        assert_eq!(
            run(&mut e, id, &["OBJECT", "ENCODING", "n"]),
            Reply::bulk("int")
        );
        assert_eq!(
            run(&mut e, id, &["OBJECT", "ENCODING", "s"]),
            Reply::bulk("embstr")
        );
        assert_eq!(
            run(&mut e, id, &["object", "refcount", "n"]),
            Reply::Integer(2147483647)
        );
        assert_eq!(
            run(&mut e, id, &["OBJECT", "REFCOUNT", "big"]),
            Reply::Integer(1)
        );
        assert_eq!(
            run(&mut e, id, &["OBJECT", "REFCOUNT", "s"]),
            Reply::Integer(1)
        );
        assert_eq!(run(&mut e, id, &["OBJECT", "REFCOUNT", "x"]), Reply::Nil);
        // A copy is its own object; moving keeps the object; a new value is shared.
        run(&mut e, id, &["COPY", "n", "c"]);
        assert_eq!(
            run(&mut e, id, &["OBJECT", "REFCOUNT", "c"]),
            Reply::Integer(1)
        );
        run(&mut e, id, &["RENAME", "c", "d"]);
        assert_eq!(
            run(&mut e, id, &["OBJECT", "REFCOUNT", "d"]),
            Reply::Integer(1)
        );
        run(&mut e, id, &["GET", "d"]);
        assert_eq!(
            run(&mut e, id, &["OBJECT", "REFCOUNT", "d"]),
            Reply::Integer(1)
        );
        run(&mut e, id, &["SET", "d", "7"]);
        assert_eq!(
            run(&mut e, id, &["OBJECT", "REFCOUNT", "d"]),
            Reply::Integer(2147483647)
        );
        let Reply::Array(lines) = run(&mut e, id, &["OBJECT", "HELP"]) else {
            panic!()
        };
        assert_eq!(lines.len(), 15);
        assert_eq!(
            run(&mut e, id, &["OBJECT", "FOO", "k"]),
            Reply::error("ERR unknown subcommand 'FOO'. Try OBJECT HELP.")
        );
        assert_eq!(
            run(&mut e, id, &["OBJECT", "ENCODING"]),
            Reply::error("ERR wrong number of arguments for 'object|encoding' command")
        );
    }
}
