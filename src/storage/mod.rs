//! The shard keyspace: databases, values and their encodings, expiry.

pub mod clock;
pub mod db;
pub mod hash;
pub mod keyspace;
pub mod list;
pub mod set;
pub mod stream;
pub mod table;
pub mod value;
pub mod zset;
