//! Unit tests of the sorted set commands: keyspace events, propagation, dirty
//! counts, encodings and RESP3 shapes (replies are compared with the real
//! Redis in tests/diff_zsets.rs).

use crate::testkit::T;

impl T {
    /// The reply as RESP text in the client's protocol.
    fn wire(&mut self, args: &[&str]) -> String {
        let reply = self.run(args);
        let proto = self.e.clients[&self.id].proto;
        let mut out = Vec::new();
        ember_resp::encode(&reply, proto, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}
#[test]
fn zadd_events_dirty_and_replies() {
    let mut t = T::new();
    assert_eq!(t.wire(&["ZADD", "z", "1", "a", "2", "b"]), ":2\r\n");
    assert_eq!(t.take_events(), vec!["zadd:z"]);
    assert_eq!(t.take_props(), vec!["ZADD z 1 a 2 b"]);
    // Same scores: nothing changes, nothing is propagated or announced.
    assert_eq!(t.wire(&["ZADD", "z", "1", "a"]), ":0\r\n");
    assert!(t.take_events().is_empty() && t.take_props().is_empty());
    assert_eq!(t.wire(&["ZADD", "z", "CH", "5", "a", "3", "c"]), ":2\r\n");
    assert_eq!(t.wire(&["ZADD", "z", "INCR", "1", "a"]), "$1\r\n6\r\n");
    assert_eq!(t.take_events(), vec!["zadd:z", "zincr:z"]);
    assert_eq!(t.wire(&["ZADD", "z", "NX", "INCR", "1", "a"]), "$-1\r\n");
    assert_eq!(t.wire(&["ZADD", "missing", "XX", "1", "a"]), ":0\r\n");
    assert_eq!(
        t.wire(&["ZADD", "missing", "XX", "INCR", "1", "a"]),
        "$-1\r\n"
    );
    assert_eq!(t.wire(&["EXISTS", "missing"]), ":0\r\n");
    assert_eq!(t.wire(&["ZINCRBY", "z", "inf", "i"]), "$3\r\ninf\r\n");
    assert_eq!(
        t.wire(&["ZINCRBY", "z", "-inf", "i"]),
        "-ERR resulting score is not a number (NaN)\r\n"
    );
    assert_eq!(
        t.wire(&["ZADD", "z", "NX", "XX", "1", "a"]),
        "-ERR XX and NX options at the same time are not compatible\r\n"
    );
    assert_eq!(
        t.wire(&["ZADD", "z", "GT", "LT", "1", "a"]),
        "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"
    );
    assert_eq!(
        t.wire(&["ZADD", "z", "INCR", "1", "a", "2", "b"]),
        "-ERR INCR option supports a single increment-element pair\r\n"
    );
    assert_eq!(
        t.wire(&["ZADD", "z", "x", "a"]),
        "-ERR value is not a valid float\r\n"
    );
    assert_eq!(t.wire(&["ZADD", "z", "NX", "1"]), "-ERR syntax error\r\n");
    assert_eq!(
        t.wire(&["ZINCRBY", "z", "nx", "a"]),
        "-ERR syntax error\r\n"
    );
}

#[test]
fn emptied_sets_are_deleted_with_del_events() {
    let mut t = T::new();
    t.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    t.take_events();
    assert_eq!(t.wire(&["ZREM", "z", "a", "x"]), ":1\r\n");
    assert_eq!(t.wire(&["ZREMRANGEBYSCORE", "z", "-inf", "2"]), ":1\r\n");
    assert_eq!(t.wire(&["ZPOPMAX", "z"]), "*2\r\n$1\r\nc\r\n$1\r\n3\r\n");
    assert_eq!(
        t.take_events(),
        vec!["zrem:z", "zremrangebyscore:z", "zpopmax:z", "del:z"]
    );
    assert_eq!(t.wire(&["EXISTS", "z"]), ":0\r\n");
    t.run(&["ZADD", "z", "0", "a", "0", "b"]);
    t.take_events();
    assert_eq!(t.wire(&["ZREMRANGEBYLEX", "z", "-", "+"]), ":2\r\n");
    assert_eq!(t.take_events(), vec!["zremrangebylex:z", "del:z"]);
    t.run(&["ZADD", "z", "0", "a"]);
    t.take_events();
    assert_eq!(t.wire(&["ZREMRANGEBYRANK", "z", "0", "-1"]), ":1\r\n");
    assert_eq!(t.take_events(), vec!["zremrangebyrank:z", "del:z"]);
}

#[test]
fn zmpop_propagates_as_zpop_with_count() {
    let mut t = T::new();
    t.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    t.take_props();
    t.take_events();
    assert_eq!(
        t.wire(&["ZMPOP", "2", "nope", "z", "MAX", "COUNT", "10"]),
        "*2\r\n$1\r\nz\r\n*3\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(t.take_props(), vec!["ZPOPMAX z 3"]);
    assert_eq!(t.take_events(), vec!["zpopmax:z", "del:z"]);
    assert_eq!(t.wire(&["ZMPOP", "1", "z", "MIN"]), "*-1\r\n");
    assert!(t.take_props().is_empty());
    t.run(&["ZADD", "z", "1", "a", "2", "b"]);
    t.take_props();
    assert_eq!(
        t.wire(&["ZPOPMIN", "z", "5"]),
        "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    assert_eq!(t.take_props(), vec!["ZPOPMIN z 5"]);
}

#[test]
fn store_commands_events_and_encodings() {
    let mut t = T::new();
    t.run(&["ZADD", "a", "1", "x", "2", "y"]);
    t.run(&["SADD", "s", "y", "z"]);
    t.take_events();
    assert_eq!(t.wire(&["ZUNIONSTORE", "d", "2", "a", "s"]), ":3\r\n");
    assert_eq!(t.take_events(), vec!["zunionstore:d"]);
    assert_eq!(t.wire(&["ZSCORE", "d", "y"]), "$1\r\n3\r\n");
    assert_eq!(t.encoding("d"), "listpack");
    assert_eq!(t.wire(&["ZINTERSTORE", "d", "2", "a", "nothing"]), ":0\r\n");
    assert_eq!(t.take_events(), vec!["del:d"]);
    assert_eq!(t.wire(&["ZINTERSTORE", "d", "2", "a", "nothing"]), ":0\r\n");
    assert!(t.take_events().is_empty());
    t.run(&["CONFIG", "SET", "zset-max-listpack-entries", "1"]);
    assert_eq!(t.wire(&["ZDIFFSTORE", "d", "1", "a"]), ":2\r\n");
    assert_eq!(t.encoding("d"), "skiplist");
    assert_eq!(t.wire(&["ZRANGESTORE", "d2", "a", "0", "0"]), ":1\r\n");
    assert_eq!(t.encoding("d2"), "listpack");
    assert_eq!(t.wire(&["ZRANGESTORE", "d2", "a", "5", "6"]), ":0\r\n");
    assert_eq!(t.wire(&["EXISTS", "d2"]), ":0\r\n");
}

#[test]
fn conversion_is_one_way_and_follows_the_limits() {
    let mut t = T::new();
    t.run(&["CONFIG", "SET", "zset-max-listpack-entries", "3"]);
    t.run(&["CONFIG", "SET", "zset-max-listpack-value", "5"]);
    t.run(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(t.encoding("z"), "listpack");
    t.run(&["ZADD", "z", "4", "d"]);
    assert_eq!(t.encoding("z"), "skiplist");
    t.run(&["ZREM", "z", "a", "b", "c"]);
    assert_eq!(t.encoding("z"), "skiplist");
    t.run(&["ZADD", "long", "1", "abcdef"]);
    assert_eq!(t.encoding("long"), "skiplist");
    t.run(&["ZADD", "y", "1", "abc"]);
    t.run(&["ZADD", "y", "1", "abcdef"]);
    assert_eq!(t.encoding("y"), "skiplist");
}

#[test]
fn resp3_nests_score_pairs() {
    let mut t = T::new();
    t.run(&["HELLO", "3"]);
    t.run(&["ZADD", "z", "1", "a", "2.5", "b"]);
    assert_eq!(
        t.wire(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"
    );
    assert_eq!(t.wire(&["ZPOPMIN", "z"]), "*2\r\n$1\r\na\r\n,1\r\n");
    assert_eq!(
        t.wire(&["ZPOPMIN", "z", "1"]),
        "*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"
    );
    assert_eq!(t.wire(&["ZSCORE", "z", "a"]), "_\r\n");
    t.run(&["ZADD", "z", "1", "a"]);
    assert_eq!(t.wire(&["ZSCORE", "z", "a"]), ",1\r\n");
    assert_eq!(t.wire(&["ZMSCORE", "z", "a", "q"]), "*2\r\n,1\r\n_\r\n");
    assert_eq!(
        t.wire(&["ZRANDMEMBER", "z", "1", "WITHSCORES"]),
        "*1\r\n*2\r\n$1\r\na\r\n,1\r\n"
    );
    assert_eq!(
        t.wire(&["ZUNION", "1", "z", "WITHSCORES"]),
        "*1\r\n*2\r\n$1\r\na\r\n,1\r\n"
    );
}

#[test]
fn large_sets_answer_like_small_ones() {
    let mut t = T::new();
    let mut small = vec!["ZADD".to_string(), "s".to_string()];
    for i in 0..200 {
        small.push(((i * 7919) % 100).to_string());
        small.push(format!("m{i:03}"));
    }
    let argv: Vec<&str> = small.iter().map(String::as_str).collect();
    t.run(&argv);
    let mut big = small.clone();
    big[1] = "b".to_string();
    t.run(&["CONFIG", "SET", "zset-max-listpack-entries", "0"]);
    let argv: Vec<&str> = big.iter().map(String::as_str).collect();
    t.run(&argv);
    t.run(&["CONFIG", "SET", "zset-max-listpack-entries", "1000"]);
    t.run(&["DEL", "s"]);
    let argv: Vec<&str> = small.iter().map(String::as_str).collect();
    t.run(&argv);
    assert_eq!(t.encoding("s"), "listpack");
    assert_eq!(t.encoding("b"), "skiplist");
    let queries: &[&[&str]] = &[
        &["ZRANGE", "_", "0", "-1", "WITHSCORES"],
        &["ZRANGE", "_", "5", "17", "REV"],
        &[
            "ZRANGE",
            "_",
            "(10",
            "50",
            "BYSCORE",
            "LIMIT",
            "3",
            "7",
            "WITHSCORES",
        ],
        &[
            "ZRANGE", "_", "50", "(10", "BYSCORE", "REV", "LIMIT", "3", "7",
        ],
        &["ZCOUNT", "_", "(10", "50"],
        &["ZRANK", "_", "m150"],
        &["ZREVRANK", "_", "m150"],
        &["ZSCORE", "_", "m150"],
        &["ZRANGEBYSCORE", "_", "-inf", "+inf", "LIMIT", "190", "100"],
    ];
    for q in queries {
        let mut a: Vec<&str> = q.to_vec();
        a[1] = "s";
        let small_reply = t.run(&a);
        a[1] = "b";
        assert_eq!(small_reply, t.run(&a), "{q:?}");
    }
    assert_eq!(
        t.run(&["ZREMRANGEBYRANK", "s", "10", "150"]),
        t.run(&["ZREMRANGEBYRANK", "b", "10", "150"])
    );
    assert_eq!(
        t.run(&["ZRANGE", "s", "0", "-1", "WITHSCORES"]),
        t.run(&["ZRANGE", "b", "0", "-1", "WITHSCORES"])
    );
}
