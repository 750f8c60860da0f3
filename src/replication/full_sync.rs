//! A full sync on the replica: the master's RDB, read off the socket and loaded straight into
//! the shards as it arrives.
//!
//! Owns: the payload's framing (`$<len>` followed by exactly that many bytes, or the diskless
//! `$EOF:<40-byte mark>` form whose RDB ends with the same mark), the load itself (the RDB
//! reader hands keys to `BulkLoader`, which sends them to their shards in batches: every core
//! inserts its own keys while this thread parses), and the cleanup when the payload is bad.
//!
//! Where the keys go (`repl-diskless-load`, decided by the applier when the sync starts): with
//! `on-empty-db` and an empty dataset, straight into the live databases while clients get
//! -LOADING; otherwise (`disabled`, `swapdb`) into staging databases while clients keep reading
//! the old dataset, which is swapped out at the end in one step. Keys expired on the master's
//! clock are kept, since a replica only deletes on its master's DEL. A failed load leaves the old
//! dataset (staged) or an empty one (in place), and no cached master: the next sync is full.
//! Runs on: the link thread. Must not: touch a keyspace other than through `BulkLoader` jobs.

use std::io::BufRead;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::gate;
use super::inbox::{inbox, Event};
use super::link::LinkError;
use super::staging::{self, LoadMode};
use super::state::{state, MasterClient, Transfer};
use super::wire::{Limited, MasterSocket};
use crate::rdb::{AuxFields, RdbReader, ReadOptions};
use crate::server::bulk_load::{BulkLoader, LoadCounts};
use crate::server::runtime::{post_job, with_keyspace};
use crate::storage::clock::UnixMillis;

/// Keys parsed between two looks at the link's generation and the progress counters.
const BATCH: usize = 512;
/// How often the load logs its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);
/// Length of the end mark of the diskless form.
const EOF_MARK_LEN: usize = 40;

/// How the master frames its RDB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// `$<len>`: exactly this many bytes.
    Sized(u64),
    /// `$EOF:<mark>`: the RDB, then the mark.
    EofMark(Vec<u8>),
}

/// Reads the line that announces the payload (`$<len>` or `$EOF:<mark>`).
pub fn parse_payload_header(line: &[u8]) -> Result<Payload, LinkError> {
    let shown = || String::from_utf8_lossy(line).into_owned();
    if line.first() == Some(&b'-') {
        return Err(LinkError::new(format!(
            "MASTER aborted replication with an error: {}",
            shown()
        )));
    }
    let Some(rest) = line.strip_prefix(b"$") else {
        return Err(LinkError::new(format!(
            "Bad protocol from MASTER, the first byte is not '$' (we received '{}'), are you \
             sure the host and port are right?",
            shown()
        )));
    };
    if let Some(mark) = rest.strip_prefix(b"EOF:") {
        if mark.len() != EOF_MARK_LEN {
            return Err(LinkError::new(format!(
                "Bad EOF mark from MASTER: '{}'",
                shown()
            )));
        }
        return Ok(Payload::EofMark(mark.to_vec()));
    }
    std::str::from_utf8(rest)
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
        .map(Payload::Sized)
        .ok_or_else(|| LinkError::new(format!("Bad payload length from MASTER: '{}'", shown())))
}

/// What a successful load found.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// How it was loaded.
    pub mode: LoadMode,
    /// The DB the master's stream had selected (`repl-stream-db`).
    pub stream_db: Option<usize>,
    /// What went to the shards.
    pub counts: LoadCounts,
}

/// Receives and loads the RDB that follows `+FULLRESYNC`. On success the dataset is the
/// master's; on error it is empty and the cached master is gone.
pub fn receive(sock: &mut MasterSocket, generation: u64) -> Result<Loaded, LinkError> {
    state().transfer = Some(Transfer {
        total: -1,
        read: 0,
        last_io: Instant::now(),
    });
    let header = sock
        .read_reply_line()
        .map_err(|e| LinkError::io("reading the RDB header", e))?;
    let payload = parse_payload_header(&header)?;
    match &payload {
        Payload::Sized(n) => {
            tracing::info!("MASTER <-> REPLICA sync: receiving {n} bytes from master to memory")
        }
        Payload::EofMark(_) => {
            tracing::info!("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF")
        }
    }
    if let Some(t) = &mut state().transfer {
        t.total = match payload {
            Payload::Sized(n) => n as i64,
            Payload::EofMark(_) => 0,
        };
    }
    let (ready, wait) = mpsc::channel();
    begin_load(generation, ready)?;
    let mode = wait_answer(&wait, generation)?;
    match mode {
        LoadMode::InPlace => {
            tracing::info!("MASTER <-> REPLICA sync: Flushing old data; Loading DB in memory")
        }
        LoadMode::Staged => tracing::info!(
            "MASTER <-> REPLICA sync: Loading DB in memory aside; clients read the old data \
             until the switch"
        ),
    }
    let result = load(sock, &payload, generation, mode);
    if let Err(e) = &result {
        state().client = MasterClient::None;
        match mode {
            LoadMode::InPlace => {
                tracing::warn!(
                    "Failed trying to load the MASTER synchronization DB from socket: {e}; the \
                     dataset is emptied"
                );
                on_every_shard(|| {
                    with_keyspace(|ks| crate::commands::dbwide::flush_shard(ks, None));
                });
            }
            LoadMode::Staged => {
                tracing::warn!(
                    "Failed trying to load the MASTER synchronization DB from socket: {e}; the \
                     old dataset stays"
                );
                on_every_shard(staging::discard);
            }
        }
    }
    inbox().loading = false;
    gate::set_loading(false);
    state().transfer = None;
    result
}

/// Asks the applier to prepare the shards for the load.
fn begin_load(generation: u64, ready: mpsc::Sender<LoadMode>) -> Result<(), LinkError> {
    let mut ib = inbox();
    if !ib.push(generation, Event::FullSyncBegin { ready }) {
        return Err(LinkError::stopped());
    }
    ib.loading = true;
    Ok(())
}

/// Waits for the applier's answer, giving up if the link's generation ends meanwhile.
pub fn wait_answer<T>(rx: &mpsc::Receiver<T>, generation: u64) -> Result<T, LinkError> {
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(v) => return Ok(v),
            Err(mpsc::RecvTimeoutError::Timeout) if inbox().generation == generation => {}
            Err(_) => return Err(LinkError::stopped()),
        }
    }
}

fn load(
    sock: &mut MasterSocket,
    payload: &Payload,
    generation: u64,
    mode: LoadMode,
) -> Result<Loaded, LinkError> {
    match payload {
        Payload::Sized(len) => {
            let mut limited = Limited::new(sock, *len);
            let loaded = load_rdb(&mut limited, generation, mode)?;
            if limited.left > 0 {
                let left = limited.left;
                tracing::warn!(
                    bytes = left,
                    "the master's payload goes on after its RDB's end; skipping the rest"
                );
                sock.skip(left)
                    .map_err(|e| LinkError::io("skipping the payload's tail", e))?;
            }
            Ok(loaded)
        }
        Payload::EofMark(mark) => {
            let loaded = load_rdb(&mut *sock, generation, mode)?;
            let end = sock
                .read_exact_vec(EOF_MARK_LEN)
                .map_err(|e| LinkError::io("reading the RDB's end mark", e))?;
            if &end != mark {
                return Err(LinkError::new(
                    "the master's RDB is not followed by its end mark".to_string(),
                ));
            }
            Ok(loaded)
        }
    }
}

/// Reads one RDB from `src` and hands its keys to the shards (or their staging databases).
fn load_rdb<R: BufRead>(src: R, generation: u64, mode: LoadMode) -> Result<Loaded, LinkError> {
    let sh = crate::server::shared::shared();
    let opts = ReadOptions {
        databases: Some(sh.databases as u64),
        ..ReadOptions::default()
    };
    let started = Instant::now();
    let mut rdb = RdbReader::new(src, opts).map_err(LinkError::rdb)?;
    let mut loader = match mode {
        LoadMode::InPlace => BulkLoader::new(sh.nr_shards, sh.databases, true),
        LoadMode::Staged => {
            BulkLoader::with_sink(sh.nr_shards, sh.databases, true, staging::insert)
        }
    };
    let mut batch = Vec::with_capacity(BATCH);
    let mut last_log = Instant::now();
    let result = loop {
        batch.clear();
        let more = match rdb.next_batch(BATCH, &mut batch) {
            Ok(more) => more,
            Err(e) => break Err(LinkError::rdb(e)),
        };
        let now = UnixMillis::now();
        for e in batch.drain(..) {
            loader.add(e, now);
        }
        if let Some(t) = &mut state().transfer {
            t.read = rdb.offset();
            t.last_io = Instant::now();
        }
        if last_log.elapsed() >= PROGRESS_EVERY {
            last_log = Instant::now();
            tracing::info!(
                bytes = rdb.offset(),
                keys = loader.counts().loaded,
                "MASTER <-> REPLICA sync: loading"
            );
        }
        if inbox().generation != generation {
            break Err(LinkError::stopped());
        }
        if !more {
            break Ok(());
        }
    };
    let counts = loader.finish();
    result?;
    let aux: AuxFields = rdb.aux().clone();
    let bytes = rdb.offset();
    tracing::info!(
        bytes,
        keys = counts.loaded,
        ms = started.elapsed().as_millis() as u64,
        "MASTER <-> REPLICA sync: RDB loaded"
    );
    let stream_db = aux
        .repl_stream_db
        .and_then(|db| usize::try_from(db).ok())
        .filter(|&db| db < sh.databases);
    Ok(Loaded {
        mode,
        stream_db,
        counts,
    })
}

/// Runs `f` on every shard's executor, from the link thread, and waits until all ran.
fn on_every_shard(f: fn()) {
    let n = crate::server::shared::shared().nr_shards;
    let (tx, rx) = mpsc::channel();
    for s in 0..n {
        let tx = tx.clone();
        post_job(
            s,
            Box::new(move || {
                f();
                let _ = tx.send(());
            }),
        );
    }
    drop(tx);
    for _ in 0..n {
        if rx.recv().is_err() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_headers_are_read_strictly() {
        assert_eq!(
            parse_payload_header(b"$1234").unwrap(),
            Payload::Sized(1234)
        );
        let mark = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            parse_payload_header(format!("$EOF:{mark}").as_bytes()).unwrap(),
            Payload::EofMark(mark.as_bytes().to_vec())
        );
        for bad in [
            &b"$EOF:short"[..],
            b"$-1",
            b"$abc",
            b"+FULLRESYNC",
            b"-ERR no",
        ] {
            assert!(parse_payload_header(bad).is_err());
        }
    }
}
