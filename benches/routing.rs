//! Routing a request: finding the command in the table, hashing its key to a slot and the slot
//! to the shard that owns it. Every request pays for these before its handler runs.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};

use tessera::commands::build_table;
use tessera::server::shards::{key_slot, owner_of_slot};

/// Keys of the shape redis-benchmark sends, spread over its default -r 100000 keyspace.
fn benchmark_keys(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("key:{:012}", i * 7919 % 100_000).into_bytes())
        .collect()
}

fn slots(c: &mut Criterion) {
    let keys = benchmark_keys(1024);
    let mut g = c.benchmark_group("slot");
    g.throughput(Throughput::Elements(keys.len() as u64));
    g.bench_function("key_slot_x1024", |b| {
        b.iter(|| {
            keys.iter()
                .map(|k| key_slot(black_box(k)) as u32)
                .sum::<u32>()
        })
    });
    let tagged: Vec<Vec<u8>> = (0..1024)
        .map(|i| format!("{{user:{}}}:profile:{i}", i % 97).into_bytes())
        .collect();
    g.bench_function("key_slot_hash_tag_x1024", |b| {
        b.iter(|| {
            tagged
                .iter()
                .map(|k| key_slot(black_box(k)) as u32)
                .sum::<u32>()
        })
    });
    for nr in [1usize, 8] {
        g.bench_function(format!("owner_of_{nr}_shards_x1024"), |b| {
            b.iter(|| {
                keys.iter()
                    .map(|k| owner_of_slot(key_slot(black_box(k)), black_box(nr)))
                    .sum::<usize>()
            })
        });
    }
    g.finish();
}

fn command_lookup(c: &mut Criterion) {
    let table = build_table();
    let mut g = c.benchmark_group("command_table");
    g.throughput(Throughput::Elements(1));
    let names: [(&str, &[u8]); 4] = [
        ("get_upper", b"GET"),
        ("get_lower", b"get"),
        ("long_name", b"ZRANGEBYSCORE"),
        ("unknown", b"NOSUCHCOMMAND"),
    ];
    for (label, name) in names {
        g.bench_function(label, |b| b.iter(|| table.get(black_box(name)).is_some()));
    }
    g.finish();
}

fn main() {
    // What criterion_group! and criterion_main! expand to, written out so that no undocumented
    // public function is generated. Short runs keep `cargo bench` quick.
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    slots(&mut c);
    command_lookup(&mut c);
    c.final_summary();
}
