//! The snapshot child: what runs after `fork()` returns 0, until `_exit`.
//!
//! Owns: the child's whole life. It pins itself to the snapshot CPU, closes the descriptors it
//! inherited and does not use, reads every shard's keyspace from its copy-on-write image, writes
//! the RDB (to a temp file with direct I/O, then fdatasync and rename; or to a descriptor),
//! reports progress and its copy-on-write size through the shared `ChildReport`, and leaves
//! with `_exit(0)` on success, `_exit(1)` on error.
//!
//! The child is single-threaded: `fork` copied only the thread that called it. So it must not
//! touch anything another thread might have held locked at the fork: no logging (the logger
//! locks its output), no configuration lock (settings come in `ChildJob`), no mailbox, no
//! executor, no io_uring ring (shared with the parent), and it runs no destructor on the way out
//! (`_exit`, not `exit`). Allocation is left to the child's own thread heap (mimalloc keeps one
//! per thread), and the large write buffer is allocated before the fork.

use std::cell::{Ref, RefCell};
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::direct_io::{publish, AlignedBuf, DirectFile, FdSink};
use super::report::ChildReport;
use super::serialize::{write_keyspaces, Progress};
use super::settings::temp_path;
use crate::rdb::{AuxFields, RdbWriter, WriteOptions};
use crate::storage::keyspace::Keyspace;

/// How often the child measures its copy-on-write size.
const COW_EVERY: Duration = Duration::from_secs(1);

/// Where the child writes.
pub(crate) enum ChildSink {
    /// The snapshot file: written to a temp file beside it, then renamed over it.
    File { path: PathBuf, buf: AlignedBuf },
    /// A descriptor, framed by `prefix` and `suffix`.
    Fd {
        fd: OwnedFd,
        prefix: Vec<u8>,
        suffix: Vec<u8>,
    },
}

/// Everything the child needs, prepared by the parent before the fork.
pub(crate) struct ChildJob<'a> {
    /// Every shard's keyspace, in shard order (from `runtime::keyspace_registry`).
    pub keyspaces: Vec<*const RefCell<Keyspace>>,
    pub sink: ChildSink,
    pub options: WriteOptions,
    pub aux: AuxFields,
    pub key_delay: i32,
    pub report: &'a ChildReport,
    /// The CPU to pin to, if any.
    pub cpu: Option<usize>,
    /// The parent's pid: the child stops if it is orphaned.
    pub parent: libc::pid_t,
}

/// Runs the child. Never returns.
pub(crate) fn run(job: ChildJob<'_>) -> ! {
    // A panic must not reach the default hook, which locks standard error.
    std::panic::set_hook(Box::new(|_| {}));
    prepare_process(&job);
    let report = job.report;
    let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write_snapshot(job)))
    {
        Ok(Ok(())) => 0,
        Ok(Err(why)) => {
            report.set_error(&why);
            1
        }
        Err(_) => {
            report.set_error("the snapshot child panicked");
            1
        }
    };
    // SAFETY: ends the child without running destructors or atexit handlers, which belong to
    // the parent's threads and state.
    unsafe { libc::_exit(code) }
}

/// Closes every descriptor the child inherited but does not use (listening and client sockets,
/// io_uring rings, eventfds), keeping standard input, output and error and `keep`. A client
/// the parent disconnects is then really disconnected, and no port stays bound to the child.
fn close_inherited_fds(keep: Option<RawFd>) {
    let close_range = |first: u32, last: u32| {
        if first <= last {
            // SAFETY: close_range(2) only closes descriptors of this (single-threaded) process;
            // nothing in the child uses the ones in range.
            unsafe {
                libc::syscall(
                    libc::SYS_close_range,
                    first as libc::c_uint,
                    last as libc::c_uint,
                    0 as libc::c_uint,
                )
            };
        }
    };
    match keep {
        Some(fd) if fd >= 3 => {
            close_range(3, fd as u32 - 1);
            close_range(fd as u32 + 1, u32::MAX);
        }
        _ => close_range(3, u32::MAX),
    }
}

/// Names the process, ties its life to the parent's, pins it to its CPU, and drops the
/// descriptors it does not need.
fn prepare_process(job: &ChildJob<'_>) {
    let keep = match &job.sink {
        ChildSink::Fd { fd, .. } => Some(fd.as_raw_fd()),
        ChildSink::File { .. } => None,
    };
    close_inherited_fds(keep);
    // SAFETY: prctl with integer arguments and a static NUL-terminated name; no memory is
    // shared with other threads.
    unsafe {
        libc::prctl(
            libc::PR_SET_NAME,
            c"rdb-bgsave".as_ptr() as libc::c_ulong,
            0,
            0,
            0,
        );
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        );
        // Orphaned between the fork and the prctl: the death signal would never come.
        if libc::getppid() != job.parent {
            libc::_exit(1);
        }
    }
    if let Some(cpu) = job.cpu {
        pin_to(cpu);
    }
}

/// Pins the calling thread (the child's only one) to `cpu`; a failure leaves it where it was.
fn pin_to(cpu: usize) {
    if cpu >= libc::CPU_SETSIZE as usize {
        return;
    }
    // SAFETY: cpu_set_t is plain data, all-zero is the empty set; CPU_SET stays in bounds
    // (checked above); sched_setaffinity reads the set for the calling thread only.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// The child's copy-on-write size: its private dirty memory, as Redis measures it.
fn private_dirty_bytes() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/smaps_rollup") else {
        return 0;
    };
    text.lines()
        .filter_map(|l| l.strip_prefix("Private_Dirty:"))
        .filter_map(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

fn now_ms() -> u64 {
    crate::storage::clock::UnixMillis::now().0
}

fn write_snapshot(job: ChildJob<'_>) -> Result<(), String> {
    let shards: Vec<Ref<'_, Keyspace>> = job
        .keyspaces
        .iter()
        .map(|&p| {
            // SAFETY: the registry holds the address of every shard's keyspace, leaked for the
            // life of the process. In the child no other thread exists, and the image was taken
            // while every shard was held by the snapshot's transaction (so none was inside its
            // keyspace); the copy is therefore quiescent and only this thread reads it.
            let cell = unsafe { &*p };
            cell.try_borrow()
                .map_err(|_| "a shard's keyspace was in use at the fork".to_string())
        })
        .collect::<Result<_, _>>()?;
    let refs: Vec<&Keyspace> = shards.iter().map(|r| &**r).collect();
    let report = job.report;
    let mut last_cow = Instant::now();
    let mut tick = |keys: u64| {
        report.set_keys_processed(keys);
        if last_cow.elapsed() >= COW_EVERY {
            report.set_cow(private_dirty_bytes(), now_ms());
            last_cow = Instant::now();
        }
    };
    let mut progress = Progress::new(job.key_delay, &mut tick);
    match job.sink {
        ChildSink::File { path, buf } => {
            // SAFETY: getpid has no preconditions.
            let temp = temp_path(&path, unsafe { libc::getpid() } as u32);
            let file = DirectFile::create(&temp, buf).map_err(|e| {
                format!(
                    "Failed opening the temp RDB file {} for saving: {e}",
                    temp.display()
                )
            })?;
            let written = (|| -> std::io::Result<u64> {
                let mut rdb = RdbWriter::new(file, job.options, &job.aux)?;
                write_keyspaces(&mut rdb, &refs, &mut progress)?;
                let file = rdb.finish()?;
                let bytes = file.len();
                file.finish()?;
                Ok(bytes)
            })();
            let bytes = match written {
                Ok(b) => b,
                Err(e) => {
                    let _ = std::fs::remove_file(&temp);
                    return Err(format!("Write error saving DB on disk: {e}"));
                }
            };
            report.set_bytes_written(bytes);
            publish(&temp, &path).map_err(|e| {
                format!(
                    "Error moving temp DB file {} on the final destination {}: {e}",
                    temp.display(),
                    path.display()
                )
            })?;
        }
        ChildSink::Fd { fd, prefix, suffix } => {
            let mut sink = FdSink::new(fd);
            let r = (|| -> std::io::Result<u64> {
                sink.write_all(&prefix)?;
                let mut rdb = RdbWriter::new(&mut sink, job.options, &job.aux)?;
                write_keyspaces(&mut rdb, &refs, &mut progress)?;
                let bytes = rdb.bytes_written();
                rdb.finish()?;
                sink.write_all(&suffix)?;
                Ok(bytes)
            })();
            let bytes = r.map_err(|e| format!("Write error sending the RDB: {e}"))?;
            report.set_bytes_written(bytes);
        }
    }
    report.set_keys_processed(progress.keys());
    report.set_cow(private_dirty_bytes(), now_ms());
    Ok(())
}
