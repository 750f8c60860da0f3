//! The command table and one file per command family.

pub mod args;
pub mod ctx;
pub mod propagation;
pub mod table;

pub mod bitmaps;
pub mod blocking;
pub mod client;
pub mod command_cmd;
pub mod config_cmd;
pub mod connection;
pub mod dbwide;
pub mod debug;
pub mod docs;
pub mod dump_restore;
pub mod expire;
pub mod glob;
pub mod hashes;
pub mod hashes_walk;
pub mod hashes_write;
pub mod help;
pub mod hyperloglog;
pub mod info;
pub mod keys;
pub mod lists;
pub mod lists_blocking;
pub mod lists_move;
pub mod long_double;
pub mod object;
pub mod persistence;
pub mod pubsub;
pub mod replication;
pub mod server;
#[cfg(test)]
mod session;
pub mod sets;
pub mod settings;
pub mod sort;
pub mod streams;
pub mod streams_add;
pub mod streams_claim;
pub mod streams_groups;
pub mod streams_info;
pub mod streams_read;
pub mod strings;
pub mod strings_counters;
pub mod strings_lcs;
pub mod strings_multi;
pub mod strings_ranges;
pub mod strings_set;
pub mod transactions;
pub mod zsets;
pub mod zsets_blocking;
pub mod zsets_ops;
pub mod zsets_pop;
pub mod zsets_range;

use table::CommandTable;

/// The table of every command Tessera implements.
pub fn build_table() -> CommandTable {
    let mut t = CommandTable::new();
    t.group("connection");
    connection::register(&mut t);
    client::register(&mut t);
    t.group("string");
    strings::register(&mut t);
    t.group("list");
    lists::register(&mut t);
    t.group("hash");
    hashes::register(&mut t);
    t.group("set");
    sets::register(&mut t);
    t.group("sorted-set");
    zsets::register(&mut t);
    t.group("bitmap");
    bitmaps::register(&mut t);
    t.group("hyperloglog");
    hyperloglog::register(&mut t);
    t.group("transactions");
    transactions::register(&mut t);
    t.group("pubsub");
    pubsub::register(&mut t);
    t.group("stream");
    streams::register(&mut t);
    t.group("generic");
    keys::register(&mut t);
    expire::register(&mut t);
    object::register(&mut t);
    sort::register(&mut t);
    dump_restore::register(&mut t);
    t.group("server");
    server::register(&mut t);
    persistence::register(&mut t);
    replication::register(&mut t);
    info::register(&mut t);
    debug::register(&mut t);
    command_cmd::register(&mut t);
    config_cmd::register(&mut t);
    t
}
