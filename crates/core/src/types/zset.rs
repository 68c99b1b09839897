//! ZSetValue: the sorted set value type (Redis's t_zset.c data side).
//!
//! Two encodings, reported under Redis 7.0's names:
//! - `listpack`: one flat buffer of (member, score) pairs in order
//!   ([`listpack::Listpack`]), for sets within `zset-max-listpack-entries`
//!   and `zset-max-listpack-value`;
//! - `skiplist`: a member -> score [`Dict`] (O(1) ZSCORE, and ZSCAN's
//!   full-iteration guarantee) plus an order-statistic tree of (score,
//!   member) ([`tree::Tree`]) for O(log n) ranks, ranges and updates.
//!
//! Conversion is one-way and happens exactly where Redis's zsetAdd converts;
//! results of ZRANGESTORE/ZUNIONSTORE-like commands are built with
//! [`ZSetValue::from_sorted`], which picks the encoding Redis would end with.

pub mod listpack;
pub mod range;
pub mod tree;

use crate::dict::{Dict, MemberIndex};
use crate::pack::{PackOr, PackRef};
use listpack::Listpack;
use rand::Rng;
pub use range::{LexRange, ScoreRange};
use std::sync::Arc;
use tree::{Node, Tree};

/// The conversion thresholds (`zset-max-listpack-entries` / `-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl Limits {
    pub fn new(max_entries: u64, max_value: u64) -> Limits {
        Limits {
            max_entries: usize::try_from(max_entries).unwrap_or(usize::MAX),
            max_value: usize::try_from(max_value).unwrap_or(usize::MAX),
        }
    }
}

/// ZADD's option flags (Redis's ZADD_IN_*).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddFlags {
    pub incr: bool,
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

/// What [`ZSetValue::add`] did (Redis's ZADD_OUT_*).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AddOutcome {
    /// A new member, with this score.
    Added(f64),
    /// An existing member's score changed to this.
    Updated(f64),
    /// Processed but the score stayed the same.
    Unchanged(f64),
    /// Skipped because of NX, XX, GT or LT.
    Nop,
}

/// The increment made the score NaN (`inf + -inf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotANumber;

/// The large encoding: dictionary plus ordered tree sharing the member bytes.
#[derive(Default)]
pub struct Skiplist {
    dict: Dict<Arc<[u8]>, f64>,
    tree: Tree,
}

impl Skiplist {
    fn from_sorted<'a>(entries: impl IntoIterator<Item = (&'a [u8], f64)>) -> Skiplist {
        let entries = entries.into_iter();
        let mut dict: Dict<Arc<[u8]>, f64> = Dict::new();
        dict.reserve(entries.size_hint().0);
        let nodes = entries.map(|(m, score)| {
            let member: Arc<[u8]> = Arc::from(m);
            dict.insert_new(member.clone(), score, ());
            Node { score, member }
        });
        let tree = Tree::from_sorted(nodes);
        Skiplist { dict, tree }
    }

    /// `from_sorted` for members that may repeat: `None` on a duplicate
    /// (found by the member dict's own lookup, no extra pass).
    fn from_sorted_checked<'a>(
        entries: impl ExactSizeIterator<Item = (&'a [u8], f64)>,
    ) -> Option<Skiplist> {
        let mut dict: Dict<Arc<[u8]>, f64> = Dict::new();
        dict.reserve(entries.len());
        let mut nodes = Vec::with_capacity(entries.len());
        for (m, score) in entries {
            let member: Arc<[u8]> = Arc::from(m);
            dict.try_insert_new(m, || member.clone(), score, ()).ok()?;
            nodes.push(Node { score, member });
        }
        Some(Skiplist {
            dict,
            tree: Tree::from_sorted(nodes),
        })
    }

    fn insert_new(&mut self, m: &[u8], score: f64) {
        let member: Arc<[u8]> = Arc::from(m);
        self.dict.insert_new(member.clone(), score, ());
        self.tree.insert(Node { score, member });
    }

    fn update(&mut self, m: &[u8], old: f64, new: f64) {
        let mut node = self.tree.remove(old, m).expect("member is in the tree");
        node.score = new;
        self.tree.insert(node);
        *self.dict.get_mut(m).expect("member is in the dict") = new;
    }

    fn remove(&mut self, m: &[u8]) -> bool {
        match self.dict.remove(m) {
            Some(score) => {
                self.tree.remove(score, m).expect("member is in the tree");
                true
            }
            None => false,
        }
    }
}

impl Clone for Skiplist {
    fn clone(&self) -> Self {
        Skiplist::from_sorted(self.tree.iter().map(|n| (&n.member[..], n.score)))
    }
}

impl std::fmt::Debug for Skiplist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.tree
                    .iter()
                    .map(|n| (String::from_utf8_lossy(&n.member), n.score)),
            )
            .finish()
    }
}

/// A sorted set value: a `listpack` or a `skiplist`, in one word (see [`PackOr`]).
#[derive(Clone)]
pub struct ZSetValue(PackOr<Listpack, Skiplist>);

use PackRef::{Big as Sl, Small as Lp};

impl std::fmt::Debug for ZSetValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.get() {
            Lp(lp) => f.debug_tuple("Listpack").field(lp).finish(),
            Sl(sl) => f.debug_tuple("Skiplist").field(sl).finish(),
        }
    }
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue(PackOr::small(Listpack::default()))
    }
}

impl PartialEq for ZSetValue {
    /// Same encoding and same (member, score) pairs.
    fn eq(&self, other: &Self) -> bool {
        self.encoding() == other.encoding()
            && self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|((m1, s1), (m2, s2))| m1 == m2 && s1.to_bits() == s2.to_bits())
    }
}

impl ZSetValue {
    /// The member-to-score index of a `skiplist` sorted set, for prefetching.
    pub fn member_index(&self) -> Option<&dyn MemberIndex> {
        match self.0.get() {
            Sl(s) => Some(&s.dict),
            Lp(_) => None,
        }
    }

    /// An empty set as ZADD creates it for its first member (Redis 7.0 looks
    /// only at the first member's length).
    pub fn for_first_member(member_len: usize, limits: Limits) -> ZSetValue {
        if limits.max_entries == 0 || member_len > limits.max_value {
            ZSetValue(PackOr::big(Box::default()))
        } else {
            ZSetValue::default()
        }
    }

    /// A set holding `entries` (already in order, distinct members), encoded
    /// as Redis ends up encoding a computed result (ZUNIONSTORE's
    /// zsetConvertToListpackIfNeeded, ZRANGESTORE's element-by-element adds).
    pub fn from_sorted<M: AsRef<[u8]>>(entries: &[(M, f64)], limits: Limits) -> ZSetValue {
        let it = entries.iter().map(|(m, s)| (m.as_ref(), *s));
        if fits_listpack(entries, limits) {
            ZSetValue(PackOr::small(Listpack::from_sorted(it)))
        } else {
            ZSetValue(PackOr::big(Box::new(Skiplist::from_sorted(it))))
        }
    }

    /// [`ZSetValue::from_sorted`] for untrusted input (an RDB payload):
    /// `None` when a member appears twice. Entries are in (score, member)
    /// order, so repeats need not be adjacent: a listpack-sized set compares
    /// pairwise or sorts its members, a skiplist finds them in its dict.
    pub fn from_sorted_checked<M: AsRef<[u8]>>(
        entries: &[(M, f64)],
        limits: Limits,
    ) -> Option<ZSetValue> {
        let it = entries.iter().map(|(m, s)| (m.as_ref(), *s));
        if fits_listpack(entries, limits) {
            let dup = if entries.len() <= 16 {
                (1..entries.len()).any(|i| {
                    entries[..i]
                        .iter()
                        .any(|(o, _)| o.as_ref() == entries[i].0.as_ref())
                })
            } else {
                let mut members: Vec<&[u8]> = entries.iter().map(|(m, _)| m.as_ref()).collect();
                members.sort_unstable();
                members.windows(2).any(|w| w[0] == w[1])
            };
            (!dup).then(|| ZSetValue(PackOr::small(Listpack::from_sorted(it))))
        } else {
            Skiplist::from_sorted_checked(it).map(|sl| ZSetValue(PackOr::big(Box::new(sl))))
        }
    }

    pub fn len(&self) -> usize {
        match self.0.get() {
            Lp(lp) => lp.len(),
            Sl(sl) => sl.tree.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where the listpack's block or the skiplist starts, for prefetching.
    pub fn heap_ptr(&self) -> *const u8 {
        self.0.addr()
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        match self.0.get() {
            Lp(_) => "listpack",
            Sl(_) => "skiplist",
        }
    }

    pub fn is_listpack(&self) -> bool {
        self.0.is_small()
    }

    /// Rough heap footprint in bytes (MEMORY USAGE-style estimates).
    /// Members estimated from `samples` of them.
    pub fn heap_bytes(&self, samples: usize) -> usize {
        match self.0.get() {
            Lp(lp) => lp.heap_bytes(),
            Sl(sl) => {
                let len = sl.tree.len();
                let members =
                    super::sampled(len, sl.tree.iter().map(|n| n.member.len() + 16), samples);
                sl.tree.heap_bytes() + members + sl.dict.len() * 32 + sl.dict.buckets() * 8
            }
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self.0.get() {
            Lp(lp) => lp.find(member).map(|f| f.2),
            Sl(sl) => sl.dict.get(member).copied(),
        }
    }

    /// Converts to the large encoding (one-way).
    fn convert(&mut self) {
        if let Lp(lp) = self.0.get_mut() {
            let sl = Skiplist::from_sorted(lp.iter());
            *self = ZSetValue(PackOr::big(Box::new(sl)));
        }
    }

    /// Forces the large encoding, as Redis 7.0's SORT does to the set it sorts.
    pub fn convert_to_skiplist(&mut self) {
        self.convert();
    }

    /// Adds or updates one member with ZADD's flags (Redis's zsetAdd),
    /// converting to the large encoding when a new member would exceed the
    /// limits.
    pub fn add(
        &mut self,
        member: &[u8],
        score: f64,
        flags: AddFlags,
        limits: Limits,
    ) -> Result<AddOutcome, NotANumber> {
        if score.is_nan() {
            return Err(NotANumber);
        }
        let current = match self.0.get_mut() {
            Lp(lp) => lp.find(member).map(|(pos, _, s)| (pos, s)),
            Sl(sl) => sl.dict.get(member).map(|&s| (0, s)),
        };
        match current {
            Some((pos, cur)) => {
                if flags.nx {
                    return Ok(AddOutcome::Nop);
                }
                let mut score = score;
                if flags.incr {
                    score += cur;
                    if score.is_nan() {
                        return Err(NotANumber);
                    }
                }
                if (flags.lt && score >= cur) || (flags.gt && score <= cur) {
                    return Ok(AddOutcome::Nop);
                }
                if score == cur {
                    return Ok(AddOutcome::Unchanged(score));
                }
                match self.0.get_mut() {
                    Lp(lp) => {
                        lp.remove_at(pos);
                        lp.insert(member, score);
                    }
                    Sl(sl) => sl.update(member, cur, score),
                }
                Ok(AddOutcome::Updated(score))
            }
            None if flags.xx => Ok(AddOutcome::Nop),
            None => {
                if let Lp(lp) = self.0.get_mut() {
                    if lp.len() + 1 > limits.max_entries || member.len() > limits.max_value {
                        self.convert();
                    } else {
                        lp.insert(member, score);
                        return Ok(AddOutcome::Added(score));
                    }
                }
                if let Sl(sl) = self.0.get_mut() {
                    sl.insert_new(member, score);
                }
                Ok(AddOutcome::Added(score))
            }
        }
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.0.get_mut() {
            Lp(lp) => lp.remove(member),
            Sl(sl) => sl.remove(member),
        }
    }

    /// 0-based rank in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match self.0.get() {
            Lp(lp) => lp.find(member).map(|f| f.1),
            Sl(sl) => {
                let score = *sl.dict.get(member)?;
                sl.tree.rank(score, member)
            }
        }
    }

    /// All (member, score) pairs in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0, false)
    }

    /// Pairs from rank `idx` (ascending rank), towards the end or, if `rev`,
    /// towards the start.
    pub fn iter_from(&self, idx: usize, rev: bool) -> Iter<'_> {
        match self.0.get() {
            Lp(lp) => {
                if rev {
                    let mut offsets = lp.offsets();
                    offsets.truncate(idx.saturating_add(1).min(lp.len()));
                    Iter::LpRev { lp, offsets }
                } else {
                    let mut it = lp.iter();
                    if idx > 0 {
                        it.nth(idx - 1);
                    }
                    Iter::Lp(it)
                }
            }
            Sl(sl) => Iter::Tree(sl.tree.iter_from(idx, rev)),
        }
    }

    pub fn first(&self) -> Option<(&[u8], f64)> {
        match self.0.get() {
            Lp(lp) => lp.first(),
            Sl(sl) => sl.tree.first().map(|n| (&n.member[..], n.score)),
        }
    }

    pub fn last(&self) -> Option<(&[u8], f64)> {
        match self.0.get() {
            Lp(lp) => lp.last(),
            Sl(sl) => sl.tree.last().map(|n| (&n.member[..], n.score)),
        }
    }

    /// Rank of the first pair within `r` (Redis's zslFirstInRange).
    pub fn first_in_range(&self, r: &ScoreRange) -> Option<usize> {
        if !self.in_range(r) {
            return None;
        }
        let i = match self.0.get() {
            Lp(lp) => lp.iter().position(|(_, s)| r.gte_min(s))?,
            Sl(sl) => sl.tree.partition_point(|n| !r.gte_min(n.score)),
        };
        let (_, s) = self.iter_from(i, false).next()?;
        r.lte_max(s).then_some(i)
    }

    /// Rank of the last pair within `r` (Redis's zslLastInRange).
    pub fn last_in_range(&self, r: &ScoreRange) -> Option<usize> {
        if !self.in_range(r) {
            return None;
        }
        let i = match self.0.get() {
            Lp(lp) => {
                let n = lp.len();
                let back = lp
                    .offsets()
                    .iter()
                    .rev()
                    .position(|&o| r.lte_max(lp.entry(o).1))?;
                n - 1 - back
            }
            Sl(sl) => sl
                .tree
                .partition_point(|n| r.lte_max(n.score))
                .checked_sub(1)?,
        };
        let (_, s) = self.iter_from(i, false).next()?;
        r.gte_min(s).then_some(i)
    }

    /// Redis's zslIsInRange: quick rejection on the extremes.
    fn in_range(&self, r: &ScoreRange) -> bool {
        if r.is_empty() {
            return false;
        }
        match (self.first(), self.last()) {
            (Some((_, lo)), Some((_, hi))) => r.gte_min(hi) && r.lte_max(lo),
            _ => false,
        }
    }

    /// Rank of the first member within `r` (Redis's zzlFirstInLexRange /
    /// zslFirstInLexRange). The compact encoding scans linearly as Redis does,
    /// so sets whose scores differ give Redis's answers too.
    pub fn first_in_lex(&self, r: &LexRange) -> Option<usize> {
        if !self.in_lex_range(r) {
            return None;
        }
        let i = match self.0.get() {
            Lp(lp) => lp.iter().position(|(m, _)| r.gte_min(m))?,
            Sl(sl) => sl.tree.partition_point(|n| !r.gte_min(&n.member)),
        };
        let (m, _) = self.iter_from(i, false).next()?;
        r.lte_max(m).then_some(i)
    }

    /// Rank of the last member within `r`.
    pub fn last_in_lex(&self, r: &LexRange) -> Option<usize> {
        if !self.in_lex_range(r) {
            return None;
        }
        let i = match self.0.get() {
            Lp(lp) => {
                let n = lp.len();
                let back = lp
                    .offsets()
                    .iter()
                    .rev()
                    .position(|&o| r.lte_max(lp.entry(o).0))?;
                n - 1 - back
            }
            Sl(sl) => sl
                .tree
                .partition_point(|n| r.lte_max(&n.member))
                .checked_sub(1)?,
        };
        let (m, _) = self.iter_from(i, false).next()?;
        r.gte_min(m).then_some(i)
    }

    fn in_lex_range(&self, r: &LexRange) -> bool {
        if r.is_empty() {
            return false;
        }
        match (self.first(), self.last()) {
            (Some((lo, _)), Some((hi, _))) => r.gte_min(hi) && r.lte_max(lo),
            _ => false,
        }
    }

    /// ZCOUNT.
    pub fn count_in_range(&self, r: &ScoreRange) -> usize {
        match (self.first_in_range(r), self.last_in_range(r)) {
            (Some(a), Some(b)) if b >= a => b - a + 1,
            _ => 0,
        }
    }

    /// ZLEXCOUNT: the compact encoding counts forward from the first member in
    /// range while members stay below the maximum; the large one subtracts ranks.
    pub fn count_in_lex(&self, r: &LexRange) -> usize {
        let Some(first) = self.first_in_lex(r) else {
            return 0;
        };
        match self.0.get() {
            Lp(_) => self
                .iter_from(first, false)
                .take_while(|(m, _)| r.lte_max(m))
                .count(),
            Sl(_) => match self.last_in_lex(r) {
                Some(last) => (self.len() - first) - (self.len() - 1 - last),
                None => self.len() - first,
            },
        }
    }

    /// Removes the pairs with ranks `start..=end` (clamped); returns how many.
    pub fn remove_range(&mut self, start: usize, end: usize) -> usize {
        let len = self.len();
        if start >= len || start > end {
            return 0;
        }
        let end = end.min(len - 1);
        match self.0.get_mut() {
            Lp(lp) => lp.remove_range(start, end - start + 1),
            Sl(sl) => {
                for node in sl.tree.remove_range(start, end + 1) {
                    sl.dict.remove(&node.member[..]);
                }
            }
        }
        end - start + 1
    }

    /// Removes the lowest (or, if `max`, highest) pair (the data half of
    /// ZPOPMIN/ZPOPMAX, which BZPOPMIN/BZPOPMAX reuse).
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        match self.0.get_mut() {
            Lp(lp) => lp.pop(max),
            Sl(sl) => {
                let node = sl.tree.pop(max)?;
                sl.dict.remove(&node.member[..]);
                Some((node.member.to_vec(), node.score))
            }
        }
    }

    /// A uniformly random pair.
    pub fn random(&self, rng: &mut impl Rng) -> Option<(&[u8], f64)> {
        match self.0.get() {
            Lp(lp) => {
                if lp.is_empty() {
                    return None;
                }
                lp.nth(rng.gen_range(0..lp.len()))
            }
            Sl(sl) => sl.dict.fair_random_entry(rng).map(|(k, v)| (&k[..], *v)),
        }
    }

    /// Visits one ZSCAN step of the large encoding's dictionary; the compact
    /// encoding is visited whole with cursor 0 returned, as Redis does.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        match self.0.get() {
            Lp(lp) => {
                for (m, s) in lp.iter() {
                    visit(m, s);
                }
                0
            }
            Sl(sl) => sl.dict.scan(cursor, |k, v| visit(k, *v)),
        }
    }
}

/// Iterator over (member, score) pairs of either encoding.
pub enum Iter<'a> {
    Lp(listpack::Iter<'a>),
    LpRev { lp: &'a Listpack, offsets: Vec<u32> },
    Tree(tree::TreeIter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Lp(it) => it.next(),
            Iter::LpRev { lp, offsets } => offsets.pop().map(|o| lp.entry(o)),
            Iter::Tree(it) => it.next().map(|n| (&n.member[..], n.score)),
        }
    }
}

/// Whether a computed or loaded set of `entries` stays within the listpack
/// limits (entry count and longest member).
fn fits_listpack<M: AsRef<[u8]>>(entries: &[(M, f64)], limits: Limits) -> bool {
    entries.len() <= limits.max_entries
        && entries
            .iter()
            .all(|(m, _)| m.as_ref().len() <= limits.max_value)
}

#[cfg(test)]
mod tests;
