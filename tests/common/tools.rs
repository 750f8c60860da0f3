//! The stock command-line tools (`redis-cli`, `redis-benchmark`), run with a deadline.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::server::TestServer;

/// What a finished tool printed and how it exited.
#[derive(Debug)]
pub struct ToolOutput {
    /// Exit status.
    pub status: ExitStatus,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

/// Runs `program args` to completion and collects its output; kills it and panics after
/// `timeout`.
pub fn run_tool(program: &str, args: &[&str], timeout: Duration) -> ToolOutput {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {program}: {e}"));
    // Drain both pipes on their own threads so a chatty tool never blocks on a full pipe.
    let mut out = child.stdout.take().expect("stdout pipe");
    let mut errs = child.stderr.take().expect("stderr pipe");
    let out_reader = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_reader = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = errs.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the tool") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} {args:?} did not finish within {timeout:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    ToolOutput {
        status,
        stdout: String::from_utf8_lossy(&out_reader.join().expect("stdout reader")).into_owned(),
        stderr: String::from_utf8_lossy(&err_reader.join().expect("stderr reader")).into_owned(),
    }
}

/// Runs `redis-cli -h 127.0.0.1 -p PORT args...` and returns its stdout. Panics if it fails.
pub fn cli(srv: &TestServer, args: &[&str]) -> String {
    let port = srv.port().to_string();
    let mut full = vec!["-h", "127.0.0.1", "-p", &port];
    full.extend_from_slice(args);
    let out = run_tool("redis-cli", &full, Duration::from_secs(10));
    assert!(out.status.success(), "redis-cli {args:?} failed: {out:?}");
    out.stdout
}

/// Runs `redis-benchmark -h 127.0.0.1 -p PORT args...` with a two-minute deadline.
pub fn benchmark(srv: &TestServer, args: &[&str]) -> ToolOutput {
    let port = srv.port().to_string();
    let mut full = vec!["-h", "127.0.0.1", "-p", &port];
    full.extend_from_slice(args);
    run_tool("redis-benchmark", &full, Duration::from_secs(120))
}
