//! `generate.json`: the parameters, the months, the entity and label-key names and every file
//! written, for tests and benchmarks to read. Its own module because it is one long literal of
//! field names with a small hand-written JSON value ([`J`]) that nothing else uses.

use std::path::Path;

use anyhow::Context;

use crate::frames::{Report, Task};
use crate::time::civil_from_days;
use crate::topology::{self, Topology};
use crate::GenerateArgs;
use ocp_summary_ingest::masu_json::push_py_json_str;

/// Minimal JSON value for `generate.json` (serde_json is only a dev-dependency).
enum J {
    S(String),
    I(i64),
    U(u64),
    F(f64),
    B(bool),
    A(Vec<J>),
    O(Vec<(&'static str, J)>),
}

impl J {
    fn strs<S: AsRef<str>>(v: &[S]) -> J {
        J::A(v.iter().map(|s| J::S(s.as_ref().to_string())).collect())
    }

    fn write(&self, out: &mut String, indent: usize) {
        let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
        match self {
            J::S(s) => push_py_json_str(out, s),
            J::I(i) => out.push_str(&i.to_string()),
            J::U(u) => out.push_str(&u.to_string()),
            J::F(x) => out.push_str(&format!("{x:?}")),
            J::B(b) => out.push_str(if *b { "true" } else { "false" }),
            J::A(items) => {
                if items.iter().all(|i| !matches!(i, J::A(_) | J::O(_))) {
                    out.push('[');
                    for (k, it) in items.iter().enumerate() {
                        if k > 0 {
                            out.push_str(", ");
                        }
                        it.write(out, indent);
                    }
                    out.push(']');
                } else {
                    out.push_str("[\n");
                    for (k, it) in items.iter().enumerate() {
                        pad(out, indent + 2);
                        it.write(out, indent + 2);
                        out.push_str(if k + 1 < items.len() { ",\n" } else { "\n" });
                    }
                    pad(out, indent);
                    out.push(']');
                }
            }
            J::O(fields) => {
                out.push_str("{\n");
                for (k, (name, v)) in fields.iter().enumerate() {
                    pad(out, indent + 2);
                    push_py_json_str(out, name);
                    out.push_str(": ");
                    v.write(out, indent + 2);
                    out.push_str(if k + 1 < fields.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push('}');
            }
        }
    }
}

fn date_str(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

pub(crate) fn write_manifest(
    path: &Path,
    args: &GenerateArgs,
    topo: &Topology,
    tasks: &[Task],
) -> anyhow::Result<()> {
    let p = &topo.params;
    let e = &topo.edge;
    let mut suggested: Vec<String> = topology::NAMED_POD_KEYS
        .iter()
        .map(|s| s.to_string())
        .collect();
    suggested.extend(
        topo.pod_key_pool
            .iter()
            .filter(|k| k.starts_with('k'))
            .step_by(2)
            .cloned(),
    );
    suggested
        .extend(["maintenance", "storageclass", "app.kubernetes.io/part-of"].map(String::from));
    let extra_pod_keys = [
        "vm_kubevirt_io_name",
        "app.kubernetes.io/part-of",
        "node-role.kubernetes.io/infra",
        "region_name",
    ];
    let rel = |t: &Task, daily: bool| {
        let full = if daily { &t.daily_path } else { &t.hourly_path };
        J::S(
            full.strip_prefix(&args.out)
                .unwrap_or(full)
                .to_string_lossy()
                .into_owned(),
        )
    };
    let files: Vec<J> = tasks
        .iter()
        .map(|t| {
            let seg = &topo.segments[t.seg];
            J::O(vec![
                ("report_type", J::S(t.report.dir().into())),
                ("year", J::S(format!("{:04}", seg.year))),
                ("month", J::S(format!("{:02}", seg.month))),
                ("chunk", J::U(t.chunk)),
                ("hourly_rows", J::U(t.rows as u64)),
                ("hourly", rel(t, false)),
                ("daily", rel(t, true)),
            ])
        })
        .collect();
    let mut rows = vec![];
    for r in Report::ALL {
        let s = &topo.streams[r as usize];
        rows.push((r.dir(), J::U(*s.cum.last().unwrap_or(&0))));
    }
    let doc = J::O(vec![
        ("generator", J::S("ocp-summary generate".into())),
        ("params", {
            let mut params = vec![
                ("org", J::S(args.org.clone())),
                ("source", J::S(args.source.clone())),
                ("start", J::S(date_str(p.start_day))),
                ("end_exclusive", J::S(date_str(p.start_day + p.days as i64))),
                ("days", J::U(p.days as u64)),
                ("nodes", J::U(p.nodes as u64)),
                ("namespaces_per_node", J::U(p.namespaces_per_node as u64)),
                ("pods_per_namespace", J::U(p.pods_per_namespace as u64)),
                ("labels_per_pod", J::U(p.labels_per_pod as u64)),
                (
                    "label_key_cardinality",
                    J::U(p.label_key_cardinality as u64),
                ),
                (
                    "label_value_cardinality",
                    J::U(p.label_value_cardinality as u64),
                ),
                ("short_lived_pct", J::F(p.short_lived_pct)),
                ("rows_per_file", J::U(args.rows_per_file as u64)),
                ("rows_per_row_group", J::U(args.rows_per_row_group as u64)),
                ("seed", J::U(p.seed)),
                ("pvcs_per_pod", J::U(p.pvcs_per_pod as u64)),
                ("shared_volumes", J::U(p.shared_volumes as u64)),
                ("claimless_volumes", J::U(p.claimless_volumes as u64)),
                ("orphan_storage", J::U(p.orphan_storage as u64)),
                ("storage_classes", J::U(p.storage_classes as u64)),
                ("csi_drivers", J::U(p.csi_drivers as u64)),
                ("edge_cases", J::B(p.edge_cases)),
            ];
            // Only when asked for, so that generate.json stays the same without it.
            if p.cluster_cases {
                params.push(("cluster_cases", J::B(true)));
            }
            if p.vm_gpu {
                params.push(("vm_gpu", J::B(true)));
            }
            J::O(params)
        }),
        (
            "months",
            J::A(
                topo.segments
                    .iter()
                    .map(|s| {
                        J::O(vec![
                            ("year", J::S(format!("{:04}", s.year))),
                            ("month", J::S(format!("{:02}", s.month))),
                            (
                                "first_day",
                                J::S(date_str(p.start_day + s.first_hour as i64 / 24)),
                            ),
                            ("days", J::U(((s.end_hour - s.first_hour) / 24) as u64)),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("hourly_rows", J::O(rows)),
        ("pods", J::U(topo.pods.len() as u64)),
        ("volumes", J::U(topo.volumes.len() as u64)),
        ("pod_label_key_pool", J::strs(&topo.pod_key_pool)),
        ("pod_label_extra_keys", J::strs(&extra_pod_keys)),
        ("node_label_keys", J::strs(&topo.node_label_keys)),
        ("namespace_label_keys", J::strs(&topo.ns_label_keys)),
        ("persistentvolume_label_keys", J::strs(&topo.pv_label_keys)),
        (
            "persistentvolumeclaim_label_keys",
            J::strs(&topo.pvc_label_keys),
        ),
        ("suggested_enabled_keys", J::strs(&suggested)),
        (
            "nodes",
            J::A(
                topo.nodes
                    .iter()
                    .map(|n| {
                        J::O(vec![
                            ("node", J::S(n.name.clone())),
                            ("role", J::S(n.role.into())),
                            ("resource_id", J::S(n.resource_id.clone())),
                            ("cpu_cores", J::F(n.cores)),
                            ("memory_bytes", J::F(n.mem)),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("namespaces", J::strs(&topo.namespace_names)),
        ("storage_classes", J::strs(&topo.storage_class_names)),
        ("csi_drivers", J::strs(&topo.csi_driver_names)),
        (
            "edge_cases",
            J::O(vec![
                ("enabled", J::B(p.edge_cases)),
                ("empty_node_pods", J::strs(&e.empty_node_pods)),
                ("empty_label_pods", J::strs(&e.empty_label_pods)),
                ("null_label_pods", J::strs(&e.null_label_pods)),
                ("non_ascii_label_pods", J::strs(&e.non_ascii_pods)),
                ("special_key_pods", J::strs(&e.special_key_pods)),
                ("vm_pods", J::strs(&e.vm_pods)),
                ("overcommitted_nodes", J::strs(&e.overcommitted_nodes)),
                (
                    "label_change",
                    match &e.label_change {
                        Some((node, ns, hour)) => J::O(vec![
                            ("node", J::S(node.clone())),
                            ("namespace", J::S(ns.clone())),
                            ("day", J::S(date_str(p.start_day + *hour as i64 / 24))),
                            ("hour", J::I(*hour as i64 % 24)),
                        ]),
                        None => J::O(vec![]),
                    },
                ),
                ("shared_volumes", J::strs(&e.shared_volumes)),
                ("orphan_storage_pods", J::strs(&e.orphan_pods)),
                ("claimless_volumes", J::strs(&e.claimless_volumes)),
            ]),
        ),
        ("files", J::A(files)),
    ]);
    let doc = match (p.vm_gpu, doc) {
        (true, J::O(mut fields)) => {
            let vm_pods: Vec<String> = e
                .vm_pod_index
                .iter()
                .map(|&i| String::from_utf8_lossy(topo.pods[i].name.data()).into_owned())
                .collect();
            fields.push((
                "vm_gpu",
                J::O(vec![
                    ("vms", J::strs(&e.vm_names)),
                    ("vm_pods", J::strs(&vm_pods)),
                    (
                        "vm_with_several_pvcs",
                        J::strs(&e.vm_names[..e.vm_names.len().min(1)]),
                    ),
                    (
                        "vm_without_pvc",
                        J::strs(e.vm_names.get(1..2).unwrap_or(&[])),
                    ),
                    (
                        "vm_stops_before_last_day",
                        J::strs(e.vm_names.get(2..3).unwrap_or(&[])),
                    ),
                    (
                        "vm_second_to_last_day_only",
                        J::strs(e.vm_names.get(3..4).unwrap_or(&[])),
                    ),
                    ("idle_gpu_node", J::S(crate::vmgpu::IDLE_GPU_NODE.into())),
                ]),
            ));
            J::O(fields)
        }
        (_, doc) => doc,
    };
    let mut s = String::new();
    doc.write(&mut s, 0);
    s.push('\n');
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    std::fs::write(path, s).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
