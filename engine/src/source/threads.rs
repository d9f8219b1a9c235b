//! Blocking requests in flight together, on a few scoped threads.
//!
//! A store without background reads answers one request per call, so reading many footers or
//! checking many partitions one after another costs a round trip each. These run `f` on up to
//! `threads` threads, each taking the next item as it finishes one, so a slow request holds up
//! only its own thread.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// `f` of each item, in the items' order, computed on up to `threads` threads (on this one
/// when that is one or fewer).
pub fn map_on_threads<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let results = Mutex::new((0..items.len()).map(|_| None).collect::<Vec<_>>());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let result = f(item);
                results.lock().expect("not poisoned")[i] = Some(result);
            });
        }
    });
    let results = results.into_inner().expect("not poisoned");
    results
        .into_iter()
        .map(|r| r.expect("every item mapped"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_items_order_at_any_thread_count() {
        let items: Vec<u64> = (0..100).collect();
        let want: Vec<u64> = items.iter().map(|i| i * i).collect();
        for threads in [0, 1, 2, 7, 100, 1000] {
            let got = map_on_threads(&items, threads, |&i| {
                // Later items finish first, so order comes from the index, not completion.
                std::thread::sleep(std::time::Duration::from_micros(100 - i));
                i * i
            });
            assert_eq!(got, want, "{threads} threads");
        }
        assert!(map_on_threads(&[] as &[u8], 4, |_| 0).is_empty());
    }
}
