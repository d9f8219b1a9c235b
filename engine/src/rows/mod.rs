//! Output rows of `reporting_ocpusagelineitem_daily_summary`, one module per `data_source`.
//!
//! A [`SummaryRow`] holds ids and numbers only; sinks render strings and label JSON through the
//! catalog's tables, so each distinct label set is printed once per run, not once per row.

pub mod batch;
pub mod category;
pub mod gpu;
pub mod labels;
pub mod order;
pub mod pod;
pub mod storage;
pub mod unallocated;
pub mod vm;

use crate::catalog::{NULL_ID, NULL_SET};
use crate::value::date::Day;
pub use crate::value::OptF64;

/// `power(2, -30)`: bytes → GiB, exact in binary floating point.
pub const GIB: f64 = 1.0 / 1_073_741_824.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DataSource {
    Pod,
    Storage,
}

impl DataSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DataSource::Pod => "Pod",
            DataSource::Storage => "Storage",
        }
    }
}

/// One output row. Strings are catalog ids (`NULL_ID` = NULL), label maps set ids (`NULL_SET`).
#[derive(Debug, Clone, Copy)]
pub struct SummaryRow {
    pub data_source: DataSource,
    pub day: Day,
    pub namespace: u32,
    pub node: u32,
    pub resource_id: u32,
    pub pod_labels: u32,
    pub volume_labels: u32,
    /// usage, request, effective usage, limit: cpu core-hours then memory GiB-hours.
    pub pod: [OptF64; 8],
    pub node_capacity_cpu_cores: OptF64,
    pub node_capacity_cpu_core_hours: OptF64,
    pub node_capacity_memory_gigabytes: OptF64,
    pub node_capacity_memory_gigabyte_hours: OptF64,
    pub cluster_capacity_cpu_core_hours: OptF64,
    pub cluster_capacity_memory_gigabyte_hours: OptF64,
    pub persistentvolumeclaim: u32,
    pub persistentvolume: u32,
    pub storageclass: u32,
    /// capacity GiB, capacity GiB-months, request GiB-months, usage GiB-months.
    pub storage: [OptF64; 4],
    pub has_infrastructure_usage_cost: bool,
    pub cost_category_id: Option<i32>,
}

impl SummaryRow {
    pub fn empty(data_source: DataSource, day: Day) -> Self {
        SummaryRow {
            data_source,
            day,
            namespace: NULL_ID,
            node: NULL_ID,
            resource_id: NULL_ID,
            pod_labels: NULL_SET,
            volume_labels: NULL_SET,
            pod: [OptF64::NULL; 8],
            node_capacity_cpu_cores: OptF64::NULL,
            node_capacity_cpu_core_hours: OptF64::NULL,
            node_capacity_memory_gigabytes: OptF64::NULL,
            node_capacity_memory_gigabyte_hours: OptF64::NULL,
            cluster_capacity_cpu_core_hours: OptF64::NULL,
            cluster_capacity_memory_gigabyte_hours: OptF64::NULL,
            persistentvolumeclaim: NULL_ID,
            persistentvolume: NULL_ID,
            storageclass: NULL_ID,
            storage: [OptF64::NULL; 4],
            has_infrastructure_usage_cost: false,
            cost_category_id: None,
        }
    }

    /// The six capacity columns, in output order: node cores, core-hours, GiB, GiB-hours, then
    /// cluster core-hours and GiB-hours.
    pub fn capacities(&self) -> [OptF64; 6] {
        [
            self.node_capacity_cpu_cores,
            self.node_capacity_cpu_core_hours,
            self.node_capacity_memory_gigabytes,
            self.node_capacity_memory_gigabyte_hours,
            self.cluster_capacity_cpu_core_hours,
            self.cluster_capacity_memory_gigabyte_hours,
        ]
    }

    /// The first value numeric(33,15) cannot hold (NaN, ±Inf or |v| >= 1e18; spec §11, E9), if any.
    pub fn unrepresentable(&self) -> Option<f64> {
        self.pod
            .iter()
            .chain(&self.capacities())
            .chain(&self.storage)
            .filter_map(|v| v.get())
            .find(|v| !v.is_finite() || v.abs() >= 1e18)
    }

    /// `all_labels` (spec §9.3): pod labels then volume labels, volume winning; `{}` when both NULL.
    /// A row carries at most one of the two, so no merge is needed.
    pub fn all_labels(&self) -> u32 {
        match (self.pod_labels, self.volume_labels) {
            (NULL_SET, NULL_SET) => 0,
            (NULL_SET, v) => v,
            (p, _) => p,
        }
    }
}
