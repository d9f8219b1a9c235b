//! Flag definitions (clap derive).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Koku's OpenShift daily summary from Parquet, without Trino.
#[derive(Debug, Parser)]
#[command(name = "ocp-summary", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute the daily summary for one source and month.
    Run(RunArgs),
    /// Write a synthetic dataset in Koku's Parquet layout.
    Generate(crate::generate::GenerateArgs),
    /// Show which files, row groups, columns and bytes `run` would read, without computing.
    Plan(RunArgs),
    /// Decode every column of Parquet files (or folders of them) and report any that fail.
    Check(CheckArgs),
    /// Generate a sample and run the summary on it: the built-in demo.
    Demo(DemoArgs),
    /// Create Koku's tables (those missing) in a PostgreSQL schema.
    InitDb(InitDbArgs),
    /// Convert an operator payload (manifest.json + CSV reports) into Koku's Parquet layout.
    Ingest(crate::ingest::IngestArgs),
}

/// Where the database is: shared by `run` and `init-db`.
#[derive(Debug, Clone, Default, Args)]
pub struct DbArgs {
    /// PostgreSQL URL or libpq key=value string (sslmode=disable|prefer|require|verify-ca|verify-full,
    /// sslrootcert=FILE). With it, `run` reads the lookups from the database and writes rows to it.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Tenant schema holding Koku's tables; default for `run`: the org.
    #[arg(long)]
    pub schema: Option<String>,
    /// Connection attempts, with exponential backoff from 0.5 s (default 5).
    #[arg(long)]
    pub db_connect_attempts: Option<u32>,
    /// Retries of the whole transaction after a connection-class failure (default 3).
    #[arg(long)]
    pub db_retries: Option<u32>,
}

/// `ocp-summary init-db`.
#[derive(Debug, Clone, Args)]
pub struct InitDbArgs {
    #[command(flatten)]
    pub db: DbArgs,
}

/// `ocp-summary run`. Every option may also come from `--config FILE` (TOML, same names with `_`);
/// flags win over the file.
#[derive(Debug, Clone, Default, Args)]
pub struct RunArgs {
    /// TOML file with any of these options.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Root folder holding `data/parquet/...`.
    #[arg(long)]
    pub input: Option<String>,
    /// Organisation (tenant) id in the Parquet paths.
    #[arg(long)]
    pub org: Option<String>,
    /// Source (provider) uuid.
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long)]
    pub year: Option<i32>,
    #[arg(long)]
    pub month: Option<u32>,
    /// First day (YYYY-MM-DD); default: the first of the month.
    #[arg(long)]
    pub start: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD); default: the last of the month.
    #[arg(long)]
    pub end: Option<String>,
    #[arg(long)]
    pub cluster_id: Option<String>,
    /// Default: the cluster id.
    #[arg(long)]
    pub cluster_alias: Option<String>,
    #[arg(long)]
    pub report_period_id: Option<i32>,
    /// Enabled tag keys, comma separated (spec §3). `vm_kubevirt_io_name` is added when any is given.
    #[arg(long, value_delimiter = ',', conflicts_with = "no_enabled_keys")]
    pub enabled_keys: Option<Vec<String>>,
    /// No enabled keys: every label map becomes `{}` (spec E4). The default without a database.
    #[arg(long)]
    pub no_enabled_keys: bool,
    /// Cost-category namespace pattern, `PATTERN=ID` (SQL LIKE); repeatable.
    #[arg(long = "cost-category", value_name = "PATTERN=ID")]
    pub cost_categories: Vec<String>,
    /// Node role for unallocated rows, `NODE[@RESOURCE_ID]=ROLE` (a row of `reporting_ocp_nodes`);
    /// without `@RESOURCE_ID` it applies to every resource id of the node; repeatable.
    #[arg(long = "node-role", value_name = "NODE[@RESOURCE_ID]=ROLE")]
    pub node_roles: Vec<String>,
    /// Derive node roles from the input as Koku's `populate_node_table` does (spec §2.5);
    /// `--node-role` flags win for the (node, resource id) pairs they name.
    #[arg(long)]
    pub derive_node_roles: bool,
    /// Only the Pod query's own rows: no Storage and no unallocated rows, and storage files are
    /// not read. For comparisons with engines that run that query alone; refused with a
    /// database, whose day-range delete would drop the Storage rows.
    #[arg(long)]
    pub pod_only: bool,
    #[command(flatten)]
    pub db: DbArgs,
    /// Where rows go: `csv:PATH`, `csv:-` (stdout), `pgcopy:PATH` (binary COPY file) or `postgres`;
    /// default: `postgres` with `--database-url`, else stdout.
    #[arg(long)]
    pub output: Option<String>,
    /// Worker threads; default: the number of cores (at least 8 for S3 inputs, to overlap I/O).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Memory budget, e.g. 4G (default: 80% of RAM or the cgroup limit). Sizes the row groups in
    /// flight; a run whose tables would pass it stops with exit code 5 instead of being OOM-killed.
    #[arg(long, value_name = "SIZE")]
    pub memory_limit: Option<String>,
    /// Also write the run summary as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
    /// Also write the run summary in Prometheus text format (node_exporter textfile collector).
    #[arg(long, value_name = "PATH")]
    pub metrics: Option<PathBuf>,
    #[command(flatten)]
    pub s3: S3Args,
}

/// S3 connection flags, shared by `run --input s3://...` and `generate --out s3://...`.
/// Credentials come from the standard AWS environment variables, profile or config files.
#[derive(Debug, Clone, Default, Args)]
pub struct S3Args {
    /// S3 endpoint URL (MinIO, Ceph RGW, ...); default: AWS, or `AWS_ENDPOINT_URL`.
    #[arg(long)]
    pub s3_endpoint: Option<String>,
    /// S3 region; default: `AWS_REGION` or the profile, else us-east-1.
    #[arg(long)]
    pub s3_region: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), which MinIO and RGW need.
    #[arg(long)]
    pub s3_path_style: bool,
    /// Extra CA certificates (PEM) to trust besides the system roots; TLS verification stays on.
    #[arg(long, value_name = "PATH")]
    pub s3_ca_bundle: Option<PathBuf>,
    /// S3 requests in flight at most (default 16).
    #[arg(long, value_name = "N")]
    pub s3_concurrency: Option<usize>,
    /// Retries per S3 request on timeouts, 5xx, SlowDown, resets and short bodies (default 5).
    #[arg(long, value_name = "N")]
    pub s3_retries: Option<u32>,
}

impl S3Args {
    /// The settings, flags over `file` (the config file's values).
    pub fn settings(&self, file: S3Args) -> crate::source::s3::S3Settings {
        use crate::source::s3::{S3Settings, DEFAULT_CONCURRENCY, DEFAULT_RETRIES};
        S3Settings {
            endpoint: self.s3_endpoint.clone().or(file.s3_endpoint),
            region: self.s3_region.clone().or(file.s3_region),
            path_style: self.s3_path_style || file.s3_path_style,
            ca_bundle: self.s3_ca_bundle.clone().or(file.s3_ca_bundle),
            concurrency: self
                .s3_concurrency
                .or(file.s3_concurrency)
                .unwrap_or(DEFAULT_CONCURRENCY)
                .max(1),
            retries: self
                .s3_retries
                .or(file.s3_retries)
                .unwrap_or(DEFAULT_RETRIES),
        }
    }
}

/// `ocp-summary check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Parquet files or folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// `ocp-summary demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Folder for the generated sample and the output CSV.
    #[arg(long, default_value = "out/demo")]
    pub dir: PathBuf,
}
