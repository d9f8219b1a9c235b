//! Merging sorted label arrays, the later map winning on equal keys.
//!
//! Koku's SQL builds a pod's labels with `map_concat(node, namespace, pod)`: on a key present in
//! several maps the last one wins. Our label sets are `(KeyId, ValueId)` arrays sorted by key
//! with unique keys, so the merge is a linear two-pointer walk instead of a map build.

use crate::labels::Label;

/// Writes the union of `base` and `over` into `out` (cleared first), sorted by key; on a key in
/// both, `over`'s value wins.
///
/// Both inputs must be sorted by key with unique keys (as [`crate::labels::LabelParser`] and
/// [`crate::labels::LabelSets`] produce them); the output then is too.
pub fn merge_into(base: &[Label], over: &[Label], out: &mut Vec<Label>) {
    out.clear();
    out.reserve(base.len() + over.len());
    let (mut i, mut j) = (0, 0);
    while i < base.len() && j < over.len() {
        let (b, o) = (base[i], over[j]);
        match b.0.cmp(&o.0) {
            std::cmp::Ordering::Less => {
                out.push(b);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(o);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(o);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&base[i..]);
    out.extend_from_slice(&over[j..]);
}

/// `merge(merge(node, namespace), pod)`: pod labels beat namespace labels beat node labels.
/// `scratch` holds the intermediate result; both buffers are reused across calls.
pub fn merge3(
    node: &[Label],
    namespace: &[Label],
    pod: &[Label],
    scratch: &mut Vec<Label>,
    out: &mut Vec<Label>,
) {
    merge_into(node, namespace, scratch);
    merge_into(scratch, pod, out);
}

/// Reference: insert every pair into a `BTreeMap` in order, later inserts overwriting.
#[cfg(test)]
mod naive {
    use crate::labels::Label;
    use std::collections::BTreeMap;

    pub fn merge(maps: &[&[Label]]) -> Vec<Label> {
        let mut all = BTreeMap::new();
        for map in maps {
            for &(k, v) in *map {
                all.insert(k, v);
            }
        }
        all.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::{KeyId, ValueId};
    use proptest::prelude::*;

    fn l(pairs: &[(u32, u32)]) -> Vec<Label> {
        pairs.iter().map(|&(k, v)| (KeyId(k), ValueId(v))).collect()
    }

    #[test]
    fn edge_cases() {
        type Case = (
            &'static [(u32, u32)],
            &'static [(u32, u32)],
            &'static [(u32, u32)],
        );
        let cases: &[Case] = &[
            (&[], &[], &[]),
            (&[(1, 1)], &[], &[(1, 1)]),
            (&[], &[(1, 1)], &[(1, 1)]),
            (&[(1, 1)], &[(1, 2)], &[(1, 2)]),
            (&[(1, 1), (3, 3)], &[(2, 2)], &[(1, 1), (2, 2), (3, 3)]),
            (&[(2, 2)], &[(1, 1), (3, 3)], &[(1, 1), (2, 2), (3, 3)]),
            (&[(1, 1), (2, 2)], &[(1, 9), (2, 9)], &[(1, 9), (2, 9)]),
            (&[(5, 0)], &[(0, 5)], &[(0, 5), (5, 0)]),
        ];
        let mut out = l(&[(7, 7)]);
        for &(base, over, want) in cases {
            merge_into(&l(base), &l(over), &mut out);
            assert_eq!(out, l(want), "{base:?} + {over:?}");
        }
        let mut scratch = Vec::new();
        merge3(
            &l(&[(1, 1), (2, 1), (3, 1)]),
            &l(&[(2, 2), (3, 2)]),
            &l(&[(3, 3)]),
            &mut scratch,
            &mut out,
        );
        assert_eq!(out, l(&[(1, 1), (2, 2), (3, 3)]));
    }

    fn sorted_labels() -> impl Strategy<Value = Vec<Label>> {
        proptest::collection::btree_map(0u32..30, 0u32..5, 0..15)
            .prop_map(|m| m.into_iter().map(|(k, v)| (KeyId(k), ValueId(v))).collect())
    }

    proptest! {
        #[test]
        fn matches_naive(node in sorted_labels(), ns in sorted_labels(), pod in sorted_labels()) {
            let (mut scratch, mut out) = (Vec::new(), Vec::new());
            merge_into(&node, &pod, &mut out);
            prop_assert_eq!(&out, &naive::merge(&[&node, &pod]));
            merge3(&node, &ns, &pod, &mut scratch, &mut out);
            prop_assert_eq!(&out, &naive::merge(&[&node, &ns, &pod]));
        }
    }
}
