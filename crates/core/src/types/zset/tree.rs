//! The ordered half of the large encoding (Redis's skiplist): (score, member)
//! nodes in sorted chunks of at most `MAX_CHUNK`, plus a Fenwick tree over
//! the chunk lengths. Finding a node is two binary searches; its rank, or the
//! node at a rank, is O(log n) through the Fenwick tree; iteration is a walk
//! over contiguous memory. Insertions and removals move at most one chunk's
//! worth of nodes; splits and merges rebuild the Fenwick tree in O(chunks).

use super::listpack::cmp_entries;
use std::cmp::Ordering;
use std::sync::Arc;

const MAX_CHUNK: usize = 256;
/// A chunk that shrinks below this merges with a neighbour when they fit in one.
const MIN_CHUNK: usize = MAX_CHUNK / 4;

/// One element: its score and the member bytes (shared with the dictionary).
#[derive(Clone, Debug)]
pub struct Node {
    pub score: f64,
    pub member: Arc<[u8]>,
}

impl Node {
    #[inline]
    fn cmp_key(&self, score: f64, member: &[u8]) -> Ordering {
        cmp_entries(self.score, &self.member, score, member)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Tree {
    chunks: Vec<Vec<Node>>,
    /// 1-based Fenwick tree over `chunks[i].len()`; `fen[0]` unused.
    fen: Vec<usize>,
    /// The last score of each chunk, so finding a chunk mostly stays in this
    /// small array instead of touching every probed chunk.
    lasts: Vec<f64>,
    len: usize,
}

impl Tree {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Builds from nodes already in order.
    pub fn from_sorted(nodes: impl IntoIterator<Item = Node>) -> Tree {
        let mut chunks: Vec<Vec<Node>> = Vec::new();
        let mut cur: Vec<Node> = Vec::new();
        let fill = MAX_CHUNK / 2;
        for n in nodes {
            if cur.len() == fill {
                chunks.push(std::mem::take(&mut cur));
            }
            if cur.capacity() == 0 {
                cur.reserve_exact(fill);
            }
            cur.push(n);
        }
        if !cur.is_empty() {
            chunks.push(cur);
        }
        let len = chunks.iter().map(Vec::len).sum();
        let mut t = Tree {
            chunks,
            fen: Vec::new(),
            lasts: Vec::new(),
            len,
        };
        t.rebuild();
        t
    }

    fn rebuild(&mut self) {
        self.lasts.clear();
        self.lasts.extend(
            self.chunks
                .iter()
                .map(|c| c.last().expect("non-empty").score),
        );
        let n = self.chunks.len();
        self.fen.clear();
        self.fen.resize(n + 1, 0);
        for i in 1..=n {
            self.fen[i] += self.chunks[i - 1].len();
            let j = i + (i & i.wrapping_neg());
            if j <= n {
                self.fen[j] += self.fen[i];
            }
        }
    }

    /// Accounts for one node added to (or removed from) `chunk` in place.
    fn touch(&mut self, chunk: usize, delta: isize) {
        self.lasts[chunk] = self.chunks[chunk].last().expect("non-empty").score;
        let n = self.chunks.len();
        let mut i = chunk + 1;
        while i <= n {
            self.fen[i] = self.fen[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Nodes in chunks before `chunk`.
    fn prefix(&self, chunk: usize) -> usize {
        let mut i = chunk;
        let mut s = 0;
        while i > 0 {
            s += self.fen[i];
            i -= i & i.wrapping_neg();
        }
        s
    }

    /// (chunk, position) of the node at rank `idx` (< len).
    fn locate(&self, idx: usize) -> (usize, usize) {
        let n = self.chunks.len();
        let mut pos = 0;
        let mut rem = idx;
        let mut step = if n == 0 {
            0
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        };
        while step > 0 {
            let next = pos + step;
            if next <= n && self.fen[next] <= rem {
                pos = next;
                rem -= self.fen[next];
            }
            step >>= 1;
        }
        (pos, rem)
    }

    /// The chunk where (score, member) is or would go: the first whose last
    /// node is not below it, else the last chunk.
    fn chunk_for(&self, score: f64, member: &[u8]) -> usize {
        let (mut lo, mut hi) = (0, self.lasts.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let last = self.lasts[mid];
            let below = last < score
                || (last == score
                    && self.chunks[mid]
                        .last()
                        .expect("chunks are never empty")
                        .cmp_key(score, member)
                        == Ordering::Less);
            if below {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo.min(self.chunks.len().saturating_sub(1))
    }

    fn find(&self, score: f64, member: &[u8]) -> Option<(usize, usize)> {
        if self.len == 0 {
            return None;
        }
        let c = self.chunk_for(score, member);
        let p = self.chunks[c]
            .binary_search_by(|n| n.cmp_key(score, member))
            .ok()?;
        Some((c, p))
    }

    pub fn insert(&mut self, node: Node) {
        if self.chunks.is_empty() {
            self.chunks.push(vec![node]);
            self.len = 1;
            self.rebuild();
            return;
        }
        let mut c = self.chunk_for(node.score, &node.member);
        let below = |n: &Node| n.cmp_key(node.score, &node.member) == Ordering::Less;
        let mut p = self.chunks[c].partition_point(below);
        self.len += 1;
        if self.chunks[c].len() < MAX_CHUNK {
            self.chunks[c].insert(p, node);
            self.touch(c, 1);
            return;
        }
        // Split a full chunk before inserting, so no chunk ever grows past
        // MAX_CHUNK's capacity.
        let half = MAX_CHUNK / 2;
        let tail = self.chunks[c].split_off(half);
        self.chunks.insert(c + 1, tail);
        if p > half {
            c += 1;
            p -= half;
        }
        self.chunks[c].insert(p, node);
        self.rebuild();
    }

    /// Removes the node with exactly this score and member.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> Option<Node> {
        let (c, p) = self.find(score, member)?;
        let node = self.chunks[c].remove(p);
        self.len -= 1;
        if !self.fix_chunk(c) {
            self.touch(c, -1);
        }
        Some(node)
    }

    /// Merges or drops chunk `c` if it became small; true if the Fenwick tree
    /// was rebuilt (else the caller must account for its change).
    fn fix_chunk(&mut self, c: usize) -> bool {
        let l = self.chunks[c].len();
        if l == 0 {
            self.chunks.remove(c);
            self.rebuild();
            return true;
        }
        if l >= MIN_CHUNK || self.chunks.len() == 1 {
            return false;
        }
        if c + 1 < self.chunks.len() && l + self.chunks[c + 1].len() <= MAX_CHUNK {
            let next = self.chunks.remove(c + 1);
            self.chunks[c].extend(next);
        } else if c > 0 && l + self.chunks[c - 1].len() <= MAX_CHUNK {
            let this = self.chunks.remove(c);
            self.chunks[c - 1].extend(this);
        } else {
            return false;
        }
        self.rebuild();
        true
    }

    /// 0-based rank of (score, member), if present.
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let (c, p) = self.find(score, member)?;
        Some(self.prefix(c) + p)
    }

    pub fn get(&self, idx: usize) -> Option<&Node> {
        if idx >= self.len {
            return None;
        }
        let (c, p) = self.locate(idx);
        Some(&self.chunks[c][p])
    }

    pub fn first(&self) -> Option<&Node> {
        self.chunks.first().and_then(|c| c.first())
    }

    pub fn last(&self) -> Option<&Node> {
        self.chunks.last().and_then(|c| c.last())
    }

    /// Number of leading nodes for which `pred` holds (`pred` must hold for a
    /// prefix of the order, as "score < x" does).
    pub fn partition_point(&self, pred: impl Fn(&Node) -> bool) -> usize {
        let c = self
            .chunks
            .partition_point(|c| pred(c.last().expect("chunks are never empty")));
        if c == self.chunks.len() {
            return self.len;
        }
        self.prefix(c) + self.chunks[c].partition_point(&pred)
    }

    /// Iterates from rank `idx` towards the end, or towards the start if `rev`.
    pub fn iter_from(&self, idx: usize, rev: bool) -> TreeIter<'_> {
        if idx >= self.len {
            return TreeIter {
                tree: self,
                chunk: 0,
                pos: 0,
                left: 0,
                rev,
            };
        }
        let (chunk, pos) = self.locate(idx);
        let left = if rev { idx + 1 } else { self.len - idx };
        TreeIter {
            tree: self,
            chunk,
            pos,
            left,
            rev,
        }
    }

    /// Removes the nodes with ranks `start..end` and returns them.
    pub fn remove_range(&mut self, start: usize, end: usize) -> Vec<Node> {
        let end = end.min(self.len);
        if start >= end {
            return Vec::new();
        }
        let (c1, p1) = self.locate(start);
        let (c2, p2) = self.locate(end - 1);
        let mut out = Vec::with_capacity(end - start);
        if c1 == c2 {
            out.extend(self.chunks[c1].drain(p1..=p2));
        } else {
            out.extend(self.chunks[c1].drain(p1..));
            for chunk in self.chunks.drain(c1 + 1..c2) {
                out.extend(chunk);
            }
            // chunk c2 now sits at c1 + 1
            out.extend(self.chunks[c1 + 1].drain(..=p2));
        }
        self.len -= out.len();
        self.chunks.retain(|c| !c.is_empty());
        // Merge a small chunk left at the cut with its neighbour.
        if let Some(c) = self.chunks.iter().position(|c| c.len() < MIN_CHUNK) {
            if c + 1 < self.chunks.len()
                && self.chunks[c].len() + self.chunks[c + 1].len() <= MAX_CHUNK
            {
                let next = self.chunks.remove(c + 1);
                self.chunks[c].extend(next);
            }
        }
        self.rebuild();
        out
    }

    /// Removes the first (or last) node.
    pub fn pop(&mut self, last: bool) -> Option<Node> {
        if self.len == 0 {
            return None;
        }
        let c = if last { self.chunks.len() - 1 } else { 0 };
        let node = if last {
            self.chunks[c].pop().expect("non-empty chunk")
        } else {
            self.chunks[c].remove(0)
        };
        self.len -= 1;
        if !self.fix_chunk(c) {
            self.touch(c, -1);
        }
        Some(node)
    }

    /// Every node in order.
    pub fn iter(&self) -> impl Iterator<Item = &Node> + '_ {
        self.chunks.iter().flatten()
    }

    /// Bytes held by the chunk arrays (estimate for memory reports).
    pub fn heap_bytes(&self) -> usize {
        self.chunks
            .iter()
            .map(|c| c.capacity() * std::mem::size_of::<Node>())
            .sum::<usize>()
            + self.chunks.capacity() * std::mem::size_of::<Vec<Node>>()
            + self.fen.capacity() * std::mem::size_of::<usize>()
    }

    #[cfg(test)]
    fn check(&self) {
        let mut prev: Option<&Node> = None;
        let mut total = 0;
        for (i, c) in self.chunks.iter().enumerate() {
            assert!(!c.is_empty() && c.len() <= MAX_CHUNK);
            assert_eq!(self.prefix(i), total);
            assert_eq!(self.lasts[i].to_bits(), c.last().unwrap().score.to_bits());
            total += c.len();
            for n in c {
                if let Some(p) = prev {
                    assert_eq!(p.cmp_key(n.score, &n.member), Ordering::Less);
                }
                prev = Some(n);
            }
        }
        assert_eq!(total, self.len);
    }
}

/// Walks nodes from a rank, forwards or backwards.
pub struct TreeIter<'a> {
    tree: &'a Tree,
    chunk: usize,
    pos: usize,
    left: usize,
    rev: bool,
}

impl<'a> Iterator for TreeIter<'a> {
    type Item = &'a Node;

    #[inline]
    fn next(&mut self) -> Option<&'a Node> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let node = &self.tree.chunks[self.chunk][self.pos];
        if self.left > 0 {
            if self.rev {
                if self.pos == 0 {
                    self.chunk -= 1;
                    self.pos = self.tree.chunks[self.chunk].len() - 1;
                } else {
                    self.pos -= 1;
                }
            } else {
                self.pos += 1;
                if self.pos == self.tree.chunks[self.chunk].len() {
                    self.chunk += 1;
                    self.pos = 0;
                }
            }
        }
        Some(node)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeSet;

    struct Key(f64, Vec<u8>);
    impl PartialEq for Key {
        fn eq(&self, o: &Self) -> bool {
            self.cmp(o) == Ordering::Equal
        }
    }
    impl Eq for Key {}
    impl PartialOrd for Key {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Key {
        fn cmp(&self, o: &Self) -> Ordering {
            cmp_entries(self.0, &self.1, o.0, &o.1)
        }
    }

    fn node(score: f64, m: &[u8]) -> Node {
        Node {
            score,
            member: Arc::from(m),
        }
    }

    #[test]
    fn random_operations_match_a_btreeset() {
        let mut rng = SmallRng::seed_from_u64(7);
        let mut t = Tree::default();
        let mut model: BTreeSet<Key> = BTreeSet::new();
        for step in 0..20_000 {
            let score = rng.gen_range(0..200) as f64;
            let m = format!("m{}", rng.gen_range(0..3000)).into_bytes();
            match rng.gen_range(0..10) {
                0..=5 => {
                    if model.insert(Key(score, m.clone())) {
                        t.insert(node(score, &m));
                    }
                }
                6 | 7 => {
                    let had = model.remove(&Key(score, m.clone()));
                    assert_eq!(t.remove(score, &m).is_some(), had);
                }
                8 => {
                    if !model.is_empty() {
                        let last = rng.gen_bool(0.5);
                        let want = if last {
                            model.pop_last()
                        } else {
                            model.pop_first()
                        }
                        .unwrap();
                        let got = t.pop(last).unwrap();
                        assert_eq!((got.score, &got.member[..]), (want.0, &want.1[..]));
                    }
                }
                _ => {
                    if model.len() > 10 && step % 7 == 0 {
                        let a = rng.gen_range(0..model.len());
                        let b = (a + rng.gen_range(0..300)).min(model.len());
                        let want: Vec<Key> = model
                            .iter()
                            .skip(a)
                            .take(b - a)
                            .map(|k| Key(k.0, k.1.clone()))
                            .collect();
                        let got = t.remove_range(a, b);
                        assert_eq!(got.len(), want.len());
                        for (g, w) in got.iter().zip(&want) {
                            assert_eq!((g.score, &g.member[..]), (w.0, &w.1[..]));
                            model.remove(w);
                        }
                    }
                }
            }
            if step % 997 == 0 {
                t.check();
                for (i, k) in model.iter().enumerate().step_by(37) {
                    assert_eq!(t.rank(k.0, &k.1), Some(i));
                    let n = t.get(i).unwrap();
                    assert_eq!((n.score, &n.member[..]), (k.0, &k.1[..]));
                }
            }
        }
        t.check();
        assert_eq!(t.len(), model.len());
        let all: Vec<_> = t.iter().map(|n| (n.score, n.member.to_vec())).collect();
        let want: Vec<_> = model.iter().map(|k| (k.0, k.1.clone())).collect();
        assert_eq!(all, want);
        let n = t.len();
        let fwd: Vec<_> = t
            .iter_from(n / 3, false)
            .map(|n| n.member.to_vec())
            .collect();
        assert_eq!(fwd.len(), n - n / 3);
        let rev: Vec<_> = t
            .iter_from(n / 3, true)
            .map(|n| n.member.to_vec())
            .collect();
        assert_eq!(rev.len(), n / 3 + 1);
        assert_eq!(rev[0], fwd[0]);
        let below = t.partition_point(|n| n.score < 100.0);
        assert_eq!(below, model.iter().filter(|k| k.0 < 100.0).count());
    }

    #[test]
    fn sorted_build_and_bulk_removal() {
        let t0 = Tree::from_sorted((0..1000).map(|i| node(i as f64, format!("{i:04}").as_bytes())));
        t0.check();
        let mut t = t0.clone();
        let gone = t.remove_range(10, 990);
        assert_eq!(gone.len(), 980);
        t.check();
        assert_eq!(t.len(), 20);
        assert_eq!(t.get(10).unwrap().score, 990.0);
        assert_eq!(t.rank(995.0, b"0995"), Some(15));
        assert_eq!(t.iter_from(100, false).count(), 0);
        let mut e = Tree::from_sorted(Vec::new());
        assert!(e.pop(false).is_none() && e.first().is_none());
        e.insert(node(-0.0, b"a"));
        assert_eq!(e.rank(0.0, b"a"), Some(0), "-0 and 0 compare equal");
    }
}
