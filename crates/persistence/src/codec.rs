//! Value serialization: one type byte plus the value's body, exactly as Redis
//! 7.0 writes it (the part shared by RDB files and DUMP payloads), and the
//! reader for every encoding Redis has written since RDB version 1.
//!
//! Writing picks Redis's compact encodings where Redis would have them in
//! memory: listpack hashes and sorted sets, intset sets, and lists as
//! quicklists of listpack nodes. Reading rebuilds Ember's values with the
//! encodings Redis would end up with after loading (same thresholds).

use crate::error::{RdbError, Result};
use crate::packed::{self, Entry, ListpackBuilder};
use crate::rio::{parse_strtod, rdb_type as t, RdbReader, RdbWriter, Str};
use ember_core::types::hash::{HashBuilder, Limits as HashLimits};
use ember_core::types::set::Member;
use ember_core::types::zset::Limits as ZLimits;
use ember_core::types::{HashValue, ListValue, SetValue, ZSetValue};
use ember_core::value::{StrValue, Value};
use ember_core::Config;
use std::borrow::Cow;
use std::io::{Read, Write};

/// Quicklist node containers (Redis's QUICKLIST_NODE_CONTAINER_*).
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;
/// Redis's SIZE_SAFETY_LIMIT and SIZE_ESTIMATE_OVERHEAD for quicklist nodes.
const NODE_SAFETY_LIMIT: usize = 8192;
const NODE_ESTIMATE_OVERHEAD: usize = 11;

/// The settings that decide encodings: `list-max-listpack-size` for writing
/// lists, the conversion thresholds for reading.
#[derive(Clone, Copy, Debug)]
pub struct Encodings {
    pub list_fill: i32,
    pub hash: HashLimits,
    pub zset: ZLimits,
    pub set_max_intset: usize,
}

impl Encodings {
    pub fn from_config(c: &Config) -> Encodings {
        Encodings {
            list_fill: c.list_max_listpack_size,
            hash: HashLimits {
                max_entries: usize::try_from(c.hash_max_listpack_entries).unwrap_or(usize::MAX),
                max_value: usize::try_from(c.hash_max_listpack_value).unwrap_or(usize::MAX),
            },
            zset: ZLimits::new(c.zset_max_listpack_entries, c.zset_max_listpack_value),
            set_max_intset: usize::try_from(c.set_max_intset_entries)
                .unwrap_or(usize::MAX)
                .min(1 << 30),
        }
    }
}

impl Default for Encodings {
    fn default() -> Self {
        Encodings::from_config(&Config::default())
    }
}

// ------------------------------------------------------------------ writing

/// The RDB type byte `value` is written with.
pub fn type_byte(value: &Value) -> u8 {
    match value {
        Value::Str(_) => t::STRING,
        Value::List(_) => t::LIST_QUICKLIST_2,
        Value::Set(s) if s.is_intset() => t::SET_INTSET,
        Value::Set(_) => t::SET,
        Value::ZSet(z) if z.is_listpack() => t::ZSET_LISTPACK,
        Value::ZSet(_) => t::ZSET_2,
        Value::Hash(h) if h.is_packed() => t::HASH_LISTPACK,
        Value::Hash(_) => t::HASH,
    }
}

/// Writes the type byte and the value (Redis's rdbSaveObjectType + rdbSaveObject).
pub fn write_value<W: Write>(w: &mut RdbWriter<W>, value: &Value, enc: &Encodings) -> Result<()> {
    w.write_u8(type_byte(value))?;
    write_body(w, value, enc)
}

/// Writes the value without its type byte (Redis's rdbSaveObject).
pub fn write_body<W: Write>(w: &mut RdbWriter<W>, value: &Value, enc: &Encodings) -> Result<()> {
    match value {
        Value::Str(s) => match s.int() {
            Some(n) => w.write_int_string(n),
            None => w.write_string(&s.as_bytes()),
        },
        Value::List(l) => write_list(w, l, enc.list_fill),
        Value::Set(s) => write_set(w, s),
        Value::ZSet(z) => write_zset(w, z),
        Value::Hash(h) => write_hash(w, h),
    }
}

/// Whether a quicklist node may take one more element of `len` bytes
/// (Redis's _quicklistNodeAllowInsert).
fn node_accepts(node: &ListpackBuilder, len: usize, fill: i32) -> bool {
    if node.is_empty() {
        return true;
    }
    let new_sz = node.bytes() + len + NODE_ESTIMATE_OVERHEAD;
    if fill < 0 {
        let level = fill.unsigned_abs().min(5);
        new_sz <= 4096usize << (level - 1)
    } else {
        new_sz <= NODE_SAFETY_LIMIT && node.len() < (fill.max(1) as usize)
    }
}

/// The list's quicklist nodes as Redis would have built them with this fill:
/// one listpack each.
pub(crate) fn quicklist_nodes(list: &ListValue, fill: i32) -> Vec<Vec<u8>> {
    let mut nodes: Vec<Vec<u8>> = Vec::new();
    let mut node = ListpackBuilder::new();
    for e in list.iter() {
        if !node_accepts(&node, e.len(), fill) {
            nodes.push(std::mem::take(&mut node).finish());
        }
        node.push(e);
    }
    if !node.is_empty() {
        nodes.push(node.finish());
    }
    nodes
}

fn write_list<W: Write>(w: &mut RdbWriter<W>, list: &ListValue, fill: i32) -> Result<()> {
    // One count, then (container, listpack) pairs.
    let nodes = quicklist_nodes(list, fill);
    w.write_len(nodes.len() as u64)?;
    for lp in &nodes {
        w.write_len(CONTAINER_PACKED)?;
        w.write_string(lp)?;
    }
    Ok(())
}

fn write_set<W: Write>(w: &mut RdbWriter<W>, set: &SetValue) -> Result<()> {
    if set.is_intset() {
        let ints: Vec<i64> = set
            .members()
            .map(|m| match m {
                Member::Int(n) => n,
                // An intset holds integers only; keep the writer total anyway.
                Member::Bytes(b) => ember_resp::num::parse_i64(b).unwrap_or(0),
            })
            .collect();
        return w.write_string(&packed::intset_blob(&ints));
    }
    w.write_len(set.len() as u64)?;
    for m in set.members() {
        match m {
            Member::Int(n) => w.write_int_string(n)?,
            Member::Bytes(b) => w.write_string(b)?,
        }
    }
    Ok(())
}

/// A score as Redis's d2string writes it into a listpack: integral values
/// (within 2^52) as integers, -0 as "-0", others with %.17g.
fn push_score(lp: &mut ListpackBuilder, score: f64) {
    if score == 0.0 {
        lp.push(if score.is_sign_negative() {
            b"-0"
        } else {
            b"0"
        });
    } else if score.is_infinite() {
        lp.push(if score < 0.0 { b"-inf" } else { b"inf" });
    } else if score > -4503599627370495.0 && score < 4503599627370496.0 && score.fract() == 0.0 {
        lp.push_int(score as i64);
    } else {
        lp.push(ember_resp::num::fmt_g17(score).as_bytes());
    }
}

fn write_zset<W: Write>(w: &mut RdbWriter<W>, z: &ZSetValue) -> Result<()> {
    if z.is_listpack() {
        let mut lp = ListpackBuilder::new();
        for (m, s) in z.iter() {
            lp.push(m);
            push_score(&mut lp, s);
        }
        return w.write_string(&lp.finish());
    }
    // Highest score first, so loading inserts at the head (as Redis writes it).
    w.write_len(z.len() as u64)?;
    if z.is_empty() {
        return Ok(());
    }
    for (m, s) in z.iter_from(z.len() - 1, true) {
        w.write_string(m)?;
        w.write_binary_double(s)?;
    }
    Ok(())
}

fn write_hash<W: Write>(w: &mut RdbWriter<W>, h: &HashValue) -> Result<()> {
    if h.is_packed() {
        let mut lp = ListpackBuilder::new();
        for (f, v) in h.iter() {
            lp.push(f);
            lp.push(v);
        }
        return w.write_string(&lp.finish());
    }
    w.write_len(h.len() as u64)?;
    for (f, v) in h.iter() {
        w.write_string(f)?;
        w.write_string(v)?;
    }
    Ok(())
}

// ------------------------------------------------------------------ reading

/// Reads a value of RDB type `ty` (Redis's rdbLoadObject). `Ok(None)` is an
/// empty collection, which Redis skips when loading a file.
pub fn read_value<R: Read>(r: &mut RdbReader<R>, ty: u8, enc: &Encodings) -> Result<Option<Value>> {
    let value = match ty {
        t::STRING => Value::Str(match r.read_string_or_int()? {
            Str::Int(n) => StrValue::from_int(n),
            Str::Bytes(b) => string_value(b),
        }),
        t::LIST => {
            let n = r.read_len()?;
            let mut items = Vec::new();
            for _ in 0..n {
                items.push(r.read_string()?);
            }
            list_value(items, enc)
        }
        t::LIST_ZIPLIST => {
            let blob = r.read_string()?;
            let entries = packed::ziplist_entries(&blob)?;
            list_value(entries.into_iter().map(Entry::to_vec), enc)
        }
        t::LIST_QUICKLIST | t::LIST_QUICKLIST_2 => read_quicklist(r, ty, enc)?,
        t::SET => {
            let n = r.read_len()?;
            let mut set = if n > enc.set_max_intset as u64 {
                SetValue::table_with_capacity(n.min(1 << 20) as usize)
            } else {
                SetValue::default()
            };
            for _ in 0..n {
                let m = r.read_string()?;
                if !set.add(&m, enc.set_max_intset) {
                    return Err(RdbError::corrupt("Duplicate set members detected"));
                }
            }
            Value::Set(Box::new(set))
        }
        t::SET_INTSET => {
            let blob = r.read_string()?;
            let mut set = SetValue::default();
            for n in packed::intset_members(&blob)? {
                set.add_member(Member::Int(n), enc.set_max_intset);
            }
            Value::Set(Box::new(set))
        }
        t::ZSET | t::ZSET_2 => {
            let n = r.read_len()?;
            let mut pairs = Vec::new();
            for _ in 0..n {
                let m = r.read_string()?;
                let s = if ty == t::ZSET_2 {
                    r.read_binary_double()?
                } else {
                    r.read_text_double()?
                };
                pairs.push((m, s));
            }
            zset_value(pairs, enc.zset)?
        }
        t::ZSET_ZIPLIST | t::ZSET_LISTPACK => {
            let blob = r.read_string()?;
            let entries = if ty == t::ZSET_LISTPACK {
                packed::listpack_entries(&blob)?
            } else {
                packed::ziplist_entries(&blob)?
            };
            if entries.len() % 2 != 0 {
                return Err(RdbError::corrupt("Zset listpack integrity check failed."));
            }
            let mut pairs = Vec::with_capacity(entries.len() / 2);
            for pair in entries.chunks_exact(2) {
                let score = match pair[1] {
                    Entry::Int(n) => n as f64,
                    Entry::Bytes(b) => parse_strtod(b).ok_or_else(|| {
                        RdbError::corrupt("Zset listpack integrity check failed.")
                    })?,
                };
                let member = match pair[0] {
                    Entry::Bytes(b) => Cow::Borrowed(b),
                    Entry::Int(n) => Cow::Owned(itoa::Buffer::new().format(n).as_bytes().to_vec()),
                };
                pairs.push((member, score));
            }
            // A packed set keeps long members packed (Redis checks the count only).
            let limits = ZLimits {
                max_value: usize::MAX,
                ..enc.zset
            };
            zset_value(pairs, limits)?
        }
        t::HASH => {
            let n = r.read_len()?;
            // Too many fields for a listpack: straight into a hashtable (as
            // Redis creates it), not a listpack grown then converted.
            let mut h = HashBuilder::new(n.min(1 << 20) as usize, &enc.hash);
            let dup = || RdbError::corrupt("Duplicate hash fields detected");
            for _ in 0..n {
                let f = r.read_string()?;
                let v = r.read_string()?;
                if !h.push(&f, &v) {
                    return Err(dup());
                }
            }
            Value::Hash(h.finish().ok_or_else(dup)?)
        }
        t::HASH_ZIPMAP => {
            let blob = r.read_string()?;
            let pairs = packed::zipmap_pairs(&blob)?;
            hash_value(pairs.into_iter(), &enc.hash)?
        }
        t::HASH_ZIPLIST | t::HASH_LISTPACK => {
            let blob = r.read_string()?;
            let entries = if ty == t::HASH_LISTPACK {
                packed::listpack_entries(&blob)?
            } else {
                packed::ziplist_entries(&blob)?
            };
            if entries.len() % 2 != 0 {
                return Err(RdbError::corrupt("Hash listpack integrity check failed."));
            }
            let limits = HashLimits {
                max_value: usize::MAX,
                ..enc.hash
            };
            let (mut fbuf, mut vbuf) = (itoa::Buffer::new(), itoa::Buffer::new());
            let mut h = HashBuilder::new(entries.len() / 2, &limits);
            let dup = || RdbError::corrupt("Hash with dup elements");
            for pair in entries.chunks_exact(2) {
                let f = entry_bytes(pair[0], &mut fbuf);
                let v = entry_bytes(pair[1], &mut vbuf);
                if !h.push(f, v) {
                    return Err(dup());
                }
            }
            Value::Hash(h.finish().ok_or_else(dup)?)
        }
        t::STREAM_LISTPACKS | t::STREAM_LISTPACKS_2 => {
            return Err(RdbError::Unsupported(format!(
                "The RDB data holds a stream (RDB type {ty}); Ember does not support streams"
            )))
        }
        t::MODULE | t::MODULE_2 => {
            return Err(RdbError::Unsupported(format!(
                "The RDB data holds a module value (RDB type {ty}); Ember does not support modules"
            )))
        }
        other => {
            return Err(RdbError::corrupt(format!(
                "Unknown RDB encoding type {other}"
            )));
        }
    };
    let empty = match &value {
        Value::Str(_) => false,
        Value::List(l) => l.is_empty(),
        Value::Set(s) => s.is_empty(),
        Value::ZSet(z) => z.is_empty(),
        Value::Hash(h) => h.is_empty(),
    };
    Ok((!empty).then_some(value))
}

/// A packed element as bytes (integers formatted into `buf`).
fn entry_bytes<'a>(e: Entry<'a>, buf: &'a mut itoa::Buffer) -> &'a [u8] {
    match e {
        Entry::Int(n) => buf.format(n).as_bytes(),
        Entry::Bytes(b) => b,
    }
}

/// A loaded string, encoded as Redis's tryObjectEncoding would.
fn string_value(b: Vec<u8>) -> StrValue {
    if b.len() <= 20 {
        if let Some(n) = ember_resp::num::parse_i64(&b) {
            return StrValue::from_int(n);
        }
    }
    StrValue::from_vec(b)
}

fn list_value<B: AsRef<[u8]>>(items: impl IntoIterator<Item = B>, enc: &Encodings) -> Value {
    Value::List(Box::new(ListValue::from_iter_with_fill(
        enc.list_fill,
        items,
    )))
}

fn read_quicklist<R: Read>(r: &mut RdbReader<R>, ty: u8, enc: &Encodings) -> Result<Value> {
    let nodes = r.read_len()?;
    let mut list = ListValue::with_fill(enc.list_fill);
    for _ in 0..nodes {
        let container = if ty == t::LIST_QUICKLIST_2 {
            r.read_len()?
        } else {
            CONTAINER_PACKED
        };
        if container != CONTAINER_PACKED && container != CONTAINER_PLAIN {
            return Err(RdbError::corrupt("Quicklist integrity check failed."));
        }
        let data = r.read_string()?;
        if data.is_empty() {
            return Err(RdbError::corrupt("Quicklist node is empty"));
        }
        if container == CONTAINER_PLAIN {
            list.push(ember_core::types::list::End::Tail, &data);
            continue;
        }
        let entries = if ty == t::LIST_QUICKLIST_2 {
            packed::listpack_entries(&data)?
        } else {
            packed::ziplist_entries(&data)?
        };
        let mut buf = itoa::Buffer::new();
        for e in entries {
            let bytes = match e {
                Entry::Int(n) => buf.format(n).as_bytes(),
                Entry::Bytes(b) => b,
            };
            list.push(ember_core::types::list::End::Tail, bytes);
        }
    }
    Ok(Value::List(Box::new(list)))
}

fn hash_value<'a>(
    pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>,
    limits: &HashLimits,
) -> Result<Value> {
    let mut h = HashBuilder::new(0, limits);
    let dup = || RdbError::corrupt("Hash with dup elements");
    for (f, v) in pairs {
        if !h.push(f, v) {
            return Err(dup());
        }
    }
    Ok(Value::Hash(h.finish().ok_or_else(dup)?))
}

/// Sorted sets are stored in any order: sort by (score, member), refuse NaN
/// scores and duplicate members, then encode as Redis converts after loading.
fn zset_value<M: AsRef<[u8]> + Ord>(mut pairs: Vec<(M, f64)>, limits: ZLimits) -> Result<Value> {
    if pairs.iter().any(|(_, s)| s.is_nan()) {
        return Err(RdbError::corrupt("Zset with NAN score detected"));
    }
    pairs.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    ZSetValue::from_sorted_checked(&pairs, limits)
        .map(Value::ZSet)
        .ok_or_else(|| RdbError::corrupt("Duplicate zset fields detected"))
}

#[cfg(test)]
pub(crate) mod tests;
