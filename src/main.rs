//! `ocp-summary`: Koku's OpenShift daily summary from Parquet, without Trino.
//!
//! The binary only wires stages together; each folder is one stage of the pipeline:
//! `source` (objects and byte ranges) → `decode` (pages → ids and numbers, via the `kernels`
//! crate) → `aggregate` (per-row-group partials, merged) → `rows` (Koku's joins and formulas) →
//! `sink` (CSV). `plan` validates a run before any of that starts.

mod aggregate;
mod catalog;
mod cli;
mod decode;
mod error;
mod generate;
mod plan;
mod rows;
mod run;
mod sink;
mod source;

use clap::Parser;
use cli::{Cli, Command};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let result = match cli.command {
        Command::Run(args) => run::run_command(&args),
        Command::Generate(args) => generate::upload::run(&args)
            .map(|summary| eprintln!("{summary}"))
            .map_err(|e| error::RunError::BadInput(format!("{e:#}"))),
        Command::Demo(args) => run::demo(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ocp-summary: {e}");
            e.exit_code()
        }
    }
}

fn init_logging(format: cli::args::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OCP_SUMMARY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        cli::args::LogFormat::Text => builder.init(),
        cli::args::LogFormat::Json => builder.json().init(),
    }
}
