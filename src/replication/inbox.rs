//! The queue from the link thread (and REPLICAOF) to the applier task, in stream order.
//!
//! Owns: `Inbox`, the events waiting for the applier, the *generation* (bumped by every REPLICAOF
//! and REPLICAOF NO ONE: a link thread of an older generation may no longer push, and stops), the
//! bytes queued and not applied (the link thread stops reading its socket above a bound, so a
//! slow applier slows the master's sender instead of filling memory), and the current link's
//! wake-up handle (the applier asks the link thread to send an ACK through it).
//!
//! The applier runs on shard 0. Pushing from any thread wakes it by posting a job to shard 0
//! that wakes its task there, since a glommio task must be woken on its own executor.

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};

use super::framing::StreamCommand;
use super::serve::SyncRequest;
use super::staging::LoadMode;
use super::state::MasterAddr;
use crate::protocol::error::CmdError;
use crate::server::shards::ShardId;

/// The shard whose executor runs the applier.
pub const APPLIER_SHARD: ShardId = 0;

/// A change of role asked by a command, answered once the applier made it.
pub enum Control {
    /// REPLICAOF host port (also the `replicaof` directive at start-up).
    Follow(MasterAddr),
    /// REPLICAOF NO ONE.
    Promote,
}

/// Where a control's answer goes: the executor of the caller, and the caller's channel.
pub struct Answer {
    /// The caller's executor.
    pub shard: ShardId,
    /// The caller's end.
    pub tx: futures_channel::oneshot::Sender<Result<(), CmdError>>,
}

/// One thing for the applier to do, in order.
pub enum Event {
    /// A full sync starts: finish what came before, forget a transaction in progress, choose
    /// how to load (see `staging::LoadMode`) and prepare for it (empty the dataset and refuse
    /// clients with -LOADING, or create the staging databases); then answer on `ready`.
    FullSyncBegin {
        /// Answered with the mode once the shards are ready for the load.
        ready: std::sync::mpsc::Sender<LoadMode>,
    },
    /// The master's RDB is loaded: switch to it (when staged), adopt its history at `offset`,
    /// select `stream_db` on the new master client, and follow the stream.
    FullSyncDone {
        /// How the RDB was loaded.
        mode: LoadMode,
        /// The master's replication id.
        replid: String,
        /// The master's offset at the snapshot.
        offset: i64,
        /// The DB the stream had selected (`repl-stream-db`), if the RDB said.
        stream_db: Option<usize>,
    },
    /// The master accepted a partial resync; `new_replid` is its id if it changed.
    Resumed {
        /// `+CONTINUE <id>`'s id.
        new_replid: Option<String>,
    },
    /// Commands of the stream, in order.
    Commands(Vec<StreamCommand>),
    /// The link dropped: apply what came before, forget a half-received transaction, keep the
    /// rest as the cached master; then answer on `done`.
    LinkLost {
        /// Answered once everything before was applied.
        done: std::sync::mpsc::Sender<()>,
        /// Forget the cached master too (the stream was corrupt): the next sync is full.
        discard: bool,
    },
    /// A change of role.
    Control(Control, Answer),
    /// A replica of this server asks for the stream.
    Serve(SyncRequest),
}

/// Wakes a link thread sleeping in `poll`.
#[derive(Debug)]
pub struct LinkWake {
    fd: OwnedFd,
}

impl LinkWake {
    /// A new wake-up handle (a non-blocking eventfd).
    pub fn new() -> std::io::Result<Arc<LinkWake>> {
        // SAFETY: eventfd has no memory-safety preconditions; the result is checked below.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Arc::new(LinkWake { fd }))
    }

    /// The descriptor to poll.
    pub fn fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    /// Wakes the thread.
    pub fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a valid u64 to an eventfd we own.
        unsafe { libc::write(self.fd(), &one as *const u64 as *const libc::c_void, 8) };
    }

    /// Clears pending wake-ups.
    pub fn drain(&self) {
        let mut v: u64 = 0;
        // SAFETY: reads 8 bytes into a valid u64 from a non-blocking eventfd we own.
        unsafe { libc::read(self.fd(), &mut v as *mut u64 as *mut libc::c_void, 8) };
    }
}

/// The queue and what travels with it.
#[derive(Default)]
pub struct Inbox {
    /// Bumped by every change of master.
    pub generation: u64,
    events: VecDeque<Event>,
    waker: Option<Waker>,
    /// Stream bytes pushed and not yet applied.
    pub queued_bytes: usize,
    /// The current link thread's wake-up handle.
    pub link_wake: Option<Arc<LinkWake>>,
    /// The offset an ACK must report at once (answer to `REPLCONF GETACK`), if asked.
    pub ack_now: Option<i64>,
    /// The applier asks the link thread to drop its connection (CLIENT KILL TYPE master).
    pub drop_link: bool,
    /// A full sync's load runs on the link thread: the applier waits for its end before a change
    /// of role.
    pub loading: bool,
}

/// The process's inbox.
pub fn inbox() -> MutexGuard<'static, Inbox> {
    static INBOX: OnceLock<Mutex<Inbox>> = OnceLock::new();
    INBOX
        .get_or_init(|| Mutex::new(Inbox::default()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Inbox {
    /// Queues `event` of link generation `generation`. Returns false, dropping it, when that
    /// generation is over.
    pub fn push(&mut self, generation: u64, event: Event) -> bool {
        if generation != self.generation {
            return false;
        }
        self.push_any(event);
        true
    }

    /// Queues a control (any generation) after bumping the generation, so that the current
    /// link thread stops.
    pub fn push_control(&mut self, control: Control, answer: Answer) {
        self.generation += 1;
        self.ack_now = None;
        self.drop_link = false;
        if let Some(w) = self.link_wake.take() {
            w.wake();
        }
        self.push_any(Event::Control(control, answer));
    }

    /// Queues a replica's request for the stream (any generation).
    pub fn push_serve(&mut self, req: SyncRequest) {
        self.push_any(Event::Serve(req));
    }

    fn push_any(&mut self, event: Event) {
        if let Event::Commands(cmds) = &event {
            self.queued_bytes += cmds.iter().map(|c| c.raw.len()).sum::<usize>();
        }
        self.events.push_back(event);
        if let Some(w) = self.waker.take() {
            crate::server::runtime::post_job(APPLIER_SHARD, Box::new(move || w.wake()));
        }
    }

    /// Takes every queued event, or registers `cx`'s waker when there is none.
    pub fn poll_take(&mut self, cx: &mut Context<'_>) -> Poll<Vec<Event>> {
        if self.events.is_empty() {
            self.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        Poll::Ready(self.events.drain(..).collect())
    }

    /// Asks the link thread to send `REPLCONF ACK offset` now.
    pub fn request_ack(&mut self, offset: i64) {
        self.ack_now = Some(offset);
        if let Some(w) = &self.link_wake {
            w.wake();
        }
    }
}

/// Resolves to the next events of the inbox.
pub struct NextEvents;

impl std::future::Future for NextEvents {
    type Output = Vec<Event>;
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<Event>> {
        inbox().poll_take(cx)
    }
}
