//! A full resynchronization of one replica of this server: `+FULLRESYNC <id> <offset>`, an
//! image of the dataset at that offset, then the stream from it.
//!
//! Owns: the *sync point*, taken while every shard is held (no write is halfway through): the
//! offset and id the replica gets, the backlog and propagation switched on (a master's first
//! replica), the replica's output opened so that it collects the stream from that moment on.
//! Then the image, one of two ways:
//! - Forked (a replica that reads the `$EOF:` form, i.e. announced `capa eof`): the snapshot
//!   module forks a child at the sync point's barrier, and the shards go on at once. The child
//!   writes `$EOF:<mark>\r\n`, the RDB and the mark into a pipe; a thread of ours passes what
//!   it reads on to the replica's connection. As Redis does, the stream waits behind until the
//!   replica's first ACK: a replica reading the EOF form may read past the mark.
//! - Locked (a replica of the legacy SYNC or without `capa eof`, or a snapshot child already
//!   running): the RDB is written in memory while every shard stays held, and sent sized
//!   (`$<len>`), the stream right behind it.
//!
//! Runs on: the applier's task (shard 0), between two commands of this server's master when it
//! is itself a replica. Must not: hold the state mutex across an await.

use std::cell::Cell;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::backlog::{self, Backlog};
use super::dataset_rdb::dataset_rdb;
use super::outputs::hard_limit;
use super::propagate;
use super::serve::{self, SyncRequest};
use super::state::{random_replid, state, NO_REPLID};
use crate::persistence::{
    fork_snapshot, ChildOutcome, ReplicationAux, SnapshotError, SnapshotTarget,
};
use crate::server::connection;
use crate::server::runtime::{deliver, deliver_later};
use crate::server::shards::MultiShard;

/// Bytes read from the snapshot child's pipe at a time.
const PIPE_CHUNK: usize = 256 * 1024;

/// Where the replica's history starts.
struct SyncPoint {
    replid: String,
    offset: i64,
    /// The DB the stream has selected (the RDB's `repl-stream-db`).
    stream_db: usize,
}

/// Serves `req` a full resynchronization (see the module documentation). `relayed_db` is the
/// DB this server's master stream has selected, when this server is a replica.
pub async fn serve(req: &SyncRequest, relayed_db: usize, who: &str) {
    tracing::info!("Full resync requested by replica {who}");
    serve::register(req, 0, "wait_bgsave");
    if serve::announced(req.client_id).eof && !req.legacy {
        match forked(req, relayed_db, who).await {
            Ok(()) => return,
            Err(e) => tracing::info!(
                "Can't fork a snapshot child for replica {who} ({e}): writing its dataset with \
                 every shard held"
            ),
        }
    }
    locked(req, relayed_db, who).await;
}

/// Takes the sync point. Call while every shard is held.
fn sync_point(req: &SyncRequest, relayed_db: usize) -> SyncPoint {
    let limit = usize::try_from(hard_limit()).unwrap_or(usize::MAX);
    let (point, master) = {
        let mut s = state();
        s.counters.full += 1;
        let master = !s.is_replica();
        let stream_db = if master {
            if s.backlog.is_none() {
                // A backlog made from scratch starts a history of its own, as in Redis.
                s.replid = random_replid();
                s.replid2 = NO_REPLID.to_string();
                s.second_offset = -1;
                let off = s.offset;
                s.backlog = Some(Backlog::new(backlog::configured_size(), off));
                tracing::info!(
                    "Replication backlog created, my new replication IDs are '{}' and '{}'",
                    s.replid,
                    s.replid2
                );
            }
            // The replica's stream starts with a SELECT.
            s.own_stream_db.take().unwrap_or(0)
        } else {
            relayed_db
        };
        s.outputs.open(req.client_id, req.shard, limit);
        let point = SyncPoint {
            replid: s.replid.clone(),
            offset: s.offset,
            stream_db,
        };
        (point, master)
    };
    if master {
        propagate::set_active(true);
    }
    point
}

/// The image written in memory with every shard held, sent sized, the stream right behind.
async fn locked(req: &SyncRequest, relayed_db: usize, who: &str) {
    let tx = MultiShard::lock_all().await;
    let p = sync_point(req, relayed_db);
    let rdb = dataset_rdb(&tx, p.stream_db, &p.replid, p.offset).await;
    drop(tx);
    let Some(rdb) = rdb else {
        tracing::warn!("could not write the dataset for replica {who}");
        drop_replica(req);
        return;
    };
    tracing::info!(
        bytes = rdb.len(),
        "Synchronization with replica {who}: sending the dataset at offset {}",
        p.offset
    );
    let mut out = Vec::with_capacity(rdb.len() + 80);
    if !req.legacy {
        out.extend_from_slice(format!("+FULLRESYNC {} {}\r\n", p.replid, p.offset).as_bytes());
    }
    out.extend_from_slice(format!("${}\r\n", rdb.len()).as_bytes());
    out.extend_from_slice(&rdb);
    // A replica of the legacy SYNC never acknowledges: it is online once it has the image.
    let sent = if req.legacy { "online" } else { "send_bulk" };
    serve::register(req, p.offset, sent);
    let wakes = state().outputs.start(req.client_id, out, rdb.len());
    wakes.post();
}

/// The image from a forked snapshot child, in the `$EOF:` form. `Err` when no child could be
/// forked before the sync point was taken (the caller falls back to [`locked`]); once it was
/// taken, a failure drops the replica, which asks again.
async fn forked(req: &SyncRequest, relayed_db: usize, who: &str) -> Result<(), SnapshotError> {
    let (read_end, write_end) = pipe().map_err(SnapshotError::Fork)?;
    let mark = random_replid();
    let target = SnapshotTarget::Fd {
        fd: write_end,
        prefix: format!("$EOF:{mark}\r\n").into_bytes(),
        suffix: mark.into_bytes(),
    };
    let reached = Cell::new(false);
    let (shard, client_id) = (req.shard, req.client_id);
    let child = fork_snapshot(target, async |_tx: &MultiShard| {
        reached.set(true);
        let p = sync_point(req, relayed_db);
        // Before the child exists, so before any of its bytes.
        let line = format!("+FULLRESYNC {} {}\r\n", p.replid, p.offset);
        deliver_later(shard, move || append(client_id, line.as_bytes(), None));
        tracing::info!(
            "Starting BGSAVE for SYNC with target: replicas sockets (replica {}, offset {})",
            client_id,
            p.offset
        );
        Some(ReplicationAux {
            stream_db: p.stream_db as i64,
            repl_id: p.replid,
            offset: p.offset,
        })
    })
    .await;
    let child = match child {
        Ok(c) => c,
        Err(e) if reached.get() => {
            tracing::warn!("Can't fork for replica {who}: {e}");
            drop_replica(req);
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let gone = Arc::new(AtomicBool::new(false));
    let pump = {
        let gone = gone.clone();
        std::thread::Builder::new()
            .name("repl-rdb-pipe".into())
            .spawn(move || pump(read_end, shard, client_id, gone))
    };
    if let Err(e) = pump {
        tracing::warn!("cannot start the thread that sends the dataset: {e}");
        gone.store(true, Ordering::Relaxed);
        drop_replica(req);
    }
    let who = who.to_string();
    let req = req.clone();
    glommio::spawn_local(async move {
        match child.wait().await {
            ChildOutcome::Done => tracing::debug!("dataset image for replica {who} written"),
            outcome => {
                tracing::warn!("Background transfer to replica {who} failed: {outcome:?}");
                gone.store(true, Ordering::Relaxed);
                drop_replica(&req);
            }
        }
    })
    .detach();
    Ok(())
}

/// Passes the child's output on to the replica's connection, chunk by chunk, then tells the
/// connection's executor the image is all there. Runs on a thread of its own; stops early when
/// the connection is gone.
fn pump(read_end: OwnedFd, shard: usize, client_id: u64, gone: Arc<AtomicBool>) {
    let mut pipe = std::fs::File::from(read_end);
    let mut buf = vec![0u8; PIPE_CHUNK];
    let mut total = 0usize;
    let complete = loop {
        if gone.load(Ordering::Relaxed) {
            break false;
        }
        match pipe.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => {
                total += n;
                let chunk = buf[..n].to_vec();
                let gone = gone.clone();
                deliver_later(shard, move || append(client_id, &chunk, Some(&gone)));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                tracing::warn!(client = client_id, "reading the snapshot pipe: {e}");
                break false;
            }
        }
    };
    // Closing the pipe here ends a child still writing (a broken pipe).
    drop(pipe);
    if complete {
        deliver_later(shard, move || serve::image_sent(client_id, total));
    }
}

/// Appends `bytes` to the output of connection `client_id` (on this executor); flags `gone`
/// when it was closed.
fn append(client_id: u64, bytes: &[u8], gone: Option<&AtomicBool>) {
    let Some(conn) = connection::find(client_id) else {
        if let Some(g) = gone {
            g.store(true, Ordering::Relaxed);
        }
        return;
    };
    let mut c = conn.borrow_mut();
    c.out.extend_from_slice(bytes);
    connection::schedule_flush(c.token);
}

/// Gives up on replica `req` (it reconnects and asks again).
fn drop_replica(req: &SyncRequest) {
    state().outputs.remove(req.client_id);
    let client_id = req.client_id;
    deliver(req.shard, move || {
        connection::kill(client_id);
    });
}

/// A pipe whose ends are closed on exec.
fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two descriptors into a valid two-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors are fresh and owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}
