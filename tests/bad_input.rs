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
    write_file_row_groups(path, cols, 1);
}

/// Writes a daily pod file of `groups` row groups, each one row with the given columns.
fn write_file_row_groups(path: &Path, cols: &[Col], groups: usize) {
    let schema = schema_of(cols);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let props = Arc::new(WriterProperties::builder().build());
    let mut w = SerializedFileWriter::new(file, Arc::new(schema), props).unwrap();
    for _ in 0..groups {
        write_row_group(&mut w, cols);
    }
    w.close().unwrap();
}

fn write_row_group(w: &mut SerializedFileWriter<std::fs::File>, cols: &[Col]) {
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

// ---- Page checksums -------------------------------------------------------------------------
//
// parquet-rs 60 cannot write page CRCs (its page writer leaves `crc` unset), so the test adds them
// itself: it walks every page of every column chunk, inserts field 4 (`crc`, i32) into each
// Thrift-compact page header, and writes a new footer with the shifted offsets.

/// CRC-32 (IEEE, reflected), as the Parquet spec asks for page checksums; bitwise, so the test does
/// not share an implementation with the reader.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A reader of the Thrift compact protocol, just enough to walk a page header.
struct Compact<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Compact<'_> {
    fn byte(&mut self) -> u8 {
        self.pos += 1;
        self.b[self.pos - 1]
    }

    fn varint(&mut self) -> u64 {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte();
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return v;
            }
        }
        panic!("varint too long at {}", self.pos);
    }

    fn zigzag(&mut self) -> i64 {
        let v = self.varint();
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }

    /// Skips one value of compact type `ty`.
    fn skip(&mut self, ty: u8) {
        match ty {
            1 | 2 => {}         // bool in a field header
            3 => self.pos += 1, // byte
            4..=6 => {
                self.varint();
            }
            7 => self.pos += 8, // double
            8 => {
                let n = self.varint() as usize;
                self.pos += n;
            }
            9 | 10 => {
                let h = self.byte();
                let n = match h >> 4 {
                    15 => self.varint() as usize,
                    n => n as usize,
                };
                for _ in 0..n {
                    self.skip_element(h & 0x0f);
                }
            }
            11 => {
                let n = self.varint() as usize;
                if n > 0 {
                    let kv = self.byte();
                    for _ in 0..n {
                        self.skip_element(kv >> 4);
                        self.skip_element(kv & 0x0f);
                    }
                }
            }
            12 => self.skip_struct(),
            _ => panic!("unknown compact type {ty} at {}", self.pos),
        }
    }

    /// A bool inside a list or map takes a byte, unlike a bool field.
    fn skip_element(&mut self, ty: u8) {
        if ty == 1 || ty == 2 {
            self.pos += 1;
        } else {
            self.skip(ty);
        }
    }

    fn skip_struct(&mut self) {
        loop {
            let h = self.byte();
            if h == 0 {
                return;
            }
            if h >> 4 == 0 {
                self.zigzag();
            }
            self.skip(h & 0x0f);
        }
    }
}

/// One page header at the start of `b`.
struct PageHeader {
    len: usize,
    compressed_size: usize,
    crc: Option<u32>,
    /// Where the first field after `compressed_page_size` (field 3) starts, its id and its type.
    after_size: (usize, i16, u8),
}

fn page_header(b: &[u8]) -> PageHeader {
    let mut c = Compact { b, pos: 0 };
    let mut last = 0i16;
    let mut size = None;
    let mut crc = None;
    let mut after_size = None;
    loop {
        let at = c.pos;
        let h = c.byte();
        let ty = h & 0x0f;
        let id = match h >> 4 {
            _ if h == 0 => i16::MAX,
            0 => c.zigzag() as i16,
            delta => last + i16::from(delta),
        };
        if id > 3 && after_size.is_none() {
            after_size = Some((at, id, ty));
        }
        if h == 0 {
            break;
        }
        if id == 3 {
            size = Some(c.zigzag() as usize);
        } else if id == 4 {
            crc = Some(c.zigzag() as i32 as u32);
        } else {
            c.skip(ty);
        }
        last = id;
    }
    PageHeader {
        len: c.pos,
        compressed_size: size.expect("compressed_page_size"),
        crc,
        after_size: after_size.unwrap(),
    }
}

/// `header` (one whole page header) with field 4, `crc`, set to `crc`.
fn header_with_crc(header: &[u8], h: &PageHeader, crc: u32) -> Vec<u8> {
    assert_eq!(h.crc, None, "the page header already has a crc");
    let (at, next_id, next_ty) = h.after_size;
    let mut out = header[..at].to_vec();
    // Field 4 follows field 3: delta 1, type i32 (5); the value is a zigzag varint.
    out.push(0x15);
    let crc = crc as i32;
    let mut v = ((crc << 1) ^ (crc >> 31)) as u32;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    // The next field header was a delta from field 3; it is now a delta from field 4. The stop
    // byte and the long form (absolute id) stay as they are.
    let next = header[at];
    if next != 0 && next >> 4 != 0 {
        let delta = u8::try_from(next_id - 4).unwrap();
        assert!((1..=15).contains(&delta));
        out.push(delta << 4 | next_ty);
    } else {
        out.push(next);
    }
    out.extend_from_slice(&header[at + 1..]);
    out
}

/// Where a column chunk's page data lies in a file written by [`add_page_crcs`].
struct PageSpan {
    row_group: usize,
    column: String,
    header: usize,
    data: std::ops::Range<usize>,
}

/// `file` with a CRC in every page header, and the spans of the pages' data in the new file.
fn add_page_crcs(file: &[u8]) -> (Vec<u8>, Vec<PageSpan>) {
    use parquet::file::metadata::{ParquetMetaDataReader, ParquetMetaDataWriter};
    let meta = ParquetMetaDataReader::new()
        .parse_and_finish(&bytes::Bytes::copy_from_slice(file))
        .unwrap();
    let mut out = b"PAR1".to_vec();
    let mut spans = Vec::new();
    let mut groups = Vec::new();
    for (g, rg) in meta.row_groups().iter().enumerate() {
        let rg_start = out.len();
        let mut cols = Vec::new();
        for col in rg.columns() {
            let start = col
                .dictionary_page_offset()
                .unwrap_or(col.data_page_offset()) as usize;
            let end = start + col.compressed_size() as usize;
            let new_start = out.len();
            let mut new_data_offset = None;
            let mut pos = start;
            while pos < end {
                let h = page_header(&file[pos..]);
                let data = &file[pos + h.len..pos + h.len + h.compressed_size];
                if pos as i64 == col.data_page_offset() {
                    new_data_offset = Some(out.len() as i64);
                }
                let header = out.len();
                out.extend(header_with_crc(&file[pos..pos + h.len], &h, crc32(data)));
                spans.push(PageSpan {
                    row_group: g,
                    column: col.column_path().string(),
                    header,
                    data: out.len()..out.len() + data.len(),
                });
                out.extend_from_slice(data);
                pos += h.len + h.compressed_size;
            }
            assert_eq!(pos, end, "pages overrun the column chunk");
            let col = col
                .clone()
                .into_builder()
                .set_data_page_offset(new_data_offset.expect("a data page"))
                .set_dictionary_page_offset(col.dictionary_page_offset().map(|_| new_start as i64))
                .set_total_compressed_size((out.len() - new_start) as i64)
                .set_offset_index_offset(None)
                .set_offset_index_length(None)
                .set_column_index_offset(None)
                .set_column_index_length(None)
                .build()
                .unwrap();
            cols.push(col);
        }
        let rg = rg
            .clone()
            .into_builder()
            .set_column_metadata(cols)
            .set_file_offset(rg_start as i64)
            .build()
            .unwrap();
        groups.push(rg);
    }
    let meta = meta.into_builder().set_row_groups(groups).build();
    ParquetMetaDataWriter::new(&mut out, &meta)
        .with_preserve_page_index_locations(false)
        .finish()
        .unwrap();
    (out, spans)
}

#[test]
fn page_crc_mismatch_names_file_column_and_row_group() {
    let dir = TempDir::new().unwrap();
    let path = daily_pod_path(dir.path());
    write_file_row_groups(&path, &daily_pod_cols("{}"), 2);
    let plain = std::fs::read(&path).unwrap();
    let (with_crc, spans) = add_page_crcs(&plain);
    // Every page (dictionary and data, of every column of both row groups) now carries the CRC of
    // its data, read back from its header.
    assert_eq!(spans.len(), 2 * daily_pod_cols("{}").len() * 2);
    for s in &spans {
        let h = page_header(&with_crc[s.header..]);
        assert_eq!(s.header + h.len, s.data.start);
        assert_eq!(h.crc, Some(crc32(&with_crc[s.data.clone()])));
    }

    // The file with checksums reads as the one without (but for the random row uuids).
    let rows = |csv: String| -> Vec<String> {
        csv.lines()
            .map(|l| l.split_once(',').unwrap().1.to_string())
            .collect()
    };
    let baseline = run_ok(dir.path(), "app");
    std::fs::write(&path, &with_crc).unwrap();
    assert_eq!(rows(run_ok(dir.path(), "app")), rows(baseline.clone()));
    assert!(baseline.contains(",ns1,"), "{baseline}");

    // Flip one bit of "ns1" in the dictionary page of `namespace` in row group 1: "ns1" -> "os1".
    // The page still decodes; only its CRC is wrong.
    let span = spans
        .iter()
        .find(|s| s.row_group == 1 && s.column == "namespace")
        .expect("namespace pages of row group 1");
    let at = span.data.start
        + with_crc[span.data.clone()]
            .windows(3)
            .position(|w| w == b"ns1")
            .expect("the dictionary value");
    let mut flipped = with_crc.clone();
    flipped[at] ^= 0x01;
    std::fs::write(&path, &flipped).unwrap();
    let err = run_fails(dir.path(), &[]);
    assert_has(
        &err,
        &[
            "bad_daily_0.parquet",
            "row group 1",
            "\"namespace\"",
            "CRC checksum mismatch",
        ],
    );

    // The same flip without checksums goes through: nothing else would have caught it.
    let mut flipped_plain = plain.clone();
    let at = ns1_in_dictionary(&plain, 1, "namespace");
    flipped_plain[at] ^= 0x01;
    std::fs::write(&path, &flipped_plain).unwrap();
    let csv = run_ok(dir.path(), "app");
    assert!(csv.contains(",os1,"), "{csv}");

    // `check` reports it too.
    std::fs::write(&path, &flipped).unwrap();
    let out = bin().arg("check").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert_has(&stdout, &["bad_daily_0.parquet", "CRC checksum mismatch"]);
}

/// The offset of "ns1" in the dictionary page of `column` in row group `group` of a file without
/// checksums.
fn ns1_in_dictionary(file: &[u8], group: usize, column: &str) -> usize {
    use parquet::file::metadata::ParquetMetaDataReader;
    let meta = ParquetMetaDataReader::new()
        .parse_and_finish(&bytes::Bytes::copy_from_slice(file))
        .unwrap();
    let col = meta
        .row_group(group)
        .columns()
        .iter()
        .find(|c| c.column_path().string() == column)
        .unwrap();
    let start = col.dictionary_page_offset().unwrap() as usize;
    let h = page_header(&file[start..]);
    let data = start + h.len..start + h.len + h.compressed_size;
    data.start + file[data].windows(3).position(|w| w == b"ns1").unwrap()
}
