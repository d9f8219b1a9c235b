//! The same data, written by pyarrow under every writer setting it offers, by DuckDB and by Spark,
//! gives the same summary rows as the generator's Koku-like files.
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
//! way. Files Spark writes are committed fixtures instead (`tests/fixtures/spark/`, written once
//! by Spark 3.5.3 with `scripts/spark_fixtures.sh`: a JVM and pyspark are too much for every test
//! run): `files_spark_wrote` checks they still hold the generator's data and what their setting
//! claims (INT96, V2 pages, DELTA_* encodings, GZIP/ZSTD/LZ4/LZ4_RAW, ...), then runs the engine
//! on each the same way.

mod common;

use common::*;
use std::collections::BTreeSet;
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
    base_of(&["--days", "2", "--seed", seed])
}

/// [`base`] from any `generate` arguments (besides `--org` and `--source`).
fn base_of(generate_args: &[&str]) -> Base {
    let dir = TempDir::new().unwrap();
    let src = dir.path().join("src");
    generate(&src, generate_args);
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
        let label = format!("{} ({})", s.name, s.json);
        let Some(pages) = run_same_rows(&base, &dst, &csv, &label, &mut failures) else {
            continue;
        };
        eprintln!(
            "{:<36} {files} files, {groups} row groups, {encodings:?} {compression:?} \
             {physical:?}: same rows; pages {pages}",
            s.name
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs the kernels on `input` into `csv` and compares with the base CSV. Failures (the run, a
/// chunk through the fallback reader, other rows) go to `failures` under `label`; returns the
/// report's page counts unless the run failed or the rows differ.
fn run_same_rows(
    base: &Base,
    input: &Path,
    csv: &Path,
    label: &str,
    failures: &mut Vec<String>,
) -> Option<serde_json::Value> {
    let report = csv.with_extension("json");
    let out = run(input, csv, &report);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        failures.push(format!("{label}: the run failed: {stderr}"));
        return None;
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
    let pages = report["pages"].clone();
    if pages["fallback_chunks"] != 0 {
        let n = &pages["fallback_chunks"];
        failures.push(format!(
            "{label}: {n} chunks through the fallback reader ({pages})"
        ));
    }
    if std::panic::catch_unwind(|| assert_same_rows(&base.csv, csv)).is_err() {
        failures.push(format!("{label}: rows differ (above)"));
        return None;
    }
    Some(pages)
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

// Spark. Installing pyspark would cost every CI run a 317 MB download and a JVM, so the files are
// committed: `tests/fixtures/spark/<setting>/`, written once by Spark 3.5.3 from the generator's
// month below (`scripts/spark_fixtures.sh`, `tests/oracle/rewrite_spark.py`; provenance in
// `tests/fixtures/README.md`).

/// The `generate` arguments (besides `--org` and `--source`) the Spark fixtures were written from;
/// `scripts/spark_fixtures.sh` passes the same ones.
const SPARK_GENERATE: &[&str] = &[
    "--days",
    "2",
    "--seed",
    "16",
    "--nodes",
    "4",
    "--namespaces-per-node",
    "3",
    "--pods-per-namespace",
    "3",
];

const REGENERATE: &str = "if the generator's output changed, regenerate the fixtures with \
    scripts/spark_fixtures.sh (it needs a JVM; see tests/fixtures/README.md)";

/// One fixture set, and what its footers and pages must show.
struct SparkSet {
    /// The folder under `tests/fixtures/spark/`: rewrite_spark.py's setting, `_` for spaces.
    dir: &'static str,
    /// The codec of every column chunk.
    compression: &'static str,
    /// How every timestamp column is stored ([`timestamp_type`]).
    timestamps: &'static str,
    /// Encodings some column chunk must list.
    encodings: &'static [&'static str],
    /// Every data page is V2 (else every one is V1).
    v2: bool,
    /// Some chunks have a dictionary page (else none has).
    dictionary: bool,
    /// Small row groups and pages: some file has several row groups, some chunk several pages.
    small: bool,
}

fn spark_sets() -> Vec<SparkSet> {
    let set = |dir, compression, timestamps, encodings| SparkSet {
        dir,
        compression,
        timestamps,
        encodings,
        v2: false,
        dictionary: true,
        small: false,
    };
    const V1_DICTIONARY: &[&str] = &["PLAIN_DICTIONARY", "RLE", "BIT_PACKED"];
    vec![
        set("spark_default", "SNAPPY", "INT96", V1_DICTIONARY),
        set("spark_ntz", "SNAPPY", "INT64 MICROS local", V1_DICTIONARY),
        SparkSet {
            small: true,
            ..set("spark_micros", "SNAPPY", "INT64 MICROS UTC", V1_DICTIONARY)
        },
        set("spark_millis", "SNAPPY", "INT64 MILLIS UTC", V1_DICTIONARY),
        SparkSet {
            v2: true,
            small: true,
            ..set(
                "spark_v2",
                "SNAPPY",
                "INT96",
                &["RLE_DICTIONARY", "DELTA_BYTE_ARRAY", "PLAIN"],
            )
        },
        SparkSet {
            v2: true,
            dictionary: false,
            small: true,
            ..set(
                "spark_v2_plain",
                "SNAPPY",
                "INT64 MICROS UTC",
                &["DELTA_BINARY_PACKED", "DELTA_BYTE_ARRAY", "PLAIN"],
            )
        },
        set("spark_gzip", "GZIP", "INT96", V1_DICTIONARY),
        SparkSet {
            v2: true,
            ..set(
                "spark_zstd",
                "ZSTD",
                "INT96",
                &["RLE_DICTIONARY", "DELTA_BYTE_ARRAY"],
            )
        },
        set("spark_lz4", "LZ4", "INT96", V1_DICTIONARY),
        set("spark_lz4raw", "LZ4_RAW", "INT96", V1_DICTIONARY),
        set("spark_legacy", "SNAPPY", "INT96", V1_DICTIONARY),
    ]
}

/// The Parquet files under `dir`, as sorted paths relative to it.
fn parquet_files(dir: &Path) -> Vec<std::path::PathBuf> {
    all_files(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .map(|p| p.strip_prefix(dir).expect("under dir").to_path_buf())
        .collect()
}

fn open_parquet(path: &Path) -> parquet::file::reader::SerializedFileReader<std::fs::File> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parquet::file::reader::SerializedFileReader::new(file)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// How a timestamp column is stored (`INT96`, `INT64 MICROS UTC`, `INT64 MILLIS local`, ...), and
/// its values per millisecond for an INT64 one; `None` for other columns.
fn timestamp_type(col: &parquet::schema::types::ColumnDescriptor) -> Option<(String, i64)> {
    use parquet::basic::{LogicalType, TimeUnit, Type as PhysicalType};
    match (col.physical_type(), col.logical_type_ref()) {
        (PhysicalType::INT96, _) => Some(("INT96".into(), 1)),
        (PhysicalType::INT64, Some(LogicalType::Timestamp(t))) => {
            let (unit, per_ms) = match t.unit {
                TimeUnit::MILLIS => ("MILLIS", 1),
                TimeUnit::MICROS => ("MICROS", 1_000),
                TimeUnit::NANOS => ("NANOS", 1_000_000),
            };
            let zone = if t.is_adjusted_to_u_t_c {
                "UTC"
            } else {
                "local"
            };
            Some((format!("INT64 {unit} {zone}"), per_ms))
        }
        _ => None,
    }
}

/// Column names and rows of a Parquet file through the parquet crate's record reader (not our
/// kernels), every cell as text and every timestamp as epoch milliseconds, whatever its type.
fn cells(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    use parquet::file::reader::FileReader;
    use parquet::record::Field;
    let reader = open_parquet(path);
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let per_ms: Vec<Option<i64>> = schema
        .columns()
        .iter()
        .map(|c| timestamp_type(c).map(|t| t.1))
        .collect();
    let names = schema
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let ts = |v: i64, per_ms: i64| match v % per_ms {
        0 => format!("{} ms", v / per_ms),
        _ => format!("{v} / {per_ms} ms"),
    };
    let rows = reader
        .get_row_iter(None)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .map(|row| {
            let row = row.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            row.get_column_iter()
                .zip(&per_ms)
                .map(|((_, field), per_ms)| match (field, per_ms) {
                    // INT96 and TIMESTAMP_MILLIS come as milliseconds already.
                    (Field::TimestampMillis(v), _) => ts(*v, 1),
                    (Field::TimestampMicros(v), _) => ts(*v, 1_000),
                    // A timestamp without a converted type (TIMESTAMP_NTZ, Koku's): its unit.
                    (Field::Long(v), Some(per_ms)) => ts(*v, *per_ms),
                    (Field::Str(s), _) => format!("{s:?}"),
                    (other, _) => format!("{other:?}"),
                })
                .collect()
        })
        .collect();
    (names, rows)
}

/// The fixture file holds the generated file's columns and values, row for row.
fn same_data(generated: &Path, fixture: &Path) -> Result<(), String> {
    let (names, rows) = cells(generated);
    let (fixture_names, fixture_rows) = cells(fixture);
    if names != fixture_names {
        return Err(format!("columns {fixture_names:?}, generated {names:?}"));
    }
    if rows.len() != fixture_rows.len() {
        return Err(format!(
            "{} rows, generated {}",
            fixture_rows.len(),
            rows.len()
        ));
    }
    for (i, (a, b)) in rows.iter().zip(&fixture_rows).enumerate() {
        if let Some(c) = (0..a.len()).find(|&c| a[c] != b[c]) {
            return Err(format!(
                "row {i} column {}: {} where the generator now writes {}",
                names[c], b[c], a[c]
            ));
        }
    }
    Ok(())
}

/// What the footers and page headers of a fixture set show.
#[derive(Default)]
struct Footers {
    files: usize,
    row_groups: usize,
    /// Most row groups in one file.
    max_row_groups: usize,
    /// Most data pages in one column chunk.
    max_pages: usize,
    created_by: BTreeSet<String>,
    spark_version: BTreeSet<String>,
    encodings: BTreeSet<String>,
    compression: BTreeSet<String>,
    timestamps: BTreeSet<String>,
    /// `DATA_PAGE`, `DATA_PAGE_V2`, `DICTIONARY_PAGE`.
    pages: BTreeSet<String>,
}

fn footers(dir: &Path) -> Footers {
    use parquet::basic::Compression;
    use parquet::file::reader::FileReader;
    let mut f = Footers::default();
    for rel in parquet_files(dir) {
        let path = dir.join(&rel);
        let reader = open_parquet(&path);
        let meta = reader.metadata();
        let file = meta.file_metadata();
        f.files += 1;
        f.row_groups += meta.num_row_groups();
        f.max_row_groups = f.max_row_groups.max(meta.num_row_groups());
        f.created_by
            .insert(file.created_by().unwrap_or("(none)").to_string());
        for kv in file.key_value_metadata().into_iter().flatten() {
            if kv.key == "org.apache.spark.version" {
                f.spark_version.insert(kv.value.clone().unwrap_or_default());
            }
        }
        for col in file.schema_descr().columns() {
            if let Some((t, _)) = timestamp_type(col) {
                f.timestamps.insert(t);
            }
        }
        for g in 0..meta.num_row_groups() {
            let group = reader.get_row_group(g).expect("row group");
            for (c, chunk) in meta.row_group(g).columns().iter().enumerate() {
                f.encodings
                    .extend(chunk.encodings().map(|e| format!("{e:?}")));
                f.compression.insert(match chunk.compression() {
                    Compression::GZIP(_) => "GZIP".to_string(),
                    Compression::ZSTD(_) => "ZSTD".to_string(),
                    Compression::BROTLI(_) => "BROTLI".to_string(),
                    other => format!("{other:?}"),
                });
                let mut data_pages = 0;
                for page in group.get_column_page_reader(c).expect("page reader") {
                    let page = page.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    let kind = format!("{:?}", page.page_type());
                    data_pages += usize::from(kind != "DICTIONARY_PAGE");
                    f.pages.insert(kind);
                }
                f.max_pages = f.max_pages.max(data_pages);
            }
        }
    }
    f
}

/// Files Spark 3.5.3 wrote (parquet-mr 1.13.1) from the generator's month, under every setting of
/// `tests/oracle/rewrite_spark.py`: its defaults (INT96 timestamps, V1 pages, dictionaries,
/// SNAPPY), TIMESTAMP_NTZ, TIMESTAMP_MICROS and _MILLIS, V2 pages with dictionaries falling back
/// to DELTA_BYTE_ARRAY and without dictionaries (DELTA_BINARY_PACKED, DELTA_BYTE_ARRAY), GZIP,
/// ZSTD, both LZ4s, the legacy format, small row groups and pages. First the fixtures are checked
/// against the generator's output today, value by value through the parquet crate's record
/// reader, and against what their setting claims (footers, page headers); then the engine's CSV on
/// each must equal its CSV on the generated files, with no chunk through the fallback reader.
#[test]
fn files_spark_wrote() {
    let fixtures = repo().join("tests/fixtures/spark");
    let base = base_of(SPARK_GENERATE);
    let src = base.dir.path().join("src");

    let recorded = std::fs::read_to_string(fixtures.join("generate.json"))
        .expect("tests/fixtures/spark/generate.json");
    let now = std::fs::read_to_string(src.join("generate.json")).expect("generate.json");
    assert!(
        recorded == now,
        "the generator's generate.json differs from tests/fixtures/spark/generate.json, the one \
         the Spark fixtures were written from: {REGENERATE}"
    );
    let generated = parquet_files(&src);
    let sets = spark_sets();
    let folders: BTreeSet<String> = std::fs::read_dir(&fixtures)
        .expect("tests/fixtures/spark")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let known: BTreeSet<String> = sets.iter().map(|s| s.dir.to_string()).collect();
    assert_eq!(folders, known, "the folders of tests/fixtures/spark");

    let mut failures = Vec::new();
    for s in &sets {
        let dir = fixtures.join(s.dir);
        assert_eq!(
            parquet_files(&dir),
            generated,
            "tests/fixtures/spark/{}: its Parquet files against the generator's; {REGENERATE}",
            s.dir
        );
        for rel in &generated {
            if let Err(e) = same_data(&src.join(rel), &dir.join(rel)) {
                panic!(
                    "tests/fixtures/spark/{}/{} does not hold the generator's data: {e}; \
                     {REGENERATE}",
                    s.dir,
                    rel.display()
                );
            }
        }

        let f = footers(&dir);
        let name = s.dir;
        assert!(
            f.created_by
                .iter()
                .all(|c| c.starts_with("parquet-mr version 1.13.1")),
            "{name}: created_by {:?}",
            f.created_by
        );
        assert_eq!(
            f.spark_version,
            BTreeSet::from(["3.5.3".to_string()]),
            "{name}"
        );
        assert_eq!(
            f.compression,
            BTreeSet::from([s.compression.to_string()]),
            "{name}"
        );
        assert_eq!(
            f.timestamps,
            BTreeSet::from([s.timestamps.to_string()]),
            "{name}"
        );
        for e in s.encodings {
            assert!(
                f.encodings.contains(*e),
                "{name}: {:?}, not {e}",
                f.encodings
            );
        }
        let (data, other) = if s.v2 {
            ("DATA_PAGE_V2", "DATA_PAGE")
        } else {
            ("DATA_PAGE", "DATA_PAGE_V2")
        };
        assert!(
            f.pages.contains(data) && !f.pages.contains(other),
            "{name}: {:?}",
            f.pages
        );
        assert_eq!(
            f.pages.contains("DICTIONARY_PAGE"),
            s.dictionary,
            "{name}: {:?}",
            f.pages
        );
        if s.small {
            assert!(
                f.max_row_groups > 1 && f.max_pages > 1,
                "{name}: at most {} row groups in a file and {} pages in a chunk",
                f.max_row_groups,
                f.max_pages
            );
        }

        let csv = base.dir.path().join(format!("{name}.csv"));
        let Some(pages) = run_same_rows(&base, &dir, &csv, name, &mut failures) else {
            continue;
        };
        eprintln!(
            "{name:<15} {} files, {} row groups, <= {} pages a chunk, {:?} {:?} {:?} {:?}: same \
             rows; pages {pages}",
            f.files, f.row_groups, f.max_pages, f.encodings, f.compression, f.timestamps, f.pages
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
