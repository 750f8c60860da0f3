//! The numbers of the RDB format: versions, opcodes and value type bytes.
//!
//! Owns: the constants shared by the reader and the writer, as Redis 7.x's `rdb.h` numbers them.

/// The version this writer produces: 10, the newest that Redis 7.0 loads (7.2 loads it too).
pub const WRITE_VERSION: u32 = 10;
/// The newest version this reader accepts: 11, as written by Redis 7.2.
pub const MAX_READ_VERSION: u32 = 11;
/// The version Redis 7.0 checks DUMP payloads against.
pub const REDIS_70_VERSION: u32 = 10;

/// Opcodes: bytes that stand where a value type would, and introduce something else.
pub mod opcode {
    /// Library source of a function (7.0 GA onwards).
    pub const FUNCTION2: u8 = 245;
    /// A function in the 7.0 release-candidate layout.
    pub const FUNCTION_PRE_GA: u8 = 246;
    /// Data a module keeps outside the keyspace.
    pub const MODULE_AUX: u8 = 247;
    /// LRU idle seconds of the next key.
    pub const IDLE: u8 = 248;
    /// LFU counter of the next key.
    pub const FREQ: u8 = 249;
    /// An auxiliary field: two strings.
    pub const AUX: u8 = 250;
    /// Sizing hint of the selected database.
    pub const RESIZEDB: u8 = 251;
    /// Expiry of the next key in Unix milliseconds.
    pub const EXPIRETIME_MS: u8 = 252;
    /// Expiry of the next key in Unix seconds.
    pub const EXPIRETIME: u8 = 253;
    /// Selects the database of the keys that follow.
    pub const SELECTDB: u8 = 254;
    /// End of the data; the CRC follows.
    pub const EOF: u8 = 255;
}

/// Value type bytes.
pub mod types {
    /// A string.
    pub const STRING: u8 = 0;
    /// A list as its elements.
    pub const LIST: u8 = 1;
    /// A set as its members.
    pub const SET: u8 = 2;
    /// A sorted set with text scores.
    pub const ZSET: u8 = 3;
    /// A hash as its pairs.
    pub const HASH: u8 = 4;
    /// A sorted set with binary scores.
    pub const ZSET_2: u8 = 5;
    /// A module value in the pre-GA layout (cannot be skipped).
    pub const MODULE_PRE_GA: u8 = 6;
    /// A module value with opcode-tagged fields.
    pub const MODULE_2: u8 = 7;
    /// A hash as a zipmap (Redis 2.x).
    pub const HASH_ZIPMAP: u8 = 9;
    /// A list as one ziplist.
    pub const LIST_ZIPLIST: u8 = 10;
    /// A set of integers as an intset.
    pub const SET_INTSET: u8 = 11;
    /// A sorted set as a ziplist.
    pub const ZSET_ZIPLIST: u8 = 12;
    /// A hash as a ziplist.
    pub const HASH_ZIPLIST: u8 = 13;
    /// A list as a quicklist of ziplists.
    pub const LIST_QUICKLIST: u8 = 14;
    /// A stream (version 1 metadata).
    pub const STREAM_LISTPACKS: u8 = 15;
    /// A hash as a listpack.
    pub const HASH_LISTPACK: u8 = 16;
    /// A sorted set as a listpack.
    pub const ZSET_LISTPACK: u8 = 17;
    /// A list as a quicklist of listpacks and plain nodes.
    pub const LIST_QUICKLIST_2: u8 = 18;
    /// A stream (version 2 metadata).
    pub const STREAM_LISTPACKS_2: u8 = 19;
    /// A set as a listpack (Redis 7.2).
    pub const SET_LISTPACK: u8 = 20;
    /// A stream (version 3 metadata, Redis 7.2).
    pub const STREAM_LISTPACKS_3: u8 = 21;
}

/// Quicklist node containers (type 18).
pub mod container {
    /// One element, stored as is.
    pub const PLAIN: u64 = 1;
    /// A listpack of elements.
    pub const PACKED: u64 = 2;
}
