//! Command execution on random argument vectors: the input bytes choose
//! commands from the table (every command and subcommand) and their
//! arguments (keys of every type, huge and negative integers, inf/nan,
//! binary strings), run by several clients on one in-process engine with
//! time moving. No panic, and the engine still answers afterwards.
//! libFuzzer's -rss_limit_mb / -malloc_limit_mb catch unbounded allocation.
#![no_main]

#[path = "../common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

thread_local! {
    // One engine for the whole run: building one per input would leak its
    // command table (it lives for the process).
    static DRIVER: RefCell<Option<common::Driver>> = const { RefCell::new(None) };
}

fuzz_target!(|data: &[u8]| {
    DRIVER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let d = slot.get_or_insert_with(common::Driver::new);
        d.reset();
        let mut src = common::ByteSource::new(data);
        d.run(&mut src, 64);
        d.assert_alive();
    });
});
