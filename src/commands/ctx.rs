//! What a handler may see and change.
//!
//! Owns: `ShardCtx` (a shard's keyspace, the connection's selected DB, the clock and the
//! propagation record), `ConnCtx` (one connection's own state) and `AsyncCtx` (what an
//! orchestrating command knows about its caller).

use bytes::Bytes;

use super::propagation::Propagation;
use crate::protocol::encoder;
use crate::protocol::error::CmdError;
use crate::protocol::reply::Reply;
use crate::server::client::ClientState;
use crate::server::shards::ShardId;
use crate::storage::clock::UnixMillis;
use crate::storage::db::{Db, Entry};
use crate::storage::keyspace::Keyspace;
use crate::storage::str_value::StrValue;
use crate::storage::value::Value;

/// The context of a command running on the shard that owns its keys.
pub struct ShardCtx<'a> {
    /// This shard's keyspace.
    pub ks: &'a mut Keyspace,
    /// The connection's selected DB.
    pub db: usize,
    /// The time this command sees.
    pub now: UnixMillis,
    /// What goes to replicas for this command.
    pub out: &'a mut Propagation,
    /// The connection's output, when the reply may be written there at once (the command runs
    /// inline for its connection, with no earlier reply still pending). A handler that uses it
    /// returns `Reply::Written`.
    pub reply_to: Option<ReplyTo<'a>>,
}

/// Where a handler may write its reply itself: the connection's output and protocol version.
pub struct ReplyTo<'a> {
    /// The connection's pending output.
    pub out: &'a mut Vec<u8>,
    /// The connection's protocol version (2 or 3).
    pub resp: u8,
}

impl<'a> ShardCtx<'a> {
    /// A context for one command.
    pub fn new(
        ks: &'a mut Keyspace,
        db: usize,
        now: UnixMillis,
        out: &'a mut Propagation,
    ) -> ShardCtx<'a> {
        ShardCtx {
            ks,
            db,
            now,
            out,
            reply_to: None,
        }
    }

    /// The selected DB.
    pub fn db(&mut self) -> &mut Db {
        &mut self.ks.dbs[self.db]
    }

    /// Looks `key` up for a read command. Side effects: lazy expiry (counted in `expired`), and a
    /// keyspace hit or miss.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let ks = &mut *self.ks;
        let found = ks.dbs[self.db].get_counting(key, self.now, &mut ks.stats.expired);
        if found.is_some() {
            ks.stats.hits += 1;
        } else {
            ks.stats.misses += 1;
        }
        found
    }

    /// Looks `key` up for a write command: lazy expiry, no hit/miss counting.
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let ks = &mut *self.ks;
        ks.dbs[self.db].get_counting(key, self.now, &mut ks.stats.expired)
    }

    /// The value at `key` for a read command, narrowed to one type by `pick` (one of `Value`'s
    /// `as_*_mut`): `Ok(None)` when absent, `WrongType` when the key holds another type. Side
    /// effects: those of [`ShardCtx::lookup_read`].
    pub fn read_typed<T: ?Sized>(
        &mut self,
        key: &[u8],
        pick: fn(&mut Value) -> Option<&mut T>,
    ) -> Result<Option<&mut T>, CmdError> {
        narrow(self.lookup_read(key), pick)
    }

    /// As [`ShardCtx::read_typed`], for a write command: the side effects of
    /// [`ShardCtx::lookup_write`].
    pub fn write_typed<T: ?Sized>(
        &mut self,
        key: &[u8],
        pick: fn(&mut Value) -> Option<&mut T>,
    ) -> Result<Option<&mut T>, CmdError> {
        narrow(self.lookup_write(key), pick)
    }

    /// The string at `key` for a read command: `Ok(None)` when absent, `WrongType` when the key
    /// holds another type. Borrowed: take [`StrValue::to_bytes`] for a `Bytes` of it.
    pub fn read_str(&mut self, key: &[u8]) -> Result<Option<&StrValue>, CmdError> {
        match self.lookup_read(key) {
            None => Ok(None),
            Some(e) => match &e.value {
                Value::Str(b) => Ok(Some(b)),
                _ => Err(CmdError::WrongType),
            },
        }
    }

    /// The string at `key` for a read command, as a `Bytes` (see [`ShardCtx::read_str`]).
    pub fn read_str_bytes(&mut self, key: &[u8]) -> Result<Option<Bytes>, CmdError> {
        Ok(self.read_str(key)?.map(StrValue::to_bytes))
    }

    /// GET's reply for the string at `key`: a bulk string carried without an allocation (see
    /// [`Reply::bulk_str`]), or nil when absent.
    pub fn read_str_reply(&mut self, key: &[u8]) -> Result<Reply, CmdError> {
        Ok(self.read_str(key)?.map_or(Reply::Nil, Reply::bulk_str))
    }

    /// GET's reply: the string at `key` as a bulk string, nil when absent, `WrongType` when the
    /// key holds another type. Side effects as `lookup_read`. Written straight to the
    /// connection's output when `reply_to` offers it, which spares taking a reference to the
    /// value (a write to its cache line) and building a `Reply` for it.
    pub fn reply_str(&mut self, key: &[u8]) -> Result<Reply, CmdError> {
        let Some(to) = self.reply_to.take() else {
            return self.read_str_reply(key);
        };
        match self.lookup_read(key) {
            None => encoder::write_nil(to.out, to.resp),
            Some(e) => match &e.value {
                Value::Str(b) => encoder::write_bulk(to.out, b.as_slice()),
                _ => return Err(CmdError::WrongType),
            },
        }
        Ok(Reply::Written)
    }

    /// Counts one change to the dataset (`rdb_changes_since_last_save`).
    pub fn dirty(&mut self, n: u64) {
        self.ks.stats.dirty += n;
    }
}

/// The value of a looked-up entry narrowed by `pick`: `WrongType` when it is of another type.
fn narrow<T: ?Sized>(
    e: Option<&mut Entry>,
    pick: fn(&mut Value) -> Option<&mut T>,
) -> Result<Option<&mut T>, CmdError> {
    e.map(|e| pick(&mut e.value).ok_or(CmdError::WrongType))
        .transpose()
}

/// The context of a command that touches only its own connection.
pub struct ConnCtx<'a> {
    /// The connection's state.
    pub client: &'a mut ClientState,
    /// The executor the connection lives on.
    pub shard: ShardId,
}

/// What an orchestrating (async) command knows about its caller.
#[derive(Debug, Clone)]
pub struct AsyncCtx {
    /// The caller's client id.
    pub client_id: u64,
    /// The caller's selected DB.
    pub db: usize,
    /// The executor the caller lives on.
    pub shard: ShardId,
    /// The caller's protocol version (2 or 3).
    pub resp: u8,
    /// True when the command runs inside EXEC: it must not block.
    pub in_exec: bool,
}
