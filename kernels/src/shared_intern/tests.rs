use super::*;
use crate::intern::naive;
use proptest::prelude::*;
use std::collections::HashMap;
use std::sync::Barrier;

fn check_against_naive(limit: u32, strings: &[Vec<u8>]) -> Result<(), TestCaseError> {
    let fast = SharedInterner::with_limit(limit);
    let mut slow = naive::SliceInterner::with_limit(limit as usize);
    for s in strings {
        let got = fast.try_intern(s);
        match slow.intern(s) {
            Some(id) => prop_assert_eq!(got, Ok(id)),
            None => prop_assert_eq!(got, Err(KernelError::TooManyDistinct { limit })),
        }
        prop_assert_eq!(fast.len(), slow.slices.len());
    }
    for (id, s) in fast.iter() {
        prop_assert_eq!(s, &slow.slices[id as usize][..]);
        prop_assert_eq!(fast.lookup(s), Some(id));
    }
    for s in strings {
        prop_assert_eq!(fast.lookup(s), slow.ids.get(s).copied());
    }
    prop_assert_eq!(
        fast.bytes_used(),
        slow.slices.iter().map(Vec::len).sum::<usize>()
    );
    Ok(())
}

#[test]
fn segments_cover_ids_without_gaps() {
    let mut expected = (0, 0);
    for id in 0..100_000u32 {
        assert_eq!(segment_of(id), expected, "id {id}");
        expected.1 += 1;
        if expected.1 == (FIRST_SEGMENT as usize) << expected.0 {
            expected = (expected.0 + 1, 0);
        }
    }
    let (last, offset) = segment_of(u32::MAX - 1);
    assert!(last < SEGMENTS);
    assert!(offset < (FIRST_SEGMENT as usize) << last);
}

#[test]
fn edge_cases() {
    let i = SharedInterner::new();
    assert!(i.is_empty());
    assert_eq!(i.lookup(b""), None);
    assert_eq!(i.intern(b""), 0);
    assert_eq!(i.intern(b"a"), 1);
    assert_eq!(i.intern(b""), 0);
    assert_eq!(i.get(0), b"");
    assert_eq!(i.get(1), b"a");
    assert_eq!(i.lookup_after(b"a", Some(0)), Some(1));
    assert_eq!(
        i.lookup_after(b"a", Some(1)),
        Some(1),
        "a wrong guess still finds it"
    );
    assert_eq!(i.lookup_after(b"b", Some(0)), None);
    assert_eq!(i.lookup_after(b"a", Some(u32::MAX)), Some(1), "no overflow");
    assert_eq!(i.len(), 2);
}

#[test]
#[should_panic(expected = "out of range")]
fn get_past_the_count_panics() {
    let i = SharedInterner::new();
    i.intern(b"x");
    let _ = i.get(1);
}

/// Long strings get their own allocation; shorter ones fill chunks and move on when the next
/// does not fit. Either way the bytes stay put.
#[test]
fn long_and_short_strings_keep_their_bytes() {
    let i = SharedInterner::new();
    let strings: Vec<Vec<u8>> = (0..2_000)
        .map(|n| vec![n as u8; if n % 7 == 0 { LONG + n } else { n * 37 % 3000 }])
        .collect();
    let ids: Vec<u32> = strings.iter().map(|s| i.intern(s)).collect();
    for (s, &id) in strings.iter().zip(&ids) {
        assert_eq!(i.get(id), &s[..]);
    }
}

/// Threads interning overlapping strings at once agree on every id, ids are dense, and each
/// id reads back its string: readers probe tables while the writer grows them.
#[test]
fn threads_agree_on_ids() {
    let i = SharedInterner::new();
    let threads = 4;
    let barrier = Barrier::new(threads);
    let seen: Vec<Vec<(Vec<u8>, u32)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (i, barrier) = (&i, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    (0..20_000u32)
                        .map(|n| {
                            // Each thread walks the shared range from its own start.
                            let v = (n * 7 + t as u32 * 5_000) % 30_000;
                            let s = format!("s{v}").into_bytes();
                            let id = if n % 3 == 0 {
                                i.writer().try_intern(&s).unwrap()
                            } else {
                                i.intern(&s)
                            };
                            (s, id)
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut ids: HashMap<Vec<u8>, u32> = HashMap::new();
    for (s, id) in seen.into_iter().flatten() {
        assert_eq!(*ids.entry(s.clone()).or_insert(id), id, "one id per string");
        assert_eq!(i.get(id), &s[..]);
    }
    assert_eq!(i.len(), ids.len());
    let mut all: Vec<u32> = ids.into_values().collect();
    all.sort_unstable();
    assert!(all.iter().copied().eq(0..all.len() as u32), "dense ids");
}

proptest! {
    #[test]
    fn matches_naive(strings in proptest::collection::vec(
        proptest::collection::vec(0u8..4, 0..5), 0..200)) {
        check_against_naive(MAX_DISTINCT, &strings)?;
    }

    /// Past the first table and segment: growth rehashes every id.
    #[test]
    fn matches_naive_through_growth(strings in proptest::collection::vec(
        proptest::collection::vec(any::<u8>(), 0..12), 0..2_000)) {
        check_against_naive(MAX_DISTINCT, &strings)?;
    }

    /// The first `limit` distinct strings get ids; later new ones are errors that change
    /// nothing, and known ones still resolve.
    #[test]
    fn limit_matches_naive(limit in 0u32..20, strings in proptest::collection::vec(
        proptest::collection::vec(0u8..4, 0..4), 0..100)) {
        check_against_naive(limit, &strings)?;
    }

    /// Any guess, right, wrong or out of range, gives the plain lookup's answer.
    #[test]
    fn a_guess_never_changes_the_answer(
        strings in proptest::collection::vec(proptest::collection::vec(0u8..3, 0..3), 1..60),
        guesses in proptest::collection::vec(proptest::option::of(0u32..80), 0..200),
    ) {
        let i = SharedInterner::new();
        for s in strings.iter().step_by(2) {
            i.intern(s);
        }
        for (n, s) in strings.iter().cycle().take(200).enumerate() {
            let after = guesses.get(n).copied().flatten();
            prop_assert_eq!(i.lookup_after(s, after), i.lookup(s));
        }
    }
}
