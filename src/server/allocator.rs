//! The global allocator: mimalloc, with a count of the bytes the process holds allocated.
//!
//! Owns: `CountingMimalloc` (installed by the binary) and `allocated_bytes`, which INFO reports
//! as `used_memory`, the figure Redis reports from its own allocator wrapper. Each thread adds
//! to a counter slot of its own, so the count costs one uncontended atomic add per allocation;
//! frees on another thread than the allocation's only move the balance between slots.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use mimalloc::MiMalloc;

const SLOTS: usize = 64;

/// One counter per cache line, so threads never share one.
#[repr(align(128))]
struct Slot(AtomicIsize);

static COUNTS: [Slot; SLOTS] = [const { Slot(AtomicIsize::new(0)) }; SLOTS];
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // `const` and free of destructors: safe to touch from inside the allocator.
    static MY_SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn count(delta: isize) {
    let slot = MY_SLOT
        .try_with(|s| {
            let mut i = s.get();
            if i == usize::MAX {
                i = NEXT_SLOT.fetch_add(1, Ordering::Relaxed) % SLOTS;
                s.set(i);
            }
            i
        })
        .unwrap_or(0);
    COUNTS[slot].0.fetch_add(delta, Ordering::Relaxed);
}

/// Bytes allocated and not freed, over all threads.
pub fn allocated_bytes() -> u64 {
    let sum: isize = COUNTS.iter().map(|s| s.0.load(Ordering::Relaxed)).sum();
    sum.max(0) as u64
}

/// True once the counting allocator is in use (the binary installs it; tests may not).
pub fn counting() -> bool {
    COUNTS.iter().any(|s| s.0.load(Ordering::Relaxed) != 0)
}

/// mimalloc, counting what it hands out.
pub struct CountingMimalloc;

// SAFETY: every method forwards to mimalloc with the caller's arguments unchanged; counting
// touches only atomics and a const thread-local, and never allocates.
unsafe impl GlobalAlloc for CountingMimalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received; the caller upholds `alloc`'s contract.
        let p = unsafe { MiMalloc.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        let p = unsafe { MiMalloc.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received; `ptr` came from this allocator with `layout`.
        unsafe { MiMalloc.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as received.
        let p = unsafe { MiMalloc.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}
