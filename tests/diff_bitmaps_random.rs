//! Seeded random sequences mixing bitmap commands (SETBIT GETBIT BITCOUNT
//! BITPOS BITOP BITFIELD BITFIELD_RO) with string commands on a few keys,
//! compared with the real redis-server reply by reply. `EMBER_SEED=<n>` runs
//! one seed.

mod support;

use rand::rngs::SmallRng;
use rand::Rng;
use support::{gen, seeds};

fn key(rng: &mut SmallRng) -> String {
    gen::key(rng, "k", 4)
}

fn bit_offset(rng: &mut SmallRng) -> String {
    match rng.gen_range(0..10) {
        0 => gen::int(rng, 0, 2000),
        1 => gen::pick(rng, &["-1", "4294967296", "x"]).into(),
        _ => gen::int(rng, 0, 200),
    }
}

fn g_setbit(rng: &mut SmallRng) -> Vec<String> {
    let v = if gen::chance(rng, 0.05) {
        "2"
    } else {
        gen::pick(rng, &["0", "1"])
    };
    vec!["SETBIT".into(), key(rng), bit_offset(rng), v.into()]
}

fn g_getbit(rng: &mut SmallRng) -> Vec<String> {
    vec!["GETBIT".into(), key(rng), bit_offset(rng)]
}

/// `start end [unit]` with indexes around the (small) lengths in play.
fn range(rng: &mut SmallRng, out: &mut Vec<String>, allow_lone_start: bool) {
    let bits = gen::chance(rng, 0.4);
    let lim = if bits { 300 } else { 40 };
    out.push(gen::int(rng, -lim, lim));
    if allow_lone_start && gen::chance(rng, 0.3) {
        return;
    }
    out.push(gen::int(rng, -lim, lim));
    match rng.gen_range(0..4) {
        0 => {}
        1 => out.push("BYTE".into()),
        _ if bits => out.push(gen::pick(rng, &["BIT", "bit"]).into()),
        _ => out.push("BYTE".into()),
    }
}

fn g_bitcount(rng: &mut SmallRng) -> Vec<String> {
    let mut c = vec!["BITCOUNT".into(), key(rng)];
    if gen::chance(rng, 0.8) {
        range(rng, &mut c, false);
    }
    c
}

fn g_bitpos(rng: &mut SmallRng) -> Vec<String> {
    let bit = if gen::chance(rng, 0.03) {
        "2"
    } else {
        gen::pick(rng, &["0", "1"])
    };
    let mut c = vec!["BITPOS".into(), key(rng), bit.into()];
    if gen::chance(rng, 0.8) {
        range(rng, &mut c, true);
    }
    c
}

fn g_bitop(rng: &mut SmallRng) -> Vec<String> {
    let op = gen::pick(rng, &["AND", "OR", "XOR", "NOT"]);
    let n = if op == "NOT" { 1 } else { rng.gen_range(1..=4) };
    let mut c = vec!["BITOP".into(), op.into(), key(rng)];
    c.extend((0..n).map(|_| key(rng)));
    c
}

fn field_type(rng: &mut SmallRng) -> String {
    match rng.gen_range(0..8) {
        0 => gen::pick(rng, &["i64", "u63", "i1", "u1"]).into(),
        1 => format!("u{}", rng.gen_range(1..=63)),
        _ => format!("{}{}", gen::pick(rng, &["i", "u"]), rng.gen_range(1..=16)),
    }
}

fn field_value(rng: &mut SmallRng) -> String {
    match rng.gen_range(0..6) {
        0 => gen::pick(
            rng,
            &[
                "9223372036854775807",
                "-9223372036854775808",
                "-1",
                "0",
                "255",
                "-128",
            ],
        )
        .into(),
        1 => gen::int(rng, i64::MIN / 2, i64::MAX / 2),
        _ => gen::int(rng, -300, 300),
    }
}

fn bitfield_ops(rng: &mut SmallRng, c: &mut Vec<String>, writes: bool) {
    for _ in 0..rng.gen_range(1..=4) {
        if writes && gen::chance(rng, 0.25) {
            c.push("OVERFLOW".into());
            c.push(gen::pick(rng, &["WRAP", "SAT", "FAIL"]).into());
        }
        let op = if writes {
            gen::pick(rng, &["GET", "SET", "INCRBY"])
        } else {
            "GET"
        };
        c.push(op.into());
        c.push(field_type(rng));
        c.push(if gen::chance(rng, 0.2) {
            format!("#{}", rng.gen_range(0..20))
        } else {
            gen::int(rng, 0, 180)
        });
        if op != "GET" {
            c.push(field_value(rng));
        }
    }
}

fn g_bitfield(rng: &mut SmallRng) -> Vec<String> {
    let mut c = vec!["BITFIELD".into(), key(rng)];
    bitfield_ops(rng, &mut c, true);
    c
}

fn g_bitfield_ro(rng: &mut SmallRng) -> Vec<String> {
    let mut c = vec!["BITFIELD_RO".into(), key(rng)];
    bitfield_ops(rng, &mut c, false);
    c
}

fn g_strings(rng: &mut SmallRng) -> Vec<String> {
    match rng.gen_range(0..5) {
        0 => vec!["SET".into(), key(rng), gen::text(rng, 12)],
        1 => vec!["SET".into(), key(rng), gen::int(rng, -100000, 100000)],
        2 => vec!["APPEND".into(), key(rng), gen::text(rng, 5)],
        3 => vec!["STRLEN".into(), key(rng)],
        _ => vec!["GET".into(), key(rng)],
    }
}

#[test]
fn random_bitmap_sequences() {
    let generators: &[support::Generator] = &[
        g_setbit,
        g_setbit,
        g_getbit,
        g_bitcount,
        g_bitpos,
        g_bitpos,
        g_bitop,
        g_bitfield,
        g_bitfield,
        g_bitfield_ro,
        g_strings,
        g_strings,
    ];
    for seed in seeds(&[1, 2, 3, 4]) {
        support::random_sequence(seed, 1500, generators);
    }
}
