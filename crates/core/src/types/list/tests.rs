//! Model-based tests of the packed list: random operations against a VecDeque.

use super::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

fn check(l: &ListValue, model: &VecDeque<Vec<u8>>) {
    assert_eq!(l.len(), model.len());
    assert_eq!(
        l.nodes.iter().map(|n| n.count as usize).sum::<usize>(),
        l.len
    );
    assert!(l.nodes.iter().all(|n| n.count > 0));
    // Nodes respect the fill bound unless they hold one oversized element.
    let lim = l.limit();
    assert!(l
        .nodes
        .iter()
        .all(|n| n.count <= lim.count && (n.count == 1 || n.live() <= lim.bytes)));
    assert!(l.iter().eq(model.iter().map(|v| &v[..])));
    assert!(l.iter().rev().eq(model.iter().rev().map(|v| &v[..])));
}

fn elem(rng: &mut SmallRng) -> Vec<u8> {
    let len = match rng.gen_range(0..10) {
        0 => rng.gen_range(100..400),
        1 => 0,
        _ => rng.gen_range(1..6),
    };
    (0..len).map(|_| b'a' + rng.gen_range(0..3)).collect()
}

/// Random operations against a VecDeque model, with small nodes so splits,
/// merges and node boundaries are exercised.
#[test]
fn matches_a_deque_model() {
    for (seed, fill) in [(1u64, 3), (2, -1), (3, 1), (4, -2), (5, 0)] {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut l = ListValue::with_fill(fill);
        let mut m: VecDeque<Vec<u8>> = VecDeque::new();
        for _ in 0..3000 {
            let e = elem(&mut rng);
            let op = rng.gen_range(0..12);
            let before = m.len();
            match op {
                0..=2 => {
                    l.push(End::Head, &e);
                    m.push_front(e);
                }
                3..=5 => {
                    l.push(End::Tail, &e);
                    m.push_back(e);
                }
                6 => {
                    let end = if rng.gen() { End::Head } else { End::Tail };
                    let want = match end {
                        End::Head => m.pop_front(),
                        End::Tail => m.pop_back(),
                    };
                    assert_eq!(l.pop(end).map(|b| b.to_vec()), want);
                }
                7 => {
                    let i = rng.gen_range(0..=m.len());
                    l.insert(i, &e);
                    m.insert(i, e);
                }
                8 if !m.is_empty() => {
                    let i = rng.gen_range(0..m.len());
                    assert!(l.set(i, &e));
                    m[i] = e;
                    assert_eq!(l.get(i), Some(&m[i][..]));
                }
                9 if !m.is_empty() => {
                    let s = rng.gen_range(0..m.len());
                    let c = rng.gen_range(0..=(m.len() - s).min(20));
                    l.remove_range(s, c);
                    m.drain(s..s + c);
                }
                10 => {
                    let limit = rng.gen_range(0..3);
                    let tail = rng.gen();
                    let got = l.remove_matching(&e, limit, tail);
                    let mut idx: Vec<usize> = (0..m.len()).filter(|&i| m[i] == e).collect();
                    if tail {
                        idx.reverse();
                    }
                    if limit > 0 {
                        idx.truncate(limit);
                    }
                    idx.sort_unstable();
                    for &i in idx.iter().rev() {
                        m.remove(i);
                    }
                    assert_eq!(got, idx.len());
                }
                _ if !m.is_empty() => {
                    let s = rng.gen_range(0..m.len());
                    let e2 = rng.gen_range(s..=m.len());
                    assert!(l.range(s, e2).eq(m.range(s..e2).map(|v| &v[..])));
                    assert!(l
                        .range(s, e2)
                        .rev()
                        .eq(m.range(s..e2).rev().map(|v| &v[..])));
                    assert_eq!(l.get(s), Some(&m[s][..]));
                }
                _ => {}
            }
            assert_eq!(l.len(), m.len(), "seed {seed} op {op} len before {before}");
            check(&l, &m);
        }
        assert_eq!(l.get(l.len()), None);
    }
}

#[test]
fn entries_of_every_size_round_trip() {
    let mut l = ListValue::new();
    let sizes = [0usize, 1, 127, 128, 300, 16383, 16384, 70000];
    for &s in &sizes {
        l.push(End::Tail, &vec![b'x'; s]);
        l.push(End::Head, &vec![b'y'; s]);
    }
    for &s in sizes.iter().rev() {
        assert_eq!(l.pop(End::Head).unwrap().len(), s);
    }
    for &s in sizes.iter().rev() {
        assert_eq!(l.pop(End::Tail).unwrap().len(), s);
    }
    assert!(l.is_empty() && l.nodes.is_empty());
}

#[test]
fn nodes_stay_bounded_and_packed() {
    let mut l = ListValue::new();
    for i in 0..100_000u32 {
        l.push(End::Head, format!("{}", i % 1000).as_bytes());
    }
    // ~5 bytes per element in 8 KiB nodes: little beyond the payload.
    assert!(l.allocated_bytes() < 100_000 * 6, "{}", l.allocated_bytes());
    assert!(l.nodes.iter().all(|n| n.live() <= 8192));
    assert_eq!(l.get(0), Some(&b"999"[..]));
    assert_eq!(l.get(99_999), Some(&b"0"[..]));
    let mut l2 = ListValue::with_fill(3);
    for i in 0..10 {
        l2.push(End::Tail, &[b'0' + i]);
    }
    assert!(l2.nodes.iter().all(|n| n.count <= 3));
    assert_eq!(
        l2,
        ListValue::from_iter_with_fill(-2, (0..10).map(|i| [b'0' + i]))
    );
}
