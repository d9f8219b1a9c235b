//! Daily storage rows → sums per distinct storage line (spec §7.3, pre-join half).
//!
//! Koku's Storage SELECT joins every storage row with the pods that mounted its claim that day,
//! then groups by node, labels and volume. Those joins depend only on (day, namespace, pod, pvc,
//! pv) and the two label maps, so rows equal on all of these are summed here first, per row group,
//! and `rows::storage` expands each group once. The pod name is kept (it drives the volume→node
//! join) although it is not an output key. There is no node filter: claimless volumes
//! (namespace `''`, pod `''`) are rows like any other.

use super::{add_opt, max_opt};
use crate::decode::rowgroup::{ColumnData, RowGroupData};
use crate::plan::columns::{ColumnKind, ColumnRequest};
use crate::value::date::Day;
use hashbrown::HashMap;
use std::ops::Range;

const TS: usize = 0;
const NAMESPACE: usize = 1;
const POD: usize = 2;
const PVC: usize = 3;
const PV: usize = 4;
const STORAGECLASS: usize = 5;
const CSI_HANDLE: usize = 6;
const PV_LABELS: usize = 7;
const PVC_LABELS: usize = 8;
const CAP_BYTES: usize = 9;
const CAP_BS: usize = 10;
const REQUEST_BS: usize = 11;
const USAGE_BS: usize = 12;

pub const COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("namespace", ColumnKind::String),
    ColumnRequest::required("pod", ColumnKind::String),
    ColumnRequest::required("persistentvolumeclaim", ColumnKind::String),
    ColumnRequest::required("persistentvolume", ColumnKind::String),
    ColumnRequest::required("storageclass", ColumnKind::String),
    // Added by newer operators; older files read as NULL (spec §2.3).
    ColumnRequest::optional("csi_volume_handle", ColumnKind::String),
    ColumnRequest::required("persistentvolume_labels", ColumnKind::String),
    ColumnRequest::required("persistentvolumeclaim_labels", ColumnKind::String),
    ColumnRequest::required("persistentvolumeclaim_capacity_bytes", ColumnKind::Double),
    ColumnRequest::required(
        "persistentvolumeclaim_capacity_byte_seconds",
        ColumnKind::Double,
    ),
    ColumnRequest::required("volume_request_storage_byte_seconds", ColumnKind::Double),
    ColumnRequest::required(
        "persistentvolumeclaim_usage_byte_seconds",
        ColumnKind::Double,
    ),
];

/// Which columns of [`COLUMNS`] hold labels (decoded as label-set ids).
pub const LABEL_COLUMNS: &[usize] = &[PV_LABELS, PVC_LABELS];

/// One distinct storage line of a day. Strings are catalog ids, labels set ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StorageKey {
    pub day: Day,
    pub namespace: u32,
    pub pod: u32,
    pub pvc: u32,
    pub pv: u32,
    pub storageclass: u32,
    pub csi_volume_handle: u32,
    pub pv_labels: u32,
    pub pvc_labels: u32,
}

/// `max(capacity bytes)` and the sums of capacity, request and usage byte-seconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct StorageAcc {
    pub cap_bytes: Option<f64>,
    pub sums: [Option<f64>; 3],
}

impl StorageAcc {
    pub fn merge(&mut self, other: &StorageAcc) {
        max_opt(&mut self.cap_bytes, other.cap_bytes);
        for (a, b) in self.sums.iter_mut().zip(other.sums) {
            add_opt(a, b);
        }
    }
}

pub type StoragePartial = Vec<(StorageKey, StorageAcc)>;

#[derive(Default)]
pub struct StorageWorker {
    map: HashMap<StorageKey, StorageAcc>,
}

fn get(col: &ColumnData, i: usize) -> Option<f64> {
    col.valid[i].then(|| col.f64s[i])
}

impl StorageWorker {
    pub fn run(&mut self, data: &RowGroupData, ms: &Range<i64>) -> StoragePartial {
        let c = &data.columns;
        self.map.clear();
        for i in 0..data.num_rows {
            let t = c[TS].i64s[i];
            if !c[TS].valid[i] || !ms.contains(&t) {
                continue;
            }
            let key = StorageKey {
                day: Day::of_millis(t),
                namespace: c[NAMESPACE].ids[i],
                pod: c[POD].ids[i],
                pvc: c[PVC].ids[i],
                pv: c[PV].ids[i],
                storageclass: c[STORAGECLASS].ids[i],
                csi_volume_handle: c[CSI_HANDLE].ids[i],
                pv_labels: c[PV_LABELS].ids[i],
                pvc_labels: c[PVC_LABELS].ids[i],
            };
            let row = StorageAcc {
                cap_bytes: get(&c[CAP_BYTES], i),
                sums: [
                    get(&c[CAP_BS], i),
                    get(&c[REQUEST_BS], i),
                    get(&c[USAGE_BS], i),
                ],
            };
            self.map.entry(key).or_default().merge(&row);
        }
        self.map.drain().collect()
    }
}

/// Run-wide storage groups.
#[derive(Default)]
pub struct StorageTable {
    pub groups: HashMap<StorageKey, StorageAcc>,
}

impl StorageTable {
    pub fn merge(&mut self, partial: StoragePartial) {
        for (key, acc) in partial {
            self.groups.entry(key).or_default().merge(&acc);
        }
    }

    /// Moves out the days before `day`.
    pub fn split_before(&mut self, day: Day) -> StorageTable {
        StorageTable {
            groups: super::take_days_before(&mut self.groups, day, |k| k.day),
        }
    }
}
