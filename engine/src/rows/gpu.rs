//! The rows of Koku's usage-only GPU summary (`reporting_ocp_gpu_summary_p`), from the groups of
//! [`crate::aggregate::gpu`]: the memory columns in GB (`× 0.001048576`, MiB to 10⁹ bytes),
//! `gpu_mode` from the MIG profile, and the namespace's cost category (`max` id over the LIKE
//! patterns it matches, as the query's LEFT JOIN gives).
//!
//! `mig_memory_capacity_mib` is a BIGINT, so Trino multiplies it by the decimal literal exactly;
//! the product is kept as exact decimal text ([`exact_gb`]). `gpu_memory_capacity_mib` is a
//! DOUBLE, and its product is a double, as in Trino.

use crate::aggregate::gpu::GpuTable;
use crate::catalog::{id_text, NULL_ID};
use crate::plan::lookups::CostCategory;
use crate::rows::category::CategoryMatcher;
use crate::value::date::Day;
use ocp_summary_kernels::shared_intern::SharedInterner;

/// MiB → GB, Koku's factor.
pub const MIB_TO_GB: f64 = 0.001048576;

/// One output row, the INSERT's columns in order (without `id`, `cluster_id`, `cluster_alias`
/// and `source_uuid`, which every row repeats).
#[derive(Debug, Clone, PartialEq)]
pub struct GpuRow {
    pub usage_start: Day,
    pub namespace: Option<String>,
    pub node: Option<String>,
    pub vendor_name: Option<String>,
    pub model_name: Option<String>,
    pub memory_capacity_gb: Option<f64>,
    pub mig_instance_id: Option<String>,
    pub physical_gpu_uuid: Option<String>,
    /// `MIG` when the group has a MIG profile (an empty one included), else `dedicated`.
    pub gpu_mode: &'static str,
    pub mig_profile: Option<String>,
    pub mig_slice_count: Option<i64>,
    pub gpu_max_slices: Option<i64>,
    pub mig_strategy: Option<String>,
    /// Exact decimal text.
    pub mig_memory_capacity_gb: Option<String>,
    pub cost_category_id: Option<i32>,
}

/// `n × 0.001048576` exactly, as decimal text: `n × 1048576 / 10⁹`.
pub fn exact_gb(mib: i64) -> String {
    let scaled = i128::from(mib) * 1_048_576;
    let (sign, abs) = if scaled < 0 {
        ("-", -scaled)
    } else {
        ("", scaled)
    };
    format!("{sign}{}.{:09}", abs / 1_000_000_000, abs % 1_000_000_000)
}

/// The rows, sorted by day, namespace, node, vendor, model and profile (NULL first).
pub fn gpu_rows(
    table: &GpuTable,
    categories: &[CostCategory],
    strings: &SharedInterner,
) -> Vec<GpuRow> {
    let mut matcher = CategoryMatcher::new(categories);
    let mut rows: Vec<GpuRow> = table
        .groups
        .iter()
        .map(|(&(ts, ns, node, vendor, model, profile), acc)| GpuRow {
            usage_start: Day::of_millis(ts),
            namespace: id_text(strings, ns),
            node: id_text(strings, node),
            vendor_name: id_text(strings, vendor),
            model_name: id_text(strings, model),
            memory_capacity_gb: acc.memory_mib.map(|m| m * MIB_TO_GB),
            mig_instance_id: id_text(strings, acc.mig_instance_id),
            physical_gpu_uuid: id_text(strings, acc.gpu_uuid),
            gpu_mode: if profile == NULL_ID {
                "dedicated"
            } else {
                "MIG"
            },
            mig_profile: id_text(strings, profile),
            mig_slice_count: acc.mig_slice_count,
            gpu_max_slices: acc.gpu_max_slices,
            mig_strategy: id_text(strings, acc.mig_strategy),
            mig_memory_capacity_gb: acc.mig_memory_mib.map(exact_gb),
            cost_category_id: matcher.get(ns, strings).id,
        })
        .collect();
    rows.sort_by(|a, b| {
        let key = |r: &GpuRow| {
            (
                r.usage_start,
                r.namespace.clone(),
                r.node.clone(),
                r.vendor_name.clone(),
                r.model_name.clone(),
                r.mig_profile.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mig_memory_is_exact() {
        assert_eq!(exact_gb(40960), "42.949672960");
        assert_eq!(exact_gb(0), "0.000000000");
        assert_eq!(exact_gb(-1), "-0.001048576");
        assert_eq!(exact_gb(1_000_000_000), "1048576.000000000");
    }
}
