//! Objects held in memory: for `check` on bytes, fuzz targets and tests.

use super::{ObjectMeta, ObjectStore, SourceError};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::ops::Range;

#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    objects: BTreeMap<String, Bytes>,
}

impl MemoryStore {
    pub fn insert(&mut self, key: impl Into<String>, data: impl Into<Bytes>) {
        self.objects.insert(key.into(), data.into());
    }
}

impl ObjectStore for MemoryStore {
    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, SourceError> {
        Ok(self
            .objects
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| ObjectMeta {
                key: k.clone(),
                size: v.len() as u64,
            })
            .collect())
    }

    fn prefix_exists(&self, prefix: &str) -> Result<bool, SourceError> {
        Ok(!self.list(prefix)?.is_empty())
    }

    fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, SourceError> {
        let data = self.objects.get(key).ok_or_else(|| SourceError::Io {
            location: self.describe(key),
            source: std::io::ErrorKind::NotFound.into(),
        })?;
        if range.start > range.end || range.end > data.len() as u64 {
            return Err(SourceError::OutOfRange {
                location: self.describe(key),
                start: range.start,
                end: range.end,
                size: data.len() as u64,
            });
        }
        Ok(data.slice(range.start as usize..range.end as usize))
    }

    fn describe(&self, key: &str) -> String {
        format!("memory:{key}")
    }
}
