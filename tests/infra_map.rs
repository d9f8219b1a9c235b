//! `ocp-summary infra-map` against the DuckDB port of Koku's
//! `trino_sql/aws/reporting_ocpinfrastructure_provider_map.sql` (tests/oracle/provider_map.py):
//! three OpenShift sources and three AWS sources under one org — two matched pairs, an AWS source
//! whose cluster is elsewhere, an OpenShift source with no AWS data — over the whole month, each
//! filter and a range without data. The CSVs must be equal byte for byte.

mod common;

use common::*;
use std::path::Path;

const OCP_A: &str = SOURCE;
const OCP_B: &str = "0b6f3c2d-1e4a-4f5b-8c7d-2e3f4a5b6c7d";
const OCP_D: &str = "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70";
const AWS_A: &str = "3c6e2f1a-7b4d-4e8f-9a0b-1c2d3e4f5a6b";
const AWS_B: &str = "7a1b2c3d-4e5f-4a6b-8c9d-0e1f2a3b4c5d";
const AWS_C: &str = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";

fn gen(out: &Path, source: &str, seed: &str, aws: bool) {
    let mut cmd = bin();
    cmd.args(["generate", "--out"]).arg(out).args([
        "--org",
        ORG,
        "--source",
        source,
        "--seed",
        seed,
        "--days",
        "3",
        "--nodes",
        "2",
        "--namespaces-per-node",
        "1",
        "--pods-per-namespace",
        "2",
    ]);
    if aws {
        cmd.arg("--aws");
    }
    check(cmd.output().expect("spawn generate"), "generate");
}

/// Ingests the CUR that `generate --aws` wrote under `from/aws/` into `root` as `source`, then
/// removes it (the next generated CUR goes to the same folder).
fn ingest(from: &Path, root: &Path, source: &str) {
    let out = aws::ingest_cur(from, root, source)
        .output()
        .expect("spawn ingest");
    check(out, "ingest --provider aws");
    std::fs::remove_dir_all(from.join("aws")).unwrap();
}

fn engine(root: &Path, out: &Path, extra: &[&str]) -> String {
    let o = bin()
        .args(["infra-map", "--input"])
        .arg(root)
        .args(["--org", ORG, "--year", "2026", "--month", "3", "--output"])
        .arg(out)
        .args(extra)
        .output()
        .expect("spawn infra-map");
    check(o, "infra-map");
    std::fs::read_to_string(out).unwrap()
}

fn oracle(root: &Path, out: &Path, extra: &[&str]) -> String {
    let o = std::process::Command::new(python())
        .arg(repo().join("tests/oracle/provider_map.py"))
        .arg("--ocp-input")
        .arg(root)
        .args(["--org", ORG, "--year", "2026", "--month", "3", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .expect("spawn provider_map.py");
    check(o, "provider_map.py");
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn infra_map_matches_the_oracle() {
    let data = tempfile::TempDir::new().unwrap();
    let root = data.path().join("root");
    let elsewhere = data.path().join("elsewhere");
    gen(&root, OCP_A, "1", true);
    ingest(&root, &root, AWS_A);
    gen(&root, OCP_B, "2", true);
    ingest(&root, &root, AWS_B);
    gen(
        &elsewhere,
        "c0c0c0c0-0000-4000-8000-000000000000",
        "3",
        true,
    );
    ingest(&elsewhere, &root, AWS_C);
    gen(&root, OCP_D, "4", false);

    let header = "ocp_uuid,infra_uuid,type\n";
    let cases: [(&str, &[&str], Option<String>); 7] = [
        (
            "month",
            &[],
            Some(
                format!("{header}{OCP_A},{AWS_A},AWS\n{OCP_B},{AWS_B},AWS\n")
                    .lines()
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        ),
        ("ocp source", &["--source", OCP_B], None),
        ("aws source", &["--aws-source", AWS_A], None),
        // Narrowed to a source with no partition this month: only its partition is looked at.
        (
            "absent ocp source",
            &["--source", "00000000-0000-0000-0000-00000000000f"],
            None,
        ),
        (
            "absent aws source",
            &["--aws-source", "00000000-0000-0000-0000-00000000000f"],
            None,
        ),
        (
            "one day",
            &["--start", "2026-03-02", "--end", "2026-03-02"],
            None,
        ),
        (
            "no data",
            &["--start", "2026-03-10", "--end", "2026-03-12"],
            None,
        ),
    ];
    for (name, extra, expected) in cases {
        let tag = name.replace(' ', "_");
        let got = engine(&root, &data.path().join(format!("e_{tag}.csv")), extra);
        let want = oracle(&root, &data.path().join(format!("o_{tag}.csv")), extra);
        assert_eq!(got, want, "{name}");
        if let Some(e) = expected {
            // The generated sources pair up as built: A with A, B with B; C's cluster and D's
            // AWS account are not here.
            let mut rows: Vec<&str> = got.lines().collect();
            rows.sort();
            let mut e: Vec<&str> = e.lines().collect();
            e.sort();
            assert_eq!(rows, e, "{name}");
        }
    }
    assert_eq!(
        engine(&root, &data.path().join("e_b.csv"), &["--source", OCP_B])
            .lines()
            .count(),
        2
    );
    assert_eq!(
        engine(
            &root,
            &data.path().join("e_none.csv"),
            &["--start", "2026-03-10", "--end", "2026-03-12"]
        ),
        header
    );
}
