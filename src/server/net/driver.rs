//! The network driver of one executor: accepts, receives, runs commands, sends, and sleeps.
//!
//! Owns: the executor's ring, provided buffers and connection slots. One turn reaps every
//! completion, runs the commands that became ready (inline, see `connection`), gathers each
//! connection's replies into a single send, and submits everything with one system call. Between
//! turns it lets glommio run its own loop (tasks, timers, channels). When nothing happens it
//! sleeps inside the ring, after telling peers to ring its doorbell; under a steady load from
//! many connections it sleeps a little longer, to serve more of them in one turn (`pace`); with
//! several shards it first waits briefly without sleeping, for peers' answers (`spin_for_work`).

use io_uring::cqueue;
use smallvec::SmallVec;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use super::buffers::ProvidedBuffers;
use super::pace::Pace;
use super::placement;
use super::ring::{NetRing, Op};
use crate::server::client::ClientState;
use crate::server::connection::{self, Conn, ConnRef};
use crate::server::doorbell::Doorbell;
use crate::server::prefetch;
use crate::server::runtime::{batch_now, drain_mailbox, glommio_turn, local, refresh_now};
use crate::server::shared::shared;
use crate::server::timers;

const RING_ENTRIES: u32 = 1024;
const BUFFER_GROUP: u16 = 1;
const BUFFER_COUNT: u16 = 512;
const BUFFER_SIZE: usize = 16 * 1024;
/// How long an executor of several waits for more work before it sleeps (see `spin_for_work`).
/// 10 µs gave less CPU per request with 50 clients (5.1 against 5.5 µs), 20 µs more requests
/// per second with 10 (125k against 111k).
const SPIN: Duration = Duration::from_micros(20);

struct Slot {
    generation: u32,
    conn: Option<ConnRef>,
    fd: RawFd,
    client_id: u64,
    /// Bytes handed to the kernel and not yet confirmed sent.
    sending: Vec<u8>,
    sent: usize,
    send_in_flight: bool,
    /// The millisecond of this connection's last receive (see `Pace`).
    seen_ms: u64,
    reading: bool,
    shut_down: bool,
}

/// One executor's network state.
pub struct Driver {
    ring: NetRing,
    bufs: ProvidedBuffers,
    slots: Vec<Slot>,
    free: Vec<u32>,
    listeners: Vec<OwnedFd>,
    doorbell_word: Box<u64>,
    to_flush: Vec<u64>,
    completions: Vec<(u64, i32, u32)>,
    pace: Pace,
}

fn token(index: u32, generation: u32) -> u64 {
    ((generation as u64) << 32) | index as u64
}

impl Driver {
    /// Sets up the ring, its buffers and the armed operations for `listeners`.
    pub fn new(listeners: Vec<OwnedFd>) -> std::io::Result<Driver> {
        let ring = NetRing::new(RING_ENTRIES)?;
        let bufs = ProvidedBuffers::register(&ring.ring, BUFFER_GROUP, BUFFER_COUNT, BUFFER_SIZE)?;
        let pace = Pace::new(ring.can_gather());
        let mut d = Driver {
            ring,
            bufs,
            slots: Vec::new(),
            free: Vec::new(),
            listeners,
            doorbell_word: Box::new(0),
            to_flush: Vec::new(),
            completions: Vec::with_capacity(RING_ENTRIES as usize),
            pace,
        };
        for (i, l) in d.listeners.iter().enumerate() {
            d.ring.accept(l.as_raw_fd(), i as u64);
        }
        d.arm_doorbell();
        d.ring.submit();
        Ok(d)
    }

    fn arm_doorbell(&mut self) {
        let fd = shared().doorbells[local().id].fd();
        let word: *mut u64 = &mut *self.doorbell_word;
        self.ring.read_doorbell(fd, word);
    }

    /// The slot of the open connection `token` names, if it is still open.
    fn slot_index(&self, token: u64) -> Option<usize> {
        let (index, generation) = ((token & 0xFFFF_FFFF) as usize, (token >> 32) as u32);
        self.slots
            .get(index)
            .filter(|s| s.generation == generation && s.conn.is_some())
            .map(|_| index)
    }

    fn slot(&mut self, token: u64) -> Option<&mut Slot> {
        self.slot_index(token).map(|i| &mut self.slots[i])
    }

    /// One turn: run peers' mail, reap, run, flush, submit. Returns true when anything happened.
    pub fn turn(&mut self) -> bool {
        refresh_now();
        self.pace.tick(batch_now().0);
        // Mail first: answers to this shard's connections then leave with this turn's sends
        // instead of waiting for the next turn.
        let mail = shared().doorbells[local().id].take_mail();
        if mail {
            drain_mailbox();
            // Connections handed over by the executor that accepted them come as mail.
            for fd in placement::take_handed_over() {
                self.adopt(fd);
            }
        }
        // Completions reaped here were posted by the previous turn's closing enter, which both
        // sends and runs the kernel's deferred completion work: one system call per turn.
        self.completions.clear();
        for c in self.ring.ring.completion() {
            self.completions
                .push((c.user_data(), c.result(), c.flags()));
        }
        let reaped = !self.completions.is_empty();
        let completions = std::mem::take(&mut self.completions);
        self.warm_arrivals(&completions);
        for &(ud, res, flags) in &completions {
            match Op::decode(ud) {
                Op::Accept(i) => self.on_accept(i as usize, res, flags),
                Op::Recv(t) => self.on_recv(t, res, flags),
                Op::Send(t) => self.on_send(t, res),
                Op::Doorbell => self.arm_doorbell(),
                Op::Ignore => {}
            }
        }
        self.completions = completions;
        if reaped {
            self.bufs.publish();
        }
        connection::take_ready_to_flush(&mut self.to_flush);
        let flushed = !self.to_flush.is_empty();
        let tokens = std::mem::take(&mut self.to_flush);
        for &t in &tokens {
            self.flush(t);
        }
        self.to_flush = tokens;
        self.to_flush.clear();
        self.ring.submit();
        mail || reaped || flushed
    }

    /// Waits up to `SPIN` for completions or mail without sleeping, handing the core to
    /// whatever else is runnable on it meanwhile. True when work came.
    ///
    /// Why: with several shards, a turn's commands for other shards come back as mail within
    /// microseconds, and peers' commands arrive the same way. Sleeping in between costs both
    /// sides a wake-up: the peer's system call to ring the doorbell, and a context switch here.
    /// Measured with threads 2 on 2 cores shared with redis-benchmark, GET -P 1, 50 clients:
    /// 100k -> 116k rps and 8.1 -> 5.7 µs of CPU per request; with 10 clients 84k -> 125k rps,
    /// 9.9 -> 7.6 µs; -P 16 0.85 -> 0.81 µs. Spinning without yielding cost more than it saved
    /// there (10.0 µs at -P 1): the spinning core was the client's too. One shard does not spin:
    /// what wakes it is the network, and with 10 clients spinning raised its CPU per request by
    /// a third.
    fn spin_for_work(&mut self, doorbell: &Doorbell) -> bool {
        let start = Instant::now();
        loop {
            for _ in 0..64 {
                if doorbell.has_mail() || self.ring.has_work() {
                    return true;
                }
                std::hint::spin_loop();
            }
            if start.elapsed() > SPIN {
                return false;
            }
            // SAFETY: sched_yield has no preconditions.
            unsafe { libc::sched_yield() };
        }
    }

    /// Warms the keys of the commands this turn's receives begin with, on every connection at
    /// once (see `prefetch::warm_arrivals`). Measured, GET -P 1 with 50 clients and 100k keys:
    /// the key lookup fell from ~10 % of the server's CPU to ~3 % (the slots' prefetch), CPU per
    /// request by 0-2 %; no change at -P 16, where each connection's read-ahead warms.
    fn warm_arrivals(&self, completions: &[(u64, i32, u32)]) {
        let mut keys: SmallVec<[(usize, &[u8]); 64]> = SmallVec::new();
        for &(ud, res, flags) in completions {
            let (Op::Recv(t), Some(bid)) = (Op::decode(ud), cqueue::buffer_select(flags)) else {
                continue;
            };
            let Some(conn) = self.slot_index(t).and_then(|i| self.slots[i].conn.as_ref()) else {
                continue;
            };
            let c = conn.borrow();
            // Bytes that continue a command already begun start with no command.
            if res <= 0 || c.query_buffer_len() > 0 {
                continue;
            }
            if let Some(key) = prefetch::first_key(self.bufs.get(bid, res as usize)) {
                keys.push((c.client.db, key));
            }
        }
        if keys.len() > 1 {
            prefetch::warm_arrivals(&keys);
        }
    }

    fn on_accept(&mut self, listener: usize, res: i32, flags: u32) {
        if !cqueue::more(flags) {
            let fd = self.listeners[listener].as_raw_fd();
            self.ring.accept(fd, listener as u64);
        }
        if res < 0 {
            tracing::warn!(error = %std::io::Error::from_raw_os_error(-res), "accept failed");
            return;
        }
        let fd = res;
        let l = local();
        let maxclients = crate::config::live::maxclients();
        l.stats.borrow_mut().connections_received += 1;
        if shared().clients.load(std::sync::atomic::Ordering::Relaxed) >= maxclients {
            const MSG: &[u8] = b"-ERR max number of clients reached\r\n";
            // SAFETY: best-effort write of a static buffer to a socket we own, then close it.
            unsafe {
                libc::send(
                    fd,
                    MSG.as_ptr() as *const libc::c_void,
                    MSG.len(),
                    libc::MSG_DONTWAIT,
                );
                libc::close(fd);
            }
            l.stats.borrow_mut().rejected_connections += 1;
            return;
        }
        // Counted here, not where the connection is adopted: a burst of accepts must not pass
        // maxclients while its connections travel to their executors.
        shared()
            .clients
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let target = placement::place(l.id);
        if target != l.id {
            placement::hand_over(target, fd);
            return;
        }
        self.adopt(fd);
    }

    /// Starts serving the accepted socket `fd` on this executor.
    fn adopt(&mut self, fd: RawFd) {
        let l = local();
        set_socket_options(fd);
        let (addr, laddr) = addresses(fd);
        let requirepass = shared()
            .config
            .read()
            .map(|c| c.requirepass().is_some())
            .unwrap_or(false);
        let id = shared().new_client_id();
        let client = ClientState::new(id, fd, addr, laddr, !requirepass);
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    conn: None,
                    fd: -1,
                    client_id: 0,
                    sending: Vec::new(),
                    sent: 0,
                    send_in_flight: false,
                    seen_ms: 0,
                    reading: false,
                    shut_down: false,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[index as usize];
        let t = token(index, slot.generation);
        slot.conn = Some(Conn::new(t, client));
        slot.fd = fd;
        slot.client_id = id;
        slot.sent = 0;
        slot.send_in_flight = false;
        slot.reading = true;
        slot.shut_down = false;
        l.stats.borrow_mut().connected_clients += 1;
        self.ring.recv(fd, t, self.bufs.group());
    }

    fn on_recv(&mut self, t: u64, res: i32, flags: u32) {
        let bid = cqueue::buffer_select(flags);
        if res <= 0 || self.slot(t).is_none() {
            if let Some(bid) = bid {
                self.bufs.push(bid);
            }
            let more = cqueue::more(flags);
            if let Some(slot) = self.slot(t) {
                if res == -libc::ENOBUFS {
                    let fd = slot.fd;
                    if !more {
                        self.ring.recv(fd, t, BUFFER_GROUP);
                    }
                    return;
                }
                if !more {
                    slot.reading = false;
                    self.begin_close(t);
                }
            }
            return;
        }
        let bid = bid.expect("a successful buffer-select receive names its buffer");
        let len = res as usize;
        let limit = crate::config::live::client_query_buffer_limit() as usize;
        let slot_index = (t & 0xFFFF_FFFF) as usize;
        self.pace.arrival(&mut self.slots[slot_index].seen_ms);
        let conn = self.slots[slot_index].conn.clone().expect("checked above");
        let too_big = {
            let mut c = conn.borrow_mut();
            c.inbuf.extend_from_slice(self.bufs.get(bid, len));
            // Commands read ahead and not run yet count too (`query_buffer_len`).
            c.query_buffer_len() > limit
        };
        self.bufs.push(bid);
        local().stats.borrow_mut().net_input_bytes += len as u64;
        if too_big {
            tracing::warn!(
                client = self.slots[slot_index].client_id,
                "closing client that reached max query buffer length"
            );
            self.begin_close(t);
            return;
        }
        if !cqueue::more(flags) {
            let fd = self.slots[slot_index].fd;
            self.ring.recv(fd, t, BUFFER_GROUP);
        }
        connection::process(&conn);
        self.flush(t);
    }

    fn on_send(&mut self, t: u64, res: i32) {
        let Some(slot) = self.slot(t) else { return };
        slot.send_in_flight = false;
        if res < 0 {
            slot.sending.clear();
            self.begin_close(t);
            return;
        }
        slot.sent += res as usize;
        local().stats.borrow_mut().net_output_bytes += res as u64;
        if slot.sent < slot.sending.len() {
            let (fd, ptr, len) = (
                slot.fd,
                slot.sending[slot.sent..].as_ptr(),
                slot.sending.len() - slot.sent,
            );
            slot.send_in_flight = true;
            self.ring.send(fd, t, ptr, len);
            return;
        }
        slot.sending.clear();
        slot.sent = 0;
        if slot.shut_down {
            self.finish_close(t);
        } else {
            self.flush(t);
        }
    }

    /// Hands the connection's pending replies to the kernel, unless a send is in flight (its
    /// completion flushes again).
    fn flush(&mut self, t: u64) {
        let Some(slot) = self.slot(t) else { return };
        if slot.send_in_flight || slot.shut_down {
            return;
        }
        let conn = slot.conn.clone().expect("slot holds a connection");
        let mut c = conn.borrow_mut();
        if c.out.is_empty() {
            let closing = c.closing() && !c.busy;
            drop(c);
            if closing {
                self.begin_close(t);
            }
            return;
        }
        // Swap rather than copy: the connection keeps writing into the emptied buffer while the
        // kernel sends the full one.
        std::mem::swap(&mut c.out, &mut slot.sending);
        slot.sent = 0;
        slot.send_in_flight = true;
        let (fd, ptr, len) = (slot.fd, slot.sending.as_ptr(), slot.sending.len());
        drop(c);
        self.ring.send(fd, t, ptr, len);
    }

    /// Stops reading and writing; the slot is freed once no operation on it is in flight.
    fn begin_close(&mut self, t: u64) {
        let Some(slot) = self.slot(t) else { return };
        if !slot.shut_down {
            slot.shut_down = true;
            // SAFETY: shuts down a socket this slot owns; ends the multishot receive.
            unsafe { libc::shutdown(slot.fd, libc::SHUT_RDWR) };
        }
        self.finish_close(t);
    }

    fn finish_close(&mut self, t: u64) {
        let index = (t & 0xFFFF_FFFF) as u32;
        let Some(slot) = self.slot(t) else { return };
        if slot.send_in_flight || slot.reading {
            return;
        }
        // SAFETY: closes the socket this slot owns; no operation on it is in flight any more.
        unsafe { libc::close(slot.fd) };
        slot.fd = -1;
        slot.conn = None;
        slot.generation = slot.generation.wrapping_add(1);
        slot.sending = Vec::new();
        connection::unregister(slot.client_id);
        self.free.push(index);
        local().stats.borrow_mut().connected_clients -= 1;
        placement::closed(local().id);
        shared()
            .clients
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Turns Nagle's algorithm off on an accepted connection: replies go out as soon as a turn
/// gathers them.
pub fn set_nodelay(fd: RawFd) {
    let one: libc::c_int = 1;
    // SAFETY: setsockopt with a valid int option value on a socket the caller owns.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            &one as *const _ as *const libc::c_void,
            4,
        );
    }
}

fn set_socket_options(fd: RawFd) {
    set_nodelay(fd);
    let one: libc::c_int = 1;
    let keepalive = shared()
        .config
        .read()
        .map(|c| c.tcp_keepalive_secs())
        .unwrap_or(300);
    if keepalive > 0 {
        let secs = keepalive.min(i32::MAX as u64) as libc::c_int;
        // SAFETY: as above.
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_KEEPALIVE,
                &one as *const _ as *const libc::c_void,
                4,
            );
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_KEEPIDLE,
                &secs as *const _ as *const libc::c_void,
                4,
            );
        }
    }
}

fn addresses(fd: RawFd) -> (Option<std::net::SocketAddr>, Option<std::net::SocketAddr>) {
    use std::os::fd::BorrowedFd;
    // SAFETY: `fd` is open for the duration of this call; socket2 only reads addresses.
    let b = unsafe { BorrowedFd::borrow_raw(fd) };
    let s = socket2::SockRef::from(&b);
    (
        s.peer_addr().ok().and_then(|a| a.as_socket()),
        s.local_addr().ok().and_then(|a| a.as_socket()),
    )
}

/// Runs the driver until the server shuts down.
pub async fn run(listeners: Vec<OwnedFd>) {
    let mut d = match Driver::new(listeners) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "cannot create the network ring");
            std::process::exit(1);
        }
    };
    let l = local();
    let doorbell = &shared().doorbells[l.id];
    let mut seen = l.activity.get();
    // A busy driver gives glommio a turn (its timers) whenever the batch clock, which `turn`
    // reads anyway, enters a new millisecond: no extra clock read per turn.
    let mut last_glommio_turn = batch_now();
    let spins = shared().nr_shards > 1;
    // Whether a turn since the last sleep did work. The spin waits for the echoes of work (peers'
    // answers, the next request); a wake-up that found nothing, such as the idle timeout, has
    // none coming, and spinning after each of those cost an idle server ~0.5 % of a core per
    // shard.
    let mut worked_since_sleep = false;
    loop {
        let worked = d.turn();
        worked_since_sleep |= worked;
        // glommio needs a turn only for work that came its way: a task of ours that became
        // ready, or woken by a peer's message (activity), or a timer that may be due.
        // Otherwise the driver keeps the core to itself.
        let batch_clock = batch_now();
        if l.activity.get() != seen || batch_clock != last_glommio_turn {
            glommio_turn().await;
            last_glommio_turn = batch_clock;
        }
        if shared()
            .shutting_down
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            break;
        }
        // This turn's writes go to the replication stream in one piece.
        crate::replication::propagate::flush_shard();
        let now = l.activity.get();
        if worked || now != seen || connection::has_ready_to_flush() {
            seen = now;
            continue;
        }
        if spins && worked_since_sleep && d.pace.gather().is_none() && d.spin_for_work(doorbell) {
            continue;
        }
        worked_since_sleep = false;
        doorbell.prepare_to_sleep();
        // Tasks of ours that became ready without a sign (a local wake-up, a spawn) run now;
        // a yield, unlike a glommio turn, costs no system call and no timer.
        futures_lite::future::yield_now().await;
        crate::replication::propagate::flush_shard();
        if l.activity.get() == seen
            && !doorbell.has_mail()
            && !d.ring.has_work()
            && !connection::has_ready_to_flush()
        {
            let allowance = timers::sleep_allowance();
            if allowance.is_zero() {
                // A deadline passed and its sleeper has not run: a glommio turn whose own timer
                // was due at its first poll returns without running the others.
                glommio_turn().await;
            } else {
                d.ring.wait(allowance, d.pace.gather());
            }
        }
        doorbell.awake();
    }
}
