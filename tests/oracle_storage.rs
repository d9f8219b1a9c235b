//! Storage and unallocated rows agree with the DuckDB port of Koku's SQL (tests/oracle): every
//! row of all three kinds, over generated shapes with shared, claimless and orphan volumes, several
//! storage classes and CSI drivers, mixed node roles (given with and without a resource id), no
//! storage files at all, and storage files from before `csi_volume_handle`. A storage file missing
//! a required column fails with a message naming the column.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Output};
use tempfile::TempDir;

const KEYS: &str =
    "app,environment,team,k001,node_role_kubernetes_io,region_name,storage_tier,owner";
const ALL_KINDS: &str = "pod,storage,unallocated";

fn categories() -> Vec<String> {
    // Koku's seed plus overlapping patterns (E3), one matching "Worker unallocated" twice.
    [
        "openshift-%=1",
        "kube-%=1",
        "Platform unallocated=1",
        "openshift=1",
        "%-00_=2",
        "project-%=3",
        "Worker%=4",
        "%unallocated=5",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Options shared by the engine and the oracle (mirrors `common::Params`, plus node roles).
struct Run {
    month: u32,
    enabled_keys: Option<&'static str>,
    categories: Vec<String>,
}

impl Run {
    fn new(month: u32) -> Self {
        Run {
            month,
            enabled_keys: Some(KEYS),
            categories: categories(),
        }
    }

    fn args(&self, input: &Path) -> Vec<String> {
        let mut a: Vec<String> = [
            "--input",
            &input.display().to_string(),
            "--org",
            ORG,
            "--source",
            SOURCE,
            "--year",
            "2026",
            "--month",
            &format!("{:02}", self.month),
            "--cluster-id",
            "cluster-a",
            "--cluster-alias",
            "Cluster A",
            "--report-period-id",
            "7",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        match self.enabled_keys {
            Some(k) => a.extend(["--enabled-keys".into(), k.into()]),
            None => a.push("--no-enabled-keys".into()),
        }
        for c in &self.categories {
            a.extend(["--cost-category".into(), c.clone()]);
        }
        a
    }
}

fn engine(dir: &Path, run: &Run, roles: &[String], out_csv: &Path) -> Output {
    let mut cmd = bin();
    cmd.arg("run").args(run.args(dir)).args(["--threads", "2"]);
    for r in roles {
        cmd.args(["--node-role", r]);
    }
    if !roles.is_empty() {
        // The flags alone, so the node they leave out keeps a NULL namespace (E10).
        cmd.arg("--no-derive-node-roles");
    }
    cmd.arg("--output")
        .arg(format!("csv:{}", out_csv.display()))
        .output()
        .expect("spawn run")
}

fn oracle(dir: &Path, run: &Run, roles: &[String], out_csv: &Path) {
    let mut cmd = Command::new(python());
    cmd.arg(repo().join("tests/oracle/oracle.py"))
        .args(run.args(dir))
        .args(["--kinds", ALL_KINDS]);
    for r in roles {
        cmd.args(["--node-role", r]);
    }
    check(cmd.arg("--out").arg(out_csv).output().unwrap(), "oracle.py");
}

/// (node, resource_id, role) of the generated nodes, from generate.json.
fn nodes(dir: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(dir.join("generate.json")).expect("generate.json");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let s = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    json["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| (s(n, "node"), s(n, "resource_id"), s(n, "role")))
        .collect()
}

/// Roles for all but the last node: the oracle always gets `NODE@RESOURCE_ID`; the engine gets
/// every other node without a resource id. One node gets a role Koku does not know (E10).
fn roles(dir: &Path) -> (Vec<String>, Vec<String>) {
    let nodes = nodes(dir);
    let (mut for_engine, mut for_oracle) = (Vec::new(), Vec::new());
    for (i, (node, rid, role)) in nodes.iter().enumerate().take(nodes.len() - 1) {
        let role = if i == 2 {
            "unknown-role"
        } else {
            role.as_str()
        };
        for_oracle.push(format!("{node}@{rid}={role}"));
        for_engine.push(if i % 2 == 0 {
            format!("{node}={role}")
        } else {
            format!("{node}@{rid}={role}")
        });
    }
    (for_engine, for_oracle)
}

fn rows_of(path: &Path, what: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().filter(|l| l.contains(what)).count()
}

/// Runs both and compares; returns (storage rows, unallocated rows) of the engine's output.
fn assert_matches(dir: &Path, run: &Run) -> (usize, usize) {
    let (engine_roles, oracle_roles) = roles(dir);
    let (e, o) = (dir.join("engine.csv"), dir.join("oracle.csv"));
    check(engine(dir, run, &engine_roles, &e), "ocp-summary run");
    oracle(dir, run, &oracle_roles, &o);
    let summary = compare(&o, &e);
    assert!(summary.contains("rows match"), "{summary}");
    (rows_of(&e, ",Storage,"), rows_of(&e, " unallocated,"))
}

#[test]
fn storage_shapes_and_seeds_match() {
    let shapes: &[&[&str]] = &[
        &[],
        &[
            "--pvcs-per-pod",
            "3",
            "--shared-volumes",
            "6",
            "--nodes",
            "6",
        ],
        &[
            "--claimless-volumes",
            "5",
            "--orphan-storage",
            "6",
            "--storage-classes",
            "5",
            "--csi-drivers",
            "3",
        ],
        &[
            "--nodes",
            "12",
            "--rows-per-file",
            "4000",
            "--rows-per-row-group",
            "700",
        ],
        &["--nodes", "4", "--pvcs-per-pod", "2", "--no-edge-cases"],
    ];
    for (i, shape) in shapes.iter().enumerate() {
        let dir = TempDir::new().unwrap();
        let seed = (200 + i).to_string();
        let mut args = vec!["--days", "2", "--seed", &seed, "--pods-per-namespace", "6"];
        args.extend_from_slice(shape);
        generate(dir.path(), &args);
        let (storage, unallocated) = assert_matches(dir.path(), &Run::new(3));
        assert!(storage > 0, "no Storage rows for shape {shape:?}");
        assert!(unallocated > 0, "no unallocated rows for shape {shape:?}");
    }
}

#[test]
fn no_enabled_keys_and_month_boundary() {
    let dir = TempDir::new().unwrap();
    generate(
        dir.path(),
        &[
            "--start",
            "2026-01-30",
            "--days",
            "4",
            "--seed",
            "7",
            "--pods-per-namespace",
            "5",
        ],
    );
    let mut run = Run::new(1);
    run.enabled_keys = None;
    assert_matches(dir.path(), &run);
    let run = Run::new(2);
    assert_matches(dir.path(), &run);
}

#[test]
fn no_storage_files_still_gives_unallocated_rows() {
    let dir = TempDir::new().unwrap();
    generate(
        dir.path(),
        &["--days", "2", "--seed", "11", "--pods-per-namespace", "5"],
    );
    for sub in ["data/parquet", "data/parquet/daily"] {
        let p = dir.path().join(sub).join(ORG).join("OCP/storage_usage");
        std::fs::remove_dir_all(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
    let (storage, unallocated) = assert_matches(dir.path(), &Run::new(3));
    assert_eq!(storage, 0);
    assert!(unallocated > 0);
}

/// Rewrites every daily storage file without `column`, through DuckDB.
fn drop_storage_column(dir: &Path, column: &str) {
    let root = dir
        .join("data/parquet/daily")
        .join(ORG)
        .join("OCP/storage_usage");
    let script = format!(
        "import duckdb, glob, os\n\
         for f in glob.glob('{}/**/*.parquet', recursive=True):\n\
         \x20   duckdb.sql(f\"COPY (SELECT * EXCLUDE ({column}) FROM read_parquet('{{f}}')) TO '{{f}}.new' (FORMAT parquet)\")\n\
         \x20   os.replace(f + '.new', f)\n",
        root.display()
    );
    let out = Command::new(python())
        .args(["-c", &script])
        .output()
        .unwrap();
    check(out, "rewrite storage files");
}

#[test]
fn storage_files_without_csi_volume_handle_match() {
    let dir = TempDir::new().unwrap();
    generate(
        dir.path(),
        &["--days", "2", "--seed", "13", "--pods-per-namespace", "5"],
    );
    drop_storage_column(dir.path(), "csi_volume_handle");
    let (storage, _) = assert_matches(dir.path(), &Run::new(3));
    assert!(storage > 0);
}

#[test]
fn storage_file_missing_a_required_column_is_a_clear_error() {
    let dir = TempDir::new().unwrap();
    generate(
        dir.path(),
        &["--days", "1", "--seed", "17", "--pods-per-namespace", "3"],
    );
    drop_storage_column(dir.path(), "volume_request_storage_byte_seconds");
    let out = engine(dir.path(), &Run::new(3), &[], &dir.path().join("x.csv"));
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("volume_request_storage_byte_seconds") && err.contains("storage_usage"),
        "{err}"
    );
    assert!(!dir.path().join("x.csv").exists());
}

/// Koku's `get_nodes_query_sql` (spec §2.5) in DuckDB, independent of the engine: one
/// `NODE@RESOURCE_ID=ROLE` line per (node, resource_id) for the whole month.
const DERIVE_ROLES: &str = r#"
import duckdb, sys
root, org, src, y, m = sys.argv[1:6]
p = f"{root}/data/parquet/daily/{org}/OCP/%s/source={src}/year={y}/month={m}/*.parquet"
con = duckdb.connect()
pods = f"read_parquet('{p % 'pod_usage'}', union_by_name=true)"
cols = [r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {pods}").fetchall()]
role = "ocp.node_role" if "node_role" in cols else "NULL::varchar"
q = f"""
SELECT ocp.node, ocp.resource_id,
  coalesce(max({role}), CASE
    WHEN list_contains(array_agg(DISTINCT ocp.namespace), 'openshift-kube-apiserver') THEN 'master'
    WHEN bool_or(nl.node_labels LIKE '%"node_role_kubernetes_io": "infra"%') THEN 'infra'
    ELSE 'worker' END)
FROM {pods} AS ocp
JOIN read_parquet('{p % 'node_labels'}', union_by_name=true) AS nl ON ocp.node = nl.node
GROUP BY 1, 2
"""
for n, r, role in con.sql(q).fetchall():
    print(f"{n}@{chr(92) + 'N' if r is None else r}={role}")
"#;

#[test]
fn derived_node_roles_match_koku_node_query() {
    let dir = TempDir::new().unwrap();
    generate(
        dir.path(),
        &[
            "--days",
            "2",
            "--seed",
            "19",
            "--nodes",
            "12",
            "--pods-per-namespace",
            "4",
        ],
    );
    let out = Command::new(python())
        .args(["-c", DERIVE_ROLES])
        .arg(dir.path())
        .args([ORG, SOURCE, "2026", "03"])
        .output()
        .unwrap();
    let out = check(out, "derive roles");
    let oracle_roles: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert!(
        oracle_roles.iter().any(|r| r.ends_with("=master")),
        "{oracle_roles:?}"
    );
    assert!(
        oracle_roles.iter().any(|r| r.ends_with("=infra")),
        "{oracle_roles:?}"
    );
    let run = Run::new(3);
    let (e, o) = (dir.path().join("engine.csv"), dir.path().join("oracle.csv"));
    let mut cmd = bin();
    cmd.arg("run")
        .args(run.args(dir.path()))
        .arg("--derive-node-roles")
        .arg("--output")
        .arg(format!("csv:{}", e.display()));
    check(cmd.output().unwrap(), "ocp-summary run --derive-node-roles");
    oracle(dir.path(), &run, &oracle_roles, &o);
    let summary = compare(&o, &e);
    assert!(summary.contains("rows match"), "{summary}");
    assert!(rows_of(&e, "Platform unallocated,") > 0 && rows_of(&e, "Worker unallocated,") > 0);
}
