//! Trino's `map_concat` over label-set ids, memoised per combination.
//!
//! Pod and Storage rows both merge `node ∪ namespace ∪ …` with the later map winning; the inputs
//! repeat across groups, so each distinct combination is merged and interned once.

use crate::catalog::{LabelTable, NULL_SET};
use hashbrown::HashMap;
use ocp_summary_kernels::labels::{Label, SetId};
use ocp_summary_kernels::merge::{merge3, merge_into};

/// Merges already done, kept for the whole run: the same node, namespace and pod label sets
/// meet again every day.
#[derive(Default)]
pub struct MergeMemo {
    pairs: HashMap<(u32, u32), u32>,
    triples: HashMap<(u32, u32, u32), u32>,
    scratch: Vec<Label>,
    out: Vec<Label>,
}

pub struct LabelMerger<'a> {
    table: &'a mut LabelTable,
    memo: &'a mut MergeMemo,
}

impl<'a> LabelMerger<'a> {
    pub fn new(table: &'a mut LabelTable, memo: &'a mut MergeMemo) -> Self {
        LabelMerger { table, memo }
    }

    /// `map_concat(first, second)`: NULL if either is NULL (Trino is null-on-null, E5).
    pub fn concat2(&mut self, first: u32, second: u32) -> u32 {
        if first == NULL_SET || second == NULL_SET {
            return NULL_SET;
        }
        let memo = self.table.memo;
        if let Some(&m) = self.memo.pairs.get(&(first, second)).filter(|_| memo) {
            return m;
        }
        let sets = &self.table.sets;
        merge_into(
            sets.get(SetId(first)),
            sets.get(SetId(second)),
            &mut self.memo.out,
        );
        let merged = self.table.sets.intern(&self.memo.out).0;
        if memo {
            self.memo.pairs.insert((first, second), merged);
        }
        merged
    }

    /// `map_concat(node or {}, namespace or {}, last)`: NULL when `last` is NULL (E5).
    pub fn concat3(&mut self, node: u32, namespace: u32, last: u32) -> u32 {
        if last == NULL_SET {
            return NULL_SET;
        }
        let or_empty = |s: u32| if s == NULL_SET { 0 } else { s };
        let key = (or_empty(node), or_empty(namespace), last);
        let memo = self.table.memo;
        if let Some(&m) = self.memo.triples.get(&key).filter(|_| memo) {
            return m;
        }
        let sets = &self.table.sets;
        merge3(
            sets.get(SetId(key.0)),
            sets.get(SetId(key.1)),
            sets.get(SetId(key.2)),
            &mut self.memo.scratch,
            &mut self.memo.out,
        );
        let merged = self.table.sets.intern(&self.memo.out).0;
        if memo {
            self.memo.triples.insert(key, merged);
        }
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{catalog, concat, label_map, label_set};
    use std::collections::BTreeSet;

    const JSON: [Option<&str>; 8] = [
        Some("{}"),
        Some(r#"{"a": "1"}"#),
        Some(r#"{"a": "2", "b": "1"}"#),
        Some(r#"{"b": "2", "c": "3"}"#),
        Some(r#"{"c": "1", "d": "1", "a": "3"}"#),
        Some(r#"{"d": "2"}"#),
        Some(r#"{"x": "1"}"#), // no enabled key: the empty set
        None,
    ];

    fn sets(cat: &crate::catalog::Catalog) -> Vec<u32> {
        let ids: BTreeSet<u32> = JSON.iter().map(|j| label_set(cat, *j)).collect();
        assert_eq!(ids.len(), 7, "six distinct maps and NULL");
        ids.into_iter().collect()
    }

    /// `map_concat(x, y)` memoised equals the plain merge (later map wins) and an unmemoised
    /// call; NULL in, NULL out.
    #[test]
    fn concat2_memoised_equals_plain_merge() {
        let cat = catalog(&["a", "b", "c", "d"]);
        let sets = sets(&cat);
        cat.with_tables(|_, labels, keys| {
            let mut memo = MergeMemo::default();
            for round in 0..2 {
                for &x in &sets {
                    for &y in &sets {
                        let got = LabelMerger::new(labels, &mut memo).concat2(x, y);
                        let fresh =
                            LabelMerger::new(labels, &mut MergeMemo::default()).concat2(x, y);
                        assert_eq!(got, fresh, "round {round}: {x} {y}");
                        let want = match (label_map(labels, keys, x), label_map(labels, keys, y)) {
                            (Some(a), Some(b)) => Some(concat(&[&a, &b])),
                            _ => None,
                        };
                        assert_eq!(label_map(labels, keys, got), want, "{x} {y}");
                    }
                }
                // Every non-NULL pair merged once, in the first round only.
                assert_eq!(memo.pairs.len(), 6 * 6, "round {round}");
            }
        });
    }

    /// `map_concat(node or {}, namespace or {}, last)`: pod (or volume) beats namespace beats
    /// node; NULL only when `last` is NULL (E5).
    #[test]
    fn concat3_memoised_equals_plain_merge() {
        let cat = catalog(&["a", "b", "c", "d"]);
        let sets = sets(&cat);
        cat.with_tables(|_, labels, keys| {
            let mut memo = MergeMemo::default();
            let empty = crate::test_util::LabelMap::new();
            for round in 0..2 {
                for &node in &sets {
                    for &ns in &sets {
                        for &last in &sets {
                            let got = LabelMerger::new(labels, &mut memo).concat3(node, ns, last);
                            let fresh = LabelMerger::new(labels, &mut MergeMemo::default())
                                .concat3(node, ns, last);
                            assert_eq!(got, fresh, "round {round}");
                            let or_empty = |s| label_map(labels, keys, s).unwrap_or_default();
                            let want = label_map(labels, keys, last)
                                .map(|l| concat(&[&or_empty(node), &or_empty(ns), &l]));
                            assert_eq!(label_map(labels, keys, got), want, "{node} {ns} {last}");
                            if last != NULL_SET && node == NULL_SET {
                                // NULL node labels join as `{}`.
                                let as_empty =
                                    LabelMerger::new(labels, &mut memo).concat3(0, ns, last);
                                assert_eq!(got, as_empty);
                                assert_eq!(label_map(labels, keys, 0), Some(empty.clone()));
                            }
                        }
                    }
                }
                // NULL and `{}` share memo entries: 6 × 6 × 6 non-NULL-last combinations.
                assert_eq!(memo.triples.len(), 6 * 6 * 6, "round {round}");
            }
        });
    }
}
