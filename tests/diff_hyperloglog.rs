//! Differential tests of HyperLogLog (PFADD, PFCOUNT, PFMERGE, PFDEBUG)
//! against the real redis-server. Sketches are strings in Redis's layout, so
//! besides every reply, the stored bytes (GET) must be identical after each
//! step: sparse runs, promotion to dense, cached counts and their stale bit.

mod support;

use support::Diff;

/// `PFADD key` with `n` elements named `prefix:i`, from `start`.
fn pfadd_batch(d: &mut Diff, key: &str, prefix: &str, start: usize, n: usize) {
    let mut cmd = vec!["PFADD".to_string(), key.to_string()];
    cmd.extend((start..start + n).map(|i| format!("{prefix}:{i}")));
    d.check(&cmd);
}

#[test]
fn errors_and_arity() {
    let mut d = Diff::new();
    for cmd in [
        &["PFADD"][..],
        &["PFCOUNT"],
        &["PFMERGE"],
        &["PFDEBUG", "GETREG"],
        &["PFDEBUG", "GETREG", "nosuch"],
        &["PFDEBUG", "GETREG", "k", "x"],
        &["PFSELFTEST", "x"],
        &["PFCOUNT", "nosuch"],
        &["PFCOUNT", "nosuch", "nosuch2"],
    ] {
        d.check(cmd);
    }
    d.check(&["SET", "str", "hello"]);
    d.check(&["SET", "int", "12345"]);
    d.check(&["SET", "fake", "HYLL\u{2}\0\0\0\0\0\0\0\0\0\0\0"]);
    d.check(&["SET", "shortdense", "HYLL\0\0\0\0\0\0\0\0\0\0\0\0xx"]);
    d.check(&["RPUSH", "list", "a"]);
    for key in ["str", "int", "fake", "shortdense", "list"] {
        d.check(&["PFADD", key, "a"]);
        d.check(&["PFCOUNT", key]);
        d.check(&["PFCOUNT", key, "nosuch"]);
        d.check(&["PFMERGE", "dest", key]);
        d.check(&["PFMERGE", key, "nosuch"]);
        d.check(&["PFDEBUG", "ENCODING", key]);
    }
    d.check(&["EXISTS", "dest"]);
    // Sparse runs that cover 16383 registers, with a stale cached count.
    let corrupt = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xfe";
    d.check(&[&b"SET"[..], &b"bad"[..], &corrupt[..]]);
    d.check(&["PFCOUNT", "bad"]);
    d.check(&["PFCOUNT", "bad", "nosuch"]);
    d.check(&["PFMERGE", "dest", "bad"]);
    d.check(&["PFDEBUG", "TODENSE", "bad"]);
    d.check(&["PFADD", "bad", "a"]);
    d.check(&["PFDEBUG", "FOO", "bad"]);
}

#[test]
fn sketches_are_byte_identical_from_sparse_to_dense() {
    let mut d = Diff::new();
    d.check(&["PFADD", "h"]);
    d.check(&["GET", "h"]);
    d.check(&["PFADD", "h"]);
    d.check(&["PFCOUNT", "h"]);
    d.check(&["GET", "h"]);
    d.check(&["OBJECT", "ENCODING", "h"]);
    d.check(&["PFADD", "h", "a", "b", "c", "a"]);
    d.check(&["PFADD", "h", "a"]);
    d.check(&["GET", "h"]);
    d.check(&["PFDEBUG", "DECODE", "h"]);
    d.check(&["PFDEBUG", "ENCODING", "h"]);
    // Growth past hll-sparse-max-bytes (3000) turns it dense; every batch
    // leaves the same bytes on both servers.
    let mut added = 0;
    for batch in [1, 9, 40, 150, 300, 500, 1000, 2000, 4000] {
        pfadd_batch(&mut d, "h", "el", added, batch);
        added += batch;
        d.check(&["GET", "h"]);
        d.check(&["PFCOUNT", "h"]);
        d.check(&["GET", "h"]);
        d.check(&["PFDEBUG", "ENCODING", "h"]);
    }
    d.check(&["PFDEBUG", "DECODE", "h"]);
    d.check(&["STRLEN", "h"]);
    d.check(&["PFDEBUG", "GETREG", "h"]);
    // A counted sketch answers from its cache until the next change.
    d.check(&["PFCOUNT", "h"]);
    pfadd_batch(&mut d, "h", "more", 0, 100);
    d.check(&["GET", "h"]);
    d.check(&["PFCOUNT", "h"]);
    // PFDEBUG TODENSE and GETREG convert a sparse sketch.
    pfadd_batch(&mut d, "s", "x", 0, 50);
    d.check(&["PFDEBUG", "GETREG", "s"]);
    d.check(&["GET", "s"]);
    pfadd_batch(&mut d, "t", "x", 0, 50);
    d.check(&["PFDEBUG", "TODENSE", "t"]);
    d.check(&["PFDEBUG", "TODENSE", "t"]);
    d.check(&["PFDEBUG", "DECODE", "t"]);
    d.check(&["GET", "t"]);
    d.check(&["PFCOUNT", "s", "t", "h"]);
}

#[test]
fn merges_and_a_smaller_sparse_limit() {
    let mut d = Diff::new();
    pfadd_batch(&mut d, "a", "a", 0, 300);
    pfadd_batch(&mut d, "b", "b", 0, 200);
    pfadd_batch(&mut d, "c", "c", 0, 5000);
    d.check(&["PFCOUNT", "a", "b"]);
    d.check(&["PFCOUNT", "a", "b", "c", "nosuch"]);
    d.check(&["PFMERGE", "ab", "a", "b"]);
    d.check(&["GET", "ab"]);
    d.check(&["PFCOUNT", "ab"]);
    d.check(&["PFMERGE", "abc", "a", "b", "c"]);
    d.check(&["GET", "abc"]);
    d.check(&["PFMERGE", "a", "b"]);
    d.check(&["GET", "a"]);
    d.check(&["PFMERGE", "only"]);
    d.check(&["GET", "only"]);
    d.check(&["PFMERGE", "b", "c"]);
    d.check(&["PFDEBUG", "ENCODING", "b"]);
    d.check(&["GET", "b"]);
    d.check(&["CONFIG", "SET", "hll-sparse-max-bytes", "60"]);
    pfadd_batch(&mut d, "small", "s", 0, 40);
    d.check(&["PFDEBUG", "ENCODING", "small"]);
    d.check(&["GET", "small"]);
    d.check(&["PFMERGE", "small2", "a"]);
    d.check(&["GET", "small2"]);
    d.hello3();
    d.check(&["PFCOUNT", "small", "small2"]);
    d.check(&["PFDEBUG", "ENCODING", "small"]);
}

#[test]
fn notifications_and_command_info() {
    let mut d = Diff::new();
    for cmd in ["pfadd", "pfcount", "pfmerge", "pfdebug", "pfselftest"] {
        d.check(&["COMMAND", "INFO", cmd]);
        d.check(&["COMMAND", "DOCS", cmd]);
    }
    d.check(&["COMMAND", "GETKEYS", "PFMERGE", "d", "s1", "s2"]);
    d.check(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    let mut sub = d.connect();
    sub.check(&["PSUBSCRIBE", "__key*__:*"]);
    d.check(&["PFADD", "n", "x"]);
    d.check(&["PFADD", "n", "x"]);
    d.check(&["PFMERGE", "m", "n"]);
    d.check(&["PFCOUNT", "m"]);
    for _ in 0..4 {
        let (r, e) = (
            sub.redis.read_reply().unwrap().1,
            sub.ember.read_reply().unwrap().1,
        );
        assert_eq!(r, e);
    }
}
