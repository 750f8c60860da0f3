//! Process-level setup done once, before any executor starts: the locked-memory limit,
//! daemonizing, the pid file, and logging.
//!
//! Owns: the calls into the OS that affect the whole process (including transparent huge
//! pages, off by default as in Redis). Must run on the main thread
//! before other threads exist: `daemonize` forks, and a fork keeps only the calling thread.
//! Order in the binary: load the config, `daemonize` if asked, `init_logging`,
//! `raise_memlock_limit`, `write_pidfile`, start the executors; `remove_pidfile` at exit.

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{reload, Registry};

/// Raises the locked-memory limit (`ulimit -l`) so the executors can lock their io_uring
/// rings. As root both limits go to unlimited; otherwise the soft limit goes up to the hard
/// one. Fails, saying how to fix it, when the limit still ends below `needed_bytes`.
pub fn raise_memlock_limit(needed_bytes: u64) -> Result<(), String> {
    let before = get_memlock()?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let unlimited = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    if !(root && set_memlock(&unlimited).is_ok()) && before.rlim_cur < before.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: before.rlim_max,
            rlim_max: before.rlim_max,
        };
        set_memlock(&raised)?;
    }
    let now = get_memlock()?;
    if now.rlim_cur != libc::RLIM_INFINITY && now.rlim_cur < needed_bytes {
        return Err(format!(
            "the locked-memory limit is {} bytes but the executors need {needed_bytes}: raise it \
             with `ulimit -l unlimited` (or LimitMEMLOCK=infinity in a systemd unit, \
             --ulimit memlock=-1 for docker), or start fewer threads",
            now.rlim_cur
        ));
    }
    Ok(())
}

fn get_memlock() -> Result<libc::rlimit, String> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut lim) } != 0 {
        return Err(format!(
            "can't read the locked-memory limit: {}",
            io::Error::last_os_error()
        ));
    }
    Ok(lim)
}

fn set_memlock(lim: &libc::rlimit) -> Result<(), String> {
    // SAFETY: `lim` points to a valid rlimit for the duration of the call.
    if unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, lim) } != 0 {
        return Err(format!(
            "can't raise the locked-memory limit: {}",
            io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// Detaches from the terminal, as redis-server's `daemonize yes` does: forks (the parent exits
/// at once with status 0), starts a new session, and points stdin, stdout and stderr at
/// /dev/null. The working directory is kept.
///
/// Precondition: no other thread runs yet.
pub fn daemonize() -> Result<(), String> {
    // Anything still buffered would otherwise be written twice, once by each process.
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    // SAFETY: the process is single-threaded (the documented precondition), so the child is a
    // complete copy with no lock held by a thread that does not exist in it.
    match unsafe { libc::fork() } {
        -1 => return Err(format!("fork failed: {}", io::Error::last_os_error())),
        0 => {}
        // SAFETY: _exit ends the parent without running destructors or atexit handlers that
        // belong to the child now.
        _ => unsafe { libc::_exit(0) },
    }
    // SAFETY: setsid has no memory-safety preconditions; the child is not a group leader.
    if unsafe { libc::setsid() } == -1 {
        return Err(format!("setsid failed: {}", io::Error::last_os_error()));
    }
    let null = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .map_err(|e| format!("can't open /dev/null: {e}"))?;
    use std::os::fd::AsRawFd;
    for fd in 0..=2 {
        // SAFETY: both descriptors are open; dup2 only replaces `fd`.
        if unsafe { libc::dup2(null.as_raw_fd(), fd) } == -1 {
            return Err(format!(
                "can't redirect fd {fd}: {}",
                io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

/// Turns transparent huge pages off for this process (`disable-thp yes`, the default), as Redis
/// does: with huge pages, a write during a snapshot copies 2 MiB instead of 4 KiB, and a fork
/// must copy at once every huge page io_uring holds pinned. Best effort: an old kernel without
/// the call keeps its setting.
pub fn disable_transparent_huge_pages() {
    // SAFETY: prctl with integer arguments only; it sets a flag on this process's memory map.
    let r = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    if r != 0 {
        tracing::debug!(error = %io::Error::last_os_error(), "cannot disable transparent huge pages");
    }
}

/// Writes this process's id, followed by a newline, to `path`, replacing what was there.
pub fn write_pidfile(path: &Path) -> Result<(), String> {
    fs::write(path, format!("{}\n", std::process::id()))
        .map_err(|e| format!("Failed to write PID file {}: {e}", path.display()))
}

/// Removes the pid file at exit. A file already gone is fine.
pub fn remove_pidfile(path: &Path) {
    let _ = fs::remove_file(path);
}

static LEVEL: OnceLock<reload::Handle<LevelFilter, Registry>> = OnceLock::new();

/// Installs the process-wide logger: to standard output when `logfile` is "", else appended to
/// that file. `loglevel` is a Redis level: debug and verbose log DEBUG, notice INFO, warning
/// WARN, nothing turns logging off. Can be called once; `set_log_level` changes the level later.
pub fn init_logging(logfile: &str, loglevel: &str) -> Result<(), String> {
    let level = level_filter(loglevel)?;
    let (writer, ansi) = if logfile.is_empty() {
        (
            BoxMakeWriter::new(io::stdout),
            io::IsTerminal::is_terminal(&io::stdout()),
        )
    } else {
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logfile)
            .map_err(|e| format!("Can't open the log file {logfile}: {e}"))?;
        (BoxMakeWriter::new(Mutex::new(file)), false)
    };
    let (filter, handle) = reload::Layer::new(level);
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(ansi)
                .with_thread_names(true),
        )
        .try_init()
        .map_err(|e| format!("can't install the logger: {e}"))?;
    let _ = LEVEL.set(handle);
    Ok(())
}

/// Changes the log level of the logger `init_logging` installed (CONFIG SET loglevel).
pub fn set_log_level(loglevel: &str) -> Result<(), String> {
    let level = level_filter(loglevel)?;
    let handle = LEVEL.get().ok_or("logging is not initialized")?;
    handle.modify(|f| *f = level).map_err(|e| e.to_string())
}

/// The tracing level of a Redis log level.
fn level_filter(loglevel: &str) -> Result<LevelFilter, String> {
    match loglevel.to_ascii_lowercase().as_str() {
        "debug" | "verbose" => Ok(LevelFilter::DEBUG),
        "notice" => Ok(LevelFilter::INFO),
        "warning" => Ok(LevelFilter::WARN),
        "nothing" => Ok(LevelFilter::OFF),
        other => Err(format!("unknown log level '{other}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_levels_map_to_tracing_levels() {
        assert_eq!(level_filter("debug"), Ok(LevelFilter::DEBUG));
        assert_eq!(level_filter("verbose"), Ok(LevelFilter::DEBUG));
        assert_eq!(level_filter("NOTICE"), Ok(LevelFilter::INFO));
        assert_eq!(level_filter("warning"), Ok(LevelFilter::WARN));
        assert_eq!(level_filter("nothing"), Ok(LevelFilter::OFF));
        assert!(level_filter("loud").is_err());
    }

    #[test]
    fn pidfile_holds_our_pid_and_is_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("t.pid");
        write_pidfile(&p).unwrap();
        assert_eq!(
            fs::read_to_string(&p).unwrap(),
            format!("{}\n", std::process::id())
        );
        remove_pidfile(&p);
        assert!(!p.exists());
        remove_pidfile(&p);
    }

    #[test]
    fn pidfile_in_a_missing_directory_is_an_error() {
        assert!(write_pidfile(Path::new("/no/such/dir/t.pid")).is_err());
    }

    #[test]
    fn memlock_needs_within_the_limit_succeed_and_beyond_it_explain() {
        raise_memlock_limit(0).unwrap();
        let now = get_memlock().unwrap();
        if now.rlim_cur == libc::RLIM_INFINITY {
            raise_memlock_limit(u64::MAX).unwrap();
        } else {
            let e = raise_memlock_limit(u64::MAX).unwrap_err();
            assert!(e.contains("ulimit -l"), "{e}");
        }
    }

    #[test]
    fn logging_appends_to_the_file_and_follows_level_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("t.log");
        init_logging(log.to_str().unwrap(), "warning").unwrap();
        tracing::info!("hidden-at-warning");
        tracing::warn!("shown-at-warning");
        set_log_level("debug").unwrap();
        tracing::debug!("shown-at-debug");
        let text = fs::read_to_string(&log).unwrap();
        assert!(!text.contains("hidden-at-warning"));
        assert!(text.contains("shown-at-warning"));
        assert!(text.contains("shown-at-debug"));
        assert!(init_logging("", "notice").is_err());
    }
}
