//! `ocp-summary ocp-on-aws` agrees with the DuckDB port of Koku's OpenShift-on-AWS SQL
//! (tests/oracle/ocp_aws.py) on a generated month with a matched AWS CUR: every row and column of
//! `reporting_ocpawscostlineitem_project_daily_summary_p` and of the back-populated daily-summary
//! rows, for the whole month in masu's 5-day chunks (8 days of data: a chunk boundary after
//! day 6) and for one `--start/--end` chunk with other parameters.
//!
//! The CUR gets extra copies of its EBS lines under resource ids no node or volume has
//! (`…-tagonly`), so they match by tag only (`openshift_project` / `openshift_cluster` tags and
//! the `app` matched-tag strings). The oracle reads the summary with a `csi_volume_handle` column
//! computed here from the storage Parquet; the engine is run on that file and on `run`'s own CSV
//! (where it finds the handles itself): both give the same bytes, and so does a re-run.

mod common;

use common::aws::*;
use common::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// The summary CSV plus `csi_volume_handle`, taken from the daily storage Parquet by (day,
/// namespace, claim, volume): the Hive summary's column, which `run` does not print.
fn add_csi(summary: &Path, dir: &Path, out: &Path) {
    py(
        r#"
import duckdb, glob, os, sys
import compare
summary, root, org, source, out = sys.argv[1:6]
files = sorted(glob.glob(os.path.join(root, "data/parquet/daily", org, "OCP/storage_usage",
                                      f"source={source}", "year=*", "month=*", "*.parquet")))
handles = {}
for d, ns, pvc, pv, h in duckdb.execute(
        "SELECT DISTINCT CAST(CAST(interval_start AS DATE) AS VARCHAR), namespace, persistentvolumeclaim, "
        "persistentvolume, csi_volume_handle FROM read_parquet(?)", [files]).fetchall():
    handles.setdefault((d, ns, pvc, pv), set()).add(h)
text = open(summary, encoding="utf-8", newline="").read()
recs = compare.parse_csv(text)
lines = text.split("\n")
col = {v: i for i, (v, _) in enumerate(recs[0])}
out_lines = [lines[0] + ",csi_volume_handle"]
for rec, line in zip(recs[1:], lines[1:]):
    v = lambda c: None if rec[col[c]] == ("\\N", False) else rec[col[c]][0]
    h = None
    if v("data_source") == "Storage":
        hs = handles.get((v("usage_start"), v("namespace"), v("persistentvolumeclaim"), v("persistentvolume")), set())
        assert len(hs) <= 1, hs
        h = next(iter(hs), None)
    out_lines.append(line + "," + ("\\N" if h is None else '"' + h.replace('"', '""') + '"'))
open(out, "w", encoding="utf-8", newline="").write("\n".join(out_lines) + "\n")
"#,
        &[
            summary.as_os_str(),
            dir.as_os_str(),
            ORG.as_ref(),
            SOURCE.as_ref(),
            out.as_os_str(),
        ],
    );
}

/// One set of SQL parameters.
struct Case {
    name: &'static str,
    range: Option<(&'static str, &'static str)>,
    distribution: &'static str,
    markup: &'static str,
    /// Enabled for both AWS and OCP (`None`: no key enabled at all).
    keys: Option<&'static str>,
    alias: bool,
}

fn account(dir: &Path) -> String {
    let manifest = std::fs::read_dir(dir.join("aws"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("ocp-summary-cur-Manifest.json"))
        .next()
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
    v["account"].as_str().unwrap().to_string()
}

fn engine(dir: &Path, c: &Case, summary: &Path, tag: &str) -> (PathBuf, PathBuf) {
    let project = dir.join(format!("engine_{}_{tag}_project.csv", c.name));
    let back = dir.join(format!("engine_{}_{tag}_back.csv", c.name));
    let mut cmd = bin();
    cmd.arg("ocp-on-aws")
        .arg("--input")
        .arg(dir)
        .args([
            "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "03",
        ])
        .args(["--cluster-id", CLUSTER_ID, "--cluster-alias", "Cluster A"])
        .args([
            "--report-period-id",
            "7",
            "--aws-source",
            AWS_SOURCE,
            "--bill-id",
            "3",
        ])
        .args(["--markup", c.markup, "--distribution", c.distribution]);
    if let Some((s, e)) = c.range {
        cmd.args(["--start", s, "--end", e]);
    }
    match c.keys {
        Some(k) => cmd.args(["--enabled-keys", k, "--aws-enabled-keys", k]),
        None => cmd.arg("--no-enabled-keys"),
    };
    if c.alias {
        cmd.arg("--account-alias")
            .arg(format!("{}=9", account(dir)));
    }
    let out = cmd
        .arg("--summary")
        .arg(summary)
        .arg("--output-project")
        .arg(&project)
        .arg("--output-back-populate")
        .arg(&back)
        .output()
        .expect("spawn ocp-on-aws");
    check(out, "ocp-on-aws");
    (project, back)
}

fn oracle(dir: &Path, c: &Case, summary: &Path) -> (PathBuf, PathBuf) {
    let project = dir.join(format!("oracle_{}_project.csv", c.name));
    let back = dir.join(format!("oracle_{}_back.csv", c.name));
    let mut cmd = Command::new(python());
    cmd.arg(repo().join("tests/oracle/ocp_aws.py"))
        .arg("--ocp-input")
        .arg(dir)
        .arg("--aws-input")
        .arg(dir)
        .args([
            "--org",
            ORG,
            "--ocp-source",
            SOURCE,
            "--aws-source",
            AWS_SOURCE,
        ])
        .args(["--year", "2026", "--month", "3"])
        .args(["--cluster-id", CLUSTER_ID, "--cluster-alias", "Cluster A"])
        .args(["--report-period-id", "7", "--bill-id", "3"])
        .args(["--markup", c.markup, "--distribution", c.distribution]);
    if let Some((s, e)) = c.range {
        cmd.args(["--start", s, "--end", e]);
    }
    if let Some(k) = c.keys {
        cmd.args(["--tag", k]);
    }
    if c.alias {
        cmd.arg("--account-alias")
            .arg(format!("{}=9", account(dir)));
    }
    let out = cmd
        .arg("--ocp-summary")
        .arg(summary)
        .arg("--out-project")
        .arg(&project)
        .arg("--out-back-populate")
        .arg(&back)
        .output()
        .expect("spawn ocp_aws.py");
    check(out, "ocp_aws.py");
    (project, back)
}

/// The rows of one of our CSV files as column → field (quotes removed; no field spans lines).
fn records(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let split = |line: &str| -> Vec<String> {
        let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    cur.push('"');
                }
                '"' => quoted = !quoted,
                ',' if !quoted => out.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        out.push(cur);
        out
    };
    let mut lines = text.lines();
    let header = split(lines.next().unwrap());
    lines
        .map(|l| header.iter().cloned().zip(split(l)).collect())
        .collect()
}

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

#[test]
fn ocp_on_aws_rows_match_the_oracle() {
    let data = generated_month_with_cur();
    let dir = data.path();
    let p = Params {
        enabled_keys: Some("app,environment".into()),
        ..Params::month(2026, 3)
    };
    let summary = dir.join("summary.csv");
    run_engine(dir, &p, &summary, 2);
    let summary_csi = dir.join("summary_csi.csv");
    add_csi(&summary, dir, &summary_csi);

    let cases = [
        Case {
            name: "month",
            range: None,
            distribution: "cpu",
            markup: "0.1",
            keys: Some("app,environment"),
            alias: false,
        },
        Case {
            name: "range",
            range: Some(("2026-03-03", "2026-03-07")),
            distribution: "memory",
            markup: "0.2500000004",
            keys: None,
            alias: true,
        },
    ];
    for c in &cases {
        let (project, back) = engine(dir, c, &summary_csi, "csi");
        let (o_project, o_back) = oracle(dir, c, &summary_csi);
        let got = compare_preset("ocp_aws", &o_project, &project);
        assert!(
            got.contains("rows match"),
            "{}: project rows: {got}",
            c.name
        );
        eprint!("{}: project: {got}", c.name);
        let got = compare_preset("ocp_aws_back_populate", &o_back, &back);
        assert!(
            got.contains("rows match"),
            "{}: back-populate rows: {got}",
            c.name
        );
        eprint!("{}: back-populate: {got}", c.name);
        assert!(csv_rows(&project) > 0 && csv_rows(&back) > 0, "{}", c.name);

        // Without the column, the engine finds the CSI handles in the storage Parquet; a re-run
        // writes the same bytes.
        let (project2, back2) = engine(dir, c, &summary, "plain");
        assert_eq!(bytes(&project), bytes(&project2), "{}: project", c.name);
        assert_eq!(bytes(&back), bytes(&back2), "{}: back-populate", c.name);
        let (project3, back3) = engine(dir, c, &summary_csi, "csi");
        assert_eq!(bytes(&project), bytes(&project3), "{}: re-run", c.name);
        assert_eq!(bytes(&back), bytes(&back3), "{}: re-run", c.name);
    }

    // Every kind of row is there (whole month).
    let rows = records(&dir.join("engine_month_csi_project.csv"));
    let count = |f: &dyn Fn(&HashMap<String, String>) -> bool| rows.iter().filter(|r| f(r)).count();
    let ns = |r: &HashMap<String, String>| r["namespace"].clone();
    let special = |n: &str| n.ends_with(" unallocated") || n.ends_with(" unattributed");
    let kinds: [(&str, usize); 6] = [
        (
            "resource-matched instance",
            count(&|r| {
                r["data_source"] == "Pod"
                    && r["resource_id"].starts_with("i-")
                    && r["product_family"] == "Compute Instance"
                    && !special(&ns(r))
            }),
        ),
        (
            "storage",
            count(&|r| {
                r["data_source"] == "Storage"
                    && r["resource_id"].starts_with("vol-")
                    && !r["resource_id"].ends_with("-tagonly")
                    && !special(&ns(r))
            }),
        ),
        (
            "Storage unattributed",
            count(&|r| ns(r) == "Storage unattributed"),
        ),
        (
            "Network unattributed",
            count(&|r| {
                ns(r) == "Network unattributed"
                    && ["IN", "OUT"].contains(&r["data_transfer_direction"].as_str())
            }),
        ),
        (
            "tag-matched",
            count(&|r| r["resource_id"].ends_with("-tagonly")),
        ),
        (
            "unallocated",
            count(&|r| ns(r) == "Worker unallocated" || ns(r) == "Platform unallocated"),
        ),
    ];
    for (kind, n) in kinds {
        assert!(n > 0, "no {kind} rows");
        eprintln!("month: {n} {kind} rows");
    }
    // The billing kinds of the generated instances (generate/src/aws.rs): a savings-plan covered
    // line costs nothing unblended and its effective cost amortized (step 1's CASE); its negation
    // is a negative unblended cost; a reserved instance's discounted usage is free unblended and
    // amortized alike (Koku amortizes only `Tax`/`Usage` by unblended cost, the rest by the
    // savings-plan cost, which such a line lacks).
    let num = |r: &HashMap<String, String>, c: &str| r[c].parse::<f64>().ok();
    let instance = |r: &HashMap<String, String>| {
        r["resource_id"].starts_with("i-") && r["product_family"] == "Compute Instance"
    };
    let billing: [(&str, usize); 3] = [
        (
            "savings-plan covered",
            count(&|r| {
                instance(r)
                    && num(r, "unblended_cost") == Some(0.0)
                    && num(r, "savingsplan_effective_cost").is_some_and(|c| c > 0.0)
                    && num(r, "calculated_amortized_cost") == num(r, "savingsplan_effective_cost")
            }),
        ),
        (
            "savings-plan negation",
            count(&|r| instance(r) && num(r, "unblended_cost").is_some_and(|c| c < 0.0)),
        ),
        (
            "reserved-instance usage",
            count(&|r| {
                instance(r)
                    && num(r, "usage_amount").is_some_and(|u| u > 0.0)
                    && num(r, "unblended_cost") == Some(0.0)
                    && num(r, "savingsplan_effective_cost").unwrap_or(0.0) == 0.0
                    && num(r, "calculated_amortized_cost").unwrap_or(0.0) == 0.0
            }),
        ),
    ];
    for (kind, n) in billing {
        assert!(n > 0, "no {kind} rows");
        eprintln!("month: {n} {kind} rows");
    }
    // Tag-matched lines reach Storage groups too (the cluster tag spreads over every group).
    assert!(
        rows.iter()
            .any(|r| r["resource_id"].ends_with("-tagonly") && r["data_source"] == "Storage"),
        "no tag-matched Storage rows"
    );
    // The markup is the cost times 0.1.
    let r = rows
        .iter()
        .find(|r| r["unblended_cost"] != "\\N" && r["unblended_cost"] != "0.0")
        .unwrap();
    let (c, m): (f64, f64) = (
        r["unblended_cost"].parse().unwrap(),
        r["markup_cost"].parse().unwrap(),
    );
    assert!((c * 0.1 - m).abs() <= 1e-12 * c.abs().max(1.0), "{c} {m}");
}

/// The oracle's hand-made fixture (tests/oracle/test_ocp_aws.py: two clusters, PV-name and CSI
/// matches, tag matches of every kind, a node without idle rows, network lines, day 7 alone):
/// the engine gives the oracle's rows for each cluster.
#[test]
fn ocp_on_aws_matches_the_oracle_on_its_hand_made_fixture() {
    let script = r#"
import os, shutil, sys
import test_ocp_aws as t
t.OcpAwsTest.setUpClass()
dest = sys.argv[1]
for name in os.listdir(t.OcpAwsTest.tmp):
    shutil.move(os.path.join(t.OcpAwsTest.tmp, name), os.path.join(dest, name))
shutil.rmtree(t.OcpAwsTest.tmp, ignore_errors=True)
"#;
    let data = TempDir::new().unwrap();
    let dir = data.path();
    py(script, &[dir.as_os_str()]);
    let (o1, o2) = (
        "11111111-1111-1111-1111-111111111111",
        "22222222-2222-2222-2222-222222222222",
    );
    for (source, cluster, alias) in [(o1, "c1", "Cluster One"), (o2, "c2", "Cluster Two")] {
        let project = dir.join(format!("engine-{cluster}-project.csv"));
        let back = dir.join(format!("engine-{cluster}-back.csv"));
        let out = bin()
            .arg("ocp-on-aws")
            .arg("--input")
            .arg(dir.join("ocp"))
            .arg("--aws-input")
            .arg(dir.join("aws"))
            .args([
                "--org", ORG, "--source", source, "--year", "2024", "--month", "03",
            ])
            .args(["--cluster-id", cluster, "--cluster-alias", alias])
            .args([
                "--report-period-id",
                "7",
                "--bill-id",
                "3",
                "--markup",
                "0.1",
            ])
            .args(["--aws-source", "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"])
            .args(["--enabled-keys", "app", "--aws-enabled-keys", "app"])
            .arg("--summary")
            .arg(dir.join("summary.csv"))
            .arg("--output-project")
            .arg(&project)
            .arg("--output-back-populate")
            .arg(&back)
            .output()
            .expect("spawn ocp-on-aws");
        check(out, "ocp-on-aws");
        let expected = dir.join(format!("{cluster}-project.csv"));
        let got = compare_preset("ocp_aws", &expected, &project);
        assert!(got.contains("rows match"), "{cluster}: project rows: {got}");
        eprint!("fixture {cluster}: project: {got}");
        let expected = dir.join(format!("{cluster}-back.csv"));
        let got = compare_preset("ocp_aws_back_populate", &expected, &back);
        assert!(
            got.contains("rows match"),
            "{cluster}: back-populate rows: {got}"
        );
        eprint!("fixture {cluster}: back-populate: {got}");
        assert!(csv_rows(&project) > 0, "{cluster}");
    }
}
