//! Operator-facing outputs: `plan`, `--report-json`, `--metrics`, and exit codes.

mod common;

use common::*;
use tempfile::TempDir;

fn run_args(dir: &std::path::Path) -> Vec<String> {
    [
        "--input",
        &dir.display().to_string(),
        "--org",
        ORG,
        "--source",
        SOURCE,
        "--year",
        "2026",
        "--month",
        "3",
        "--cluster-id",
        "c1",
        "--enabled-keys",
        "app",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn report_json_and_metrics_describe_the_run() {
    let dir = TempDir::new().unwrap();
    let small_groups = ["--rows-per-file", "500", "--rows-per-row-group", "250"];
    generate(
        dir.path(),
        &[&["--days", "2", "--nodes", "3"][..], &small_groups].concat(),
    );
    let csv = dir.path().join("out.csv");
    let json = dir.path().join("report.json");
    let prom = dir.path().join("metrics.prom");
    let out = bin()
        .arg("run")
        .args(run_args(dir.path()))
        .arg("--output")
        .arg(format!("csv:{}", csv.display()))
        .arg("--report-json")
        .arg(&json)
        .arg("--metrics")
        .arg(&prom)
        .output()
        .unwrap();
    check(out, "run");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        report["rows_out"].as_u64().unwrap() as usize,
        csv_rows(&csv)
    );
    assert_eq!(report["success"], true);
    // Two generated days, written one complete day at a time.
    assert_eq!(report["day_batches"], 2, "{report}");
    assert!(report["max_batch_rows"].as_u64().unwrap() < report["rows_out"].as_u64().unwrap());
    assert!(report["peak_rss_bytes"].as_u64().unwrap() > 1 << 20);
    for stage in ["plan", "aggregate", "write"] {
        assert!(
            report["stages_seconds"][stage].is_number(),
            "stage {stage} missing"
        );
    }
    let pod_daily = report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["table"] == "openshift_pod_usage_line_items_daily")
        .unwrap();
    assert!(pod_daily["rows"].as_u64().unwrap() > 0);
    assert!(pod_daily["bytes"].as_u64().unwrap() > 0);

    let metrics = std::fs::read_to_string(&prom).unwrap();
    // Every sample carries the run's source and month, so one textfile collector holds many runs.
    let labels = format!("source=\"{SOURCE}\",month=\"2026-03\"");
    assert!(
        metrics.contains(&format!("ocp_summary_success{{{labels}}} 1")),
        "{metrics}"
    );
    assert!(metrics.contains(&format!(
        "ocp_summary_rows_out{{{labels}}} {}",
        csv_rows(&csv)
    )));
    assert!(metrics.contains(&format!("ocp_summary_stage_seconds{{{labels},stage=")));
    for line in metrics.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "not a sample line: {line}");
    }
}

#[test]
fn failed_run_writes_failure_metrics_and_exit_code() {
    let dir = TempDir::new().unwrap();
    generate(dir.path(), &["--days", "1", "--nodes", "2"]);
    let prom = dir.path().join("metrics.prom");
    let mut args = run_args(dir.path());
    args[9] = "4".into(); // a month with no partition
    let out = bin()
        .arg("run")
        .args(&args)
        .arg("--metrics")
        .arg(&prom)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let metrics = std::fs::read_to_string(&prom).unwrap();
    let labels = format!("source=\"{SOURCE}\",month=\"2026-04\"");
    assert!(
        metrics.contains(&format!("ocp_summary_success{{{labels}}} 0")),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("ocp_summary_exit_code{{{labels}}} 2")),
        "{metrics}"
    );
}

#[test]
fn plan_lists_files_row_groups_and_columns_without_output() {
    let dir = TempDir::new().unwrap();
    generate(
        dir.path(),
        &["--days", "2", "--nodes", "3", "--rows-per-row-group", "500"],
    );
    let mut args = run_args(dir.path());
    args.extend([
        "--start".into(),
        "2026-03-02".into(),
        "--end".into(),
        "2026-03-02".into(),
    ]);
    let out = check(bin().arg("plan").args(&args).output().unwrap(), "plan");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("openshift_pod_usage_line_items_daily"),
        "{text}"
    );
    assert!(text.contains("pod_labels"), "{text}");
    assert!(text.contains("total:"), "{text}");
    // Day 2 only: the statistics prune the hourly row groups of day 1.
    let line = text
        .lines()
        .find(|l| l.starts_with("openshift_pod_usage_line_items (Capacity)"))
        .unwrap();
    let counts = line.split("row groups").next().unwrap();
    let (sel, total) = line
        .split(", ")
        .find(|p| p.ends_with("row groups"))
        .unwrap()
        .trim_end_matches(" row groups")
        .split_once('/')
        .unwrap();
    assert!(
        sel.parse::<u32>().unwrap() < total.parse::<u32>().unwrap(),
        "no pruning: {counts} {line}"
    );
}

#[test]
fn memory_limit_stops_the_run_with_exit_code_5_and_no_output() {
    let dir = TempDir::new().unwrap();
    generate(dir.path(), &["--days", "1", "--nodes", "3"]);
    let csv = dir.path().join("out.csv");
    let out = bin()
        .arg("run")
        .args(run_args(dir.path()))
        .args(["--memory-limit", "4M", "--output"])
        .arg(format!("csv:{}", csv.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("--memory-limit"), "{stderr}");
    assert!(!csv.exists());
    let out = bin()
        .arg("run")
        .args(run_args(dir.path()))
        .args(["--memory-limit", "lots"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn config_file_supplies_options_and_flags_win() {
    let dir = TempDir::new().unwrap();
    generate(dir.path(), &["--days", "2", "--nodes", "3"]);
    let config = dir.path().join("run.toml");
    let from_file = dir.path().join("from_file.csv");
    std::fs::write(
        &config,
        format!(
            "input = {:?}\norg = {ORG:?}\nsource = {SOURCE:?}\nyear = 2026\nmonth = 3\n\
             cluster_id = \"c-file\"\nenabled_keys = [\"app\"]\noutput = \"csv:{}\"\n",
            dir.path().display().to_string(),
            from_file.display()
        ),
    )
    .unwrap();
    check(
        bin()
            .args(["run", "--config"])
            .arg(&config)
            .output()
            .unwrap(),
        "run --config",
    );
    let text = std::fs::read_to_string(&from_file).unwrap();
    assert!(text.lines().nth(1).unwrap().contains(",c-file,c-file,"));
    // Flags override the file: cluster id, and the day range narrows to one day.
    let from_flags = dir.path().join("from_flags.csv");
    check(
        bin()
            .args(["run", "--config"])
            .arg(&config)
            .args([
                "--cluster-id",
                "c-flag",
                "--start",
                "2026-03-02",
                "--end",
                "2026-03-02",
            ])
            .arg("--output")
            .arg(format!("csv:{}", from_flags.display()))
            .output()
            .unwrap(),
        "run --config with flags",
    );
    let text = std::fs::read_to_string(&from_flags).unwrap();
    assert!(text
        .lines()
        .skip(1)
        .all(|l| l.contains(",c-flag,c-flag,") && l.contains(",2026-03-02,2026-03-02,")));
    assert!(csv_rows(&from_flags) > 0 && csv_rows(&from_flags) < csv_rows(&from_file));
    // An unknown key is an error naming it.
    std::fs::write(&config, "colour = \"blue\"\n").unwrap();
    let out = bin()
        .args(["run", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("colour"));
}

/// Output to a FIFO (or a device such as /dev/null) is written in place: a temporary file renamed
/// over it would replace it with a regular file. Tested on a FIFO in a temporary folder, never on
/// the machine's /dev/null.
#[test]
fn output_to_a_fifo_is_written_in_place() {
    let dir = TempDir::new().unwrap();
    generate(dir.path(), &["--days", "1"]);
    for (kind, name) in [("csv", "rows.fifo"), ("pgcopy", "copy.fifo")] {
        let fifo = dir.path().join(name);
        check(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .output()
                .unwrap(),
            "mkfifo",
        );
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        let out = bin()
            .arg("run")
            .args(run_args(dir.path()))
            .arg("--output")
            .arg(format!("{kind}:{}", fifo.display()))
            .output()
            .unwrap();
        check(out, &format!("run --output {kind}:FIFO"));
        // Checked before joining: a replaced FIFO would leave the reader waiting for ever.
        use std::os::unix::fs::FileTypeExt;
        let kind_after = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind_after.is_fifo(), "{kind}: the FIFO was replaced");
        let bytes = reader.join().unwrap();
        assert!(
            bytes.len() > 1000,
            "{kind}: {} bytes through the FIFO",
            bytes.len()
        );
    }
}

/// `run --help` states the S3 defaults the code uses: it said 16 requests and 8 row groups for a
/// day after they became 64 and 16.
#[test]
fn help_states_the_s3_defaults_in_use() {
    use ocp_summary_engine::source::s3::{
        DEFAULT_CONCURRENCY, DEFAULT_READ_AHEAD, DEFAULT_RETRIES,
    };
    let out = bin().args(["run", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for (flag, default) in [
        ("--s3-concurrency <N>", DEFAULT_CONCURRENCY),
        ("--s3-read-ahead <N>", DEFAULT_READ_AHEAD),
        ("--s3-retries <N>", DEFAULT_RETRIES as usize),
    ] {
        let text = help
            .split(flag)
            .nth(1)
            .unwrap_or_else(|| panic!("{flag} not in:\n{help}"));
        let text = text.split("\n      --").next().unwrap();
        assert!(
            text.contains(&format!("(default {default}")),
            "{flag} should say default {default}:{text}"
        );
    }
}
