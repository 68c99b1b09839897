//! Repeated random picks (ZRANDMEMBER, SRANDMEMBER and HRANDFIELD with a
//! negative count, RANDOMKEY) come out evenly in every encoding, as in
//! Redis's own histogram tests: each server's counts must pass the same
//! chi-square bound, so redis-server vouches for the bound.

mod support;

use std::collections::HashMap;
use support::{Diff, Resp};

/// Chi-square of `picks` against the uniform distribution over `members`.
fn chi_square(picks: &[Vec<u8>], members: usize) -> f64 {
    let mut counts: HashMap<&[u8], usize> = HashMap::new();
    for p in picks {
        *counts.entry(p).or_default() += 1;
    }
    assert_eq!(counts.len(), members, "every member comes up");
    let expected = picks.len() as f64 / members as f64;
    counts
        .values()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum()
}

fn members(r: &Resp) -> Vec<Vec<u8>> {
    r.items()
        .iter()
        .map(|m| m.bytes().expect("a member").to_vec())
        .collect()
}

/// Asks both servers for `cmd` (an array of picks) and checks each
/// histogram over `n` members.
fn assert_even(d: &mut Diff, cmd: &[&str], n: usize) {
    let (r, e) = d.both(cmd);
    for (server, reply) in [("redis", &r), ("ember", &e)] {
        let chi = chi_square(&members(reply), n);
        assert!(chi < 40.0, "{server}: {cmd:?} chi-square {chi}");
    }
}

#[test]
fn negative_counts_pick_evenly_in_every_encoding() {
    let mut d = Diff::new();
    // A member of 80 bytes, as in Redis's tests, forces the large encodings
    // of sets and hashes; the zset limit does it for sorted sets.
    let long = "x".repeat(80);
    for n in [3usize, 10] {
        for big in [false, true] {
            d.check(&["FLUSHALL"]);
            let entries = if big { "0" } else { "128" };
            d.check(&["CONFIG", "SET", "zset-max-listpack-entries", entries]);
            let mut names: Vec<String> = (0..n - 1).map(|i| format!("m{i}")).collect();
            names.push(if big { long.clone() } else { "last".into() });
            for (i, m) in names.iter().enumerate() {
                d.check(&["ZADD", "z", &i.to_string(), m]);
                d.check(&["SADD", "s", m]);
                d.check(&["HSET", "h", m, "v"]);
            }
            for key in ["z", "s", "h"] {
                d.check(&["OBJECT", "ENCODING", key]);
            }
            let count = (-1000 * n as i64).to_string();
            assert_even(&mut d, &["ZRANDMEMBER", "z", &count], n);
            assert_even(&mut d, &["SRANDMEMBER", "s", &count], n);
            assert_even(&mut d, &["HRANDFIELD", "h", &count], n);
        }
    }
}

#[test]
fn randomkey_picks_evenly() {
    let mut d = Diff::new();
    let n = 10;
    for i in 0..n {
        d.check(&["SET", &format!("k{i}"), "v"]);
    }
    let mut picks = (Vec::new(), Vec::new());
    for _ in 0..200 * n {
        let (r, e) = d.both(&["RANDOMKEY"]);
        picks.0.push(r.bytes().expect("a key").to_vec());
        picks.1.push(e.bytes().expect("a key").to_vec());
    }
    for (server, p) in [("redis", &picks.0), ("ember", &picks.1)] {
        let chi = chi_square(p, n);
        assert!(chi < 40.0, "{server}: RANDOMKEY chi-square {chi}");
    }
}
