//! Differential tests of client-side caching (CLIENT TRACKING / CACHING /
//! TRACKINGINFO / GETREDIR): the invalidation messages a tracking client
//! receives, byte for byte, as other connections (or it) change, flush,
//! expire and swap keys, in default, BCAST, OPTIN and OPTOUT modes, with
//! NOLOOP and with redirection to a RESP2 subscriber or a RESP3 client.

mod support;

use std::time::Duration;
use support::resp::{encode_command, escape, RawConn};
use support::Diff;

/// Quiet time that ends a read: replies and pushes of one step arrive well
/// within it on loopback.
const IDLE: Duration = Duration::from_millis(60);

/// One connection to each server.
struct Conn {
    redis: RawConn,
    ember: RawConn,
}

impl Conn {
    fn open(d: &Diff) -> Conn {
        let p = d.connect();
        Conn {
            redis: p.redis,
            ember: p.ember,
        }
    }

    /// Sends `args` to both servers (each its own `per_server` arguments when
    /// they must differ, e.g. client ids) and returns what each sent back
    /// until quiet: (redis, ember).
    fn send_each(&mut self, redis_args: &[&str], ember_args: &[&str]) -> (Vec<u8>, Vec<u8>) {
        self.redis.write_raw(&encode_command(redis_args));
        self.ember.write_raw(&encode_command(ember_args));
        self.read()
    }

    /// What arrived on both connections until quiet. On a busy machine one
    /// side can be slow: before a difference is called, both get more time.
    fn read(&mut self) -> (Vec<u8>, Vec<u8>) {
        let (mut r, mut e) = self.read_both(IDLE);
        if r != e {
            let (more_r, more_e) = self.read_both(Duration::from_millis(500));
            r.extend(more_r);
            e.extend(more_e);
        }
        (r, e)
    }

    /// Reads both connections at once (each until `idle` passes quietly),
    /// so a step waits out one quiet period rather than two.
    fn read_both(&mut self, idle: Duration) -> (Vec<u8>, Vec<u8>) {
        let (redis, ember) = (&mut self.redis, &mut self.ember);
        std::thread::scope(|s| {
            let r = s.spawn(|| redis.read_until_close(idle).0);
            let e = ember.read_until_close(idle).0;
            (r.join().expect("reader"), e)
        })
    }

    /// Sends `args` to both and asserts identical bytes back.
    fn check(&mut self, args: &[&str]) -> Vec<u8> {
        let (r, e) = self.send_each(args, args);
        assert_same(args, &r, &e);
        r
    }

    /// Sends `cmds` to both servers in one write and asserts identical
    /// bytes back.
    fn pipeline(&mut self, cmds: &[&[&str]]) -> Vec<u8> {
        let bytes: Vec<u8> = cmds.iter().flat_map(|c| encode_command(c)).collect();
        self.redis.write_raw(&bytes);
        self.ember.write_raw(&bytes);
        let (r, e) = self.read();
        assert_same(&[&format!("pipeline {cmds:?}")], &r, &e);
        r
    }

    /// Asserts both connections received the same bytes since the last read.
    fn expect_same(&mut self, what: &str) -> Vec<u8> {
        let (r, e) = self.read();
        assert_same(&[what], &r, &e);
        r
    }

    /// Both servers' client ids for this connection.
    fn ids(&mut self) -> (String, String) {
        let (r, e) = self.send_each(&["CLIENT", "ID"], &["CLIENT", "ID"]);
        let id = |b: Vec<u8>| String::from_utf8(b[1..b.len() - 2].to_vec()).unwrap();
        (id(r), id(e))
    }
}

fn assert_same(what: &[&str], r: &[u8], e: &[u8]) {
    assert!(
        r == e,
        "after {what:?}\n  redis: {}\n  ember: {}",
        escape(r),
        escape(e)
    );
}

fn resp3(d: &Diff) -> Conn {
    let mut c = Conn::open(d);
    c.send_each(&["HELLO", "3"], &["HELLO", "3"]);
    c
}

#[test]
fn tracking_options_and_errors_match_redis() {
    let d = Diff::new();
    let mut a = resp3(&d);
    for cmd in [
        &["CLIENT", "TRACKING"][..],
        &["CLIENT", "TRACKING", "maybe"],
        &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX"],
        &["CLIENT", "TRACKING", "on", "REDIRECT", "987654"],
        &["CLIENT", "TRACKING", "on", "REDIRECT", "x"],
        &["CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"],
        &["CLIENT", "TRACKING", "on", "BCAST", "OPTIN"],
        &["CLIENT", "TRACKING", "on", "PREFIX", "a"],
        &["CLIENT", "TRACKING", "on", "foo"],
        &["CLIENT", "TRACKING", "off", "foo"],
        &["CLIENT", "CACHING", "yes"],
        &["CLIENT", "CACHING"],
        &["CLIENT", "TRACKINGINFO"],
        &["CLIENT", "GETREDIR"],
        &[
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "ab",
        ],
        &[
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b", "PREFIX", "a", "NOLOOP",
        ],
        &["CLIENT", "TRACKINGINFO"],
        &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "abc"],
        &["CLIENT", "TRACKING", "on"],
        &["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c"],
        &["CLIENT", "TRACKINGINFO"],
        &["CLIENT", "GETREDIR"],
        &["CLIENT", "TRACKING", "off"],
        &["CLIENT", "TRACKING", "off"],
        &["CLIENT", "TRACKING", "on", "OPTIN"],
        &["CLIENT", "TRACKING", "on", "OPTOUT"],
        &["CLIENT", "CACHING", "no"],
        &["CLIENT", "CACHING", "maybe"],
        &["CLIENT", "CACHING", "yes"],
        &["CLIENT", "TRACKINGINFO"],
        &["CLIENT", "TRACKING", "off"],
        &["CLIENT", "TRACKING", "on", "OPTOUT", "NOLOOP"],
        &["CLIENT", "CACHING", "no"],
        &["CLIENT", "TRACKINGINFO"],
    ] {
        a.check(cmd);
    }
    // RESP2 shows TRACKINGINFO as flat arrays.
    let mut b = Conn::open(&d);
    b.check(&["CLIENT", "TRACKINGINFO"]);
    b.check(&["CLIENT", "TRACKING", "on", "BCAST"]);
    b.check(&["CLIENT", "TRACKINGINFO"]);
}

#[test]
fn default_mode_invalidations_match_redis() {
    let d = Diff::new();
    let mut a = resp3(&d);
    let mut b = Conn::open(&d);
    a.check(&["CLIENT", "TRACKING", "on"]);
    a.check(&["GET", "k"]);
    // Its own change: the message follows the reply.
    a.check(&["SET", "k", "1"]);
    a.check(&["GET", "k"]);
    b.check(&["SET", "k", "2"]);
    a.expect_same("invalidation of k");
    // Once told, the key is forgotten until read again.
    b.check(&["SET", "k", "3"]);
    a.expect_same("nothing");
    a.check(&["MGET", "k", "k2", "k3"]);
    a.check(&["MULTI"]);
    a.check(&["SET", "k", "3"]);
    a.check(&["INCR", "k2"]);
    a.check(&["EXEC"]);
    b.check(&["DEL", "k3"]);
    a.expect_same("k3 did not exist: nothing deleted");
    a.check(&["GET", "k"]);
    a.check(&["FLUSHDB"]);
    a.check(&["GET", "k"]);
    b.check(&["FLUSHALL"]);
    a.expect_same("flush: a null");
    // Keys are tracked by name across databases; SWAPDB tells nobody.
    a.check(&["GET", "k"]);
    b.check(&["SELECT", "1"]);
    b.check(&["SET", "k", "x"]);
    a.expect_same("db 1's k");
    a.check(&["GET", "k"]);
    b.check(&["SWAPDB", "0", "1"]);
    a.expect_same("swapdb");
    // Expiry and renames invalidate too.
    b.check(&["SELECT", "0"]);
    a.check(&["SET", "e", "1", "PX", "100"]);
    a.check(&["GET", "e"]);
    std::thread::sleep(Duration::from_millis(300));
    b.check(&["GET", "e"]);
    a.expect_same("expired e");
    a.check(&["MGET", "k", "k4"]);
    b.check(&["RENAME", "k", "k4"]);
    a.expect_same("rename");
    // A client that never asked for tracking gets nothing.
    b.check(&["GET", "k4"]);
    a.check(&["SET", "k4", "y"]);
    b.expect_same("b does not track");
    let stats = [
        "tracking_clients",
        "tracking_total_keys",
        "tracking_total_items",
    ];
    let (r, e) = b.send_each(&["INFO", "everything"], &["INFO", "everything"]);
    for field in stats {
        let value = |info: &[u8]| {
            String::from_utf8_lossy(info)
                .lines()
                .find(|l| l.starts_with(&format!("{field}:")))
                .map(str::to_string)
        };
        assert_eq!(value(&r), value(&e), "{field}");
    }
    let flags = |b: &[u8]| {
        let s = String::from_utf8_lossy(b).into_owned();
        let at = s.find(" flags=").unwrap();
        let redir = s.find(" redir=").unwrap();
        (
            s[at..].split(' ').nth(1).unwrap().to_string(),
            s[redir..].split(' ').nth(1).unwrap().to_string(),
        )
    };
    let (r, e) = a.send_each(&["CLIENT", "INFO"], &["CLIENT", "INFO"]);
    assert_eq!(flags(&r), flags(&e));
    a.check(&["RESET"]);
    a.check(&["CLIENT", "TRACKINGINFO"]);
}

#[test]
fn bcast_optin_optout_and_noloop_match_redis() {
    let d = Diff::new();
    let mut a = resp3(&d);
    let mut b = Conn::open(&d);
    a.check(&[
        "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "b", "NOLOOP",
    ]);
    b.check(&[
        "MSET", "a1", "1", "b2", "2", "c3", "3", "a0", "4", "a1", "5",
    ]);
    a.expect_same("one message per prefix, keys in order");
    a.check(&["SET", "a5", "5"]);
    a.check(&["SET", "b5", "5"]);
    a.expect_same("NOLOOP: nothing of its own");
    b.check(&["DEL", "a1", "nosuch"]);
    a.expect_same("del");
    a.check(&["CLIENT", "TRACKING", "off"]);

    a.check(&["CLIENT", "TRACKING", "on", "BCAST"]);
    a.check(&["SET", "x", "1"]);
    b.check(&["SET", "y", "1"]);
    a.expect_same("every key");
    // A pipeline's keys go out together once it has run (Redis: once per
    // event-loop turn), the writer's own message behind all its replies.
    a.pipeline(&[
        &["SET", "x", "2"],
        &["INCR", "n"],
        &["GET", "x"],
        &["DEL", "x"],
    ]);
    b.pipeline(&[
        &["SET", "y", "2"],
        &["SET", "z", "2"],
        &["MSET", "y", "3", "w", "3"],
    ]);
    a.expect_same("one message for b's pipeline");
    a.check(&["CLIENT", "TRACKING", "off"]);

    // OPTIN: only keys read right after CLIENT CACHING yes (other CLIENT
    // commands keep the choice; a transaction keeps it to its end).
    a.check(&["CLIENT", "TRACKING", "on", "OPTIN"]);
    a.check(&["GET", "o1"]);
    a.check(&["CLIENT", "CACHING", "yes"]);
    a.check(&["CLIENT", "GETREDIR"]);
    a.check(&["GET", "o2"]);
    a.check(&["GET", "o3"]);
    a.check(&["CLIENT", "CACHING", "yes"]);
    a.check(&["MULTI"]);
    a.check(&["GET", "o4"]);
    a.check(&["GET", "o5"]);
    a.check(&["EXEC"]);
    // An unknown CLIENT subcommand is no CLIENT command: the choice lapses.
    a.check(&["CLIENT", "CACHING", "yes"]);
    a.check(&["CLIENT", "NOSUCH"]);
    a.check(&["GET", "o6"]);
    // An arity error of a CLIENT subcommand keeps it.
    a.check(&["CLIENT", "CACHING", "yes"]);
    a.check(&["CLIENT", "GETREDIR", "x"]);
    a.check(&["GET", "o7"]);
    for k in ["o1", "o2", "o3", "o4", "o5", "o6", "o7"] {
        b.check(&["SET", k, "1"]);
    }
    a.expect_same("o2, o4, o5 and o7");
    a.check(&["CLIENT", "TRACKING", "off"]);

    // OPTOUT: every key but those read right after CLIENT CACHING no.
    a.check(&["CLIENT", "TRACKING", "on", "OPTOUT"]);
    a.check(&["CLIENT", "CACHING", "no"]);
    a.check(&["GET", "p1"]);
    a.check(&["GET", "p2"]);
    b.check(&["SET", "p1", "1"]);
    b.check(&["SET", "p2", "1"]);
    a.expect_same("p2 only");
}

#[test]
fn redirected_invalidations_match_redis() {
    let mut d = Diff::new();
    let mut sub = Conn::open(&d);
    let (rid, eid) = sub.ids();
    sub.check(&["SUBSCRIBE", "__redis__:invalidate"]);
    let mut a = Conn::open(&d);
    let mut b = Conn::open(&d);
    let (r, e) = a.send_each(
        &["CLIENT", "TRACKING", "on", "REDIRECT", &rid],
        &["CLIENT", "TRACKING", "on", "REDIRECT", &eid],
    );
    assert_same(&["CLIENT", "TRACKING", "on", "REDIRECT"], &r, &e);
    let (r, e) = a.send_each(&["CLIENT", "GETREDIR"], &["CLIENT", "GETREDIR"]);
    assert_eq!(
        (r, e),
        (
            format!(":{rid}\r\n").into_bytes(),
            format!(":{eid}\r\n").into_bytes()
        )
    );
    a.check(&["GET", "k"]);
    b.check(&["SET", "k", "1"]);
    sub.expect_same("a message on __redis__:invalidate");
    a.check(&["GET", "k"]);
    b.check(&["FLUSHALL"]);
    sub.expect_same("a flush: a null message");
    a.check(&["GET", "k"]);
    // The target goes away: the redirect is broken.
    let clients = b.redis.info_u64("clients", "connected_clients");
    drop(sub);
    d.wait_info("clients", "connected_clients", clients - 1);
    b.check(&["SET", "k", "2"]);
    a.expect_same("RESP2: no word of the broken redirect");
    let (r, e) = a.send_each(&["CLIENT", "TRACKINGINFO"], &["CLIENT", "TRACKINGINFO"]);
    let (r, e) = (String::from_utf8(r).unwrap(), String::from_utf8(e).unwrap());
    let same_id = |s: &str, id: &str| s.replace(&format!(":{id}\r\n"), ":ID\r\n");
    assert_eq!(same_id(&r, &rid), same_id(&e, &eid));
    assert!(r.contains("broken_redirect"), "{r}");

    // A RESP3 client whose target went away hears of it.
    let mut gone = Conn::open(&d);
    let (rid, eid) = gone.ids();
    let mut c = resp3(&d);
    c.send_each(
        &["CLIENT", "TRACKING", "on", "REDIRECT", &rid],
        &["CLIENT", "TRACKING", "on", "REDIRECT", &eid],
    );
    c.check(&["GET", "k"]);
    let clients = b.redis.info_u64("clients", "connected_clients");
    drop(gone);
    d.wait_info("clients", "connected_clients", clients - 1);
    b.check(&["SET", "k", "3"]);
    let (r, e) = c.read();
    let broken = |id: &str| format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{id}\r\n").into_bytes();
    assert_eq!((r, e), (broken(&rid), broken(&eid)));

    // A RESP3 target gets pushes.
    let mut target = resp3(&d);
    let (rid, eid) = target.ids();
    c.check(&["CLIENT", "TRACKING", "off"]);
    c.send_each(
        &["CLIENT", "TRACKING", "on", "REDIRECT", &rid],
        &["CLIENT", "TRACKING", "on", "REDIRECT", &eid],
    );
    c.check(&["GET", "k"]);
    b.check(&["SET", "k", "4"]);
    target.expect_same("a push on the target");
    c.expect_same("nothing on the tracking client");
}

#[test]
fn table_limit_invalidates_keys_as_redis_does() {
    let d = Diff::new();
    let mut a = resp3(&d);
    let mut b = Conn::open(&d);
    b.check(&["CONFIG", "SET", "tracking-table-max-keys", "2"]);
    a.check(&["CLIENT", "TRACKING", "on"]);
    a.check(&["GET", "k1"]);
    a.check(&["GET", "k2"]);
    // A third key pushes one out, told as an invalidation (which one is
    // random in Redis): both servers send exactly one message, from their
    // cron (every 100 ms), so wait out more than a tick.
    let (mut r, mut e) = a.send_each(&["GET", "k3"], &["GET", "k3"]);
    let (more_r, more_e) = a.read_both(Duration::from_millis(300));
    r.extend(more_r);
    e.extend(more_e);
    let count = |b: &[u8]| String::from_utf8_lossy(b).matches("invalidate").count();
    assert_eq!(
        (count(&r), count(&e)),
        (1, 1),
        "{} / {}",
        escape(&r),
        escape(&e)
    );
    b.check(&["CONFIG", "SET", "tracking-table-max-keys", "0"]);
}

#[test]
fn served_blocked_clients_and_idle_expiry_match_redis() {
    let d = Diff::new();
    let mut a = resp3(&d);
    let mut b = Conn::open(&d);
    a.check(&["CLIENT", "TRACKING", "on"]);
    a.check(&["LLEN", "dst"]);
    a.check(&["LLEN", "src"]);
    a.check(&["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]);
    // The push invalidates src (changed by b) at once; the served BLMOVE
    // changes dst as a's own command: that message follows its reply.
    b.check(&["RPUSH", "src", "x"]);
    let got = a.expect_same("src, the BLMOVE reply, then dst");
    assert_eq!(
        String::from_utf8_lossy(&got).matches("invalidate").count(),
        2
    );
    // The pusher tracks too: its own message follows its reply, and the
    // served client gets only its BLPOP reply.
    let mut c = resp3(&d);
    a.check(&["LLEN", "src2"]);
    c.check(&["BLPOP", "src2", "0"]);
    let got = a.check(&["RPUSH", "src2", "y"]);
    assert!(String::from_utf8_lossy(&got).ends_with("$4\r\nsrc2\r\n"));
    let got = c.expect_same("the BLPOP reply only");
    assert!(!String::from_utf8_lossy(&got).contains("invalidate"));
    a.check(&["CLIENT", "TRACKING", "off"]);

    // Keys expired by the server reach BCAST clients without any command.
    a.check(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "tmp:"]);
    b.check(&["SET", "tmp:1", "v", "PX", "400"]);
    a.expect_same("the SET");
    std::thread::sleep(Duration::from_millis(1000));
    let got = a.expect_same("tmp:1 expired on an idle server");
    assert!(String::from_utf8_lossy(&got).contains("tmp:1"));
}

/// A tracked key evicted while a command executes (CONFIG SET maxmemory)
/// is invalidated after that command's reply, as other changes a command
/// makes. (One evicted before a command runs is invalidated ahead of its
/// reply: `evict_tests` covers it, since this process's RSS is no limit to
/// place a key just over.)
#[test]
fn eviction_inside_a_command_invalidates_after_the_reply() {
    let d = Diff::new();
    let mut c = resp3(&d);
    c.check(&["CLIENT", "TRACKING", "on"]);
    c.check(&["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]);
    c.check(&["SET", "k", "v"]);
    c.check(&["GET", "k"]);
    c.check(&["CONFIG", "SET", "maxmemory", "1"]);
    c.check(&["CONFIG", "SET", "maxmemory", "0"]);
    c.check(&["DBSIZE"]);
}
