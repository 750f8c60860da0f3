//! What a write tells the rest of the server about the keys it changed.
//!
//! Owns: the one hook every command on a shard passes through after it ran. When the command
//! changed the dataset (its dirty count moved) and anyone on this shard watches or waits for a
//! key, the changed keys doom their watchers' transactions and wake the clients blocked on them.
//! Kept to one branch when nobody watches or waits, which is nearly always.

use bytes::Bytes;
use std::cell::Cell;

use crate::storage::keyspace::Keyspace;

thread_local! {
    /// True while some key of this shard is watched or waited for.
    static INTEREST: Cell<bool> = const { Cell::new(false) };
}

/// Recomputes whether anybody watches or waits on this shard. Called by the registries when
/// they change.
pub fn interest_changed() {
    let any = super::watch::watched_keys() > 0 || super::blocking::waited_keys() > 0;
    INTEREST.with(|i| i.set(any));
}

/// The keys a command changed, as far as the caller knows them.
pub enum Changed<'a> {
    /// These keys of the DB.
    Keys(&'a mut dyn Iterator<Item = &'a Bytes>),
    /// Some keys of the DB, not known which.
    SomeOf,
}

/// Called after a command ran on this shard's `ks` in DB `db`, with the dirty count it started
/// from. Dooms watchers of the changed keys and serves clients blocked on them.
pub fn after_command(ks: &mut Keyspace, db: usize, dirty_before: u64, changed: Changed<'_>) {
    if ks.stats.dirty == dirty_before || !INTEREST.with(Cell::get) {
        return;
    }
    match changed {
        Changed::Keys(keys) => {
            for key in keys {
                super::watch::touch(db, key);
                super::blocking::key_ready(db, key);
            }
        }
        Changed::SomeOf => {
            super::watch::touch_db(db);
            super::blocking::db_ready(db);
        }
    }
    super::blocking::serve_ready(ks);
    interest_changed();
}
