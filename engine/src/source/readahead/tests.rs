use super::test_store::TestStore;
use super::*;
use crate::source::memory::MemoryStore;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

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
        small_bytes: 0,
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
fn small_tasks_are_read_past_depth_while_few_bytes_are_held() {
    let store = TestStore::with_object(40_000);
    // Ten tasks of 100 bytes, then one of 3,000 and two more of 100.
    let mut tasks = layout(13, 1, 100);
    let start = tasks[10].ranges[0].start;
    tasks[10].ranges[0] = start..start + 3000;
    for t in tasks.iter_mut().skip(11) {
        let r = t.ranges[0].clone();
        t.ranges[0] = r.start + 2900..r.end + 2900;
    }
    let limits = ReadAheadLimits {
        depth: 2,
        small_bytes: 1000,
        requests: 6,
        bytes: 1 << 20,
    };
    let ra = ReadAhead::new(&store, tasks.clone(), limits);
    let reads = ra.take(0);
    // Past the 2 tasks of `depth`, tasks 3.. start while at most 1,000 bytes are held, and the
    // 6 requests are the bound: tasks 1 to 6.
    assert_eq!(ra.state.lock().unwrap().next, 7);
    drop(reads);
    store.answer_all();
    for seq in 1..=8 {
        drop(ra.take(seq));
        store.answer_all();
    }
    // At task 8, tasks 9 and 10 are within `depth`, so the big task 10 starts; task 11 then
    // waits: with it, over 3,000 bytes would be held, past `small_bytes`.
    assert_eq!(ra.state.lock().unwrap().next, 11);
    for (seq, task) in tasks.iter().enumerate().skip(9) {
        let reads = ra.take(seq);
        assert!(ra.state.lock().unwrap().next <= (seq + 6).max(seq + limits.depth + 1));
        store.answer_all();
        read_task(&store, &reads, task);
        drop(reads);
    }
    let all: Vec<_> = tasks[1..].iter().flat_map(|t| t.ranges.clone()).collect();
    assert_eq!(
        *store.log.lock().unwrap(),
        all,
        "each task read ahead once, in order"
    );
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
        small_bytes: 0,
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
        small_bytes: 0,
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

/// A memory store without background reads that notes every hint it is given.
#[derive(Default)]
struct HintStore {
    inner: MemoryStore,
    hints: Mutex<Vec<Range<u64>>>,
}

impl ObjectStore for HintStore {
    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, SourceError> {
        self.inner.list(prefix)
    }
    fn prefix_exists(&self, prefix: &str) -> Result<bool, SourceError> {
        self.inner.prefix_exists(prefix)
    }
    fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, SourceError> {
        self.inner.get_range(key, range)
    }
    fn describe(&self, key: &str) -> String {
        self.inner.describe(key)
    }
    fn will_need(&self, _key: &str, ranges: &[Range<u64>]) {
        self.hints.lock().unwrap().extend_from_slice(ranges);
    }
}

/// Such a store holds nothing ahead: the ranges of the tasks after the one taken are hinted
/// instead, `depth` tasks ahead, each once and in task order.
#[test]
fn a_store_without_background_reads_gets_hints_only() {
    let mut store = HintStore::default();
    store.inner.insert("f", vec![7u8; 10_000]);
    let tasks = layout(7, 2, 100);
    let limits = ReadAheadLimits {
        depth: 3,
        small_bytes: 0,
        requests: 16,
        bytes: 1 << 20,
    };
    let ra = ReadAhead::new(&store, tasks.clone(), limits);
    let hinted = |store: &HintStore| store.hints.lock().unwrap().len();
    for (seq, task) in tasks.iter().enumerate() {
        let reads = ra.take(seq);
        // Tasks seq+1 ..= seq+3 (as far as there are tasks), two ranges each.
        assert_eq!(
            hinted(&store),
            2 * (seq + 3).min(tasks.len() - 1),
            "after task {seq}"
        );
        for r in &task.ranges {
            assert_eq!(reads.get_range("f", r.clone()).unwrap().len(), 100);
        }
    }
    assert_eq!(ra.peaks(), (0, 0), "no reads started, no bytes held");
    let want: Vec<Range<u64>> = tasks[1..].iter().flat_map(|t| t.ranges.clone()).collect();
    assert_eq!(*store.hints.lock().unwrap(), want);
}

#[test]
fn workers_on_threads_never_pass_the_request_bound() {
    let mut store = TestStore::with_object(200_000);
    store.threaded = true;
    store.delay = Duration::from_millis(2);
    let tasks = layout(200, 3, 200);
    let limits = ReadAheadLimits {
        depth: 6,
        small_bytes: 0,
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
    // 0..100, 105..200 and 1000..1100 merge (gaps 5 and 800 ≤ 64 KiB, however small the
    // chunks); 70000..70010 does not (gap 68,900).
    let got = merge_ranges(&[(105, 95), (0, 100), (1000, 100), (70_000, 10)], 64 * 1024);
    assert_eq!(got, vec![0..1100, 70_000..70_010]);
    // A gap of exactly `max_gap` merges; one byte more does not.
    assert_eq!(merge_ranges(&[(0, 10), (20, 10)], 10), vec![0..30]);
    assert_eq!(merge_ranges(&[(0, 10), (21, 10)], 10), vec![0..10, 21..31]);
    // The gaps of one request add up to at most `max_gap`: 6 + 4 fit, a further 1 starts anew.
    assert_eq!(
        merge_ranges(&[(0, 10), (16, 10), (30, 10), (41, 10)], 10),
        vec![0..40, 41..51]
    );
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

/// The merge rule written plainly: walk the chunks by start; join the next one to the open
/// request when it starts at or after the request's end and the request's gaps stay within
/// `max_gap`.
fn merge_reference(wanted: &[(u64, u64)], max_gap: u64) -> Vec<Range<u64>> {
    let mut sorted = wanted.to_vec();
    sorted.sort_by_key(|w| w.0);
    let mut out: Vec<(Range<u64>, u64)> = Vec::new();
    for (start, len) in sorted {
        if let Some((open, gaps)) = out.last_mut() {
            if start >= open.end && *gaps + (start - open.end) <= max_gap {
                *gaps += start - open.end;
                open.end = start + len;
                continue;
            }
        }
        out.push((start..start + len, 0));
    }
    out.into_iter().map(|(r, _)| r).collect()
}

#[test]
fn merge_ranges_matches_the_plain_rule_and_bounds_unasked_bytes() {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    for _ in 0..2000 {
        let max_gap = [0, 1, 50, 300][next(4) as usize];
        let wanted: Vec<(u64, u64)> = (0..next(12)).map(|_| (next(3000), next(200))).collect();
        let got = merge_ranges(&wanted, max_gap);
        assert_eq!(
            got,
            merge_reference(&wanted, max_gap),
            "{wanted:?} gap {max_gap}"
        );
        for r in &got {
            let inside: Vec<_> = wanted
                .iter()
                .filter(|w| r.start <= w.0 && w.0 + w.1 <= r.end)
                .collect();
            let asked: std::collections::BTreeSet<u64> =
                inside.iter().flat_map(|w| w.0..w.0 + w.1).collect();
            let unasked = (r.end - r.start) - asked.len() as u64;
            assert!(unasked <= max_gap, "{r:?} reads {unasked} unasked bytes");
        }
        for w in &wanted {
            assert!(
                got.iter().any(|r| r.start <= w.0 && w.0 + w.1 <= r.end),
                "{w:?} is in no request of {got:?}"
            );
        }
    }
}
