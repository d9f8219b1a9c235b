//! Fetched column-chunk bytes, served to the parquet crate's page reader.
//!
//! The page reader addresses bytes by file offset. [`ChunkBytes`] holds one contiguous range of
//! an object and answers reads inside it, so the decoder never touches the rest of the file and
//! S3 and local reads share the same path.

use bytes::{Buf, Bytes};
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};

/// Bytes `start..start + data.len()` of an object of `object_len` bytes.
pub struct ChunkBytes {
    start: u64,
    data: Bytes,
    object_len: u64,
}

impl ChunkBytes {
    pub fn new(start: u64, data: Bytes, object_len: u64) -> Self {
        ChunkBytes {
            start,
            data,
            object_len,
        }
    }

    fn slice(&self, start: u64, len: usize) -> Result<Bytes, ParquetError> {
        let end = start.checked_add(len as u64);
        let held_end = self.start + self.data.len() as u64;
        match end {
            Some(end) if start >= self.start && end <= held_end => {
                let from = (start - self.start) as usize;
                Ok(self.data.slice(from..from + len))
            }
            _ => Err(ParquetError::EOF(format!(
                "read of {len} bytes at offset {start} falls outside the column chunk {}..{held_end}",
                self.start
            ))),
        }
    }
}

impl Length for ChunkBytes {
    fn len(&self) -> u64 {
        self.object_len
    }
}

impl ChunkReader for ChunkBytes {
    type T = bytes::buf::Reader<Bytes>;

    fn get_read(&self, start: u64) -> Result<Self::T, ParquetError> {
        let held_end = self.start + self.data.len() as u64;
        let len = held_end.saturating_sub(start) as usize;
        Ok(self.slice(start, len)?.reader())
    }

    fn get_bytes(&self, start: u64, length: usize) -> Result<Bytes, ParquetError> {
        self.slice(start, length)
    }
}
