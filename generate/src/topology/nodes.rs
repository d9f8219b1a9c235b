//! The nodes and their label rows (node_labels), and the E2 label change and E11 overcommit
//! choices that later builders read.

use super::{ba, EdgeInfo, LabelEntities, Node, Params, GIB, NEVER};
use crate::rng::SplitMix;
use ocp_summary_ingest::masu_json::py_json_labels;

/// The nodes, with the edge-case choices the namespace, pod and volume builders need.
pub(super) struct Nodes {
    pub(super) nodes: Vec<Node>,
    /// The node whose labels change at `change_hour` (E2); its first namespace changes too.
    pub(super) change_node: usize,
    /// Hour index of the E2 label change, [`NEVER`] without edge cases.
    pub(super) change_hour: u32,
    /// The node whose pods request 3× (E11), with edge cases.
    pub(super) overcommit_node: Option<usize>,
    pub(super) node_labels: LabelEntities,
    pub(super) node_label_keys: Vec<String>,
}

/// Draws the nodes (`master-*`, `infra-*`, `node-*`) and their label sets.
pub(super) fn build(p: &Params, rng: &mut SplitMix, info: &mut EdgeInfo) -> Nodes {
    let edge = p.edge_cases;
    let n = p.nodes.max(1);
    let (masters, infras) = match n {
        0..=3 => (0, 0),
        4..=9 => (1, 1),
        _ => (3, 2),
    };
    let mut nodes = Vec::with_capacity(n as usize);
    for i in 0..n {
        let (role, name) = if i < masters {
            ("master", format!("master-{i:03}"))
        } else if i < masters + infras {
            ("infra", format!("infra-{:03}", i - masters))
        } else {
            ("worker", format!("node-{:03}", i - masters - infras))
        };
        let cores = [4.0, 8.0, 16.0, 32.0][rng.below(4) as usize];
        let mem = [16.0, 32.0, 48.0, 64.0, 96.0, 128.0][rng.below(6) as usize] * GIB;
        nodes.push(Node {
            name,
            resource_id: format!("i-{}", rng.hex(17)),
            role,
            cores,
            mem,
        });
    }
    let change_node = if n >= 4 {
        (masters + infras) as usize
    } else {
        0
    };
    let change_hour = if edge {
        p.days.saturating_sub(1).min(1) * 24 + 12
    } else {
        NEVER
    };
    let overcommit_node = if edge { Some(n as usize - 1) } else { None };
    if let Some(o) = overcommit_node {
        info.overcommitted_nodes.push(nodes[o].name.clone());
    }

    // node labels
    let mut node_labels = LabelEntities::default();
    let mut node_label_keys: Vec<String> = Vec::new();
    let zones = ["us-east-1a", "us-east-1b", "us-east-1c"];
    for (i, nd) in nodes.iter().enumerate() {
        let itype = match nd.cores as u32 {
            4 => "m5.xlarge",
            8 => "m5.2xlarge",
            16 => "m5.4xlarge",
            _ => "m5.8xlarge",
        };
        let mut l: Vec<(String, String)> = vec![
            ("beta_kubernetes_io_arch".into(), "amd64".into()),
            ("beta_kubernetes_io_os".into(), "linux".into()),
            ("kubernetes_io_hostname".into(), nd.name.clone()),
            ("node_kubernetes_io_instance_type".into(), itype.into()),
            ("topology_kubernetes_io_region".into(), "us-east-1".into()),
            ("topology_kubernetes_io_zone".into(), zones[i % 3].into()),
            ("node_role_kubernetes_io".into(), nd.role.into()),
        ];
        if edge {
            // same keys as namespace and pod labels, different values
            l.push(("environment".into(), format!("node-env-{}", i % 3)));
            l.push(("app".into(), format!("node-app-{i}")));
            if nd.role == "master" {
                l.push(("node-role.kubernetes.io/master".into(), String::new()));
            }
        }
        if p.vm_gpu {
            // The NVIDIA GPU operator's labels on the two GPU workers of `crate::vmgpu`, which
            // Koku's GPU cost model reads for the unallocated GPU capacity.
            l.extend(gpu_node_labels(i.checked_sub((masters + infras) as usize)));
        }
        if p.cluster_cases {
            // arch labels: present (mixed case) or absent; the E2 node's changes (max(text) picks)
            let arch = if i == change_node || i == 0 {
                Some("amd64")
            } else if i % 3 == 1 {
                Some("ARM64")
            } else {
                None
            };
            if let Some(a) = arch {
                l.push(("kubernetes_io_arch".into(), a.into()));
            }
        }
        let mut alt = l.clone();
        let ch = if i == change_node { change_hour } else { NEVER };
        if ch != NEVER && p.cluster_cases {
            if let Some(slot) = alt.iter_mut().find(|(k, _)| k == "kubernetes_io_arch") {
                slot.1 = "S390X".into();
            }
        }
        if ch != NEVER {
            match alt.iter_mut().find(|(k, _)| k == "environment") {
                Some(slot) => slot.1 = "node-env-changed".into(),
                None => alt.push(("environment".into(), "node-env-changed".into())),
            }
            alt.push(("maintenance".into(), "scheduled".into()));
        }
        for (k, _) in l.iter().chain(alt.iter()) {
            if !node_label_keys.contains(k) {
                node_label_keys.push(k.clone());
            }
        }
        node_labels.names.push(ba(&nd.name));
        node_labels
            .labels
            .push([ba(&py_json_labels(&l)), ba(&py_json_labels(&alt))]);
        node_labels.change_hour.push(ch);
    }
    Nodes {
        nodes,
        change_node,
        change_hour,
        overcommit_node,
        node_labels,
        node_label_keys,
    }
}

/// The NVIDIA labels of worker `worker` (0-based), if it is one of `--vm-gpu`'s GPU nodes: three
/// dedicated `Tesla T4` GPUs on the first (no MIG strategy label; its pods use two, so a third of
/// its capacity is unallocated), one MIG `A100` with strategy `mixed` on the second.
fn gpu_node_labels(worker: Option<usize>) -> Vec<(String, String)> {
    let (count, product, strategy) = match worker {
        Some(0) => ("3", "Tesla-T4", None),
        Some(1) => ("1", "NVIDIA-A100-SXM4-40GB", Some("mixed")),
        _ => return Vec::new(),
    };
    let mut l = vec![
        ("nvidia_com_gpu_present".to_string(), "True".to_string()),
        ("nvidia_com_gpu_count".to_string(), count.to_string()),
        ("nvidia_com_gpu_product".to_string(), product.to_string()),
    ];
    if let Some(s) = strategy {
        l.push(("nvidia_com_mig_strategy".to_string(), s.to_string()));
    }
    l
}
