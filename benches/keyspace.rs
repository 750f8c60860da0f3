//! Key table micro-benchmarks: `KeyTable` against a plain hashbrown map on 1M keys (lookups,
//! inserts, memory), and the SCAN, RANDOMKEY and active-expiry steps built on it.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use tessera::storage::clock::{Deadline, UnixMillis};
use tessera::storage::db::{Db, Entry};
use tessera::storage::table::KeyTable;
use tessera::storage::value::Value;

const KEYS: usize = 1_000_000;

type PlainMap = hashbrown::HashMap<Bytes, Entry, ahash::RandomState>;

fn keys() -> Vec<Bytes> {
    (0..KEYS).map(|i| Bytes::from(format!("key:{i}"))).collect()
}

fn entry() -> Entry {
    Entry::new(Value::Str(Bytes::from_static(b"value").into()))
}

/// The keys in a fixed random order, so lookups miss the cache the way real traffic does.
fn shuffled(keys: &[Bytes]) -> Vec<Bytes> {
    let mut out = keys.to_vec();
    out.shuffle(&mut SmallRng::seed_from_u64(7));
    out
}

/// Keys to look up, packed one after another in one buffer as a request stream would bring
/// them, so reading the probe key costs what reading it from a connection's buffer would.
struct Probes {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Probes {
    fn new(prefix: &str) -> Probes {
        let mut order: Vec<usize> = (0..KEYS).collect();
        order.shuffle(&mut SmallRng::seed_from_u64(7));
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        for i in order {
            bytes.extend_from_slice(format!("{prefix}{i}").as_bytes());
            ends.push(bytes.len());
        }
        Probes { bytes, ends }
    }

    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

fn lookups(c: &mut Criterion) {
    let keys = keys();
    let hits = Probes::new("key:");
    let misses = Probes::new("nokey:");
    let mut table: KeyTable<Entry> = KeyTable::new();
    let mut plain = PlainMap::default();
    for k in &keys {
        table.insert(k, entry());
        plain.insert(k.clone(), entry());
    }
    eprintln!(
        "heap at 1M keys: KeyTable {} MiB, hashbrown {} MiB",
        table.approx_heap_bytes() >> 20,
        plain.allocation_size() >> 20
    );
    let mut g = c.benchmark_group("get_1m");
    let mut i = 0;
    g.bench_function("hit/keytable", |b| {
        b.iter(|| {
            i = (i + 1) % KEYS;
            black_box(table.get(hits.get(i)))
        })
    });
    g.bench_function("hit/hashbrown", |b| {
        b.iter(|| {
            i = (i + 1) % KEYS;
            black_box(plain.get(hits.get(i)))
        })
    });
    g.bench_function("miss/keytable", |b| {
        b.iter(|| {
            i = (i + 1) % KEYS;
            black_box(table.get(misses.get(i)))
        })
    });
    g.bench_function("miss/hashbrown", |b| {
        b.iter(|| {
            i = (i + 1) % KEYS;
            black_box(plain.get(misses.get(i)))
        })
    });
    g.finish();
}

fn inserts(c: &mut Criterion) {
    let keys = shuffled(&keys());
    let mut g = c.benchmark_group("insert_1m");
    g.sample_size(10);
    g.bench_function("keytable", |b| {
        b.iter_with_large_drop(|| {
            let mut t: KeyTable<Entry> = KeyTable::new();
            for k in &keys {
                t.insert(k, entry());
            }
            t
        })
    });
    g.bench_function("hashbrown", |b| {
        b.iter_with_large_drop(|| {
            let mut t = PlainMap::default();
            for k in &keys {
                t.insert(k.clone(), entry());
            }
            t
        })
    });
    g.finish();
}

fn db_steps(c: &mut Criterion) {
    let now = UnixMillis(1_000_000);
    let mut db = Db::new();
    let mut plain = PlainMap::default();
    for k in keys() {
        db.insert(k.clone(), entry());
        plain.insert(k, entry());
    }
    for i in 0..10 {
        let mut e = entry();
        e.deadline = Some(Deadline::at_ms(now.0 + 60_000));
        db.insert(Bytes::from(format!("ttl:{i}")), e.clone());
        plain.insert(Bytes::from(format!("ttl:{i}")), e);
    }
    let hits = Probes::new("key:");
    let mut i = 0;
    // A lookup as a command makes it: the entry's deadline is read too.
    let mut g = c.benchmark_group("get_1m/hit_and_expiry_check");
    g.bench_function("db", |b| {
        b.iter(|| {
            i = (i + 1) % KEYS;
            black_box(db.get(hits.get(i), now).is_some())
        })
    });
    g.bench_function("hashbrown", |b| {
        b.iter(|| {
            i = (i + 1) % KEYS;
            black_box(plain.get(hits.get(i)).is_some_and(|e| !e.is_expired(now)))
        })
    });
    g.finish();
    let mut g = c.benchmark_group("1m_persistent_10_volatile");
    g.bench_function("expire_step/keytable", |b| {
        b.iter(|| black_box(db.expire_step(now, 20)))
    });
    // What a step costs when it has to walk all keys to find those with a deadline.
    g.bench_function("expire_step/full_walk", |b| {
        b.iter(|| {
            black_box(
                plain
                    .values()
                    .filter(|e| e.deadline.is_some())
                    .take(20)
                    .count(),
            )
        })
    });
    g.bench_function("random_key", |b| b.iter(|| black_box(db.random_key(now))));
    g.finish();

    let mut g = c.benchmark_group("scan_1m");
    g.sample_size(10);
    g.bench_function("full_scan_count_10", |b| {
        b.iter(|| {
            let mut cursor = 0;
            let mut n = 0usize;
            loop {
                cursor = db.scan(cursor, 10, |_, _| n += 1);
                if cursor == 0 {
                    return n;
                }
            }
        })
    });
    g.bench_function("one_call_count_10", |b| {
        b.iter_batched(
            || 0u64,
            |c| {
                db.scan(c, 10, |k, _| {
                    black_box(k);
                })
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// Holds the generated group function, which has no doc comment of its own.
mod group {
    use super::*;
    criterion_group!(benches, lookups, inserts, db_steps);
}
criterion_main!(group::benches);
