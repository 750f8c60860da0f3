//! RDB persistence end to end, with real binaries: Tessera (two shards) saves and loads, stock
//! Redis 7.0 loads what Tessera saves and the reverse, and `redis-check-rdb` checks every file.
//!
//! - BGSAVE, SAVE and SHUTDOWN SAVE each write a file stock Redis loads to the same data (type,
//!   contents, expiry), and that `redis-check-rdb` passes.
//! - A file saved by stock Redis loads into Tessera at start-up; a file Tessera saved on SIGTERM
//!   loads into a restarted Tessera.
//! - BGSAVE under a steady stream of writes holds exactly the writes made before the fork.
//! - While a file loads, commands are answered `-LOADING` and INFO shows the progress; a corrupt
//!   file stops the server with exit code 1, names the byte offset, and is left untouched.
//! - INFO persistence, LASTSAVE, the `save` rules, BGSAVE SCHEDULE, MISCONF after a failed save,
//!   SHUTDOWN's failure without FORCE, and FLUSHALL's save of the empty dataset.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use tessera::rdb::{read_all, AuxFields, RdbWriter, ReadOptions, WriteOptions};
use tessera::storage::value::Value;

/// Waits up to `timeout` for `f` to hold; panics naming `what` otherwise.
fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        sleep(Duration::from_millis(20));
    }
}

fn persistence(c: &mut redis::Connection) -> std::collections::BTreeMap<String, String> {
    info_section(c, "persistence")
}

fn field(c: &mut redis::Connection, name: &str) -> String {
    persistence(c)
        .remove(name)
        .unwrap_or_else(|| panic!("INFO persistence has no {name}"))
}

fn num(c: &mut redis::Connection, name: &str) -> i64 {
    field(c, name).parse().expect("a number")
}

/// Waits until no background save runs, then checks that the last one succeeded.
fn wait_bgsave_ok(c: &mut redis::Connection) {
    wait_for("the background save", Duration::from_secs(20), || {
        field(c, "rdb_bgsave_in_progress") == "0"
    });
    assert_eq!(field(c, "rdb_last_bgsave_status"), "ok");
}

/// `redis-check-rdb` must find `path` sound.
fn check_rdb(path: &Path) {
    let out = run_tool(
        "redis-check-rdb",
        &[path.to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert!(
        out.status.success() && out.stdout.contains("RDB looks OK"),
        "redis-check-rdb {}: {out:?}",
        path.display()
    );
}

/// The selected server (Tessera with two shards) with a save point: SIGTERM, SHUTDOWN and
/// FLUSHALL then save, and a failed save refuses writes.
fn saving_server() -> TestServer {
    TestServer::builder()
        .threads(2)
        .args(&["--save", "3600 1"])
        .start()
}

/// Sends `command` (a SHUTDOWN) and waits for the server to exit successfully.
fn shut_down(srv: &mut TestServer, command: &[&str]) {
    let mut raw = srv.raw();
    raw.send_cmd(command);
    raw.expect_closed();
    let exit = srv.wait_exit(Duration::from_secs(10)).expect("it exits");
    assert!(exit.success(), "{exit}");
}

/// A server of `builder`'s kind started on a copy of `file` as its `dump.rdb`.
fn start_on(builder: ServerBuilder, file: &Path) -> TestServer {
    fs::copy(file, builder.dir().join("dump.rdb")).expect("copy the snapshot");
    builder.start()
}

/// The keys of a file, by (db, key), read with the library.
fn keys_in(path: &Path) -> BTreeSet<(u64, Vec<u8>)> {
    let (_, keys) = read_all(fs::File::open(path).unwrap(), ReadOptions::default())
        .expect("the file reads back");
    keys.into_iter().map(|k| (k.db, k.key.to_vec())).collect()
}

/// Saves the dataset with `how` and checks that stock Redis loads the file to the same data.
fn saved_file_loads_in_redis(how: &str) {
    let mut srv = saving_server();
    let mut c = srv.client();
    populate(&mut c);
    let want = dataset(&mut c);
    assert_eq!(want.len(), 49, "the dataset");
    let file = srv.dir().join("dump.rdb");
    match how {
        "BGSAVE" => {
            assert_eq!(run(&mut c, "BGSAVE"), status("Background saving started"));
            wait_bgsave_ok(&mut c);
        }
        "SAVE" => assert_eq!(run(&mut c, "SAVE"), ok()),
        "SHUTDOWN SAVE" => shut_down(&mut srv, &["SHUTDOWN", "SAVE"]),
        other => unreachable!("{other}"),
    }
    check_rdb(&file);
    let redis = start_on(TestServer::redis_builder(), &file);
    let got = dataset(&mut redis.client());
    assert_same_dataset(&got, &want);
}

#[test]
fn a_bgsave_file_loads_in_stock_redis_with_the_same_data() {
    saved_file_loads_in_redis("BGSAVE");
}

#[test]
fn a_save_file_loads_in_stock_redis_with_the_same_data() {
    saved_file_loads_in_redis("SAVE");
}

#[test]
fn a_shutdown_save_file_loads_in_stock_redis_with_the_same_data() {
    saved_file_loads_in_redis("SHUTDOWN SAVE");
}

#[test]
fn a_file_saved_by_stock_redis_loads_into_tessera_at_start_up() {
    let redis = TestServer::start_redis();
    let mut rc = redis.client();
    populate(&mut rc);
    assert_eq!(run(&mut rc, "SAVE"), ok());
    let want = dataset(&mut rc);
    let file = redis.dir().join("dump.rdb");
    let srv = start_on(TestServer::builder().threads(2), &file);
    let mut c = srv.client();
    wait_for("the load", Duration::from_secs(10), || {
        field(&mut c, "loading") == "0"
    });
    assert_same_dataset(&dataset(&mut c), &want);
    let p = persistence(&mut c);
    assert_eq!(p["rdb_last_load_keys_loaded"], want.len().to_string());
    assert_eq!(p["rdb_last_load_keys_expired"], "0");
    assert_eq!(p["rdb_changes_since_last_save"], "0");
}

#[test]
fn tessera_saves_on_sigterm_and_restarts_with_the_same_data() {
    let mut srv = saving_server();
    let mut c = srv.client();
    populate(&mut c);
    let want = dataset(&mut c);
    // SIGTERM with save points configured saves first, as Redis does.
    // SAFETY: kill(2) on the server's own pid; no memory is involved.
    unsafe { libc::kill(srv.pid().unwrap() as libc::pid_t, libc::SIGTERM) };
    let exit = srv.wait_exit(Duration::from_secs(10)).expect("it exits");
    assert!(exit.success(), "{exit}");
    let file = srv.dir().join("dump.rdb");
    assert!(file.exists(), "no snapshot after SIGTERM\n{}", srv.log());
    check_rdb(&file);
    let again = start_on(TestServer::builder().threads(2), &file);
    let mut c = again.client();
    wait_for("the load", Duration::from_secs(10), || {
        field(&mut c, "loading") == "0"
    });
    assert_same_dataset(&dataset(&mut c), &want);
}

/// BGSAVE while a writer keeps adding keys `w:0`, `w:1`… one at a time: the file holds every
/// key acknowledged before BGSAVE was sent, none sent after its reply, and no gap.
#[test]
fn bgsave_under_writes_holds_exactly_the_writes_before_the_fork() {
    let srv = TestServer::builder()
        .threads(2)
        .args(&["--rdb-key-save-delay", "100"])
        .start();
    let mut c = srv.client();
    // Keys to write, so that the child runs a while as the writer goes on.
    for batch in 0..5 {
        let mut args = vec!["MSET".to_string()];
        for i in batch * 1000..(batch + 1) * 1000 {
            args.push(format!("p:{i}"));
            args.push(i.to_string());
        }
        must(
            &mut c,
            &args.iter().map(String::as_bytes).collect::<Vec<_>>(),
        );
    }
    let sent = Arc::new(AtomicI64::new(-1));
    let acked = Arc::new(AtomicI64::new(-1));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (sent, acked, stop) = (sent.clone(), acked.clone(), stop.clone());
        let mut w = srv.client();
        std::thread::spawn(move || {
            let mut i = 0i64;
            while !stop.load(Ordering::SeqCst) {
                sent.store(i, Ordering::SeqCst);
                let key = format!("w:{i}");
                assert_eq!(run_args(&mut w, &["SET", key.as_str(), "1"]), ok());
                acked.store(i, Ordering::SeqCst);
                i += 1;
            }
        })
    };
    wait_for("some writes", Duration::from_secs(10), || {
        acked.load(Ordering::SeqCst) >= 200
    });
    let acked_before = acked.load(Ordering::SeqCst);
    assert_eq!(run(&mut c, "BGSAVE"), status("Background saving started"));
    // Keys numbered above what was being sent when the reply came were sent after it.
    let sent_after = sent.load(Ordering::SeqCst) + 1;
    assert_eq!(field(&mut c, "rdb_bgsave_in_progress"), "1");
    wait_for("writes during the save", Duration::from_secs(10), || {
        acked.load(Ordering::SeqCst) >= sent_after + 100
    });
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    wait_bgsave_ok(&mut c);
    let file = srv.dir().join("dump.rdb");
    let keys = keys_in(&file);
    let prefilled = keys.iter().filter(|(_, k)| k.starts_with(b"p:")).count();
    assert_eq!(prefilled, 5000);
    let written: BTreeSet<i64> = keys
        .iter()
        .filter_map(|(_, k)| k.strip_prefix(b"w:"))
        .map(|n| std::str::from_utf8(n).unwrap().parse().unwrap())
        .collect();
    let last = *written.iter().next_back().expect("writes are in the file");
    assert_eq!(
        written.len() as i64,
        last + 1,
        "the writes in the file have a gap"
    );
    assert!(
        last >= acked_before,
        "acknowledged before BGSAVE: {acked_before}, in the file up to {last}"
    );
    assert!(
        last < sent_after,
        "sent after the BGSAVE reply: from {sent_after}, in the file up to {last}"
    );
    eprintln!("acked before {acked_before}, in the file up to {last}, sent after {sent_after}");
    check_rdb(&file);
}

/// An RDB of `n` string keys `k:<i>` in DB 0, of which `expired` have a deadline in the past,
/// written with the library.
fn write_rdb(path: &Path, n: usize, expired: usize) {
    let file = fs::File::create(path).unwrap();
    let mut rdb = RdbWriter::new(
        std::io::BufWriter::new(file),
        WriteOptions::default(),
        &AuxFields::for_save(1_700_000_000, 0),
    )
    .unwrap();
    rdb.select_db(0, n as u64, expired as u64).unwrap();
    for i in 0..n {
        let value = Value::Str(Bytes::from(format!("value-{i}")).into());
        let expire = (i < expired).then_some(1_000_i64);
        rdb.write_entry(format!("k:{i}").as_bytes(), &value, expire)
            .unwrap();
    }
    rdb.finish().unwrap();
}

#[test]
fn while_loading_commands_are_refused_and_info_shows_the_progress() {
    if target() == Target::Redis {
        // Stock Redis serves clients during a load only every 2 MiB read
        // (`loading-process-events-interval-bytes`): this small file loads before it answers.
        return;
    }
    let builder = TestServer::builder()
        .threads(2)
        .args(&["--key-load-delay", "200"]);
    write_rdb(&builder.dir().join("dump.rdb"), 5000, 100);
    let mut srv = builder.spawn();
    let mut c = None;
    wait_for("the listener", Duration::from_secs(10), || {
        assert!(srv.wait_exit(Duration::ZERO).is_none(), "{}", srv.log());
        redis::Client::open(("127.0.0.1", srv.port()))
            .and_then(|cl| cl.get_connection())
            .map(|conn| c = Some(conn))
            .is_ok()
    });
    let mut c = c.unwrap();
    let loading = "LOADING Redis is loading the dataset in memory";
    assert_eq!(run(&mut c, "GET k:1"), err(loading));
    assert_eq!(run(&mut c, "PING"), err(loading));
    assert_eq!(run(&mut c, "SAVE"), err(loading));
    assert_eq!(run(&mut c, "FLUSHALL"), err(loading));
    let p = persistence(&mut c);
    assert_eq!(p["loading"], "1", "{p:?}");
    let total: u64 = p["loading_total_bytes"].parse().unwrap();
    assert_eq!(
        total,
        fs::metadata(srv.dir().join("dump.rdb")).unwrap().len()
    );
    for name in [
        "loading_start_time",
        "loading_loaded_bytes",
        "loading_loaded_perc",
        "loading_eta_seconds",
    ] {
        assert!(p.contains_key(name), "{name} missing: {p:?}");
    }
    // Commands flagged `loading` run; this one lets the load finish quickly.
    assert_eq!(run(&mut c, "CONFIG SET key-load-delay 0"), ok());
    wait_for("the load", Duration::from_secs(20), || {
        field(&mut c, "loading") == "0"
    });
    assert_eq!(run(&mut c, "DBSIZE"), int(4900));
    assert_eq!(run(&mut c, "GET k:4999"), bulk("value-4999"));
    assert_eq!(run(&mut c, "GET k:0"), nil());
    let p = persistence(&mut c);
    assert_eq!(p["rdb_last_load_keys_loaded"], "4900");
    assert_eq!(p["rdb_last_load_keys_expired"], "100");
    assert!(!p.contains_key("loading_total_bytes"));
    assert!(srv
        .log()
        .contains("Done loading RDB, keys loaded: 4900, keys expired: 100."));
}

#[test]
fn a_corrupt_file_stops_the_server_naming_the_offset_and_stays_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let good_path = tmp.path().join("good.rdb");
    write_rdb(&good_path, 50, 0);
    let good = fs::read(&good_path).unwrap();
    let mut bad_crc = good.clone();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 0x55;
    let mut bad_magic = good.clone();
    bad_magic[0] = b'X';
    let truncated = good[..good.len() - 30].to_vec();
    for (name, bytes, what) in [
        ("checksum", bad_crc, "RDB CRC error"),
        ("signature", bad_magic, "not an RDB file"),
        ("truncated", truncated, "unexpected end of input"),
    ] {
        // Save points are configured: nothing may save over the bad file.
        let builder = TestServer::builder().threads(2).args(&["--save", "1 1"]);
        let path: PathBuf = builder.dir().join("dump.rdb");
        fs::write(&path, &bytes).unwrap();
        let mut srv = builder.spawn();
        let exit = srv
            .wait_exit(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{name}: the server kept running\n{}", srv.log()));
        assert_eq!(exit.code(), Some(1), "{name}\n{}", srv.log());
        let log = srv.log();
        if target() == Target::Tessera {
            assert!(
                log.contains("Fatal error loading the DB") && log.contains("RDB error at byte "),
                "{name}: {log}"
            );
            assert!(log.contains(what), "{name}: {log}");
        }
        assert_eq!(fs::read(&path).unwrap(), bytes, "{name}: the file changed");
    }
}

#[test]
fn info_persistence_follows_background_and_foreground_saves() {
    let srv = TestServer::builder().threads(2).start();
    let mut c = srv.client();
    let started = run(&mut c, "LASTSAVE").int();
    assert_eq!(num(&mut c, "rdb_last_save_time"), started);
    assert_eq!(num(&mut c, "rdb_last_bgsave_time_sec"), -1);
    assert_eq!(field(&mut c, "rdb_last_bgsave_status"), "ok");
    let mut args = vec!["MSET".to_string()];
    for i in 0..2000 {
        args.push(format!("k{i}"));
        args.push(i.to_string());
    }
    must(
        &mut c,
        &args.iter().map(String::as_bytes).collect::<Vec<_>>(),
    );
    assert_eq!(num(&mut c, "rdb_changes_since_last_save"), 2000);
    // Slow the child down so that the save can be watched.
    assert_eq!(run(&mut c, "CONFIG SET rdb-key-save-delay 300"), ok());
    assert_eq!(run(&mut c, "BGSAVE"), status("Background saving started"));
    let p = persistence(&mut c);
    assert_eq!(p["rdb_bgsave_in_progress"], "1");
    assert_eq!(p["current_save_keys_total"], "2000");
    assert!(p["rdb_current_bgsave_time_sec"].parse::<i64>().unwrap() >= 0);
    let busy = "ERR Background save already in progress";
    assert_eq!(run(&mut c, "BGSAVE"), err(busy));
    assert_eq!(run(&mut c, "BGSAVE SCHEDULE"), err(busy));
    assert_eq!(run(&mut c, "SAVE"), err(busy));
    assert_eq!(run(&mut c, "BGSAVE NOW"), err("ERR syntax error"));
    // A write during the save is still unsaved once it is done.
    assert_eq!(run(&mut c, "SET during save"), ok());
    assert_eq!(run(&mut c, "CONFIG SET rdb-key-save-delay 0"), ok());
    wait_bgsave_ok(&mut c);
    let p = persistence(&mut c);
    assert_eq!(p["rdb_changes_since_last_save"], "1");
    assert_eq!(p["rdb_saves"], "1");
    assert_eq!(p["current_save_keys_total"], "0");
    assert!(p["rdb_last_bgsave_time_sec"].parse::<i64>().unwrap() >= 0);
    let lastsave = run(&mut c, "LASTSAVE").int();
    assert!(lastsave >= started);
    assert_eq!(p["rdb_last_save_time"], lastsave.to_string());
    let stats = info_section(&mut c, "stats");
    assert_eq!(stats["total_forks"], "1");
    assert!(stats["latest_fork_usec"].parse::<u64>().unwrap() > 0);
    assert_eq!(run(&mut c, "SAVE"), ok());
    let p = persistence(&mut c);
    assert_eq!(p["rdb_changes_since_last_save"], "0");
    assert_eq!(p["rdb_saves"], "2");
    assert_eq!(keys_in(&srv.dir().join("dump.rdb")).len(), 2001);
    // Inside MULTI, BGSAVE is scheduled and starts once the transaction is over.
    assert_eq!(run(&mut c, "MULTI"), ok());
    assert_eq!(run(&mut c, "BGSAVE"), status("QUEUED"));
    assert_eq!(
        run(&mut c, "EXEC"),
        array(vec![status("Background saving scheduled")])
    );
    wait_for("the scheduled save", Duration::from_secs(10), || {
        num(&mut c, "rdb_saves") == 3 && field(&mut c, "rdb_bgsave_in_progress") == "0"
    });
    assert_eq!(field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert_eq!(run(&mut c, "CONFIG RESETSTAT"), ok());
    assert_eq!(num(&mut c, "rdb_saves"), 0);
    assert_eq!(info_field(&mut c, "stats", "total_forks").unwrap(), "0");
}

#[test]
fn a_save_rule_starts_a_background_save() {
    let srv = TestServer::builder()
        .threads(2)
        .args(&["--save", "1 1"])
        .start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v"), ok());
    wait_for("the rule's save", Duration::from_secs(10), || {
        num(&mut c, "rdb_saves") >= 1 && num(&mut c, "rdb_changes_since_last_save") == 0
    });
    wait_bgsave_ok(&mut c);
    assert!(srv.log().contains("1 changes in 1 seconds. Saving..."));
    let file = srv.dir().join("dump.rdb");
    assert_eq!(keys_in(&file), BTreeSet::from([(0, b"k".to_vec())]));
    // CONFIG SET save "" turns the rules off.
    assert_eq!(run(&mut c, "CONFIG SET save \"\""), ok());
    assert_eq!(run(&mut c, "SET k2 v"), ok());
    sleep(Duration::from_millis(2500));
    assert_eq!(num(&mut c, "rdb_saves"), 1);
}

#[test]
fn a_failed_save_keeps_shutdown_from_stopping_and_refuses_writes() {
    let mut srv = saving_server();
    // A directory in the snapshot's place: every save fails at its rename.
    fs::create_dir(srv.dir().join("dump.rdb")).unwrap();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "SET k v"), ok());
    assert_eq!(
        run(&mut c, "SHUTDOWN"),
        err("ERR Errors trying to SHUTDOWN. Check logs.")
    );
    assert_eq!(run(&mut c, "SAVE"), err("ERR"));
    assert_eq!(run(&mut c, "PING"), status("PONG"));
    assert_eq!(run(&mut c, "BGSAVE"), status("Background saving started"));
    wait_for("the failed save", Duration::from_secs(10), || {
        field(&mut c, "rdb_last_bgsave_status") == "err"
    });
    let misconf = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable \
                   to persist to disk. Commands that may modify the data set are disabled, \
                   because this instance is configured to report errors during writes if RDB \
                   snapshotting fails (stop-writes-on-bgsave-error option). Please check the \
                   Redis logs for details about the RDB error.";
    assert_eq!(run(&mut c, "SET k2 v"), err(misconf));
    assert_eq!(run(&mut c, "PING"), err(misconf));
    assert_eq!(run(&mut c, "GET k"), bulk("v"));
    assert_eq!(
        run(&mut c, "CONFIG SET stop-writes-on-bgsave-error no"),
        ok()
    );
    assert_eq!(run(&mut c, "SET k2 v"), ok());
    assert!(srv.log().contains("Background saving error"));
    shut_down(&mut srv, &["SHUTDOWN", "FORCE"]);
    let leftovers: Vec<_> = fs::read_dir(srv.dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("temp-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn flushall_with_save_points_saves_the_empty_dataset() {
    let srv = saving_server();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "MSET a 1 b 2 c 3"), ok());
    assert_eq!(run(&mut c, "SAVE"), ok());
    let file = srv.dir().join("dump.rdb");
    assert_eq!(keys_in(&file).len(), 3);
    assert_eq!(run(&mut c, "FLUSHALL"), ok());
    assert!(keys_in(&file).is_empty());
    assert_eq!(num(&mut c, "rdb_changes_since_last_save"), 0);
}
