//! The RDB loader on arbitrary bytes (checksum not verified, so mutated
//! files reach the value decoders): an error or a dataset, never a panic, a
//! hang or an allocation beyond what the input holds; a dataset that loads
//! saves again. Seed the corpus with RDB files (e.g. `dump.rdb` files from
//! redis-server or Ember, and `common::persist::seed_rdb()`).
#![no_main]

#[path = "../common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = common::persist::load_rdb(data);
});
