//! `Config`: the value of every directive, and the file it was loaded from.
//!
//! Owns: the values (one per row of the directive table, indexed by `Id`), the defaults, the
//! generic accessors, and the one path through which a value changes (`parse_for` then `put`),
//! so side effects such as publishing `proto-max-bulk-len` to `config::live` happen in one place.
//! Loading, CONFIG GET/SET and CONFIG REWRITE are `impl Config` blocks in their own files.

use std::path::{Path, PathBuf};

use super::live::{self, Threshold};
use super::split::split_words;
use super::table::{self, directive, Directive, Id, Kind, TABLE};
use super::value::{self, Value};

/// The server's configuration. Cheap to clone; not shared between executors, which read what
/// they need at start (or through `config::live`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    values: Vec<Value>,
    file: Option<PathBuf>,
}

impl Default for Config {
    /// Every directive at its Redis 7.0 default, and no config file.
    fn default() -> Config {
        Config {
            values: TABLE.iter().map(default_value).collect(),
            file: None,
        }
    }
}

/// The default of `d`, read from the table through the same parser a config file goes through.
pub(crate) fn default_value(d: &Directive) -> Value {
    let words: Vec<String> = if d.kind.multi_arg() {
        split_words(d.default).unwrap_or_default()
    } else {
        vec![d.default.to_string()]
    };
    let start = match d.kind {
        Kind::ClientOutputBufferLimit => Value::Obuf(Default::default()),
        _ => Value::Bool(false),
    };
    match value::parse(d.kind, &words, &start) {
        Ok(v) => table::normalize(d.id, v),
        // Only `dir` can fail (the working directory was removed); fall back to the relative path.
        Err(_) => Value::Dir(PathBuf::from(d.default)),
    }
}

impl Config {
    /// The config file this configuration was loaded from, as an absolute path. CONFIG REWRITE
    /// writes back to it.
    pub fn config_file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The value of `id`.
    pub fn value(&self, id: Id) -> &Value {
        &self.values[id as usize]
    }

    /// The value of a yes/no directive.
    ///
    /// Panics if `id` is not a yes/no directive: that is a bug in the caller, caught by tests.
    pub fn flag(&self, id: Id) -> bool {
        match self.value(id) {
            Value::Bool(b) => *b,
            other => panic!("{} is not yes/no: {other:?}", directive(id).name),
        }
    }

    /// The value of an integer or memory-size directive (sizes in bytes).
    ///
    /// Panics if `id` is not numeric.
    pub fn int(&self, id: Id) -> i64 {
        match self.value(id) {
            Value::Int(n) => *n,
            other => panic!("{} is not numeric: {other:?}", directive(id).name),
        }
    }

    /// The value of a string directive; "" when unset.
    ///
    /// Panics if `id` is not a string directive.
    pub fn text(&self, id: Id) -> &str {
        match self.value(id) {
            Value::Text(t) => t,
            other => panic!("{} is not a string: {other:?}", directive(id).name),
        }
    }

    /// The chosen word of an enum directive, lowercase (`"noeviction"`).
    ///
    /// Panics if `id` is not an enum directive.
    pub fn choice(&self, id: Id) -> &'static str {
        match self.value(id) {
            Value::Enum(v) => value::enum_name(directive(id).kind, *v),
            other => panic!("{} is not an enum: {other:?}", directive(id).name),
        }
    }

    /// Sets or clears the master to follow, as REPLICAOF does; CONFIG GET and CONFIG REWRITE
    /// then show it.
    pub fn set_replicaof(&mut self, master: Option<(String, u16)>) {
        self.put(Id::Replicaof, Value::ReplicaOf(master));
    }

    /// Reads `words` as a new value for `d`, applying the directive's own rules. Does not
    /// change anything.
    pub(crate) fn parse_for(&self, d: &Directive, words: &[String]) -> Result<Value, String> {
        let v = value::parse(d.kind, words, self.value(d.id))?;
        table::check(d.id, &v)?;
        Ok(table::normalize(d.id, v))
    }

    /// Stores `v` as the value of `id` and publishes what other executors read lock-free.
    pub(crate) fn put(&mut self, id: Id, v: Value) {
        if let Value::Int(n) = v {
            match id {
                Id::ProtoMaxBulkLen => live::set_proto_max_bulk_len(n as u64),
                Id::ClientQueryBufferLimit => live::set_client_query_buffer_limit(n as u64),
                Id::Maxclients => live::set_maxclients(n as u64),
                Id::ListMaxListpackSize => live::set_threshold(Threshold::ListMaxListpackSize, n),
                Id::HashMaxListpackEntries => {
                    live::set_threshold(Threshold::HashMaxListpackEntries, n)
                }
                Id::HashMaxListpackValue => live::set_threshold(Threshold::HashMaxListpackValue, n),
                Id::SetMaxIntsetEntries => live::set_threshold(Threshold::SetMaxIntsetEntries, n),
                Id::SetMaxListpackEntries => {
                    live::set_threshold(Threshold::SetMaxListpackEntries, n)
                }
                Id::SetMaxListpackValue => live::set_threshold(Threshold::SetMaxListpackValue, n),
                Id::ZsetMaxListpackEntries => {
                    live::set_threshold(Threshold::ZsetMaxListpackEntries, n)
                }
                Id::ZsetMaxListpackValue => live::set_threshold(Threshold::ZsetMaxListpackValue, n),
                Id::StreamNodeMaxBytes => live::set_threshold(Threshold::StreamNodeMaxBytes, n),
                Id::StreamNodeMaxEntries => live::set_threshold(Threshold::StreamNodeMaxEntries, n),
                _ => {}
            }
        }
        self.values[id as usize] = v;
    }

    pub(crate) fn set_file(&mut self, path: Option<PathBuf>) {
        self.file = path;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_parses_as_its_own_kind() {
        for d in TABLE {
            let words: Vec<String> = if d.kind.multi_arg() {
                d.default.split(' ').map(str::to_string).collect()
            } else {
                vec![d.default.to_string()]
            };
            let start = default_value(d);
            assert!(value::parse(d.kind, &words, &start).is_ok(), "{}", d.name);
        }
    }

    #[test]
    fn typed_getters_match_the_kind_of_every_directive() {
        let c = Config::default();
        for d in TABLE {
            match d.kind {
                Kind::Bool => {
                    c.flag(d.id);
                }
                Kind::Int { .. } | Kind::Memory { .. } => {
                    c.int(d.id);
                }
                Kind::Text | Kind::OptText => {
                    c.text(d.id);
                }
                Kind::Enum(_) => assert_ne!(c.choice(d.id), "unknown", "{}", d.name),
                _ => {}
            }
        }
    }

    #[test]
    fn defaults_are_redis_7_0_defaults() {
        let c = Config::default();
        assert_eq!(c.int(Id::Port), 6379);
        assert_eq!(c.int(Id::Databases), 16);
        assert_eq!(c.int(Id::ProtoMaxBulkLen), 512 << 20);
        assert_eq!(c.int(Id::ReplBacklogSize), 1 << 20);
        assert_eq!(c.choice(Id::Loglevel), "notice");
        assert_eq!(c.text(Id::Dbfilename), "dump.rdb");
        assert!(c.flag(Id::ProtectedMode));
        assert!(c.config_file().is_none());
    }

    #[test]
    fn replicaof_set_from_code_shows_in_the_value() {
        let mut c = Config::default();
        c.set_replicaof(Some(("127.0.0.1".into(), 6380)));
        assert_eq!(
            c.value(Id::Replicaof),
            &Value::ReplicaOf(Some(("127.0.0.1".into(), 6380)))
        );
    }
}
