//! HashValue: the hashes value type. Placeholder representation until the hashes family
//! lands; the family owns this file and replaces the internals.

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HashValue {
    len: usize,
}

impl HashValue {
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
