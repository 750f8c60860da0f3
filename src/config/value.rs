//! A directive's value: reading it from words, and showing it as CONFIG GET does.
//!
//! Owns: `Value`, `parse` (words → value, with Redis 7.0's error texts) and `Value::show` (the
//! CONFIG GET form: sizes in plain bytes, `yes`/`no`, lists joined by spaces). No I/O except
//! `dir`, which must name an existing directory.

use std::path::PathBuf;

use super::table::Kind;
use super::units::{parse_int, parse_memory, parse_yes_no};

/// A directive's current value. Which variant a directive holds follows from its `Kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `Kind::Bool`.
    Bool(bool),
    /// `Kind::Int` and `Kind::Memory` (in bytes).
    Int(i64),
    /// `Kind::Text` and `Kind::OptText` (empty = not set).
    Text(String),
    /// `Kind::Enum`: the value of the chosen word.
    Enum(u32),
    /// `Kind::Save`: snapshot triggers; empty = no automatic snapshots.
    Save(Vec<SavePoint>),
    /// `Kind::Bind`: addresses to listen on.
    Bind(Vec<String>),
    /// `Kind::ReplicaOf`: the master to follow, if any.
    ReplicaOf(Option<(String, u16)>),
    /// `Kind::Dir`: an absolute path.
    Dir(PathBuf),
    /// `Kind::KeyspaceEvents`: `NOTIFY_*` bits.
    Events(u32),
    /// `Kind::ClientOutputBufferLimit`: normal, replica and pubsub classes, in that order.
    Obuf([ObufLimit; 3]),
    /// `Kind::OomScoreAdjValues`: master, replica, snapshot child.
    Oom([i32; 3]),
}

/// One `save <seconds> <changes>` trigger: snapshot when at least `changes` writes happened in
/// the last `seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavePoint {
    /// The window, at least 1.
    pub seconds: u64,
    /// Writes needed within the window.
    pub changes: u64,
}

/// The output buffer limits of one client class. 0 means no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObufLimit {
    /// Disconnect as soon as the buffer holds this many bytes.
    pub hard_bytes: u64,
    /// Disconnect when the buffer stays above this many bytes ...
    pub soft_bytes: u64,
    /// ... for this many seconds.
    pub soft_seconds: u64,
}

/// The client classes of `client-output-buffer-limit`, as CONFIG GET names them.
pub const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// Keyspace event classes: the letter and its bit, in the order CONFIG GET lists them.
const EVENT_LETTERS: [(u8, u32); 11] = [
    (b'g', 1 << 2),
    (b'$', 1 << 3),
    (b'l', 1 << 4),
    (b's', 1 << 5),
    (b'h', 1 << 6),
    (b'z', 1 << 7),
    (b'x', 1 << 8),
    (b'e', 1 << 9),
    (b't', 1 << 10),
    (b'd', 1 << 13),
    (b'n', 1 << 14),
];
/// `K`: publish to `__keyspace@<db>__`.
pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
/// `E`: publish to `__keyevent@<db>__`.
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;
/// `m`: key misses; not part of `A`.
pub const NOTIFY_KEY_MISS: u32 = 1 << 11;
/// `A`: every class but `m` and `n`.
pub const NOTIFY_ALL: u32 = (1 << 2)
    | (1 << 3)
    | (1 << 4)
    | (1 << 5)
    | (1 << 6)
    | (1 << 7)
    | (1 << 8)
    | (1 << 9)
    | (1 << 10)
    | (1 << 13);

/// Reads the words after a directive's name as a value of `kind`. The caller has already
/// checked that single-word kinds got exactly one word. `current` is the value being replaced:
/// `client-output-buffer-limit` changes only the classes it names. The error is the reason shown
/// to the user, worded as Redis 7.0 words it.
pub fn parse(kind: Kind, words: &[String], current: &Value) -> Result<Value, String> {
    let one = words.first().map(String::as_str).unwrap_or("");
    match kind {
        Kind::Bool => parse_yes_no(one)
            .map(Value::Bool)
            .ok_or_else(|| "argument must be 'yes' or 'no'".to_string()),
        Kind::Int { min, max } => {
            let n = parse_int(one).ok_or("argument couldn't be parsed into an integer")?;
            bounded(n, min, max)
        }
        Kind::Memory { min, max } => {
            let n = parse_memory(one).ok_or("argument must be a memory value")?;
            // Past i64 the C original wraps negative and so fails the bounds check.
            bounded(i64::try_from(n).unwrap_or(-1), min, max)
        }
        Kind::Text | Kind::OptText => Ok(Value::Text(one.to_string())),
        Kind::Enum(choices) => choices
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(one))
            .map(|&(_, v)| Value::Enum(v))
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                format!(
                    "argument(s) must be one of the following: {}",
                    names.join(", ")
                )
            }),
        Kind::Save => parse_save(words),
        Kind::Bind => parse_bind(words),
        Kind::ReplicaOf => parse_replicaof(words),
        Kind::Dir => parse_dir(one),
        Kind::KeyspaceEvents => parse_events(one),
        Kind::ClientOutputBufferLimit => match current {
            Value::Obuf(limits) => parse_obuf(limits, words),
            _ => parse_obuf(&[ObufLimit::default(); 3], words),
        },
        Kind::OomScoreAdjValues => parse_oom(words),
    }
}

/// Reads `client-output-buffer-limit` words on top of `current`: classes not named keep their
/// limits, and one bad class refuses the whole line.
fn parse_obuf(current: &[ObufLimit; 3], words: &[String]) -> Result<Value, String> {
    if !words.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut limits = *current;
    for group in words.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let bad = || "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        let hard_bytes = parse_memory(&group[1]).ok_or_else(bad)?;
        let soft_bytes = parse_memory(&group[2]).ok_or_else(bad)?;
        let soft_seconds = group[3].parse::<u64>().map_err(|_| bad())?;
        limits[class] = ObufLimit {
            hard_bytes,
            soft_bytes,
            soft_seconds,
        };
    }
    Ok(Value::Obuf(limits))
}

fn bounded(n: i64, min: i64, max: i64) -> Result<Value, String> {
    if n < min || n > max {
        Err(format!(
            "argument must be between {min} and {max} inclusive"
        ))
    } else {
        Ok(Value::Int(n))
    }
}

fn parse_save(words: &[String]) -> Result<Value, String> {
    let words = if words.len() == 1 && words[0].is_empty() {
        &[][..]
    } else {
        words
    };
    let invalid = || "Invalid save parameters".to_string();
    if !words.len().is_multiple_of(2) {
        return Err(invalid());
    }
    words
        .chunks(2)
        .map(|pair| {
            let seconds = pair[0].parse::<i64>().map_err(|_| invalid())?;
            let changes = pair[1].parse::<i64>().map_err(|_| invalid())?;
            if seconds < 1 || changes < 0 {
                return Err(invalid());
            }
            Ok(SavePoint {
                seconds: seconds as u64,
                changes: changes as u64,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Save)
}

fn parse_bind(words: &[String]) -> Result<Value, String> {
    if words.len() > 16 {
        return Err("Too many bind addresses specified.".into());
    }
    if words.len() == 1 && words[0].is_empty() {
        return Ok(Value::Bind(Vec::new()));
    }
    Ok(Value::Bind(words.to_vec()))
}

fn parse_replicaof(words: &[String]) -> Result<Value, String> {
    let [host, port] = words else {
        return Err("wrong number of arguments".into());
    };
    if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
        return Ok(Value::ReplicaOf(None));
    }
    let port = port.parse::<u16>().map_err(|_| "Invalid master port")?;
    Ok(Value::ReplicaOf(Some((host.clone(), port))))
}

fn parse_dir(path: &str) -> Result<Value, String> {
    let abs = std::fs::canonicalize(path).map_err(|e| os_error_text(&e))?;
    if !abs.is_dir() {
        return Err(os_error_text(&std::io::Error::from_raw_os_error(
            libc::ENOTDIR,
        )));
    }
    Ok(Value::Dir(abs))
}

fn parse_events(letters: &str) -> Result<Value, String> {
    let mut bits = 0;
    for b in letters.bytes() {
        bits |= match b {
            b'A' => NOTIFY_ALL,
            b'K' => NOTIFY_KEYSPACE,
            b'E' => NOTIFY_KEYEVENT,
            b'm' => NOTIFY_KEY_MISS,
            _ => match EVENT_LETTERS.iter().find(|(l, _)| *l == b) {
                Some(&(_, bit)) => bit,
                None => return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
            },
        };
    }
    Ok(Value::Events(bits))
}

fn parse_oom(words: &[String]) -> Result<Value, String> {
    if words.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut out = [0i32; 3];
    for (slot, w) in out.iter_mut().zip(words) {
        *slot = w
            .parse::<i32>()
            .ok()
            .filter(|v| (-2000..=2000).contains(v))
            .ok_or("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")?;
    }
    Ok(Value::Oom(out))
}

/// The text of an OS error as `strerror` gives it, without Rust's " (os error N)" suffix.
pub fn os_error_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

impl Value {
    /// The value as CONFIG GET shows it. `kind` names the words of an enum.
    pub fn show(&self, kind: Kind) -> String {
        match self {
            Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
            Value::Int(n) => n.to_string(),
            Value::Text(t) => t.clone(),
            Value::Enum(v) => enum_name(kind, *v).to_string(),
            Value::Save(points) => points
                .iter()
                .map(|p| format!("{} {}", p.seconds, p.changes))
                .collect::<Vec<_>>()
                .join(" "),
            Value::Bind(addrs) => addrs.join(" "),
            Value::ReplicaOf(None) => String::new(),
            Value::ReplicaOf(Some((host, port))) => format!("{host} {port}"),
            Value::Dir(p) => p.display().to_string(),
            Value::Events(bits) => show_events(*bits),
            Value::Obuf(limits) => OBUF_CLASSES
                .iter()
                .zip(limits)
                .map(|(c, l)| format!("{c} {} {} {}", l.hard_bytes, l.soft_bytes, l.soft_seconds))
                .collect::<Vec<_>>()
                .join(" "),
            Value::Oom(v) => format!("{} {} {}", v[0], v[1], v[2]),
        }
    }
}

/// The first word of `kind` whose value is `v`.
pub fn enum_name(kind: Kind, v: u32) -> &'static str {
    match kind {
        Kind::Enum(choices) => choices.iter().find(|c| c.1 == v).map_or("unknown", |c| c.0),
        _ => "unknown",
    }
}

fn show_events(bits: u32) -> String {
    let mut out = String::new();
    if bits & NOTIFY_ALL == NOTIFY_ALL {
        out.push('A');
    } else {
        for &(letter, bit) in &EVENT_LETTERS {
            if bits & bit != 0 {
                out.push(letter as char);
            }
        }
    }
    for (bit, letter) in [
        (NOTIFY_KEYSPACE, 'K'),
        (NOTIFY_KEYEVENT, 'E'),
        (NOTIFY_KEY_MISS, 'm'),
    ] {
        if bits & bit != 0 {
            out.push(letter);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    fn parse(kind: Kind, words: &[String]) -> Result<Value, String> {
        super::parse(kind, words, &Value::Bool(false))
    }

    #[test]
    fn integers_outside_bounds_name_the_bounds() {
        let kind = Kind::Int { min: 0, max: 65535 };
        assert_eq!(parse(kind, &w(&["7000"])), Ok(Value::Int(7000)));
        assert_eq!(
            parse(kind, &w(&["70000"])),
            Err("argument must be between 0 and 65535 inclusive".into())
        );
        assert_eq!(
            parse(kind, &w(&["abc"])),
            Err("argument couldn't be parsed into an integer".into())
        );
    }

    #[test]
    fn memory_accepts_units_and_refuses_words() {
        let kind = Kind::Memory {
            min: 0,
            max: i64::MAX,
        };
        assert_eq!(parse(kind, &w(&["1GB"])), Ok(Value::Int(1 << 30)));
        assert_eq!(
            parse(kind, &w(&["1x"])),
            Err("argument must be a memory value".into())
        );
    }

    #[test]
    fn enum_words_ignore_case_and_show_canonically() {
        let kind = Kind::Enum(&[("no", 0), ("yes", 1), ("relative", 1)]);
        assert_eq!(parse(kind, &w(&["RELATIVE"])), Ok(Value::Enum(1)));
        assert_eq!(Value::Enum(1).show(kind), "yes");
        assert_eq!(
            parse(kind, &w(&["maybe"])),
            Err("argument(s) must be one of the following: no, yes, relative".into())
        );
    }

    #[test]
    fn save_pairs_and_the_empty_string() {
        let v = parse(Kind::Save, &w(&["3600", "1", "300", "100"])).unwrap();
        assert_eq!(v.show(Kind::Save), "3600 1 300 100");
        assert_eq!(parse(Kind::Save, &w(&[""])), Ok(Value::Save(vec![])));
        assert_eq!(
            parse(Kind::Save, &w(&["1", "2", "3"])),
            Err("Invalid save parameters".into())
        );
        assert_eq!(
            parse(Kind::Save, &w(&["0", "2"])),
            Err("Invalid save parameters".into())
        );
    }

    #[test]
    fn replicaof_no_one_clears_and_port_is_checked() {
        assert_eq!(
            parse(Kind::ReplicaOf, &w(&["NO", "ONE"])),
            Ok(Value::ReplicaOf(None))
        );
        let v = parse(Kind::ReplicaOf, &w(&["10.0.0.1", "6380"])).unwrap();
        assert_eq!(v.show(Kind::ReplicaOf), "10.0.0.1 6380");
        assert_eq!(
            parse(Kind::ReplicaOf, &w(&["h", "x"])),
            Err("Invalid master port".into())
        );
        assert_eq!(
            parse(Kind::ReplicaOf, &w(&["h"])),
            Err("wrong number of arguments".into())
        );
    }

    #[test]
    fn keyspace_events_show_in_redis_order() {
        let show = |s: &str| {
            parse(Kind::KeyspaceEvents, &w(&[s]))
                .unwrap()
                .show(Kind::KeyspaceEvents)
        };
        assert_eq!(show("KEA"), "AKE");
        assert_eq!(show("Ex"), "xE");
        assert_eq!(show("mKgz$"), "g$zKm");
        assert_eq!(show(""), "");
        assert!(parse(Kind::KeyspaceEvents, &w(&["Q"])).is_err());
    }

    #[test]
    fn output_buffer_limits_update_only_named_classes() {
        let start = [ObufLimit {
            hard_bytes: 0,
            soft_bytes: 0,
            soft_seconds: 0,
        }; 3];
        let v = parse_obuf(&start, &w(&["replica", "256mb", "64mb", "60"])).unwrap();
        assert_eq!(
            v.show(Kind::ClientOutputBufferLimit),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 0 0 0"
        );
        assert!(parse_obuf(&start, &w(&["master", "1", "1", "1"])).is_err());
        assert!(parse_obuf(&start, &w(&["normal", "1", "1"])).is_err());
    }

    #[test]
    fn dir_must_exist() {
        let tmp = tempfile::tempdir().unwrap();
        let v = parse(Kind::Dir, &w(&[tmp.path().to_str().unwrap()])).unwrap();
        assert_eq!(v, Value::Dir(tmp.path().canonicalize().unwrap()));
        let missing = tmp.path().join("nope");
        assert_eq!(
            parse(Kind::Dir, &w(&[missing.to_str().unwrap()])),
            Err("No such file or directory".into())
        );
    }
}
