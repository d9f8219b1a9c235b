//! Helpers shared by the integration tests: run the binary, the oracle and the comparer.

#![allow(dead_code)]

pub mod aws;
pub mod pg;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const ORG: &str = "org1234567";
pub const SOURCE: &str = "6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10";

/// The binary, without `DATABASE_URL` from the environment: tests name their database explicitly.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ocp-summary"));
    c.env_remove("DATABASE_URL");
    c
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python with duckdb that `scripts/setup-python.sh` made; the test fails loudly without it.
pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("OCP_ORACLE_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = repo().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "the oracle needs Python with duckdb: run scripts/setup-python.sh or scripts/test.sh \
         (or set OCP_ORACLE_PYTHON)"
    );
    venv
}

pub fn check(out: Output, what: &str) -> Output {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn generate(dir: &Path, extra: &[&str]) {
    let out = bin()
        .args(["generate", "--out"])
        .arg(dir)
        .args(["--org", ORG, "--source", SOURCE])
        .args(extra)
        .output()
        .expect("spawn generate");
    check(out, "generate");
}

/// Parameters shared by the engine and the oracle.
#[derive(Clone, Debug)]
pub struct Params {
    pub year: i32,
    pub month: u32,
    pub start: Option<String>,
    pub end: Option<String>,
    pub enabled_keys: Option<String>,
    pub cost_categories: Vec<String>,
}

impl Params {
    pub fn month(year: i32, month: u32) -> Self {
        Params {
            year,
            month,
            start: None,
            end: None,
            enabled_keys: None,
            cost_categories: Vec::new(),
        }
    }

    pub fn args(&self, input: &Path) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "--input".into(),
            input.display().to_string(),
            "--org".into(),
            ORG.into(),
            "--source".into(),
            SOURCE.into(),
            "--year".into(),
            self.year.to_string(),
            "--month".into(),
            format!("{:02}", self.month),
            "--cluster-id".into(),
            "cluster-a".into(),
            "--cluster-alias".into(),
            "Cluster A".into(),
            "--report-period-id".into(),
            "7".into(),
        ];
        if let Some(s) = &self.start {
            a.extend(["--start".into(), s.clone()]);
        }
        if let Some(e) = &self.end {
            a.extend(["--end".into(), e.clone()]);
        }
        match &self.enabled_keys {
            Some(k) => a.extend(["--enabled-keys".into(), k.clone()]),
            None => a.push("--no-enabled-keys".into()),
        }
        for c in &self.cost_categories {
            a.extend(["--cost-category".into(), c.clone()]);
        }
        a
    }
}

/// Runs the engine into `out_csv`, and again with `--decode reference` (the parquet crate's
/// readers instead of our kernels): both must give the same rows in the same order, uuids aside.
pub fn run_engine(input: &Path, p: &Params, out_csv: &Path, threads: usize) -> Output {
    let run = |decode: &str, csv: &Path| {
        let out = bin()
            .arg("run")
            .args(p.args(input))
            .args(["--threads", &threads.to_string(), "--decode", decode])
            .arg("--output")
            .arg(format!("csv:{}", csv.display()))
            .output()
            .expect("spawn run");
        check(out, &format!("ocp-summary run --decode {decode}"))
    };
    let reference_csv = out_csv.with_extension("reference.csv");
    run("reference", &reference_csv);
    let out = run("kernels", out_csv);
    assert_same_rows(out_csv, &reference_csv);
    let _ = std::fs::remove_file(reference_csv);
    out
}

/// Two CSV outputs of the engine hold the same lines in the same order, apart from the `uuid`
/// column (the first).
pub fn assert_same_rows(a: &Path, b: &Path) {
    let lines = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .lines()
            .map(|l| l.split_once(',').map_or(l, |x| x.1).to_string())
            .collect()
    };
    let (la, lb) = (lines(a), lines(b));
    assert_eq!(
        la.len(),
        lb.len(),
        "{} vs {}: row counts",
        a.display(),
        b.display()
    );
    if let Some(i) = (0..la.len()).find(|&i| la[i] != lb[i]) {
        panic!(
            "{} vs {} differ at line {}:\n{}\n{}",
            a.display(),
            b.display(),
            i + 1,
            la[i],
            lb[i]
        );
    }
}

pub fn run_oracle(input: &Path, p: &Params, out_csv: &Path, kinds: &str) {
    let out = Command::new(python())
        .arg(repo().join("tests/oracle/oracle.py"))
        .args(p.args(input))
        .args(["--kinds", kinds, "--out"])
        .arg(out_csv)
        .output()
        .expect("spawn oracle");
    check(out, "oracle.py");
}

/// tests/oracle/compare.py's summary of `expected` against `actual` with its default column roles.
pub fn compare(expected: &Path, actual: &Path) -> String {
    compare_with(expected, actual, &[])
}

/// The same with one of compare.py's presets (`cost_model`, `rtu`, `ocp_aws`, ...).
pub fn compare_preset(preset: &str, expected: &Path, actual: &Path) -> String {
    compare_with(expected, actual, &["--preset", preset])
}

/// The same with any compare.py arguments; fails the test if compare.py cannot run.
pub fn compare_with(expected: &Path, actual: &Path, args: &[&str]) -> String {
    let out = Command::new(python())
        .arg(repo().join("tests/oracle/compare.py"))
        .args(args)
        .arg(expected)
        .arg(actual)
        .output()
        .expect("spawn compare.py");
    let out = check(out, "compare.py");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Data rows of a CSV file (header excluded).
/// Every file under `root`, in any folder depth, sorted.
pub fn all_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

pub fn csv_rows(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .expect("read csv")
        .lines()
        .count()
        .saturating_sub(1)
}
