//! Writing a snapshot file with direct I/O, and making it durable under its final name.
//!
//! Owns: `DirectFile`, a `Write` that sends the bytes to a file opened with `O_DIRECT` through a
//! 4 KiB-aligned buffer of its own, in whole blocks, so a multi-gigabyte snapshot does not push
//! the dataset's pages out of the page cache nor leave gigabytes of dirty pages for the kernel
//! to flush at once. The last, partial block is padded with zeros, written, and cut off again
//! with `ftruncate`, so every write stays aligned and the file has its exact length. A file
//! system that refuses `O_DIRECT` (tmpfs) gets the same bytes through the page cache. Also
//! `FdSink`, a plain `Write` over a descriptor (a pipe or a socket, for a replica), and
//! `publish`, which renames the finished temp file over the snapshot and syncs the directory,
//! so a crash leaves either the old file or the new one, never a torn one.
//!
//! Must not: log or touch the server's state: it runs in the snapshot child.

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Alignment of buffer address, file offset and length for `O_DIRECT` (covers 512-byte and
/// 4 KiB logical blocks).
pub const BLOCK: usize = 4096;
/// Size of a `DirectFile`'s buffer: what one write system call carries.
pub const BUFFER: usize = 1 << 20;

/// A heap buffer aligned to [`BLOCK`], owned uniquely.
pub struct AlignedBuf {
    ptr: std::ptr::NonNull<u8>,
    cap: usize,
}

// SAFETY: the buffer is a plain heap allocation owned by this value alone; moving it to another
// thread moves the ownership with it.
unsafe impl Send for AlignedBuf {}

impl AlignedBuf {
    /// A zeroed buffer of `cap` bytes (rounded up to a whole block).
    pub fn new(cap: usize) -> AlignedBuf {
        let cap = cap.div_ceil(BLOCK).max(1) * BLOCK;
        let layout = std::alloc::Layout::from_size_align(cap, BLOCK).expect("valid layout");
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        let ptr =
            std::ptr::NonNull::new(p).unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
        AlignedBuf { ptr, cap }
    }

    /// Capacity in bytes, a multiple of [`BLOCK`].
    pub fn capacity(&self) -> usize {
        self.cap
    }

    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: `ptr` points to `cap` initialised (zeroed at allocation) bytes owned by self.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.cap) }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        let layout = std::alloc::Layout::from_size_align(self.cap, BLOCK).expect("valid layout");
        // SAFETY: frees the allocation made in `new` with the same layout, once.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), layout) };
    }
}

/// A file written in aligned blocks with `O_DIRECT` (or through the page cache where the file
/// system refuses it). Call [`DirectFile::finish`] at the end: dropping it loses the buffered
/// tail.
pub struct DirectFile {
    file: File,
    buf: AlignedBuf,
    /// Bytes in `buf`.
    len: usize,
    /// Bytes handed to the file so far (whole blocks while direct).
    written: u64,
    direct: bool,
}

impl DirectFile {
    /// Creates (or truncates) `path`, mode 0644, for direct writes through `buf`.
    pub fn create(path: &Path, buf: AlignedBuf) -> io::Result<DirectFile> {
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL byte"))?;
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC;
        let mut direct = true;
        // SAFETY: `c` is a valid NUL-terminated path; open has no other preconditions.
        let mut fd = unsafe { libc::open(c.as_ptr(), flags | libc::O_DIRECT, 0o644) };
        if fd < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
            direct = false;
            // SAFETY: as above.
            fd = unsafe { libc::open(c.as_ptr(), flags, 0o644) };
        }
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and is owned by nothing else.
        let file = unsafe { File::from_raw_fd(fd) };
        Ok(DirectFile {
            file,
            buf,
            len: 0,
            written: 0,
            direct,
        })
    }

    /// True while writes bypass the page cache.
    pub fn is_direct(&self) -> bool {
        self.direct
    }

    /// Bytes accepted so far (written or buffered).
    pub fn len(&self) -> u64 {
        self.written + self.len as u64
    }

    /// True when nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes `buf[..n]` at the current end of file; `n` is a whole number of blocks unless
    /// direct I/O is off.
    fn write_out(&mut self, n: usize) -> io::Result<()> {
        let fd = self.file.as_raw_fd();
        let mut done = 0;
        while done < n {
            let chunk = &self.buf.as_mut_slice()[done..n];
            // SAFETY: `chunk` is valid for reads of its length; the offset is where the file
            // ends so far. With O_DIRECT, address, offset and length are block aligned.
            let r = unsafe {
                libc::pwrite(
                    fd,
                    chunk.as_ptr() as *const libc::c_void,
                    chunk.len(),
                    (self.written + done as u64) as libc::off_t,
                )
            };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if r == 0 {
                return Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0"));
            }
            done += r as usize;
            if self.direct && done < n && done % BLOCK != 0 {
                // A short write off a block boundary would misalign every later one.
                self.stop_direct()?;
            }
        }
        self.written += n as u64;
        Ok(())
    }

    /// Turns `O_DIRECT` off for the rest of the file.
    fn stop_direct(&mut self) -> io::Result<()> {
        let fd = self.file.as_raw_fd();
        // SAFETY: reads and sets the status flags of a descriptor this value owns.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_DIRECT) < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        self.direct = false;
        Ok(())
    }

    /// Writes the buffered tail, sets the exact length, and syncs the data (`fdatasync`).
    /// Returns the file.
    pub fn finish(mut self) -> io::Result<File> {
        let tail = self.len;
        if tail > 0 {
            let length = self.written + tail as u64;
            if self.direct {
                let padded = tail.div_ceil(BLOCK) * BLOCK;
                self.buf.as_mut_slice()[tail..padded].fill(0);
                self.write_out(padded)?;
                self.file.set_len(length)?;
            } else {
                self.write_out(tail)?;
            }
            self.written = length;
            self.len = 0;
        }
        self.file.sync_data()?;
        Ok(self.file)
    }
}

impl Write for DirectFile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let cap = self.buf.capacity();
        let n = data.len().min(cap - self.len);
        let len = self.len;
        self.buf.as_mut_slice()[len..len + n].copy_from_slice(&data[..n]);
        self.len += n;
        if self.len == cap {
            self.write_out(cap)?;
            self.len = 0;
        }
        Ok(n)
    }

    /// Does nothing: only whole buffers leave before [`DirectFile::finish`].
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A plain `Write` over a descriptor: a pipe or a socket (blocking or not: a non-blocking one
/// is waited for with `poll`).
pub struct FdSink {
    fd: OwnedFd,
}

impl FdSink {
    /// Writes to `fd`.
    pub fn new(fd: OwnedFd) -> FdSink {
        FdSink { fd }
    }

    fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl Write for FdSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        loop {
            // SAFETY: `data` is valid for reads of its length; the descriptor is owned by self.
            let r = unsafe {
                libc::write(self.raw(), data.as_ptr() as *const libc::c_void, data.len())
            };
            if r >= 0 {
                return Ok(r as usize);
            }
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => {
                    let mut p = libc::pollfd {
                        fd: self.raw(),
                        events: libc::POLLOUT,
                        revents: 0,
                    };
                    // SAFETY: one valid pollfd, waited on without a timeout.
                    unsafe { libc::poll(&mut p, 1, -1) };
                }
                _ => return Err(e),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Renames the finished `temp` over `target` (same directory), then syncs the directory so the
/// new name survives a crash. On a failed rename the temp file is removed.
pub fn publish(temp: &Path, target: &Path) -> io::Result<()> {
    if let Err(e) = std::fs::rename(temp, target) {
        let _ = std::fs::remove_file(temp);
        return Err(e);
    }
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn every_length_round_trips_exactly() {
        let tmp = tempfile::tempdir().unwrap();
        for n in [
            0,
            1,
            4095,
            4096,
            4097,
            BUFFER - 1,
            BUFFER,
            BUFFER + 5000,
            3 * BUFFER + 17,
        ] {
            let path = tmp.path().join(format!("f{n}"));
            let mut f = DirectFile::create(&path, AlignedBuf::new(BUFFER)).unwrap();
            let data = pattern(n);
            // Odd-sized pieces, as the RDB writer hands them.
            for piece in data.chunks(65_531) {
                f.write_all(piece).unwrap();
            }
            assert_eq!(f.len(), n as u64);
            f.finish().unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), data, "length {n}");
        }
    }

    #[test]
    fn publish_replaces_the_target_and_removes_the_temp_name() {
        let tmp = tempfile::tempdir().unwrap();
        let (temp, target) = (tmp.path().join("temp-1.rdb"), tmp.path().join("dump.rdb"));
        std::fs::write(&target, b"old").unwrap();
        std::fs::write(&temp, b"new").unwrap();
        publish(&temp, &target).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert!(!temp.exists());
        assert!(publish(&temp, &target).is_err());
    }

    #[test]
    fn a_pipe_receives_what_the_sink_writes() {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe() returns.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both descriptors were just created and are owned by nothing else.
        let (r, w) = unsafe { (File::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let mut sink = FdSink::new(w);
        sink.write_all(b"REDIS0010").unwrap();
        drop(sink);
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut { r }, &mut got).unwrap();
        assert_eq!(got, b"REDIS0010");
    }
}
