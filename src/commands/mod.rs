//! The command table and one file per command family.

pub mod args;
pub mod ctx;
pub mod propagation;
pub mod table;

pub mod connection;
pub mod expire;
pub mod keys;
pub mod server;
pub mod strings;

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
