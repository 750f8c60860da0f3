//! Tessera as a live replica of stock Redis 7.0: every test starts a real `redis-server` master
//! and the real Tessera binary (two shards), all on loopback.
//!
//! - Full sync, disk-based (`$<len>` payload) and diskless (`$EOF:` payload), of a master holding
//!   every type in its encodings, large values, expiry times and all 16 databases; then a few
//!   thousand seeded random writes (MULTI/EXEC, multi-key commands across shards, expiries,
//!   deletions, FLUSHDB); then both datasets compared key by key.
//! - Partial resync after the master drops its replica, and after the master restarts from its
//!   RDB (Redis 7 keeps its replication id there).
//! - What clients of the replica see: -READONLY, INFO replication, ROLE, and REPLICAOF NO ONE.
//! - `masterauth` against a master with `requirepass`, and a wrong password that is retried.
//! - A "master" that sends garbage, a truncated RDB or half a command: the replica logs why,
//!   drops the link and tries again; it never crashes.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread::sleep;
use std::time::Duration;

use common::*;

/// How long a replica gets to catch up with its master.
const CATCH_UP: Duration = Duration::from_secs(20);

/// A stock Redis master. `diskless` picks the payload form it sends.
fn start_master(diskless: bool) -> TestServer {
    let yes_no = if diskless { "yes" } else { "no" };
    TestServer::redis_builder()
        .args(&[
            "--repl-diskless-sync",
            yes_no,
            "--repl-diskless-sync-delay",
            "0",
        ])
        .start()
}

/// A Tessera server with two shards (the harness's default).
fn start_tessera(extra: &[&str]) -> TestServer {
    TestServer::builder().threads(2).args(extra).start()
}

fn wait_link_up(replica: &TestServer) {
    let mut c = replica.client();
    wait_until(CATCH_UP, "the link to come up", || {
        info_field(&mut c, "replication", "master_link_status").as_deref() == Some("up")
    });
}

fn full_sync_then_writes(diskless: bool) {
    let master = start_master(diskless);
    let replica = start_tessera(&[]);
    let mut m = master.client();
    populate(&mut m);
    follow(&replica, &master);
    wait_same_dataset(&master, &replica, CATCH_UP);
    assert_eq!(info(&mut m, "stats", "sync_full"), "1");
    random_writes(master.port(), 0x5eed_1234 + diskless as u64, 3000);
    wait_same_dataset(&master, &replica, CATCH_UP);
    let log = replica.log();
    assert!(
        !log.contains("CRITICAL"),
        "the replica refused some of its master's commands:\n{log}"
    );
}

#[test]
fn full_sync_from_disk_payload_then_a_mixed_write_load() {
    full_sync_then_writes(false);
}

#[test]
fn full_sync_from_diskless_payload_then_a_mixed_write_load() {
    full_sync_then_writes(true);
}

#[test]
fn a_dropped_link_resumes_with_a_partial_resync() {
    let master = start_master(true);
    let replica = start_tessera(&[]);
    let mut m = master.client();
    assert_eq!(run(&mut m, "SET before 1"), ok());
    follow(&replica, &master);
    wait_same_dataset(&master, &replica, CATCH_UP);
    assert_eq!(run(&mut m, "SELECT 3"), ok());
    assert_eq!(run(&mut m, "SET in-db-3 x"), ok());
    assert_eq!(run(&mut m, "SELECT 0"), ok());
    wait_same_dataset(&master, &replica, CATCH_UP);
    let replid = info(&mut m, "replication", "master_replid");
    for round in 0..2 {
        assert_eq!(info(&mut m, "stats", "sync_partial_ok"), round.to_string());
        assert_eq!(
            run_args(&mut m, &["CLIENT", "KILL", "TYPE", "replica"]),
            int(1)
        );
        random_writes(master.port(), 77 + round, 300);
        wait_same_dataset(&master, &replica, CATCH_UP);
    }
    assert_eq!(info(&mut m, "stats", "sync_full"), "1");
    assert_eq!(info(&mut m, "stats", "sync_partial_ok"), "2");
    let mut r = replica.client();
    assert_eq!(info(&mut r, "replication", "master_replid"), replid);
    // The replica's side: its master client is listed, and killing it drops the link, which
    // comes back with a partial resync too.
    let list = run(&mut r, "CLIENT LIST TYPE master").text();
    assert!(list.contains(" flags=M "), "{list}");
    assert_eq!(run(&mut r, "CLIENT KILL TYPE master"), int(1));
    assert_eq!(run(&mut m, "SET after-kill 1"), ok());
    wait_same_dataset(&master, &replica, CATCH_UP);
    assert_eq!(info(&mut m, "stats", "sync_partial_ok"), "3");
    assert_eq!(info(&mut m, "stats", "sync_full"), "1");
}

#[test]
fn the_replica_keeps_up_across_a_master_restart() {
    let mut master = start_master(false);
    let replica = start_tessera(&[]);
    let mut m = master.client();
    populate(&mut m);
    follow(&replica, &master);
    wait_same_dataset(&master, &replica, CATCH_UP);
    random_writes(master.port(), 99, 300);
    wait_same_dataset(&master, &replica, CATCH_UP);
    // SHUTDOWN SAVE waits for the replica's ACK of every byte, then saves the replication id.
    drop(m);
    master.raw().send(&encode_command(&["SHUTDOWN", "SAVE"]));
    let mut r = replica.client();
    wait_until(CATCH_UP, "the link to drop", || {
        info_field(&mut r, "replication", "master_link_status").as_deref() == Some("down")
    });
    assert_eq!(
        run(&mut r, "GET str:short"),
        bulk("hello world"),
        "data stays"
    );
    master.restart();
    let mut m = master.client();
    wait_link_up(&replica);
    random_writes(master.port(), 100, 300);
    wait_same_dataset(&master, &replica, CATCH_UP);
    // The restarted master continued from its saved history instead of sending everything.
    assert_eq!(info(&mut m, "stats", "sync_full"), "0");
    assert_eq!(info(&mut m, "stats", "sync_partial_ok"), "1");
}

#[test]
fn clients_of_a_replica_read_but_cannot_write() {
    let master = TestServer::redis_builder()
        .args(&[
            "--repl-diskless-sync-delay",
            "0",
            "--enable-debug-command",
            "yes",
        ])
        .start();
    let replica = start_tessera(&[]);
    let mut m = master.client();
    assert_eq!(run(&mut m, "SET k from-master"), ok());
    follow(&replica, &master);
    wait_same_dataset(&master, &replica, CATCH_UP);
    let mut r = replica.client();
    let readonly = err("READONLY You can't write against a read only replica.");
    assert_eq!(run(&mut r, "GET k"), bulk("from-master"));
    assert_eq!(run(&mut r, "SET k mine"), readonly);
    assert_eq!(run(&mut r, "DEL k"), readonly);
    assert_eq!(run(&mut r, "MSET a 1 b 2"), readonly);
    assert_eq!(run(&mut r, "MULTI"), ok());
    assert_eq!(run(&mut r, "INCR n"), readonly);
    assert_eq!(
        run(&mut r, "EXEC"),
        err("EXECABORT Transaction discarded because of previous errors.")
    );
    assert_eq!(run(&mut r, "HELLO 2").items()[11], bulk("replica"));
    // A key the master set to expire reads as gone once due, but only the master's DEL removes
    // it (the master here expires keys only when they are read).
    assert_eq!(run(&mut m, "DEBUG SET-ACTIVE-EXPIRE 0"), ok());
    assert_eq!(run(&mut m, "SET short x PX 300"), ok());
    // Wait on the replica alone (reading the master's copy once it is due would make the
    // master delete it), and for the key to be stored there, whether or not it is due yet: a
    // loaded machine may deliver it late.
    wait_until(CATCH_UP, "the key to reach the replica", || {
        run(&mut r, "DBSIZE") == int(2)
    });
    sleep(Duration::from_millis(400));
    assert_eq!(run(&mut r, "GET short"), nil());
    assert_eq!(run(&mut r, "EXISTS short"), int(0));
    assert_eq!(
        run(&mut r, "DBSIZE"),
        int(2),
        "kept until the master deletes it"
    );
    assert_eq!(run(&mut m, "GET short"), nil());
    wait_until(CATCH_UP, "the master's DEL", || {
        run(&mut r, "DBSIZE") == int(1)
    });
    assert_eq!(run(&mut r, "CONFIG SET replica-read-only no"), ok());
    assert_eq!(run(&mut r, "SET local 1"), ok());
    assert_eq!(run(&mut r, "GET k"), bulk("from-master"));
}

#[test]
fn info_replication_and_role_on_both_sides() {
    let master = start_master(true);
    let replica = start_tessera(&[]);
    let mut r = replica.client();
    let before = info_section(&mut r, "replication");
    assert_eq!(before["role"], "master");
    assert_eq!(before["connected_slaves"], "0");
    assert_eq!(before["master_repl_offset"], "0");
    assert_eq!(before["second_repl_offset"], "-1");
    let mut m = master.client();
    assert_eq!(run(&mut m, "SET k v"), ok());
    follow(&replica, &master);
    wait_same_dataset(&master, &replica, CATCH_UP);
    let mut ri = info_section(&mut r, "replication");
    let mi = info_section(&mut m, "replication");
    let names: Vec<&str> = ri.keys().map(String::as_str).collect();
    let mut expected = vec![
        "role",
        "master_host",
        "master_port",
        "master_link_status",
        "master_last_io_seconds_ago",
        "master_sync_in_progress",
        "slave_read_repl_offset",
        "slave_repl_offset",
        "slave_priority",
        "slave_read_only",
        "replica_announced",
        "connected_slaves",
        "master_failover_state",
        "master_replid",
        "master_replid2",
        "master_repl_offset",
        "second_repl_offset",
        "repl_backlog_active",
        "repl_backlog_size",
        "repl_backlog_first_byte_offset",
        "repl_backlog_histlen",
    ];
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(ri["role"], "slave");
    assert_eq!(ri["master_host"], "127.0.0.1");
    assert_eq!(ri["master_port"], master.port().to_string());
    assert_eq!(ri["master_sync_in_progress"], "0");
    assert_eq!(ri["slave_read_only"], "1");
    assert_eq!(ri["master_replid"], mi["master_replid"]);
    assert_eq!(ri["slave_repl_offset"], mi["master_repl_offset"]);
    assert_eq!(ri["repl_backlog_active"], "1");
    // The master sees the replica on its listening port, online, once it acknowledged.
    wait_until(
        CATCH_UP,
        "the master to list the replica, acknowledged",
        || {
            let mi = info_section(&mut m, "replication");
            let line = format!(
                "ip=127.0.0.1,port={},state=online,offset={},",
                replica.port(),
                mi["master_repl_offset"]
            );
            mi.get("slave0").is_some_and(|l| l.starts_with(&line))
        },
    );
    let role = run(&mut r, "ROLE").items();
    let offset: i64 = ri["slave_repl_offset"].parse().unwrap();
    assert_eq!(
        role[..4],
        [
            bulk("slave"),
            bulk("127.0.0.1"),
            int(master.port() as i64),
            bulk("connected"),
        ]
    );
    assert!(role[4].int() >= offset, "{role:?}");
    assert_eq!(run(&mut m, "SET more bytes"), ok());
    wait_same_dataset(&master, &replica, CATCH_UP);
    ri = info_section(&mut r, "replication");
    assert!(ri["slave_repl_offset"].parse::<i64>().unwrap() > offset);
    assert_eq!(
        run(&mut r, "REPLICAOF 127.0.0.1 notaport"),
        err("ERR Invalid master port")
    );
    assert_eq!(
        run_args(
            &mut r,
            &["REPLICAOF", "127.0.0.1", &master.port().to_string()]
        ),
        status("OK Already connected to specified master")
    );
}

#[test]
fn replicaof_no_one_keeps_the_data_and_starts_a_new_history() {
    let master = start_master(true);
    let replica = start_tessera(&[]);
    let mut m = master.client();
    populate(&mut m);
    follow(&replica, &master);
    wait_same_dataset(&master, &replica, CATCH_UP);
    random_writes(master.port(), 5, 200);
    wait_same_dataset(&master, &replica, CATCH_UP);
    let expected = dataset(&mut m);
    let mut r = replica.client();
    let old_id = info(&mut r, "replication", "master_replid");
    let offset: i64 = info(&mut r, "replication", "master_repl_offset")
        .parse()
        .unwrap();
    assert_eq!(run(&mut r, "SLAVEOF NO ONE"), ok());
    let after = info_section(&mut r, "replication");
    assert_eq!(after["role"], "master");
    assert_eq!(after["master_replid2"], old_id);
    assert_ne!(after["master_replid"], old_id);
    assert_eq!(after["second_repl_offset"], (offset + 1).to_string());
    assert_eq!(after["master_repl_offset"], offset.to_string());
    assert_eq!(run(&mut r, "ROLE").items()[0], bulk("master"));
    // The master's later writes no longer arrive; the data is what the master had.
    assert_eq!(run(&mut m, "SET after-promotion 1"), ok());
    sleep(Duration::from_millis(200));
    assert_same_dataset(&dataset(&mut r), &expected);
    assert_eq!(run(&mut r, "SET mine 1"), ok());
    assert_eq!(run(&mut r, "REPLICAOF NO ONE"), ok());
    assert_eq!(
        info(&mut r, "replication", "master_replid2"),
        old_id,
        "a second NO ONE changes nothing"
    );
}

#[test]
fn masterauth_and_a_wrong_password_that_is_retried() {
    let master = start_master(true);
    let replica = start_tessera(&["--masterauth", "wrong"]);
    let mut m = master.client();
    assert_eq!(run(&mut m, "CONFIG SET requirepass s3cret"), ok());
    assert_eq!(run(&mut m, "AUTH s3cret"), ok());
    assert_eq!(run(&mut m, "SET k v"), ok());
    follow(&replica, &master);
    wait_until(CATCH_UP, "the AUTH failure in the log", || {
        replica.log().contains("Unable to AUTH to MASTER")
    });
    let mut r = replica.client();
    assert_eq!(info(&mut r, "replication", "master_link_status"), "down");
    assert_eq!(run(&mut r, "CONFIG SET masterauth s3cret"), ok());
    wait_link_up(&replica);
    assert_eq!(run(&mut r, "GET k"), bulk("v"));
}

#[test]
fn the_replicaof_directive_follows_at_start_up() {
    let master = start_master(false);
    let mut m = master.client();
    assert_eq!(run(&mut m, "SET k v"), ok());
    let port = master.port().to_string();
    let replica = TestServer::builder()
        .threads(2)
        .config(&format!("replicaof 127.0.0.1 {port}\nrepl-timeout 5\n"))
        .start();
    wait_link_up(&replica);
    let mut r = replica.client();
    assert_eq!(run(&mut r, "GET k"), bulk("v"));
    assert_eq!(
        run(&mut r, "CONFIG GET replicaof"),
        array(vec![bulk("replicaof"), bulk(format!("127.0.0.1 {port}"))])
    );
}

/// A fake master on a loopback port that plays one script per connection.
fn fake_master(
    scripts: Vec<Box<dyn FnOnce(std::net::TcpStream) + Send>>,
) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        for script in scripts {
            let (s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            script(s);
        }
    });
    (port, h)
}

/// Answers the handshake up to PSYNC: `+OK` to PING and to the two REPLCONFs (each reply once
/// its command arrived), then returns once PSYNC arrived.
fn handshake(s: &mut std::net::TcpStream) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let mut answered = 0;
    loop {
        // No argument the replica sends contains '*', so each one starts a command.
        let commands = seen.iter().filter(|&&b| b == b'*').count();
        while answered < commands.min(3) {
            s.write_all(b"+OK\r\n").unwrap();
            answered += 1;
        }
        if commands >= 4 && seen.ends_with(b"\r\n") {
            break;
        }
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "the replica hung up during the handshake");
        seen.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&seen).into_owned();
    assert!(text.contains("PSYNC"), "{text:?}");
}

/// A minimal valid RDB (version 10) holding `db0: k -> v`.
fn tiny_rdb() -> Vec<u8> {
    use tessera::rdb::{AuxFields, RdbWriter, WriteOptions};
    use tessera::storage::value::Value;
    let mut w = RdbWriter::new(Vec::new(), WriteOptions::default(), &AuxFields::default()).unwrap();
    w.select_db(0, 1, 0).unwrap();
    w.write_entry(
        b"k",
        &Value::Str(bytes::Bytes::from_static(b"v").into()),
        None,
    )
    .unwrap();
    w.finish().unwrap()
}

#[test]
fn bad_input_from_a_master_is_logged_and_retried() {
    let id = "a".repeat(40);
    let rdb = tiny_rdb();
    let (go, go_on) = std::sync::mpsc::channel::<()>();
    let mut truncated = rdb.clone();
    truncated.truncate(rdb.len() - 5);
    let mut corrupt = rdb.clone();
    let n = corrupt.len();
    corrupt[n - 3] ^= 0xff; // the CRC no longer matches
    let scripts: Vec<Box<dyn FnOnce(std::net::TcpStream) + Send>> = vec![
        // 1. Garbage instead of +FULLRESYNC.
        Box::new(|mut s| {
            handshake(&mut s);
            s.write_all(b"+WHATEVER\r\n").unwrap();
            let _ = s.read(&mut [0u8; 64]);
        }),
        // 2. A truncated RDB, then the connection closes.
        Box::new({
            let id = id.clone();
            move |mut s| {
                handshake(&mut s);
                s.write_all(format!("+FULLRESYNC {id} 0\r\n${}\r\n", rdb.len()).as_bytes())
                    .unwrap();
                s.write_all(&truncated).unwrap();
            }
        }),
        // 3. An RDB whose checksum is wrong.
        Box::new({
            let id = id.clone();
            move |mut s| {
                handshake(&mut s);
                s.write_all(format!("+FULLRESYNC {id} 0\r\n${}\r\n", corrupt.len()).as_bytes())
                    .unwrap();
                s.write_all(&corrupt).unwrap();
                let _ = s.read(&mut [0u8; 64]);
            }
        }),
        // 4. A good RDB, a command, then half a command and silence; then the link drops.
        Box::new({
            let id = id.clone();
            let rdb = tiny_rdb();
            move |mut s| {
                handshake(&mut s);
                go_on.recv().unwrap();
                s.write_all(format!("+FULLRESYNC {id} 0\r\n${}\r\n", rdb.len()).as_bytes())
                    .unwrap();
                s.write_all(&rdb).unwrap();
                s.write_all(
                    b"*3\r\n$3\r\nSET\r\n$4\r\ngood\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$3\r\nba",
                )
                .unwrap();
                sleep(Duration::from_millis(500));
            }
        }),
        // 5. Garbage in the stream: an inline command.
        Box::new(move |mut s| {
            handshake(&mut s);
            s.write_all(b"+CONTINUE\r\nHELLO WORLD\r\n").unwrap();
            let _ = s.read(&mut [0u8; 64]);
        }),
    ];
    let (port, master) = fake_master(scripts);
    let replica = start_tessera(&["--repl-timeout", "2"]);
    let mut r = replica.client();
    assert_eq!(run(&mut r, "SET old 1"), ok());
    assert_eq!(
        run_args(&mut r, &["REPLICAOF", "127.0.0.1", &port.to_string()]),
        ok()
    );
    for expected in [
        "Unexpected reply to PSYNC from master: '+WHATEVER'",
        "bad RDB from the master",
        "RDB CRC error",
    ] {
        wait_until(CATCH_UP, expected, || replica.log().contains(expected));
    }
    // Failed loads went aside: clients still read the old dataset.
    assert_eq!(run(&mut r, "GET old"), bulk("1"));
    go.send(()).unwrap();
    master.join().unwrap();
    let expected = "Protocol error from master: inline command";
    wait_until(CATCH_UP, expected, || replica.log().contains(expected));
    // The one good sync replaced the dataset and applied the complete command; the half
    // command is not applied.
    assert_eq!(run(&mut r, "GET old"), nil());
    assert_eq!(run(&mut r, "GET k"), bulk("v"));
    assert_eq!(run(&mut r, "GET good"), bulk("1"));
    assert_eq!(run(&mut r, "PING"), status("PONG"));
    assert_eq!(info(&mut r, "replication", "master_link_status"), "down");
}

#[test]
fn a_new_master_replaces_the_whole_dataset() {
    let first = start_master(true);
    let second = start_master(false);
    let mut a = first.client();
    let mut b = second.client();
    assert_eq!(run(&mut a, "SET only-on-first 1"), ok());
    assert_eq!(run(&mut a, "SET shared first"), ok());
    assert_eq!(run(&mut b, "SET shared second"), ok());
    assert_eq!(run(&mut b, "HSET only-on-second f v"), int(1));
    // An empty replica with on-empty-db loads in place; the second sync goes aside and switches.
    let replica = start_tessera(&["--repl-diskless-load", "on-empty-db"]);
    follow(&replica, &first);
    wait_same_dataset(&first, &replica, CATCH_UP);
    follow(&replica, &second);
    wait_same_dataset(&second, &replica, CATCH_UP);
    let mut r = replica.client();
    assert_eq!(run(&mut r, "GET only-on-first"), nil());
    assert_eq!(run(&mut r, "GET shared"), bulk("second"));
    let log = replica.log();
    assert!(
        log.contains("Flushing old data; Loading DB in memory"),
        "{log}"
    );
    assert!(
        log.contains("clients read the old data until the switch"),
        "{log}"
    );
}

#[test]
fn a_chain_from_stock_redis_through_tessera_to_stock_redis() {
    let master = start_master(true);
    let middle = start_tessera(&[]);
    let end = TestServer::redis_builder().start();
    let mut m = master.client();
    populate(&mut m);
    follow(&middle, &master);
    wait_same_dataset(&master, &middle, CATCH_UP);
    follow(&end, &middle);
    wait_same_dataset(&master, &end, CATCH_UP);
    random_writes(master.port(), 4242, 1000);
    wait_same_dataset(&master, &end, CATCH_UP);
    let mut e = end.client();
    let root_id = info(&mut m, "replication", "master_replid");
    assert_eq!(info(&mut e, "replication", "master_replid"), root_id);
    let mut t = middle.client();
    let line = info(&mut t, "replication", "slave0");
    assert!(
        line.starts_with(&format!("ip=127.0.0.1,port={},state=online,", end.port())),
        "{line}"
    );
    assert_eq!(info(&mut t, "replication", "connected_slaves"), "1");
    // The end of the chain continues from the middle's backlog after a drop.
    assert_eq!(
        run_args(&mut t, &["CLIENT", "KILL", "TYPE", "replica"]),
        int(1)
    );
    random_writes(master.port(), 4343, 200);
    wait_same_dataset(&master, &end, CATCH_UP);
    assert_eq!(info(&mut t, "stats", "sync_full"), "1");
    assert_eq!(info(&mut t, "stats", "sync_partial_ok"), "1");
    // Promoted, the middle keeps the end: a partial resync from its shifted history (PSYNC2).
    assert_eq!(run(&mut t, "REPLICAOF NO ONE"), ok());
    assert_eq!(run(&mut t, "SET after-promotion 1"), ok());
    wait_same_dataset(&middle, &end, CATCH_UP);
    assert_eq!(
        info(&mut e, "replication", "master_replid"),
        info(&mut t, "replication", "master_replid")
    );
    assert_eq!(info(&mut t, "stats", "sync_full"), "1");
    assert_eq!(info(&mut t, "stats", "sync_partial_ok"), "2");
}

#[test]
fn a_chain_from_stock_redis_through_two_tessera_replicas() {
    let master = start_master(false);
    let middle = start_tessera(&[]);
    let end = start_tessera(&[]);
    let mut m = master.client();
    populate(&mut m);
    follow(&middle, &master);
    follow(&end, &middle);
    wait_same_dataset(&master, &end, CATCH_UP);
    random_writes(master.port(), 777, 1000);
    wait_same_dataset(&master, &end, CATCH_UP);
    let mut e = end.client();
    assert_eq!(
        info(&mut e, "replication", "master_replid"),
        info(&mut m, "replication", "master_replid")
    );
    assert_eq!(
        run(&mut e, "SET x 1"),
        err("READONLY You can't write against a read only replica.")
    );
}
