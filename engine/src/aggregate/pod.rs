//! Daily pod rows → sums per (day, namespace, node, filtered pod labels) (spec §6).
//!
//! This is the pre-join half of Koku's Pod SELECT: rows with an empty or NULL node are dropped
//! (E1), pod labels arrive as label-set ids already filtered by the enabled keys, and every daily
//! row adds into its group. The joins with node/namespace labels and cost categories multiply whole
//! groups, so they happen once per group in `rows::pod`, not once per row.

use super::max_opt;
use crate::catalog::{Catalog, EMPTY_ID, NULL_ID};
use crate::decode::rowgroup::{ColumnData, RowGroupData};
use crate::plan::columns::{ColumnKind, ColumnRequest};
use crate::value::date::Day;
use crate::value::OptF64;
use hashbrown::HashMap;
use std::cmp::Ordering;
use std::ops::Range;

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
    fn row(
        sums: [Option<f64>; METRICS],
        resource_id: u32,
        cap_cpu_cores: Option<f64>,
        cap_mem_bytes: Option<f64>,
    ) -> PodAcc {
        let mut acc = PodAcc {
            resource_id,
            cap_cpu_cores: cap_cpu_cores.into(),
            cap_mem_bytes: cap_mem_bytes.into(),
            ..PodAcc::default()
        };
        for (i, v) in sums.into_iter().enumerate() {
            if let Some(v) = v {
                acc.sums[i] = v;
                acc.present |= 1 << i;
            }
        }
        acc
    }

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

#[derive(Default)]
pub struct PodWorker {
    map: HashMap<PodKey, PodAcc>,
}

fn get(col: &ColumnData, i: usize) -> Option<f64> {
    col.valid[i].then(|| col.f64s[i])
}

/// `coalesce(effective, greatest(usage, request))`; greatest is NULL if either side is.
fn effective(eff: Option<f64>, usage: Option<f64>, request: Option<f64>) -> Option<f64> {
    eff.or(match (usage, request) {
        (Some(u), Some(r)) => Some(if r > u { r } else { u }),
        _ => None,
    })
}

impl PodWorker {
    pub fn run(&mut self, data: &RowGroupData, ms: &Range<i64>, catalog: &Catalog) -> PodPartial {
        let c = &data.columns;
        let cmp = |a: u32, b: u32| catalog.compare(a, b);
        self.map.clear();
        for i in 0..data.num_rows {
            let t = c[TS].i64s[i];
            let node = c[NODE].ids[i];
            if !c[TS].valid[i] || !ms.contains(&t) || node == NULL_ID || node == EMPTY_ID {
                continue;
            }
            let key = PodKey {
                day: Day::of_millis(t),
                namespace: c[NAMESPACE].ids[i],
                node,
                labels: c[POD_LABELS].ids[i],
            };
            let (uc, rc) = (get(&c[USAGE_CPU], i), get(&c[REQUEST_CPU], i));
            let (um, rm) = (get(&c[USAGE_MEM], i), get(&c[REQUEST_MEM], i));
            let row = PodAcc::row(
                [
                    uc,
                    rc,
                    effective(get(&c[EFFECTIVE_CPU], i), uc, rc),
                    get(&c[LIMIT_CPU], i),
                    um,
                    rm,
                    effective(get(&c[EFFECTIVE_MEM], i), um, rm),
                    get(&c[LIMIT_MEM], i),
                ],
                c[RESOURCE_ID].ids[i],
                get(&c[CAP_CPU_CORES], i),
                get(&c[CAP_MEM_BYTES], i),
            );
            self.map.entry(key).or_default().merge(&row, &cmp);
        }
        self.map.drain().collect()
    }
}

/// Run-wide pod groups.
#[derive(Default)]
pub struct PodTable {
    pub groups: HashMap<PodKey, PodAcc>,
}

impl PodTable {
    pub fn merge(&mut self, partial: PodPartial, catalog: &Catalog) {
        let cmp = |a: u32, b: u32| catalog.compare(a, b);
        for (key, acc) in partial {
            self.groups.entry(key).or_default().merge(&acc, &cmp);
        }
    }

    /// Moves out the days before `day`.
    pub fn split_before(&mut self, day: Day) -> PodTable {
        PodTable {
            groups: super::take_days_before(&mut self.groups, day, |k| k.day),
        }
    }
}

#[cfg(test)]
mod tests;
