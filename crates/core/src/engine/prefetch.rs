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
use crate::compact::KeyBuf;
use crate::db::AccessStamp;
use crate::dict::{Dict, MemberPrefetch, PREFETCH_MAX};
use crate::value::Value;
use bytes::Bytes;

impl Engine {
    /// Prefetches the first key of each of the first [`PREFETCH_MAX`]
    /// commands in `batch` (commands of `client`, in its selected database;
    /// a front end running a deeper pipeline calls again every
    /// `PREFETCH_MAX` commands); commands without keys and unknown names are
    /// skipped.
    pub fn prefetch_batch<'a>(
        &mut self,
        client: ClientId,
        batch: impl Iterator<Item = &'a [Bytes]>,
    ) {
        let Some(db) = self.clients.get(&client).map(|c| c.db) else {
            return;
        };
        let mut keys: [&[u8]; PREFETCH_MAX] = [&[]; PREFETCH_MAX];
        // The member argument of each key's command, empty for none.
        let mut members: [&[u8]; PREFETCH_MAX] = [&[]; PREFETCH_MAX];
        let mut n = 0;
        for argv in batch.take(PREFETCH_MAX) {
            let Some(cmd) = argv.first().and_then(|name| self.lookup_memo(name)) else {
                continue;
            };
            if let Some(key) = usize::try_from(cmd.first_key)
                .ok()
                .filter(|&i| i > 0)
                .and_then(|i| argv.get(i))
            {
                keys[n] = key;
                members[n] = match cmd.member_arg {
                    0 => &[],
                    i => argv.get(i).map_or(&[][..], |m| &m[..]),
                };
                n += 1;
            }
        }
        // A lone lookup has no other misses to overlap with.
        let Some(db) = self.dbs.get(db).filter(|_| n > 1) else {
            return;
        };
        db.keys.prefetch(&keys[..n], Value::heap_ptr);
        prefetch_members(&db.keys, &keys[..n], &members[..n]);
    }
}

/// The second level: for each key holding a large collection, its member's
/// bucket slot, then chain head, then key bytes, each pass over the batch.
/// Looking the collections up here waits on the keyspace prefetch just
/// issued, but those misses overlap across the batch.
fn prefetch_members(
    keyspace: &Dict<KeyBuf, Value, AccessStamp>,
    keys: &[&[u8]],
    members: &[&[u8]],
) {
    let mut found: [Option<(&dyn MemberPrefetch, usize)>; PREFETCH_MAX] = [None; PREFETCH_MAX];
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
    use crate::testkit::T;
    use bytes::Bytes;

    fn argv(words: &[&str]) -> Vec<Bytes> {
        words.iter().map(|w| Bytes::from(w.to_string())).collect()
    }

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
        assert!(replies[0].contains("\"v\""), "{}", replies[0]);
        assert!(replies[8].contains("WRONGTYPE"), "{}", replies[8]);
        assert_eq!(t.int(&["HLEN", "bighash"]), 601);
        assert_eq!(t.int(&["SCARD", "bigset"]), 600);
        assert_eq!(t.int(&["ZCARD", "bigzset"]), 600);
    }
}
