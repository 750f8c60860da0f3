//! The replica's applier: runs the master's command stream on the shards, in the master's order,
//! and makes every change of role.
//!
//! Owns: the *master client* (a connection without a socket, flag `M`, listed by CLIENT LIST)
//! whose commands go through the normal dispatcher, so that routing, multi-key commands across
//! shards and MULTI/EXEC are exactly what clients get: atomic and serialized. Each command is
//! awaited before the next starts. The master client is exempt from `replica-read-only` and
//! sees keys whose deadline passed as live (the master decides what expired and says so with
//! DEL). Its replies go nowhere; errors are logged. The offset advances by each command's bytes
//! once the command ran; inside MULTI the bytes wait for EXEC, as a Redis replica counts them.
//! Those bytes also feed the backlog kept for this server's own replicas.
//!
//! Also owns the changes of role (REPLICAOF host port, REPLICAOF NO ONE, the `replicaof`
//! directive at start-up), which arrive through the same inbox as the stream, so they happen
//! between two commands of the master.
//!
//! Runs on: shard 0's executor, as one task for the life of the process.

use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::backlog::{self, Backlog};
use super::framing::StreamCommand;
use super::gate;
use super::inbox::{inbox, Answer, Control, Event, NextEvents};
use super::link;
use super::propagate;
use super::serve::{self, SyncRequest};
use super::staging::{self, LoadMode};
use super::state::{state, LinkState, MasterAddr, MasterClient};
use crate::commands::table::CmdResult;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::client::ClientState;
use crate::server::connection::{self, Conn, ConnRef};
use crate::server::dispatch::{dispatch, RemoteCmd, Step};
use crate::server::runtime::{deliver, post_job, with_keyspace_as};
use crate::server::shards::{on_all_shards, MultiShard, ShardId};
use crate::server::shared::shared;
use crate::server::transaction::exec_locked;
use crate::storage::db::set_expired_visible;

/// The driver token of the master client: no driver slot has it, so nothing is ever sent.
const MASTER_TOKEN: u64 = u64::MAX;
/// Commands sent ahead to other shards before the applier waits for them.
const MAX_ROUND: usize = 1024;
/// Errors from the master's commands logged one by one before the log only samples them.
const ERRORS_LOGGED_IN_FULL: u64 = 100;

/// Runs the applier forever. Spawned once, on shard 0, at start-up; follows the `replicaof`
/// directive if it is set.
pub async fn run() {
    let configured = shared()
        .config
        .read()
        .ok()
        .and_then(|c| c.replicaof().map(|(h, p)| (h.to_string(), p)));
    if let Some((host, port)) = configured {
        let (tx, _rx) = futures_channel::oneshot::channel();
        let answer = Answer {
            shard: super::inbox::APPLIER_SHARD,
            tx,
        };
        inbox().push_control(Control::Follow(MasterAddr { host, port }), answer);
    }
    let mut a = Applier {
        conn: None,
        multi_bytes: Vec::new(),
        round: Round::default(),
        unfed: Vec::new(),
        errors: 0,
    };
    let mut last_ping = Instant::now();
    loop {
        let period = ping_period();
        let wait = period.saturating_sub(last_ping.elapsed());
        let events = futures_lite::future::or(async { Some(NextEvents.await) }, async {
            crate::server::timers::sleep(wait).await;
            None
        })
        .await;
        if last_ping.elapsed() >= period {
            last_ping = Instant::now();
            ping_replicas();
        }
        for ev in events.into_iter().flatten() {
            a.handle(ev).await;
        }
    }
}

/// `repl-ping-replica-period`, at least a second.
fn ping_period() -> Duration {
    let secs = shared()
        .config
        .read()
        .map(|c| c.repl_ping_replica_period_secs())
        .unwrap_or(10);
    Duration::from_secs(secs.max(1))
}

/// A master pings its replicas through the stream, so that they can tell a silent master from a
/// dead link (a replica only relays its master's pings). Runs on the applier task, so it never
/// falls between a full sync's snapshot and its replica's registration.
fn ping_replicas() {
    if crate::replication::is_replica() || serve::replica_count() == 0 {
        return;
    }
    super::master_stream::append_ping();
}

struct Applier {
    /// The master client, while the link is up.
    conn: Option<ConnRef>,
    /// Bytes of a MULTI block received and queued, fed to the offset at EXEC.
    multi_bytes: Vec<u8>,
    /// Commands sent ahead to other shards and not yet answered.
    round: Round,
    /// Stream bytes dispatched and not yet counted (they wait for the round to land).
    unfed: Vec<u8>,
    /// Error replies to the master's commands so far.
    errors: u64,
}

impl Applier {
    async fn handle(&mut self, ev: Event) {
        match ev {
            Event::Commands(cmds) => {
                let bytes: usize = cmds.iter().map(|c| c.raw.len()).sum();
                for c in cmds {
                    self.apply(c).await;
                }
                self.flush_round().await;
                let mut ib = inbox();
                ib.queued_bytes = ib.queued_bytes.saturating_sub(bytes);
                if self
                    .conn
                    .as_ref()
                    .is_some_and(|c| c.borrow().client.close_after_reply)
                {
                    // CLIENT KILL TYPE master: the link drops and reconnects.
                    ib.drop_link = true;
                    if let Some(w) = &ib.link_wake {
                        w.wake();
                    }
                }
            }
            Event::FullSyncBegin { ready } => {
                self.drop_master_client();
                {
                    let mut s = state();
                    s.client = MasterClient::None;
                    s.link = LinkState::Transfer;
                }
                let mode = prepare_load().await;
                let _ = ready.send(mode);
            }
            Event::FullSyncDone {
                mode,
                replid,
                offset,
                stream_db,
            } => {
                if mode == LoadMode::Staged {
                    let tx = MultiShard::lock_all().await;
                    tx.run_each(staging::swap_in).await;
                    drop(tx);
                    on_all_shards(|_| staging::discard()).await;
                }
                // A new history: this server's replicas must sync again.
                serve::disconnect_all();
                let size = backlog::configured_size();
                let db = {
                    let mut s = state();
                    s.adopt(replid, offset);
                    s.backlog = Some(Backlog::new(size, offset));
                    s.client = MasterClient::Live;
                    s.link = LinkState::Connected;
                    s.down_since = None;
                    s.last_io = Some(Instant::now());
                    s.stream_db = stream_db.unwrap_or(0);
                    s.stream_db
                };
                self.new_master_client(db);
            }
            Event::Resumed { new_replid } => {
                let size = backlog::configured_size();
                let mut id_changed = false;
                let db = {
                    let mut s = state();
                    if let Some(id) = new_replid {
                        if id != s.replid {
                            tracing::info!(
                                "Master replication ID changed to {id}; the old one stays \
                                 valid up to offset {}",
                                s.offset
                            );
                            s.replid2 = std::mem::replace(&mut s.replid, id);
                            s.second_offset = s.offset + 1;
                            id_changed = true;
                        }
                    }
                    if s.backlog.is_none() {
                        let off = s.offset;
                        s.backlog = Some(Backlog::new(size, off));
                    }
                    s.client = MasterClient::Live;
                    s.link = LinkState::Connected;
                    s.down_since = None;
                    s.last_io = Some(Instant::now());
                    s.stream_db
                };
                if id_changed {
                    // They reconnect and learn the new id with a partial resync.
                    serve::disconnect_all();
                }
                self.new_master_client(db);
            }
            Event::LinkLost { done, discard } => {
                self.drop_master_client();
                {
                    let mut s = state();
                    if discard {
                        s.client = MasterClient::None;
                    } else if s.client == MasterClient::Live {
                        s.client = MasterClient::Cached;
                        s.down_since = Some(Instant::now());
                    }
                    s.link = LinkState::Connect;
                    s.last_io = None;
                    s.read_offset = s.offset;
                }
                let _ = done.send(());
            }
            Event::Serve(req) => self.serve(req).await,
            Event::Control(control, answer) => {
                let r = self.control(control).await;
                let Answer { shard, tx } = answer;
                deliver(shard, move || {
                    let _ = tx.send(r);
                });
            }
        }
    }

    /// Runs one command of the stream. A command owned by one other shard is sent ahead with
    /// the next ones for that shard (one job per shard, see `Round`), so the stream does not wait
    /// a round trip per command; each shard still applies its commands in the master's order,
    /// and anything that spans shards or must see everything before it (EXEC, multi-key
    /// commands, GETACK) first waits for the round to land.
    async fn apply(&mut self, cmd: StreamCommand) {
        let StreamCommand { mut argv, raw } = cmd;
        let Some(conn) = self.conn.clone() else {
            tracing::warn!("stream bytes without a master client; ignored");
            return;
        };
        if argv.is_empty() || argv[0].eq_ignore_ascii_case(b"ping") {
            self.advance(&conn, &raw);
            return;
        }
        if argv[0].eq_ignore_ascii_case(b"replconf") {
            if argv.len() >= 2 && argv[1].eq_ignore_ascii_case(b"getack") {
                // The ACK reports what was applied before this command.
                self.flush_round().await;
                let off = state().offset;
                inbox().request_ack(off);
            }
            self.advance(&conn, &raw);
            return;
        }
        // The dispatcher takes the arguments of a command that must wait.
        let name = argv[0].clone();
        let before = set_expired_visible(true);
        let step = dispatch(&mut conn.borrow_mut().client, &mut argv);
        set_expired_visible(before);
        let reply = match step {
            Step::Reply(r) => r,
            Step::Remote(cmd) => {
                self.round.push(cmd, name, raw.clone());
                self.advance(&conn, &raw);
                if self.round.len >= MAX_ROUND {
                    self.flush_round().await;
                }
                return;
            }
            Step::Wait(f) => {
                self.flush_round().await;
                Reply::from(SeesExpired(f).await)
            }
            Step::Split(_) => unreachable!("`dispatch` runs a spread command as a future"),
            Step::Exec(commands) => {
                self.flush_round().await;
                Reply::from(SeesExpired(Box::pin(exec_locked(conn.clone(), commands))).await)
            }
        };
        self.check_reply(&name, &raw, &reply);
        self.advance(&conn, &raw);
    }

    /// Counts `raw` as applied once the round lands, or keeps it for EXEC while the master
    /// client is in MULTI.
    fn advance(&mut self, conn: &ConnRef, raw: &Bytes) {
        if conn.borrow().client.multi.is_some() {
            self.multi_bytes.extend_from_slice(raw);
            return;
        }
        if !self.multi_bytes.is_empty() {
            let block = std::mem::take(&mut self.multi_bytes);
            self.unfed.extend_from_slice(&block);
        }
        self.unfed.extend_from_slice(raw);
    }

    /// Waits until every shard ran the commands sent ahead, then counts everything dispatched so
    /// far as applied (offset, backlog, this server's replicas).
    async fn flush_round(&mut self) {
        let groups = std::mem::take(&mut self.round.groups);
        self.round.len = 0;
        let mut answers = Vec::with_capacity(groups.len());
        for (shard, cmds) in groups {
            let (tx, rx) = futures_channel::oneshot::channel();
            let (labels, cmds): (Vec<(Bytes, Bytes)>, Vec<RemoteCmd>) = cmds
                .into_iter()
                .map(|(name, raw, c)| ((name, raw), c))
                .unzip();
            post_job(
                shard,
                Box::new(move || {
                    let now = crate::storage::clock::UnixMillis::now();
                    let results: Vec<CmdResult> = with_keyspace_as(true, |ks| {
                        cmds.into_iter().map(|c| c.run(ks, now)).collect()
                    });
                    deliver(super::inbox::APPLIER_SHARD, move || {
                        let _ = tx.send(results);
                    });
                }),
            );
            answers.push((labels, rx));
        }
        for (labels, rx) in answers {
            let Ok(results) = rx.await else {
                tracing::warn!("a shard dropped the master's commands");
                continue;
            };
            for ((name, raw), r) in labels.iter().zip(results) {
                self.check_reply(name, raw, &Reply::from(r));
            }
        }
        if !self.unfed.is_empty() {
            let wakes = state().feed(&self.unfed);
            wakes.post();
            self.unfed.clear();
        }
    }

    /// Logs an error the master's command got (a replica that errs has diverged, or lacks a
    /// command): Redis logs the same as critical.
    fn check_reply(&mut self, name: &Bytes, raw: &Bytes, reply: &Reply) {
        let mut errors: Vec<&Reply> = Vec::new();
        match reply {
            Reply::Error(_) => errors.push(reply),
            Reply::Array(items) if name.eq_ignore_ascii_case(b"exec") => {
                errors.extend(items.iter().filter(|r| r.is_error()))
            }
            _ => {}
        }
        for e in errors {
            self.errors += 1;
            if self.errors <= ERRORS_LOGGED_IN_FULL || self.errors.is_multiple_of(1000) {
                let Reply::Error(err) = e else { continue };
                tracing::warn!(
                    errors = self.errors,
                    "== CRITICAL == This replica is sending an error to its master: '{}' after \
                     processing the command '{}'",
                    err.message(),
                    String::from_utf8_lossy(name),
                );
                tracing::debug!(command = %raw.escape_ascii(), "the command that failed");
            }
        }
    }

    /// Answers a replica's PSYNC or SYNC: a partial resync from the backlog when its history is
    /// ours (the current id, or the previous one up to where it ended) and the backlog still
    /// holds what it lacks, else a full sync from an image of the dataset. Either way its stream
    /// starts with the byte after what it has: on a replica the answer is made between two
    /// commands of the master; on a master the image is taken while every shard is held, and
    /// the replica's buffer collects the stream from that moment on.
    async fn serve(&mut self, req: SyncRequest) {
        let (replica, live) = {
            let s = state();
            (s.is_replica(), s.client == MasterClient::Live)
        };
        if replica && !live {
            let msg = "-NOMASTERLINK Can't SYNC while not connected with my master\r\n";
            serve::send_to(req.shard, req.client_id, Bytes::from_static(msg.as_bytes()));
            return;
        }
        let who = format!("{}:{}", req.peer_ip, serve::announced(req.client_id).port);
        tracing::info!("Replica {who} asks for synchronization");
        if self.try_partial(&req, &who) {
            return;
        }
        if req.replid != "?" {
            tracing::info!(
                "Partial resynchronization not accepted: Replication ID mismatch or offset out \
                 of the backlog (Replica asked for '{}', offset {})",
                req.replid,
                req.offset
            );
        }
        let relayed_db = self.conn.as_ref().map_or(0, |c| c.borrow().client.db);
        super::full_resync::serve(&req, relayed_db, &who).await;
    }

    /// Accepts `req` as a partial resync when its history is ours and the backlog holds what it
    /// lacks: `+CONTINUE` and those bytes, then the stream, all from one moment of the stream.
    /// False (counted as refused if it asked for one) otherwise.
    fn try_partial(&mut self, req: &SyncRequest, who: &str) -> bool {
        let psync2 = serve::announced(req.client_id).psync2;
        let limit = usize::try_from(super::outputs::hard_limit()).unwrap_or(usize::MAX);
        let wakes = {
            let mut s = state();
            let ours = req.replid == s.replid
                || (req.replid == s.replid2 && req.offset <= s.second_offset);
            let backlog = s.backlog.as_ref().and_then(|b| b.since(req.offset));
            let bytes = match backlog {
                Some(bytes) if ours && !req.legacy => bytes,
                _ => {
                    if req.replid != "?" && !req.legacy {
                        s.counters.partial_err += 1;
                    }
                    return false;
                }
            };
            s.counters.partial_ok += 1;
            let line = if psync2 {
                format!("+CONTINUE {}\r\n", s.replid)
            } else {
                "+CONTINUE\r\n".to_string()
            };
            tracing::info!(
                "Partial resynchronization request from {who} accepted. Sending {} bytes of \
                 backlog starting from offset {}.",
                bytes.len(),
                req.offset
            );
            let mut out = line.into_bytes();
            out.extend_from_slice(&bytes);
            s.outputs.open(req.client_id, req.shard, limit);
            s.outputs.start(req.client_id, out, 0)
        };
        serve::register(req, req.offset - 1, "online");
        wakes.post();
        true
    }

    fn new_master_client(&mut self, db: usize) {
        self.drop_master_client();
        let addr = state()
            .master
            .as_ref()
            .and_then(|m| format!("{}:{}", m.host, m.port).parse().ok());
        let mut client = ClientState::new(shared().new_client_id(), -1, addr, None, true);
        client.flags = "M";
        client.db = db;
        self.conn = Some(Conn::new(MASTER_TOKEN, client));
    }

    /// Forgets the master client: its selected DB is kept for a partial resync, a transaction
    /// it had not finished is discarded (the master sends it again).
    fn drop_master_client(&mut self) {
        self.multi_bytes.clear();
        if let Some(conn) = self.conn.take() {
            let (id, db) = {
                let c = conn.borrow();
                (c.client.id, c.client.db)
            };
            state().stream_db = db;
            connection::unregister(id);
        }
    }

    async fn control(&mut self, control: Control) -> Result<(), CmdError> {
        // A full sync's load in progress ends first (it notices the change of generation).
        while inbox().loading {
            crate::server::timers::sleep(Duration::from_millis(5)).await;
        }
        match control {
            Control::Follow(addr) => {
                self.drop_master_client();
                // A master stops taking writes and propagating them at one moment: while every
                // shard is held, no write is halfway through.
                let master = state().master.is_none();
                let barrier = match master {
                    true => Some(MultiShard::lock_all().await),
                    false => None,
                };
                let was_master = {
                    let mut s = state();
                    let was_master = s.master.is_none();
                    if was_master {
                        // Offer our own history: the new master may share it (PSYNC2).
                        tracing::info!(
                            "Before turning into a replica, using my own master parameters to \
                             synthesize a cached master: I may be able to synchronize with the \
                             new master with just a partial transfer."
                        );
                        s.client = MasterClient::Cached;
                        if s.backlog.is_none() {
                            let off = s.offset;
                            s.backlog = Some(Backlog::new(backlog::configured_size(), off));
                        }
                    } else if s.client == MasterClient::Live {
                        s.client = MasterClient::Cached;
                    }
                    s.master = Some(addr.clone());
                    s.link = LinkState::Connect;
                    s.transfer = None;
                    s.last_io = None;
                    s.read_offset = s.offset;
                    was_master
                };
                if was_master {
                    propagate::set_active(false);
                    gate::set_replica(true);
                    drop(barrier);
                    set_replica_mode(true).await;
                }
                // They resynchronize with us once our link is up (a partial resync when the
                // new master continues our history).
                serve::disconnect_all();
                if let Ok(mut c) = shared().config.write() {
                    c.set_replicaof(Some((addr.host.clone(), addr.port)));
                }
                tracing::info!("REPLICAOF {}:{} enabled", addr.host, addr.port);
                let generation = inbox().generation;
                link::spawn(generation, addr);
                Ok(())
            }
            Control::Promote => {
                let was_replica = state().master.is_some();
                if !was_replica {
                    return Ok(());
                }
                self.drop_master_client();
                let has_backlog = {
                    let mut s = state();
                    s.shift_replid();
                    // The next write of ours starts with a SELECT.
                    s.own_stream_db = None;
                    s.master = None;
                    s.client = MasterClient::None;
                    s.link = LinkState::Connect;
                    s.transfer = None;
                    s.last_io = None;
                    s.down_since = None;
                    tracing::info!(
                        "Setting secondary replication ID to {}, valid up to offset: {}. New \
                         replication ID is {}",
                        s.replid2,
                        s.second_offset,
                        s.replid
                    );
                    s.backlog.is_some()
                };
                serve::disconnect_all();
                // Our own writes continue the stream (and the backlog) from here, before the
                // first one can happen.
                propagate::set_active(has_backlog);
                gate::set_replica(false);
                set_replica_mode(false).await;
                if let Ok(mut c) = shared().config.write() {
                    c.set_replicaof(None);
                }
                tracing::info!("MASTER MODE enabled (user request)");
                Ok(())
            }
        }
    }
}

/// Prepares the shards for a full sync's load and says how it will go: in place when
/// `repl-diskless-load` is `on-empty-db` and the dataset is empty (clients get -LOADING), else
/// staged (clients read the old dataset until the switch).
async fn prepare_load() -> LoadMode {
    let on_empty_db = shared()
        .config
        .read()
        .map(|c| c.repl_diskless_load() == "on-empty-db")
        .unwrap_or(false);
    let tx = MultiShard::lock_all().await;
    let keys: usize = tx
        .run_each(|ks| ks.dbs.iter().map(|d| d.len()).sum::<usize>())
        .await
        .into_iter()
        .sum();
    let mode = if on_empty_db && keys == 0 {
        gate::set_loading(true);
        LoadMode::InPlace
    } else {
        tx.run_each(staging::begin).await;
        LoadMode::Staged
    };
    drop(tx);
    mode
}

/// Commands sent ahead to other shards: per shard, in stream order, each with its name and
/// bytes (for the log, should it fail).
#[derive(Default)]
struct Round {
    groups: Vec<(ShardId, Vec<SentAhead>)>,
    len: usize,
}

/// One command sent ahead: its name, its bytes, the command.
type SentAhead = (Bytes, Bytes, RemoteCmd);

impl Round {
    fn push(&mut self, cmd: RemoteCmd, name: Bytes, raw: Bytes) {
        self.len += 1;
        let shard = cmd.shard;
        match self.groups.iter_mut().find(|(s, _)| *s == shard) {
            Some((_, cmds)) => cmds.push((name, raw, cmd)),
            None => self.groups.push((shard, vec![(name, raw, cmd)])),
        }
    }
}

/// Puts every shard's databases in replica mode (expired keys kept until the master's DEL, no
/// active expiry) or back.
async fn set_replica_mode(on: bool) {
    on_all_shards(move |ks| {
        for db in &mut ks.dbs {
            db.set_keep_expired(on);
        }
    })
    .await;
}

/// Polls a command's future with expired keys visible, as the master's commands see them; the
/// hops it makes carry the setting to their shards.
struct SeesExpired<F>(F);

impl<F: Future + Unpin> Future for SeesExpired<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let before = set_expired_visible(true);
        let r = Pin::new(&mut self.0).poll(cx);
        set_expired_visible(before);
        r
    }
}
