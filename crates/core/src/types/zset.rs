//! ZSetValue: the sorted sets value type. Placeholder representation until the sorted sets family
//! lands; the family owns this file and replaces the internals.

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZSetValue {
    len: usize,
}

impl ZSetValue {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }
}
