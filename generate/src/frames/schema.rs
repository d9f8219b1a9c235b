//! The columns of the four reports' hourly and daily files, in file order, and their parsed
//! schemas.

use ocp_summary_ingest::pq::{Kind, Schema};

use Kind::{Str, Ts, F64};

/// Hourly columns whose value is a fresh random draw on every row (dictionary disabled; see
/// [`ocp_summary_ingest::pq::writer_props`]). Column paths are per name, so this also affects the
/// daily files' sums of the same names, which are just as distinct.
pub const PLAIN_COLUMNS: &[&str] = &[
    "pod_usage_cpu_core_seconds",
    "pod_usage_memory_byte_seconds",
    "pod_effective_usage_cpu_core_seconds",
    "pod_effective_usage_memory_byte_seconds",
    "persistentvolumeclaim_usage_byte_seconds",
];

pub const POD_HOURLY: &[(&str, Kind)] = &[
    ("report_period_start", Ts),
    ("report_period_end", Ts),
    ("interval_start", Ts),
    ("interval_end", Ts),
    ("pod", Str),
    ("namespace", Str),
    ("node", Str),
    ("resource_id", Str),
    ("pod_usage_cpu_core_seconds", F64),
    ("pod_request_cpu_core_seconds", F64),
    ("pod_limit_cpu_core_seconds", F64),
    ("pod_usage_memory_byte_seconds", F64),
    ("pod_request_memory_byte_seconds", F64),
    ("pod_limit_memory_byte_seconds", F64),
    ("node_capacity_cpu_cores", F64),
    ("node_capacity_cpu_core_seconds", F64),
    ("node_capacity_memory_bytes", F64),
    ("node_capacity_memory_byte_seconds", F64),
    ("pod_labels", Str),
    ("pod_effective_usage_cpu_core_seconds", F64),
    ("pod_effective_usage_memory_byte_seconds", F64),
];

pub const POD_DAILY: &[(&str, Kind)] = &[
    ("namespace", Str),
    ("node", Str),
    ("pod", Str),
    ("pod_labels", Str),
    ("interval_start", Ts),
    ("report_period_start", Ts),
    ("report_period_end", Ts),
    ("resource_id", Str),
    ("pod_usage_cpu_core_seconds", F64),
    ("pod_request_cpu_core_seconds", F64),
    ("pod_effective_usage_cpu_core_seconds", F64),
    ("pod_limit_cpu_core_seconds", F64),
    ("pod_usage_memory_byte_seconds", F64),
    ("pod_request_memory_byte_seconds", F64),
    ("pod_effective_usage_memory_byte_seconds", F64),
    ("pod_limit_memory_byte_seconds", F64),
    ("node_capacity_cpu_cores", F64),
    ("node_capacity_cpu_core_seconds", F64),
    ("node_capacity_memory_bytes", F64),
    ("node_capacity_memory_byte_seconds", F64),
    ("node_role", Str),
];

pub const STORAGE_HOURLY: &[(&str, Kind)] = &[
    ("report_period_start", Ts),
    ("report_period_end", Ts),
    ("interval_start", Ts),
    ("interval_end", Ts),
    ("namespace", Str),
    ("pod", Str),
    ("node", Str),
    ("persistentvolumeclaim", Str),
    ("persistentvolume", Str),
    ("storageclass", Str),
    ("csi_driver", Str),
    ("csi_volume_handle", Str),
    ("persistentvolumeclaim_capacity_bytes", F64),
    ("persistentvolumeclaim_capacity_byte_seconds", F64),
    ("volume_request_storage_byte_seconds", F64),
    ("persistentvolumeclaim_usage_byte_seconds", F64),
    ("persistentvolume_labels", Str),
    ("persistentvolumeclaim_labels", Str),
];

pub const STORAGE_DAILY: &[(&str, Kind)] = &[
    ("namespace", Str),
    ("node", Str),
    ("pod", Str),
    ("persistentvolumeclaim", Str),
    ("persistentvolume", Str),
    ("storageclass", Str),
    ("csi_driver", Str),
    ("csi_volume_handle", Str),
    ("persistentvolume_labels", Str),
    ("persistentvolumeclaim_labels", Str),
    ("interval_start", Ts),
    ("report_period_start", Ts),
    ("report_period_end", Ts),
    ("persistentvolumeclaim_capacity_bytes", F64),
    ("persistentvolumeclaim_capacity_byte_seconds", F64),
    ("volume_request_storage_byte_seconds", F64),
    ("persistentvolumeclaim_usage_byte_seconds", F64),
];

pub const NODE_LABELS_HOURLY: &[(&str, Kind)] = &[
    ("report_period_start", Ts),
    ("report_period_end", Ts),
    ("interval_start", Ts),
    ("interval_end", Ts),
    ("node", Str),
    ("node_labels", Str),
];

pub const NODE_LABELS_DAILY: &[(&str, Kind)] = &[
    ("node", Str),
    ("node_labels", Str),
    ("interval_start", Ts),
    ("report_period_start", Ts),
    ("report_period_end", Ts),
];

pub const NS_LABELS_HOURLY: &[(&str, Kind)] = &[
    ("report_period_start", Ts),
    ("report_period_end", Ts),
    ("interval_start", Ts),
    ("interval_end", Ts),
    ("namespace", Str),
    ("namespace_labels", Str),
];

pub const NS_LABELS_DAILY: &[(&str, Kind)] = &[
    ("namespace", Str),
    ("namespace_labels", Str),
    ("interval_start", Ts),
    ("report_period_start", Ts),
    ("report_period_end", Ts),
];

/// Parsed schemas, built once per run.
pub struct Schemas {
    pub hourly: [Schema; 4],
    pub daily: [Schema; 4],
}

impl Schemas {
    pub fn new() -> Self {
        Schemas {
            hourly: [
                Schema::new(POD_HOURLY),
                Schema::new(STORAGE_HOURLY),
                Schema::new(NODE_LABELS_HOURLY),
                Schema::new(NS_LABELS_HOURLY),
            ],
            daily: [
                Schema::new(POD_DAILY),
                Schema::new(STORAGE_DAILY),
                Schema::new(NODE_LABELS_DAILY),
                Schema::new(NS_LABELS_DAILY),
            ],
        }
    }
}
