//! Handler tests as sessions: one client on a bare 16-DB shard at a fixed time, running command
//! lines through the real command table (arity check, then the handler), with replies and errors
//! compared by their text.
//!
//! Test-only. Runs `Handler::Shard` commands; async commands are tested through their per-shard
//! functions instead.

use bytes::Bytes;

use crate::commands::build_table;
use crate::commands::ctx::ShardCtx;
use crate::commands::propagation::Propagation;
use crate::commands::table::{CommandTable, Handler};
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::storage::clock::{Deadline, UnixMillis};
use crate::storage::db::Entry;
use crate::storage::keyspace::Keyspace;
use crate::storage::value::Value;

/// The clock every session starts at: 2023-11-14T22:13:20Z.
pub const NOW: u64 = 1_700_000_000_000;

/// One client on a bare 16-DB shard at a fixed time.
pub struct Session {
    pub ks: Keyspace,
    pub db: usize,
    pub now: UnixMillis,
    /// What the last command recorded for propagation.
    pub out: Propagation,
    table: CommandTable,
}

impl Session {
    /// A session on DB 0 at [`NOW`], with every command Tessera knows.
    pub fn new() -> Session {
        Session {
            ks: Keyspace::new(16),
            db: 0,
            now: UnixMillis(NOW),
            out: Propagation::default(),
            table: build_table(),
        }
    }

    /// Runs one command line (words split on spaces) the way the dispatcher would: arity
    /// first, then the handler. Errors come back as their text, so tests compare bytes.
    pub fn run(&mut self, line: &str) -> Reply {
        let argv = args(line);
        let spec = self.table.get(&argv[0]).expect("command is registered");
        self.out = Propagation::default();
        let reply = if !spec.arity_ok(argv.len()) {
            Err(CmdError::WrongArity(spec.name.into()))
        } else {
            let Handler::Shard(f) = spec.handler else {
                panic!("{} does not run on one shard", spec.name)
            };
            let mut cx = ShardCtx::new(&mut self.ks, self.db, self.now, &mut self.out);
            f(&mut cx, &argv)
        };
        match reply {
            Ok(r) => r,
            Err(e) => err(&e.message()),
        }
    }

    /// Stores a string without a deadline.
    pub fn set(&mut self, key: &str, val: &str) {
        self.ks.dbs[self.db].insert(
            Bytes::copy_from_slice(key.as_bytes()),
            Entry::new(Value::Str(Bytes::copy_from_slice(val.as_bytes()).into())),
        );
    }

    /// Stores a string that expires at `at_ms`.
    pub fn set_until(&mut self, key: &str, val: &str, at_ms: u64) {
        self.set(key, val);
        self.ks.dbs[self.db].set_deadline(key.as_bytes(), Some(Deadline::at_ms(at_ms)));
    }

    /// The deadline of `key` in the selected DB, expired or not.
    pub fn deadline(&self, key: &str) -> Option<u64> {
        let db = &self.ks.dbs[self.db];
        db.iter()
            .find(|(k, _)| &k[..] == key.as_bytes())
            .and_then(|(_, e)| e.deadline.map(|d| d.ms()))
    }

    /// What OBJECT ENCODING answers for `key` in the selected DB (which must hold it).
    pub fn encoding(&self, key: &str) -> &'static str {
        self.ks.dbs[self.db]
            .peek(key.as_bytes(), self.now)
            .expect("the key is stored")
            .encoding_name()
    }

    /// Whether `key` is stored in DB `db`, expired or not.
    pub fn stored(&self, db: usize, key: &str) -> bool {
        self.ks.dbs[db].iter().any(|(k, _)| k == key.as_bytes())
    }
}

/// `line` split on spaces.
pub fn args(line: &str) -> Vec<Bytes> {
    line.split(' ')
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect()
}

/// A propagation of exactly one command.
pub fn propagated(line: &str) -> Propagation {
    Propagation::Replace(vec![args(line)])
}

pub fn int(n: i64) -> Reply {
    Reply::Int(n)
}

pub fn ok() -> Reply {
    Reply::Ok
}

pub fn status(s: &'static str) -> Reply {
    Reply::status(s)
}

pub fn err(text: &str) -> Reply {
    Reply::Error(CmdError::custom(text.to_owned()))
}

/// What `register` declares for `name`: (arity, flags, first key, last key, key step), the
/// numbers `COMMAND INFO` shows.
pub fn declared(register: fn(&mut CommandTable), name: &str) -> (i32, u32, usize, i32, usize) {
    let mut t = CommandTable::new();
    register(&mut t);
    let c = t
        .get(name.as_bytes())
        .unwrap_or_else(|| panic!("{name} is not registered"));
    (c.arity, c.flags, c.keys.first, c.keys.last, c.keys.step)
}

/// How many commands `register` adds.
pub fn registered(register: fn(&mut CommandTable)) -> usize {
    let mut t = CommandTable::new();
    register(&mut t);
    t.len()
}
