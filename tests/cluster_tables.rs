//! Koku's cluster tables (`reporting_ocp_clusters`, `_nodes`, `_pvcs`, `_projects`) as
//! `ocp-summary run --database-url` writes them, against the oracle: the DuckDB port of Koku's
//! three Trino queries plus its get-or-create and update-if-empty rules
//! (tests/oracle/cluster_tables.py), from the same starting state, on generated data with role
//! evidence of every kind (`--cluster-cases`). The summary's unallocated rows must then take the
//! roles of the table as written, as Koku's summary SQL reads them back.

mod common;

use common::pg::*;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const PROVIDER_ROW: &str = "INSERT INTO {s}.reporting_tenant_api_provider (uuid, name, type) \
                            VALUES ('{source}', 'source', 'OCP') ON CONFLICT DO NOTHING";

fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// The four tables as JSON (the oracle's state format).
fn dump(url: &str, schema: &str) -> Value {
    let s = q(schema);
    let agg = |cols: &str, table: &str| {
        format!("coalesce((SELECT json_agg(json_build_object({cols})) FROM {s}.{table}), '[]')")
    };
    let sql = format!(
        "SELECT json_build_object('clusters', {}, 'nodes', {}, 'pvcs', {}, 'projects', {})",
        agg(
            "'uuid', uuid::text, 'cluster_id', cluster_id, 'cluster_alias', cluster_alias, \
             'provider_id', provider_id::text",
            "reporting_ocp_clusters"
        ),
        agg(
            "'uuid', uuid::text, 'node', node, 'resource_id', resource_id, \
             'node_capacity_cpu_cores', node_capacity_cpu_cores::text, \
             'cluster_id', cluster_id::text, 'node_role', node_role, 'architecture', architecture",
            "reporting_ocp_nodes"
        ),
        agg(
            "'uuid', uuid::text, 'persistent_volume', persistent_volume, \
             'persistent_volume_claim', persistent_volume_claim, \
             'csi_volume_handle', csi_volume_handle, 'cluster_id', cluster_id::text",
            "reporting_ocp_pvcs"
        ),
        agg(
            "'uuid', uuid::text, 'project', project, 'cluster_id', cluster_id::text",
            "reporting_ocp_projects"
        ),
    );
    serde_json::from_str(&psql(url, &sql)).expect("tables as JSON")
}

/// Every uuid of `state`.
fn uuids(state: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for table in ["clusters", "nodes", "pvcs", "projects"] {
        for row in state[table].as_array().unwrap() {
            out.insert(row["uuid"].as_str().unwrap().to_string());
        }
    }
    out
}

/// `tables` with every uuid not in `before` (row or cluster reference) written as "new", each
/// table's rows sorted by their JSON text.
fn normalised(tables: &Value, before: &BTreeSet<String>) -> Vec<(String, Vec<String>)> {
    let keep = |v: &Value| match v.as_str() {
        Some(u) if before.contains(u) || u == "new" => v.clone(),
        Some(_) => Value::String("new".into()),
        None => v.clone(),
    };
    ["clusters", "nodes", "pvcs", "projects"]
        .iter()
        .map(|table| {
            let mut rows: Vec<String> = tables[*table]
                .as_array()
                .unwrap_or(&Vec::new())
                .iter()
                .map(|row| {
                    let mut row = row.clone();
                    row["uuid"] = keep(&row["uuid"]);
                    if *table != "clusters" {
                        row["cluster_id"] = keep(&row["cluster_id"]);
                    }
                    row.to_string()
                })
                .collect();
            rows.sort();
            (table.to_string(), rows)
        })
        .collect()
}

fn oracle_tables(dir: &Path, alias: &str, state: &Value) -> Value {
    let state_file = dir.join("state.json");
    let out = dir.join("oracle_tables.json");
    std::fs::write(&state_file, state.to_string()).unwrap();
    let res = Command::new(python())
        .arg(repo().join("tests/oracle/cluster_tables.py"))
        .args(Params::month(2026, 3).args(dir))
        .args(["--cluster-alias", alias, "--state"])
        .arg(&state_file)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("spawn cluster_tables.py");
    check(res, "cluster_tables.py");
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

/// One run against the oracle: the tables after it equal the oracle's from the same state.
fn assert_run_matches(dir: &Path, url: &str, alias: &str) -> Value {
    let before = dump(url, SCHEMA);
    let expected = oracle_tables(dir, alias, &before);
    let out = bin()
        .args(["run", "--input"])
        .arg(dir)
        .args([
            "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "3",
        ])
        .args(["--cluster-id", "cluster-a", "--cluster-alias", alias])
        .args(["--report-period-id", "7", "--threads", "2"])
        .args(["--database-url", url, "--schema", SCHEMA])
        .output()
        .unwrap();
    let out = check(out, "ocp-summary run --database-url");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cluster tables:"), "{stderr}");
    let after = dump(url, SCHEMA);
    let known = uuids(&before);
    assert_eq!(
        normalised(&after, &known),
        normalised(&expected, &known),
        "cluster tables after the run (left) differ from the oracle's (right)"
    );
    after
}

/// (node, resource_id, capacity) of the generated nodes, from `cluster-info`.
fn generated_nodes(dir: &Path) -> Vec<(String, String, String)> {
    let out = bin()
        .arg("cluster-info")
        .args(Params::month(2026, 3).args(dir))
        .args(["--query", "nodes"])
        .output()
        .unwrap();
    let out = check(out, "cluster-info");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<String> = l.split(',').map(|f| f.trim_matches('"').into()).collect();
            (f[0].clone(), f[1].clone(), f[2].clone())
        })
        .collect()
}

/// Koku's tables as a long-running tenant may hold them: two clusters for the source (the one with
/// another alias must go, with its rows), a sticky role, a role to overwrite because the
/// architecture is empty, a node row of another capacity, a PVC without a handle and a project.
fn seed(url: &str, dir: &Path) {
    let s = q(SCHEMA);
    let nodes = generated_nodes(dir);
    assert!(nodes.len() >= 3, "{nodes:?}");
    // a and c share the run's alias and stay; a, first by uuid, is the one Koku takes.
    let (a, b, c) = (uuid(1), uuid(2), uuid(3));
    let mut sql = vec![
        PROVIDER_ROW.replace("{s}", &s).replace("{source}", SOURCE),
        format!(
            "INSERT INTO {s}.reporting_ocp_clusters VALUES \
             ('{a}', 'cluster-a', 'Cluster A', '{SOURCE}'), ('{b}', 'cluster-a', 'Old name', '{SOURCE}'), \
             ('{c}', 'cluster-other', 'Cluster A', '{SOURCE}')"
        ),
        format!(
            "INSERT INTO {s}.reporting_ocp_nodes VALUES \
             ('{}', '{}', '{}', {}, '{a}', 'infra', 'arm64'), \
             ('{}', '{}', '{}', {}, '{a}', 'master', NULL), \
             ('{}', '{}', '{}', 999, '{a}', 'infra', 'amd64'), \
             ('{}', 'node-of-b', NULL, 1, '{b}', 'worker', 'amd64')",
            uuid(10),
            nodes[0].0,
            nodes[0].1,
            nodes[0].2,
            uuid(11),
            nodes[1].0,
            nodes[1].1,
            nodes[1].2,
            uuid(12),
            nodes[2].0,
            nodes[2].1,
            uuid(13),
        ),
        format!(
            "INSERT INTO {s}.reporting_ocp_projects VALUES ('{}', 'an-old-project', '{a}'), \
             ('{}', 'project-of-b', '{b}'), ('{}', 'project-of-c', '{c}')",
            uuid(20),
            uuid(21),
            uuid(22)
        ),
    ];
    let pvcs = bin()
        .arg("cluster-info")
        .args(Params::month(2026, 3).args(dir))
        .args(["--query", "pvcs"])
        .output()
        .unwrap();
    let pvcs = check(pvcs, "cluster-info pvcs");
    let with_handle = String::from_utf8_lossy(&pvcs.stdout)
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|f| f.trim_matches('"').to_string())
                .collect::<Vec<_>>()
        })
        .find(|f| f[2] != "\\N" && !f[2].is_empty() && !f[0].is_empty())
        .expect("a PVC with a CSI handle");
    sql.push(format!(
        "INSERT INTO {s}.reporting_ocp_pvcs VALUES ('{}', '{}', '{}', '{a}', NULL)",
        uuid(30),
        with_handle[1],
        with_handle[0]
    ));
    psql(url, &sql.join(";\n"));
}

/// `--node-role` flags for the oracle: `reporting_ocp_nodes` as Koku's summary joins it.
fn roles_in_db(url: &str) -> Vec<String> {
    let text = psql(
        url,
        &format!(
            "SELECT node || '@' || coalesce(resource_id, '\\N') || '=' || coalesce(max(node_role), '\\N') \
             FROM {}.reporting_ocp_nodes GROUP BY node, resource_id",
            q(SCHEMA)
        ),
    );
    text.lines().map(str::to_string).collect()
}

/// The summary rows in the database as a CSV with the engine's header.
fn summary_csv(url: &str, header_from: &Path, out: &Path) {
    let header = std::fs::read_to_string(header_from).unwrap();
    let cols = header.lines().next().unwrap().to_string();
    psql(
        url,
        &format!(
            "\\copy (SELECT {cols} FROM {}) TO '{}' WITH (FORMAT csv, HEADER, NULL '\\N')",
            summary(SCHEMA),
            out.display()
        ),
    );
}

#[test]
fn run_writes_the_cluster_tables_as_koku_and_reads_its_roles_back() {
    let data = generated(&["--days", "3", "--cluster-cases"]);
    let dir = data.path();
    let url = fresh_db("clusters");
    init_db(&url, SCHEMA);
    seed(&url, dir);

    // The duplicate cluster goes, roles stick or are overwritten, rows are created.
    let after = assert_run_matches(dir, &url, "Cluster A");
    assert_eq!(after["clusters"].as_array().unwrap().len(), 2);
    // The summary's unallocated rows use the roles of the table as written.
    let (oracle_csv, db_csv) = (dir.join("oracle.csv"), dir.join("db.csv"));
    // The lookups the run read from the database: init_db's enabled keys and Koku's seeded
    // cost-category namespaces.
    let lookups = Params {
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
    let mut oracle = Command::new(python());
    oracle
        .arg(repo().join("tests/oracle/oracle.py"))
        .args(lookups.args(dir));
    for r in roles_in_db(&url) {
        oracle.args(["--node-role", &r]);
    }
    oracle.arg("--out").arg(&oracle_csv);
    check(oracle.output().unwrap(), "oracle.py");
    summary_csv(&url, &oracle_csv, &db_csv);
    let summary = compare(&oracle_csv, &db_csv);
    assert!(summary.contains("rows match"), "{summary}");

    // A second run changes nothing; a new alias updates the one cluster's alias only.
    let again = assert_run_matches(dir, &url, "Cluster A");
    let known = uuids(&after);
    assert_eq!(normalised(&again, &known), normalised(&after, &known));
    let renamed = assert_run_matches(dir, &url, "Cluster A renamed");
    assert_eq!(
        renamed["clusters"][0]["cluster_alias"].as_str(),
        Some("Cluster A renamed")
    );
    assert_eq!(
        renamed["clusters"][0]["cluster_id"].as_str(),
        Some("cluster-a")
    );
}

#[test]
fn no_cluster_tables_leaves_them_and_a_missing_table_is_a_clear_error() {
    let data = generated(&["--days", "1"]);
    let url = fresh_db("noclusters");
    init_db(&url, SCHEMA);
    let out = run_db(data.path(), &url, SCHEMA, &["--no-cluster-tables"]);
    check(out, "run --no-cluster-tables");
    let s = q(SCHEMA);
    assert_eq!(count(&url, &format!("{s}.reporting_ocp_nodes"), ""), 0);
    assert!(count(&url, &summary(SCHEMA), "") > 0);

    psql(&url, &format!("DROP TABLE {s}.reporting_ocp_projects"));
    let out = run_db(data.path(), &url, SCHEMA, &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("reporting_ocp_projects") && stderr.contains("--no-cluster-tables"),
        "{stderr}"
    );
    // The failed run rolled back: the summary rows of the first run are still there.
    assert!(count(&url, &summary(SCHEMA), "") > 0);
}

/// Held-out data: another seed and shape, written into empty tables, then into its own output.
#[test]
fn held_out_seed_matches_the_oracle_from_empty_tables() {
    let data = generated(&[
        "--days",
        "2",
        "--cluster-cases",
        "--seed",
        "20261202",
        "--nodes",
        "6",
        "--pvcs-per-pod",
        "2",
    ]);
    let dir = data.path();
    let url = fresh_db("heldout");
    init_db(&url, SCHEMA);
    let first = assert_run_matches(dir, &url, "Cluster A");
    assert!(first["nodes"].as_array().unwrap().len() >= 6, "{first}");
    assert!(!first["pvcs"].as_array().unwrap().is_empty());
    assert_run_matches(dir, &url, "Cluster A");
}
