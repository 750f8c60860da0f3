//! The RDB codec: the CRC-64 every byte of a snapshot goes through, LZF, and writing and reading
//! a small dataset.
//!
//! The CRC group compares the `crc` crate's three table layouts for CRC-64/REDIS over 64 KiB
//! (the size of the writer's staging buffer); `tessera::rdb` uses the slice-by-16 table. Measured
//! with `rustc -O` on the 2-core development machine (busy): bytewise table 412 MiB/s,
//! slice-by-16 1464 MiB/s, no table 126 MiB/s.

use std::time::Duration;

use bytes::Bytes;
use crc::{Crc, NoTable, Table, CRC_64_REDIS};
use criterion::{Criterion, Throughput};

use tessera::rdb::{
    lzf_compress, lzf_decompress, read_all, AuxFields, RdbWriter, ReadOptions, WriteOptions,
};
use tessera::storage::db::Entry;
use tessera::storage::hash::HashValue;
use tessera::storage::keyspace::Keyspace;
use tessera::storage::value::Value;

static BYTEWISE: Crc<u64, Table<1>> = Crc::<u64, Table<1>>::new(&CRC_64_REDIS);
static SLICE16: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_REDIS);
static BITWISE: Crc<u64, NoTable> = Crc::<u64, NoTable>::new(&CRC_64_REDIS);

fn noise(n: usize) -> Vec<u8> {
    (0..n as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

fn crc64(c: &mut Criterion) {
    let data = noise(64 * 1024);
    let mut g = c.benchmark_group("crc64");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("table_1", |b| {
        b.iter(|| BYTEWISE.checksum(std::hint::black_box(&data)))
    });
    g.bench_function("table_16", |b| {
        b.iter(|| SLICE16.checksum(std::hint::black_box(&data)))
    });
    g.bench_function("no_table", |b| {
        b.iter(|| BITWISE.checksum(std::hint::black_box(&data)))
    });
    g.bench_function("tessera", |b| {
        b.iter(|| tessera::rdb::crc64(std::hint::black_box(&data)))
    });
    g.finish();
}

fn lzf(c: &mut Criterion) {
    let text: Vec<u8> = (0..16 * 1024)
        .map(|i| b"the quick brown fox jumps over the lazy dog, "[i % 45])
        .collect();
    let packed = lzf_compress(&text, text.len()).expect("text compresses");
    let mut g = c.benchmark_group("lzf");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("compress_16k_text", |b| {
        b.iter(|| lzf_compress(std::hint::black_box(&text), text.len()))
    });
    g.bench_function("decompress_16k_text", |b| {
        b.iter(|| lzf_decompress(std::hint::black_box(&packed), text.len()))
    });
    g.finish();
}

/// 10 000 strings and 1 000 small hashes in one shard.
fn dataset() -> Keyspace {
    let mut ks = Keyspace::new(16);
    for i in 0..10_000 {
        let v = Value::Str(Bytes::from(format!("value-{i}-{}", "x".repeat(i % 64))).into());
        ks.dbs[0].insert(Bytes::from(format!("key:{i:08}")), Entry::new(v));
    }
    for i in 0..1_000 {
        let mut h = HashValue::new();
        for f in 0..10 {
            h.set(
                format!("field{f}").as_bytes(),
                &Bytes::from(format!("{}", i * f)),
            );
        }
        ks.dbs[1].insert(Bytes::from(format!("hash:{i}")), Entry::new(Value::Hash(h)));
    }
    ks
}

fn snapshot(c: &mut Criterion) {
    let ks = dataset();
    let write = |opts: WriteOptions| {
        let mut w = RdbWriter::new(Vec::new(), opts, &AuxFields::default()).expect("in memory");
        w.write_keyspaces(&[&ks]).expect("in memory");
        w.finish().expect("in memory")
    };
    let file = write(WriteOptions::default());
    let mut g = c.benchmark_group("rdb");
    g.throughput(Throughput::Elements(11_000));
    g.bench_function("write_11k_keys", |b| {
        b.iter(|| write(WriteOptions::default()).len())
    });
    g.bench_function("write_11k_keys_uncompressed", |b| {
        b.iter(|| {
            write(WriteOptions {
                compression: false,
                checksum: true,
            })
            .len()
        })
    });
    g.bench_function("read_11k_keys", |b| {
        b.iter(|| {
            read_all(std::hint::black_box(&file[..]), ReadOptions::default())
                .expect("valid")
                .1
                .len()
        })
    });
    g.finish();
}

fn main() {
    // What criterion_group! and criterion_main! expand to, written out so that no undocumented
    // public function is generated. Short runs keep `cargo bench` quick.
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    crc64(&mut c);
    lzf(&mut c);
    snapshot(&mut c);
    c.final_summary();
}
