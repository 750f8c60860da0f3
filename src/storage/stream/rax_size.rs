//! How many nodes Redis's radix tree (`rax.c`) would have for a stream's node keys, the
//! `radix-tree-nodes` field of XINFO STREAM.
//!
//! Owns: that count only. Redis keys each stream node by its first ID as 16 big-endian bytes.
//! For keys of one fixed length its radix tree has a canonical shape, whatever the order of the
//! inserts and deletes that built it: a run of bytes with a single continuation is one
//! (compressed) node, each point where keys part is one branching node, and each key ends in
//! an empty leaf node. An empty tree is its head node alone.

/// The number of radix tree nodes holding `keys`, which must be sorted and distinct.
pub fn rax_nodes(keys: &[[u8; 16]]) -> u64 {
    if keys.is_empty() {
        return 1;
    }
    count(keys, 0)
}

/// Nodes below the point where `keys` (at least one) have consumed `depth` bytes.
fn count(keys: &[[u8; 16]], depth: usize) -> u64 {
    if depth == 16 {
        return 1;
    }
    if keys.len() == 1 {
        // The rest of the key in one node, then its leaf.
        return 2;
    }
    let (first, last) = (&keys[0], &keys[keys.len() - 1]);
    let common = (depth..16).take_while(|&i| first[i] == last[i]).count();
    let at = depth + common;
    let mut n = u64::from(common > 0) + 1;
    let mut start = 0;
    while start < keys.len() {
        let b = keys[start][at];
        let end = start + keys[start..].iter().take_while(|k| k[at] == b).count();
        n += count(&keys[start..end], at + 1);
        start = end;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::stream::StreamId;

    fn keys(ids: &[(u64, u64)]) -> Vec<[u8; 16]> {
        ids.iter()
            .map(|&(ms, seq)| StreamId::new(ms, seq).to_be_bytes())
            .collect()
    }

    #[test]
    fn counts_match_redis_for_small_trees() {
        assert_eq!(rax_nodes(&[]), 1);
        assert_eq!(rax_nodes(&keys(&[(1, 0)])), 2);
        // Keys parting at the last byte: a compressed prefix, a branch, two leaves.
        assert_eq!(rax_nodes(&keys(&[(1, 0), (1, 1)])), 4);
        // Parting at the first byte: the head branches, each side compressed then a leaf.
        assert_eq!(rax_nodes(&keys(&[(1, 0), (u64::MAX, 0)])), 5);
    }
}
