//! The synthetic cluster: nodes, namespaces, pods, volumes and their label sets, plus the per-report
//! "streams" (which entity is active in which hour) that map a global row index to `(hour, entity)`.
//!
//! Everything here is built once, single-threaded, from the seed; per-row values are derived later
//! from counter-based hashes so that file contents are independent of chunking and threading.
//!
//! This file holds the cluster's types, the order of the build and the per-hour values. Each kind
//! of entity is drawn by a module of its own, in this order: `nodes`, `namespaces`, `pods`,
//! `volumes`. They share one random stream, so the order is part of the output: reordering the
//! builders (or the draws inside one) changes every file. `stream` maps row indexes to entities.

mod namespaces;
mod nodes;
mod pods;
mod stream;
mod volumes;

pub use stream::Stream;

use bytes::Bytes;
use parquet::data_type::ByteArray;

use super::rng::{h3, unit, SplitMix};
use super::time::{month_segments, Segment};
use namespaces::Namespaces;
use nodes::Nodes;
use pods::Pods;
use volumes::Volumes;

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
    /// `--cluster-cases` (only with edge cases).
    pub cluster_cases: bool,
    /// `--vm-gpu`: KubeVirt VM pods (`virt-launcher-<vm>-xxxxx`) and the vm_usage / gpu_usage
    /// reports.
    pub vm_gpu: bool,
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
    /// The operator's `node_role` on the daily rows (NULL unless `--cluster-cases`).
    pub node_role: Option<ByteArray>,
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

/// Concrete names of the edge-case shapes, for `generate.json` and tests.
#[derive(Debug, Clone, Default)]
pub struct EdgeInfo {
    pub empty_node_pods: Vec<String>,
    pub empty_label_pods: Vec<String>,
    pub null_label_pods: Vec<String>,
    pub non_ascii_pods: Vec<String>,
    pub special_key_pods: Vec<String>,
    pub vm_pods: Vec<String>,
    /// `--vm-gpu`: the VM name of each of `vm_pods` (their `vm_kubevirt_io_name` label).
    pub vm_names: Vec<String>,
    /// `--vm-gpu`: pod indices of `vm_pods`.
    pub vm_pod_index: Vec<usize>,
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

impl Topology {
    pub fn build(p: &Params) -> Topology {
        let mut rng = SplitMix::new(p.seed);
        let hours = p.days * 24;
        let segments = month_segments(p.start_day, p.days);
        let mut info = EdgeInfo::default();

        let node_set = nodes::build(p, &mut rng, &mut info);
        let ns_set = namespaces::build(p, &mut rng, &node_set);
        if node_set.change_hour != NEVER {
            info.label_change = Some((
                node_set.nodes[node_set.change_node].name.clone(),
                ns_set.namespace_names[ns_set.change_ns].clone(),
                node_set.change_hour,
            ));
        }
        let pod_set = pods::build(p, &mut rng, &node_set, &ns_set, &mut info);
        let vol_set = volumes::build(p, &mut rng, &node_set.nodes, &ns_set, &pod_set, &mut info);
        let Nodes {
            nodes,
            node_labels,
            node_label_keys,
            ..
        } = node_set;
        let Namespaces {
            namespace_names,
            ns_labels,
            ns_label_keys,
            ..
        } = ns_set;
        let Pods {
            pods, pod_key_pool, ..
        } = pod_set;
        let Volumes {
            volumes,
            pv_label_keys,
            pvc_label_keys,
            storage_class_names,
            csi_driver_names,
        } = vol_set;
        let total_ns = namespace_names.len();

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
mod tests;
