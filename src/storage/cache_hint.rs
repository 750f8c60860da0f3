//! Asking the processor for a cache line ahead of its use.
//!
//! Owns: the one prefetch instruction the read-ahead (`server::prefetch`) and the key table use.
//! A prefetch, unlike a load, retires at once: the processor goes on with the next key while
//! the line is on its way, so the misses of several keys overlap.

/// Starts bringing the cache line at `p` into every level of the cache. Any address is fine: a
/// prefetch never faults.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of the x86_64 baseline, and a prefetch does not access memory
    // architecturally, so it cannot fault whatever `p` is.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
