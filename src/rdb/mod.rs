//! The RDB file format: reading and writing snapshots byte-compatible with Redis 7.x, and the
//! DUMP/RESTORE payloads built on the same encodings.
//!
//! Owns: the format and nothing around it. It reads from any `BufRead` and writes to any
//! `Write`, one key at a time, so the snapshot child can write a file or a pipe and a replica
//! can load an RDB as it arrives on its socket. Must not: touch executors, sockets, files or
//! the keyspace of a running shard; forking, O_DIRECT, temp files and start-up loading belong
//! to the snapshot and replication code that calls this module.
//!
//! - Files: [`RdbReader`] (versions 1 to 11, every type up to Redis 7.2's) and [`RdbWriter`]
//!   (version 10, which Redis 7.0 and 7.2 load).
//! - Values: [`write_value`] / [`dump_payload`] and [`restore_payload`].
//! - Streams: read into [`StreamData`] until the server has a stream type.
//!
//! One idea per file: `format` (numbers), `input`/`output` (primitives), `crc64`, `lzf`,
//! `listpack`, `ziplist`, `intset`, `zipmap` (blobs), `decode`/`encode` (one value), `stream`
//! and `stream_write`, `module` (skipping), `aux`, `reader`, `writer`, `dump`, `error`.

mod aux;
mod crc64;
mod decode;
mod dump;
mod encode;
mod error;
pub mod format;
mod input;
mod intset;
mod listpack;
mod lzf;
mod module;
mod output;
mod reader;
mod stream;
mod stream_convert;
mod stream_write;
mod writer;
mod ziplist;
mod zipmap;

#[cfg(test)]
mod tests;

pub use aux::AuxFields;
pub use crc64::{crc64, Crc64};
pub use decode::Payload;
pub use dump::{dump_payload, restore_payload, RestoreError};
pub use encode::value_type;
pub use error::{BlobError, RdbError, RdbErrorKind};
pub use lzf::{compress as lzf_compress, decompress as lzf_decompress, LzfError};
pub use reader::{read_all, KeyEntry, RdbReader, ReadOptions, ReadStats};
pub use stream::{ConsumerGroup, PendingEntry, StreamConsumer, StreamData, StreamEntry, StreamId};
pub use stream_convert::{from_data as stream_from_data, to_data as stream_to_data};
pub use writer::{RdbWriter, WriteOptions};

/// Writes one value as its RDB type byte and payload (what DUMP serializes, and what follows
/// the key in a file), with LZF for long strings when `compression` is on.
pub fn write_value(
    sink: &mut impl std::io::Write,
    value: &crate::storage::value::Value,
    compression: bool,
) -> std::io::Result<()> {
    let mut out = output::Output::new(sink, false, compression);
    encode::write_value(&mut out, value)?;
    out.into_inner().map(|_| ())
}
