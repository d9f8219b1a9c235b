//! One batch of complete days → its output rows, in output order.
//!
//! Every output row belongs to one day, and every join of the spec matches on the day, so a batch
//! of days is built from that batch's groups alone: Pod rows, then the unallocated rows from the
//! sorted Pod rows (spec §8), then Storage rows. The run feeds batches in day order, which is the
//! first key of the output order, so the concatenated batches are the month's sorted rows.

use super::category::CategoryMatcher;
use super::labels::{LabelAccess, LabelMerger, MergeMemo};
use super::order::{rank_rows, sort_rows};
use super::unallocated::{self, RoleLookup};
use super::SummaryRow;
use crate::aggregate::exec::Aggregates;
use crate::plan::lookups::CostCategory;
use crate::plan::RowSelection;
use crate::render::{LabelJson, Ranks};
use ocp_summary_kernels::labels::EnabledKeys;
use ocp_summary_kernels::shared_intern::SharedInterner;
use std::time::{Duration, Instant};

/// Row-building state that lives for the whole run.
pub struct BatchBuilder<'p> {
    selection: RowSelection,
    cost_categories: &'p [CostCategory],
    categories: CategoryMatcher,
    roles: RoleLookup,
    /// The ids of the four special namespaces ([`unallocated::intern_namespaces`]).
    special: [u32; 4],
    memo: MergeMemo,
    pod_groups: super::pod::PodGroups,
    /// Byte-order ranks of the strings and label sets sorted on so far.
    ranks: Ranks,
    /// Row vectors the writer is done with, emptied, for the next batches ([`Self::recycle`]).
    spare_rows: Vec<Vec<SummaryRow>>,
    /// Time spent building rows and sorting them, over all batches.
    pub build_time: Duration,
    pub sort_time: Duration,
}

/// A batch's Pod and Storage rows, built but not yet in order.
pub struct MergedRows {
    pod: Vec<SummaryRow>,
    storage: Vec<SummaryRow>,
}

/// The run-wide tables a batch is built against.
pub struct Tables<'t> {
    pub strings: &'t SharedInterner,
    /// Locked only to merge label sets the memo lacks and to render new sets' JSON.
    pub labels: LabelAccess<'t>,
    pub enabled: &'t EnabledKeys,
    pub json: &'t mut LabelJson,
}

impl<'p> BatchBuilder<'p> {
    pub fn new(
        selection: RowSelection,
        cost_categories: &'p [CostCategory],
        roles: RoleLookup,
        special: [u32; 4],
    ) -> Self {
        BatchBuilder {
            selection,
            cost_categories,
            categories: CategoryMatcher::new(cost_categories),
            roles,
            special,
            memo: MergeMemo::default(),
            pod_groups: Default::default(),
            ranks: Ranks::default(),
            spare_rows: Vec::new(),
            build_time: Duration::ZERO,
            sort_time: Duration::ZERO,
        }
    }

    /// Builds the Pod and Storage rows of `batch`: the part that merges label sets, and so the
    /// only part that needs the label table. [`Self::finish`] does the rest without it.
    pub fn merge_labels(&mut self, batch: &Aggregates, t: &mut Tables<'_>) -> MergedRows {
        let started = Instant::now();
        let daily = batch.capacity.daily();
        let mut merger = LabelMerger::new(t.labels.reborrow(), &mut self.memo);
        let storage = super::storage::build(batch, &mut self.categories, t.strings, &mut merger);
        // Room for the storage rows and at most one unallocated row per (day, node, category).
        let extra = storage.len() + daily.node.len() * self.cost_categories.len().max(1);
        let mut rows = self.spare_rows.pop().unwrap_or_default();
        rows.reserve(batch.pods.len() + extra);
        let pod = super::pod::build(
            batch,
            &daily,
            &mut self.categories,
            t.strings,
            &mut merger,
            &mut self.pod_groups,
            rows,
        );
        let (json, enabled) = (&mut *t.json, t.enabled);
        t.labels.with(|labels| json.update(labels, enabled));
        self.build_time += started.elapsed();
        MergedRows { pod, storage }
    }

    /// Ranks and sorts the rows [`Self::merge_labels`] built, adds the unallocated rows, and
    /// hands them all, in output order, to `write` with the strings and label JSON they refer
    /// to.
    pub fn finish<T>(
        &mut self,
        merged: MergedRows,
        strings: &SharedInterner,
        json: &LabelJson,
        write: impl FnOnce(Vec<SummaryRow>, &SharedInterner, &LabelJson) -> T,
    ) -> T {
        let MergedRows {
            pod: mut rows,
            storage,
        } = merged;
        // One ranking serves both sorts: unallocated rows only add the special namespaces.
        let mut ranks = std::mem::take(&mut self.ranks);
        rank_rows(
            &mut ranks,
            strings,
            json.as_slice(),
            &[&rows, &storage],
            &self.special,
        );
        self.sort(&mut rows, &ranks);
        let started = Instant::now();
        if !self.selection.pod_only {
            let extra = unallocated::build(
                &rows,
                &self.roles,
                self.cost_categories,
                strings,
                self.special,
            );
            rows.extend(extra);
        }
        rows.extend(storage);
        self.build_time += started.elapsed();
        self.sort(&mut rows, &ranks);
        self.ranks = ranks;
        write(rows, strings, json)
    }

    /// Takes back a batch's row vector once it is written, to build a later batch in: reusing
    /// its memory spares faulting fresh pages in for every batch. Keeps at most two.
    pub fn recycle(&mut self, mut rows: Vec<SummaryRow>) {
        rows.clear();
        if self.spare_rows.len() < 2 {
            self.spare_rows.push(rows);
        }
    }

    fn sort(&mut self, rows: &mut [SummaryRow], ranks: &Ranks) {
        let started = Instant::now();
        sort_rows(rows, ranks);
        self.sort_time += started.elapsed();
    }
}
