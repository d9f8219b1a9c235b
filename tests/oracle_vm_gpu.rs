//! Koku's VM and GPU steps computed by `ocp-summary run` agree with the DuckDB ports of Koku's
//! Trino SQL (tests/oracle/vm_gpu.sql, run by vm_gpu.py) on generated data with VMs and GPUs
//! (`generate --vm-gpu`): every row, every column.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use tempfile::TempDir;

const CATEGORIES: [&str; 3] = ["gpu-%=3", "openshift-%=1", "project-01%=2"];

fn params(start: Option<&str>, end: Option<&str>) -> Params {
    Params {
        start: start.map(String::from),
        end: end.map(String::from),
        enabled_keys: Some("app".into()),
        cost_categories: CATEGORIES.map(String::from).to_vec(),
        ..Params::month(2026, 3)
    }
}

/// The engine's GPU summary CSV (beside its summary CSV).
fn engine_gpu(dir: &Path, p: &Params) -> std::path::PathBuf {
    let out = dir.join("engine.csv");
    run_engine(dir, p, &out, 2);
    dir.join("engine.gpu_summary.csv")
}

fn oracle(dir: &Path, p: &Params, query: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = dir.join(format!("oracle_{query}.csv"));
    let res = Command::new(python())
        .arg(repo().join("tests/oracle/vm_gpu.py"))
        .args(p.args(dir))
        .args(["--query", query])
        .args(extra)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("spawn vm_gpu.py");
    check(res, "vm_gpu.py");
    out
}

#[test]
fn gpu_summary_matches_the_oracle_on_several_shapes() {
    for (seed, days, range) in [
        ("42", "3", (None, None)),
        ("7", "5", (Some("2026-03-02"), Some("2026-03-04"))),
    ] {
        let data = TempDir::new().unwrap();
        let dir = data.path();
        generate(dir, &["--days", days, "--vm-gpu", "--seed", seed]);
        let p = params(range.0, range.1);
        let engine = engine_gpu(dir, &p);
        let expected = oracle(dir, &p, "gpu", &[]);
        let summary = compare_preset("gpu", &expected, &engine);
        assert!(summary.contains("rows match"), "seed {seed}: {summary}");
        let text = std::fs::read_to_string(&engine).unwrap();
        assert!(text.lines().count() > 3, "seed {seed}: {text}");
        assert!(
            text.contains(",MIG,") && text.contains("gpu-idle"),
            "{text}"
        );
    }
}

#[test]
fn no_gpu_files_means_no_gpu_summary_file() {
    let data = TempDir::new().unwrap();
    let dir = data.path();
    generate(dir, &["--days", "1"]);
    run_engine(dir, &params(None, None), &dir.join("engine.csv"), 2);
    assert!(!dir.join("engine.gpu_summary.csv").exists());
}

/// `run --database-url` puts the same GPU rows into `reporting_ocp_gpu_summary_p`, replacing the
/// source's day range; a cost model that prices GPUs by tag leaves the table to Koku's cost rows.
#[test]
fn gpu_summary_goes_into_the_database_unless_the_cost_model_prices_gpus() {
    use common::pg::*;
    let data = generated(&["--days", "2", "--vm-gpu"]);
    let dir = data.path();
    let url = fresh_db("gpu");
    init_db(&url, SCHEMA);
    let table = format!("{}.reporting_ocp_gpu_summary_p", q(SCHEMA));
    // A row of the range from an earlier run, and one of another month that must stay.
    psql(
        &url,
        &format!(
            "INSERT INTO {}.reporting_tenant_api_provider (uuid, name, type) VALUES ('{SOURCE}', 's', 'OCP');
             INSERT INTO {table} (id, cluster_id, usage_start, usage_end, source_uuid) VALUES
             (gen_random_uuid(), 'old', '2026-03-01', '2026-03-01', '{SOURCE}'),
             (gen_random_uuid(), 'kept', '2026-04-02', '2026-04-02', '{SOURCE}')",
            q(SCHEMA)
        ),
    );
    let out = run_db(dir, &url, SCHEMA, &[]);
    let out = check(out, "run --database-url");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("gpu summary:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(&url, &table, "WHERE cluster_id = 'old'"), 0);
    assert_eq!(count(&url, &table, "WHERE cluster_id = 'kept'"), 1);
    let db_csv = dir.join("db_gpu.csv");
    psql(
        &url,
        &format!(
            "\\copy (SELECT cluster_id, cluster_alias, usage_start, usage_end, namespace, node, \
             vendor_name, model_name, memory_capacity_gb, mig_instance_id, physical_gpu_uuid, \
             gpu_mode, mig_profile, mig_slice_count, gpu_max_slices, mig_strategy, \
             mig_memory_capacity_gb, source_uuid, cost_category_id FROM {table} \
             WHERE cluster_id <> 'kept') TO '{}' WITH (FORMAT csv, HEADER, NULL '\\N')",
            db_csv.display()
        ),
    );
    // The lookups the run read from the database: no enabled keys but init_db's, Koku's seeded
    // cost-category patterns.
    let p = Params {
        enabled_keys: Some("app,team".into()),
        cost_categories: [
            "openshift-%=1",
            "kube-%=1",
            "Platform unallocated=1",
            "openshift=1",
        ]
        .map(String::from)
        .to_vec(),
        ..Params::month(2026, 3)
    };
    let expected = oracle(dir, &p, "gpu", &[]);
    let summary = compare_preset("gpu", &expected, &db_csv);
    assert!(summary.contains("rows match"), "{summary}");

    // A GPU tag rate in the source's cost model: Koku skips the usage-only rows.
    psql(
        &url,
        &format!(
            "INSERT INTO {s}.cost_model (uuid, name, rates) VALUES ('00000000-0000-4000-8000-000000000001',
               'gpu', '[{{\"metric\": {{\"name\": \"gpu_cost_per_month\"}}, \"tag_rates\": {{\"tag_key\": \"gpu\"}}}}]');
             INSERT INTO {s}.cost_model_map (provider_uuid, cost_model_id)
               VALUES ('{SOURCE}', '00000000-0000-4000-8000-000000000001');
             DELETE FROM {table} WHERE cluster_id <> 'kept'",
            s = q(SCHEMA)
        ),
    );
    let out = check(run_db(dir, &url, SCHEMA, &[]), "run with a GPU rate");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cost model prices GPUs"));
    assert_eq!(count(&url, &table, ""), 1, "only the other month's row");
}

/// The oracle's own daily summary, standing for the PostgreSQL table the VM query reads.
fn oracle_summary(dir: &Path, p: &Params) -> std::path::PathBuf {
    let out = dir.join("oracle_summary.csv");
    run_oracle(dir, p, &out, "pod,storage,unallocated");
    out
}

fn assert_vm_rows_match(dir: &Path, p: &Params, what: &str) -> String {
    let summary = oracle_summary(dir, p);
    let engine = dir.join("engine.csv");
    run_engine(dir, p, &engine, 2);
    let engine_vm = dir.join("engine.vm_tmp.csv");
    let expected = oracle(dir, p, "vm", &["--summary", summary.to_str().unwrap()]);
    let result = compare_preset("vm", &expected, &engine_vm);
    assert!(result.contains("rows match"), "{what}: {result}");
    std::fs::read_to_string(engine_vm).unwrap()
}

/// The VM sides ride on the summary's reads of the daily pod and storage row groups (the pod
/// side's labels read as raw text and mapped to label sets per worker); `--label-memo off` keeps
/// the pod side's own read. Both give the VM rows `shared` holds, and the report says which
/// row groups were shared.
fn assert_shared_read_changes_nothing(dir: &Path, p: &Params, shared: &str) {
    let report = |name: &str, extra: &[&str]| {
        let (csv, json) = (
            dir.join(format!("{name}.csv")),
            dir.join(format!("{name}.json")),
        );
        let out = bin()
            .arg("run")
            .args(p.args(dir))
            .args(extra)
            .arg("--output")
            .arg(format!("csv:{}", csv.display()))
            .arg("--report-json")
            .arg(&json)
            .output()
            .unwrap();
        check(out, name);
        let vm = std::fs::read_to_string(dir.join(format!("{name}.vm_tmp.csv"))).unwrap();
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
        (vm, report)
    };
    let shared_of = |report: &serde_json::Value, table: &str| -> Vec<u64> {
        let inputs = report["inputs"].as_array().unwrap().iter();
        inputs
            .filter(|i| i["table"] == table)
            .map(|i| i["row_groups_shared"].as_u64().unwrap())
            .collect()
    };
    let pods = "openshift_pod_usage_line_items_daily (VM temp table)";
    let storage = "openshift_storage_usage_line_items_daily (VM temp table)";
    let (vm, on) = report("memo_on", &[]);
    assert_eq!(vm, shared, "another run, the same rows");
    assert!(shared_of(&on, pods)[0] > 0, "{on}");
    assert!(shared_of(&on, storage)[0] > 0, "{on}");
    let (vm, off) = report("memo_off", &["--label-memo", "off"]);
    assert_eq!(vm, shared, "the pod side read on its own");
    assert_eq!(shared_of(&off, pods), [0], "{off}");
    assert!(shared_of(&off, storage)[0] > 0, "{off}");
}

/// With a VM report, the latest hour's requests, one row per PVC of each VM.
#[test]
fn vm_rows_from_the_vm_report_match_the_oracle() {
    for seed in ["42", "9"] {
        let data = TempDir::new().unwrap();
        let dir = data.path();
        generate(dir, &["--days", "4", "--vm-gpu", "--seed", seed]);
        let text = assert_vm_rows_match(dir, &params(None, None), &format!("seed {seed}"));
        assert!(text.lines().count() > 3, "{text}");
    }
}

/// Without one, the second-to-last day's summary rows, LEFT JOINed to the pod/storage PVC map:
/// VMs with no PVC, several PVCs, and a day range whose second-to-last day is not the month's.
#[test]
fn vm_rows_from_the_summary_match_the_oracle() {
    let data = TempDir::new().unwrap();
    let dir = data.path();
    generate(dir, &["--days", "5", "--vm-gpu"]);
    // No VM report: masu then uses the pod and storage tables.
    for granularity in ["", "daily/"] {
        let vm = dir.join(format!("data/parquet/{granularity}{ORG}/OCP/vm_usage"));
        std::fs::remove_dir_all(&vm).unwrap_or_else(|e| panic!("{}: {e}", vm.display()));
    }
    let text = assert_vm_rows_match(dir, &params(None, None), "whole month");
    assert!(text.contains(",\\N,"), "a VM without a PVC: {text}");
    assert_shared_read_changes_nothing(dir, &params(None, None), &text);
    let text = assert_vm_rows_match(
        dir,
        &params(Some("2026-03-02"), Some("2026-03-04")),
        "range",
    );
    assert!(text.lines().count() > 3, "{text}");
    // No enabled keys (E4): no label survives, so no VM row.
    let none = Params {
        enabled_keys: None,
        ..params(None, None)
    };
    let text = assert_vm_rows_match(dir, &none, "no enabled keys");
    assert_eq!(text.lines().count(), 1, "{text}");
}
