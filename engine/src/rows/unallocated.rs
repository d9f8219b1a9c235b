//! Unallocated capacity rows (spec §8): per node and day, capacity minus what its pods used.
//!
//! Koku reads back the Pod rows it has just written, so this works on the finished Pod rows, label
//! copies (E2) and cost-category factors (E3) included. Rows with a NULL namespace fail Koku's
//! `namespace != '…'` filters and are left out, as are the four special namespaces. The node role
//! comes from `reporting_ocp_nodes`, joined on (node, resource_id) of each Pod row; the group takes
//! the string max of the roles (E10). The result may be negative (E11). Cost categories are a plain
//! LEFT JOIN on the computed namespace: one row per matching pattern.

use super::{DataSource, SummaryRow};
use crate::aggregate::pod::max_string;
use crate::aggregate::{add_opt, max_opt};
use crate::catalog::NULL_ID;
use crate::plan::lookups::{CostCategory, NodeRole, RoleResource};
use crate::value::date::Day;
use hashbrown::{HashMap, HashSet};
use ocp_summary_kernels::shared_intern::SharedInterner;

const SPECIAL: [&str; 4] = [
    "Platform unallocated",
    "Worker unallocated",
    "Network unattributed",
    "Storage unattributed",
];

/// `reporting_ocp_nodes` grouped by (node, resource_id): `max(node_role)` as an index into
/// `names`; entries without a resource id apply to every resource id of the node.
pub struct RoleLookup {
    names: Vec<String>,
    exact: HashMap<(u32, u32), usize>,
    any: HashMap<u32, usize>,
}

impl RoleLookup {
    /// Resolves node and resource id strings to ids; names no Pod row uses are dropped.
    /// `derived` (node id, resource id, role) rows count only for pairs no flag names.
    pub fn new(
        roles: &[NodeRole],
        derived: &[(u32, u32, String)],
        strings: &SharedInterner,
    ) -> Self {
        let mut names: Vec<String> = roles.iter().filter_map(|r| r.role.clone()).collect();
        names.extend(derived.iter().map(|(_, _, role)| role.clone()));
        names.sort();
        names.dedup();
        let mut out = RoleLookup {
            names,
            exact: HashMap::new(),
            any: HashMap::new(),
        };
        for r in roles {
            let (Some(role), Some(node)) = (&r.role, strings.lookup(r.node.as_bytes())) else {
                continue;
            };
            let rid = match &r.resource_id {
                RoleResource::Null => continue,
                RoleResource::Any => None,
                RoleResource::Id(rid) => match strings.lookup(rid.as_bytes()) {
                    Some(rid) => Some(rid),
                    None => continue,
                },
            };
            out.insert(node, rid, role);
        }
        let flagged: HashSet<(u32, u32)> = out.exact.keys().copied().collect();
        for (node, rid, role) in derived {
            let named = flagged.contains(&(*node, *rid)) || out.any.contains_key(node);
            if !named && *rid != NULL_ID {
                out.insert(*node, Some(*rid), role);
            }
        }
        out
    }

    fn insert(&mut self, node: u32, rid: Option<u32>, role: &str) {
        let idx = self
            .names
            .binary_search_by(|n| n.as_str().cmp(role))
            .expect("role listed");
        let slot = match rid {
            None => self.any.entry(node).or_insert(idx),
            Some(rid) => self.exact.entry((node, rid)).or_insert(idx),
        };
        *slot = (*slot).max(idx);
    }

    /// The role index of a Pod row; a NULL resource id never matches.
    fn get(&self, node: u32, resource_id: u32) -> Option<usize> {
        if resource_id == NULL_ID {
            return None;
        }
        let exact = self.exact.get(&(node, resource_id)).copied();
        let any = self.any.get(&node).copied();
        exact.max(any)
    }
}

struct NodeDay {
    resource_id: u32,
    role: Option<usize>,
    /// Σ of the six pod columns Koku subtracts (usage, request, effective; cpu then memory).
    sums: [Option<f64>; 6],
    /// max of node cores, node core-hours, node GiB, node GiB-hours, cluster core-hours, GiB-hours.
    maxes: [Option<f64>; 6],
}

impl Default for NodeDay {
    fn default() -> Self {
        NodeDay {
            resource_id: NULL_ID,
            role: None,
            sums: [None; 6],
            maxes: [None; 6],
        }
    }
}

/// Pod-row columns subtracted from capacity, in `NodeDay::sums` order.
const SUBTRACTED: [usize; 6] = [0, 1, 2, 4, 5, 6];

/// Interns the four special namespaces, before the string table is frozen for rendering.
pub fn intern_namespaces(strings: &SharedInterner) -> [u32; 4] {
    SPECIAL.map(|s| strings.intern(s.as_bytes()))
}

/// Builds the unallocated rows from the Pod rows (in a fixed order, for repeatable sums).
/// `special` holds the ids from [`intern_namespaces`].
pub fn build(
    pod_rows: &[SummaryRow],
    roles: &RoleLookup,
    categories: &[CostCategory],
    strings: &SharedInterner,
    special: [u32; 4],
) -> Vec<SummaryRow> {
    let cmp = |a: u32, b: u32| strings.get(a).cmp(strings.get(b));
    let mut groups: HashMap<(Day, u32), NodeDay> = HashMap::new();
    let mut order: Vec<(Day, u32)> = Vec::new();
    for r in pod_rows {
        let skip = r.data_source != DataSource::Pod
            || r.node == NULL_ID
            || r.namespace == NULL_ID
            || special.contains(&r.namespace);
        if skip {
            continue;
        }
        let g = groups.entry((r.day, r.node)).or_insert_with(|| {
            order.push((r.day, r.node));
            NodeDay::default()
        });
        max_string(&mut g.resource_id, r.resource_id, &cmp);
        g.role = g.role.max(roles.get(r.node, r.resource_id));
        for (acc, &i) in g.sums.iter_mut().zip(&SUBTRACTED) {
            add_opt(acc, r.pod[i].get());
        }
        for (acc, v) in g.maxes.iter_mut().zip(r.capacities()) {
            max_opt(acc, v.get());
        }
    }
    let [platform, worker, ..] = special;
    let mut rows = Vec::with_capacity(order.len());
    for key in order {
        let g = &groups[&key];
        let namespace = match g.role.map(|i| roles.names[i].as_str()) {
            Some("master" | "infra") => platform,
            Some("worker") => worker,
            _ => NULL_ID,
        };
        let row = to_row(key, g, namespace);
        let ids = match namespace {
            NULL_ID => Vec::new(),
            ns => super::category::match_text(categories, SPECIAL[(ns == worker) as usize]),
        };
        if ids.is_empty() {
            rows.push(row);
            continue;
        }
        for id in ids {
            let mut r = row;
            r.cost_category_id = Some(id);
            rows.push(r);
        }
    }
    rows
}

fn to_row((day, node): (Day, u32), g: &NodeDay, namespace: u32) -> SummaryRow {
    let mut row = SummaryRow::empty(DataSource::Pod, day);
    row.namespace = namespace;
    row.node = node;
    row.resource_id = g.resource_id;
    let [cores, cpu_hours, gib, gib_hours, cluster_cpu, cluster_mem] = g.maxes;
    let minus = |cap: Option<f64>, sum: Option<f64>| Some(cap? - sum?);
    for (k, &i) in SUBTRACTED.iter().enumerate() {
        let cap = if i < 4 { cpu_hours } else { gib_hours };
        row.pod[i] = minus(cap, g.sums[k]).into();
    }
    row.node_capacity_cpu_cores = cores.into();
    row.node_capacity_cpu_core_hours = cpu_hours.into();
    row.node_capacity_memory_gigabytes = gib.into();
    row.node_capacity_memory_gigabyte_hours = gib_hours.into();
    row.cluster_capacity_cpu_core_hours = cluster_cpu.into();
    row.cluster_capacity_memory_gigabyte_hours = cluster_mem.into();
    row
}

#[cfg(test)]
mod tests;
