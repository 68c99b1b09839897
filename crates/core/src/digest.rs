//! DEBUG DIGEST and DEBUG DIGEST-VALUE: Redis's SHA-1 fingerprint of the
//! whole dataset and of single values (debug.c). Test suites compare it
//! across a reload, a restart or a replica, so it must come out as Redis
//! computes it: the same value on both servers gives the same 40 hex digits.
//!
//! Two ways to fold data in: `xor_in` (digest ^= SHA1(data)) where order does
//! not matter (set members, hash fields, sorted-set entries, keys of a
//! database) and `mix_in` (digest = SHA1(digest ^ SHA1(data))) where it does
//! (list elements, the parts of one entry, database numbers).

use crate::db::Db;
use crate::value::Value;
use sha1::{Digest as _, Sha1};

/// A 20-byte SHA-1 fingerprint.
pub type Digest = [u8; 20];

fn xor_in(digest: &mut Digest, data: &[u8]) {
    let hash = Sha1::digest(data);
    for (d, h) in digest.iter_mut().zip(hash.iter()) {
        *d ^= h;
    }
}

fn mix_in(digest: &mut Digest, data: &[u8]) {
    xor_in(digest, data);
    let hash = Sha1::digest(&digest[..]);
    digest.copy_from_slice(&hash);
}

/// Redis's type numbers (OBJ_STRING ... OBJ_HASH), mixed in big-endian.
fn type_number(value: &Value) -> u32 {
    match value {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
    }
}

/// Folds one value into `digest` (Redis's xorObjectDigest). Integers count
/// as their decimal text, whatever the encoding, and sorted-set scores as
/// `%.17g` prints them; a key with a TTL adds a fixed marker, not its time.
pub fn fold_value(digest: &mut Digest, value: &Value, volatile: bool) {
    mix_in(digest, &type_number(value).to_be_bytes());
    match value {
        Value::Str(s) => match s.int() {
            Some(n) => mix_in(digest, itoa::Buffer::new().format(n).as_bytes()),
            None => mix_in(digest, &s.as_bytes()),
        },
        Value::List(list) => {
            for element in list.iter() {
                mix_in(digest, element);
            }
        }
        Value::Set(set) => {
            for member in set.iter() {
                xor_in(digest, &member);
            }
        }
        Value::ZSet(zset) => {
            for (member, score) in zset.iter() {
                let mut entry = [0u8; 20];
                mix_in(&mut entry, member);
                mix_in(&mut entry, ember_resp::num::fmt_g17(score).as_bytes());
                xor_in(digest, &entry);
            }
        }
        Value::Hash(hash) => {
            for (field, value) in hash.iter() {
                let mut entry = [0u8; 20];
                mix_in(&mut entry, field);
                mix_in(&mut entry, value);
                xor_in(digest, &entry);
            }
        }
    }
    if volatile {
        xor_in(digest, b"!!expire!!");
    }
}

/// The digest of every database (Redis's computeDatasetDigest): all zeros
/// for an empty dataset. Keys whose TTL has passed but that are still stored
/// count too, as in Redis.
pub fn dataset(dbs: &[Db]) -> Digest {
    let mut total = [0u8; 20];
    for (index, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        // The same keys in another database give another digest.
        mix_in(&mut total, &(index as u32).to_be_bytes());
        for (key, value) in db.keys().iter() {
            let mut entry = [0u8; 20];
            mix_in(&mut entry, key);
            fold_value(&mut entry, value, db.expire_of(key).is_some());
            xor_in(&mut total, &entry);
        }
    }
    total
}

/// The 40 lowercase hex digits DEBUG prints.
pub fn hex(digest: &Digest) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
