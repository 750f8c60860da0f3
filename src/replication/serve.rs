//! The master side: this server's own replicas, whether it is a master (its own writes, see
//! `propagate`) or itself a replica (its master's stream passed on byte for byte, so that a
//! chain of replicas shares one replication id and one offset, PSYNC2).
//!
//! Owns: the registry of replica connections (where each lives, what it announced with
//! REPLCONF, its last acknowledged offset), for INFO, ROLE and CLIENT KILL. A replica
//! connection is an ordinary client connection of the executor that accepted it; once it asked
//! for PSYNC, what it receives (the `+FULLRESYNC`/`+CONTINUE` line, the RDB or the backlog, then
//! the stream) goes through its buffer in `outputs`. The answer to PSYNC itself is the
//! applier's (`applier::serve`, `full_resync`), made between two commands of this server's
//! master when it is a replica, and at a barrier of every shard for a full sync.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use super::report::ReplicaLine;
use crate::server::connection;
use crate::server::runtime::deliver;
use crate::server::shards::ShardId;

/// What a connection said about itself with REPLCONF before its PSYNC.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Announced {
    /// `listening-port`.
    pub port: u16,
    /// `ip-address`, if given.
    pub ip: Option<String>,
    /// `capa psync2`: it understands `+CONTINUE <replid>`.
    pub psync2: bool,
    /// `capa eof`: it reads a dataset sent in the `$EOF:<mark>` form.
    pub eof: bool,
}

/// One replica of this server.
#[derive(Debug, Clone)]
pub struct ReplicaConn {
    /// Its client id.
    pub client_id: u64,
    /// The executor its connection lives on.
    pub shard: ShardId,
    /// Address shown by INFO (announced, else the peer's).
    pub ip: String,
    /// Its listening port.
    pub port: u16,
    /// Its last acknowledged offset.
    pub ack_offset: i64,
    /// When its last ACK arrived.
    pub last_ack: Instant,
    /// As INFO names it: `wait_bgsave` while its dataset image is written, `send_bulk` until
    /// its first ACK after the image, then `online`.
    pub state: &'static str,
    /// The stream waits for its first ACK (after an `$EOF:` image of this many bytes).
    pub awaiting_ack: Option<usize>,
}

#[derive(Default)]
struct Registry {
    announced: HashMap<u64, Announced>,
    replicas: Vec<ReplicaConn>,
}

fn registry() -> MutexGuard<'static, Registry> {
    static R: OnceLock<Mutex<Registry>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(Registry::default()))
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// A replica's request for the stream (PSYNC, or the legacy SYNC).
#[derive(Debug, Clone)]
pub struct SyncRequest {
    /// Its client id.
    pub client_id: u64,
    /// The executor its connection lives on.
    pub shard: ShardId,
    /// Its peer address, for INFO.
    pub peer_ip: String,
    /// The history it has (`?` for none).
    pub replid: String,
    /// The first offset it lacks.
    pub offset: i64,
    /// SYNC: no `+FULLRESYNC` line, always a full sync.
    pub legacy: bool,
}

/// Records `REPLCONF listening-port`.
pub fn announce_port(client_id: u64, port: u16) {
    registry().announced.entry(client_id).or_default().port = port;
}

/// Records `REPLCONF ip-address`.
pub fn announce_ip(client_id: u64, ip: String) {
    registry().announced.entry(client_id).or_default().ip = Some(ip);
}

/// Records `REPLCONF capa psync2`.
pub fn announce_psync2(client_id: u64) {
    registry().announced.entry(client_id).or_default().psync2 = true;
}

/// Records `REPLCONF capa eof`.
pub fn announce_eof(client_id: u64) {
    registry().announced.entry(client_id).or_default().eof = true;
}

/// Records `REPLCONF ACK <offset>` from a replica (ignored from other clients, as in Redis).
/// The first one after an `$EOF:` image lets the stream go.
pub fn ack(client_id: u64, offset: i64) {
    let release = {
        let mut r = registry();
        let Some(rep) = r.replicas.iter_mut().find(|x| x.client_id == client_id) else {
            return;
        };
        rep.ack_offset = rep.ack_offset.max(offset);
        rep.last_ack = Instant::now();
        // An ACK after the dataset means the replica loaded it.
        if rep.state == "send_bulk" {
            rep.state = "online";
        }
        if rep.state == "online" {
            rep.awaiting_ack.take()
        } else {
            None
        }
    };
    if let Some(allowance) = release {
        let wakes = super::state::state()
            .outputs
            .start(client_id, Vec::new(), allowance);
        wakes.post();
    }
}

/// The whole `$EOF:` image (`bytes` long) went to replica `client_id`: it is `send_bulk` until
/// its first ACK, which lets the stream go.
pub fn image_sent(client_id: u64, bytes: usize) {
    let mut r = registry();
    if let Some(rep) = r.replicas.iter_mut().find(|x| x.client_id == client_id) {
        rep.state = "send_bulk";
        rep.awaiting_ack = Some(bytes);
    }
}

/// True when `client_id` is one of this server's replicas.
pub fn is_replica_client(client_id: u64) -> bool {
    registry().replicas.iter().any(|x| x.client_id == client_id)
}

/// Forgets a closed connection.
pub fn forget(client_id: u64) {
    let was_replica = {
        let mut r = registry();
        r.announced.remove(&client_id);
        let before = r.replicas.len();
        r.replicas.retain(|x| x.client_id != client_id);
        r.replicas.len() != before
    };
    if was_replica {
        super::state::state().outputs.remove(client_id);
    }
}

/// Number of attached replicas.
pub fn replica_count() -> usize {
    registry().replicas.len()
}

/// What REPLCONF told about `client_id`.
pub fn announced(client_id: u64) -> Announced {
    registry()
        .announced
        .get(&client_id)
        .cloned()
        .unwrap_or_default()
}

/// Adds an attached replica, or updates it, in `state` (see [`ReplicaConn::state`]). Runs on
/// the applier.
pub fn register(req: &SyncRequest, ack_offset: i64, state: &'static str) {
    let mut r = registry();
    let a = r.announced.get(&req.client_id).cloned().unwrap_or_default();
    r.replicas.retain(|x| x.client_id != req.client_id);
    r.replicas.push(ReplicaConn {
        client_id: req.client_id,
        shard: req.shard,
        ip: a.ip.unwrap_or_else(|| req.peer_ip.clone()),
        port: a.port,
        ack_offset,
        last_ack: Instant::now(),
        state,
        awaiting_ack: None,
    });
}

/// Sends `bytes` (an error line: the connection is not a replica yet) to connection
/// `client_id` on `shard`.
pub fn send_to(shard: ShardId, client_id: u64, bytes: Bytes) {
    deliver(shard, move || {
        let Some(conn) = connection::find(client_id) else {
            return;
        };
        let mut c = conn.borrow_mut();
        c.out.extend_from_slice(&bytes);
        connection::schedule_flush(c.token);
    });
}

/// Closes every replica connection (after a full sync or a promotion changed the history: they
/// reconnect and ask again). Takes the state mutex: never call with it held.
pub fn disconnect_all() {
    let gone = std::mem::take(&mut registry().replicas);
    super::state::state().outputs.clear();
    for x in gone {
        tracing::info!(
            "Connection with replica {}:{} lost: closed to resynchronize",
            x.ip,
            x.port
        );
        deliver(x.shard, move || {
            connection::kill(x.client_id);
        });
    }
}

/// This server's replicas, in attach order, as INFO shows them.
pub fn replica_lines() -> Vec<ReplicaLine> {
    registry()
        .replicas
        .iter()
        .map(|x| ReplicaLine {
            ip: x.ip.clone(),
            port: x.port,
            state: x.state,
            offset: x.ack_offset,
            lag: x.last_ack.elapsed().as_secs() as i64,
        })
        .collect()
}
