//! The streaming RDB writer: a whole file, database by database, key by key.
//!
//! Owns: `RdbWriter`, which writes the header (`REDIS0010`: Redis 7.0 refuses newer versions),
//! the AUX fields, SELECTDB and RESIZEDB per non-empty database, EXPIRETIME_MS and the value of
//! each key, then EOF and the CRC-64 trailer. Output goes to any `Write` in pieces of about
//! 64 KiB; nothing holds the whole file. The snapshot child drives it over every shard's
//! databases ([`RdbWriter::write_keyspaces`]); it is plain single-threaded code that touches no
//! executor, as the child requires. Must not: read the configuration (options come in).
//!
//! ```text
//! let mut rdb = RdbWriter::new(file, WriteOptions::default(), &aux)?;
//! rdb.write_keyspaces(&shards)?;
//! let file = rdb.finish()?;   // then fdatasync and rename
//! ```

use std::io::{self, Write};

use super::aux::AuxFields;
use super::encode::{value_type, write_payload};
use super::format::{opcode, types, WRITE_VERSION};
use super::output::Output;
use super::stream::StreamData;
use super::stream_write::write_stream;
use crate::storage::db::Db;
use crate::storage::keyspace::Keyspace;
use crate::storage::value::Value;

/// How to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Compress strings over 20 bytes with LZF when it saves 4 bytes or more
    /// (`rdbcompression`).
    pub compression: bool,
    /// Write a real CRC-64 trailer; without it the trailer is 0 (`rdbchecksum`).
    pub checksum: bool,
}

impl Default for WriteOptions {
    fn default() -> WriteOptions {
        WriteOptions {
            compression: true,
            checksum: true,
        }
    }
}

/// Writes one RDB file.
pub struct RdbWriter<W: Write> {
    out: Output<W>,
}

impl<W: Write> RdbWriter<W> {
    /// Writes the header and `aux` to `sink`.
    pub fn new(sink: W, opts: WriteOptions, aux: &AuxFields) -> io::Result<RdbWriter<W>> {
        let mut out = Output::new(sink, opts.checksum, opts.compression);
        out.put(format!("REDIS{WRITE_VERSION:04}").as_bytes())?;
        for (k, v) in aux.to_pairs() {
            out.u8(opcode::AUX)?;
            out.string(&k)?;
            out.string(&v)?;
        }
        Ok(RdbWriter { out })
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.out.written()
    }

    /// Starts database `db`, which holds `keys` keys of which `volatile` have an expiry
    /// (SELECTDB, then the RESIZEDB sizing hint). Call only for a non-empty database.
    pub fn select_db(&mut self, db: u64, keys: u64, volatile: u64) -> io::Result<()> {
        self.out.u8(opcode::SELECTDB)?;
        self.out.len(db)?;
        self.out.u8(opcode::RESIZEDB)?;
        self.out.len(keys)?;
        self.out.len(volatile)
    }

    /// Writes one key of the current database, with its expiry (Unix ms) if any.
    pub fn write_entry(
        &mut self,
        key: &[u8],
        value: &Value,
        expire_ms: Option<i64>,
    ) -> io::Result<()> {
        self.write_expiry(expire_ms)?;
        self.out.u8(value_type(value))?;
        self.out.string(key)?;
        write_payload(&mut self.out, value)
    }

    /// Writes one stream key of the current database (type 19), with its expiry if any.
    pub fn write_stream_entry(
        &mut self,
        key: &[u8],
        stream: &StreamData,
        expire_ms: Option<i64>,
    ) -> io::Result<()> {
        self.write_expiry(expire_ms)?;
        self.out.u8(types::STREAM_LISTPACKS_2)?;
        self.out.string(key)?;
        write_stream(&mut self.out, stream)
    }

    fn write_expiry(&mut self, expire_ms: Option<i64>) -> io::Result<()> {
        if let Some(ms) = expire_ms {
            self.out.u8(opcode::EXPIRETIME_MS)?;
            self.out.i64_le(ms)?;
        }
        Ok(())
    }

    /// Writes database `db` as held by `shards` (one `Db` per shard, each with its share of
    /// the keys): nothing when all are empty, else SELECTDB, RESIZEDB with the summed counts,
    /// and every key, expired or not (the loader decides). Returns the keys written.
    pub fn write_db(&mut self, db: u64, shards: &[&Db]) -> io::Result<u64> {
        let keys: usize = shards.iter().map(|d| d.len()).sum();
        if keys == 0 {
            return Ok(0);
        }
        let volatile: usize = shards.iter().map(|d| d.volatile_len()).sum();
        self.select_db(db, keys as u64, volatile as u64)?;
        for d in shards {
            for (key, entry) in d.iter() {
                let expire = entry.deadline.map(|dl| dl.ms() as i64);
                self.write_entry(key, &entry.value, expire)?;
            }
        }
        Ok(keys as u64)
    }

    /// Writes every database of every shard, in database order. Returns the keys written.
    pub fn write_keyspaces(&mut self, shards: &[&Keyspace]) -> io::Result<u64> {
        let dbs = shards.iter().map(|k| k.dbs.len()).max().unwrap_or(0);
        let mut total = 0;
        for db in 0..dbs {
            let parts: Vec<&Db> = shards.iter().filter_map(|k| k.dbs.get(db)).collect();
            total += self.write_db(db as u64, &parts)?;
        }
        Ok(total)
    }

    /// Writes EOF and the CRC-64 trailer, flushes, and returns the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.u8(opcode::EOF)?;
        let crc = self.out.crc();
        self.out.put_uncounted(&crc.to_le_bytes())?;
        self.out.into_inner()
    }
}
