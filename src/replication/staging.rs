//! The dataset a full sync loads aside, while clients keep reading the old one, until the
//! switch (Redis's `repl-diskless-load swapdb`, and how Tessera serves `disabled` too).
//!
//! Owns: one set of staging databases per shard (a thread-local of the shard's executor),
//! created empty when a full sync starts, filled by the bulk loader's jobs, then swapped with the
//! live databases while every shard is held, so no client sees a mix of the two datasets. The
//! old databases are freed afterwards, outside the lock. A failed load only drops the staging
//! databases: the old dataset stays. Runs on: each shard's executor.

use bytes::Bytes;
use std::cell::RefCell;

use crate::server::watch::touch_existing;
use crate::storage::db::{Db, Entry};
use crate::storage::keyspace::Keyspace;

thread_local! {
    static STAGING: RefCell<Option<Vec<Db>>> = const { RefCell::new(None) };
}

/// How a full sync puts the master's dataset in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// Into the live databases, emptied first; clients get -LOADING meanwhile.
    InPlace,
    /// Into staging databases, swapped in at the end; clients read the old dataset meanwhile.
    Staged,
}

/// Creates this shard's empty staging databases (replica mode: expired keys are kept).
pub fn begin(ks: &mut Keyspace) {
    let dbs = (0..ks.dbs.len())
        .map(|i| {
            let mut d = Db::with_index(i);
            d.set_keep_expired(true);
            d
        })
        .collect();
    STAGING.with(|s| *s.borrow_mut() = Some(dbs));
}

/// The bulk loader's sink: stores one key in this shard's staging databases.
pub fn insert(_ks: &mut Keyspace, db: usize, key: Bytes, entry: Entry) {
    STAGING.with(|s| {
        if let Some(dbs) = s.borrow_mut().as_mut() {
            if let Some(d) = dbs.get_mut(db) {
                d.insert(key, entry);
            }
        }
    });
}

/// Swaps the staging databases in: watchers of a key present before or after are told it
/// changed. The old databases stay in staging until [`discard`]. Returns the keys swapped in.
pub fn swap_in(ks: &mut Keyspace) -> u64 {
    STAGING.with(|s| {
        let mut s = s.borrow_mut();
        let Some(staged) = s.as_mut() else {
            return 0;
        };
        touch_existing(ks, None);
        let mut keys = 0;
        for (live, new) in ks.dbs.iter_mut().zip(staged.iter_mut()) {
            std::mem::swap(live, new);
            keys += live.len() as u64;
        }
        touch_existing(ks, None);
        ks.stats.dirty += keys;
        keys
    })
}

/// Frees this shard's staging databases (the old dataset after a switch, or a failed load).
pub fn discard() {
    let old = STAGING.with(|s| s.borrow_mut().take());
    drop(old);
}
