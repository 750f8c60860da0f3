//! The `TestServer` guard: one server process on a free loopback port, in its own temp dir.
//!
//! Owns: the process it started (or, for `daemonize yes`, the pid its pidfile names) and the
//! temp dir. Dropping the guard sends SIGTERM, waits a short grace, then sends SIGKILL.

use std::collections::HashSet;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::thread::sleep;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::raw::RawConn;
use super::reply::{ok, run_args};

/// How long a server may take to answer its first PING.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a stopped server gets between SIGTERM and SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(2);
/// Read and write timeout of every client the harness hands out.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Starts retried when the chosen port turned out to be taken.
const PORT_ATTEMPTS: usize = 5;
/// Shards a Tessera test server runs unless the test asks otherwise: two, so that multi-key
/// commands cross shards.
const DEFAULT_THREADS: usize = 2;

/// Which server binary the tests run against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The `tessera-server` binary built from this package.
    Tessera,
    /// Stock `redis-server` from `PATH`.
    Redis,
}

/// The target chosen by `TESSERA_TEST_TARGET`: `redis` selects stock Redis, anything else Tessera.
pub fn target() -> Target {
    match std::env::var("TESSERA_TEST_TARGET") {
        Ok(v) if v.eq_ignore_ascii_case("redis") => Target::Redis,
        _ => Target::Tessera,
    }
}

/// Describes a server to start: target, shard count, arguments, config file.
///
/// The temp dir exists from the moment the builder does, so a test can put paths inside it
/// (a pidfile, a logfile) into the config text before starting.
pub struct ServerBuilder {
    target: Target,
    dir: TempDir,
    threads: usize,
    args: Vec<String>,
    tessera_args: Vec<String>,
    config: Option<String>,
    daemon: Option<(PathBuf, PathBuf)>,
    port: Option<u16>,
}

impl ServerBuilder {
    fn new(target: Target) -> ServerBuilder {
        ServerBuilder {
            target,
            dir: tempfile::Builder::new()
                .prefix("tessera-test-")
                .tempdir()
                .expect("create the server's temp dir"),
            threads: DEFAULT_THREADS,
            args: Vec::new(),
            tessera_args: Vec::new(),
            config: None,
            daemon: None,
            port: None,
        }
    }

    /// The temp dir the server will run in (its `dir`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs Tessera with `n` shards. Stock Redis ignores it.
    pub fn threads(mut self, n: usize) -> ServerBuilder {
        self.threads = n;
        self
    }

    /// Adds command-line directives both servers understand, e.g. `["--hz", "100"]`.
    pub fn args(mut self, args: &[&str]) -> ServerBuilder {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Adds command-line directives only Tessera has. Stock Redis never sees them.
    pub fn tessera_args(mut self, args: &[&str]) -> ServerBuilder {
        self.tessera_args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Writes `text` to `server.conf` in the temp dir and passes that file as the first
    /// argument, the way `redis-server /path/redis.conf --port ...` is started.
    pub fn config(mut self, text: &str) -> ServerBuilder {
        self.config = Some(text.to_string());
        self
    }

    /// The path the config file will have.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("server.conf")
    }

    /// Declares that the config daemonizes the server: the launched process exits at once, and
    /// the server's pid is read from `pidfile`. Its log goes to `logfile`.
    pub fn daemonized(mut self, pidfile: &Path, logfile: &Path) -> ServerBuilder {
        self.daemon = Some((pidfile.to_path_buf(), logfile.to_path_buf()));
        self
    }

    /// Uses this port instead of picking a free one (the test already reserved it).
    pub fn port(mut self, port: u16) -> ServerBuilder {
        self.port = Some(port);
        self
    }

    /// Starts the server and waits until it answers PING. Panics, with the server's log, if it
    /// exits or stays silent for 10 seconds. A port taken meanwhile by someone else is retried
    /// with a fresh one.
    pub fn start(self) -> TestServer {
        let fixed_port = self.port;
        let mut last_failure = String::new();
        let mut server = TestServer::from_builder(self);
        for _ in 0..PORT_ATTEMPTS {
            server.port = fixed_port.unwrap_or_else(free_port);
            server.launch();
            match server.wait_ready() {
                Ok(()) => return server,
                Err(failure) => {
                    let conflict = failure.port_taken;
                    last_failure = failure.message;
                    server.stop();
                    if !conflict || fixed_port.is_some() {
                        break;
                    }
                }
            }
        }
        panic!("{last_failure}");
    }

    /// Starts the server without waiting for it, for tests that expect it to exit, e.g. on a
    /// bad config file. See `TestServer::wait_exit`.
    pub fn spawn(self) -> TestServer {
        let mut server = TestServer::from_builder(self);
        server.port = server.port_wanted.unwrap_or_else(free_port);
        server.launch();
        server
    }
}

/// A running server, stopped by pid when dropped.
///
/// The process is started with a parent-death signal, so it also dies if the test binary is
/// killed. That signal follows the spawning thread: start and drop a server on the same thread.
pub struct TestServer {
    target: Target,
    dir: TempDir,
    /// The port the server listens on.
    port: u16,
    port_wanted: Option<u16>,
    threads: usize,
    args: Vec<String>,
    tessera_args: Vec<String>,
    config: Option<String>,
    daemon: Option<(PathBuf, PathBuf)>,
    child: Option<Child>,
    /// The pid of the server proper (for a daemon, the one in its pidfile).
    pid: Option<u32>,
    exit: Option<ExitStatus>,
    launches: usize,
}

struct StartFailure {
    message: String,
    port_taken: bool,
}

impl TestServer {
    /// A builder for the server `TESSERA_TEST_TARGET` selects.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::new(target())
    }

    /// A builder for stock `redis-server`, whatever the target is (for interop tests).
    pub fn redis_builder() -> ServerBuilder {
        ServerBuilder::new(Target::Redis)
    }

    /// Starts the selected server with default settings.
    pub fn start() -> TestServer {
        TestServer::builder().start()
    }

    /// Starts stock `redis-server` with default settings.
    pub fn start_redis() -> TestServer {
        TestServer::redis_builder().start()
    }

    fn from_builder(b: ServerBuilder) -> TestServer {
        TestServer {
            target: b.target,
            dir: b.dir,
            port: 0,
            port_wanted: b.port,
            threads: b.threads,
            args: b.args,
            tessera_args: b.tessera_args,
            config: b.config,
            daemon: b.daemon,
            child: None,
            pid: None,
            exit: None,
            launches: 0,
        }
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's temp dir, which is also its `dir`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's pid, if it is known (a daemon's pid is known once its pidfile appears).
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Which binary this guard runs.
    pub fn target(&self) -> Target {
        self.target
    }

    /// True when this guard runs stock Redis.
    pub fn is_redis(&self) -> bool {
        self.target == Target::Redis
    }

    /// Opens a RESP2 `redis::Connection` with 10 s read and write timeouts.
    pub fn client(&self) -> redis::Connection {
        let client =
            redis::Client::open(("127.0.0.1", self.port)).expect("build the client address");
        let conn = client
            .get_connection_with_timeout(CLIENT_TIMEOUT)
            .unwrap_or_else(|e| panic!("connect to port {}: {e}\n{}", self.port, self.log()));
        conn.set_read_timeout(Some(CLIENT_TIMEOUT))
            .expect("set the read timeout");
        conn.set_write_timeout(Some(CLIENT_TIMEOUT))
            .expect("set the write timeout");
        conn
    }

    /// Opens a raw socket to the server, for tests that check the bytes on the wire.
    pub fn raw(&self) -> RawConn {
        RawConn::connect(self.port)
    }

    /// Everything the server wrote to stdout, stderr and (for a daemon) its logfile.
    pub fn log(&self) -> String {
        let mut out = String::new();
        let mut files = vec![self.stdout_path(), self.stderr_path()];
        if let Some((_, logfile)) = &self.daemon {
            files.push(logfile.clone());
        }
        for f in files {
            if let Ok(text) = fs::read(&f) {
                out.push_str(&format!("--- {} ---\n", f.display()));
                out.push_str(&String::from_utf8_lossy(&text));
                out.push('\n');
            }
        }
        out
    }

    /// Waits up to `timeout` for the launched process to exit and returns its status, or None
    /// if it is still running. For a daemon this is the launcher, which exits at once.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        if self.exit.is_some() {
            return self.exit;
        }
        let child = self.child.as_mut()?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().expect("poll the server process") {
                self.exit = Some(status);
                return self.exit;
            }
            if Instant::now() >= deadline {
                return None;
            }
            sleep(Duration::from_millis(20));
        }
    }

    /// Waits up to `timeout` for the server (by pid, daemon or not) to be gone.
    pub fn wait_gone(&mut self, timeout: Duration) -> bool {
        if self.daemon.is_none() {
            return self.wait_exit(timeout).is_some();
        }
        match self.pid {
            Some(pid) => wait_pid_gone(pid, timeout),
            None => true,
        }
    }

    /// Starts the server again on the same port, in the same dir, once the previous process has
    /// exited (after SHUTDOWN, say): a restart that loads what the server saved. Panics if the
    /// old process is still running after 10 seconds or the new one does not start.
    pub fn restart(&mut self) {
        assert!(
            self.wait_gone(START_TIMEOUT),
            "the server on port {} did not exit",
            self.port
        );
        self.stop();
        self.launch();
        if let Err(failure) = self.wait_ready() {
            panic!("{}", failure.message);
        }
    }

    fn stdout_path(&self) -> PathBuf {
        self.dir
            .path()
            .join(format!("server.{}.stdout", self.launches))
    }

    fn stderr_path(&self) -> PathBuf {
        self.dir
            .path()
            .join(format!("server.{}.stderr", self.launches))
    }

    /// The command line for the current port.
    fn command(&self) -> Command {
        let dir = self
            .dir
            .path()
            .to_str()
            .expect("temp dir path is UTF-8")
            .to_string();
        let port = self.port.to_string();
        let mut cmd = match self.target {
            Target::Tessera => Command::new(env!("CARGO_BIN_EXE_tessera-server")),
            Target::Redis => Command::new("redis-server"),
        };
        if let Some(text) = &self.config {
            let path = self.dir.path().join("server.conf");
            fs::write(&path, text).expect("write the config file");
            cmd.arg(&path);
        }
        cmd.args([
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--dir",
            &dir,
            "--save",
            "",
        ]);
        match self.target {
            Target::Tessera => {
                cmd.args(["--threads", &self.threads.to_string()]);
                cmd.args(&self.args);
                cmd.args(&self.tessera_args);
            }
            Target::Redis => {
                cmd.args(["--appendonly", "no"]);
                cmd.args(without_tessera_only(&self.args));
            }
        }
        cmd.current_dir(self.dir.path());
        cmd
    }

    fn launch(&mut self) {
        self.launches += 1;
        self.exit = None;
        self.pid = None;
        let mut cmd = self.command();
        let stdout = fs::File::create(self.stdout_path()).expect("create the stdout log");
        let stderr = fs::File::create(self.stderr_path()).expect("create the stderr log");
        cmd.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
        // SAFETY: the closure runs in the forked child before exec and only makes one
        // async-signal-safe system call; it allocates nothing and takes no lock.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("start {:?}: {e}", cmd.get_program()));
        if self.daemon.is_none() {
            self.pid = Some(child.id());
        }
        self.child = Some(child);
    }

    fn wait_ready(&mut self) -> Result<(), StartFailure> {
        let deadline = Instant::now() + START_TIMEOUT;
        if let Some((pidfile, _)) = self.daemon.clone() {
            // The launcher forks the daemon and exits with 0; then the pidfile names the daemon.
            match self.wait_exit(START_TIMEOUT) {
                Some(status) if status.success() => {}
                other => return Err(self.failure(&format!("launcher ended with {other:?}"))),
            }
            loop {
                if let Some(pid) = read_pidfile(&pidfile) {
                    self.pid = Some(pid);
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(self.failure("no pidfile appeared"));
                }
                sleep(Duration::from_millis(20));
            }
        }
        loop {
            if self.daemon.is_none() {
                if let Some(status) = self.wait_exit(Duration::ZERO) {
                    return Err(self.failure(&format!("server exited with {status}")));
                }
            } else if let Some(pid) = self.pid {
                if !pid_alive(pid) {
                    return Err(self.failure("daemon exited"));
                }
            }
            match ping(self.port) {
                Ping::Pong => return self.check_owner(),
                Ping::Other(reply) if !reply.starts_with("-LOADING") => {
                    return Err(self.failure(&format!("PING answered {reply:?}")));
                }
                Ping::Other(_) | Ping::NoAnswer => {}
            }
            if Instant::now() >= deadline {
                return Err(self.failure("no PONG within 10 s"));
            }
            sleep(Duration::from_millis(20));
        }
    }

    /// Confirms that the server answering on the port is ours and not another test's that won
    /// a race for the same port: INFO's `process_id`, when present, must be our pid.
    fn check_owner(&mut self) -> Result<(), StartFailure> {
        let Some(pid) = self.pid else { return Ok(()) };
        let Some(info) = info_server(self.port) else {
            return Ok(());
        };
        let owner = info
            .lines()
            .find_map(|l| l.strip_prefix("process_id:"))
            .and_then(|v| v.trim().parse::<u32>().ok());
        match owner {
            Some(owner) if owner != pid => Err(StartFailure {
                message: format!("port {} is served by pid {owner}, not {pid}", self.port),
                port_taken: true,
            }),
            _ => Ok(()),
        }
    }

    fn failure(&self, what: &str) -> StartFailure {
        let log = self.log();
        let lower = log.to_ascii_lowercase();
        StartFailure {
            port_taken: lower.contains("address already in use") || lower.contains("addrinuse"),
            message: format!(
                "{:?} server on port {} did not start: {what}\n{log}",
                self.target, self.port
            ),
        }
    }

    /// Stops the server: SIGTERM, a short grace, then SIGKILL; reaps the launched process.
    fn stop(&mut self) {
        if let Some(pid) = self.pid.take() {
            let is_child = self.child.as_ref().map(|c| c.id()) == Some(pid);
            if is_child {
                let child = self.child.as_mut().expect("child present");
                if self.exit.is_none() && child.try_wait().ok().flatten().is_none() {
                    signal(pid, libc::SIGTERM);
                    let deadline = Instant::now() + TERM_GRACE;
                    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                        sleep(Duration::from_millis(10));
                    }
                    let _ = child.kill();
                }
            } else if pid_alive(pid) {
                signal(pid, libc::SIGTERM);
                if !wait_pid_gone(pid, TERM_GRACE) {
                    signal(pid, libc::SIGKILL);
                    wait_pid_gone(pid, TERM_GRACE);
                }
            }
        }
        if let Some(mut child) = self.child.take() {
            if child.try_wait().ok().flatten().is_none() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if self.pid.is_none() {
            // A daemon that never reported its pid may still have written its pidfile.
            if let Some((pidfile, _)) = &self.daemon {
                self.pid = read_pidfile(pidfile);
            }
        }
        self.stop();
    }
}

/// A loopback port nobody listens on right now, never handed out twice by this process.
fn free_port() -> u16 {
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
        let port = listener.local_addr().expect("local address").port();
        drop(listener);
        let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
        if given.get_or_insert_with(HashSet::new).insert(port) {
            return port;
        }
    }
}

/// Makes `replica` a replica of `master` (REPLICAOF on loopback).
pub fn follow(replica: &TestServer, master: &TestServer) {
    let port = master.port().to_string();
    let reply = run_args(&mut replica.client(), &["REPLICAOF", "127.0.0.1", &port]);
    assert_eq!(reply, ok());
}

/// Reserves a free loopback port for a server the test starts itself.
pub fn reserve_port() -> u16 {
    free_port()
}

/// What a PING on a fresh connection got within a second.
enum Ping {
    /// `+PONG`: the server is up.
    Pong,
    /// Some other reply line, e.g. `-LOADING ...` while a snapshot loads.
    Other(String),
    /// No connection, or no full reply line.
    NoAnswer,
}

fn ping(port: u16) -> Ping {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return Ping::NoAnswer;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if s.write_all(b"*1\r\n$4\r\nPING\r\n").is_err() {
        return Ping::NoAnswer;
    }
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") && line.len() < 4096 {
        match s.read(&mut byte) {
            Ok(1) => line.push(byte[0]),
            _ => return Ping::NoAnswer,
        }
    }
    if line == b"+PONG\r\n" {
        Ping::Pong
    } else {
        Ping::Other(String::from_utf8_lossy(&line).trim_end().to_string())
    }
}

/// The text of INFO server, read over a plain socket; None if the reply is not a bulk string.
fn info_server(port: u16) -> Option<String> {
    let mut conn = RawConn::connect(port);
    conn.send(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n");
    let frame = conn.read_frame();
    if frame.first() != Some(&b'$') {
        return None;
    }
    let start = frame.iter().position(|&b| b == b'\n')? + 1;
    Some(String::from_utf8_lossy(&frame[start..]).into_owned())
}

/// `args` minus the directives stock Redis does not know (`--threads N`), for a test that
/// passed them with `args` rather than `tessera_args`.
fn without_tessera_only(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--threads" {
            it.next();
        } else {
            out.push(a.clone());
        }
    }
    out
}

fn read_pidfile(path: &Path) -> Option<u32> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) has no memory-safety preconditions; a stale pid only yields ESRCH.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

/// True while `pid` names a process that is not a zombie.
fn pid_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name: "pid (comm) S ...".
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
            .unwrap_or(false),
        Err(_) => false,
    }
}

fn wait_pid_gone(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while pid_alive(pid) {
        if Instant::now() >= deadline {
            return false;
        }
        sleep(Duration::from_millis(10));
    }
    true
}
