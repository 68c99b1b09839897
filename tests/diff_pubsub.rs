//! Differential tests of pub/sub, MONITOR and CLIENT PAUSE against the real
//! redis-server: (un)subscribe confirmations, message streams and their order,
//! pattern matching, shard channels, PUBSUB introspection, the RESP2
//! subscribed context and RESP3 pushes, CLIENT LIST fields, MONITOR lines
//! (timestamps and addresses normalized) and paused clients.

mod support;

use std::time::Duration;
use support::{encode_command, escape, Diff, Pair, Resp};

/// Sends `cmd` to both servers without reading.
fn send(p: &mut Pair, cmd: &[&str]) {
    let bytes = encode_command(cmd);
    p.redis.write_raw(&bytes);
    p.ember.write_raw(&bytes);
}

/// Reads `n` replies (or pushes) from each side and asserts identical bytes.
fn recv(p: &mut Pair, n: usize) -> Vec<Resp> {
    let read = |c: &mut support::RawConn| {
        let mut raw = Vec::new();
        let mut parsed = Vec::new();
        for i in 0..n {
            let (b, r) = c
                .read_reply()
                .unwrap_or_else(|e| panic!("{}: message {i} of {n}: {e}", c.name));
            raw.extend(b);
            parsed.push(r);
        }
        (raw, parsed)
    };
    let (rraw, rp) = read(&mut p.redis);
    let (eraw, _) = read(&mut p.ember);
    assert_eq!(
        escape(&rraw),
        escape(&eraw),
        "message streams differ (redis first)"
    );
    rp
}

/// Reads `n` replies from each side and compares them as multisets (Redis
/// iterates a client's channels in hash order). Confirmations carry a running
/// count, so names and counts are compared as separate multisets.
fn recv_unordered(p: &mut Pair, n: usize) {
    let read = |c: &mut support::RawConn| {
        let mut items = Vec::new();
        let mut counts = Vec::new();
        for i in 0..n {
            let r = c
                .read_reply()
                .unwrap_or_else(|e| panic!("{}: message {i}: {e}", c.name))
                .1;
            let mut parts = r.items().to_vec();
            if let Some(Resp::Int(k)) = parts.last() {
                counts.push(*k);
                parts.pop();
            }
            items.push(parts);
        }
        items.sort();
        counts.sort();
        (items, counts)
    };
    let r = read(&mut p.redis);
    let e = read(&mut p.ember);
    assert_eq!(r, e, "unordered message sets differ");
}

/// Asserts neither side has anything more to say for a short while.
fn quiet(p: &mut Pair) {
    let (r, _) = p.redis.read_until_close(Duration::from_millis(100));
    let (e, _) = p.ember.read_until_close(Duration::from_millis(100));
    assert!(
        r.is_empty() && e.is_empty(),
        "unexpected output\n  redis: {}\n  ember: {}",
        escape(&r),
        escape(&e)
    );
}

/// Sends a command and checks all of its confirmations (one per channel).
fn multi_reply(p: &mut Pair, cmd: &[&str], n: usize) {
    p.check_raw_replies(&encode_command(cmd), n);
}

const CONTEXT_ERR: &str =
    "only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";

#[test]
fn resp2_subscribe_sequence_and_context() {
    let mut d = Diff::new();
    let mut publ = d.connect();
    multi_reply(&mut d, &["SUBSCRIBE", "a", "b", "a"], 3);
    multi_reply(&mut d, &["PSUBSCRIBE", "x*", "x*", "y?"], 3);
    let r = d.check(&["GET", "k"]);
    assert!(r.text().contains(CONTEXT_ERR));
    d.check(&["CLIENT", "LIST"]);
    d.check(&["HELLO", "3"]);
    d.check(&["MULTI"]);
    d.check(&["EXEC"]);
    d.check(&["GET"]);
    d.check(&["NOSUCHCOMMAND", "x"]);
    d.check(&["PING"]);
    d.check(&["PING", "hello"]);
    d.check(&["PING", "a", "b"]);
    publ.check(&["PUBLISH", "a", "m1"]);
    publ.check(&["PUBLISH", "xa", "m2"]);
    publ.check(&["PUBLISH", "yz", "m3"]);
    publ.check(&["PUBLISH", "zz", "m4"]);
    recv(&mut d, 3);
    quiet(&mut d);
    multi_reply(&mut d, &["UNSUBSCRIBE", "zz", "a"], 2);
    multi_reply(&mut d, &["SUBSCRIBE", "c"], 1);
    send(&mut d, &["UNSUBSCRIBE"]);
    recv_unordered(&mut d, 2);
    multi_reply(&mut d, &["PUNSUBSCRIBE"], 2);
    multi_reply(&mut d, &["PUNSUBSCRIBE"], 1);
    multi_reply(&mut d, &["UNSUBSCRIBE"], 1);
    multi_reply(&mut d, &["SUNSUBSCRIBE"], 1);
    d.check(&["GET", "k"]);
    d.check(&["PING"]);
    quiet(&mut d);
}

#[test]
fn resp3_pushes_interleave_with_replies() {
    let mut d = Diff::new();
    let mut publ = d.connect();
    d.hello3();
    multi_reply(&mut d, &["SUBSCRIBE", "a", "b"], 2);
    d.check(&["SET", "k", "v"]);
    d.check(&["GET", "k"]);
    d.check(&["PING"]);
    publ.check(&["PUBLISH", "a", "from-other"]);
    recv(&mut d, 1);
    // A message published to oneself precedes the PUBLISH reply.
    multi_reply(&mut d, &["PUBLISH", "b", "self"], 2);
    multi_reply(&mut d, &["PSUBSCRIBE", "k*"], 1);
    multi_reply(&mut d, &["PUBLISH", "kk", "p"], 2);
    multi_reply(&mut d, &["PUNSUBSCRIBE", "nope"], 1);
    multi_reply(&mut d, &["SUNSUBSCRIBE"], 1);
    // Back to RESP2 while subscribed: the restrictions apply again.
    d.check_shape(&["HELLO", "2"]);
    d.check(&["GET", "k"]);
    publ.check(&["PUBLISH", "a", "resp2-now"]);
    recv(&mut d, 1);
    d.check(&["RESET"]);
    d.check(&["GET", "k"]);
    publ.check(&["PUBLISH", "a", "gone"]);
    quiet(&mut d);
}

#[test]
fn shard_channels_are_separate() {
    let mut d = Diff::new();
    let mut publ = d.connect();
    multi_reply(&mut d, &["SSUBSCRIBE", "s1", "s2", "s1"], 3);
    multi_reply(&mut d, &["SUBSCRIBE", "s1"], 1);
    d.check(&["PING"]);
    publ.check(&["SPUBLISH", "s1", "shard"]);
    publ.check(&["PUBLISH", "s1", "plain"]);
    publ.check(&["SPUBLISH", "nobody", "x"]);
    recv(&mut d, 2);
    publ.check_unordered(&["PUBSUB", "SHARDCHANNELS"]);
    publ.check(&["PUBSUB", "SHARDCHANNELS", "*1"]);
    publ.check(&["PUBSUB", "SHARDNUMSUB", "s1", "s2", "s3"]);
    publ.check(&["PUBSUB", "NUMSUB", "s1", "s2"]);
    // Leaving the plain channels keeps the client in pub/sub mode.
    multi_reply(&mut d, &["UNSUBSCRIBE"], 1);
    d.check(&["GET", "k"]);
    multi_reply(&mut d, &["SUNSUBSCRIBE", "s2", "zz"], 2);
    multi_reply(&mut d, &["SUNSUBSCRIBE"], 1);
    d.check(&["GET", "k"]);
    publ.check(&["PUBSUB", "SHARDCHANNELS"]);
}

#[test]
fn pubsub_introspection() {
    let mut d = Diff::new();
    let mut s1 = d.connect();
    let mut s2 = d.connect();
    multi_reply(&mut s1, &["SUBSCRIBE", "", "news.a", "news.b", "other"], 4);
    multi_reply(&mut s2, &["SUBSCRIBE", "news.a"], 1);
    multi_reply(&mut s2, &["PSUBSCRIBE", "news.*", "n*", "news.*"], 3);
    multi_reply(&mut s1, &["PSUBSCRIBE", "n*"], 1);
    d.check_unordered(&["PUBSUB", "CHANNELS"]);
    d.check_unordered(&["PUBSUB", "CHANNELS", "*"]);
    d.check_unordered(&["PUBSUB", "CHANNELS", "news.?"]);
    d.check_unordered(&["PUBSUB", "channels", "[no]*"]);
    d.check(&["PUBSUB", "CHANNELS", "zzz"]);
    d.check(&["PUBSUB", "CHANNELS", "a", "b"]);
    d.check(&["PUBSUB", "NUMSUB", "news.a", "news.b", "", "nope", "news.a"]);
    d.check(&["PUBSUB", "NUMSUB"]);
    d.check(&["PUBSUB", "NUMPAT"]);
    d.check(&["PUBSUB", "NUMPAT", "x"]);
    d.check(&["PUBSUB", "SHARDCHANNELS"]);
    d.check(&["PUBSUB", "SHARDNUMSUB"]);
    d.check(&["PUBSUB", "HELP"]);
    d.check(&["PUBSUB", "HELP", "x"]);
    d.check(&["PUBSUB", "FOO"]);
    d.check(&["PUBSUB"]);
    d.check(&["PUBLISH", "x"]);
    d.check(&["SUBSCRIBE"]);
    d.check(&["PSUBSCRIBE"]);
    d.check(&["SPUBLISH", "a"]);
    // (PUBSUB's subcommands come in hash order in Redis: diff_connection
    // compares containers normalized.)
    d.check(&[
        "COMMAND",
        "INFO",
        "subscribe",
        "publish",
        "ssubscribe",
        "monitor",
    ]);
    // A client counted once per matching subscription.
    d.check(&["PUBLISH", "news.a", "m"]);
    recv(&mut s1, 2);
    recv_unordered(&mut s2, 3);
    multi_reply(&mut s2, &["PUNSUBSCRIBE", "news.*"], 1);
    d.check(&["PUBSUB", "NUMPAT"]);
    let clients = d.redis.info_u64("clients", "connected_clients");
    drop(s2);
    d.wait_info("clients", "connected_clients", clients - 1);
    d.check(&["PUBSUB", "NUMPAT"]);
    d.check(&["PUBSUB", "NUMSUB", "news.a"]);
    d.check(&["PUBLISH", "news.a", "m"]);
    d.check_normalized(&["INFO", "stats"], |r| {
        let text = r.text();
        Resp::Bulk(
            text.lines()
                .filter(|l| l.starts_with("pubsub"))
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes(),
        )
    });
}

#[test]
fn glob_patterns_match_like_redis() {
    let mut d = Diff::new();
    let patterns = [
        "h?llo", "h[ae]llo", "h[^e]llo", "h*", "\\*", "[a-c]x", "*", "h\\?llo",
    ];
    let mut subs: Vec<Pair> = patterns
        .iter()
        .map(|p| {
            let mut s = d.connect();
            multi_reply(&mut s, &["PSUBSCRIBE", p], 1);
            s
        })
        .collect();
    let channels = [
        "hello", "hallo", "hxllo", "h", "", "*", "bx", "dx", "h?llo", "HELLO",
    ];
    for ch in channels {
        let n = d.check(&["PUBLISH", ch, "m"]).int() as usize;
        assert!(n <= patterns.len());
    }
    for s in subs.iter_mut() {
        let (r, _) = s.redis.read_until_close(Duration::from_millis(150));
        let (e, _) = s.ember.read_until_close(Duration::from_millis(150));
        assert_eq!(escape(&r), escape(&e));
    }
}

#[test]
fn messages_arrive_in_publish_order() {
    let mut d = Diff::new();
    let mut s2 = d.connect();
    s2.hello3();
    multi_reply(&mut d, &["SUBSCRIBE", "ch"], 1);
    multi_reply(&mut s2, &["PSUBSCRIBE", "c*"], 1);
    multi_reply(&mut s2, &["SUBSCRIBE", "ch"], 1);
    let mut publ = d.connect();
    let cmds: Vec<Vec<String>> = (0..300)
        .map(|i| vec!["PUBLISH".into(), "ch".into(), format!("message-{i}")])
        .collect();
    let refs: Vec<Vec<&str>> = cmds
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    let slices: Vec<&[&str]> = refs.iter().map(|c| c.as_slice()).collect();
    publ.check_pipeline(&slices);
    recv(&mut d, 300);
    // s2 gets each message twice (channel, then pattern), in publish order.
    recv(&mut s2, 600);
    quiet(&mut d);
}

#[test]
fn subscribe_inside_multi_and_reply_modes() {
    let mut d = Diff::new();
    let mut publ = d.connect();
    d.check(&["MULTI"]);
    d.check(&["SUBSCRIBE", "c1"]);
    d.check(&["SSUBSCRIBE", "s1"]);
    d.check(&["MONITOR"]);
    d.check(&["EXEC"]);
    let r = d.check(&["EXEC"]);
    assert!(r.text().starts_with("EXECABORT"));
    d.check(&["RESET"]);
    d.check(&["MULTI"]);
    d.check(&["UNSUBSCRIBE"]);
    d.check(&["PUNSUBSCRIBE", "p"]);
    d.check(&["EXEC"]);
    // CLIENT REPLY OFF silences replies but not confirmations or messages.
    send(&mut d, &["CLIENT", "REPLY", "OFF"]);
    multi_reply(&mut d, &["SUBSCRIBE", "c", "d"], 2);
    publ.check(&["PUBLISH", "c", "m"]);
    send(&mut d, &["PING"]);
    recv(&mut d, 1);
    multi_reply(&mut d, &["UNSUBSCRIBE", "c", "d"], 2);
    quiet(&mut d);
    d.check(&["CLIENT", "REPLY", "ON"]);
    send(&mut d, &["QUIT"]);
    recv(&mut d, 1);
}

#[test]
fn client_list_reports_subscriptions() {
    let mut d = Diff::new();
    multi_reply(&mut d, &["SUBSCRIBE", "a", "b"], 2);
    multi_reply(&mut d, &["PSUBSCRIBE", "p*"], 1);
    multi_reply(&mut d, &["SSUBSCRIBE", "s"], 1);
    let mut other = d.connect();
    let fields = |r: &Resp| {
        let text = r.text();
        let line = text
            .lines()
            .find(|l| l.contains("flags=P"))
            .unwrap_or("")
            .to_string();
        let keep: Vec<&str> = line
            .split(' ')
            .filter(|f| {
                ["flags=", "sub=", "psub=", "ssub=", "cmd="]
                    .iter()
                    .any(|k| f.starts_with(k))
            })
            .collect();
        Resp::Bulk(keep.join(" ").into_bytes())
    };
    let r = other.check_normalized(&["CLIENT", "LIST", "TYPE", "pubsub"], fields);
    assert!(!r.text().is_empty());
    other.check_normalized(&["CLIENT", "LIST", "TYPE", "normal"], |r| {
        Resp::Int(r.text().lines().count() as i64)
    });
    d.check(&["RESET"]);
    other.check(&["CLIENT", "LIST", "TYPE", "pubsub"]);
    other.check(&["CLIENT", "KILL", "TYPE", "pubsub"]);
}

/// MONITOR lines with the timestamp and client address blanked.
fn monitor_lines(raw: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(raw)
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| {
            let Some(rest) = l.strip_prefix('+') else {
                return l.to_string();
            };
            let Some((ts, tail)) = rest.split_once(' ') else {
                return l.to_string();
            };
            let (secs, usecs) = ts.split_once('.').expect("timestamp");
            assert!(
                secs.parse::<u64>().is_ok() && usecs.len() == 6,
                "timestamp in {l}"
            );
            let (db, after) = tail[1..].split_once(' ').expect("[db addr]");
            let (_, args) = after.split_once("] ").expect("]");
            format!("+TS [{db} ADDR] {args}")
        })
        .collect()
}

#[test]
fn monitor_streams_commands_in_redis_format() {
    let d = Diff::new();
    let mut m = d.connect();
    m.check(&["MONITOR"]);
    send(&mut m, &["MONITOR"]);
    let mut c = d.connect();
    c.check(&["SET", "k", "v"]);
    c.check(&["SET", "k\"\\\n\u{1}\u{ff} x", " 123 "]);
    c.check(&["AUTH", "pw"]);
    c.check(&["AUTH", "user", "pw"]);
    c.check(&["AUTH", "a", "b", "c"]);
    c.check(&["HELLO", "3", "AUTH", "default", "pw", "BOGUS"]);
    c.check_shape(&["HELLO", "2", "SETNAME", "n"]);
    c.check(&["HELLO", "x", "AUTH", "a", "b"]);
    c.check(&["NOSUCH"]);
    c.check(&["GET"]);
    c.check(&["INCR", "k"]);
    c.check(&["CONFIG", "GET", "hz"]);
    c.check(&["SELECT", "3"]);
    c.check(&["SET", "a", "1"]);
    c.check(&["MULTI"]);
    c.check(&["SET", "x", "1"]);
    c.check(&["INCR", "x"]);
    c.check(&["EXEC"]);
    c.check(&["PING"]);
    c.check_shape(&["CLIENT", "ID"]);
    std::thread::sleep(Duration::from_millis(100));
    let (r, _) = m.redis.read_until_close(Duration::from_millis(200));
    let (e, _) = m.ember.read_until_close(Duration::from_millis(200));
    let (rl, el) = (monitor_lines(&r), monitor_lines(&e));
    assert_eq!(rl, el, "monitor streams differ");
    assert_eq!(rl.len(), 17, "{rl:#?}");
    // A monitor runs non-keyspace commands; its own line follows its reply.
    let mut one = |cmd: &[&str]| {
        m.redis.write_raw(&encode_command(cmd));
        m.ember.write_raw(&encode_command(cmd));
        std::thread::sleep(Duration::from_millis(100));
        let (r, _) = m.redis.read_until_close(Duration::from_millis(150));
        let (e, _) = m.ember.read_until_close(Duration::from_millis(150));
        assert_eq!(monitor_lines(&r), monitor_lines(&e), "{}", escape(&r));
    };
    one(&["PING"]);
    one(&["GET", "k"]);
    one(&["PUBLISH", "c", "m"]);
    one(&["CLIENT", "LIST", "ID", "0"]);
    one(&["RESET"]);
    one(&["GET", "k"]);
}

#[test]
fn client_pause_holds_commands() {
    let mut d = Diff::new();
    let mut w = d.connect();
    d.check(&["CLIENT", "PAUSE"]);
    d.check(&["CLIENT", "PAUSE", "abc"]);
    d.check(&["CLIENT", "PAUSE", "-1"]);
    d.check(&["CLIENT", "PAUSE", "10", "foo"]);
    d.check(&["CLIENT", "PAUSE", "abc", "foo"]);
    d.check(&["CLIENT", "PAUSE", "1.5"]);
    d.check(&["CLIENT", "PAUSE", "10", "write", "x"]);
    d.check(&["CLIENT", "UNPAUSE", "x"]);
    d.check(&["CLIENT", "PAUSE", "0"]);
    d.check(&["PING"]);
    d.check(&["CLIENT", "PAUSE", "100000", "WRITE"]);
    w.check(&["GET", "k"]);
    send(&mut w, &["SET", "k", "v"]);
    send(&mut w, &["GET", "k"]);
    send(&mut w, &["PUBLISH", "c", "m"]);
    quiet(&mut w);
    d.check(&["GET", "k"]);
    // The held client shows as blocked, naming the held command.
    d.check_normalized(&["CLIENT", "LIST"], |r| {
        let mut v: Vec<String> = r
            .text()
            .lines()
            .map(|l| {
                l.split(' ')
                    .filter(|f| f.starts_with("flags=") || f.starts_with("cmd="))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        v.sort();
        Resp::Bulk(v.join("\n").into_bytes())
    });
    d.check(&["CLIENT", "UNPAUSE"]);
    recv(&mut w, 3);
    // ALL holds everything, the pausing client included; the pause ends by itself.
    d.check(&["CLIENT", "PAUSE", "1500"]);
    send(&mut w, &["PING"]);
    send(&mut d, &["GET", "k"]);
    quiet(&mut w);
    recv(&mut w, 1);
    recv(&mut d, 1);
    d.check(&["PING"]);
    // WRITE pause: a write inside MULTI waits before being queued.
    d.check(&["CLIENT", "PAUSE", "100000", "WRITE"]);
    w.check(&["MULTI"]);
    send(&mut w, &["SET", "x", "1"]);
    send(&mut w, &["EXEC"]);
    quiet(&mut w);
    d.check(&["CLIENT", "UNPAUSE"]);
    recv(&mut w, 2);
}

#[test]
fn slow_subscriber_is_disconnected() {
    let d = Diff::new();
    let mut ctl = d.connect();
    ctl.check(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "pubsub 1mb 0 0",
    ]);
    let mut sub = d.connect();
    multi_reply(&mut sub, &["SUBSCRIBE", "flood"], 1);
    let big = "x".repeat(100 * 1024);
    // The subscriber never reads: the kernel buffers fill, then the server's.
    for _ in 0..200 {
        let (r, e) = ctl.both(&["PUBLISH", "flood", &big]);
        assert!(matches!(r, Resp::Int(0 | 1)) && matches!(e, Resp::Int(0 | 1)));
    }
    ctl.check(&["PUBLISH", "flood", "after"]);
    ctl.check(&["PUBSUB", "NUMSUB", "flood"]);
    ctl.check(&["CLIENT", "LIST", "TYPE", "pubsub"]);
}

#[test]
fn paused_dataset_keeps_expired_keys() {
    let mut d = Diff::new();
    d.check(&["SET", "k", "v", "PX", "400"]);
    d.check(&["CLIENT", "PAUSE", "5000", "WRITE"]);
    std::thread::sleep(Duration::from_millis(800));
    // Logically expired, but neither lazy nor active expiry deletes it.
    d.check(&["DBSIZE"]);
    d.check(&["GET", "k"]);
    d.check(&["EXISTS", "k"]);
    d.check(&["DBSIZE"]);
    d.check(&["CLIENT", "UNPAUSE"]);
    std::thread::sleep(Duration::from_millis(500));
    d.check(&["DBSIZE"]);
}
