//! Pod rows agree with the DuckDB port of Koku's SQL (tests/oracle) on generated data: every row,
//! every column, over several shapes, seeds, key sets, cost categories and day ranges.

mod common;

use common::*;
use tempfile::TempDir;

const KEYS: &str = "app,environment,team,k001,k007,node_role_kubernetes_io,region_name";

fn categories() -> Vec<String> {
    // Koku's seed plus overlapping and single-character patterns (E3, LIKE `_`).
    [
        "openshift-%=1",
        "kube-%=1",
        "Platform unallocated=1",
        "openshift=1",
        "%-00_=2",
        "project-%=3",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn assert_matches(dir: &TempDir, p: &Params, threads: usize) -> usize {
    let engine = dir.path().join("engine.csv");
    let oracle = dir.path().join("oracle.csv");
    run_engine(dir.path(), p, &engine, threads);
    run_oracle(dir.path(), p, &oracle, "pod,storage,unallocated");
    let summary = compare(&oracle, &engine);
    assert!(summary.contains("rows match"), "{summary}");
    let rows = csv_rows(&engine);
    assert!(rows > 0, "no rows produced for {p:?}");
    rows
}

#[test]
fn default_sample_matches_with_keys_and_categories() {
    let dir = TempDir::new().unwrap();
    generate(dir.path(), &["--days", "3", "--seed", "1"]);
    let mut p = Params::month(2026, 3);
    p.enabled_keys = Some(KEYS.into());
    p.cost_categories = categories();
    assert_matches(&dir, &p, 2);
}

#[test]
fn no_enabled_keys_collapses_labels() {
    let dir = TempDir::new().unwrap();
    generate(dir.path(), &["--days", "2", "--seed", "2", "--nodes", "5"]);
    let p = Params::month(2026, 3);
    assert_matches(&dir, &p, 1);
}

#[test]
fn many_seeds_and_shapes() {
    let shapes: &[&[&str]] = &[
        &[
            "--nodes",
            "3",
            "--namespaces-per-node",
            "2",
            "--pods-per-namespace",
            "4",
        ],
        &[
            "--nodes",
            "12",
            "--labels-per-pod",
            "20",
            "--label-key-cardinality",
            "40",
        ],
        &[
            "--nodes",
            "6",
            "--rows-per-file",
            "5000",
            "--rows-per-row-group",
            "1000",
        ],
        &[
            "--nodes",
            "4",
            "--label-value-cardinality",
            "2",
            "--no-edge-cases",
        ],
    ];
    for (i, shape) in shapes.iter().enumerate() {
        let dir = TempDir::new().unwrap();
        let seed = (100 + i).to_string();
        let mut args = vec!["--days", "2", "--seed", &seed];
        args.extend_from_slice(shape);
        generate(dir.path(), &args);
        let mut p = Params::month(2026, 3);
        p.enabled_keys = Some(KEYS.into());
        p.cost_categories = categories();
        assert_matches(&dir, &p, 1 + i % 2);
    }
}

#[test]
fn month_boundary_and_day_subrange() {
    let dir = TempDir::new().unwrap();
    generate(
        dir.path(),
        &["--start", "2026-01-30", "--days", "4", "--seed", "5"],
    );
    let mut p = Params::month(2026, 1);
    p.enabled_keys = Some("app,environment".into());
    p.cost_categories = categories();
    assert_matches(&dir, &p, 2);
    let mut p = Params::month(2026, 2);
    p.enabled_keys = Some("app,environment".into());
    assert_matches(&dir, &p, 2);
    let mut p = Params::month(2026, 1);
    p.start = Some("2026-01-31".into());
    p.end = Some("2026-01-31".into());
    p.enabled_keys = Some("team".into());
    assert_matches(&dir, &p, 2);
}

#[test]
fn same_rows_with_one_and_many_threads() {
    let dir = TempDir::new().unwrap();
    generate(
        dir.path(),
        &["--days", "2", "--seed", "9", "--rows-per-row-group", "2000"],
    );
    let mut p = Params::month(2026, 3);
    p.enabled_keys = Some(KEYS.into());
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    run_engine(dir.path(), &p, &a, 1);
    run_engine(dir.path(), &p, &b, 4);
    let strip = |path: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| l.split_once(',').map_or(l, |(_, rest)| rest).to_string())
            .collect()
    };
    assert_eq!(
        strip(&a),
        strip(&b),
        "output differs between 1 and 4 threads"
    );
}

#[test]
fn pod_only_matches_the_oracles_pod_query_and_reads_no_storage() {
    let dir = TempDir::new().unwrap();
    generate(dir.path(), &["--days", "3", "--seed", "11", "--nodes", "4"]);
    let mut p = Params::month(2026, 3);
    p.enabled_keys = Some(KEYS.into());
    p.cost_categories = categories();
    let engine = dir.path().join("engine.csv");
    let oracle = dir.path().join("oracle.csv");
    let report = dir.path().join("report.json");
    let out = bin()
        .arg("run")
        .args(p.args(dir.path()))
        .args(["--pod-only", "--report-json"])
        .arg(&report)
        .arg("--output")
        .arg(format!("csv:{}", engine.display()))
        .output()
        .unwrap();
    check(out, "run --pod-only");
    run_oracle(dir.path(), &p, &oracle, "pod");
    let summary = compare(&oracle, &engine);
    assert!(summary.contains("rows match"), "{summary}");
    assert!(csv_rows(&engine) > 0);
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(!text.contains("storage_usage"), "storage was read: {text}");

    // A database load replaces the whole day range, so Pod rows alone would drop Storage rows.
    let out = bin()
        .arg("run")
        .args(p.args(dir.path()))
        .args([
            "--pod-only",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--pod-only writes files only"), "{err}");
}
