//! The volumes: storage classes and CSI drivers, the claims of each pod, the shared RWX volumes
//! (E7), orphan storage rows (E6) and claimless PVs, and their label rows.

use super::namespaces::Namespaces;
use super::pods::{pod_label_value, Pods};
use super::{ba, EdgeInfo, Node, Params, Volume, GIB};
use crate::rng::SplitMix;
use ocp_summary_ingest::masu_json::py_json_labels;

const STORAGE_CLASSES: [&str; 6] = [
    "gp2",
    "gp3-csi",
    "ocs-storagecluster-ceph-rbd",
    "standard-csi",
    "thin-csi",
    "ocs-storagecluster-cephfs",
];

const CSI_DRIVERS: [&str; 4] = [
    "ebs.csi.aws.com",
    "openshift-storage.rbd.csi.ceph.com",
    "csi.vsphere.vmware.com",
    "openshift-storage.cephfs.csi.ceph.com",
];

/// The volumes and the names their label sets and classes use.
pub(super) struct Volumes {
    pub(super) volumes: Vec<Volume>,
    pub(super) pv_label_keys: Vec<String>,
    pub(super) pvc_label_keys: Vec<String>,
    pub(super) storage_class_names: Vec<String>,
    pub(super) csi_driver_names: Vec<String>,
}

/// Draws the volumes of the pods, the shared, orphan and claimless volumes.
pub(super) fn build(
    p: &Params,
    rng: &mut SplitMix,
    nodes: &[Node],
    namespaces: &Namespaces,
    pods: &Pods,
    info: &mut EdgeInfo,
) -> Volumes {
    let hours = p.days * 24;
    let namespace_names = &namespaces.namespace_names;
    let ns_node = &namespaces.ns_node;
    let total_ns = namespace_names.len();
    let vcard = p.label_value_cardinality.max(1) as u64;
    let (drafts, shared_pods) = (&pods.drafts, &pods.shared_pods);
    let pods = &pods.pods;

    // ---- storage
    let n_sc = p.storage_classes.max(1) as usize;
    let storage_class_names: Vec<String> = (0..n_sc)
        .map(|i| {
            STORAGE_CLASSES
                .get(i)
                .map(|s| s.to_string())
                .unwrap_or_else(|| format!("sc-{i}"))
        })
        .collect();
    let csi_driver_names: Vec<String> = (0..p.csi_drivers as usize)
        .map(|i| {
            CSI_DRIVERS
                .get(i)
                .map(|s| s.to_string())
                .unwrap_or_else(|| format!("csi-{i}.example.com"))
        })
        .collect();
    // class 0 ("gp2") is in-tree (no CSI driver); class i > 0 uses driver (i-1) % drivers
    let sc_driver = |sc: usize| -> Option<&str> {
        if sc == 0 || csi_driver_names.is_empty() {
            None
        } else {
            Some(csi_driver_names[(sc - 1) % csi_driver_names.len()].as_str())
        }
    };
    let caps_gib = [1.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0];
    struct VolDraft {
        ns: String,
        pod: String,
        node: String,
        pvc: String,
        pv: String,
        sc: usize,
        handle: String,
        cap: f64,
        has_usage: bool,
        start_h: u32,
        end_h: u32,
        pv_labels: Vec<(String, String)>,
        pvc_labels: Vec<(String, String)>,
    }
    let mut vdrafts: Vec<VolDraft> = Vec::new();
    let new_vol =
        |rng: &mut SplitMix, ns: &str, pod: &str, node: &str, pvc: String, sc: Option<usize>| {
            let sc = sc.unwrap_or_else(|| rng.below(n_sc as u64) as usize);
            let handle = if sc_driver(sc).is_some() {
                format!("vol-{}", rng.hex(17))
            } else {
                String::new()
            };
            let pv_labels = vec![
                ("storageclass".to_string(), storage_class_names[sc].clone()),
                ("app".to_string(), format!("app-{}", rng.below(vcard))),
                (
                    "environment".to_string(),
                    pod_label_value("environment", rng.below(vcard)),
                ),
            ];
            let pvc_labels = if rng.chance(0.3) {
                Vec::new()
            } else {
                vec![
                    ("app".to_string(), format!("app-{}", rng.below(vcard))),
                    (
                        "volume_tier".to_string(),
                        pod_label_value("tier", rng.below(vcard)),
                    ),
                ]
            };
            VolDraft {
                ns: ns.to_string(),
                pod: pod.to_string(),
                node: node.to_string(),
                pvc,
                pv: format!("pvc-{}", rng.uuid()),
                sc,
                handle,
                cap: caps_gib[rng.below(caps_gib.len() as u64) as usize] * GIB,
                has_usage: true,
                start_h: 0,
                end_h: hours,
                pv_labels,
                pvc_labels,
            }
        };
    let shared_members: Vec<usize> = shared_pods.iter().flatten().copied().collect();
    for (i, d) in drafts.iter().enumerate() {
        if shared_members.contains(&i) {
            continue;
        }
        let claims = rng.below(p.pvcs_per_pod as u64 + 1);
        for c in 0..claims {
            let pod = &pods[i];
            let node = d
                .node
                .map(|x| nodes[x as usize].name.as_str())
                .unwrap_or("");
            let mut v = new_vol(
                rng,
                &namespace_names[d.ns as usize],
                &d.name,
                node,
                format!("data-{c}-{}", d.name),
                None,
            );
            v.start_h = pod.start_h;
            v.end_h = pod.end_h;
            vdrafts.push(v);
        }
    }
    for (s, members) in shared_pods.iter().enumerate() {
        let first = &drafts[members[0]];
        let sc = n_sc.saturating_sub(1);
        let template = new_vol(
            rng,
            &namespace_names[first.ns as usize],
            "",
            "",
            format!("shared-data-{s}"),
            Some(sc),
        );
        info.shared_volumes.push(template.pv.clone());
        for &m in members {
            let d = &drafts[m];
            let node = d
                .node
                .map(|x| nodes[x as usize].name.clone())
                .unwrap_or_default();
            vdrafts.push(VolDraft {
                ns: template.ns.clone(),
                pod: d.name.clone(),
                node,
                pvc: template.pvc.clone(),
                pv: template.pv.clone(),
                sc: template.sc,
                handle: template.handle.clone(),
                cap: template.cap,
                has_usage: true,
                start_h: 0,
                end_h: hours,
                pv_labels: template.pv_labels.clone(),
                pvc_labels: template.pvc_labels.clone(),
            });
        }
    }
    for k in 0..p.orphan_storage as usize {
        let j = (k * 3 + 2) % total_ns;
        let node = nodes[ns_node[j] as usize].name.clone();
        let pod = format!("orphan-{k}-{}", rng.hex(5));
        info.orphan_pods.push(pod.clone());
        let v = new_vol(
            rng,
            &namespace_names[j],
            &pod,
            &node,
            format!("orphan-data-{k}"),
            None,
        );
        vdrafts.push(v);
    }
    for k in 0..p.claimless_volumes as usize {
        let mut v = new_vol(rng, "", "", "", String::new(), None);
        v.pv = format!("pv-claimless-{k:03}");
        v.has_usage = false;
        v.pvc_labels = Vec::new();
        info.claimless_volumes.push(v.pv.clone());
        vdrafts.push(v);
    }
    let mut pv_label_keys: Vec<String> = Vec::new();
    let mut pvc_label_keys: Vec<String> = Vec::new();
    let mut volumes = Vec::with_capacity(vdrafts.len());
    for v in &vdrafts {
        for (k, _) in &v.pv_labels {
            if !pv_label_keys.contains(k) {
                pv_label_keys.push(k.clone());
            }
        }
        for (k, _) in &v.pvc_labels {
            if !pvc_label_keys.contains(k) {
                pvc_label_keys.push(k.clone());
            }
        }
        volumes.push(Volume {
            namespace: ba(&v.ns),
            pod: ba(&v.pod),
            node: ba(&v.node),
            pvc: ba(&v.pvc),
            pv: ba(&v.pv),
            storageclass: ba(&storage_class_names[v.sc]),
            csi_driver: ba(sc_driver(v.sc).unwrap_or("")),
            csi_volume_handle: ba(&v.handle),
            pv_labels: ba(&py_json_labels(&v.pv_labels)),
            pvc_labels: ba(&py_json_labels(&v.pvc_labels)),
            cap: v.cap,
            req: if v.has_usage { v.cap } else { 0.0 },
            usage_base: rng.range(0.05, 0.85),
            has_usage: v.has_usage,
            start_h: v.start_h,
            end_h: v.end_h,
        });
    }
    if p.vm_gpu {
        // `--vm-gpu`: VM 0 gets two more disks, VM 1 none (after every draw, so the other
        // volumes keep their values).
        let mut extra = SplitMix::new(p.seed ^ 0x766d_6770_7500);
        if let Some(&i) = info.vm_pod_index.first() {
            let (d, pod) = (&drafts[i], &pods[i]);
            let node = d
                .node
                .map(|x| nodes[x as usize].name.as_str())
                .unwrap_or("");
            for c in ["rootdisk", "datadisk"] {
                let mut v = new_vol(
                    &mut extra,
                    &namespace_names[d.ns as usize],
                    &d.name,
                    node,
                    format!("{}-{c}", info.vm_names[0]),
                    Some(n_sc.saturating_sub(1)),
                );
                v.start_h = pod.start_h;
                v.end_h = pod.end_h;
                volumes.push(Volume {
                    namespace: ba(&v.ns),
                    pod: ba(&v.pod),
                    node: ba(&v.node),
                    pvc: ba(&v.pvc),
                    pv: ba(&v.pv),
                    storageclass: ba(&storage_class_names[v.sc]),
                    csi_driver: ba(sc_driver(v.sc).unwrap_or("")),
                    csi_volume_handle: ba(&v.handle),
                    pv_labels: ba(&py_json_labels(&v.pv_labels)),
                    pvc_labels: ba(&py_json_labels(&v.pvc_labels)),
                    cap: v.cap,
                    req: v.cap,
                    usage_base: extra.range(0.05, 0.85),
                    has_usage: true,
                    start_h: v.start_h,
                    end_h: v.end_h,
                });
            }
        }
        if let Some(&i) = info.vm_pod_index.get(1) {
            let name = &drafts[i].name;
            volumes.retain(|v| v.pod.data() != name.as_bytes());
        }
    }
    Volumes {
        volumes,
        pv_label_keys,
        pvc_label_keys,
        storage_class_names,
        csi_driver_names,
    }
}
