//! Redis's partial quicksort (pqsort.c, after NetBSD's Bentley-McIlroy
//! qsort): sorts enough of a slice that positions `lrange..=rrange` hold
//! what a full sort would put there, skipping partitions outside that
//! range. SORT ... LIMIT and GEO searches with COUNT use it; it is not
//! stable, so the order it leaves equal elements in shows in their replies,
//! and this follows its steps exactly (pivot choice, three-way partition,
//! insertion sort for runs under 7). Redis 7.0.15's binary has no switch to
//! insertion sort after a partition that swapped nothing (older pqsort.c
//! has one): with it, GEO tie orders differ from redis-server's.

use std::cmp::Ordering;

/// Redis's partial quicksort (pqsort.c: NetBSD's Bentley-McIlroy qsort that
/// only recurses into partitions overlapping `lrange..=rrange`). It is not
/// stable, so reproducing its steps is what makes ties come out as in Redis.
pub fn pqsort<T>(v: &mut [T], lrange: i64, rrange: i64, cmp: &impl Fn(&T, &T) -> Ordering) {
    partial_qsort(v, 0, v.len(), lrange, rrange, cmp);
}

fn partial_qsort<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    lrange: i64,
    rrange: i64,
    cmp: &impl Fn(&T, &T) -> Ordering,
) {
    use Ordering::*;
    // Whether the partition of `m` elements at `lo` can hold output positions.
    let wanted = |lo: usize, m: usize| {
        let (lo, hi) = (lo as i64, (lo + m) as i64);
        !((lrange < lo && rrange < lo) || (lrange >= hi && rrange >= hi))
    };
    loop {
        if n < 7 {
            for pm in a + 1..a + n {
                let mut pl = pm;
                while pl > a && cmp(&v[pl - 1], &v[pl]) == Greater {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[a]);
                if c == Greater {
                    break;
                }
                if c == Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[a]);
                if c == Less {
                    break;
                }
                if c == Equal {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        vecswap(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && wanted(a, r) {
            partial_qsort(v, a, r, lrange, rrange, cmp);
        }
        let r = pd - pc;
        if r > 1 {
            a = pn - r;
            n = r;
            if wanted(a, n) {
                continue;
            }
        }
        return;
    }
}

fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    use Ordering::*;
    if cmp(&v[a], &v[b]) == Less {
        if cmp(&v[b], &v[c]) == Less {
            b
        } else if cmp(&v[a], &v[c]) == Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Greater {
        b
    } else if cmp(&v[a], &v[c]) == Less {
        a
    } else {
        c
    }
}

fn vecswap<T>(v: &mut [T], i: usize, j: usize, n: usize) {
    for k in 0..n {
        v.swap(i + k, j + k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wanted_range_ends_up_sorted() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            (seed >> 33) % 50
        };
        for n in [0usize, 1, 6, 7, 8, 40, 41, 100, 500] {
            for k in [1usize, 3, 10, 60] {
                let orig: Vec<u64> = (0..n).map(|_| next()).collect();
                let mut v = orig.clone();
                let k = k.min(n);
                if k == 0 {
                    continue;
                }
                pqsort(&mut v, 0, k as i64 - 1, &|a: &u64, b: &u64| a.cmp(b));
                let mut sorted = orig.clone();
                sorted.sort();
                assert_eq!(v[..k], sorted[..k], "n {n} k {k}");
                v.sort();
                assert_eq!(v, sorted, "a permutation");
            }
        }
    }
}
