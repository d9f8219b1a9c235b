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

fn rtu_model_file() -> std::path::PathBuf {
    repo().join("tests/fixtures/cost_model_rtu.json")
}

fn engine(dir: &Path, p: &Params) -> std::path::PathBuf {
    engine_with(dir, p, &cost_model_file(), &[])
}

fn engine_with(dir: &Path, p: &Params, model: &Path, extra: &[&str]) -> std::path::PathBuf {
    let summary = dir.join("summary.csv");
    run_engine(dir, p, &summary, 2);
    let out = dir.join("engine_cost.csv");
    let res = bin()
        .arg("cost-model")
        .args(p.args(dir))
        .arg("--cost-model")
        .arg(model)
        .arg("--summary")
        .arg(&summary)
        .arg("--cost-output")
        .arg(&out)
        .args(extra)
        .output()
        .expect("spawn cost-model");
    check(res, "cost-model");
    out
}

fn oracle(dir: &Path, p: &Params) -> std::path::PathBuf {
    oracle_with(dir, p, &cost_model_file(), &[])
}

fn oracle_with(dir: &Path, p: &Params, model: &Path, extra: &[&str]) -> std::path::PathBuf {
    let out = dir.join("oracle_cost.csv");
    let res = Command::new(python())
        .arg(repo().join("tests/oracle/cost_model.py"))
        .args(p.args(dir).into_iter().filter(|a| a != "--no-enabled-keys"))
        .arg("--summary")
        .arg(dir.join("summary.csv"))
        .arg("--cost-model")
        .arg(model)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .output()
        .expect("spawn cost_model.py");
    check(res, "cost_model.py");
    out
}

fn compare(expected: &Path, actual: &Path) -> String {
    compare_preset("cost_model", expected, actual)
}

#[test]
fn cost_model_rows_match_the_oracle() {
    // 31, 28 and 30 days: the monthly rates are amortised per day of the month.
    for (seed, year, month) in [("42", 2026, 3), ("9", 2026, 2), ("17", 2026, 4)] {
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

#[test]
fn rates_to_usage_rows_match_the_oracle() {
    // Both twins' rows: the `_rtu` files into rates_to_usage (with the GPU distribution), the two
    // files without a twin into the daily summary.
    for (seed, year, month) in [("42", 2026, 3), ("5", 2024, 2)] {
        let data = TempDir::new().unwrap();
        let dir = data.path();
        let start = format!("{year}-{month:02}-01");
        generate(
            dir,
            &["--days", "4", "--vm-gpu", "--seed", seed, "--start", &start],
        );
        let p = params(year, month);
        let actual = engine_with(dir, &p, &rtu_model_file(), &["--rates-to-usage"]);
        let rtu_expected = dir.join("oracle_rtu.csv");
        let rtu_arg = rtu_expected.display().to_string();
        let expected = oracle_with(
            dir,
            &p,
            &rtu_model_file(),
            &["--rates-to-usage", "--rtu-out", &rtu_arg],
        );
        let summary = compare(&expected, &actual);
        assert!(summary.contains("rows match"), "seed {seed}: {summary}");
        let rtu_actual = dir.join("engine_cost.csv.rates_to_usage.csv");
        let summary = compare_preset("rtu", &rtu_expected, &rtu_actual);
        assert!(
            summary.contains("rows match"),
            "seed {seed} rates_to_usage: {summary}"
        );
        let text = std::fs::read_to_string(&rtu_actual).unwrap();
        for step in [
            "hourly_cost_virtual_machine_rtu",
            "hourly_vm_core_rtu",
            "hourly_cost_vm_tag_based_rtu",
            "hourly_vm_core_tag_based_rtu",
            "monthly_vm_core_tag_based_rtu",
            "monthly_cost_gpu_rtu",
            "GPU unallocated",
            "distribute_unallocated_gpu_cost_rtu",
        ] {
            assert!(text.contains(step), "seed {seed}: no {step} rows");
        }
    }
}
