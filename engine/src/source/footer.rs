//! Parquet footers: the last bytes of an object hold the file metadata.
//!
//! We read a fixed-size tail in one request (one suffix-range GET on S3), and a second request only
//! when the metadata is larger than that tail. Every failure says which object was bad and how.

use super::{ObjectMeta, ObjectStore};
pub use crate::error::FooterError;
use bytes::Bytes;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use std::sync::Arc;

/// Bytes fetched speculatively from the end of each object; covers the footer of typical files.
pub const TAIL_GUESS: u64 = 64 * 1024;
const MAGIC: &[u8; 4] = b"PAR1";

/// Reads and decodes the metadata of one object.
pub fn read_metadata(
    store: &dyn ObjectStore,
    object: &ObjectMeta,
) -> Result<Arc<ParquetMetaData>, FooterError> {
    let location = || store.describe(&object.key);
    if object.size < 12 {
        return Err(FooterError::NotParquet(
            location(),
            format!(
                "{} bytes is too short to hold a Parquet footer",
                object.size
            ),
        ));
    }
    let tail_len = object.size.min(store.footer_tail(&object.key).max(8));
    let tail = store.get_range(&object.key, object.size - tail_len..object.size)?;
    let trailer = &tail[tail.len() - 8..];
    if &trailer[4..] != MAGIC {
        return Err(FooterError::NotParquet(
            location(),
            "the file does not end with the PAR1 magic (truncated or not Parquet)".into(),
        ));
    }
    let meta_len = u32::from_le_bytes(trailer[..4].try_into().expect("4 bytes")) as u64;
    if meta_len + 12 > object.size {
        return Err(FooterError::Corrupt(
            location(),
            format!(
                "footer length {meta_len} exceeds the file size {}",
                object.size
            ),
        ));
    }
    store.footer_seen(&object.key, meta_len + 8);
    let meta: Bytes = if meta_len + 8 <= tail_len {
        let end = tail.len() - 8;
        tail.slice(end - meta_len as usize..end)
    } else {
        let end = object.size - 8;
        store.get_range(&object.key, end - meta_len..end)?
    };
    let metadata = ParquetMetaDataReader::decode_metadata(&meta)
        .map_err(|e| FooterError::Corrupt(location(), e.to_string()))?;
    Ok(Arc::new(metadata))
}
