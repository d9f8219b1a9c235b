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
        }
    }

    /// Koku's `*_NEWV_COLUMNS`: added to the daily frame as all-NULL strings when missing.
    pub(super) fn new_version_columns(self) -> &'static [&'static str] {
        match self {
            ReportKind::Pod => &["node_role"],
            ReportKind::Storage => &["node", "csi_driver", "csi_volume_handle"],
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
    Label,
    Str,
}

impl Conv {
    pub(super) fn of(name: &str) -> Conv {
        if TIMESTAMP_COLUMNS.contains(&name) {
            Conv::Ts
        } else if NUMERIC_COLUMNS.contains(&name) {
            Conv::Num
        } else if LABEL_COLUMNS.contains(&name) {
            Conv::Label
        } else {
            Conv::Str
        }
    }

    pub(super) fn kind(self) -> Kind {
        match self {
            Conv::Ts => Kind::Ts,
            Conv::Num => Kind::F64,
            Conv::Label | Conv::Str => Kind::Str,
        }
    }
}
