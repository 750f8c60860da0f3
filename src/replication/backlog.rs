//! The replication backlog: the last bytes of the replication stream, kept so that a replica
//! that lost its link can continue from where it stopped (partial resynchronization).
//!
//! Owns: `Backlog`, a bounded window of the stream ending at the server's replication offset.
//! Offsets are Redis's: the first byte of the stream is offset 1, and the offset of the stream
//! (`master_repl_offset`) is the offset of its last byte. Must not: know where the bytes come
//! from (a master's own writes, or a replica's master) or who reads them.

use std::collections::VecDeque;

/// The smallest window Redis accepts (`repl-backlog-size` is raised to it).
pub const MIN_SIZE: usize = 16 * 1024;

/// A window over the last `size` bytes of the replication stream.
#[derive(Debug, Clone)]
pub struct Backlog {
    bytes: VecDeque<u8>,
    size: usize,
    /// Offset of the first byte held (`repl_backlog_first_byte_offset`).
    first_byte: i64,
}

impl Backlog {
    /// An empty backlog for a stream whose last byte so far is at `offset`, holding at most
    /// `size` bytes: the next byte appended will be `offset + 1`.
    pub fn new(size: usize, offset: i64) -> Backlog {
        Backlog {
            bytes: VecDeque::new(),
            size: size.max(MIN_SIZE),
            first_byte: offset + 1,
        }
    }

    /// Appends stream bytes, forgetting the oldest ones beyond the window.
    pub fn append(&mut self, data: &[u8]) {
        if data.len() >= self.size {
            let skip = data.len() - self.size;
            self.first_byte += (self.bytes.len() + skip) as i64;
            self.bytes.clear();
            self.bytes.extend(&data[skip..]);
            return;
        }
        let over = (self.bytes.len() + data.len()).saturating_sub(self.size);
        if over > 0 {
            self.bytes.drain(..over);
            self.first_byte += over as i64;
        }
        self.bytes.extend(data);
    }

    /// Changes the window (CONFIG SET repl-backlog-size), dropping the oldest bytes if it
    /// shrinks.
    pub fn resize(&mut self, size: usize) {
        self.size = size.max(MIN_SIZE);
        let over = self.bytes.len().saturating_sub(self.size);
        if over > 0 {
            self.bytes.drain(..over);
            self.first_byte += over as i64;
        }
    }

    /// The window's capacity in bytes (`repl_backlog_size`).
    pub fn size(&self) -> usize {
        self.size
    }

    /// Offset of the first byte held (`repl_backlog_first_byte_offset`).
    pub fn first_byte_offset(&self) -> i64 {
        self.first_byte
    }

    /// Bytes held (`repl_backlog_histlen`).
    pub fn histlen(&self) -> usize {
        self.bytes.len()
    }

    /// Offset of the last byte of the stream (`master_repl_offset`).
    pub fn end_offset(&self) -> i64 {
        self.first_byte + self.bytes.len() as i64 - 1
    }

    /// The bytes from offset `from` (the first byte a replica lacks) to the end, if the window
    /// still holds them all; `from` = end + 1 gives an empty vector (nothing is missing).
    pub fn since(&self, from: i64) -> Option<Vec<u8>> {
        if from < self.first_byte || from > self.end_offset() + 1 {
            return None;
        }
        let skip = (from - self.first_byte) as usize;
        Some(self.bytes.range(skip..).copied().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_redis_numbering() {
        let mut b = Backlog::new(MIN_SIZE, 1000);
        assert_eq!(b.first_byte_offset(), 1001);
        assert_eq!(b.end_offset(), 1000);
        assert_eq!(b.histlen(), 0);
        b.append(b"*1\r\n$4\r\nping\r\n");
        assert_eq!(b.end_offset(), 1014);
        assert_eq!(b.since(1001).unwrap(), b"*1\r\n$4\r\nping\r\n");
        assert_eq!(b.since(1009).unwrap(), b"ping\r\n");
        assert_eq!(b.since(1015).unwrap(), b"");
        assert_eq!(b.since(1016), None, "ahead of the stream");
        assert_eq!(b.since(1000), None, "before the window");
    }

    #[test]
    fn the_window_keeps_only_the_newest_bytes() {
        let mut b = Backlog::new(MIN_SIZE, 0);
        let chunk = vec![b'x'; 10_000];
        b.append(&chunk);
        b.append(&chunk);
        assert_eq!(b.histlen(), MIN_SIZE);
        assert_eq!(b.end_offset(), 20_000);
        assert_eq!(b.first_byte_offset(), 20_000 - MIN_SIZE as i64 + 1);
        assert_eq!(b.since(1), None);
        let big = vec![b'y'; 3 * MIN_SIZE];
        b.append(&big);
        assert_eq!(b.histlen(), MIN_SIZE);
        assert_eq!(b.end_offset(), 20_000 + 3 * MIN_SIZE as i64);
        assert_eq!(
            b.since(b.first_byte_offset()).unwrap(),
            vec![b'y'; MIN_SIZE]
        );
        b.resize(1);
        assert_eq!(b.size(), MIN_SIZE, "never below the minimum");
    }
}
