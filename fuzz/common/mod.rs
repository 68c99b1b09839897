//! Shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and the bounded
//! seeded run in the normal test suite (`tests/fuzz_seeded.rs`): argument
//! vectors drawn from the command table with hostile arguments, protocol
//! inputs (valid, mutated, random), a driver that runs commands on an
//! in-process engine the way a front end would, and the parser check.
//!
//! Randomness comes through [`Entropy`]: libFuzzer's input bytes
//! ([`ByteSource`]) or a seeded RNG, so one generator serves both.
#![allow(dead_code)]

pub mod persist;

use bytes::{Bytes, BytesMut};
use ember_core::{ClientId, Config, Engine, ManualClock};
use ember_resp::RequestParser;
use std::sync::Arc;

/// A source of choices; `None` once exhausted (ends generation).
pub trait Entropy {
    fn next_u32(&mut self) -> Option<u32>;

    fn below(&mut self, n: usize) -> Option<usize> {
        Some(if n <= 1 {
            0
        } else {
            self.next_u32()? as usize % n
        })
    }

    fn chance(&mut self, one_in: u32) -> Option<bool> {
        Some(self.next_u32()? % one_in.max(1) == 0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = self.below(items.len())?;
        items.get(i)
    }
}

/// libFuzzer's input as a stream of choices (one byte each: inputs stay
/// small and mutations stay local).
pub struct ByteSource<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> ByteSource<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        ByteSource { data, pos: 0 }
    }

    /// The rest of the input as raw bytes (up to `max`).
    pub fn bytes(&mut self, max: usize) -> &'a [u8] {
        let end = (self.pos + max).min(self.data.len());
        let s = &self.data[self.pos..end];
        self.pos = end;
        s
    }
}

impl Entropy for ByteSource<'_> {
    fn next_u32(&mut self) -> Option<u32> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b as u32)
    }
}

// ---------------------------------------------------------------------------
// Arguments

/// Keys created by [`Driver::populate`], one per type and encoding.
pub const KEYS: &[&str] = &[
    "str", "int", "bigstr", "list", "biglist", "set", "intset", "bigset", "hash", "bighash",
    "zset", "bigzset", "bitmap", "volatile", "missing", "k1", "k2", "{t}a", "{t}b", "",
];

const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "5",
    "7",
    "10",
    "16",
    "63",
    "64",
    "100",
    "128",
    "255",
    "256",
    "1000",
    "4096",
    "65536",
    "100000",
    "-2",
    "-10",
    "-100",
    "-1000",
    "-100000",
    "2147483647",
    "-2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "-9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "99999999999999999999999",
    "007",
    "+1",
    " 1",
    "1 ",
    "0x10",
    "1e3",
    "",
];

const FLOATS: &[&str] = &[
    "0",
    "1.5",
    "-1.5",
    "0.1",
    "-0.0",
    "3.0e2",
    "1e308",
    "1e309",
    "-1e309",
    "1e-320",
    "1.7976931348623157e308",
    "inf",
    "-inf",
    "+inf",
    "INF",
    "infinity",
    "nan",
    "NaN",
    "-nan",
    "1.",
    ".5",
    "1e",
    "--1",
    "0x1p3",
    "5.0000000000000000001",
];

const WORDS: &[&str] = &[
    "NX",
    "XX",
    "GT",
    "LT",
    "CH",
    "INCR",
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "KEEPTTL",
    "GET",
    "PERSIST",
    "WITHSCORES",
    "WITHSCORE",
    "LIMIT",
    "BYSCORE",
    "BYLEX",
    "REV",
    "COUNT",
    "MATCH",
    "TYPE",
    "LEFT",
    "RIGHT",
    "BEFORE",
    "AFTER",
    "WITHVALUES",
    "MIN",
    "MAX",
    "SUM",
    "AGGREGATE",
    "WEIGHTS",
    "STORE",
    "IDX",
    "LEN",
    "MINMATCHLEN",
    "WITHMATCHLEN",
    "ANY",
    "RANK",
    "MAXLEN",
    "ASYNC",
    "SYNC",
    "REPLACE",
    "DB",
    "ABSTTL",
    "IDLETIME",
    "FREQ",
    "BIT",
    "BYTE",
    "AND",
    "OR",
    "XOR",
    "NOT",
    "OVERFLOW",
    "WRAP",
    "SAT",
    "FAIL",
    "u8",
    "i64",
    "u63",
    "i1",
    "u0",
    "#1",
    "ON",
    "OFF",
    "SKIP",
    "YES",
    "NO",
    "ID",
    "KILL",
    "USER",
    "ADDR",
    "LADDR",
    "SKIPME",
    "MAXAGE",
    "SETNAME",
    "GETNAME",
    "LIST",
    "INFO",
    "RESET",
    "HELP",
    "SET",
    "GETRANGE",
    "ENCODING",
    "REFCOUNT",
    "STRING",
    "list",
    "hash",
    "zset",
    "none",
    "3",
    "2",
    "AUTH",
    "default",
    "NOW",
    "ALL",
    "WRITE",
    "FLUSH",
    "DOCS",
    "maxmemory",
    "maxmemory-policy",
    "allkeys-lru",
    "notify-keyspace-events",
    "KEA",
    "hz",
    "*",
    "save",
    "appendonly",
    "lazyfree-lazy-eviction",
    "list-max-listpack-size",
    "hash-max-listpack-entries",
    "set-max-intset-entries",
    "zset-max-listpack-entries",
    "timeout",
];

const RANGES: &[&str] = &[
    "-", "+", "[a", "(a", "[", "(", "(1", "[1", "(-inf", "+inf", "-inf", "(+inf", "a", "[\x00",
    "(\u{ff}",
];

const PATTERNS: &[&str] = &[
    "*",
    "?",
    "a*",
    "*a*",
    "[a-z]*",
    "[^a]",
    "[a-",
    "\\",
    "\\*",
    "[\\]]",
    "*?*?*?*?*?*?*?*x",
    "[",
    "]",
    "[]",
    "[!a]",
    "**********************************b",
];

/// One argument: a key, number, float, keyword, range, pattern or string.
pub fn gen_arg(e: &mut impl Entropy) -> Option<Vec<u8>> {
    Some(match e.below(10)? {
        0 | 1 => e.pick(KEYS)?.as_bytes().to_vec(),
        2 | 3 => e.pick(INTS)?.as_bytes().to_vec(),
        4 => e.pick(FLOATS)?.as_bytes().to_vec(),
        5 | 6 => e.pick(WORDS)?.as_bytes().to_vec(),
        7 => e.pick(RANGES)?.as_bytes().to_vec(),
        8 => e.pick(PATTERNS)?.as_bytes().to_vec(),
        _ => gen_string(e)?,
    })
}

/// Short binary strings mostly; sometimes long ones.
pub fn gen_string(e: &mut impl Entropy) -> Option<Vec<u8>> {
    let len = match e.below(16)? {
        0 => 0,
        1 => 1000 + e.below(4000)?,
        2 if e.chance(8)? => 40_000 + e.below(40_000)?,
        _ => e.below(24)?,
    };
    let fill = e.next_u32()? as u8;
    let mut s = vec![fill; len];
    // A few random bytes (NUL, CR/LF, high bytes) in otherwise uniform text.
    for _ in 0..len.min(8) {
        let i = e.below(len)?;
        s[i] = e.next_u32()? as u8;
    }
    Some(s)
}

/// A command to call: its name words, arity and key positions.
#[derive(Clone, Debug)]
pub struct Spec {
    pub parts: Vec<&'static str>,
    pub arity: i32,
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
}

/// Every command, and every subcommand of containers.
pub fn command_names(engine: &Engine) -> Vec<Spec> {
    let mut names = Vec::new();
    let spec = |parts: Vec<&'static str>, c: &ember_core::Command| Spec {
        parts,
        arity: c.arity,
        first_key: c.first_key,
        last_key: c.last_key,
        step: c.step,
    };
    for cmd in engine.table.iter() {
        if cmd.handler.is_some() || cmd.subcommands.is_empty() {
            names.push(spec(vec![cmd.name], cmd));
        }
        for sub in &cmd.subcommands {
            names.push(spec(vec![cmd.name, sub.name], sub));
        }
    }
    names.sort_by(|a, b| a.parts.cmp(&b.parts));
    names
}

/// A random argument vector: a command from the table (case mangled now and
/// then) with random arguments, usually as many as its arity asks for, and
/// keys where it expects keys.
pub fn gen_argv(e: &mut impl Entropy, names: &[Spec]) -> Option<Vec<Bytes>> {
    let spec = e.pick(names)?;
    let mut argv: Vec<Bytes> = Vec::new();
    for part in &spec.parts {
        let mut p = part.as_bytes().to_vec();
        if e.chance(3)? {
            p.make_ascii_uppercase();
        }
        argv.push(Bytes::from(p));
    }
    let min = spec.arity.unsigned_abs() as usize;
    let total = match e.below(8)? {
        0 => argv.len() + e.below(4)?,
        1 => argv.len() + e.below(24)?,
        _ if spec.arity > 0 => min,
        _ => min + e.below(5)?,
    };
    while argv.len() < total {
        let i = argv.len() as i32;
        let last = if spec.last_key < 0 {
            i32::MAX
        } else {
            spec.last_key
        };
        let is_key = spec.first_key > 0
            && i >= spec.first_key
            && i <= last
            && (i - spec.first_key) % spec.step.max(1) == 0;
        let arg = if is_key && !e.chance(8)? {
            e.pick(KEYS)?.as_bytes().to_vec()
        } else {
            gen_arg(e)?
        };
        argv.push(Bytes::from(arg));
    }
    Some(argv)
}

/// Commands the harness does not run: they would sleep, or allocate as much
/// as they are told (legitimately, as in Redis), which is no finding.
pub fn skip(argv: &[Bytes]) -> bool {
    let is = |i: usize, w: &str| {
        argv.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(w.as_bytes()))
    };
    let num = |i: usize| {
        argv.get(i)
            .and_then(|a| std::str::from_utf8(a).ok()?.trim().parse::<f64>().ok())
    };
    if is(0, "debug") {
        // SLEEP blocks; POPULATE makes as many keys (of any size) as asked.
        return is(1, "sleep")
            || (is(1, "populate")
                && (!matches!(num(2), Some(n) if n.abs() <= 1000.0)
                    || matches!(num(4), Some(n) if n.abs() > 10_000.0)));
    }
    // A fixed self-check (10 M elements) that reads no input past its name:
    // seconds per call in a debug build, and nothing for the fuzzer to reach.
    if is(0, "pfselftest") {
        return true;
    }
    // A negative count means "this many, with repetitions".
    if is(0, "srandmember") || is(0, "hrandfield") || is(0, "zrandmember") {
        return num(2).is_some_and(|n| n < -100_000.0);
    }
    // The protocol limit bounds the harness's own reads; leave it alone.
    if is(0, "config") && is(1, "set") {
        return argv
            .iter()
            .any(|a| a.eq_ignore_ascii_case(b"proto-max-bulk-len"));
    }
    false
}

// ---------------------------------------------------------------------------
// Driving an engine

/// An engine driven like a front end drives it: several clients, replies
/// encoded in each client's protocol, out-of-band output drained, time moved
/// and the cron run now and then, closed clients replaced.
pub struct Driver {
    pub engine: Engine,
    pub clock: ManualClock,
    pub names: Vec<Spec>,
    clients: Vec<ClientId>,
    out: Vec<u8>,
    steps: u64,
    /// Replies that were errors / not errors (how deep the inputs get).
    pub errors: u64,
    pub successes: u64,
}

impl Default for Driver {
    fn default() -> Self {
        Self::new()
    }
}

impl Driver {
    pub fn new() -> Driver {
        let clock = ManualClock::new(1_700_000_000_000);
        let config = Config {
            enable_debug_command: "yes".into(),
            ..Config::default()
        };
        let engine = Engine::builder()
            .config(config)
            .clock(Arc::new(clock.clone()))
            .build();
        let names = command_names(&engine);
        let mut d = Driver {
            engine,
            clock,
            names,
            clients: Vec::new(),
            out: Vec::new(),
            steps: 0,
            errors: 0,
            successes: 0,
        };
        for _ in 0..3 {
            let id = d.engine.add_client();
            d.clients.push(id);
        }
        d.populate();
        d
    }

    /// Back to a fresh state without building a new engine (building one
    /// leaks its command table, with the latency histograms of the commands
    /// that ran: ~5 MB once most have; runs reuse one engine).
    pub fn reset(&mut self) {
        for id in std::mem::take(&mut self.clients) {
            self.engine.remove_client(id);
        }
        self.engine.config = Config {
            enable_debug_command: "yes".into(),
            ..Config::default()
        };
        self.engine.notify_flags = 0;
        self.engine.pause = None;
        self.engine.shutdown = None;
        self.engine.is_replica = false;
        // Same random choices (SPOP, RANDOMKEY, eviction...) for the same input.
        self.engine.rng = rand::SeedableRng::seed_from_u64(0);
        for db in self.engine.dbs.iter_mut() {
            db.clear();
        }
        for _ in 0..3 {
            let id = self.engine.add_client();
            self.clients.push(id);
        }
        self.populate();
    }

    /// Keys of every type and encoding in databases 0 and 1.
    pub fn populate(&mut self) {
        // Just past the compact encodings' limits (listpack, intset: 128 entries).
        let big: Vec<String> = (0..130).map(|i| format!("m{i}")).collect();
        let mut cmds: Vec<Vec<String>> = vec![
            vec!["SET".into(), "str".into(), "hello world".into()],
            vec!["SET".into(), "int".into(), "12345".into()],
            vec!["SET".into(), "bigstr".into(), "x".repeat(5000)],
            vec![
                "RPUSH".into(),
                "list".into(),
                "a".into(),
                "b".into(),
                "1".into(),
                "c".into(),
            ],
            vec![
                "SADD".into(),
                "set".into(),
                "a".into(),
                "b".into(),
                "c".into(),
            ],
            vec![
                "SADD".into(),
                "intset".into(),
                "1".into(),
                "2".into(),
                "-3".into(),
            ],
            vec![
                "HSET".into(),
                "hash".into(),
                "f".into(),
                "v".into(),
                "n".into(),
                "1".into(),
            ],
            vec![
                "ZADD".into(),
                "zset".into(),
                "1".into(),
                "a".into(),
                "2.5".into(),
                "b".into(),
            ],
            vec!["SETBIT".into(), "bitmap".into(), "100".into(), "1".into()],
            vec![
                "SET".into(),
                "volatile".into(),
                "v".into(),
                "PX".into(),
                "5000".into(),
            ],
        ];
        let mut with = |cmd: &str, key: &str, per: &dyn Fn(&String) -> Vec<String>| {
            let mut c = vec![cmd.to_string(), key.to_string()];
            for m in &big {
                c.extend(per(m));
            }
            cmds.push(c);
        };
        with("RPUSH", "biglist", &|m| vec![m.clone()]);
        with("SADD", "bigset", &|m| vec![m.clone()]);
        with("HSET", "bighash", &|m| vec![m.clone(), m.clone()]);
        with("ZADD", "bigzset", &|m| vec![m[1..].to_string(), m.clone()]);
        let id = self.clients[0];
        // Database 1 gets a few keys (MOVE, SWAPDB, SELECT).
        self.engine.execute(id, &argv(&["SELECT", "1"]));
        for c in &cmds[..4] {
            let a: Vec<&str> = c.iter().map(String::as_str).collect();
            self.engine.execute(id, &argv(&a));
        }
        self.engine.execute(id, &argv(&["SELECT", "0"]));
        for c in &cmds {
            let a: Vec<&str> = c.iter().map(String::as_str).collect();
            self.engine.execute(id, &argv(&a));
        }
    }

    /// Runs one command (unless [`skip`]ped) as some client.
    pub fn step(&mut self, argv: &[Bytes], who: usize) {
        if argv.is_empty() || skip(argv) {
            return;
        }
        self.steps += 1;
        // A blocked client's front end submits nothing until it is served.
        let mut slot = who % self.clients.len();
        for _ in 0..self.clients.len() {
            if !self.engine.is_blocked(self.clients[slot]) {
                break;
            }
            slot = (slot + 1) % self.clients.len();
        }
        if self.engine.is_blocked(self.clients[slot]) {
            let id = self.engine.add_client();
            self.clients.push(id);
            slot = self.clients.len() - 1;
        }
        let id = self.clients[slot];
        self.out.clear();
        let keep = self.engine.execute_into(id, argv, &mut self.out);
        if std::env::var_os("EMBER_FUZZ_REPLIES").is_some() {
            let end = self
                .out
                .iter()
                .position(|&b| b == b'\r')
                .unwrap_or(self.out.len());
            eprintln!("  -> {}", String::from_utf8_lossy(&self.out[..end.min(70)]));
        }
        match self.out.first() {
            Some(b'-') => self.errors += 1,
            Some(_) => self.successes += 1,
            None => {}
        }
        if !keep {
            self.engine.remove_client(id);
            self.clients[slot] = self.engine.add_client();
        }
        // Output pushed to other clients (pub/sub, MONITOR, unblocked replies).
        for &c in &self.clients {
            drop(self.engine.take_pending(c));
        }
        if self.steps & 15 == 0 {
            self.clock.advance((self.steps % 7) as i64 * 300);
            self.engine.cron();
        }
        // Connections come and go: a client stuck in a mode (subscribed,
        // MULTI, CLIENT REPLY OFF) does not stay for the whole run.
        if self.steps & 63 == 0 {
            let slot = (self.steps / 64) as usize % self.clients.len();
            self.engine.remove_client(self.clients[slot]);
            self.clients[slot] = self.engine.add_client();
        }
        // A long CLIENT PAUSE would hold every later command (and during
        // PAUSE ALL even CLIENT UNPAUSE waits, as in Redis): lift it.
        if self.engine.pause.is_some() && self.steps & 7 == 0 {
            ember_core::cmd::pause::unpause(&mut self.engine);
        }
    }

    /// Runs the generated commands until the source runs out or `max` ran.
    pub fn run(&mut self, e: &mut impl Entropy, max: usize) {
        for _ in 0..max {
            let Some(who) = e.below(4) else { return };
            let Some(argv) = gen_argv(e, &self.names) else {
                return;
            };
            self.step(&argv, who);
        }
    }

    /// The server still answers: a fresh client gets PONG, DBSIZE and INFO
    /// (after undoing what would legitimately lock it out: a password, a pause).
    pub fn assert_alive(&mut self) {
        self.engine.config.requirepass.clear();
        ember_core::cmd::pause::unpause(&mut self.engine);
        let id = self.engine.add_client();
        let pong = self.engine.execute(id, &argv(&["PING"]));
        assert_eq!(pong, Some(ember_core::Reply::status("PONG")));
        assert!(matches!(
            self.engine.execute(id, &argv(&["DBSIZE"])),
            Some(ember_core::Reply::Integer(_))
        ));
        let mut out = Vec::new();
        assert!(self
            .engine
            .execute_into(id, &argv(&["INFO", "everything"]), &mut out));
        assert!(
            out.starts_with(b"$"),
            "INFO answered {:?}",
            &out[..out.len().min(80)]
        );
        self.engine.remove_client(id);
    }
}

pub fn argv(parts: &[&str]) -> Vec<Bytes> {
    parts
        .iter()
        .map(|p| Bytes::copy_from_slice(p.as_bytes()))
        .collect()
}

// ---------------------------------------------------------------------------
// Protocol

/// RESP encoding of a command, as clients send it.
pub fn encode(argv: &[Bytes], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
    for a in argv {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// What a parser made of an input: the commands, then the error (if any)
/// that ends the connection, and whether a command was left half-read.
#[derive(Debug, PartialEq)]
pub struct Parsed {
    pub commands: Vec<Vec<Bytes>>,
    pub error: Option<String>,
    pub in_progress: bool,
}

/// Parses `input` delivered in pieces cut at `cuts` (positions into it).
pub fn parse_in_pieces(input: &[u8], cuts: &[usize], unauthenticated: bool) -> Parsed {
    let mut p = RequestParser::new(1024 * 1024);
    p.set_unauthenticated(unauthenticated);
    let mut buf = BytesMut::new();
    let mut parsed = Parsed {
        commands: Vec::new(),
        error: None,
        in_progress: false,
    };
    let mut start = 0;
    let mut ends: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    ends.sort_unstable();
    ends.push(input.len());
    for end in ends {
        if end < start {
            continue;
        }
        buf.extend_from_slice(&input[start..end]);
        start = end;
        loop {
            match p.parse(&mut buf) {
                Ok(Some(cmd)) => parsed.commands.push(cmd),
                Ok(None) => break,
                Err(e) => {
                    parsed.error = Some(e.message().to_string());
                    return parsed;
                }
            }
        }
    }
    parsed.in_progress = p.in_progress() || !buf.is_empty();
    parsed
}

/// The parser property: the same input yields the same commands and error
/// however it is cut into reads (for inputs under the 64 KiB inline limit,
/// past which Redis too depends on read sizes). Returns the whole-input parse.
pub fn check_parser(input: &[u8], cuts: &[usize], unauthenticated: bool) -> Parsed {
    let whole = parse_in_pieces(input, &[], unauthenticated);
    if input.len() < ember_resp::INLINE_MAX_SIZE {
        let pieces = parse_in_pieces(input, cuts, unauthenticated);
        assert_eq!(whole, pieces, "cut at {cuts:?}");
    }
    whole
}

/// Protocol input: encoded commands, inline lines, then mutations.
pub fn gen_protocol(e: &mut impl Entropy, names: &[Spec]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for _ in 0..1 + e.below(4)? {
        match e.below(6)? {
            0 => {
                // Inline command with quoting.
                let argv = gen_argv(e, names)?;
                for (i, a) in argv.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    match e.below(3)? {
                        0 => {
                            out.push(b'"');
                            for &b in a.iter() {
                                out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
                            }
                            out.push(b'"');
                        }
                        1 => out.extend_from_slice(b"'a\\'b'"),
                        _ => out.extend(a.iter().filter(|b| !b" \r\n\"'".contains(b))),
                    }
                }
                out.extend_from_slice(if e.chance(2)? { b"\r\n" } else { b"\n" });
            }
            1 => {
                let n = e.below(64)?;
                for _ in 0..n {
                    out.push(e.next_u32()? as u8);
                }
            }
            _ => encode(&gen_argv(e, names)?, &mut out),
        }
    }
    // Mutations: each a typical protocol edge.
    for _ in 0..e.below(4)? {
        if out.is_empty() {
            break;
        }
        let i = e.below(out.len())?;
        match e.below(7)? {
            0 => out[i] = e.next_u32()? as u8,
            1 => out.truncate(i),
            2 => {
                let what: &[u8] = e.pick(&[
                    &b"*"[..],
                    b"$",
                    b"\r\n",
                    b"-1",
                    b"*-1\r\n",
                    b"$-1\r\n",
                    b"*0\r\n",
                    b"999999999999999999999",
                    b"*2147483648\r\n",
                    b"$536870913\r\n",
                    b"*11\r\n",
                    b"$16385\r\n",
                    b"\"",
                    b"\0",
                ])?;
                out.splice(i..i, what.iter().copied());
            }
            3 => {
                let j = i + e.below(out.len() - i)?;
                let dup = out[i..j].to_vec();
                out.splice(j..j, dup);
            }
            4 => {
                if out[i].is_ascii_digit() {
                    out[i] = b'0' + e.below(10)? as u8;
                }
            }
            5 => {
                out.remove(i);
            }
            _ => out.insert(i, b'\n'),
        }
    }
    Some(out)
}
