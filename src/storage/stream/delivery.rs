//! What reading through a consumer group and claiming do to a stream's groups: XREADGROUP's
//! new and history reads, XCLAIM and XAUTOCLAIM.
//!
//! Owns: the rules that need both the entries and a group: which IDs a read delivers, how the
//! group's position and read counter move, and which pending entries a claim takes over or
//! drops (those whose entry was deleted). Returns IDs and pending-entry snapshots; the commands
//! turn them into replies and into the commands a replica replays.

use std::ops::Bound;

use super::{Pending, StreamId, StreamValue};
use crate::storage::clock::UnixMillis;

/// An XCLAIM or XAUTOCLAIM request, past its argument parsing.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    /// The consumer taking the entries (created if needed).
    pub consumer: &'a [u8],
    /// Only entries idle at least this long (ms) are taken; 0 = any.
    pub min_idle: i64,
    /// The delivery time claimed entries get.
    pub delivery_time: UnixMillis,
    /// The delivery count claimed entries get; `None` = one more, or unchanged with `justid`.
    pub retry_count: Option<u64>,
    /// XCLAIM FORCE: create pending entries for live entries nobody has pending.
    pub force: bool,
    /// JUSTID: the delivery count does not grow.
    pub justid: bool,
    /// The time now.
    pub now: UnixMillis,
}

/// What a claim did to one pending entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// Now owned by the claiming consumer.
    Claimed,
    /// Dropped from the PEL: its entry no longer exists.
    Removed,
}

/// One pending entry a claim changed, with the entry as it is after (or, when removed, as it
/// was before).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimEvent {
    /// The entry's ID.
    pub id: StreamId,
    /// What happened.
    pub outcome: ClaimOutcome,
    /// The pending entry.
    pub pending: Pending,
}

impl StreamValue {
    /// XREADGROUP with `>`: delivers to `consumer` (which must exist) up to `count` entries
    /// (0 = all) past the group's last ID, moving the group forward; unless `noack`, each
    /// becomes pending for `consumer`. Returns the delivered IDs. `group` must exist.
    pub fn deliver_new(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        count: usize,
        noack: bool,
        now: UnixMillis,
    ) -> Vec<StreamId> {
        let counters = self.counters();
        let start = self.groups[group].last_id.next().unwrap_or(StreamId::MIN);
        let limit = if count == 0 { usize::MAX } else { count };
        let ids: Vec<StreamId> = self
            .range(start, StreamId::MAX)
            .take(limit)
            .map(|e| e.id)
            .collect();
        let g = self.groups.get_mut(group).expect("the group exists");
        for &id in &ids {
            counters.advance(g, id);
            if !noack {
                g.deliver(id, consumer, now);
            }
        }
        ids
    }

    /// XREADGROUP with an ID: the entries pending for `consumer` from `start` on, up to `count`
    /// (0 = all). Each one still in the stream counts one more delivery, at `now`; a deleted
    /// one comes back with `false`. `group` must exist.
    pub fn deliver_history(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        start: StreamId,
        count: usize,
        now: UnixMillis,
    ) -> Vec<(StreamId, bool)> {
        let limit = if count == 0 { usize::MAX } else { count };
        let ids: Vec<StreamId> = match self.groups[group].consumer(consumer) {
            Some(c) => c.pending().range(start..).take(limit).copied().collect(),
            None => Vec::new(),
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let exists = self.contains(id);
            if exists {
                let g = self.groups.get_mut(group).expect("the group exists");
                if let Some(p) = g.pending_mut(id) {
                    p.delivery_time = now;
                    p.delivery_count = p.delivery_count.wrapping_add(1);
                }
            }
            out.push((id, exists));
        }
        out
    }

    /// XCLAIM: hands the pending `ids` idle long enough over to `c.consumer`, in the order
    /// given, and drops from the PEL those whose entry was deleted. `group` must exist.
    pub fn claim(&mut self, group: &[u8], ids: &[StreamId], c: &Claim<'_>) -> Vec<ClaimEvent> {
        let mut events = Vec::new();
        let mut consumer_ready = false;
        for &id in ids {
            let exists = self.contains(id);
            let g = self.groups.get_mut(group).expect("the group exists");
            let pending = g.pel().get(&id).cloned();
            if !exists {
                if let Some(p) = pending {
                    g.ack(id);
                    events.push(removed(id, p));
                }
                continue;
            }
            let forced = pending.is_none();
            if forced && !c.force {
                continue;
            }
            if let Some(p) = &pending {
                if c.min_idle > 0 && idle(p, c.now) < c.min_idle {
                    continue;
                }
            }
            if !consumer_ready {
                g.touch_or_create_consumer(c.consumer, c.now);
                consumer_ready = true;
            }
            if forced {
                g.insert_pending(id, c.consumer, c.now);
            } else {
                g.hand_over(id, c.consumer);
            }
            let p = g.pending_mut(id).expect("pending");
            p.delivery_time = c.delivery_time;
            match c.retry_count {
                Some(n) => p.delivery_count = n,
                None if !c.justid => p.delivery_count = p.delivery_count.wrapping_add(1),
                None => {}
            }
            events.push(ClaimEvent {
                id,
                outcome: ClaimOutcome::Claimed,
                pending: p.clone(),
            });
        }
        events
    }

    /// XAUTOCLAIM: walks the group's PEL from `start`, handing entries idle long enough over
    /// to `c.consumer` and dropping those whose entry was deleted, until `count` were handled
    /// or `count * 10` looked at. Returns what it did and the ID to resume from (0-0 when the
    /// walk reached the end). `group` must exist.
    pub fn autoclaim(
        &mut self,
        group: &[u8],
        start: StreamId,
        count: u64,
        c: &Claim<'_>,
    ) -> (Vec<ClaimEvent>, StreamId) {
        let mut events = Vec::new();
        let mut consumer_ready = false;
        let mut attempts = count.saturating_mul(10);
        let mut left = count;
        let mut from = Bound::Included(start);
        let mut stopped = false;
        loop {
            if attempts == 0 || left == 0 {
                stopped = true;
                break;
            }
            attempts -= 1;
            let g = &self.groups[group];
            let Some((&id, p)) = g.pel().range((from, Bound::Unbounded)).next() else {
                break;
            };
            from = Bound::Excluded(id);
            let p = p.clone();
            let exists = self.contains(id);
            let g = self.groups.get_mut(group).expect("the group exists");
            if !exists {
                g.ack(id);
                events.push(removed(id, p));
                left -= 1;
                continue;
            }
            if c.min_idle > 0 && idle(&p, c.now) < c.min_idle {
                continue;
            }
            if !consumer_ready {
                g.touch_or_create_consumer(c.consumer, c.now);
                consumer_ready = true;
            }
            g.hand_over(id, c.consumer);
            let p = g.pending_mut(id).expect("pending");
            p.delivery_time = c.now;
            if !c.justid {
                p.delivery_count = p.delivery_count.wrapping_add(1);
            }
            events.push(ClaimEvent {
                id,
                outcome: ClaimOutcome::Claimed,
                pending: p.clone(),
            });
            left -= 1;
        }
        let next = if stopped {
            let g = &self.groups[group];
            g.pel()
                .range((from, Bound::Unbounded))
                .next()
                .map_or(StreamId::MIN, |(id, _)| *id)
        } else {
            StreamId::MIN
        };
        (events, next)
    }
}

/// Milliseconds since `p` was last delivered, as Redis computes it (may be negative).
fn idle(p: &Pending, now: UnixMillis) -> i64 {
    (now.0 as i64).wrapping_sub(p.delivery_time.0 as i64)
}

fn removed(id: StreamId, pending: Pending) -> ClaimEvent {
    ClaimEvent {
        id,
        outcome: ClaimOutcome::Removed,
        pending,
    }
}
