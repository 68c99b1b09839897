//! Unit tests for the bitmap commands (replies are compared with Redis in
//! tests/diff_bitmaps.rs).
use super::*;

#[test]
fn popcount_matches_naive() {
    let data: Vec<u8> = (0..200u32).map(|i| (i * 37 + 11) as u8).collect();
    for start in 0..40 {
        for end in start..data.len() {
            let naive: u64 = data[start..end].iter().map(|b| b.count_ones() as u64).sum();
            assert_eq!(popcount(&data[start..end]), naive);
        }
    }
}

fn naive_find(p: &[u8], sb: u64, eb: u64, bit: bool) -> Option<u64> {
    (sb..=eb).find(|&i| (p[(i / 8) as usize] & (0x80 >> (i % 8)) != 0) == bit)
}

#[test]
fn find_bit_and_count_match_naive() {
    let mut p = vec![0u8; 40];
    p.extend(vec![0xffu8; 40]);
    p.extend([0x12, 0x80, 0x01, 0xfe, 0x7f, 0x00]);
    p.extend(vec![0u8; 20]);
    let n = p.len() as u64 * 8;
    for sb in (0..n).step_by(5) {
        for eb in (sb..n).step_by(7) {
            for bit in [false, true] {
                assert_eq!(find_bit(&p, sb, eb, bit), naive_find(&p, sb, eb, bit));
            }
            let naive = (sb..=eb)
                .filter(|&i| p[(i / 8) as usize] & (0x80 >> (i % 8)) != 0)
                .count() as u64;
            assert_eq!(count_range(&p, sb, eb), naive, "{sb} {eb}");
        }
    }
}

#[test]
fn fields_round_trip() {
    let mut p = vec![0u8; 20];
    for bits in 1..=64u32 {
        for offset in [0u64, 1, 7, 8, 13, 63, 64, 90] {
            let v = 0xdead_beef_1234_5678u64.rotate_left(bits) & (u64::MAX >> (64 - bits));
            set_field(&mut p, offset, bits, v);
            assert_eq!(
                get_field(&p, offset, bits),
                v,
                "bits {bits} offset {offset}"
            );
            set_field(&mut p, offset, bits, 0);
            assert!(p.iter().all(|&b| b == 0));
        }
    }
    // Reads past the end are zero-padded.
    assert_eq!(get_field(&[0xff], 4, 8), 0xf0);
    assert_eq!(get_field(&[], 1000, 64), 0);
}

#[test]
fn overflow_rules() {
    use Overflow::*;
    assert_eq!(signed_add(127, 1, 8, Wrap), Some(-128));
    assert_eq!(signed_add(127, 1, 8, Sat), Some(127));
    assert_eq!(signed_add(127, 1, 8, Fail), None);
    assert_eq!(signed_add(-128, -1, 8, Wrap), Some(127));
    assert_eq!(signed_add(-128, -1, 8, Sat), Some(-128));
    assert_eq!(signed_add(i64::MAX, 1, 64, Wrap), Some(i64::MIN));
    assert_eq!(signed_add(i64::MIN, -1, 64, Sat), Some(i64::MIN));
    assert_eq!(signed_add(300, 0, 8, Wrap), Some(44));
    assert_eq!(signed_add(-300, 0, 8, Sat), Some(-128));
    // Redis's wrapped `max - value` makes these count as overflows upwards.
    assert_eq!(signed_add(i64::MIN, 0, 8, Sat), Some(127));
    assert_eq!(signed_add(-9223372036854775681, 0, 8, Sat), Some(127));
    assert_eq!(signed_add(-9223372036854775680, 0, 8, Sat), Some(-128));
    assert_eq!(signed_add(-(1 << 62) - 1, 0, 63, Sat), Some((1 << 62) - 1));
    assert_eq!(signed_add(i64::MIN, 0, 8, Wrap), Some(0));
    assert_eq!(signed_add(0, -1, 1, Wrap), Some(-1));
    assert_eq!(signed_add(0, 1, 1, Wrap), Some(-1));
    assert_eq!(unsigned_add(255, 1, 8, Wrap), Some(0));
    assert_eq!(unsigned_add(0, -1, 8, Wrap), Some(255));
    assert_eq!(unsigned_add(0, -1, 8, Sat), Some(0));
    assert_eq!(unsigned_add(-1i64 as u64, 0, 8, Sat), Some(255));
    assert_eq!(unsigned_add(-1i64 as u64, 0, 8, Wrap), Some(255));
    assert_eq!(unsigned_add(-1i64 as u64, 0, 8, Fail), None);
    assert_eq!(unsigned_add(5, i64::MIN, 63, Sat), Some(0));
    assert_eq!(unsigned_add(5, i64::MAX, 63, Wrap), Some(4));
}

#[test]
fn bitop_ops() {
    let a: &[u8] = b"\xff\x0f\xaa";
    let b: &[u8] = b"\x0f";
    assert_eq!(bitop_compute(BitOp::And, &[a, b]), b"\x0f\x00\x00");
    assert_eq!(bitop_compute(BitOp::Or, &[b, a]), b"\xff\x0f\xaa");
    assert_eq!(bitop_compute(BitOp::Xor, &[a, b]), b"\xf0\x0f\xaa");
    assert_eq!(bitop_compute(BitOp::Not, &[a]), b"\x00\xf0\x55");
    let long: Vec<u8> = (0..100u8).collect();
    let not = bitop_compute(BitOp::Not, &[&long]);
    assert!(not.iter().zip(&long).all(|(x, y)| *x == !*y));
    let and = bitop_compute(BitOp::And, &[&long, &[]]);
    assert_eq!(and, vec![0u8; 100]);
}

mod engine {
    use crate::{Bytes, Engine, ManualClock, Reply};
    use std::sync::Arc;

    fn run(e: &mut Engine, id: u64, cmd: &[&str]) -> Reply {
        let argv: Vec<Bytes> = cmd
            .iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        e.execute(id, &argv).unwrap()
    }

    #[test]
    fn commands_through_the_engine() {
        let mut e = Engine::builder()
            .clock(Arc::new(ManualClock::new(1_000_000)))
            .build();
        let id = e.add_client();
        assert_eq!(
            run(&mut e, id, &["SETBIT", "k", "7", "1"]),
            Reply::Integer(0)
        );
        assert_eq!(
            run(&mut e, id, &["SETBIT", "k", "7", "0"]),
            Reply::Integer(1)
        );
        assert_eq!(run(&mut e, id, &["GETBIT", "k", "100"]), Reply::Integer(0));
        let dirty = e.dirty;
        assert_eq!(
            run(&mut e, id, &["SETBIT", "k", "7", "0"]),
            Reply::Integer(0)
        );
        assert_eq!(e.dirty, dirty, "an unchanged bit is not a change");
        assert_eq!(
            run(&mut e, id, &["SETBIT", "k", "4294967296", "1"]),
            Reply::error("ERR bit offset is not an integer or out of range")
        );
        assert_eq!(
            run(&mut e, id, &["SETBIT", "k", "0", "2"]),
            Reply::error("ERR bit is not an integer or out of range")
        );
        run(&mut e, id, &["SET", "s", "foobar"]);
        assert_eq!(run(&mut e, id, &["BITCOUNT", "s"]), Reply::Integer(26));
        assert_eq!(
            run(&mut e, id, &["BITCOUNT", "s", "1", "1"]),
            Reply::Integer(6)
        );
        assert_eq!(
            run(&mut e, id, &["BITCOUNT", "s", "5", "30", "BIT"]),
            Reply::Integer(17)
        );
        assert_eq!(
            run(&mut e, id, &["BITCOUNT", "s", "-1", "-2", "x"]),
            Reply::Integer(0)
        );
        assert_eq!(
            run(&mut e, id, &["BITCOUNT", "s", "1"]),
            Reply::error("ERR syntax error")
        );
        run(&mut e, id, &["SET", "f", "\u{7f}"]);
        assert_eq!(run(&mut e, id, &["BITPOS", "f", "1"]), Reply::Integer(1));
        assert_eq!(
            run(&mut e, id, &["BITPOS", "f", "0", "0"]),
            Reply::Integer(0)
        );
        run(&mut e, id, &["BITOP", "NOT", "f", "f"]);
        assert_eq!(
            run(&mut e, id, &["BITPOS", "f", "0", "0"]),
            Reply::Integer(1)
        );
        assert_eq!(
            run(&mut e, id, &["BITPOS", "f", "0", "1", "-1", "BIT"]),
            Reply::Integer(1)
        );
        assert_eq!(
            run(&mut e, id, &["BITPOS", "f", "0", "1"]),
            Reply::Integer(-1)
        );
        run(&mut e, id, &["BITFIELD", "f", "SET", "u8", "0", "255"]);
        assert_eq!(run(&mut e, id, &["BITPOS", "f", "0"]), Reply::Integer(8));
        assert_eq!(
            run(&mut e, id, &["BITPOS", "f", "0", "0"]),
            Reply::Integer(8)
        );
        assert_eq!(
            run(&mut e, id, &["BITPOS", "f", "0", "0", "-1"]),
            Reply::Integer(-1)
        );
        assert_eq!(
            run(
                &mut e,
                id,
                &["BITFIELD", "b", "SET", "i8", "#1", "-5", "GET", "u16", "0"]
            ),
            Reply::Array(vec![Reply::Integer(0), Reply::Integer(0xfb)])
        );
        assert_eq!(
            run(
                &mut e,
                id,
                &["BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "4"]
            ),
            Reply::Array(vec![Reply::Nil])
        );
        assert_eq!(
            run(&mut e, id, &["BITFIELD_RO", "b", "SET", "u8", "0", "1"]),
            Reply::error("ERR BITFIELD_RO only supports the GET subcommand")
        );
        assert_eq!(
            run(&mut e, id, &["BITOP", "AND", "b", "nokey"]),
            Reply::Integer(0)
        );
        assert_eq!(run(&mut e, id, &["GET", "b"]), Reply::Nil);
    }

    #[test]
    fn propagation_and_events() {
        let mut t = crate::testkit::T::new();
        let mut step = |cmd: &[&str], props: &[&str], evs: &[&str]| t.effects(cmd, props, evs);
        step(&["SETBIT", "k", "3", "1"], &["SETBIT k 3 1"], &["setbit:k"]);
        step(&["SETBIT", "k", "3", "1"], &[], &[]);
        step(
            &["SETBIT", "k", "30", "0"],
            &["SETBIT k 30 0"],
            &["setbit:k"],
        );
        step(&["BITFIELD", "k", "GET", "u8", "0"], &[], &[]);
        step(&["BITFIELD", "k", "SET", "u8", "0", "16"], &[], &[]);
        step(
            &[
                "BITFIELD", "k", "SET", "u8", "0", "1", "INCRBY", "u8", "0", "1",
            ],
            &["BITFIELD k SET u8 0 1 INCRBY u8 0 1"],
            &["setbit:k"],
        );
        step(
            &[
                "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "255",
            ],
            &[],
            &[],
        );
        step(&["BITFIELD_RO", "k", "GET", "u8", "0"], &[], &[]);
        step(&["BITOP", "NOT", "d", "k"], &["BITOP NOT d k"], &["set:d"]);
        step(
            &["BITOP", "OR", "d", "nokey"],
            &["BITOP OR d nokey"],
            &["del:d"],
        );
        step(&["BITOP", "OR", "d", "nokey"], &[], &[]);
    }
}
