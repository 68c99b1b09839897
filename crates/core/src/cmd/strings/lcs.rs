//! LCS: longest common subsequence of two string values, as the string, its
//! length, or the matching ranges (IDX).

use super::opt_is;
use crate::args::{parse_i64, Args};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::value::Value;
use ember_resp::Reply;

/// A string value's bytes, "" when missing, or an error for other types.
fn lcs_operand(ctx: &mut Ctx, key: &[u8]) -> Result<Vec<u8>, ()> {
    match ctx.lookup_read(key) {
        None => Ok(Vec::new()),
        Some(Value::Str(s)) => Ok(s.as_bytes().into_owned()),
        #[allow(unreachable_patterns)]
        Some(_) => Err(()),
    }
}

pub(super) fn lcs(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let ka = args.next()?;
    let kb = args.next()?;
    // Both keys are looked up (and counted) before either is type-checked.
    let a = lcs_operand(ctx, ka);
    let b = lcs_operand(ctx, kb);
    let (Ok(a), Ok(b)) = (a, b) else {
        return Err(CmdError::err(
            "The specified keys must contain string values",
        ));
    };
    let (mut get_idx, mut get_len, mut with_match_len) = (false, false, false);
    let mut min_match_len: i64 = 0;
    while let Some(opt) = args.next_opt() {
        if opt_is(opt, "IDX") {
            get_idx = true;
        } else if opt_is(opt, "LEN") {
            get_len = true;
        } else if opt_is(opt, "WITHMATCHLEN") {
            with_match_len = true;
        } else if opt_is(opt, "MINMATCHLEN") && !args.is_empty() {
            min_match_len = parse_i64(args.next()?)?.max(0);
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if get_idx && get_len {
        return Err(CmdError::err(
            "If you want both the length and indexes, please just use IDX.",
        ));
    }
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        return Err(CmdError::err("String too long for LCS"));
    }
    // The table is transient memory that Redis bounds by proto-max-bulk-len.
    let cells = (a.len() as u128 + 1) * (b.len() as u128 + 1);
    if cells * 4 > ctx.engine.config.proto_max_bulk_len.max(0) as u128 {
        return Err(CmdError::err(
            "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let table = Table::build(&a, &b);
    let total = table.at(a.len(), b.len());
    if get_len {
        return Ok(Reply::Integer(total as i64));
    }
    let walk = table.walk(&a, &b, total as usize);
    if !get_idx {
        return Ok(Reply::Bulk(walk.common.into()));
    }
    let matches = walk
        .ranges
        .iter()
        .filter(|r| min_match_len == 0 || r.len() as i64 >= min_match_len)
        .map(|r| {
            let mut item = vec![
                Reply::Array(vec![
                    Reply::Integer(r.a_start as i64),
                    Reply::Integer(r.a_end as i64),
                ]),
                Reply::Array(vec![
                    Reply::Integer(r.b_start as i64),
                    Reply::Integer(r.b_end as i64),
                ]),
            ];
            if with_match_len {
                item.push(Reply::Integer(r.len() as i64));
            }
            Reply::Array(item)
        })
        .collect();
    Ok(Reply::Map(vec![
        (Reply::bulk_static(b"matches"), Reply::Array(matches)),
        (Reply::bulk_static(b"len"), Reply::Integer(total as i64)),
    ]))
}

/// The dynamic-programming table: cell (i, j) holds the LCS length of the
/// first i bytes of `a` and the first j bytes of `b`.
struct Table {
    cols: usize,
    cells: Vec<u32>,
}

/// A run of consecutive matched bytes: inclusive ranges in `a` and in `b`.
struct Range {
    a_start: usize,
    a_end: usize,
    b_start: usize,
    b_end: usize,
}

impl Range {
    fn len(&self) -> usize {
        self.a_end - self.a_start + 1
    }
}

/// The LCS string and its match ranges, last ranges first (the walk goes
/// backwards, and Redis reports them in that order).
struct Walk {
    common: Vec<u8>,
    ranges: Vec<Range>,
}

impl Table {
    fn build(a: &[u8], b: &[u8]) -> Table {
        let cols = b.len() + 1;
        let mut cells = vec![0u32; (a.len() + 1) * cols];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * cols + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * cols + j - 1] + 1
                } else {
                    cells[(i - 1) * cols + j].max(cells[i * cols + j - 1])
                };
            }
        }
        Table { cols, cells }
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.cols + j]
    }

    /// Walks back from the bottom-right corner collecting the common bytes and
    /// the runs of consecutive matches. On a mismatch it moves towards the
    /// larger neighbour, preferring to drop a byte of `b` on ties; a run is
    /// closed when the walk leaves it or reaches the start of either string.
    fn walk(&self, a: &[u8], b: &[u8], total: usize) -> Walk {
        let mut common = vec![0u8; total];
        let mut left = total;
        let mut ranges = Vec::new();
        let mut run: Option<Range> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            let mut close = false;
            if a[i - 1] == b[j - 1] {
                left -= 1;
                common[left] = a[i - 1];
                match run.as_mut() {
                    None => {
                        run = Some(Range {
                            a_start: i - 1,
                            a_end: i - 1,
                            b_start: j - 1,
                            b_end: j - 1,
                        })
                    }
                    Some(r) if r.a_start == i && r.b_start == j => {
                        r.a_start -= 1;
                        r.b_start -= 1;
                    }
                    // A match that does not extend the run: the run is emitted
                    // and (as Redis does) this byte starts no new run.
                    Some(_) => close = true,
                }
                if let Some(r) = &run {
                    if r.a_start == 0 || r.b_start == 0 {
                        close = true;
                    }
                }
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                close = run.is_some();
            }
            if close {
                if let Some(r) = run.take() {
                    ranges.push(r);
                }
            }
        }
        Walk { common, ranges }
    }
}
