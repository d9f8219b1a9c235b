//! The Parquet side of the cost-model queries, read once per run through the page kernels and
//! kept as small per-VM, per-GPU and per-namespace tables keyed by text.
//!
//! Every subquery reads its table for the whole month (`source`, `year`, `month` only), except
//! the GPU query, which also filters `interval_start` to the run's days; that filter is applied
//! where the rows are used.

use super::summary::scalar;
use crate::catalog::{Catalog, NULL_ID};
use crate::cluster::SequentialReader;
use crate::decode::rowgroup::{ColumnData, RowGroupData};
use crate::error::Error;
use crate::plan::columns::{ColumnKind, ColumnRequest};
use crate::source::layout::Table;
use crate::value::Day;
use hashbrown::HashMap;
use std::collections::BTreeMap;

const VM_KEY: &str = "vm_kubevirt_io_name";

const POD_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("pod_labels", ColumnKind::String),
];

const VM_HOURLY_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("vm_name", ColumnKind::String),
    ColumnRequest::required("node", ColumnKind::String),
    ColumnRequest::required("resource_id", ColumnKind::String),
    ColumnRequest::required("vm_cpu_request_cores", ColumnKind::Double),
    ColumnRequest::required("vm_uptime_total_seconds", ColumnKind::Double),
];

const VM_DAILY_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("vm_name", ColumnKind::String),
    ColumnRequest::required("vm_cpu_request_cores", ColumnKind::Double),
];

const GPU_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("namespace", ColumnKind::String),
    ColumnRequest::required("node", ColumnKind::String),
    ColumnRequest::required("gpu_uuid", ColumnKind::String),
    ColumnRequest::required("gpu_model_name", ColumnKind::String),
    ColumnRequest::required("gpu_vendor_name", ColumnKind::String),
    ColumnRequest::required("gpu_memory_capacity_mib", ColumnKind::Double),
    ColumnRequest::required("gpu_pod_uptime", ColumnKind::Double),
    // Added to the report with MIG support; older files read them as NULL, as Trino does.
    ColumnRequest::optional("mig_profile", ColumnKind::String),
    ColumnRequest::optional("mig_slice_count", ColumnKind::Int),
    ColumnRequest::optional("gpu_max_slices", ColumnKind::Int),
    ColumnRequest::optional("mig_strategy", ColumnKind::String),
    ColumnRequest::optional("mig_memory_capacity_mib", ColumnKind::Int),
    ColumnRequest::optional("mig_instance_id", ColumnKind::String),
];

const NODE_LABEL_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("node", ColumnKind::String),
    ColumnRequest::required("node_labels", ColumnKind::String),
];

const NAMESPACE_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("namespace", ColumnKind::String),
    ColumnRequest::required("namespace_labels", ColumnKind::String),
];

/// A double's bits as a grouping key (SQL `GROUP BY` on a double; NULL is `None`).
pub type CoresKey = Option<u64>;

/// One (VM name, day, CPU cores) group of `vm_usage_summary`.
#[derive(Debug, Clone, Copy, Default)]
pub struct VmDayAcc {
    /// `count(interval_start)`.
    pub hours: i64,
    /// `sum(vm_uptime_total_seconds)`, NULL when every value is.
    pub seconds: Option<f64>,
}

/// The hourly VM report's aggregates.
#[derive(Debug, Default)]
pub struct VmHourly {
    /// (VM, day, cores) → count and uptime: `vm_usage_summary`.
    pub by_cores: BTreeMap<(String, Day, CoresKey), VmDayAcc>,
    /// (VM, day) → `sum(vm_uptime_total_seconds)`: the fractional `vmhrs`.
    pub seconds: BTreeMap<(String, Day), Option<f64>>,
    /// VM → (latest `interval_start`, `max(node)`, `max(resource_id)` at it).
    pub latest: BTreeMap<String, (i64, Option<String>, Option<String>)>,
}

/// Everything the cost-model queries read from the Parquet.
#[derive(Debug, Default)]
pub struct Usage {
    /// Whether the org has the hourly VM table (masu's `use_fractional_hours` and VM-core gate).
    pub vm_table: bool,
    /// Whether the org has the daily GPU table.
    pub gpu_table: bool,
    /// (VM, day) → `count(interval_start)` of hourly pod rows labelled with the VM.
    pub pod_vm_hours: BTreeMap<(String, Day), i64>,
    pub vm_hourly: VmHourly,
    /// Distinct (VM, day, cores) of the daily VM report.
    pub vm_daily: BTreeMap<(String, Day), Vec<Option<f64>>>,
    pub gpu: Vec<GpuRow>,
    pub namespaces: Vec<NamespaceRow>,
    /// (node, day, node-label text) → hours, of the hourly node labels that carry
    /// `"nvidia_com_gpu_present": "True"` (the `_rtu` GPU file's unallocated capacity).
    pub gpu_node_hours: BTreeMap<(String, Day, String), i64>,
}

/// One daily GPU row.
#[derive(Debug, Clone)]
pub struct GpuRow {
    pub day: Day,
    pub namespace: Option<String>,
    pub node: Option<String>,
    pub gpu_uuid: Option<String>,
    pub model: Option<String>,
    pub vendor: Option<String>,
    pub memory_mib: Option<f64>,
    pub uptime: Option<f64>,
    pub mig_profile: Option<String>,
    pub mig_slice_count: Option<i64>,
    pub gpu_max_slices: Option<i64>,
    pub mig_strategy: Option<String>,
    pub mig_memory_mib: Option<i64>,
    pub mig_instance_id: Option<String>,
}

/// One daily namespace-label row.
#[derive(Debug, Clone)]
pub struct NamespaceRow {
    pub day: Day,
    pub namespace: Option<String>,
    pub labels: Option<String>,
}

fn text(
    strings: &ocp_summary_kernels::shared_intern::SharedInterner,
    c: &ColumnData,
    i: usize,
) -> Option<String> {
    crate::catalog::id_text(strings, c.ids[i])
}

fn opt(c: &ColumnData, i: usize) -> Option<f64> {
    c.valid.get(i).then_some(c.f64s[i])
}

/// SQL `max` over varchar: NULLs ignored, bytes compared.
fn max_text(acc: &mut Option<String>, v: Option<String>) {
    if let Some(v) = v {
        if acc.as_ref().is_none_or(|a| v.as_bytes() > a.as_bytes()) {
            *acc = Some(v);
        }
    }
}

impl Usage {
    /// Reads every table the steps need; `wants` says which.
    pub fn read(
        reader: &SequentialReader,
        catalog: &Catalog,
        wants: Wants,
    ) -> Result<Usage, Error> {
        let month = i64::MIN..i64::MAX;
        let mut usage = Usage {
            vm_table: wants.vm_table,
            gpu_table: wants.gpu_table,
            ..Usage::default()
        };
        if wants.pod_vm_hours {
            let mut vm_of: HashMap<u32, Option<String>> = HashMap::new();
            reader.for_each(Table::POD_HOURLY, POD_COLUMNS, &month, |data| {
                usage.add_pod_hours(data, catalog.strings(), &mut vm_of)
            })?;
        }
        if wants.vm_table {
            reader.for_each(Table::VM_HOURLY, VM_HOURLY_COLUMNS, &month, |data| {
                usage.add_vm_hourly(data, catalog.strings())
            })?;
            reader.for_each(Table::VM_DAILY, VM_DAILY_COLUMNS, &month, |data| {
                usage.add_vm_daily(data, catalog.strings())
            })?;
        }
        if wants.gpu_table {
            reader.for_each(Table::GPU_DAILY, GPU_COLUMNS, &month, |data| {
                usage.add_gpu(data, catalog.strings())
            })?;
        }
        if wants.gpu_nodes {
            let month = i64::MIN..i64::MAX;
            reader.for_each(
                Table::NODE_LABELS_HOURLY,
                NODE_LABEL_COLUMNS,
                &month,
                |data| usage.add_gpu_nodes(data, catalog.strings()),
            )?;
        }
        if wants.namespaces {
            reader.for_each(
                Table::NAMESPACE_LABELS_DAILY,
                NAMESPACE_COLUMNS,
                &month,
                |data| usage.add_namespaces(data, catalog.strings()),
            )?;
        }
        Ok(usage)
    }

    /// `WHERE strpos(pod_labels, 'vm_kubevirt_io_name') != 0 GROUP BY json_extract_scalar(...), DATE(interval_start)`.
    fn add_pod_hours(
        &mut self,
        data: &RowGroupData,
        strings: &ocp_summary_kernels::shared_intern::SharedInterner,
        vm_of: &mut HashMap<u32, Option<String>>,
    ) {
        let [ts, labels] = &data.columns[..] else {
            unreachable!("two columns")
        };
        for i in 0..data.num_rows {
            let id = labels.ids[i];
            if id == NULL_ID || !ts.valid.get(i) {
                continue;
            }
            let vm = vm_of.entry(id).or_insert_with(|| {
                let text = strings.get(id);
                memchr::memmem::find(text, VM_KEY.as_bytes())?;
                serde_json::from_slice::<serde_json::Value>(text)
                    .ok()
                    .and_then(|v| v.get(VM_KEY).and_then(scalar))
            });
            if let Some(vm) = vm {
                *self
                    .pod_vm_hours
                    .entry((vm.clone(), Day::of_millis(ts.i64s[i])))
                    .or_default() += 1;
            }
        }
    }

    fn add_vm_hourly(
        &mut self,
        data: &RowGroupData,
        strings: &ocp_summary_kernels::shared_intern::SharedInterner,
    ) {
        let [ts, vm, node, resource, cores, uptime] = &data.columns[..] else {
            unreachable!("six columns")
        };
        for i in 0..data.num_rows {
            // A NULL vm_name groups as NULL and never joins; a NULL interval_start has no day.
            let (Some(name), true) = (text(strings, vm, i), ts.valid.get(i)) else {
                continue;
            };
            let t = ts.i64s[i];
            let day = Day::of_millis(t);
            let key = (name.clone(), day, opt(cores, i).map(f64::to_bits));
            let acc = self.vm_hourly.by_cores.entry(key).or_default();
            acc.hours += 1;
            if let Some(s) = opt(uptime, i) {
                acc.seconds = Some(acc.seconds.unwrap_or(0.0) + s);
            }
            let secs = self
                .vm_hourly
                .seconds
                .entry((name.clone(), day))
                .or_default();
            if let Some(s) = opt(uptime, i) {
                *secs = Some(secs.unwrap_or(0.0) + s);
            }
            let latest = self.vm_hourly.latest.entry(name).or_insert((t, None, None));
            if t > latest.0 {
                *latest = (t, None, None);
            }
            if t == latest.0 {
                max_text(&mut latest.1, text(strings, node, i));
                max_text(&mut latest.2, text(strings, resource, i));
            }
        }
    }

    fn add_vm_daily(
        &mut self,
        data: &RowGroupData,
        strings: &ocp_summary_kernels::shared_intern::SharedInterner,
    ) {
        let [ts, vm, cores] = &data.columns[..] else {
            unreachable!("three columns")
        };
        for i in 0..data.num_rows {
            let (Some(name), true) = (text(strings, vm, i), ts.valid.get(i)) else {
                continue;
            };
            let list = self
                .vm_daily
                .entry((name, Day::of_millis(ts.i64s[i])))
                .or_default();
            let c = opt(cores, i);
            if !list
                .iter()
                .any(|x| x.map(f64::to_bits) == c.map(f64::to_bits))
            {
                list.push(c);
            }
        }
    }

    fn add_gpu(
        &mut self,
        data: &RowGroupData,
        strings: &ocp_summary_kernels::shared_intern::SharedInterner,
    ) {
        let [ts, ns, node, uuid, model, vendor, memory, uptime, profile, slices, max_slices, strategy, mig_mem, instance] =
            &data.columns[..]
        else {
            unreachable!("fourteen columns")
        };
        let int = |c: &ColumnData, i: usize| c.valid.get(i).then_some(c.i64s[i]);
        for i in 0..data.num_rows {
            if !ts.valid.get(i) {
                continue;
            }
            self.gpu.push(GpuRow {
                day: Day::of_millis(ts.i64s[i]),
                namespace: text(strings, ns, i),
                node: text(strings, node, i),
                gpu_uuid: text(strings, uuid, i),
                model: text(strings, model, i),
                vendor: text(strings, vendor, i),
                memory_mib: opt(memory, i),
                uptime: opt(uptime, i),
                mig_profile: text(strings, profile, i),
                mig_slice_count: int(slices, i),
                gpu_max_slices: int(max_slices, i),
                mig_strategy: text(strings, strategy, i),
                mig_memory_mib: int(mig_mem, i),
                mig_instance_id: text(strings, instance, i),
            });
        }
    }

    /// `node_labels like '%"nvidia_com_gpu_present": "True"%'`, counted per node, day and label text.
    fn add_gpu_nodes(
        &mut self,
        data: &RowGroupData,
        strings: &ocp_summary_kernels::shared_intern::SharedInterner,
    ) {
        const PRESENT: &[u8] = br#""nvidia_com_gpu_present": "True""#;
        let [ts, node, labels] = &data.columns[..] else {
            unreachable!("three columns")
        };
        for i in 0..data.num_rows {
            if !ts.valid.get(i) || labels.ids[i] == NULL_ID {
                continue;
            }
            let text_bytes = strings.get(labels.ids[i]);
            if memchr::memmem::find(text_bytes, PRESENT).is_none() {
                continue;
            }
            let Some(node) = text(strings, node, i) else {
                continue;
            };
            let key = (
                node,
                Day::of_millis(ts.i64s[i]),
                String::from_utf8_lossy(text_bytes).into_owned(),
            );
            *self.gpu_node_hours.entry(key).or_default() += 1;
        }
    }

    fn add_namespaces(
        &mut self,
        data: &RowGroupData,
        strings: &ocp_summary_kernels::shared_intern::SharedInterner,
    ) {
        let [ts, ns, labels] = &data.columns[..] else {
            unreachable!("three columns")
        };
        for i in 0..data.num_rows {
            if !ts.valid.get(i) {
                continue;
            }
            self.namespaces.push(NamespaceRow {
                day: Day::of_millis(ts.i64s[i]),
                namespace: text(strings, ns, i),
                labels: text(strings, labels, i),
            });
        }
    }
}

/// Which tables a run reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wants {
    pub vm_table: bool,
    pub gpu_table: bool,
    pub pod_vm_hours: bool,
    pub namespaces: bool,
    /// The hourly node labels of GPU nodes (`monthly_cost_gpu_rtu.sql`).
    pub gpu_nodes: bool,
}
