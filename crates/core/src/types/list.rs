//! ListValue: a deque of packed nodes, the idea of Redis's quicklist of
//! listpacks.
//!
//! Every node is one allocation holding its entries back to back, each written
//! as `varint(len) bytes reversed-varint(len)`, so a node can be walked from
//! either end; a small element costs its length plus two bytes. A node keeps
//! its free room at whichever end last needed it (a gap buffer), so pushes and
//! pops at both ends of the list are O(1) amortized with no allocation per
//! element. Nodes are bounded by `list-max-listpack-size` as in Redis, which
//! keeps middle inserts and deletes to one node's memmove, and LINDEX walks
//! node counts from the nearer end.

use bytes::Bytes;
use std::collections::VecDeque;

/// `list-max-listpack-size`'s default: nodes of at most 8 KiB.
pub const DEFAULT_FILL: i32 = -2;
/// Byte bound of count-limited nodes (Redis's SIZE_SAFETY_LIMIT).
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Largest entry count of one node (Redis's fill is clamped to 2^15-1).
const MAX_COUNT: u32 = (1 << 15) - 1;

/// Which end of a list (Redis's LIST_HEAD / LIST_TAIL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

impl End {
    pub fn other(self) -> End {
        match self {
            End::Head => End::Tail,
            End::Tail => End::Head,
        }
    }
}

/// How full a node may get, from `list-max-listpack-size`.
#[derive(Clone, Copy)]
struct Limit {
    bytes: usize,
    count: u32,
}

impl Limit {
    fn of(fill: i32) -> Limit {
        if fill >= 0 {
            Limit {
                bytes: SIZE_SAFETY_LIMIT,
                count: (fill as u32).clamp(1, MAX_COUNT),
            }
        } else {
            let level = fill.unsigned_abs().min(5);
            Limit {
                bytes: 4096 << (level - 1),
                count: MAX_COUNT,
            }
        }
    }

    /// Capacity a node grows to at most for free room: a full node moves its
    /// bytes rather than reallocate (as a listpack memmoves on every change).
    fn max_cap(self) -> usize {
        self.bytes
    }
}

fn varint_len(n: usize) -> usize {
    let mut k = 1;
    let mut v = n >> 7;
    while v != 0 {
        k += 1;
        v >>= 7;
    }
    k
}

/// Bytes an element of `len` bytes takes in a node.
fn entry_size(len: usize) -> usize {
    len + 2 * varint_len(len)
}

/// Writes `e` as an entry filling `dst` exactly (`dst.len() == entry_size`).
fn write_entry(dst: &mut [u8], e: &[u8]) {
    let k = varint_len(e.len());
    let last = dst.len() - 1;
    let mut v = e.len();
    for i in 0..k {
        let mut b = (v & 0x7f) as u8;
        v >>= 7;
        if i + 1 < k {
            b |= 0x80;
        }
        dst[i] = b;
        dst[last - i] = b;
    }
    dst[k..k + e.len()].copy_from_slice(e);
}

/// The entry starting at `off`: (payload start, payload length, entry end).
#[inline]
fn read_fwd(buf: &[u8], off: usize) -> (usize, usize, usize) {
    let b = buf[off];
    if b < 0x80 {
        let len = b as usize;
        return (off + 1, len, off + 2 + len);
    }
    let (mut len, mut shift, mut p) = (0usize, 0, off);
    loop {
        let b = buf[p];
        p += 1;
        len |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let k = p - off;
    (p, len, p + len + k)
}

/// The entry ending at `end`: (payload start, payload length, entry start).
#[inline]
fn read_bwd(buf: &[u8], end: usize) -> (usize, usize, usize) {
    let b = buf[end - 1];
    if b < 0x80 {
        let len = b as usize;
        return (end - 1 - len, len, end - 2 - len);
    }
    let (mut len, mut shift, mut p) = (0usize, 0, end);
    loop {
        p -= 1;
        let b = buf[p];
        len |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let k = end - p;
    (p - len, len, p - len - k)
}

/// One packed node: live entries in `buf[head..tail]`.
#[derive(Clone, Default)]
struct Node {
    buf: Box<[u8]>,
    head: u32,
    tail: u32,
    count: u32,
}

/// A `size`-byte node buffer holding `live` at `at`, the slack zeroed: each
/// byte written once (a zeroed allocation and then the copy wrote the live
/// bytes twice, a measurable cost for nodes of 1 KiB elements).
fn spread(live: &[u8], at: usize, size: usize) -> Box<[u8]> {
    let mut v = Vec::with_capacity(size);
    v.resize(at, 0);
    v.extend_from_slice(live);
    v.resize(size, 0);
    v.into_boxed_slice()
}

impl Node {
    fn h(&self) -> usize {
        self.head as usize
    }

    fn t(&self) -> usize {
        self.tail as usize
    }

    fn live(&self) -> usize {
        self.t() - self.h()
    }

    fn accepts(&self, need: usize, lim: Limit) -> bool {
        self.live() + need <= lim.bytes && self.count < lim.count
    }

    /// A node holding `bytes` (whole entries, `count` of them), exactly sized.
    fn from_bytes(bytes: &[u8], count: u32) -> Node {
        Node {
            buf: bytes.into(),
            head: 0,
            tail: bytes.len() as u32,
            count,
        }
    }

    /// Ensures `front` free bytes before `head` and `back` after `tail`, moving
    /// the live bytes within the buffer when there is slack enough to amortize
    /// the move, else reallocating (geometrically, up to `max_cap`).
    fn make_room(&mut self, front: usize, back: usize, max_cap: usize) {
        let (h, t, cap) = (self.h(), self.t(), self.buf.len());
        if h >= front && cap - t >= back {
            return;
        }
        let live = t - h;
        let want = live + front + back;
        // Spare room goes to the side that asked for it.
        let place = |size: usize| if front > 0 { size - live - back } else { front };
        if want <= cap && (cap - want >= cap / 4 || cap >= max_cap) {
            let nh = place(cap);
            self.buf.copy_within(h..t, nh);
            self.head = nh as u32;
        } else {
            let size = want.max(cap.saturating_mul(2).min(max_cap));
            let nh = place(size);
            self.buf = spread(&self.buf[h..t], nh, size);
            self.head = nh as u32;
        }
        self.tail = self.head + live as u32;
    }

    /// Gives memory back when a node has become mostly empty.
    fn maybe_shrink(&mut self) {
        let cap = self.buf.len();
        let live = self.live();
        if cap >= 256 && live < cap / 4 {
            let size = live + live / 2;
            self.buf = spread(&self.buf[self.h()..self.t()], 0, size);
            self.head = 0;
            self.tail = live as u32;
        }
    }

    fn push_back(&mut self, e: &[u8], max_cap: usize) {
        let n = entry_size(e.len());
        self.make_room(0, n, max_cap);
        let t = self.t();
        write_entry(&mut self.buf[t..t + n], e);
        self.tail += n as u32;
        self.count += 1;
    }

    fn push_front(&mut self, e: &[u8], max_cap: usize) {
        let n = entry_size(e.len());
        self.make_room(n, 0, max_cap);
        let h = self.h() - n;
        write_entry(&mut self.buf[h..h + n], e);
        self.head = h as u32;
        self.count += 1;
    }

    /// Removes the first entry; returns its payload's range in `buf` (valid
    /// until the node is next modified).
    fn pop_front(&mut self) -> std::ops::Range<usize> {
        let (p, len, end) = read_fwd(&self.buf, self.h());
        self.head = end as u32;
        self.count -= 1;
        p..p + len
    }

    fn pop_back(&mut self) -> std::ops::Range<usize> {
        let (p, len, start) = read_bwd(&self.buf, self.t());
        self.tail = start as u32;
        self.count -= 1;
        p..p + len
    }

    /// Byte offset of the entry at position `i` (< count), walking from the
    /// nearer end.
    fn offset_of(&self, i: u32) -> usize {
        if i <= self.count / 2 {
            let mut off = self.h();
            for _ in 0..i {
                off = read_fwd(&self.buf, off).2;
            }
            off
        } else {
            let mut end = self.t();
            for _ in 0..self.count - i {
                end = read_bwd(&self.buf, end).2;
            }
            end
        }
    }

    /// Offset after skipping `n` entries forward from `off`.
    fn skip(&self, mut off: usize, n: u32) -> usize {
        for _ in 0..n {
            off = read_fwd(&self.buf, off).2;
        }
        off
    }

    /// Replaces `buf[a..b]` (whole entries) with `new_len` bytes written by
    /// `write`, moving whichever side is cheaper; the caller fixes `count`.
    fn splice(
        &mut self,
        a: usize,
        b: usize,
        new_len: usize,
        max_cap: usize,
        write: impl FnOnce(&mut [u8]),
    ) {
        let old_len = b - a;
        if new_len > old_len {
            let grow = new_len - old_len;
            // Offsets are relative to head across a possible re-layout.
            let (ra, rb) = (a - self.h(), b - self.h());
            if ra < self.live() - rb && self.h() >= grow {
                // Shorter to move the front part left.
                let h = self.h();
                self.buf.copy_within(h..a, h - grow);
                self.head -= grow as u32;
            } else {
                self.make_room(0, grow, max_cap);
                let (h, t) = (self.h(), self.t());
                self.buf.copy_within(h + rb..t, h + rb + grow);
                self.tail += grow as u32;
            }
            let a = self.h() + ra;
            write(&mut self.buf[a..a + new_len]);
        } else {
            let shrink = old_len - new_len;
            let (h, t) = (self.h(), self.t());
            if a - h < t - b {
                self.buf.copy_within(h..a, h + shrink);
                self.head += shrink as u32;
                let a = a + shrink;
                write(&mut self.buf[a..a + new_len]);
            } else {
                self.buf.copy_within(b..t, a + new_len);
                self.tail -= shrink as u32;
                write(&mut self.buf[a..a + new_len]);
            }
        }
    }
}

/// A Redis list.
#[derive(Clone)]
pub struct ListValue {
    nodes: VecDeque<Node>,
    len: usize,
    /// `list-max-listpack-size` when the list was created (as Redis's quicklist
    /// keeps its own fill).
    fill: i32,
}

impl Default for ListValue {
    fn default() -> Self {
        ListValue::with_fill(DEFAULT_FILL)
    }
}

impl PartialEq for ListValue {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for ListValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

impl ListValue {
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty list whose nodes follow `list-max-listpack-size` = `fill`.
    pub fn with_fill(fill: i32) -> Self {
        ListValue {
            nodes: VecDeque::new(),
            len: 0,
            fill,
        }
    }

    /// A list of `items` in order.
    pub fn from_iter_with_fill<I, B>(fill: i32, items: I) -> Self
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut l = ListValue::with_fill(fill);
        for e in items {
            l.push(End::Tail, e.as_ref());
        }
        l
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name `OBJECT ENCODING` reports: Redis 7.0 lists are always quicklists.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Bytes held by the list's allocations (for MEMORY USAGE-like estimates).
    pub fn allocated_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.nodes.iter().map(|n| n.buf.len()).sum::<usize>()
    }

    fn limit(&self) -> Limit {
        Limit::of(self.fill)
    }

    pub fn push(&mut self, end: End, e: &[u8]) {
        let lim = self.limit();
        let need = entry_size(e.len());
        let node = match end {
            End::Head => self.nodes.front_mut(),
            End::Tail => self.nodes.back_mut(),
        };
        match node {
            Some(n) if n.accepts(need, lim) => match end {
                End::Head => n.push_front(e, lim.max_cap()),
                End::Tail => n.push_back(e, lim.max_cap()),
            },
            _ => {
                if self.nodes.capacity() == 0 {
                    self.nodes.reserve_exact(1);
                }
                let mut n = Node::default();
                n.push_back(e, lim.max_cap());
                match end {
                    End::Head => self.nodes.push_front(n),
                    End::Tail => self.nodes.push_back(n),
                }
            }
        }
        self.len += 1;
    }

    /// Pops one element and hands its bytes to `f`.
    pub fn pop_with<R>(&mut self, end: End, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let node = match end {
            End::Head => self.nodes.front_mut()?,
            End::Tail => self.nodes.back_mut()?,
        };
        let range = match end {
            End::Head => node.pop_front(),
            End::Tail => node.pop_back(),
        };
        let r = f(&node.buf[range]);
        self.len -= 1;
        if node.count == 0 {
            match end {
                End::Head => self.nodes.pop_front(),
                End::Tail => self.nodes.pop_back(),
            };
        } else {
            node.maybe_shrink();
        }
        Some(r)
    }

    pub fn pop(&mut self, end: End) -> Option<Bytes> {
        self.pop_with(end, Bytes::copy_from_slice)
    }

    /// (node, position in node, byte offset) of element `index` (< len).
    fn locate(&self, index: usize) -> (usize, u32, usize) {
        debug_assert!(index < self.len);
        if index < self.len / 2 {
            let mut i = index;
            for (n, node) in self.nodes.iter().enumerate() {
                let c = node.count as usize;
                if i < c {
                    return (n, i as u32, node.offset_of(i as u32));
                }
                i -= c;
            }
        } else {
            let mut i = self.len - 1 - index;
            for (n, node) in self.nodes.iter().enumerate().rev() {
                let c = node.count as usize;
                if i < c {
                    let pos = (c - 1 - i) as u32;
                    return (n, pos, node.offset_of(pos));
                }
                i -= c;
            }
        }
        unreachable!("index within len")
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        if index >= self.len {
            return None;
        }
        let (n, _, off) = self.locate(index);
        let node = &self.nodes[n];
        let (p, len, _) = read_fwd(&node.buf, off);
        Some(&node.buf[p..p + len])
    }

    /// Replaces element `index`; false when out of range.
    pub fn set(&mut self, index: usize, e: &[u8]) -> bool {
        if index >= self.len {
            return false;
        }
        let lim = self.limit();
        let (n, _, off) = self.locate(index);
        let node = &mut self.nodes[n];
        let end = read_fwd(&node.buf, off).2;
        let new_size = entry_size(e.len());
        if node.count > 1 && node.live() - (end - off) + new_size > lim.bytes {
            // Too big to share the node: goes in as an insert, which splits.
            self.remove_range(index, 1);
            self.insert(index, e);
            return true;
        }
        node.splice(off, end, new_size, lim.max_cap(), |dst| write_entry(dst, e));
        true
    }

    /// Inserts `e` before element `index` (`index == len` appends).
    pub fn insert(&mut self, index: usize, e: &[u8]) {
        if index == 0 {
            return self.push(End::Head, e);
        }
        if index >= self.len {
            return self.push(End::Tail, e);
        }
        let lim = self.limit();
        let need = entry_size(e.len());
        let (n, pos, off) = self.locate(index);
        self.len += 1;
        if self.nodes[n].accepts(need, lim) {
            let node = &mut self.nodes[n];
            node.splice(off, off, need, lim.max_cap(), |d| write_entry(d, e));
            node.count += 1;
            return;
        }
        if pos == 0 {
            // Before a full node's first element: the previous node's end, or
            // a node of its own.
            if n > 0 && self.nodes[n - 1].accepts(need, lim) {
                self.nodes[n - 1].push_back(e, lim.max_cap());
            } else {
                let mut single = Node::default();
                single.push_back(e, lim.max_cap());
                self.nodes.insert(n, single);
            }
            return;
        }
        // Split the full node at the insertion point; the element joins the
        // front part, or sits in a node of its own between the two.
        let node = &mut self.nodes[n];
        let back = Node::from_bytes(&node.buf[off..node.t()], node.count - pos);
        node.tail = off as u32;
        node.count = pos;
        let front_ok = node.accepts(need, lim);
        if front_ok {
            node.push_back(e, lim.max_cap());
        }
        node.maybe_shrink();
        self.nodes.insert(n + 1, back);
        if !front_ok {
            let mut single = Node::default();
            single.push_back(e, lim.max_cap());
            self.nodes.insert(n + 1, single);
        }
    }

    /// Removes `count` elements starting at `start` (the range must be valid).
    pub fn remove_range(&mut self, start: usize, count: usize) {
        if count == 0 {
            return;
        }
        debug_assert!(start + count <= self.len);
        let (mut n, pos, _) = self.locate(start);
        let mut left = count;
        if pos > 0 {
            let node = &mut self.nodes[n];
            let take = left.min((node.count - pos) as usize) as u32;
            let a = node.offset_of(pos);
            let b = node.skip(a, take);
            node.splice(a, b, 0, 0, |_| {});
            node.count -= take;
            node.maybe_shrink();
            left -= take as usize;
            n += 1;
        }
        let mut whole = 0;
        while n + whole < self.nodes.len() && self.nodes[n + whole].count as usize <= left {
            left -= self.nodes[n + whole].count as usize;
            whole += 1;
        }
        self.nodes.drain(n..n + whole);
        if left > 0 {
            let node = &mut self.nodes[n];
            let b = node.skip(node.h(), left as u32);
            node.head = b as u32;
            node.count -= left as u32;
            node.maybe_shrink();
        }
        self.len -= count;
    }

    /// Removes up to `limit` elements equal to `e` (0 = all), scanning from the
    /// tail when `from_tail`; returns how many went.
    pub fn remove_matching(&mut self, e: &[u8], limit: usize, from_tail: bool) -> usize {
        let mut removed = 0;
        let mut n = if from_tail { self.nodes.len() } else { 0 };
        let mut offsets = Vec::new();
        loop {
            if limit != 0 && removed == limit {
                break;
            }
            if from_tail {
                if n == 0 {
                    break;
                }
                n -= 1;
            } else if n == self.nodes.len() {
                break;
            }
            let node = &mut self.nodes[n];
            offsets.clear();
            let mut off = node.h();
            while off < node.t() {
                let (p, len, end) = read_fwd(&node.buf, off);
                if &node.buf[p..p + len] == e {
                    offsets.push((off, end));
                }
                off = end;
            }
            let want = if limit == 0 {
                offsets.len()
            } else {
                offsets.len().min(limit - removed)
            };
            let drop = if from_tail {
                &offsets[offsets.len() - want..]
            } else {
                &offsets[..want]
            };
            if !drop.is_empty() {
                // Compact the kept entries towards head.
                let mut write = node.h();
                let mut read = node.h();
                for &(a, b) in drop {
                    node.buf.copy_within(read..a, write);
                    write += a - read;
                    read = b;
                }
                let t = node.t();
                node.buf.copy_within(read..t, write);
                write += t - read;
                node.tail = write as u32;
                node.count -= drop.len() as u32;
                removed += drop.len();
                if node.count == 0 {
                    self.nodes.remove(n);
                    if !from_tail {
                        continue;
                    }
                } else {
                    node.maybe_shrink();
                }
            }
            if !from_tail {
                n += 1;
            }
        }
        self.len -= removed;
        removed
    }

    /// Every element, head to tail (double-ended).
    pub fn iter(&self) -> Iter<'_> {
        if self.len == 0 {
            return Iter {
                nodes: &self.nodes,
                front: (0, 0),
                back: (0, 0),
                remaining: 0,
            };
        }
        let last = self.nodes.len() - 1;
        Iter {
            nodes: &self.nodes,
            front: (0, self.nodes[0].h()),
            back: (last, self.nodes[last].t()),
            remaining: self.len,
        }
    }

    /// Elements `start..end` (end exclusive, both within len; double-ended).
    pub fn range(&self, start: usize, end: usize) -> Iter<'_> {
        if start >= end {
            return Iter {
                nodes: &self.nodes,
                front: (0, 0),
                back: (0, 0),
                remaining: 0,
            };
        }
        let (fnode, _, foff) = self.locate(start);
        let (bnode, _, boff) = self.locate(end - 1);
        let bend = read_fwd(&self.nodes[bnode].buf, boff).2;
        Iter {
            nodes: &self.nodes,
            front: (fnode, foff),
            back: (bnode, bend),
            remaining: end - start,
        }
    }
}

/// Iterator over a list's elements as byte slices.
pub struct Iter<'a> {
    nodes: &'a VecDeque<Node>,
    /// Node and offset of the next element from the front.
    front: (usize, usize),
    /// Node and end offset of the next element from the back.
    back: (usize, usize),
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let (mut n, mut off) = self.front;
        let mut node = &self.nodes[n];
        if off >= node.t() {
            n += 1;
            node = &self.nodes[n];
            off = node.h();
        }
        let (p, len, end) = read_fwd(&node.buf, off);
        self.front = (n, end);
        Some(&node.buf[p..p + len])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    #[inline]
    fn next_back(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let (mut n, mut end) = self.back;
        let mut node = &self.nodes[n];
        if end <= node.h() {
            n -= 1;
            node = &self.nodes[n];
            end = node.t();
        }
        let (p, len, start) = read_bwd(&node.buf, end);
        self.back = (n, start);
        Some(&node.buf[p..p + len])
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests;
