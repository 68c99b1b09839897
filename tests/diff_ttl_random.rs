//! Seeded random sequences of the commands that give, move, change or drop a
//! key's TTL (SET options, GETEX, EXPIRE* with NX/XX/GT/LT, PERSIST, RENAME,
//! MOVE, COPY, SWAPDB, DEL, expiry times in the past, DEBUG RELOAD), over
//! strings and collections in two databases, compared with the real
//! redis-server reply by reply; TTL and KEYS read the result back. Relative
//! TTLs are whole seconds far from now and absolute ones far in the future or
//! in the past. TTL rounds to the nearest second, so a TTL the two servers
//! are asked a moment apart may differ by one (`Cmp::TtlSeconds`). `EMBER_SEED=<n>` runs one seed.

mod support;

use rand::rngs::SmallRng;
use rand::Rng;
use support::{gen, seeds, Cmp, Diff};

fn key(rng: &mut SmallRng) -> String {
    gen::key(rng, "t", 12)
}

fn s(v: &str) -> String {
    v.to_string()
}

/// A relative TTL in seconds (or ms, whole seconds), far from expiring.
fn rel(rng: &mut SmallRng, ms: bool) -> String {
    let secs = rng.gen_range(1000..100_000i64);
    if ms {
        (secs * 1000).to_string()
    } else {
        secs.to_string()
    }
}

/// An absolute time (s or ms): far in the future, or in the past (the key
/// is deleted at once).
fn abs(rng: &mut SmallRng, ms: bool) -> String {
    let secs = if gen::chance(rng, 0.8) {
        rng.gen_range(3_000_000_000..4_000_000_000i64)
    } else {
        rng.gen_range(1..1_000_000i64)
    };
    if ms {
        (secs * 1000).to_string()
    } else {
        secs.to_string()
    }
}

fn g_create(rng: &mut SmallRng) -> Vec<String> {
    let k = key(rng);
    match rng.gen_range(0..6) {
        0 => vec![s("SET"), k, gen::text(rng, 6)],
        1 => vec![s("SET"), k, gen::text(rng, 6), s("EX"), rel(rng, false)],
        2 => vec![s("SET"), k, gen::text(rng, 20), s("PXAT"), abs(rng, true)],
        3 => vec![s("SET"), k, gen::text(rng, 6), s("KEEPTTL")],
        4 => vec![s("RPUSH"), k, s("a"), s("b")],
        _ => vec![s("SADD"), k, gen::int(rng, 0, 5)],
    }
}

fn g_ttl(rng: &mut SmallRng) -> Vec<String> {
    let k = key(rng);
    let mut c = match rng.gen_range(0..7) {
        0 => vec![s("EXPIRE"), k, rel(rng, false)],
        1 => vec![s("PEXPIRE"), k, rel(rng, true)],
        2 => vec![s("EXPIREAT"), k, abs(rng, false)],
        3 => vec![s("PEXPIREAT"), k, abs(rng, true)],
        4 => vec![s("PERSIST"), k],
        5 => vec![s("GETEX"), k, s("PERSIST")],
        _ => vec![s("GETEX"), k, s("EXAT"), abs(rng, false)],
    };
    let expire_cmd = c[0].ends_with("EXPIRE") || c[0].ends_with("EXPIREAT");
    if expire_cmd && gen::chance(rng, 0.4) {
        c.push(gen::pick(rng, &["NX", "XX", "GT", "LT"]).into());
    }
    c
}

fn g_move(rng: &mut SmallRng) -> Vec<String> {
    let (a, b) = (key(rng), key(rng));
    match rng.gen_range(0..9) {
        0 => vec![s("RENAME"), a, b],
        1 => vec![s("RENAMENX"), a, b],
        2 => vec![s("MOVE"), a, s("1")],
        3 => vec![s("COPY"), a, b],
        4 => vec![s("COPY"), a, b, s("DB"), s("1"), s("REPLACE")],
        5 => vec![s("SWAPDB"), s("0"), s("1")],
        6 => vec![s("DEL"), a, b],
        7 => vec![s("GETDEL"), a],
        _ => vec![s("UNLINK"), a],
    }
}

fn g_read(rng: &mut SmallRng) -> Vec<String> {
    match rng.gen_range(0..12) {
        0 => vec![s("SELECT"), gen::pick(rng, &["0", "1"]).into()],
        1 => vec![s("KEYS"), s("*")],
        2 => vec![s("DBSIZE")],
        // Rare: a whole save and load must keep every TTL.
        3 if gen::chance(rng, 0.1) => vec![s("DEBUG"), s("RELOAD")],
        4 => vec![s("EXISTS"), key(rng), key(rng)],
        _ => vec![s("TTL"), key(rng)],
    }
}

fn classify(cmd: &[String]) -> Cmp {
    if cmd[0] == "KEYS" {
        Cmp::Unordered
    } else if cmd[0] == "TTL" {
        Cmp::TtlSeconds
    } else {
        Cmp::Exact
    }
}

#[test]
fn random_ttl_sequences() {
    let generators: &[support::Generator] = &[g_create, g_ttl, g_move, g_read, g_read];
    for seed in seeds(&[11, 12, 13]) {
        // DEBUG RELOAD needs the debug command and, for Ember, a directory of
        // its own for the dump (Redis's is the test's temporary --dir).
        let dir = std::env::temp_dir().join(format!("ember-ttl-{}-{seed}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let config = ember::Config {
            save: vec![],
            enable_debug_command: "yes".into(),
            dir: dir.to_string_lossy().into_owned(),
            ..Default::default()
        };
        let mut d = Diff::with_config(&["--enable-debug-command", "yes"], config);
        // Keys set with a time in the past stay until something reclaims them:
        // with active expiry on, each server's cron would do so at its own
        // moment and DBSIZE would race. Lazy expiry alone is deterministic.
        d.check(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        d.random_sequence_by(seed, 1500, generators, classify);
        // Every key's TTL in both databases, read back at the end.
        for db in ["0", "1"] {
            d.check(&["SELECT", db]);
            let keys = d.check_unordered(&["KEYS", "*"]);
            for k in keys.items() {
                d.check_by(&[&b"TTL"[..], k.bytes().expect("a key")], Cmp::TtlSeconds);
            }
        }
        drop(d);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
