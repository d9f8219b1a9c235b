//! The bitmap against a plain `Vec<bool>` (the reference), over random sequences of appends.

use super::*;
use proptest::prelude::*;

/// One way of appending rows.
#[derive(Debug, Clone)]
enum Append {
    Push(bool),
    Constant(usize, bool),
    /// Levels of a column whose maximum level is 1 or 2 (levels `0..=max`).
    Levels(Vec<u32>, u32),
    Bitmap(Vec<bool>),
}

fn append() -> impl Strategy<Value = Append> {
    prop_oneof![
        any::<bool>().prop_map(Append::Push),
        (0usize..200, any::<bool>()).prop_map(|(n, v)| Append::Constant(n, v)),
        (1u32..=2)
            .prop_flat_map(|max| (proptest::collection::vec(0..=max, 0..300), Just(max)))
            .prop_map(|(levels, max)| Append::Levels(levels, max)),
        proptest::collection::vec(any::<bool>(), 0..200).prop_map(Append::Bitmap),
    ]
}

fn apply(bitmap: &mut Validity, reference: &mut Vec<bool>, op: &Append) {
    match op {
        Append::Push(v) => {
            bitmap.push(*v);
            reference.push(*v);
        }
        Append::Constant(n, v) => {
            bitmap.extend_constant(*n, *v);
            reference.resize(reference.len() + n, *v);
        }
        Append::Levels(levels, max) => {
            bitmap.extend_from_levels(levels, *max);
            reference.extend(levels.iter().map(|l| l == max));
        }
        Append::Bitmap(bools) => {
            bitmap.extend_from(&bools.iter().copied().collect());
            reference.extend_from_slice(bools);
        }
    }
}

/// Every observable property of `bitmap` equals the reference's.
fn assert_same(bitmap: &Validity, reference: &[bool]) {
    assert_eq!(bitmap.len(), reference.len());
    assert_eq!(bitmap.is_empty(), reference.is_empty());
    assert_eq!(
        bitmap.null_count(),
        reference.iter().filter(|v| !**v).count()
    );
    assert_eq!(bitmap.iter().collect::<Vec<_>>(), reference);
    for (i, &v) in reference.iter().enumerate() {
        assert_eq!(bitmap.get(i), v, "row {i}");
    }
    assert_eq!(bitmap.words().len(), reference.len().div_ceil(64));
    let set: u32 = bitmap.words().iter().map(|w| w.count_ones()).sum();
    assert_eq!(
        set as usize,
        reference.iter().filter(|v| **v).count(),
        "no bits past len"
    );
}

proptest! {
    #[test]
    fn appends_match_a_vec_of_bools(ops in proptest::collection::vec(append(), 0..12)) {
        let (mut bitmap, mut reference) = (Validity::new(), Vec::new());
        for op in &ops {
            apply(&mut bitmap, &mut reference, op);
            assert_same(&bitmap, &reference);
        }
        // The same rows built one push at a time give an equal bitmap.
        let pushed: Validity = reference.iter().copied().collect();
        prop_assert_eq!(&pushed, &bitmap);
        bitmap.clear();
        assert_same(&bitmap, &[]);
    }
}

#[test]
fn word_edges() {
    for n in [0, 1, 63, 64, 65, 127, 128, 129] {
        for valid in [true, false] {
            let v = Validity::with_all(n, valid);
            assert_same(&v, &vec![valid; n]);
        }
        let mut v = Validity::with_all(3, true);
        v.extend_constant(n, true);
        v.extend_constant(n, false);
        let mut want = vec![true; 3 + n];
        want.resize(3 + 2 * n, false);
        assert_same(&v, &want);
    }
}

#[test]
#[should_panic(expected = "row 5 of 3")]
fn a_row_past_the_end_panics_even_inside_the_last_word() {
    let v = Validity::with_all(3, true);
    let _ = v.get(5);
}
