//! The shard keyspace: databases, values and their encodings, expiry.

pub mod cache_hint;
pub mod clock;
pub mod db;
pub mod hash;
pub mod inline;
pub mod keyspace;
pub mod list;
pub mod lp_entry;
pub mod set;
pub mod small_bytes;
pub mod str_value;
pub mod stream;
pub mod table;
pub mod value;
pub mod zset;
