//! The table of every directive Tessera understands.
//!
//! Owns: one row per directive (name, old alias, value kind with bounds, default as it would be
//! written in tessera.conf, and when it may change), plus the few rules a kind cannot express
//! (`check`, `normalize`). Adding a directive is adding a row; the loader, CONFIG GET/SET and
//! CONFIG REWRITE all read this table and nothing else. Defaults are Redis 7.0's.

use super::value::Value;

/// When a directive may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// CONFIG SET may change it.
    Runtime,
    /// Only the config file and the command line set it.
    Startup,
    /// CONFIG SET may change it only where `enable-protected-configs` allows.
    Protected,
}

/// What a directive's value is, and how it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `yes` or `no`.
    Bool,
    /// A plain integer within `min..=max`.
    Int {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// A byte count with optional unit (`1mb`), within `min..=max`.
    Memory {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// Any string; the empty string is a value like any other.
    Text,
    /// Any string; the empty string means "not set" and CONFIG REWRITE drops the directive.
    OptText,
    /// One of a fixed set of words, any case. Several words may share a value; the first one
    /// listed is the one CONFIG GET shows.
    Enum(&'static [(&'static str, u32)]),
    /// `save <seconds> <changes> [<seconds> <changes> ...]`, or `save ""` for none.
    Save,
    /// `bind <addr> [<addr> ...]`.
    Bind,
    /// `replicaof <host> <port>`, or `replicaof no one`.
    ReplicaOf,
    /// The data directory: must exist; kept as an absolute path.
    Dir,
    /// `notify-keyspace-events` class letters.
    KeyspaceEvents,
    /// `client-output-buffer-limit <class> <hard> <soft> <seconds> [...]`.
    ClientOutputBufferLimit,
    /// `oom-score-adj-values <master> <replica> <child>`.
    OomScoreAdjValues,
}

impl Kind {
    /// Whether the directive takes several words. A single quoted word is then split again, so
    /// `save "900 1 300 10"` and `save 900 1 300 10` mean the same.
    pub fn multi_arg(self) -> bool {
        matches!(
            self,
            Kind::Save
                | Kind::Bind
                | Kind::ReplicaOf
                | Kind::ClientOutputBufferLimit
                | Kind::OomScoreAdjValues
        )
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Directive {
    /// Index into `TABLE` and into a `Config`'s values.
    pub id: Id,
    /// The canonical, lowercase name.
    pub name: &'static str,
    /// The pre-5.0 name (`slaveof` for `replicaof`), accepted everywhere the name is.
    pub alias: Option<&'static str>,
    /// What the value is.
    pub kind: Kind,
    /// The default, spelled as in a config file.
    pub default: &'static str,
    /// When it may change.
    pub access: Access,
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
const MB: i64 = 1024 * 1024;

const fn int(min: i64, max: i64) -> Kind {
    Kind::Int { min, max }
}

const fn mem(min: i64, max: i64) -> Kind {
    Kind::Memory { min, max }
}

const LOGLEVEL: Kind = Kind::Enum(&[
    ("debug", 0),
    ("verbose", 1),
    ("notice", 2),
    ("warning", 3),
    ("nothing", 4),
]);
const MAXMEMORY_POLICY: Kind = Kind::Enum(&[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
]);
const DISKLESS_LOAD: Kind = Kind::Enum(&[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)]);
const APPENDFSYNC: Kind = Kind::Enum(&[("everysec", 0), ("always", 1), ("no", 2)]);
const SUPERVISED: Kind = Kind::Enum(&[("upstart", 0), ("systemd", 1), ("auto", 2), ("no", 3)]);
const OOM_SCORE_ADJ: Kind = Kind::Enum(&[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)]);
const ALLOWED: Kind = Kind::Enum(&[("no", 0), ("yes", 1), ("local", 2)]);

macro_rules! directives {
    ($( $id:ident: $name:literal, $alias:expr, $kind:expr, $default:literal, $access:ident; )*) => {
        /// Names a directive in code: `config.int(Id::Hz)`. One variant per row of `TABLE`, in
        /// the same order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Id {
            $( #[doc = concat!("`", $name, "`")] $id, )*
        }

        /// Every directive, in the order CONFIG REWRITE appends them.
        pub static TABLE: &[Directive] = &[
            $( Directive {
                id: Id::$id,
                name: $name,
                alias: $alias,
                kind: $kind,
                default: $default,
                access: Access::$access,
            }, )*
        ];
    };
}

directives! {
    // id                        name                            alias                            kind                  default           access

    // Network and clients
    Port:                        "port",                         None,                            int(0, 65535),        "6379",           Runtime;
    Bind:                        "bind",                         None,                            Kind::Bind,           "* -::*",         Runtime;
    ProtectedMode:               "protected-mode",               None,                            Kind::Bool,           "yes",            Runtime;
    TcpBacklog:                  "tcp-backlog",                  None,                            int(0, INT_MAX),      "511",            Startup;
    Timeout:                     "timeout",                      None,                            int(0, INT_MAX),      "0",              Runtime;
    TcpKeepalive:                "tcp-keepalive",                None,                            int(0, INT_MAX),      "300",            Runtime;
    Maxclients:                  "maxclients",                   None,                            int(1, UINT_MAX),     "10000",          Runtime;
    Requirepass:                 "requirepass",                  None,                            Kind::OptText,        "",               Runtime;
    ProtoMaxBulkLen:             "proto-max-bulk-len",           None,                            mem(MB, LONG_MAX),    "512mb",          Runtime;
    ClientQueryBufferLimit:      "client-query-buffer-limit",    None,                            mem(MB, LONG_MAX),    "1gb",            Runtime;
    ClientOutputBufferLimit:     "client-output-buffer-limit",   None,                            Kind::ClientOutputBufferLimit, "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60", Runtime;
    EnableProtectedConfigs:      "enable-protected-configs",     None,                            ALLOWED,              "no",             Startup;
    EnableDebugCommand:          "enable-debug-command",         None,                            ALLOWED,              "no",             Startup;
    EnableModuleCommand:         "enable-module-command",        None,                            ALLOWED,              "no",             Startup;

    // Process
    Threads:                     "threads",                      None,                            int(0, 1024),         "0",              Startup;
    IoThreads:                   "io-threads",                   None,                            int(1, 128),          "1",              Startup;
    Daemonize:                   "daemonize",                    None,                            Kind::Bool,           "no",             Startup;
    Supervised:                  "supervised",                   None,                            SUPERVISED,           "no",             Startup;
    Pidfile:                     "pidfile",                      None,                            Kind::OptText,        "",               Startup;
    Logfile:                     "logfile",                      None,                            Kind::Text,           "",               Startup;
    Loglevel:                    "loglevel",                     None,                            LOGLEVEL,             "notice",         Runtime;
    AlwaysShowLogo:              "always-show-logo",             None,                            Kind::Bool,           "no",             Startup;
    SetProcTitle:                "set-proc-title",               None,                            Kind::Bool,           "yes",            Startup;
    ProcTitleTemplate:           "proc-title-template",          None,                            Kind::Text,           "{title} {listen-addr} {server-mode}", Runtime;
    Hz:                          "hz",                           None,                            int(0, INT_MAX),      "10",             Runtime;
    DynamicHz:                   "dynamic-hz",                   None,                            Kind::Bool,           "yes",            Runtime;
    Databases:                   "databases",                    None,                            int(1, INT_MAX),      "16",             Startup;
    OomScoreAdj:                 "oom-score-adj",                None,                            OOM_SCORE_ADJ,        "no",             Runtime;
    OomScoreAdjValues:           "oom-score-adj-values",         None,                            Kind::OomScoreAdjValues, "0 200 800",   Runtime;
    DisableThp:                  "disable-thp",                  None,                            Kind::Bool,           "yes",            Startup;
    JemallocBgThread:            "jemalloc-bg-thread",           None,                            Kind::Bool,           "yes",            Runtime;
    CrashLogEnabled:             "crash-log-enabled",            None,                            Kind::Bool,           "yes",            Runtime;
    CrashMemcheckEnabled:        "crash-memcheck-enabled",       None,                            Kind::Bool,           "yes",            Runtime;
    ShutdownTimeout:             "shutdown-timeout",             None,                            int(0, INT_MAX),      "10",             Runtime;

    // Snapshots
    Dir:                         "dir",                          None,                            Kind::Dir,            "./",             Protected;
    Dbfilename:                  "dbfilename",                   None,                            Kind::Text,           "dump.rdb",       Protected;
    Save:                        "save",                         None,                            Kind::Save,           "3600 1 300 100 60 10000", Runtime;
    StopWritesOnBgsaveError:     "stop-writes-on-bgsave-error",  None,                            Kind::Bool,           "yes",            Runtime;
    Rdbcompression:              "rdbcompression",               None,                            Kind::Bool,           "yes",            Runtime;
    Rdbchecksum:                 "rdbchecksum",                  None,                            Kind::Bool,           "yes",            Startup;
    RdbDelSyncFiles:             "rdb-del-sync-files",           None,                            Kind::Bool,           "no",             Runtime;
    RdbSaveIncrementalFsync:     "rdb-save-incremental-fsync",   None,                            Kind::Bool,           "yes",            Runtime;
    RdbKeySaveDelay:             "rdb-key-save-delay",           None,                            int(INT_MIN, INT_MAX), "0",             Runtime;
    KeyLoadDelay:                "key-load-delay",               None,                            int(INT_MIN, INT_MAX), "0",             Runtime;

    // Append-only file: accepted so stock config files load; only `appendonly no` is supported.
    Appendonly:                  "appendonly",                   None,                            Kind::Bool,           "no",             Runtime;
    Appendfilename:              "appendfilename",               None,                            Kind::Text,           "appendonly.aof", Startup;
    Appenddirname:               "appenddirname",                None,                            Kind::Text,           "appendonlydir",  Startup;
    Appendfsync:                 "appendfsync",                  None,                            APPENDFSYNC,          "everysec",       Runtime;
    NoAppendfsyncOnRewrite:      "no-appendfsync-on-rewrite",    None,                            Kind::Bool,           "no",             Runtime;
    AutoAofRewritePercentage:    "auto-aof-rewrite-percentage",  None,                            int(0, INT_MAX),      "100",            Runtime;
    AutoAofRewriteMinSize:       "auto-aof-rewrite-min-size",    None,                            mem(0, LONG_MAX),     "64mb",           Runtime;
    AofLoadTruncated:            "aof-load-truncated",           None,                            Kind::Bool,           "yes",            Runtime;
    AofUseRdbPreamble:           "aof-use-rdb-preamble",         None,                            Kind::Bool,           "yes",            Runtime;
    AofTimestampEnabled:         "aof-timestamp-enabled",        None,                            Kind::Bool,           "no",             Runtime;
    AofRewriteIncrementalFsync:  "aof-rewrite-incremental-fsync", None,                           Kind::Bool,           "yes",            Runtime;

    // Replication
    Replicaof:                   "replicaof",                    Some("slaveof"),                 Kind::ReplicaOf,      "no one",         Startup;
    Masterauth:                  "masterauth",                   None,                            Kind::OptText,        "",               Runtime;
    Masteruser:                  "masteruser",                   None,                            Kind::OptText,        "",               Runtime;
    ReplicaReadOnly:             "replica-read-only",            Some("slave-read-only"),         Kind::Bool,           "yes",            Runtime;
    ReplicaServeStaleData:       "replica-serve-stale-data",     Some("slave-serve-stale-data"),  Kind::Bool,           "yes",            Runtime;
    ReplicaLazyFlush:            "replica-lazy-flush",           Some("slave-lazy-flush"),        Kind::Bool,           "no",             Runtime;
    ReplicaIgnoreMaxmemory:      "replica-ignore-maxmemory",     Some("slave-ignore-maxmemory"),  Kind::Bool,           "yes",            Runtime;
    ReplicaPriority:             "replica-priority",             Some("slave-priority"),          int(0, INT_MAX),      "100",            Runtime;
    ReplicaAnnounced:            "replica-announced",            None,                            Kind::Bool,           "yes",            Runtime;
    ReplicaAnnounceIp:           "replica-announce-ip",          Some("slave-announce-ip"),       Kind::OptText,        "",               Runtime;
    ReplicaAnnouncePort:         "replica-announce-port",        Some("slave-announce-port"),     int(0, 65535),        "0",              Runtime;
    ReplBacklogSize:             "repl-backlog-size",            None,                            mem(1, LONG_MAX),     "1mb",            Runtime;
    ReplBacklogTtl:              "repl-backlog-ttl",             None,                            int(0, LONG_MAX),     "3600",           Runtime;
    ReplTimeout:                 "repl-timeout",                 None,                            int(1, INT_MAX),      "60",             Runtime;
    ReplPingReplicaPeriod:       "repl-ping-replica-period",     Some("repl-ping-slave-period"),  int(1, INT_MAX),      "10",             Runtime;
    ReplDisableTcpNodelay:       "repl-disable-tcp-nodelay",     None,                            Kind::Bool,           "no",             Runtime;
    ReplDisklessSync:            "repl-diskless-sync",           None,                            Kind::Bool,           "yes",            Runtime;
    ReplDisklessSyncDelay:       "repl-diskless-sync-delay",     None,                            int(0, INT_MAX),      "5",              Runtime;
    ReplDisklessSyncMaxReplicas: "repl-diskless-sync-max-replicas", None,                         int(0, INT_MAX),      "0",              Runtime;
    ReplDisklessLoad:            "repl-diskless-load",           None,                            DISKLESS_LOAD,        "disabled",       Runtime;
    MinReplicasToWrite:          "min-replicas-to-write",        Some("min-slaves-to-write"),     int(0, INT_MAX),      "0",              Runtime;
    MinReplicasMaxLag:           "min-replicas-max-lag",         Some("min-slaves-max-lag"),      int(0, INT_MAX),      "10",             Runtime;

    // Memory and eviction
    Maxmemory:                   "maxmemory",                    None,                            mem(0, LONG_MAX),     "0",              Runtime;
    MaxmemoryPolicy:             "maxmemory-policy",             None,                            MAXMEMORY_POLICY,     "noeviction",     Runtime;
    MaxmemorySamples:            "maxmemory-samples",            None,                            int(1, INT_MAX),      "5",              Runtime;
    MaxmemoryEvictionTenacity:   "maxmemory-eviction-tenacity",  None,                            int(0, 100),          "10",             Runtime;
    LfuLogFactor:                "lfu-log-factor",               None,                            int(0, INT_MAX),      "10",             Runtime;
    LfuDecayTime:                "lfu-decay-time",               None,                            int(0, INT_MAX),      "1",              Runtime;
    LazyfreeLazyEviction:        "lazyfree-lazy-eviction",       None,                            Kind::Bool,           "no",             Runtime;
    LazyfreeLazyExpire:          "lazyfree-lazy-expire",         None,                            Kind::Bool,           "no",             Runtime;
    LazyfreeLazyServerDel:       "lazyfree-lazy-server-del",     None,                            Kind::Bool,           "no",             Runtime;
    LazyfreeLazyUserDel:         "lazyfree-lazy-user-del",       None,                            Kind::Bool,           "no",             Runtime;
    LazyfreeLazyUserFlush:       "lazyfree-lazy-user-flush",     None,                            Kind::Bool,           "no",             Runtime;
    Activerehashing:             "activerehashing",              None,                            Kind::Bool,           "yes",            Runtime;
    Activedefrag:                "activedefrag",                 None,                            Kind::Bool,           "no",             Runtime;
    ActiveExpireEffort:          "active-expire-effort",         None,                            int(1, 10),           "1",              Runtime;

    // Encodings of small values
    HashMaxListpackEntries:      "hash-max-listpack-entries",    Some("hash-max-ziplist-entries"), int(0, LONG_MAX),    "512",            Runtime;
    HashMaxListpackValue:        "hash-max-listpack-value",      Some("hash-max-ziplist-value"),  mem(0, LONG_MAX),     "64",             Runtime;
    ListMaxListpackSize:         "list-max-listpack-size",       Some("list-max-ziplist-size"),   int(INT_MIN, INT_MAX), "-2",            Runtime;
    ListCompressDepth:           "list-compress-depth",          None,                            int(0, INT_MAX),      "0",              Runtime;
    SetMaxIntsetEntries:         "set-max-intset-entries",       None,                            int(0, LONG_MAX),     "512",            Runtime;
    SetMaxListpackEntries:       "set-max-listpack-entries",     None,                            int(0, LONG_MAX),     "128",            Runtime;
    SetMaxListpackValue:         "set-max-listpack-value",       None,                            mem(0, LONG_MAX),     "64",             Runtime;
    ZsetMaxListpackEntries:      "zset-max-listpack-entries",    Some("zset-max-ziplist-entries"), int(0, LONG_MAX),    "128",            Runtime;
    ZsetMaxListpackValue:        "zset-max-listpack-value",      Some("zset-max-ziplist-value"),  mem(0, LONG_MAX),     "64",             Runtime;
    HllSparseMaxBytes:           "hll-sparse-max-bytes",         None,                            mem(0, LONG_MAX),     "3000",           Runtime;
    StreamNodeMaxBytes:          "stream-node-max-bytes",        None,                            mem(0, LONG_MAX),     "4096",           Runtime;
    StreamNodeMaxEntries:        "stream-node-max-entries",      None,                            int(0, LONG_MAX),     "100",            Runtime;

    // Diagnostics, scripting, notifications
    SlowlogLogSlowerThan:        "slowlog-log-slower-than",      None,                            int(-1, LONG_MAX),    "10000",          Runtime;
    SlowlogMaxLen:               "slowlog-max-len",              None,                            int(0, LONG_MAX),     "128",            Runtime;
    LatencyMonitorThreshold:     "latency-monitor-threshold",    None,                            int(0, LONG_MAX),     "0",              Runtime;
    LatencyTracking:             "latency-tracking",             None,                            Kind::Bool,           "yes",            Runtime;
    AcllogMaxLen:                "acllog-max-len",               None,                            int(0, LONG_MAX),     "128",            Runtime;
    BusyReplyThreshold:          "busy-reply-threshold",         Some("lua-time-limit"),          int(0, LONG_MAX),     "5000",           Runtime;
    NotifyKeyspaceEvents:        "notify-keyspace-events",       None,                            Kind::KeyspaceEvents, "",               Runtime;
    TrackingTableMaxKeys:        "tracking-table-max-keys",      None,                            int(0, LONG_MAX),     "1000000",        Runtime;
}

/// The directive called `name` (or by its alias), any case.
pub fn lookup(name: &[u8]) -> Option<&'static Directive> {
    TABLE.iter().find(|d| {
        d.name.as_bytes().eq_ignore_ascii_case(name)
            || d.alias
                .is_some_and(|a| a.as_bytes().eq_ignore_ascii_case(name))
    })
}

/// Directives for testing that, as in Redis, a glob in CONFIG GET never lists: only their exact
/// name reads them. `rdb-key-save-delay` and `key-load-delay` slow saving and loading down, per
/// key, so that a test can watch a save or a load in progress.
pub const HIDDEN: &[Id] = &[Id::RdbKeySaveDelay, Id::KeyLoadDelay];

/// The row of `id`.
pub fn directive(id: Id) -> &'static Directive {
    &TABLE[id as usize]
}

/// Rules one directive adds on top of its kind. Returns the reason a value is refused.
pub fn check(id: Id, value: &Value) -> Result<(), &'static str> {
    let text = match value {
        Value::Text(t) => t.as_str(),
        Value::Bool(true) if id == Id::Appendonly => return Err(
            "the append-only file is not supported, only RDB snapshots: appendonly must be 'no'",
        ),
        _ => return Ok(()),
    };
    let is_path = text.contains('/') || text.contains('\\');
    match id {
        Id::Dbfilename if is_path => Err("dbfilename can't be a path, just a filename"),
        Id::Appendfilename if text.is_empty() => Err("appendfilename can't be empty"),
        Id::Appendfilename if is_path => Err("appendfilename can't be a path, just a filename"),
        Id::Appenddirname if text.is_empty() => Err("appenddirname can't be empty"),
        Id::Appenddirname if is_path => Err("appenddirname can't be a path, just a dirname"),
        _ => Ok(()),
    }
}

/// Brings an accepted value into the range the server runs with. `hz` is a hint, so values past
/// its useful range are clamped rather than refused, as Redis does.
pub fn normalize(id: Id, value: Value) -> Value {
    match (id, value) {
        (Id::Hz, Value::Int(hz)) => Value::Int(hz.clamp(1, 500)),
        (_, v) => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_index_their_own_rows() {
        for (i, d) in TABLE.iter().enumerate() {
            assert_eq!(d.id as usize, i, "{}", d.name);
        }
    }

    #[test]
    fn names_and_aliases_are_lowercase_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for d in TABLE {
            for n in std::iter::once(d.name).chain(d.alias) {
                assert_eq!(n, n.to_ascii_lowercase());
                assert!(seen.insert(n), "{n} twice");
            }
        }
    }

    #[test]
    fn lookup_ignores_case_and_knows_aliases() {
        assert_eq!(lookup(b"PORT").unwrap().id, Id::Port);
        assert_eq!(lookup(b"Slave-Read-Only").unwrap().id, Id::ReplicaReadOnly);
        assert_eq!(
            lookup(b"lua-time-limit").unwrap().id,
            Id::BusyReplyThreshold
        );
        assert!(lookup(b"no-such-thing").is_none());
    }

    #[test]
    fn dbfilename_must_be_a_bare_name() {
        let v = Value::Text("a/b.rdb".into());
        assert_eq!(
            check(Id::Dbfilename, &v),
            Err("dbfilename can't be a path, just a filename")
        );
        assert_eq!(check(Id::Dbfilename, &Value::Text("b.rdb".into())), Ok(()));
    }

    #[test]
    fn appendonly_yes_is_refused() {
        assert!(check(Id::Appendonly, &Value::Bool(true)).is_err());
        assert_eq!(check(Id::Appendonly, &Value::Bool(false)), Ok(()));
    }

    #[test]
    fn hz_is_clamped_not_refused() {
        assert_eq!(normalize(Id::Hz, Value::Int(0)), Value::Int(1));
        assert_eq!(normalize(Id::Hz, Value::Int(1000)), Value::Int(500));
        assert_eq!(normalize(Id::Hz, Value::Int(20)), Value::Int(20));
    }
}
