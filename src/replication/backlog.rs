//! The replication backlog: the last bytes of the replication stream, kept so that a replica
//! that lost its link can continue from where it stopped (partial resynchronization).
//!
//! Owns: `Backlog`, a bounded window of the stream ending at the server's replication offset.
//! Offsets are Redis's: the first byte of the stream is offset 1, and the offset of the stream
//! (`master_repl_offset`) is the offset of its last byte. Must not: know where the bytes come
//! from (a master's own writes, or a replica's master) or who reads them.

/// The smallest window Redis accepts (`repl-backlog-size` is raised to it).
pub const MIN_SIZE: usize = 16 * 1024;

/// The window size the configuration asks for (`repl-backlog-size`; Redis's default, 1 MiB,
/// when the configuration cannot be read).
pub fn configured_size() -> usize {
    crate::server::shared::shared()
        .config
        .read()
        .map(|c| c.repl_backlog_size() as usize)
        .unwrap_or(1 << 20)
}

/// A window over the last `size` bytes of the replication stream.
///
/// A ring: the buffer grows up to `size` bytes as the stream does, then each append overwrites
/// the oldest bytes in place (at most two copies, whatever the size of the append), so a
/// master's per-write cost does not depend on how full the window is.
#[derive(Debug, Clone)]
pub struct Backlog {
    ring: Vec<u8>,
    size: usize,
    /// Index in `ring` of the oldest byte held.
    start: usize,
    /// Bytes held.
    len: usize,
    /// Offset of the first byte held (`repl_backlog_first_byte_offset`).
    first_byte: i64,
}

impl Backlog {
    /// An empty backlog for a stream whose last byte so far is at `offset`, holding at most
    /// `size` bytes: the next byte appended will be `offset + 1`.
    pub fn new(size: usize, offset: i64) -> Backlog {
        Backlog {
            ring: Vec::new(),
            size: size.max(MIN_SIZE),
            start: 0,
            len: 0,
            first_byte: offset + 1,
        }
    }

    /// Appends stream bytes, forgetting the oldest ones beyond the window.
    pub fn append(&mut self, mut data: &[u8]) {
        if data.len() >= self.size {
            let skip = data.len() - self.size;
            self.first_byte += (self.len + skip) as i64;
            self.ring.clear();
            self.ring.extend_from_slice(&data[skip..]);
            self.start = 0;
            self.len = self.size;
            return;
        }
        // Growing: the ring is not full yet, and nothing was dropped (`start` is 0).
        if self.ring.len() < self.size {
            let n = data.len().min(self.size - self.ring.len());
            self.ring.extend_from_slice(&data[..n]);
            self.len += n;
            data = &data[n..];
            if data.is_empty() {
                return;
            }
        }
        // Full: overwrite the oldest bytes, in at most two pieces.
        let cap = self.ring.len();
        let dropped = (self.len + data.len()).saturating_sub(cap);
        let mut at = (self.start + self.len) % cap;
        let first = data.len().min(cap - at);
        self.ring[at..at + first].copy_from_slice(&data[..first]);
        at = (at + first) % cap;
        let rest = &data[first..];
        self.ring[at..at + rest.len()].copy_from_slice(rest);
        self.start = (self.start + dropped) % cap;
        self.len += data.len() - dropped;
        self.first_byte += dropped as i64;
    }

    /// Changes the window (CONFIG SET repl-backlog-size), dropping the oldest bytes if it
    /// shrinks.
    pub fn resize(&mut self, size: usize) {
        let size = size.max(MIN_SIZE);
        let held = self.copy_from(0);
        let keep = held.len().min(size);
        self.first_byte += (held.len() - keep) as i64;
        self.ring = held[held.len() - keep..].to_vec();
        self.start = 0;
        self.len = keep;
        self.size = size;
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
        self.len
    }

    /// Offset of the last byte of the stream (`master_repl_offset`).
    pub fn end_offset(&self) -> i64 {
        self.first_byte + self.len as i64 - 1
    }

    /// The bytes from offset `from` (the first byte a replica lacks) to the end, if the window
    /// still holds them all; `from` = end + 1 gives an empty vector (nothing is missing).
    pub fn since(&self, from: i64) -> Option<Vec<u8>> {
        if from < self.first_byte || from > self.end_offset() + 1 {
            return None;
        }
        Some(self.copy_from((from - self.first_byte) as usize))
    }

    /// The bytes held, from the `skip`-th one on, in stream order.
    fn copy_from(&self, skip: usize) -> Vec<u8> {
        let n = self.len - skip;
        let mut out = Vec::with_capacity(n);
        if n == 0 {
            return out;
        }
        let cap = self.ring.len();
        let at = (self.start + skip) % cap;
        let first = n.min(cap - at);
        out.extend_from_slice(&self.ring[at..at + first]);
        out.extend_from_slice(&self.ring[..n - first]);
        out
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

    #[test]
    fn the_ring_matches_a_plain_window_whatever_the_appends() {
        let mut b = Backlog::new(MIN_SIZE, 41);
        let mut all: Vec<u8> = Vec::new();
        let mut x: u64 = 7;
        for round in 0..400 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = (x % 3000) as usize + usize::from(round % 50 == 0) * 20_000;
            let chunk: Vec<u8> = (0..n).map(|i| (i as u64 ^ x) as u8).collect();
            b.append(&chunk);
            all.extend_from_slice(&chunk);
            let held = all.len().min(MIN_SIZE);
            assert_eq!(b.histlen(), held);
            assert_eq!(b.end_offset(), 41 + all.len() as i64);
            let first = b.first_byte_offset();
            assert_eq!(first, 42 + (all.len() - held) as i64);
            let from = first + (x % (held as u64 + 1)) as i64;
            let want = &all[(from - 42) as usize..];
            assert_eq!(b.since(from).unwrap(), want, "round {round}");
        }
        b.resize(MIN_SIZE * 2);
        assert_eq!(
            b.since(b.first_byte_offset()).unwrap(),
            all[all.len() - MIN_SIZE..]
        );
        b.append(b"tail");
        assert_eq!(&b.since(b.end_offset() - 3).unwrap(), b"tail");
    }
}
