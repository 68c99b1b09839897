//! The replication backlog: the last `repl-backlog-size` bytes of the stream,
//! from which a reconnecting replica continues (`+CONTINUE`).

use std::collections::VecDeque;

pub struct Backlog {
    buf: VecDeque<u8>,
    size: usize,
    /// False once freed (`repl-backlog-ttl`): nothing is kept until a
    /// replica needs it again (`repl_backlog_active:0`).
    active: bool,
}

impl Backlog {
    pub fn new(size: usize) -> Backlog {
        Backlog {
            buf: VecDeque::new(),
            size: size.max(1),
            active: true,
        }
    }

    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Drops the history (Redis's freeReplicationBacklog).
    pub fn free(&mut self) {
        self.buf = VecDeque::new();
        self.active = false;
    }

    /// Starts keeping history again, from the current offset on.
    pub fn activate(&mut self, size: usize) {
        if !self.active {
            self.active = true;
            self.buf.clear();
        }
        self.resize(size);
    }

    /// `CONFIG SET repl-backlog-size`: keeps the newest bytes that fit.
    pub fn resize(&mut self, size: usize) {
        self.size = size.max(1);
        let over = self.buf.len().saturating_sub(self.size);
        if over > 0 {
            self.buf.drain(..over);
        }
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Bytes held (`repl_backlog_histlen`).
    pub fn histlen(&self) -> usize {
        self.buf.len()
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        if !self.active {
            return;
        }
        self.buf.extend(bytes.iter().copied());
        let over = self.buf.len().saturating_sub(self.size);
        if over > 0 {
            self.buf.drain(..over);
        }
    }

    /// The stream from offset `from` (1-based, as PSYNC asks: the next byte
    /// the replica wants) given the master offset `end` (the last byte
    /// written); None when that part is no longer held.
    pub fn since(&self, from: u64, end: u64) -> Option<Vec<u8>> {
        let first = end + 1 - self.buf.len() as u64;
        if from < first || from > end + 1 {
            return None;
        }
        let skip = (from - first) as usize;
        Some(self.buf.iter().skip(skip).copied().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::Backlog;

    #[test]
    fn keeps_the_tail() {
        let mut b = Backlog::new(4);
        b.feed(b"abcdef");
        assert_eq!(b.histlen(), 4);
        // offset 6 is the last byte; the backlog holds 3..=6.
        assert_eq!(b.since(3, 6).unwrap(), b"cdef");
        assert_eq!(b.since(7, 6).unwrap(), b"");
        assert!(b.since(2, 6).is_none());
        assert!(b.since(8, 6).is_none());
    }

    #[test]
    fn free_activate_resize() {
        let mut b = Backlog::new(8);
        b.feed(b"abcdef");
        b.resize(3);
        assert_eq!(b.since(4, 6).unwrap(), b"def");
        b.free();
        assert!(!b.is_active());
        b.feed(b"gh");
        assert_eq!(b.histlen(), 0);
        b.activate(16);
        assert!(b.is_active());
        b.feed(b"ij");
        // offsets 9..=10 after 8 bytes of stream.
        assert_eq!(b.since(9, 10).unwrap(), b"ij");
        assert!(b.since(8, 10).is_none());
    }
}
