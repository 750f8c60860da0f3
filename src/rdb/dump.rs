//! DUMP payloads: one value, serialized for RESTORE.
//!
//! Owns: building and checking the payload of DUMP and RESTORE:
//!
//! ```text
//! type byte | value payload (as in a file) | u16 LE RDB version | u64 LE CRC-64 of all before
//! ```
//!
//! Unlike a file, a payload has no "CRC 0 = unchecked" rule. A payload is refused when its
//! version is newer than the caller allows (Redis 7.0 allows 10) or its CRC is wrong; then its
//! value must decode completely, or it is bad data.

use super::crc64::crc64;
use super::decode::{is_value_type, read_value, Decoded, Payload};
use super::encode::write_value;
use super::error::RdbError;
use super::format::WRITE_VERSION;
use super::input::Input;
use super::output::Output;
use crate::storage::value::Value;

/// Why a payload was refused.
#[derive(Debug)]
pub enum RestoreError {
    /// Too short, from a newer RDB version, or its CRC does not match.
    VersionOrChecksum,
    /// The value does not decode (corrupt, empty, a module value…); the error says where.
    BadData(RdbError),
}

/// The DUMP payload of `v`, written with RDB version 10 as Redis 7.0 writes it; strings over
/// 20 bytes are LZF-compressed when `compression` is on and it pays (`rdbcompression`).
pub fn dump_payload(v: &Value, compression: bool) -> Vec<u8> {
    let mut out = Output::new(Vec::new(), false, compression);
    // Writing to a vector cannot fail.
    write_value(&mut out, v).expect("write to memory");
    let mut buf = out.into_inner().expect("write to memory");
    buf.extend_from_slice(&(WRITE_VERSION as u16).to_le_bytes());
    let crc = crc64(&buf);
    buf.extend_from_slice(&crc.to_le_bytes());
    buf
}

/// Checks `payload`'s footer (version at most `max_version`, CRC), then decodes its value.
pub fn restore_payload(payload: &[u8], max_version: u32) -> Result<Payload, RestoreError> {
    if payload.len() < 10 {
        return Err(RestoreError::VersionOrChecksum);
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if u32::from(version) > max_version {
        return Err(RestoreError::VersionOrChecksum);
    }
    let stored = u64::from_le_bytes(footer[2..].try_into().expect("eight bytes"));
    if crc64(&payload[..payload.len() - 8]) != stored {
        return Err(RestoreError::VersionOrChecksum);
    }
    let mut input = Input::new(body, false);
    let t = input.u8().map_err(RestoreError::BadData)?;
    if !is_value_type(t) {
        return Err(RestoreError::BadData(RdbError::corrupt(
            0,
            format!("unknown value type {t}"),
        )));
    }
    match read_value(&mut input, t).map_err(RestoreError::BadData)? {
        Decoded::Payload(p) => Ok(p),
        Decoded::Empty => Err(RestoreError::BadData(RdbError::corrupt(1, "empty value"))),
        Decoded::Module(name) => Err(RestoreError::BadData(RdbError::corrupt(
            1,
            format!("module value of unknown module {name}"),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn matches_a_payload_written_by_redis() {
        // DUMP of SET k aaa…a (40 bytes) on Redis 7.0.15.
        let redis = b"\x00\xc3\t(\x01aa\xe0\x1b\x00\x01aa\n\x00\xcf\t/\xaa\xae%\x83\x1d";
        let v = Value::Str(Bytes::from(vec![b'a'; 40]).into());
        assert_eq!(dump_payload(&v, true), redis);
        assert_eq!(restore_payload(redis, 10).unwrap(), Payload::Value(v));
    }

    #[test]
    fn footer_problems_are_version_or_checksum_errors() {
        let good = dump_payload(&Value::Str(Bytes::from("hello").into()), true);
        assert!(restore_payload(&good, 10).is_ok());
        assert!(matches!(
            restore_payload(&good, 9),
            Err(RestoreError::VersionOrChecksum)
        ));
        let mut flipped = good.clone();
        flipped[2] ^= 1;
        assert!(matches!(
            restore_payload(&flipped, 10),
            Err(RestoreError::VersionOrChecksum)
        ));
        assert!(matches!(
            restore_payload(b"short", 10),
            Err(RestoreError::VersionOrChecksum)
        ));
    }

    #[test]
    fn a_well_sealed_but_bad_value_is_bad_data() {
        let seal = |body: &[u8]| {
            let mut p = body.to_vec();
            p.extend_from_slice(&10u16.to_le_bytes());
            let crc = crc64(&p);
            p.extend_from_slice(&crc.to_le_bytes());
            p
        };
        for body in [
            &b"\x08"[..],
            b"\xfe\x00",
            b"\x00\x05ab",
            b"\x02\x00",
            b"\x0b\x04\x02\x00\x00\x00",
        ] {
            assert!(
                matches!(
                    restore_payload(&seal(body), 10),
                    Err(RestoreError::BadData(_))
                ),
                "{body:?}"
            );
        }
    }
}
