//! What a write sends to replicas.
//!
//! Owns: `Propagation`, the record a handler fills when its effect must travel in another form
//! than its own argv (a relative expiry sent as an absolute one, INCRBYFLOAT sent as SET…), so
//! that every replica ends with the same bytes.

use bytes::Bytes;

/// The commands a write propagates. Default: the command's own argv, if it changed anything.
#[derive(Debug, Default, Clone, PartialEq)]
pub enum Propagation {
    /// Propagate the argv as received (when the command wrote).
    #[default]
    AsIs,
    /// Propagate nothing (the command changed nothing, or only the connection).
    Nothing,
    /// Propagate these commands instead of the argv.
    Replace(Vec<Vec<Bytes>>),
}

impl Propagation {
    /// Replaces what is propagated by one command (the first call) or appends one more.
    pub fn replace(&mut self, argv: Vec<Bytes>) {
        match self {
            Propagation::Replace(v) => v.push(argv),
            _ => *self = Propagation::Replace(vec![argv]),
        }
    }

    /// Propagates nothing for this command.
    pub fn suppress(&mut self) {
        *self = Propagation::Nothing;
    }
}
