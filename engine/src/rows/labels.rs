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
        if let Some(&m) = self.memo.pairs.get(&(first, second)) {
            return m;
        }
        let sets = &self.table.sets;
        merge_into(
            sets.get(SetId(first)),
            sets.get(SetId(second)),
            &mut self.memo.out,
        );
        let merged = self.table.sets.intern(&self.memo.out).0;
        self.memo.pairs.insert((first, second), merged);
        merged
    }

    /// `map_concat(node or {}, namespace or {}, last)`: NULL when `last` is NULL (E5).
    pub fn concat3(&mut self, node: u32, namespace: u32, last: u32) -> u32 {
        if last == NULL_SET {
            return NULL_SET;
        }
        let or_empty = |s: u32| if s == NULL_SET { 0 } else { s };
        let key = (or_empty(node), or_empty(namespace), last);
        if let Some(&m) = self.memo.triples.get(&key) {
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
        self.memo.triples.insert(key, merged);
        merged
    }
}
