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
