//! HyperLogLog commands, as a user sees them: PFADD, PFCOUNT and PFMERGE, on one shard and
//! across shards. The stored format is Redis's own: values are copied both ways between the
//! server under test and a stock `redis-server`, and must hold the same bytes and counts.

mod common;

use common::*;

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// PFADD of `n` elements named `{prefix}{i}` in one command.
fn pfadd_many(c: &mut redis::Connection, key: &str, prefix: &str, n: usize) -> Reply {
    let mut args = vec!["PFADD".to_string(), key.to_string()];
    args.extend((0..n).map(|i| format!("{prefix}{i}")));
    run_args(c, &args)
}

#[test]
fn pfadd_and_pfcount() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "PFCOUNT h"), int(0));
    assert_eq!(run(&mut c, "PFADD h a b c d"), int(1));
    assert_eq!(run(&mut c, "PFADD h a b"), int(0));
    assert_eq!(run(&mut c, "PFCOUNT h"), int(4));
    assert_eq!(run(&mut c, "PFADD empty"), int(1));
    assert_eq!(run(&mut c, "PFADD empty"), int(0));
    assert_eq!(run(&mut c, "PFCOUNT empty"), int(0));
    assert_eq!(run(&mut c, "TYPE h"), status("string"));
    assert_eq!(pfadd_many(&mut c, "big", "e", 10000), int(1));
    assert_eq!(run(&mut c, "PFCOUNT big"), int(9973));
    assert_eq!(run(&mut c, "STRLEN big"), int(12304));
}

#[test]
fn pfmerge_and_counting_several_keys() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "PFADD h1 a b c"), int(1));
    assert_eq!(run(&mut c, "PFADD h2 c d e"), int(1));
    assert_eq!(run(&mut c, "PFCOUNT h1 h2 nokey"), int(5));
    assert_eq!(run(&mut c, "PFMERGE h3 h1 h2"), ok());
    assert_eq!(run(&mut c, "PFCOUNT h3"), int(5));
    assert_eq!(run(&mut c, "PFMERGE h1 h2"), ok());
    assert_eq!(run(&mut c, "PFCOUNT h1"), int(5));
    assert_eq!(run(&mut c, "PFMERGE fresh"), ok());
    assert_eq!(run(&mut c, "PFCOUNT fresh"), int(0));
}

#[test]
fn values_that_are_not_hlls_are_refused() {
    let srv = TestServer::start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET s hello"), ok());
    assert_eq!(run(&mut c, "SET n 12345"), ok());
    assert_eq!(run(&mut c, "LPUSH l a"), int(1));
    assert_eq!(run(&mut c, "PFADD s a"), err(NOT_HLL));
    assert_eq!(run(&mut c, "PFADD n a"), err(NOT_HLL));
    assert_eq!(run(&mut c, "PFCOUNT s"), err(NOT_HLL));
    assert_eq!(run(&mut c, "PFCOUNT nokey s"), err(NOT_HLL));
    assert_eq!(run(&mut c, "PFMERGE d s"), err(NOT_HLL));
    assert_eq!(run(&mut c, "EXISTS d"), int(0));
    assert_eq!(run(&mut c, "PFADD l a"), err(WRONGTYPE));
    assert_eq!(run(&mut c, "PFCOUNT l"), err(WRONGTYPE));
    assert_eq!(run(&mut c, "PFMERGE l"), err(WRONGTYPE));
    // A dense header with the wrong length is not an HLL either.
    assert_eq!(
        run_args(
            &mut c,
            &[
                &b"SET"[..],
                b"bad",
                b"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
            ]
        ),
        ok()
    );
    assert_eq!(run(&mut c, "PFCOUNT bad"), err(NOT_HLL));
    // A sparse value whose runs pass the last register is corrupt.
    let corrupt = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x80";
    assert_eq!(run_args(&mut c, &[&b"SET"[..], b"corrupt", corrupt]), ok());
    let invalid = err("INVALIDOBJ Corrupted HLL object detected");
    assert_eq!(run(&mut c, "PFCOUNT corrupt"), invalid);
    assert_eq!(run(&mut c, "PFCOUNT corrupt nokey"), invalid);
    assert_eq!(run(&mut c, "PFMERGE d corrupt"), invalid);
}

#[test]
fn pfcount_and_pfmerge_span_shards() {
    let srv = TestServer::builder().threads(2).start();
    let mut c = srv.client();
    // "bar" is on shard 0 and "foo" on shard 1 when the server runs two shards.
    let k = keys_on_each_shard("hll:", 2);
    let (a, b) = (k[0].as_str(), k[1].as_str());
    assert_eq!(run(&mut c, "PFADD foo a b c"), int(1));
    assert_eq!(run(&mut c, "PFADD bar c d e f"), int(1));
    assert_eq!(run(&mut c, "PFCOUNT foo bar"), int(6));
    assert_eq!(run(&mut c, &format!("PFMERGE {a} foo bar")), ok());
    assert_eq!(run(&mut c, &format!("PFMERGE {b} foo bar")), ok());
    assert_eq!(run(&mut c, &format!("PFCOUNT {a}")), int(6));
    assert_eq!(run(&mut c, &format!("PFCOUNT {b} {a}")), int(6));
    assert_eq!(run(&mut c, "SET s x"), ok());
    assert_eq!(run(&mut c, "PFCOUNT foo s"), err(NOT_HLL));
    assert_eq!(run(&mut c, "PFMERGE s foo"), err(NOT_HLL));
    assert_eq!(pfadd_many(&mut c, "foo", "x", 3000), int(1));
    assert_eq!(run(&mut c, "PFMERGE bar foo"), ok());
    assert_eq!(run(&mut c, "STRLEN bar"), int(12304));
    assert_eq!(run(&mut c, "PFCOUNT bar"), run(&mut c, "PFCOUNT foo bar"));
}

/// Builds the same HLLs on both servers, checks that they hold the same bytes and counts, then
/// copies each server's value into the other and counts again.
#[test]
fn values_round_trip_with_stock_redis() {
    let srv = TestServer::start();
    let redis = TestServer::start_redis();
    let (mut c, mut r) = (srv.client(), redis.client());
    for (key, n) in [("tiny", 3), ("small", 200), ("mid", 1500), ("dense", 20000)] {
        assert_eq!(
            pfadd_many(&mut c, key, key, n),
            pfadd_many(&mut r, key, key, n)
        );
        let ours = run(&mut c, &format!("GET {key}"));
        let theirs = run(&mut r, &format!("GET {key}"));
        assert!(ours == theirs, "{key}: the stored bytes differ");
        let count = run(&mut r, &format!("PFCOUNT {key}"));
        assert_eq!(run(&mut c, &format!("PFCOUNT {key}")), count, "{key}");
        // The cached count is now in both headers.
        let same = run(&mut c, &format!("GET {key}")) == run(&mut r, &format!("GET {key}"));
        assert!(same, "{key}: the cached counts differ");

        let from_redis = run(&mut r, &format!("GET {key}")).bytes();
        assert_eq!(run_args(&mut c, &[&b"SET"[..], b"copy", &from_redis]), ok());
        assert_eq!(run(&mut c, "PFCOUNT copy"), count);
        assert_eq!(
            run(&mut c, &format!("PFADD copy {key}-more")),
            run(&mut r, &format!("PFADD {key} {key}-more"))
        );
        assert_eq!(run(&mut c, &format!("PFADD {key} {key}-more")), int(1));
        let ours = run(&mut c, "GET copy").bytes();
        assert_eq!(run_args(&mut r, &[&b"SET"[..], b"back", &ours]), ok());
        assert_eq!(run(&mut r, "PFCOUNT back"), run(&mut c, "PFCOUNT copy"));
        assert_eq!(
            run(&mut r, "PFCOUNT back"),
            run(&mut r, &format!("PFCOUNT {key}"))
        );
        assert_eq!(
            run(&mut c, &format!("PFCOUNT {key}")),
            run(&mut r, "PFCOUNT back")
        );
        let same = run(&mut c, &format!("GET {key}")) == run(&mut r, &format!("GET {key}"));
        assert!(same, "{key}: the stored bytes differ after the round trip");
    }
    for cmd in ["PFCOUNT tiny small mid", "PFCOUNT small dense"] {
        assert_eq!(run(&mut c, cmd), run(&mut r, cmd), "{cmd}");
    }
    for cmd in [
        "PFMERGE m1 tiny small",
        "PFMERGE m2 mid dense",
        "PFMERGE small mid",
    ] {
        assert_eq!(run(&mut c, cmd), run(&mut r, cmd), "{cmd}");
    }
    for key in ["m1", "m2", "small"] {
        let same = run(&mut c, &format!("GET {key}")) == run(&mut r, &format!("GET {key}"));
        assert!(same, "{key}: the merged bytes differ");
        assert_eq!(
            run(&mut c, &format!("PFCOUNT {key}")),
            run(&mut r, &format!("PFCOUNT {key}"))
        );
    }
}
