//! INFO: the server's state as `field:value` lines grouped in `# Section`s, with Redis 7.0's
//! section names, field names and field order, so that tools written for Redis parse it.
//!
//! Owns: section selection (`Sections`), the facts each section shows (`InfoFacts`, gathered once
//! per call from every shard and from the operating system), and one plain formatting function
//! per section. Fields Tessera has no counterpart for keep the value a Redis with the feature
//! idle would show (0, `ok`, -1).

use bytes::Bytes;
use futures_lite::future::BoxedLocal;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use super::connection::REDIS_VERSION;
use super::ctx::AsyncCtx;
use super::settings;
use super::table::flags::*;
use super::table::{CmdResult, CommandTable, Handler, KeySpec};
use crate::protocol::reply::Reply;
use crate::server::info::{sample_rates, shard_report, Rates, ShardReport};
use crate::server::probes::{self, CpuFacts, CpuTimes, MemoryFacts};
use crate::server::pubsub::{server_counts, ServerCounts};
use crate::server::shards::on_all_shards;
use crate::server::shared::shared;

/// Registers INFO.
pub fn register(t: &mut CommandTable) {
    t.add(
        "info",
        -1,
        LOADING | STALE,
        KeySpec::NONE,
        Handler::Async(info),
    );
}

/// Sections shown by `INFO` without arguments (and by `INFO default`).
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Which sections one INFO call asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sections {
    names: HashSet<String>,
    all: bool,
}

impl Sections {
    /// Parses `INFO [section [section ...]]`: names are matched without regard to case;
    /// `default` adds the default sections, `all` and `everything` select every section, and
    /// unknown names select nothing.
    pub fn parse(names: &[Bytes]) -> Sections {
        let mut s = Sections::default();
        if names.is_empty() {
            s.add_defaults();
        }
        for n in names {
            let n = String::from_utf8_lossy(n).to_ascii_lowercase();
            match n.as_str() {
                "default" => s.add_defaults(),
                "all" | "everything" => s.all = true,
                _ => {
                    s.names.insert(n);
                }
            }
        }
        s
    }

    fn add_defaults(&mut self) {
        self.names
            .extend(DEFAULT_SECTIONS.iter().map(|n| n.to_string()));
    }

    /// True when the section known by any of `names` was asked for.
    pub fn wants(&self, names: &[&str]) -> bool {
        self.all || names.iter().any(|n| self.names.contains(*n))
    }
}

/// Facts of INFO's server section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerFacts {
    /// `uname`: sysname, release, machine.
    pub os: (String, String, String),
    /// Process id.
    pub pid: u32,
    /// INFO run_id.
    pub run_id: String,
    /// Listening port.
    pub port: u16,
    /// Wall clock, microseconds since the epoch.
    pub now_usec: u64,
    /// Seconds since start.
    pub uptime_secs: u64,
    /// `hz`.
    pub hz: u32,
    /// Path of the running binary.
    pub executable: String,
    /// Path of the configuration file, or "".
    pub config_file: String,
}

/// Facts of INFO's persistence section (and of the fork counters in stats), from
/// `crate::persistence`.
pub use crate::persistence::PersistenceFacts;

/// Everything one INFO reply shows, gathered before any text is written.
#[derive(Debug, Clone, Default)]
pub struct InfoFacts {
    /// The server section.
    pub server: ServerFacts,
    /// Counters summed over every shard.
    pub totals: ShardReport,
    /// Rates over the last sampling interval.
    pub rates: Rates,
    /// Process memory.
    pub memory: MemoryFacts,
    /// Process CPU time.
    pub cpu: CpuFacts,
    /// Persistence state.
    pub persistence: PersistenceFacts,
    /// `maxclients`.
    pub maxclients: u64,
    /// `maxmemory` in bytes.
    pub maxmemory: u64,
    /// `maxmemory-policy`.
    pub maxmemory_policy: &'static str,
    /// The replication state (the `# Replication` section, replication counters of `# Stats`).
    pub replication: crate::replication::report::ReplicationFacts,
    /// Distinct channels, patterns and shard channels listened to, over every executor.
    pub pubsub: ServerCounts,
}

/// INFO [section [section ...]]
fn info(_cx: AsyncCtx, args: Vec<Bytes>) -> BoxedLocal<CmdResult> {
    Box::pin(async move {
        let sections = Sections::parse(&args[1..]);
        let facts = gather().await;
        Ok(Reply::Verbatim(
            "txt",
            Bytes::from(render(&sections, &facts)),
        ))
    })
}

/// Collects the facts: one hop per shard for its counters, then the process and settings.
pub async fn gather() -> InfoFacts {
    let reports = on_all_shards(shard_report).await;
    let totals = ShardReport::total(&reports);
    let pubsub = server_counts().await;
    let rates = sample_rates(&totals.stats);
    let sh = shared();
    let now_usec = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    InfoFacts {
        server: ServerFacts {
            os: probes::uname(),
            pid: std::process::id(),
            run_id: sh.run_id.clone(),
            port: sh.port,
            now_usec,
            uptime_secs: sh.started.elapsed().as_secs(),
            hz: settings::hz(),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            config_file: settings::config_file(),
        },
        persistence: crate::persistence::info_facts(totals.keyspace.dirty),
        totals,
        rates,
        memory: probes::memory(),
        cpu: probes::cpu(),
        maxclients: settings::maxclients(),
        maxmemory: settings::maxmemory(),
        maxmemory_policy: settings::maxmemory_policy(),
        replication: crate::replication::report::facts(),
        pubsub,
    }
}

/// The INFO text for `sections`: each selected section in Redis's order, separated by a blank
/// line.
pub fn render(sections: &Sections, f: &InfoFacts) -> String {
    type Builder = fn(&InfoFacts) -> String;
    let table: &[(&[&str], Builder)] = &[
        (&["server"], server_section),
        (&["clients"], clients_section),
        (&["memory"], memory_section),
        (&["persistence"], persistence_section),
        (&["stats"], stats_section),
        (&["replication"], replication_section),
        (&["cpu"], cpu_section),
        (&["modules", "module_list"], |_| "# Modules\r\n".into()),
        (&["commandstats"], |_| "# Commandstats\r\n".into()),
        (&["errorstats"], |_| "# Errorstats\r\n".into()),
        (&["latencystats"], |_| "# Latencystats\r\n".into()),
        (&["cluster"], |_| {
            "# Cluster\r\ncluster_enabled:0\r\n".into()
        }),
        (&["keyspace"], keyspace_section),
    ];
    let mut out = String::new();
    for (names, build) in table {
        if sections.wants(names) {
            if !out.is_empty() {
                out.push_str("\r\n");
            }
            out.push_str(&build(f));
        }
    }
    out
}

/// Appends `name:value\r\n`.
fn field(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = write!(out, "{name}:{value}\r\n");
}

/// A byte count as Redis's `bytesToHuman` writes it: `512B`, `1.50K`, `2.00M`, `3.25G`…
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (1 << 10, "K"),
        (1 << 20, "M"),
        (1 << 30, "G"),
        (1 << 40, "T"),
        (1 << 50, "P"),
    ];
    if n < 1024 {
        return format!("{n}B");
    }
    for (i, &(unit, suffix)) in UNITS.iter().enumerate() {
        let next = UNITS.get(i + 1).map_or(u64::MAX, |u| u.0);
        if n < next {
            return format!("{:.2}{suffix}", n as f64 / unit as f64);
        }
    }
    format!("{n}B")
}

/// `seconds.micros` with six digits, as Redis prints CPU times.
fn cpu_secs(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

/// The `# Server` section.
pub fn server_section(f: &InfoFacts) -> String {
    let s = &f.server;
    let mut o = String::from("# Server\r\n");
    field(&mut o, "redis_version", REDIS_VERSION);
    field(&mut o, "redis_git_sha1", "00000000");
    field(&mut o, "redis_git_dirty", 0);
    field(&mut o, "redis_build_id", build_id());
    field(&mut o, "redis_mode", "standalone");
    field(&mut o, "os", format!("{} {} {}", s.os.0, s.os.1, s.os.2));
    field(&mut o, "arch_bits", usize::BITS);
    field(&mut o, "monotonic_clock", "POSIX clock_gettime");
    field(&mut o, "multiplexing_api", "io_uring");
    field(&mut o, "atomicvar_api", "c11-builtin");
    field(&mut o, "gcc_version", "0.0.0");
    field(&mut o, "process_id", s.pid);
    field(&mut o, "process_supervised", "no");
    field(&mut o, "run_id", &s.run_id);
    field(&mut o, "tcp_port", s.port);
    field(&mut o, "server_time_usec", s.now_usec);
    field(&mut o, "uptime_in_seconds", s.uptime_secs);
    field(&mut o, "uptime_in_days", s.uptime_secs / 86_400);
    field(&mut o, "hz", s.hz);
    field(&mut o, "configured_hz", s.hz);
    field(&mut o, "lru_clock", (s.now_usec / 1_000_000) & 0xFF_FFFF);
    field(&mut o, "executable", &s.executable);
    field(&mut o, "config_file", &s.config_file);
    field(&mut o, "io_threads_active", 0);
    field(&mut o, "tessera_version", env!("CARGO_PKG_VERSION"));
    o
}

/// A stable 16-hex-digit id of this build (Tessera's version, hashed).
fn build_id() -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in env!("CARGO_PKG_VERSION").bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The `# Clients` section.
pub fn clients_section(f: &InfoFacts) -> String {
    let t = &f.totals;
    let mut o = String::from("# Clients\r\n");
    field(&mut o, "connected_clients", t.stats.connected_clients);
    field(&mut o, "cluster_connections", 0);
    field(&mut o, "maxclients", f.maxclients);
    field(&mut o, "client_recent_max_input_buffer", t.max_input_buffer);
    field(
        &mut o,
        "client_recent_max_output_buffer",
        t.max_output_buffer,
    );
    field(&mut o, "blocked_clients", t.blocked_clients);
    field(&mut o, "tracking_clients", 0);
    field(&mut o, "clients_in_timeout_table", 0);
    o
}

/// The `# Memory` section. `used_memory` is what the allocator holds allocated (see
/// `server::allocator`); where the counting allocator is not installed, the resident set size.
pub fn memory_section(f: &InfoFacts) -> String {
    let m = &f.memory;
    let used = m.allocated;
    let peak = m.peak.max(used);
    let overhead = m.startup.min(used);
    let dataset = used - overhead;
    let net = used.saturating_sub(m.startup);
    let pct = |a: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    };
    let mut o = String::from("# Memory\r\n");
    field(&mut o, "used_memory", used);
    field(&mut o, "used_memory_human", bytes_to_human(used));
    field(&mut o, "used_memory_rss", m.rss);
    field(&mut o, "used_memory_rss_human", bytes_to_human(m.rss));
    field(&mut o, "used_memory_peak", peak);
    field(&mut o, "used_memory_peak_human", bytes_to_human(peak));
    field(
        &mut o,
        "used_memory_peak_perc",
        format!("{:.2}%", pct(used, peak)),
    );
    field(&mut o, "used_memory_overhead", overhead);
    field(&mut o, "used_memory_startup", m.startup);
    field(&mut o, "used_memory_dataset", dataset);
    field(
        &mut o,
        "used_memory_dataset_perc",
        format!("{:.2}%", pct(dataset, net)),
    );
    field(&mut o, "allocator_allocated", used);
    field(&mut o, "allocator_active", used);
    field(&mut o, "allocator_resident", m.rss);
    field(&mut o, "total_system_memory", m.total_system);
    field(
        &mut o,
        "total_system_memory_human",
        bytes_to_human(m.total_system),
    );
    for name in ["used_memory_lua", "used_memory_vm_eval"] {
        field(&mut o, name, 0);
    }
    field(&mut o, "used_memory_lua_human", "0B");
    for name in [
        "used_memory_scripts_eval",
        "number_of_cached_scripts",
        "number_of_functions",
        "number_of_libraries",
        "used_memory_vm_functions",
        "used_memory_vm_total",
    ] {
        field(&mut o, name, 0);
    }
    field(&mut o, "used_memory_vm_total_human", "0B");
    field(&mut o, "used_memory_functions", 0);
    field(&mut o, "used_memory_scripts", 0);
    field(&mut o, "used_memory_scripts_human", "0B");
    field(&mut o, "maxmemory", f.maxmemory);
    field(&mut o, "maxmemory_human", bytes_to_human(f.maxmemory));
    field(&mut o, "maxmemory_policy", f.maxmemory_policy);
    for (ratio, bytes) in [
        ("allocator_frag_ratio", "allocator_frag_bytes"),
        ("allocator_rss_ratio", "allocator_rss_bytes"),
        ("rss_overhead_ratio", "rss_overhead_bytes"),
    ] {
        field(&mut o, ratio, "1.00");
        field(&mut o, bytes, 0);
    }
    let frag = if used == 0 {
        1.0
    } else {
        m.rss as f64 / used as f64
    };
    field(&mut o, "mem_fragmentation_ratio", format!("{frag:.2}"));
    field(
        &mut o,
        "mem_fragmentation_bytes",
        m.rss as i64 - used as i64,
    );
    for name in [
        "mem_not_counted_for_evict",
        "mem_replication_backlog",
        "mem_total_replication_buffers",
        "mem_clients_slaves",
        "mem_clients_normal",
        "mem_cluster_links",
        "mem_aof_buffer",
    ] {
        field(&mut o, name, 0);
    }
    field(&mut o, "mem_allocator", "mimalloc");
    field(&mut o, "active_defrag_running", 0);
    field(&mut o, "lazyfree_pending_objects", 0);
    field(&mut o, "lazyfreed_objects", 0);
    o
}

/// The `# Persistence` section, with the `loading_*` fields while the dataset loads.
pub fn persistence_section(f: &InfoFacts) -> String {
    let p = &f.persistence;
    let mut o = String::from("# Persistence\r\n");
    field(&mut o, "loading", u8::from(p.loading.is_some()));
    field(&mut o, "async_loading", 0);
    field(&mut o, "current_cow_peak", p.current_cow.1);
    field(&mut o, "current_cow_size", p.current_cow.0);
    field(&mut o, "current_cow_size_age", p.current_cow.2);
    let (processed, total) = p.current_save_keys;
    let fork_perc = if total == 0 {
        0.0
    } else {
        processed as f64 * 100.0 / total as f64
    };
    field(&mut o, "current_fork_perc", format!("{fork_perc:.2}"));
    field(&mut o, "current_save_keys_processed", processed);
    field(&mut o, "current_save_keys_total", total);
    field(
        &mut o,
        "rdb_changes_since_last_save",
        p.changes_since_last_save,
    );
    field(
        &mut o,
        "rdb_bgsave_in_progress",
        u8::from(p.bgsave_in_progress),
    );
    field(&mut o, "rdb_last_save_time", p.last_save_time);
    let status = if p.last_bgsave_failed { "err" } else { "ok" };
    field(&mut o, "rdb_last_bgsave_status", status);
    field(&mut o, "rdb_last_bgsave_time_sec", p.last_bgsave_time_sec);
    field(
        &mut o,
        "rdb_current_bgsave_time_sec",
        p.current_bgsave_time_sec,
    );
    field(&mut o, "rdb_saves", p.rdb_saves);
    field(&mut o, "rdb_last_cow_size", p.last_cow_size);
    field(&mut o, "rdb_last_load_keys_expired", p.last_load_keys.1);
    field(&mut o, "rdb_last_load_keys_loaded", p.last_load_keys.0);
    for name in [
        "aof_enabled",
        "aof_rewrite_in_progress",
        "aof_rewrite_scheduled",
    ] {
        field(&mut o, name, 0);
    }
    field(&mut o, "aof_last_rewrite_time_sec", -1);
    field(&mut o, "aof_current_rewrite_time_sec", -1);
    field(&mut o, "aof_last_bgrewrite_status", "ok");
    field(&mut o, "aof_rewrites", 0);
    field(&mut o, "aof_rewrites_consecutive_failures", 0);
    field(&mut o, "aof_last_write_status", "ok");
    for name in [
        "aof_last_cow_size",
        "module_fork_in_progress",
        "module_fork_last_cow_size",
    ] {
        field(&mut o, name, 0);
    }
    if let Some(l) = &p.loading {
        field(&mut o, "loading_start_time", l.start_time);
        field(&mut o, "loading_total_bytes", l.total_bytes);
        field(&mut o, "loading_rdb_used_mem", 0);
        field(&mut o, "loading_loaded_bytes", l.loaded_bytes);
        field(
            &mut o,
            "loading_loaded_perc",
            format!("{:.2}", l.loaded_perc),
        );
        field(&mut o, "loading_eta_seconds", l.eta_seconds);
    }
    o
}

/// The `# Stats` section.
pub fn stats_section(f: &InfoFacts) -> String {
    let s = &f.totals.stats;
    let k = &f.totals.keyspace;
    let kbps = |bytes_per_sec: f64| format!("{:.2}", bytes_per_sec / 1024.0);
    let mut o = String::from("# Stats\r\n");
    field(&mut o, "total_connections_received", s.connections_received);
    field(&mut o, "total_commands_processed", s.commands_processed);
    field(&mut o, "instantaneous_ops_per_sec", f.rates.ops_per_sec);
    field(&mut o, "total_net_input_bytes", s.net_input_bytes);
    field(&mut o, "total_net_output_bytes", s.net_output_bytes);
    field(&mut o, "total_net_repl_input_bytes", 0);
    field(&mut o, "total_net_repl_output_bytes", 0);
    field(
        &mut o,
        "instantaneous_input_kbps",
        kbps(f.rates.input_bytes_per_sec),
    );
    field(
        &mut o,
        "instantaneous_output_kbps",
        kbps(f.rates.output_bytes_per_sec),
    );
    field(&mut o, "instantaneous_input_repl_kbps", "0.00");
    field(&mut o, "instantaneous_output_repl_kbps", "0.00");
    field(&mut o, "rejected_connections", s.rejected_connections);
    let (full, partial_ok, partial_err) = f.replication.sync_counters;
    field(&mut o, "sync_full", full);
    field(&mut o, "sync_partial_ok", partial_ok);
    field(&mut o, "sync_partial_err", partial_err);
    field(&mut o, "expired_keys", k.expired);
    field(&mut o, "expired_stale_perc", "0.00");
    for name in [
        "expired_time_cap_reached_count",
        "expire_cycle_cpu_milliseconds",
        "evicted_keys",
        "evicted_clients",
        "total_eviction_exceeded_time",
        "current_eviction_exceeded_time",
    ] {
        field(&mut o, name, 0);
    }
    field(&mut o, "keyspace_hits", k.hits);
    field(&mut o, "keyspace_misses", k.misses);
    field(&mut o, "pubsub_channels", f.pubsub.channels);
    field(&mut o, "pubsub_patterns", f.pubsub.patterns);
    field(&mut o, "pubsubshard_channels", f.pubsub.shard_channels);
    field(&mut o, "latest_fork_usec", f.persistence.latest_fork_usec);
    field(&mut o, "total_forks", f.persistence.total_forks);
    for name in [
        "migrate_cached_sockets",
        "slave_expires_tracked_keys",
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
        "total_active_defrag_time",
        "current_active_defrag_time",
        "tracking_total_keys",
        "tracking_total_items",
        "tracking_total_prefixes",
        "unexpected_error_replies",
    ] {
        field(&mut o, name, 0);
    }
    field(&mut o, "total_error_replies", s.error_replies);
    for name in [
        "dump_payload_sanitizations",
        "total_reads_processed",
        "total_writes_processed",
        "io_threaded_reads_processed",
        "io_threaded_writes_processed",
        "reply_buffer_shrinks",
        "reply_buffer_expands",
    ] {
        field(&mut o, name, 0);
    }
    o
}

/// The `# Replication` section of a master without replicas.
pub fn replication_section(f: &InfoFacts) -> String {
    crate::replication::report::section(&f.replication)
}

/// The `# CPU` section. The "main thread" is the executor that ran this INFO.
pub fn cpu_section(f: &InfoFacts) -> String {
    let c = &f.cpu;
    let mut o = String::from("# CPU\r\n");
    let mut pair = |prefix: &str, suffix: &str, t: CpuTimes| {
        field(&mut o, &format!("{prefix}sys{suffix}"), cpu_secs(t.sys_us));
        field(
            &mut o,
            &format!("{prefix}user{suffix}"),
            cpu_secs(t.user_us),
        );
    };
    pair("used_cpu_", "", c.process);
    pair("used_cpu_", "_children", c.children);
    pair("used_cpu_", "_main_thread", c.this_thread);
    o
}

/// The `# Keyspace` section: one line per DB holding keys.
pub fn keyspace_section(f: &InfoFacts) -> String {
    let mut o = String::from("# Keyspace\r\n");
    for (i, db) in f.totals.dbs.iter().enumerate() {
        if db.keys > 0 || db.expires > 0 {
            let _ = write!(
                o,
                "db{i}:keys={},expires={},avg_ttl=0\r\n",
                db.keys, db.expires
            );
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::info::DbCounts;

    fn names(list: &[&str]) -> Vec<Bytes> {
        list.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    fn facts() -> InfoFacts {
        let mut f = InfoFacts {
            maxclients: 10000,
            maxmemory_policy: "noeviction",
            replication: crate::replication::report::ReplicationFacts {
                replid: "ab".repeat(20),
                ..Default::default()
            },
            ..InfoFacts::default()
        };
        f.server.port = 6379;
        f.server.hz = 10;
        f.totals.dbs = vec![
            DbCounts {
                keys: 3,
                expires: 1,
            },
            DbCounts::default(),
            DbCounts {
                keys: 0,
                expires: 0,
            },
            DbCounts {
                keys: 2,
                expires: 0,
            },
        ];
        f.totals.stats.connected_clients = 2;
        f.totals.keyspace.hits = 5;
        f.memory = MemoryFacts {
            rss: 3 * 1024 * 1024,
            allocated: 2 * 1024 * 1024,
            peak: 4 * 1024 * 1024,
            startup: 1024 * 1024,
            total_system: 8 << 30,
        };
        f
    }

    fn field_names(section: &str) -> Vec<&str> {
        section
            .split("\r\n")
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(|l| l.split(':').next().unwrap())
            .collect()
    }

    #[test]
    fn no_argument_means_the_default_sections() {
        let text = render(&Sections::parse(&[]), &facts());
        let headers: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
        assert_eq!(
            headers,
            [
                "# Server",
                "# Clients",
                "# Memory",
                "# Persistence",
                "# Stats",
                "# Replication",
                "# CPU",
                "# Modules",
                "# Errorstats",
                "# Cluster",
                "# Keyspace"
            ]
        );
        assert!(text.contains("\r\n\r\n# Clients\r\n"));
        assert!(text.ends_with("db3:keys=2,expires=0,avg_ttl=0\r\n"));
    }

    #[test]
    fn all_adds_commandstats_and_latencystats() {
        let text = render(&Sections::parse(&names(&["everything"])), &facts());
        assert!(text.contains("# Commandstats\r\n"));
        assert!(text.contains("# Latencystats\r\n"));
        let all = render(&Sections::parse(&names(&["ALL"])), &facts());
        assert_eq!(text, all);
    }

    #[test]
    fn sections_are_chosen_by_name_in_any_case_and_unknown_ones_are_empty() {
        let text = render(&Sections::parse(&names(&["KEYSPACE", "clients"])), &facts());
        assert_eq!(
            text,
            "# Clients\r\nconnected_clients:2\r\ncluster_connections:0\r\nmaxclients:10000\r\n\
             client_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\n\
             blocked_clients:0\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n\r\n\
             # Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\ndb3:keys=2,expires=0,avg_ttl=0\r\n"
        );
        assert_eq!(render(&Sections::parse(&names(&["nosuch"])), &facts()), "");
    }

    #[test]
    fn server_fields_follow_redis_7_0() {
        let s = server_section(&facts());
        assert_eq!(
            field_names(&s),
            [
                "redis_version",
                "redis_git_sha1",
                "redis_git_dirty",
                "redis_build_id",
                "redis_mode",
                "os",
                "arch_bits",
                "monotonic_clock",
                "multiplexing_api",
                "atomicvar_api",
                "gcc_version",
                "process_id",
                "process_supervised",
                "run_id",
                "tcp_port",
                "server_time_usec",
                "uptime_in_seconds",
                "uptime_in_days",
                "hz",
                "configured_hz",
                "lru_clock",
                "executable",
                "config_file",
                "io_threads_active",
                "tessera_version"
            ]
        );
        assert!(s.contains("redis_version:7.0.15\r\n"));
        assert!(s.contains("multiplexing_api:io_uring\r\n"));
    }

    #[test]
    fn memory_fields_follow_redis_7_0() {
        let m = memory_section(&facts());
        let names = field_names(&m);
        assert_eq!(names.len(), 51);
        assert_eq!(names[0], "used_memory");
        assert_eq!(names[names.len() - 1], "lazyfreed_objects");
        assert!(m.contains("used_memory_human:2.00M\r\n"));
        assert!(m.contains("used_memory_peak_perc:50.00%\r\n"));
        assert!(m.contains("used_memory_dataset_perc:100.00%\r\n"));
        assert!(m.contains("maxmemory_policy:noeviction\r\n"));
        assert!(m.contains("mem_allocator:mimalloc\r\n"));
    }

    #[test]
    fn stats_persistence_replication_and_cpu_field_counts_match_redis_7_0() {
        let f = facts();
        assert_eq!(field_names(&stats_section(&f)).len(), 50);
        assert_eq!(field_names(&persistence_section(&f)).len(), 30);
        assert_eq!(field_names(&replication_section(&f)).len(), 11);
        assert_eq!(field_names(&cpu_section(&f)).len(), 6);
        assert!(replication_section(&f)
            .contains("master_replid2:0000000000000000000000000000000000000000\r\n"));
    }

    #[test]
    fn persistence_shows_its_loading_fields_only_while_loading() {
        let mut f = facts();
        let idle = persistence_section(&f);
        assert!(idle.contains("loading:0\r\n"));
        assert!(idle.contains("rdb_last_bgsave_status:ok\r\n"));
        assert!(!idle.contains("loading_start_time"));
        f.persistence.loading = Some(crate::persistence::LoadingFacts {
            start_time: 1_700_000_000,
            total_bytes: 1000,
            loaded_bytes: 250,
            loaded_perc: 25.0,
            eta_seconds: 3,
        });
        f.persistence.current_save_keys = (1, 3);
        f.persistence.last_bgsave_failed = true;
        let busy = persistence_section(&f);
        let names = field_names(&busy);
        assert_eq!(names.len(), 36);
        assert_eq!(
            &names[30..],
            [
                "loading_start_time",
                "loading_total_bytes",
                "loading_rdb_used_mem",
                "loading_loaded_bytes",
                "loading_loaded_perc",
                "loading_eta_seconds"
            ]
        );
        assert!(busy.contains("loading:1\r\n"));
        assert!(busy.contains("loading_loaded_perc:25.00\r\n"));
        assert!(busy.contains("current_fork_perc:33.33\r\n"));
        assert!(busy.contains("rdb_last_bgsave_status:err\r\n"));
    }

    #[test]
    fn cpu_times_print_with_six_decimals() {
        assert_eq!(cpu_secs(1_500), "0.001500");
        assert_eq!(cpu_secs(12_000_001), "12.000001");
    }

    #[test]
    fn byte_counts_print_like_bytes_to_human() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1024), "1.00K");
        assert_eq!(bytes_to_human(916_472), "894.99K");
        assert_eq!(bytes_to_human(6_799_360), "6.48M");
        assert_eq!(bytes_to_human(25_276_502_016), "23.54G");
    }
}
