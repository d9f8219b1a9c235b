//! Read-ahead: the ranged reads of the next row groups are in flight while the current ones decode.
//!
//! On S3 every read is a round trip, and a worker that fetched only when it needed the bytes spent
//! most of its time waiting. [`ReadAhead`] knows, before the workers start, which merged byte
//! ranges each task (row group) will ask for, in the order the tasks leave the queue. When a
//! worker takes task `k` it calls [`ReadAhead::take`], which starts the reads of tasks `k + 1 ..=
//! k + depth` on the store ([`ObjectStore::start_range`]) and hands back the reads of task `k` as
//! a [`TaskReads`]: an [`ObjectStore`] that serves those ranges from the reads in flight and any
//! other range from the store, so the decoder is unchanged.
//!
//! The reads started and not yet released are bounded three ways: at most `depth` tasks ahead of
//! the newest task taken, at most `requests` requests (the store's `--s3-concurrency`) and at most
//! `bytes` bytes (a share of `--memory-limit` that the plan sets). A
//! task's reads are released when its [`TaskReads`] is dropped, after its row group is decoded, so
//! the bound covers the bytes held as well as the bytes on the wire. A task whose reads do not fit
//! waits at the head of the line until they do, or is read directly when a worker takes it; a
//! worker never waits for budget. A failed read surfaces when its task reads that range, from
//! inside the decoder like any read error, so its message is the same as before (object and row
//! group).
//!
//! A store without background reads (a local folder, memory) returns `None` from
//! [`ObjectStore::start_range`]; the read-ahead then only hints the same ranges
//! ([`ObjectStore::will_need`]), `depth` tasks ahead, and holds no bytes and no budget. A local
//! folder larger than the page cache is then read from disk ahead of the workers.

use super::{ObjectMeta, ObjectStore, SourceError};
use bytes::Bytes;
use parquet::file::metadata::RowGroupMetaData;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Mutex;

/// A read started in the background; [`PendingRange::wait`] blocks until its bytes arrive.
pub struct PendingRange {
    rx: crossbeam_channel::Receiver<Result<Bytes, SourceError>>,
    location: String,
}

/// The sending half of a [`PendingRange`], handed to whatever does the read.
pub struct RangeSender(crossbeam_channel::Sender<Result<Bytes, SourceError>>);

impl RangeSender {
    /// Delivers the outcome; nobody waiting (the task was dropped) is fine.
    pub fn send(self, result: Result<Bytes, SourceError>) {
        let _ = self.0.send(result);
    }
}

impl PendingRange {
    /// A pending read of `location` and the sender that completes it.
    pub fn channel(location: String) -> (RangeSender, PendingRange) {
        let (tx, rx) = crossbeam_channel::bounded(1);
        (RangeSender(tx), PendingRange { rx, location })
    }

    /// The bytes, or the read's error; a read abandoned without an answer is an error too.
    pub fn wait(self) -> Result<Bytes, SourceError> {
        self.rx.recv().unwrap_or_else(|_| {
            Err(SourceError::Remote {
                location: self.location,
                message: "the read-ahead request was abandoned".into(),
            })
        })
    }
}

/// The byte ranges one task reads from one object, merged as the decoder merges them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFetches {
    pub key: String,
    pub ranges: Vec<Range<u64>>,
}

impl TaskFetches {
    fn bytes(&self) -> u64 {
        self.ranges.iter().map(|r| r.end - r.start).sum()
    }
}

/// [`ReadAheadLimits::small_bytes`] for a run: at 20 ms a round trip, 16 MiB in flight is 800 MB/s,
/// more than two cores decode, and far less than `depth` row groups of the big tables hold.
pub const SMALL_BYTES: u64 = 16 << 20;

/// How far [`ReadAhead`] may run ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadAheadLimits {
    /// Tasks (row groups) ahead of the newest one taken; 0 turns read-ahead off.
    pub depth: usize,
    /// Past `depth` tasks, reads go on starting while the bytes held stay within this: a run of
    /// tiny row groups (label tables, the node columns of the daily pod files) would otherwise
    /// keep `depth` small requests in flight and wait a round trip for each batch of them.
    pub small_bytes: u64,
    /// Requests started and not yet released.
    pub requests: usize,
    /// Bytes started and not yet released.
    pub bytes: u64,
}

/// Merges the `(start, len)` column-chunk ranges of one row group as `decode::rowgroup` does:
/// sorted by start (stable), neighbours share a request while the gaps in it add up to at most
/// `max_gap`: no request carries more than `max_gap` bytes nobody asked for. Must stay the same
/// rule, or the reads started ahead are not the ones the decoder asks for (they are then read
/// twice, not wrongly).
///
/// The gaps are not also weighed against the request's size: a request costs a round trip and
/// the CPU of three processes (client, server, any proxy), at least `max_gap` bytes' worth on
/// any link the store chooses it for. A cap of a tenth of the merged request, as before, kept
/// the small chunks of dictionary-encoded columns (a few hundred bytes, a few hundred bytes
/// apart) in separate requests: joining them took the L month from 811 requests to 628.
pub fn merge_ranges(wanted: &[(u64, u64)], max_gap: u64) -> Vec<Range<u64>> {
    let mut sorted = wanted.to_vec();
    sorted.sort_by_key(|w| w.0);
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let (start, mut end) = (sorted[i].0, sorted[i].0 + sorted[i].1);
        let mut unasked = 0;
        let mut j = i + 1;
        while j < sorted.len() {
            let (next_start, next_end) = (sorted[j].0, sorted[j].0 + sorted[j].1);
            let gap = next_start.saturating_sub(end);
            if next_start >= end && unasked + gap <= max_gap {
                unasked += gap;
                end = next_end;
                j += 1;
            } else {
                break;
            }
        }
        out.push(start..end);
        i = j;
    }
    out
}

/// What `decode::rowgroup::read_row_group` reads for the leaf columns `leaves` of row group
/// `meta` of `object`: their column chunks, merged under `max_gap` ([`merge_ranges`]). A chunk
/// outside the object gets the row group nothing read ahead; the decoder reports it.
pub fn row_group_fetches(
    object: &ObjectMeta,
    meta: &RowGroupMetaData,
    leaves: impl Iterator<Item = usize>,
    max_gap: u64,
) -> TaskFetches {
    let mut wanted = Vec::new();
    for leaf in leaves {
        let chunk = meta.column(leaf);
        let start = chunk
            .dictionary_page_offset()
            .unwrap_or(chunk.data_page_offset());
        let len = chunk.compressed_size();
        if start < 0 || len < 0 || (start as u64).saturating_add(len as u64) > object.size {
            return TaskFetches::default();
        }
        wanted.push((start as u64, len as u64));
    }
    let mut ranges = merge_ranges(&wanted, max_gap);
    ranges.retain(|r| !r.is_empty());
    TaskFetches {
        key: object.key.clone(),
        ranges,
    }
}

#[derive(Default)]
struct State {
    /// The next task whose reads may start.
    next: usize,
    /// Reads started, by task.
    started: HashMap<usize, Vec<(Range<u64>, PendingRange)>>,
    requests: usize,
    bytes: u64,
    /// Read-ahead is off (`depth` 0, or no budget).
    off: bool,
    /// The store has no background reads: tasks ahead are only hinted ([`ObjectStore::will_need`]).
    hints_only: bool,
    /// Most requests and bytes held at once (for tests and the curious).
    peak_requests: usize,
    peak_bytes: u64,
}

/// Starts the reads of the tasks after the one a worker takes; see the module docs.
pub struct ReadAhead<'a> {
    store: &'a dyn ObjectStore,
    /// By task sequence number.
    tasks: Vec<TaskFetches>,
    limits: ReadAheadLimits,
    state: Mutex<State>,
}

impl<'a> ReadAhead<'a> {
    /// `tasks[k]`: what task `k` reads. Tasks must be taken in about this order.
    pub fn new(
        store: &'a dyn ObjectStore,
        tasks: Vec<TaskFetches>,
        limits: ReadAheadLimits,
    ) -> Self {
        let off = limits.depth == 0 || limits.requests == 0 || limits.bytes == 0;
        ReadAhead {
            store,
            tasks,
            limits,
            state: Mutex::new(State {
                off,
                ..State::default()
            }),
        }
    }

    /// Task `seq` is being read now: starts the reads of the tasks after it that fit, and returns
    /// the store task `seq` should read through.
    pub fn take(&self, seq: usize) -> TaskReads<'_> {
        let mut state = self.state.lock().expect("not poisoned");
        let started = state.started.remove(&seq);
        // A task passed over before its reads started is read directly.
        state.next = state.next.max(seq + 1);
        let hint = self.start_ahead(&mut state, seq);
        drop(state);
        // Outside the lock: a hint may take the kernel a moment to queue.
        for task in &self.tasks[hint] {
            self.store.will_need(&task.key, &task.ranges);
        }
        let (cost, reads) = match started {
            None => ((0, 0), Vec::new()),
            Some(reads) => {
                let cost = (reads.len(), self.tasks[seq].bytes());
                let reads = reads
                    .into_iter()
                    .map(|(r, p)| (r, Slot::Pending(p)))
                    .collect();
                (cost, reads)
            }
        };
        TaskReads {
            owner: self,
            key: self
                .tasks
                .get(seq)
                .map(|t| t.key.clone())
                .unwrap_or_default(),
            cost,
            reads: Mutex::new(reads),
        }
    }

    /// Starts the reads that fit, or, when the store has no background reads, returns the tasks
    /// to hint instead.
    fn start_ahead(&self, state: &mut State, seq: usize) -> Range<usize> {
        let last = seq.saturating_add(self.limits.depth);
        let end = self.tasks.len().min(last.saturating_add(1));
        if state.hints_only {
            let from = state.next.min(end);
            state.next = state.next.max(end);
            return from..end;
        }
        while !state.off && state.next < self.tasks.len() {
            let task = &self.tasks[state.next];
            let (requests, bytes) = (task.ranges.len(), task.bytes());
            if state.next >= end && state.bytes + bytes > self.limits.small_bytes {
                break;
            }
            if state.requests + requests > self.limits.requests
                || state.bytes + bytes > self.limits.bytes
            {
                // It waits for the reads ahead of it to be released (or to be taken and read
                // directly), so reads start in the order the tasks are taken.
                return 0..0;
            }
            let mut reads = Vec::with_capacity(task.ranges.len());
            for range in &task.ranges {
                match self.store.start_range(&task.key, range.clone()) {
                    Some(p) => reads.push((range.clone(), p)),
                    None => {
                        // Every read of a store without background reads says so, the first
                        // included: nothing was started, and this task is hinted with the rest.
                        debug_assert!(reads.is_empty());
                        state.hints_only = true;
                        return self.start_ahead(state, seq);
                    }
                }
            }
            state.requests += requests;
            state.bytes += bytes;
            state.peak_requests = state.peak_requests.max(state.requests);
            state.peak_bytes = state.peak_bytes.max(state.bytes);
            state.started.insert(state.next, reads);
            state.next += 1;
        }
        0..0
    }

    fn release(&self, (requests, bytes): (usize, u64)) {
        let mut state = self.state.lock().expect("not poisoned");
        state.requests -= requests;
        state.bytes -= bytes;
    }

    /// Most requests and bytes started and not yet released at any one time.
    pub fn peaks(&self) -> (usize, u64) {
        let state = self.state.lock().expect("not poisoned");
        (state.peak_requests, state.peak_bytes)
    }
}

enum Slot {
    Pending(PendingRange),
    Ready(Bytes),
    Failed,
}

/// The reads of one task: ranges started ahead are served from their reads, anything else from
/// the store. Dropping it releases the task's share of the read-ahead bounds.
pub struct TaskReads<'a> {
    owner: &'a ReadAhead<'a>,
    key: String,
    cost: (usize, u64),
    reads: Mutex<Vec<(Range<u64>, Slot)>>,
}

impl Drop for TaskReads<'_> {
    fn drop(&mut self) {
        if self.cost != (0, 0) {
            self.owner.release(self.cost);
        }
    }
}

impl TaskReads<'_> {
    fn started(&self, key: &str, range: &Range<u64>) -> Option<Result<Bytes, SourceError>> {
        if key != self.key {
            return None;
        }
        let mut reads = self.reads.lock().expect("not poisoned");
        let (held, slot) = reads.iter_mut().find(|(r, s)| {
            r.start <= range.start && range.end <= r.end && !matches!(s, Slot::Failed)
        })?;
        let bytes = match std::mem::replace(slot, Slot::Failed) {
            Slot::Ready(b) => b,
            Slot::Pending(p) => match p.wait() {
                Ok(b) => b,
                Err(e) => return Some(Err(e)),
            },
            Slot::Failed => unreachable!("filtered above"),
        };
        *slot = Slot::Ready(bytes.clone());
        let from = (range.start - held.start) as usize;
        Some(Ok(
            bytes.slice(from..from + (range.end - range.start) as usize)
        ))
    }
}

impl ObjectStore for TaskReads<'_> {
    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, SourceError> {
        self.owner.store.list(prefix)
    }
    fn prefix_exists(&self, prefix: &str) -> Result<bool, SourceError> {
        self.owner.store.prefix_exists(prefix)
    }
    fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, SourceError> {
        match self.started(key, &range) {
            Some(result) => result,
            None => self.owner.store.get_range(key, range),
        }
    }
    fn describe(&self, key: &str) -> String {
        self.owner.store.describe(key)
    }
    fn footer_tail(&self, key: &str) -> u64 {
        self.owner.store.footer_tail(key)
    }
    fn merge_gap(&self) -> u64 {
        self.owner.store.merge_gap()
    }
    fn footer_seen(&self, key: &str, len: u64) {
        self.owner.store.footer_seen(key, len)
    }
    fn summary(&self) -> Option<String> {
        self.owner.store.summary()
    }
    fn retries(&self) -> u64 {
        self.owner.store.retries()
    }
}

#[cfg(test)]
pub(crate) mod test_store;
#[cfg(test)]
mod tests;
