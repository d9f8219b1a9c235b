//! Koku's usage-only GPU summary (`trino_sql/openshift/ui_summary/reporting_ocp_gpu_summary_p_usage_only.sql`):
//! the daily GPU rows of the range grouped by (namespace, node, vendor, model, MIG profile,
//! `interval_start`), with the `max` of each other column.
//!
//! The query groups by the `interval_start` timestamp, not by its date: two daily roll-ups of one
//! day with different start times would stay apart, so the key holds the timestamp. Every `max`
//! ignores NULLs; strings compare by bytes ([`max_string`]), the MIG counts and memory as
//! integers. The few rows (one per GPU, pod and day) are gathered as a dimension table and turned
//! into output rows once the input is read ([`GpuTable::rows`]).

use super::max_double;
use super::pod::max_string;
use crate::catalog::{Catalog, NULL_ID};
use crate::decode::rowgroup::{ColumnData, RowGroupData};
use crate::plan::columns::{ColumnKind, ColumnRequest};
use hashbrown::HashMap;
use std::ops::Range;

pub const COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("namespace", ColumnKind::String),
    ColumnRequest::required("node", ColumnKind::String),
    ColumnRequest::required("gpu_vendor_name", ColumnKind::String),
    ColumnRequest::required("gpu_model_name", ColumnKind::String),
    ColumnRequest::required("gpu_memory_capacity_mib", ColumnKind::Double),
    ColumnRequest::required("gpu_uuid", ColumnKind::String),
    // Added to the report with MIG support; older files read them as NULL, as Trino does.
    ColumnRequest::optional("mig_profile", ColumnKind::String),
    ColumnRequest::optional("mig_instance_id", ColumnKind::String),
    ColumnRequest::optional("mig_strategy", ColumnKind::String),
    ColumnRequest::optional("mig_slice_count", ColumnKind::Int),
    ColumnRequest::optional("gpu_max_slices", ColumnKind::Int),
    ColumnRequest::optional("mig_memory_capacity_mib", ColumnKind::Int),
];

/// The query's `GROUP BY`: (`interval_start` in ms, namespace, node, vendor, model, MIG profile).
pub type GpuKey = (i64, u32, u32, u32, u32, u32);

/// The `max` aggregates of one group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GpuAcc {
    pub memory_mib: Option<f64>,
    pub mig_instance_id: u32,
    pub gpu_uuid: u32,
    pub mig_strategy: u32,
    pub mig_slice_count: Option<i64>,
    pub gpu_max_slices: Option<i64>,
    pub mig_memory_mib: Option<i64>,
}

impl GpuAcc {
    const EMPTY: GpuAcc = GpuAcc {
        memory_mib: None,
        mig_instance_id: NULL_ID,
        gpu_uuid: NULL_ID,
        mig_strategy: NULL_ID,
        mig_slice_count: None,
        gpu_max_slices: None,
        mig_memory_mib: None,
    };

    fn merge(&mut self, o: &GpuAcc, cmp: &impl Fn(u32, u32) -> std::cmp::Ordering) {
        self.memory_mib = max_double(self.memory_mib, o.memory_mib);
        max_string(&mut self.mig_instance_id, o.mig_instance_id, cmp);
        max_string(&mut self.gpu_uuid, o.gpu_uuid, cmp);
        max_string(&mut self.mig_strategy, o.mig_strategy, cmp);
        self.mig_slice_count = self.mig_slice_count.max(o.mig_slice_count);
        self.gpu_max_slices = self.gpu_max_slices.max(o.gpu_max_slices);
        self.mig_memory_mib = self.mig_memory_mib.max(o.mig_memory_mib);
    }
}

fn int(c: &ColumnData, i: usize) -> Option<i64> {
    c.valid.get(i).then_some(c.i64s[i])
}

pub type GpuPartial = Vec<(GpuKey, GpuAcc)>;

/// Groups one row group's in-range rows.
pub fn run(data: &RowGroupData, ms: &Range<i64>, catalog: &Catalog) -> GpuPartial {
    let [ts, ns, node, vendor, model, memory, uuid, profile, instance, strategy, slices, max_slices, mig_memory] =
        &data.columns[..]
    else {
        unreachable!("the GPU summary reads thirteen columns")
    };
    let cmp = |a: u32, b: u32| catalog.compare(a, b);
    let mut groups: HashMap<GpuKey, GpuAcc> = HashMap::new();
    for i in 0..data.num_rows {
        let t = ts.i64s[i];
        if !ts.valid.get(i) || !ms.contains(&t) {
            continue;
        }
        let key = (
            t,
            ns.ids[i],
            node.ids[i],
            vendor.ids[i],
            model.ids[i],
            profile.ids[i],
        );
        let row = GpuAcc {
            memory_mib: memory.valid.get(i).then_some(memory.f64s[i]),
            mig_instance_id: instance.ids[i],
            gpu_uuid: uuid.ids[i],
            mig_strategy: strategy.ids[i],
            mig_slice_count: int(slices, i),
            gpu_max_slices: int(max_slices, i),
            mig_memory_mib: int(mig_memory, i),
        };
        groups.entry(key).or_insert(GpuAcc::EMPTY).merge(&row, &cmp);
    }
    groups.into_iter().collect()
}

/// Every group of the run.
#[derive(Default)]
pub struct GpuTable {
    pub groups: HashMap<GpuKey, GpuAcc>,
}

impl GpuTable {
    pub fn merge(&mut self, partial: GpuPartial, catalog: &Catalog) {
        let cmp = |a: u32, b: u32| catalog.compare(a, b);
        for (key, acc) in partial {
            self.groups
                .entry(key)
                .or_insert(GpuAcc::EMPTY)
                .merge(&acc, &cmp);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{catalog, f64_col, id_col, intern, row_group, ts_col};

    fn int_col(v: &[Option<i64>]) -> ColumnData {
        ColumnData {
            i64s: v.iter().map(|x| x.unwrap_or(0)).collect(),
            valid: v.iter().map(Option::is_some).collect(),
            ..Default::default()
        }
    }

    /// Two rows of one group (their maxima are taken column by column), one of another MIG
    /// profile, and one out of range.
    #[test]
    fn groups_take_the_max_of_each_column() {
        let cat = catalog(&[]);
        let s = |v: &str| intern(&cat, Some(v));
        let (ns, node, nv, a100) = (s("ml"), s("gpu-1"), s("nvidia"), s("A100"));
        let (g1, g2, p, i1, i2) = (s("GPU-1"), s("GPU-2"), s("1g.10gb"), s("MIG-a"), s("MIG-b"));
        let n = NULL_ID;
        let data = row_group(
            4,
            vec![
                ts_col(&[Some(0), Some(0), Some(0), Some(86_400_000)]),
                id_col(&[ns, ns, ns, ns]),
                id_col(&[node, node, node, node]),
                id_col(&[nv, nv, nv, nv]),
                id_col(&[a100, a100, a100, a100]),
                f64_col(&[Some(40960.0), None, Some(81920.0), Some(1.0)]),
                id_col(&[g2, g1, g1, g1]),
                id_col(&[n, n, p, n]),
                id_col(&[n, n, i1, i2]),
                id_col(&[n, n, n, n]),
                int_col(&[None, None, Some(1), None]),
                int_col(&[Some(7), None, Some(7), None]),
                int_col(&[None, None, Some(10240), None]),
            ],
        );
        let groups: HashMap<_, _> = run(&data, &(0..86_400_000), &cat).into_iter().collect();
        assert_eq!(groups.len(), 2, "{groups:?}");
        let dedicated = groups[&(0, ns, node, nv, a100, n)];
        assert_eq!(dedicated.memory_mib, Some(40960.0));
        assert_eq!(dedicated.gpu_uuid, g2, "max by bytes");
        assert_eq!(dedicated.gpu_max_slices, Some(7));
        assert_eq!(dedicated.mig_slice_count, None);
        let mig = groups[&(0, ns, node, nv, a100, p)];
        assert_eq!((mig.mig_instance_id, mig.mig_memory_mib), (i1, Some(10240)));
    }
}
