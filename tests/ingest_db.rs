//! `ingest --database-url`: the payload's label keys become disabled OpenShift tag keys in
//! `reporting_enabledtagkeys`, as masu's `populate_enabled_tag_rows_with_false` records them:
//! existing keys (enabled or not) untouched, other provider types apart, idempotent; an
//! unreachable database is exit 4 with the Parquet left written; bad database options are exit 2
//! with nothing written. `ingest --provider aws --database-url`: the CUR's tag keys as masu's
//! `populate_enabled_tag_rows_with_limit` records them (enabled up to `TAG_ENABLED_LIMIT`), its
//! cost-category keys as `create_enabled_categories` does.

mod common;

use common::pg::*;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Output;
use tempfile::TempDir;

fn koku_payload() -> PathBuf {
    repo().join("tests/data/koku-payloads/payload.tar.gz")
}

fn ingest(input: &Path, out: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("ingest")
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(out)
        .args(["--org", ORG, "--source", SOURCE])
        .args(extra)
        .output()
        .expect("spawn ingest")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every row as `key|enabled|provider_type`, by provider type and key.
fn tag_rows(url: &str, schema: &str) -> Vec<String> {
    psql(
        url,
        &format!(
            "SELECT key, enabled, provider_type FROM {}.reporting_enabledtagkeys ORDER BY provider_type COLLATE \"C\", key COLLATE \"C\"",
            q(schema)
        ),
    )
    .lines()
    .map(str::to_string)
    .collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().unwrap().is_dir() {
                out.extend(files_under(&e.path()));
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

#[test]
fn keys_are_recorded_disabled_without_touching_existing_rows_and_twice_is_a_no_op() {
    let url = fresh_db("ingest_keys");
    init_db(&url, SCHEMA);
    // The payload's `key1`, already known for AWS (and enabled there).
    psql(
        &url,
        &format!(
            "INSERT INTO {}.reporting_enabledtagkeys (key, enabled, provider_type) VALUES ('key1', true, 'AWS')",
            q(SCHEMA)
        ),
    );
    let dir = TempDir::new().unwrap();
    let db = ["--database-url", url.as_str(), "--schema", SCHEMA];
    let out = check(ingest(&koku_payload(), dir.path(), &db), "ingest");
    // Pod labels key1..key4, storage volume label `app` (seeded enabled for OCP).
    let err = stderr(&out);
    assert!(
        err.contains("5 seen, 4 newly recorded as disabled"),
        "{err}"
    );
    let expect = [
        "env|t|AWS",
        "key1|t|AWS",
        "app|t|OCP",
        "key1|f|OCP",
        "key2|f|OCP",
        "key3|f|OCP",
        "key4|f|OCP",
        "team|t|OCP",
        "tier|f|OCP",
    ];
    assert_eq!(tag_rows(&url, SCHEMA), expect);
    assert_eq!(files_under(dir.path()).len(), 6);

    let out = check(ingest(&koku_payload(), dir.path(), &db), "second ingest");
    let err = stderr(&out);
    assert!(err.contains("5 seen, 0 newly recorded"), "{err}");
    assert_eq!(tag_rows(&url, SCHEMA), expect);
}

#[test]
fn aws_keys_are_enabled_up_to_the_limit_and_categories_recorded() {
    let url = fresh_db("ingest_aws_keys");
    init_db(&url, SCHEMA);
    // Known already (disabled): left as it is.
    psql(
        &url,
        &format!(
            "INSERT INTO {}.reporting_enabledtagkeys (key, enabled, provider_type) \
             VALUES ('environment', false, 'AWS')",
            q(SCHEMA)
        ),
    );
    let dir = TempDir::new().unwrap();
    let data = dir.path();
    let out = bin()
        .args(["generate", "--out"])
        .arg(data)
        .args([
            "--org", ORG, "--source", SOURCE, "--days", "2", "--nodes", "4",
        ])
        .args([
            "--namespaces-per-node",
            "1",
            "--pods-per-namespace",
            "2",
            "--aws",
        ])
        .output()
        .expect("spawn generate");
    check(out, "generate --aws");
    let aws_ingest = || {
        aws::ingest_cur(data, data, aws::AWS_SOURCE)
            .args(["--database-url", url.as_str(), "--schema", SCHEMA])
            // Three rows are enabled already (init_db: app and team for OCP, env for AWS).
            .env("TAG_ENABLED_LIMIT", "5")
            .output()
            .expect("spawn ingest")
    };
    let err = stderr(&check(aws_ingest(), "ingest --provider aws"));
    assert!(
        err.contains("2 tag keys enabled, 2 disabled") && err.contains("1 cost-category keys"),
        "{err}"
    );
    // The CUR's keys: app, environment, openshift_cluster, openshift_node, openshift_project.
    let expect = [
        "app|t|AWS",
        "env|t|AWS",
        "environment|f|AWS",
        "openshift_cluster|t|AWS",
        "openshift_node|f|AWS",
        "openshift_project|f|AWS",
        "app|t|OCP",
        "team|t|OCP",
        "tier|f|OCP",
    ];
    assert_eq!(tag_rows(&url, SCHEMA), expect);
    let categories = format!(
        "SELECT key, enabled FROM {}.reporting_awsenabledcategorykeys ORDER BY key",
        q(SCHEMA)
    );
    assert_eq!(psql(&url, &categories).trim(), "team|t");

    let err = stderr(&check(aws_ingest(), "second ingest --provider aws"));
    assert!(
        err.contains("0 tag keys enabled, 0 disabled") && err.contains("0 cost-category keys"),
        "{err}"
    );
    assert_eq!(tag_rows(&url, SCHEMA), expect);
}

/// A payload with every label column, a row dropped as an anomaly, and keys that show how
/// `process_openshift_labels` makes them.
fn crafted_payload(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let period = "2026-02-01 00:00:00 +0000 UTC,2026-03-01 00:00:00 +0000 UTC";
    let at = "2026-02-28 00:00:00 +0000 UTC,2026-02-28 00:59:59 +0000 UTC";
    let pod = format!(
        "report_period_start,report_period_end,interval_start,interval_end,pod,namespace,node,resource_id,\
         pod_usage_cpu_core_seconds,pod_request_cpu_core_seconds,pod_limit_cpu_core_seconds,\
         pod_usage_memory_byte_seconds,pod_request_memory_byte_seconds,pod_limit_memory_byte_seconds,\
         node_capacity_cpu_cores,node_capacity_cpu_core_seconds,node_capacity_memory_bytes,\
         node_capacity_memory_byte_seconds,pod_labels\n\
         {period},{at},p1,ns1,alpha,i-1,1,1,1,1,1,1,2,7200,8,8,label_app:web|label_my_label_k:v|label_url:http://x|nocolon|label_App:x\n\
         {period},{at},p2,ns1,alpha,i-1,2e18,1,1,1,1,1,2,7200,8,8,label_dropped_only:1\n"
    );
    let storage = format!(
        "report_period_start,report_period_end,interval_start,interval_end,namespace,pod,\
         persistentvolumeclaim,persistentvolume,storageclass,persistentvolumeclaim_capacity_bytes,\
         persistentvolumeclaim_capacity_byte_seconds,volume_request_storage_byte_seconds,\
         persistentvolumeclaim_usage_byte_seconds,persistentvolume_labels,persistentvolumeclaim_labels\n\
         {period},{at},ns1,p1,c1,pv1,gp3,1,1,1,1,label_pv_key:1,label_pvc_key:2\n"
    );
    let nodes = format!(
        "report_period_start,report_period_end,interval_start,interval_end,node,node_labels\n\
         {period},{at},alpha,label_zone:a|label_node_role_kubernetes_io_master:true\n"
    );
    let namespaces = format!(
        "report_period_start,report_period_end,interval_start,interval_end,namespace,namespace_labels\n\
         {period},{at},ns1,label_Team:core\n"
    );
    let files = [
        ("c_ocp_pod_usage.csv", pod),
        ("c_ocp_storage_usage.csv", storage),
        ("c_ocp_node_label.csv", nodes),
        ("c_ocp_namespace_label.csv", namespaces),
    ];
    for (name, text) in &files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::json!({"files": names, "cluster_id": "c"}).to_string(),
    )
    .unwrap();
}

#[test]
fn keys_come_from_every_label_column_of_kept_rows_into_the_org_schema() {
    let url = fresh_db("ingest_cols");
    init_db(&url, ORG);
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("payload");
    crafted_payload(&input);
    // No --schema: the org's.
    let out = check(
        ingest(&input, &dir.path().join("out"), &["--database-url", &url]),
        "ingest",
    );
    let err = stderr(&out);
    assert!(err.contains("1 dropped"), "{err}");
    assert!(err.contains("8 seen, 7 newly recorded"), "{err}");
    // `label_` removed everywhere in a key, case kept; `url` (value with ':'), `nocolon` and the
    // dropped row's `dropped_only` are not keys.
    let ocp: Vec<String> = tag_rows(&url, ORG)
        .into_iter()
        .filter(|r| r.ends_with("|OCP"))
        .collect();
    assert_eq!(
        ocp,
        [
            "App|f|OCP",
            "Team|f|OCP",
            "app|t|OCP",
            "my_k|f|OCP",
            "node_role_kubernetes_io_master|f|OCP",
            "pv_key|f|OCP",
            "pvc_key|f|OCP",
            "team|t|OCP",
            "tier|f|OCP",
            "zone|f|OCP",
        ]
    );
}

#[test]
fn unreachable_database_is_exit_4_and_the_parquet_stays() {
    let dir = TempDir::new().unwrap();
    let url = format!(
        "postgres://someone:hunter2@127.0.0.1:{}/koku?sslmode=disable",
        free_port()
    );
    let out = ingest(
        &koku_payload(),
        dir.path(),
        &["--database-url", &url, "--db-connect-attempts", "1"],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("cannot connect to postgres someone@127.0.0.1:"),
        "{err}"
    );
    assert!(err.contains("label keys were not recorded"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert_eq!(files_under(dir.path()).len(), 6, "the Parquet is written");
}

#[test]
fn a_schema_without_the_table_is_exit_4_naming_it() {
    let url = fresh_db("ingest_notable");
    let dir = TempDir::new().unwrap();
    let out = ingest(&koku_payload(), dir.path(), &["--database-url", &url]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("recording tag keys in reporting_enabledtagkeys")
            && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn bad_database_options_are_exit_2_and_write_nothing() {
    let dir = TempDir::new().unwrap();
    for (url, says) in [
        ("postgres://u@127.0.0.1/db?sslmode=sometimes", "sslmode"),
        ("postgres://u@127.0.0.1/db", "--schema"),
    ] {
        let mut extra = vec!["--database-url", url];
        if says == "--schema" {
            extra.extend(["--schema", ""]);
        }
        let out = ingest(&koku_payload(), dir.path(), &extra);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(says), "{err}");
        assert!(files_under(dir.path()).is_empty(), "{err}");
    }
}
