//! `ocp-summary ingest --provider aws`: an AWS Cost and Usage Report (its `*Manifest.json` and
//! the `.csv` / `.csv.gz` files it lists, as masu downloads them) → Koku's AWS Parquet layout, as
//! masu writes it:
//!
//! - `data/parquet/<org>/AWS/source=<uuid>/year=YYYY/month=MM/*.parquet` (Trino's
//!   `aws_line_items`), one file per day of `identity/TimeInterval` and chunk;
//! - `data/parquet/daily/<org>/AWS/raw/source=<uuid>/year=YYYY/month=MM/*_daily_0.parquet`
//!   (`aws_line_items_daily`), masu's per-file daily roll-up.
//!
//! Koku files followed (`project-koku/koku`, commit of the stored version read):
//! - `koku/masu/util/aws/aws_post_processor.py` @ b484555fb67cbe9b6517403d516defce89458841
//!   ([`columns`], [`tags`], [`daily`]);
//! - `koku/masu/util/aws/common.py` @ 00b77a1063527f91bffc242c0f609c6bf237d81d (kept columns);
//! - `koku/reporting/provider/aws/models.py` @ 00134d57fb85b0e4c21cb80e580294a6b4fededc
//!   (`TRINO_REQUIRED_COLUMNS`, table names `aws_line_items`, `aws_line_items_daily`);
//! - `koku/masu/util/common.py` @ aa536700355db493a877a69e0549e627862776df
//!   (`strip_characters_from_column_name`, `safe_float`, `get_path_prefix`);
//! - `koku/masu/processor/parquet/parquet_report_processor.py`
//!   @ a5afc4ff453b6c441f96163ff8cfc605b5dbfa68 (paths, file names, `to_parquet` options);
//! - `koku/masu/external/downloader/aws/aws_report_downloader.py` @ 0543c75b6c9245c20f7aa655600563747c4d6550
//!   (`create_daily_archives`:
//!   the daily split and its file names).
//!
//! As the OpenShift ingest, everything is checked first (manifest, every listed file, every
//! header's required columns), converted under a staging folder inside the output folder and
//! moved into place only when every file converted: a failed ingest writes nothing. Errors name
//! the file, the CSV line and the column, and exit with code 2.
//!
//! With `--database-url` the tag keys and cost-category keys are recorded as masu records them
//! ([`keys`]).

pub mod columns;
pub mod convert;
pub mod daily;
pub mod frame;
pub mod keys;
pub mod manifest;
pub mod tags;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ocp_summary_engine::error::{Error, SinkError};

use crate::{bad, move_tree, valid_segment, IngestArgs, Staging};

/// What an AWS ingest wrote.
#[derive(Debug, Default)]
pub struct AwsIngestSummary {
    pub manifest: PathBuf,
    /// (report file name, rows, files written).
    pub reports: Vec<(String, usize, Vec<PathBuf>)>,
    pub tag_keys: BTreeSet<String>,
    pub category_keys: BTreeSet<String>,
    /// With `--database-url`: the keys recorded, and where.
    pub recorded: Option<(keys::Recorded, String)>,
}

/// masu's `Config.ENABLED_TAG_LIMIT`: the `TAG_ENABLED_LIMIT` environment variable, default 200.
fn tag_limit() -> Result<i64, Error> {
    match std::env::var("TAG_ENABLED_LIMIT") {
        Err(_) => Ok(keys::DEFAULT_TAG_LIMIT),
        Ok(v) => v
            .trim()
            .parse()
            .map_err(|_| Error::options(format!("TAG_ENABLED_LIMIT={v:?} is not an integer"))),
    }
}

impl std::fmt::Display for AwsIngestSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "ingest (aws): manifest {}", self.manifest.display())?;
        for (name, rows, files) in &self.reports {
            writeln!(f, "  {name}: {rows} rows, {} files", files.len())?;
        }
        writeln!(
            f,
            "  tag keys: {} ({}); cost categories: {}",
            self.tag_keys.len(),
            self.tag_keys.iter().cloned().collect::<Vec<_>>().join(", "),
            self.category_keys.len()
        )?;
        match &self.recorded {
            Some((r, db)) => writeln!(
                f,
                "  recorded in {db}: {} tag keys enabled, {} disabled (reporting_enabledtagkeys, AWS); \
                 {} cost-category keys (reporting_awsenabledcategorykeys)",
                r.tags_enabled, r.tags_disabled, r.categories
            ),
            None => writeln!(f, "  keys not recorded (no --database-url)"),
        }
    }
}

/// masu's `basefile`: the report file name up to its first `.` (`s3_filename.split(".")[0]`).
fn base_name(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

/// Runs `ingest --provider aws`.
pub fn ingest(args: &IngestArgs) -> Result<AwsIngestSummary, Error> {
    valid_segment("org", &args.org)?;
    valid_segment("source", &args.source)?;
    if args.chunk_rows == 0 {
        return Err(bad("--chunk-rows must be at least 1"));
    }
    // The database options are checked before anything is written.
    let db = crate::db_target(args)?;
    let input = &args.input;
    std::fs::metadata(input).map_err(|e| bad(format!("--input {}: {e}", input.display())))?;
    let manifest_path =
        manifest::locate(input).map_err(|e| bad(format!("--input {}: {e:#}", input.display())))?;
    let shown = manifest_path.display().to_string();
    let m = manifest::Manifest::read(&manifest_path).map_err(|e| bad(format!("{shown}: {e:#}")))?;
    let files = m.files().map_err(|e| bad(format!("{shown}: {e:#}")))?;
    for (name, path) in &files {
        let lower = name.to_lowercase();
        if !(lower.ends_with(".csv") || lower.ends_with(".csv.gz")) {
            return Err(bad(format!(
                "{}: not a .csv or .csv.gz file",
                path.display()
            )));
        }
        convert::check_header(path).map_err(|e| bad(format!("{}: {e:#}", path.display())))?;
    }
    std::fs::create_dir_all(&args.output)
        .map_err(|e| Error::from(SinkError::io(args.output.display(), e)))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let staging = Staging(args.output.join(format!(
        ".ocp-summary-ingest-aws-{}-{nanos}",
        std::process::id()
    )));
    let out = staging.0.join("out");
    std::fs::create_dir_all(&out).map_err(|e| Error::from(SinkError::io(out.display(), e)))?;
    let target = convert::Target {
        root: &out,
        org: &args.org,
        source: &args.source,
        manifest_id: args.manifest_id,
        chunk_rows: args.chunk_rows,
        billing_month: m.billing_month,
    };
    let mut summary = AwsIngestSummary {
        manifest: manifest_path.clone(),
        ..AwsIngestSummary::default()
    };
    for (name, path) in &files {
        let stats = convert::convert_file(path, base_name(name), &target)
            .map_err(|e| bad(format!("{}: {e:#}", path.display())))?;
        summary.tag_keys.extend(stats.tag_keys);
        summary.category_keys.extend(stats.category_keys);
        summary
            .reports
            .push((name.clone(), stats.rows, stats.files));
    }
    if out.join("data").is_dir() {
        move_tree(&out, &args.output, Path::new("data"))
            .map_err(|e| Error::from(SinkError::io(args.output.display(), e)))?;
    }
    if let Some(db) = &db {
        let recorded = keys::record(db, &summary.tag_keys, &summary.category_keys, tag_limit()?)
            .inspect_err(|_| {
                tracing::warn!(
                    "the Parquet files are written under {}, but the AWS tag keys were not \
                     recorded in {} (re-running the ingest is safe)",
                    args.output.display(),
                    db.describe()
                )
            })?;
        summary.recorded = Some((recorded, db.describe()));
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base_name_like_masu() {
        assert_eq!(super::base_name("cur-00001.csv.gz"), "cur-00001");
        assert_eq!(super::base_name("cur.v2-1.csv"), "cur");
    }
}
