//! Comparing two servers' datasets key by key, for replication tests and any test that wants
//! to know that two servers hold the same data.
//!
//! `dataset(&mut conn)` walks every DB with SCAN and reads each key's TYPE, its value in a form
//! that does not depend on encoding or iteration order, and its absolute expiry time
//! (PEXPIRETIME, so no clock runs between the two reads). `dataset_diff` names the first keys
//! that differ; `wait_same_dataset` polls two servers until they agree, for a replica catching up.

use std::collections::BTreeMap;
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::reply::{info_section, run_args, Reply};
use super::server::TestServer;

/// One key as the comparison sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    /// TYPE's answer.
    pub kind: String,
    /// The value: a string's bytes; a list's elements in order; a hash's fields and values
    /// sorted by field; a set's members sorted; a sorted set's members and scores in rank order;
    /// a stream's entries then its consumer groups (XINFO GROUPS), flattened.
    pub value: Vec<Vec<u8>>,
    /// PEXPIRETIME: Unix ms, or -1 without an expiry.
    pub expire_ms: i64,
}

/// Every key of every DB: (db, key) -> state.
pub type Dataset = BTreeMap<(u32, Vec<u8>), KeyState>;

fn ok(r: Reply, what: &str) -> Reply {
    assert!(!r.is_error(), "{what}: {r:?}");
    r
}

fn databases(c: &mut redis::Connection) -> u32 {
    let r = ok(run_args(c, &["CONFIG", "GET", "databases"]), "CONFIG GET");
    r.items()
        .get(1)
        .map(|v| v.text().parse().expect("databases is a number"))
        .unwrap_or(16)
}

/// Reads the whole dataset of the server behind `c`. Leaves DB 0 selected.
pub fn dataset(c: &mut redis::Connection) -> Dataset {
    let mut out = Dataset::new();
    for db in 0..databases(c) {
        ok(run_args(c, &["SELECT", &db.to_string()]), "SELECT");
        let mut cursor = "0".to_string();
        loop {
            let r = ok(run_args(c, &["SCAN", &cursor, "COUNT", "1000"]), "SCAN");
            let items = r.items();
            cursor = items[0].text();
            for key in items[1].items() {
                let key = key.bytes();
                if let Some(state) = key_state(c, &key) {
                    out.insert((db, key), state);
                }
            }
            if cursor == "0" {
                break;
            }
        }
    }
    ok(run_args(c, &["SELECT", "0"]), "SELECT");
    out
}

/// One key's state, or None when it vanished (or expired) since SCAN saw it.
fn key_state(c: &mut redis::Connection, key: &[u8]) -> Option<KeyState> {
    let cmd = |c: &mut redis::Connection, args: &[&[u8]]| ok(run_args(c, args), "read");
    let kind = cmd(c, &[b"TYPE", key]).text();
    let value: Vec<Vec<u8>> = match kind.as_str() {
        "none" => return None,
        "string" => vec![cmd(c, &[b"GET", key]).bytes()],
        "list" => bytes_of(cmd(c, &[b"LRANGE", key, b"0", b"-1"])),
        "hash" => {
            let flat = bytes_of(cmd(c, &[b"HGETALL", key]));
            let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = flat
                .chunks(2)
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect();
            pairs.sort();
            pairs.into_iter().flat_map(|(f, v)| [f, v]).collect()
        }
        "set" => {
            let mut members = bytes_of(cmd(c, &[b"SMEMBERS", key]));
            members.sort();
            members
        }
        "zset" => bytes_of(cmd(c, &[b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"])),
        "stream" => {
            let mut out = Vec::new();
            flatten(&cmd(c, &[b"XRANGE", key, b"-", b"+"]), &mut out);
            flatten(&cmd(c, &[b"XINFO", b"GROUPS", key]), &mut out);
            out
        }
        _ => Vec::new(),
    };
    let expire_ms = cmd(c, &[b"PEXPIRETIME", key]).int();
    Some(KeyState {
        kind,
        value,
        expire_ms,
    })
}

/// Every scalar of a nested reply, depth first.
fn flatten(r: &Reply, out: &mut Vec<Vec<u8>>) {
    match r {
        Reply::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        Reply::Nil => out.push(b"(nil)".to_vec()),
        Reply::Int(n) => out.push(n.to_string().into_bytes()),
        other => out.push(other.bytes()),
    }
}

fn bytes_of(r: Reply) -> Vec<Vec<u8>> {
    r.items().iter().map(Reply::bytes).collect()
}

/// Up to `limit` lines describing how `a` and `b` differ; empty when they are equal.
pub fn dataset_diff(a: &Dataset, b: &Dataset, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let show = |k: &(u32, Vec<u8>)| format!("db{} {:?}", k.0, k.1.escape_ascii().to_string());
    let brief = |s: &KeyState| {
        let mut v = format!("{:?}", s);
        v.truncate(300);
        v
    };
    for (k, va) in a {
        match b.get(k) {
            None => out.push(format!("{} only in the first: {}", show(k), brief(va))),
            Some(vb) if vb != va => out.push(format!(
                "{} differs:\n  first:  {}\n  second: {}",
                show(k),
                brief(va),
                brief(vb)
            )),
            _ => {}
        }
    }
    for (k, vb) in b {
        if !a.contains_key(k) {
            out.push(format!("{} only in the second: {}", show(k), brief(vb)));
        }
    }
    out.truncate(limit);
    out
}

/// Waits until `replica` has applied everything `master` sent (its `master_repl_offset` reached
/// the master's, link up), then until both datasets are equal; panics with the differences (and
/// the replica's log) after `timeout`.
pub fn wait_same_dataset(master: &TestServer, replica: &TestServer, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let mut m = master.client();
    let mut r = replica.client();
    loop {
        let mo = info_section(&mut m, "replication");
        let ro = info_section(&mut r, "replication");
        let caught_up = ro.get("master_link_status").map(String::as_str) == Some("up")
            && ro.get("master_repl_offset") == mo.get("master_repl_offset");
        if caught_up {
            let a = dataset(&mut m);
            let b = dataset(&mut r);
            let diff = dataset_diff(&a, &b, 10);
            if diff.is_empty() {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "datasets differ ({} keys vs {}):\n{}\n--- replica log ---\n{}",
                    a.len(),
                    b.len(),
                    diff.join("\n"),
                    tail(&replica.log())
                );
            }
        } else if Instant::now() >= deadline {
            panic!(
                "the replica did not catch up: master {mo:?}\nreplica {ro:?}\n--- replica log \
                 ---\n{}",
                tail(&replica.log())
            );
        }
        sleep(Duration::from_millis(50));
    }
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}
