//! A master's replication stream: this server's own writes, as the RESP commands its replicas
//! run, with the offset, the backlog and every replica's buffer advancing in one step.
//!
//! Owns: the encoding (`*<n>\r\n$<len>\r\n<arg>\r\n…`), the SELECT put before a command whose
//! DB differs from the stream's (Redis's `slaveseldb`), and the MULTI/EXEC around a unit of
//! several commands that must apply atomically (a transaction, a command spread over shards).
//! Each append holds the replication state's mutex for the copy, so appends from different
//! shards are totally ordered; `propagate` decides when each shard's writes are appended.
//!
//! Must not: append on a replica (its stream is its master's, relayed byte for byte by the
//! applier); the check is made under the mutex, so a write racing a change of role is dropped
//! rather than mixed into the master's stream.

use bytes::Bytes;

use super::outputs::Wakes;
use super::state::state;

/// One command of a unit, with the DB it ran in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The DB the command ran in.
    pub db: usize,
    /// The command as replicas run it.
    pub argv: Vec<Bytes>,
}

/// Encoded commands, each run of them tagged with the DB it ran in: a shard's writes of one
/// turn, or one unit, ready to be appended with the SELECTs the stream needs between runs.
#[derive(Debug, Default)]
pub struct Slice {
    bytes: Vec<u8>,
    /// (DB, end of the run in `bytes`), in order.
    runs: Vec<(usize, usize)>,
}

impl Slice {
    /// Adds `argv`, run in `db`.
    pub fn push(&mut self, db: usize, argv: &[Bytes]) {
        encode(&mut self.bytes, argv);
        self.mark(db);
    }

    /// Adds `records` as one unit: MULTI/EXEC around them when there are several (MULTI in
    /// the first one's DB, as Redis puts it, so a SELECT it needs comes before it).
    pub fn push_unit(&mut self, records: &[Record]) {
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            return;
        };
        if records.len() == 1 {
            self.push(first.db, &first.argv);
            return;
        }
        self.push(first.db, &[Bytes::from_static(b"MULTI")]);
        for r in records {
            self.push(r.db, &r.argv);
        }
        self.push(last.db, &[Bytes::from_static(b"EXEC")]);
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Empties the slice, keeping its buffers.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.runs.clear();
    }

    fn mark(&mut self, db: usize) {
        let end = self.bytes.len();
        match self.runs.last_mut() {
            Some((d, e)) if *d == db => *e = end,
            _ => self.runs.push((db, end)),
        }
    }
}

/// Appends `slice` to the stream, with a SELECT before each run whose DB is not the stream's.
pub fn append_slice(slice: &Slice) {
    let wakes = {
        let mut s = state();
        if s.is_replica() {
            return;
        }
        let mut wakes = Wakes::default();
        let mut start = 0;
        for &(db, end) in &slice.runs {
            if s.own_stream_db != Some(db) {
                s.own_stream_db = Some(db);
                let mut sel = Vec::with_capacity(32);
                encode(&mut sel, &[Bytes::from_static(b"SELECT"), db_arg(db)]);
                wakes.merge(s.feed(&sel));
            }
            wakes.merge(s.feed(&slice.bytes[start..end]));
            start = end;
        }
        wakes
    };
    wakes.post();
}

/// Appends `records` as one unit (see [`Slice::push_unit`]).
pub fn append_unit(records: &[Record]) {
    let mut slice = Slice::default();
    slice.push_unit(records);
    append_slice(&slice);
}

/// Appends the `ping` a master sends its replicas every `repl-ping-replica-period` seconds, so
/// that they can tell a silent master from a dead link. Lowercase and without a SELECT, as
/// Redis sends it.
pub fn append_ping() {
    let wakes = {
        let mut s = state();
        if s.is_replica() {
            return;
        }
        s.feed(b"*1\r\n$4\r\nping\r\n")
    };
    wakes.post();
}

fn db_arg(db: usize) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(db).as_bytes())
}

/// Encodes `argv` as a RESP array of bulk strings.
pub fn encode(buf: &mut Vec<u8>, argv: &[Bytes]) {
    let mut n = itoa::Buffer::new();
    buf.push(b'*');
    buf.extend_from_slice(n.format(argv.len()).as_bytes());
    buf.extend_from_slice(b"\r\n");
    for a in argv {
        buf.push(b'$');
        buf.extend_from_slice(n.format(a.len()).as_bytes());
        buf.extend_from_slice(b"\r\n");
        buf.extend_from_slice(a);
        buf.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &str) -> Vec<Bytes> {
        words
            .split(' ')
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }

    #[test]
    fn a_slice_tags_each_run_of_commands_with_its_db() {
        let mut s = Slice::default();
        s.push(0, &argv("SET a 1"));
        s.push(0, &argv("SET b 2"));
        s.push(3, &argv("DEL c"));
        s.push_unit(&[
            Record {
                db: 3,
                argv: argv("INCR n"),
            },
            Record {
                db: 5,
                argv: argv("INCR m"),
            },
        ]);
        let runs: Vec<usize> = s.runs.iter().map(|r| r.0).collect();
        assert_eq!(runs, [0, 3, 5]);
        let text = String::from_utf8(s.bytes.clone()).unwrap();
        let words: Vec<&str> = text
            .split("\r\n")
            .filter(|w| w.chars().all(char::is_alphabetic) && !w.is_empty())
            .collect();
        assert_eq!(
            words,
            ["SET", "a", "SET", "b", "DEL", "c", "MULTI", "INCR", "n", "INCR", "m", "EXEC"]
        );
        s.clear();
        assert!(s.is_empty());
    }

    #[test]
    fn commands_are_encoded_as_resp_arrays() {
        let mut buf = Vec::new();
        encode(
            &mut buf,
            &[
                Bytes::from_static(b"SET"),
                Bytes::from_static(b"k"),
                Bytes::new(),
            ],
        );
        assert_eq!(buf, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    }
}
