//! GET/SET through the executor (command lookup, checks, handler, stats), no sockets.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ember::{Bytes, Engine};

fn argv(parts: &[&str]) -> Vec<Bytes> {
    parts
        .iter()
        .map(|p| Bytes::copy_from_slice(p.as_bytes()))
        .collect()
}

fn executor(c: &mut Criterion) {
    let mut engine = Engine::builder().build();
    let id = engine.add_client();
    let sets: Vec<Vec<Bytes>> = (0..10_000)
        .map(|i| argv(&["SET", &format!("key:{i:06}"), "value"]))
        .collect();
    let gets: Vec<Vec<Bytes>> = (0..10_000)
        .map(|i| argv(&["GET", &format!("key:{i:06}")]))
        .collect();
    let mut g = c.benchmark_group("executor");
    g.throughput(Throughput::Elements(10_000));
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

criterion_group!(benches, executor);
criterion_main!(benches);
