//! The flags of `ocp-summary generate`, their checks, and the summary it prints: the command-line
//! surface, kept apart from the generator that [`crate::run`] drives.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;

use crate::frames::Report;
use crate::time::parse_date;
use crate::topology::Params;

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
    /// Add the cluster-information shapes (with edge cases on): operator `node_role` values on the
    /// daily pod rows of the first infra node (`worker`) and of `node-001` (`gpu`), every other pod
    /// of the last node on a second resource id, and `kubernetes_io_arch` node labels on some
    /// nodes (mixed case, one changing with the E2 label change). Off, the output is unchanged.
    #[arg(long)]
    pub cluster_cases: bool,
    /// Add KubeVirt VMs and GPUs: the VM pods become `virt-launcher-<vm>-xxxxx` pods labelled
    /// `vm_kubevirt_io_name` (one with several PVCs, one without, one stopping before the last
    /// day, one on the second-to-last day only), and the `vm_usage` and `gpu_usage` reports are
    /// written (dedicated and MIG GPUs, and a GPU node without pod rows). Off, the output is
    /// unchanged.
    #[arg(long)]
    pub vm_gpu: bool,
    /// Also write an AWS Cost and Usage Report matched to the cluster (EC2 instances of the
    /// nodes, EBS volumes of the PVs, network, savings-plan and reserved-instance lines), as masu
    /// receives it: `OUT/aws/<billing period>/` with the manifest and a `.csv.gz`, for
    /// `ingest --provider aws`. Off, the output is unchanged.
    #[arg(long)]
    pub aws: bool,
    /// `--aws`: the `openshift_cluster` tag value on the cluster's AWS resources (Koku matches it
    /// with the cluster id or alias).
    #[arg(long, default_value = "ocp-cluster-1")]
    pub aws_cluster_id: String,
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
    /// `--vm-gpu`: hourly rows of `vm_usage` and `gpu_usage` (empty without the flag).
    pub extra_reports: Vec<(&'static str, u64)>,
    /// `--aws`: (manifest, CSV, lines) per billing month (empty without the flag).
    pub aws_reports: Vec<(PathBuf, PathBuf, usize)>,
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
        for (name, rows) in &self.extra_reports {
            writeln!(f, "  {name:<17} {rows:>12} hourly rows")?;
        }
        for (manifest, _, lines) in &self.aws_reports {
            writeln!(f, "  aws cur {lines:>21} lines, {}", manifest.display())?;
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

pub(crate) fn params_from(args: &GenerateArgs) -> anyhow::Result<Params> {
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
        cluster_cases: !args.no_edge_cases && args.cluster_cases,
        vm_gpu: args.vm_gpu,
    })
}
