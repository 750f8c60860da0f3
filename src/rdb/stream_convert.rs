//! Between the stream value and the RDB's picture of a stream.
//!
//! Owns: `to_data` (what the writer serialises) and `from_data` (building the value a loaded
//! file or a RESTORE payload describes). Entries are rebuilt one by one under the live node
//! limits, so the nodes come out as a fresh stream of those entries would have them; the
//! counters, groups, pending entries and consumers are carried over as stored.

use bytes::Bytes;

use super::stream::{
    ConsumerGroup as GroupData, PendingEntry, StreamConsumer, StreamData, StreamEntry,
    StreamId as IdData,
};
use crate::storage::clock::UnixMillis;
use crate::storage::stream::{ConsumerGroup, NewId, NodeLimits, StreamId, StreamValue};

fn id_data(id: StreamId) -> IdData {
    IdData {
        ms: id.ms,
        seq: id.seq,
    }
}

fn id_value(id: IdData) -> StreamId {
    StreamId::new(id.ms, id.seq)
}

/// The RDB picture of `v`.
pub fn to_data(v: &StreamValue) -> StreamData {
    let entries = v
        .range(StreamId::MIN, StreamId::MAX)
        .map(|e| StreamEntry {
            id: id_data(e.id),
            fields: e
                .pairs()
                .map(|(f, x)| (Bytes::copy_from_slice(f), Bytes::copy_from_slice(x)))
                .collect(),
        })
        .collect();
    let groups = v
        .groups()
        .iter()
        .map(|(name, g)| GroupData {
            name: name.clone(),
            last_delivered_id: id_data(g.last_id),
            entries_read: Some(g.entries_read.unwrap_or(-1)),
            pending: g
                .pel()
                .iter()
                .map(|(id, p)| PendingEntry {
                    id: id_data(*id),
                    delivery_time_ms: p.delivery_time.0 as i64,
                    delivery_count: p.delivery_count,
                })
                .collect(),
            consumers: g
                .consumers()
                .iter()
                .map(|(cname, c)| StreamConsumer {
                    name: cname.clone(),
                    seen_time_ms: c.seen_time.0 as i64,
                    active_time_ms: None,
                    pending: c.pending().iter().map(|id| id_data(*id)).collect(),
                })
                .collect(),
        })
        .collect();
    StreamData {
        entries,
        length: v.len(),
        last_id: id_data(v.last_id()),
        first_id: id_data(v.first_id()),
        max_deleted_entry_id: id_data(v.max_deleted_entry_id()),
        entries_added: v.entries_added(),
        groups,
    }
}

/// The stream value `d` describes. `None` when its entries are not in ascending ID order or
/// an entry has no field (a corrupt file).
pub fn from_data(d: StreamData) -> Option<StreamValue> {
    let mut v = StreamValue::new();
    let limits = NodeLimits::live();
    for e in d.entries {
        if e.fields.is_empty() {
            return None;
        }
        let pairs: Vec<Bytes> = e.fields.into_iter().flat_map(|(f, x)| [f, x]).collect();
        v.append(NewId::Exact(id_value(e.id)), &pairs, limits)
            .ok()?;
    }
    let last = id_value(d.last_id);
    if last < v.last_id() {
        return None;
    }
    v.set_meta(last, d.entries_added, id_value(d.max_deleted_entry_id));
    for g in d.groups {
        let entries_read = g.entries_read.filter(|&n| n >= 0);
        let mut group = ConsumerGroup::new(id_value(g.last_delivered_id), entries_read);
        for p in &g.pending {
            group.load_pending(
                id_value(p.id),
                UnixMillis(p.delivery_time_ms.max(0) as u64),
                p.delivery_count,
            );
        }
        for c in g.consumers {
            let owned: Vec<StreamId> = c.pending.into_iter().map(id_value).collect();
            group.load_consumer(c.name, UnixMillis(c.seen_time_ms.max(0) as u64), &owned);
        }
        v.load_group(g.name, group);
    }
    Some(v)
}
