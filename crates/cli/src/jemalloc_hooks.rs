//! What only jemalloc itself can tell or do, for MEMORY STATS / MALLOC-STATS /
//! PURGE and INFO memory's `allocator_*` fields (Redis reads the same
//! `stats.*` values through je_mallctl). jemalloc is built with its
//! statistics on (the `stats` feature), as in Redis's own builds.

use ember_core::cmd::memory::{AllocatorHooks, AllocatorStats};
use std::ffi::{c_char, c_void, CStr};
use std::ptr::null_mut;
use tikv_jemalloc_sys as je;

/// A `size_t` statistic by its NUL-terminated mallctl name.
fn read(name: &CStr) -> Option<u64> {
    let mut value: usize = 0;
    let mut len = std::mem::size_of::<usize>();
    // SAFETY: `value`/`len` describe a size_t, the type of the stats.* values.
    let rc = unsafe {
        je::mallctl(
            name.as_ptr(),
            (&mut value as *mut usize).cast::<c_void>(),
            &mut len,
            null_mut(),
            0,
        )
    };
    (rc == 0).then_some(value as u64)
}

fn stats() -> Option<AllocatorStats> {
    // The stats.* values are a snapshot taken when the epoch advances.
    let mut epoch: u64 = 1;
    let mut len = std::mem::size_of::<u64>();
    // SAFETY: "epoch" reads and writes a uint64_t.
    unsafe {
        je::mallctl(
            c"epoch".as_ptr(),
            (&mut epoch as *mut u64).cast::<c_void>(),
            &mut len,
            (&mut epoch as *mut u64).cast::<c_void>(),
            std::mem::size_of::<u64>(),
        )
    };
    Some(AllocatorStats {
        allocated: read(c"stats.allocated")?,
        active: read(c"stats.active")?,
        resident: read(c"stats.resident")?,
    })
}

/// malloc_stats_print's output callback: appends to the String `out` points to.
unsafe extern "C" fn append(out: *mut c_void, text: *const c_char) {
    // SAFETY: `out` is the &mut String `report` passes; `text` is a
    // NUL-terminated string jemalloc owns for the call.
    let (out, text) = unsafe { (&mut *out.cast::<String>(), CStr::from_ptr(text)) };
    out.push_str(&text.to_string_lossy());
}

fn report() -> Option<String> {
    let mut out = String::new();
    // SAFETY: `append` only writes to `out`, which outlives the call.
    unsafe {
        je::malloc_stats_print(
            Some(append),
            (&mut out as *mut String).cast::<c_void>(),
            std::ptr::null(),
        )
    };
    Some(out)
}

fn purge() -> bool {
    // SAFETY: "arena.<MALLCTL_ARENAS_ALL>.purge" takes and returns nothing.
    unsafe {
        je::mallctl(
            c"arena.4096.purge".as_ptr(),
            null_mut(),
            null_mut(),
            null_mut(),
            0,
        ) == 0
    }
}

fn background_thread(on: bool) -> bool {
    let mut value = on;
    // SAFETY: "background_thread" is a read-write bool.
    unsafe {
        je::mallctl(
            c"background_thread".as_ptr(),
            null_mut(),
            null_mut(),
            (&mut value as *mut bool).cast::<c_void>(),
            std::mem::size_of::<bool>(),
        ) == 0
    }
}

pub const HOOKS: AllocatorHooks = AllocatorHooks {
    stats,
    report,
    purge,
    background_thread,
};
