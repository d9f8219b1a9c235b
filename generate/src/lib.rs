//! `ocp-summary generate`: synthetic Koku OpenShift Parquet input (hourly + daily), written exactly in
//! the layout, schema and encoding Koku's CSV→Parquet converter (pandas 2.3 + pyarrow) produces.
//!
//! # Layout
//! ```text
//! <out>/data/parquet/<org>/OCP/<report_type>/source=<uuid>/year=YYYY/month=MM/openshift_report.<n>_<chunk>.parquet
//! <out>/data/parquet/daily/<org>/OCP/<report_type>/source=<uuid>/year=YYYY/month=MM/openshift_report.<n>_daily_<chunk>.parquet
//! <out>/generate.json
//! ```
//! `report_type` ∈ `pod_usage`, `storage_usage`, `node_labels`, `namespace_labels`. A row belongs to the
//! month of its `interval_start`; `n = 4 * month_segment + report_index` (one operator "CSV" per report
//! and month), chunks hold `--rows-per-file` hourly rows (Koku's `PARQUET_PROCESSING_BATCH_SIZE`), and the
//! daily file of a chunk is the pandas rollup of exactly that chunk — so one (pod, day) may appear in
//! several daily files when a day spans chunks. Daily sums use pandas' Kahan-compensated `group_sum`
//! in row order; daily rows are sorted by the group keys like `groupby(sort=True, dropna=False)`.
//!
//! # Types and encoding
//! Timestamps `INT64 TIMESTAMP(MILLIS, isAdjustedToUTC=false)`, numerics `DOUBLE`, strings
//! `BYTE_ARRAY STRING`, all `OPTIONAL`. Snappy, dictionary encoding (plain fallback past 1 MiB),
//! data page v1, chunk statistics, no page index. Not reproduced: pyarrow's `ARROW:schema` / `pandas`
//! key-value metadata, its `created_by`, and `large_string` for the all-NULL daily `node_role` column.
//!
//! # Determinism and streaming
//! The topology (nodes, namespaces, pods, volumes, label sets) is built once from `--seed`. Every hourly
//! value is a counter-based hash of `(seed, entity, hour)`, and every file is a pure function of
//! `(seed, parameters, file index)`: files are generated in parallel by `--threads` workers and the
//! output is byte-identical for any thread count. Memory is bounded by one row group per worker
//! (row references + cached draws) plus the daily accumulators of one chunk.
//!
//! # Edge-case shapes (on unless `--no-edge-cases`; names are listed in `generate.json`)
//! * **E1** two pods `unscheduled-*` with node `''` and resource_id `''`; their hourly rows still carry
//!   node capacity values (4 cores, 16 GiB).
//! * **E5 / empty labels** two pods with pod_labels `{}` and one pod whose pod_labels is NULL; every 11th
//!   namespace has namespace_labels `{}`.
//! * **E2** on day 2 (day 1 if `--days 1`) at 12:00 one worker node and one namespace switch to a second
//!   label set (`environment`/`team` change, `maintenance` added) and keep it, so that day's daily label
//!   files hold two label sets for the node/namespace.
//! * the keys `environment` and `app` appear on node, namespace and pod labels with different values.
//! * pods with keys `app.kubernetes.io/part-of` and `node-role.kubernetes.io/infra` (`.`, `-`, `/`,
//!   empty value); one pod with non-ASCII values (`équipe-données`, `東京🚀`, escaped `\uXXXX` by
//!   json.dumps incl. surrogate pairs). Pool keys `k000..` are meant to stay disabled.
//! * the last node is overcommitted (requests ×3): its pods' usage sum exceeds its capacity, so
//!   unallocated capacity goes negative (E11).
//!
//! With `--cluster-cases` too (off by default, so other output stays byte-identical), shapes for Koku's
//! cluster-information queries: the daily `node_role` column holds `worker` on every other pod of
//! `infra-000` and `gpu` on every other pod of `node-001` (NULL elsewhere); every other pod of the last
//! node runs on a second resource id (`<id>-replaced`); node labels gain `kubernetes_io_arch` (`amd64` on
//! the first node and the E2 node, whose changed label set says `S390X`, `ARM64` on every third node from
//! the second, absent elsewhere).
//!
//! Always present (not gated): `vm_kubevirt_io_name` on every 40th pod; Koku cost-category namespaces
//! (`openshift-*`, `kube-*`, `openshift`) and near misses (`openshift_x`, `Openshift-caps`, `kubex`);
//! short-lived pods (`--short-lived-pct`) whose first/last hours have pod seconds < 3600; storage knobs:
//! shared RWX volumes mounted by replica pods of one namespace on up to 3 nodes (E7), orphan storage rows
//! whose pod has no pod-usage row (E6), claimless PVs (`''` namespace/pod/node/pvc, 0.0 request/usage),
//! an in-tree storage class (`gp2`, empty csi_driver / csi_volume_handle). A `--days` range crossing a
//! month boundary writes both months' partitions with per-month report periods.
//!
//! # Modules
//! This file runs the generator: output folders, the task list, the worker threads. The flags and
//! the printed summary are [`GenerateArgs`] / [`GenerateSummary`] (`args`), the cluster is built by
//! `topology`, the Parquet files are written by `frames`, and `generate.json` by `manifest`.

mod args;
pub mod aws;
mod frames;
mod manifest;
mod rng;
pub(crate) mod time;
mod topology;
pub mod upload;
pub mod vmgpu;

pub use args::{GenerateArgs, GenerateSummary};

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use args::params_from;
use frames::{plan, run_task, Report, Schemas, Task, TaskResult};
use manifest::write_manifest;
use ocp_summary_ingest::pq;
use time::Segment;
use topology::Topology;

fn source_dir(args: &GenerateArgs, report: Report, daily: bool) -> PathBuf {
    let mut p = args.out.join("data").join("parquet");
    if daily {
        p.push("daily");
    }
    p.join(&args.org)
        .join("OCP")
        .join(report.dir())
        .join(format!("source={}", args.source))
}

fn partition_dir(args: &GenerateArgs, report: Report, seg: &Segment, daily: bool) -> PathBuf {
    source_dir(args, report, daily)
        .join(format!("year={:04}", seg.year))
        .join(format!("month={:02}", seg.month))
}

/// Runs the generator.
pub fn run(args: &GenerateArgs) -> anyhow::Result<GenerateSummary> {
    let t0 = Instant::now();
    let params = params_from(args)?;
    let threads = args
        .threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1);

    for report in Report::ALL {
        for daily in [false, true] {
            let dir = source_dir(args, report, daily);
            if dir.exists() {
                if args.force {
                    std::fs::remove_dir_all(&dir)
                        .with_context(|| format!("removing {}", dir.display()))?;
                } else {
                    bail!(
                        "{} already exists (use --force to replace it)",
                        dir.display()
                    );
                }
            }
        }
    }

    if params.vm_gpu {
        for dir in ["vm_usage", "gpu_usage"] {
            for daily in [false, true] {
                let mut p = args.out.join("data").join("parquet");
                if daily {
                    p.push("daily");
                }
                let p = p
                    .join(&args.org)
                    .join("OCP")
                    .join(dir)
                    .join(format!("source={}", args.source));
                if p.exists() {
                    if args.force {
                        std::fs::remove_dir_all(&p)
                            .with_context(|| format!("removing {}", p.display()))?;
                    } else {
                        bail!("{} already exists (use --force to replace it)", p.display());
                    }
                }
            }
        }
    }

    let aws_dir = args.out.join("aws");
    if args.aws && aws_dir.exists() {
        if args.force {
            std::fs::remove_dir_all(&aws_dir)
                .with_context(|| format!("removing {}", aws_dir.display()))?;
        } else {
            bail!(
                "{} already exists (use --force to replace it)",
                aws_dir.display()
            );
        }
    }

    let topo = Topology::build(&params);
    for seg in &topo.segments {
        for report in Report::ALL {
            for daily in [false, true] {
                let dir = partition_dir(args, report, seg, daily);
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
        }
    }
    let dirs = |r: Report, s: &Segment, d: bool| partition_dir(args, r, s, d);
    let tasks = plan(&topo, args.rows_per_file, &dirs);
    write_manifest(&args.out.join("generate.json"), args, &topo, &tasks)?;
    tracing::info!(
        tasks = tasks.len(),
        pods = topo.pods.len(),
        volumes = topo.volumes.len(),
        threads,
        "generating"
    );

    let schemas = Schemas::new();
    let props = pq::writer_props(args.rows_per_row_group, frames::PLAIN_COLUMNS);
    // Schedule big chunks first; results do not depend on the order.
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(tasks[i].rows), i));
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<(usize, TaskResult)>> = Mutex::new(Vec::with_capacity(tasks.len()));
    let first_err: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads.min(tasks.len().max(1)) {
            s.spawn(|| loop {
                if failed.load(Ordering::Relaxed) {
                    break;
                }
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(k) else { break };
                let task: &Task = &tasks[i];
                match run_task(&topo, &schemas, &props, args.rows_per_row_group, task)
                    .with_context(|| format!("writing {}", task.hourly_path.display()))
                {
                    Ok(r) => results.lock().unwrap().push((i, r)),
                    Err(e) => {
                        failed.store(true, Ordering::Relaxed);
                        first_err.lock().unwrap().get_or_insert(e);
                        break;
                    }
                }
            });
        }
    });
    if let Some(e) = first_err.into_inner().unwrap() {
        return Err(e);
    }
    let mut summary = GenerateSummary {
        out: args.out.clone(),
        hourly_files: 0,
        daily_files: 0,
        hourly_rows: [0; 4],
        daily_rows: [0; 4],
        bytes: 0,
        elapsed: Duration::ZERO,
        threads,
        extra_reports: Vec::new(),
        aws_reports: Vec::new(),
    };
    for (i, r) in results.into_inner().unwrap() {
        let k = tasks[i].report as usize;
        summary.hourly_files += 1;
        summary.daily_files += 1;
        summary.hourly_rows[k] += r.hourly_rows;
        summary.daily_rows[k] += r.daily_rows;
        summary.bytes += r.bytes;
    }
    if params.vm_gpu {
        let scratch = args.out.join(format!(
            ".ocp-summary-generate-vmgpu-{}",
            std::process::id()
        ));
        let res = vmgpu::write(
            &topo,
            &args.out,
            &scratch,
            &args.org,
            &args.source,
            args.rows_per_file,
        );
        let _ = std::fs::remove_dir_all(&scratch);
        for (name, st) in ["vm_usage", "gpu_usage"].into_iter().zip(res?) {
            summary.hourly_files += st.files.len() / 2;
            summary.daily_files += st.files.len() / 2;
            for f in &st.files {
                summary.bytes += std::fs::metadata(args.out.join(f)).map_or(0, |m| m.len());
            }
            summary.extra_reports.push((name, st.rows_read as u64));
        }
    }
    if args.aws {
        summary.aws_reports =
            aws::write(&topo, &args.out, &args.aws_cluster_id, args.seed)?.reports;
    }
    summary.elapsed = t0.elapsed();
    tracing::info!(
        files = summary.files(),
        bytes = summary.bytes,
        secs = summary.elapsed.as_secs_f64(),
        "done"
    );
    Ok(summary)
}
