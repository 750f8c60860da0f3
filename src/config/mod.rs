//! Server configuration: the directive table, the redis.conf loader and the command line,
//! CONFIG GET/SET/REWRITE, and the few values hot paths read lock-free.
//!
//! Owns: `Config` and everything that reads or writes it. Must not: touch sockets or executors;
//! applying a changed value to the running server is the caller's job.
//!
//! Files: `table` (one row per directive), `value` (reading and showing a value), `units`
//! (yes/no, integers, sizes), `split` (config line quoting), `store` (the `Config` struct),
//! `accessors` (typed getters), `load` (files and includes), `cli` (the command line), `get`,
//! `set`, `rewrite` (the CONFIG subcommands), `error` (load errors), `live` (lock-free values).

pub mod accessors;
pub mod cli;
pub mod error;
pub mod get;
pub mod live;
pub mod load;
pub mod rewrite;
pub mod set;
pub mod split;
pub mod store;
pub mod table;
pub mod units;
pub mod value;

pub use cli::load_from_args;
pub use error::{ConfigError, Origin};
pub use store::Config;
pub use table::Id;
pub use value::{ObufLimit, SavePoint, Value};
