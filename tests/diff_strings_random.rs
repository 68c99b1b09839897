//! Seeded random sequences of string commands (SET with every option, GETEX,
//! counters, APPEND, SETRANGE ...) on a small keyspace, compared with the real
//! redis-server reply by reply. Expiries are far from now or in the past, so
//! no reply depends on timing. `EMBER_SEED=<n>` runs one seed.

mod support;

use rand::rngs::SmallRng;
use rand::Rng;
use support::{gen, seeds};

fn key(rng: &mut SmallRng) -> String {
    gen::key(rng, "k", 6)
}

fn value(rng: &mut SmallRng) -> String {
    match rng.gen_range(0..6) {
        0 => gen::int(rng, -20, 20),
        1 => gen::pick(
            rng,
            &[
                "9223372036854775807",
                "-9223372036854775808",
                "01",
                "1.5",
                "",
                "-0",
            ],
        )
        .to_string(),
        2 => gen::int(rng, -1_000_000, 1_000_000),
        _ => gen::text(rng, 8),
    }
}

/// SET/GETEX expiry options: large TTLs, absolute times far in the future or
/// in the past, and invalid values, so that replies never depend on timing.
fn expire_opt(rng: &mut SmallRng, out: &mut Vec<String>) {
    let (opt, val) = match rng.gen_range(0..8) {
        0 => ("EX", gen::int(rng, 1000, 100_000)),
        1 => ("PX", gen::int(rng, 1_000_000, 100_000_000)),
        2 => ("EXAT", gen::int(rng, 3_000_000_000, 4_000_000_000)),
        3 => ("PXAT", gen::int(rng, 3_000_000_000_000, 4_000_000_000_000)),
        4 => ("EXAT", gen::int(rng, 1, 1_000_000)),
        5 => ("PXAT", gen::int(rng, 1, 1_000_000)),
        6 => (gen::pick(rng, &["EX", "PX"]), gen::int(rng, -2, 0)),
        _ => (
            "EX",
            gen::pick(rng, &["x", "1.5", "9223372036854775807"]).into(),
        ),
    };
    out.push(opt.into());
    out.push(val);
}

fn g_set(rng: &mut SmallRng) -> Vec<String> {
    let mut c = vec!["SET".into(), key(rng), value(rng)];
    for _ in 0..rng.gen_range(0..3) {
        match rng.gen_range(0..6) {
            0 => c.push("NX".into()),
            1 => c.push("XX".into()),
            2 => c.push("GET".into()),
            3 => c.push("KEEPTTL".into()),
            _ => expire_opt(rng, &mut c),
        }
    }
    c
}

fn g_read(rng: &mut SmallRng) -> Vec<String> {
    match rng.gen_range(0..5) {
        0 => vec!["GET".into(), key(rng)],
        1 => vec!["STRLEN".into(), key(rng)],
        2 => vec!["MGET".into(), key(rng), key(rng), key(rng)],
        3 => vec![
            gen::pick(rng, &["GETRANGE", "SUBSTR"]).into(),
            key(rng),
            gen::int(rng, -12, 12),
            gen::int(rng, -12, 12),
        ],
        _ => {
            let mut c = vec!["LCS".into(), key(rng), key(rng)];
            match rng.gen_range(0..4) {
                0 => c.push("LEN".into()),
                1 => c.extend(["IDX".into(), "WITHMATCHLEN".into()]),
                2 => c.extend(["IDX".into(), "MINMATCHLEN".into(), gen::int(rng, 0, 3)]),
                _ => {}
            }
            c
        }
    }
}

fn g_variants(rng: &mut SmallRng) -> Vec<String> {
    match rng.gen_range(0..8) {
        0 => vec!["SETNX".into(), key(rng), value(rng)],
        1 => vec![
            "SETEX".into(),
            key(rng),
            gen::int(rng, -1, 100_000),
            value(rng),
        ],
        2 => vec![
            "PSETEX".into(),
            key(rng),
            gen::int(rng, 0, 100_000_000),
            value(rng),
        ],
        3 => vec!["GETSET".into(), key(rng), value(rng)],
        4 => vec!["GETDEL".into(), key(rng)],
        5 => {
            let mut c = vec!["GETEX".into(), key(rng)];
            match rng.gen_range(0..3) {
                0 => c.push("PERSIST".into()),
                1 => expire_opt(rng, &mut c),
                _ => {}
            }
            c
        }
        6 => {
            let mut c = vec![gen::pick(rng, &["MSET", "MSETNX"]).into()];
            for _ in 0..rng.gen_range(1..4) {
                c.push(key(rng));
                c.push(value(rng));
            }
            c
        }
        _ => vec!["APPEND".into(), key(rng), gen::text(rng, 4)],
    }
}

fn g_edit(rng: &mut SmallRng) -> Vec<String> {
    match rng.gen_range(0..6) {
        0 => vec![
            "SETRANGE".into(),
            key(rng),
            gen::int(rng, -1, 12),
            gen::text(rng, 4),
        ],
        1 => vec!["INCR".into(), key(rng)],
        2 => vec!["DECR".into(), key(rng)],
        3 => vec!["INCRBY".into(), key(rng), gen::int(rng, -100, 100)],
        4 => vec!["DECRBY".into(), key(rng), value(rng)],
        _ => vec![
            "INCRBY".into(),
            key(rng),
            gen::pick(rng, &["9223372036854775807", "-9223372036854775808", "x"]).into(),
        ],
    }
}

#[test]
fn random_string_sequences() {
    let generators: &[support::Generator] = &[g_set, g_read, g_variants, g_edit];
    for seed in seeds(&[1, 2, 3]) {
        support::random_sequence(seed, 1000, generators);
    }
}
