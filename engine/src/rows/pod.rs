//! Pod rows (spec §6): the label and cost-category joins, then Koku's output formulas.
//!
//! Each pre-aggregated group joins every distinct node label set of its (day, node) and every
//! namespace label set of its (day, namespace) (E2), and its namespace's cost-category matches
//! (E3). The merged map `node ∪ namespace ∪ pod` (later wins) is part of the final group key, so
//! joined copies with equal maps add up, exactly like Trino's GROUP BY over the joined rows.

use super::category::CategoryMatcher;
use super::labels::LabelMerger;
use super::{DataSource, SummaryRow, GIB};
use crate::aggregate::capacity::DailyCapacity;
use crate::aggregate::exec::Aggregates;
use crate::aggregate::pod::{PodAcc, METRICS};
use crate::catalog::NULL_SET;
use crate::value::date::Day;
use ocp_summary_kernels::direct_index::{DirectKey, DirectMap};
use ocp_summary_kernels::shared_intern::SharedInterner;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FinalKey {
    day: Day,
    namespace: u32,
    node: u32,
    labels: u32,
}

/// A merged label map is nearly unique to its final group, as the pod's own set is to its
/// pre-join group, so the groups are found through it first
/// ([`DirectIndex`](ocp_summary_kernels::direct_index::DirectIndex)).
impl DirectKey for FinalKey {
    #[inline]
    fn direct(&self) -> u32 {
        self.labels
    }
}

#[derive(Default)]
struct FinalAcc {
    acc: PodAcc,
    cost_category_id: Option<i32>,
}

/// The final groups' table, kept from batch to batch: a fresh table per batch faulted its memory
/// in again each time (docs/benchmarks/main-thread.md).
#[derive(Default)]
pub struct PodGroups(DirectMap<FinalKey, FinalAcc>);

/// Builds every Pod row of a batch into `rows`, an empty vector, ideally with room for the Pod
/// rows and the rows appended later, so that appending does not copy the largest structure of
/// the run into fresh memory.
pub fn build(
    agg: &Aggregates,
    capacity: &DailyCapacity,
    categories: &mut CategoryMatcher,
    strings: &SharedInterner,
    merger: &mut LabelMerger<'_>,
    groups: &mut PodGroups,
    mut rows: Vec<SummaryRow>,
) -> Vec<SummaryRow> {
    let cmp = |a: u32, b: u32| strings.get(a).cmp(strings.get(b));
    let groups = &mut groups.0;
    groups.clear();
    // At least one final group per pre-join group, usually exactly one: size once.
    groups.reserve(agg.pods.len());
    const NO_LABELS: &[u32] = &[NULL_SET];
    for (key, acc) in agg.pods.groups() {
        let node_sets = agg.node_labels.get(key.day, key.node).unwrap_or(NO_LABELS);
        let ns_sets = agg
            .namespace_labels
            .get(key.day, key.namespace)
            .unwrap_or(NO_LABELS);
        let cat = categories.get(key.namespace, strings);
        let scaled = scale(acc, cat.multiplicity);
        for &node_set in node_sets {
            for &ns_set in ns_sets {
                let fk = FinalKey {
                    day: key.day,
                    namespace: key.namespace,
                    node: key.node,
                    labels: merger.concat3(node_set, ns_set, key.labels),
                };
                let f = groups.entry_or_default(fk);
                f.acc.merge(&scaled, &cmp);
                if let Some(id) = cat.id {
                    f.cost_category_id = Some(f.cost_category_id.map_or(id, |c| c.max(id)));
                }
            }
        }
    }
    debug_assert!(rows.is_empty());
    rows.reserve(groups.len());
    rows.extend(groups.iter().map(|(&k, f)| to_row(k, f, capacity)));
    rows
}

/// The group's sums as if it had joined `m` times.
fn scale(acc: &PodAcc, m: u32) -> PodAcc {
    let mut out = *acc;
    if m > 1 {
        out.scale(m as f64);
    }
    out
}

fn to_row(k: FinalKey, f: &FinalAcc, capacity: &DailyCapacity) -> SummaryRow {
    let mut row = SummaryRow::empty(DataSource::Pod, k.day);
    row.namespace = k.namespace;
    row.node = k.node;
    row.resource_id = f.acc.resource_id;
    row.pod_labels = k.labels;
    for i in 0..METRICS {
        let memory = i >= 4;
        row.pod[i] = f.acc.sum(i).map(|s| hours(s, memory)).into();
    }
    row.node_capacity_cpu_cores = f.acc.cap_cpu_cores().into();
    row.node_capacity_memory_gigabytes = f.acc.cap_mem_bytes().map(|b| b * GIB).into();
    if let Some(nc) = capacity.node.get(&(k.day, k.node)) {
        row.node_capacity_cpu_core_hours = nc.cpu.map(|s| hours(s, false)).into();
        row.node_capacity_memory_gigabyte_hours = nc.mem.map(|s| hours(s, true)).into();
    }
    if let Some(cc) = capacity.cluster.get(&k.day) {
        row.cluster_capacity_cpu_core_hours = cc.cpu.map(|s| hours(s, false)).into();
        row.cluster_capacity_memory_gigabyte_hours = cc.mem.map(|s| hours(s, true)).into();
    }
    row.has_infrastructure_usage_cost = true;
    row.cost_category_id = f.cost_category_id;
    row
}

/// `sum / 3600.0` for seconds, `sum / 3600.0 * power(2, -30)` for byte-seconds.
fn hours(seconds: f64, memory: bool) -> f64 {
    let h = seconds / 3600.0;
    if memory {
        h * GIB
    } else {
        h
    }
}

#[cfg(test)]
mod tests;
