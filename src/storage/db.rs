//! One numbered database of one shard: its keys, their values and deadlines.
//!
//! Owns: the key table of one `DbIndex` on one shard, lazy expiry on access, the active expiry
//! step, SCAN steps and RANDOMKEY. Runs on: the owning shard's executor only. Must not: await,
//! touch a socket or a file, or reach another shard.

use bytes::Bytes;

use super::clock::{Deadline, UnixMillis};
use super::small_bytes::SmallBytes;
use super::str_value::StrValue;
use super::table::{KeyTable, Mark, MarkCursor};
use super::value::{StrForm, Value};

/// Random picks RANDOMKEY makes before it stops sampling, as Redis's `dbRandomKey` does
/// (`maxtries`).
const RANDOM_KEY_TRIES: usize = 100;

/// A key's value and its deadline.
#[derive(Debug, Clone)]
pub struct Entry {
    /// What the key holds.
    pub value: Value,
    /// When the key expires; `None` = never.
    pub deadline: Option<Deadline>,
    /// How a string value was last written (see [`StrForm`]); `Whole` for other types.
    pub str_form: StrForm,
    /// When the key was last read or written, Unix seconds (OBJECT IDLETIME). Fits in the
    /// entry's padding: it costs no memory.
    pub touched: u32,
}

// With its key (24 bytes) an entry fills one 64-byte table slot.
const _: () = assert!(size_of::<Entry>() == 40);

/// Two entries are equal when they hold the same value with the same deadline and string
/// form; when they were last touched does not matter.
impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.value == other.value
            && self.deadline == other.deadline
            && self.str_form == other.str_form
    }
}

impl Entry {
    /// An entry without a deadline.
    pub fn new(value: Value) -> Entry {
        Entry {
            value,
            deadline: None,
            str_form: StrForm::Whole,
            touched: super::clock::coarse_secs(),
        }
    }

    /// Seconds since the key was last read or written.
    pub fn idle_secs(&self, now: UnixMillis) -> u64 {
        (now.as_secs() as u32).saturating_sub(self.touched) as u64
    }

    /// The name `OBJECT ENCODING` reports for this entry's value.
    pub fn encoding_name(&self) -> &'static str {
        self.value.encoding_name_as(self.str_form)
    }

    /// True when the entry's deadline has passed at `now`, unless this thread is running its
    /// master's commands (see [`set_expired_visible`]), for which no key has expired.
    pub fn is_expired(&self, now: UnixMillis) -> bool {
        self.deadline.is_some_and(|d| d.passed(now)) && !expired_visible()
    }
}

thread_local! {
    /// Set while this thread runs commands from the master link: see [`set_expired_visible`].
    static EXPIRED_VISIBLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True while this thread runs commands that see expired keys as live (its master's).
pub fn expired_visible() -> bool {
    EXPIRED_VISIBLE.with(|v| v.get())
}

/// Makes every key whose deadline passed read as live on this thread (`true`) or not, and
/// returns the previous setting.
///
/// A replica runs its master's commands this way, as Redis does for its master client: the
/// master decided what is expired and says so with DEL, so its commands must find a key the
/// replica's clock already considers gone (its DEL, or a write that raced the deadline). Normal
/// clients never run with it; they see such keys as absent (replica mode, see
/// [`Db::set_keep_expired`]). Checked only once a deadline has passed, so it costs nothing on
/// live keys.
pub fn set_expired_visible(visible: bool) -> bool {
    EXPIRED_VISIBLE.with(|v| v.replace(visible))
}

/// Marks the entries that have a deadline, so the table counts them per segment and active
/// expiry can skip segments of persistent keys.
struct HasDeadline;

impl Mark<Entry> for HasDeadline {
    fn is_marked(entry: &Entry) -> bool {
        entry.deadline.is_some()
    }
}

/// Told about every key deleted because its deadline passed: the DB's index and the key (a
/// master sends its replicas a DEL for it).
pub type ExpiryListener = fn(usize, &[u8]);

static EXPIRY_LISTENER: std::sync::OnceLock<ExpiryListener> = std::sync::OnceLock::new();

/// Installs the function told about keys deleted on expiry. Once per process; later calls
/// change nothing.
pub fn set_expiry_listener(f: ExpiryListener) {
    let _ = EXPIRY_LISTENER.set(f);
}

/// Tells the expiry listener that `key` of DB `index` was deleted because its deadline passed.
fn reclaimed(index: usize, key: &[u8]) {
    if let Some(f) = EXPIRY_LISTENER.get() {
        f(index, key);
    }
}

/// One database of one shard.
#[derive(Default)]
pub struct Db {
    /// This DB's number (for the expiry listener).
    index: usize,
    map: KeyTable<Entry, HasDeadline>,
    /// Where the next active-expiry step resumes.
    expire_cursor: MarkCursor,
    /// On a replica, expired keys read as absent but stay until the master's DEL arrives.
    keep_expired: bool,
}

/// What one active-expiry step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExpireStep {
    /// Keys with a deadline looked at.
    pub sampled: usize,
    /// Of those, keys deleted because their deadline had passed.
    pub expired: usize,
}

impl Db {
    /// An empty database numbered 0 (for tests and tools; a keyspace numbers its own with
    /// [`Db::with_index`]).
    pub fn new() -> Db {
        Db::default()
    }

    /// An empty database numbered `index`: the number the expiry listener is given.
    pub fn with_index(index: usize) -> Db {
        Db {
            index,
            ..Db::default()
        }
    }

    /// Tells the expiry listener that `key` was deleted because its deadline passed.
    fn reclaimed(&self, key: &[u8]) {
        reclaimed(self.index, key);
    }

    /// Number of keys, counting expired keys not yet reclaimed (as Redis's DBSIZE does).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when the database holds no key.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Number of keys with a deadline (`INFO keyspace` expires=).
    pub fn volatile_len(&self) -> usize {
        self.map.marked_len()
    }

    /// Bytes the key table has allocated, not counting keys' and values' own buffers.
    pub fn approx_heap_bytes(&self) -> usize {
        self.map.approx_heap_bytes()
    }

    /// Makes expired keys read as absent without deleting them (replica mode) or not.
    pub fn set_keep_expired(&mut self, keep: bool) {
        self.keep_expired = keep;
    }

    /// Looks `key` up. Side effect: a key whose deadline passed is deleted (unless in replica mode,
    /// where it only reads as absent) and `None` is returned. Counts nothing: hit/miss statistics
    /// are the caller's (`ShardCtx`).
    ///
    /// Change the entry's deadline through [`Db::set_deadline`] or [`Db::insert`], not through
    /// the returned reference: the count of keys with a deadline, which drives active expiry and
    /// `INFO keyspace`, would go stale.
    pub fn get(&mut self, key: &[u8], now: UnixMillis) -> Option<&mut Entry> {
        let mut expired = 0;
        self.get_counting(key, now, &mut expired)
    }

    /// `get`, adding 1 to `expired` when the lookup deleted an expired key.
    pub fn get_counting(
        &mut self,
        key: &[u8],
        now: UnixMillis,
        expired: &mut u64,
    ) -> Option<&mut Entry> {
        let index = self.index;
        let found = self.map.occupied(key)?;
        if !found.get().is_expired(now) {
            let e = found.into_mut();
            e.touched = now.as_secs() as u32;
            return Some(e);
        }
        if !self.keep_expired {
            found.remove();
            *expired += 1;
            reclaimed(index, key);
        }
        None
    }

    /// Looks `key` up without any side effect; expired keys read as absent.
    pub fn peek(&self, key: &[u8], now: UnixMillis) -> Option<&Entry> {
        self.map.get(key).filter(|e| !e.is_expired(now))
    }

    /// Asks the cache for `key`'s entry ahead of a lookup (see `KeyTable::prefetch_slot`).
    pub fn prefetch_slot(&self, key: &[u8]) {
        self.map.prefetch_slot(key);
    }

    /// True when `key` exists and has not expired (deleting it if it has).
    pub fn contains(&mut self, key: &[u8], now: UnixMillis) -> bool {
        self.get(key, now).is_some()
    }

    /// Stores `entry` under `key` (copied), replacing whatever was there (value and deadline).
    /// Returns the previous entry, expired or not.
    pub fn insert(&mut self, key: impl AsRef<[u8]>, mut entry: Entry) -> Option<Entry> {
        if let Value::Str(v) = &mut entry.value {
            v.detach();
        }
        self.map.insert(key.as_ref(), entry)
    }

    /// Stores the string `value` under `key` with `deadline`, as [`Db::insert`] of a fresh
    /// entry would. When the old value is a string of the same length that nothing else holds,
    /// its bytes are written over where they are: SET on a key whose value keeps its size (a
    /// counter, a fixed-size record) then allocates and frees nothing, and touches no cold
    /// memory to free the old value.
    pub fn set_str(&mut self, key: &[u8], value: &Bytes, deadline: Option<Deadline>) {
        let in_place = self.map.update(key, |e| {
            let Value::Str(old) = &mut e.value else {
                return false;
            };
            if !old.overwrite_same_len(value) {
                return false;
            }
            e.deadline = deadline;
            e.str_form = StrForm::Whole;
            e.touched = super::clock::coarse_secs();
            true
        });
        if in_place != Some(true) {
            self.insert_str(key, value, deadline);
        }
    }

    /// Stores the string `value` under `key` with `deadline` as a fresh entry, replacing
    /// whatever was there: [`Db::set_str`] for a key known to be absent, without its lookup.
    pub fn insert_str(&mut self, key: &[u8], value: &Bytes, deadline: Option<Deadline>) {
        let entry = Entry {
            deadline,
            ..Entry::new(Value::Str(StrValue::stored(value)))
        };
        self.insert(key, entry);
    }

    /// Removes `key`, returning its entry (expired or not).
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        self.map.remove(key)
    }

    /// Sets or clears the deadline of an existing key. Returns false when the key is absent.
    pub fn set_deadline(&mut self, key: &[u8], deadline: Option<Deadline>) -> bool {
        self.map.update(key, |e| e.deadline = deadline).is_some()
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.map.clear();
        self.expire_cursor = MarkCursor::default();
    }

    /// Every key and entry, expired or not, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.map.iter()
    }

    /// SCAN step: calls `f` on the keys at or past `cursor` in SCAN order, whole table segments
    /// at a time, until at least `count` were passed; returns the next cursor, 0 when done. The
    /// cursor is a 56-bit position, so the caller may keep a shard index in the top 8 bits.
    ///
    /// Every key present from the first call to the last is passed exactly once, however the
    /// database grows in between (see [`KeyTable::scan`]). Expired keys not yet reclaimed are
    /// passed too: filter with [`Entry::is_expired`]. No side effects.
    pub fn scan(&self, cursor: u64, count: usize, f: impl FnMut(&[u8], &Entry)) -> u64 {
        self.map.scan(cursor, count, f)
    }

    /// A live key picked at random (RANDOMKEY), or `None` when no key is live.
    ///
    /// Side effects, as Redis's `dbRandomKey`: an expired key picked is deleted (in replica mode
    /// it is only passed over). After `RANDOM_KEY_TRIES` expired picks the database is nearly all
    /// expired; it then walks the table for the first live key, and in replica mode, finding
    /// none, returns the last expired key picked, as Redis does rather than loop forever. Counts
    /// nothing, like [`Db::get`].
    pub fn random_key(&mut self, now: UnixMillis) -> Option<Bytes> {
        let mut rng = rand::thread_rng();
        let mut last_expired = None;
        for _ in 0..RANDOM_KEY_TRIES {
            let (key, entry) = self.map.random(&mut rng)?;
            if !entry.is_expired(now) {
                return Some(Bytes::copy_from_slice(key));
            }
            let key = Bytes::copy_from_slice(key);
            if !self.keep_expired {
                self.map.remove(&key);
                self.reclaimed(&key);
            }
            last_expired = Some(key);
        }
        let live = self.map.iter().find(|(_, e)| !e.is_expired(now));
        match live {
            Some((key, _)) => Some(Bytes::copy_from_slice(key)),
            None if self.keep_expired => last_expired,
            None => None,
        }
    }

    /// One step of active expiry: looks at up to `budget` keys with a deadline and deletes those
    /// whose deadline passed. Returns what it did. Does nothing in replica mode.
    ///
    /// Costs in proportion to the keys with a deadline, not to all keys: it resumes where the
    /// last step stopped and skips table segments without such keys, each in O(1). One step
    /// looks at a key once at most.
    pub fn expire_step(&mut self, now: UnixMillis, budget: usize) -> ExpireStep {
        let mut step = ExpireStep::default();
        if self.map.marked_len() == 0 || self.keep_expired {
            return step;
        }
        let mut due = Vec::new();
        self.expire_cursor = self.map.walk_marked(self.expire_cursor, budget, |k, e| {
            step.sampled += 1;
            let expired = e.is_expired(now);
            if expired {
                due.push(SmallBytes::from_slice(k));
            }
            !expired
        });
        for k in due {
            self.map.remove(&k);
            self.reclaimed(&k);
            step.expired += 1;
        }
        step
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    const NOW: UnixMillis = UnixMillis(1_000_000);

    fn s(v: &str) -> Entry {
        Entry::new(Value::Str(StrValue::from(v)))
    }

    fn expiring(v: &str, at_ms: u64) -> Entry {
        Entry {
            deadline: Some(Deadline::at_ms(at_ms)),
            ..s(v)
        }
    }

    fn k(name: impl std::fmt::Display) -> Bytes {
        Bytes::from(name.to_string())
    }

    #[test]
    fn set_str_writes_over_a_value_of_the_same_length_and_replaces_others() {
        let mut db = Db::new();
        let long = |c: u8| Bytes::from(vec![c; 100]);
        db.set_str(b"k", &long(b'a'), None);
        let before = db
            .peek(b"k", NOW)
            .unwrap()
            .value
            .as_str()
            .unwrap()
            .as_slice()
            .as_ptr();
        db.set_str(b"k", &long(b'b'), Some(Deadline::at_ms(NOW.0 + 10)));
        let e = db.peek(b"k", NOW).unwrap();
        let after = e.value.as_str().unwrap().as_slice();
        assert_eq!((after, after.as_ptr()), (&long(b'b')[..], before));
        assert_eq!(
            (db.volatile_len(), e.deadline),
            (1, Some(Deadline::at_ms(NOW.0 + 10)))
        );
        // A value shared with a reply in flight is not written over.
        let held = db
            .peek(b"k", NOW)
            .unwrap()
            .value
            .as_str()
            .unwrap()
            .to_bytes();
        db.set_str(b"k", &long(b'c'), None);
        assert_eq!(&held[..], &long(b'b')[..]);
        assert_eq!(db.volatile_len(), 0);
        db.set_str(b"k", &Bytes::from_static(b"short"), None);
        db.set_str(b"k", &long(b'd'), None);
        assert_eq!(
            db.peek(b"k", NOW)
                .unwrap()
                .value
                .as_str()
                .unwrap()
                .as_slice(),
            &long(b'd')[..]
        );
        db.insert(b"l", Entry::new(Value::List(Default::default())));
        db.set_str(b"l", &long(b'e'), None);
        assert_eq!(db.peek(b"l", NOW).unwrap().value.type_name(), "string");
    }

    #[test]
    fn an_expired_key_reads_as_absent_and_is_deleted_on_access() {
        let mut db = Db::new();
        db.insert(k("gone"), expiring("v", NOW.0 - 1));
        db.insert(k("due_now"), expiring("v", NOW.0));
        db.insert(k("kept"), s("v"));
        assert_eq!(db.peek(b"gone", NOW), None);
        assert_eq!(db.len(), 3, "peek has no side effect");
        assert!(db.get(b"gone", NOW).is_none());
        assert_eq!(db.len(), 2);
        assert_eq!(db.volatile_len(), 1);
        assert!(
            db.contains(b"due_now", NOW),
            "a deadline equal to now is still alive"
        );
        assert!(db.contains(b"kept", NOW));
    }

    #[test]
    fn replica_mode_hides_expired_keys_but_keeps_them() {
        let mut db = Db::new();
        db.set_keep_expired(true);
        db.insert(k("gone"), expiring("v", NOW.0 - 1));
        assert!(db.get(b"gone", NOW).is_none());
        assert!(!db.contains(b"gone", NOW));
        assert_eq!(db.len(), 1);
        assert_eq!(db.expire_step(NOW, 100), ExpireStep::default());
        assert_eq!(db.len(), 1);
        assert_eq!(
            db.random_key(NOW),
            Some(k("gone")),
            "Redis returns it rather than loop"
        );
        assert!(db.remove(b"gone").is_some(), "the master's DEL removes it");
    }

    #[test]
    fn volatile_count_follows_every_deadline_change() {
        let mut db = Db::new();
        db.insert(k("a"), expiring("v", NOW.0 + 10));
        db.insert(k("b"), s("v"));
        assert_eq!(db.volatile_len(), 1);
        db.insert(k("a"), s("w"));
        assert_eq!(db.volatile_len(), 0);
        assert!(db.set_deadline(b"b", Some(Deadline::at_ms(NOW.0 + 5))));
        assert!(db.set_deadline(b"b", Some(Deadline::at_ms(NOW.0 + 6))));
        assert_eq!(db.volatile_len(), 1);
        assert!(!db.set_deadline(b"nope", Some(Deadline::at_ms(1))));
        assert!(db.set_deadline(b"b", None));
        assert_eq!(db.volatile_len(), 0);
        db.insert(k("c"), expiring("v", NOW.0 + 10));
        db.remove(b"c");
        assert_eq!(db.volatile_len(), 0);
        db.insert(k("d"), expiring("v", NOW.0 + 10));
        db.clear();
        assert_eq!((db.len(), db.volatile_len()), (0, 0));
        assert!(db.is_empty());
    }

    #[test]
    fn expire_step_reclaims_only_expired_keys_within_budget() {
        let mut db = Db::new();
        for i in 0..3_000 {
            db.insert(k(format!("persistent:{i}")), s("v"));
            db.insert(k(format!("later:{i}")), expiring("v", NOW.0 + 1_000));
        }
        for i in 0..4_000 {
            db.insert(k(format!("past:{i}")), expiring("v", NOW.0 - 1));
        }
        let mut expired = 0;
        for _ in 0..10_000 {
            let step = db.expire_step(NOW, 25);
            assert!(step.sampled <= 25);
            assert!(step.expired <= step.sampled);
            expired += step.expired;
            if expired == 4_000 {
                break;
            }
        }
        assert_eq!(expired, 4_000);
        assert_eq!(db.len(), 6_000);
        assert_eq!(db.volatile_len(), 3_000);
        assert!(db.iter().all(|(key, _)| !key.starts_with(b"past:")));
    }

    #[test]
    fn expire_step_looks_only_at_keys_with_a_deadline() {
        let mut db = Db::new();
        for i in 0..100_000 {
            db.insert(k(i), s("v"));
        }
        for i in 0..10 {
            db.insert(k(format!("ttl:{i}")), expiring("v", NOW.0 + 1_000));
        }
        let step = db.expire_step(NOW, 200);
        assert_eq!(
            step,
            ExpireStep {
                sampled: 10,
                expired: 0
            }
        );
        assert_eq!(db.expire_step(NOW, 3).sampled, 3);
        assert_eq!(Db::new().expire_step(NOW, 20), ExpireStep::default());
    }

    #[test]
    fn scan_passes_every_key_including_expired_ones() {
        let mut db = Db::new();
        for i in 0..5_000 {
            db.insert(k(i), s("v"));
        }
        db.insert(k("old"), expiring("v", NOW.0 - 1));
        let mut seen = HashSet::new();
        let mut live = 0;
        let mut cursor = 0;
        loop {
            cursor = db.scan(cursor, 10, |key, e| {
                assert!(seen.insert(key.to_vec()));
                live += usize::from(!e.is_expired(NOW));
            });
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 5_001);
        assert_eq!(live, 5_000);
    }

    #[test]
    fn random_key_skips_and_deletes_expired_keys() {
        let mut db = Db::new();
        assert_eq!(db.random_key(NOW), None);
        for i in 0..1_000 {
            db.insert(k(format!("old:{i}")), expiring("v", NOW.0 - 1));
        }
        db.insert(k("live"), s("v"));
        for _ in 0..20 {
            assert_eq!(db.random_key(NOW), Some(k("live")));
        }
        assert!(db.len() < 1_001, "expired picks were deleted");
        let mut only_expired = Db::new();
        only_expired.insert(k("old"), expiring("v", NOW.0 - 1));
        assert_eq!(only_expired.random_key(NOW), None);
        assert!(only_expired.is_empty());
    }
}
