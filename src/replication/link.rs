//! The replica's link to its master: a thread of its own that connects, handshakes, receives a
//! full sync when needed, then reads the command stream and acknowledges it.
//!
//! Owns: the socket to the master and everything done on it. Commands read off the stream go to
//! the applier (shard 0's executor) through the inbox, in order; the link never applies anything
//! itself. Once a second, and at once when the applier saw `REPLCONF GETACK`, it sends
//! `REPLCONF ACK <offset>` with the applied offset. It drops the connection when the master is
//! silent for `repl-timeout`, when the stream is malformed, or when the master goes away, and
//! then tries again with a growing pause (100 ms doubling to 1 s), offering its cached master
//! first so that the master may continue where it stopped.
//!
//! Lifetime: one thread per *generation* (each REPLICAOF starts one); it ends as soon as it sees
//! a newer generation. Why a plain thread and a blocking socket: the link is one connection, not
//! the hot path, and the RDB reader and the bulk loader are synchronous code that may block
//! (waiting for shards to insert), which an executor must never do.
//!
//! `Connect -> Connecting -> Handshake -> (Transfer ->) Connected -> error -> Connect`

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::framing::next_command;
use super::full_sync;
use super::handshake::{handshake, HandshakeParams, PsyncReply};
use super::inbox::{inbox, Event, LinkWake};
use super::state::{state, LinkState, MasterAddr, MasterClient};
use super::wire::{command, MasterSocket};
use crate::rdb::RdbError;
use crate::server::shared::shared;

/// First pause after a failed attempt.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// Longest pause between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// How often an ACK goes to the master.
const ACK_EVERY: Duration = Duration::from_secs(1);
/// Stream bytes queued for the applier beyond which the link stops reading its socket.
const MAX_QUEUED: usize = 64 << 20;

/// Why a link attempt ended.
#[derive(Debug)]
pub struct LinkError {
    msg: String,
    /// The stream or the dataset can no longer be trusted: the next sync must be full.
    pub discard_cached: bool,
    /// The link's generation ended (REPLICAOF): not an error, the thread just stops.
    pub stopped: bool,
}

impl LinkError {
    /// An error described by `msg`.
    pub fn new(msg: String) -> LinkError {
        LinkError {
            msg,
            discard_cached: false,
            stopped: false,
        }
    }

    /// An I/O error while doing `what`.
    pub fn io(what: &str, e: std::io::Error) -> LinkError {
        LinkError::new(format!("error {what}: {e}"))
    }

    /// A bad RDB payload.
    pub fn rdb(e: RdbError) -> LinkError {
        LinkError::new(format!("bad RDB from the master: {e}"))
    }

    /// A malformed command stream: the cached master is discarded.
    pub fn protocol(msg: String) -> LinkError {
        LinkError {
            discard_cached: true,
            ..LinkError::new(format!("Protocol error from master: {msg}"))
        }
    }

    /// The generation ended.
    pub fn stopped() -> LinkError {
        LinkError {
            stopped: true,
            ..LinkError::new("replication link stopped".into())
        }
    }
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.msg)
    }
}

/// Starts the link thread of `generation`, following `master`.
pub fn spawn(generation: u64, master: MasterAddr) {
    let wake = match LinkWake::new() {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error = %e, "cannot create the replication link's eventfd");
            return;
        }
    };
    {
        let mut ib = inbox();
        if ib.generation != generation {
            return;
        }
        ib.link_wake = Some(wake.clone());
    }
    let r = std::thread::Builder::new()
        .name("repl-link".into())
        .spawn(move || {
            Link {
                generation,
                master,
                wake,
            }
            .run()
        });
    if let Err(e) = r {
        tracing::error!(error = %e, "cannot start the replication link thread");
    }
}

struct Link {
    generation: u64,
    master: MasterAddr,
    wake: Arc<LinkWake>,
}

impl Link {
    fn current(&self) -> bool {
        inbox().generation == self.generation
    }

    /// Sets the link's state, unless this link's generation is over.
    fn set_link(&self, s: LinkState) {
        let ib = inbox();
        if ib.generation == self.generation {
            state().link = s;
        }
    }

    fn run(self) {
        let mut backoff = MIN_BACKOFF;
        loop {
            if !self.current() {
                return;
            }
            let mut reached_stream = false;
            let err = match self.session(&mut reached_stream) {
                Ok(()) => return,
                Err(e) if e.stopped => return,
                Err(e) => e,
            };
            if reached_stream {
                tracing::warn!("Connection with master lost: {err}");
                backoff = MIN_BACKOFF;
            } else {
                tracing::warn!(
                    master = %format!("{}:{}", self.master.host, self.master.port),
                    "MASTER <-> REPLICA sync failed: {err}"
                );
            }
            if self.link_lost(err.discard_cached).is_err() {
                return;
            }
            let until = Instant::now() + backoff;
            while Instant::now() < until {
                if !self.current() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20).min(backoff));
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Tells the applier the link dropped and waits until it applied what came before.
    fn link_lost(&self, discard: bool) -> Result<(), super::link::LinkError> {
        let (done, wait) = mpsc::channel();
        if !inbox().push(self.generation, Event::LinkLost { done, discard }) {
            return Err(LinkError::stopped());
        }
        full_sync::wait_answer(&wait, self.generation)
    }

    /// One connection: from connect to the error that ends it.
    fn session(&self, reached_stream: &mut bool) -> Result<(), LinkError> {
        self.set_link(LinkState::Connecting);
        let cfg = LinkConfig::read();
        tracing::info!(
            "Connecting to MASTER {}:{}",
            self.master.host,
            self.master.port
        );
        let addr = resolve(&self.master)?;
        let stream = TcpStream::connect_timeout(&addr, cfg.timeout)
            .map_err(|e| LinkError::io("connecting to the master", e))?;
        let mut sock = MasterSocket::new(stream, cfg.timeout)
            .map_err(|e| LinkError::io("setting up the master socket", e))?;
        tracing::info!("MASTER <-> REPLICA sync started");
        self.set_link(LinkState::Handshake);
        let offer = state().psync_offer();
        let params = HandshakeParams {
            user: cfg.user,
            password: cfg.password,
            listening_port: cfg.listening_port,
            announce_ip: cfg.announce_ip,
            offer: offer.clone(),
        };
        let start = match handshake(&mut sock, &params)? {
            PsyncReply::FullResync { replid, offset } => {
                tracing::info!("Full resync from master: {replid}:{offset}");
                self.set_link(LinkState::Transfer);
                let loaded = full_sync::receive(&mut sock, self.generation)?;
                let event = Event::FullSyncDone {
                    mode: loaded.mode,
                    replid,
                    offset,
                    stream_db: loaded.stream_db,
                };
                if !inbox().push(self.generation, event) {
                    return Err(LinkError::stopped());
                }
                tracing::info!("MASTER <-> REPLICA sync: Finished with success");
                // A master that sent an EOF-framed payload waits for an ACK before it streams.
                send_ack(&mut sock, offset)?;
                offset
            }
            PsyncReply::Continue { replid } => {
                tracing::info!("Successful partial resynchronization with master.");
                if !inbox().push(self.generation, Event::Resumed { new_replid: replid }) {
                    return Err(LinkError::stopped());
                }
                tracing::info!(
                    "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."
                );
                offer.1 - 1
            }
        };
        *reached_stream = true;
        self.stream(&mut sock, start, cfg.timeout)
    }

    /// Reads the command stream that starts after offset `start` until an error or the end of
    /// this link's generation.
    fn stream(
        &self,
        sock: &mut MasterSocket,
        start: i64,
        timeout: Duration,
    ) -> Result<(), LinkError> {
        let mut read_offset = start + sock.buf.len() as i64;
        let mut last_ack = Instant::now();
        loop {
            let mut cmds = Vec::new();
            while let Some(c) = next_command(&mut sock.buf).map_err(|e| {
                sock.shutdown();
                LinkError::protocol(e.to_string())
            })? {
                cmds.push(c);
            }
            if !cmds.is_empty() && !inbox().push(self.generation, Event::Commands(cmds)) {
                return Err(LinkError::stopped());
            }
            let (queued, ack_now, drop_link) = {
                let mut ib = inbox();
                if ib.generation != self.generation {
                    return Err(LinkError::stopped());
                }
                let drop = std::mem::take(&mut ib.drop_link);
                (ib.queued_bytes, ib.ack_now.take(), drop)
            };
            if drop_link {
                return Err(LinkError::new("the master client was killed".into()));
            }
            if let Some(off) = ack_now {
                send_ack(sock, off)?;
            }
            if last_ack.elapsed() >= ACK_EVERY {
                last_ack = Instant::now();
                let (live, off) = {
                    let s = state();
                    (s.client == MasterClient::Live, s.offset)
                };
                if live {
                    send_ack(sock, off)?;
                }
            }
            if sock.last_io.elapsed() > timeout {
                return Err(LinkError::new(
                    "MASTER timeout: no data nor PING received...".into(),
                ));
            }
            let throttled = queued > MAX_QUEUED;
            let wait = ACK_EVERY.saturating_sub(last_ack.elapsed());
            let wait = if throttled {
                wait.min(Duration::from_millis(2))
            } else {
                wait
            };
            let (readable, woken) = wait_for(sock.raw_fd(), !throttled, self.wake.fd(), wait);
            if woken {
                self.wake.drain();
            }
            if readable {
                let n = sock
                    .fill()
                    .map_err(|e| LinkError::io("reading from the master", e))?;
                read_offset += n as i64;
                let mut s = state();
                s.read_offset = read_offset;
                s.last_io = Some(sock.last_io);
            } else if throttled {
                // The master is not silent, the applier is behind: the timeout does not run.
                sock.last_io = Instant::now();
            }
        }
    }
}

fn send_ack(sock: &mut MasterSocket, offset: i64) -> Result<(), LinkError> {
    let off = offset.to_string();
    sock.send(&command(&[b"REPLCONF", b"ACK", off.as_bytes()]))
        .map_err(|e| LinkError::io("sending REPLCONF ACK", e))
}

/// Waits until the socket is readable (when `watch_socket`), the wake-up fd fires, or `wait`
/// passes. Returns (socket readable, woken).
fn wait_for(sock: i32, watch_socket: bool, wake: i32, wait: Duration) -> (bool, bool) {
    let mut fds = [
        libc::pollfd {
            fd: if watch_socket { sock } else { -1 },
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: wake,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let ms = wait.as_millis().clamp(1, i32::MAX as u128) as i32;
    // SAFETY: `fds` is a valid array of two pollfd structures that outlives the call.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
    if n <= 0 {
        return (false, false);
    }
    let readable = watch_socket && fds[0].revents != 0;
    (readable, fds[1].revents != 0)
}

fn resolve(master: &MasterAddr) -> Result<SocketAddr, LinkError> {
    (master.host.as_str(), master.port)
        .to_socket_addrs()
        .map_err(|e| LinkError::io(&format!("resolving {}", master.host), e))?
        .next()
        .ok_or_else(|| LinkError::new(format!("no address for {}", master.host)))
}

/// The settings one connection attempt uses, read once.
struct LinkConfig {
    timeout: Duration,
    user: Option<String>,
    password: Option<String>,
    listening_port: u16,
    announce_ip: Option<String>,
}

impl LinkConfig {
    fn read() -> LinkConfig {
        let c = shared()
            .config
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let announce_port = c.int(crate::config::Id::ReplicaAnnouncePort);
        let announce_ip = c.text(crate::config::Id::ReplicaAnnounceIp);
        LinkConfig {
            timeout: Duration::from_secs(c.repl_timeout_secs().max(1)),
            user: c.masteruser().map(str::to_string),
            password: c.masterauth().map(str::to_string),
            listening_port: if announce_port > 0 {
                announce_port as u16
            } else {
                shared().port
            },
            announce_ip: (!announce_ip.is_empty()).then(|| announce_ip.to_string()),
        }
    }
}
