//! Unit tests of SORT / SORT_RO: key positions, number parsing, the partial
//! quicksort, events, propagation and dirty counts (replies are compared with
//! the real Redis in tests/diff_sort.rs).

use super::*;
use crate::testkit::argv;
use crate::testkit::T;

impl T {
    /// Array replies as lists of strings (`nil` for missing values).
    fn strs(&mut self, args: &[&str]) -> Vec<String> {
        match self.run(args) {
            Reply::Array(items) => items
                .into_iter()
                .map(|r| match r {
                    Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
                    Reply::Nil => "nil".to_string(),
                    other => format!("{other:?}"),
                })
                .collect(),
            other => panic!("not an array: {other:?}"),
        }
    }
}

#[test]
fn key_positions_follow_sort_get_keys() {
    assert_eq!(sort_keys(&argv(&["sort", "k"])), vec![1]);
    assert_eq!(
        sort_keys(&argv(&[
            "sort", "k", "limit", "0", "1", "store", "d", "get", "x", "store", "e"
        ])),
        vec![1, 10]
    );
    // The destination is read as an option word too.
    assert_eq!(
        sort_keys(&argv(&["sort", "k", "store", "limit", "0"])),
        vec![1, 3]
    );
    assert_eq!(
        sort_keys(&argv(&["sort", "k", "get", "store", "x"])),
        vec![1]
    );
    assert_eq!(sort_keys(&argv(&["sort", "k", "store"])), vec![1]);
    assert_eq!(
        sort_ro_keys(&argv(&["sort_ro", "k", "store", "d"])),
        vec![1]
    );
}

#[test]
fn scores_parse_like_strtod_with_erange() {
    for (text, want) in [
        ("1.5", Some(1.5)),
        ("", Some(0.0)),
        (" 5", Some(5.0)),
        ("0x10", Some(16.0)),
        ("+.5", Some(0.5)),
        ("-infinity", Some(f64::NEG_INFINITY)),
        ("12\0ab", Some(12.0)),
        ("0x1p-1074", Some(5e-324)),
        ("2.2250738585072014e-308", Some(f64::MIN_POSITIVE)),
        ("5 ", None),
        ("-", None),
        ("nan", None),
        ("0x", None),
        ("1e", None),
        ("1e400", None),
        ("1e-400", None),
        ("1e-310", None),
        ("2.225073858507201e-308", None),
        ("0x1.8p-1074", None),
        ("0x1p-1075", None),
    ] {
        assert_eq!(sort_score(text.as_bytes()), want, "{text:?}");
    }
}

#[test]
fn partial_quicksort_orders_the_requested_range() {
    let mut seed = 12345u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as u32
    };
    for n in [0usize, 1, 5, 7, 8, 40, 41, 100, 333] {
        for _ in 0..5 {
            let v: Vec<u32> = (0..n).map(|_| next() % 50).collect();
            let mut want = v.clone();
            want.sort();
            let lo = if n == 0 { 0 } else { (next() as usize) % n };
            let hi = if n == 0 {
                0
            } else {
                lo + (next() as usize) % (n - lo)
            };
            let mut got = v.clone();
            pqsort(&mut got, lo as i64, hi as i64, &|a: &u32, b: &u32| a.cmp(b));
            if n > 0 {
                assert_eq!(&got[lo..=hi], &want[lo..=hi], "n={n} {lo}..={hi}");
            }
            let mut all = v.clone();
            pqsort(&mut all, 0, n as i64 - 1, &|a: &u32, b: &u32| a.cmp(b));
            assert_eq!(all, want);
        }
    }
}

#[test]
fn sorts_lists_sets_and_zsets() {
    let mut t = T::new();
    t.run(&["RPUSH", "l", "3", "1", "10", "2"]);
    assert_eq!(t.strs(&["SORT", "l"]), ["1", "2", "3", "10"]);
    assert_eq!(t.strs(&["SORT", "l", "DESC"]), ["10", "3", "2", "1"]);
    assert_eq!(t.strs(&["SORT", "l", "ALPHA"]), ["1", "10", "2", "3"]);
    assert_eq!(t.strs(&["SORT", "l", "LIMIT", "1", "2"]), ["2", "3"]);
    assert_eq!(
        t.strs(&["SORT", "l", "BY", "nosort", "DESC"]),
        ["2", "10", "1", "3"]
    );
    assert_eq!(
        t.strs(&["SORT", "l", "BY", "nosort", "LIMIT", "1", "2"]),
        ["1", "10"]
    );
    assert!(t.strs(&["SORT", "missing"]).is_empty());
    t.run(&["SADD", "s", "5", "4", "6"]);
    assert_eq!(t.strs(&["SORT_RO", "s", "DESC"]), ["6", "5", "4"]);
    t.run(&["ZADD", "z", "1", "c", "2", "a", "3", "b"]);
    assert_eq!(t.strs(&["SORT", "z", "BY", "nosort"]), ["c", "a", "b"]);
    assert_eq!(
        t.strs(&["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "5"]),
        ["a", "c"]
    );
    assert_eq!(t.strs(&["SORT", "z", "ALPHA"]), ["a", "b", "c"]);
    // Redis 7.0 converts the sorted set it sorts.
    assert_eq!(t.run(&["OBJECT", "ENCODING", "z"]), Reply::bulk("skiplist"));
    t.run(&["SET", "str", "x"]);
    assert!(matches!(t.run(&["SORT", "str"]), Reply::Error(e) if e.starts_with("WRONGTYPE")));
    t.run(&["RPUSH", "bad", "1", "x"]);
    assert_eq!(
        t.run(&["SORT", "bad"]),
        Reply::error("ERR One or more scores can't be converted into double")
    );
    assert_eq!(
        t.run(&["SORT_RO", "l", "STORE", "d"]),
        Reply::error("ERR syntax error")
    );
}

#[test]
fn by_and_get_patterns() {
    let mut t = T::new();
    t.run(&["RPUSH", "l", "a", "b", "c"]);
    t.run(&[
        "MSET", "w_a", "3", "w_b", "1", "w_c", "2", "n_a", "A", "n_c", "C",
    ]);
    t.run(&["HSET", "h_a", "f", "30"]);
    t.run(&["HSET", "h_b", "f", "10"]);
    t.run(&["HSET", "h_c", "f", "20"]);
    assert_eq!(t.strs(&["SORT", "l", "BY", "w_*"]), ["b", "c", "a"]);
    assert_eq!(
        t.strs(&["SORT", "l", "BY", "h_*->f", "DESC"]),
        ["a", "c", "b"]
    );
    assert_eq!(
        t.strs(&["SORT", "l", "BY", "w_*", "GET", "#", "GET", "n_*", "GET", "h_*->f"]),
        ["b", "nil", "10", "c", "C", "20", "a", "A", "30"]
    );
    // A pattern without `*` fetches nothing; `->` at the very end is no field.
    assert_eq!(
        t.strs(&["SORT", "l", "ALPHA", "GET", "w_a"]),
        ["nil", "nil", "nil"]
    );
    assert_eq!(
        t.strs(&["SORT", "l", "ALPHA", "GET", "h_*->"]),
        ["nil", "nil", "nil"]
    );
    // Missing BY keys sort as 0 (numeric) or first (ALPHA).
    assert_eq!(
        t.strs(&["SORT", "l", "BY", "n_*", "ALPHA"]),
        ["b", "a", "c"]
    );
}

#[test]
fn store_events_dirty_and_propagation() {
    let mut t = T::new();
    t.run(&["RPUSH", "l", "2", "1"]);
    T::take(&t.props);
    T::take(&t.events);
    let dirty = t.e.dirty;
    assert_eq!(t.run(&["SORT", "l", "STORE", "d"]), Reply::Integer(2));
    assert_eq!(t.e.dirty - dirty, 2);
    assert_eq!(T::take(&t.events), ["sortstore:d"]);
    assert_eq!(T::take(&t.props), ["SORT l STORE d"]);
    assert_eq!(t.strs(&["LRANGE", "d", "0", "-1"]), ["1", "2"]);
    assert_eq!(
        t.run(&["SORT", "l", "GET", "#", "GET", "x*", "STORE", "d"]),
        Reply::Integer(4)
    );
    assert_eq!(t.strs(&["LRANGE", "d", "0", "-1"]), ["1", "", "2", ""]);
    T::take(&t.events);
    // An empty result deletes the destination.
    assert_eq!(t.run(&["SORT", "missing", "STORE", "d"]), Reply::Integer(0));
    assert_eq!(T::take(&t.events), ["del:d"]);
    assert_eq!(t.run(&["EXISTS", "d"]), Reply::Integer(0));
    T::take(&t.props);
    assert_eq!(t.run(&["SORT", "missing", "STORE", "d"]), Reply::Integer(0));
    assert!(T::take(&t.events).is_empty() && T::take(&t.props).is_empty());
    // Plain SORT changes nothing and propagates nothing.
    t.run(&["SORT", "l"]);
    assert!(T::take(&t.props).is_empty());
    // A set sorted BY nosort into a key is sorted ALPHA for determinism.
    t.run(&["SADD", "s", "b", "c", "a"]);
    t.run(&["SORT", "s", "BY", "nosort", "STORE", "d"]);
    assert_eq!(t.strs(&["LRANGE", "d", "0", "-1"]), ["a", "b", "c"]);
}
