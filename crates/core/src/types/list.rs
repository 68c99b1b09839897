//! ListValue: the lists value type. Placeholder representation until the lists family
//! lands; the family owns this file and replaces the internals.

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListValue {
    len: usize,
}

impl ListValue {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }
}
