//! The directives a save or a load reads, copied out of the live configuration in one lock.
//!
//! Owns: `SaveSettings` (where the file goes and how it is written) and the helpers that name
//! files: the snapshot path `dir/dbfilename` and the temp file `dir/temp-<pid>.rdb` (Redis's
//! name, so tools that clean up after Redis clean up after Tessera). A save copies these once,
//! before it starts: a CONFIG SET during a save applies to the next one.

use std::path::{Path, PathBuf};

use crate::config::{Config, SavePoint};
use crate::rdb::WriteOptions;
use crate::server::shared::shared;

/// What one save needs from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveSettings {
    /// `dir`/`dbfilename`.
    pub path: PathBuf,
    /// `rdbcompression` and `rdbchecksum`.
    pub options: WriteOptions,
    /// `rdb-key-save-delay`.
    pub key_delay: i32,
}

impl SaveSettings {
    /// The settings in `c`.
    pub fn from_config(c: &Config) -> SaveSettings {
        SaveSettings {
            path: c.rdb_path(),
            options: WriteOptions {
                compression: c.rdbcompression(),
                checksum: c.rdbchecksum(),
            },
            key_delay: c.rdb_key_save_delay(),
        }
    }

    /// The live settings.
    pub fn current() -> SaveSettings {
        read_config(SaveSettings::from_config)
    }
}

/// Reads the live configuration under its lock, for the length of `f`.
pub fn read_config<R>(f: impl FnOnce(&Config) -> R) -> R {
    let c = shared()
        .config
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    f(&c)
}

/// The `save` points now configured.
pub fn save_points() -> Vec<SavePoint> {
    read_config(|c| c.save_points().to_vec())
}

/// The temp file a process `pid` writes a snapshot of `target` to: `temp-<pid>.rdb` in the
/// same directory, so the final rename never crosses a file system.
pub fn temp_path(target: &Path, pid: u32) -> PathBuf {
    let dir = target.parent().unwrap_or(Path::new("."));
    dir.join(format!("temp-{pid}.rdb"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temp_file_sits_beside_the_snapshot() {
        assert_eq!(
            temp_path(Path::new("/data/dump.rdb"), 42),
            Path::new("/data/temp-42.rdb")
        );
        assert_eq!(temp_path(Path::new("dump.rdb"), 7), Path::new("temp-7.rdb"));
    }

    #[test]
    fn settings_follow_the_directives() {
        let mut c = Config::default();
        let pairs = [
            (b"rdbcompression".to_vec(), b"no".to_vec()),
            (b"rdb-key-save-delay".to_vec(), b"-10".to_vec()),
        ];
        c.set(&pairs).unwrap();
        let s = SaveSettings::from_config(&c);
        assert!(!s.options.compression && s.options.checksum);
        assert_eq!(s.key_delay, -10);
        assert!(s.path.ends_with("dump.rdb"));
    }
}
