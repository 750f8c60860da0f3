//! A consumer group's read counter (`entries-read`) and lag, and the estimates Redis makes of
//! them when they cannot be counted exactly.
//!
//! Owns: the arithmetic of Redis's `streamRangeHasTombstones`,
//! `streamEstimateDistanceFromFirstEverEntry` and `streamReplyWithCGLag`, which reason only from
//! the stream's counters (length, first and last ID, greatest deleted ID, entries added). They
//! work on a copy of those counters, so a group of the same stream can change meanwhile.

use super::{ConsumerGroup, StreamId, StreamValue};

/// A copy of the counters of one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// Live entries.
    pub length: u64,
    /// The first live ID, 0-0 when empty.
    pub first_id: StreamId,
    /// The last ID added or set.
    pub last_id: StreamId,
    /// The greatest ID XDEL removed.
    pub max_deleted: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
}

impl StreamValue {
    /// A copy of the stream's counters.
    pub fn counters(&self) -> Counters {
        Counters {
            length: self.len(),
            first_id: self.first_id(),
            last_id: self.last_id(),
            max_deleted: self.max_deleted_entry_id(),
            entries_added: self.entries_added(),
        }
    }

    /// The entries of the stream `g` has not read yet (`lag`), when that can be known.
    pub fn group_lag(&self, g: &ConsumerGroup) -> Option<i64> {
        self.counters().lag(g)
    }
}

impl Counters {
    /// True when a deleted entry may lie at or after `start` (`None`: from the start). Known
    /// only through the greatest deleted ID, so it may answer yes for a tombstone since trimmed
    /// away.
    pub fn tombstones_from(&self, start: Option<StreamId>) -> bool {
        let max_del = self.max_deleted;
        if self.length == 0 || max_del.is_zero() || self.first_id > max_del {
            return false;
        }
        start.unwrap_or(StreamId::MIN) <= max_del
    }

    /// How many entries were ever added up to and including `id`, when that can be known;
    /// `None` when `id` lies among live entries past a deletion, or in the future.
    pub fn estimate_read_counter(&self, id: StreamId) -> Option<i64> {
        let added = self.entries_added as i64;
        if added == 0 {
            return Some(0);
        }
        if self.length == 0 && id <= self.last_id {
            return Some(added);
        }
        if id == self.last_id {
            return Some(added);
        }
        if id > self.last_id {
            return None;
        }
        if self.max_deleted.is_zero() || self.max_deleted < self.first_id {
            let before_first = added.wrapping_sub(self.length as i64);
            if id < self.first_id {
                return Some(before_first);
            }
            if id == self.first_id {
                return Some(before_first.wrapping_add(1));
            }
        }
        None
    }

    /// The entries `g` has not read yet, when that can be known.
    pub fn lag(&self, g: &ConsumerGroup) -> Option<i64> {
        let added = self.entries_added as i64;
        if added == 0 {
            return Some(0);
        }
        if let Some(read) = g.entries_read {
            if !self.tombstones_from(Some(g.last_id)) {
                return Some(added.wrapping_sub(read));
            }
        }
        self.estimate_read_counter(g.last_id)
            .map(|read| added.wrapping_sub(read))
    }

    /// Moves `g`'s read position to the delivered `id` when it is past the group's last ID:
    /// the read counter grows by one while it is valid and no deletion lies ahead, else it is
    /// estimated afresh (what Redis's `streamReplyWithRange` does for a group).
    pub fn advance(&self, g: &mut ConsumerGroup, id: StreamId) {
        if id <= g.last_id {
            return;
        }
        match g.entries_read {
            Some(n) if !self.tombstones_from(Some(id)) => g.entries_read = Some(n.wrapping_add(1)),
            _ if self.entries_added > 0 => g.entries_read = self.estimate_read_counter(id),
            _ => {}
        }
        g.last_id = id;
    }
}
