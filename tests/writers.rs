//! The same data, written by pyarrow under every writer setting it offers, gives the same summary
//! rows as the generator's Koku-like files.
//!
//! Each test generates a small month, runs the engine on it for the reference CSV (kernels and
//! `--decode reference` agreeing, `run_engine`), then rewrites every Parquet file of the set with
//! pyarrow (`tests/oracle/rewrite_parquet.py`) under one setting at a time: dictionary off, every
//! value encoding per physical type, data page V1 and V2, every compression, INT96 and every
//! timestamp unit, statistics off, page indexes and checksums, several row groups and many pages
//! per chunk. The engine's CSV on each rewritten set must equal the reference CSV line for line
//! (the random `uuid` column aside), and its `--report-json` must show no chunk decoded by the
//! parquet crate's fallback reader. Every codec pyarrow writes (brotli included) is read. Files
//! DuckDB writes (`COPY ... TO ... (FORMAT PARQUET)`, its V1 and V2 layouts) are checked the same
//! way; Spark's are not (no JVM on the test machines).

mod common;

use common::*;
use std::path::Path;
use std::process::Output;
use tempfile::TempDir;

const KEYS: &str = "app,environment,team,k001,k007,node_role_kubernetes_io,region_name";

fn params() -> Params {
    let mut p = Params::month(2026, 3);
    p.enabled_keys = Some(KEYS.into());
    p.cost_categories = vec!["openshift-%=1".into(), "kube-%=1".into()];
    p
}

/// A generated month and the engine's CSV on it.
struct Base {
    dir: TempDir,
    csv: std::path::PathBuf,
}

fn base(seed: &str) -> Base {
    let dir = TempDir::new().unwrap();
    let src = dir.path().join("src");
    generate(&src, &["--days", "2", "--seed", seed]);
    let csv = dir.path().join("base.csv");
    run_engine(&src, &params(), &csv, 2);
    assert!(csv_rows(&csv) > 0, "the generated month gives rows");
    Base { dir, csv }
}

/// Rewrites the base set under `settings` (see rewrite_parquet.py) into `dst`; returns the
/// script's summary of what it wrote.
fn rewrite(base: &Base, dst: &Path, settings: &str) -> serde_json::Value {
    let out = std::process::Command::new(python())
        .arg(repo().join("tests/oracle/rewrite_parquet.py"))
        .arg(base.dir.path().join("src"))
        .arg(dst)
        .arg(settings)
        .output()
        .expect("spawn rewrite_parquet.py");
    let out = check(out, &format!("rewrite_parquet.py {settings}"));
    serde_json::from_slice(&out.stdout).expect("rewrite summary")
}

/// One run through the kernels, with its report.
fn run(input: &Path, csv: &Path, report: &Path) -> Output {
    bin()
        .arg("run")
        .args(params().args(input))
        .args(["--threads", "2", "--decode", "kernels"])
        .arg("--output")
        .arg(format!("csv:{}", csv.display()))
        .arg("--report-json")
        .arg(report)
        .output()
        .expect("spawn run")
}

fn strings(v: &serde_json::Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {v}"))
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

/// A pyarrow setting, and what the rewritten files must then hold.
struct Setting {
    name: &'static str,
    /// write_table keywords, plus rewrite_parquet.py's `encoding_by_type` and `timestamp_unit`.
    json: String,
    /// Encodings some column chunk must list.
    encodings: &'static [&'static str],
    /// The compression codec every chunk must have (pyarrow's name).
    compression: Option<&'static str>,
    /// The physical type timestamps must be stored as.
    timestamps: &'static str,
}

impl Setting {
    fn new(name: &'static str, json: &str) -> Self {
        Setting {
            name,
            json: json.to_string(),
            encodings: &[],
            compression: None,
            timestamps: "INT64",
        }
    }

    fn encodings(mut self, e: &'static [&'static str]) -> Self {
        self.encodings = e;
        self
    }

    fn compression(mut self, c: &'static str) -> Self {
        self.compression = Some(c);
        self
    }

    fn int96(mut self) -> Self {
        self.timestamps = "INT96";
        self
    }
}

/// Small row groups and pages, so every file has several of both, unless the setting says
/// otherwise.
fn small(json: &str) -> String {
    let extra = r#""row_group_size": 6000, "data_page_size": 4096, "write_batch_size": 256"#;
    match json.trim() {
        "{}" => format!("{{{extra}}}"),
        j => format!("{{{extra}, {}", &j[1..]),
    }
}

/// Rewrites the base set under every setting and checks each run against the base CSV; all
/// failures are gathered and reported together.
fn check_settings(seed: &str, settings: Vec<Setting>) {
    let base = base(seed);
    let mut failures = Vec::new();
    for s in &settings {
        let dst = base.dir.path().join(s.name.replace(' ', "_"));
        let summary = rewrite(&base, &dst, &s.json);
        let encodings = strings(&summary, "encodings");
        let compression = strings(&summary, "compression");
        let physical = strings(&summary, "physical_types");
        for e in s.encodings {
            assert!(
                encodings.iter().any(|x| x == e),
                "{}: pyarrow wrote {encodings:?}, not {e}",
                s.name
            );
        }
        if let Some(c) = s.compression {
            assert_eq!(compression, [c], "{}", s.name);
        }
        assert!(
            physical.iter().any(|t| t == s.timestamps),
            "{}: {physical:?}",
            s.name
        );
        let (files, groups) = (&summary["files"], &summary["row_groups"]);
        let csv = dst.with_extension("csv");
        let report = dst.with_extension("json");
        let out = run(&dst, &csv, &report);
        if !out.status.success() {
            failures.push(format!(
                "{} ({}): the run failed: {}",
                s.name,
                s.json,
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
        let pages = &report["pages"];
        if pages["fallback_chunks"] != 0 {
            failures.push(format!(
                "{}: {} chunks through the fallback reader ({pages})",
                s.name, pages["fallback_chunks"]
            ));
        }
        let same = std::panic::catch_unwind(|| assert_same_rows(&base.csv, &csv));
        if same.is_err() {
            failures.push(format!("{} ({}): rows differ (above)", s.name, s.json));
            continue;
        }
        eprintln!(
            "{:<36} {files} files, {groups} row groups, {encodings:?} {compression:?} \
             {physical:?}: same rows; pages {pages}",
            s.name
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `column_encoding` for every column of a physical type; the dictionary must be off for it.
fn by_type(int64: &str, double: &str, strings: &str, version: &str) -> String {
    small(&format!(
        r#"{{"use_dictionary": false, "data_page_version": "{version}",
            "encoding_by_type": {{"INT64": "{int64}", "DOUBLE": "{double}",
                                  "BYTE_ARRAY": "{strings}"}}}}"#
    ))
}

#[test]
fn every_value_encoding_in_page_v1_and_v2() {
    let mut settings = Vec::new();
    for version in ["1.0", "2.0"] {
        let name = |n: &'static str| -> &'static str {
            Box::leak(format!("{n} v{version}").into_boxed_str())
        };
        settings.push(
            Setting::new(name("plain"), &by_type("PLAIN", "PLAIN", "PLAIN", version))
                .encodings(&["PLAIN"]),
        );
        settings.push(
            Setting::new(
                name("delta length"),
                &by_type(
                    "DELTA_BINARY_PACKED",
                    "BYTE_STREAM_SPLIT",
                    "DELTA_LENGTH_BYTE_ARRAY",
                    version,
                ),
            )
            .encodings(&[
                "DELTA_BINARY_PACKED",
                "BYTE_STREAM_SPLIT",
                "DELTA_LENGTH_BYTE_ARRAY",
            ]),
        );
        settings.push(
            Setting::new(
                name("split delta byte array"),
                &by_type(
                    "BYTE_STREAM_SPLIT",
                    "BYTE_STREAM_SPLIT",
                    "DELTA_BYTE_ARRAY",
                    version,
                ),
            )
            .encodings(&["BYTE_STREAM_SPLIT", "DELTA_BYTE_ARRAY"]),
        );
        settings.push(
            Setting::new(
                name("dictionary off"),
                &small(&format!(
                    r#"{{"use_dictionary": false, "data_page_version": "{version}"}}"#
                )),
            )
            .encodings(&["PLAIN"]),
        );
        settings.push(
            Setting::new(
                name("dictionary"),
                &small(&format!(r#"{{"data_page_version": "{version}"}}"#)),
            )
            .encodings(&["RLE_DICTIONARY"]),
        );
        // A dictionary too small for the strings: PLAIN pages after dictionary ids, mid-chunk.
        settings.push(
            Setting::new(
                name("dictionary overflow"),
                &small(&format!(
                    r#"{{"data_page_version": "{version}", "dictionary_pagesize_limit": 512}}"#
                )),
            )
            .encodings(&["RLE_DICTIONARY", "PLAIN"]),
        );
        settings.push(
            Setting::new(
                name("use_byte_stream_split"),
                &small(&format!(
                    r#"{{"data_page_version": "{version}", "use_dictionary": false,
                        "byte_stream_split_types": ["DOUBLE", "INT64"]}}"#
                )),
            )
            .encodings(&["BYTE_STREAM_SPLIT", "PLAIN"]),
        );
    }
    check_settings("11", settings);
}

#[test]
fn every_compression_pyarrow_writes() {
    let mut settings = Vec::new();
    for (codec, name) in [
        ("none", "UNCOMPRESSED"),
        ("snappy", "SNAPPY"),
        ("zstd", "ZSTD"),
        ("gzip", "GZIP"),
        ("lz4", "LZ4"),
        ("brotli", "BROTLI"),
    ] {
        for version in ["1.0", "2.0"] {
            let label = Box::leak(format!("{codec} v{version}").into_boxed_str());
            settings.push(
                Setting::new(
                    label,
                    &small(&format!(
                        r#"{{"compression": "{codec}", "data_page_version": "{version}"}}"#
                    )),
                )
                .compression(name),
            );
        }
    }
    settings.push(
        Setting::new(
            "zstd level 19 delta",
            &small(
                r#"{"compression": "zstd", "compression_level": 19, "use_dictionary": false,
                    "encoding_by_type": {"INT64": "DELTA_BINARY_PACKED",
                                         "BYTE_ARRAY": "DELTA_BYTE_ARRAY"}}"#,
            ),
        )
        .compression("ZSTD")
        .encodings(&["DELTA_BINARY_PACKED", "DELTA_BYTE_ARRAY"]),
    );
    check_settings("12", settings);
}

#[test]
fn int96_and_every_timestamp_unit() {
    let settings = vec![
        Setting::new(
            "int96 dictionary",
            &small(r#"{"use_deprecated_int96_timestamps": true}"#),
        )
        .int96()
        .encodings(&["RLE_DICTIONARY"]),
        Setting::new(
            "int96 plain v2",
            &small(
                r#"{"use_deprecated_int96_timestamps": true, "use_dictionary": false,
                    "data_page_version": "2.0"}"#,
            ),
        )
        .int96()
        .encodings(&["PLAIN"]),
        Setting::new(
            "int96 from nanoseconds",
            &small(r#"{"use_deprecated_int96_timestamps": true, "timestamp_unit": "ns"}"#),
        )
        .int96(),
        Setting::new("coerce ms", &small(r#"{"coerce_timestamps": "ms"}"#)),
        Setting::new("coerce us", &small(r#"{"coerce_timestamps": "us"}"#)),
        Setting::new(
            "coerce us delta",
            &small(
                r#"{"coerce_timestamps": "us", "use_dictionary": false,
                    "encoding_by_type": {"INT64": "DELTA_BINARY_PACKED"}}"#,
            ),
        )
        .encodings(&["DELTA_BINARY_PACKED"]),
        Setting::new(
            "nanoseconds 2.6",
            &small(r#"{"timestamp_unit": "ns", "version": "2.6"}"#),
        ),
        Setting::new(
            "nanoseconds split",
            &small(
                r#"{"timestamp_unit": "ns", "version": "2.6", "use_dictionary": false,
                    "encoding_by_type": {"INT64": "BYTE_STREAM_SPLIT"}}"#,
            ),
        )
        .encodings(&["BYTE_STREAM_SPLIT"]),
        Setting::new(
            "seconds to us, format 2.4",
            &small(r#"{"timestamp_unit": "s", "version": "2.4"}"#),
        ),
        // Format 1.0: no logical types beyond what the converted types say.
        Setting::new("format 1.0", &small(r#"{"version": "1.0"}"#)),
    ];
    check_settings("13", settings);
}

#[test]
fn statistics_indexes_checksums_and_defaults() {
    let settings = vec![
        Setting::new("statistics off", &small(r#"{"write_statistics": false}"#)),
        Setting::new(
            "statistics off int96 delta v2",
            &small(
                r#"{"write_statistics": false, "use_deprecated_int96_timestamps": true,
                    "use_dictionary": false, "data_page_version": "2.0",
                    "encoding_by_type": {"DOUBLE": "BYTE_STREAM_SPLIT",
                                         "BYTE_ARRAY": "DELTA_BYTE_ARRAY"}}"#,
            ),
        )
        .int96()
        .encodings(&["BYTE_STREAM_SPLIT", "DELTA_BYTE_ARRAY"]),
        Setting::new(
            "page index and checksums",
            &small(
                r#"{"write_page_index": true, "write_page_checksum": true,
                    "store_schema": false}"#,
            ),
        ),
        Setting::new(
            "one page per row group",
            r#"{"row_group_size": 2500, "data_page_size": 1048576}"#,
        ),
        Setting::new("pyarrow defaults", "{}").compression("SNAPPY"),
    ];
    check_settings("14", settings);
}

/// DuckDB's writer: its default layout (V1 pages, dictionaries, SNAPPY) and its V2 layout
/// (`PARQUET_VERSION V2`: V2 data pages and DELTA_* and BYTE_STREAM_SPLIT encodings), in ZSTD.
#[test]
fn files_duckdb_wrote() {
    let settings = vec![
        Setting::new(
            "duckdb default",
            r#"{"writer": "duckdb", "compression": "snappy", "row_group_size": 6000}"#,
        )
        .encodings(&["PLAIN_DICTIONARY"])
        .compression("SNAPPY"),
        Setting::new(
            "duckdb v2 zstd",
            r#"{"writer": "duckdb", "compression": "zstd", "parquet_version": "v2",
                "row_group_size": 6000}"#,
        )
        .encodings(&[
            "BYTE_STREAM_SPLIT",
            "DELTA_LENGTH_BYTE_ARRAY",
            "RLE_DICTIONARY",
        ])
        .compression("ZSTD"),
    ];
    check_settings("15", settings);
}
