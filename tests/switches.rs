//! The optimisation switches (`--decode`, `--label-memo`, `--streaming`, `--output-io`,
//! `--threads`): each slow path gives the same rows as the fast one, uuids aside, and each switch
//! changes what it claims to, as the run report shows. (`--copy text` is in tests/postgres.rs.)

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

fn params() -> Params {
    Params {
        enabled_keys: Some("app,team".into()),
        ..Params::month(2026, 3)
    }
}

/// Runs the engine with `extra`; returns its report.
fn run(dir: &Path, name: &str, extra: &[&str]) -> Value {
    let csv = dir.join(format!("{name}.csv"));
    let report = dir.join(format!("{name}.json"));
    let out = bin()
        .arg("run")
        .args(params().args(dir))
        .args(extra)
        .arg("--output")
        .arg(format!("csv:{}", csv.display()))
        .arg("--report-json")
        .arg(&report)
        .output()
        .unwrap();
    check(out, &format!("run {extra:?}"));
    serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap()
}

#[test]
fn every_switch_gives_the_same_rows_and_does_what_it_says() {
    let data = TempDir::new().unwrap();
    let dir = data.path();
    // Small files and row groups, so days complete one after another.
    generate(
        dir,
        &[
            "--days",
            "4",
            "--rows-per-file",
            "20000",
            "--rows-per-row-group",
            "5000",
        ],
    );
    let base = run(dir, "base", &["--threads", "2"]);
    assert!(base["rows_out"].as_u64().unwrap() > 1000, "{base}");
    let same =
        |name: &str| assert_same_rows(&dir.join("base.csv"), &dir.join(format!("{name}.csv")));

    let reference = run(
        dir,
        "reference",
        &["--decode", "reference", "--threads", "2"],
    );
    same("reference");
    assert_eq!(reference["switches"]["decode"], "reference");
    assert!(base["pages"]["values"].as_u64().unwrap() > 0);
    assert_eq!(reference["pages"]["values"], 0, "the kernels did not run");

    let no_memo = run(dir, "no_memo", &["--label-memo", "off", "--threads", "2"]);
    same("no_memo");
    let parses = |r: &Value| r["label_parses"].as_u64().unwrap();
    // With the memo, each distinct label text is parsed once.
    assert!(parses(&base) <= base["distinct_strings"].as_u64().unwrap());
    assert!(
        parses(&no_memo) > 2 * parses(&base),
        "per-row parsing: {} vs {}",
        parses(&no_memo),
        parses(&base)
    );
    assert_eq!(no_memo["label_sets"], base["label_sets"]);

    let month = run(dir, "month", &["--streaming", "month", "--threads", "2"]);
    same("month");
    assert!(base["day_batches"].as_u64().unwrap() > 1, "{base}");
    assert_eq!(month["day_batches"], 1);
    assert_eq!(month["max_batch_rows"], month["rows_out"]);

    let buffered = run(
        dir,
        "buffered",
        &["--output-io", "buffered", "--threads", "2"],
    );
    same("buffered");
    assert_eq!(base["switches"]["output_io"], "direct");
    assert_eq!(buffered["switches"]["output_io"], "buffered");

    let one = run(dir, "one_thread", &["--threads", "1"]);
    same("one_thread");
    assert_eq!(one["switches"]["threads"], "1");
}

#[test]
fn switches_come_from_the_config_file_and_bad_values_are_refused() {
    let data = TempDir::new().unwrap();
    let dir = data.path();
    generate(dir, &["--days", "1"]);
    let config = dir.join("run.toml");
    std::fs::write(
        &config,
        concat!(
            "decode = \"reference\"\nlabel_memo = \"off\"\n",
            "streaming = \"month\"\noutput_io = \"buffered\"\n"
        ),
    )
    .unwrap();
    let report = run(dir, "config", &["--config", config.to_str().unwrap()]);
    assert_eq!(report["switches"]["decode"], "reference");
    assert_eq!(report["switches"]["label_memo"], "off");
    assert_eq!(report["switches"]["streaming"], "month");
    assert_eq!(report["switches"]["output_io"], "buffered");

    let out = bin()
        .arg("run")
        .args(Params::month(2026, 3).args(dir))
        .args(["--decode", "fast"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin()
        .arg("run")
        .args(Params::month(2026, 3).args(dir))
        .args(["--copy", "text", "--output", "csv:-"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
