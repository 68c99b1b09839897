//! Round trips for every type and encoding, the legacy encodings built by
//! hand, and a bounded seeded fuzz over damaged input.

use super::*;
use crate::packed::ListpackBuilder;
use ember_core::types::list::End;
use ember_core::types::zset::AddFlags;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

fn enc() -> Encodings {
    Encodings::default()
}

fn round_trip(v: &Value) -> Value {
    let mut w = RdbWriter::new(Vec::new(), true);
    write_value(&mut w, v, &enc()).unwrap();
    let buf = w.into_inner();
    let mut r = RdbReader::with_len(&buf[..], buf.len() as u64);
    let ty = r.read_u8().unwrap();
    let back = read_value(&mut r, ty, &enc()).unwrap().expect("not empty");
    assert_eq!(r.position(), buf.len() as u64, "consumed exactly");
    back
}

fn check(v: Value) {
    let back = round_trip(&v);
    assert_eq!(back.encoding(), v.encoding(), "{v:?}");
    assert_eq!(back, v);
}

pub(crate) fn hash(n: usize, vlen: usize) -> Value {
    let mut h = HashValue::new();
    for i in 0..n {
        let v = format!("{i:0vlen$}");
        h.set(format!("f{i}").as_bytes(), v.as_bytes(), &enc().hash);
    }
    Value::Hash(h)
}

pub(crate) fn set(members: impl IntoIterator<Item = String>) -> Value {
    let mut s = SetValue::default();
    for m in members {
        s.add(m.as_bytes(), enc().set_max_intset);
    }
    Value::Set(Box::new(s))
}

pub(crate) fn zset(pairs: &[(String, f64)]) -> Value {
    let mut z = ZSetValue::default();
    for (m, s) in pairs {
        z.add(m.as_bytes(), *s, AddFlags::default(), enc().zset)
            .unwrap();
    }
    Value::ZSet(z)
}

pub(crate) fn list(items: impl IntoIterator<Item = Vec<u8>>) -> Value {
    Value::List(Box::new(ListValue::from_iter_with_fill(-2, items)))
}

#[test]
fn strings() {
    for s in [
        &b""[..],
        b"0",
        b"-1",
        b"127",
        b"-129",
        b"65536",
        b"-2147483648",
        b"9223372036854775807",
        b"012",
        b"hello",
        &[0u8, 255, 10, 13][..],
        &[b'z'; 21][..],
        &[b'q'; 5000][..],
    ] {
        check(Value::Str(StrValue::from_bytes(s)));
    }
    check(Value::Str(StrValue::from_int(i64::MIN)));
    let big: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    check(Value::Str(StrValue::from_vec(big)));
    // Raw (in-place modified) strings load back as created strings.
    let back = round_trip(&Value::Str(StrValue::raw(b"abc".to_vec())));
    assert_eq!(back, Value::Str(StrValue::from_vec(b"abc".to_vec())));
}

#[test]
fn hashes() {
    check(hash(1, 3));
    check(hash(512, 10));
    check(hash(513, 2));
    check(hash(3, 65));
    let mut h = HashValue::new();
    h.set(b"n", b"-5000", &enc().hash);
    h.set(b"1", b"\x00\xff", &enc().hash);
    h.set(b"", b"", &enc().hash);
    check(Value::Hash(h));
}

#[test]
fn sets() {
    check(set((0..10).map(|i| i.to_string())));
    check(set(
        [i64::MIN, -70000, 0, 40000, i64::MAX].map(|i| i.to_string())
    ));
    check(set((0..600).map(|i| i.to_string())));
    check(set(["a", "b", "1"].map(String::from)));
    check(set((0..1000).map(|i| format!("m{i}"))));
}

#[test]
fn zsets() {
    let small: Vec<(String, f64)> = vec![
        ("a".into(), 1.0),
        ("b".into(), -0.0),
        ("c".into(), 1.5),
        ("d".into(), f64::INFINITY),
        ("e".into(), f64::NEG_INFINITY),
        ("f".into(), 0.1),
        ("g".into(), 1e300),
        ("h".into(), -4503599627370495.0),
        ("i".into(), 4503599627370496.0),
        ("12".into(), 12.0),
    ];
    check(zset(&small));
    let big: Vec<(String, f64)> = (0..300)
        .map(|i| (format!("m{i}"), (i % 7) as f64 / 3.0))
        .collect();
    check(zset(&big));
    let long: Vec<(String, f64)> = vec![("x".repeat(100), 2.0), ("y".into(), 1.0)];
    check(zset(&long));
}

#[test]
fn lists() {
    check(list([b"a".to_vec()]));
    check(list((0..1000).map(|i| i.to_string().into_bytes())));
    check(list((0..100).map(|i| vec![b'x'; i * 37])));
    check(list([vec![b'y'; 20000], b"-1".to_vec(), Vec::new()]));
    // Positive fill: nodes by count.
    let mut w = RdbWriter::new(Vec::new(), false);
    let e = Encodings {
        list_fill: 3,
        ..enc()
    };
    let l = list((0..10).map(|i| i.to_string().into_bytes()));
    write_value(&mut w, &l, &e).unwrap();
    let buf = w.into_inner();
    assert_eq!(buf[1], 4, "10 elements in nodes of 3");
}

#[test]
fn empty_collections_read_as_none() {
    for (ty, body) in [
        (t::LIST, vec![0u8]),
        (t::SET, vec![0]),
        (t::HASH, vec![0]),
        (t::ZSET_2, vec![0]),
    ] {
        let mut r = RdbReader::new(&body[..]);
        assert!(read_value(&mut r, ty, &enc()).unwrap().is_none());
    }
}

fn wstring(w: &mut RdbWriter<Vec<u8>>, s: &[u8]) {
    w.write_len(s.len() as u64).unwrap();
    w.write_all(s).unwrap();
}

fn ziplist(items: &[&[u8]]) -> Vec<u8> {
    let mut zl = vec![0u8; 10];
    let mut prev = 0usize;
    for it in items {
        let start = zl.len();
        zl.push(prev as u8);
        if let Some(n) = ember_resp::num::parse_i64(it).filter(|n| (0..=12).contains(n)) {
            zl.push(0xf1 + n as u8);
        } else if let Some(n) = ember_resp::num::parse_i64(it).filter(|n| i16::try_from(*n).is_ok())
        {
            zl.push(0xc0);
            zl.extend_from_slice(&(n as i16).to_le_bytes());
        } else {
            zl.push(it.len() as u8);
            zl.extend_from_slice(it);
        }
        prev = zl.len() - start;
    }
    zl.push(0xff);
    let n = zl.len() as u32;
    zl[0..4].copy_from_slice(&n.to_le_bytes());
    zl[8..10].copy_from_slice(&(items.len() as u16).to_le_bytes());
    zl
}

fn read_blob(ty: u8, body: Vec<u8>) -> Result<Option<Value>> {
    let mut r = RdbReader::with_len(&body[..], body.len() as u64);
    read_value(&mut r, ty, &enc())
}

#[test]
fn legacy_encodings() {
    let mut w = RdbWriter::new(Vec::new(), false);
    wstring(&mut w, &ziplist(&[b"a", b"5", b"300", b"bc"]));
    let v = read_blob(t::LIST_ZIPLIST, w.into_inner()).unwrap().unwrap();
    assert_eq!(
        v,
        list([
            b"a".to_vec(),
            b"5".to_vec(),
            b"300".to_vec(),
            b"bc".to_vec()
        ])
    );

    // Quicklist v1: nodes are ziplists.
    let mut w = RdbWriter::new(Vec::new(), false);
    w.write_len(2).unwrap();
    wstring(&mut w, &ziplist(&[b"x", b"y"]));
    wstring(&mut w, &ziplist(&[b"7"]));
    let v = read_blob(t::LIST_QUICKLIST, w.into_inner())
        .unwrap()
        .unwrap();
    assert_eq!(v, list([b"x".to_vec(), b"y".to_vec(), b"7".to_vec()]));

    // Quicklist v2 with a plain node.
    let mut w = RdbWriter::new(Vec::new(), false);
    w.write_len(2).unwrap();
    w.write_len(1).unwrap();
    wstring(&mut w, b"plain");
    w.write_len(2).unwrap();
    let mut lp = ListpackBuilder::new();
    lp.push(b"packed");
    wstring(&mut w, &lp.finish());
    let v = read_blob(t::LIST_QUICKLIST_2, w.into_inner())
        .unwrap()
        .unwrap();
    assert_eq!(v, list([b"plain".to_vec(), b"packed".to_vec()]));

    // Plain list of strings (RDB_TYPE_LIST).
    let mut w = RdbWriter::new(Vec::new(), false);
    w.write_len(2).unwrap();
    w.write_string(b"p").unwrap();
    w.write_string(b"99").unwrap();
    let v = read_blob(t::LIST, w.into_inner()).unwrap().unwrap();
    assert_eq!(v, list([b"p".to_vec(), b"99".to_vec()]));

    // Zset and hash ziplists.
    let mut w = RdbWriter::new(Vec::new(), false);
    wstring(&mut w, &ziplist(&[b"b", b"2", b"a", b"1"]));
    let v = read_blob(t::ZSET_ZIPLIST, w.into_inner()).unwrap().unwrap();
    assert_eq!(v, zset(&[("a".into(), 1.0), ("b".into(), 2.0)]));
    let mut w = RdbWriter::new(Vec::new(), false);
    wstring(&mut w, &ziplist(&[b"f", b"v", b"g", b"12"]));
    let v = read_blob(t::HASH_ZIPLIST, w.into_inner()).unwrap().unwrap();
    let Value::Hash(h) = &v else { panic!() };
    assert_eq!(h.get(b"g"), Some(&b"12"[..]));
    assert_eq!(v.encoding(), "listpack");

    // Zipmap hash.
    let mut w = RdbWriter::new(Vec::new(), false);
    wstring(&mut w, &[1u8, 1, b'k', 2, 0, b'v', b'w', 0xff]);
    let v = read_blob(t::HASH_ZIPMAP, w.into_inner()).unwrap().unwrap();
    let Value::Hash(h) = &v else { panic!() };
    assert_eq!(h.get(b"k"), Some(&b"vw"[..]));

    // RDB_TYPE_ZSET: scores as text.
    let mut w = RdbWriter::new(Vec::new(), false);
    w.write_len(2).unwrap();
    w.write_string(b"m").unwrap();
    w.write_all(b"\x032.5").unwrap();
    w.write_string(b"n").unwrap();
    w.write_all(b"\xfe").unwrap();
    let v = read_blob(t::ZSET, w.into_inner()).unwrap().unwrap();
    assert_eq!(v, zset(&[("m".into(), 2.5), ("n".into(), f64::INFINITY)]));

    // Set of strings (with and without integers) and an intset blob.
    let mut w = RdbWriter::new(Vec::new(), false);
    w.write_len(2).unwrap();
    w.write_string(b"3").unwrap();
    w.write_string(b"1").unwrap();
    let v = read_blob(t::SET, w.into_inner()).unwrap().unwrap();
    assert_eq!(v.encoding(), "intset");
    assert_eq!(v, set(["1", "3"].map(String::from)));
}

#[test]
fn conversions_follow_redis_load_rules() {
    // A listpack hash with a long value stays a listpack (count checked only).
    let mut lp = ListpackBuilder::new();
    lp.push(b"f");
    lp.push(&[b'v'; 100]);
    let mut w = RdbWriter::new(Vec::new(), false);
    wstring(&mut w, &lp.finish());
    let v = read_blob(t::HASH_LISTPACK, w.into_inner())
        .unwrap()
        .unwrap();
    assert_eq!(v.encoding(), "listpack");
    // A plain hash with a long value converts.
    let mut w = RdbWriter::new(Vec::new(), false);
    w.write_len(1).unwrap();
    w.write_string(b"f").unwrap();
    w.write_string(&[b'v'; 100]).unwrap();
    let v = read_blob(t::HASH, w.into_inner()).unwrap().unwrap();
    assert_eq!(v.encoding(), "hashtable");
    // An intset over set-max-intset-entries converts.
    let ints: Vec<i64> = (0..600).collect();
    let mut w = RdbWriter::new(Vec::new(), false);
    wstring(&mut w, &packed::intset_blob(&ints));
    let v = read_blob(t::SET_INTSET, w.into_inner()).unwrap().unwrap();
    assert_eq!(v.encoding(), "hashtable");
    // A small skiplist zset converts to listpack after loading.
    let mut w = RdbWriter::new(Vec::new(), false);
    w.write_len(1).unwrap();
    w.write_string(b"m").unwrap();
    w.write_binary_double(3.0).unwrap();
    let v = read_blob(t::ZSET_2, w.into_inner()).unwrap().unwrap();
    assert_eq!(v.encoding(), "listpack");
}

#[test]
fn corrupt_values_are_errors() {
    let dup_set = {
        let mut w = RdbWriter::new(Vec::new(), false);
        w.write_len(2).unwrap();
        w.write_string(b"a").unwrap();
        w.write_string(b"a").unwrap();
        w.into_inner()
    };
    assert!(read_blob(t::SET, dup_set).is_err());
    let nan_zset = {
        let mut w = RdbWriter::new(Vec::new(), false);
        w.write_len(1).unwrap();
        w.write_string(b"a").unwrap();
        w.write_binary_double(f64::NAN).unwrap();
        w.into_inner()
    };
    assert!(read_blob(t::ZSET_2, nan_zset).is_err());
    let dup_zset = {
        let mut w = RdbWriter::new(Vec::new(), false);
        w.write_len(2).unwrap();
        for s in [1.0, 2.0] {
            w.write_string(b"a").unwrap();
            w.write_binary_double(s).unwrap();
        }
        w.into_inner()
    };
    assert!(read_blob(t::ZSET_2, dup_zset).is_err());
    let dup_hash = {
        let mut lp = ListpackBuilder::new();
        for s in [b"f", b"1", b"f", b"2"] {
            lp.push(s);
        }
        let mut w = RdbWriter::new(Vec::new(), false);
        wstring(&mut w, &lp.finish());
        w.into_inner()
    };
    assert!(read_blob(t::HASH_LISTPACK, dup_hash).is_err());
    let odd = {
        let mut lp = ListpackBuilder::new();
        lp.push(b"lonely");
        let mut w = RdbWriter::new(Vec::new(), false);
        wstring(&mut w, &lp.finish());
        w.into_inner()
    };
    assert!(read_blob(t::ZSET_LISTPACK, odd.clone()).is_err());
    assert!(read_blob(t::HASH_LISTPACK, odd).is_err());
    assert!(matches!(
        read_blob(t::STREAM_LISTPACKS, vec![0]),
        Err(RdbError::Unsupported(_))
    ));
    assert!(matches!(
        read_blob(t::MODULE_2, vec![0]),
        Err(RdbError::Unsupported(_))
    ));
    assert!(read_blob(8, vec![0]).is_err());
    assert!(read_blob(42, vec![0]).is_err());
    // A list claiming 2^60 elements with 3 bytes of input.
    let huge = vec![0x81, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x01, b'a'];
    assert!(read_blob(t::LIST, huge.clone()).is_err());
    assert!(read_blob(t::SET, huge.clone()).is_err());
    assert!(read_blob(t::HASH, huge.clone()).is_err());
    assert!(read_blob(t::ZSET_2, huge.clone()).is_err());
    assert!(read_blob(t::LIST_QUICKLIST_2, huge).is_err());
}

/// Serialized values of every kind, as fuzz seeds.
pub(crate) fn seeds() -> Vec<Vec<u8>> {
    let values = vec![
        Value::Str(StrValue::from_bytes(
            b"hello world, hello world, hello world",
        )),
        Value::Str(StrValue::from_int(-12345)),
        hash(5, 3),
        hash(600, 2),
        set((0..20).map(|i| i.to_string())),
        set(["x", "y"].map(String::from)),
        zset(&[("a".into(), 1.5), ("b".into(), 2.0)]),
        zset(
            &(0..200)
                .map(|i| (format!("m{i}"), i as f64))
                .collect::<Vec<_>>(),
        ),
        list((0..50).map(|i| format!("element-{i}").into_bytes())),
    ];
    values
        .iter()
        .map(|v| {
            let mut w = RdbWriter::new(Vec::new(), true);
            write_value(&mut w, v, &enc()).unwrap();
            w.into_inner()
        })
        .collect()
}

/// Flips, overwrites, inserts or deletes a few bytes.
pub(crate) fn mutate(rng: &mut SmallRng, data: &mut Vec<u8>) {
    for _ in 0..rng.gen_range(1..4) {
        if data.is_empty() {
            data.push(rng.gen());
            continue;
        }
        let i = rng.gen_range(0..data.len());
        match rng.gen_range(0..5) {
            0 => data[i] ^= 1 << rng.gen_range(0..8),
            1 => data[i] = rng.gen(),
            2 => data[i] = [0x00, 0x7f, 0x80, 0xc0, 0xc3, 0xf0, 0xfe, 0xff][rng.gen_range(0..8)],
            3 => data.insert(i, rng.gen()),
            _ => {
                data.truncate(i);
            }
        }
    }
}

#[test]
fn fuzzed_values_never_panic() {
    let mut rng = SmallRng::seed_from_u64(0x5eed);
    let seeds = seeds();
    for round in 0..1200 {
        let mut data = seeds[round % seeds.len()].clone();
        mutate(&mut rng, &mut data);
        let mut r = RdbReader::with_len(&data[..], data.len() as u64);
        if let Ok(ty) = r.read_u8() {
            let _ = read_value(&mut r, ty, &enc());
        }
        // Unbounded input (a stream): the same must hold.
        let mut r = RdbReader::new(&data[..]);
        if let Ok(ty) = r.read_u8() {
            let _ = read_value(&mut r, ty, &enc());
        }
    }
}

#[test]
fn list_push_api_used_by_loader() {
    let mut l = ListValue::with_fill(-2);
    l.push(End::Tail, b"a");
    assert_eq!(l.len(), 1);
}

#[test]
fn duplicates_are_found_at_every_size_and_encoding() {
    // Plain hashes: a repeat among a few fields (pairwise), among a listpack's
    // worth (sorted check), across the listpack -> hashtable conversion, and
    // inside a hashtable; the repeat is never adjacent.
    for (n, repeat_at) in [(3, 2), (40, 39), (600, 599), (600, 300)] {
        let mut w = RdbWriter::new(Vec::new(), false);
        w.write_len(n).unwrap();
        for i in 0..n {
            let f = if i == repeat_at { 0 } else { i };
            w.write_string(format!("f{f}").as_bytes()).unwrap();
            w.write_string(b"v").unwrap();
        }
        assert!(read_blob(t::HASH, w.into_inner()).is_err(), "hash {n}");
        // The same without the repeat loads, with Redis's encoding.
        let mut w = RdbWriter::new(Vec::new(), false);
        w.write_len(n).unwrap();
        for i in 0..n {
            w.write_string(format!("f{i}").as_bytes()).unwrap();
            w.write_string(b"v").unwrap();
        }
        let v = read_blob(t::HASH, w.into_inner()).unwrap().unwrap();
        let want = if n > 512 { "hashtable" } else { "listpack" };
        assert_eq!(v.encoding(), want);
        let Value::Hash(h) = v else { panic!() };
        assert_eq!(h.len(), n as usize);
        assert_eq!(h.get(b"f1"), Some(&b"v"[..]));
    }
    // A listpack hash with a repeated (integer-encoded) field among 30.
    let mut lp = ListpackBuilder::new();
    for i in 0..30 {
        let f = if i == 29 { 3 } else { i };
        lp.push(f.to_string().as_bytes());
        lp.push(b"v");
    }
    let mut w = RdbWriter::new(Vec::new(), false);
    wstring(&mut w, &lp.finish());
    assert!(read_blob(t::HASH_LISTPACK, w.into_inner()).is_err());
    // Sorted sets: a repeat with another score (not adjacent once sorted),
    // in a listpack-sized set and in a skiplist-sized one.
    for n in [5u64, 40, 300] {
        let mut w = RdbWriter::new(Vec::new(), false);
        w.write_len(n).unwrap();
        for i in 0..n {
            let m = if i == n - 1 { 0 } else { i };
            w.write_string(format!("m{m}").as_bytes()).unwrap();
            w.write_binary_double(i as f64).unwrap();
        }
        assert!(read_blob(t::ZSET_2, w.into_inner()).is_err(), "zset {n}");
        let mut w = RdbWriter::new(Vec::new(), false);
        w.write_len(n).unwrap();
        for i in (0..n).rev() {
            w.write_string(format!("m{i}").as_bytes()).unwrap();
            w.write_binary_double((i % 7) as f64).unwrap();
        }
        let v = read_blob(t::ZSET_2, w.into_inner()).unwrap().unwrap();
        let want = if n > 128 { "skiplist" } else { "listpack" };
        assert_eq!(v.encoding(), want);
        let Value::ZSet(z) = v else { panic!() };
        assert_eq!(z.len(), n as usize);
        assert_eq!(z.score(b"m3"), Some(3.0));
    }
}
