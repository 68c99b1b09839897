//! Request parser and reply encoder micro-benchmarks.

use bytes::BytesMut;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ember_resp::{encode, BulkArray, BulkKind, Proto, Reply, RequestParser};

fn pipelined_sets(n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        let key = format!("key:{i:08}");
        v.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{}\r\n$3\r\nxxx\r\n",
                key.len(),
                key
            )
            .as_bytes(),
        );
    }
    v
}

fn parser(c: &mut Criterion) {
    let input = pipelined_sets(1000);
    let mut g = c.benchmark_group("parser");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("pipelined_set_x1000", |b| {
        b.iter(|| {
            let mut p = RequestParser::default();
            let mut buf = BytesMut::from(&input[..]);
            let mut n = 0;
            while let Some(args) = p.parse(&mut buf).unwrap() {
                n += args.len();
            }
            black_box(n)
        })
    });
    // As the server runs it: argument vectors handed back for reuse.
    g.bench_function("pipelined_set_x1000_recycled", |b| {
        let mut p = RequestParser::default();
        b.iter(|| {
            let mut buf = BytesMut::from(&input[..]);
            let mut n = 0;
            while let Some(args) = p.parse(&mut buf).unwrap() {
                n += args.len();
                p.recycle(args);
            }
            black_box(n)
        })
    });
    let inline: Vec<u8> = (0..1000)
        .flat_map(|i| format!("SET key:{i:08} xxx\r\n").into_bytes())
        .collect();
    g.bench_function("inline_set_x1000", |b| {
        let mut p = RequestParser::default();
        b.iter(|| {
            let mut buf = BytesMut::from(&inline[..]);
            let mut n = 0;
            while let Some(args) = p.parse(&mut buf).unwrap() {
                n += args.len();
                p.recycle(args);
            }
            black_box(n)
        })
    });
    let big = {
        let mut v = b"*3\r\n$5\r\nRPUSH\r\n$1\r\nk\r\n$2800000\r\n".to_vec();
        v.resize(v.len() + 2_800_000, b'x');
        v.extend_from_slice(b"\r\n");
        v
    };
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("big_arg_in_16k_reads", |b| {
        b.iter(|| {
            let mut p = RequestParser::default();
            let mut buf = BytesMut::new();
            let mut done = None;
            for chunk in big.chunks(16 * 1024) {
                buf.extend_from_slice(chunk);
                if let Some(args) = p.parse(&mut buf).unwrap() {
                    done = Some(args.len());
                }
            }
            black_box(done)
        })
    });
    g.finish();
}

fn encoder(c: &mut Criterion) {
    let replies: Vec<Reply> = (0..1000)
        .map(|i| Reply::bulk(format!("value:{i}")))
        .collect();
    let arr = Reply::Array(replies.clone());
    let mut g = c.benchmark_group("encoder");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("bulk_x1000", |b| {
        let mut out = Vec::with_capacity(64 * 1024);
        b.iter(|| {
            out.clear();
            for r in &replies {
                encode(r, Proto::Resp2, &mut out);
            }
            black_box(out.len())
        })
    });
    g.bench_function("array_1000_resp3", |b| {
        let mut out = Vec::with_capacity(64 * 1024);
        b.iter(|| {
            out.clear();
            encode(&arr, Proto::Resp3, &mut out);
            black_box(out.len())
        })
    });
    // LRANGE's path: build the reply from borrowed elements, encode, drop.
    let elems: Vec<Vec<u8>> = (0..1000)
        .map(|i| format!("value:{i}").into_bytes())
        .collect();
    g.bench_function("build_encode_array_of_bulks_1000", |b| {
        let mut out = Vec::with_capacity(64 * 1024);
        b.iter(|| {
            out.clear();
            let r = Reply::Array(elems.iter().map(Reply::bulk).collect());
            encode(&r, Proto::Resp2, &mut out);
            black_box(out.len())
        })
    });
    g.bench_function("build_encode_bulk_array_1000", |b| {
        let mut out = Vec::with_capacity(64 * 1024);
        b.iter(|| {
            out.clear();
            let mut ba = BulkArray::with_capacity(BulkKind::Array, elems.len(), 0);
            for e in &elems {
                ba.push(e);
            }
            encode(&Reply::BulkArray(ba), Proto::Resp2, &mut out);
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, parser, encoder);
criterion_main!(benches);
