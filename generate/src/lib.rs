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
//! Always present (not gated): `vm_kubevirt_io_name` on every 40th pod; Koku cost-category namespaces
//! (`openshift-*`, `kube-*`, `openshift`) and near misses (`openshift_x`, `Openshift-caps`, `kubex`);
//! short-lived pods (`--short-lived-pct`) whose first/last hours have pod seconds < 3600; storage knobs:
//! shared RWX volumes mounted by replica pods of one namespace on up to 3 nodes (E7), orphan storage rows
//! whose pod has no pod-usage row (E6), claimless PVs (`''` namespace/pod/node/pvc, 0.0 request/usage),
//! an in-tree storage class (`gp2`, empty csi_driver / csi_volume_handle). A `--days` range crossing a
//! month boundary writes both months' partitions with per-month report periods.

mod frames;
mod rng;
pub(crate) mod time;
mod topology;
pub mod upload;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use frames::{plan, run_task, Report, Schemas, Task, TaskResult};
use ocp_summary_ingest::masu_json::push_py_json_str;
use ocp_summary_ingest::pq;
use time::{civil_from_days, parse_date, Segment};
use topology::{Params, Topology};

/// Arguments of `ocp-summary generate`.
#[derive(clap::Args, Debug, Clone)]
pub struct GenerateArgs {
    /// Output directory (created if missing), or `s3://BUCKET[/PREFIX]` to upload;
    /// files go under <out>/data/parquet/...
    #[arg(long)]
    pub out: PathBuf,
    /// Organisation (tenant) id used in the path.
    #[arg(long, default_value = "org1234567")]
    pub org: String,
    /// Source (provider) UUID used in the `source=` partition.
    #[arg(long, default_value = "9c2b4a3e-5d1f-4e8a-b7c6-0f1e2d3c4b5a")]
    pub source: String,
    /// First day (UTC), YYYY-MM-DD.
    #[arg(long, default_value = "2026-03-01")]
    pub start: String,
    /// Number of days of hourly data.
    #[arg(long, default_value_t = 3)]
    pub days: u32,
    /// Number of nodes (≥ 4: one master-000 and one infra-000; ≥ 10: three masters, two infras).
    #[arg(long, default_value_t = 8)]
    pub nodes: u32,
    /// Namespaces per node (namespace names are unique across nodes).
    #[arg(long, default_value_t = 5)]
    pub namespaces_per_node: u32,
    /// Pods per namespace.
    #[arg(long, default_value_t = 25)]
    pub pods_per_namespace: u32,
    /// Labels per pod, drawn from the key pool.
    #[arg(long, default_value_t = 12)]
    pub labels_per_pod: u32,
    /// Size of the pod label key pool (app, environment, team, tier, version, cost_center, k000, ...).
    #[arg(long, default_value_t = 30)]
    pub label_key_cardinality: u32,
    /// Distinct values per label key.
    #[arg(long, default_value_t = 20)]
    pub label_value_cardinality: u32,
    /// Percentage of pods that are short-lived (start/stop mid-run, partial first/last hours).
    #[arg(long, default_value_t = 10.0)]
    pub short_lived_pct: f64,
    /// Hourly rows per file (Koku's chunk size); the daily rollup is per file.
    #[arg(long, default_value_t = 200_000)]
    pub rows_per_file: usize,
    /// Rows per Parquet row group.
    #[arg(long, default_value_t = 100_000)]
    pub rows_per_row_group: usize,
    /// Random seed; same seed and parameters give byte-identical output.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Each pod gets 0..=N persistent volume claims.
    #[arg(long, default_value_t = 1)]
    pub pvcs_per_pod: u32,
    /// RWX volumes mounted by pods on several nodes.
    #[arg(long, default_value_t = 2)]
    pub shared_volumes: u32,
    /// PVs without a claim (empty namespace/pod/node/pvc).
    #[arg(long, default_value_t = 2)]
    pub claimless_volumes: u32,
    /// Storage rows whose pod has no pod-usage row.
    #[arg(long, default_value_t = 2)]
    pub orphan_storage: u32,
    /// Number of storage classes (the first, gp2, is in-tree without CSI driver).
    #[arg(long, default_value_t = 3)]
    pub storage_classes: u32,
    /// Number of CSI drivers.
    #[arg(long, default_value_t = 2)]
    pub csi_drivers: u32,
    /// Turn off the edge-case shapes (see module docs / generate.json).
    #[arg(long)]
    pub no_edge_cases: bool,
    /// Worker threads (default: available parallelism).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Replace existing output of the same org/source under --out.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub s3: ocp_summary_engine::plan::options::S3Options,
}

/// What `generate` wrote.
#[derive(Debug, Clone)]
pub struct GenerateSummary {
    pub out: PathBuf,
    pub hourly_files: usize,
    pub daily_files: usize,
    /// Hourly rows per report, in order pod_usage, storage_usage, node_labels, namespace_labels.
    pub hourly_rows: [u64; 4],
    /// Daily rows per report, same order.
    pub daily_rows: [u64; 4],
    pub bytes: u64,
    pub elapsed: Duration,
    pub threads: usize,
}

impl GenerateSummary {
    pub fn files(&self) -> usize {
        self.hourly_files + self.daily_files
    }
}

impl fmt::Display for GenerateSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        let total: u64 = self.hourly_rows.iter().sum();
        writeln!(
            f,
            "wrote {} parquet files ({} hourly, {} daily), {:.1} MiB under {}",
            self.files(),
            self.hourly_files,
            self.daily_files,
            self.bytes as f64 / (1024.0 * 1024.0),
            self.out.display()
        )?;
        for (i, r) in Report::ALL.iter().enumerate() {
            writeln!(
                f,
                "  {:<17} {:>12} hourly rows {:>10} daily rows",
                r.dir(),
                self.hourly_rows[i],
                self.daily_rows[i]
            )?;
        }
        write!(
            f,
            "{:.2}s on {} threads: {:.0} hourly rows/s ({:.0} pod rows/s)",
            secs,
            self.threads,
            total as f64 / secs.max(1e-9),
            self.hourly_rows[0] as f64 / secs.max(1e-9)
        )
    }
}

fn params_from(args: &GenerateArgs) -> anyhow::Result<Params> {
    if args.days == 0 {
        bail!("--days must be at least 1");
    }
    if args.nodes == 0 || args.namespaces_per_node == 0 {
        bail!("--nodes and --namespaces-per-node must be at least 1");
    }
    if args.rows_per_file == 0 || args.rows_per_row_group == 0 {
        bail!("--rows-per-file and --rows-per-row-group must be at least 1");
    }
    if !(0.0..=100.0).contains(&args.short_lived_pct) {
        bail!("--short-lived-pct must be within 0..=100");
    }
    let ok_uuid = args.source.len() == 36
        && args.source.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if !ok_uuid {
        bail!("--source must be a UUID, got {:?}", args.source);
    }
    if args.org.is_empty() || args.org.contains(['/', '\\']) {
        bail!("--org must be a non-empty path segment");
    }
    Ok(Params {
        seed: args.seed,
        start_day: parse_date(&args.start)?,
        days: args.days,
        nodes: args.nodes,
        namespaces_per_node: args.namespaces_per_node,
        pods_per_namespace: args.pods_per_namespace,
        labels_per_pod: args.labels_per_pod,
        label_key_cardinality: args.label_key_cardinality,
        label_value_cardinality: args.label_value_cardinality,
        short_lived_pct: args.short_lived_pct,
        pvcs_per_pod: args.pvcs_per_pod,
        shared_volumes: args.shared_volumes,
        claimless_volumes: args.claimless_volumes,
        orphan_storage: args.orphan_storage,
        storage_classes: args.storage_classes,
        csi_drivers: args.csi_drivers,
        edge_cases: !args.no_edge_cases,
    })
}

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
    };
    for (i, r) in results.into_inner().unwrap() {
        let k = tasks[i].report as usize;
        summary.hourly_files += 1;
        summary.daily_files += 1;
        summary.hourly_rows[k] += r.hourly_rows;
        summary.daily_rows[k] += r.daily_rows;
        summary.bytes += r.bytes;
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

// ------------------------------------------------------------------------------------------------ manifest

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

fn write_manifest(
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
        (
            "params",
            J::O(vec![
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
            ]),
        ),
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
    let mut s = String::new();
    doc.write(&mut s, 0);
    s.push('\n');
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    std::fs::write(path, s).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
