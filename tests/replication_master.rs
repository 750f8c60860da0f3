//! Tessera as a master: its own clients' writes replicated to stock Redis 7.0 replicas (and to
//! Tessera replicas), all on loopback, Tessera with two shards.
//!
//! - A full sync of every type, then thousands of seeded random writes (all DBs, MULTI/EXEC,
//!   multi-key commands over both shards, keys expiring while the load runs, FLUSHDB) and
//!   blocking pops served while it runs: the replica's dataset equals the master's.
//! - Clients racing on the same keys with MSETs over both shards and APPENDs: the
//!   replica ends with the master's values.
//! - `CLIENT KILL TYPE replica`: the replica continues with a partial resync.
//! - A chain stock master → Tessera → replica, then `REPLICAOF NO ONE` in the middle: the end
//!   continues from the promoted Tessera with a partial resync (PSYNC2), takes its new
//!   replication id, and gets its writes.
//! - A failover: the stock replica is promoted and the Tessera master follows it, continuing
//!   with a partial resync (the offsets of both sides agree byte for byte).
//! - The stream itself, read by a replica on a raw socket: SELECT, absolute expiries, DEL for
//!   expired keys (lazy and active), MULTI/EXEC around a command over both shards and around a
//!   transaction, a served BLPOP as LPOP, PUBLISH, FLUSHDB, and the offset counted alike.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::sleep;
use std::time::Duration;

use common::*;

/// How long a replica gets to catch up with its master.
const CATCH_UP: Duration = Duration::from_secs(20);

fn start_tessera() -> TestServer {
    TestServer::builder().threads(2).start()
}

/// A key named `prefix<n>` owned by shard `shard` of two.
fn key_on(prefix: &str, shard: usize) -> String {
    keys_on_each_shard(prefix, 2).swap_remove(shard)
}

/// Clients blocked on keys of the master, each served again and again while the load runs:
/// BLPOP, BLMOVE between two shards, BZPOPMIN, BLMPOP and XREADGROUP BLOCK. Each counts the
/// times it was served.
struct Blockers {
    stop: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
    threads: Vec<std::thread::JoinHandle<()>>,
    lists: (String, String),
}

impl Blockers {
    fn start(master: &TestServer) -> Blockers {
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicUsize::new(0));
        let lists = (key_on("bl:src", 0), key_on("bl:dst", 1));
        let mut c = master.client();
        assert_eq!(
            run_args(&mut c, &["XGROUP", "CREATE", "bx", "g", "$", "MKSTREAM"]),
            ok()
        );
        let commands: Vec<Vec<String>> = vec![
            vec!["BLPOP".into(), "bl:a".into(), lists.1.clone(), "1".into()],
            vec![
                "BLMOVE".into(),
                lists.0.clone(),
                lists.1.clone(),
                "LEFT".into(),
                "RIGHT".into(),
                "1".into(),
            ],
            vec!["BZPOPMIN".into(), "bz".into(), "1".into()],
            vec![
                "BLMPOP".into(),
                "1".into(),
                "2".into(),
                "bl:m1".into(),
                "bl:m2".into(),
                "RIGHT".into(),
                "COUNT".into(),
                "2".into(),
            ],
            vec![
                "XREADGROUP".into(),
                "GROUP".into(),
                "g".into(),
                "c".into(),
                "COUNT".into(),
                "2".into(),
                "BLOCK".into(),
                "1000".into(),
                "STREAMS".into(),
                "bx".into(),
                ">".into(),
            ],
        ];
        let threads = commands
            .into_iter()
            .map(|args| {
                let (stop, served) = (stop.clone(), served.clone());
                let mut c = master.client();
                std::thread::spawn(move || {
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    while !stop.load(Ordering::Relaxed) {
                        let r = run_args(&mut c, &args);
                        assert!(!r.is_error(), "{args:?}: {r:?}");
                        if r != Reply::Nil {
                            served.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        Blockers {
            stop,
            served,
            threads,
            lists,
        }
    }

    /// Feeds the blocked clients a few times, a little apart so they are blocked when served.
    fn feed(&self, master: &TestServer, rounds: usize) {
        let mut c = master.client();
        for i in 0..rounds {
            let v = format!("e{i}");
            for args in [
                vec!["RPUSH", "bl:a", &v],
                vec!["RPUSH", &self.lists.0, &v, "x"],
                vec!["ZADD", "bz", "1", &v],
                vec!["LPUSH", "bl:m2", &v, "y", "z"],
                vec!["XADD", "bx", "*", "f", &v],
            ] {
                assert!(!run_args(&mut c, &args).is_error(), "{args:?}");
            }
            sleep(Duration::from_millis(15));
        }
    }

    /// Stops the clients (each returns within its 1 s timeout) and says how often they were
    /// served.
    fn stop(self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().expect("a blocked client failed");
        }
        self.served.load(Ordering::Relaxed)
    }
}

#[test]
fn a_stock_replica_follows_every_write_of_a_tessera_master() {
    let master = start_tessera();
    let replica = TestServer::redis_builder().start();
    let mut m = master.client();
    populate(&mut m);
    follow(&replica, &master);
    wait_same_dataset(&master, &replica, CATCH_UP);
    assert_eq!(info(&mut m, "stats", "sync_full"), "1");
    let mut r = replica.client();
    assert_eq!(
        info(&mut r, "replication", "master_replid"),
        info(&mut m, "replication", "master_replid")
    );

    let blockers = Blockers::start(&master);
    let writer = {
        let port = master.port();
        std::thread::spawn(move || random_writes_of(port, 0x00c0_ffee, 3000, Mix::Wide))
    };
    blockers.feed(&master, 40);
    writer.join().expect("the write load failed");
    let served = blockers.stop();
    assert!(served >= 40, "blocked clients served only {served} times");
    // Keys given short deadlines expire on the master now; it sends DELs.
    sleep(Duration::from_millis(300));
    wait_same_dataset(&master, &replica, CATCH_UP);

    let line = info(&mut m, "replication", "slave0");
    assert!(
        line.starts_with(&format!(
            "ip=127.0.0.1,port={},state=online,offset=",
            replica.port()
        )),
        "{line}"
    );
    assert_eq!(info(&mut m, "replication", "connected_slaves"), "1");
    assert_eq!(info(&mut m, "replication", "repl_backlog_active"), "1");
    let log = replica.log();
    assert!(
        !log.contains("CRITICAL"),
        "the replica refused some of its master's commands:\n{log}"
    );
}

/// Clients racing on the same keys, some with MSETs over both shards, some with APPENDs: the
/// stock replica ends with the master's values, each the last MSET's value and every APPEND
/// after it, so each key's writes reached the stream in the order they ran on the master.
#[test]
fn racing_writes_across_shards_replicate_in_order() {
    let master = start_tessera();
    let replica = TestServer::redis_builder().start();
    follow(&replica, &master);
    let keys: Vec<String> = (0..4)
        .flat_map(|i| keys_on_each_shard(&format!("race{i}:"), 2))
        .collect();
    let writers: Vec<_> = (0..6u64)
        .map(|w| {
            let mut c = master.client();
            let keys = keys.clone();
            std::thread::spawn(move || {
                for i in 0..400u64 {
                    let v = format!("{w}-{i}");
                    let pick =
                        |n: u64| keys[((w * 7 + i * 3 + n) % keys.len() as u64) as usize].clone();
                    let args: Vec<String> = if (w + i) % 3 != 0 {
                        vec!["APPEND".into(), pick(0), format!("{v};")]
                    } else {
                        vec![
                            "MSET".into(),
                            pick(0),
                            v.clone(),
                            pick(1),
                            v.clone(),
                            pick(5),
                            v,
                        ]
                    };
                    assert!(!run_args(&mut c, &args).is_error(), "{args:?}");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer thread");
    }
    wait_same_dataset(&master, &replica, CATCH_UP);
}

#[test]
fn a_dropped_replica_link_resumes_with_a_partial_resync() {
    let master = start_tessera();
    let replica = TestServer::redis_builder().start();
    let mut m = master.client();
    assert_eq!(run(&mut m, "SET before 1"), ok());
    follow(&replica, &master);
    wait_same_dataset(&master, &replica, CATCH_UP);
    for round in 0..2u64 {
        assert_eq!(info(&mut m, "stats", "sync_partial_ok"), round.to_string());
        assert_eq!(
            run_args(&mut m, &["CLIENT", "KILL", "TYPE", "replica"]),
            int(1)
        );
        random_writes_of(master.port(), 500 + round, 300, Mix::Wide);
        wait_same_dataset(&master, &replica, CATCH_UP);
    }
    assert_eq!(info(&mut m, "stats", "sync_full"), "1");
    assert_eq!(info(&mut m, "stats", "sync_partial_ok"), "2");
}

/// Stock master → Tessera → `end`; then the Tessera is promoted: `end` continues from it with a
/// partial resync and follows its new history.
fn a_promoted_parent_keeps_its_sub_replica(end: TestServer) {
    let root = TestServer::redis_builder().start();
    let middle = start_tessera();
    let mut r = root.client();
    populate(&mut r);
    follow(&middle, &root);
    wait_same_dataset(&root, &middle, CATCH_UP);
    follow(&end, &middle);
    wait_same_dataset(&root, &end, CATCH_UP);
    random_writes(root.port(), 31, 500);
    wait_same_dataset(&root, &end, CATCH_UP);

    let mut t = middle.client();
    let old_id = info(&mut t, "replication", "master_replid");
    assert_eq!(old_id, info(&mut r, "replication", "master_replid"));
    let offset: i64 = info(&mut t, "replication", "master_repl_offset")
        .parse()
        .unwrap();
    assert_eq!(run(&mut t, "REPLICAOF NO ONE"), ok());
    let new_id = info(&mut t, "replication", "master_replid");
    assert_ne!(new_id, old_id);
    assert_eq!(info(&mut t, "replication", "master_replid2"), old_id);
    assert_eq!(
        info(&mut t, "replication", "second_repl_offset"),
        (offset + 1).to_string()
    );

    random_writes_of(middle.port(), 32, 500, Mix::Wide);
    wait_same_dataset(&middle, &end, CATCH_UP);
    let mut e = end.client();
    assert_eq!(info(&mut e, "replication", "master_replid"), new_id);
    assert_eq!(info(&mut t, "stats", "sync_full"), "1");
    assert_eq!(info(&mut t, "stats", "sync_partial_ok"), "1");
    wait_until(CATCH_UP, "the end to acknowledge", || {
        info_field(&mut t, "replication", "slave0").is_some_and(|l| l.contains("state=online"))
    });
}

#[test]
fn a_stock_sub_replica_continues_after_its_parent_is_promoted() {
    a_promoted_parent_keeps_its_sub_replica(TestServer::redis_builder().start());
}

#[test]
fn a_tessera_sub_replica_continues_after_its_parent_is_promoted() {
    a_promoted_parent_keeps_its_sub_replica(start_tessera());
}

#[test]
fn a_failed_over_master_follows_its_former_replica_with_a_partial_resync() {
    // No ping from the master while the roles change: it would move its offset past the
    // replica's.
    let master = TestServer::builder()
        .threads(2)
        .args(&["--repl-ping-replica-period", "60"])
        .start();
    let replica = TestServer::redis_builder().start();
    let mut m = master.client();
    populate(&mut m);
    follow(&replica, &master);
    random_writes(master.port(), 900, 300);
    wait_same_dataset(&master, &replica, CATCH_UP);

    // The replica takes over; the old master follows it and keeps its data: same history.
    let mut r = replica.client();
    assert_eq!(run(&mut r, "REPLICAOF NO ONE"), ok());
    follow(&master, &replica);
    wait_same_dataset(&replica, &master, CATCH_UP);
    assert_eq!(info(&mut r, "stats", "sync_partial_ok"), "1");
    assert_eq!(info(&mut r, "stats", "sync_full"), "0");
    random_writes(replica.port(), 901, 300);
    wait_same_dataset(&replica, &master, CATCH_UP);
    assert_eq!(
        info(&mut m, "replication", "master_replid"),
        info(&mut r, "replication", "master_replid")
    );
}

/// The arguments of a RESP array of bulk strings, as text.
fn argv_of(frame: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(frame).into_owned();
    let mut lines = text.split("\r\n");
    let n: usize = lines.next().unwrap()[1..].parse().unwrap();
    (0..n)
        .map(|_| {
            lines.next();
            lines.next().unwrap().to_string()
        })
        .collect()
}

/// A replica on a raw socket: what a Tessera master sends, frame by frame.
struct FakeReplica {
    conn: RawConn,
    /// Stream bytes read since the full sync.
    read: i64,
    /// The offset the full sync started from.
    start: i64,
}

impl FakeReplica {
    /// Attaches without `capa eof`, so the dataset comes sized, and skips it.
    fn attach(master: &TestServer) -> FakeReplica {
        let mut conn = RawConn::connect(master.port());
        conn.send_cmd(&["REPLCONF", "listening-port", "1"]);
        conn.expect(b"+OK\r\n");
        conn.send_cmd(&["PSYNC", "?", "-1"]);
        let line = String::from_utf8(conn.read_line()).unwrap();
        let start: i64 = line.trim_end().rsplit(' ').next().unwrap().parse().unwrap();
        assert!(line.starts_with("+FULLRESYNC "), "{line}");
        let size = String::from_utf8(conn.read_line()).unwrap();
        let size: usize = size.trim_end()[1..].parse().unwrap();
        conn.read_exact_bytes(size);
        FakeReplica {
            conn,
            read: 0,
            start,
        }
    }

    /// The next command of the stream.
    fn next(&mut self) -> Vec<String> {
        let frame = self.conn.read_frame();
        self.read += frame.len() as i64;
        argv_of(&frame)
    }

    /// Asserts that the next commands are `expected` (`*` matches any one argument).
    fn expect(&mut self, expected: &[&str]) {
        for want in expected {
            let want: Vec<&str> = want.split(' ').collect();
            let got = self.next();
            let same =
                got.len() == want.len() && got.iter().zip(&want).all(|(g, w)| *w == "*" || g == w);
            assert!(same, "expected {want:?}, got {got:?}");
        }
    }
}

#[test]
fn the_stream_carries_what_replicas_must_run() {
    let master = start_tessera();
    let mut c = master.client();
    let mut r = FakeReplica::attach(&master);
    let keys = keys_on_each_shard("k", 2);

    // Relative expiries as absolute ones, after the SELECT every new replica's stream opens with.
    assert_eq!(run(&mut c, "SET a v EX 100"), ok());
    r.expect(&["SELECT 0", "SET a v PXAT *"]);
    assert_eq!(run(&mut c, "INCRBYFLOAT f 1.5"), bulk("1.5"));
    r.expect(&["SET f 1.5 KEEPTTL"]);
    // A key found expired is deleted with a DEL before the command that found it; one nobody
    // reads is deleted by active expiry.
    assert_eq!(run(&mut c, "SET short x PX 1"), ok());
    r.expect(&["SET short x PXAT *"]);
    sleep(Duration::from_millis(20));
    assert_eq!(run(&mut c, "APPEND short y"), int(1));
    r.expect(&["DEL short", "APPEND short y"]);
    assert_eq!(run(&mut c, "SET gone x PX 50"), ok());
    r.expect(&["SET gone x PXAT *", "DEL gone"]);
    // A multi-key command over both shards is one MULTI/EXEC unit, one part per shard.
    let mset = format!("MSET {} 1 {} 2", keys[0], keys[1]);
    assert_eq!(run(&mut c, &mset), ok());
    r.expect(&[
        "MULTI",
        &format!("MSET {} 1", keys[0]),
        &format!("MSET {} 2", keys[1]),
        "EXEC",
    ]);
    // A blocked client served: its pop, not BLPOP.
    let blocked = {
        let mut b = master.client();
        std::thread::spawn(move || run(&mut b, "BLPOP bl 5"))
    };
    sleep(Duration::from_millis(200));
    assert_eq!(run(&mut c, "RPUSH bl e"), int(1));
    assert_eq!(blocked.join().unwrap(), array(vec![bulk("bl"), bulk("e")]));
    r.expect(&["RPUSH bl e", "LPOP bl"]);
    // Another DB, a transaction, PUBLISH, FLUSHDB.
    assert_eq!(run(&mut c, "SELECT 5"), ok());
    assert_eq!(run(&mut c, "MULTI"), ok());
    assert_eq!(run(&mut c, "SET x 1"), status("QUEUED"));
    assert_eq!(run(&mut c, "INCR x"), status("QUEUED"));
    assert_eq!(run(&mut c, "EXEC"), array(vec![ok(), int(2)]));
    r.expect(&["SELECT 5", "MULTI", "SET x 1", "INCR x", "EXEC"]);
    assert_eq!(run(&mut c, "PUBLISH ch hi"), int(0));
    assert_eq!(run(&mut c, "FLUSHDB"), ok());
    r.expect(&["PUBLISH ch hi", "FLUSHDB"]);

    // The master counts the stream as its replica does.
    let offset: i64 = info(&mut c, "replication", "master_repl_offset")
        .parse()
        .unwrap();
    assert_eq!(offset, r.start + r.read);
    r.conn
        .send_cmd(&["REPLCONF", "ACK", &(r.start + r.read).to_string()]);
    wait_until(CATCH_UP, "the ACK to show", || {
        info(&mut c, "replication", "slave0")
            == format!("ip=127.0.0.1,port=1,state=online,offset={offset},lag=0")
    });
}
