//! The HyperLogLog string format, byte for byte the one Redis writes, so that a value moved
//! between Tessera and Redis (GET on one, SET on the other) keeps counting the same.
//!
//! Owns: the 16-byte header (`HYLL`, the encoding, the cached cardinality), the two register
//! encodings, the element hash and the cardinality estimate. Pure functions over byte buffers: no
//! keyspace, no replies.
//!
//! Layout: `H Y L L | encoding | 3 unused bytes | cardinality, 8 bytes little endian | registers`.
//! The top bit of the last cardinality byte set means "cache stale". There are 16384 registers
//! of 6 bits. *Dense* packs them in 12288 bytes, least significant bits first. *Sparse* is a
//! run-length code of three opcodes:
//!
//! ```text
//! 00xxxxxx           ZERO:  xxxxxx+1 (1..64) registers at 0
//! 01xxxxxx yyyyyyyy  XZERO: 14-bit length+1 (1..16384) registers at 0
//! 1vvvvvxx           VAL:   xx+1 (1..4) registers at vvvvv+1 (1..32)
//! ```
//!
//! A new HLL is sparse; it turns dense, for good, when a register needs a value above 32 or the
//! string would pass `hll-sparse-max-bytes`.

/// Bytes before the registers.
pub const HEADER_LEN: usize = 16;
/// Number of registers (2^14).
pub const REGISTERS: usize = 1 << P;
/// Length of a dense HLL string.
pub const DENSE_LEN: usize = HEADER_LEN + (REGISTERS * 6).div_ceil(8);
/// The sparse size past which an HLL turns dense (Redis's `hll-sparse-max-bytes` default).
pub const SPARSE_MAX_BYTES: usize = 3000;

const P: u32 = 14;
const Q: u32 = 64 - P;
const REGISTER_MAX: u8 = 63;
const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const ENCODING_DENSE: u8 = 0;
const ENCODING_SPARSE: u8 = 1;
const HASH_SEED: u64 = 0xadc8_3b19;

/// Why a string cannot be used as an HLL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HllError {
    /// Not an HLL at all: too short, wrong magic, unknown encoding or a dense one of the wrong
    /// size.
    NotHll,
    /// The header is right but the registers do not decode (a sparse run past 16384 registers).
    Corrupt,
}

/// MurmurHash64A, reading 8-byte blocks little endian, as Redis hashes HLL elements.
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for b in &mut blocks {
        let mut k = u64::from_le_bytes(b.try_into().expect("8-byte block"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element lands in, and the value it proposes: one more than the number of
/// trailing zero bits in the rest of its hash (1..=51).
pub fn register_for(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, HASH_SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// A new, empty HLL: sparse, one XZERO run over every register, cached cardinality 0.
pub fn new_sparse() -> Vec<u8> {
    let mut v = Vec::with_capacity(HEADER_LEN + 2);
    v.extend_from_slice(b"HYLL");
    v.push(ENCODING_SPARSE);
    v.extend_from_slice(&[0; 11]);
    push_xzero(&mut v, REGISTERS);
    v
}

/// Checks that `s` looks like an HLL (Redis checks no more before using one).
pub fn validate(s: &[u8]) -> Result<(), HllError> {
    if s.len() < HEADER_LEN || &s[..4] != b"HYLL" || s[4] > ENCODING_SPARSE {
        return Err(HllError::NotHll);
    }
    if s[4] == ENCODING_DENSE && s.len() != DENSE_LEN {
        return Err(HllError::NotHll);
    }
    Ok(())
}

/// True when `s` (a valid HLL) uses the dense encoding.
pub fn is_dense(s: &[u8]) -> bool {
    s[4] == ENCODING_DENSE
}

/// The cached cardinality, unless it is marked stale.
pub fn cached_count(s: &[u8]) -> Option<u64> {
    let card = u64::from_le_bytes(s[8..16].try_into().expect("8 bytes"));
    (s[15] & 0x80 == 0).then_some(card)
}

/// Stores `count` as the cached cardinality.
pub fn set_cached_count(s: &mut [u8], count: u64) {
    s[8..16].copy_from_slice(&count.to_le_bytes());
}

/// Marks the cached cardinality stale.
pub fn invalidate_cache(s: &mut [u8]) {
    s[15] |= 0x80;
}

/// Adds an element: raises its register when the element proposes a higher value. Returns
/// whether a register changed (the cache is then stale). May turn a sparse HLL dense.
pub fn add(s: &mut Vec<u8>, element: &[u8]) -> Result<bool, HllError> {
    let (index, value) = register_for(element);
    set_register(s, index, value, SPARSE_MAX_BYTES)
}

/// Raises register `index` to `value` if it is lower; returns whether it changed. A sparse HLL
/// turns dense when `value` is above 32 or the edit would grow it past `sparse_max` bytes.
pub fn set_register(
    s: &mut Vec<u8>,
    index: usize,
    value: u8,
    sparse_max: usize,
) -> Result<bool, HllError> {
    if is_dense(s) {
        return Ok(dense_raise(&mut s[HEADER_LEN..], index, value));
    }
    let changed = sparse_raise(s, index, value, sparse_max)?;
    if changed {
        invalidate_cache(s);
    }
    Ok(changed)
}

/// Reads dense register `i`; bytes past the end read as 0.
fn dense_get(regs: &[u8], i: usize) -> u8 {
    let (byte, bit) = (i * 6 / 8, i * 6 % 8);
    let b0 = regs[byte] as u16;
    let b1 = regs.get(byte + 1).copied().unwrap_or(0) as u16;
    (((b0 >> bit) | (b1 << (8 - bit))) as u8) & REGISTER_MAX
}

/// Writes dense register `i`.
fn dense_put(regs: &mut [u8], i: usize, value: u8) {
    let (byte, bit) = (i * 6 / 8, i * 6 % 8);
    let v = value as u16;
    regs[byte] = (regs[byte] & !((REGISTER_MAX as u16) << bit) as u8) | (v << bit) as u8;
    if let Some(next) = regs.get_mut(byte + 1) {
        let shift = 8 - bit;
        *next = (*next & !((REGISTER_MAX as u16) >> shift) as u8) | (v >> shift) as u8;
    }
}

/// Raises dense register `i` to `value` if lower.
fn dense_raise(regs: &mut [u8], i: usize, value: u8) -> bool {
    if dense_get(regs, i) < value {
        dense_put(regs, i, value);
        true
    } else {
        false
    }
}

/// One decoded sparse opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// A run of zero registers (ZERO or XZERO).
    Zero { len: usize, wide: bool },
    /// A run of registers holding `value`.
    Val { value: u8, len: usize },
}

/// The registers covered and the bytes taken by the opcode at `s[i]` (VAL, XZERO or ZERO; an
/// XZERO cut short by the end of `s` reads its missing byte as 0).
///
/// Each kind of opcode is its own branch, so a walk that advances by the size depends on a
/// predicted branch rather than on the byte just loaded (see `locate`).
#[inline(always)]
fn span_and_size(s: &[u8], i: usize) -> (usize, usize) {
    let b = s[i];
    if b & 0x80 != 0 {
        ((b & 0x03) as usize + 1, 1)
    } else if b & 0x40 != 0 {
        let lo = s.get(i + 1).copied().unwrap_or(0) as usize;
        ((((b & 0x3f) as usize) << 8 | lo) + 1, 2)
    } else {
        (b as usize + 1, 1)
    }
}

impl Op {
    /// Decodes the opcode at `s[i]`.
    fn at(s: &[u8], i: usize) -> Op {
        let b = s[i];
        let (len, size) = span_and_size(s, i);
        if b & 0x80 != 0 {
            Op::Val {
                value: ((b >> 2) & 0x1f) + 1,
                len,
            }
        } else {
            Op::Zero {
                len,
                wide: size == 2,
            }
        }
    }

    /// Registers covered.
    fn len(self) -> usize {
        match self {
            Op::Zero { len, .. } | Op::Val { len, .. } => len,
        }
    }

    /// Bytes taken.
    fn size(self) -> usize {
        match self {
            Op::Zero { wide: true, .. } => 2,
            _ => 1,
        }
    }
}

fn val_byte(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len as u8 - 1)
}

fn push_xzero(v: &mut Vec<u8>, len: usize) {
    let l = len - 1;
    v.push(0x40 | (l >> 8) as u8);
    v.push((l & 0xff) as u8);
}

/// Appends the shortest zero run opcode for `len` registers.
fn push_zero_run(v: &mut Vec<u8>, len: usize) {
    if len > SPARSE_ZERO_MAX_LEN {
        push_xzero(v, len);
    } else {
        v.push(len as u8 - 1);
    }
}

/// Calls `f(first_register, op)` for each opcode of a sparse HLL, in order. Fails when the runs
/// pass the last register or stop short of it.
fn sparse_walk(s: &[u8], mut f: impl FnMut(usize, Op)) -> Result<(), HllError> {
    let mut i = HEADER_LEN;
    let mut reg = 0;
    while i < s.len() {
        let op = Op::at(s, i);
        if reg + op.len() > REGISTERS {
            return Err(HllError::Corrupt);
        }
        f(reg, op);
        reg += op.len();
        i += op.size();
    }
    if reg == REGISTERS {
        Ok(())
    } else {
        Err(HllError::Corrupt)
    }
}

/// Turns a sparse HLL dense, keeping the header (magic and cached cardinality).
pub fn sparse_to_dense(s: &mut Vec<u8>) -> Result<(), HllError> {
    if is_dense(s) {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_LEN];
    dense[..HEADER_LEN].copy_from_slice(&s[..HEADER_LEN]);
    dense[4] = ENCODING_DENSE;
    let regs = &mut dense[HEADER_LEN..];
    sparse_walk(s, |first, op| {
        if let Op::Val { value, len } = op {
            for r in first..first + len {
                dense_put(regs, r, value);
            }
        }
    })?;
    *s = dense;
    Ok(())
}

/// Raises register `index` of a sparse HLL, editing the opcode stream in place the way Redis
/// does (split the run that covers it, then merge equal neighbouring VAL runs), so that both
/// servers produce the same bytes. Promotes to dense when needed.
fn sparse_raise(
    s: &mut Vec<u8>,
    index: usize,
    value: u8,
    sparse_max: usize,
) -> Result<bool, HllError> {
    if value > SPARSE_VAL_MAX_VALUE {
        return promote(s, index, value);
    }
    let (at, first, prev) = locate(s, index)?;
    let op = Op::at(s, at);
    if at + op.size() > s.len() {
        return Err(HllError::Corrupt);
    }
    let last = first + op.len() - 1;
    match op {
        Op::Val { value: old, .. } if old >= value => return Ok(false),
        Op::Val { len: 1, .. }
        | Op::Zero {
            len: 1,
            wide: false,
        } => {
            s[at] = val_byte(value, 1);
        }
        _ => {
            let mut seq = Vec::with_capacity(5);
            match op {
                Op::Zero { .. } => {
                    if index != first {
                        push_zero_run(&mut seq, index - first);
                    }
                    seq.push(val_byte(value, 1));
                    if index != last {
                        push_zero_run(&mut seq, last - index);
                    }
                }
                Op::Val { value: old, .. } => {
                    if index != first {
                        seq.push(val_byte(old, index - first));
                    }
                    seq.push(val_byte(value, 1));
                    if index != last {
                        seq.push(val_byte(old, last - index));
                    }
                }
            }
            if seq.len() > op.size() && s.len() + seq.len() - op.size() > sparse_max {
                return promote(s, index, value);
            }
            s.splice(at..at + op.size(), seq);
        }
    }
    merge_vals(s, prev.unwrap_or(HEADER_LEN));
    Ok(true)
}

/// The sparse opcode covering register `index`: its offset, the first register it covers, and
/// the offset of the opcode before it.
///
/// Each kind of opcode advances on its own branch: the offset of the next opcode then depends
/// on a predicted branch rather than on the value just loaded, so the processor runs ahead
/// instead of waiting for each load in turn (PFADD to a sparse HLL of 1924 bytes spends most of
/// its time here, as Redis's does).
fn locate(s: &[u8], index: usize) -> Result<(usize, usize, Option<usize>), HllError> {
    let (mut at, mut first, mut prev) = (HEADER_LEN, 0usize, None);
    while at < s.len() {
        let (span, size) = span_and_size(s, at);
        if index < first + span {
            return Ok((at, first, prev));
        }
        prev = Some(at);
        at += size;
        first += span;
    }
    Err(HllError::Corrupt)
}

/// Merges neighbouring VAL opcodes of equal value whose lengths fit one opcode, looking at up
/// to five opcodes from `from`.
fn merge_vals(s: &mut Vec<u8>, from: usize) {
    let mut p = from;
    let mut budget = 5;
    while p < s.len() && budget > 0 {
        budget -= 1;
        match Op::at(s, p) {
            Op::Zero { wide, .. } => {
                p += if wide { 2 } else { 1 };
                continue;
            }
            Op::Val { value, len } => {
                if p + 1 < s.len() {
                    if let Op::Val {
                        value: v2,
                        len: len2,
                    } = Op::at(s, p + 1)
                    {
                        if v2 == value && len + len2 <= SPARSE_VAL_MAX_LEN {
                            s[p + 1] = val_byte(value, len + len2);
                            s.remove(p);
                            continue;
                        }
                    }
                }
                p += 1;
            }
        }
    }
}

/// Turns `s` dense, then raises register `index`.
fn promote(s: &mut Vec<u8>, index: usize, value: u8) -> Result<bool, HllError> {
    sparse_to_dense(s)?;
    dense_raise(&mut s[HEADER_LEN..], index, value);
    invalidate_cache(s);
    Ok(true)
}

/// Raises each of `max[i]` to register `i` of the HLL `s` (the union of the two).
pub fn merge_into(max: &mut [u8], s: &[u8]) -> Result<(), HllError> {
    if is_dense(s) {
        let regs = &s[HEADER_LEN..];
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(regs, i));
        }
        Ok(())
    } else {
        sparse_walk(s, |first, op| {
            if let Op::Val { value, len } = op {
                for m in &mut max[first..first + len] {
                    *m = (*m).max(value);
                }
            }
        })
    }
}

/// How many registers hold each value, for the HLL `s`.
pub fn histogram(s: &[u8]) -> Result<[u32; 64], HllError> {
    let mut h = [0u32; 64];
    if is_dense(s) {
        let regs = &s[HEADER_LEN..];
        for i in 0..REGISTERS {
            h[dense_get(regs, i) as usize] += 1;
        }
    } else {
        sparse_walk(s, |_, op| match op {
            Op::Zero { len, .. } => h[0] += len as u32,
            Op::Val { value, len } => h[value as usize] += len as u32,
        })?;
    }
    Ok(h)
}

/// The histogram of one byte per register (a merged union).
pub fn raw_histogram(max: &[u8]) -> [u32; 64] {
    let mut h = [0u32; 64];
    for &v in max {
        h[(v & REGISTER_MAX) as usize] += 1;
    }
    h
}

/// The cardinality estimate from a register histogram (Ertl's improved estimator, the one
/// Redis uses since 5.0).
pub fn estimate(h: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - h[Q as usize + 1] as f64) / m);
    for j in (1..=Q as usize).rev() {
        z += h[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(h[0] as f64 / m);
    const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
    (ALPHA_INF * m * m / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if z == before {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if z == before {
            return z / 3.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(n: usize, prefix: &str) -> Vec<u8> {
        let mut s = new_sparse();
        for i in 0..n {
            add(&mut s, format!("{prefix}{i}").as_bytes()).unwrap();
        }
        s
    }

    #[test]
    fn murmur_matches_known_values() {
        assert_eq!(murmur64a(b"", 0), 0);
        // Same input, different lengths and seeds give different hashes; tails are mixed in.
        assert_ne!(murmur64a(b"a", HASH_SEED), murmur64a(b"b", HASH_SEED));
        assert_ne!(
            murmur64a(b"abcdefgh1", HASH_SEED),
            murmur64a(b"abcdefgh2", HASH_SEED)
        );
    }

    #[test]
    fn a_new_hll_is_one_xzero_run() {
        let s = new_sparse();
        assert_eq!(s.len(), 18);
        assert_eq!(&s[..5], b"HYLL\x01");
        assert_eq!(&s[16..], &[0x7f, 0xff]);
        assert_eq!(validate(&s), Ok(()));
        assert_eq!(cached_count(&s), Some(0));
        assert_eq!(estimate(&histogram(&s).unwrap()), 0);
    }

    #[test]
    fn validation_checks_magic_encoding_and_dense_size() {
        assert_eq!(validate(b"HYLL"), Err(HllError::NotHll));
        let mut s = new_sparse();
        s[0] = b'h';
        assert_eq!(validate(&s), Err(HllError::NotHll));
        let mut s = new_sparse();
        s[4] = 2;
        assert_eq!(validate(&s), Err(HllError::NotHll));
        let mut s = new_sparse();
        s[4] = 0;
        assert_eq!(validate(&s), Err(HllError::NotHll));
    }

    #[test]
    fn sparse_edits_split_and_merge_runs() {
        let mut s = new_sparse();
        assert_eq!(set_register(&mut s, 100, 3, 3000), Ok(true));
        assert_eq!(&s[16..], &[0x40, 99, val_byte(3, 1), 0x7f, 0x9a]);
        assert_eq!(set_register(&mut s, 100, 2, 3000), Ok(false));
        assert_eq!(set_register(&mut s, 101, 3, 3000), Ok(true));
        assert_eq!(s[18], val_byte(3, 2));
        let mut max = vec![0u8; REGISTERS];
        merge_into(&mut max, &s).unwrap();
        assert_eq!((max[99], max[100], max[101], max[102]), (0, 3, 3, 0));
    }

    #[test]
    fn big_values_and_big_strings_turn_dense() {
        let mut s = new_sparse();
        set_register(&mut s, 7, 40, 3000).unwrap();
        assert!(is_dense(&s));
        assert_eq!(s.len(), DENSE_LEN);
        assert_eq!(dense_get(&s[HEADER_LEN..], 7), 40);
        let s = filled(5000, "e");
        assert!(is_dense(&s));
        let small = filled(100, "e");
        assert!(!is_dense(&small));
    }

    #[test]
    fn dense_and_sparse_count_the_same() {
        let sparse = filled(1000, "x");
        let mut dense = sparse.clone();
        sparse_to_dense(&mut dense).unwrap();
        let (a, b) = (histogram(&sparse).unwrap(), histogram(&dense).unwrap());
        assert_eq!(a, b);
        let n = estimate(&a);
        assert!((950..=1050).contains(&n), "{n}");
        let mut max = vec![0u8; REGISTERS];
        merge_into(&mut max, &dense).unwrap();
        assert_eq!(estimate(&raw_histogram(&max)), n);
    }

    #[test]
    fn the_last_dense_register_fits_in_the_buffer() {
        let mut regs = vec![0u8; DENSE_LEN - HEADER_LEN];
        dense_put(&mut regs, REGISTERS - 1, 63);
        assert_eq!(dense_get(&regs, REGISTERS - 1), 63);
        assert_eq!(dense_get(&regs, REGISTERS - 2), 0);
    }

    #[test]
    fn the_cache_round_trips_and_goes_stale() {
        let mut s = new_sparse();
        set_cached_count(&mut s, 12345);
        assert_eq!(cached_count(&s), Some(12345));
        invalidate_cache(&mut s);
        assert_eq!(cached_count(&s), None);
    }
}
