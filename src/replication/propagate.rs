//! Where a master's own writes go: each command's propagation record, gathered into the unit it
//! belongs to, then appended to the replication stream (`master_stream`).
//!
//! Owns: the switch (`active`), on while this server is a master with a backlog (from the first
//! replica on, as in Redis; off on a replica, whose stream is its master's); each shard's slice
//! of the stream not yet merged; the units being gathered; the rules below. Costs one relaxed
//! atomic load per write while off.
//!
//! Where a record goes, decided where the command ran:
//! 1. While an EXEC runs inline on this shard (no lock needed), into that EXEC's local unit,
//!    which goes into this shard's slice as one MULTI/EXEC when the EXEC ends.
//! 2. While a multi-shard transaction holds this shard, into that transaction's unit: a
//!    multi-key command spread over shards, an EXEC over several shards, a command that moves
//!    a value between shards. The unit is appended to the stream when the transaction
//!    releases its locks, before any shard it held runs anything else (`unit_done`, from the
//!    release itself).
//! 3. Otherwise into this shard's slice: the commands it ran this turn, encoded, in order.
//!
//! A shard's slice is merged into the stream (one critical section for the whole slice) at the
//! end of each turn of its network driver, and before the shard is locked by a multi-shard
//! transaction (`flush_shard`, from the lock's grant): so a key's writes reach the stream in
//! the order they ran (a key lives on one shard; a transaction's writes to it follow the ones
//! in the slice, and precede any made after the release), a snapshot's barrier (every shard
//! locked) sees every earlier write in the stream, and the shared stream is touched once per
//! turn instead of once per write. Writes to different shards may reach the stream in another
//! order than they ran; no replica can tell, except by reading two keys of different shards
//! between two of their writes.
//!
//! A unit of one command is appended as that command; a larger one is wrapped in MULTI/EXEC,
//! so replicas apply it atomically.
//!
//! What is recorded, after Redis: a command that changed the dataset sends its own argv unless
//! its handler recorded another form (`Propagation::Replace`: absolute expiries, INCRBYFLOAT as
//! SET, BLPOP served as LPOP…) or nothing; the pieces of a command that routes itself (the
//! closures of a cross-shard command, a blocked client being served) send only what they
//! recorded explicitly, since they have no argv of their own; and a key found expired is
//! deleted with a DEL sent before the command that found it.

use bytes::Bytes;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use super::master_stream::{self, Record, Slice};
use crate::commands::propagation::Propagation;
use crate::server::gate::TxId;
use crate::server::runtime::{ambient_tx, gate_holder};

static ACTIVE: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// The unit of the EXEC running inline on this shard, if any.
    static LOCAL_UNIT: RefCell<Option<Vec<Record>>> = const { RefCell::new(None) };
    /// This shard's writes of the current turn, not merged into the stream yet.
    static SLICE: RefCell<Slice> = RefCell::new(Slice::default());
}

fn units() -> MutexGuard<'static, HashMap<TxId, Vec<Record>>> {
    static UNITS: OnceLock<Mutex<HashMap<TxId, Vec<Record>>>> = OnceLock::new();
    UNITS
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// True while this server's own writes go to the replication stream.
#[inline]
pub fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// Turns the propagation of this server's own writes on (a master with a backlog) or off (a
/// replica). Call while every shard is held (or the server is a replica and no client writes),
/// so that no command is halfway through.
pub(crate) fn set_active(on: bool) {
    if on {
        crate::storage::db::set_expiry_listener(expired);
    } else {
        units().clear();
        LOCAL_UNIT.with(|u| u.borrow_mut().take());
    }
    ACTIVE.store(on, Ordering::SeqCst);
}

/// Merges this shard's slice into the stream. Called by the network driver at the end of each
/// turn, and by the multi-shard lock before it is granted here. Cheap when the slice is empty.
#[inline]
pub fn flush_shard() {
    if !active() {
        return;
    }
    let slice = SLICE.with(|s| {
        let mut s = s.borrow_mut();
        (!s.is_empty()).then(|| std::mem::take(&mut *s))
    });
    if let Some(mut slice) = slice {
        master_stream::append_slice(&slice);
        slice.clear();
        // Keep the buffer's capacity for the next turn.
        SLICE.with(|s| {
            let mut s = s.borrow_mut();
            if s.is_empty() {
                *s = slice;
            }
        });
    }
}

/// A command ran on this shard in DB `db` and changed the dataset: sends what its record says
/// (its own `argv` by default).
#[inline]
pub fn command(db: usize, argv: &[Bytes], out: &Propagation) {
    if !active() {
        return;
    }
    match out {
        Propagation::AsIs => emit(db, std::slice::from_ref(&argv)),
        Propagation::Nothing => {}
        Propagation::Replace(cmds) => emit(db, cmds),
    }
}

/// A piece of a command that routes itself (or a blocked client being served) ran on this
/// shard: sends the commands it recorded explicitly, if any.
#[inline]
pub fn recorded(db: usize, out: &Propagation) {
    if !active() {
        return;
    }
    if let Propagation::Replace(cmds) = out {
        emit(db, cmds);
    }
}

/// A key of DB `db` on this shard was deleted because its deadline passed (lazily, or by active
/// expiry): replicas delete it with a DEL.
pub fn expired(db: usize, key: &[u8]) {
    if !active() {
        return;
    }
    let argv = [Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)];
    emit(db, std::slice::from_ref(&argv.as_slice()));
}

/// A command sends `argv` from its coordinating task rather than from a shard (PUBLISH, which
/// touches no key): into the ambient transaction's unit inside EXEC, else to the stream.
pub fn from_coordinator(db: usize, argv: &[Bytes]) {
    if !active() {
        return;
    }
    match ambient_tx() {
        Some(tx) => in_unit(tx, db, argv.to_vec()),
        None => SLICE.with(|s| s.borrow_mut().push(db, argv)),
    }
}

/// Adds `argv` (run in `db`) to transaction `tx`'s unit: the coordinator of a command spread
/// over shards sends the command as a whole this way, before it releases the shards.
pub fn in_unit(tx: TxId, db: usize, argv: Vec<Bytes>) {
    if !active() {
        return;
    }
    units().entry(tx).or_default().push(Record { db, argv });
}

/// Transaction `tx` releases its locks: its unit goes to the stream now. Called by the release
/// itself, before any shard is told.
pub fn unit_done(tx: TxId) {
    if !active() {
        return;
    }
    let unit = units().remove(&tx);
    if let Some(records) = unit {
        flush_shard();
        master_stream::append_unit(&records);
    }
}

/// An EXEC starts running inline on this shard: its records gather into one unit until
/// [`end_local_unit`].
pub fn begin_local_unit() {
    if active() {
        LOCAL_UNIT.with(|u| *u.borrow_mut() = Some(Vec::new()));
    }
}

/// The inline EXEC is done: its unit goes into this shard's slice.
pub fn end_local_unit() {
    let unit = LOCAL_UNIT.with(|u| u.borrow_mut().take());
    if let Some(records) = unit {
        if active() {
            SLICE.with(|s| s.borrow_mut().push_unit(&records));
        }
    }
}

/// Sends `cmds` (run in `db` on this shard) where rule 1, 2 or 3 of the module says.
fn emit<A: AsRef<[Bytes]>>(db: usize, cmds: &[A]) {
    let taken = LOCAL_UNIT.with(|u| match u.borrow_mut().as_mut() {
        Some(unit) => {
            unit.extend(cmds.iter().map(|a| Record {
                db,
                argv: a.as_ref().to_vec(),
            }));
            true
        }
        None => false,
    });
    if taken {
        return;
    }
    match gate_holder() {
        Some(tx) => units()
            .entry(tx)
            .or_default()
            .extend(cmds.iter().map(|a| Record {
                db,
                argv: a.as_ref().to_vec(),
            })),
        None => SLICE.with(|s| {
            let mut s = s.borrow_mut();
            for argv in cmds {
                s.push(db, argv.as_ref());
            }
        }),
    }
}
