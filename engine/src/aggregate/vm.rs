//! The Parquet sides of Koku's VM temp table (`tmp_virt_<uuid>`), month-wide as Koku reads them.
//!
//! * `populate_vm_tmp_table.sql` maps PVCs to VMs: daily pod rows joined to daily storage rows on
//!   the pod name alone (and year, month, source: no namespace, no day), keeping the distinct
//!   (PVC, `json_extract_scalar(pod_labels, '$.vm_kubevirt_io_name')`) with a non-empty PVC and a
//!   VM name. [`PodLabels`] and [`PodPvcs`] are the two sides; [`VmTable::pvcs_by_vm`] joins them.
//! * `populate_vm_tmp_table_with_vm_report.sql` reads the hourly VM report of the month: the rows
//!   at the month's latest `interval_start` give each (VM, node) its `max` CPU and memory request,
//!   and every row of the month with a non-empty PVC name gives the VM's PVCs ([`VmReport`]).
//!
//! Neither query filters by the run's day range, so these tables are read for the whole month.

use super::cluster::json_extract_scalar;
use super::max_double;
use crate::catalog::{Catalog, NULL_ID};
use crate::decode::rowgroup::RowGroupData;
use crate::plan::columns::{ColumnKind, ColumnRequest};
use hashbrown::{HashMap, HashSet};
use std::collections::{BTreeMap, BTreeSet};

pub const POD_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("pod", ColumnKind::String),
    ColumnRequest::required("pod_labels", ColumnKind::String),
];

pub const STORAGE_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("pod", ColumnKind::String),
    ColumnRequest::required("persistentvolumeclaim", ColumnKind::String),
];

pub const REPORT_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("vm_name", ColumnKind::String),
    ColumnRequest::required("node", ColumnKind::String),
    ColumnRequest::required("vm_cpu_request_cores", ColumnKind::Double),
    ColumnRequest::required("vm_memory_request_bytes", ColumnKind::Double),
    ColumnRequest::required("vm_persistentvolumeclaim_name", ColumnKind::String),
];

/// Distinct (pod, raw `pod_labels` text) of the daily pod rows.
pub type PodLabels = HashSet<(u32, u32)>;
/// Distinct (pod, PVC) of the daily storage rows, PVC neither NULL nor empty.
pub type PodPvcs = HashSet<(u32, u32)>;

/// The VM report's side: the latest hour's requests and every PVC named in the month.
#[derive(Debug, Default, Clone)]
pub struct VmReport {
    /// The month's latest `interval_start`.
    pub latest: Option<i64>,
    /// (VM, node) → `max` CPU cores and memory bytes over the rows at `latest`.
    pub requests: HashMap<(u32, u32), (Option<f64>, Option<f64>)>,
    /// Distinct (VM, PVC) with a non-empty PVC name.
    pub pvcs: HashSet<(u32, u32)>,
}

impl VmReport {
    /// A row group read with [`REPORT_COLUMNS`].
    pub fn add(&mut self, data: &RowGroupData, catalog: &Catalog) {
        let [ts, vm, node, cpu, mem, pvc] = &data.columns[..] else {
            unreachable!("the VM report reads six columns")
        };
        let empty = catalog.lookup(b"").unwrap_or(NULL_ID);
        for i in 0..data.num_rows {
            if vm.ids[i] != NULL_ID && pvc.ids[i] != NULL_ID && pvc.ids[i] != empty {
                self.pvcs.insert((vm.ids[i], pvc.ids[i]));
            }
            if !ts.valid.get(i) {
                continue;
            }
            let t = ts.i64s[i];
            if self.latest.is_some_and(|l| t < l) {
                continue;
            }
            if self.latest != Some(t) {
                self.latest = Some(t);
                self.requests.clear();
            }
            let row = (
                cpu.valid.get(i).then_some(cpu.f64s[i]),
                mem.valid.get(i).then_some(mem.f64s[i]),
            );
            let acc = self.requests.entry((vm.ids[i], node.ids[i])).or_default();
            *acc = (max_double(acc.0, row.0), max_double(acc.1, row.1));
        }
    }

    pub fn merge(&mut self, other: VmReport) {
        self.pvcs.extend(other.pvcs);
        match (self.latest, other.latest) {
            (_, None) => {}
            (Some(a), Some(b)) if b < a => {}
            (Some(a), Some(b)) if a == b => {
                for (k, v) in other.requests {
                    let acc = self.requests.entry(k).or_default();
                    *acc = (max_double(acc.0, v.0), max_double(acc.1, v.1));
                }
            }
            _ => {
                self.latest = other.latest;
                self.requests = other.requests;
            }
        }
    }
}

/// Everything the VM temp table needs from the Parquet.
#[derive(Debug, Default)]
pub struct VmTable {
    pub pod_labels: PodLabels,
    pub pod_pvcs: PodPvcs,
    pub report: VmReport,
}

/// A partial of one row group.
pub enum VmPartial {
    PodLabels(PodLabels),
    PodPvcs(PodPvcs),
    Report(VmReport),
}

/// A row group read with [`POD_COLUMNS`].
pub fn pod_labels(data: &RowGroupData) -> VmPartial {
    let [pod, labels] = &data.columns[..] else {
        unreachable!("VM pods read two columns")
    };
    let set = (0..data.num_rows)
        .filter(|&i| pod.ids[i] != NULL_ID && labels.ids[i] != NULL_ID)
        .map(|i| (pod.ids[i], labels.ids[i]))
        .collect();
    VmPartial::PodLabels(set)
}

/// A row group read with [`STORAGE_COLUMNS`].
pub fn pod_pvcs(data: &RowGroupData, catalog: &Catalog) -> VmPartial {
    let [pod, pvc] = &data.columns[..] else {
        unreachable!("VM PVCs read two columns")
    };
    let empty = catalog.lookup(b"").unwrap_or(NULL_ID);
    let set = (0..data.num_rows)
        .filter(|&i| pod.ids[i] != NULL_ID && pvc.ids[i] != NULL_ID && pvc.ids[i] != empty)
        .map(|i| (pod.ids[i], pvc.ids[i]))
        .collect();
    VmPartial::PodPvcs(set)
}

impl VmTable {
    pub fn merge(&mut self, partial: VmPartial) {
        match partial {
            VmPartial::PodLabels(p) => self.pod_labels.extend(p),
            VmPartial::PodPvcs(p) => self.pod_pvcs.extend(p),
            VmPartial::Report(r) => self.report.merge(r),
        }
    }

    /// VM name → its PVC names (the pod/storage join), both as text.
    pub fn pvcs_by_vm(
        &self,
        strings: &ocp_summary_kernels::shared_intern::SharedInterner,
    ) -> BTreeMap<String, BTreeSet<String>> {
        let mut vm_of_text: HashMap<u32, Option<String>> = HashMap::new();
        let mut vms_of_pod: HashMap<u32, BTreeSet<String>> = HashMap::new();
        for &(pod, text) in &self.pod_labels {
            let vm = vm_of_text
                .entry(text)
                .or_insert_with(|| json_extract_scalar(strings.get(text), "vm_kubevirt_io_name"));
            if let Some(vm) = vm {
                vms_of_pod.entry(pod).or_default().insert(vm.clone());
            }
        }
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for &(pod, pvc) in &self.pod_pvcs {
            for vm in vms_of_pod.get(&pod).into_iter().flatten() {
                let pvc = String::from_utf8_lossy(strings.get(pvc)).into_owned();
                out.entry(vm.clone()).or_default().insert(pvc);
            }
        }
        out
    }
}
