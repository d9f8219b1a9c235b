//! One CUR CSV → masu's hourly and daily AWS Parquet files.
//!
//! masu does this in two steps, and so do we, in one pass over the file:
//! 1. `create_daily_archives` (`koku/masu/external/downloader/aws/aws_report_downloader.py`
//!    @ 0543c75): reads the CUR in chunks of
//!    `PARQUET_PROCESSING_BATCH_SIZE` rows (`--chunk-rows`), keeps the columns of
//!    [`columns::kept`], and writes one CSV per day of `identity/TimeInterval` (the text before the
//!    first `T`) and chunk: `{date}_manifestid-{id}_basefile-{base}_batch-{i}.csv`, where `base` is
//!    the report file name up to its first `.`.
//! 2. `ParquetReportProcessor.convert_csv_to_parquet`
//!    (`koku/masu/processor/parquet/parquet_report_processor.py` @ a5afc4f): each daily CSV (one
//!    pandas chunk, as it holds at most `--chunk-rows` rows) is post-processed
//!    (`AWSPostProcessor.process_dataframe`) and written as `{daily csv stem}_0.parquet` under
//!    `data/parquet/<org>/AWS/source=<uuid>/year=YYYY/month=MM/`; its roll-up as
//!    `{stem}_daily_0.parquet` under `data/parquet/daily/<org>/AWS/raw/source=...` (the report
//!    type of AWS is `None`, so `parquet_daily_path_s3` uses `raw`).
//!
//! Deliberate differences from masu, each for a clear error instead of silent data loss:
//! - a non-empty numeric cell that Python's `float` rejects is an error naming the file, line
//!   and column (masu's `safe_float` writes `0.0`); an empty one is `0.0` as in masu;
//! - duplicate header names are an error (pandas would rename the second `name.1`);
//! - masu skips days before the manifest's processing date and after today; we convert every day.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::columns::{
    self, Conv, Default as Missing, COST_CATEGORY_PREFIX, REQUIRED, TAG_PREFIX_USER,
    TRINO_REQUIRED_COLUMNS,
};
use super::daily::daily_rollup;
use super::frame::{Col, Frame};
use super::tags::JsonColumns;
use crate::convert::{parse_timestamp_ms, safe_float};

/// Where and under which names the files go.
pub struct Target<'a> {
    pub root: &'a Path,
    pub org: &'a str,
    pub source: &'a str,
    pub manifest_id: u64,
    pub chunk_rows: usize,
    /// The billing period's (year, month) from the manifest: masu's `start_date`, which gives
    /// the `year=`/`month=` partition. Without it, the day of the split is used.
    pub billing_month: Option<(i32, u32)>,
}

/// What one CUR file produced.
#[derive(Debug, Default, Clone)]
pub struct FileStats {
    pub rows: usize,
    /// Files written, relative to the output root.
    pub files: Vec<PathBuf>,
    /// masu's `enabled_tag_keys` and `enabled_categories`.
    pub tag_keys: BTreeSet<String>,
    pub category_keys: BTreeSet<String>,
}

/// One output column: where its values come from.
enum Source {
    /// A kept CSV column (header index) and its converter.
    Csv(usize, Conv),
    /// `resourceTags` / `costCategory`.
    Json(JsonColumns),
    /// A missing `TRINO_REQUIRED_COLUMNS` entry.
    Default(Missing),
}

/// The file's column plan.
pub struct Plan {
    header: Vec<String>,
    /// Header index of `identity/TimeInterval`.
    interval: usize,
    out: Vec<(String, Source)>,
    /// Per header index: the date column's values carry a zone (UTC-adjusted output).
    zoned: Vec<bool>,
}

/// Opens a `.csv` or `.csv.gz` file.
pub fn open(path: &Path) -> anyhow::Result<csv::Reader<Box<dyn Read>>> {
    let file = std::fs::File::open(path).context("cannot open")?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    Ok(csv::ReaderBuilder::new().flexible(true).from_reader(reader))
}

/// Reads the header and checks it: no duplicates, every [`REQUIRED`] column.
pub fn check_header(path: &Path) -> anyhow::Result<Vec<String>> {
    let mut rdr = open(path)?;
    let header: Vec<String> = rdr
        .headers()
        .context("cannot read the header")?
        .iter()
        .map(str::to_string)
        .collect();
    let mut seen = BTreeSet::new();
    for h in &header {
        if !seen.insert(h.as_str()) {
            bail!("the header names the column {h:?} twice");
        }
    }
    let slash = columns::slash_form(&header);
    let have: BTreeSet<&str> = header
        .iter()
        .filter(|h| columns::kept(h, slash))
        .map(|h| columns::translate(h))
        .collect();
    let missing: Vec<String> = REQUIRED
        .iter()
        .filter(|r| !have.contains(**r))
        .map(|r| {
            if slash {
                r.to_string()
            } else {
                columns::COL_TRANSLATION
                    .iter()
                    .find(|(_, to)| to == r)
                    .map_or(r.to_string(), |(alt, _)| format!("{r} ({alt})"))
            }
        })
        .collect();
    if !missing.is_empty() {
        bail!(
            "a CUR without the required column(s) {}",
            missing.join(", ")
        );
    }
    Ok(header)
}

/// Whether a date text carries a zone (`Z` or `±HH[:MM]` after the date).
fn has_zone(text: &str) -> bool {
    let rest = text.get(10..).unwrap_or("");
    rest.ends_with(['Z', 'z']) || rest.contains(['+', '-'])
}

/// Python `float(text)` or `None`; an empty (or blank) cell is `0.0`, as `safe_float` gives.
fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return Some(0.0);
    }
    let v = safe_float(t);
    if v != 0.0 || v.is_nan() {
        return Some(v);
    }
    // `safe_float` gives 0.0 for text it rejects too: accept only a real zero (Python allows
    // `_` only between two digits).
    let b = t.as_bytes();
    let underscores_ok = b.iter().enumerate().all(|(i, &c)| {
        c != b'_'
            || (i > 0 && i + 1 < b.len() && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit())
    });
    t.replace('_', "")
        .parse::<f64>()
        .ok()
        .filter(|_| underscores_ok)
}

impl Plan {
    /// Builds the column plan from the header and the first pass over the rows (the all-empty
    /// tag and category columns are dropped, as `fetch_optional_columns` does).
    fn new(header: Vec<String>, scan: &Scan) -> anyhow::Result<Plan> {
        let slash = columns::slash_form(&header);
        let mut kept: Vec<(usize, &str)> = Vec::new();
        for (i, h) in header.iter().enumerate() {
            if !columns::kept(h, slash) {
                continue;
            }
            if columns::is_json_source(h) && !scan.filled.get(i).copied().unwrap_or(false) {
                continue;
            }
            kept.push((i, columns::translate(h)));
        }
        let interval = kept
            .iter()
            .find(|(_, n)| *n == "identity/TimeInterval")
            .map(|(i, _)| *i)
            .context("no identity/TimeInterval column")?;
        let mut out: Vec<(String, Source)> = Vec::new();
        for (i, name) in &kept {
            if !columns::dropped_after_json(name) {
                out.push((name.to_string(), Source::Csv(*i, Conv::of(&header[*i]))));
            }
        }
        out.push((
            "resourceTags".into(),
            Source::Json(JsonColumns::new(&kept, TAG_PREFIX_USER)),
        ));
        out.push((
            "costCategory".into(),
            Source::Json(JsonColumns::new(&kept, COST_CATEGORY_PREFIX)),
        ));
        for (name, default) in TRINO_REQUIRED_COLUMNS {
            if !out.iter().any(|(n, _)| n == name) {
                out.push((name.to_string(), Source::Default(*default)));
            }
        }
        let mut seen = BTreeMap::new();
        for (name, _) in &mut out {
            let norm = columns::normalise(name);
            if let Some(first) = seen.insert(norm.clone(), name.clone()) {
                bail!("the columns {first:?} and {name:?} both become {norm:?} in Parquet");
            }
            *name = norm;
        }
        let zoned = (0..header.len())
            .map(|i| {
                Conv::of(&header[i]) == Conv::Date
                    && scan
                        .first
                        .as_ref()
                        .is_some_and(|r| has_zone(r.get(i).unwrap_or("")))
            })
            .collect();
        Ok(Plan {
            header,
            interval,
            out,
            zoned,
        })
    }

    /// The tag and category keys masu records.
    fn keys(&self) -> (Vec<String>, Vec<String>) {
        let mut tags = Vec::new();
        let mut cats = Vec::new();
        for (name, src) in &self.out {
            if let Source::Json(j) = src {
                let dest = if name == "resourcetags" {
                    &mut tags
                } else {
                    &mut cats
                };
                dest.extend(j.keys().map(str::to_string));
            }
        }
        (tags, cats)
    }

    /// The frame of `rows` (their CSV line numbers for errors are in the records).
    fn frame(&self, rows: &[&csv::StringRecord]) -> anyhow::Result<Frame> {
        let mut f = Frame {
            rows: rows.len(),
            ..Frame::default()
        };
        let line = |r: &csv::StringRecord| r.position().map_or(0, |p| p.line());
        for (name, src) in &self.out {
            let col = match src {
                Source::Csv(i, Conv::Str) => Col::Str(
                    rows.iter()
                        .map(|r| r.get(*i).unwrap_or("").to_string())
                        .collect(),
                ),
                Source::Csv(i, Conv::Float) => {
                    let mut v = Vec::with_capacity(rows.len());
                    for r in rows {
                        let text = r.get(*i).unwrap_or("");
                        v.push(parse_number(text).with_context(|| {
                            format!(
                                "line {}, column {}: {text:?} is not a number",
                                line(r),
                                self.header[*i]
                            )
                        })?);
                    }
                    Col::F64(v)
                }
                Source::Csv(i, Conv::Date) => {
                    let zoned = self.zoned[*i];
                    let mut v = Vec::with_capacity(rows.len());
                    for r in rows {
                        let text = r.get(*i).unwrap_or("");
                        let t = parse_timestamp_ms(text).filter(|_| has_zone(text) == zoned);
                        v.push(t.with_context(|| {
                            format!(
                                "line {}, column {}: {text:?} is not a timestamp{}",
                                line(r),
                                self.header[*i],
                                if parse_timestamp_ms(text).is_some() {
                                    " of the column's kind (with and without a zone mixed)"
                                } else {
                                    ""
                                }
                            )
                        })?);
                    }
                    Col::Ts(v, zoned)
                }
                Source::Json(j) => Col::Str(
                    rows.iter()
                        .map(|r| j.json(|i| r.get(i).unwrap_or("")))
                        .collect(),
                ),
                Source::Default(Missing::Str) => Col::Str(vec![String::new(); rows.len()]),
                Source::Default(Missing::Zero) => Col::F64(vec![0.0; rows.len()]),
                Source::Default(Missing::NaT) => {
                    bail!("{name}: a required date column is missing")
                }
            };
            f.names.push(name.clone());
            f.cols.push(col);
        }
        Ok(f)
    }
}

/// A v4 uuid text for `row_uuid` (masu: `str(uuid4())`), from the standard library's random
/// hasher keys, a counter and the clock.
fn uuid4() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let state = std::collections::hash_map::RandomState::new();
    let word = |salt: u64| {
        let mut h = state.build_hasher();
        h.write_u64(n);
        h.write_u64(nanos);
        h.write_u64(salt);
        h.finish()
    };
    let (a, b) = (word(1), word(2));
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x4000;
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// The day of a split: `identity/TimeInterval` up to its first `T`, which must be a date.
fn split_day(text: &str) -> Option<(&str, i32, u32)> {
    let day = text.split('T').next()?;
    let b = day.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = day[0..4].parse().ok()?;
    let m: u32 = day[5..7].parse().ok()?;
    let d: u32 = day[8..10].parse().ok()?;
    ocp_summary_engine::value::Day::from_ymd(y, m, d)?;
    Some((day, y, m))
}

/// What the first pass learns from the whole file before any row converts: masu reads every
/// tag and category column of the file first (`fetch_optional_columns`) to drop the all-empty
/// ones, and the first row decides whether a date column carries a zone.
#[derive(Default)]
struct Scan {
    rows: usize,
    /// Per header index: some row has a non-empty value.
    filled: Vec<bool>,
    first: Option<csv::StringRecord>,
}

/// Reads `path`'s records one at a time, checking each against the header width.
fn for_each_record(
    path: &Path,
    width: usize,
    mut f: impl FnMut(&csv::StringRecord) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut rdr = open(path)?;
    let mut record = csv::StringRecord::new();
    while rdr.read_record(&mut record).context("cannot read")? {
        if record.len() > width {
            bail!(
                "line {}: {} fields, the header has {}",
                record.position().map_or(0, |p| p.line()),
                record.len(),
                width
            );
        }
        f(&record)?;
    }
    Ok(())
}

fn scan(path: &Path, header: &[String]) -> anyhow::Result<Scan> {
    let mut scan = Scan {
        filled: vec![false; header.len()],
        ..Scan::default()
    };
    let json: Vec<usize> = (0..header.len())
        .filter(|&i| columns::is_json_source(&header[i]))
        .collect();
    for_each_record(path, header.len(), |r| {
        scan.rows += 1;
        if scan.first.is_none() {
            scan.first = Some(r.clone());
        }
        for &i in &json {
            if !r.get(i).unwrap_or("").is_empty() {
                scan.filled[i] = true;
            }
        }
        Ok(())
    })?;
    Ok(scan)
}

/// Converts one CUR file; `base` is masu's `basefile` (the report file name up to its first `.`).
/// Two passes, so that memory holds one chunk of `--chunk-rows` records, not the file: the first
/// learns what masu learns from the whole file ([`Scan`]), the second converts chunk by chunk.
pub fn convert_file(path: &Path, base: &str, target: &Target) -> anyhow::Result<FileStats> {
    let header = check_header(path)?;
    let scanned = scan(path, &header)?;
    let width = header.len();
    let plan = Plan::new(header, &scanned)?;
    let (tags, cats) = plan.keys();
    let mut stats = FileStats {
        rows: scanned.rows,
        tag_keys: tags.into_iter().collect(),
        category_keys: cats.into_iter().collect(),
        ..FileStats::default()
    };
    let mut chunk: Vec<csv::StringRecord> = Vec::with_capacity(target.chunk_rows.min(1 << 20));
    let mut batch = 0;
    for_each_record(path, width, |r| {
        chunk.push(r.clone());
        if chunk.len() == target.chunk_rows {
            convert_chunk(&plan, &chunk, batch, base, target, &mut stats)?;
            chunk.clear();
            batch += 1;
        }
        Ok(())
    })?;
    if !chunk.is_empty() {
        convert_chunk(&plan, &chunk, batch, base, target, &mut stats)?;
    }
    Ok(stats)
}

/// One chunk (masu's batch `batch`): split by day, each day's hourly and daily files written.
fn convert_chunk(
    plan: &Plan,
    chunk: &[csv::StringRecord],
    batch: usize,
    base: &str,
    target: &Target,
    stats: &mut FileStats,
) -> anyhow::Result<()> {
    let mut days: BTreeMap<&str, (i32, u32, Vec<&csv::StringRecord>)> = BTreeMap::new();
    for r in chunk {
        let text = r.get(plan.interval).unwrap_or("");
        let (day, y, m) = split_day(text).with_context(|| {
            format!(
                "line {}, column {}: {text:?} is not a time interval",
                r.position().map_or(0, |p| p.line()),
                plan.header[plan.interval]
            )
        })?;
        days.entry(day)
            .or_insert_with(|| (y, m, Vec::new()))
            .2
            .push(r);
    }
    for (day, (y, m, day_rows)) in days {
        let (y, m) = target.billing_month.unwrap_or((y, m));
        let stem = format!(
            "{day}_manifestid-{}_basefile-{base}_batch-{batch}",
            target.manifest_id
        );
        let part = format!(
            "{}/AWS/source={}/year={y:04}/month={m:02}",
            target.org, target.source
        );
        let hourly = plan.frame(&day_rows)?;
        let rel = PathBuf::from(format!("data/parquet/{part}/{stem}_0.parquet"));
        hourly.write(&target.root.join(&rel))?;
        stats.files.push(rel);
        let daily = daily_rollup(&hourly, uuid4)?;
        let rel = PathBuf::from(format!(
            "data/parquet/daily/{}/AWS/raw/source={}/year={y:04}/month={m:02}/{stem}_daily_0.parquet",
            target.org, target.source
        ));
        daily.write(&target.root.join(&rel))?;
        stats.files.push(rel);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_strict_but_empty_is_zero() {
        assert_eq!(parse_number(""), Some(0.0));
        assert_eq!(parse_number("0"), Some(0.0));
        assert_eq!(parse_number("-0.0"), Some(0.0));
        assert_eq!(parse_number("1e-3"), Some(0.001));
        assert_eq!(parse_number("1_000"), Some(1000.0));
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number("0_"), None);
        assert_eq!(parse_number("1,5"), None);
    }

    #[test]
    fn zones_and_days() {
        assert!(has_zone("2026-03-01T00:00:00Z"));
        assert!(has_zone("2026-03-01T00:00:00+02:00"));
        assert!(!has_zone("2026-03-01T00:00:00"));
        assert!(!has_zone("2026-03-01 00:00:00"));
        assert_eq!(
            split_day("2026-03-01T00:00:00Z/2026-03-01T01:00:00Z"),
            Some(("2026-03-01", 2026, 3))
        );
        assert_eq!(split_day(""), None);
        assert_eq!(split_day("2026-02-30T00:00:00Z/x"), None);
    }

    #[test]
    fn uuid4_shape() {
        let u = uuid4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(u, uuid4());
    }
}
