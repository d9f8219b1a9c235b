//! A memory store for the read-ahead tests: background reads answered on demand or by a
//! thread, with counters. `decode`'s test of the decoder's requests uses it too, which is why it
//! is a module of its own and not inside `tests`.

use super::{PendingRange, RangeSender};
use crate::source::memory::MemoryStore;
use crate::source::{ObjectMeta, ObjectStore, SourceError};
use bytes::Bytes;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A memory store whose background reads are answered when the test says so (`answer_all`), or
/// by a thread after `delay` when `threaded`. Counts direct reads and reads outstanding.
#[derive(Default)]
pub(crate) struct TestStore {
    pub(crate) inner: MemoryStore,
    pub(crate) threaded: bool,
    pub(crate) delay: Duration,
    /// Range starts whose background read fails.
    pub(crate) fail: HashSet<u64>,
    /// Range starts whose background read is dropped without an answer.
    pub(crate) abandon: HashSet<u64>,
    pub(crate) waiting: Mutex<Vec<(String, Range<u64>, RangeSender)>>,
    /// Every background read started, in order.
    pub(crate) log: Mutex<Vec<Range<u64>>>,
    pub(crate) direct: AtomicUsize,
    pub(crate) outstanding: Arc<AtomicUsize>,
    pub(crate) max_outstanding: Arc<AtomicUsize>,
    /// [`ObjectStore::merge_gap`]: 0, as a local folder, unless a test merges like S3.
    pub(crate) merge_gap: u64,
    /// [`ObjectStore::footer_tail`]; `None`: the default guess.
    pub(crate) footer_tail: Option<u64>,
}

impl TestStore {
    pub(crate) fn with_object(len: usize) -> TestStore {
        let mut store = TestStore::default();
        let data: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
        store.inner.insert("f", data);
        store
    }

    fn answer(&self, key: &str, range: Range<u64>) -> Result<Bytes, SourceError> {
        match self.fail.contains(&range.start) {
            true => Err(SourceError::Remote {
                location: self.describe(key),
                message: format!("injected failure at {}", range.start),
            }),
            false => self.inner.get_range(key, range),
        }
    }

    pub(crate) fn answer_all(&self) {
        for (key, range, tx) in self.waiting.lock().unwrap().drain(..) {
            self.outstanding.fetch_sub(1, Ordering::SeqCst);
            if self.abandon.contains(&range.start) {
                continue;
            }
            tx.send(self.answer(&key, range));
        }
    }
}

impl ObjectStore for TestStore {
    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, SourceError> {
        self.inner.list(prefix)
    }
    fn prefix_exists(&self, prefix: &str) -> Result<bool, SourceError> {
        self.inner.prefix_exists(prefix)
    }
    fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, SourceError> {
        self.direct.fetch_add(1, Ordering::SeqCst);
        self.inner.get_range(key, range)
    }
    fn describe(&self, key: &str) -> String {
        self.inner.describe(key)
    }
    fn merge_gap(&self) -> u64 {
        self.merge_gap
    }
    fn footer_tail(&self, key: &str) -> u64 {
        self.footer_tail
            .unwrap_or_else(|| self.inner.footer_tail(key))
    }
    fn start_range(&self, key: &str, range: Range<u64>) -> Option<PendingRange> {
        let (tx, pending) = PendingRange::channel(self.describe(key));
        self.log.lock().unwrap().push(range.clone());
        let now = self.outstanding.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_outstanding.fetch_max(now, Ordering::SeqCst);
        if self.threaded {
            let answer = self.answer(key, range);
            let (delay, outstanding) = (self.delay, self.outstanding.clone());
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                outstanding.fetch_sub(1, Ordering::SeqCst);
                tx.send(answer);
            });
        } else {
            self.waiting
                .lock()
                .unwrap()
                .push((key.to_string(), range, tx));
        }
        Some(pending)
    }
}
