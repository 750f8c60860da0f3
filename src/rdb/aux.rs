//! The auxiliary fields of an RDB file: who wrote it, when, and where replication stood.
//!
//! Owns: `AuxFields`, filled by the reader from AUX opcodes and handed to the writer, which
//! writes them in the order Redis 7.0 does (`redis-ver`, `redis-bits`, `ctime`, `used-mem`,
//! then `repl-stream-db`, `repl-id`, `repl-offset` when replication info is present, then
//! `aof-base`). Integer fields are written as text, which the string encoder stores as integers
//! where Redis does.

use bytes::Bytes;

/// The AUX fields of an RDB file. `None` = absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuxFields {
    /// `redis-ver`: the version of the server that wrote the file.
    pub redis_ver: Option<String>,
    /// `redis-bits`: 32 or 64.
    pub redis_bits: Option<u32>,
    /// `ctime`: when the file was written, Unix seconds.
    pub ctime: Option<i64>,
    /// `used-mem`: the writer's memory use, bytes.
    pub used_mem: Option<u64>,
    /// `repl-stream-db`: the DB the replication stream had selected.
    pub repl_stream_db: Option<i64>,
    /// `repl-id`: the replication id (40 hex characters).
    pub repl_id: Option<String>,
    /// `repl-offset`: the replication offset the file stands at.
    pub repl_offset: Option<i64>,
    /// `aof-base`: true when the file is the base of an AOF.
    pub aof_base: Option<bool>,
    /// `aof-preamble` (Redis 6): true when an AOF tail follows.
    pub aof_preamble: Option<bool>,
    /// Every other field, in file order (`lua`, `%`-prefixed notes, unknown keys).
    pub other: Vec<(Bytes, Bytes)>,
}

/// An integer read from AUX text as C's `strtoll` does: leading digits, garbage ignored.
fn leading_int(v: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(v).ok()?.trim_start();
    let end = s
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(s.len(), |(i, _)| i);
    s[..end].parse().ok()
}

impl AuxFields {
    /// The fields Tessera writes into a snapshot taken at `ctime` (Unix seconds) while using
    /// `used_mem` bytes: the Redis version it reports, the word size, and `aof-base` 0. Add
    /// replication info with [`AuxFields::with_replication`].
    pub fn for_save(ctime: i64, used_mem: u64) -> AuxFields {
        AuxFields {
            redis_ver: Some(crate::commands::connection::REDIS_VERSION.to_string()),
            redis_bits: Some(usize::BITS),
            ctime: Some(ctime),
            used_mem: Some(used_mem),
            aof_base: Some(false),
            ..AuxFields::default()
        }
    }

    /// Adds where replication stood when the snapshot was cut: the DB the replication stream
    /// had selected, the replication id and the offset (what a replica resumes from).
    pub fn with_replication(
        mut self,
        stream_db: i64,
        repl_id: &str,
        repl_offset: i64,
    ) -> AuxFields {
        self.repl_stream_db = Some(stream_db);
        self.repl_id = Some(repl_id.to_string());
        self.repl_offset = Some(repl_offset);
        self
    }

    /// Records the field `key` = `value` read from a file. Keys are matched without regard to
    /// case, as Redis does.
    pub fn record(&mut self, key: &[u8], value: &[u8]) {
        let text = || String::from_utf8_lossy(value).into_owned();
        match key.to_ascii_lowercase().as_slice() {
            b"redis-ver" => self.redis_ver = Some(text()),
            b"redis-bits" => {
                self.redis_bits = leading_int(value).and_then(|n| u32::try_from(n).ok())
            }
            b"ctime" => self.ctime = leading_int(value),
            b"used-mem" => self.used_mem = leading_int(value).and_then(|n| u64::try_from(n).ok()),
            b"repl-stream-db" => self.repl_stream_db = leading_int(value),
            // Redis keeps the id only when it has the right length.
            b"repl-id" if value.len() == 40 => self.repl_id = Some(text()),
            b"repl-id" => {}
            b"repl-offset" => self.repl_offset = leading_int(value),
            b"aof-base" => self.aof_base = leading_int(value).map(|n| n != 0),
            b"aof-preamble" => self.aof_preamble = leading_int(value).map(|n| n != 0),
            _ => self
                .other
                .push((Bytes::copy_from_slice(key), Bytes::copy_from_slice(value))),
        }
    }

    /// The fields to write, in Redis 7.0's order, as (key, value text).
    pub fn to_pairs(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut push = |k: &str, v: String| out.push((k.as_bytes().to_vec(), v.into_bytes()));
        if let Some(v) = &self.redis_ver {
            push("redis-ver", v.clone());
        }
        if let Some(v) = self.redis_bits {
            push("redis-bits", v.to_string());
        }
        if let Some(v) = self.ctime {
            push("ctime", v.to_string());
        }
        if let Some(v) = self.used_mem {
            push("used-mem", v.to_string());
        }
        if let Some(v) = self.repl_stream_db {
            push("repl-stream-db", v.to_string());
        }
        if let Some(v) = &self.repl_id {
            push("repl-id", v.clone());
        }
        if let Some(v) = self.repl_offset {
            push("repl-offset", v.to_string());
        }
        if let Some(v) = self.aof_preamble {
            push("aof-preamble", u8::from(v).to_string());
        }
        if let Some(v) = self.aof_base {
            push("aof-base", u8::from(v).to_string());
        }
        for (k, v) in &self.other {
            out.push((k.to_vec(), v.to_vec()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_fields_are_parsed_and_others_kept() {
        let mut a = AuxFields::default();
        a.record(b"redis-ver", b"7.0.15");
        a.record(b"REDIS-BITS", b"64");
        a.record(b"ctime", b"1700000000");
        a.record(b"repl-id", b"too short");
        a.record(b"repl-offset", b"640xyz");
        a.record(b"aof-base", b"0");
        a.record(b"lua", b"return 1");
        assert_eq!(a.redis_ver.as_deref(), Some("7.0.15"));
        assert_eq!(a.redis_bits, Some(64));
        assert_eq!(a.ctime, Some(1_700_000_000));
        assert_eq!(a.repl_id, None);
        assert_eq!(a.repl_offset, Some(640));
        assert_eq!(a.aof_base, Some(false));
        assert_eq!(a.other, vec![(Bytes::from("lua"), Bytes::from("return 1"))]);
        let keys: Vec<String> = a
            .to_pairs()
            .into_iter()
            .map(|(k, _)| String::from_utf8(k).unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "redis-ver",
                "redis-bits",
                "ctime",
                "repl-offset",
                "aof-base",
                "lua"
            ]
        );
    }

    #[test]
    fn a_save_writes_what_redis_70_writes_in_its_order() {
        let a = AuxFields::for_save(1_700_000_000, 1024).with_replication(0, &"f".repeat(40), 640);
        let pairs: Vec<(String, String)> = a
            .to_pairs()
            .into_iter()
            .map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
            .collect();
        let want = [
            ("redis-ver", "7.0.15".to_string()),
            ("redis-bits", "64".to_string()),
            ("ctime", "1700000000".to_string()),
            ("used-mem", "1024".to_string()),
            ("repl-stream-db", "0".to_string()),
            ("repl-id", "f".repeat(40)),
            ("repl-offset", "640".to_string()),
            ("aof-base", "0".to_string()),
        ];
        let want: Vec<(String, String)> =
            want.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        assert_eq!(pairs, want);
    }
}
