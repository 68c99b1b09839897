//! SetValue: the sets value type. Placeholder representation until the sets family
//! lands; the family owns this file and replaces the internals.

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetValue {
    len: usize,
}

impl SetValue {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        "intset"
    }
}
