//! Parquet footers: the last bytes of an object hold the file metadata.
//!
//! We read a fixed-size tail in one request (one suffix-range GET on S3), and a second request only
//! when the metadata is larger than that tail. Every failure says which object was bad and how.

use super::{ObjectMeta, ObjectStore};
pub use crate::error::FooterError;
use bytes::Bytes;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use std::ops::Range;
use std::sync::Arc;

/// Bytes fetched speculatively from the end of each object; covers the footer of typical files.
pub const TAIL_GUESS: u64 = 64 * 1024;
const MAGIC: &[u8; 4] = b"PAR1";

/// Reads and decodes the metadata of one object: the tail, then the rest of the metadata when
/// the tail did not hold it all.
pub fn read_metadata(
    store: &dyn ObjectStore,
    object: &ObjectMeta,
) -> Result<Arc<ParquetMetaData>, FooterError> {
    let tail = store.get_range(&object.key, tail_range(store, object)?)?;
    match from_tail(store, object, tail)? {
        Tail::Metadata(m) => Ok(m),
        Tail::Needs(range) => decode(store, object, store.get_range(&object.key, range)?),
    }
}

/// What an object's tail gave: its metadata, or the byte range that still holds it.
enum Tail {
    Metadata(Arc<ParquetMetaData>),
    Needs(Range<u64>),
}

/// The bytes to read from the end of `object` first ([`ObjectStore::footer_tail`], at most the
/// whole object); an object too short to be Parquet is an error.
fn tail_range(store: &dyn ObjectStore, object: &ObjectMeta) -> Result<Range<u64>, FooterError> {
    if object.size < 12 {
        return Err(FooterError::NotParquet(
            store.describe(&object.key),
            format!(
                "{} bytes is too short to hold a Parquet footer",
                object.size
            ),
        ));
    }
    let tail_len = object.size.min(store.footer_tail(&object.key).max(8));
    Ok(object.size - tail_len..object.size)
}

/// Checks the trailer of `tail` (the bytes of [`tail_range`]) and decodes the metadata when the
/// tail holds it all.
fn from_tail(
    store: &dyn ObjectStore,
    object: &ObjectMeta,
    tail: Bytes,
) -> Result<Tail, FooterError> {
    let location = || store.describe(&object.key);
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
    if meta_len + 8 > tail.len() as u64 {
        let end = object.size - 8;
        return Ok(Tail::Needs(end - meta_len..end));
    }
    let end = tail.len() - 8;
    decode(store, object, tail.slice(end - meta_len as usize..end)).map(Tail::Metadata)
}

/// Decodes the metadata bytes (without the length and magic that follow them).
fn decode(
    store: &dyn ObjectStore,
    object: &ObjectMeta,
    meta: Bytes,
) -> Result<Arc<ParquetMetaData>, FooterError> {
    let metadata = ParquetMetaDataReader::decode_metadata(&meta)
        .map_err(|e| FooterError::Corrupt(store.describe(&object.key), e.to_string()))?;
    Ok(Arc::new(metadata))
}

/// Objects whose footers are in flight at once in [`read_metadata_many`]: bounds the tails held
/// (16 KiB each on S3) on a month of many files, and is far more than the requests the store
/// runs at a time, so the store never waits for the next window.
const FOOTER_WINDOW: usize = 512;

/// The metadata of each of `objects`, in order, with all their tails read at once through
/// [`ObjectStore::start_range`], and then all the second reads of footers the tails did not hold.
/// On S3 a footer is a round trip; this makes a table's footers two round trips in all, with no
/// thread per object waiting on one. `None` when the store has no background reads; no request
/// has been made then.
pub fn read_metadata_many(
    store: &dyn ObjectStore,
    objects: &[&ObjectMeta],
) -> Option<Vec<Result<Arc<ParquetMetaData>, FooterError>>> {
    let mut out = Vec::with_capacity(objects.len());
    for window in objects.chunks(FOOTER_WINDOW) {
        let mut tails = Vec::with_capacity(window.len());
        for object in window {
            tails.push(match tail_range(store, object) {
                Ok(range) => Ok(store.start_range(&object.key, range)?),
                Err(e) => Err(e),
            });
        }
        let rests: Vec<_> = tails
            .into_iter()
            .zip(window)
            .map(|(tail, object)| -> Result<Rest, FooterError> {
                Ok(match from_tail(store, object, tail?.wait()?)? {
                    Tail::Metadata(m) => Rest::Done(m),
                    Tail::Needs(range) => match store.start_range(&object.key, range.clone()) {
                        Some(pending) => Rest::Reading(pending),
                        None => {
                            Rest::Done(decode(store, object, store.get_range(&object.key, range)?)?)
                        }
                    },
                })
            })
            .collect();
        out.extend(
            rests
                .into_iter()
                .zip(window)
                .map(|(rest, object)| match rest? {
                    Rest::Done(m) => Ok(m),
                    Rest::Reading(pending) => decode(store, object, pending.wait()?),
                }),
        );
    }
    Some(out)
}

/// A footer after its tail arrived: decoded, or its second read in flight.
enum Rest {
    Done(Arc<ParquetMetaData>),
    Reading(super::readahead::PendingRange),
}

#[cfg(test)]
mod tests;
