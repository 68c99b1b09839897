//! The request parser on arbitrary bytes: no panic, no allocation beyond
//! what the limits allow, and the same commands and error however the input
//! is cut into reads. The first byte picks the mode (unauthenticated or not)
//! and where the input is cut.
#![no_main]

#[path = "../common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, input)) = data.split_first() else {
        return;
    };
    let unauthenticated = mode & 1 == 1;
    // Up to three cuts, spread by the mode byte's other bits.
    let n = input.len().max(1);
    let cuts: Vec<usize> = (1..=((mode >> 1) & 3) as usize)
        .map(|k| (k * (mode as usize + 7) * 31) % n)
        .collect();
    common::check_parser(input, &cuts, unauthenticated);
});
