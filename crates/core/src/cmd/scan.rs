//! SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] (Redis's
//! scanGenericCommand for the keyspace), plus the cursor parser that the
//! HSCAN/SSCAN/ZSCAN families can share.

use crate::args::{self, Args};
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use bytes::Bytes;
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    vec![Command::new("scan", -2, READONLY, acl::KEYSPACE, scan)]
}

/// Glob matching as KEYS and SCAN MATCH use it (case-sensitive).
pub(crate) fn pattern_match(pattern: &[u8], key: &[u8]) -> bool {
    crate::glob::glob_match(pattern, key, false)
}

/// Parses a SCAN cursor exactly as Redis does with `strtoul(.., 10)`: a leading
/// space is refused, a sign is accepted (`-1` wraps to 2^64-1), an empty string
/// is 0, parsing stops at a NUL byte, and overflow is an error.
pub fn parse_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::err("invalid cursor");
    let mut s = match arg.iter().position(|&b| b == 0) {
        Some(nul) => &arg[..nul],
        None => arg,
    };
    if s.is_empty() {
        return Ok(0);
    }
    if matches!(s[0], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        return Err(invalid());
    }
    let negative = s[0] == b'-';
    if s[0] == b'-' || s[0] == b'+' {
        s = &s[1..];
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return Err(invalid());
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((b - b'0') as u64))
            .ok_or_else(invalid)?;
    }
    Ok(if negative { v.wrapping_neg() } else { v })
}

fn scan(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let mut cursor = parse_cursor(args.next()?)?;
    let mut count: i64 = 10;
    let mut pattern: Option<&Bytes> = None;
    let mut type_name: Option<&Bytes> = None;
    while let Some(opt) = args.next_opt() {
        let has_value = !args.is_empty();
        if args::is(opt, "count") && has_value {
            count = args.next_i64()?;
            if count < 1 {
                return Err(CmdError::Syntax);
            }
        } else if args::is(opt, "match") && has_value {
            let p = args.next()?;
            // "*" matches everything: same as no pattern.
            pattern = (p.as_ref() != b"*").then_some(p);
        } else if args::is(opt, "type") && has_value {
            type_name = Some(args.next()?);
        } else {
            return Err(CmdError::Syntax);
        }
    }

    // Visit buckets until `count` keys are collected, giving up after 10*count
    // buckets so a sparse table cannot stall the server.
    let mut keys: Vec<Bytes> = Vec::new();
    let mut budget = count.saturating_mul(10);
    let dict = ctx.engine.dbs[ctx.db_index].keys();
    loop {
        cursor = dict.scan(cursor, |k, _| keys.push(k.to_bytes()));
        budget -= 1;
        if cursor == 0 || budget < 0 || keys.len() as i64 >= count {
            break;
        }
    }

    // Filter like Redis: pattern first, then type (a NOTOUCH lookup, which can
    // expire the key), then expired keys (lazily deleted).
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        if let Some(p) = pattern {
            if !pattern_match(p, &key) {
                continue;
            }
        }
        if let Some(t) = type_name {
            let name = match ctx.lookup_read_with(&key, false, true) {
                Some(v) => v.type_name(),
                None => "none",
            };
            if !t.eq_ignore_ascii_case(name.as_bytes()) {
                continue;
            }
        }
        if ctx.expire_if_needed(&key) {
            continue;
        }
        out.push(Reply::Bulk(key));
    }
    Ok(Reply::Array(vec![
        Reply::bulk(itoa::Buffer::new().format(cursor).as_bytes()),
        Reply::Array(out),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::engine::Engine;
    use std::collections::HashSet;
    use std::sync::Arc;

    fn run(e: &mut Engine, id: u64, args: &[&str]) -> Reply {
        let argv: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
        e.execute(id, &argv).unwrap()
    }

    /// Runs a whole iteration; returns the keys and the number of calls.
    fn full_scan(e: &mut Engine, id: u64, extra: &[&str]) -> (Vec<String>, usize) {
        let mut cursor = "0".to_string();
        let mut keys = Vec::new();
        let mut calls = 0;
        loop {
            let mut argv = vec!["SCAN", cursor.as_str()];
            argv.extend_from_slice(extra);
            let Reply::Array(parts) = run(e, id, &argv) else {
                panic!()
            };
            calls += 1;
            let (Reply::Bulk(c), Reply::Array(batch)) = (&parts[0], &parts[1]) else {
                panic!()
            };
            for k in batch {
                let Reply::Bulk(k) = k else { panic!() };
                keys.push(String::from_utf8_lossy(k).into_owned());
            }
            cursor = String::from_utf8_lossy(c).into_owned();
            if cursor == "0" {
                return (keys, calls);
            }
        }
    }

    #[test]
    fn cursor_parsing_matches_strtoul() {
        assert_eq!(parse_cursor(b"0"), Ok(0));
        assert_eq!(parse_cursor(b""), Ok(0));
        assert_eq!(parse_cursor(b"+3"), Ok(3));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"-0"), Ok(0));
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"-18446744073709551615"), Ok(1));
        assert_eq!(parse_cursor(b"5\0abc"), Ok(5));
        assert_eq!(parse_cursor(b"000000000000000000000000007"), Ok(7));
        for bad in [
            &b"18446744073709551616"[..],
            b" 1",
            b"1 ",
            b"+",
            b"-",
            b"0x10",
            b"abc",
        ] {
            assert_eq!(
                parse_cursor(bad),
                Err(CmdError::err("invalid cursor")),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn full_iteration_returns_every_key_once_per_bucket() {
        let clock = ManualClock::new(1_700_000_000_000);
        let mut e = Engine::builder().clock(Arc::new(clock.clone())).build();
        let id = e.add_client();
        for i in 0..1000 {
            run(&mut e, id, &["SET", &format!("key:{i}"), "v"]);
        }
        let (keys, calls) = full_scan(&mut e, id, &[]);
        let set: HashSet<_> = keys.iter().cloned().collect();
        assert_eq!(set.len(), 1000);
        assert_eq!(keys.len(), 1000, "no duplicates without resizing");
        assert!(calls > 50, "COUNT 10 gives small batches: {calls}");
        let (keys, calls) = full_scan(&mut e, id, &["COUNT", "100000"]);
        assert_eq!((keys.len(), calls), (1000, 1));
        let (keys, _) = full_scan(&mut e, id, &["COUNT", "9223372036854775807"]);
        assert_eq!(keys.len(), 1000);
    }

    #[test]
    fn options_filters_and_errors() {
        let clock = ManualClock::new(1_700_000_000_000);
        let mut e = Engine::builder().clock(Arc::new(clock.clone())).build();
        let id = e.add_client();
        run(&mut e, id, &["SET", "a", "1"]);
        run(&mut e, id, &["SET", "b", "1"]);
        run(&mut e, id, &["SET", "gone", "1"]);
        run(&mut e, id, &["PEXPIRE", "gone", "10"]);
        let err = |s: &'static str| Reply::error(s);
        assert_eq!(run(&mut e, id, &["SCAN", "x"]), err("ERR invalid cursor"));
        assert_eq!(
            run(&mut e, id, &["SCAN", "0", "COUNT", "0"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut e, id, &["SCAN", "0", "COUNT", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut e, id, &["SCAN", "0", "COUNT"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut e, id, &["SCAN", "0", "foo", "bar"]),
            err("ERR syntax error")
        );
        let (mut keys, _) = full_scan(&mut e, id, &["MATCH", "*"]);
        keys.sort();
        assert_eq!(keys, vec!["a", "b", "gone"]);
        let (keys, _) = full_scan(&mut e, id, &["MATCH", "[ag]*", "COUNT", "1"]);
        assert_eq!(keys.len(), 2);
        let (keys, _) = full_scan(&mut e, id, &["TYPE", "STRING"]);
        assert_eq!(keys.len(), 3);
        let (keys, _) = full_scan(&mut e, id, &["TYPE", "list"]);
        assert!(keys.is_empty());
        clock.advance(20);
        let (mut keys, _) = full_scan(&mut e, id, &[]);
        keys.sort();
        assert_eq!(keys, vec!["a", "b"]);
        assert_eq!(e.dbs[0].len(), 2, "expired key lazily deleted");
    }
}
