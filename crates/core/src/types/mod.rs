//! Collection value types, one file per type (as Redis's t_list.c, t_hash.c ...).
//! Each type chooses its own compact and large encodings and reports them under
//! Redis's names for `OBJECT ENCODING`.

pub mod geohash;
pub mod hash;
pub mod hll;
pub mod list;
pub mod set;
pub mod zset;

pub use hash::HashValue;
pub use list::ListValue;
pub use set::SetValue;
pub use zset::ZSetValue;

/// MEMORY USAGE's sampling (Redis's objectComputeSize): the sizes of the
/// first `samples` elements, scaled to all `len` of them, so a large
/// collection is estimated in O(samples).
pub fn sampled(len: usize, sizes: impl Iterator<Item = usize>, samples: usize) -> usize {
    let (mut n, mut sum) = (0usize, 0usize);
    for size in sizes.take(samples) {
        n += 1;
        sum += size;
    }
    if n == 0 {
        0
    } else {
        (sum as f64 / n as f64 * len as f64) as usize
    }
}
