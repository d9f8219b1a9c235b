//! Koku's cluster-information queries (nodes, PVCs, projects, max/min timestamps) computed by
//! `ocp-summary cluster-info` agree with the DuckDB port of Koku's Trino SQL
//! (tests/oracle/cluster.sql, run by cluster.py) on generated data: every row, every column.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use tempfile::TempDir;

const QUERIES: [&str; 4] = ["nodes", "pvcs", "projects", "timestamps"];

fn engine_csv(input: &Path, p: &Params, query: &str, out: &Path) {
    let res = bin()
        .arg("cluster-info")
        .args(p.args(input))
        .args(["--query", query])
        .output()
        .expect("spawn cluster-info");
    let res = check(res, "ocp-summary cluster-info");
    std::fs::write(out, &res.stdout).unwrap();
}

fn oracle_csv(input: &Path, p: &Params, query: &str, out: &Path) {
    let res = Command::new(python())
        .arg(repo().join("tests/oracle/cluster.py"))
        .args(p.args(input))
        .args(["--query", query, "--out"])
        .arg(out)
        .output()
        .expect("spawn cluster oracle");
    check(res, "cluster.py");
}

/// Compares one query; returns the engine's CSV text.
fn assert_query(dir: &Path, p: &Params, query: &str) -> String {
    let engine = dir.join(format!("engine_{query}.csv"));
    let oracle = dir.join(format!("oracle_{query}.csv"));
    engine_csv(dir, p, query, &engine);
    oracle_csv(dir, p, query, &oracle);
    let summary = compare(&oracle, &engine);
    assert!(summary.contains("rows match"), "{query} {p:?}: {summary}");
    std::fs::read_to_string(&engine).unwrap()
}

/// Every query matches; returns the node CSV.
fn assert_all(dir: &Path, p: &Params) -> String {
    let mut nodes = String::new();
    for q in QUERIES {
        let text = assert_query(dir, p, q);
        assert!(
            csv_rows(&dir.join(format!("engine_{q}.csv"))) > 0,
            "{q}: no rows"
        );
        if q == "nodes" {
            nodes = text;
        }
    }
    nodes
}

/// (role, arch) of each node row, by "node,resource_id".
fn node_rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|f| f.trim_matches('"').to_string())
                .collect()
        })
        .collect()
}

fn row<'a>(rows: &'a [Vec<String>], node: &str) -> &'a Vec<String> {
    rows.iter()
        .find(|r| r[0] == node)
        .unwrap_or_else(|| panic!("no node row for {node}: {rows:?}"))
}

#[test]
fn every_kind_of_role_evidence_matches() {
    let dir = TempDir::new().unwrap();
    // 10 nodes: three masters, two infras, five workers (generate's topology).
    generate(
        dir.path(),
        &[
            "--days",
            "3",
            "--seed",
            "21",
            "--nodes",
            "10",
            "--cluster-cases",
        ],
    );
    let p = Params::month(2026, 3);
    let nodes = node_rows(&assert_all(dir.path(), &p));
    // The evidence the data is meant to hold, so the comparison covers every kind of it.
    let roles: Vec<&str> = nodes.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(
        row(&nodes, "infra-000")[3],
        "worker",
        "node_role column wins"
    );
    assert_eq!(row(&nodes, "node-001")[3], "gpu", "node_role column wins");
    assert_eq!(row(&nodes, "infra-001")[3], "infra", "infra label");
    assert!(roles.contains(&"master"), "apiserver namespace: {roles:?}");
    assert!(roles.contains(&"worker"));
    let archs: Vec<&str> = nodes.iter().map(|r| r[4].as_str()).collect();
    for a in ["amd64", "arm64", "s390x", "\\N"] {
        assert!(archs.contains(&a), "arch {a}: {archs:?}");
    }
    let last = nodes.iter().filter(|r| r[0] == "node-004").count();
    assert_eq!(last, 2, "two resource ids on the last node: {nodes:?}");
    assert!(
        !nodes.iter().any(|r| r[0].is_empty()),
        "node '' has no label rows: the join drops it"
    );
}

#[test]
fn day_subranges_match() {
    let dir = TempDir::new().unwrap();
    generate(
        dir.path(),
        &[
            "--days",
            "3",
            "--seed",
            "22",
            "--nodes",
            "6",
            "--cluster-cases",
        ],
    );
    // Day 1 is before the E2 label change (node-000's arch text changes on day 2 at 12:00).
    for (start, end) in [("2026-03-01", "2026-03-01"), ("2026-03-02", "2026-03-03")] {
        let mut p = Params::month(2026, 3);
        p.start = Some(start.into());
        p.end = Some(end.into());
        let nodes = node_rows(&assert_all(dir.path(), &p));
        let arch = &row(&nodes, "node-000")[4];
        let want = if start == "2026-03-01" {
            "amd64"
        } else {
            "s390x"
        };
        assert_eq!(arch, want, "max(node_labels) over {start}..{end}");
        let ts = assert_query(dir.path(), &p, "timestamps");
        assert!(
            ts.contains(&format!("{start} 00:00:00.000,{end} 00:00:00.000")),
            "{ts}"
        );
    }
}

#[test]
fn default_shapes_and_seeds_match() {
    let shapes: &[&[&str]] = &[
        &["--days", "2", "--seed", "1"],
        &[
            "--days",
            "2",
            "--seed",
            "2",
            "--nodes",
            "3",
            "--no-edge-cases",
        ],
        &[
            "--days",
            "2",
            "--seed",
            "3",
            "--nodes",
            "5",
            "--rows-per-file",
            "700",
            "--rows-per-row-group",
            "90",
        ],
    ];
    for shape in shapes {
        let dir = TempDir::new().unwrap();
        generate(dir.path(), shape);
        assert_all(dir.path(), &Params::month(2026, 3));
    }
}

#[test]
fn month_boundary_and_empty_range() {
    let dir = TempDir::new().unwrap();
    generate(
        dir.path(),
        &[
            "--start",
            "2026-01-30",
            "--days",
            "4",
            "--seed",
            "5",
            "--cluster-cases",
        ],
    );
    assert_all(dir.path(), &Params::month(2026, 1));
    assert_all(dir.path(), &Params::month(2026, 2));
    // A month without files: no rows, and NULL timestamps as Trino returns them.
    let p = Params::month(2026, 4);
    for q in QUERIES {
        assert_query(dir.path(), &p, q);
    }
    let ts = assert_query(dir.path(), &p, "timestamps");
    assert_eq!(ts, "min_timestamp,max_timestamp\n\\N,\\N\n");
}

#[test]
fn max_min_timestamp_and_sections() {
    let dir = TempDir::new().unwrap();
    generate(dir.path(), &["--days", "2", "--seed", "7", "--nodes", "4"]);
    let mut p = Params::month(2026, 3);
    p.start = Some("2026-03-02".into());
    let out = check(
        bin()
            .arg("max-min-timestamp")
            .args(p.args(dir.path()))
            .output()
            .unwrap(),
        "max-min-timestamp",
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "min_timestamp,max_timestamp\n2026-03-02 00:00:00.000,2026-03-02 00:00:00.000\n"
    );
    let out = check(
        bin()
            .arg("cluster-info")
            .args(p.args(dir.path()))
            .output()
            .unwrap(),
        "cluster-info",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let sections: Vec<&str> = text.lines().filter(|l| l.starts_with("# ")).collect();
    assert_eq!(
        sections,
        ["# nodes", "# pvcs", "# projects", "# timestamps"]
    );
}

#[test]
fn hand_made_edge_rows_match() {
    let dir = TempDir::new().unwrap();
    let out = Command::new(python())
        .arg(repo().join("tests/oracle/cluster_fixture.py"))
        .arg(dir.path())
        .output()
        .unwrap();
    check(out, "cluster_fixture.py");
    let mut p = Params::month(2025, 10);
    p.end = Some("2025-10-03".into());
    let args: Vec<String> = p
        .args(dir.path())
        .into_iter()
        .map(|a| {
            if a == SOURCE {
                "11111111-2222-3333-4444-555555555555".into()
            } else {
                a
            }
        })
        .collect();
    for q in QUERIES {
        let engine = dir.path().join(format!("engine_{q}.csv"));
        let oracle = dir.path().join(format!("oracle_{q}.csv"));
        let res = check(
            bin()
                .arg("cluster-info")
                .args(&args)
                .args(["--query", q])
                .output()
                .unwrap(),
            "cluster-info",
        );
        std::fs::write(&engine, &res.stdout).unwrap();
        let res = Command::new(python())
            .arg(repo().join("tests/oracle/cluster.py"))
            .args(&args)
            .args(["--query", q, "--out"])
            .arg(&oracle)
            .output()
            .unwrap();
        check(res, "cluster.py");
        let summary = compare(&oracle, &engine);
        assert!(summary.contains("rows match"), "{q}: {summary}");
    }
    let nodes = std::fs::read_to_string(dir.path().join("engine_nodes.csv")).unwrap();
    assert_eq!(
        nodes,
        "node,resource_id,node_capacity_cpu_cores,node_role,arch\n\
         \"n1\",\\N,2.0,\"worker\",\\N\n\
         \"n1\",\"i-1\",8.0,\"master\",\\N\n\
         \"n2\",\"i-2\",4.0,\"infra\",\\N\n\
         \"n3\",\"i-3\",4.0,\"custom\",\\N\n\
         \"n5\",\"i-5\",4.0,\"worker\",\\N\n"
    );
}
