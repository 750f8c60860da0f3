//! Warming the cache for the commands a connection has read ahead, for the commands that
//! arrived on several connections in one turn, and for those other shards mailed together.
//!
//! Owns: the rule that, before a connection runs the pipelined commands of one read, each one's key
//! is looked up once, back to back; that, before a turn runs what its receives brought, the
//! first key of each is (`warm_arrivals`); and that the keys of the commands in a drained
//! mailbox are, before any of them runs (`warm_keys`). In a keyspace larger than the cache, a lookup misses two
//! or three times (the table's group, the slot, the key's bytes), each miss waiting for the one
//! before it, and a command's lookup waits for the command before it. Lookups done back to back
//! depend on nothing but their own key, so the processor overlaps the misses of several keys, and
//! the commands then find their entries in cache. Measured with a 100k-key keyspace at -P 16: ~22 %
//! less CPU per GET and SET, and no measurable cost with a keyspace that fits the cache. A first
//! pass asks for every key's slot before the lookups (`Db::prefetch_slot`), so that the slots'
//! misses overlap too: GET -P 16 0.39-0.41 -> 0.36-0.37 µs, SET 0.49-0.51 -> 0.46-0.48, SET of 1
//! KiB 1.28 -> 1.19.
//!
//! A hint only: the second argument is taken as the key (it is, for nearly every command that has
//! one); a wrong guess (an argument that is no key, a key a SELECT later moves to another db)
//! costs one lookup and changes nothing. Must not: change the keyspace, count hits or misses, or
//! expire anything, so `Db::peek` is the only lookup used.
//!
//! A string value held outside the slot is prefetched too, every line of it (up to 2 KiB): the
//! slot points straight at an owned value's bytes, so those misses overlap with the others, and
//! a GET then copies, or a SET of the same length overwrites, lines already in cache. Prefetches
//! rather than loads: a load that misses holds up retirement, and the next keys' lookups behind
//! it. Measured, -P 16, 100k keys of 1 KiB: a load of the first byte, 1.32-1.36 µs per SET; a
//! prefetch of the first line, 1.25-1.30; of every line, with the overwrite in ordinary stores,
//! SET 1.24-1.26 -> 1.15-1.19 and GET 0.91-0.93 -> 0.80-0.83 (same-run A/B). Streaming stores
//! for the overwrite, which paid off while the lines were cold, now cost: 1.38-1.40 µs with
//! them.

use super::runtime::{batch_now, local, with_keyspace};
use super::shards::owner_of;
use crate::protocol::parser::{length_line, RequestParser};
use crate::storage::cache_hint::prefetch;
use crate::storage::clock::UnixMillis;
use crate::storage::db::Db;
use crate::storage::str_value::StrValue;
use crate::storage::value::Value;
use smallvec::SmallVec;

/// Looks up, without side effects, the key of every command `parser` has read ahead, in db `db`
/// of this shard. Keys owned by other shards are skipped.
pub fn warm_read_ahead(parser: &RequestParser, db: usize) {
    if !parser.has_read_ahead() {
        return;
    }
    let now = batch_now();
    let me = local().id;
    with_keyspace(|ks| {
        let db = &ks.dbs[db];
        let mut mine: SmallVec<[(&Db, &[u8]); 64]> = SmallVec::new();
        parser.for_each_read_ahead_key(|key| {
            if owner_of(key) == me {
                mine.push((db, key));
            }
        });
        warm_all(&mine, now);
    });
}

/// Looks up, without side effects, the keys of commands that arrived on different connections
/// in one turn, given as (db, key): without pipelining each connection brings one command, and
/// their lookups overlap only when done here, back to back. Keys of other shards are skipped.
pub fn warm_arrivals(keys: &[(usize, &[u8])]) {
    let me = local().id;
    warm_in_dbs(keys.iter().filter(|(_, key)| owner_of(key) == me));
}

/// Looks up, without side effects, keys of this shard given as (db, key): the commands other
/// shards' connections sent it, which arrive together in its mailbox.
pub fn warm_keys(keys: &[(usize, &[u8])]) {
    if !keys.is_empty() {
        warm_in_dbs(keys.iter());
    }
}

/// `warm_all` for keys of this shard given as (db, key); keys of a db that does not exist are
/// skipped.
fn warm_in_dbs<'k>(keys: impl Iterator<Item = &'k (usize, &'k [u8])>) {
    let now = batch_now();
    with_keyspace(|ks| {
        let found: SmallVec<[(&Db, &[u8]); 64]> = keys
            .filter_map(|&(db, key)| Some((ks.dbs.get(db)?, key)))
            .collect();
        warm_all(&found, now);
    });
}

/// First every key's slot is asked for, then every key is looked up: the slots' misses overlap
/// instead of each lookup waiting for its own.
fn warm_all(keys: &[(&Db, &[u8])], now: UnixMillis) {
    if keys.len() > 1 {
        for &(db, key) in keys {
            db.prefetch_slot(key);
        }
    }
    for &(db, key) in keys {
        warm(db, key, now);
    }
}

/// The second argument of the command at the start of `input`, when its array header, its
/// first bulk and the whole second bulk are there: a guess at a key, for warming only.
pub fn first_key(input: &[u8]) -> Option<&[u8]> {
    let (argc, at) = length_line(input, 0, b'*')?;
    if argc < 2 {
        return None;
    }
    let (name_len, at) = length_line(input, at, b'$')?;
    let (key_len, at) = length_line(input, at.checked_add(name_len)?.checked_add(2)?, b'$')?;
    input.get(at..at.checked_add(key_len)?)
}

/// Looks up `key` in `db` without side effects, and touches its value: the lookup of a command
/// that is to run soon, done early so that its misses overlap with those of its neighbours.
#[inline]
fn warm(db: &Db, key: &[u8], now: UnixMillis) {
    if let Some(e) = db.peek(key, now) {
        touch_value(&e.value);
    }
}

/// Asks for every line of a string value that lives outside its slot, up to
/// `PREFETCH_VALUE_MAX` bytes (past that the hardware prefetcher follows on its own).
#[inline]
fn touch_value(v: &Value) {
    if let Value::Str(StrValue::Owned(b)) = v {
        for line in b[..b.len().min(PREFETCH_VALUE_MAX)].chunks(64) {
            prefetch(line.as_ptr());
        }
    }
}

/// The most bytes of one value the read-ahead asks for: 32 lines.
const PREFETCH_VALUE_MAX: usize = 2048;

#[cfg(test)]
mod tests {
    use super::first_key;

    #[test]
    fn first_key_reads_the_second_argument_of_a_whole_header() {
        assert_eq!(
            first_key(b"*2\r\n$3\r\nGET\r\n$5\r\nkey:1\r\n"),
            Some(&b"key:1"[..])
        );
        assert_eq!(
            first_key(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nabc\r\n"),
            Some(&b"k"[..])
        );
    }

    #[test]
    fn first_key_guesses_nothing_from_partial_or_odd_input() {
        for input in [
            &b""[..],
            b"*2\r\n$3\r\nGET\r\n$5\r\nke",
            b"*1\r\n$4\r\nPING\r\n",
            b"PING\r\n",
            b"*2\r\n$3\r\nGET\r\n$x\r\nkey\r\n",
            b"*2\r\n$\r\n",
            b"*2\r\n$99999999999\r\n",
            b"*2\r\n$18446744073709551615\r\nGET",
        ] {
            assert_eq!(
                first_key(input),
                None,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }
}
