//! Bad input gets a clear error naming the file, row group and column, a non-zero exit, and no
//! output file.

mod common;

use common::*;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tempfile::TempDir;

/// One column of a hand-written file.
enum Col<'a> {
    Ts(&'a str),
    Str(&'a str, &'a str),
    F64(&'a str),
    /// A DOUBLE column holding `value`.
    F64v(&'a str, f64),
    /// A string column under a name the engine expects to be DOUBLE.
    StrAsF64(&'a str),
}

const DAY_MS: i64 = 1_772_323_200_000; // 2026-03-01 00:00 UTC

/// The Parquet schema of a hand-written file with these columns.
fn schema_of(cols: &[Col]) -> parquet::schema::types::Type {
    let fields: Vec<String> = cols
        .iter()
        .map(|c| match c {
            Col::Ts(n) => format!("OPTIONAL INT64 {n} (TIMESTAMP(MILLIS,false));"),
            Col::Str(n, _) | Col::StrAsF64(n) => format!("OPTIONAL BYTE_ARRAY {n} (STRING);"),
            Col::F64(n) | Col::F64v(n, _) => format!("OPTIONAL DOUBLE {n};"),
        })
        .collect();
    parse_message_type(&format!("message schema {{ {} }}", fields.join(" "))).unwrap()
}

/// Writes a one-row-group daily pod file with the given columns.
fn write_file(path: &Path, cols: &[Col]) {
    let schema = schema_of(cols);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let props = Arc::new(WriterProperties::builder().build());
    let mut w = SerializedFileWriter::new(file, Arc::new(schema), props).unwrap();
    let mut rg = w.next_row_group().unwrap();
    for c in cols {
        let mut cw = rg.next_column().unwrap().unwrap();
        let def = [1i16];
        match c {
            Col::Ts(_) => {
                cw.typed::<Int64Type>()
                    .write_batch(&[DAY_MS], Some(&def), None)
                    .unwrap();
            }
            Col::Str(_, v) => {
                cw.typed::<ByteArrayType>()
                    .write_batch(&[ByteArray::from(*v)], Some(&def), None)
                    .unwrap();
            }
            Col::StrAsF64(_) => {
                cw.typed::<ByteArrayType>()
                    .write_batch(&[ByteArray::from("12.5")], Some(&def), None)
                    .unwrap();
            }
            Col::F64(_) => {
                cw.typed::<DoubleType>()
                    .write_batch(&[3600.0], Some(&def), None)
                    .unwrap();
            }
            Col::F64v(_, v) => {
                cw.typed::<DoubleType>()
                    .write_batch(&[*v], Some(&def), None)
                    .unwrap();
            }
        }
        cw.close().unwrap();
    }
    rg.close().unwrap();
    w.close().unwrap();
}

fn daily_pod_cols<'a>(labels: &'a str) -> Vec<Col<'a>> {
    let mut cols = vec![
        Col::Ts("interval_start"),
        Col::Str("namespace", "ns1"),
        Col::Str("node", "node1"),
        Col::Str("pod", "pod1"),
        Col::Str("resource_id", "i-1"),
        Col::Str("pod_labels", labels),
    ];
    for n in [
        "pod_usage_cpu_core_seconds",
        "pod_request_cpu_core_seconds",
        "pod_effective_usage_cpu_core_seconds",
        "pod_limit_cpu_core_seconds",
        "pod_usage_memory_byte_seconds",
        "pod_request_memory_byte_seconds",
        "pod_effective_usage_memory_byte_seconds",
        "pod_limit_memory_byte_seconds",
        "node_capacity_cpu_cores",
        "node_capacity_memory_bytes",
    ] {
        cols.push(Col::F64(n));
    }
    cols
}

fn daily_pod_path(root: &Path) -> PathBuf {
    root.join(format!(
        "data/parquet/daily/{ORG}/OCP/pod_usage/source={SOURCE}/year=2026/month=03/bad_daily_0.parquet"
    ))
}

/// Runs the engine expecting failure; returns stderr.
fn run_fails(root: &Path, extra: &[&str]) -> String {
    run_fails_month(root, "3", extra)
}

fn run_fails_month(root: &Path, month: &str, extra: &[&str]) -> String {
    let csv = root.join("out.csv");
    let out = bin()
        .args(["run", "--input"])
        .arg(root)
        .args([
            "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", month,
        ])
        .args(["--cluster-id", "c1", "--enabled-keys", "app"])
        .arg("--output")
        .arg(format!("csv:{}", csv.display()))
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "expected failure, got success: {stderr}"
    );
    assert_eq!(out.status.code(), Some(2), "bad input exits 2: {stderr}");
    assert!(
        !stderr.contains("panicked"),
        "panic instead of an error: {stderr}"
    );
    assert!(!csv.exists(), "a failed run left {}", csv.display());
    let leftovers: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    stderr
}

fn assert_has(stderr: &str, parts: &[&str]) {
    for p in parts {
        assert!(stderr.contains(p), "error should mention {p:?}: {stderr}");
    }
}

#[test]
fn label_text_that_is_not_json() {
    let dir = TempDir::new().unwrap();
    let path = daily_pod_path(dir.path());
    write_file(&path, &daily_pod_cols("label_app:web|label_tier:gold"));
    let err = run_fails(dir.path(), &[]);
    assert_has(
        &err,
        &[
            "bad_daily_0.parquet",
            "row group 0",
            "pod_labels",
            "label_app:web",
        ],
    );
}

#[test]
fn label_json_that_is_not_an_object_of_strings() {
    for bad in [
        r#"{"app": 1}"#,
        r#"["app"]"#,
        r#"{"app": {"x": "y"}}"#,
        r#""app""#,
    ] {
        let dir = TempDir::new().unwrap();
        write_file(&daily_pod_path(dir.path()), &daily_pod_cols(bad));
        let err = run_fails(dir.path(), &[]);
        assert_has(&err, &["bad_daily_0.parquet", "row group 0", "pod_labels"]);
    }
}

#[test]
fn missing_column() {
    let dir = TempDir::new().unwrap();
    let cols: Vec<Col> = daily_pod_cols("{}")
        .into_iter()
        .filter(|c| !matches!(c, Col::F64("pod_request_cpu_core_seconds")))
        .collect();
    write_file(&daily_pod_path(dir.path()), &cols);
    let err = run_fails(dir.path(), &[]);
    assert_has(
        &err,
        &[
            "bad_daily_0.parquet",
            "pod_request_cpu_core_seconds",
            "missing",
        ],
    );
}

#[test]
fn mistyped_column() {
    let dir = TempDir::new().unwrap();
    let cols: Vec<Col> = daily_pod_cols("{}")
        .into_iter()
        .map(|c| match c {
            Col::F64("pod_limit_cpu_core_seconds") => Col::StrAsF64("pod_limit_cpu_core_seconds"),
            c => c,
        })
        .collect();
    write_file(&daily_pod_path(dir.path()), &cols);
    let err = run_fails(dir.path(), &[]);
    assert_has(
        &err,
        &[
            "bad_daily_0.parquet",
            "pod_limit_cpu_core_seconds",
            "DOUBLE",
        ],
    );
}

#[test]
fn not_parquet_and_truncated() {
    let dir = TempDir::new().unwrap();
    let path = daily_pod_path(dir.path());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"this is a CSV file, not Parquet\n").unwrap();
    let err = run_fails(dir.path(), &[]);
    assert_has(&err, &["bad_daily_0.parquet", "not a Parquet file"]);

    write_file(&path, &daily_pod_cols("{}"));
    let bytes = std::fs::read(&path).unwrap();
    for cut in [bytes.len() - 3, bytes.len() / 2, 20] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let err = run_fails(dir.path(), &[]);
        assert_has(&err, &["bad_daily_0.parquet"]);
    }
}

#[test]
fn corrupt_footer_length_and_page_bytes() {
    let dir = TempDir::new().unwrap();
    let path = daily_pod_path(dir.path());
    write_file(&path, &daily_pod_cols("{}"));
    let good = std::fs::read(&path).unwrap();
    // Footer length larger than the file.
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 8..n - 4].copy_from_slice(&u32::MAX.to_le_bytes());
    std::fs::write(&path, &bad).unwrap();
    let err = run_fails(dir.path(), &[]);
    assert_has(&err, &["bad_daily_0.parquet", "footer"]);
    // Garbage over the first page headers.
    let mut bad = good.clone();
    for b in &mut bad[4..60] {
        *b = 0xff;
    }
    std::fs::write(&path, &bad).unwrap();
    let err = run_fails(dir.path(), &[]);
    assert_has(&err, &["bad_daily_0.parquet", "row group 0"]);
}

#[test]
fn unknown_partition_month() {
    let dir = TempDir::new().unwrap();
    generate(dir.path(), &["--days", "1", "--nodes", "2"]);
    let err = run_fails_month(dir.path(), "4", &[]);
    assert_has(&err, &["no pod_usage partition", "month=04"]);
    let out = bin()
        .args(["run", "--input"])
        .arg(dir.path())
        .args([
            "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "13",
        ])
        .args(["--cluster-id", "c1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--month 13"));
}

#[test]
fn empty_partition_is_an_empty_result() {
    let dir = TempDir::new().unwrap();
    let part = dir.path().join(format!(
        "data/parquet/daily/{ORG}/OCP/pod_usage/source={SOURCE}/year=2026/month=03"
    ));
    std::fs::create_dir_all(&part).unwrap();
    let csv = dir.path().join("out.csv");
    let out = bin()
        .args(["run", "--input"])
        .arg(dir.path())
        .args([
            "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "3",
        ])
        .args(["--cluster-id", "c1", "--output"])
        .arg(format!("csv:{}", csv.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(csv_rows(&csv), 0);
}

#[test]
fn values_numeric_cannot_hold_fail_before_writing() {
    for v in [1e308, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let dir = TempDir::new().unwrap();
        let cols: Vec<Col> = daily_pod_cols("{}")
            .into_iter()
            .map(|c| match c {
                Col::F64("pod_usage_cpu_core_seconds") => {
                    Col::F64v("pod_usage_cpu_core_seconds", v)
                }
                c => c,
            })
            .collect();
        write_file(&daily_pod_path(dir.path()), &cols);
        let err = run_fails(dir.path(), &[]);
        assert_has(&err, &["numeric(33,15)", "nothing was written"]);
    }
}

/// Runs the engine expecting success; returns the CSV text.
fn run_ok(root: &Path, keys: &str) -> String {
    let csv = root.join("ok.csv");
    let out = bin()
        .args(["run", "--input"])
        .arg(root)
        .args([
            "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "3",
        ])
        .args(["--cluster-id", "c1", "--enabled-keys", keys])
        .arg("--output")
        .arg(format!("csv:{}", csv.display()))
        .output()
        .unwrap();
    check(out, "run");
    std::fs::read_to_string(csv).unwrap()
}

#[test]
fn deeply_nested_label_json_is_an_error_not_a_crash() {
    let dir = TempDir::new().unwrap();
    let depth = 100_000;
    let nested = format!("{}{}", r#"{"a": "#.repeat(depth), "}".repeat(depth));
    write_file(&daily_pod_path(dir.path()), &daily_pod_cols(&nested));
    let err = run_fails(dir.path(), &[]);
    assert_has(&err, &["bad_daily_0.parquet", "pod_labels"]);
}

#[test]
fn huge_label_values_and_every_unicode_plane_round_trip() {
    let dir = TempDir::new().unwrap();
    let huge = "x".repeat(4 << 20);
    // One character from each plane that has assigned characters, plus escapes.
    let planes = "A\u{e9}\u{4e2d}\u{1f600}\u{20000}\u{30000}\u{e0041}\u{f0000}\u{10fffd}";
    let labels =
        format!(r#"{{"app": "{huge}", "team": "{planes} \"q\" \\ \u0001", "k\u00e9y": "v"}}"#);
    write_file(&daily_pod_path(dir.path()), &daily_pod_cols(&labels));
    let csv = run_ok(dir.path(), "app,team,kéy");
    assert!(csv.contains(&huge), "the 4 MiB value is lost");
    assert!(
        csv.contains(planes),
        "non-BMP characters are lost: {}",
        &csv[..200]
    );
    assert!(csv.contains(r#"""kéy"":""v"""#), "escaped key not decoded");
}

#[test]
fn duplicate_label_keys_keep_the_last_value() {
    let dir = TempDir::new().unwrap();
    write_file(
        &daily_pod_path(dir.path()),
        &daily_pod_cols(r#"{"app": "first", "app": "last"}"#),
    );
    let csv = run_ok(dir.path(), "app");
    assert!(csv.contains(r#"{""app"":""last""}"#), "{csv}");
    assert!(!csv.contains("first"));
}

#[test]
fn empty_file_is_an_error_and_zero_row_groups_are_empty() {
    let dir = TempDir::new().unwrap();
    let path = daily_pod_path(dir.path());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"").unwrap();
    let err = run_fails(dir.path(), &[]);
    assert_has(&err, &["bad_daily_0.parquet", "too short"]);

    // A valid file with a schema and no row groups.
    let schema = parse_message_type(
        "message schema { OPTIONAL INT64 interval_start (TIMESTAMP(MILLIS,false)); }",
    )
    .unwrap();
    let file = std::fs::File::create(&path).unwrap();
    let w = SerializedFileWriter::new(
        file,
        Arc::new(schema),
        Arc::new(WriterProperties::builder().build()),
    )
    .unwrap();
    w.close().unwrap();
    // Zero row groups, but the schema still lacks the pod columns: the error names one.
    let err = run_fails(dir.path(), &[]);
    assert_has(&err, &["bad_daily_0.parquet", "missing"]);
    // With the full schema and no row groups the month is simply empty.
    let schema = schema_of(&daily_pod_cols("{}"));
    let file = std::fs::File::create(&path).unwrap();
    SerializedFileWriter::new(
        file,
        Arc::new(schema),
        Arc::new(WriterProperties::builder().build()),
    )
    .unwrap()
    .close()
    .unwrap();
    let csv = run_ok(dir.path(), "app");
    assert_eq!(csv.lines().count(), 1, "only the header: {csv}");
}
