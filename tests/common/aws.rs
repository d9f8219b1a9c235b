//! The OpenShift-on-AWS test data: a generated month with its matched AWS CUR, ingested, shared
//! by the oracle test (tests/oracle_ocp_aws.rs) and the database test (tests/ocp_aws_db.rs).

use super::*;
use std::path::Path;
use tempfile::TempDir;

pub const AWS_SOURCE: &str = "3c6e2f1a-7b4d-4e8f-9a0b-1c2d3e4f5a6b";
pub const CLUSTER_ID: &str = "cluster-a";

/// Runs a Python script (with duckdb and tests/oracle on the path) with `args`.
pub fn py(script: &str, args: &[&std::ffi::OsStr]) {
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .env("PYTHONPATH", repo().join("tests/oracle"))
        .output()
        .expect("spawn python");
    check(out, "python helper");
}

/// Appends to every generated CUR file a copy of each EBS line whose resource id ends in
/// `-tagonly`: matched by no node or volume, so only by its tags. The generator's tagged lines
/// all match by resource too, so without these no line would be matched by tag alone.
pub fn add_tag_only_lines(dir: &Path) {
    py(
        r#"
import csv, glob, gzip, io, sys
for path in glob.glob(sys.argv[1] + "/aws/*/*.csv.gz"):
    with gzip.open(path, "rt", newline="") as f:
        rows = list(csv.reader(f))
    h = {c: i for i, c in enumerate(rows[0])}
    extra = []
    for r in rows[1:]:
        if "VolumeUsage" in r[h["lineItem/UsageType"]]:
            c = list(r)
            c[h["identity/LineItemId"]] += "t"
            c[h["lineItem/ResourceId"]] += "-tagonly"
            extra.append(c)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows + extra)
    with gzip.open(path, "wt", newline="") as f:
        f.write(out.getvalue())
"#,
        &[dir.as_os_str()],
    );
}

/// `ingest --provider aws` of the CUR `generate --aws` wrote under `from/aws/` into `root` as
/// AWS source `source` (the command, for the caller to add to and run).
pub fn ingest_cur(from: &Path, root: &Path, source: &str) -> Command {
    let cur = std::fs::read_dir(from.join("aws"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let mut cmd = bin();
    cmd.args(["ingest", "--provider", "aws", "--input"])
        .arg(cur)
        .arg("--output")
        .arg(root)
        .args(["--org", ORG, "--source", source]);
    cmd
}

/// An 8-day March 2026 (masu's chunk boundary after day 6 falls inside it) of a 4-node cluster
/// with its matched CUR (plus the tag-only lines), ingested as AWS source [`AWS_SOURCE`].
pub fn generated_month_with_cur() -> TempDir {
    let data = TempDir::new().unwrap();
    let dir = data.path();
    generate(
        dir,
        &[
            "--days",
            "8",
            "--start",
            "2026-03-01",
            "--nodes",
            "4",
            "--namespaces-per-node",
            "2",
            "--pods-per-namespace",
            "3",
            "--aws",
            "--aws-cluster-id",
            CLUSTER_ID,
        ],
    );
    add_tag_only_lines(dir);
    let out = ingest_cur(dir, dir, AWS_SOURCE)
        .output()
        .expect("spawn ingest");
    check(out, "ingest --provider aws");
    data
}
