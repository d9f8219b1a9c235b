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
    col.valid.get(i).then(|| col.f64s[i])
}

impl StorageWorker {
    pub fn run(&mut self, data: &RowGroupData, ms: &Range<i64>) -> StoragePartial {
        let c = &data.columns;
        self.map.clear();
        for i in 0..data.num_rows {
            let t = c[TS].i64s[i];
            if !c[TS].valid.get(i) || !ms.contains(&t) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{
        catalog, f64_col, id_col, intern, label_set, row_group, sql_max, sql_sum, ts_col, Rng,
    };
    use std::collections::HashMap as StdMap;

    const DAY: i64 = 86_400_000;
    const D0: i64 = 20_700;

    fn range() -> Range<i64> {
        D0 * DAY..(D0 + 2) * DAY
    }

    #[derive(Clone)]
    struct Raw {
        ts: Option<i64>,
        /// namespace, pod, pvc, pv, storageclass, csi handle: string ids.
        strings: [u32; 6],
        pv_labels: u32,
        pvc_labels: u32,
        /// capacity bytes, capacity, request and usage byte-seconds.
        m: [Option<f64>; 4],
    }

    fn rows(cat: &crate::catalog::Catalog, n: usize, seed: u64) -> Vec<Raw> {
        let mut rng = Rng::new(seed);
        let s = |v: Option<&str>| intern(cat, v);
        let pools = [
            vec![s(Some("ns")), s(Some("")), s(None)],
            vec![s(Some("pod-1")), s(Some("pod-2")), s(Some("")), s(None)],
            vec![s(Some("pvc-1")), s(Some("pvc-2")), s(None)],
            vec![s(Some("pv-1")), s(Some("pv-2"))],
            vec![s(Some("gp3")), s(None)],
            vec![s(Some("h-1")), s(None)],
        ];
        let labels = [
            label_set(cat, Some(r#"{"app": "x"}"#)),
            label_set(cat, Some("{}")),
            label_set(cat, None),
        ];
        let r = range();
        let ts_pool = [r.start - 1, r.start, r.start + DAY + 3, r.end - 1, r.end];
        (0..n)
            .map(|_| Raw {
                ts: rng.maybe(5, &ts_pool),
                strings: std::array::from_fn(|i| rng.pick(&pools[i])),
                pv_labels: rng.pick(&labels),
                pvc_labels: rng.pick(&labels),
                m: std::array::from_fn(|_| (!rng.percent(20)).then(|| rng.below(1000) as f64)),
            })
            .collect()
    }

    fn data(rows: &[Raw]) -> RowGroupData {
        let mut cols = vec![ts_col(&rows.iter().map(|r| r.ts).collect::<Vec<_>>())];
        for i in 0..6 {
            cols.push(id_col(
                &rows.iter().map(|r| r.strings[i]).collect::<Vec<_>>(),
            ));
        }
        cols.push(id_col(
            &rows.iter().map(|r| r.pv_labels).collect::<Vec<_>>(),
        ));
        cols.push(id_col(
            &rows.iter().map(|r| r.pvc_labels).collect::<Vec<_>>(),
        ));
        for i in 0..4 {
            cols.push(f64_col(&rows.iter().map(|r| r.m[i]).collect::<Vec<_>>()));
        }
        assert_eq!(cols.len(), COLUMNS.len());
        row_group(rows.len(), cols)
    }

    type Key = (Day, [u32; 6], u32, u32);

    /// One group per distinct line: max of capacity bytes, SQL sums of the rest; no node filter.
    fn reference(rows: &[Raw]) -> StdMap<Key, [Option<f64>; 4]> {
        let r = range();
        let mut out: StdMap<Key, [Option<f64>; 4]> = StdMap::new();
        for row in rows {
            let Some(t) = row.ts.filter(|t| r.contains(t)) else {
                continue;
            };
            let key = (
                Day((t / DAY) as i32),
                row.strings,
                row.pv_labels,
                row.pvc_labels,
            );
            let e = out.entry(key).or_default();
            e[0] = sql_max(e[0], row.m[0]);
            for (acc, v) in e.iter_mut().zip(row.m).skip(1) {
                *acc = sql_sum(*acc, v);
            }
        }
        out
    }

    fn check(got: &HashMap<StorageKey, StorageAcc>, rows: &[Raw]) {
        let got: StdMap<Key, [Option<f64>; 4]> = got
            .iter()
            .map(|(k, a)| {
                let strings = [
                    k.namespace,
                    k.pod,
                    k.pvc,
                    k.pv,
                    k.storageclass,
                    k.csi_volume_handle,
                ];
                let v = [a.cap_bytes, a.sums[0], a.sums[1], a.sums[2]];
                ((k.day, strings, k.pv_labels, k.pvc_labels), v)
            })
            .collect();
        let want = reference(rows);
        assert!(want.len() > 30);
        assert_eq!(got, want);
    }

    #[test]
    fn worker_groups_distinct_lines_like_sql() {
        let cat = catalog(&["app"]);
        let rows = rows(&cat, 700, 41);
        let partial = StorageWorker::default().run(&data(&rows), &range());
        let map: HashMap<StorageKey, StorageAcc> = partial.iter().copied().collect();
        assert_eq!(map.len(), partial.len());
        check(&map, &rows);
    }

    #[test]
    fn table_merges_row_groups() {
        let cat = catalog(&["app"]);
        let rows = rows(&cat, 700, 42);
        let mut table = StorageTable::default();
        let mut worker = StorageWorker::default();
        for part in rows.chunks(101) {
            table.merge(worker.run(&data(part), &range()));
        }
        check(&table.groups, &rows);
    }
}
