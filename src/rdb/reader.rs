//! The streaming RDB reader: a whole file or replication payload, key by key.
//!
//! Owns: `RdbReader`, which checks the header, walks the opcodes (AUX, SELECTDB, RESIZEDB,
//! expiry, LRU/LFU hints, functions and module data, which are skipped with a warning) and
//! hands out one `KeyEntry` per key, then checks the CRC-64 trailer at EOF. It reads from a
//! `BufRead` and holds one value at a time, so an RDB arriving over a socket is consumed as it
//! comes; after EOF the source is positioned on the first byte past the RDB (a replica's command
//! stream). Everything is validated; a problem is an `RdbError` naming its byte offset, never a
//! panic.
//!
//! What a key entry becomes is the caller's decision: the reader reports expiry times as
//! stored and leaves dropping expired keys (a master does, a replica does not) to the loader,
//! which hands entries to their shards in batches (`next_batch`). Must not: touch a keyspace.
//!
//! ```text
//! let mut rdb = RdbReader::new(BufReader::new(file), ReadOptions::default())?;
//! let mut batch = Vec::new();
//! while rdb.next_batch(1024, &mut batch)? { route(batch.drain(..)) }
//! let aux = rdb.aux();   // repl-id, repl-offset… (complete once the reader is done)
//! ```

use std::io::{BufRead, BufReader, Read};

use bytes::Bytes;
use tracing::warn;

use super::aux::AuxFields;
use super::decode::{is_value_type, read_value, Decoded, Payload};
use super::error::{RdbError, RdbErrorKind};
use super::format::{opcode, MAX_READ_VERSION};
use super::input::{Input, Result};
use super::module;
use crate::storage::clock::{Deadline, UnixMillis};

/// How to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Verify the CRC-64 trailer (`rdbchecksum`). A stored 0 means "written without a
    /// checksum" and is never checked.
    pub verify_checksum: bool,
    /// The newest RDB version accepted.
    pub max_version: u32,
    /// When set, a SELECTDB at or beyond this many databases is an error.
    pub databases: Option<u64>,
    /// Hand streams out in the RDB's own terms, as [`Payload::Stream`] (for tools and tests).
    /// Off by default: streams come out as stream values.
    pub keep_streams: bool,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            verify_checksum: true,
            max_version: MAX_READ_VERSION,
            databases: None,
            keep_streams: false,
        }
    }
}

/// One key read from the file.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyEntry {
    /// The database it belongs to.
    pub db: u64,
    /// The key.
    pub key: Bytes,
    /// The value.
    pub value: Payload,
    /// When it expires, Unix milliseconds, as stored (possibly past, possibly negative).
    pub expire_ms: Option<i64>,
    /// LRU idle time in seconds, when the file has one (IDLE opcode).
    pub idle_secs: Option<u64>,
    /// LFU counter, when the file has one (FREQ opcode).
    pub lfu_freq: Option<u8>,
}

impl KeyEntry {
    /// The deadline to store with the key.
    pub fn deadline(&self) -> Option<Deadline> {
        self.expire_ms.map(|ms| Deadline::at_ms(ms.max(0) as u64))
    }

    /// True when the key's deadline has passed at `now` (a master drops such keys on load).
    pub fn is_expired_at(&self, now: UnixMillis) -> bool {
        self.deadline().is_some_and(|d| d.passed(now))
    }
}

/// What the reader passed over, for the loader's log line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Keys handed out.
    pub keys: u64,
    /// Empty aggregates skipped (Redis skips them too).
    pub empty_skipped: u64,
    /// Streams skipped (see [`ReadOptions::keep_streams`]).
    pub streams_skipped: u64,
    /// Module values and module AUX data skipped.
    pub modules_skipped: u64,
    /// Function libraries skipped.
    pub functions_skipped: u64,
}

/// Reads an RDB stream key by key.
pub struct RdbReader<R> {
    input: Input<R>,
    version: u32,
    opts: ReadOptions,
    db: u64,
    aux: AuxFields,
    stats: ReadStats,
    done: bool,
    resize_hint: Option<(u64, u64)>,
}

impl<R: Read> RdbReader<BufReader<R>> {
    /// A reader over an unbuffered source (a file), with a 64 KiB buffer.
    pub fn buffered(source: R, opts: ReadOptions) -> Result<RdbReader<BufReader<R>>> {
        RdbReader::new(BufReader::with_capacity(64 * 1024, source), opts)
    }
}

impl<R: BufRead> RdbReader<R> {
    /// Reads and checks the header (`REDIS` and a four-digit version up to
    /// `opts.max_version`).
    pub fn new(source: R, opts: ReadOptions) -> Result<RdbReader<R>> {
        let mut input = Input::new(source, opts.verify_checksum);
        let mut magic = [0u8; 9];
        input.exact(&mut magic)?;
        if &magic[..5] != b"REDIS" {
            return Err(RdbError::new(0, RdbErrorKind::BadMagic));
        }
        let version = std::str::from_utf8(&magic[5..])
            .ok()
            .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0);
        if version < 1 || version > opts.max_version {
            return Err(RdbError::new(5, RdbErrorKind::UnsupportedVersion(version)));
        }
        Ok(RdbReader {
            input,
            version,
            opts,
            db: 0,
            aux: AuxFields::default(),
            stats: ReadStats::default(),
            done: false,
            resize_hint: None,
        })
    }

    /// The file's RDB version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The AUX fields read so far (all of them once the reader is done).
    pub fn aux(&self) -> &AuxFields {
        &self.aux
    }

    /// What was handed out and skipped so far.
    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.input.offset()
    }

    /// The last RESIZEDB hint: (keys, keys with an expiry) of the current database.
    pub fn resize_hint(&self) -> Option<(u64, u64)> {
        self.resize_hint
    }

    /// True once EOF and the trailer were read (or an error stopped the reader).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The source, positioned after the last byte read (after the trailer once done).
    pub fn into_inner(self) -> R {
        self.input.into_inner()
    }

    /// Appends up to `max` entries to `out`; false when the file is finished (the entries
    /// appended before the end are still there).
    pub fn next_batch(&mut self, max: usize, out: &mut Vec<KeyEntry>) -> Result<bool> {
        for _ in 0..max {
            match self.next_entry()? {
                Some(e) => out.push(e),
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    /// The next key, or `None` after EOF and a good trailer.
    pub fn next_entry(&mut self) -> Result<Option<KeyEntry>> {
        if self.done {
            return Ok(None);
        }
        let r = self.step();
        if !matches!(r, Ok(Some(_))) {
            self.done = true;
        }
        r
    }

    fn step(&mut self) -> Result<Option<KeyEntry>> {
        let mut expire_ms = None;
        let mut idle_secs = None;
        let mut lfu_freq = None;
        loop {
            let at = self.input.offset();
            let t = self.input.u8()?;
            match t {
                opcode::EXPIRETIME => expire_ms = Some(i64::from(self.input.i32_le()?) * 1000),
                opcode::EXPIRETIME_MS => expire_ms = Some(self.input.i64_le()?),
                opcode::FREQ => lfu_freq = Some(self.input.u8()?),
                opcode::IDLE => idle_secs = Some(self.input.len()?),
                opcode::EOF => {
                    self.finish()?;
                    return Ok(None);
                }
                opcode::SELECTDB => {
                    let db = self.input.len()?;
                    if self.opts.databases.is_some_and(|n| db >= n) {
                        return Err(RdbError::new(at, RdbErrorKind::DbOutOfRange(db)));
                    }
                    self.db = db;
                    self.resize_hint = None;
                }
                opcode::RESIZEDB => {
                    self.resize_hint = Some((self.input.len()?, self.input.len()?));
                }
                opcode::AUX => {
                    let k = self.input.string()?;
                    let v = self.input.string()?;
                    self.aux.record(&k, &v);
                }
                opcode::MODULE_AUX => {
                    let name = module::skip_aux(&mut self.input)?;
                    self.stats.modules_skipped += 1;
                    warn!(offset = at, module = %name, "RDB module AUX data skipped: no such module");
                }
                opcode::FUNCTION2 => {
                    self.input.skip_string()?;
                    self.stats.functions_skipped += 1;
                    warn!(
                        offset = at,
                        "RDB function library skipped: functions are not supported"
                    );
                }
                opcode::FUNCTION_PRE_GA => {
                    self.input.skip_string()?; // name
                    self.input.skip_string()?; // engine
                    if self.input.len()? != 0 {
                        self.input.skip_string()?; // description
                    }
                    self.input.skip_string()?; // code
                    self.stats.functions_skipped += 1;
                    warn!(
                        offset = at,
                        "RDB function library skipped: functions are not supported"
                    );
                }
                t if is_value_type(t) => {
                    let key = Bytes::from(self.input.string()?);
                    let decoded = read_value(&mut self.input, t)?;
                    let value = match decoded {
                        Decoded::Payload(Payload::Stream(s)) if !self.opts.keep_streams => {
                            match super::stream_convert::from_data(*s) {
                                Some(v) => Some(Payload::Value(
                                    crate::storage::value::Value::Stream(Box::new(v)),
                                )),
                                None => {
                                    return Err(RdbError::corrupt(
                                        at,
                                        "stream entries out of order",
                                    ))
                                }
                            }
                        }
                        Decoded::Payload(p) => Some(p),
                        Decoded::Empty => {
                            self.stats.empty_skipped += 1;
                            warn!(offset = at, key = %key.escape_ascii(), "RDB empty key skipped");
                            None
                        }
                        Decoded::Module(name) => {
                            self.stats.modules_skipped += 1;
                            warn!(offset = at, key = %key.escape_ascii(), module = %name, "RDB module value skipped: no such module");
                            None
                        }
                    };
                    let Some(value) = value else {
                        expire_ms = None;
                        idle_secs = None;
                        lfu_freq = None;
                        continue;
                    };
                    self.stats.keys += 1;
                    return Ok(Some(KeyEntry {
                        db: self.db,
                        key,
                        value,
                        expire_ms,
                        idle_secs,
                        lfu_freq,
                    }));
                }
                t => {
                    return Err(self
                        .input
                        .corrupt_at(at, format!("unknown value type or opcode {t}")));
                }
            }
        }
    }

    /// Reads and checks the CRC trailer after EOF (versions 5 and later).
    fn finish(&mut self) -> Result<()> {
        if self.version < 5 {
            return Ok(());
        }
        let computed = self.input.crc();
        self.input.stop_crc();
        let at = self.input.offset();
        let stored = self.input.u64_le()?;
        match computed {
            Some(_) if stored == 0 => {
                warn!("RDB file was saved with checksum disabled: no check performed");
            }
            Some(computed) if computed != stored => {
                return Err(RdbError::new(
                    at,
                    RdbErrorKind::ChecksumMismatch { stored, computed },
                ));
            }
            _ => {}
        }
        Ok(())
    }
}

impl<R: BufRead> Iterator for RdbReader<R> {
    type Item = Result<KeyEntry>;

    fn next(&mut self) -> Option<Result<KeyEntry>> {
        self.next_entry().transpose()
    }
}

/// Reads a whole RDB from `source`: its AUX fields and every key, in file order. Holds the whole
/// dataset: for tools and tests; a loader uses [`RdbReader::next_batch`].
pub fn read_all(source: impl Read, opts: ReadOptions) -> Result<(AuxFields, Vec<KeyEntry>)> {
    let mut rdb = RdbReader::buffered(source, opts)?;
    let mut keys = Vec::new();
    while rdb.next_batch(1024, &mut keys)? {}
    Ok((rdb.aux().clone(), keys))
}
