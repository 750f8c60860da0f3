//! CONFIG GET: which directives a pattern names, and their values as Redis 7.0 prints them.
//!
//! Owns: the matching rules. A pattern without `*`, `?` or `[` is a name (any case, alias
//! included) and comes back spelled as the client sent it. A glob pattern is matched, without
//! case, against every canonical name and every alias, each listed under its own name; so `*`
//! lists `slave-read-only` as well as `replica-read-only`, as Redis does. Hidden directives
//! (`table::HIDDEN`) answer only to their exact name.

use super::store::Config;
use super::table::{lookup, HIDDEN, TABLE};
use crate::commands::glob::glob_match;

impl Config {
    /// CONFIG GET with one pattern: (name, value) pairs, each name once.
    pub fn get(&self, pattern: &[u8]) -> Vec<(String, String)> {
        self.get_many(&[pattern])
    }

    /// CONFIG GET with several patterns: their matches together, each name once (compared
    /// without case), in the order first matched.
    pub fn get_many(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let seen = |out: &[(String, String)], name: &str| {
            out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        for pattern in patterns {
            if !pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
                let name = String::from_utf8_lossy(pattern).into_owned();
                if let Some(d) = lookup(pattern) {
                    if !seen(&out, &name) {
                        out.push((name, self.value(d.id).show(d.kind)));
                    }
                }
                continue;
            }
            for d in TABLE.iter().filter(|d| !HIDDEN.contains(&d.id)) {
                for name in std::iter::once(d.name).chain(d.alias) {
                    if !seen(&out, name) && glob_match(pattern, name.as_bytes(), true) {
                        out.push((name.to_string(), self.value(d.id).show(d.kind)));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::table::Id;

    fn get(c: &Config, pattern: &str) -> Vec<(String, String)> {
        c.get(pattern.as_bytes())
    }

    fn one(c: &Config, name: &str) -> String {
        let got = get(c, name);
        assert_eq!(got.len(), 1, "{name}: {got:?}");
        got[0].1.clone()
    }

    #[test]
    fn defaults_print_as_stock_redis_7_0_prints_them() {
        let c = Config::default();
        assert_eq!(one(&c, "save"), "3600 1 300 100 60 10000");
        assert_eq!(one(&c, "bind"), "* -::*");
        assert_eq!(one(&c, "port"), "6379");
        assert_eq!(one(&c, "protected-mode"), "yes");
        assert_eq!(one(&c, "repl-backlog-size"), "1048576");
        assert_eq!(one(&c, "proto-max-bulk-len"), "536870912");
        assert_eq!(one(&c, "client-query-buffer-limit"), "1073741824");
        assert_eq!(one(&c, "maxmemory"), "0");
        assert_eq!(one(&c, "list-max-listpack-size"), "-2");
        assert_eq!(one(&c, "requirepass"), "");
        assert_eq!(one(&c, "replicaof"), "");
        assert_eq!(one(&c, "notify-keyspace-events"), "");
        assert_eq!(one(&c, "loglevel"), "notice");
        assert_eq!(one(&c, "maxmemory-policy"), "noeviction");
        assert_eq!(one(&c, "repl-diskless-load"), "disabled");
        assert_eq!(one(&c, "oom-score-adj-values"), "0 200 800");
        assert_eq!(
            one(&c, "client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        assert_eq!(one(&c, "dir"), c.dir().display().to_string());
    }

    #[test]
    fn an_exact_name_comes_back_as_sent() {
        let c = Config::default();
        assert_eq!(get(&c, "PORT"), [("PORT".to_string(), "6379".to_string())]);
        assert_eq!(
            get(&c, "slave-read-only"),
            [("slave-read-only".to_string(), "yes".to_string())]
        );
        assert!(get(&c, "nosuch").is_empty());
    }

    #[test]
    fn a_pattern_lists_canonical_names_and_aliases_it_matches() {
        let c = Config::default();
        let mut names: Vec<String> = get(&c, "*READ-only*").into_iter().map(|(n, _)| n).collect();
        names.sort();
        assert_eq!(names, ["replica-read-only", "slave-read-only"]);
        assert_eq!(
            get(&c, "maxmemory-p*"),
            [("maxmemory-policy".to_string(), "noeviction".to_string())]
        );
    }

    #[test]
    fn star_lists_every_name_once() {
        let c = Config::default();
        let all = get(&c, "*");
        let aliases = TABLE.iter().filter(|d| d.alias.is_some()).count();
        assert_eq!(all.len(), TABLE.len() - HIDDEN.len() + aliases);
        assert!(all.iter().any(|(n, _)| n == "threads"));
        assert!(!all.iter().any(|(n, _)| n == "rdb-key-save-delay"));
        assert_eq!(one(&c, "rdb-key-save-delay"), "0");
    }

    #[test]
    fn several_patterns_do_not_repeat_a_name() {
        let c = Config::default();
        let got = c.get_many(&[b"port", b"PORT", b"p*rt", b"bind"]);
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["port", "bind"]);
    }

    #[test]
    fn values_follow_changes() {
        let mut c = Config::default();
        c.set(&[
            (b"maxmemory".to_vec(), b"1GB".to_vec()),
            (b"notify-keyspace-events".to_vec(), b"KEA".to_vec()),
        ])
        .unwrap();
        assert_eq!(one(&c, "maxmemory"), "1073741824");
        assert_eq!(one(&c, "notify-keyspace-events"), "AKE");
        assert_eq!(c.int(Id::Maxmemory), 1 << 30);
    }
}
