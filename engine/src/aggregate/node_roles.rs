//! Node roles derived from the input, as Koku's `populate_node_table` does (spec §2.5).
//!
//! Koku fills `reporting_ocp_nodes` from `get_nodes_query_sql`: per (node, resource_id) of the
//! daily pod rows in range, the operator's `max(node_role)`, else `master` if one of that group's
//! rows is in namespace `openshift-kube-apiserver`, else `infra` if any node-label text of the node
//! in range contains `"node_role_kubernetes_io": "infra"` (a LIKE on the raw JSON string), else
//! `worker`. The node-label side sits in the WHERE clause, so a node without node-label rows in
//! range gets no role at all. Only used with `--derive-node-roles`; both tables are read again,
//! the label text as plain interned strings (unfiltered, unlike the label-set role). The same
//! rules ([`infra_by_node`], [`role_name`]) give `cluster-info`'s roles ([`super::cluster`]).

use super::pod::max_string;
use crate::catalog::{Catalog, NULL_ID};
use crate::decode::rowgroup::RowGroupData;
use crate::plan::columns::{ColumnKind, ColumnRequest};
use hashbrown::{HashMap, HashSet};
use ocp_summary_kernels::intern::Interner;
use ocp_summary_kernels::like::LikePattern;
use std::ops::Range;

pub const POD_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("node", ColumnKind::String),
    ColumnRequest::required("resource_id", ColumnKind::String),
    ColumnRequest::required("namespace", ColumnKind::String),
    // Older operators do not report it (spec §2.3): NULL.
    ColumnRequest::optional("node_role", ColumnKind::String),
];

pub const LABEL_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("node", ColumnKind::String),
    ColumnRequest::required("node_labels", ColumnKind::String),
];

pub const API_SERVER: &[u8] = b"openshift-kube-apiserver";
/// Koku's LIKE pattern (its `_` are wildcards too).
const INFRA: &str = r#"%"node_role_kubernetes_io": "infra"%"#;

/// What the pod rows of one (node, resource_id) say about its role.
#[derive(Debug, Clone, Copy)]
pub struct RoleEvidence {
    /// `max(node_role)`, or `NULL_ID`.
    pub operator_role: u32,
    /// A row in namespace `openshift-kube-apiserver`.
    pub api_server: bool,
}

impl RoleEvidence {
    pub fn merge(&mut self, other: RoleEvidence, cmp: &impl Fn(u32, u32) -> std::cmp::Ordering) {
        max_string(&mut self.operator_role, other.operator_role, cmp);
        self.api_server |= other.api_server;
    }
}

pub type RolePartial = Vec<((u32, u32), RoleEvidence)>;
/// Distinct (node, label text id).
pub type LabelTextPartial = Vec<(u32, u32)>;

#[derive(Default)]
pub struct NodeRoleWorker {
    pods: HashMap<(u32, u32), RoleEvidence>,
    labels: HashSet<(u32, u32)>,
}

impl NodeRoleWorker {
    pub fn run_pods(
        &mut self,
        data: &RowGroupData,
        ms: &Range<i64>,
        catalog: &Catalog,
    ) -> RolePartial {
        let [ts, node, rid, namespace, role] = &data.columns[..] else {
            unreachable!("node roles read five pod columns")
        };
        let api = catalog.lookup(API_SERVER).unwrap_or(NULL_ID);
        let cmp = |a: u32, b: u32| catalog.compare(a, b);
        self.pods.clear();
        for i in 0..data.num_rows {
            if !ts.valid[i] || !ms.contains(&ts.i64s[i]) {
                continue;
            }
            let row = RoleEvidence {
                operator_role: role.ids[i],
                api_server: api != NULL_ID && namespace.ids[i] == api,
            };
            self.pods
                .entry((node.ids[i], rid.ids[i]))
                .or_insert(RoleEvidence {
                    operator_role: NULL_ID,
                    api_server: false,
                })
                .merge(row, &cmp);
        }
        self.pods.drain().collect()
    }

    pub fn run_labels(&mut self, data: &RowGroupData, ms: &Range<i64>) -> LabelTextPartial {
        let [ts, node, text] = &data.columns[..] else {
            unreachable!("node label text reads three columns")
        };
        self.labels.clear();
        for i in 0..data.num_rows {
            if ts.valid[i] && ms.contains(&ts.i64s[i]) {
                self.labels.insert((node.ids[i], text.ids[i]));
            }
        }
        self.labels.drain().collect()
    }
}

/// Run-wide evidence for the derivation.
#[derive(Default)]
pub struct NodeRoleTable {
    pods: HashMap<(u32, u32), RoleEvidence>,
    label_texts: HashSet<(u32, u32)>,
}

impl NodeRoleTable {
    pub fn merge_pods(&mut self, partial: RolePartial, catalog: &Catalog) {
        let cmp = |a: u32, b: u32| catalog.compare(a, b);
        for (key, ev) in partial {
            self.pods
                .entry(key)
                .and_modify(|e| e.merge(ev, &cmp))
                .or_insert(ev);
        }
    }

    pub fn merge_labels(&mut self, partial: LabelTextPartial) {
        self.label_texts.extend(partial);
    }

    /// (node, resource_id, role) per group, sorted; nodes without label rows get none.
    pub fn derive(&self, strings: &Interner) -> Vec<(u32, u32, String)> {
        let infra = infra_by_node(&self.label_texts, strings);
        let mut out: Vec<(u32, u32, String)> = self
            .pods
            .iter()
            .filter_map(|(&(node, rid), ev)| {
                let node_infra = *infra.get(&node)?;
                Some((node, rid, role_name(ev, node_infra, strings)))
            })
            .collect();
        out.sort_unstable();
        out
    }
}

/// Node → whether any of its label texts says infra (Koku's `any_match(... like ...)`), for every
/// node with label rows. `=` never matches a NULL node, so NULL nodes are left out.
pub fn infra_by_node<'a>(
    label_texts: impl IntoIterator<Item = &'a (u32, u32)>,
    strings: &Interner,
) -> HashMap<u32, bool> {
    let like = LikePattern::new(INFRA);
    let mut infra: HashMap<u32, bool> = HashMap::new();
    for &(node, text) in label_texts {
        if node == NULL_ID {
            continue;
        }
        let says = text != NULL_ID && like.matches(strings.get(text));
        *infra.entry(node).or_default() |= says;
    }
    infra
}

/// `coalesce(max(node_role), CASE apiserver namespace → master, infra label → infra, else worker)`.
pub fn role_name(ev: &RoleEvidence, node_infra: bool, strings: &Interner) -> String {
    match ev.operator_role {
        NULL_ID if ev.api_server => "master".to_string(),
        NULL_ID if node_infra => "infra".to_string(),
        NULL_ID => "worker".to_string(),
        id => String::from_utf8_lossy(strings.get(id)).into_owned(),
    }
}
