//! CONFIG SET: change one or more directives at runtime, all or none.
//!
//! Owns: the order of checks and the error texts, as Redis 7.0 has them. First every name is
//! checked (unknown, startup-only, protected, given twice), and the first failure is reported;
//! then every value is read; only when all are good is anything stored. Applying a change to the
//! running server (rebinding a port, resizing a backlog) is the caller's job, after this returns.

use super::store::Config;
use super::table::{lookup, Access, Directive, Id};
use super::value::Value;

impl Config {
    /// `CONFIG SET name value [name value ...]` from a client that is not on the loopback
    /// interface (which matters only for `enable-protected-configs local`).
    pub fn set(&mut self, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<(), String> {
        self.set_from(pairs, false)
    }

    /// `CONFIG SET name value [name value ...]`. `client_is_local` says whether the client
    /// connected over loopback or a Unix socket, for directives marked protected. The error is
    /// the full reply text, starting with `ERR`.
    pub fn set_from(
        &mut self,
        pairs: &[(Vec<u8>, Vec<u8>)],
        client_is_local: bool,
    ) -> Result<(), String> {
        let protected_ok = match self.choice(Id::EnableProtectedConfigs) {
            "yes" => true,
            "local" => client_is_local,
            _ => false,
        };
        let mut chosen: Vec<(&'static Directive, &[u8], &[u8])> = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            let shown = String::from_utf8_lossy(name);
            let Some(d) = lookup(name) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{shown}'"
                ));
            };
            let refusal = match d.access {
                Access::Startup => Some("can't set immutable config"),
                Access::Protected if !protected_ok => Some("can't set protected config"),
                _ if chosen.iter().any(|(_, n, _)| n.eq_ignore_ascii_case(name)) => {
                    Some("duplicate parameter")
                }
                _ => None,
            };
            if let Some(why) = refusal {
                return Err(failed(&shown, why));
            }
            chosen.push((d, name, value));
        }

        let mut parsed: Vec<(Id, Value)> = Vec::with_capacity(chosen.len());
        for &(d, name, value) in &chosen {
            let value = String::from_utf8_lossy(value).into_owned();
            // Several-word directives take their words split on single spaces, and "" is none.
            let words: Vec<String> = if !d.kind.multi_arg() {
                vec![value]
            } else if value.is_empty() {
                Vec::new()
            } else {
                value.split(' ').map(str::to_string).collect()
            };
            // The name in the error is the one matched, lowercase: alias or canonical.
            let matched = String::from_utf8_lossy(name).to_ascii_lowercase();
            let v = self
                .parse_for(d, &words)
                .map_err(|why| failed(&matched, &why))?;
            parsed.push((d.id, v));
        }

        for (id, v) in parsed {
            self.put(id, v);
        }
        Ok(())
    }
}

fn failed(name: &str, why: &str) -> String {
    format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(c: &mut Config, pairs: &[(&str, &str)]) -> Result<(), String> {
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = pairs
            .iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        c.set(&pairs)
    }

    #[test]
    fn one_pair_changes_one_directive() {
        let mut c = Config::default();
        set(&mut c, &[("hz", "20")]).unwrap();
        assert_eq!(c.hz(), 20);
        set(&mut c, &[("HZ", "1000")]).unwrap();
        assert_eq!(c.hz(), 500);
    }

    #[test]
    fn errors_read_as_stock_redis_7_0_replies() {
        let mut c = Config::default();
        assert_eq!(
            set(&mut c, &[("foo", "bar")]),
            Err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into())
        );
        assert_eq!(
            set(&mut c, &[("port", "abc")]),
            Err("ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer".into())
        );
        assert_eq!(
            set(&mut c, &[("port", "70000")]),
            Err("ERR CONFIG SET failed (possibly related to argument 'port') - argument must be between 0 and 65535 inclusive".into())
        );
        assert_eq!(
            set(&mut c, &[("DAEMONIZE", "no")]),
            Err("ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable config".into())
        );
        assert_eq!(
            set(&mut c, &[("SLAVE-READ-ONLY", "maybe")]),
            Err("ERR CONFIG SET failed (possibly related to argument 'slave-read-only') - argument must be 'yes' or 'no'".into())
        );
        assert_eq!(
            set(&mut c, &[("maxmemory", "1x")]),
            Err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value".into())
        );
        assert_eq!(
            set(&mut c, &[("loglevel", "foo")]),
            Err("ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning, nothing".into())
        );
        assert_eq!(
            set(&mut c, &[("save", "100  10")]),
            Err("ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters".into())
        );
        assert_eq!(
            set(&mut c, &[("Port", "1"), ("PORT", "2")]),
            Err(
                "ERR CONFIG SET failed (possibly related to argument 'PORT') - duplicate parameter"
                    .into()
            )
        );
        assert_eq!(
            set(&mut c, &[("dbfilename", "x.rdb")]),
            Err("ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config".into())
        );
        assert_eq!(
            set(&mut c, &[("notify-keyspace-events", "Q")]),
            Err("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into())
        );
    }

    #[test]
    fn the_first_bad_name_wins_before_any_value_is_read() {
        let mut c = Config::default();
        assert_eq!(
            set(&mut c, &[("port", "x"), ("foo", "2"), ("daemonize", "no")]),
            Err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into())
        );
        assert_eq!(
            set(&mut c, &[("daemonize", "no"), ("foo", "2")]),
            Err("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config".into())
        );
    }

    #[test]
    fn a_bad_value_leaves_every_directive_unchanged() {
        let mut c = Config::default();
        let before = c.clone();
        assert!(set(
            &mut c,
            &[("hz", "20"), ("maxmemory", "1gb"), ("port", "nope")]
        )
        .is_err());
        assert_eq!(c, before);
        set(
            &mut c,
            &[("hz", "20"), ("maxmemory", "1gb"), ("port", "7000")],
        )
        .unwrap();
        assert_eq!((c.hz(), c.maxmemory(), c.port()), (20, 1 << 30, 7000));
    }

    #[test]
    fn a_name_and_its_alias_are_not_duplicates_and_the_last_wins() {
        let mut c = Config::default();
        set(
            &mut c,
            &[("replica-read-only", "yes"), ("slave-read-only", "no")],
        )
        .unwrap();
        assert!(!c.replica_read_only());
    }

    #[test]
    fn several_word_values_split_on_spaces() {
        let mut c = Config::default();
        set(&mut c, &[("save", "60 5 10 1000")]).unwrap();
        assert_eq!(c.get(b"save")[0].1, "60 5 10 1000");
        set(&mut c, &[("save", "")]).unwrap();
        assert!(c.save_points().is_empty());
        set(&mut c, &[("bind", "")]).unwrap();
        assert!(c.bind().is_empty());
        set(&mut c, &[("bind", "127.0.0.1 ::1")]).unwrap();
        assert_eq!(c.bind(), ["127.0.0.1", "::1"]);
        set(&mut c, &[("client-output-buffer-limit", "normal 1mb 2 3")]).unwrap();
        assert_eq!(
            c.get(b"client-output-buffer-limit")[0].1,
            "normal 1048576 2 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
    }

    #[test]
    fn protected_directives_follow_enable_protected_configs() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_str().unwrap().as_bytes().to_vec();
        let pair = [(b"dir".to_vec(), dir)];

        let mut local_only =
            Config::load(None, &["enable-protected-configs local".into()]).unwrap();
        assert!(local_only
            .set_from(&pair, false)
            .unwrap_err()
            .contains("can't set protected config"));
        local_only.set_from(&pair, true).unwrap();
        assert_eq!(local_only.dir(), tmp.path().canonicalize().unwrap());

        let mut open = Config::load(None, &["enable-protected-configs yes".into()]).unwrap();
        open.set(&[(b"dbfilename".to_vec(), b"other.rdb".to_vec())])
            .unwrap();
        assert_eq!(open.dbfilename(), "other.rdb");
        assert_eq!(
            open.set(&[(b"dbfilename".to_vec(), b"a/b".to_vec())]),
            Err("ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename".into())
        );
    }

    #[test]
    fn appendonly_yes_is_refused_with_a_reason() {
        let mut c = Config::default();
        let e = set(&mut c, &[("appendonly", "yes")]).unwrap_err();
        assert!(
            e.starts_with("ERR CONFIG SET failed (possibly related to argument 'appendonly') - ")
        );
        set(&mut c, &[("appendonly", "no")]).unwrap();
    }
}
