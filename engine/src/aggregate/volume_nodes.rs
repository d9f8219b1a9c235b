//! Where each pod ran, per day: the pod side of Koku's volume→node mapping (spec §7.1).
//!
//! `cte_volume_nodes` inner-joins storage rows with daily pod rows on (namespace, pod, day) and
//! keeps the distinct (node, resource_id) pairs, with no node filter (E1). This reads only those
//! five columns of the daily pod table, separately from the Pod role, and only when storage files
//! exist. Koku does not range-filter the pod side, but the join is on the storage row's day, which
//! is in range, so keeping in-range pod rows gives the same result. Rows with a NULL namespace or
//! pod can never satisfy the join's `=` and are dropped here.

use crate::catalog::NULL_ID;
use crate::decode::rowgroup::RowGroupData;
use crate::plan::columns::{ColumnKind, ColumnRequest};
use crate::value::date::Day;
use hashbrown::{HashMap, HashSet};
use std::ops::Range;

pub const COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("namespace", ColumnKind::String),
    ColumnRequest::required("pod", ColumnKind::String),
    ColumnRequest::required("node", ColumnKind::String),
    ColumnRequest::required("resource_id", ColumnKind::String),
];

/// (day, namespace, pod, node, resource_id).
pub type PodPlace = (Day, u32, u32, u32, u32);

pub type VolumeNodePartial = Vec<PodPlace>;

#[derive(Default)]
pub struct VolumeNodeWorker {
    seen: HashSet<PodPlace>,
}

impl VolumeNodeWorker {
    pub fn run(&mut self, data: &RowGroupData, ms: &Range<i64>) -> VolumeNodePartial {
        let [ts, namespace, pod, node, resource_id] = &data.columns[..] else {
            unreachable!("volume nodes read five columns")
        };
        self.seen.clear();
        for i in 0..data.num_rows {
            let t = ts.i64s[i];
            let (ns, p) = (namespace.ids[i], pod.ids[i]);
            if !ts.valid[i] || !ms.contains(&t) || ns == NULL_ID || p == NULL_ID {
                continue;
            }
            self.seen
                .insert((Day::of_millis(t), ns, p, node.ids[i], resource_id.ids[i]));
        }
        self.seen.drain().collect()
    }
}

/// Distinct (node, resource_id) pairs per (day, namespace, pod).
#[derive(Default)]
pub struct VolumeNodeTable {
    places: HashMap<(Day, u32, u32), Vec<(u32, u32)>>,
}

impl VolumeNodeTable {
    pub fn merge(&mut self, partial: VolumeNodePartial) {
        for (day, ns, pod, node, rid) in partial {
            let v = self.places.entry((day, ns, pod)).or_default();
            if let Err(pos) = v.binary_search(&(node, rid)) {
                v.insert(pos, (node, rid));
            }
        }
    }

    /// Moves out the days before `day`.
    pub fn split_before(&mut self, day: Day) -> VolumeNodeTable {
        VolumeNodeTable {
            places: super::take_days_before(&mut self.places, day, |k| k.0),
        }
    }

    /// The (node, resource_id) pairs of a pod on a day, sorted; empty when it has no pod row.
    pub fn get(&self, day: Day, namespace: u32, pod: u32) -> &[(u32, u32)] {
        self.places
            .get(&(day, namespace, pod))
            .map_or(&[], Vec::as_slice)
    }
}
