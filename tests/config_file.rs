//! Starting from a config file: directives and their command-line overrides, fatal errors in
//! the file, CONFIG REWRITE, and `daemonize yes` with a pidfile and a logfile.

mod common;

use std::fs;
use std::time::Duration;

use common::*;

/// Expects the server to exit with status 1 within 10 s and returns what it printed.
fn expect_exit_1(srv: &mut TestServer) -> String {
    let status = srv
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|| panic!("the server kept running on a bad config\n{}", srv.log()));
    assert_eq!(
        status.code(),
        Some(1),
        "exit status {status}\n{}",
        srv.log()
    );
    srv.log()
}

#[test]
fn directives_come_from_the_file_and_the_command_line_wins() {
    let srv = TestServer::builder()
        .config(
            "# settings for this test\n\
             maxmemory 5mb\n\
             hz 15\n\
             \n\
             \x20 # an indented comment\n\
             timeout 300\n\
             databases 4\n\
             proto-max-bulk-len \"2mb\"\n",
        )
        .args(&["--timeout", "100"])
        .start();
    let mut c = srv.client();
    assert_eq!(
        run(&mut c, "CONFIG GET maxmemory"),
        bulks(&["maxmemory", "5242880"])
    );
    assert_eq!(run(&mut c, "CONFIG GET hz"), bulks(&["hz", "15"]));
    assert_eq!(
        run(&mut c, "CONFIG GET timeout"),
        bulks(&["timeout", "100"])
    );
    assert_eq!(
        run(&mut c, "CONFIG GET proto-max-bulk-len"),
        bulks(&["proto-max-bulk-len", "2097152"])
    );
    assert_eq!(
        run(&mut c, "CONFIG GET databases"),
        bulks(&["databases", "4"])
    );
    assert_eq!(run(&mut c, "SELECT 3"), ok());
    assert_eq!(run(&mut c, "SELECT 4"), err("ERR DB index is out of range"));
    let config_file = srv.dir().join("server.conf");
    let server = info_section(&mut c, "server");
    assert_eq!(server["config_file"], config_file.to_str().unwrap());
}

#[test]
fn an_unknown_directive_is_fatal_and_named() {
    let mut srv = TestServer::builder()
        .config("hz 15\nno-such-directive yes\n")
        .spawn();
    let log = expect_exit_1(&mut srv);
    assert!(log.contains("line 2"), "the line number is missing:\n{log}");
    assert!(
        log.contains("no-such-directive yes"),
        "the directive is missing:\n{log}"
    );
    if !srv.is_redis() {
        // Redis does not print the file's name; Tessera does.
        let path = srv.dir().join("server.conf");
        assert!(
            log.contains(path.to_str().unwrap()),
            "the file name is missing:\n{log}"
        );
    }
}

#[test]
fn a_bad_argument_is_fatal() {
    let mut srv = TestServer::builder().config("hz notanumber\n").spawn();
    let log = expect_exit_1(&mut srv);
    assert!(log.contains("line 1"), "{log}");
    assert!(log.contains("hz notanumber"), "{log}");
    assert!(
        log.contains("argument couldn't be parsed into an integer"),
        "{log}"
    );

    let mut srv = TestServer::builder().config("hz 10\nmaxmemory\n").spawn();
    let log = expect_exit_1(&mut srv);
    assert!(log.contains("line 2"), "{log}");
    assert!(log.contains("wrong number of arguments"), "{log}");
}

#[test]
fn an_unknown_command_line_directive_is_fatal() {
    let mut srv = TestServer::builder()
        .args(&["--no-such-directive", "x"])
        .spawn();
    let log = expect_exit_1(&mut srv);
    assert!(log.contains("no-such-directive"), "{log}");
}

#[test]
fn config_rewrite_updates_the_file_in_place() {
    let srv = TestServer::builder()
        .config("# keep this comment\nmaxmemory 1mb\nhz 15\n")
        .start();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "CONFIG SET maxmemory 2mb"), ok());
    assert_eq!(run(&mut c, "CONFIG SET hz 25"), ok());
    assert_eq!(run(&mut c, "CONFIG SET timeout 60"), ok());
    assert_eq!(run(&mut c, "CONFIG REWRITE"), ok());
    let path = srv.dir().join("server.conf");
    let text = fs::read_to_string(&path).expect("read the rewritten config");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"# keep this comment"), "{text}");
    assert!(lines.contains(&"maxmemory 2mb"), "{text}");
    assert!(lines.contains(&"hz 25"), "{text}");
    assert!(lines.contains(&"timeout 60"), "{text}");
    assert!(
        !lines.contains(&"maxmemory 1mb") && !lines.contains(&"hz 15"),
        "{text}"
    );
    // The first directive keeps its place, just after the comment.
    assert_eq!(lines[1], "maxmemory 2mb", "{text}");

    // A new server started from the rewritten file has the new values.
    let again = TestServer::builder().config(&text).start();
    let mut c2 = again.client();
    assert_eq!(
        run(&mut c2, "CONFIG GET maxmemory"),
        bulks(&["maxmemory", "2097152"])
    );
    assert_eq!(run(&mut c2, "CONFIG GET hz"), bulks(&["hz", "25"]));
    assert_eq!(
        run(&mut c2, "CONFIG GET timeout"),
        bulks(&["timeout", "60"])
    );
}

#[test]
fn two_daemons_write_their_pidfiles_and_are_killed_by_pid() {
    let mut pids = Vec::new();
    {
        let mut servers = Vec::new();
        for _ in 0..2 {
            let b = TestServer::builder();
            let pidfile = b.dir().join("server.pid");
            let logfile = b.dir().join("server.log");
            let config = format!(
                "daemonize yes\npidfile {}\nlogfile {}\n",
                pidfile.display(),
                logfile.display()
            );
            let srv = b.config(&config).daemonized(&pidfile, &logfile).start();
            servers.push((srv, pidfile, logfile));
        }
        for (srv, pidfile, logfile) in &servers {
            let pid = srv.pid().expect("the daemon's pid");
            assert_eq!(fs::read_to_string(pidfile).unwrap().trim(), pid.to_string());
            assert!(logfile.exists(), "no logfile at {}", logfile.display());
            let mut c = srv.client();
            assert_eq!(run(&mut c, "PING"), status("PONG"));
            assert_eq!(
                info_field(&mut c, "server", "process_id"),
                Some(pid.to_string())
            );
            assert_eq!(
                info_field(&mut c, "server", "tcp_port"),
                Some(srv.port().to_string())
            );
            pids.push(pid);
        }
        assert_ne!(pids[0], pids[1]);
        assert_ne!(servers[0].0.port(), servers[1].0.port());
    }
    // Dropping the guards stopped both daemons.
    for pid in pids {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.trim_start().chars().next());
        assert!(
            matches!(state, None | Some(Some('Z'))),
            "daemon {pid} still runs: {stat}"
        );
    }
}
