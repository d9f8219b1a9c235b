//! Storage rows (spec §7): the volume→node mapping, shared-volume node counts, label and
//! cost-category joins, then Koku's gigabyte-month formulas.
//!
//! Everything here works on the pre-aggregated storage lines of `aggregate::storage`, so the joins
//! run once per distinct line, not once per input row:
//! - `cte_volume_nodes` (§7.1) is the distinct (day, pvc, pv, pod, namespace, node, resource_id)
//!   of storage lines joined to the pods' places; it is rebuilt from the distinct lines.
//! - The node count of a (day, pv) counts its distinct non-NULL nodes (§7.2); 0 is possible (E9).
//! - Each line LEFT JOINs `vn` on (day, pvc, pod, namespace) but **not pv** (E8), so a line gets one
//!   copy per matching vn row, or one copy with NULL node and resource id (E6).
//! - Each copy joins the node label sets of `vn.node`, the namespace label sets (E2) and the
//!   cost-category matches (E3, sums × m); `node < namespace < PV < PVC` merged (later wins) is
//!   part of the group key, so copies with equal maps add up as in Trino's GROUP BY.
//!
//! SQL `=` never matches NULL, so lines with a NULL namespace, pod or pvc join no vn row, and a NULL
//! pv gets no node count; `''` is an ordinary value.

use super::category::CategoryMatcher;
use super::labels::LabelMerger;
use super::{DataSource, SummaryRow, GIB};
use crate::aggregate::exec::Aggregates;
use crate::aggregate::storage::{StorageAcc, StorageKey};
use crate::catalog::{NULL_ID, NULL_SET};
use crate::value::date::{days_in_month, Day};
use hashbrown::HashMap;
use ocp_summary_kernels::shared_intern::SharedInterner;

/// The group key of Koku's Storage SELECT (the source is constant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FinalKey {
    day: Day,
    namespace: u32,
    node: u32,
    resource_id: u32,
    pvc: u32,
    pv: u32,
    storageclass: u32,
    csi_volume_handle: u32,
    labels: u32,
}

#[derive(Default)]
struct FinalAcc {
    acc: StorageAcc,
    cost_category_id: Option<i32>,
}

/// (day, pvc, pod, namespace): the 7.3 join key of `vn`.
type VnKey = (Day, u32, u32, u32);

/// The §7.1/§7.2 lookups.
#[derive(Default)]
struct VolumeNodes {
    /// (node, resource_id) of every vn row, one per distinct pv (E8 multiplies).
    by_claim: HashMap<VnKey, Vec<(u32, u32)>>,
    /// Distinct non-NULL nodes per (day, pv).
    node_count: HashMap<(Day, u32), u32>,
}

impl VolumeNodes {
    fn build(agg: &Aggregates, lines: &[(&StorageKey, &StorageAcc)]) -> Self {
        // Distinct (day, pvc, pv, pod, namespace) of the storage lines that can join a pod row.
        let mut claims: Vec<(Day, u32, u32, u32, u32)> = lines
            .iter()
            .map(|(k, _)| (k.day, k.pvc, k.pv, k.pod, k.namespace))
            .filter(|&(_, _, _, pod, ns)| pod != NULL_ID && ns != NULL_ID)
            .collect();
        claims.sort_unstable();
        claims.dedup();
        let mut out = VolumeNodes::default();
        let mut nodes: Vec<(Day, u32, u32)> = Vec::new();
        for (day, pvc, pv, pod, ns) in claims {
            let places = agg.volume_nodes.get(day, ns, pod);
            if places.is_empty() {
                continue;
            }
            if pvc != NULL_ID {
                out.by_claim
                    .entry((day, pvc, pod, ns))
                    .or_default()
                    .extend_from_slice(places);
            }
            out.node_count.entry((day, pv)).or_insert(0);
            nodes.extend(
                places
                    .iter()
                    .filter(|(node, _)| *node != NULL_ID)
                    .map(|&(node, _)| (day, pv, node)),
            );
        }
        nodes.sort_unstable();
        nodes.dedup();
        for (day, pv, _) in nodes {
            *out.node_count.entry((day, pv)).or_insert(0) += 1;
        }
        out
    }

    fn count(&self, day: Day, pv: u32) -> Option<u32> {
        if pv == NULL_ID {
            return None;
        }
        self.node_count.get(&(day, pv)).copied()
    }
}

/// Builds every Storage row of the run (none when no storage file was read).
pub fn build(
    agg: &Aggregates,
    categories: &mut CategoryMatcher,
    strings: &SharedInterner,
    merger: &mut LabelMerger<'_>,
) -> Vec<SummaryRow> {
    // Sorted, so floating-point sums come out the same on every run.
    let mut lines: Vec<(&StorageKey, &StorageAcc)> = agg.storage.groups.iter().collect();
    lines.sort_unstable_by_key(|(k, _)| **k);
    let vn = VolumeNodes::build(agg, &lines);
    const NO_LABELS: &[u32] = &[NULL_SET];
    const NO_NODE: &[(u32, u32)] = &[(NULL_ID, NULL_ID)];
    let mut groups: HashMap<FinalKey, FinalAcc> = HashMap::new();
    for (key, acc) in lines {
        let places = vn
            .by_claim
            .get(&(key.day, key.pvc, key.pod, key.namespace))
            .map_or(NO_NODE, Vec::as_slice);
        let ns_sets = agg
            .namespace_labels
            .get(key.day, key.namespace)
            .unwrap_or(NO_LABELS);
        let cat = categories.get(key.namespace, strings);
        let scaled = scale(acc, cat.multiplicity);
        for &(node, resource_id) in places {
            let node_sets = match node {
                NULL_ID => NO_LABELS,
                n => agg.node_labels.get(key.day, n).unwrap_or(NO_LABELS),
            };
            for &node_set in node_sets {
                for &ns_set in ns_sets {
                    let fk = FinalKey {
                        day: key.day,
                        namespace: key.namespace,
                        node,
                        resource_id,
                        pvc: key.pvc,
                        pv: key.pv,
                        storageclass: key.storageclass,
                        csi_volume_handle: key.csi_volume_handle,
                        labels: {
                            let volume = merger.concat2(key.pv_labels, key.pvc_labels);
                            merger.concat3(node_set, ns_set, volume)
                        },
                    };
                    let f = groups.entry(fk).or_default();
                    f.acc.merge(&scaled);
                    if let Some(id) = cat.id {
                        f.cost_category_id = Some(f.cost_category_id.map_or(id, |c| c.max(id)));
                    }
                }
            }
        }
    }
    groups
        .into_iter()
        .map(|(k, f)| to_row(k, &f, vn.count(k.day, k.pv)))
        .collect()
}

/// The line's sums as if it had joined `m` times (E3); the max is unaffected.
fn scale(acc: &StorageAcc, m: u32) -> StorageAcc {
    let mut out = *acc;
    if m > 1 {
        for s in out.sums.iter_mut().flatten() {
            *s *= m as f64;
        }
    }
    out
}

fn to_row(k: FinalKey, f: &FinalAcc, node_count: Option<u32>) -> SummaryRow {
    let mut row = SummaryRow::empty(DataSource::Storage, k.day);
    row.namespace = k.namespace;
    row.node = k.node;
    row.resource_id = k.resource_id;
    row.persistentvolumeclaim = k.pvc;
    row.persistentvolume = k.pv;
    row.storageclass = k.storageclass;
    row.volume_labels = k.labels;
    let (y, m, _) = k.day.ymd();
    let month_seconds = (86_400 * days_in_month(y, m)) as f64;
    let months = |bs: f64| bs / month_seconds * GIB;
    let [capacity, request, usage] = f.acc.sums;
    // `sum / max(node_count)`: NULL without a count (E6); 0 gives ±Inf/NaN as in Trino (E9).
    let shared = |s: Option<f64>| Some(s? / f64::from(node_count?));
    row.storage = [
        f.acc.cap_bytes.map(|b| b * GIB).into(),
        capacity.map(months).into(),
        shared(request).map(months).into(),
        shared(usage).map(months).into(),
    ];
    row.has_infrastructure_usage_cost = true;
    row.cost_category_id = f.cost_category_id;
    row
}

#[cfg(test)]
mod tests;
