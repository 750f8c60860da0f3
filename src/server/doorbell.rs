//! Waking an executor that sleeps in its network ring.
//!
//! Owns: one eventfd per shard and the flag saying the shard is about to sleep. An executor idles
//! inside `io_uring_enter` on its own network ring (see `net::driver`), where glommio's own
//! cross-executor wake-ups cannot reach it; whoever hands it work from another thread rings its
//! doorbell, whose eventfd read is always armed in that ring.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

/// One shard's doorbell.
#[derive(Debug)]
pub struct Doorbell {
    fd: OwnedFd,
    sleeping: AtomicBool,
    /// Set by every ring: work arrived through glommio (a channel message, a wake-up from
    /// another thread), so the owner must give glommio a turn.
    mail: AtomicBool,
}

impl Doorbell {
    /// A new doorbell (a non-blocking eventfd).
    pub fn new() -> std::io::Result<Doorbell> {
        // SAFETY: eventfd has no memory-safety preconditions; the result is checked below.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` is a freshly created descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Doorbell {
            fd,
            sleeping: AtomicBool::new(false),
            mail: AtomicBool::new(false),
        })
    }

    /// The eventfd the owning shard keeps a read armed on.
    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Called by the owner before it may sleep. Work handed over after this returns will ring.
    pub fn prepare_to_sleep(&self) {
        self.sleeping.store(true, Ordering::SeqCst);
    }

    /// Called by the owner once awake.
    pub fn awake(&self) {
        self.sleeping.store(false, Ordering::SeqCst);
    }

    /// True (once) when work was handed over since the last call.
    pub fn take_mail(&self) -> bool {
        self.mail.load(Ordering::Relaxed) && self.mail.swap(false, Ordering::SeqCst)
    }

    /// True when mail arrived since the last `take_mail`, without taking it.
    pub fn has_mail(&self) -> bool {
        self.mail.load(Ordering::SeqCst)
    }

    /// Rings whether or not the owner sleeps (shutdown).
    pub fn ring_always(&self) {
        self.sleeping.store(false, Ordering::SeqCst);
        let one: u64 = 1;
        // SAFETY: as in `ring`.
        unsafe { libc::write(self.fd(), &one as *const u64 as *const libc::c_void, 8) };
    }

    /// Rings when the owner may be asleep. Call after the work was queued.
    pub fn ring(&self) {
        self.mail.store(true, Ordering::SeqCst);
        if self.sleeping.swap(false, Ordering::SeqCst) {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a valid u64 to an eventfd we own; a failure (counter
            // overflow, impossible here) only means the owner is already awake.
            unsafe { libc::write(self.fd(), &one as *const u64 as *const libc::c_void, 8) };
        }
    }
}
