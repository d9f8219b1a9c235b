//! The synthetic cluster: nodes, namespaces, pods, volumes and their label sets, plus the per-report
//! "streams" (which entity is active in which hour) that map a global row index to `(hour, entity)`.
//!
//! Everything here is built once, single-threaded, from the seed; per-row values are derived later
//! from counter-based hashes so that file contents are independent of chunking and threading.

use bytes::Bytes;
use parquet::data_type::ByteArray;

use super::rng::{h3, unit, SplitMix};
use super::time::{month_segments, Segment};
use ocp_summary_ingest::masu_json::py_json_labels;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
const MIB: f64 = 1024.0 * 1024.0;

/// Hour value meaning "never".
pub const NEVER: u32 = u32::MAX;

/// Named keys at the front of the pod label key pool.
pub const NAMED_POD_KEYS: [&str; 6] = [
    "app",
    "environment",
    "team",
    "tier",
    "version",
    "cost_center",
];

/// A `ByteArray` over a leaked copy of `s`.
///
/// String cells are cloned once per row; `Bytes::from_static` makes that clone (and the drop) a plain
/// copy instead of two atomic reference-count updates on a shared cache line. The leak is bounded by
/// the topology size (a few MB even for 10k+ pods) and happens once per `generate` run.
pub fn ba(s: &str) -> ByteArray {
    if s.is_empty() {
        ByteArray::from(Bytes::new())
    } else {
        ByteArray::from(Bytes::from_static(Box::leak(
            s.as_bytes().to_vec().into_boxed_slice(),
        )))
    }
}

/// Validated generation parameters (see `GenerateArgs` for meanings).
#[derive(Debug, Clone)]
pub struct Params {
    pub seed: u64,
    pub start_day: i64,
    pub days: u32,
    pub nodes: u32,
    pub namespaces_per_node: u32,
    pub pods_per_namespace: u32,
    pub labels_per_pod: u32,
    pub label_key_cardinality: u32,
    pub label_value_cardinality: u32,
    pub short_lived_pct: f64,
    pub pvcs_per_pod: u32,
    pub shared_volumes: u32,
    pub claimless_volumes: u32,
    pub orphan_storage: u32,
    pub storage_classes: u32,
    pub csi_drivers: u32,
    pub edge_cases: bool,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub resource_id: String,
    pub role: &'static str,
    pub cores: f64,
    pub mem: f64,
}

#[derive(Debug, Clone)]
pub struct Pod {
    pub name: ByteArray,
    pub namespace: ByteArray,
    pub node: ByteArray,
    pub resource_id: ByteArray,
    pub labels: Option<ByteArray>,
    pub cores: f64,
    pub mem: f64,
    pub req_cpu: f64,
    pub lim_cpu: f64,
    pub req_mem: f64,
    pub lim_mem: f64,
    pub start_h: u32,
    pub end_h: u32,
    pub first_secs: f64,
    pub last_secs: f64,
}

#[derive(Debug, Clone)]
pub struct Volume {
    pub namespace: ByteArray,
    pub pod: ByteArray,
    pub node: ByteArray,
    pub pvc: ByteArray,
    pub pv: ByteArray,
    pub storageclass: ByteArray,
    pub csi_driver: ByteArray,
    pub csi_volume_handle: ByteArray,
    pub pv_labels: ByteArray,
    pub pvc_labels: ByteArray,
    pub cap: f64,
    pub req: f64,
    pub usage_base: f64,
    pub has_usage: bool,
    pub start_h: u32,
    pub end_h: u32,
}

/// Node or namespace label rows: entity `e` carries `labels[e][0]` before `change_hour[e]`, then
/// `labels[e][1]`. Daily group id = `2 * e + variant`.
#[derive(Debug, Clone, Default)]
pub struct LabelEntities {
    pub names: Vec<ByteArray>,
    pub labels: Vec<[ByteArray; 2]>,
    pub change_hour: Vec<u32>,
}

impl LabelEntities {
    #[inline]
    pub fn variant(&self, e: usize, h: u32) -> usize {
        usize::from(h >= self.change_hour[e])
    }
}

/// Which entities are active in which hour, and the cumulative row count per hour.
#[derive(Debug, Clone, Default)]
pub struct Stream {
    pub start: Vec<u32>,
    pub end: Vec<u32>,
    /// `cum[h]` = rows before hour `h`; length `hours + 1`.
    pub cum: Vec<u64>,
}

impl Stream {
    fn new(start: Vec<u32>, end: Vec<u32>, hours: u32) -> Self {
        let mut diff = vec![0i64; hours as usize + 1];
        for (&s, &e) in start.iter().zip(&end) {
            let (s, e) = (s.min(hours), e.min(hours));
            if s < e {
                diff[s as usize] += 1;
                diff[e as usize] -= 1;
            }
        }
        let mut cum = Vec::with_capacity(hours as usize + 1);
        let (mut active, mut total) = (0i64, 0u64);
        cum.push(0);
        for d in diff.iter().take(hours as usize) {
            active += d;
            total += active as u64;
            cum.push(total);
        }
        Stream { start, end, cum }
    }

    pub fn rows_between(&self, h0: u32, h1: u32) -> u64 {
        self.cum[h1 as usize] - self.cum[h0 as usize]
    }

    /// Appends the `n` rows starting at global row `first` as `(hour, entity)` pairs, in order
    /// (hour ascending, entity index ascending).
    pub fn collect(&self, first: u64, n: usize, out: &mut Vec<(u32, u32)>) {
        if n == 0 {
            return;
        }
        let mut h = self.cum.partition_point(|&c| c <= first) - 1;
        let mut skip = first - self.cum[h];
        let target = out.len() + n;
        while out.len() < target && h + 1 < self.cum.len() {
            let hh = h as u32;
            for (e, (&s, &en)) in self.start.iter().zip(&self.end).enumerate() {
                if s <= hh && hh < en {
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    out.push((hh, e as u32));
                    if out.len() == target {
                        return;
                    }
                }
            }
            h += 1;
        }
        assert_eq!(out.len(), target, "stream exhausted");
    }
}

/// Concrete names of the edge-case shapes, for `generate.json` and tests.
#[derive(Debug, Clone, Default)]
pub struct EdgeInfo {
    pub empty_node_pods: Vec<String>,
    pub empty_label_pods: Vec<String>,
    pub null_label_pods: Vec<String>,
    pub non_ascii_pods: Vec<String>,
    pub special_key_pods: Vec<String>,
    pub vm_pods: Vec<String>,
    pub overcommitted_nodes: Vec<String>,
    /// (node, namespace, hour index of the change) — E2.
    pub label_change: Option<(String, String, u32)>,
    pub shared_volumes: Vec<String>,
    pub orphan_pods: Vec<String>,
    pub claimless_volumes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Topology {
    pub params: Params,
    pub segments: Vec<Segment>,
    pub nodes: Vec<Node>,
    pub namespace_names: Vec<String>,
    pub pods: Vec<Pod>,
    pub volumes: Vec<Volume>,
    pub node_labels: LabelEntities,
    pub ns_labels: LabelEntities,
    /// Sort rank of each daily group (pandas `groupby(sort=True)` order of the group keys).
    pub pod_rank: Vec<u32>,
    pub volume_rank: Vec<u32>,
    pub node_label_rank: Vec<u32>,
    pub ns_label_rank: Vec<u32>,
    /// Streams in report order: pod_usage, storage_usage, node_labels, namespace_labels.
    pub streams: [Stream; 4],
    pub pod_key_pool: Vec<String>,
    pub node_label_keys: Vec<String>,
    pub ns_label_keys: Vec<String>,
    pub pv_label_keys: Vec<String>,
    pub pvc_label_keys: Vec<String>,
    pub storage_class_names: Vec<String>,
    pub csi_driver_names: Vec<String>,
    pub edge: EdgeInfo,
}

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

fn pod_label_value(key: &str, i: u64) -> String {
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
struct PodDraft {
    name: String,
    ns: u32,
    node: Option<u32>,
    labels: Option<Vec<(String, String)>>,
    short_lived: bool,
}

impl Topology {
    pub fn build(p: &Params) -> Topology {
        let mut rng = SplitMix::new(p.seed);
        let hours = p.days * 24;
        let segments = month_segments(p.start_day, p.days);
        let edge = p.edge_cases;
        let mut info = EdgeInfo::default();

        // ---- nodes
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
            let mut alt = l.clone();
            let ch = if i == change_node { change_hour } else { NEVER };
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
        if change_hour != NEVER {
            info.label_change = Some((
                nodes[change_node].name.clone(),
                namespace_names[change_ns].clone(),
                change_hour,
            ));
        }

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
                let labels = draw_labels(&mut rng);
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
        for (i, d) in drafts.iter_mut().enumerate() {
            if i % 40 == 7 {
                let vm = format!("{}-vm", d.name);
                d.labels
                    .as_mut()
                    .unwrap()
                    .push(("vm_kubevirt_io_name".into(), vm));
                info.vm_pods.push(d.name.clone());
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
                let labels = draw_labels(&mut rng);
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
                let labels = draw_labels(&mut rng);
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
            let req_cpu =
                round_to(cores / k * rng.range(0.3, 1.4) * mult, 0.001).clamp(0.001, cores);
            let lim_cpu = round_to(req_cpu * rng.range(1.0, 2.5), 0.001).clamp(req_cpu, cores);
            let req_mem = round_to(mem / k * rng.range(0.3, 1.4) * mult, MIB).clamp(MIB, mem);
            let lim_mem = round_to(req_mem * rng.range(1.0, 2.5), MIB).clamp(req_mem, mem);
            let (mut start_h, mut end_h, mut first_secs, mut last_secs) =
                (0, hours, 3600.0, 3600.0);
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
                resource_id: ba(rid),
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
        let new_vol = |rng: &mut SplitMix,
                       ns: &str,
                       pod: &str,
                       node: &str,
                       pvc: String,
                       sc: Option<usize>| {
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
                    &mut rng,
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
                &mut rng,
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
                &mut rng,
                &namespace_names[j],
                &pod,
                &node,
                format!("orphan-data-{k}"),
                None,
            );
            vdrafts.push(v);
        }
        for k in 0..p.claimless_volumes as usize {
            let mut v = new_vol(&mut rng, "", "", "", String::new(), None);
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

        // ---- daily group ranks (pandas sorts group keys; byte order == code point order; NULL last)
        let pod_rank = rank_by(pods.len(), |a, b| {
            let (x, y) = (&pods[a], &pods[b]);
            (x.namespace.data(), x.node.data(), x.name.data())
                .cmp(&(y.namespace.data(), y.node.data(), y.name.data()))
                .then_with(|| match (&x.labels, &y.labels) {
                    (Some(l), Some(m)) => l.data().cmp(m.data()),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                })
        });
        let vkey = |v: &Volume| {
            [
                v.namespace.data().to_vec(),
                v.node.data().to_vec(),
                v.pod.data().to_vec(),
                v.pvc.data().to_vec(),
                v.pv.data().to_vec(),
                v.storageclass.data().to_vec(),
                v.csi_driver.data().to_vec(),
                v.csi_volume_handle.data().to_vec(),
                v.pv_labels.data().to_vec(),
                v.pvc_labels.data().to_vec(),
            ]
        };
        let vkeys: Vec<_> = volumes.iter().map(vkey).collect();
        let volume_rank = rank_by(volumes.len(), |a, b| vkeys[a].cmp(&vkeys[b]));
        let label_rank = |le: &LabelEntities| {
            rank_by(le.names.len() * 2, |a, b| {
                (le.names[a / 2].data(), le.labels[a / 2][a % 2].data())
                    .cmp(&(le.names[b / 2].data(), le.labels[b / 2][b % 2].data()))
            })
        };
        let node_label_rank = label_rank(&node_labels);
        let ns_label_rank = label_rank(&ns_labels);

        let streams = [
            Stream::new(
                pods.iter().map(|p| p.start_h).collect(),
                pods.iter().map(|p| p.end_h).collect(),
                hours,
            ),
            Stream::new(
                volumes.iter().map(|v| v.start_h).collect(),
                volumes.iter().map(|v| v.end_h).collect(),
                hours,
            ),
            Stream::new(vec![0; nodes.len()], vec![hours; nodes.len()], hours),
            Stream::new(vec![0; total_ns], vec![hours; total_ns], hours),
        ];

        Topology {
            params: p.clone(),
            segments,
            nodes,
            namespace_names,
            pods,
            volumes,
            node_labels,
            ns_labels,
            pod_rank,
            volume_rank,
            node_label_rank,
            ns_label_rank,
            streams,
            pod_key_pool,
            node_label_keys,
            ns_label_keys,
            pv_label_keys,
            pvc_label_keys,
            storage_class_names,
            csi_driver_names,
            edge: info,
        }
    }

    /// Seconds the pod ran in hour `h` (`pod_seconds` of the operator row).
    #[inline]
    pub fn pod_secs(&self, p: usize, h: u32) -> f64 {
        let pod = &self.pods[p];
        let mut s = 3600.0f64;
        if h == pod.start_h {
            s = s.min(pod.first_secs);
        }
        if h + 1 == pod.end_h {
            s = s.min(pod.last_secs);
        }
        s
    }

    /// `(cpu cores, memory bytes)` used by pod `p` in hour `h`: uniform between a small floor and the limit.
    #[inline]
    pub fn pod_usage(&self, p: usize, h: u32) -> (f64, f64) {
        let pod = &self.pods[p];
        let seed = self.params.seed;
        let c = pod.lim_cpu * (0.02 + 0.98 * unit(h3(seed, p as u64, h as u64, 1)));
        let m = (pod.lim_mem * (0.05 + 0.95 * unit(h3(seed, p as u64, h as u64, 2)))).round();
        (c, m)
    }

    /// Bytes used on volume `v` in hour `h` (slowly growing, with noise, at most the capacity).
    #[inline]
    pub fn volume_usage(&self, v: usize, h: u32) -> f64 {
        let vol = &self.volumes[v];
        if !vol.has_usage {
            return 0.0;
        }
        let noise = unit(h3(self.params.seed, v as u64, h as u64, 3)) - 0.5;
        let frac = (vol.usage_base + 0.0002 * h as f64 + 0.02 * noise).clamp(0.0, 1.0);
        (vol.cap * frac).round()
    }
}

fn rank_by(n: usize, cmp: impl Fn(usize, usize) -> std::cmp::Ordering) -> Vec<u32> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| cmp(a, b));
    let mut rank = vec![0u32; n];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r as u32;
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn params() -> Params {
        Params {
            seed: 1,
            start_day: super::super::time::parse_date("2026-03-01").unwrap(),
            days: 2,
            nodes: 5,
            namespaces_per_node: 3,
            pods_per_namespace: 4,
            labels_per_pod: 5,
            label_key_cardinality: 12,
            label_value_cardinality: 5,
            short_lived_pct: 20.0,
            pvcs_per_pod: 1,
            shared_volumes: 2,
            claimless_volumes: 2,
            orphan_storage: 2,
            storage_classes: 3,
            csi_drivers: 2,
            edge_cases: true,
        }
    }

    #[test]
    fn stream_collect_matches_full_scan() {
        let t = Topology::build(&params());
        for s in &t.streams {
            let total = *s.cum.last().unwrap();
            let mut all = Vec::new();
            s.collect(0, total as usize, &mut all);
            assert_eq!(all.len() as u64, total);
            assert!(all.windows(2).all(|w| w[0] < w[1]));
            for start in [0u64, 1, 7, total / 3, total.saturating_sub(5)] {
                let n = (total - start).min(37) as usize;
                let mut part = Vec::new();
                s.collect(start, n, &mut part);
                assert_eq!(&part[..], &all[start as usize..start as usize + n]);
            }
        }
    }

    #[test]
    fn names_unique_and_edges_present() {
        let t = Topology::build(&params());
        let mut names: Vec<&[u8]> = t.pods.iter().map(|p| p.name.data()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), t.pods.len());
        let mut ns = t.namespace_names.clone();
        ns.sort();
        ns.dedup();
        assert_eq!(ns.len(), t.namespace_names.len());
        assert_eq!(t.edge.empty_node_pods.len(), 2);
        assert!(t.pods.iter().any(|p| p.labels.is_none()));
        assert!(t.pods.iter().any(|p| p
            .labels
            .as_ref()
            .map(|l| l.data() == b"{}")
            .unwrap_or(false)));
        assert!(t.edge.label_change.is_some());
        assert_eq!(t.nodes[0].name, "master-000");
        assert_eq!(t.nodes[1].name, "infra-000");
        assert_eq!(t.namespace_names[0], "openshift-kube-apiserver");
    }
}
