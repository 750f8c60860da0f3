//! RESP on the request path: parsing what a pipelining client sends, and encoding the replies.
//!
//! The batches are what `redis-benchmark -P 16` puts in one read: sixteen SETs or sixteen GETs
//! on `key:<12 digits>` keys, with 3-byte and 1 KiB values. Throughput is counted in commands
//! (parsing) or replies (encoding), so the numbers compare directly with requests per second.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput};

use tessera::protocol::encoder;
use tessera::protocol::parser::{ParseLimits, RequestParser};
use tessera::protocol::reply::Reply;

/// Commands per batch, as with `redis-benchmark -P 16`.
const DEPTH: usize = 16;

fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn key(i: usize) -> Vec<u8> {
    format!("key:{:012}", i * 7919 % 100_000).into_bytes()
}

fn set_batch(value_len: usize) -> Vec<u8> {
    let value = vec![b'x'; value_len];
    (0..DEPTH)
        .flat_map(|i| command(&[b"SET", &key(i), &value]))
        .collect()
}

fn get_batch() -> Vec<u8> {
    (0..DEPTH)
        .flat_map(|i| command(&[b"GET", &key(i)]))
        .collect()
}

/// Parses every command out of `buf` the way a connection does: one parser kept across
/// batches, one argument vector reused for every command. Returns the arguments seen, so that
/// nothing is optimized away.
fn parse_all(
    parser: &mut RequestParser,
    buf: &mut BytesMut,
    limits: &ParseLimits,
    argv: &mut Vec<Bytes>,
) -> usize {
    let mut args = 0;
    loop {
        argv.clear();
        if !parser.parse_into(buf, limits, argv).expect("valid batch") {
            return args;
        }
        args += argv.len();
    }
}

fn parsing(c: &mut Criterion) {
    let limits = ParseLimits::default();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(DEPTH as u64));
    let cases = [
        ("get_x16", get_batch()),
        ("set_3B_x16", set_batch(3)),
        ("set_1KiB_x16", set_batch(1024)),
    ];
    for (name, batch) in cases {
        let mut parser = RequestParser::new();
        let mut argv = Vec::new();
        g.bench_function(name, |b| {
            b.iter_batched_ref(
                || BytesMut::from(&batch[..]),
                |buf| parse_all(&mut parser, buf, &limits, &mut argv),
                BatchSize::SmallInput,
            )
        });
    }
    // `parse`, which returns a new vector for every command.
    let batch = get_batch();
    let mut parser = RequestParser::new();
    g.bench_function("get_x16_vec_per_command", |b| {
        b.iter_batched_ref(
            || BytesMut::from(&batch[..]),
            |buf| {
                let mut args = 0;
                while let Some(argv) = parser.parse(buf, &limits).expect("valid batch") {
                    args += argv.len();
                }
                args
            },
            BatchSize::SmallInput,
        )
    });
    // The same batch arriving in two reads that split a command in the middle.
    let batch = set_batch(3);
    let cut = batch.len() / 2 + 3;
    let mut parser = RequestParser::new();
    let mut argv = Vec::new();
    g.bench_function("set_3B_x16_split_read", |b| {
        b.iter_batched_ref(
            || BytesMut::with_capacity(batch.len()),
            |buf| {
                buf.extend_from_slice(&batch[..cut]);
                let mut args = parse_all(&mut parser, buf, &limits, &mut argv);
                buf.extend_from_slice(&batch[cut..]);
                args += parse_all(&mut parser, buf, &limits, &mut argv);
                args
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn encoding(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Elements(DEPTH as u64));
    let small = Bytes::from_static(b"xyz");
    let large = Bytes::from(vec![b'x'; 1024]);
    let cases: [(&str, Reply); 5] = [
        ("ok_x16", Reply::Ok),
        ("bulk_3B_x16", Reply::Bulk(small.clone())),
        ("bulk_1KiB_x16", Reply::Bulk(large)),
        ("nil_x16", Reply::Nil),
        ("int_x16", Reply::Int(1_234_567)),
    ];
    let mut out = Vec::with_capacity(64 * 1024);
    for (name, reply) in cases {
        g.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                for _ in 0..DEPTH {
                    encoder::encode(std::hint::black_box(&reply), 2, &mut out);
                }
                out.len()
            })
        });
    }
    // An MGET of ten keys, eight found, in both protocol versions.
    let mget = Reply::Array(
        (0..10)
            .map(|i| {
                if i % 5 == 4 {
                    Reply::Nil
                } else {
                    Reply::Bulk(small.clone())
                }
            })
            .collect(),
    );
    g.throughput(Throughput::Elements(1));
    for resp in [2u8, 3] {
        g.bench_function(format!("mget_10_resp{resp}"), |b| {
            b.iter(|| {
                out.clear();
                encoder::encode(std::hint::black_box(&mget), resp, &mut out);
                out.len()
            })
        });
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
    parsing(&mut c);
    encoding(&mut c);
    c.final_summary();
}
