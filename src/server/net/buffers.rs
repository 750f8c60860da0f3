//! The provided-buffer ring a multishot receive fills.
//!
//! Owns: a page-aligned ring of buffer descriptors registered with the kernel under one buffer
//! group, and the memory the descriptors point to. The kernel picks a free buffer per received
//! chunk; the driver copies the bytes out and hands the buffer straight back.

use io_uring::types::BufRingEntry;
use io_uring::IoUring;
use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::sync::atomic::{AtomicU16, Ordering};

/// Buffers registered with one ring under one group id.
pub struct ProvidedBuffers {
    entries: *mut BufRingEntry,
    entries_layout: Layout,
    memory: Box<[u8]>,
    buf_size: usize,
    count: u16,
    tail: u16,
    group: u16,
}

impl ProvidedBuffers {
    /// Allocates `count` (a power of two) buffers of `buf_size` bytes and registers them with
    /// `ring` as group `group`.
    pub fn register(
        ring: &IoUring,
        group: u16,
        count: u16,
        buf_size: usize,
    ) -> std::io::Result<ProvidedBuffers> {
        assert!(count.is_power_of_two());
        let entries_layout =
            Layout::from_size_align(count as usize * std::mem::size_of::<BufRingEntry>(), 4096)
                .expect("valid layout");
        // SAFETY: the layout has a non-zero size; the pointer is checked for null below.
        let entries = unsafe { alloc_zeroed(entries_layout) } as *mut BufRingEntry;
        if entries.is_null() {
            return Err(std::io::Error::from(std::io::ErrorKind::OutOfMemory));
        }
        let mut me = ProvidedBuffers {
            entries,
            entries_layout,
            memory: vec![0u8; buf_size * count as usize].into_boxed_slice(),
            buf_size,
            count,
            tail: 0,
            group,
        };
        // SAFETY: `entries` points to `count` zeroed, page-aligned descriptors that live as long
        // as `me`, which unregisters them on drop only after the ring stops using them (the ring
        // is dropped first by its owner).
        unsafe {
            ring.submitter()
                .register_buf_ring_with_flags(entries as u64, count, group, 0)?
        };
        for bid in 0..count {
            me.push(bid);
        }
        me.publish();
        Ok(me)
    }

    /// The group id to name in receive operations.
    pub fn group(&self) -> u16 {
        self.group
    }

    /// The first `len` bytes of buffer `bid`, as filled by the kernel.
    pub fn get(&self, bid: u16, len: usize) -> &[u8] {
        let start = bid as usize * self.buf_size;
        &self.memory[start..start + len.min(self.buf_size)]
    }

    /// Hands buffer `bid` back (visible to the kernel after `publish`).
    pub fn push(&mut self, bid: u16) {
        let idx = (self.tail & (self.count - 1)) as usize;
        let addr = self.memory.as_ptr() as u64 + (bid as usize * self.buf_size) as u64;
        // SAFETY: idx < count, so the descriptor is inside the allocation; only this thread
        // writes descriptors, and the kernel reads them only after `publish` moves the tail.
        let e = unsafe { &mut *self.entries.add(idx) };
        e.set_addr(addr);
        e.set_len(self.buf_size as u32);
        e.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
    }

    /// Makes the buffers pushed so far visible to the kernel.
    pub fn publish(&self) {
        // SAFETY: the tail field lives inside the first descriptor of our allocation and is
        // only ever accessed atomically by the kernel and by us.
        let tail = unsafe { &*(BufRingEntry::tail(self.entries) as *const AtomicU16) };
        tail.store(self.tail, Ordering::Release);
    }
}

impl Drop for ProvidedBuffers {
    fn drop(&mut self) {
        // SAFETY: allocated in `register` with this very layout.
        unsafe { dealloc(self.entries as *mut u8, self.entries_layout) };
    }
}
