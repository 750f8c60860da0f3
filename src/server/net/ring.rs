//! One executor's network io_uring: creating it and queueing the operations the driver uses.
//!
//! Owns: the ring and the encoding of `user_data` (operation kind in the top byte, a connection
//! token or listener index below), so completions can be routed without a lookup table.

use io_uring::{opcode, squeue, types, IoUring};
use std::os::fd::RawFd;

/// What a completion belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// An accept on listener N.
    Accept(u64),
    /// A multishot receive on a connection.
    Recv(u64),
    /// A send on a connection.
    Send(u64),
    /// The doorbell's eventfd read.
    Doorbell,
    /// Operations whose completions carry nothing the driver needs (shutdown).
    Ignore,
}

const KIND_SHIFT: u32 = 56;
const TOKEN_MASK: u64 = (1 << KIND_SHIFT) - 1;

impl Op {
    fn encode(self) -> u64 {
        let (k, v) = match self {
            Op::Accept(v) => (1, v),
            Op::Recv(v) => (2, v),
            Op::Send(v) => (3, v),
            Op::Doorbell => (4, 0),
            Op::Ignore => (5, 0),
        };
        (k << KIND_SHIFT) | (v & TOKEN_MASK)
    }

    /// The operation a completion's user_data names.
    pub fn decode(ud: u64) -> Op {
        let v = ud & TOKEN_MASK;
        match ud >> KIND_SHIFT {
            1 => Op::Accept(v),
            2 => Op::Recv(v),
            3 => Op::Send(v),
            4 => Op::Doorbell,
            _ => Op::Ignore,
        }
    }
}

/// The ring.
pub struct NetRing {
    /// The io_uring itself.
    pub ring: IoUring,
}

impl NetRing {
    /// Creates a ring with `entries` submission slots, on the thread that will use it.
    ///
    /// DEFER_TASKRUN (with SINGLE_ISSUER) keeps the kernel from interrupting the executor to
    /// post completions: they are posted when the driver enters the kernel asking for them,
    /// which it does every turn, and a driver sleeping in `wait` is woken as soon as one is due.
    /// TASKRUN_FLAG tells the driver when such work is pending. Kernels without DEFER_TASKRUN
    /// get COOP_TASKRUN, which has the same cost profile; older ones a plain ring.
    pub fn new(entries: u32) -> std::io::Result<NetRing> {
        let cq = entries * 4;
        let ring = IoUring::builder()
            .setup_defer_taskrun()
            .setup_single_issuer()
            .setup_taskrun_flag()
            .setup_cqsize(cq)
            .build(entries)
            .or_else(|_| {
                IoUring::builder()
                    .setup_coop_taskrun()
                    .setup_taskrun_flag()
                    .setup_single_issuer()
                    .setup_cqsize(cq)
                    .build(entries)
            })
            .or_else(|_| IoUring::builder().setup_cqsize(cq).build(entries))?;
        Ok(NetRing { ring })
    }

    fn push(&mut self, sqe: squeue::Entry) {
        // SAFETY: every entry queued here points only at memory the driver keeps alive until
        // the operation completes (connection send buffers, the doorbell word) or at none.
        while unsafe { self.ring.submission().push(&sqe) }.is_err() {
            // The submission queue is full: hand what is queued to the kernel and retry.
            if let Err(e) = self.ring.submit() {
                tracing::error!(error = %e, "io_uring submit failed");
            }
        }
    }

    /// Queues an accept of one connection on listener `index`; the driver queues the next one
    /// when it completes.
    ///
    /// Why not a multishot accept: every executor waits on the same listening socket, and the
    /// kernel hands each new connection to the waiter at the head of the socket's queue. A
    /// multishot accept never leaves that queue, so whichever executor armed first accepted
    /// every connection (10 of 10 on a 2-executor server, measured). A one-shot accept rejoins
    /// at the tail once served, so waiting executors take connections that come one at a time
    /// in turn (5 and 5). A burst still goes mostly to the executor that is awake: an accept
    /// that finds a connection waiting completes at once (50 of `redis-benchmark -c 50`'s 51
    /// connections, see perf/NOTES.md), which is why the accepting executor may hand it on
    /// (`placement`). The cost is one submission per accepted connection.
    pub fn accept(&mut self, fd: RawFd, index: u64) {
        let e = opcode::Accept::new(types::Fd(fd), std::ptr::null_mut(), std::ptr::null_mut())
            .build()
            .user_data(Op::Accept(index).encode());
        self.push(e);
    }

    /// Queues a multishot receive on connection `token` into buffer group `group`.
    pub fn recv(&mut self, fd: RawFd, token: u64, group: u16) {
        let e = opcode::RecvMulti::new(types::Fd(fd), group)
            .build()
            .user_data(Op::Recv(token).encode());
        self.push(e);
    }

    /// Queues a send of `len` bytes at `ptr` on connection `token`.
    ///
    /// The caller keeps the bytes alive and unmoved until the send completes.
    pub fn send(&mut self, fd: RawFd, token: u64, ptr: *const u8, len: usize) {
        let e = opcode::Send::new(types::Fd(fd), ptr, len.min(u32::MAX as usize) as u32)
            .build()
            .user_data(Op::Send(token).encode());
        self.push(e);
    }

    /// Queues an 8-byte read of the doorbell eventfd into `word`, which must outlive it.
    pub fn read_doorbell(&mut self, fd: RawFd, word: *mut u64) {
        let e = opcode::Read::new(types::Fd(fd), word as *mut u8, 8)
            .build()
            .user_data(Op::Doorbell.encode());
        self.push(e);
    }

    /// Hands the queued operations to the kernel and, when the kernel holds completion work,
    /// has it post the completions; never waits. Makes no system call when there is nothing to
    /// hand over and nothing pending.
    pub fn submit(&mut self) {
        if self.ring.submission().is_empty() && !self.has_work_pending_in_kernel() {
            return;
        }
        if let Err(e) = self.ring.submit() {
            if e.raw_os_error() != Some(libc::EBUSY) && e.raw_os_error() != Some(libc::EINTR) {
                tracing::error!(error = %e, "io_uring submit failed");
            }
        }
    }

    /// True when completions are ready, or when the kernel holds task work that would produce
    /// some on the next enter.
    pub fn has_work(&mut self) -> bool {
        self.has_work_pending_in_kernel() || !self.ring.completion().is_empty()
    }

    /// True when the kernel holds deferred completion work (or completions that overflowed
    /// the queue) that only an enter asking for events will post.
    fn has_work_pending_in_kernel(&mut self) -> bool {
        let sq = self.ring.submission();
        sq.taskrun() || sq.cq_overflow()
    }

    /// True when the kernel can end a wait early once a shorter minimum wait passed with a
    /// completion at hand (`IORING_FEAT_MIN_TIMEOUT`, Linux 6.12): what `wait` needs to gather.
    pub fn can_gather(&self) -> bool {
        self.ring.params().is_feature_min_timeout()
    }

    /// Submits and sleeps until at least one completion arrives or `timeout` passes.
    ///
    /// With `gather` (only where `can_gather`), it sleeps on until `gather.0` completions
    /// arrived, or until `gather.1` passed and at least one did: see `pace::Pace::gather`.
    pub fn wait(
        &mut self,
        timeout: std::time::Duration,
        gather: Option<(usize, std::time::Duration)>,
    ) {
        let ts = types::Timespec::from(timeout);
        let (want, min_wait) = gather.unwrap_or((1, std::time::Duration::ZERO));
        let min_wait_usec = u32::try_from(min_wait.as_micros()).unwrap_or(u32::MAX);
        let args = types::SubmitArgs::new()
            .timespec(&ts)
            .min_wait_usec(min_wait_usec);
        match self.ring.submitter().submit_with_args(want, &args) {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::ETIME) | Some(libc::EINTR) | Some(libc::EBUSY)
                ) => {}
            Err(e) => tracing::error!(error = %e, "io_uring wait failed"),
        }
    }
}
