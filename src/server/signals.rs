//! Orderly shutdown on SIGTERM and SIGINT.
//!
//! Owns: the thread that waits for those signals. They are blocked in every other thread (the
//! mask is set before any executor starts), so they arrive here, where asking the executors to
//! stop is safe — unlike in a signal handler. What a signal then does (save, stop, or insist on
//! a second SIGINT) is `persistence::shutdown`'s.

use std::sync::atomic::Ordering;

use super::shared::shared;

fn stop_signals() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise and fill a local set; no other preconditions.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        set
    }
}

/// Blocks SIGTERM and SIGINT in the calling thread and in every thread it starts afterwards.
pub fn block_stop_signals() {
    let set = stop_signals();
    // SAFETY: changes only this thread's signal mask, from a valid set.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
}

/// Starts the thread that turns SIGTERM/SIGINT into a server shutdown. The shutdown itself
/// (with its final save when save points are configured) is carried out by shard 0's
/// persistence cron; a failed save leaves the server running, and a later signal tries again.
pub fn spawn_waiter() {
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(|| loop {
            let set = stop_signals();
            let mut sig: libc::c_int = 0;
            // SAFETY: waits on a valid, blocked signal set; writes the signal number to `sig`.
            if unsafe { libc::sigwait(&set, &mut sig) } != 0 {
                continue;
            }
            crate::persistence::shutdown::on_signal(sig);
        })
        .expect("spawning the signal thread");
}

/// Asks every executor to stop.
pub fn request_shutdown() {
    let s = shared();
    s.shutting_down.store(true, Ordering::SeqCst);
    for d in &s.doorbells {
        d.ring_always();
    }
}
