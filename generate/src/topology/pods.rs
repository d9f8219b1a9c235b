//! The pods: the pod label key pool, one draft per pod (regular, edge-case, shared-volume
//! replicas, unscheduled), then requests, limits and lifetimes from their nodes.

use super::namespaces::Namespaces;
use super::nodes::Nodes;
use super::{ba, EdgeInfo, Params, Pod, GIB, MIB, NAMED_POD_KEYS};
use crate::rng::{h3, SplitMix};
use ocp_summary_ingest::masu_json::py_json_labels;

pub(super) fn pod_label_value(key: &str, i: u64) -> String {
    match key {
        "app" => format!("app-{i}"),
        "environment" => match i {
            0 => "prod".into(),
            1 => "stage".into(),
            2 => "dev".into(),
            3 => "qa".into(),
            _ => format!("env-{i}"),
        },
        "team" => format!("team-{i}"),
        "tier" => match i {
            0 => "gold".into(),
            1 => "silver".into(),
            2 => "bronze".into(),
            _ => format!("tier-{i}"),
        },
        "version" => format!("v1.{i}"),
        "cost_center" => format!("cc-{i:04}"),
        _ => format!("val-{i}"),
    }
}

fn round_to(x: f64, step: f64) -> f64 {
    (x / step).round() * step
}

/// Intermediate pod description before resources are assigned.
pub(super) struct PodDraft {
    pub(super) name: String,
    pub(super) ns: u32,
    pub(super) node: Option<u32>,
    labels: Option<Vec<(String, String)>>,
    short_lived: bool,
}

/// The pods, with the drafts the volume builder mounts claims on.
pub(super) struct Pods {
    pub(super) pods: Vec<Pod>,
    /// In the order of `pods`.
    pub(super) drafts: Vec<PodDraft>,
    /// Draft indices of the pods mounting each shared (RWX) volume.
    pub(super) shared_pods: Vec<Vec<usize>>,
    pub(super) pod_key_pool: Vec<String>,
}

/// Draws the pods of every namespace and the edge-case pods, then their resources.
pub(super) fn build(
    p: &Params,
    rng: &mut SplitMix,
    nodes: &Nodes,
    namespaces: &Namespaces,
    info: &mut EdgeInfo,
) -> Pods {
    let hours = p.days * 24;
    let edge = p.edge_cases;
    let n = p.nodes.max(1);
    let overcommit_node = nodes.overcommit_node;
    let nodes = &nodes.nodes;
    let namespace_names = &namespaces.namespace_names;
    let ns_node = &namespaces.ns_node;
    let total_ns = namespace_names.len();

    // ---- pod label key pool
    let pool_size = p.label_key_cardinality.max(1) as usize;
    let mut pod_key_pool: Vec<String> = NAMED_POD_KEYS
        .iter()
        .take(pool_size)
        .map(|s| s.to_string())
        .collect();
    let mut k = 0;
    while pod_key_pool.len() < pool_size {
        pod_key_pool.push(format!("k{k:03}"));
        k += 1;
    }
    let vcard = p.label_value_cardinality.max(1) as u64;
    let lpp = (p.labels_per_pod as usize).min(pool_size);

    // ---- pods
    let ppn = p.pods_per_namespace;
    let mut drafts: Vec<PodDraft> = Vec::new();
    let mut idx: Vec<usize> = (0..pool_size).collect();
    let mut draw_labels = |rng: &mut SplitMix| -> Vec<(String, String)> {
        for i in 0..lpp {
            let j = i + rng.below((pool_size - i) as u64) as usize;
            idx.swap(i, j);
        }
        idx[..lpp]
            .iter()
            .map(|&ki| {
                let key = &pod_key_pool[ki];
                (key.clone(), pod_label_value(key, rng.below(vcard)))
            })
            .collect()
    };
    for (j, ns) in namespace_names.iter().enumerate() {
        for q in 0..ppn {
            let name = format!("{ns}-{q:03}-{}", rng.hex(5));
            let labels = draw_labels(rng);
            let short_lived = rng.chance(p.short_lived_pct / 100.0);
            drafts.push(PodDraft {
                name,
                ns: j as u32,
                node: Some(ns_node[j]),
                labels: Some(labels),
                short_lived,
            });
        }
    }
    let regular = drafts.len();
    let mut vm_drafts = Vec::new();
    for (i, d) in drafts.iter_mut().enumerate() {
        if i % 40 == 7 {
            let vm = if p.vm_gpu {
                // `--vm-gpu`: KubeVirt's launcher pod name; the suffix is a hash, not a draw, so
                // the random stream is the same as without the flag.
                let k = vm_drafts.len();
                let vm = format!("{}-vm{k}", namespace_names[d.ns as usize]);
                let suffix = h3(p.seed, i as u64, k as u64, 0x766d) & 0xf_ffff;
                d.name = format!("virt-launcher-{vm}-{suffix:05x}");
                info.vm_names.push(vm.clone());
                vm
            } else {
                format!("{}-vm", d.name)
            };
            d.labels
                .as_mut()
                .unwrap()
                .push(("vm_kubevirt_io_name".into(), vm));
            info.vm_pods.push(d.name.clone());
            vm_drafts.push(i);
        }
    }
    if edge && regular >= 4 {
        for i in (0..regular).filter(|i| i % 23 == 5 && *i < regular - 3) {
            let d = &mut drafts[i];
            let l = d.labels.as_mut().unwrap();
            l.push(("app.kubernetes.io/part-of".into(), "checkout".into()));
            l.push(("node-role.kubernetes.io/infra".into(), String::new()));
            info.special_key_pods.push(d.name.clone());
        }
        let na = regular / 2;
        let l = drafts[na].labels.as_mut().unwrap();
        l.push(("team".into(), "équipe-données".into()));
        l.push(("region_name".into(), "東京🚀".into()));
        info.non_ascii_pods.push(drafts[na].name.clone());
        for i in [regular - 3, regular - 2] {
            drafts[i].labels = Some(Vec::new());
            info.empty_label_pods.push(drafts[i].name.clone());
        }
        drafts[regular - 1].labels = None;
        info.null_label_pods.push(drafts[regular - 1].name.clone());
    }
    // pods mounting the shared (RWX) volumes: replicas of one namespace spread over several nodes
    let mut shared_pods: Vec<Vec<usize>> = Vec::new();
    for s in 0..p.shared_volumes as usize {
        let j = (s * 7 + 1) % total_ns;
        let home = ns_node[j];
        let mut members = Vec::new();
        for r in 0..n.min(3) {
            let node = (home + r) % n;
            let name = format!("{}-shared-{s}-{r}-{}", namespace_names[j], rng.hex(5));
            let labels = draw_labels(rng);
            members.push(drafts.len());
            drafts.push(PodDraft {
                name,
                ns: j as u32,
                node: Some(node),
                labels: Some(labels),
                short_lived: false,
            });
        }
        shared_pods.push(members);
    }
    if edge {
        // pods with an empty node name (still carrying node capacity values) — E1
        let j = total_ns - 1;
        for k in 0..2 {
            let name = format!("unscheduled-{k}-{}", rng.hex(5));
            let labels = draw_labels(rng);
            info.empty_node_pods.push(name.clone());
            drafts.push(PodDraft {
                name,
                ns: j as u32,
                node: None,
                labels: Some(labels),
                short_lived: false,
            });
        }
    }

    // resources
    let mut per_node = vec![0u32; n as usize];
    for d in &drafts {
        if let Some(nd) = d.node {
            per_node[nd as usize] += 1;
        }
    }
    let mut pods = Vec::with_capacity(drafts.len());
    for d in &drafts {
        // `--cluster-cases`: operator roles on every other pod of two nodes, and every other pod
        // of the last node on a second resource id (no random draws, so the rest is unchanged).
        let mut node_role = None;
        let mut second_rid = None;
        if let (true, Some(nd)) = (p.cluster_cases, d.node) {
            let node = &nodes[nd as usize];
            let even = pods.len() % 2 == 0;
            if even && node.name == "infra-000" {
                node_role = Some(ba("worker"));
            } else if even && node.name == "node-001" {
                node_role = Some(ba("gpu"));
            }
            if !even && nd + 1 == n {
                second_rid = Some(format!("{}-replaced", node.resource_id));
            }
        }
        let (cores, mem, k, mult, node_name, rid) = match d.node {
            Some(nd) => {
                let node = &nodes[nd as usize];
                let mult = if overcommit_node == Some(nd as usize) {
                    3.0
                } else {
                    1.0
                };
                (
                    node.cores,
                    node.mem,
                    per_node[nd as usize].max(1) as f64,
                    mult,
                    node.name.as_str(),
                    node.resource_id.as_str(),
                )
            }
            None => (4.0, 16.0 * GIB, 8.0, 1.0, "", ""),
        };
        let req_cpu = round_to(cores / k * rng.range(0.3, 1.4) * mult, 0.001).clamp(0.001, cores);
        let lim_cpu = round_to(req_cpu * rng.range(1.0, 2.5), 0.001).clamp(req_cpu, cores);
        let req_mem = round_to(mem / k * rng.range(0.3, 1.4) * mult, MIB).clamp(MIB, mem);
        let lim_mem = round_to(req_mem * rng.range(1.0, 2.5), MIB).clamp(req_mem, mem);
        let (mut start_h, mut end_h, mut first_secs, mut last_secs) = (0, hours, 3600.0, 3600.0);
        if d.short_lived && hours > 0 {
            start_h = rng.below(hours as u64) as u32;
            end_h = (start_h + 1 + rng.below(hours.min(48) as u64) as u32).min(hours);
            if start_h > 0 {
                first_secs = (60 + rng.below(3540)) as f64;
            }
            if end_h < hours {
                last_secs = (60 + rng.below(3540)) as f64;
            }
        }
        pods.push(Pod {
            name: ba(&d.name),
            namespace: ba(&namespace_names[d.ns as usize]),
            node: ba(node_name),
            resource_id: ba(second_rid.as_deref().unwrap_or(rid)),
            node_role,
            labels: d.labels.as_ref().map(|l| ba(&py_json_labels(l))),
            cores,
            mem,
            req_cpu,
            lim_cpu,
            req_mem,
            lim_mem,
            start_h,
            end_h,
            first_secs,
            last_secs,
        });
    }
    if p.vm_gpu {
        // VM lifetimes (after every draw): VM 2 stops at 19:00 of the second-to-last day, VM 3
        // runs on the second-to-last day only; the others keep theirs.
        for (k, &i) in vm_drafts.iter().enumerate() {
            let pod = &mut pods[i];
            let window = match k {
                2 if hours >= 48 => Some((0, hours - 24 - 5)),
                3 if hours >= 48 => Some((hours - 48, hours - 24)),
                _ => None,
            };
            if let Some((s, e)) = window {
                (pod.start_h, pod.end_h, pod.first_secs, pod.last_secs) = (s, e, 3600.0, 3600.0);
            }
            info.vm_pod_index.push(i);
        }
    }
    Pods {
        pods,
        drafts,
        shared_pods,
        pod_key_pool,
    }
}
