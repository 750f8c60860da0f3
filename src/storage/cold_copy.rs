//! Writing a value over memory that is probably not in the cache.
//!
//! A SET that overwrites a long value in place writes to memory last touched when the key was
//! stored. Ordinary stores first read every cache line they write (16 reads from memory for a
//! 1 KiB value); streaming stores write whole lines without reading them. Measured with
//! `SET -d 1024 -P 16` over 100k keys: 1.40 -> 1.34 µs of server CPU per request.

/// Values shorter than this are copied the ordinary way: a few lines gain nothing from
/// streaming, and the fence after it costs.
const STREAM_FROM: usize = 256;

/// Copies `src` over `dst`, which must be as long.
pub fn copy_to_cold(dst: &mut [u8], src: &[u8]) {
    assert_eq!(dst.len(), src.len(), "copy_to_cold needs equal lengths");
    #[cfg(target_arch = "x86_64")]
    if dst.len() >= STREAM_FROM {
        stream_copy(dst, src);
        return;
    }
    dst.copy_from_slice(src);
}

#[cfg(target_arch = "x86_64")]
fn stream_copy(dst: &mut [u8], src: &[u8]) {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_sfence, _mm_stream_si128};
    let len = dst.len();
    let head = dst.as_ptr().align_offset(16).min(len);
    let end = head + (len - head) / 16 * 16;
    dst[..head].copy_from_slice(&src[..head]);
    let mut i = head;
    while i < end {
        // SAFETY: `i + 16 <= end <= len` for both slices (same length); `dst + i` is 16-byte
        // aligned (`head` aligns it, steps are 16), as `_mm_stream_si128` requires; the load
        // is unaligned. SSE2 is part of the x86_64 baseline.
        unsafe {
            let v = _mm_loadu_si128(src.as_ptr().add(i) as *const __m128i);
            _mm_stream_si128(dst.as_mut_ptr().add(i) as *mut __m128i, v);
        }
        i += 16;
    }
    // Streaming stores are weakly ordered: fence them before anything else can read the value.
    // SAFETY: SSE is part of the x86_64 baseline; the fence touches no memory of ours.
    unsafe { _mm_sfence() };
    dst[end..].copy_from_slice(&src[end..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_every_length_at_every_alignment() {
        let src: Vec<u8> = (0..2100u32).map(|i| (i * 7 + 3) as u8).collect();
        for offset in 0..16 {
            for len in [0, 1, 15, 16, 17, 255, 256, 257, 1000, 1024, 2048] {
                let mut buf = vec![0u8; len + offset + 16];
                copy_to_cold(&mut buf[offset..offset + len], &src[..len]);
                assert_eq!(
                    &buf[offset..offset + len],
                    &src[..len],
                    "len {len} offset {offset}"
                );
                assert!(buf[..offset].iter().all(|&b| b == 0), "nothing before");
                assert!(buf[offset + len..].iter().all(|&b| b == 0), "nothing after");
            }
        }
    }
}
