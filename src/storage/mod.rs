//! The shard keyspace: databases, values and their encodings, expiry.

pub mod clock;
pub mod db;
pub mod keyspace;
pub mod table;
pub mod value;
