//! A run's options as given: flags, the TOML config file, or a library caller.
//!
//! Like ripgrep's low-level arguments, these types only hold what was given; [`super::Plan`]
//! validates them. With the `clap` feature the same structs are the command line's flags, so a
//! flag, its config key and its library field cannot drift apart.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `ocp-summary run`. Every option may also come from `--config FILE` (TOML, same names with `_`);
/// flags win over the file.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct RunOptions {
    /// TOML file with any of these options.
    #[cfg_attr(feature = "clap", arg(long))]
    pub config: Option<PathBuf>,
    /// Root folder holding `data/parquet/...`.
    #[cfg_attr(feature = "clap", arg(long))]
    pub input: Option<String>,
    /// Organisation (tenant) id in the Parquet paths.
    #[cfg_attr(feature = "clap", arg(long))]
    pub org: Option<String>,
    /// Source (provider) uuid.
    #[cfg_attr(feature = "clap", arg(long))]
    pub source: Option<String>,
    #[cfg_attr(feature = "clap", arg(long))]
    pub year: Option<i32>,
    #[cfg_attr(feature = "clap", arg(long))]
    pub month: Option<u32>,
    /// First day (YYYY-MM-DD); default: the first of the month.
    #[cfg_attr(feature = "clap", arg(long))]
    pub start: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD); default: the last of the month.
    #[cfg_attr(feature = "clap", arg(long))]
    pub end: Option<String>,
    #[cfg_attr(feature = "clap", arg(long))]
    pub cluster_id: Option<String>,
    /// Default: the cluster id.
    #[cfg_attr(feature = "clap", arg(long))]
    pub cluster_alias: Option<String>,
    #[cfg_attr(feature = "clap", arg(long))]
    pub report_period_id: Option<i32>,
    /// Enabled tag keys, comma separated (spec §3). `vm_kubevirt_io_name` is added when any is given.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_delimiter = ',', conflicts_with = "no_enabled_keys")
    )]
    pub enabled_keys: Option<Vec<String>>,
    /// No enabled keys: every label map becomes `{}` (spec E4). The default without a database.
    #[cfg_attr(feature = "clap", arg(long))]
    pub no_enabled_keys: bool,
    /// Cost-category namespace pattern, `PATTERN=ID` (SQL LIKE); repeatable.
    #[cfg_attr(
        feature = "clap",
        arg(long = "cost-category", value_name = "PATTERN=ID")
    )]
    pub cost_categories: Vec<String>,
    /// Node role for unallocated rows, `NODE[@RESOURCE_ID]=ROLE` (a row of `reporting_ocp_nodes`);
    /// without `@RESOURCE_ID` it applies to every resource id of the node; repeatable.
    #[cfg_attr(
        feature = "clap",
        arg(long = "node-role", value_name = "NODE[@RESOURCE_ID]=ROLE")
    )]
    pub node_roles: Vec<String>,
    /// Derive node roles from the input as Koku's `populate_node_table` does (spec §2.5), for the
    /// (node, resource id) pairs that neither a `--node-role` flag nor the database names. The
    /// default; kept so older command lines still parse.
    #[cfg_attr(
        feature = "clap",
        arg(long, conflicts_with = "no_derive_node_roles", hide = true)
    )]
    pub derive_node_roles: bool,
    /// Do not derive node roles: a node without a `--node-role` flag or a database row gets no
    /// role, and its unallocated rows a NULL namespace (spec E10).
    #[cfg_attr(feature = "clap", arg(long))]
    pub no_derive_node_roles: bool,
    /// With a database: do not write Koku's cluster tables (`reporting_ocp_clusters`, `_nodes`,
    /// `_pvcs`, `_projects`), which `run` otherwise fills from the same scan and in the same
    /// transaction, as masu's `populate_openshift_cluster_information_tables` does before the
    /// summary.
    #[cfg_attr(feature = "clap", arg(long))]
    pub no_cluster_tables: bool,
    /// Do not compute Koku's usage-only GPU summary (`reporting_ocp_gpu_summary_p`), which `run`
    /// otherwise writes from the daily GPU rows: into the table with a database (unless the
    /// source's cost model prices GPUs), else into `<output>.gpu_summary.csv` beside a CSV or
    /// PGCOPY file.
    #[cfg_attr(feature = "clap", arg(long))]
    pub no_gpu_summary: bool,
    /// Do not compute the rows of Koku's VM temp table (`tmp_virt_<uuid>`: VM, node, PVC and
    /// requests), which `run` otherwise writes into `<output>.vm_tmp.csv` beside a CSV or PGCOPY
    /// file.
    #[cfg_attr(feature = "clap", arg(long))]
    pub no_vm_rows: bool,
    /// Only the Pod query's own rows: no Storage and no unallocated rows, and neither storage
    /// files nor the inputs node roles are derived from are read. For comparisons with engines
    /// that run that query alone; refused with a database, whose day-range delete would drop
    /// the Storage rows.
    #[cfg_attr(feature = "clap", arg(long))]
    pub pod_only: bool,
    /// How columns are decoded: `kernels` (our page kernels, the default) or `reference` (the
    /// parquet crate's own typed column readers: slower, the same rows; the fallback if a kernel
    /// is ever in doubt).
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub decode: Option<DecodeMode>,
    /// `on` (default): each distinct label string is parsed once and label merges are memoised;
    /// `off`: every row's labels are parsed and merged again.
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub label_memo: Option<Switch>,
    /// `days` (default): rows go out one batch of complete days at a time, so memory holds the
    /// days in flight; `month`: the whole month is held and written at the end.
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub streaming: Option<Streaming>,
    /// How a CSV or PGCOPY file is written: `direct` (default: around the page cache with
    /// `O_DIRECT`, buffered where the file system refuses it) or `buffered` (through the page
    /// cache).
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub output_io: Option<OutputIo>,
    /// The PostgreSQL load's COPY format: `binary` (default) or `text` (CSV).
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub copy: Option<CopyFormat>,
    #[cfg_attr(feature = "clap", command(flatten))]
    pub db: DbOptions,
    /// Where rows go: `csv:PATH`, `csv:-` (stdout), `pgcopy:PATH` (binary COPY file) or `postgres`;
    /// default: `postgres` with `--database-url`, else stdout.
    #[cfg_attr(feature = "clap", arg(long))]
    pub output: Option<String>,
    /// Worker threads; default: the number of cores (S3 inputs too, since the read-ahead overlaps
    /// the waits; at least 8 with `--s3-read-ahead 0`).
    #[cfg_attr(feature = "clap", arg(long))]
    pub threads: Option<usize>,
    /// Memory budget, e.g. 4G (default: 80% of RAM or the cgroup limit). Sizes the row groups in
    /// flight; a run whose tables would pass it stops with exit code 5 instead of being OOM-killed.
    #[cfg_attr(feature = "clap", arg(long, value_name = "SIZE"))]
    pub memory_limit: Option<String>,
    /// Also write the run summary as JSON to this file.
    #[cfg_attr(feature = "clap", arg(long, value_name = "PATH"))]
    pub report_json: Option<PathBuf>,
    /// Also write the run summary in Prometheus text format (node_exporter textfile collector).
    #[cfg_attr(feature = "clap", arg(long, value_name = "PATH"))]
    pub metrics: Option<PathBuf>,
    #[cfg_attr(feature = "clap", command(flatten))]
    pub s3: S3Options,
}

/// How columns are decoded (`--decode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum DecodeMode {
    /// Our page kernels.
    #[default]
    Kernels,
    /// The parquet crate's typed column readers.
    Reference,
}

/// An on/off switch (`--label-memo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Switch {
    #[default]
    On,
    Off,
}

/// How rows leave the engine (`--streaming`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Streaming {
    /// One batch of complete days at a time.
    #[default]
    Days,
    /// The whole month at the end.
    Month,
}

/// How output files are written (`--output-io`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum OutputIo {
    /// Around the page cache (`O_DIRECT`) where the file system allows it.
    #[default]
    Direct,
    /// Through the page cache.
    Buffered,
}

/// The PostgreSQL load's COPY format (`--copy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum CopyFormat {
    #[default]
    Binary,
    /// CSV, as `--output csv:` writes it.
    Text,
}

/// Where the database is: shared by `run` and `init-db`.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct DbOptions {
    /// PostgreSQL URL or libpq key=value string (sslmode=disable|prefer|require|verify-ca|verify-full,
    /// sslrootcert=FILE). With it, `run` reads the lookups from the database and writes rows to it;
    /// `ingest` records the label keys it saw as disabled tag keys.
    #[cfg_attr(
        feature = "clap",
        arg(long, env = "DATABASE_URL", hide_env_values = true)
    )]
    pub database_url: Option<String>,
    /// Tenant schema holding Koku's tables; default for `run` and `ingest`: the org.
    #[cfg_attr(feature = "clap", arg(long))]
    pub schema: Option<String>,
    /// Connection attempts, with exponential backoff from 0.5 s (default 5).
    #[cfg_attr(feature = "clap", arg(long))]
    pub db_connect_attempts: Option<u32>,
    /// Retries of the whole transaction after a connection-class failure (default 3).
    #[cfg_attr(feature = "clap", arg(long))]
    pub db_retries: Option<u32>,
}

/// S3 connection flags, shared by `run --input s3://...` and `generate --out s3://...`.
/// Credentials come from the standard AWS environment variables, profile or config files.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct S3Options {
    /// S3 endpoint URL (MinIO, Ceph RGW, ...); default: AWS, or `AWS_ENDPOINT_URL`.
    #[cfg_attr(feature = "clap", arg(long))]
    pub s3_endpoint: Option<String>,
    /// S3 region; default: `AWS_REGION` or the profile, else us-east-1.
    #[cfg_attr(feature = "clap", arg(long))]
    pub s3_region: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), which MinIO and RGW need.
    #[cfg_attr(feature = "clap", arg(long))]
    pub s3_path_style: bool,
    /// Extra CA certificates (PEM) to trust besides the system roots; TLS verification stays on.
    #[cfg_attr(feature = "clap", arg(long, value_name = "PATH"))]
    pub s3_ca_bundle: Option<PathBuf>,
    /// S3 requests in flight at most (default 128).
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub s3_concurrency: Option<usize>,
    /// Retries per S3 request on timeouts, 5xx, SlowDown, resets and short bodies (default 5).
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub s3_retries: Option<u32>,
    /// Row groups whose ranged GETs start while earlier ones decode (default 16; 0: off); more
    /// while the reads held stay within 16 MiB. The reads ahead also stay within
    /// `--s3-concurrency` requests and an eighth of `--memory-limit`.
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub s3_read_ahead: Option<usize>,
    /// A static key pair from a library caller (the Python package's `S3_ACCESS_KEY` and
    /// `S3_SECRET`); never a flag or a config key, so a secret stays out of shell history and
    /// files. `None`: the AWS default chain.
    #[cfg_attr(feature = "clap", arg(skip))]
    pub credentials: Option<crate::source::s3::S3Credentials>,
}

impl S3Options {
    /// The settings, flags over `file` (the config file's values).
    pub fn settings(&self, file: S3Options) -> crate::source::s3::S3Settings {
        use crate::source::s3::{
            S3Settings, DEFAULT_CONCURRENCY, DEFAULT_READ_AHEAD, DEFAULT_RETRIES,
        };
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
            read_ahead: self
                .s3_read_ahead
                .or(file.s3_read_ahead)
                .unwrap_or(DEFAULT_READ_AHEAD),
            credentials: self.credentials.clone(),
        }
    }
}

/// The optional TOML config file for `run`. Keys are the flag names with `_` for `-`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub input: Option<String>,
    pub org: Option<String>,
    pub source: Option<String>,
    pub year: Option<i32>,
    pub month: Option<u32>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub cluster_id: Option<String>,
    pub cluster_alias: Option<String>,
    pub report_period_id: Option<i32>,
    pub enabled_keys: Option<Vec<String>>,
    pub no_enabled_keys: Option<bool>,
    pub cost_categories: Option<Vec<String>>,
    pub node_roles: Option<Vec<String>>,
    pub derive_node_roles: Option<bool>,
    pub cluster_tables: Option<bool>,
    pub gpu_summary: Option<bool>,
    pub vm_rows: Option<bool>,
    pub pod_only: Option<bool>,
    pub decode: Option<DecodeMode>,
    pub label_memo: Option<Switch>,
    pub streaming: Option<Streaming>,
    pub output_io: Option<OutputIo>,
    pub copy: Option<CopyFormat>,
    pub output: Option<String>,
    pub threads: Option<usize>,
    pub memory_limit: Option<String>,
    pub report_json: Option<PathBuf>,
    pub metrics: Option<PathBuf>,
    pub database_url: Option<String>,
    pub schema: Option<String>,
    pub db_connect_attempts: Option<u32>,
    pub db_retries: Option<u32>,
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_path_style: Option<bool>,
    pub s3_ca_bundle: Option<PathBuf>,
    pub s3_concurrency: Option<usize>,
    pub s3_retries: Option<u32>,
    pub s3_read_ahead: Option<usize>,
}

impl ConfigFile {
    pub fn load(path: &Path) -> anyhow::Result<ConfigFile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))
    }
}
