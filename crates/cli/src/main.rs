//! `ember-server`: a drop-in for `redis-server`.
//!
//! The binary (never a library crate) picks the global allocator: jemalloc, as
//! Redis's own builds use, wrapped in Ember's live-byte counter
//! (`ember_core::evict::CountingAlloc`). The counter is `used_memory` for INFO
//! and for `maxmemory` eviction (Redis's zmalloc_used_memory). Blocks count at
//! their usable size (the jemalloc size class really handed out), as Redis
//! counts `malloc_usable_size`. The feature `alloc-system` swaps in the system
//! allocator, `alloc-mimalloc` mimalloc (for comparisons); counting is the same.

use ember_core::evict::{counted_bytes, set_used_memory_probe, CountingAlloc};

#[cfg(not(any(feature = "alloc-mimalloc", feature = "alloc-system")))]
mod chosen {
    use ember_core::evict::SizeClass;
    use std::alloc::Layout;
    pub type Inner = tikv_jemallocator::Jemalloc;
    pub const INNER: Inner = tikv_jemallocator::Jemalloc;
    pub const NAME: &str = "jemalloc-5.3.0";

    /// jemalloc's size classes.
    pub struct Classes;

    impl SizeClass for Classes {
        #[inline]
        fn usable(layout: Layout) -> usize {
            // The flags tikv-jemallocator passes: an explicit alignment only
            // when the size class does not already guarantee it.
            let flags = if layout.align() <= 16 && layout.align() <= layout.size() {
                0
            } else {
                layout.align().trailing_zeros() as i32 // MALLOCX_LG_ALIGN
            };
            // SAFETY: nallocx only computes a size class (size > 0 for every
            // layout a global allocator is asked about).
            unsafe { tikv_jemalloc_sys::nallocx(layout.size(), flags) }
        }
    }
}

#[cfg(feature = "alloc-mimalloc")]
mod chosen {
    use ember_core::evict::SizeClass;
    use std::alloc::Layout;
    pub type Inner = mimalloc::MiMalloc;
    pub const INNER: Inner = mimalloc::MiMalloc;
    pub const NAME: &str = "mimalloc";

    /// mimalloc's size classes.
    pub struct Classes;

    impl SizeClass for Classes {
        #[inline]
        fn usable(layout: Layout) -> usize {
            // SAFETY: a pure size computation.
            unsafe { libmimalloc_sys::mi_good_size(layout.size().max(layout.align())) }
        }
    }
}

#[cfg(all(feature = "alloc-system", not(feature = "alloc-mimalloc")))]
mod chosen {
    pub type Inner = std::alloc::System;
    pub const INNER: Inner = std::alloc::System;
    pub const NAME: &str = "libc";
    pub use ember_core::evict::GlibcClasses as Classes;
}

#[cfg(not(any(feature = "alloc-mimalloc", feature = "alloc-system")))]
mod jemalloc_hooks;

#[global_allocator]
static GLOBAL: CountingAlloc<chosen::Inner, chosen::Classes> = CountingAlloc::new(chosen::INNER);

fn main() {
    set_used_memory_probe(counted_bytes, chosen::NAME);
    #[cfg(not(any(feature = "alloc-mimalloc", feature = "alloc-system")))]
    ember_core::cmd::memory::set_allocator_hooks(jemalloc_hooks::HOOKS);
    std::process::exit(ember_server::main_with_args(std::env::args().collect()));
}
