//! The `ocp-summary` binary: flags in, exit code out.
//!
//! The pipeline is the `ocp-summary-engine` crate; the generator and the ingester are crates of
//! their own. This crate parses the command line, dispatches to them, and maps their typed errors
//! to exit codes.

mod cli;
mod commands;

use clap::Parser;
use cli::{Cli, LogFormat};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_t`. libmimalloc-sys is pinned to exactly
/// 0.1.49 in Cargo.toml because it exports no named constant for this option and the numbers
/// of `mi_option_t` have changed between mimalloc versions; `purge_delay_is_option_15` checks it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Return freed pages to the OS after 1 ms instead of mimalloc v3's default of 1000 ms. A run
    // frees each day's tables and rows as the next day is built, and with the default those pages
    // stay resident. Measured at L with huge pages off (docs/benchmarks/main-thread.md): on
    // 11-27, 1 ms 1.86 s / 127 MiB, 10 ms 1.82 s / 137 MiB, 100 ms 1.70 s / 168 MiB, 1000 ms
    // 1.66 s / 190 MiB (3 runs each); on 12-03, after the runs got shorter, 1 ms cost no time
    // and 8-9 MiB less than 10 ms (all kinds 1.12 s / 135 MiB against 1.13 s / 147 MiB,
    // `--pod-only` 0.65 s / 98 MiB against 0.65 s / 108 MiB, 5 runs each); 0 ms saved 3 MiB
    // more and cost 6% of the time. `MIMALLOC_PURGE_DELAY` still overrides this default.
    // SAFETY: mi_option_set_default only stores an integer in mimalloc's option table; any
    // value is valid for this option, and no allocation depends on it yet being unchanged.
    unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, 1) };
    disable_transparent_huge_pages();
    let cli = Cli::parse();
    init_logging(cli.log_format);
    // A panic is a bug: report it as an internal error (exit 1), never as a success.
    let outcome = std::panic::catch_unwind(move || commands::dispatch(cli.command));
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

/// Transparent huge pages off for this process, unless `MIMALLOC_ALLOW_THP` asks otherwise.
///
/// With THP on, every page mimalloc purged and reuses faults in as a 2 MiB page, zeroed whole:
/// at L a third of the merging thread's samples were page faults, and the huge pages held partly
/// used memory resident. Off, the same run took 1.86 s instead of 2.0 s and peaked at 125 MiB
/// instead of 188 MiB (4 runs each). mimalloc's own `allow_thp` option is read before `main`, so
/// it cannot be defaulted from here; the process flag it would set is set directly instead.
fn disable_transparent_huge_pages() {
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and sets a flag on this process's
    // memory map; it touches no memory of ours. A failure (an old kernel) leaves THP as it was.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OCP_SUMMARY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_pages_are_turned_off() {
        let thp = || {
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let line = status.lines().find(|l| l.starts_with("THP_enabled:"));
            line.map(|l| l.split_whitespace().nth(1) == Some("1"))
        };
        if thp().is_none() || std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
            return; // a kernel without the status line, or THP asked for
        }
        disable_transparent_huge_pages();
        assert_eq!(thp(), Some(false));
    }

    #[test]
    fn purge_delay_is_option_15() {
        // The pinned mimalloc v3 gives purge_delay a default of 1000 ms (src/options.c); the
        // options next to it (a deprecated one, use_numa_nodes) default to 0. A different number
        // here would silently tune some other option.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: mi_option_get only reads an integer from mimalloc's option table.
        let value = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(value, 1000);
    }
}
