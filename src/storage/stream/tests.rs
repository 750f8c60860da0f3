//! Unit tests of `StreamValue`: appends and their IDs, nodes, ranges, deletion, trimming,
//! read counters, and the group operations.

use bytes::Bytes;

use super::*;

const T: UnixMillis = UnixMillis(1_000);

fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

fn pairs(items: &[&str]) -> Vec<Bytes> {
    items
        .iter()
        .map(|s| Bytes::copy_from_slice(s.as_bytes()))
        .collect()
}

/// A stream of `n` entries `1-0`, `2-0`… with one field each, under `limits`.
fn numbered(n: u64, limits: NodeLimits) -> StreamValue {
    let mut s = StreamValue::new();
    for i in 1..=n {
        s.append(NewId::Exact(id(i, 0)), &pairs(&["f", "v"]), limits)
            .unwrap();
    }
    s
}

fn ids(it: impl Iterator<Item = StreamId>) -> Vec<u64> {
    it.map(|i| i.ms).collect()
}

#[test]
fn ids_are_generated_like_redis() {
    let mut s = StreamValue::new();
    let l = NodeLimits::DEFAULT;
    let p = pairs(&["f", "v"]);
    assert_eq!(s.append(NewId::Auto(UnixMillis(5)), &p, l), Ok(id(5, 0)));
    // A clock behind the last ID continues its sequence.
    assert_eq!(s.append(NewId::Auto(UnixMillis(3)), &p, l), Ok(id(5, 1)));
    assert_eq!(s.append(NewId::AutoSeq(5), &p, l), Ok(id(5, 2)));
    assert_eq!(s.append(NewId::AutoSeq(9), &p, l), Ok(id(9, 0)));
    assert_eq!(
        s.append(NewId::Exact(id(9, 0)), &p, l),
        Err(AppendError::NotGreater)
    );
    assert_eq!(
        s.append(NewId::AutoSeq(4), &p, l),
        Err(AppendError::NotGreater)
    );
    s.append(NewId::Exact(id(9, u64::MAX)), &p, l).unwrap();
    assert_eq!(
        s.append(NewId::AutoSeq(9), &p, l),
        Err(AppendError::TooLarge)
    );
    assert_eq!(s.len(), 5);
    assert_eq!(s.entries_added(), 5);
    assert_eq!(s.first_id(), id(5, 0));
    assert_eq!(s.last_id(), id(9, u64::MAX));
}

#[test]
fn nodes_close_at_the_entry_and_byte_limits() {
    let s = numbered(250, NodeLimits::DEFAULT);
    assert_eq!(s.node_count(), 3);
    let keys: Vec<u64> = s.nodes().keys().map(|k| k.ms).collect();
    assert_eq!(keys, [1, 101, 201]);
    let small = NodeLimits {
        max_bytes: 64,
        max_entries: 0,
    };
    let s = numbered(10, small);
    assert!(s.node_count() > 1 && s.node_count() < 10);
    assert_eq!(s.len(), 10);
}

#[test]
fn ranges_skip_tombstones_in_both_directions() {
    let mut s = numbered(250, NodeLimits::DEFAULT);
    assert!(s.delete(id(100, 0)));
    assert!(!s.delete(id(100, 0)));
    assert!(s.delete(id(101, 0)));
    assert_eq!(
        ids(s.range(id(99, 0), id(103, 0)).map(|e| e.id)),
        [99, 102, 103]
    );
    assert_eq!(
        ids(s.rev_range(id(99, 0), id(103, 0)).map(|e| e.id)),
        [103, 102, 99]
    );
    assert_eq!(s.range(id(300, 0), StreamId::MAX).count(), 0);
    assert_eq!(s.range(id(5, 0), id(4, 0)).count(), 0);
    assert_eq!(s.len(), 248);
    assert_eq!(s.max_deleted_entry_id(), id(101, 0));
    let e = s.get(id(7, 0)).unwrap();
    let got: Vec<_> = e.pairs().collect();
    assert_eq!(got, [(&b"f"[..], &b"v"[..])]);
    assert_eq!(s.last_live(), Some(id(250, 0)));
}

#[test]
fn deleting_a_nodes_last_entry_drops_the_node() {
    let mut s = numbered(3, NodeLimits::DEFAULT);
    assert!(s.delete(id(1, 0)));
    assert_eq!(s.first_id(), id(2, 0));
    assert!(s.delete(id(2, 0)));
    assert!(s.delete(id(3, 0)));
    assert_eq!(s.node_count(), 0);
    assert_eq!(s.first_id(), StreamId::MIN);
    assert_eq!(s.last_id(), id(3, 0));
    assert_eq!(s.last_live(), None);
}

#[test]
fn approximate_trims_drop_whole_nodes_only() {
    let mut s = numbered(250, NodeLimits::DEFAULT);
    let approx = |to, limit| Trim {
        to,
        approx: true,
        limit,
    };
    assert_eq!(s.trim(&approx(TrimTo::MaxLen(200), 0)), 0);
    assert_eq!(s.trim(&approx(TrimTo::MaxLen(100), 0)), 100);
    assert_eq!(s.len(), 150);
    assert_eq!(s.trim(&approx(TrimTo::MinId(id(250, 0)), 50)), 0);
    assert_eq!(s.trim(&approx(TrimTo::MinId(id(250, 0)), 0)), 100);
    assert_eq!(s.first_id(), id(201, 0));
}

#[test]
fn exact_trims_leave_tombstones_in_the_head_node() {
    let mut s = numbered(250, NodeLimits::DEFAULT);
    let exact = |to| Trim {
        to,
        approx: false,
        limit: 0,
    };
    assert_eq!(s.trim(&exact(TrimTo::MaxLen(140))), 110);
    assert_eq!(s.len(), 140);
    assert_eq!(s.first_id(), id(111, 0));
    let head = s.nodes().values().next().unwrap();
    assert_eq!((head.live(), head.deleted()), (90, 10));
    assert_eq!(s.first_slot_id(), id(101, 0));
    assert_eq!(s.trim(&exact(TrimTo::MinId(id(115, 0)))), 4);
    assert_eq!(s.first_id(), id(115, 0));
    assert_eq!(s.max_deleted_entry_id(), StreamId::MIN);
    assert_eq!(s.trim(&exact(TrimTo::MaxLen(0))), 136);
    assert!(s.is_empty());
    assert_eq!(s.first_id(), StreamId::MIN);
}

#[test]
fn read_counters_follow_redis_estimates() {
    let mut s = numbered(5, NodeLimits::DEFAULT);
    let c = s.counters();
    assert_eq!(c.estimate_read_counter(id(5, 0)), Some(5));
    assert_eq!(c.estimate_read_counter(id(1, 0)), Some(1));
    assert_eq!(c.estimate_read_counter(StreamId::MIN), Some(0));
    assert_eq!(c.estimate_read_counter(id(3, 0)), None);
    assert_eq!(c.estimate_read_counter(id(6, 0)), None);
    s.create_group(b"g", StreamId::MIN, Some(0));
    assert_eq!(s.group_lag(s.group(b"g").unwrap()), Some(5));
    s.delete(id(3, 0));
    s.create_group(b"h", id(2, 0), Some(2));
    assert_eq!(s.group_lag(s.group(b"h").unwrap()), None);
    assert_eq!(s.group_lag(s.group(b"g").unwrap()), None);
}

#[test]
fn reading_through_a_group_moves_it_and_fills_the_pel() {
    let mut s = numbered(5, NodeLimits::DEFAULT);
    s.create_group(b"g", StreamId::MIN, None);
    s.group_mut(b"g").unwrap().create_consumer(b"c", T);
    assert_eq!(
        ids(s.deliver_new(b"g", b"c", 2, false, T).into_iter()),
        [1, 2]
    );
    let g = s.group(b"g").unwrap();
    assert_eq!(g.last_id, id(2, 0));
    assert_eq!(g.entries_read, Some(2));
    assert_eq!(g.pel().len(), 2);
    assert_eq!(
        ids(s.deliver_new(b"g", b"c", 0, true, T).into_iter()),
        [3, 4, 5]
    );
    assert_eq!(s.group(b"g").unwrap().pel().len(), 2);
    s.delete(id(2, 0));
    let later = UnixMillis(2_000);
    let h = s.deliver_history(b"g", b"c", StreamId::MIN, 0, later);
    assert_eq!(h, [(id(1, 0), true), (id(2, 0), false)]);
    let p = &s.group(b"g").unwrap().pel()[&id(1, 0)];
    assert_eq!((p.delivery_time, p.delivery_count), (later, 2));
}

#[test]
fn claims_take_idle_entries_and_drop_deleted_ones() {
    let mut s = numbered(5, NodeLimits::DEFAULT);
    s.create_group(b"g", StreamId::MIN, None);
    s.group_mut(b"g").unwrap().create_consumer(b"a", T);
    s.deliver_new(b"g", b"a", 0, false, T);
    s.delete(id(2, 0));
    let now = UnixMillis(1_500);
    let c = Claim {
        consumer: b"b",
        min_idle: 400,
        delivery_time: now,
        retry_count: None,
        force: false,
        justid: false,
        now,
    };
    let ev = s.claim(b"g", &[id(1, 0), id(2, 0), id(9, 0)], &c);
    assert_eq!(ev.len(), 2);
    assert_eq!((ev[0].id, ev[0].outcome), (id(1, 0), ClaimOutcome::Claimed));
    assert_eq!(ev[0].pending.delivery_count, 2);
    assert_eq!((ev[1].id, ev[1].outcome), (id(2, 0), ClaimOutcome::Removed));
    let too_idle = Claim {
        min_idle: 10_000,
        ..c
    };
    assert!(s.claim(b"g", &[id(3, 0)], &too_idle).is_empty());
    let (ev, next) = s.autoclaim(b"g", StreamId::MIN, 2, &c);
    assert_eq!(ids(ev.iter().map(|e| e.id)), [3, 4]);
    assert_eq!(next, id(5, 0));
    let (ev, next) = s.autoclaim(b"g", next, 10, &c);
    assert_eq!(ids(ev.iter().map(|e| e.id)), [5]);
    assert_eq!(next, StreamId::MIN);
    let g = s.group(b"g").unwrap();
    assert_eq!(g.consumer(b"b").unwrap().pending().len(), 4);
    assert!(g.consumer(b"a").unwrap().pending().is_empty());
}

#[test]
fn a_stream_rebuilds_from_what_an_rdb_writer_reads() {
    let mut s = numbered(150, NodeLimits::DEFAULT);
    s.append(
        NewId::Exact(id(151, 0)),
        &pairs(&["other", "x", "y", "z"]),
        NodeLimits::DEFAULT,
    )
    .unwrap();
    s.delete(id(3, 0));
    s.delete(id(120, 0));
    s.trim(&Trim {
        to: TrimTo::MaxLen(140),
        approx: false,
        limit: 0,
    });
    s.create_group(b"g", StreamId::MIN, Some(0));
    s.group_mut(b"g").unwrap().create_consumer(b"c", T);
    s.group_mut(b"g").unwrap().create_consumer(b"idle", T);
    s.deliver_new(b"g", b"c", 4, false, T);

    let mut copy = StreamValue::new();
    for (&master, node) in s.nodes() {
        let fields: Vec<Bytes> = node.master_fields().map(Bytes::copy_from_slice).collect();
        let entries: Vec<(StreamId, bool, Vec<Bytes>)> = node
            .slots()
            .map(|slot| {
                let flat = slot
                    .entry
                    .pairs()
                    .flat_map(|(f, v)| [Bytes::copy_from_slice(f), Bytes::copy_from_slice(v)])
                    .collect();
                (slot.id, slot.deleted, flat)
            })
            .collect();
        copy.load_node(master, Node::load(master, &fields, &entries));
    }
    copy.set_meta(s.last_id(), s.entries_added(), s.max_deleted_entry_id());
    for (name, g) in s.groups() {
        let mut loaded = ConsumerGroup::new(g.last_id, g.entries_read);
        for (&pid, p) in g.pel() {
            loaded.load_pending(pid, p.delivery_time, p.delivery_count);
        }
        for (cname, c) in g.consumers() {
            let ids: Vec<StreamId> = c.pending().iter().copied().collect();
            loaded.load_consumer(cname.clone(), c.seen_time, &ids);
        }
        copy.load_group(name.clone(), loaded);
    }
    assert_eq!(copy, s);
    assert_eq!(copy.first_id(), id(11, 0));
}
