//! Trino's `map_concat` over label-set ids, memoised per combination.
//!
//! Pod and Storage rows both merge `node ∪ namespace ∪ …` with the later map winning; the inputs
//! repeat across groups, so each distinct combination is merged and interned once.
//!
//! The memo belongs to the merging thread, so a combination merged before needs no table at
//! all: with the catalog's table ([`LabelAccess::Shared`]) the merger locks it only to merge and
//! intern a new combination. Workers parsing label strings take the same table, and while a
//! batch was built under one long lock they waited for all of it (0.15 s of worker time a run
//! at L with every kind of row).

use crate::catalog::{Catalog, LabelTable, NULL_SET};
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

/// Where a [`LabelMerger`] finds the label table.
pub enum LabelAccess<'a> {
    /// Held by the caller for the merger's life.
    Held(&'a mut LabelTable),
    /// The catalog's, locked only for a merge the memo does not have.
    Shared(&'a Catalog),
}

impl<'a> From<&'a mut LabelTable> for LabelAccess<'a> {
    fn from(table: &'a mut LabelTable) -> Self {
        LabelAccess::Held(table)
    }
}

impl<'a> From<&'a Catalog> for LabelAccess<'a> {
    fn from(catalog: &'a Catalog) -> Self {
        LabelAccess::Shared(catalog)
    }
}

impl LabelAccess<'_> {
    /// The same table, for a shorter while (a merger for one batch).
    pub fn reborrow(&mut self) -> LabelAccess<'_> {
        match self {
            LabelAccess::Held(table) => LabelAccess::Held(table),
            LabelAccess::Shared(catalog) => LabelAccess::Shared(catalog),
        }
    }

    /// Runs `f` with the table, locking the catalog's for just this call.
    pub fn with<R>(&mut self, f: impl FnOnce(&mut LabelTable) -> R) -> R {
        match self {
            LabelAccess::Held(table) => f(table),
            LabelAccess::Shared(catalog) => catalog.with_labels(|table, _| f(table)),
        }
    }

    /// Whether merges are memoised (`--label-memo`).
    fn memo(&self) -> bool {
        match self {
            LabelAccess::Held(table) => table.memo,
            LabelAccess::Shared(catalog) => catalog.label_memo(),
        }
    }
}

pub struct LabelMerger<'a> {
    table: LabelAccess<'a>,
    memo: &'a mut MergeMemo,
}

impl<'a> LabelMerger<'a> {
    pub fn new(table: impl Into<LabelAccess<'a>>, memo: &'a mut MergeMemo) -> Self {
        LabelMerger {
            table: table.into(),
            memo,
        }
    }

    /// `map_concat(first, second)`: NULL if either is NULL (Trino is null-on-null, E5).
    pub fn concat2(&mut self, first: u32, second: u32) -> u32 {
        if first == NULL_SET || second == NULL_SET {
            return NULL_SET;
        }
        let memo = self.table.memo();
        if let Some(&m) = self.memo.pairs.get(&(first, second)).filter(|_| memo) {
            return m;
        }
        let out = &mut self.memo.out;
        let merged = self.table.with(|table| {
            let sets = &table.sets;
            merge_into(sets.get(SetId(first)), sets.get(SetId(second)), out);
            table.sets.intern(out).0
        });
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
        let memo = self.table.memo();
        if let Some(&m) = self.memo.triples.get(&key).filter(|_| memo) {
            return m;
        }
        let (scratch, out) = (&mut self.memo.scratch, &mut self.memo.out);
        let merged = self.table.with(|table| {
            let sets = &table.sets;
            let [node, ns, last] = [key.0, key.1, key.2].map(|s| sets.get(SetId(s)));
            merge3(node, ns, last, scratch, out);
            table.sets.intern(out).0
        });
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
        cat.with_labels(|labels, keys| {
            let mut memo = MergeMemo::default();
            for round in 0..2 {
                for &x in &sets {
                    for &y in &sets {
                        let got = LabelMerger::new(&mut *labels, &mut memo).concat2(x, y);
                        let fresh =
                            LabelMerger::new(&mut *labels, &mut MergeMemo::default()).concat2(x, y);
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
        cat.with_labels(|labels, keys| {
            let mut memo = MergeMemo::default();
            let empty = crate::test_util::LabelMap::new();
            for round in 0..2 {
                for &node in &sets {
                    for &ns in &sets {
                        for &last in &sets {
                            let got =
                                LabelMerger::new(&mut *labels, &mut memo).concat3(node, ns, last);
                            let fresh = LabelMerger::new(&mut *labels, &mut MergeMemo::default())
                                .concat3(node, ns, last);
                            assert_eq!(got, fresh, "round {round}");
                            let or_empty = |s| label_map(labels, keys, s).unwrap_or_default();
                            let want = label_map(labels, keys, last)
                                .map(|l| concat(&[&or_empty(node), &or_empty(ns), &l]));
                            assert_eq!(label_map(labels, keys, got), want, "{node} {ns} {last}");
                            if last != NULL_SET && node == NULL_SET {
                                // NULL node labels join as `{}`.
                                let as_empty =
                                    LabelMerger::new(&mut *labels, &mut memo).concat3(0, ns, last);
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

    /// A merger on the catalog's table merges as one holding it, and between merges leaves it
    /// free for the workers parsing label strings.
    #[test]
    fn a_shared_merger_leaves_the_table_free_between_merges() {
        let cat = catalog(&["a", "b", "c", "d"]);
        let sets = sets(&cat);
        let held = cat.with_labels(|labels, _| {
            LabelMerger::new(labels, &mut MergeMemo::default()).concat3(sets[1], sets[2], sets[3])
        });
        let mut memo = MergeMemo::default();
        let mut merger = LabelMerger::new(&cat, &mut memo);
        assert_eq!(merger.concat3(sets[1], sets[2], sets[3]), held);
        assert!(cat.label_table_is_free(), "held after a merge");
        // A worker parses a string while the merger lives; the memo then answers without the
        // table, and a new merge takes it again.
        let new = label_set(&cat, Some(r#"{"a": "new"}"#));
        assert_eq!(merger.concat3(sets[1], sets[2], sets[3]), held);
        assert_ne!(merger.concat2(sets[1], new), held);
        assert!(cat.label_table_is_free(), "held after a merge");
    }
}
