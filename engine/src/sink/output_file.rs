//! A run's output file, written the way `--output-io` asks: around the page cache where the
//! file system allows ([`DirectFile`]), else buffered with early writeback ([`WritebackFile`]).

use super::direct::DirectFile;
use super::writeback::WritebackFile;
use crate::plan::OutputIo;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// An output file, direct or buffered (see the module's doc).
pub enum OutputFile {
    Direct(DirectFile),
    Buffered(WritebackFile),
}

impl OutputFile {
    /// Creates (truncates) `path`; [`OutputIo::Buffered`] always writes through the page cache.
    pub fn create(path: &Path, output_io: OutputIo) -> io::Result<OutputFile> {
        if output_io == OutputIo::Direct {
            if let Some(file) = DirectFile::create(path)? {
                return Ok(OutputFile::Direct(file));
            }
            let path = path.display();
            tracing::info!(%path, "the file system refuses O_DIRECT; writing buffered");
        }
        Ok(OutputFile::Buffered(WritebackFile::new(File::create(
            path,
        )?)))
    }

    /// Writes what is left, syncs data and metadata (`fsync`) and hands the file back.
    pub fn sync(self) -> io::Result<File> {
        match self {
            OutputFile::Direct(f) => f.sync(),
            OutputFile::Buffered(f) => f.sync(),
        }
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            OutputFile::Direct(f) => f.write(buf),
            OutputFile::Buffered(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            OutputFile::Direct(f) => f.flush(),
            OutputFile::Buffered(f) => f.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--output-io buffered` never opens with O_DIRECT, even where the file system allows it.
    #[test]
    fn buffered_output_is_asked_for_by_name() {
        let path = std::env::temp_dir().join(format!("ocp-output-file-{}", std::process::id()));
        let out = OutputFile::create(&path, OutputIo::Buffered).unwrap();
        assert!(matches!(out, OutputFile::Buffered(_)));
        drop(out);
        std::fs::remove_file(&path).unwrap();
    }
}
