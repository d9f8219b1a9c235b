//! `ocp-summary cost-model` agrees with the DuckDB ports of Koku's Trino cost-model SQL
//! (tests/oracle/cost_model.py) on generated data with VMs, GPUs and namespace labels: every row,
//! every column, for a cost model with tiered and tag rates of both cost types
//! (tests/fixtures/cost_model.json).

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use tempfile::TempDir;

fn params(year: i32, month: u32) -> Params {
    Params {
        enabled_keys: Some("app,environment,team,vm_kubevirt_io_name".into()),
        cost_categories: ["gpu-%=3", "openshift-%=1", "project-01%=2"]
            .map(String::from)
            .to_vec(),
        ..Params::month(year, month)
    }
}

fn cost_model_file() -> std::path::PathBuf {
    repo().join("tests/fixtures/cost_model.json")
}

fn engine(dir: &Path, p: &Params) -> std::path::PathBuf {
    let summary = dir.join("summary.csv");
    run_engine(dir, p, &summary, 2);
    let out = dir.join("engine_cost.csv");
    let res = bin()
        .arg("cost-model")
        .args(p.args(dir))
        .arg("--cost-model")
        .arg(cost_model_file())
        .arg("--summary")
        .arg(&summary)
        .arg("--cost-output")
        .arg(&out)
        .output()
        .expect("spawn cost-model");
    check(res, "cost-model");
    out
}

fn oracle(dir: &Path, p: &Params) -> std::path::PathBuf {
    let out = dir.join("oracle_cost.csv");
    let res = Command::new(python())
        .arg(repo().join("tests/oracle/cost_model.py"))
        .args(p.args(dir).into_iter().filter(|a| a != "--no-enabled-keys"))
        .arg("--summary")
        .arg(dir.join("summary.csv"))
        .arg("--cost-model")
        .arg(cost_model_file())
        .arg("--out")
        .arg(&out)
        .output()
        .expect("spawn cost_model.py");
    check(res, "cost_model.py");
    out
}

fn compare(expected: &Path, actual: &Path) -> String {
    let out = Command::new(python())
        .arg(repo().join("tests/oracle/compare.py"))
        .args(["--preset", "cost_model"])
        .arg(expected)
        .arg(actual)
        .output()
        .expect("spawn compare.py");
    String::from_utf8_lossy(&check(out, "compare.py").stdout).into_owned()
}

#[test]
fn cost_model_rows_match_the_oracle() {
    // March (31 days) and February (28) amortise monthly rates differently.
    for (seed, year, month) in [("42", 2026, 3), ("9", 2026, 2)] {
        let data = TempDir::new().unwrap();
        let dir = data.path();
        let start = format!("{year}-{month:02}-01");
        generate(
            dir,
            &["--days", "4", "--vm-gpu", "--seed", seed, "--start", &start],
        );
        let p = params(year, month);
        let actual = engine(dir, &p);
        let expected = oracle(dir, &p);
        let summary = compare(&expected, &actual);
        assert!(summary.contains("rows match"), "seed {seed}: {summary}");
        let text = std::fs::read_to_string(&actual).unwrap();
        for step in [
            "hourly_cost_virtual_machine",
            "hourly_cost_vm_tag_based",
            "hourly_vm_core_tag_based",
            "monthly_vm_core,",
            "monthly_vm_core_tag_based",
            "monthly_cost_gpu",
            "monthly_project_tag_based",
        ] {
            assert!(text.contains(step), "seed {seed}: no {step} rows");
        }
    }
}
