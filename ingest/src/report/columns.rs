//! What each report type's columns are: the daily group-by keys and aggregations Koku's
//! `OCP_REPORT_TYPES` gives, the new-version columns added when missing, and how a CSV field is
//! read by its column name (timestamp, number, labels, text). Data rather than logic, kept apart
//! from the conversion loop so it can be read against Koku's tables in one place.

use super::ReportKind;
use crate::pq::Kind;

impl ReportKind {
    /// Daily group-by keys (`OCP_REPORT_TYPES[...]["group_by"]`), in order.
    pub(super) fn group_by(self) -> &'static [&'static str] {
        match self {
            ReportKind::Pod => &["namespace", "node", "pod", "pod_labels"],
            ReportKind::Storage => &[
                "namespace",
                "node",
                "pod",
                "persistentvolumeclaim",
                "persistentvolume",
                "storageclass",
                "csi_driver",
                "csi_volume_handle",
                "persistentvolume_labels",
                "persistentvolumeclaim_labels",
            ],
            ReportKind::NodeLabels => &["node", "node_labels"],
            ReportKind::NamespaceLabels => &["namespace", "namespace_labels"],
            ReportKind::Vm => &["namespace", "node", "vm_name", "vm_labels"],
            ReportKind::Gpu => &["node", "namespace", "pod", "gpu_uuid", "mig_instance_id"],
        }
    }

    /// Daily aggregations (`OCP_REPORT_TYPES[...]["agg"]`), in order.
    pub(super) fn aggs(self) -> &'static [(&'static str, Agg)] {
        use Agg::{Max, Sum};
        match self {
            ReportKind::Pod => &[
                ("report_period_start", Max),
                ("report_period_end", Max),
                ("resource_id", Max),
                ("pod_usage_cpu_core_seconds", Sum),
                ("pod_request_cpu_core_seconds", Sum),
                ("pod_effective_usage_cpu_core_seconds", Sum),
                ("pod_limit_cpu_core_seconds", Sum),
                ("pod_usage_memory_byte_seconds", Sum),
                ("pod_request_memory_byte_seconds", Sum),
                ("pod_effective_usage_memory_byte_seconds", Sum),
                ("pod_limit_memory_byte_seconds", Sum),
                ("node_capacity_cpu_cores", Max),
                ("node_capacity_cpu_core_seconds", Sum),
                ("node_capacity_memory_bytes", Max),
                ("node_capacity_memory_byte_seconds", Sum),
                ("node_role", Max),
            ],
            ReportKind::Storage => &[
                ("report_period_start", Max),
                ("report_period_end", Max),
                ("persistentvolumeclaim_capacity_bytes", Max),
                ("persistentvolumeclaim_capacity_byte_seconds", Sum),
                ("volume_request_storage_byte_seconds", Sum),
                ("persistentvolumeclaim_usage_byte_seconds", Sum),
            ],
            ReportKind::NodeLabels | ReportKind::NamespaceLabels => {
                &[("report_period_start", Max), ("report_period_end", Max)]
            }
            ReportKind::Vm => &[
                ("report_period_start", Max),
                ("report_period_end", Max),
                ("resource_id", Max),
                ("vm_instance_type", Max),
                ("vm_os", Max),
                ("vm_guest_os_arch", Max),
                ("vm_guest_os_name", Max),
                ("vm_guest_os_version", Max),
                ("vm_uptime_total_seconds", Sum),
                ("vm_cpu_limit_cores", Max),
                ("vm_cpu_limit_core_seconds", Sum),
                ("vm_cpu_request_cores", Max),
                ("vm_cpu_request_core_seconds", Sum),
                ("vm_cpu_request_sockets", Max),
                ("vm_cpu_request_socket_seconds", Sum),
                ("vm_cpu_request_threads", Max),
                ("vm_cpu_request_thread_seconds", Sum),
                ("vm_cpu_usage_total_seconds", Sum),
                ("vm_memory_limit_bytes", Max),
                ("vm_memory_limit_byte_seconds", Sum),
                ("vm_memory_request_bytes", Max),
                ("vm_memory_request_byte_seconds", Sum),
                ("vm_memory_usage_byte_seconds", Sum),
                ("vm_device", Max),
                ("vm_volume_mode", Max),
                ("vm_persistentvolumeclaim_name", Max),
                ("vm_disk_allocated_size_byte_seconds", Sum),
            ],
            ReportKind::Gpu => &[
                ("report_period_start", Max),
                ("report_period_end", Max),
                ("gpu_model_name", Max),
                ("gpu_vendor_name", Max),
                ("gpu_memory_capacity_mib", Max),
                ("gpu_pod_uptime", Sum),
                ("mig_profile", Max),
                ("mig_slice_count", Max),
                ("gpu_max_slices", Max),
                ("mig_memory_capacity_mib", Max),
                ("mig_strategy", Max),
            ],
        }
    }

    /// The columns Koku's type detection requires (`OCP_REPORT_TYPES[...]["columns"]`), for the
    /// report types whose columns `ingest` checks (VM and GPU; the older four keep their
    /// detection by a distinctive column).
    pub fn required_columns(self) -> &'static [&'static str] {
        match self {
            ReportKind::Vm => VM_USAGE_COLUMNS,
            ReportKind::Gpu => GPU_USAGE_COLUMNS,
            _ => &[],
        }
    }

    /// Koku's `*_NEWV_COLUMNS_AND_TYPES`: added to the daily frame as all-NULL columns of that
    /// type when missing (strings, or pandas' `Int64`).
    pub(super) fn new_version_columns(self) -> &'static [(&'static str, Kind)] {
        match self {
            ReportKind::Pod => &[("node_role", Kind::Str)],
            ReportKind::Storage => &[
                ("node", Kind::Str),
                ("csi_driver", Kind::Str),
                ("csi_volume_handle", Kind::Str),
            ],
            ReportKind::Gpu => &[
                ("mig_instance_id", Kind::Str),
                ("mig_profile", Kind::Str),
                ("mig_strategy", Kind::Str),
                ("mig_slice_count", Kind::I64),
                ("mig_memory_capacity_mib", Kind::I64),
                ("gpu_max_slices", Kind::I64),
            ],
            _ => &[],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Agg {
    Max,
    Sum,
}

const TIMESTAMP_COLUMNS: &[&str] = &[
    "report_period_start",
    "report_period_end",
    "interval_start",
    "interval_end",
];

const NUMERIC_COLUMNS: &[&str] = &[
    "pod_usage_cpu_core_seconds",
    "pod_request_cpu_core_seconds",
    "pod_limit_cpu_core_seconds",
    "pod_usage_memory_byte_seconds",
    "pod_request_memory_byte_seconds",
    "pod_limit_memory_byte_seconds",
    "pod_effective_usage_cpu_core_seconds",
    "pod_effective_usage_memory_byte_seconds",
    "node_capacity_cpu_cores",
    "node_capacity_cpu_core_seconds",
    "node_capacity_memory_bytes",
    "node_capacity_memory_byte_seconds",
    "persistentvolumeclaim_capacity_bytes",
    "persistentvolumeclaim_capacity_byte_seconds",
    "volume_request_storage_byte_seconds",
    "persistentvolumeclaim_usage_byte_seconds",
    "vm_uptime_total_seconds",
    "vm_cpu_limit_cores",
    "vm_cpu_limit_core_seconds",
    "vm_cpu_request_cores",
    "vm_cpu_request_core_seconds",
    "vm_cpu_request_sockets",
    "vm_cpu_request_socket_seconds",
    "vm_cpu_request_threads",
    "vm_cpu_request_thread_seconds",
    "vm_cpu_usage_total_seconds",
    "vm_memory_limit_bytes",
    "vm_memory_limit_byte_seconds",
    "vm_memory_request_bytes",
    "vm_memory_request_byte_seconds",
    "vm_memory_usage_byte_seconds",
    "vm_disk_allocated_size_byte_seconds",
    "gpu_memory_capacity_mib",
    "gpu_pod_uptime",
];

/// `safe_int_or_none` columns (the GPU report's MIG counts), written as nullable `INT64` like the
/// `Int64` dtype of `GPU_USAGE_NEWV_COLUMNS_AND_TYPES`.
const INT_COLUMNS: &[&str] = &[
    "mig_slice_count",
    "gpu_max_slices",
    "mig_memory_capacity_mib",
];

/// Koku's `VM_USAGE_COLUMNS` (masu's `detect_type` needs all of them).
pub const VM_USAGE_COLUMNS: &[&str] = &[
    "report_period_start",
    "report_period_end",
    "interval_start",
    "interval_end",
    "node",
    "namespace",
    "vm_name",
    "resource_id",
    "vm_instance_type",
    "vm_os",
    "vm_guest_os_arch",
    "vm_guest_os_name",
    "vm_guest_os_version",
    "vm_uptime_total_seconds",
    "vm_cpu_limit_cores",
    "vm_cpu_limit_core_seconds",
    "vm_cpu_request_cores",
    "vm_cpu_request_core_seconds",
    "vm_cpu_request_sockets",
    "vm_cpu_request_socket_seconds",
    "vm_cpu_request_threads",
    "vm_cpu_request_thread_seconds",
    "vm_cpu_usage_total_seconds",
    "vm_memory_limit_bytes",
    "vm_memory_limit_byte_seconds",
    "vm_memory_request_bytes",
    "vm_memory_request_byte_seconds",
    "vm_memory_usage_byte_seconds",
    "vm_device",
    "vm_volume_mode",
    "vm_persistentvolumeclaim_name",
    "vm_disk_allocated_size_byte_seconds",
    "vm_labels",
];

/// Koku's `GPU_USAGE_COLUMNS` (the MIG columns are optional: `GPU_USAGE_NEWV_COLUMNS_AND_TYPES`).
pub const GPU_USAGE_COLUMNS: &[&str] = &[
    "report_period_start",
    "report_period_end",
    "interval_start",
    "interval_end",
    "node",
    "namespace",
    "pod",
    "gpu_uuid",
    "gpu_model_name",
    "gpu_vendor_name",
    "gpu_memory_capacity_mib",
    "gpu_pod_uptime",
];

/// Also exactly the `label_columns` whose keys masu records as tag keys
/// (`OCPPostProcessor.process_dataframe`, see [`crate::tag_keys`]); `vm_labels` is in neither.
const LABEL_COLUMNS: &[&str] = &[
    "pod_labels",
    "persistentvolume_labels",
    "persistentvolumeclaim_labels",
    "node_labels",
    "namespace_labels",
];

/// `vm_labels` is converted to JSON like the others but, as in masu, its keys are not recorded as
/// tag keys.
const UNRECORDED_LABEL_COLUMNS: &[&str] = &["vm_labels"];

/// `OCPC.THRESHOLD_MAP`: rows with any of these above 1e18 are dropped (`_remove_anomalies`).
pub(super) const THRESHOLD_COLUMNS: &[&str] = &[
    "pod_usage_cpu_core_seconds",
    "pod_request_cpu_core_seconds",
    "pod_limit_cpu_core_seconds",
    "pod_usage_memory_byte_seconds",
    "pod_request_memory_byte_seconds",
    "pod_limit_memory_byte_seconds",
    "node_capacity_cpu_core_seconds",
    "node_capacity_memory_byte_seconds",
    "node_capacity_memory_bytes",
    "persistentvolumeclaim_capacity_bytes",
    "persistentvolumeclaim_capacity_byte_seconds",
    "volume_request_storage_byte_seconds",
    "persistentvolumeclaim_usage_byte_seconds",
];
pub(super) const THRESHOLD: f64 = 1e18;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Conv {
    Ts,
    Num,
    Int,
    Label,
    /// Label JSON whose keys are not tag keys (`vm_labels`).
    LabelUnrecorded,
    Str,
}

impl Conv {
    pub(super) fn of(name: &str) -> Conv {
        if TIMESTAMP_COLUMNS.contains(&name) {
            Conv::Ts
        } else if NUMERIC_COLUMNS.contains(&name) {
            Conv::Num
        } else if INT_COLUMNS.contains(&name) {
            Conv::Int
        } else if LABEL_COLUMNS.contains(&name) {
            Conv::Label
        } else if UNRECORDED_LABEL_COLUMNS.contains(&name) {
            Conv::LabelUnrecorded
        } else {
            Conv::Str
        }
    }

    pub(super) fn kind(self) -> Kind {
        match self {
            Conv::Ts => Kind::Ts,
            Conv::Num => Kind::F64,
            Conv::Int => Kind::I64,
            Conv::Label | Conv::LabelUnrecorded | Conv::Str => Kind::Str,
        }
    }
}
