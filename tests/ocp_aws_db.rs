//! `ocp-summary ocp-on-aws --database-url`: on a throwaway PostgreSQL holding `run`'s daily
//! summary, the rows of `reporting_ocpawscostlineitem_project_daily_summary_p` and the
//! back-populated infrastructure rows of the daily summary equal the engine's CSV output on the
//! same inputs (itself checked against the DuckDB oracle in tests/oracle_ocp_aws.rs); a re-run
//! replaces them (same counts and content, new row ids), and a run failing after its deletes
//! leaves the old rows.

mod common;

use common::aws::*;
use common::pg::*;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Output;

const SCHEMA: &str = "org1234567";
const KEYS: &str = "app,environment";

fn ocp_on_aws(dir: &Path, summary_csv: &Path, extra: &[&std::ffi::OsStr]) -> Output {
    bin()
        .arg("ocp-on-aws")
        .arg("--input")
        .arg(dir)
        .args([
            "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "03",
        ])
        .args(["--cluster-id", CLUSTER_ID, "--cluster-alias", "Cluster A"])
        .args(["--report-period-id", "7", "--aws-source", AWS_SOURCE])
        .args(["--bill-id", "3", "--markup", "0.1", "--distribution", "cpu"])
        .args(["--enabled-keys", KEYS, "--aws-enabled-keys", KEYS])
        .arg("--summary")
        .arg(summary_csv)
        .args(extra)
        .output()
        .expect("spawn ocp-on-aws")
}

fn to_db(dir: &Path, summary_csv: &Path, url: &str) -> Output {
    ocp_on_aws(
        dir,
        summary_csv,
        &[
            "--database-url".as_ref(),
            url.as_ref(),
            "--schema".as_ref(),
            SCHEMA.as_ref(),
        ],
    )
}

const PROJECT_COLUMNS: &str = "report_period_id, cluster_id, cluster_alias, data_source, namespace, \
    node, persistentvolumeclaim, persistentvolume, storageclass, resource_id, usage_start, usage_end, \
    product_code, product_family, instance_type, cost_entry_bill_id, usage_account_id, \
    account_alias_id, availability_zone, region, unit, usage_amount, \
    infrastructure_data_in_gigabytes, infrastructure_data_out_gigabytes, data_transfer_direction, \
    currency_code, unblended_cost, markup_cost, blended_cost, markup_cost_blended, \
    savingsplan_effective_cost, markup_cost_savingsplan, calculated_amortized_cost, \
    markup_cost_amortized, pod_labels, tags, aws_cost_category, cost_category_id, source_uuid";

/// The back-populate's usage columns (0): exported as integers, as the CSV prints them.
const ZERO_COLUMNS: &[&str] = &[
    "pod_usage_cpu_core_hours",
    "pod_request_cpu_core_hours",
    "pod_limit_cpu_core_hours",
    "pod_usage_memory_gigabyte_hours",
    "pod_request_memory_gigabyte_hours",
    "pod_limit_memory_gigabyte_hours",
    "node_capacity_cpu_cores",
    "node_capacity_cpu_core_hours",
    "node_capacity_memory_gigabytes",
    "node_capacity_memory_gigabyte_hours",
    "cluster_capacity_cpu_core_hours",
    "cluster_capacity_memory_gigabyte_hours",
    "persistentvolumeclaim_capacity_gigabyte",
    "persistentvolumeclaim_capacity_gigabyte_months",
    "volume_request_storage_gigabyte_months",
    "persistentvolumeclaim_usage_gigabyte_months",
];

/// The back-populated rows: those with the back-populate's `supplementary_usage_cost` (`run`
/// leaves it NULL).
const BACK_FILTER: &str = "WHERE supplementary_usage_cost IS NOT NULL";

fn project_table() -> String {
    format!(
        "{}.reporting_ocpawscostlineitem_project_daily_summary_p",
        q(SCHEMA)
    )
}

/// Both tables' rows in the CSV layouts of `ocp-on-aws --output-project/--output-back-populate`.
fn export(url: &str, dir: &Path, tag: &str) -> (PathBuf, PathBuf) {
    let project = dir.join(format!("db_{tag}_project.csv"));
    let back = dir.join(format!("db_{tag}_back.csv"));
    psql(
        url,
        &format!(
            "\\copy (SELECT {PROJECT_COLUMNS} FROM {}) TO '{}' WITH (FORMAT csv, HEADER, NULL '\\N')",
            project_table(),
            project.display()
        ),
    );
    let zeros: Vec<String> = ZERO_COLUMNS
        .iter()
        .map(|c| format!("trunc({c})::bigint AS {c}"))
        .collect();
    psql(
        url,
        &format!(
            "\\copy (SELECT report_period_id, usage_start, usage_end, cluster_id, cluster_alias, \
             namespace, data_source, node, persistentvolumeclaim, persistentvolume, storageclass, \
             resource_id, pod_labels, volume_labels, all_labels, source_uuid, \
             infrastructure_raw_cost, infrastructure_project_raw_cost, infrastructure_usage_cost, \
             supplementary_usage_cost, infrastructure_data_in_gigabytes, \
             infrastructure_data_out_gigabytes, {}, raw_currency, cost_category_id \
             FROM {} {BACK_FILTER}) TO '{}' WITH (FORMAT csv, HEADER, NULL '\\N')",
            zeros.join(", "),
            summary(SCHEMA),
            back.display()
        ),
    );
    (project, back)
}

fn assert_same(expected: &(PathBuf, PathBuf), actual: &(PathBuf, PathBuf), what: &str) {
    let got = compare_preset("ocp_aws", &expected.0, &actual.0);
    assert!(got.contains("rows match"), "{what}: project rows: {got}");
    let got = compare_preset("ocp_aws_back_populate", &expected.1, &actual.1);
    assert!(
        got.contains("rows match"),
        "{what}: back-populated rows: {got}"
    );
}

fn uuids(url: &str, table: &str, filter: &str) -> String {
    psql(
        url,
        &format!("SELECT string_agg(uuid::text, ',' ORDER BY uuid) FROM {table} {filter}"),
    )
}

#[test]
fn ocp_on_aws_rows_load_into_the_database_and_a_rerun_replaces_them() {
    let data = generated_month_with_cur();
    let dir = data.path();
    let url = fresh_db("ocp_aws");
    init_db(&url, SCHEMA);
    let keys = ["--enabled-keys", KEYS];
    check(run_db(dir, &url, SCHEMA, &keys), "run --database-url");
    let summary_csv = dir.join("summary.csv");
    let csv_out = format!("csv:{}", summary_csv.display());
    // The same rows as CSV, with the lookups (cost categories) read from the same database.
    check(
        run_db(
            dir,
            &url,
            SCHEMA,
            &["--enabled-keys", KEYS, "--output", &csv_out],
        ),
        "run --output csv",
    );
    let run_rows = count(&url, &summary(SCHEMA), "");
    assert!(run_rows > 100, "{run_rows} daily summary rows");

    // The engine's CSV on the same inputs.
    let expected = (dir.join("csv_project.csv"), dir.join("csv_back.csv"));
    check(
        ocp_on_aws(
            dir,
            &summary_csv,
            &[
                "--output-project".as_ref(),
                expected.0.as_os_str(),
                "--output-back-populate".as_ref(),
                expected.1.as_os_str(),
            ],
        ),
        "ocp-on-aws --output-project",
    );
    let (n_project, n_back) = (csv_rows(&expected.0), csv_rows(&expected.1));
    assert!(n_project > 1000 && n_back > 1000, "{n_project} {n_back}");

    // Into the database: the same rows; `run`'s rows untouched.
    let log = check(to_db(dir, &summary_csv, &url), "ocp-on-aws --database-url");
    let log = String::from_utf8_lossy(&log.stderr).into_owned();
    assert!(log.contains("2026-03-01..2026-03-06"), "{log}");
    assert!(log.contains("2026-03-07..2026-03-11"), "{log}");
    let project = project_table();
    assert_eq!(count(&url, &project, "") as usize, n_project);
    assert_eq!(count(&url, &summary(SCHEMA), BACK_FILTER) as usize, n_back);
    assert_eq!(
        count(&url, &summary(SCHEMA), "") as usize,
        run_rows as usize + n_back
    );
    assert_same(&expected, &export(&url, dir, "first"), "first run");
    eprintln!("{n_project} project rows, {n_back} back-populated rows, {run_rows} rows of run");

    // A re-run replaces the rows: same counts and content, new row ids.
    let ids = uuids(&url, &project, "");
    let back_ids = uuids(&url, &summary(SCHEMA), BACK_FILTER);
    let log = check(to_db(dir, &summary_csv, &url), "ocp-on-aws re-run");
    let log = String::from_utf8_lossy(&log.stderr).into_owned();
    assert!(log.contains("rows deleted"), "{log}");
    assert_eq!(count(&url, &project, "") as usize, n_project);
    assert_eq!(
        count(&url, &summary(SCHEMA), "") as usize,
        run_rows as usize + n_back
    );
    assert_same(&expected, &export(&url, dir, "rerun"), "re-run");
    assert_ne!(ids, uuids(&url, &project, ""), "the re-run replaced no row");
    assert_ne!(back_ids, uuids(&url, &summary(SCHEMA), BACK_FILTER));

    // A run failing after its deletes and the project insert (a trigger rejects the
    // back-populated rows) rolls back: the old rows, with their ids, are left.
    let (ids, back_ids) = (
        uuids(&url, &project, ""),
        uuids(&url, &summary(SCHEMA), BACK_FILTER),
    );
    let s = q(SCHEMA);
    psql(
        &url,
        &format!(
            "CREATE FUNCTION {s}.fail_back_populate() RETURNS trigger LANGUAGE plpgsql AS \
             $$BEGIN RAISE EXCEPTION 'forced failure'; END$$; \
             CREATE TRIGGER fail_back_populate BEFORE INSERT ON {} FOR EACH ROW \
             WHEN (NEW.supplementary_usage_cost IS NOT NULL) EXECUTE FUNCTION {s}.fail_back_populate()",
            summary(SCHEMA)
        ),
    );
    let out = to_db(dir, &summary_csv, &url);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "the forced failure did not fail: {err}"
    );
    assert!(err.contains("forced failure"), "{err}");
    assert_eq!(ids, uuids(&url, &project, ""));
    assert_eq!(back_ids, uuids(&url, &summary(SCHEMA), BACK_FILTER));
    assert_eq!(
        count(&url, &summary(SCHEMA), "") as usize,
        run_rows as usize + n_back
    );
    psql(
        &url,
        &format!("DROP TRIGGER fail_back_populate ON {}", summary(SCHEMA)),
    );
    assert_same(
        &expected,
        &export(&url, dir, "failed"),
        "after a failed run",
    );

    // Without --summary the daily summary is read from the database (`run`'s rows only, not the
    // back-populated ones): the same rows.
    let out = bin()
        .arg("ocp-on-aws")
        .arg("--input")
        .arg(dir)
        .args([
            "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "03",
        ])
        .args(["--cluster-id", CLUSTER_ID, "--cluster-alias", "Cluster A"])
        .args(["--report-period-id", "7", "--aws-source", AWS_SOURCE])
        .args(["--bill-id", "3", "--markup", "0.1", "--distribution", "cpu"])
        .args(["--enabled-keys", KEYS, "--aws-enabled-keys", KEYS])
        .args(["--database-url", &url, "--schema", SCHEMA])
        .output()
        .expect("spawn ocp-on-aws");
    check(out, "ocp-on-aws, summary from the database");
    assert_eq!(count(&url, &project, "") as usize, n_project);
    assert_eq!(
        count(&url, &summary(SCHEMA), "") as usize,
        run_rows as usize + n_back
    );
    assert_same(
        &expected,
        &export(&url, dir, "db_summary"),
        "summary from the database",
    );
}
