//! The command table and one file per command family.

pub mod args;
pub mod ctx;
pub mod propagation;
pub mod table;

pub mod connection;
pub mod dbwide;
pub mod expire;
pub mod glob;
pub mod keys;
pub mod server;
#[cfg(test)]
mod session;
pub mod strings;
pub mod strings_counters;
pub mod strings_lcs;
pub mod strings_multi;
pub mod strings_ranges;
pub mod strings_set;

use table::CommandTable;

/// The table of every command Tessera implements.
pub fn build_table() -> CommandTable {
    let mut t = CommandTable::new();
    t.group("connection");
    connection::register(&mut t);
    t.group("string");
    strings::register(&mut t);
    t.group("generic");
    keys::register(&mut t);
    expire::register(&mut t);
    t.group("server");
    server::register(&mut t);
    t
}
