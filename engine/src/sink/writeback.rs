//! Output files whose writeback starts while they are written, so the closing `fsync` is short.
//!
//! Every file output goes to a temporary name, is synced, then renamed into place, so a crash
//! never leaves a half-written file under the final name. Left alone, the kernel writes dirty
//! pages back only after its expiry interval (30 s by default) or under memory pressure, so the
//! closing `fsync` waited for the whole file: 0.13 s of a 0.91 s run at L (244 MB of CSV). Asking
//! for writeback of each finished window as soon as it is written lets the disk work while the
//! run computes, and leaves the `fsync` the last window and the metadata.

use std::fs::File;
use std::io::{self, Write};

/// Bytes written before their writeback is requested: large enough that the call is rare (one
/// per ~25 render chunks), small enough that the last window flushes in a few milliseconds.
const WINDOW: u64 = 8 << 20;

/// A [`File`] that asks the kernel to start writing back each [`WINDOW`] once it is written.
pub struct WritebackFile {
    file: File,
    written: u64,
    /// Where the window not yet handed to writeback starts.
    requested: u64,
}

impl WritebackFile {
    pub fn new(file: File) -> Self {
        WritebackFile {
            file,
            written: 0,
            requested: 0,
        }
    }

    /// Flushes the file's data and metadata to disk (`fsync`) and hands the file back.
    pub fn sync(self) -> io::Result<File> {
        self.file.sync_all()?;
        Ok(self.file)
    }

    fn request_writeback(&mut self) {
        start_writeback(&self.file, self.requested, self.written - self.requested);
        self.requested = self.written;
    }
}

impl Write for WritebackFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.requested >= WINDOW {
            self.request_writeback();
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Queues `len` bytes from `offset` for writeback and returns without waiting. Its result is
/// ignored on purpose: it is only a hint, and the closing `fsync` reports any write error.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: sync_file_range takes an open descriptor (borrowed from `file`, alive for the call)
    // and integers; it reads or writes no memory of ours.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Bytes go through unchanged across window boundaries, in writes of awkward sizes.
    #[test]
    fn writes_every_byte_in_order() {
        let path = std::env::temp_dir().join(format!("ocp-writeback-{}", std::process::id()));
        let mut out = WritebackFile::new(File::create(&path).unwrap());
        let data: Vec<u8> = (0..(2 * WINDOW + 12_345))
            .map(|i| (i % 251) as u8)
            .collect();
        for piece in data.chunks(1_000_003) {
            out.write_all(piece).unwrap();
        }
        // The first write that completes a window hands it over (the 9th); the rest is short of
        // one.
        assert_eq!(out.requested, 9 * 1_000_003);
        out.sync().unwrap();
        let mut back = Vec::new();
        File::open(&path).unwrap().read_to_end(&mut back).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(back, data);
    }
}
