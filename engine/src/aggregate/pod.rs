//! Daily pod rows → sums per (day, namespace, node, filtered pod labels) (spec §6).
//!
//! This is the pre-join half of Koku's Pod SELECT: rows with an empty or NULL node are dropped
//! (E1), pod labels arrive as label-set ids already filtered by the enabled keys, and every daily
//! row adds into its group. The joins with node/namespace labels and cost categories multiply whole
//! groups, so they happen once per group in `rows::pod`, not once per row.

use super::max_opt;
use crate::catalog::{Catalog, NULL_ID};
use crate::plan::columns::{ColumnKind, ColumnRequest};
use crate::value::date::Day;
use crate::value::OptF64;
use ocp_summary_kernels::direct_index::{DirectKey, DirectMap};
use std::cmp::Ordering;
use std::collections::BTreeMap;

const TS: usize = 0;
const NAMESPACE: usize = 1;
const NODE: usize = 2;
const RESOURCE_ID: usize = 3;
const POD_LABELS: usize = 4;
const USAGE_CPU: usize = 5;
const REQUEST_CPU: usize = 6;
const EFFECTIVE_CPU: usize = 7;
const LIMIT_CPU: usize = 8;
const USAGE_MEM: usize = 9;
const REQUEST_MEM: usize = 10;
const EFFECTIVE_MEM: usize = 11;
const LIMIT_MEM: usize = 12;
const CAP_CPU_CORES: usize = 13;
const CAP_MEM_BYTES: usize = 14;

pub const COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("namespace", ColumnKind::String),
    ColumnRequest::required("node", ColumnKind::String),
    ColumnRequest::required("resource_id", ColumnKind::String),
    ColumnRequest::required("pod_labels", ColumnKind::String),
    ColumnRequest::required("pod_usage_cpu_core_seconds", ColumnKind::Double),
    ColumnRequest::required("pod_request_cpu_core_seconds", ColumnKind::Double),
    ColumnRequest::optional("pod_effective_usage_cpu_core_seconds", ColumnKind::Double),
    ColumnRequest::required("pod_limit_cpu_core_seconds", ColumnKind::Double),
    ColumnRequest::required("pod_usage_memory_byte_seconds", ColumnKind::Double),
    ColumnRequest::required("pod_request_memory_byte_seconds", ColumnKind::Double),
    ColumnRequest::optional(
        "pod_effective_usage_memory_byte_seconds",
        ColumnKind::Double,
    ),
    ColumnRequest::required("pod_limit_memory_byte_seconds", ColumnKind::Double),
    ColumnRequest::required("node_capacity_cpu_cores", ColumnKind::Double),
    ColumnRequest::required("node_capacity_memory_bytes", ColumnKind::Double),
];

/// Which column of [`COLUMNS`] holds labels (decoded as label-set ids).
pub const LABEL_COLUMNS: &[usize] = &[POD_LABELS];

/// Order of the eight summed metrics.
pub const METRICS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodKey {
    pub day: Day,
    pub namespace: u32,
    pub node: u32,
    /// Filtered pod label set, or `NULL_SET`.
    pub labels: u32,
}

/// Sums of one pod group. NULL-aware sums are stored densely (a NULL adds 0.0 and leaves its
/// `present` bit clear), so an entry is 88 bytes instead of 168 with `Option<f64>` padding.
#[derive(Debug, Clone, Copy)]
pub struct PodAcc {
    /// usage, request, effective, limit for cpu (seconds), then memory (byte-seconds).
    sums: [f64; METRICS],
    /// Bit `i` set when `sums[i]` has had a non-NULL input.
    present: u8,
    pub resource_id: u32,
    cap_cpu_cores: OptF64,
    cap_mem_bytes: OptF64,
}

/// A group's label set is nearly its own within a day (a pod's labels name it), so group
/// tables find a key through it before hashing
/// ([`DirectIndex`](ocp_summary_kernels::direct_index::DirectIndex)).
impl DirectKey for PodKey {
    #[inline]
    fn direct(&self) -> u32 {
        self.labels
    }
}

impl Default for PodAcc {
    fn default() -> Self {
        PodAcc {
            sums: [0.0; METRICS],
            present: 0,
            resource_id: NULL_ID,
            cap_cpu_cores: OptF64::NULL,
            cap_mem_bytes: OptF64::NULL,
        }
    }
}

impl PodAcc {
    /// Sum `i` as SQL `sum`: NULL when every input was NULL.
    #[inline]
    pub fn sum(&self, i: usize) -> Option<f64> {
        (self.present & (1 << i) != 0).then_some(self.sums[i])
    }

    pub fn cap_cpu_cores(&self) -> Option<f64> {
        self.cap_cpu_cores.get()
    }

    pub fn cap_mem_bytes(&self) -> Option<f64> {
        self.cap_mem_bytes.get()
    }

    /// Multiplies every sum by `m` (NULLs stay NULL).
    pub fn scale(&mut self, m: f64) {
        for s in &mut self.sums {
            *s *= m;
        }
    }

    /// Folds `other` in; `cmp` orders resource-id strings. Adding a NULL's 0.0 changes no sum:
    /// a sum is never -0.0, since it starts at +0.0.
    pub fn merge(&mut self, other: &PodAcc, cmp: &impl Fn(u32, u32) -> Ordering) {
        for (a, b) in self.sums.iter_mut().zip(other.sums) {
            *a += b;
        }
        self.present |= other.present;
        max_string(&mut self.resource_id, other.resource_id, cmp);
        for (a, b) in [
            (&mut self.cap_cpu_cores, other.cap_cpu_cores),
            (&mut self.cap_mem_bytes, other.cap_mem_bytes),
        ] {
            let mut v = a.get();
            max_opt(&mut v, b.get());
            *a = v.into();
        }
    }
}

/// SQL `max` over strings by id, ignoring NULL.
pub fn max_string(acc: &mut u32, v: u32, cmp: &impl Fn(u32, u32) -> Ordering) {
    if v == NULL_ID || v == *acc {
        return;
    }
    if *acc == NULL_ID || cmp(v, *acc) == Ordering::Greater {
        *acc = v;
    }
}

pub type PodPartial = Vec<(PodKey, PodAcc)>;

/// One day's pod groups, found through their label sets.
type DayGroups = DirectMap<PodKey, PodAcc>;

/// Run-wide pod groups, one table per day: a complete day leaves as a whole table, so moving it
/// out costs nothing per group. (One table for every day made `split_before` scan and move each
/// group, 2.6% of the CPU at L.)
#[derive(Default)]
pub struct PodTable {
    days: BTreeMap<Day, DayGroups>,
    /// Emptied day maps ([`Self::recycle`]), for the next days: a day's map holds tens of
    /// thousands of groups, and growing a fresh one faulted its pages in again for every day
    /// (3% of the CPU at L).
    spare: Vec<DayGroups>,
}

/// Emptied day maps kept for reuse: one for the day being merged while the previous is built.
const SPARE_DAY_MAPS: usize = 1;

impl PodTable {
    /// Folds a row group's partial in. A partial's keys come in runs of one day, so the day's
    /// map is looked up once per run.
    pub fn merge(&mut self, partial: &mut PodPartial, catalog: &Catalog) {
        let cmp = |a: u32, b: u32| catalog.compare(a, b);
        let mut keys = partial.drain(..).peekable();
        while let Some((key, acc)) = keys.next() {
            let spare = &mut self.spare;
            let groups =
                (self.days.entry(key.day)).or_insert_with(|| spare.pop().unwrap_or_default());
            groups.entry_or_default(key).merge(&acc, &cmp);
            while let Some((key, acc)) = keys.next_if(|(k, _)| k.day == key.day) {
                groups.entry_or_default(key).merge(&acc, &cmp);
            }
        }
    }

    /// Moves out the days before `day`.
    pub fn split_before(&mut self, day: Day) -> PodTable {
        let later = self.days.split_off(&day);
        PodTable {
            days: std::mem::replace(&mut self.days, later),
            spare: Vec::new(),
        }
    }

    /// Takes back the maps of `done`, a table [`Self::split_before`] moved out and the rows
    /// have been built from, emptied, to hold later days.
    pub fn recycle(&mut self, done: PodTable) {
        for mut groups in done.days.into_values() {
            if self.spare.len() == SPARE_DAY_MAPS {
                break;
            }
            groups.clear();
            self.spare.push(groups);
        }
    }

    /// Every group, day by day (within a day, in order of first merge).
    pub fn groups(&self) -> impl Iterator<Item = (&PodKey, &PodAcc)> {
        self.days.values().flat_map(DirectMap::iter)
    }

    /// How many groups there are.
    pub fn len(&self) -> usize {
        self.days.values().map(DirectMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.days.values().all(DirectMap::is_empty)
    }
}

mod worker;
pub use worker::PodWorker;

#[cfg(test)]
mod tests;
