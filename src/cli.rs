//! The command line (clap derive): subcommands and the flags that only the binary has.
//!
//! `run`'s options are the engine's [`RunOptions`], which derive their flags with the engine's
//! `clap` feature; `generate` and `ingest` bring their own argument structs.

use clap::{Args, Parser, Subcommand};
use ocp_summary_engine::cluster::ClusterQuery;
use ocp_summary_engine::plan::options::{DbOptions, RunOptions};
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
    Run(RunOptions),
    /// Write a synthetic dataset in Koku's Parquet layout.
    Generate(ocp_summary_generate::GenerateArgs),
    /// Show which files, row groups, columns and bytes `run` would read, without computing.
    Plan(RunOptions),
    /// Decode every column of Parquet files (or folders of them) and report any that fail.
    Check(CheckArgs),
    /// Generate a sample and run the summary on it: the built-in demo.
    Demo(DemoArgs),
    /// Create Koku's tables (those missing) in a PostgreSQL schema.
    InitDb(InitDbArgs),
    /// Koku's cluster-information queries (nodes, PVCs, projects, timestamps) as CSV.
    ClusterInfo(ClusterInfoArgs),
    /// Koku's `get_max_min_timestamp_sql`: min and max `interval_start` of the daily pod rows.
    MaxMinTimestamp(RunOptions),
    /// Convert an operator payload (manifest.json + CSV reports), or with `--provider aws` an AWS
    /// Cost and Usage Report, into Koku's Parquet layout.
    Ingest(ocp_summary_ingest::IngestArgs),
    /// masu's cost-model steps that run on Trino (VM, GPU and project rates), as CSV.
    CostModel(CostModelArgs),
    /// Koku's OpenShift-on-AWS cost split (`reporting_ocpawscostlineitem_project_daily_summary_p`
    /// and the back-populated infrastructure costs of the daily summary), into the database or
    /// as CSV.
    OcpOnAws(OcpOnAwsArgs),
    /// Koku's `reporting_ocpinfrastructure_provider_map.sql`: the (OpenShift source, AWS source)
    /// pairs whose resource ids match, as CSV `ocp_uuid,infra_uuid,type`.
    InfraMap(InfraMapArgs),
}

/// `ocp-summary infra-map`.
#[derive(Debug, Clone, Args)]
pub struct InfraMapArgs {
    /// Root holding the OpenShift `data/parquet/...` (a folder or `s3://BUCKET[/PREFIX]`).
    #[arg(long, value_name = "DIR|s3://BUCKET[/PREFIX]")]
    pub input: String,
    /// Root of the AWS Parquet; default: --input.
    #[arg(long, value_name = "DIR|s3://BUCKET[/PREFIX]")]
    pub aws_input: Option<String>,
    /// Organisation (tenant) id in the Parquet paths.
    #[arg(long)]
    pub org: String,
    #[arg(long)]
    pub year: i32,
    #[arg(long)]
    pub month: u32,
    /// First day (YYYY-MM-DD); default: the first of the month.
    #[arg(long)]
    pub start: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD); default: the last of the month.
    #[arg(long)]
    pub end: Option<String>,
    /// Only this OpenShift source (`ocp_provider_uuid`).
    #[arg(long, value_name = "UUID")]
    pub source: Option<String>,
    /// Only this AWS source (`aws_provider_uuid`).
    #[arg(long, value_name = "UUID")]
    pub aws_source: Option<String>,
    #[command(flatten)]
    pub s3: ocp_summary_engine::plan::options::S3Options,
    /// Write the CSV here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `ocp-summary ocp-on-aws`: `run`'s options name the OpenShift source (`--input`, `--source`,
/// `--year/--month`, `--start/--end`, `--cluster-id`, `--cluster-alias`, `--report-period-id`,
/// `--enabled-keys` = the keys enabled for OCP).
#[derive(Debug, Clone, Args)]
pub struct OcpOnAwsArgs {
    #[command(flatten)]
    pub run: RunOptions,
    /// Root of the AWS Parquet (`data/parquet[/daily]/ORG/AWS/...`); default: --input.
    #[arg(long, value_name = "DIR|s3://BUCKET[/PREFIX]")]
    pub aws_input: Option<String>,
    /// The AWS source's UUID.
    #[arg(long, value_name = "UUID")]
    pub aws_source: String,
    /// The AWS bill's id (`cost_entry_bill_id`).
    #[arg(long)]
    pub bill_id: i64,
    /// The cost model's markup as a fraction (0.1 for 10 %).
    #[arg(long, default_value = "0")]
    pub markup: String,
    /// Which usage splits a node's instance cost.
    #[arg(long, value_enum, default_value_t = DistributionArg::Cpu)]
    pub distribution: DistributionArg,
    /// Tag keys enabled for AWS (`reporting_enabledtagkeys`, provider AWS).
    #[arg(long, value_delimiter = ',', value_name = "K1,K2")]
    pub aws_enabled_keys: Vec<String>,
    /// A `reporting_awsaccountalias` row; repeatable.
    #[arg(long = "account-alias", value_name = "ACCOUNT=ID")]
    pub account_aliases: Vec<String>,
    /// The OpenShift daily summary as `run --output csv:` wrote it (a `csi_volume_handle` column
    /// is used if present, else taken from the storage Parquet); default, with --database-url:
    /// the rows `run` wrote to the daily summary table.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Write the project rows to this CSV file instead of the database (--database-url).
    #[arg(long, value_name = "FILE")]
    pub output_project: Option<PathBuf>,
    /// Where to write the back-populated daily-summary rows (CSV; only with --output-project).
    #[arg(long, value_name = "FILE", requires = "output_project")]
    pub output_back_populate: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DistributionArg {
    Cpu,
    Memory,
}

/// `ocp-summary cost-model`.
#[derive(Debug, Clone, Args)]
pub struct CostModelArgs {
    #[command(flatten)]
    pub run: RunOptions,
    /// Koku's cost model row (`{"uuid", "rates", "distribution_info"}`) as a JSON or TOML file
    /// (default: the source's cost model in the --database-url schema).
    #[arg(long, value_name = "FILE")]
    pub cost_model: Option<PathBuf>,
    /// The daily summary as `run --output csv:` wrote it (default: the --database-url table).
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Write the cost rows to this CSV file instead of the database.
    #[arg(long = "cost-output", value_name = "FILE")]
    pub cost_output: Option<PathBuf>,
    /// Do not delete the source's tag-rate rows of the range before the tag steps (masu's
    /// `_delete_tag_usage_costs`): for callers that ran that delete already.
    #[arg(long)]
    pub no_tag_delete: bool,
    /// Run the `_rtu` twins, which write `rates_to_usage` (masu's rates-to-usage pipeline), and
    /// the unallocated GPU distribution when the cost model's `distribution_info` asks for it.
    #[arg(long)]
    pub rates_to_usage: bool,
}

/// `ocp-summary init-db`.
#[derive(Debug, Clone, Args)]
pub struct InitDbArgs {
    #[command(flatten)]
    pub db: DbOptions,
}

/// `ocp-summary cluster-info`.
#[derive(Debug, Clone, Args)]
pub struct ClusterInfoArgs {
    #[command(flatten)]
    pub run: RunOptions,
    /// Print only this query's CSV (default: every query, each after a `# QUERY` line).
    #[arg(long, value_enum)]
    pub query: Option<ClusterQuery>,
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
