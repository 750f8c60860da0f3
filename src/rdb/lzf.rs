//! LZF, the compression of RDB strings (`0xC3` strings) and of compressed quicklist nodes.
//!
//! Owns: a compressor and a decompressor of raw LZF blocks, the format of Marc Lehmann's liblzf
//! that Redis embeds. A block is a sequence of tokens:
//!
//! ```text
//! 000LLLLL <L+1 bytes>                 literal run of 1..32 bytes
//! LLLooooo oooooooo                    back-reference of L+2 (3..8) bytes, offset o+1 (1..8192)
//! 111ooooo LLLLLLLL oooooooo           back-reference of L+9 (9..264) bytes, same offsets
//! ```
//!
//! The format does not depend on the match finder, so the compressor is free in how it finds
//! matches; this one hashes three bytes into a table as liblzf does, but starts from an empty
//! table on every call (liblzf starts from whatever its stack held), so its output depends on
//! the input alone. Must not: allocate from a length it was not handed by a caller that
//! bounded it.

use std::cell::RefCell;

/// Longest literal run one token carries.
const MAX_LIT: usize = 32;
/// Farthest a back-reference reaches.
const MAX_OFF: usize = 1 << 13;
/// Longest back-reference, in bytes.
const MAX_REF: usize = (1 << 8) + (1 << 3);
/// Most output bytes one input byte can stand for: a 3-byte token copies at most 264 bytes.
pub const MAX_EXPANSION: usize = 88;

/// Why a block does not decompress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LzfError {
    /// The input ends inside a token.
    Truncated,
    /// A back-reference points before the start of the output.
    BadReference,
    /// The output would be longer than declared.
    TooLong,
    /// The output is shorter than declared.
    TooShort,
    /// The declared length cannot come from an input this short.
    ImpossibleLength,
}

impl std::fmt::Display for LzfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LzfError::Truncated => "LZF data ends inside a token",
            LzfError::BadReference => "LZF back-reference before the start of the output",
            LzfError::TooLong => "LZF output longer than declared",
            LzfError::TooShort => "LZF output shorter than declared",
            LzfError::ImpossibleLength => "LZF declared length too large for its input",
        })
    }
}

/// log2 of the hash table's slots, as in Redis's build of liblzf.
const HLOG: u32 = 16;

thread_local! {
    /// The match finder's hash table, kept between calls: each slot holds the call's generation
    /// in its high half and a position plus one in its low half, so a new call sees an empty
    /// table without clearing 64 Ki slots.
    static TABLE: RefCell<(u32, Vec<u64>)> = const { RefCell::new((0, Vec::new())) };
}

/// Compresses `input`, or returns `None` when the result would take more than `max_out` bytes
/// (Redis asks for at least four bytes saved: `max_out = len - 4`) or `input` is empty.
///
/// Like liblzf as Redis builds it (`HLOG` 16, `VERY_FAST`), including its habit of never
/// referring back to the first byte, so that for ordinary inputs the output is the one Redis
/// writes.
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    if input.is_empty() || max_out == 0 || input.len() >= u32::MAX as usize {
        return None;
    }
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        let (generation, table) = &mut *t;
        if table.is_empty() {
            table.resize(1 << HLOG, 0);
        }
        *generation = generation.wrapping_add(1);
        if *generation == 0 {
            table.fill(0);
            *generation = 1;
        }
        compress_with(input, max_out, table, *generation)
    })
}

fn compress_with(
    input: &[u8],
    max_out: usize,
    table: &mut [u64],
    generation: u32,
) -> Option<Vec<u8>> {
    let n = input.len();
    let mask = (1usize << HLOG) - 1;
    let idx = |h: u32| ((h >> (24 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & mask;
    let hash_at = |p: usize| {
        (u32::from(input[p]) << 16) | (u32::from(input[p + 1]) << 8) | u32::from(input[p + 2])
    };
    let tag = u64::from(generation) << 32;
    let mut remember = |slot: usize, p: usize| -> Option<usize> {
        let old = table[slot];
        table[slot] = tag | (p as u64 + 1);
        (old >> 32 == u64::from(generation)).then(|| (old as u32 - 1) as usize)
    };

    let mut out = Vec::with_capacity(max_out.min(n + n / MAX_LIT + 1));
    let mut run_at = 0; // index in `out` of the current literal run's control byte
    let mut lit = 0;
    out.push(0);
    let mut ip = 0;
    while ip + 2 < n {
        let found = remember(idx(hash_at(ip)), ip).filter(|&r| {
            r > 0 && r < ip && ip - r - 1 < MAX_OFF && input[r..r + 3] == input[ip..ip + 3]
        });
        let Some(r) = found else {
            out.push(input[ip]);
            ip += 1;
            lit += 1;
            if lit == MAX_LIT {
                out[run_at] = (MAX_LIT - 1) as u8;
                run_at = out.len();
                out.push(0);
                lit = 0;
            }
            if out.len() > max_out {
                return None;
            }
            continue;
        };
        // Extend the match, stopping two bytes short of the end as liblzf does.
        let max_len = (n - ip - 2).min(MAX_REF);
        let mut len = 3;
        while len < max_len && input[r + len] == input[ip + len] {
            len += 1;
        }
        if lit > 0 {
            out[run_at] = (lit - 1) as u8;
        } else {
            out.pop();
        }
        let off = ip - r - 1;
        let l = len - 2;
        if l < 7 {
            out.push(((off >> 8) + (l << 5)) as u8);
        } else {
            out.push(((off >> 8) + (7 << 5)) as u8);
            out.push((l - 7) as u8);
        }
        out.push(off as u8);
        run_at = out.len();
        out.push(0);
        lit = 0;
        if out.len() > max_out {
            return None;
        }
        ip += len;
        if ip + 2 >= n {
            break;
        }
        // Hash the two positions just before the next one, so matches can start there.
        for p in [ip - 2, ip - 1] {
            remember(idx(hash_at(p)), p);
        }
    }
    while ip < n {
        out.push(input[ip]);
        ip += 1;
        lit += 1;
        if lit == MAX_LIT {
            out[run_at] = (MAX_LIT - 1) as u8;
            run_at = out.len();
            out.push(0);
            lit = 0;
        }
    }
    if lit > 0 {
        out[run_at] = (lit - 1) as u8;
    } else {
        out.pop();
    }
    (out.len() <= max_out).then_some(out)
}

/// Decompresses `input`, which must produce exactly `out_len` bytes.
///
/// `out_len` is checked against what `input` can produce before anything is allocated, so a
/// forged length cannot make it reserve more than [`MAX_EXPANSION`] times the input.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, LzfError> {
    if out_len > input.len().saturating_mul(MAX_EXPANSION) {
        return Err(LzfError::ImpossibleLength);
    }
    let mut out = Vec::with_capacity(out_len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < MAX_LIT {
            let run = ctrl + 1;
            let lits = input.get(ip..ip + run).ok_or(LzfError::Truncated)?;
            if out.len() + run > out_len {
                return Err(LzfError::TooLong);
            }
            out.extend_from_slice(lits);
            ip += run;
            continue;
        }
        let mut len = ctrl >> 5;
        if len == 7 {
            len += *input.get(ip).ok_or(LzfError::Truncated)? as usize;
            ip += 1;
        }
        let low = *input.get(ip).ok_or(LzfError::Truncated)? as usize;
        ip += 1;
        let back = ((ctrl & 0x1f) << 8) + low + 1;
        len += 2;
        if out.len() + len > out_len {
            return Err(LzfError::TooLong);
        }
        let start = out.len().checked_sub(back).ok_or(LzfError::BadReference)?;
        if back >= len {
            out.extend_from_within(start..start + len);
        } else {
            // The source overlaps what is being written: a run that repeats itself.
            for i in 0..len {
                let b = out[start + i];
                out.push(b);
            }
        }
    }
    if out.len() != out_len {
        return Err(LzfError::TooShort);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) {
        let c = compress(data, data.len() + 64).expect("room for any input");
        assert_eq!(decompress(&c, data.len()).unwrap(), data);
    }

    #[test]
    fn round_trips_text_runs_and_noise() {
        round_trip(b"a");
        round_trip(b"ab");
        round_trip(b"abc");
        round_trip(&[b'a'; 1000]);
        round_trip("hello hello hello hello world, hello again".as_bytes());
        let noise: Vec<u8> = (0..70_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        round_trip(&noise);
        let text: Vec<u8> = (0..200_000)
            .map(|i| b"the quick brown fox "[i % 20])
            .collect();
        round_trip(&text);
        let mixed: Vec<u8> = (0..50_000u32)
            .map(|i| if i % 97 < 50 { b'x' } else { (i % 251) as u8 })
            .collect();
        round_trip(&mixed);
    }

    #[test]
    fn repetitive_input_shrinks_and_noise_is_refused_within_a_budget() {
        let data = vec![b'z'; 10_000];
        let c = compress(&data, data.len() - 4).unwrap();
        assert!(c.len() < 200, "{} bytes", c.len());
        let noise: Vec<u8> = (0..64u32).map(|i| (i * 73 + 11) as u8).collect();
        assert_eq!(compress(&noise, noise.len() - 4), None);
        assert_eq!(compress(b"", 10), None);
    }

    #[test]
    fn decodes_a_block_written_by_liblzf() {
        // Forty `a`s as Redis 7.0 DUMPs them: a two-byte literal, a 36-byte back-reference at
        // distance 1, then a two-byte literal.
        let block = [0x01, b'a', b'a', 0xe0, 0x1b, 0x00, 0x01, b'a', b'a'];
        assert_eq!(decompress(&block, 40).unwrap(), vec![b'a'; 40]);
    }

    #[test]
    fn corrupt_blocks_are_errors() {
        assert_eq!(decompress(&[0x05, b'a'], 6), Err(LzfError::Truncated));
        assert_eq!(decompress(&[0x20], 3), Err(LzfError::Truncated));
        assert_eq!(decompress(&[0xe0], 3), Err(LzfError::Truncated));
        assert_eq!(
            decompress(&[0x00, b'a', 0x20, 0x05], 4),
            Err(LzfError::BadReference)
        );
        assert_eq!(decompress(&[0x01, b'a', b'b'], 1), Err(LzfError::TooLong));
        assert_eq!(decompress(&[0x01, b'a', b'b'], 3), Err(LzfError::TooShort));
        assert_eq!(
            decompress(&[0x00, b'a'], 1000),
            Err(LzfError::ImpossibleLength)
        );
    }
}
