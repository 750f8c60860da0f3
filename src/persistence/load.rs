//! Loading the dataset from `dir/dbfilename` at start-up, while the server already answers.
//!
//! Owns: the start-up load. `prepare` runs on the main thread before any executor: it opens the
//! file (a missing file is an empty dataset; any other error stops the server) and raises the
//! `LOADING` flag, so that from the very first connection every command without the `loading`
//! flag is answered `-LOADING`. `start` (shard 0, once the executors run) hands the file to a
//! thread of its own, which reads it with the streaming `RdbReader` and gives the keys to the
//! shards through `BulkLoader`, as a master does: keys whose deadline has passed are dropped.
//! Progress goes to INFO (`loading_*`) and, every second, to the log. A file that cannot be
//! read to its end stops the server with exit code 1 and a message naming the byte offset and
//! the problem; the file is left untouched (nothing saves while loading).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::serialize::debug_delay;
use super::settings::read_config;
use super::status::{status, unix_now, LOADING, LOAD_PROGRESS};
use crate::config::Config;
use crate::rdb::{KeyEntry, RdbReader, ReadOptions};
use crate::server::bulk_load::BulkLoader;
use crate::storage::clock::UnixMillis;

/// How often a long load logs its progress.
const LOG_EVERY: Duration = Duration::from_secs(1);
/// Keys read per batch.
const BATCH: usize = 1024;

/// An opened snapshot waiting for the executors.
struct PendingLoad {
    file: File,
    path: PathBuf,
    options: ReadOptions,
    databases: usize,
}

static PENDING: Mutex<Option<PendingLoad>> = Mutex::new(None);

/// Opens the snapshot named by `config`, before the executors start. `Ok(false)`: there is none
/// (the dataset starts empty). `Ok(true)`: loading is pending and the server answers `-LOADING`
/// until it ends. `Err`: the message to stop with.
pub fn prepare(config: &Config) -> Result<bool, String> {
    let path = config.rdb_path();
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => {
            return Err(format!(
                "Fatal error loading the DB from {}: {e}. Exiting.",
                path.display()
            ))
        }
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let options = ReadOptions {
        verify_checksum: config.rdbchecksum(),
        databases: Some(config.databases() as u64),
        ..ReadOptions::default()
    };
    LOAD_PROGRESS
        .start_time
        .store(unix_now(), Ordering::Relaxed);
    LOAD_PROGRESS.total_bytes.store(size, Ordering::Relaxed);
    LOAD_PROGRESS.loaded_bytes.store(0, Ordering::Relaxed);
    LOADING.store(true, Ordering::SeqCst);
    *PENDING.lock().unwrap_or_else(|e| e.into_inner()) = Some(PendingLoad {
        file,
        path,
        options,
        databases: config.databases(),
    });
    Ok(true)
}

/// Starts the pending load, if any, on a thread of its own. Call once every shard's mailbox
/// exists (from a shard executor).
pub fn start() {
    let Some(p) = PENDING.lock().unwrap_or_else(|e| e.into_inner()).take() else {
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("rdb-load".into())
        .spawn(move || load(p));
    if let Err(e) = spawned {
        fatal(&format!(
            "Fatal error loading the DB: cannot start the loader: {e}. Exiting."
        ));
    }
}

/// Counts the bytes read from the file, for the progress figures.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn fatal(msg: &str) -> ! {
    eprintln!("{msg}");
    tracing::error!("{msg}");
    std::process::exit(1);
}

fn load(p: PendingLoad) {
    let started = Instant::now();
    tracing::info!(path = %p.path.display(), bytes = LOAD_PROGRESS.total_bytes.load(Ordering::Relaxed), "Loading RDB...");
    let read = Arc::new(AtomicU64::new(0));
    let source = BufReader::with_capacity(
        256 * 1024,
        Counted {
            inner: p.file,
            read: read.clone(),
        },
    );
    let fail = |e: crate::rdb::RdbError| -> ! {
        fatal(&format!(
            "Fatal error loading the DB from {}: {e}. Exiting.",
            p.path.display()
        ))
    };
    let mut rdb = RdbReader::new(source, p.options).unwrap_or_else(|e| fail(e));
    let shards = crate::server::shared::shared().nr_shards;
    let mut loader = BulkLoader::new(shards, p.databases, false);
    let mut batch: Vec<KeyEntry> = Vec::with_capacity(BATCH);
    let mut last_log = Instant::now();
    let mut version_logged = false;
    loop {
        let more = rdb
            .next_batch(BATCH, &mut batch)
            .unwrap_or_else(|e| fail(e));
        if !version_logged {
            version_logged = true;
            if let Some(v) = &rdb.aux().redis_ver {
                tracing::info!("Loading RDB produced by version {v}");
            }
        }
        let delay = read_config(Config::key_load_delay);
        let now = UnixMillis::now();
        for e in batch.drain(..) {
            debug_delay(delay);
            loader.add(e, now);
        }
        LOAD_PROGRESS
            .loaded_bytes
            .store(read.load(Ordering::Relaxed), Ordering::Relaxed);
        if last_log.elapsed() >= LOG_EVERY {
            last_log = Instant::now();
            let total = LOAD_PROGRESS.total_bytes.load(Ordering::Relaxed).max(1);
            let done = read.load(Ordering::Relaxed);
            tracing::info!(
                loaded_bytes = done,
                total_bytes = total,
                keys = loader.counts().loaded,
                "Loading RDB: {:.1}% done",
                done as f64 * 100.0 / total as f64
            );
        }
        if !more {
            break;
        }
    }
    let counts = loader.finish();
    {
        let mut s = status();
        s.last_load_keys_loaded = counts.loaded;
        s.last_load_keys_expired = counts.expired;
    }
    LOADING.store(false, Ordering::SeqCst);
    tracing::info!(
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        counts.loaded,
        counts.expired
    );
    tracing::info!(
        "DB loaded from disk: {:.3} seconds",
        started.elapsed().as_secs_f64()
    );
}
