//! Loading a configuration: the config file, the files it includes, then the command-line
//! options, each line applied in order on top of the defaults.
//!
//! Owns: the redis.conf line rules (comments, `include`, the directives Redis accepts but
//! Tessera does not, the `save` lines that replace the defaults and then add up) and the checks
//! made once every line is in. Reads files; writes nothing except creating the log file when it
//! is missing, to prove it can be opened.

use std::fs;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, Origin};
use super::split::split_words;
use super::store::Config;
use super::table::{lookup, Id, Kind};
use super::value::{os_error_text, Value};
use crate::commands::glob::glob_match;

/// How deep `include` may nest; a file that includes itself stops here instead of looping.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// Names Redis 7.0 still accepts and ignores, with the argument counts (name included) it
/// accepts them with.
const IGNORED: [(&str, usize); 3] = [
    ("list-max-ziplist-entries", 2),
    ("list-max-ziplist-value", 2),
    ("lua-replicate-commands", 2),
];

impl Config {
    /// Loads a configuration: the defaults, then `file` and what it includes, then
    /// `option_lines` (one directive per line, as `load_from_args` builds them). A later line
    /// wins over an earlier one, so options override the file.
    ///
    /// Side effects: a line setting `proto-max-bulk-len`, `client-query-buffer-limit` or
    /// `maxclients` publishes it to `config::live`; the log file is created if missing.
    pub fn load(file: Option<&Path>, option_lines: &[String]) -> Result<Config, ConfigError> {
        let mut loader = Loader {
            config: Config::default(),
            save_seen: false,
        };
        if let Some(path) = file {
            let abs = std::path::absolute(path).map_err(|e| ConfigError::Open {
                path: path.to_path_buf(),
                reason: os_error_text(&e),
            })?;
            loader.read_file(&abs, 0)?;
            loader.config.set_file(Some(abs));
        }
        let lines = option_lines.iter().map(String::as_str);
        loader.apply_lines(lines, &Origin::CommandLine, 0)?;
        loader.finish()
    }
}

/// Why one line was refused.
enum Failure {
    /// The reason, shown under the line.
    Reason(String),
    /// An included file failed; its own error says where.
    Nested(ConfigError),
}

impl From<String> for Failure {
    fn from(s: String) -> Failure {
        Failure::Reason(s)
    }
}

impl From<&str> for Failure {
    fn from(s: &str) -> Failure {
        Failure::Reason(s.to_string())
    }
}

struct Loader {
    config: Config,
    /// Whether a `save` line was seen: the first one replaces the defaults, later ones add.
    save_seen: bool,
}

impl Loader {
    fn read_file(&mut self, path: &Path, depth: usize) -> Result<(), ConfigError> {
        let bytes = fs::read(path).map_err(|e| ConfigError::Open {
            path: path.to_path_buf(),
            reason: os_error_text(&e),
        })?;
        let text = String::from_utf8_lossy(&bytes);
        self.apply_lines(text.split('\n'), &Origin::File(path.to_path_buf()), depth)
    }

    fn apply_lines<'a>(
        &mut self,
        lines: impl Iterator<Item = &'a str>,
        origin: &Origin,
        depth: usize,
    ) -> Result<(), ConfigError> {
        for (i, raw) in lines.enumerate() {
            let line = raw.trim_matches([' ', '\t', '\r', '\n']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match self.apply_line(line, depth) {
                Ok(()) => {}
                Err(Failure::Nested(e)) => return Err(e),
                Err(Failure::Reason(reason)) => {
                    return Err(ConfigError::Line {
                        origin: origin.clone(),
                        line_no: i + 1,
                        line: line.to_string(),
                        reason,
                    })
                }
            }
        }
        Ok(())
    }

    fn apply_line(&mut self, line: &str, depth: usize) -> Result<(), Failure> {
        let words = split_words(line).ok_or("Unbalanced quotes in configuration line")?;
        let Some(first) = words.first() else {
            return Ok(());
        };
        let name = first.to_ascii_lowercase();
        let args = &words[1..];
        if let Some(d) = lookup(name.as_bytes()) {
            if !d.kind.multi_arg() && args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            // A multi-word directive given as one quoted word is split again, so that
            // `--save "900 1"` works; an empty word stays, so that `save ""` clears.
            let resplit;
            let args = if d.kind.multi_arg() && args.len() == 1 && !args[0].is_empty() {
                resplit = split_words(&args[0]).ok_or("Unbalanced quotes in configuration line")?;
                &resplit[..]
            } else {
                args
            };
            let mut v = self.config.parse_for(d, args)?;
            if d.kind == Kind::Save {
                v = self.accumulate_save(v);
            }
            self.config.put(d.id, v);
            return Ok(());
        }
        if IGNORED
            .iter()
            .any(|&(n, argc)| n == name && argc == words.len())
        {
            return Ok(());
        }
        match (name.as_str(), args.len()) {
            ("include", 1) => self.include(&args[0], depth),
            ("rename-command", 2) | ("user", 1..) | ("loadmodule", 1..) => {
                Err(format!("{name} is not supported by Tessera").into())
            }
            ("sentinel", _) => Err("sentinel directive while not in sentinel mode".into()),
            _ => Err("Bad directive or wrong number of arguments".into()),
        }
    }

    /// While loading, the first `save` line replaces the defaults and later ones add to it;
    /// `save ""` clears what came before.
    fn accumulate_save(&mut self, new: Value) -> Value {
        let Value::Save(new_points) = new else {
            return new;
        };
        let mut points = match self.config.value(Id::Save) {
            Value::Save(p) if self.save_seen && !new_points.is_empty() => p.clone(),
            _ => Vec::new(),
        };
        self.save_seen = true;
        points.extend(new_points);
        Value::Save(points)
    }

    /// `include <path>`: loads another file here. A `*`, `?` or `[` in the last path component
    /// makes it a pattern: every matching file is loaded, in name order, and no match is fine.
    fn include(&mut self, pattern: &str, depth: usize) -> Result<(), Failure> {
        if depth + 1 >= MAX_INCLUDE_DEPTH {
            let why = format!("include nesting deeper than {MAX_INCLUDE_DEPTH} files (a loop?)");
            return Err(Failure::Reason(why));
        }
        let path = Path::new(pattern);
        let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !file_name.contains(['*', '?', '[']) {
            return self
                .read_file(&abs(path), depth + 1)
                .map_err(Failure::Nested);
        }
        for file in matching_files(path, file_name) {
            self.read_file(&abs(&file), depth + 1)
                .map_err(Failure::Nested)?;
        }
        Ok(())
    }

    fn finish(self) -> Result<Config, ConfigError> {
        if let Some(log) = self.config.logfile_path() {
            fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&log)
                .map_err(|e| ConfigError::Invalid {
                    reason: format!("Can't open the log file: {}", os_error_text(&e)),
                })?;
        }
        Ok(self.config)
    }
}

/// Files in `path`'s directory whose name matches `pattern`, sorted. Like glob(3), a leading
/// dot must be matched explicitly.
fn matching_files(path: &Path, pattern: &str) -> Vec<PathBuf> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            (!name.starts_with('.') || pattern.starts_with('.'))
                && glob_match(pattern.as_bytes(), name.as_bytes(), false)
        })
        .map(|e| dir.join(e.file_name()))
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::table::Id;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        p
    }

    fn load_text(text: &str) -> Result<Config, ConfigError> {
        let tmp = tempfile::tempdir().unwrap();
        let p = write(tmp.path(), "t.conf", text);
        Config::load(Some(&p), &[])
    }

    fn reason(r: Result<Config, ConfigError>) -> String {
        match r {
            Err(ConfigError::Line { reason, .. }) => reason,
            other => panic!("expected a line error, got {other:?}"),
        }
    }

    #[test]
    fn sample_file_with_comments_quotes_and_aliases_loads() {
        let c = load_text(
            "# a comment\n\
             \n\
             port 7000\n\
             \t bind 127.0.0.1 -::1   \r\n\
             requirepass \"pa ss\"\n\
             SLAVE-READ-ONLY no\n\
             maxmemory 100MB\n\
             loglevel WARNING\n\
             slaveof 10.0.0.1 6380\n\
             notify-keyspace-events Ex\n\
             list-max-ziplist-entries 512\n",
        )
        .unwrap();
        assert_eq!(c.port(), 7000);
        assert_eq!(c.bind(), ["127.0.0.1", "-::1"]);
        assert_eq!(c.requirepass(), Some("pa ss"));
        assert!(!c.replica_read_only());
        assert_eq!(c.maxmemory(), 100 << 20);
        assert_eq!(c.loglevel(), "warning");
        assert_eq!(c.replicaof(), Some(("10.0.0.1", 6380)));
        assert!(c.config_file().unwrap().is_absolute());
    }

    #[test]
    fn first_save_line_replaces_defaults_and_later_ones_add() {
        let c = load_text("save 900 1\nsave 300 10\n").unwrap();
        assert_eq!(
            c.get(b"save"),
            [("save".to_string(), "900 1 300 10".to_string())]
        );
        let c = load_text("save 900 1\nsave \"\"\nsave 60 5\n").unwrap();
        assert_eq!(c.get(b"save")[0].1, "60 5");
        let c = load_text("save \"\"\n").unwrap();
        assert!(c.save_points().is_empty());
        let c = load_text("save \"900 1 300 10\"\n").unwrap();
        assert_eq!(c.save_points().len(), 2);
    }

    #[test]
    fn unknown_directive_is_a_bad_directive() {
        let tmp = tempfile::tempdir().unwrap();
        let p = write(tmp.path(), "x.conf", "port 7000\nfoo bar\n");
        let e = Config::load(Some(&p), &[]).unwrap_err();
        assert_eq!(
            e,
            ConfigError::Line {
                origin: Origin::File(p.clone()),
                line_no: 2,
                line: "foo bar".into(),
                reason: "Bad directive or wrong number of arguments".into(),
            }
        );
        let text = e.to_string();
        assert!(text.contains(&format!(
            "Reading the configuration file {}, at line 2\n",
            p.display()
        )));
        assert!(text.ends_with(">>> 'foo bar'\nBad directive or wrong number of arguments"));
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        assert_eq!(
            reason(load_text("port abc")),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(
            reason(load_text("port 70000")),
            "argument must be between 0 and 65535 inclusive"
        );
        assert_eq!(
            reason(load_text("daemonize maybe")),
            "argument must be 'yes' or 'no'"
        );
        assert_eq!(
            reason(load_text("maxmemory lots")),
            "argument must be a memory value"
        );
        assert_eq!(reason(load_text("port 1 2")), "wrong number of arguments");
        assert_eq!(
            reason(load_text("requirepass \"abc")),
            "Unbalanced quotes in configuration line"
        );
        assert_eq!(reason(load_text("save 1")), "Invalid save parameters");
        assert_eq!(
            reason(load_text("dbfilename a/b")),
            "dbfilename can't be a path, just a filename"
        );
        assert_eq!(
            reason(load_text("dir /no/such/dir")),
            "No such file or directory"
        );
        assert!(reason(load_text("appendonly yes")).contains("appendonly must be 'no'"));
        assert_eq!(
            reason(load_text("sentinel monitor m 1 2 3")),
            "sentinel directive while not in sentinel mode"
        );
        assert_eq!(
            reason(load_text("loadmodule /x.so")),
            "loadmodule is not supported by Tessera"
        );
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let e = Config::load(Some(Path::new("/no/such/tessera.conf")), &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Fatal error, can't open config file '/no/such/tessera.conf': No such file or directory"
        );
    }

    #[test]
    fn options_override_the_file_and_report_their_own_line() {
        let tmp = tempfile::tempdir().unwrap();
        let p = write(tmp.path(), "t.conf", "port 7000\nhz 20\n");
        let c = Config::load(Some(&p), &["port 7001".into()]).unwrap();
        assert_eq!((c.port(), c.hz()), (7001, 20));
        let e = Config::load(Some(&p), &["hz 5".into(), "port x".into()]).unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Line {
                origin: Origin::CommandLine,
                line_no: 2,
                ..
            }
        ));
        assert!(e
            .to_string()
            .contains("Reading the command line options, at line 2\n>>> 'port x'"));
    }

    #[test]
    fn include_loads_in_place_and_errors_name_the_included_file() {
        let tmp = tempfile::tempdir().unwrap();
        let inc = write(tmp.path(), "inc.conf", "port 7002\n\nbogus\n");
        let main = write(
            tmp.path(),
            "main.conf",
            &format!("port 7000\ninclude {}\n", inc.display()),
        );
        let e = Config::load(Some(&main), &[]).unwrap_err();
        assert!(
            matches!(&e, ConfigError::Line { origin: Origin::File(f), line_no: 3, .. } if *f == inc)
        );

        write(tmp.path(), "inc.conf", "port 7002\nhz 30\n");
        let main = write(
            tmp.path(),
            "main.conf",
            &format!("port 7000\ninclude {}\nhz 40\n", inc.display()),
        );
        let c = Config::load(Some(&main), &[]).unwrap();
        assert_eq!((c.port(), c.hz()), (7002, 40));
    }

    #[test]
    fn include_patterns_load_every_match_in_name_order() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("conf.d");
        fs::create_dir(&d).unwrap();
        write(&d, "10-a.conf", "port 7010\n");
        write(&d, "20-b.conf", "port 7020\n");
        write(&d, "notes.txt", "garbage\n");
        let main = write(
            tmp.path(),
            "main.conf",
            &format!(
                "include {}/*.conf\ninclude {}/*.none\n",
                d.display(),
                d.display()
            ),
        );
        assert_eq!(Config::load(Some(&main), &[]).unwrap().port(), 7020);
    }

    #[test]
    fn an_include_loop_stops_with_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("self.conf");
        fs::write(&p, format!("include {}\n", p.display())).unwrap();
        let e = Config::load(Some(&p), &[]).unwrap_err();
        assert!(e.to_string().contains("include nesting deeper than"));
    }

    #[test]
    fn stock_redis_7_0_directives_are_accepted() {
        let tmp = tempfile::tempdir().unwrap();
        // The active lines of the redis.conf that ships with Redis 7.0, less dir and logfile.
        let text = format!(
            "bind 127.0.0.1 -::1\nprotected-mode yes\nport 6379\ntcp-backlog 511\ntimeout 0\n\
             tcp-keepalive 300\ndaemonize no\npidfile /var/run/redis_6379.pid\nloglevel notice\n\
             databases 16\nalways-show-logo no\nset-proc-title yes\n\
             proc-title-template \"{{title}} {{listen-addr}} {{server-mode}}\"\n\
             stop-writes-on-bgsave-error yes\nrdbcompression yes\nrdbchecksum yes\n\
             dbfilename dump.rdb\nrdb-del-sync-files no\ndir {}\nreplica-serve-stale-data yes\n\
             replica-read-only yes\nrepl-diskless-sync yes\nrepl-diskless-sync-delay 5\n\
             repl-diskless-sync-max-replicas 0\nrepl-diskless-load disabled\n\
             repl-disable-tcp-nodelay no\nreplica-priority 100\nacllog-max-len 128\n\
             lazyfree-lazy-eviction no\nlazyfree-lazy-expire no\nlazyfree-lazy-server-del no\n\
             replica-lazy-flush no\nlazyfree-lazy-user-del no\nlazyfree-lazy-user-flush no\n\
             oom-score-adj no\noom-score-adj-values 0 200 800\ndisable-thp yes\nappendonly no\n\
             appendfilename \"appendonly.aof\"\nappenddirname \"appendonlydir\"\n\
             appendfsync everysec\nno-appendfsync-on-rewrite no\nauto-aof-rewrite-percentage 100\n\
             auto-aof-rewrite-min-size 64mb\naof-load-truncated yes\naof-use-rdb-preamble yes\n\
             aof-timestamp-enabled no\nslowlog-log-slower-than 10000\nslowlog-max-len 128\n\
             latency-monitor-threshold 0\nnotify-keyspace-events \"\"\n\
             hash-max-listpack-entries 512\nhash-max-listpack-value 64\n\
             list-max-listpack-size -2\nlist-compress-depth 0\nset-max-intset-entries 512\n\
             zset-max-listpack-entries 128\nzset-max-listpack-value 64\nhll-sparse-max-bytes 3000\n\
             stream-node-max-bytes 4096\nstream-node-max-entries 100\nactiverehashing yes\n\
             client-output-buffer-limit normal 0 0 0\n\
             client-output-buffer-limit replica 256mb 64mb 60\n\
             client-output-buffer-limit pubsub 32mb 8mb 60\nhz 10\ndynamic-hz yes\n\
             aof-rewrite-incremental-fsync yes\nrdb-save-incremental-fsync yes\n\
             jemalloc-bg-thread yes\n",
            tmp.path().display()
        );
        let c = load_text(&text).unwrap();
        let defaults = Config::default();
        for id in [
            Id::ClientOutputBufferLimit,
            Id::OomScoreAdjValues,
            Id::Hz,
            Id::Appendfsync,
        ] {
            assert_eq!(c.value(id), defaults.value(id));
        }
    }

    #[test]
    fn the_shipped_tessera_conf_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("conf/tessera.conf");
        let c = Config::load(Some(&path), &[]).unwrap();
        assert_eq!(c.port(), 6379);
        assert_eq!(c.bind(), ["127.0.0.1", "-::1"]);
        assert!(c.protected_mode());
        assert_eq!(c.dbfilename(), "dump.rdb");
        assert_eq!(c.logfile(), "");
    }

    #[test]
    fn an_unopenable_log_file_is_refused_after_the_lines() {
        let e = load_text("logfile /no/such/dir/x.log\n").unwrap_err();
        assert!(e
            .to_string()
            .ends_with("Can't open the log file: No such file or directory"));
    }

    #[test]
    fn proto_max_bulk_len_is_published_to_live() {
        // One byte past the default, so that other tests reading the live value meanwhile see
        // the same limits in practice. This is the only test that changes it.
        let c = load_text("proto-max-bulk-len 536870913\n").unwrap();
        assert_eq!(c.proto_max_bulk_len(), 536870913);
        assert_eq!(crate::config::live::proto_max_bulk_len(), 536870913);
        let mut c = c;
        c.set(&[(b"proto-max-bulk-len".to_vec(), b"512mb".to_vec())])
            .unwrap();
        assert_eq!(crate::config::live::proto_max_bulk_len(), 512 << 20);
    }
}
