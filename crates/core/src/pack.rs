//! One-word storage for the small encodings of hashes and sorted sets.
//!
//! [`PackBuf`] is a listpack's byte buffer behind a single pointer: its length
//! and element count live at the start of the heap block as LEB128 varints
//! (2 bytes for any small pack), not beside the pointer. [`PackOr`] holds
//! either such a pack or a boxed large encoding (a hashtable, a skiplist) in
//! that one word, told apart by the pointer's low bit. So a small hash or
//! sorted set is a keyspace `Value` plus one exactly sized block: no `Box`
//! around a 16-byte enum in between, which was 16 bytes of every small
//! collection key (a 5-field hash took 139 bytes, 123 without it).

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::marker::PhantomData;
use std::ptr::NonNull;

/// An exactly sized byte buffer and an element count (kept by the owner), one
/// pointer wide. Edits rebuild the block, as Redis's listpack reallocates on
/// each change: small packs are numerous, so spare capacity would add up.
#[repr(transparent)]
pub struct PackBuf {
    /// Start of the block: varint length, varint count, then the bytes.
    /// Always allocated (an empty pack is a 2-byte block) and 2-aligned, so
    /// [`PackOr`] can use the low bit.
    ptr: NonNull<u8>,
}

// SAFETY: a PackBuf owns its block exactly as a Box<[u8]> owns its bytes.
unsafe impl Send for PackBuf {}
unsafe impl Sync for PackBuf {}

/// The block's alignment: 2 keeps the low bit of its address free.
const ALIGN: usize = 2;

fn varint_len(mut n: u32) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

fn put_varint(out: &mut [u8], mut n: u32) -> usize {
    let mut i = 0;
    while n >= 0x80 {
        out[i] = (n as u8) | 0x80;
        n >>= 7;
        i += 1;
    }
    out[i] = n as u8;
    i + 1
}

impl PackBuf {
    /// A block holding `bytes` and `count`.
    pub fn new(bytes: &[u8], count: u32) -> PackBuf {
        let len = u32::try_from(bytes.len()).expect("pack buffer under 4 GiB");
        let head = varint_len(len) + varint_len(count);
        let layout = Layout::from_size_align(head + bytes.len(), ALIGN).expect("pack layout");
        // SAFETY: the layout has a non-zero size (the header is at least 2 bytes).
        let raw = unsafe { alloc(layout) };
        let Some(ptr) = NonNull::new(raw) else {
            handle_alloc_error(layout)
        };
        // SAFETY: the block is head + len bytes long, written in full here.
        unsafe {
            let block = std::slice::from_raw_parts_mut(raw, head + bytes.len());
            let n = put_varint(block, len);
            put_varint(&mut block[n..], count);
            block[head..].copy_from_slice(bytes);
        }
        PackBuf { ptr }
    }

    pub fn from_vec(v: Vec<u8>, count: u32) -> PackBuf {
        Self::new(&v, count)
    }

    /// (length, count, header size), decoded from the block's start.
    #[inline]
    fn header(&self) -> (usize, u32, usize) {
        let p = self.ptr.as_ptr();
        let mut pos = 0;
        let mut read = || {
            let (mut n, mut shift) = (0u32, 0);
            loop {
                // SAFETY: the header's varints were written whole by `new`,
                // and each ends with a byte below 0x80.
                let b = unsafe { *p.add(pos) };
                pos += 1;
                n |= u32::from(b & 0x7f) << shift;
                if b < 0x80 {
                    return n;
                }
                shift += 7;
            }
        };
        let len = read();
        let count = read();
        (len as usize, count, pos)
    }

    /// Elements in the buffer, as the owner last set it.
    #[inline]
    pub fn count(&self) -> u32 {
        self.header().1
    }

    /// Sets the element count: in place when its varint keeps its size, else
    /// by rebuilding the block.
    pub fn set_count(&mut self, count: u32) {
        let (len, old, head) = self.header();
        let at = varint_len(len as u32);
        if varint_len(old) == varint_len(count) {
            // SAFETY: the count's varint occupies head - at bytes from `at`,
            // and the new one has the same length.
            let field =
                unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().add(at), head - at) };
            put_varint(field, count);
        } else {
            *self = PackBuf::new(self, count);
        }
    }

    /// Edits the bytes as a Vec; the block is rebuilt at the exact size
    /// afterwards, keeping the count.
    pub fn edit<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let mut v = self.to_vec();
        let r = f(&mut v);
        *self = PackBuf::new(&v, self.count());
        r
    }

    /// Bytes the block takes (header included), for MEMORY USAGE estimates.
    pub fn block_len(&self) -> usize {
        let (len, _, head) = self.header();
        head + len
    }

    fn layout(&self) -> Layout {
        Layout::from_size_align(self.block_len(), ALIGN).expect("pack layout")
    }
}

impl Default for PackBuf {
    fn default() -> Self {
        PackBuf::new(&[], 0)
    }
}

impl Drop for PackBuf {
    fn drop(&mut self) {
        // SAFETY: the block was allocated by `new` with this layout.
        unsafe { dealloc(self.ptr.as_ptr(), self.layout()) }
    }
}

impl Clone for PackBuf {
    fn clone(&self) -> Self {
        PackBuf::new(self, self.count())
    }
}

impl std::ops::Deref for PackBuf {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        let (len, _, head) = self.header();
        // SAFETY: the block holds `len` bytes after its header.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(head), len) }
    }
}

impl std::ops::DerefMut for PackBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        let (len, _, head) = self.header();
        // SAFETY: as in Deref, and we hold the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().add(head), len) }
    }
}

impl PartialEq for PackBuf {
    fn eq(&self, other: &Self) -> bool {
        self.count() == other.count() && self[..] == other[..]
    }
}

impl std::fmt::Debug for PackBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PackBuf({} bytes, {} elements)",
            self.len(),
            self.count()
        )
    }
}

/// A type that is a [`PackBuf`] and nothing else, so [`PackOr`] can lend
/// it out from its one word.
///
/// # Safety
/// Implementors must be `#[repr(transparent)]` over a `PackBuf`.
pub unsafe trait ThinPack: Sized {}

// SAFETY: trivially.
unsafe impl ThinPack for PackBuf {}

/// What a [`PackOr`] holds, borrowed.
pub enum PackRef<P, B> {
    Small(P),
    Big(B),
}

/// A small encoding `P` (a [`ThinPack`]) or a boxed large one `B`, in one word:
/// the pointer's low bit is set for `B` (a pack block is 2-aligned, a box of
/// `B` at least 2-aligned, so both addresses have it clear).
#[repr(transparent)]
pub struct PackOr<P: ThinPack, B> {
    raw: NonNull<u8>,
    _owns: PhantomData<(P, Box<B>)>,
}

// SAFETY: it owns a P or a Box<B>.
unsafe impl<P: ThinPack + Send, B: Send> Send for PackOr<P, B> {}
unsafe impl<P: ThinPack + Sync, B: Sync> Sync for PackOr<P, B> {}

impl<P: ThinPack, B> PackOr<P, B> {
    const BIG: usize = 1;

    pub fn small(pack: P) -> Self {
        let pack = std::mem::ManuallyDrop::new(pack);
        // SAFETY: P is a PackBuf, which is a NonNull<u8> (both transparent).
        let raw = unsafe { std::mem::transmute_copy::<P, NonNull<u8>>(&pack) };
        PackOr {
            raw,
            _owns: PhantomData,
        }
    }

    pub fn big(b: Box<B>) -> Self {
        const { assert!(std::mem::align_of::<B>() >= 2) };
        let p = Box::into_raw(b).cast::<u8>();
        PackOr {
            raw: NonNull::new(p.wrapping_add(Self::BIG)).expect("tagged box pointer is non-null"),
            _owns: PhantomData,
        }
    }

    #[inline]
    pub fn is_small(&self) -> bool {
        self.raw.as_ptr() as usize & Self::BIG == 0
    }

    #[inline]
    fn big_ptr(&self) -> *mut B {
        self.raw.as_ptr().wrapping_sub(Self::BIG).cast::<B>()
    }

    /// Where the pack's block or the box starts (for prefetching).
    #[inline]
    pub fn addr(&self) -> *const u8 {
        if self.is_small() {
            self.raw.as_ptr()
        } else {
            self.big_ptr().cast::<u8>()
        }
    }

    #[inline]
    pub fn get(&self) -> PackRef<&P, &B> {
        if self.is_small() {
            // SAFETY: a small PackOr's word is the P (transparent over the
            // same NonNull), which lives as long as self.
            PackRef::Small(unsafe { &*(self as *const Self).cast::<P>() })
        } else {
            // SAFETY: untagged, it is the Box<B> this value owns.
            PackRef::Big(unsafe { &*self.big_ptr() })
        }
    }

    #[inline]
    pub fn get_mut(&mut self) -> PackRef<&mut P, &mut B> {
        if self.is_small() {
            // SAFETY: as in `get`, with the only reference. Writing a new P
            // through it keeps the low bit clear (a PackBuf block is 2-aligned).
            PackRef::Small(unsafe { &mut *(self as *mut Self).cast::<P>() })
        } else {
            // SAFETY: as in `get`, with the only reference.
            PackRef::Big(unsafe { &mut *self.big_ptr() })
        }
    }
}

impl<P: ThinPack, B> Drop for PackOr<P, B> {
    fn drop(&mut self) {
        if self.is_small() {
            // SAFETY: the word is an owned P, dropped once.
            unsafe { std::ptr::drop_in_place((self as *mut Self).cast::<P>()) }
        } else {
            // SAFETY: the untagged pointer came from Box::into_raw in `big`.
            drop(unsafe { Box::from_raw(self.big_ptr()) })
        }
    }
}

impl<P: ThinPack + Clone, B: Clone> Clone for PackOr<P, B> {
    fn clone(&self) -> Self {
        match self.get() {
            PackRef::Small(p) => PackOr::small(p.clone()),
            PackRef::Big(b) => PackOr::big(Box::new(b.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_buf_is_one_word_with_its_header_in_the_block() {
        assert_eq!(std::mem::size_of::<PackBuf>(), 8);
        assert_eq!(std::mem::size_of::<Option<PackBuf>>(), 8);
        let mut p = PackBuf::default();
        assert!(p.is_empty());
        assert_eq!((p.count(), p.block_len()), (0, 2));
        p.edit(|v| v.extend_from_slice(b"hello"));
        p.set_count(1);
        assert_eq!(&p[..], b"hello");
        assert_eq!((p.count(), p.block_len()), (1, 7));
        p[0] = b'j';
        let c = p.clone();
        assert_eq!(c, p);
        assert_eq!(&c[..], b"jello");
        p.edit(|v| v.clear());
        assert!(p.is_empty());
        assert_eq!(p.count(), 1);
        assert_ne!(c, p);
        assert_eq!(PackBuf::from_vec(b"xy".to_vec(), 2).len(), 2);
    }

    #[test]
    fn multibyte_lengths_and_counts() {
        let bytes: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        let mut p = PackBuf::new(&bytes, 127);
        assert_eq!((p.len(), p.count(), p.block_len()), (70_000, 127, 70_004));
        // The count's varint grows (127 -> 128) and shrinks back.
        p.set_count(128);
        assert_eq!(
            (p.count(), p.block_len(), p[..] == bytes[..]),
            (128, 70_005, true)
        );
        p.set_count(u32::MAX);
        assert_eq!((p.count(), p.block_len()), (u32::MAX, 70_008));
        p.set_count(3);
        assert_eq!((p.count(), p[..] == bytes[..]), (3, true));
        p.set_count(5);
        assert_eq!(p.count(), 5);
        p.edit(|v| v.truncate(100));
        assert_eq!((p.len(), p.count(), p.block_len()), (100, 5, 102));
    }

    #[derive(Clone, Debug, PartialEq)]
    struct Big(Vec<u32>);

    #[test]
    fn pack_or_holds_either_in_one_word() {
        type Either = PackOr<PackBuf, Big>;
        assert_eq!(std::mem::size_of::<Either>(), 8);
        assert_eq!(std::mem::size_of::<Option<Either>>(), 8);
        let mut e = Either::small(PackBuf::new(b"abc", 3));
        assert!(e.is_small());
        match e.get_mut() {
            PackRef::Small(p) => p.edit(|v| v.push(b'd')),
            PackRef::Big(_) => panic!("small expected"),
        }
        let c = e.clone();
        match c.get() {
            PackRef::Small(p) => assert_eq!((&p[..], p.count()), (&b"abcd"[..], 3)),
            PackRef::Big(_) => panic!("small expected"),
        }
        e = Either::big(Box::new(Big(vec![1, 2])));
        assert!(!e.is_small());
        if let PackRef::Big(b) = e.get_mut() {
            b.0.push(3);
        }
        let c = e.clone();
        drop(e);
        match c.get() {
            PackRef::Big(b) => assert_eq!(b, &Big(vec![1, 2, 3])),
            PackRef::Small(_) => panic!("big expected"),
        }
    }
}
