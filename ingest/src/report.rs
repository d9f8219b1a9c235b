//! One operator CSV → Koku's hourly and daily Parquet, chunk by chunk (koku-inputs §B.3,
//! daily-summary §2.2–§2.3).
//!
//! This file is the conversion loop: read a chunk of CSV rows, convert each field by its column's
//! kind, split the chunk by month and write the hourly file and its daily roll-up. What each
//! report type's columns are (`columns`), the in-memory frame (`table`) and the pandas-style daily
//! group-by (`daily`) are modules of their own: the first is data to read against Koku's tables,
//! the other two are reused for every report type, and none of them needs the CSV reader.

mod columns;
mod daily;
mod gpu;
mod table;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::convert::{label_pairs, parse_timestamp_ms, safe_float};
use super::masu_json::py_json_labels;
use columns::{Conv, THRESHOLD, THRESHOLD_COLUMNS};
use daily::daily_rollup;
use ocp_summary_engine::value::Day;
use table::{static_name, Col, Table};

/// The report types `ingest` converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Pod,
    Storage,
    NodeLabels,
    NamespaceLabels,
    Vm,
    Gpu,
}

impl ReportKind {
    pub fn dir(self) -> &'static str {
        match self {
            ReportKind::Pod => "pod_usage",
            ReportKind::Storage => "storage_usage",
            ReportKind::NodeLabels => "node_labels",
            ReportKind::NamespaceLabels => "namespace_labels",
            ReportKind::Vm => "vm_usage",
            ReportKind::Gpu => "gpu_usage",
        }
    }

    /// Koku's type detection: by a column only that report has, else by the file name. VM and
    /// GPU reports are recognised as masu's `detect_type` does, by holding every column of
    /// `OCP_REPORT_TYPES[...]["columns"]`, or by `vm_usage` / `gpu_usage` in the file name (such a
    /// file must then hold those columns: [`ReportKind::missing_columns`]).
    pub fn detect(header: &[String], file_name: &str) -> Option<ReportKind> {
        let has = |c: &str| header.iter().any(|h| h == c);
        if has("pod_usage_cpu_core_seconds") {
            Some(ReportKind::Pod)
        } else if has("persistentvolumeclaim_capacity_bytes") {
            Some(ReportKind::Storage)
        } else if has("node_labels") {
            Some(ReportKind::NodeLabels)
        } else if has("namespace_labels") {
            Some(ReportKind::NamespaceLabels)
        } else if columns::VM_USAGE_COLUMNS.iter().all(|c| has(c)) {
            Some(ReportKind::Vm)
        } else if columns::GPU_USAGE_COLUMNS.iter().all(|c| has(c)) {
            Some(ReportKind::Gpu)
        } else if file_name.contains("ocp_pod_usage") {
            Some(ReportKind::Pod)
        } else if file_name.contains("ocp_storage_usage") {
            Some(ReportKind::Storage)
        } else if file_name.contains("ocp_node_label") {
            Some(ReportKind::NodeLabels)
        } else if file_name.contains("ocp_namespace_label") {
            Some(ReportKind::NamespaceLabels)
        } else if file_name.contains("vm_usage") {
            Some(ReportKind::Vm)
        } else if file_name.contains("gpu_usage") {
            Some(ReportKind::Gpu)
        } else {
            None
        }
    }

    /// The columns this report type needs that `header` lacks (only VM and GPU reports are
    /// checked).
    pub fn missing_columns(self, header: &[String]) -> Vec<&'static str> {
        self.required_columns()
            .iter()
            .filter(|c| !header.iter().any(|h| h == *c))
            .copied()
            .collect()
    }
}

/// What one CSV produced.
#[derive(Debug, Default, Clone)]
pub struct FileStats {
    pub rows_read: usize,
    pub rows_dropped: usize,
    pub chunks: usize,
    /// Files written, relative to the output root.
    pub files: Vec<PathBuf>,
    /// The label keys of the rows kept, from every label column (masu's `enabled_tag_keys`).
    pub label_keys: BTreeSet<String>,
}

/// Where and under which names the Parquet files go.
pub struct Target<'a> {
    /// Root under which `data/parquet/...` is created.
    pub root: &'a Path,
    pub org: &'a str,
    pub source: &'a str,
    pub chunk_rows: usize,
}

/// Reads the header of `path` (for validation before anything is written).
pub fn read_header(path: &Path) -> anyhow::Result<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .context("cannot open")?;
    let h = rdr.headers().context("cannot read the header")?;
    Ok(h.iter().map(str::to_string).collect())
}

/// Converts one CSV report, streaming it `chunk_rows` rows at a time.
pub fn convert_file(path: &Path, kind: ReportKind, target: &Target) -> anyhow::Result<FileStats> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = file_name
        .strip_suffix(".csv")
        .unwrap_or(&file_name)
        .to_string();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .context("cannot open")?;
    let header: Vec<String> = rdr
        .headers()
        .context("cannot read the header")?
        .iter()
        .map(str::to_string)
        .collect();
    let Some(interval_idx) = header.iter().position(|h| h == "interval_start") else {
        bail!("no interval_start column");
    };
    let convs: Vec<Conv> = header.iter().map(|h| Conv::of(h)).collect();
    let thresholds: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| THRESHOLD_COLUMNS.contains(&h.as_str()))
        .map(|(i, _)| i)
        .collect();
    let names: Vec<&'static str> = header.iter().map(|h| static_name(h)).collect();
    let mut label_cache: Vec<HashMap<String, String>> = vec![HashMap::new(); header.len()];

    let mut stats = FileStats::default();
    let mut cols: Vec<Col> = convs.iter().map(|c| Col::new(c.kind())).collect();
    let mut rows = 0usize;
    let mut in_chunk = 0usize;
    let mut chunk = 0usize;
    let mut record = csv::StringRecord::new();
    loop {
        let more = rdr.read_record(&mut record).context("cannot read")?;
        if more {
            stats.rows_read += 1;
            in_chunk += 1;
            if record.len() > header.len() {
                bail!(
                    "line {}: {} fields, the header has {}",
                    record.position().map_or(0, |p| p.line()),
                    record.len(),
                    header.len()
                );
            }
            let field = |i: usize| record.get(i).unwrap_or("");
            if thresholds.iter().any(|&i| safe_float(field(i)) > THRESHOLD) {
                stats.rows_dropped += 1;
            } else {
                if parse_timestamp_ms(field(interval_idx)).is_none() {
                    bail!(
                        "line {}: interval_start {:?} is not a timestamp",
                        record.position().map_or(0, |p| p.line()),
                        field(interval_idx)
                    );
                }
                for (i, col) in cols.iter_mut().enumerate() {
                    let text = field(i);
                    match col {
                        Col::Ts(v) => v.push(parse_timestamp_ms(text)),
                        Col::F64(v) => v.push(safe_float(text)),
                        Col::I64(v) => v.push(safe_int_or_none(text)),
                        Col::Str(v) => {
                            if matches!(convs[i], Conv::Label | Conv::LabelUnrecorded) {
                                let record = convs[i] == Conv::Label;
                                let cache = &mut label_cache[i];
                                if cache.len() > 100_000 {
                                    cache.clear();
                                }
                                let json = cache
                                    .entry(text.to_string())
                                    .or_insert_with(|| {
                                        let mut scratch = BTreeSet::new();
                                        let keys = if record {
                                            &mut stats.label_keys
                                        } else {
                                            &mut scratch
                                        };
                                        label_json(text, keys)
                                    })
                                    .clone();
                                v.push(Some(json));
                            } else {
                                v.push(Some(text.to_string()));
                            }
                        }
                    }
                }
                rows += 1;
            }
            if in_chunk < target.chunk_rows {
                continue;
            }
        }
        if rows > 0 {
            let table = Table {
                names: names.clone(),
                cols: std::mem::replace(
                    &mut cols,
                    convs.iter().map(|c| Col::new(c.kind())).collect(),
                ),
                rows,
                offset: 0,
            };
            write_chunk(table, kind, &base, chunk, target, &mut stats)?;
            stats.chunks += 1;
            rows = 0;
        }
        // Koku numbers chunks as read (pandas `chunksize`), including ones whose rows were all
        // dropped.
        chunk += 1;
        in_chunk = 0;
        if !more {
            break;
        }
    }
    Ok(stats)
}

/// A label cell's JSON text; its keys go to `keys`. Called once per distinct text of a kept row
/// (the cache above), which is enough for a set.
fn label_json(text: &str, keys: &mut BTreeSet<String>) -> String {
    let pairs = label_pairs(text);
    keys.extend(pairs.iter().map(|(k, _)| k.clone()));
    py_json_labels(&pairs)
}

/// Post-processes one chunk and writes its hourly and daily files, per month of `interval_start`.
fn write_chunk(
    mut table: Table,
    kind: ReportKind,
    base: &str,
    chunk: usize,
    target: &Target,
    stats: &mut FileStats,
) -> anyhow::Result<()> {
    if kind == ReportKind::Pod {
        add_effective_usage(&mut table);
    }
    if kind == ReportKind::Gpu {
        gpu::replace_vendor(&mut table);
        gpu::populate_mig_fields(&mut table);
    }
    let Some(Col::Ts(starts)) = table.col("interval_start") else {
        bail!("interval_start is not a timestamp column");
    };
    let mut months: BTreeMap<(i64, u32), Vec<usize>> = BTreeMap::new();
    for (r, t) in starts.iter().enumerate() {
        let t = t.expect("interval_start checked on read");
        let (y, m, _) = Day::of_millis(t).ymd();
        months.entry((i64::from(y), m)).or_default().push(r);
    }
    let single = months.len() == 1;
    for ((y, m), rows) in months {
        let mut hourly = if single {
            std::mem::replace(
                &mut table,
                Table {
                    names: Vec::new(),
                    cols: Vec::new(),
                    rows: 0,
                    offset: 0,
                },
            )
        } else {
            Table {
                names: table.names.clone(),
                cols: table.cols.iter().map(|c| c.gather(&rows)).collect(),
                rows: rows.len(),
                offset: 0,
            }
        };
        let part = format!(
            "{}/OCP/{}/source={}/year={y:04}/month={m:02}",
            target.org,
            kind.dir(),
            target.source
        );
        let rel = PathBuf::from(format!("data/parquet/{part}/{base}_{chunk}.parquet"));
        hourly.write(&target.root.join(&rel))?;
        stats.files.push(rel);
        let mut daily = daily_rollup(&hourly, kind);
        let rel = PathBuf::from(format!(
            "data/parquet/daily/{part}/{base}_daily_{chunk}.parquet"
        ));
        daily.write(&target.root.join(&rel))?;
        stats.files.push(rel);
    }
    Ok(())
}

/// masu's `safe_int_or_none`: Python's `int(text)` (surrounding whitespace, a sign, `_` between
/// digits), else `None` (so `""`, `"7.0"` and `"abc"` give NULL).
pub(crate) fn safe_int_or_none(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    let b = digits.as_bytes();
    if b.is_empty() || !b[0].is_ascii_digit() || !b[b.len() - 1].is_ascii_digit() {
        return None;
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = c.is_ascii_digit()
            || (c == b'_' && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit());
        if !ok {
            return None;
        }
    }
    t.replace('_', "").parse::<i64>().ok()
}

/// `pod_effective_usage_* = max(usage, request)` per row (pandas row max, skipping NaN).
fn add_effective_usage(table: &mut Table) {
    let pairs = [
        (
            "pod_effective_usage_cpu_core_seconds",
            "pod_usage_cpu_core_seconds",
            "pod_request_cpu_core_seconds",
        ),
        (
            "pod_effective_usage_memory_byte_seconds",
            "pod_usage_memory_byte_seconds",
            "pod_request_memory_byte_seconds",
        ),
    ];
    for (out, usage, request) in pairs {
        let get = |name: &str| match table.col(name) {
            Some(Col::F64(v)) => Some(v.clone()),
            _ => None,
        };
        let values: Vec<f64> = match (get(usage), get(request)) {
            (Some(u), Some(r)) => u.iter().zip(&r).map(|(a, b)| a.max(*b)).collect(),
            (Some(v), None) | (None, Some(v)) => v,
            (None, None) => vec![f64::NAN; table.rows],
        };
        match table.names.iter().position(|n| *n == out) {
            Some(i) => table.cols[i] = Col::F64(values),
            None => {
                table.names.push(static_name(out));
                table.cols.push(Col::F64(values));
            }
        }
    }
}
