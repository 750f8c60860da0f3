//! Start-up under the locked-memory limit: glommio's rings need locked memory, so the server
//! raises RLIMIT_MEMLOCK itself where it may, and says clearly what to do where it may not.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::reserve_port;

const BIN: &str = env!("CARGO_BIN_EXE_tessera-server");

/// Kills the child by pid when the test ends, passed or not.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc_geteuid() == 0 }
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

fn ping(port: u16, deadline: Duration) -> bool {
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        if let Ok(client) = redis::Client::open(format!("redis://127.0.0.1:{port}/")) {
            if let Ok(mut c) = client.get_connection() {
                if redis::cmd("PING").query::<String>(&mut c).is_ok() {
                    return true;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn max_locked_memory(pid: u32) -> String {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    limits
        .lines()
        .find(|l| l.starts_with("Max locked memory"))
        .unwrap()
        .to_string()
}

#[test]
fn starts_under_a_soft_limit_below_the_default_and_raises_it() {
    let port = reserve_port();
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "ulimit -S -l 1024 && exec {BIN} --port {port} --bind 127.0.0.1 --threads 2 --save '' --dir {}",
        dir.path().display()
    );
    let child = Command::new("bash")
        .arg("-c")
        .arg(script)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = Guard(child);
    assert!(
        ping(port, Duration::from_secs(10)),
        "server did not answer PING"
    );
    // The soft limit was raised as far as this process may: to the hard limit, or to
    // unlimited where it holds CAP_SYS_RESOURCE.
    let line = max_locked_memory(guard.0.id());
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        fields[3], fields[4],
        "soft limit raised to the hard one: {line}"
    );
}

#[test]
fn a_limit_it_may_not_raise_is_refused_with_a_clear_message() {
    if !is_root() || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: needs root and setpriv to run the server as an unprivileged user");
        return;
    }
    // The unprivileged user may not reach the build directory (a checkout under a private
    // directory), so it runs a copy from a directory it can enter.
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("tessera-startup")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.path().join("tessera-server");
    std::fs::copy(BIN, &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let port = reserve_port();
    let script = format!(
        "ulimit -S -l 64 && ulimit -H -l 64 && exec {} --port {port} --bind 127.0.0.1 --threads 2 --save '' --dir /tmp",
        bin.display()
    );
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "bash",
            "-c",
            &script,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("locked-memory limit is 65536 bytes"),
        "{text}"
    );
    assert!(
        text.contains("ulimit -l"),
        "the message says how to fix it: {text}"
    );
}
