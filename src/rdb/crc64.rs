//! CRC-64/REDIS, the checksum that ends an RDB file and a DUMP payload.
//!
//! Owns: the one CRC table Tessera uses and a running digest over a byte stream. The algorithm is
//! Jones' polynomial, reflected, init 0, xorout 0 (`crc::CRC_64_REDIS`); the slice-by-16 table
//! is the fastest of the `crc` crate's variants here (see `benches/rdb.rs`).

use crc::{Crc, Digest, Table, CRC_64_REDIS};

/// The CRC engine: slice-by-16 tables, built at compile time.
static CRC64: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_REDIS);

/// The CRC-64/REDIS of `data`.
pub fn crc64(data: &[u8]) -> u64 {
    CRC64.checksum(data)
}

/// A running CRC-64/REDIS over bytes fed in pieces.
#[derive(Clone)]
pub struct Crc64 {
    digest: Digest<'static, u64, Table<16>>,
}

impl Default for Crc64 {
    fn default() -> Crc64 {
        Crc64::new()
    }
}

impl Crc64 {
    /// A digest over no bytes yet.
    pub fn new() -> Crc64 {
        Crc64 {
            digest: CRC64.digest(),
        }
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.digest.update(data);
    }

    /// The CRC of everything fed so far (the digest stays usable).
    pub fn value(&self) -> u64 {
        self.digest.clone().finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value_matches_the_catalogue() {
        assert_eq!(crc64(b"123456789"), 0xe9c6d914c4b8d9ca);
        assert_eq!(crc64(b""), 0);
    }

    #[test]
    fn pieces_give_the_same_crc_as_the_whole() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 31 % 251) as u8).collect();
        let mut d = Crc64::new();
        for chunk in data.chunks(77) {
            d.update(chunk);
        }
        assert_eq!(d.value(), crc64(&data));
        d.update(b"x");
        assert_ne!(d.value(), crc64(&data));
    }
}
