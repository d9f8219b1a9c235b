//! `--vm-gpu`: the operator's `vm_usage` and `gpu_usage` CSV reports for the synthetic cluster,
//! converted to Koku's Parquet by `ingest`'s converter (masu's rules: types, MIG fields, vendor
//! rename, per-chunk daily roll-up, one partition per month).
//!
//! * VM rows: one per hour in which a VM pod (`virt-launcher-<vm>-xxxxx`, see `topology::pods`)
//!   runs, with the pod's node, resource id, namespace, requests and limits (1 socket, cores =
//!   threads = the CPU request rounded up), its seconds in the hour, the pod's CPU/memory usage,
//!   and the greatest of its PVC names (the operator keys VM rows by name and namespace, so one
//!   disk per row); a VM without PVCs has empty disk fields.
//! * GPU rows, one per hour and pod (and MIG instance) while the pod runs:
//!   - a dedicated GPU node (the first worker): two `Tesla T4` GPUs, vendor `nvidia_com_gpu`
//!     (masu renames it `nvidia`), used by its first two pods;
//!   - a MIG node (the second worker): one `NVIDIA A100-SXM4-40GB`, strategy `mixed`, instances
//!     `3g.20gb`, `2g.10gb`, `1g.5gb` for its first three pods; the first row gives
//!     `gpu_max_slices` 7, the others leave it empty (masu derives 7 from the model);
//!   - a GPU node without pod rows (`gpu-idle-000`, pod `gpu-burn-idle`, every hour).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;

use crate::time::civil_from_days;
use crate::topology::Topology;
use ocp_summary_ingest::report::{convert_file, FileStats, ReportKind, Target};

/// CSV file base names; the Parquet files are `<base>_<chunk>.parquet` / `<base>_daily_<chunk>`.
pub const VM_BASE: &str = "openshift_report.vm_usage";
pub const GPU_BASE: &str = "openshift_report.gpu_usage";

const VM_HEADER: &str = "report_period_start,report_period_end,interval_start,interval_end,node,resource_id,namespace,vm_name,vm_instance_type,vm_os,vm_guest_os_arch,vm_guest_os_name,vm_guest_os_version,vm_uptime_total_seconds,vm_cpu_limit_cores,vm_cpu_limit_core_seconds,vm_cpu_request_cores,vm_cpu_request_core_seconds,vm_cpu_request_sockets,vm_cpu_request_socket_seconds,vm_cpu_request_threads,vm_cpu_request_thread_seconds,vm_cpu_usage_total_seconds,vm_memory_limit_bytes,vm_memory_limit_byte_seconds,vm_memory_request_bytes,vm_memory_request_byte_seconds,vm_memory_usage_byte_seconds,vm_device,vm_volume_mode,vm_persistentvolumeclaim_name,vm_disk_allocated_size_byte_seconds,vm_labels";

const GPU_HEADER: &str = "report_period_start,report_period_end,interval_start,interval_end,node,namespace,pod,gpu_uuid,gpu_model_name,gpu_vendor_name,gpu_memory_capacity_mib,gpu_pod_uptime,gpu_pod_utilization,gpu_max_slices,mig_instance_id,mig_profile,mig_strategy";

/// The idle GPU node (no pod rows).
pub const IDLE_GPU_NODE: &str = "gpu-idle-000";

/// The four time columns of hour `h` (operator format).
fn times(topo: &Topology, h: u32) -> String {
    let day = topo.params.start_day + (h / 24) as i64;
    let (y, m, d) = civil_from_days(day);
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let hh = h % 24;
    format!(
        "{y:04}-{m:02}-01 00:00:00 +0000 UTC,{ny:04}-{nm:02}-01 00:00:00 +0000 UTC,\
         {y:04}-{m:02}-{d:02} {hh:02}:00:00 +0000 UTC,{y:04}-{m:02}-{d:02} {hh:02}:59:59 +0000 UTC"
    )
}

fn text(b: &parquet::data_type::ByteArray) -> &str {
    std::str::from_utf8(b.data()).unwrap_or("")
}

/// The `vm_usage` CSV.
pub fn vm_csv(topo: &Topology) -> String {
    let mut out = String::from(VM_HEADER);
    out.push('\n');
    let e = &topo.edge;
    for h in 0..topo.params.days * 24 {
        for (k, &p) in e.vm_pod_index.iter().enumerate() {
            let pod = &topo.pods[p];
            if h < pod.start_h || h >= pod.end_h {
                continue;
            }
            let vm = &e.vm_names[k];
            let secs = topo.pod_secs(p, h);
            let (cpu, mem) = topo.pod_usage(p, h);
            let cores = pod.req_cpu.ceil().max(1.0);
            let disk = topo
                .volumes
                .iter()
                .filter(|v| v.pod.data() == pod.name.data() && !v.pvc.data().is_empty())
                .max_by(|a, b| a.pvc.data().cmp(b.pvc.data()));
            let (device, mode, pvc, disk_secs) = match disk {
                Some(v) => (
                    "rootdisk",
                    "Filesystem",
                    text(&v.pvc).to_string(),
                    format!("{}", v.cap * secs),
                ),
                None => ("", "", String::new(), String::new()),
            };
            let (os, arch, name, version) = if k % 2 == 0 {
                ("rhel9", "amd64", "Red Hat Enterprise Linux", "9.4")
            } else {
                ("fedora", "amd64", "Fedora Linux", "40")
            };
            let row = [
                times(topo, h),
                text(&pod.node).to_string(),
                text(&pod.resource_id).to_string(),
                text(&pod.namespace).to_string(),
                vm.clone(),
                (if k % 2 == 0 { "u1.medium" } else { "" }).to_string(),
                os.to_string(),
                arch.to_string(),
                name.to_string(),
                version.to_string(),
                format!("{secs}"),
                format!("{}", pod.lim_cpu),
                format!("{}", pod.lim_cpu * secs),
                format!("{}", pod.req_cpu),
                format!("{}", pod.req_cpu * secs),
                "1".to_string(),
                format!("{secs}"),
                format!("{cores}"),
                format!("{}", cores * secs),
                format!("{}", cpu * secs),
                format!("{}", pod.lim_mem),
                format!("{}", pod.lim_mem * secs),
                format!("{}", pod.req_mem),
                format!("{}", pod.req_mem * secs),
                format!("{}", mem * secs),
                device.to_string(),
                mode.to_string(),
                pvc,
                disk_secs,
                format!("label_kubevirt_io_domain:{vm}|label_vm_kubevirt_io_name:{vm}"),
            ];
            out.push_str(&row.join(","));
            out.push('\n');
        }
    }
    out
}

/// One GPU a pod uses.
struct GpuUse {
    pod: usize,
    uuid: String,
    model: &'static str,
    vendor: &'static str,
    memory_mib: u32,
    max_slices: &'static str,
    mig: Option<(String, &'static str)>,
}

/// The GPU users: pods of the first two worker nodes (see the module docs).
fn gpu_uses(topo: &Topology) -> Vec<GpuUse> {
    let workers: Vec<&str> = topo
        .nodes
        .iter()
        .filter(|n| n.role == "worker")
        .map(|n| n.name.as_str())
        .collect();
    let on = |node: &str| -> Vec<usize> {
        (0..topo.pods.len())
            .filter(|&p| text(&topo.pods[p].node) == node)
            .collect()
    };
    let mut uses = Vec::new();
    if let Some(node) = workers.first() {
        for (k, p) in on(node).into_iter().take(2).enumerate() {
            uses.push(GpuUse {
                pod: p,
                uuid: format!("GPU-{node}-t4-{k}"),
                model: "Tesla T4",
                vendor: "nvidia_com_gpu",
                memory_mib: 15360,
                max_slices: "",
                mig: None,
            });
        }
    }
    if let Some(node) = workers.get(1) {
        let profiles = ["3g.20gb", "2g.10gb", "1g.5gb"];
        for (k, p) in on(node).into_iter().take(3).enumerate() {
            uses.push(GpuUse {
                pod: p,
                uuid: format!("GPU-{node}-a100-0"),
                model: "NVIDIA A100-SXM4-40GB",
                vendor: "nvidia",
                memory_mib: 40960,
                max_slices: if k == 0 { "7" } else { "" },
                mig: Some((format!("MIG-{node}-a100-0-{k}"), profiles[k])),
            });
        }
    }
    uses
}

/// The `gpu_usage` CSV.
pub fn gpu_csv(topo: &Topology) -> String {
    let mut out = String::from(GPU_HEADER);
    out.push('\n');
    let uses = gpu_uses(topo);
    for h in 0..topo.params.days * 24 {
        for (k, u) in uses.iter().enumerate() {
            let pod = &topo.pods[u.pod];
            if h < pod.start_h || h >= pod.end_h {
                continue;
            }
            let (inst, profile, strategy) = match &u.mig {
                Some((i, p)) => (i.as_str(), *p, "mixed"),
                None => ("", "", ""),
            };
            let util = (h as usize * 7 + k * 13) % 100;
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},0.{util:02},{},{inst},{profile},{strategy}",
                times(topo, h),
                text(&pod.node),
                text(&pod.namespace),
                text(&pod.name),
                u.uuid,
                u.model,
                u.vendor,
                u.memory_mib,
                topo.pod_secs(u.pod, h),
                u.max_slices,
            );
        }
        let _ = writeln!(
            out,
            "{},{IDLE_GPU_NODE},gpu-idle,gpu-burn-idle,GPU-{IDLE_GPU_NODE}-l40s-0,NVIDIA L40S,nvidia,46068,3600,0.00,,,,",
            times(topo, h),
        );
    }
    out
}

/// Writes both reports as CSV under `scratch`, then converts them into `out` (rows per chunk:
/// `chunk_rows`). Returns the stats of the VM and the GPU report.
pub fn write(
    topo: &Topology,
    out: &Path,
    scratch: &Path,
    org: &str,
    source: &str,
    chunk_rows: usize,
) -> anyhow::Result<[FileStats; 2]> {
    std::fs::create_dir_all(scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let target = Target {
        root: out,
        org,
        source,
        chunk_rows,
    };
    let mut stats: [FileStats; 2] = Default::default();
    for (i, (base, kind, csv)) in [
        (VM_BASE, ReportKind::Vm, vm_csv(topo)),
        (GPU_BASE, ReportKind::Gpu, gpu_csv(topo)),
    ]
    .into_iter()
    .enumerate()
    {
        let path = scratch.join(format!("{base}.csv"));
        std::fs::write(&path, csv).with_context(|| format!("writing {}", path.display()))?;
        stats[i] = convert_file(&path, kind, &target)
            .with_context(|| format!("converting the generated {}", kind.dir()))?;
    }
    Ok(stats)
}
