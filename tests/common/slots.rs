//! Where a key lives: its Redis Cluster slot, and the Tessera shard that owns the slot.
//!
//! Tessera splits the 16384 slots into `nr_shards` equal ranges: `shard = slot * nr_shards /
//! 16384`. With two shards, slots below 8192 belong to shard 0 ("bar", slot 5061) and the
//! rest to shard 1 ("foo", slot 12182).

/// Number of Redis Cluster hash slots.
pub const SLOTS: u32 = 16384;

/// CRC16-XMODEM (polynomial 0x1021, initial value 0), the checksum Redis Cluster hashes keys with.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in bytes {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The Redis Cluster slot of `key`: CRC16 of the key, or of its `{hash tag}` if it has a
/// non-empty one, modulo 16384.
pub fn key_slot(key: &[u8]) -> u32 {
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&b| b == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    crc16(hashed) as u32 % SLOTS
}

/// The shard that owns `key` on a server with `nr_shards` shards.
pub fn shard_of(key: &[u8], nr_shards: u32) -> u32 {
    key_slot(key) * nr_shards / SLOTS
}

/// One key per shard, `prefix` followed by a number, in shard order: `result[s]` lives on
/// shard `s`.
pub fn keys_on_each_shard(prefix: &str, nr_shards: u32) -> Vec<String> {
    let mut found: Vec<Option<String>> = vec![None; nr_shards as usize];
    for i in 0.. {
        let key = format!("{prefix}{i}");
        let shard = shard_of(key.as_bytes(), nr_shards) as usize;
        if found[shard].is_none() {
            found[shard] = Some(key);
        }
        if found.iter().all(Option::is_some) {
            break;
        }
    }
    found.into_iter().map(Option::unwrap).collect()
}
