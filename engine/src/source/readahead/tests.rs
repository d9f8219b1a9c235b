use super::*;
use crate::decode::rowgroup::{read_row_group, ColumnPlan, RowGroupData};
use crate::decode::strings::StringMode;
use crate::decode::DecodeStats;
use crate::plan::columns::{resolve, ColumnKind, ColumnRequest};
use crate::plan::DecodeMode;
use crate::source::footer::read_metadata;
use crate::source::memory::MemoryStore;
use crate::test_util::{catalog, write_parquet, Col, Values};
use parquet::file::properties::WriterProperties;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A memory store whose background reads are answered when the test says so (`answer_all`), or
/// by a thread after `delay` when `threaded`. Counts direct reads and reads outstanding.
#[derive(Default)]
struct TestStore {
    inner: MemoryStore,
    threaded: bool,
    delay: Duration,
    /// Range starts whose background read fails.
    fail: HashSet<u64>,
    /// Range starts whose background read is dropped without an answer.
    abandon: HashSet<u64>,
    waiting: Mutex<Vec<(String, Range<u64>, RangeSender)>>,
    /// Every background read started, in order.
    log: Mutex<Vec<Range<u64>>>,
    direct: AtomicUsize,
    outstanding: Arc<AtomicUsize>,
    max_outstanding: Arc<AtomicUsize>,
}

impl TestStore {
    fn with_object(len: usize) -> TestStore {
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

    fn answer_all(&self) {
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

/// `tasks` tasks of `per_task` ranges of `len` bytes each, back to back in object "f".
fn layout(tasks: usize, per_task: usize, len: u64) -> Vec<TaskFetches> {
    (0..tasks)
        .map(|t| TaskFetches {
            key: "f".into(),
            ranges: (0..per_task)
                .map(|r| {
                    // A gap after every range, so none of them touch.
                    let start = ((t * per_task + r) as u64) * (len + 10);
                    start..start + len
                })
                .collect(),
        })
        .collect()
}

fn held(ra: &ReadAhead<'_>) -> (usize, u64) {
    let state = ra.state.lock().unwrap();
    (state.requests, state.bytes)
}

/// Reads every range of task `seq` through `reads` and checks the bytes.
fn read_task(store: &TestStore, reads: &TaskReads<'_>, task: &TaskFetches) {
    for r in &task.ranges {
        let got = reads.get_range(&task.key, r.clone()).expect("read");
        assert_eq!(got, store.inner.get_range(&task.key, r.clone()).unwrap());
        // A part of a range read ahead is served from it too.
        let half = r.start..r.start + (r.end - r.start) / 2;
        let got = reads.get_range(&task.key, half.clone()).expect("read");
        assert_eq!(got, store.inner.get_range(&task.key, half).unwrap());
    }
}

#[test]
fn reads_start_in_task_order_within_depth_requests_and_bytes() {
    let store = TestStore::with_object(20_000);
    let tasks = layout(12, 2, 100);
    let limits = ReadAheadLimits {
        depth: 3,
        requests: 5,
        bytes: 10_000,
    };
    let ra = ReadAhead::new(&store, tasks.clone(), limits);
    let reads = ra.take(0);
    // Tasks 1 and 2 fit in 5 requests; task 3 would make 6.
    let expected: Vec<_> = tasks[1..3].iter().flat_map(|t| t.ranges.clone()).collect();
    assert_eq!(*store.log.lock().unwrap(), expected);
    store.answer_all();
    read_task(&store, &reads, &tasks[0]);
    drop(reads);
    // Task 0 was not read ahead: its two ranges, and their halves, were read directly.
    assert_eq!(store.direct.load(Ordering::SeqCst), 4);
    for (seq, task) in tasks.iter().enumerate().skip(1) {
        let reads = ra.take(seq);
        let (requests, bytes) = held(&ra);
        assert!(requests <= limits.requests && bytes <= limits.bytes);
        assert!(ra.state.lock().unwrap().next <= seq + limits.depth + 1);
        store.answer_all();
        read_task(&store, &reads, task);
        drop(reads);
    }
    // Every later task was read ahead, each range once, in task order.
    assert_eq!(store.direct.load(Ordering::SeqCst), 4);
    let all: Vec<_> = tasks[1..].iter().flat_map(|t| t.ranges.clone()).collect();
    assert_eq!(*store.log.lock().unwrap(), all);
    assert_eq!(held(&ra), (0, 0), "everything released");
    assert!(ra.peaks().0 <= limits.requests, "{:?}", ra.peaks());
}

#[test]
fn the_byte_budget_bounds_the_reads_held() {
    let store = TestStore::with_object(40_000);
    let mut tasks = layout(10, 1, 1000);
    // Task 4 alone is larger than the budget: it is never read ahead, and holds up nothing.
    let start = tasks[4].ranges[0].start;
    tasks[4].ranges[0] = start..start + 3000;
    for t in tasks.iter_mut().skip(5) {
        let r = t.ranges[0].clone();
        t.ranges[0] = r.start + 2000..r.end + 2000;
    }
    let limits = ReadAheadLimits {
        depth: 10,
        requests: 100,
        bytes: 2500,
    };
    let ra = ReadAhead::new(&store, tasks.clone(), limits);
    for (seq, task) in tasks.iter().enumerate() {
        let reads = ra.take(seq);
        assert!(held(&ra).1 <= limits.bytes, "{:?}", held(&ra));
        store.answer_all();
        read_task(&store, &reads, task);
        drop(reads);
    }
    assert!(ra.peaks().1 <= limits.bytes && ra.peaks().1 >= 2000);
    let log = store.log.lock().unwrap();
    assert!(!log.contains(&tasks[4].ranges[0]), "{log:?}");
    // Tasks 0 and 4 directly (range and half each); the others ahead.
    assert_eq!(store.direct.load(Ordering::SeqCst), 4);
    assert_eq!(log.len(), 8);
}

#[test]
fn a_failed_read_surfaces_when_its_task_reads_that_range() {
    let mut store = TestStore::with_object(20_000);
    let tasks = layout(6, 2, 100);
    store.fail.insert(tasks[2].ranges[1].start);
    store.abandon.insert(tasks[3].ranges[0].start);
    let limits = ReadAheadLimits {
        depth: 4,
        requests: 16,
        bytes: 1 << 20,
    };
    let ra = ReadAhead::new(&store, tasks.clone(), limits);
    let reads = ra.take(0);
    store.answer_all(); // tasks 1..=4 answered, task 2's second range with an error
    read_task(&store, &reads, &tasks[0]);
    drop(reads);
    let reads = ra.take(1);
    read_task(&store, &reads, &tasks[1]);
    drop(reads);
    let reads = ra.take(2);
    store.answer_all();
    assert!(reads.get_range("f", tasks[2].ranges[0].clone()).is_ok());
    let err = reads
        .get_range("f", tasks[2].ranges[1].clone())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("injected failure") && err.contains("memory:f"),
        "{err}"
    );
    drop(reads);
    let reads = ra.take(3);
    let err = reads
        .get_range("f", tasks[3].ranges[0].clone())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("abandoned") && err.contains("memory:f"),
        "{err}"
    );
    drop(reads);
    for (seq, task) in tasks.iter().enumerate().skip(4) {
        let reads = ra.take(seq);
        store.answer_all();
        read_task(&store, &reads, task);
    }
    assert_eq!(held(&ra), (0, 0));
}

#[test]
fn a_store_without_background_reads_turns_it_off() {
    let mut store = MemoryStore::default();
    store.insert("f", vec![7u8; 10_000]);
    let tasks = layout(5, 2, 100);
    let limits = ReadAheadLimits {
        depth: 4,
        requests: 16,
        bytes: 1 << 20,
    };
    let ra = ReadAhead::new(&store, tasks.clone(), limits);
    for (seq, task) in tasks.iter().enumerate() {
        let reads = ra.take(seq);
        for r in &task.ranges {
            assert_eq!(reads.get_range("f", r.clone()).unwrap().len(), 100);
        }
    }
    assert_eq!(ra.peaks(), (0, 0));
    assert!(ra.state.lock().unwrap().off);
}

#[test]
fn workers_on_threads_never_pass_the_request_bound() {
    let mut store = TestStore::with_object(200_000);
    store.threaded = true;
    store.delay = Duration::from_millis(2);
    let tasks = layout(200, 3, 200);
    let limits = ReadAheadLimits {
        depth: 6,
        requests: 7,
        bytes: 1 << 20,
    };
    let ra = ReadAhead::new(&store, tasks.clone(), limits);
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let seq = next.fetch_add(1, Ordering::SeqCst);
                let Some(task) = tasks.get(seq) else { break };
                let reads = ra.take(seq);
                read_task(&store, &reads, task);
                std::thread::sleep(Duration::from_micros(300)); // decoding
            });
        }
    });
    let (requests, _) = ra.peaks();
    assert!(requests <= limits.requests, "{requests}");
    let outstanding = store.max_outstanding.load(Ordering::SeqCst);
    assert!(outstanding <= limits.requests, "{outstanding}");
    assert!(outstanding >= 2, "reads overlapped: {outstanding}");
    assert_eq!(held(&ra), (0, 0));
}

#[test]
fn merge_ranges_merges_close_neighbours_only() {
    // 0..100 and 105..200 merge (gap 5 ≤ 10% of 200); 1000..1100 does not (gap 800).
    let got = merge_ranges(&[(105, 95), (0, 100), (1000, 100)], 64 * 1024);
    assert_eq!(got, vec![0..200, 1000..1100]);
    assert_eq!(
        merge_ranges(&[(0, 100), (105, 95)], 0),
        vec![0..100, 105..200]
    );
    // Overlapping chunks are never merged (the decoder reads each).
    assert_eq!(
        merge_ranges(&[(0, 100), (50, 100)], 1000),
        vec![0..100, 50..150]
    );
}

/// A store that merges like S3 but reads nothing ahead unless asked to.
struct Merging(TestStore, u64);

impl ObjectStore for Merging {
    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, SourceError> {
        self.0.list(prefix)
    }
    fn prefix_exists(&self, prefix: &str) -> Result<bool, SourceError> {
        self.0.prefix_exists(prefix)
    }
    fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, SourceError> {
        self.0.get_range(key, range)
    }
    fn describe(&self, key: &str) -> String {
        self.0.describe(key)
    }
    fn start_range(&self, key: &str, range: Range<u64>) -> Option<PendingRange> {
        self.0.start_range(key, range)
    }
    fn merge_gap(&self) -> u64 {
        self.1
    }
}

#[test]
fn the_reads_started_ahead_are_the_reads_the_decoder_makes() {
    let rows = 3000;
    let cols = vec![
        Col::optional(
            "a",
            Values::Millis((0..rows).map(|i| Some(i as i64 * 1000)).collect()),
        ),
        Col::optional(
            "b",
            Values::Str((0..rows).map(|i| Some(format!("pad-{i}"))).collect()),
        ),
        Col::optional(
            "c",
            Values::F64((0..rows).map(|i| Some(i as f64)).collect()),
        ),
        Col::optional(
            "d",
            Values::Str((0..rows).map(|i| Some(format!("n{}", i % 7))).collect()),
        ),
    ];
    let bytes = write_parquet(&cols, 1000, WriterProperties::builder().build());
    let requests = [
        ColumnRequest::required("a", ColumnKind::Timestamp),
        ColumnRequest::required("c", ColumnKind::Double),
        ColumnRequest::required("d", ColumnKind::String),
        ColumnRequest::optional("absent", ColumnKind::String),
    ];
    for gap in [0, 100, 64 * 1024] {
        let mut test = TestStore {
            threaded: true,
            ..TestStore::default()
        };
        test.inner.insert("t.parquet", bytes.clone());
        let store = Merging(test, gap);
        let object = ObjectMeta {
            key: "t.parquet".into(),
            size: bytes.len() as u64,
        };
        let meta = read_metadata(&store, &object).expect("footer");
        let resolved = resolve(meta.file_metadata().schema_descr(), &requests).expect("schema");
        let plans: Vec<ColumnPlan> = resolved
            .iter()
            .map(|r| ColumnPlan {
                resolved: *r,
                string_mode: StringMode::Interned,
                decode: DecodeMode::Kernels,
            })
            .collect();
        let fetches: Vec<TaskFetches> = (0..meta.num_row_groups())
            .map(|rg| {
                let leaves = resolved.iter().filter_map(|r| r.leaf);
                row_group_fetches(&object, meta.row_group(rg), leaves, gap)
            })
            .collect();
        assert_eq!(meta.num_row_groups(), 3);
        let limits = ReadAheadLimits {
            depth: 8,
            requests: 16,
            bytes: 1 << 30,
        };
        let ra = ReadAhead::new(&store, fetches.clone(), limits);
        let direct_before = store.0.direct.load(Ordering::SeqCst);
        let cat = catalog(&[]);
        let mut data = RowGroupData::default();
        let mut stats = DecodeStats::default();
        let mut decoded = Vec::new();
        for rg in 0..meta.num_row_groups() {
            let reads = ra.take(rg);
            read_row_group(
                &reads,
                &object.key,
                object.size,
                meta.row_group(rg),
                &plans,
                &cat,
                &mut data,
                &mut stats,
            )
            .expect("decodes");
            decoded.extend(data.columns[1].f64s.iter().copied());
        }
        assert_eq!(decoded, (0..rows).map(|i| i as f64).collect::<Vec<_>>());
        // Row group 0 is read directly; rows groups 1 and 2 only through their reads ahead.
        let direct = store.0.direct.load(Ordering::SeqCst) - direct_before;
        assert_eq!(direct, fetches[0].ranges.len(), "gap {gap}: {fetches:?}");
        let log = store.0.log.lock().unwrap().clone();
        let ahead: Vec<_> = fetches[1..].iter().flat_map(|f| f.ranges.clone()).collect();
        assert_eq!(log, ahead, "gap {gap}");
        if gap > 0 {
            // c and d are neighbours: one request; a and c have b between them.
            assert!(fetches[1].ranges.len() < 3, "{fetches:?}");
        }
    }
}
