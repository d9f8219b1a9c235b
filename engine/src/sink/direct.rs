//! Output files written around the page cache (`O_DIRECT`).
//!
//! A run's CSV or PGCOPY output is written once and not read back by the run, yet a buffered
//! write copies every byte into the page cache first: at XL (1.2 GB of CSV) that copy was 14%
//! of the run's CPU in `perf` (`copy_folio_from_iter_atomic`), on a 2-core machine where CPU is
//! the wall time. With `O_DIRECT` the disk reads the bytes from our buffer. Direct writes must
//! start at aligned offsets, from aligned memory, in whole blocks, so bytes are staged in an
//! aligned buffer and written a whole buffer at a time; the last, partial block is written
//! through the page cache, and so is everything if the file system refuses direct writes.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Alignment of offsets, lengths and memory for direct writes: 4 KiB covers 512-byte and 4 KiB
/// logical blocks. A device asking for more makes the first write fail, and the file falls
/// back to buffered writes.
const ALIGN: usize = 4096;

/// Bytes staged per direct write: a multiple of [`ALIGN`]; about a millisecond of this
/// machine's disk (1.3 GB/s with `dd oflag=direct`). A 4 MiB stage was no faster at XL and
/// held 3 MiB more.
const STAGE: usize = 1 << 20;

pub struct DirectFile {
    file: File,
    /// `STAGE + ALIGN` bytes; the staged bytes are `buf[start..start + filled]`, with
    /// `buf[start..]` aligned to [`ALIGN`] in memory.
    buf: Vec<u8>,
    start: usize,
    filled: usize,
    /// Whether the descriptor still has `O_DIRECT`.
    direct: bool,
}

impl DirectFile {
    /// Creates (truncates) `path` for direct writes; `None` if the file system refuses
    /// `O_DIRECT` (tmpfs before Linux 6.6, some network and FUSE file systems), so the caller
    /// writes it buffered.
    pub fn create(path: &Path) -> io::Result<Option<DirectFile>> {
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::OpenOptionsExt;
            let opened = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .custom_flags(libc::O_DIRECT)
                .open(path);
            match opened {
                Ok(file) => Ok(Some(DirectFile::new(file))),
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(None),
                Err(e) => Err(e),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = path;
            Ok(None)
        }
    }

    fn new(file: File) -> DirectFile {
        let buf = vec![0u8; STAGE + ALIGN];
        let start = buf.as_ptr().align_offset(ALIGN);
        DirectFile {
            file,
            buf,
            start,
            filled: 0,
            direct: true,
        }
    }

    fn staged(&self) -> &[u8] {
        &self.buf[self.start..self.start + self.filled]
    }

    /// Writes the staged bytes: the whole blocks directly, a partial last block (only at
    /// [`Write::flush`]) through the page cache, with `O_DIRECT` off from then on since the
    /// file's end is no longer aligned.
    fn drain(&mut self) -> io::Result<()> {
        let whole = self.filled - self.filled % ALIGN;
        let mut done = 0;
        if self.direct && whole > 0 {
            match write_direct(&self.file, &self.staged()[..whole]) {
                Ok(()) => done = whole,
                // The device wants a larger alignment: nothing was written, go buffered.
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
                Err(e) => return Err(e),
            }
        }
        if done < self.filled {
            self.set_buffered()?;
            (&self.file).write_all(&self.staged()[done..])?;
        }
        self.filled = 0;
        Ok(())
    }

    /// Turns `O_DIRECT` off for the rest of the file.
    fn set_buffered(&mut self) -> io::Result<()> {
        if self.direct {
            clear_direct(&self.file)?;
            self.direct = false;
        }
        Ok(())
    }

    /// Writes what is staged, then syncs data and metadata (`fsync`) and hands the file back.
    pub fn sync(mut self) -> io::Result<File> {
        self.drain()?;
        self.file.sync_all()?;
        Ok(self.file)
    }
}

/// One direct write of all of `bytes`. A short write is an error rather than a retry: the file
/// offset would no longer be aligned for the next direct write, and on a regular file it means
/// the disk is full.
fn write_direct(mut file: &File, bytes: &[u8]) -> io::Result<()> {
    let n = file.write(bytes)?;
    if n == bytes.len() {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "short write: {n} of {} bytes (disk full?)",
        bytes.len()
    )))
}

impl Write for DirectFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = bytes.len().min(STAGE - self.filled);
        let at = self.start + self.filled;
        self.buf[at..at + n].copy_from_slice(&bytes[..n]);
        self.filled += n;
        if self.filled == STAGE {
            self.drain()?;
        }
        Ok(n)
    }

    /// Writes everything staged, the partial last block included (buffered from then on).
    fn flush(&mut self) -> io::Result<()> {
        self.drain()
    }
}

/// The descriptor's status flags (`F_GETFL`).
#[cfg(target_os = "linux")]
fn status_flags(file: &File) -> io::Result<libc::c_int> {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is borrowed from `file`, open for the call; F_GETFL reads its
    // status flags and touches no memory of ours.
    let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
    match flags {
        f if f < 0 => Err(io::Error::last_os_error()),
        f => Ok(f),
    }
}

#[cfg(target_os = "linux")]
fn clear_direct(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let flags = status_flags(file)? & !libc::O_DIRECT;
    // SAFETY: as in `status_flags`; F_SETFL sets the status flags and touches no memory of ours.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETFL, flags) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn clear_direct(_file: &File) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::Read;
    use std::path::PathBuf;

    fn has_direct(file: &File) -> bool {
        status_flags(file).unwrap() & libc::O_DIRECT != 0
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 253) as u8).collect()
    }

    fn read(path: &Path) -> Vec<u8> {
        let mut back = Vec::new();
        File::open(path).unwrap().read_to_end(&mut back).unwrap();
        std::fs::remove_file(path).unwrap();
        back
    }

    /// A direct file in the temp folder, or `None` (and a line saying so) where its file
    /// system refuses O_DIRECT: nothing direct to test there.
    fn direct_file(name: &str) -> Option<(PathBuf, DirectFile)> {
        let path = std::env::temp_dir().join(format!("ocp-direct-{name}-{}", std::process::id()));
        match DirectFile::create(&path).unwrap() {
            Some(file) => Some((path, file)),
            None => {
                eprintln!("{} refuses O_DIRECT; skipped", path.display());
                None
            }
        }
    }

    /// Whole stages go out directly as they fill, the partial tail through the page cache at
    /// the end, and the file holds every byte in order, from writes of awkward sizes.
    #[test]
    fn writes_whole_stages_directly_and_every_byte_in_order() {
        let Some((path, mut out)) = direct_file("stages") else {
            return;
        };
        let data = pattern(2 * STAGE + 12_345);
        let mut at = 0;
        for size in [1, 4095, 4097, STAGE - 1, 3, 1 << 20, 7].iter().cycle() {
            let end = (at + size).min(data.len());
            out.write_all(&data[at..end]).unwrap();
            at = end;
            if at == data.len() {
                break;
            }
        }
        assert!(has_direct(&out.file), "still direct before the tail");
        let on_disk = out.file.metadata().unwrap().len();
        assert_eq!(
            on_disk,
            2 * STAGE as u64,
            "two full stages written, the tail staged"
        );
        out.flush().unwrap();
        assert!(
            !has_direct(&out.file),
            "the unaligned tail turns O_DIRECT off"
        );
        out.write_all(&data[..100]).unwrap();
        out.sync().unwrap();
        let mut want = data;
        want.extend_from_within(..100);
        assert_eq!(read(&path), want);
    }

    /// A direct write the kernel refuses with EINVAL (here: staging memory off the alignment,
    /// as a device with larger blocks would refuse it) loses nothing: the file goes on
    /// buffered, with every byte in order.
    #[test]
    fn a_refused_direct_write_falls_back_to_buffered() {
        let Some((path, mut out)) = direct_file("refused") else {
            return;
        };
        out.start += 1; // within the ALIGN spare bytes, and no longer aligned
        let data = pattern(STAGE + 5);
        out.write_all(&data).unwrap();
        assert!(!has_direct(&out.file), "O_DIRECT off after the refusal");
        assert_eq!(out.file.metadata().unwrap().len(), STAGE as u64);
        out.sync().unwrap();
        assert_eq!(read(&path), data);
    }
}
