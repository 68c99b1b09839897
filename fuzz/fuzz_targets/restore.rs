//! RESTORE on arbitrary value bodies: the first byte picks
//! `sanitize-dump-payload` (yes/no) and whether the input replaces or
//! mutates one of the seed bodies (every type and encoding); a valid footer
//! and CRC-64 are added so the decoder runs. An accepted key is then read by
//! the commands of its type, dumped and deleted: no panic, and the engine
//! still answers.
#![no_main]

#[path = "../common/mod.rs"]
mod common;

use common::persist::{mutate, seed_bodies, RestoreDriver};
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

thread_local! {
    // One engine for the whole run (building one leaks its command table).
    static DRIVER: RefCell<Option<(RestoreDriver, Vec<Vec<u8>>)>> = const { RefCell::new(None) };
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    DRIVER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let (d, seeds) = slot.get_or_insert_with(|| (RestoreDriver::new(), seed_bodies()));
        let body = if mode & 2 == 0 {
            rest.to_vec()
        } else {
            // Mutate a seed, the choices coming from the input.
            let mut body = seeds[mode as usize % seeds.len()].clone();
            let mut i = 0usize;
            let mut next = || {
                let b = rest.get(i).copied().unwrap_or(0) as u32;
                let c = rest.get(i + 1).copied().unwrap_or(0) as u32;
                i += 2;
                b | c << 8
            };
            mutate(&mut next, &mut body);
            body
        };
        d.restore(&body, mode & 1 == 1);
        d.assert_alive();
    });
});
