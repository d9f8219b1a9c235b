//! The `ocp-summary` binary: flags in, exit code out. The pipeline lives in the library (`lib.rs`).

use clap::Parser;
use ocp_summary::cli::{self, Cli, Command};
use ocp_summary::{error, generate, run};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_t` (libmimalloc-sys 0.1.49 builds v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Return freed pages to the OS after 1 ms instead of 10. A run frees each day's tables and
    // rows as the next day is built, and with 10 ms those pages stayed resident (peak RSS at L
    // 282 MiB against 147 MiB with 0). 0 refaults every decompressed page (sys time at XL
    // 4.3-5.2 s); 1 keeps the low peak (+4%) at 2.6 s (docs/benchmarks). `MIMALLOC_PURGE_DELAY`
    // still overrides this default.
    // SAFETY: mi_option_set_default only stores an integer in mimalloc's option table; any
    // value is valid for this option, and no allocation depends on it yet being unchanged.
    unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, 1) };
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
