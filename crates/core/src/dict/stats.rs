//! DEBUG HTSTATS's text: Redis's `dictGetStats` layout over this table's
//! chains (the chain lengths are ours; the format is Redis's).

use super::{Dict, Link};
use std::borrow::Borrow;
use std::fmt::Write;

/// Chain lengths counted one by one; longer chains share the last count
/// (Redis's DICT_STATS_VECTLEN).
const VECTLEN: usize = 50;

/// The most bytes Redis's fixed buffer holds for one dict's stats.
const BUF_MAX: usize = 4095;

/// Appends one table's stats (Redis's `_dictGetStatsHt`): `index` 0 is the
/// main table, 1 a rehash's target; `chains` yields each bucket's length.
pub fn table_stats(out: &mut String, index: u8, chains: impl Iterator<Item = usize>) {
    let mut clvector = [0u64; VECTLEN];
    let (mut size, mut slots, mut max_chain, mut total) = (0u64, 0u64, 0usize, 0u64);
    for len in chains {
        size += 1;
        clvector[len.min(VECTLEN - 1)] += 1;
        if len > 0 {
            slots += 1;
            max_chain = max_chain.max(len);
            total += len as u64;
        }
    }
    let role = if index == 0 {
        "main hash table"
    } else {
        "rehashing target"
    };
    let _ = writeln!(out, "Hash table {index} stats ({role}):");
    if total == 0 {
        out.push_str("No stats available for empty dictionaries\n");
        return;
    }
    // Redis divides in single precision; so does this, for the same digits.
    let avg = total as f32 / slots as f32;
    let _ = write!(
        out,
        " table size: {size}\n number of elements: {total}\n \
         different slots: {slots}\n max chain length: {max_chain}\n \
         avg chain length (counted): {avg:.2}\n avg chain length (computed): {avg:.2}\n \
         Chain length distribution:\n"
    );
    for (len, &count) in clvector.iter().enumerate().take(VECTLEN - 1) {
        if count > 0 {
            let pct = (count as f32 / size as f32) * 100.0;
            let _ = writeln!(out, "   {len}: {count} ({pct:.2}%)");
        }
    }
}

/// Redis's `dictGetStats` output cut to its buffer.
pub fn truncated(mut text: String) -> String {
    if text.len() > BUF_MAX {
        let mut end = BUF_MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

fn chain_lengths<K, V, M>(table: &[Link<K, V, M>]) -> impl Iterator<Item = usize> + '_ {
    table.iter().map(|slot| {
        let mut n = 0;
        let mut cur = slot;
        while let Some(e) = cur {
            n += 1;
            cur = &e.next;
        }
        n
    })
}

impl<K: Borrow<[u8]>, V, M: Default> Dict<K, V, M> {
    /// The table's stats as DEBUG HTSTATS prints them: during a rehash the
    /// draining table is "Hash table 0" and the new one the "rehashing
    /// target", as in Redis.
    pub fn stats_text(&self) -> String {
        let mut out = String::new();
        match &self.old {
            None => table_stats(&mut out, 0, chain_lengths(&self.buckets)),
            Some(old) => {
                table_stats(&mut out, 0, chain_lengths(&old.buckets));
                table_stats(&mut out, 1, chain_lengths(&self.buckets));
            }
        }
        truncated(out)
    }
}
