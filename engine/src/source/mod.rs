//! Where Parquet bytes come from.
//!
//! The pipeline never opens files itself: it asks an [`ObjectStore`] for a listing and for byte
//! ranges. A local folder and an S3 bucket look the same from here on, so footers, column chunks
//! and retries are handled once. [`layout`] knows Koku's partition paths, [`footer`] turns the
//! tail of an object into Parquet metadata and [`chunk`] serves fetched column chunks to the
//! parquet crate's page reader.

mod buffers;
pub mod chunk;
pub mod footer;
pub mod layout;
pub mod local;
pub mod memory;
pub mod readahead;
pub mod s3;
pub mod threads;

pub use crate::error::SourceError;
use bytes::Bytes;
use std::collections::BTreeSet;
use std::ops::Range;

/// One object (file) found under a listing prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectMeta {
    /// Key relative to the store root, with `/` separators.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
}

/// A read-only store of objects addressed by key.
///
/// Implementations must be cheap to share between worker threads.
pub trait ObjectStore: Send + Sync {
    /// All objects whose key starts with `prefix`, sorted by key. A missing prefix is an empty list.
    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, SourceError>;
    /// Whether any object or folder exists at `prefix`.
    fn prefix_exists(&self, prefix: &str) -> Result<bool, SourceError>;
    /// Whether any object under `prefix` has a key ending in `suffix`. A store that lists in pages
    /// stops at the first page with one: the prefix may be an org's whole table, every source
    /// and month of it.
    fn any_object_ending(&self, prefix: &str, suffix: &str) -> Result<bool, SourceError> {
        Ok(self.list(prefix)?.iter().any(|o| o.key.ends_with(suffix)))
    }
    /// The names of the folders directly under `prefix` (which ends in `/`) that hold objects,
    /// sorted: `source=X` for each `prefix/source=X/…`. A store that lists in pages lists the
    /// folders alone, not every object below them.
    fn list_folders(&self, prefix: &str) -> Result<Vec<String>, SourceError> {
        let mut out = BTreeSet::new();
        for o in self.list(prefix)? {
            let rest = o.key.strip_prefix(prefix).unwrap_or(&o.key);
            if let Some((folder, _)) = rest.split_once('/') {
                out.insert(folder.to_string());
            }
        }
        Ok(out.into_iter().collect())
    }
    /// Bytes `range` of object `key`; fewer bytes than asked for is an error.
    fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, SourceError>;
    /// A human-readable location for messages: a path or an `s3://` URL.
    fn describe(&self, key: &str) -> String;
    /// Starts reading bytes `range` of `key` in the background (read-ahead, [`readahead`]);
    /// `None`: the store has no background reads and the caller reads when it needs the bytes.
    /// Same checks, retries and counters as [`Self::get_range`].
    fn start_range(&self, _key: &str, _range: Range<u64>) -> Option<readahead::PendingRange> {
        None
    }
    /// For a store without background reads: `ranges` of `key` will be read soon, so have them
    /// ready if that costs the caller nothing (a local file's pages, fetched by the kernel). A
    /// hint only: it holds no memory of ours, and errors are the later read's.
    fn will_need(&self, _key: &str, _ranges: &[Range<u64>]) {}
    /// Bytes read from the end of object `key` to find its footer in one request.
    fn footer_tail(&self, _key: &str) -> u64 {
        footer::TAIL_GUESS
    }
    /// Largest gap between two needed byte ranges worth reading in one request (0: never merge).
    fn merge_gap(&self) -> u64 {
        0
    }
    /// Told the footer size (metadata + 8 bytes) of each object read, to tune [`Self::footer_tail`].
    fn footer_seen(&self, _key: &str, _len: u64) {}
    /// A line for the run summary (request counts, retries), if the store keeps any.
    fn summary(&self) -> Option<String> {
        None
    }
    /// Requests retried so far (the run report's `retries`).
    fn retries(&self) -> u64 {
        0
    }
}

/// Opens the store `input` names: a local folder or `s3://BUCKET[/PREFIX]`.
pub fn open(input: &str, s3: &s3::S3Settings) -> Result<Box<dyn ObjectStore>, OpenError> {
    if input.starts_with("s3://") {
        let store = s3::S3Store::open(input, s3).map_err(|e| OpenError {
            input: input.to_string(),
            reason: e.to_string(),
        })?;
        return Ok(Box::new(store));
    }
    let path = std::path::Path::new(input);
    if !path.is_dir() {
        return Err(OpenError {
            input: input.to_string(),
            reason: "not a folder".into(),
        });
    }
    Ok(Box::new(local::LocalStore::new(path)))
}

/// An input that names no store: a missing folder, or an `s3://` URL that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("--input {input}: {reason}")]
pub struct OpenError {
    pub input: String,
    pub reason: String,
}
