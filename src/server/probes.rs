//! What the operating system says about the process: memory, CPU time, the kernel's name.
//!
//! Owns: the probes INFO's server, memory and cpu sections read (`/proc/self/statm`,
//! `getrusage`, `uname`, `sysconf`) and the memory peak. Callable from any thread; each probe is
//! one or two system calls.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The kernel as `uname` names it: (sysname, release, machine).
pub fn uname() -> (String, String, String) {
    // SAFETY: `utsname` is plain old data; all-zero is a valid value for it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable utsname.
    if unsafe { libc::uname(&mut u) } != 0 {
        return ("unknown".into(), "unknown".into(), "unknown".into());
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (field(&u.sysname), field(&u.release), field(&u.machine))
}

/// What the process uses, in bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MemoryFacts {
    /// Resident set size now.
    pub rss: u64,
    /// Bytes allocated now (the resident set size where allocations are not counted).
    pub allocated: u64,
    /// The highest `allocated` seen since start (or since CONFIG RESETSTAT).
    pub peak: u64,
    /// `allocated` when the first executor asked (close to the start-up footprint).
    pub startup: u64,
    /// Physical memory of the machine.
    pub total_system: u64,
}

static PEAK_MEMORY: AtomicU64 = AtomicU64::new(0);

/// Forgets the memory peak (CONFIG RESETSTAT).
pub fn reset_peak_memory() {
    PEAK_MEMORY.store(0, Ordering::Relaxed);
}

/// Reads the process's memory use: the allocator's count of allocated bytes when the counting
/// allocator is installed (the server binary), the resident set size otherwise.
pub fn memory() -> MemoryFacts {
    static STARTUP: OnceLock<u64> = OnceLock::new();
    let rss = resident_bytes();
    let allocated = if super::allocator::counting() {
        super::allocator::allocated_bytes()
    } else {
        rss
    };
    let startup = *STARTUP.get_or_init(|| allocated);
    let peak = PEAK_MEMORY
        .fetch_max(allocated, Ordering::Relaxed)
        .max(allocated);
    MemoryFacts {
        rss,
        allocated,
        peak,
        startup,
        total_system: total_system_memory(),
    }
}

/// Resident set size from `/proc/self/statm` (pages), in bytes; 0 when unavailable.
fn resident_bytes() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = text
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * page_size()
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as u64
    } else {
        4096
    }
}

fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    if pages > 0 {
        pages as u64 * page_size()
    } else {
        0
    }
}

/// CPU time in microseconds: (system, user).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CpuTimes {
    /// Time spent in the kernel.
    pub sys_us: u64,
    /// Time spent in user space.
    pub user_us: u64,
}

/// CPU use of the process, its waited-for children, and the calling thread.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CpuFacts {
    /// The whole process.
    pub process: CpuTimes,
    /// Children (snapshot writers) that have been waited for.
    pub children: CpuTimes,
    /// The executor thread that runs the INFO command.
    pub this_thread: CpuTimes,
}

/// Reads `getrusage` for the process, its children and the calling thread.
pub fn cpu() -> CpuFacts {
    CpuFacts {
        process: rusage(libc::RUSAGE_SELF),
        children: rusage(libc::RUSAGE_CHILDREN),
        this_thread: rusage(libc::RUSAGE_THREAD),
    }
}

fn rusage(who: libc::c_int) -> CpuTimes {
    // SAFETY: `rusage` is plain old data; all-zero is a valid value for it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage and `who` one of the RUSAGE_* constants.
    if unsafe { libc::getrusage(who, &mut ru) } != 0 {
        return CpuTimes::default();
    }
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    CpuTimes {
        sys_us: us(ru.ru_stime),
        user_us: us(ru.ru_utime),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_probes_answer() {
        assert!(memory().rss > 0);
        assert!(memory().total_system > 0);
        let (sys, _, _) = uname();
        assert_eq!(sys, "Linux");
    }
}
