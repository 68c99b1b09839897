//! Commands through the executor (command lookup, checks, handler, stats), no
//! sockets: GET/SET/INCR, LPUSH, ZADD and LRANGE (encoded, as the server sends
//! it), plus glob matching (KEYS, SCAN MATCH, PSUBSCRIBE, ACL patterns).
//!
//! `cargo bench --bench executor`; `cargo test --benches` runs each once (CI).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ember::{Bytes, Engine};
use ember_core::glob::glob_match;

const N: usize = 10_000;

fn argv(parts: &[&str]) -> Vec<Bytes> {
    parts
        .iter()
        .map(|p| Bytes::copy_from_slice(p.as_bytes()))
        .collect()
}

fn many(f: impl Fn(usize) -> Vec<String>) -> Vec<Vec<Bytes>> {
    (0..N)
        .map(|i| {
            let parts = f(i);
            argv(&parts.iter().map(String::as_str).collect::<Vec<_>>())
        })
        .collect()
}

fn strings(c: &mut Criterion) {
    let mut engine = Engine::builder().build();
    let id = engine.add_client();
    let sets = many(|i| vec!["SET".into(), format!("key:{i:06}"), "value".into()]);
    let gets = many(|i| vec!["GET".into(), format!("key:{i:06}")]);
    let incrs = many(|i| vec!["INCR".into(), format!("counter:{}", i % 100)]);
    let mut g = c.benchmark_group("executor");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("set_x10000", |b| {
        b.iter(|| {
            for a in &sets {
                black_box(engine.execute(id, a));
            }
        })
    });
    g.bench_function("get_x10000", |b| {
        b.iter(|| {
            for a in &gets {
                black_box(engine.execute(id, a));
            }
        })
    });
    g.bench_function("incr_x10000", |b| {
        b.iter(|| {
            for a in &incrs {
                black_box(engine.execute(id, a));
            }
        })
    });
    let mut out = Vec::with_capacity(1 << 20);
    g.bench_function("get_encoded_x10000", |b| {
        b.iter(|| {
            out.clear();
            for a in &gets {
                engine.execute_into(id, a, &mut out);
            }
            black_box(out.len())
        })
    });
    g.finish();
}

fn collections(c: &mut Criterion) {
    let mut engine = Engine::builder().build();
    let id = engine.add_client();
    let lpush = many(|i| {
        vec![
            "LPUSH".into(),
            format!("list:{}", i % 16),
            format!("element:{i}"),
        ]
    });
    let zadd = many(|i| {
        vec![
            "ZADD".into(),
            format!("zset:{}", i % 16),
            format!("{}", (i * 7919) % 10_000),
            format!("member:{i}"),
        ]
    });
    let mut g = c.benchmark_group("executor");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("lpush_x10000", |b| {
        b.iter(|| {
            // Fresh lists each time: the benchmark measures pushes, not growth.
            engine.execute(id, &argv(&["FLUSHALL"]));
            for a in &lpush {
                black_box(engine.execute(id, a));
            }
        })
    });
    g.bench_function("zadd_x10000", |b| {
        b.iter(|| {
            engine.execute(id, &argv(&["FLUSHALL"]));
            for a in &zadd {
                black_box(engine.execute(id, a));
            }
        })
    });
    // LRANGE 0 599 of a 600-element list, encoded (redis-benchmark's LRANGE_600).
    engine.execute(id, &argv(&["FLUSHALL"]));
    for i in 0..600 {
        engine.execute(id, &argv(&["RPUSH", "mylist", &format!("{i:03}")]));
    }
    let lrange = argv(&["LRANGE", "mylist", "0", "599"]);
    let mut out = Vec::with_capacity(1 << 16);
    g.throughput(Throughput::Elements(600));
    g.bench_function("lrange_600_encoded", |b| {
        b.iter(|| {
            out.clear();
            engine.execute_into(id, &lrange, &mut out);
            black_box(out.len())
        })
    });
    g.finish();
}

fn glob(c: &mut Criterion) {
    let keys: Vec<Vec<u8>> = (0..N)
        .map(|i| format!("user:{i}:profile:{}", i % 7).into_bytes())
        .collect();
    let patterns: &[(&str, &[u8])] = &[
        ("star", b"*"),
        ("prefix", b"user:*"),
        ("infix", b"user:*:profile:3"),
        ("class", b"user:[0-4]?*:profile:[^0]"),
        ("many_stars", b"*u*s*e*r*:*9*:*p*"),
    ];
    let mut g = c.benchmark_group("glob");
    g.throughput(Throughput::Elements(N as u64));
    for (name, pat) in patterns {
        g.bench_function(*name, |b| {
            b.iter(|| keys.iter().filter(|k| glob_match(pat, k, false)).count())
        });
    }
    g.bench_function("nocase_prefix", |b| {
        b.iter(|| {
            keys.iter()
                .filter(|k| glob_match(b"USER:1*", k, true))
                .count()
        })
    });
    // The CVE-2022-36021 shape: must stay linear, not exponential.
    let long = vec![b'a'; 2000];
    g.throughput(Throughput::Elements(1));
    g.bench_function("pathological", |b| {
        b.iter(|| glob_match(b"a*a*a*a*a*a*a*a*a*a*b", black_box(&long), false))
    });
    g.finish();
}

criterion_group!(benches, strings, collections, glob);
criterion_main!(benches);
