//! Batch prefetch for pipelines: before a client's parsed batch runs, the
//! keyspace entries of its commands' first keys are requested from memory
//! together, so the cache misses of a lookup (bucket slot, entry, key bytes,
//! the value's heap block) overlap across the batch instead of stalling each
//! command in turn (the idea of Valkey 8's batched key prefetching). A second
//! level does the same inside large hashes, sets and sorted sets for the
//! member a command names (HSET's field, SADD's member), whose lookup in a
//! big collection misses the cache just as the keyspace's does. Only a hint
//! to the CPU: what runs and what it sees are unchanged.

use super::Engine;
use crate::client::ClientId;
use crate::db::Keyspace;
use crate::dict::{MemberIndex, PREFETCH_MAX};
use crate::value::Value;
use bytes::Bytes;

impl Engine {
    /// Prefetches the keys of the commands at the front of `batch`
    /// (commands of `client`, in its selected database): every key position
    /// of each command (MSET's ten keys overlap their misses as ten GETs in a
    /// pipeline do), until [`PREFETCH_MAX`] keys are gathered. Returns how
    /// many commands that covered (at least 1), so a front end running a
    /// deeper pipeline knows when to call again. Commands without keys and
    /// unknown names are skipped; a command whose keys move (`keys_fn`)
    /// contributes its first key only.
    pub fn prefetch_batch<'a>(
        &mut self,
        client: ClientId,
        batch: impl Iterator<Item = &'a [Bytes]>,
    ) -> usize {
        let Some(db) = self.clients.get(&client).map(|c| c.db) else {
            return 1;
        };
        let mut keys: [&[u8]; PREFETCH_MAX] = [&[]; PREFETCH_MAX];
        // The member argument of each key's command, empty for none.
        let mut members: [&[u8]; PREFETCH_MAX] = [&[]; PREFETCH_MAX];
        let mut n = 0;
        let mut covered = 0;
        for argv in batch {
            if n == PREFETCH_MAX {
                break;
            }
            covered += 1;
            let Some(cmd) = argv.first().and_then(|name| self.lookup_memo(name)) else {
                continue;
            };
            let (first, step) = match usize::try_from(cmd.first_key) {
                Ok(first) if first > 0 => (first, usize::try_from(cmd.step).unwrap_or(0)),
                _ => continue,
            };
            let last = match cmd.last_key {
                _ if cmd.keys_fn.is_some() || step == 0 => first,
                l if l < 0 => argv.len().saturating_sub(l.unsigned_abs() as usize),
                l => l as usize,
            };
            for key in argv.iter().take(last + 1).skip(first).step_by(step.max(1)) {
                if n == PREFETCH_MAX {
                    break;
                }
                keys[n] = key;
                members[n] = match cmd.member_arg {
                    0 => &[],
                    i => argv.get(i).map_or(&[][..], |m| &m[..]),
                };
                n += 1;
                // The member belongs to the first key only.
                if cmd.member_arg != 0 {
                    break;
                }
            }
        }
        // A lone lookup has no other misses to overlap with.
        if let Some(db) = self.dbs.get(db).filter(|_| n > 1) {
            // (A volatile key's TTL slot is read before its value.)
            db.keys
                .prefetch(&keys[..n], |v, m| [db.ttls().slot_ptr(m), v.heap_ptr()]);
            prefetch_members(&db.keys, &keys[..n], &members[..n]);
        }
        covered.max(1)
    }
}

/// The second level: for each key holding a large collection, its member's
/// bucket slot, then chain head, then key bytes, each pass over the batch.
/// Looking the collections up here waits on the keyspace prefetch just
/// issued, but those misses overlap across the batch.
fn prefetch_members(keyspace: &Keyspace, keys: &[&[u8]], members: &[&[u8]]) {
    let mut found: [Option<(&dyn MemberIndex, usize)>; PREFETCH_MAX] = [None; PREFETCH_MAX];
    let mut any = false;
    for ((slot, key), member) in found.iter_mut().zip(keys).zip(members) {
        if member.is_empty() {
            continue;
        }
        if let Some(index) = keyspace.get(key).and_then(Value::member_index) {
            *slot = index.member_slot(member).map(|s| (index, s));
            any |= slot.is_some();
        }
    }
    if !any {
        return;
    }
    for (index, slot) in found.iter().flatten() {
        index.member_head(*slot);
    }
    for (index, slot) in found.iter().flatten() {
        index.member_key(*slot);
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::{argv, T};
    use bytes::Bytes;

    /// Large collections (hashtable / skiplist), small ones and a string.
    fn filled() -> T {
        let mut t = T::new();
        for i in 0..600 {
            let (f, m) = (format!("field:{i}"), format!("member:{i}"));
            t.run(&["HSET", "bighash", &f, "v"]);
            t.run(&["SADD", "bigset", &m]);
            t.run(&["ZADD", "bigzset", &i.to_string(), &m]);
        }
        t.run(&["HSET", "smallhash", "f", "v"]);
        t.run(&["SADD", "intset", "1", "2"]);
        t.run(&["ZADD", "smallzset", "1", "a"]);
        t.run(&["SET", "str", "x"]);
        t
    }

    /// Runs `batch` on `t` after prefetching it and on a fresh `filled()`
    /// engine without: the replies must be the same (a hint only). Returns them.
    fn same_with_and_without_prefetch(t: &mut T, batch: &[Vec<Bytes>]) -> Vec<String> {
        let id = t.id;
        t.e.prefetch_batch(id, batch.iter().map(|a| &a[..]));
        let replies: Vec<String> = batch
            .iter()
            .map(|a| format!("{:?}", t.e.execute(id, a).expect("reply")))
            .collect();
        let mut fresh = filled();
        let expected: Vec<String> = batch
            .iter()
            .map(|a| format!("{:?}", fresh.e.execute(fresh.id, a).expect("reply")))
            .collect();
        assert_eq!(replies, expected);
        replies
    }

    /// Both levels over every collection encoding, malformed commands and
    /// keys of the wrong type included: a hint only, so every reply and the
    /// data are as without it.
    #[test]
    fn member_prefetch_changes_nothing() {
        let mut t = filled();
        let encodings: Vec<String> = ["bighash", "bigset", "bigzset", "smallhash", "intset"]
            .iter()
            .map(|k| t.encoding(k))
            .collect();
        assert_eq!(
            encodings,
            ["hashtable", "hashtable", "skiplist", "listpack", "intset"]
        );
        let batch = [
            argv(&["HGET", "bighash", "field:7"]),
            argv(&["HSET", "bighash", "field:new", "w"]),
            argv(&["SISMEMBER", "bigset", "member:9"]),
            argv(&["ZSCORE", "bigzset", "member:11"]),
            argv(&["ZADD", "bigzset", "NX", "5", "member:5"]),
            argv(&["HGET", "smallhash", "f"]),
            argv(&["SISMEMBER", "intset", "2"]),
            argv(&["ZSCORE", "smallzset", "a"]),
            argv(&["HGET", "str", "f"]),
            argv(&["HGET", "bighash"]),
            argv(&["SADD", "missing", "m"]),
            argv(&["HGET", "bighash", ""]),
        ];
        let replies = same_with_and_without_prefetch(&mut t, &batch);
        assert!(replies[0].contains("\"v\""), "{}", replies[0]);
        assert!(replies[8].contains("WRONGTYPE"), "{}", replies[8]);
        assert_eq!(t.int(&["HLEN", "bighash"]), 601);
        assert_eq!(t.int(&["SCARD", "bigset"]), 600);
        assert_eq!(t.int(&["ZCARD", "bigzset"]), 600);
    }

    /// Every key of a multi-key command counts toward the batch's
    /// [`PREFETCH_MAX`](crate::dict::PREFETCH_MAX) keys, and the returned
    /// count says how many commands that covered; replies are unchanged.
    #[test]
    fn multi_key_commands_fill_the_prefetch() {
        let mset = |from: usize, n: usize| {
            let mut words = vec!["MSET".to_string()];
            for i in from..from + n {
                words.push(format!("k{i}"));
                words.push(format!("v{i}"));
            }
            words
                .iter()
                .map(|w| Bytes::from(w.clone()))
                .collect::<Vec<_>>()
        };
        let mut t = filled();
        let id = t.id;
        // 10 + 1 + 1 keys: every command covered.
        let batch = [mset(0, 10), argv(&["GET", "k1"]), argv(&["GET", "k2"])];
        assert_eq!(t.e.prefetch_batch(id, batch.iter().map(|a| &a[..])), 3);
        // 20 keys in one command: the limit is reached inside it.
        let batch = [mset(0, 20), argv(&["GET", "k1"])];
        assert_eq!(t.e.prefetch_batch(id, batch.iter().map(|a| &a[..])), 1);
        // Keyless and unknown commands are covered without using a slot.
        let batch = [
            argv(&["PING"]),
            argv(&["NOSUCHCMD", "x"]),
            argv(&["DEL", "a", "b", "c"]),
            mset(0, 13),
            argv(&["GET", "k1"]),
        ];
        assert_eq!(t.e.prefetch_batch(id, batch.iter().map(|a| &a[..])), 4);
        // Nothing with keys at all: still at least one covered.
        assert_eq!(t.e.prefetch_batch(id, std::iter::empty()), 1);
        // Malformed and odd arities change nothing.
        let batch = [
            mset(0, 12),
            argv(&["MSET", "k1"]),
            argv(&["MGET", "k1", "k3", "nokey", "str"]),
            argv(&["DEL", "k5", "k6"]),
            argv(&["EXISTS", "k5", "k7", "k8"]),
        ];
        let replies = same_with_and_without_prefetch(&mut t, &batch);
        assert!(replies[2].contains("\"v1\""), "{}", replies[2]);
        assert_eq!(t.int(&["EXISTS", "k5", "k7", "k8"]), 2);
    }
}
