//! The namespaces (names unique across nodes, with Koku's cost-category names and near misses
//! spread among them) and their label rows (namespace_labels).

use super::nodes::Nodes;
use super::{ba, LabelEntities, Params, NEVER};
use crate::rng::SplitMix;
use ocp_summary_ingest::masu_json::py_json_labels;

const SPECIAL_NAMESPACES: [&str; 9] = [
    "openshift-kube-apiserver",
    "openshift-monitoring",
    "kube-system",
    "openshift",
    "openshift_x",
    "Openshift-caps",
    "kubex",
    "openshift-storage",
    "kube-public",
];

/// The namespaces, `namespaces_per_node` per node.
pub(super) struct Namespaces {
    pub(super) namespace_names: Vec<String>,
    /// The node (index) of each namespace.
    pub(super) ns_node: Vec<u32>,
    /// The namespace whose labels change at the E2 hour.
    pub(super) change_ns: usize,
    pub(super) ns_labels: LabelEntities,
    pub(super) ns_label_keys: Vec<String>,
}

/// Names the namespaces and draws their label sets.
pub(super) fn build(p: &Params, rng: &mut SplitMix, nodes: &Nodes) -> Namespaces {
    let edge = p.edge_cases;
    let n = p.nodes.max(1);
    let (change_node, change_hour) = (nodes.change_node, nodes.change_hour);

    // ---- namespaces (names unique across nodes)
    let nspn = p.namespaces_per_node.max(1);
    let total_ns = (n * nspn) as usize;
    let mut namespace_names: Vec<String> =
        (0..total_ns).map(|j| format!("project-{j:03}")).collect();
    let spacing = (total_ns / SPECIAL_NAMESPACES.len()).max(1);
    for (k, s) in SPECIAL_NAMESPACES.iter().enumerate() {
        let pos = k * spacing;
        if pos < total_ns {
            namespace_names[pos] = (*s).to_string();
        }
    }
    let ns_node: Vec<u32> = (0..total_ns).map(|j| j as u32 / nspn).collect();
    let change_ns = change_node * nspn as usize;
    let mut ns_labels = LabelEntities::default();
    let mut ns_label_keys: Vec<String> = Vec::new();
    for (j, name) in namespace_names.iter().enumerate() {
        let mut l: Vec<(String, String)> = Vec::new();
        let empty = edge && j % 11 == 10;
        if !empty {
            l.push(("kubernetes_io_metadata_name".into(), name.clone()));
            l.push((
                "environment".into(),
                ["ns-prod", "ns-stage", "ns-dev"][rng.below(3) as usize].into(),
            ));
            l.push((
                "team".into(),
                format!(
                    "ns-team-{}",
                    rng.below(p.label_value_cardinality.max(1) as u64)
                ),
            ));
            l.push(("cost_center".into(), format!("ns-cc-{:04}", rng.below(50))));
            if name.starts_with("openshift") {
                l.push(("openshift_io_cluster_monitoring".into(), "true".into()));
            }
            if edge {
                l.push(("app".into(), format!("ns-app-{j}")));
            }
        }
        let mut alt = l.clone();
        let ch = if j == change_ns { change_hour } else { NEVER };
        if ch != NEVER {
            match alt.iter_mut().find(|(k, _)| k == "team") {
                Some(slot) => slot.1 = "ns-team-changed".into(),
                None => alt.push(("team".into(), "ns-team-changed".into())),
            }
            alt.push(("maintenance".into(), "scheduled".into()));
        }
        for (k, _) in l.iter().chain(alt.iter()) {
            if !ns_label_keys.contains(k) {
                ns_label_keys.push(k.clone());
            }
        }
        ns_labels.names.push(ba(name));
        ns_labels
            .labels
            .push([ba(&py_json_labels(&l)), ba(&py_json_labels(&alt))]);
        ns_labels.change_hour.push(ch);
    }
    Namespaces {
        namespace_names,
        ns_node,
        change_ns,
        ns_labels,
        ns_label_keys,
    }
}
