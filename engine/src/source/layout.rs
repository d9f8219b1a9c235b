//! Koku's Parquet layout (spec §2.1, koku-inputs §B.3).
//!
//! Hourly files live under `data/parquet/<org>/OCP/<type>/source=<uuid>/year=YYYY/month=MM/` and
//! the daily roll-ups under `data/parquet/daily/<org>/OCP/<type>/...`. The month is zero-padded
//! here (E13); hive partition values are not stored inside the files.

use std::fmt;

/// The report types the engine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportType {
    PodUsage,
    StorageUsage,
    NodeLabels,
    NamespaceLabels,
    VmUsage,
    GpuUsage,
}

impl ReportType {
    pub fn dir_name(self) -> &'static str {
        match self {
            ReportType::PodUsage => "pod_usage",
            ReportType::StorageUsage => "storage_usage",
            ReportType::NodeLabels => "node_labels",
            ReportType::NamespaceLabels => "namespace_labels",
            ReportType::VmUsage => "vm_usage",
            ReportType::GpuUsage => "gpu_usage",
        }
    }
}

/// Hourly ("raw") line items or Koku's per-chunk daily roll-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Granularity {
    Hourly,
    Daily,
}

/// One input table: a report type at a granularity, e.g. `openshift_pod_usage_line_items_daily`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Table {
    pub report: ReportType,
    pub granularity: Granularity,
}

impl Table {
    pub const POD_HOURLY: Table = Table::new(ReportType::PodUsage, Granularity::Hourly);
    pub const POD_DAILY: Table = Table::new(ReportType::PodUsage, Granularity::Daily);
    pub const STORAGE_DAILY: Table = Table::new(ReportType::StorageUsage, Granularity::Daily);
    pub const NODE_LABELS_DAILY: Table = Table::new(ReportType::NodeLabels, Granularity::Daily);
    pub const NODE_LABELS_HOURLY: Table = Table::new(ReportType::NodeLabels, Granularity::Hourly);
    pub const NAMESPACE_LABELS_DAILY: Table =
        Table::new(ReportType::NamespaceLabels, Granularity::Daily);
    pub const VM_HOURLY: Table = Table::new(ReportType::VmUsage, Granularity::Hourly);
    pub const VM_DAILY: Table = Table::new(ReportType::VmUsage, Granularity::Daily);
    pub const GPU_DAILY: Table = Table::new(ReportType::GpuUsage, Granularity::Daily);

    pub const fn new(report: ReportType, granularity: Granularity) -> Table {
        Table {
            report,
            granularity,
        }
    }

    /// The partition folder for one source and month, ending in `/`.
    pub fn partition_prefix(&self, org: &str, source: &str, year: i32, month: u32) -> String {
        let daily = match self.granularity {
            Granularity::Hourly => "",
            Granularity::Daily => "daily/",
        };
        format!(
            "data/parquet/{daily}{org}/OCP/{}/source={source}/year={year:04}/month={month:02}/",
            self.report.dir_name()
        )
    }
}

impl fmt::Display for Table {
    /// Koku's Trino table name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = match self.granularity {
            Granularity::Hourly => "",
            Granularity::Daily => "_daily",
        };
        write!(f, "openshift_{}_line_items{suffix}", self.report.dir_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_follow_koku() {
        assert_eq!(
            Table::POD_DAILY.partition_prefix("o1", "u-1", 2026, 3),
            "data/parquet/daily/o1/OCP/pod_usage/source=u-1/year=2026/month=03/"
        );
        assert_eq!(
            Table::POD_HOURLY.partition_prefix("o1", "u-1", 2026, 11),
            "data/parquet/o1/OCP/pod_usage/source=u-1/year=2026/month=11/"
        );
        assert_eq!(
            Table::NODE_LABELS_DAILY.to_string(),
            "openshift_node_labels_line_items_daily"
        );
    }
}
