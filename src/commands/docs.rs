//! What COMMAND DOCS says about each implemented command: a one-line summary, the Redis version
//! that introduced it, its group, its complexity class and its argument tree (names, types,
//! tokens and flags, as Redis 7.0 declares them, since redis-cli builds its input hints from
//! them).
//!
//! Owns: the documentation data (`command_docs.txt`, read once, on first use) and its reader.
//! The data is a tab-separated text, one record per line, keyed by full lowercase names
//! (`get`, `config|get`):
//!
//! ```text
//! C  name  since  group  complexity  summary     a command; the lines below belong to it
//! F  flag,flag                                    doc flags (`syscmd`, `deprecated`)
//! D  version                                      deprecated since
//! B  text                                         replaced by
//! H  version  change                              one history entry, in order
//! A<depth>  name  type  key-spec  token  since  deprecated-since  flag,flag
//! ```
//!
//! An empty field is absent; `""` is a present, empty string. Argument lines nest by depth: an
//! `A1` line is an argument of the `A0` line above it.

use std::collections::HashMap;
use std::sync::OnceLock;

static DATA: &str = include_str!("command_docs.txt");

/// The documentation of one command or subcommand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Doc {
    /// Full lowercase name.
    pub name: &'static str,
    /// What it does, in one line.
    pub summary: &'static str,
    /// The Redis version that introduced it.
    pub since: &'static str,
    /// The documentation group (`string`, `server`…).
    pub group: &'static str,
    /// Its time complexity, when documented.
    pub complexity: Option<&'static str>,
    /// `syscmd`, `deprecated`.
    pub doc_flags: Vec<&'static str>,
    /// The version that deprecated it.
    pub deprecated_since: Option<&'static str>,
    /// What replaces it, when deprecated.
    pub replaced_by: Option<&'static str>,
    /// (version, change), oldest first.
    pub history: Vec<(&'static str, &'static str)>,
    /// Its arguments, in order.
    pub args: Vec<Arg>,
}

/// One documented argument.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Arg {
    /// Its name.
    pub name: &'static str,
    /// `key`, `string`, `integer`, `double`, `pattern`, `unix-time`, `pure-token`, `oneof` or
    /// `block`.
    pub kind: &'static str,
    /// Which key spec it is the key of.
    pub key_spec_index: Option<i64>,
    /// The keyword that introduces it.
    pub token: Option<&'static str>,
    /// The version that added it.
    pub since: Option<&'static str>,
    /// The version that deprecated it.
    pub deprecated_since: Option<&'static str>,
    /// `optional`, `multiple`, `multiple_token`.
    pub flags: Vec<&'static str>,
    /// The alternatives of a `oneof`, the parts of a `block`.
    pub args: Vec<Arg>,
}

/// Looks up the documentation of `name` (a full lowercase name).
pub fn doc(name: &str) -> Option<&'static Doc> {
    static DOCS: OnceLock<HashMap<&'static str, Doc>> = OnceLock::new();
    DOCS.get_or_init(|| {
        parse(DATA)
            .unwrap_or_else(|line| panic!("command_docs.txt: bad line {line}"))
            .into_iter()
            .map(|d| (d.name, d))
            .collect()
    })
    .get(name)
}

/// A field: empty is absent, `""` is the empty string.
fn field(s: &'static str) -> Option<&'static str> {
    match s {
        "" => None,
        "\"\"" => Some(""),
        s => Some(s),
    }
}

fn list(s: &'static str) -> Vec<&'static str> {
    s.split(',').filter(|f| !f.is_empty()).collect()
}

/// Reads the documentation records; on a malformed line, its 1-based number.
pub fn parse(data: &'static str) -> Result<Vec<Doc>, usize> {
    let mut docs: Vec<Doc> = Vec::new();
    for (i, line) in data.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let f: Vec<&'static str> = line.split('\t').collect();
        let bad = i + 1;
        if f[0] == "C" {
            if f.len() != 6 {
                return Err(bad);
            }
            docs.push(Doc {
                name: f[1],
                since: f[2],
                group: f[3],
                complexity: field(f[4]),
                summary: f[5],
                ..Doc::default()
            });
            continue;
        }
        let d = docs.last_mut().ok_or(bad)?;
        match (f[0], f.len()) {
            ("F", 2) => d.doc_flags = list(f[1]),
            ("D", 2) => d.deprecated_since = field(f[1]),
            ("B", 2) => d.replaced_by = field(f[1]),
            ("H", 3) => d.history.push((f[1], f[2])),
            (tag, 8) if tag.starts_with('A') => {
                let depth: usize = tag[1..].parse().map_err(|_| bad)?;
                let arg = Arg {
                    name: f[1],
                    kind: f[2],
                    key_spec_index: match field(f[3]) {
                        Some(n) => Some(n.parse().map_err(|_| bad)?),
                        None => None,
                    },
                    token: field(f[4]),
                    since: field(f[5]),
                    deprecated_since: field(f[6]),
                    flags: list(f[7]),
                    args: Vec::new(),
                };
                let mut level = &mut d.args;
                for _ in 0..depth {
                    level = &mut level.last_mut().ok_or(bad)?.args;
                }
                level.push(arg);
            }
            _ => return Err(bad),
        }
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_in_the_table_is_documented() {
        let t = crate::commands::build_table();
        for spec in t.iter() {
            assert!(
                doc(spec.name).is_some(),
                "{} has no documentation",
                spec.name
            );
            for sub in &spec.subcommands {
                assert!(doc(sub.name).is_some(), "{} has no documentation", sub.name);
            }
        }
    }

    #[test]
    fn every_record_of_the_data_reads() {
        let docs = parse(DATA).unwrap();
        assert!(docs.len() >= crate::commands::build_table().len());
        let mut seen = std::collections::HashSet::new();
        for d in &docs {
            assert!(seen.insert(d.name), "{} twice", d.name);
            assert_eq!(d.name, d.name.to_ascii_lowercase());
            assert!(!d.summary.is_empty() && !d.group.is_empty(), "{}", d.name);
        }
    }

    #[test]
    fn set_has_nested_arguments() {
        let set = doc("set").unwrap();
        assert_eq!(set.since, "1.0.0");
        assert_eq!(set.complexity, Some("O(1)"));
        assert_eq!(set.args[0].name, "key");
        assert_eq!(set.args[0].key_spec_index, Some(0));
        let condition = &set.args[2];
        assert_eq!(
            (condition.kind, condition.flags.as_slice()),
            ("oneof", &["optional"][..])
        );
        assert_eq!(condition.args[0].token, Some("NX"));
    }

    #[test]
    fn empty_and_absent_fields_differ() {
        let docs = parse("C\tx\t1.0.0\tgeneric\t\ts\nA0\te\tpure-token\t\t\"\"\t\t\t\n").unwrap();
        assert_eq!(docs[0].complexity, None);
        assert_eq!(docs[0].args[0].token, Some(""));
        assert_eq!(docs[0].args[0].since, None);
        assert_eq!(parse("A0\tx"), Err(1));
        assert_eq!(parse("C\tx\t1\tg\tc\ts\nA1\tx\tkey\t\t\t\t\t\n"), Err(2));
    }
}
