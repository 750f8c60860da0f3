//! What a snapshot child tells its parent while it runs and when it ends.
//!
//! Owns: `ChildReport`, a page of memory mapped shared (`MAP_SHARED | MAP_ANONYMOUS`) before the
//! fork, so parent and child see the same bytes afterwards. The child writes its progress (keys
//! written, bytes written, copy-on-write size) and, on failure, one line saying why; the parent
//! reads it for INFO and, after reaping the child, for its log. This replaces the pipe Redis uses
//! (`childinfo.c`): the child must not log (another thread may have held the logger's lock at
//! the fork), and a shared page needs neither a reader task nor framing.
//!
//! Every field is an atomic: the child stores, the parent loads. The error text is published by
//! its length (a release store after the bytes), and read only once the child is reaped.

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};

/// Longest error text kept, in bytes.
const ERROR_CAP: usize = 480;

#[repr(C)]
struct Page {
    keys_processed: AtomicU64,
    bytes_written: AtomicU64,
    cow_bytes: AtomicU64,
    /// Unix milliseconds of the last `cow_bytes` update; 0 = never.
    cow_updated_ms: AtomicU64,
    error_len: AtomicU32,
    error: [AtomicU8; ERROR_CAP],
}

/// Progress and outcome of one snapshot child, shared across the fork.
pub struct ChildReport {
    page: NonNull<Page>,
}

// SAFETY: the page is only ever accessed through atomics, from any thread or process; the
// mapping itself is owned by this value and unmapped once, on drop.
unsafe impl Send for ChildReport {}
// SAFETY: as above: every access is an atomic operation.
unsafe impl Sync for ChildReport {}

impl ChildReport {
    /// Maps a fresh, zeroed report. Call before the fork.
    pub fn new() -> io::Result<ChildReport> {
        let len = std::mem::size_of::<Page>();
        // SAFETY: an anonymous shared mapping with no address hint; the kernel picks the place
        // and zero-fills it. The result is checked against MAP_FAILED.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // Zeroed memory is a valid `Page`: every field is an atomic integer.
        let page =
            NonNull::new(p as *mut Page).ok_or_else(|| io::Error::other("mmap gave null"))?;
        Ok(ChildReport { page })
    }

    fn page(&self) -> &Page {
        // SAFETY: the mapping lives as long as `self`, is large enough and suitably aligned (page
        // aligned), and holds only atomics, which may be shared.
        unsafe { self.page.as_ref() }
    }

    /// Keys written so far.
    pub fn keys_processed(&self) -> u64 {
        self.page().keys_processed.load(Ordering::Relaxed)
    }

    /// Child side: records the keys written so far.
    pub fn set_keys_processed(&self, n: u64) {
        self.page().keys_processed.store(n, Ordering::Relaxed);
    }

    /// Bytes of RDB written so far.
    pub fn bytes_written(&self) -> u64 {
        self.page().bytes_written.load(Ordering::Relaxed)
    }

    /// Child side: records the bytes written so far.
    pub fn set_bytes_written(&self, n: u64) {
        self.page().bytes_written.store(n, Ordering::Relaxed);
    }

    /// The child's copy-on-write size at its last measurement, and when (Unix ms; 0 = never).
    pub fn cow(&self) -> (u64, u64) {
        let p = self.page();
        (
            p.cow_bytes.load(Ordering::Relaxed),
            p.cow_updated_ms.load(Ordering::Relaxed),
        )
    }

    /// Child side: records a copy-on-write measurement taken at `now_ms`.
    pub fn set_cow(&self, bytes: u64, now_ms: u64) {
        let p = self.page();
        p.cow_bytes.store(bytes, Ordering::Relaxed);
        p.cow_updated_ms.store(now_ms, Ordering::Relaxed);
    }

    /// Child side: records why the snapshot failed (truncated to a few hundred bytes).
    pub fn set_error(&self, text: &str) {
        let p = self.page();
        let bytes = text.as_bytes();
        let n = bytes.len().min(ERROR_CAP);
        for (slot, &b) in p.error.iter().zip(&bytes[..n]) {
            slot.store(b, Ordering::Relaxed);
        }
        p.error_len.store(n as u32, Ordering::Release);
    }

    /// Why the child failed, if it said.
    pub fn error(&self) -> Option<String> {
        let p = self.page();
        let n = (p.error_len.load(Ordering::Acquire) as usize).min(ERROR_CAP);
        if n == 0 {
            return None;
        }
        let bytes: Vec<u8> = p.error[..n]
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }
}

impl Drop for ChildReport {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`, once; no reference into it outlives
        // `self`.
        unsafe {
            libc::munmap(
                self.page.as_ptr() as *mut libc::c_void,
                std::mem::size_of::<Page>(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_starts_empty_and_keeps_what_is_written() {
        let r = ChildReport::new().unwrap();
        assert_eq!(
            (r.keys_processed(), r.bytes_written(), r.cow()),
            (0, 0, (0, 0))
        );
        assert_eq!(r.error(), None);
        r.set_keys_processed(7);
        r.set_bytes_written(4096);
        r.set_cow(8192, 1234);
        r.set_error(&"x".repeat(1000));
        assert_eq!((r.keys_processed(), r.bytes_written()), (7, 4096));
        assert_eq!(r.cow(), (8192, 1234));
        assert_eq!(r.error().unwrap().len(), ERROR_CAP);
    }

    #[test]
    fn a_forked_child_writes_what_the_parent_reads() {
        let r = ChildReport::new().unwrap();
        // SAFETY: the child only stores into the shared page and leaves with _exit, running no
        // destructor and taking no lock.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            r.set_keys_processed(42);
            r.set_error("disk full");
            // SAFETY: ends the child at once, as a snapshot child does.
            unsafe { libc::_exit(3) };
        }
        assert!(pid > 0);
        let mut status = 0;
        // SAFETY: waits for the child just forked; `status` is a valid out pointer.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(libc::WEXITSTATUS(status), 3);
        assert_eq!(r.keys_processed(), 42);
        assert_eq!(r.error().as_deref(), Some("disk full"));
    }
}
