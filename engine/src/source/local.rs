//! A local folder as an [`ObjectStore`].
//!
//! Ranges are read with positional reads (`pread`), so worker threads can share one store without
//! seeking a shared cursor, into buffers the store lends out and takes back ([`BufferPool`]).

use super::buffers::BufferPool;
use super::{ObjectMeta, ObjectStore, SourceError};
use bytes::Bytes;
use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Objects are the files below `root`; keys are their relative paths.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
    buffers: Arc<BufferPool>,
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStore {
            root: root.into(),
            buffers: Arc::default(),
        }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    fn io_err(&self, key: &str, source: std::io::Error) -> SourceError {
        SourceError::Io {
            location: self.describe(key),
            source,
        }
    }
}

impl ObjectStore for LocalStore {
    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, SourceError> {
        let dir = self.path(prefix);
        let mut out = Vec::new();
        if dir.is_dir() {
            walk(&self.root, &dir, &mut out).map_err(|e| self.io_err(prefix, e))?;
        }
        out.sort();
        Ok(out)
    }

    fn prefix_exists(&self, prefix: &str) -> Result<bool, SourceError> {
        Ok(self.path(prefix).exists())
    }

    fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, SourceError> {
        let file = File::open(self.path(key)).map_err(|e| self.io_err(key, e))?;
        let size = file.metadata().map_err(|e| self.io_err(key, e))?.len();
        if range.start > range.end || range.end > size {
            return Err(SourceError::OutOfRange {
                location: self.describe(key),
                start: range.start,
                end: range.end,
                size,
            });
        }
        let len = (range.end - range.start) as usize;
        BufferPool::read(&self.buffers, len, |buf| {
            file.read_exact_at(buf, range.start)
        })
        .map_err(|e| self.io_err(key, e))
    }

    fn describe(&self, key: &str) -> String {
        self.path(key).display().to_string()
    }

    /// `posix_fadvise(WILLNEED)`: the kernel starts reading the range into the page cache and
    /// returns, so a file not yet cached is read from disk while the workers decode earlier row
    /// groups, instead of each worker blocking on its own reads in turn.
    fn will_need(&self, key: &str, ranges: &[Range<u64>]) {
        let Ok(file) = File::open(self.path(key)) else {
            return;
        };
        for range in ranges {
            let (Ok(start), Ok(len)) = (
                i64::try_from(range.start),
                i64::try_from(range.end - range.start),
            ) else {
                continue;
            };
            #[cfg(target_os = "linux")]
            // SAFETY: `file` is open for the whole call, so its descriptor is valid; the call
            // only advises the kernel about the file's pages and touches no memory of ours. Its
            // result is ignored: a failed hint leaves the later read to fetch the bytes itself.
            unsafe {
                libc::posix_fadvise(
                    std::os::fd::AsRawFd::as_raw_fd(&file),
                    start,
                    len,
                    libc::POSIX_FADV_WILLNEED,
                );
            }
        }
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<ObjectMeta>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            walk(root, &path, out)?;
        } else if kind.is_file() {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let key = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push(ObjectMeta {
                key,
                size: entry.metadata()?.len(),
            });
        }
    }
    Ok(())
}
