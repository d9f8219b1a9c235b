//! The `ocp-summary` binary: flags in, exit code out. The pipeline lives in the library (`lib.rs`).

use clap::Parser;
use ocp_summary::cli::{self, Cli, Command};
use ocp_summary::{error, generate, run};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    // A panic is a bug: report it as an internal error (exit 1), never as a success.
    let outcome = std::panic::catch_unwind(move || dispatch(cli.command));
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("ocp-summary: {e}");
            e.exit_code()
        }
        Err(_) => {
            eprintln!("ocp-summary: internal error (a bug): see the panic message above");
            ExitCode::from(1)
        }
    }
}

fn dispatch(command: Command) -> Result<(), error::RunError> {
    match command {
        Command::Run(args) => run::run_command(&args),
        Command::Generate(args) => generate::upload::run(&args)
            .map(|summary| eprintln!("{summary}"))
            .map_err(|e| error::RunError::BadInput(format!("{e:#}"))),
        Command::Plan(args) => run::plan_command(&args),
        Command::Check(args) => ocp_summary::check::check_command(&args),
        Command::Demo(args) => run::demo(&args),
        Command::InitDb(args) => run::init_db(&args),
        Command::Ingest(args) => {
            ocp_summary::ingest::ingest(&args).map(|summary| eprint!("{summary}"))
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
