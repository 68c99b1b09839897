//! `KeyBuf`: an owned byte string in 16 bytes, for keyspace keys.
//!
//! Up to 15 bytes live inline (no allocation: most keys, e.g. `key:123456` or
//! `user:1000:name`); longer ones are an exactly sized heap block. Compared with
//! `Bytes` (32 bytes plus a separate allocation and a refcount) it halves the
//! key's share of a keyspace entry, and the entry of a short key is one
//! allocation. The expires index keeps its own copy of a volatile key: for
//! short keys that is 16 bytes in its entry, less than a shared handle.

use std::borrow::Borrow;
use std::ptr::NonNull;

/// An owned byte string, inline up to [`KeyBuf::INLINE`] bytes.
pub struct KeyBuf(Repr);

/// Byte 15 holds `INLINE_TAG | len` for inline strings. For heap strings it is
/// the top byte of the little-endian length, always 0 (lengths stay < 2^56).
const INLINE_TAG: u8 = 0x80;

#[repr(C)]
union Repr {
    inline: [u8; 16],
    heap: Heap,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct Heap {
    /// From `Box::<[u8]>::into_raw`; owned by the `KeyBuf`.
    ptr: NonNull<u8>,
    len: [u8; 8],
}

// SAFETY: a KeyBuf owns its bytes exactly as a Box<[u8]> does.
unsafe impl Send for KeyBuf {}
unsafe impl Sync for KeyBuf {}

impl KeyBuf {
    /// The longest string kept without an allocation.
    pub const INLINE: usize = 15;

    pub fn new(b: &[u8]) -> KeyBuf {
        if b.len() <= Self::INLINE {
            let mut inline = [0u8; 16];
            inline[..b.len()].copy_from_slice(b);
            inline[15] = INLINE_TAG | b.len() as u8;
            return KeyBuf(Repr { inline });
        }
        Self::from_box(b.into())
    }

    fn from_box(boxed: Box<[u8]>) -> KeyBuf {
        let len = (boxed.len() as u64).to_le_bytes();
        assert_eq!(len[7], 0, "key too long");
        let ptr = NonNull::new(Box::into_raw(boxed) as *mut u8).expect("Box is non-null");
        KeyBuf(Repr {
            heap: Heap { ptr, len },
        })
    }

    fn tag(&self) -> u8 {
        // SAFETY: all 16 bytes are initialized in both forms; byte 15 is plain data.
        unsafe { self.0.inline[15] }
    }

    fn heap(&self) -> Option<(NonNull<u8>, usize)> {
        if self.tag() & INLINE_TAG != 0 {
            return None;
        }
        // SAFETY: the tag says the heap form is active.
        let h = unsafe { self.0.heap };
        Some((h.ptr, u64::from_le_bytes(h.len) as usize))
    }

    /// True when the bytes live inside the struct (no allocation).
    pub fn is_inline(&self) -> bool {
        self.tag() & INLINE_TAG != 0
    }

    /// Bytes allocated outside the struct (0 when inline).
    pub fn heap_len(&self) -> usize {
        self.heap().map_or(0, |(_, len)| len)
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self.heap() {
            // SAFETY: ptr/len come from a live Box<[u8]> this value owns.
            Some((ptr, len)) => unsafe { std::slice::from_raw_parts(ptr.as_ptr(), len) },
            None => {
                let len = (self.tag() & !INLINE_TAG) as usize;
                // SAFETY: the inline form is active.
                unsafe { &self.0.inline[..len] }
            }
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }

    /// A `Bytes` copy (replies, lists of keys collected for later deletion).
    pub fn to_bytes(&self) -> bytes::Bytes {
        bytes::Bytes::copy_from_slice(self.as_bytes())
    }
}

impl Drop for KeyBuf {
    fn drop(&mut self) {
        if let Some((ptr, len)) = self.heap() {
            // SAFETY: rebuilds the Box<[u8]> leaked in `from_box`, exactly once.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr.as_ptr(), len)) });
        }
    }
}

impl Clone for KeyBuf {
    fn clone(&self) -> Self {
        KeyBuf::new(self.as_bytes())
    }
}

impl From<&[u8]> for KeyBuf {
    fn from(b: &[u8]) -> Self {
        KeyBuf::new(b)
    }
}

impl From<Vec<u8>> for KeyBuf {
    fn from(v: Vec<u8>) -> Self {
        if v.len() <= Self::INLINE {
            return KeyBuf::new(&v);
        }
        Self::from_box(v.into_boxed_slice())
    }
}

impl std::ops::Deref for KeyBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl crate::dict::KeyAddr for KeyBuf {
    fn key_addr(&self) -> *const u8 {
        // Inline bytes sit in the KeyBuf itself; heap ones at the pointer.
        self.as_bytes().as_ptr()
    }
}

impl Borrow<[u8]> for KeyBuf {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for KeyBuf {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for KeyBuf {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for KeyBuf {}

impl PartialEq<[u8]> for KeyBuf {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl std::hash::Hash for KeyBuf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl PartialOrd for KeyBuf {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyBuf {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl std::fmt::Debug for KeyBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_heap_forms() {
        assert_eq!(std::mem::size_of::<KeyBuf>(), 16);
        for n in [0, 1, 10, 15, 16, 17, 100, 5000] {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 7 + 1) as u8).collect();
            let k = KeyBuf::new(&bytes);
            assert_eq!(k.as_bytes(), &bytes[..]);
            assert_eq!(k.is_inline(), n <= KeyBuf::INLINE);
            assert_eq!(k.heap_len(), if n <= KeyBuf::INLINE { 0 } else { n });
            let c = k.clone();
            assert_eq!(c, k);
            assert_eq!(KeyBuf::from(bytes.clone()).as_bytes(), &bytes[..]);
        }
        // A byte 0xff at position 15 of a heap key does not confuse the forms.
        let long = vec![0xffu8; 40];
        assert_eq!(KeyBuf::new(&long).as_bytes(), &long[..]);
        assert!(KeyBuf::new(b"a") < KeyBuf::new(b"b"));
    }
}
