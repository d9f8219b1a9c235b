//! The rows of Koku's VM temp table (`tmp_virt_<uuid>`: vm_name, node, pvc_name, cpu_request,
//! mem_request), which Koku's PostgreSQL VM UI step reads.
//!
//! Without a VM report (`populate_vm_tmp_table.sql`) the requests come from the daily summary
//! rows themselves: of the days in range that have a row with a CPU request, the second-to-last
//! one; of its rows with a CPU request and a `vm_kubevirt_io_name` pod label, one per VM. Koku's
//! `ROW_NUMBER() ... ORDER BY usage_start DESC` ties on that single day and keeps an arbitrary
//! row; we keep the smallest (node, CPU request, memory request), the oracle's documented
//! tie-break. [`VmLatest`] watches the summary rows as the batches go out. Each VM is then
//! LEFT JOINed to its PVCs ([`crate::aggregate::vm::VmTable::pvcs_by_vm`]).
//!
//! With a VM report (`populate_vm_tmp_table_with_vm_report.sql`) the requests are the latest
//! hour's, times 24 (memory in GiB), INNER JOINed to the VM's PVCs: a VM without one gets no row.

use crate::aggregate::vm::VmTable;
use crate::catalog::{id_text, LabelTable, NULL_SET};
use crate::rows::SummaryRow;
use crate::value::date::Day;
use crate::value::numeric::as_stored;
use ocp_summary_kernels::labels::{EnabledKeys, SetId};
use ocp_summary_kernels::shared_intern::SharedInterner;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// One row of the temp table.
#[derive(Debug, Clone, PartialEq)]
pub struct VmRow {
    pub vm_name: String,
    pub node: Option<String>,
    pub pvc_name: Option<String>,
    pub cpu_request: Option<f64>,
    pub mem_request: Option<f64>,
}

/// A summary row of a VM: (VM, node, CPU request, memory request).
pub type Candidate = (String, Option<String>, f64, Option<f64>);

/// A summary row with labels, not yet resolved: (day, label set, node id, CPU, memory). Ids and
/// raw requests: nearly every pod row has a CPU request and few are a VM's, so the node's text
/// and the numeric(33,15) rounding are left for those few.
type Pending = (Day, u32, u32, f64, Option<f64>);

/// The summary rows the pod/storage variant needs, gathered batch by batch: the days with a CPU
/// request, and the VM rows of the last two of them.
#[derive(Debug, Default)]
pub struct VmLatest {
    days: BTreeSet<Day>,
    candidates: BTreeMap<Day, Vec<Candidate>>,
    /// The batch's rows between [`Self::take`] and [`Self::resolve`]; kept for the next batch.
    pending: Vec<Pending>,
}

impl VmLatest {
    /// Takes note of one batch of summary rows, while their ids are still the catalog's (before
    /// the batch's text is captured): the days with a CPU request, and the rows that may be a
    /// VM's, to be resolved by [`Self::resolve`].
    pub fn take(&mut self, rows: &[SummaryRow]) {
        self.pending.clear();
        let mut last_day = None;
        for r in rows {
            let Some(cpu) = r.pod[1].get() else { continue };
            if last_day != Some(r.day) {
                self.days.insert(r.day);
                last_day = Some(r.day);
            }
            if r.pod_labels != NULL_SET {
                let mem = r.pod[5].get();
                self.pending.push((r.day, r.pod_labels, r.node, cpu, mem));
            }
        }
    }

    /// Keeps the rows [`Self::take`] noted that carry a `vm_kubevirt_io_name` label.
    pub fn resolve(
        &mut self,
        labels: &LabelTable,
        enabled: &EnabledKeys,
        strings: &SharedInterner,
    ) {
        let pending = std::mem::take(&mut self.pending);
        if let Some(key) = enabled.lookup(b"vm_kubevirt_io_name") {
            for &(day, set, node, cpu, mem) in &pending {
                let set = labels.sets.get(SetId(set));
                let Ok(i) = set.binary_search_by(|l| l.0.cmp(&key)) else {
                    continue;
                };
                let vm = String::from_utf8_lossy(labels.values.get(set[i].1 .0)).into_owned();
                let node = id_text(strings, node);
                // Koku reads the requests back from numeric(33,15) columns.
                let (cpu, mem) = (as_stored(cpu), mem.map(as_stored));
                self.candidates
                    .entry(day)
                    .or_default()
                    .push((vm, node, cpu, mem));
            }
        }
        self.pending = pending;
        // Only the last two days can hold the second-to-last.
        while self.candidates.len() > 2 {
            self.candidates.pop_first();
        }
    }

    /// One row per VM of the second-to-last day.
    pub fn latest(&self) -> Vec<Candidate> {
        let Some(&day) = self.days.iter().rev().nth(1) else {
            return Vec::new();
        };
        one_per_vm(self.candidates.get(&day).into_iter().flatten().cloned())
    }
}

/// One row per VM: the smallest (node, CPU, memory), NULL last (the oracle's tie-break for
/// Koku's arbitrary `ROW_NUMBER()` pick).
pub fn one_per_vm(candidates: impl IntoIterator<Item = Candidate>) -> Vec<Candidate> {
    let mut best: BTreeMap<String, Candidate> = BTreeMap::new();
    for c in candidates {
        match best.get(&c.0) {
            Some(b) if tie_break(b, &c) != Ordering::Greater => {}
            _ => {
                best.insert(c.0.clone(), c);
            }
        }
    }
    best.into_values().collect()
}

/// `node ASC NULLS LAST, cpu ASC, memory ASC NULLS LAST`.
fn tie_break(a: &Candidate, b: &Candidate) -> Ordering {
    let nulls_last = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    let mem = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    nulls_last(&a.1, &b.1)
        .then(a.2.total_cmp(&b.2))
        .then(mem(a.3, b.3))
}

/// The pod/storage variant: each VM of [`VmLatest::latest`] with each of its PVCs, or one row
/// with a NULL PVC.
pub fn from_summary(latest: &VmLatest, table: &VmTable, strings: &SharedInterner) -> Vec<VmRow> {
    join_pvcs(latest.latest(), table, strings)
}

/// Each VM row with each of its PVCs, or one row with a NULL PVC (the LEFT JOIN).
pub fn join_pvcs(latest: Vec<Candidate>, table: &VmTable, strings: &SharedInterner) -> Vec<VmRow> {
    let pvcs = table.pvcs_by_vm(strings);
    let mut out = Vec::new();
    for (vm, node, cpu, mem) in latest {
        let names: Vec<Option<String>> = match pvcs.get(&vm) {
            Some(set) if !set.is_empty() => set.iter().cloned().map(Some).collect(),
            _ => vec![None],
        };
        for pvc_name in names {
            out.push(VmRow {
                vm_name: vm.clone(),
                node: node.clone(),
                pvc_name,
                cpu_request: Some(cpu),
                mem_request: mem,
            });
        }
    }
    sorted(out)
}

/// The VM-report variant.
pub fn from_report(table: &VmTable, strings: &SharedInterner) -> Vec<VmRow> {
    let report = &table.report;
    let mut pvcs: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for &(vm, pvc) in &report.pvcs {
        pvcs.entry(vm)
            .or_default()
            .push(String::from_utf8_lossy(strings.get(pvc)).into_owned());
    }
    let mut out = Vec::new();
    for (&(vm, node), &(cpu, mem)) in &report.requests {
        let Some(names) = pvcs.get(&vm) else { continue };
        for pvc in names {
            out.push(VmRow {
                vm_name: String::from_utf8_lossy(strings.get(vm)).into_owned(),
                node: id_text(strings, node),
                pvc_name: Some(pvc.clone()),
                cpu_request: cpu.map(|c| c * 24.0),
                mem_request: mem.map(|m| m * (1.0 / 1_073_741_824.0) * 24.0),
            });
        }
    }
    sorted(out)
}

fn sorted(mut rows: Vec<VmRow>) -> Vec<VmRow> {
    rows.sort_by(|a, b| {
        (&a.vm_name, &a.node, &a.pvc_name).cmp(&(&b.vm_name, &b.node, &b.pvc_name))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_keep_the_smallest_node_then_requests_nulls_last() {
        let c = |node: Option<&str>, cpu: f64, mem: Option<f64>| -> Candidate {
            ("vm".into(), node.map(String::from), cpu, mem)
        };
        assert_eq!(
            tie_break(&c(Some("a"), 9.0, None), &c(Some("b"), 1.0, Some(1.0))),
            Ordering::Less
        );
        assert_eq!(
            tie_break(&c(None, 1.0, None), &c(Some("z"), 9.0, None)),
            Ordering::Greater
        );
        assert_eq!(
            tie_break(&c(Some("a"), 1.0, Some(2.0)), &c(Some("a"), 1.0, None)),
            Ordering::Less
        );
    }
}
