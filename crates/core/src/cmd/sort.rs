//! SORT and SORT_RO (Redis's sort.c): sorting lists, sets and sorted sets
//! numerically or by bytes, by external keys (`BY`), fetching external keys
//! (`GET`), with `LIMIT`, `DESC` and `STORE`.
//!
//! Byte-exactness notes, all checked against redis-server 7.0.15:
//! - Numeric values go through C's `strtod`: a prefix up to a NUL byte, leading
//!   blanks and hex floats allowed, and any ERANGE (overflow, or an inexact
//!   result in the subnormal range) is an error.
//! - Without `STORE`, ALPHA compares with `strcoll`, which in the C/C.UTF-8
//!   locales is `strcmp` (bytes up to the first NUL); with `STORE` it compares
//!   the full bytes (Redis keeps stored results locale-independent).
//! - A full sort is glibc's `qsort` (a stable merge sort), so ties keep their
//!   input order; a `BY` sort whose `LIMIT` narrows the range uses Redis's
//!   partial quicksort instead, reproduced here so ties land where Redis puts them.
//! - Sorting a sorted set converts it to the `skiplist` encoding, as 7.0 does.

use crate::args::{is, parse_i64, Args};
use crate::command::{acl, flags::*, Command};
use crate::ctx::{classes, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::pqsort::pqsort;
use crate::types::zset::range::strtod;
use crate::types::ListValue;
use crate::value::Value;
use bytes::Bytes;
use ember_resp::Reply;
use std::cmp::Ordering;

pub fn commands() -> Vec<Command> {
    let a = acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS;
    vec![
        Command::new("sort", -2, WRITE | DENYOOM, a, sort)
            .keys(1, 1, 1)
            .movable_keys(sort_keys),
        Command::new("sort_ro", -2, READONLY, a, sort_ro)
            .keys(1, 1, 1)
            .movable_keys(sort_ro_keys),
    ]
}

/// Key positions of a SORT line (Redis's sortGetKeys): the sorted key, then
/// the last `STORE` destination. Options are skipped with their arguments;
/// any other word counts as an argument-less option.
pub fn sort_keys(argv: &[Bytes]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if is(a, "limit") {
            i += 2;
        } else if is(a, "get") || is(a, "by") {
            i += 1;
        } else if is(a, "store") && i + 1 < argv.len() {
            // Not skipped: the destination is itself read as an option word.
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store);
    keys
}

/// SORT_RO has no destination: only the sorted key.
pub fn sort_ro_keys(_argv: &[Bytes]) -> Vec<usize> {
    vec![1]
}

fn sort(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    sort_generic(ctx, args, false)
}

fn sort_ro(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    sort_generic(ctx, args, true)
}

/// The parsed options.
struct Opts<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<&'a Bytes>,
    by: Option<&'a [u8]>,
    /// A `BY` pattern without `*` was seen (stays set even if a later `BY` has one).
    dontsort: bool,
    gets: Vec<&'a [u8]>,
}

fn parse_opts<'a>(
    args: &mut Args<'a>,
    readonly: bool,
    full_key_access: bool,
) -> Result<Opts<'a>, CmdError> {
    let mut o = Opts {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        store: None,
        by: None,
        dontsort: false,
        gets: Vec::new(),
    };
    while let Some(word) = args.next_opt() {
        let left = args.remaining();
        if is(word, "asc") {
            o.desc = false;
        } else if is(word, "desc") {
            o.desc = true;
        } else if is(word, "alpha") {
            o.alpha = true;
        } else if is(word, "limit") && left >= 2 {
            o.limit_start = parse_i64(args.next()?)?;
            o.limit_count = parse_i64(args.next()?)?;
        } else if !readonly && is(word, "store") && left >= 1 {
            o.store = Some(args.next()?);
        } else if is(word, "by") && left >= 1 {
            let pat = args.next()?;
            if !c_str(pat).contains(&b'*') {
                o.dontsort = true;
            } else if !full_key_access {
                return Err(denied("BY"));
            }
            o.by = Some(pat);
        } else if is(word, "get") && left >= 1 {
            if !full_key_access {
                return Err(denied("GET"));
            }
            o.gets.push(args.next()?);
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(o)
}

/// BY and GET read keys no key position names, so Redis allows them only to
/// users who may read every key (ACLUserCheckKeyPerm on "*", selectors included).
fn full_key_access(ctx: &mut Ctx, argv: &[bytes::Bytes]) -> bool {
    crate::acl::client_reads_any_key(ctx.engine, ctx.client_id, ctx.cmd, argv)
}

fn denied(option: &str) -> CmdError {
    CmdError::err(format_args!(
        "{option} option of SORT denied due to insufficient ACL permissions."
    ))
}

/// The part of `b` a C string function sees: up to the first NUL.
fn c_str(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

/// One element being sorted, with what it sorts by.
struct Item {
    elem: Bytes,
    score: f64,
    /// ALPHA with BY: the external value (`None` when the key is missing).
    by: Option<Bytes>,
}

impl Item {
    fn new(elem: &[u8]) -> Item {
        Item {
            elem: Bytes::copy_from_slice(elem),
            score: 0.0,
            by: None,
        }
    }
}

fn sort_generic(ctx: &mut Ctx, args: &mut Args, readonly: bool) -> CmdResult {
    let key = args.next()?;
    let full_access = full_key_access(ctx, args.argv());
    let mut o = parse_opts(args, readonly, full_access)?;

    let kind = match ctx.lookup_read(key) {
        None => None,
        Some(Value::List(_)) => Some(Kind::List),
        Some(Value::Set(_)) => Some(Kind::Set),
        Some(Value::ZSet(_)) => Some(Kind::ZSet),
        Some(_) => return Err(CmdError::WrongType),
    };
    // A set has no order of its own: when the result is stored (and so
    // replicated), BY nosort becomes an ALPHA sort so it is deterministic.
    if o.dontsort && kind == Some(Kind::Set) && o.store.is_some() {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    // A missing key sorts as an empty list.
    let kind = kind.unwrap_or(Kind::List);
    let (items, start, end) = load(ctx, key, kind, &o);
    let mut items = items;

    let mut conversion_error = false;
    if !o.dontsort {
        for it in items.iter_mut() {
            let byval = match o.by {
                Some(pat) => match lookup_by_pattern(ctx, pat, &it.elem) {
                    Some(v) => v,
                    None => continue,
                },
                None => it.elem.clone(),
            };
            if o.alpha {
                if o.by.is_some() {
                    it.by = Some(byval);
                }
            } else {
                match sort_score(&byval) {
                    Some(s) => it.score = s,
                    None => conversion_error = true,
                }
            }
        }
        // The result is discarded on a conversion error (and NaN-free scores
        // are what keeps the comparison a total order).
        if !conversion_error {
            let mode = Mode {
                desc: o.desc,
                alpha: o.alpha,
                by: o.by.is_some(),
                store: o.store.is_some(),
            };
            let cmp = |a: &Item, b: &Item| mode.compare(a, b);
            let n = items.len() as i64;
            if o.by.is_some() && (start != 0 || end != n - 1) {
                pqsort(&mut items, start, end, &cmp);
            } else {
                items.sort_by(cmp);
            }
        }
    }
    if conversion_error {
        return Err(CmdError::err(
            "One or more scores can't be converted into double",
        ));
    }

    let range: &[Item] = if end >= start {
        &items[start as usize..=end as usize]
    } else {
        &[]
    };
    let per = o.gets.len().max(1);
    let outputlen = range.len() * per;
    match o.store {
        None => {
            let mut out = Vec::with_capacity(outputlen);
            for it in range {
                if o.gets.is_empty() {
                    out.push(Reply::Bulk(it.elem.clone()));
                }
                for pat in &o.gets {
                    out.push(match lookup_by_pattern(ctx, pat, &it.elem) {
                        Some(v) => Reply::Bulk(v),
                        None => Reply::Nil,
                    });
                }
            }
            Ok(Reply::Array(out))
        }
        Some(dst) => {
            let mut list = ListValue::with_fill(ctx.engine.config.list_max_listpack_size);
            for it in range {
                if o.gets.is_empty() {
                    list.push(crate::types::list::End::Tail, &it.elem);
                }
                for pat in &o.gets {
                    let v = lookup_by_pattern(ctx, pat, &it.elem).unwrap_or_default();
                    list.push(crate::types::list::End::Tail, &v);
                }
            }
            if outputlen > 0 {
                ctx.set_key(dst, Value::List(Box::new(list)), false);
                ctx.notify(classes::LIST, "sortstore", dst);
                ctx.dirty(outputlen as u64);
            } else if ctx.db().remove(dst).is_some() {
                // Redis's dbDelete: no lazy-expiry check first.
                ctx.signal_modified(dst);
                ctx.notify(classes::GENERIC, "del", dst);
                ctx.dirty(1);
            }
            Ok(Reply::Integer(outputlen as i64))
        }
    }
}

/// Loads the elements to sort, with the output range `start..=end` into them
/// (Redis's LIMIT arithmetic). Lists and sorted sets that need no sorting load
/// just the requested range, in (reversed, for DESC) native order.
fn load(ctx: &mut Ctx, key: &[u8], kind: Kind, o: &Opts) -> (Vec<Item>, i64, i64) {
    if kind == Kind::ZSet {
        if let Some(Value::ZSet(z)) = ctx.db().get_raw_mut(key) {
            z.convert_to_skiplist();
        }
    }
    let value = ctx.db().get_raw(key);
    let len = match value {
        Some(Value::List(l)) => l.len(),
        Some(Value::Set(s)) => s.len(),
        Some(Value::ZSet(z)) => z.len(),
        _ => 0,
    } as i64;
    let mut start = o.limit_start.max(0);
    let mut end = if o.limit_count < 0 {
        len - 1
    } else {
        start.saturating_add(o.limit_count - 1)
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    let ranged = o.dontsort && matches!(kind, Kind::List | Kind::ZSet);
    if ranged {
        let count = (end - start + 1).max(0) as usize;
        let skip = start.max(0) as usize;
        let items: Vec<Item> = match value {
            Some(Value::List(l)) if count > 0 => {
                if o.desc {
                    let to = l.len() - skip;
                    l.range(to - count, to).rev().map(Item::new).collect()
                } else {
                    l.range(skip, skip + count).map(Item::new).collect()
                }
            }
            Some(Value::ZSet(z)) if count > 0 => {
                let rank = if o.desc {
                    len as usize - 1 - skip
                } else {
                    skip
                };
                z.iter_from(rank, o.desc)
                    .take(count)
                    .map(|(m, _)| Item::new(m))
                    .collect()
            }
            _ => Vec::new(),
        };
        return (items, 0, end - start);
    }
    let items = match value {
        Some(Value::List(l)) => l.iter().map(Item::new).collect(),
        Some(Value::Set(s)) => s.iter().map(|m| Item::new(&m)).collect(),
        Some(Value::ZSet(z)) => z.iter().map(|(m, _)| Item::new(m)).collect(),
        _ => Vec::new(),
    };
    (items, start, end)
}

/// How elements compare (Redis's sortCompare).
struct Mode {
    desc: bool,
    alpha: bool,
    by: bool,
    store: bool,
}

impl Mode {
    fn compare(&self, a: &Item, b: &Item) -> Ordering {
        let c = if !self.alpha {
            match a.score.partial_cmp(&b.score) {
                Some(Ordering::Equal) | None => a.elem.cmp(&b.elem),
                Some(c) => c,
            }
        } else if self.by {
            match (&a.by, &b.by) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => self.bytes(x, y),
            }
        } else {
            self.bytes(&a.elem, &b.elem)
        };
        if self.desc {
            c.reverse()
        } else {
            c
        }
    }

    /// Stored results compare binary-safe; replies go through `strcoll`.
    fn bytes(&self, x: &[u8], y: &[u8]) -> Ordering {
        if self.store {
            x.cmp(y)
        } else {
            c_str(x).cmp(c_str(y))
        }
    }
}

/// A numeric sort value as Redis reads it: `strtod` must stop at the end or
/// at a NUL byte, with no NaN and no ERANGE.
fn sort_score(b: &[u8]) -> Option<f64> {
    let (v, used) = strtod(b);
    if used < b.len() && b[used] != 0 {
        return None;
    }
    if v.is_nan() || range_error(&b[..used], v) {
        return None;
    }
    Some(v)
}

/// Whether glibc's `strtod` sets ERANGE for the converted text `t` giving `v`:
/// overflow to infinity, or underflow (a zero or subnormal result that is
/// inexact). Decimal subnormals are taken as inexact; hex ones are checked.
fn range_error(t: &[u8], v: f64) -> bool {
    let lower = t.to_ascii_lowercase();
    if v.is_infinite() {
        return !lower.windows(3).any(|w| w == b"inf");
    }
    if v != 0.0 && v.abs() >= f64::MIN_POSITIVE {
        return false;
    }
    let body: Vec<u8> = lower
        .iter()
        .copied()
        .skip_while(|c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b'+' | b'-'))
        .collect();
    match body.strip_prefix(b"0x") {
        Some(hex) => hex_inexact(hex),
        None => {
            let mantissa = body.split(|&c| c == b'e').next().unwrap_or(&[]);
            mantissa.iter().any(|c| (b'1'..=b'9').contains(c))
        }
    }
}

/// For a hex float below the normal range: true if bits fall below 2^-1074.
fn hex_inexact(hex: &[u8]) -> bool {
    let (mant, exp) = match hex.iter().position(|&c| c == b'p') {
        Some(p) => (&hex[..p], &hex[p + 1..]),
        None => (hex, &b""[..]),
    };
    let exp: i64 = std::str::from_utf8(exp)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if exp.is_empty() { 0 } else { i64::MIN / 2 });
    let (int, frac) = match mant.iter().position(|&c| c == b'.') {
        Some(d) => (&mant[..d], &mant[d + 1..]),
        None => (mant, &b""[..]),
    };
    // Position (power of two) of the lowest set bit of the mantissa.
    let digits: Vec<u32> = int
        .iter()
        .chain(frac)
        .filter_map(|&c| (c as char).to_digit(16))
        .collect();
    let Some(last) = digits.iter().rposition(|&d| d != 0) else {
        return false; // zero is exact
    };
    let weight = 4 * (digits.len() - 1 - last) as i64 - 4 * frac.len() as i64;
    let low_bit = weight + digits[last].trailing_zeros() as i64 + exp;
    low_bit < -1074
}

/// The value a BY/GET pattern names for `elem` (Redis's lookupKeyByPattern):
/// `#` is the element itself; otherwise the first `*` is replaced by the
/// element, and a `->field` suffix after it reads a hash field. Only string
/// (or, with a field, hash) keys give a value. Patterns are read as C strings
/// where Redis uses C string functions.
fn lookup_by_pattern(ctx: &mut Ctx, pat: &[u8], elem: &[u8]) -> Option<Bytes> {
    let cpat = c_str(pat);
    if cpat == b"#" {
        return Some(Bytes::copy_from_slice(elem));
    }
    let star = cpat.iter().position(|&c| c == b'*')?;
    let arrow = cpat[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|&f| f + 2 < cpat.len());
    let (tail_end, field) = match arrow {
        Some(f) => (f, Some(&pat[f + 2..])),
        None => (pat.len(), None),
    };
    let mut name = Vec::with_capacity(pat.len() + elem.len());
    name.extend_from_slice(&pat[..star]);
    name.extend_from_slice(elem);
    name.extend_from_slice(&pat[star + 1..tail_end]);
    match (ctx.lookup_read(&name)?, field) {
        (Value::Str(s), None) => Some(Bytes::copy_from_slice(&s.as_bytes())),
        (Value::Hash(h), Some(f)) => h.get(f).map(Bytes::copy_from_slice),
        _ => None,
    }
}

#[cfg(test)]
#[path = "sort_tests.rs"]
mod tests;
