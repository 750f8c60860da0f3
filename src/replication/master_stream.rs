//! A master's replication stream: this server's own writes, as the RESP commands its replicas
//! run, with the offset, the backlog and every replica's buffer advancing in one step.
//!
//! Owns: the encoding (`*<n>\r\n$<len>\r\n<arg>\r\n…`), the SELECT put before a command whose
//! DB differs from the stream's (Redis's `slaveseldb`), and the MULTI/EXEC around a unit of
//! several commands that must apply atomically (a transaction, a command spread over shards).
//! Each append holds the replication state's mutex for the copy, so appends from different
//! shards are totally ordered, and the caller appends from inside the command's own critical
//! section (its shard, or its transaction's locks, still held): the stream's order is the
//! order of execution.
//!
//! Must not: append on a replica (its stream is its master's, relayed byte for byte by the
//! applier); the check is made under the mutex, so a write racing a change of role is dropped
//! rather than mixed into the master's stream.

use bytes::Bytes;
use std::cell::RefCell;

use super::state::state;

/// One command of a unit, with the DB it ran in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The DB the command ran in.
    pub db: usize,
    /// The command as replicas run it.
    pub argv: Vec<Bytes>,
}

thread_local! {
    /// Encoding buffer, reused so that an append allocates nothing.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Appends `argv` (written in `db`) to the stream.
pub fn append_command(db: usize, argv: &[Bytes]) {
    append_commands(db, std::slice::from_ref(&argv));
}

/// Appends `cmds`, all written in `db`, one after the other (not as a unit: they come from one
/// command, whose shard is held).
pub fn append_commands<A: AsRef<[Bytes]>>(db: usize, cmds: &[A]) {
    SCRATCH.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        for argv in cmds {
            encode(&mut buf, argv.as_ref());
        }
        let wakes = {
            let mut s = state();
            if s.is_replica() {
                return;
            }
            let mut wakes = select_if_needed(&mut s, db);
            let more = s.feed(&buf);
            wakes.merge(more);
            wakes
        };
        wakes.post();
    });
}

/// Appends `records` as one unit: wrapped in MULTI/EXEC when there are several, with SELECTs
/// where the DB changes (the first one before MULTI, as Redis puts it).
pub fn append_unit(records: &[Record]) {
    let Some(first) = records.first() else {
        return;
    };
    if records.len() == 1 {
        append_command(first.db, &first.argv);
        return;
    }
    SCRATCH.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        let wakes = {
            let mut s = state();
            if s.is_replica() {
                return;
            }
            let mut db = s.own_stream_db;
            let mut select = |buf: &mut Vec<u8>, want: usize| {
                if db != Some(want) {
                    encode(buf, &[Bytes::from_static(b"SELECT"), db_arg(want)]);
                    db = Some(want);
                }
            };
            select(&mut buf, first.db);
            encode(&mut buf, &[Bytes::from_static(b"MULTI")]);
            for r in records {
                select(&mut buf, r.db);
                encode(&mut buf, &r.argv);
            }
            encode(&mut buf, &[Bytes::from_static(b"EXEC")]);
            s.own_stream_db = db;
            s.feed(&buf)
        };
        wakes.post();
    });
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

/// Feeds a SELECT when the stream's DB is not `db`.
fn select_if_needed(s: &mut super::state::ReplState, db: usize) -> super::outputs::Wakes {
    if s.own_stream_db == Some(db) {
        return super::outputs::Wakes::default();
    }
    s.own_stream_db = Some(db);
    let mut sel = Vec::with_capacity(32);
    encode(&mut sel, &[Bytes::from_static(b"SELECT"), db_arg(db)]);
    s.feed(&sel)
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
