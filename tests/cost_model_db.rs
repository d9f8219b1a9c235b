//! `ocp-summary cost-model --database-url`: the cost model and the summary rows read from a
//! throwaway PostgreSQL, the rows written back one transaction per masu call, equal to the DuckDB
//! oracle's (tests/oracle/cost_model.py) on the same data, and a re-run replaces them.

mod common;

use common::pg::*;
use common::*;
use std::path::Path;
use std::process::Command;

const KEYS: &str = "app,environment,team,vm_kubevirt_io_name";
const CATEGORIES: [&str; 3] = ["openshift-%=1", "kube-%=1", "gpu-%=1"];
const SCHEMA: &str = "org1234567";

fn lookups() -> Vec<String> {
    let mut a = vec!["--enabled-keys".to_string(), KEYS.to_string()];
    for c in CATEGORIES {
        a.extend(["--cost-category".to_string(), c.to_string()]);
    }
    a
}

fn fixture() -> std::path::PathBuf {
    repo().join("tests/fixtures/cost_model.json")
}

fn rtu_fixture() -> std::path::PathBuf {
    repo().join("tests/fixtures/cost_model_rtu.json")
}

/// The fixture's cost model into `cost_model`, mapped to the source.
fn store_cost_model(url: &str) {
    store_model(url, &fixture());
}

fn store_model(url: &str, path: &Path) {
    let json = std::fs::read_to_string(path).unwrap();
    let s = q(SCHEMA);
    psql(
        url,
        &format!(
            "INSERT INTO {s}.cost_model (uuid, name, rates, distribution_info)
             SELECT (j->>'uuid')::uuid, 'test model', j->'rates', j->'distribution_info'
             FROM (SELECT $j${json}$j$::jsonb AS j) x;
             INSERT INTO {s}.cost_model_map (provider_uuid, cost_model_id)
             SELECT '{SOURCE}', uuid FROM {s}.cost_model"
        ),
    );
}

fn cost_model_db(input: &Path, url: &str) -> String {
    cost_model_db_with(input, url, &[])
}

fn cost_model_db_with(input: &Path, url: &str, extra: &[&str]) -> String {
    let out = bin()
        .args(["cost-model", "--input"])
        .arg(input)
        .args([
            "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "3",
        ])
        .args(["--cluster-id", "cluster-a", "--cluster-alias", "Cluster A"])
        .args([
            "--report-period-id",
            "7",
            "--database-url",
            url,
            "--schema",
            SCHEMA,
        ])
        .args(lookups())
        .args(extra)
        .output()
        .unwrap();
    String::from_utf8_lossy(&check(out, "cost-model").stderr).into_owned()
}

fn oracle(input: &Path, summary_csv: &Path, out: &Path) {
    oracle_with(input, summary_csv, out, &fixture(), &[]);
}

fn oracle_with(input: &Path, summary_csv: &Path, out: &Path, model: &Path, extra: &[&str]) {
    let res = Command::new(python())
        .arg(repo().join("tests/oracle/cost_model.py"))
        .arg("--input")
        .arg(input)
        .args([
            "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "03",
        ])
        .args(["--cluster-id", "cluster-a", "--cluster-alias", "Cluster A"])
        .args(["--report-period-id", "7"])
        .args(CATEGORIES.iter().flat_map(|c| ["--cost-category", c]))
        .arg("--summary")
        .arg(summary_csv)
        .arg("--cost-model")
        .arg(model)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    check(res, "cost_model.py");
}

/// The cost rows in the database, in the oracle's CSV layout (`step` left empty).
fn export(url: &str, out: &Path) {
    psql(
        url,
        &format!(
            "\\copy (SELECT '' AS step, report_period_id, cluster_id, cluster_alias, data_source, \
             usage_start, usage_end, namespace, node, resource_id, pod_labels, all_labels, source_uuid, \
             monthly_cost_type, cost_model_rate_type, cost_model_cpu_cost, cost_model_gpu_cost, \
             cost_category_id FROM {} WHERE cost_model_rate_type IS NOT NULL) TO '{}' \
             WITH (FORMAT csv, HEADER, NULL '\\N')",
            summary(SCHEMA),
            out.display()
        ),
    );
}

fn compare(expected: &Path, actual: &Path) -> String {
    compare_cost_rows("cost_model", expected, actual)
}

/// compare.py with `preset`, the engine's step column and the random uuid left out.
fn compare_cost_rows(preset: &str, expected: &Path, actual: &Path) -> String {
    compare_with(
        expected,
        actual,
        &["--preset", preset, "--ignore-columns", "uuid,step"],
    )
}

#[test]
fn database_cost_rows_equal_the_oracle_and_a_rerun_replaces_them() {
    let url = fresh_db("cost_model");
    init_db(&url, SCHEMA);
    store_cost_model(&url);
    let data = generated(&["--days", "4", "--vm-gpu", "--seed", "42"]);
    let dir = data.path();
    let lookup_args = lookups();
    let lookup_args: Vec<&str> = lookup_args.iter().map(String::as_str).collect();
    check(
        run_db(dir, &url, SCHEMA, &lookup_args),
        "run --database-url",
    );
    let summary_csv = dir.join("summary.csv");
    let csv_out = format!("csv:{}", summary_csv.display());
    let mut extra = lookup_args.clone();
    extra.extend(["--output", &csv_out]);
    check(run_args(dir, &extra).output().unwrap(), "run --output csv");

    let log = cost_model_db(dir, &url);
    assert!(log.contains("populate_tag_based_costs"), "{log}");
    let expected = dir.join("expected.csv");
    oracle(dir, &summary_csv, &expected);
    let actual = dir.join("actual.csv");
    export(&url, &actual);
    let cmp = compare(&expected, &actual);
    assert!(cmp.contains("rows match"), "{cmp}");
    let first = count(
        &url,
        &summary(SCHEMA),
        "WHERE cost_model_rate_type IS NOT NULL",
    );
    assert!(first > 100, "{first} cost rows");

    // A re-run reads its own rows back from the summary table, skips them, and replaces them.
    let log = cost_model_db(dir, &url);
    assert!(
        log.contains(&format!("{first} inserted")) || log.contains("deleted"),
        "{log}"
    );
    export(&url, &actual);
    let cmp = compare(&expected, &actual);
    assert!(cmp.contains("rows match"), "after a re-run: {cmp}");
    assert_eq!(
        count(
            &url,
            &summary(SCHEMA),
            "WHERE cost_model_rate_type IS NOT NULL"
        ),
        first
    );
}

/// The rates_to_usage rows in the oracle's RTU CSV layout (`step` left empty).
fn export_rtu(url: &str, out: &Path) {
    psql(
        url,
        &format!(
            "\\copy (SELECT '' AS step, cost_model_id, report_period_id, source_uuid, usage_start, \
             usage_end, node, namespace, cluster_id, cluster_alias, data_source, pod_labels, \
             all_labels, label_hash, custom_name, metric_type, cost_model_rate_type, \
             monthly_cost_type, calculated_cost, distributed_cost, cost_category_id, rate_id \
             FROM {}.rates_to_usage) TO '{}' WITH (FORMAT csv, HEADER, NULL '\\N')",
            q(SCHEMA),
            out.display()
        ),
    );
}

#[test]
fn rates_to_usage_rows_equal_the_oracle_and_a_rerun_replaces_them() {
    let url = fresh_db("cost_model_rtu");
    init_db(&url, SCHEMA);
    store_model(&url, &rtu_fixture());
    let data = generated(&["--days", "4", "--vm-gpu", "--seed", "7"]);
    let dir = data.path();
    let lookup_args = lookups();
    let lookup_args: Vec<&str> = lookup_args.iter().map(String::as_str).collect();
    check(
        run_db(dir, &url, SCHEMA, &lookup_args),
        "run --database-url",
    );
    let summary_csv = dir.join("summary.csv");
    let csv_out = format!("csv:{}", summary_csv.display());
    let mut extra = lookup_args.clone();
    extra.extend(["--output", &csv_out]);
    check(run_args(dir, &extra).output().unwrap(), "run --output csv");

    let log = cost_model_db_with(dir, &url, &["--rates-to-usage"]);
    assert!(log.contains("populate_distributed_cost_sql"), "{log}");
    let (expected, expected_rtu) = (dir.join("expected.csv"), dir.join("expected_rtu.csv"));
    let rtu_arg = expected_rtu.display().to_string();
    oracle_with(
        dir,
        &summary_csv,
        &expected,
        &rtu_fixture(),
        &["--rates-to-usage", "--rtu-out", &rtu_arg],
    );
    let (actual, actual_rtu) = (dir.join("actual.csv"), dir.join("actual_rtu.csv"));
    for round in ["first run", "re-run"] {
        if round == "re-run" {
            cost_model_db_with(dir, &url, &["--rates-to-usage"]);
        }
        export(&url, &actual);
        let cmp = compare(&expected, &actual);
        assert!(cmp.contains("rows match"), "{round}, daily summary: {cmp}");
        export_rtu(&url, &actual_rtu);
        let cmp = compare_cost_rows("rtu", &expected_rtu, &actual_rtu);
        assert!(cmp.contains("rows match"), "{round}, rates_to_usage: {cmp}");
    }
    assert!(count(&url, &format!("{}.rates_to_usage", q(SCHEMA)), "") > 400);
}
