//! Node roles derived from the input, as Koku's `populate_node_table` does (spec §2.5).
//!
//! Koku fills `reporting_ocp_nodes` from `get_nodes_query_sql`: per (node, resource_id) of the
//! daily pod rows in range, the operator's `max(node_role)`, else `master` if one of that group's
//! rows is in namespace `openshift-kube-apiserver`, else `infra` if any node-label text of the node
//! in range contains `"node_role_kubernetes_io": "infra"` (a LIKE on the raw JSON string), else
//! `worker`. The node-label side sits in the WHERE clause, so a node without node-label rows in
//! range gets no role at all. The label text is read as plain interned strings (unfiltered, unlike
//! the label-set role). [`super::cluster::ClusterTable`] gathers the evidence; these rules turn it
//! into roles, for `cluster-info`, the cluster tables and the unallocated rows alike.

use super::pod::max_string;
use crate::catalog::NULL_ID;
use crate::plan::columns::{ColumnKind, ColumnRequest};
use hashbrown::HashMap;
use ocp_summary_kernels::like::LikePattern;
use ocp_summary_kernels::shared_intern::SharedInterner;

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

/// Node → whether any of its label texts says infra (Koku's `any_match(... like ...)`), for every
/// node with label rows. `=` never matches a NULL node, so NULL nodes are left out.
pub fn infra_by_node<'a>(
    label_texts: impl IntoIterator<Item = &'a (u32, u32)>,
    strings: &SharedInterner,
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
pub fn role_name(ev: &RoleEvidence, node_infra: bool, strings: &SharedInterner) -> String {
    match ev.operator_role {
        NULL_ID if ev.api_server => "master".to_string(),
        NULL_ID if node_infra => "infra".to_string(),
        NULL_ID => "worker".to_string(),
        id => String::from_utf8_lossy(strings.get(id)).into_owned(),
    }
}
