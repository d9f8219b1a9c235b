//! `ocp-summary ingest`: an operator payload (manifest.json + CSV reports, as a `.tar.gz` or a
//! folder) → Koku's Parquet layout, as masu writes it (koku-inputs §B.3, daily-summary §2.2–§2.3).
//!
//! Everything is validated first (manifest present, every listed file present, every report type
//! known) and written under a staging folder inside the output folder; files are moved into
//! `data/parquet/...` only when every report converted, so a failed ingest writes nothing.
//!
//! With `--database-url`, the label keys seen are then recorded as disabled tag keys
//! ([`tag_keys`]). That step comes last: if it fails (exit 4) the Parquet stays written, as in
//! masu, and re-running the ingest is safe (same file names, `ON CONFLICT DO NOTHING`).

pub mod aws;
pub mod convert;
pub mod masu_json;
pub mod pq;
pub mod report;
pub mod tag_keys;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::Args;

use ocp_summary_engine::database::Target as DbTarget;
use ocp_summary_engine::error::{Error, InputError, SinkError, SourceError};
use ocp_summary_engine::plan::db_spec;
use ocp_summary_engine::plan::options::DbOptions;
use report::{ReportKind, Target};

/// Which provider's report `ingest` converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Provider {
    /// An OpenShift operator payload (the default).
    #[default]
    Ocp,
    /// An AWS Cost and Usage Report: its `*Manifest.json` and CSV files (module `aws`).
    Aws,
}

/// `ocp-summary ingest`.
#[derive(Debug, Clone, Args)]
pub struct IngestArgs {
    /// Operator payload: a `.tar.gz` or a folder holding `manifest.json` and the CSV reports.
    /// With `--provider aws`: the CUR's `*Manifest.json`, or a folder holding it and the report
    /// files (`.csv` or `.csv.gz`) it lists.
    #[arg(long)]
    pub input: PathBuf,
    /// The report's provider: `ocp` (operator payload) or `aws` (Cost and Usage Report).
    #[arg(long, value_enum, default_value_t = Provider::Ocp)]
    pub provider: Provider,
    /// `--provider aws`: masu's manifest id, part of the file names it writes
    /// (`{day}_manifestid-{id}_basefile-...`).
    #[arg(long, default_value_t = 1)]
    pub manifest_id: u64,
    /// Root folder; Parquet files go under `DIR/data/parquet/...`.
    #[arg(long, value_name = "DIR")]
    pub output: PathBuf,
    /// Organisation (tenant) id in the Parquet paths.
    #[arg(long)]
    pub org: String,
    /// Source (provider) uuid in the Parquet paths.
    #[arg(long)]
    pub source: String,
    /// CSV rows per chunk: one hourly file and one daily roll-up per chunk and month (Koku's
    /// `PARQUET_PROCESSING_BATCH_SIZE`).
    #[arg(long, default_value_t = 200_000)]
    pub chunk_rows: usize,
    /// With `--database-url`, the label keys seen are recorded as disabled OpenShift tag keys in
    /// `SCHEMA.reporting_enabledtagkeys` (schema default: the org), as masu does.
    #[command(flatten)]
    pub db: DbOptions,
}

/// Removes the staging folder however the ingest ends.
pub(crate) struct Staging(pub(crate) PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The payload could not be read (a source failure, exit code 3).
pub(crate) fn read_failed(location: impl std::fmt::Display, source: std::io::Error) -> Error {
    Error::from(SourceError::Io {
        location: location.to_string(),
        source,
    })
}

pub(crate) fn bad(msg: impl Into<String>) -> Error {
    InputError::Data(msg.into()).into()
}

pub(crate) fn valid_segment(what: &str, s: &str) -> Result<(), Error> {
    if s.is_empty() || s.contains(['/', '\\']) || s == "." || s == ".." {
        return Err(bad(format!("--{what} {s:?} is not a valid path segment")));
    }
    Ok(())
}

/// Unpacks regular files of a `.tar.gz` into `dir`; entries that would land outside `dir`, links
/// and devices are skipped.
fn unpack(archive: &Path, dir: &Path) -> Result<(), Error> {
    let file = std::fs::File::open(archive).map_err(|e| read_failed(archive.display(), e))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    let entries = tar
        .entries()
        .map_err(|e| bad(format!("{}: not a .tar.gz payload: {e}", archive.display())))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| bad(format!("{}: not a .tar.gz payload: {e}", archive.display())))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        entry
            .unpack_in(dir)
            .map_err(|e| bad(format!("{}: cannot unpack: {e}", archive.display())))?;
    }
    Ok(())
}

/// Every `manifest.json` under `dir` (the payload may keep its files in a sub-folder).
fn find_manifests(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        if ty.is_dir() {
            find_manifests(&entry.path(), out)?;
        } else if ty.is_file() && entry.file_name() == "manifest.json" {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// One report to convert.
struct Planned {
    path: PathBuf,
    kind: ReportKind,
}

/// Reads and checks the manifest and every file it lists; nothing is written here.
fn plan(payload: &Path, shown: &Path) -> Result<(serde_json::Value, Vec<Planned>), Error> {
    let mut manifests = Vec::new();
    find_manifests(payload, &mut manifests).map_err(|e| read_failed(shown.display(), e))?;
    let manifest_path = match manifests.len() {
        0 => {
            return Err(bad(format!(
                "{}: the payload has no manifest.json",
                shown.display()
            )))
        }
        1 => manifests.remove(0),
        _ => {
            return Err(bad(format!(
                "{}: the payload has {} manifest.json files",
                shown.display(),
                manifests.len()
            )))
        }
    };
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|e| read_failed(format!("{}: manifest.json", shown.display()), e))?;
    let manifest: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        bad(format!(
            "{}: manifest.json is not JSON: {e}",
            shown.display()
        ))
    })?;
    let files = manifest
        .get("files")
        .and_then(|f| f.as_array())
        .ok_or_else(|| {
            bad(format!(
                "{}: manifest.json has no \"files\" list",
                shown.display()
            ))
        })?;
    let base = manifest_path.parent().unwrap_or(payload);
    let mut names = Vec::new();
    for f in files {
        let Some(name) = f.as_str() else {
            return Err(bad(format!(
                "{}: manifest.json \"files\" holds a non-string: {f}",
                shown.display()
            )));
        };
        // Koku keys files by their base name.
        let file_name = Path::new(name)
            .file_name()
            .ok_or_else(|| bad(format!("{}: manifest names {name:?}", shown.display())))?;
        names.push((name.to_string(), base.join(file_name)));
    }
    let missing: Vec<&str> = names
        .iter()
        .filter(|(_, p)| !p.is_file())
        .map(|(n, _)| n.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(bad(format!(
            "{}: manifest.json lists files the payload does not hold: {}",
            shown.display(),
            missing.join(", ")
        )));
    }
    let mut planned = Vec::new();
    for (name, path) in names {
        let header = report::read_header(&path)
            .map_err(|e| bad(format!("{}: {name}: {e:#}", shown.display())))?;
        match ReportKind::detect(&header, &name) {
            Some(kind) => {
                let missing = kind.missing_columns(&header);
                if !missing.is_empty() {
                    return Err(bad(format!(
                        "{}: {name}: a {} report without the column(s) {}",
                        shown.display(),
                        kind.dir(),
                        missing.join(", ")
                    )));
                }
                if !header.iter().any(|h| h == "interval_start") {
                    return Err(bad(format!(
                        "{}: {name}: no interval_start column",
                        shown.display()
                    )));
                }
                planned.push(Planned { path, kind });
            }
            None => {
                tracing::warn!(file = %name, "not a pod, storage, node-label, namespace-label, VM or GPU report; skipped")
            }
        }
    }
    Ok((manifest, planned))
}

/// Moves every file under `from` to the same relative path under `to`.
pub(crate) fn move_tree(from: &Path, to: &Path, rel: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from.join(rel))? {
        let entry = entry?;
        let rel = rel.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            move_tree(from, to, &rel)?;
        } else {
            let dest = to.join(&rel);
            if let Some(dir) = dest.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::rename(entry.path(), dest)?;
        }
    }
    Ok(())
}

/// What an ingest wrote.
#[derive(Debug, Default)]
pub struct IngestSummary {
    pub cluster_id: Option<String>,
    pub reports: Vec<(String, ReportKind, report::FileStats)>,
    /// Distinct label keys over all reports.
    pub label_keys: usize,
    /// Keys newly recorded in `reporting_enabledtagkeys`, and where; `None` without a database.
    pub tag_keys_recorded: Option<(u64, String)>,
}

impl std::fmt::Display for IngestSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "ingest: cluster {}",
            self.cluster_id.as_deref().unwrap_or("(none in manifest)")
        )?;
        for (name, kind, s) in &self.reports {
            writeln!(
                f,
                "  {name}: {} rows read, {} dropped (> 1e18), {} chunks, {} files ({})",
                s.rows_read,
                s.rows_dropped,
                s.chunks,
                s.files.len(),
                kind.dir()
            )?;
        }
        match &self.tag_keys_recorded {
            Some((n, table)) => writeln!(
                f,
                "  label keys: {} seen, {n} newly recorded as disabled in {table}",
                self.label_keys
            ),
            None => writeln!(
                f,
                "  label keys: {} seen (no --database-url: not recorded)",
                self.label_keys
            ),
        }
    }
}

/// The database to record tag keys in, when `--database-url` (or `DATABASE_URL`) is given;
/// its options are checked before anything is written.
pub(crate) fn db_target(args: &IngestArgs) -> Result<Option<DbTarget>, Error> {
    let spec = db_spec(&args.db, &DbOptions::default(), Some(&args.org))
        .map_err(|e| Error::options(format!("{e:#}")))?;
    spec.as_ref().map(DbTarget::new).transpose()
}

/// Records the keys once the Parquet is in place; a failure leaves the Parquet written.
fn record_keys(
    db: &DbTarget,
    keys: &BTreeSet<String>,
    output: &Path,
) -> Result<(u64, String), Error> {
    let n = tag_keys::record_disabled(db, keys).inspect_err(|_| {
        tracing::warn!(
            "the Parquet files are written under {}, but the label keys were not recorded in {} \
             (re-running the ingest is safe)",
            output.display(),
            db.describe()
        )
    })?;
    let table = format!("{} {}", db.describe(), db.table("reporting_enabledtagkeys"));
    Ok((n, table))
}

/// Runs `ingest`.
pub fn ingest(args: &IngestArgs) -> Result<IngestSummary, Error> {
    if args.provider != Provider::Ocp {
        return Err(bad(
            "this is the OpenShift ingest; use aws::ingest for --provider aws",
        ));
    }
    valid_segment("org", &args.org)?;
    valid_segment("source", &args.source)?;
    if args.chunk_rows == 0 {
        return Err(bad("--chunk-rows must be at least 1"));
    }
    let db = db_target(args)?;
    let input = &args.input;
    let meta =
        std::fs::metadata(input).map_err(|e| bad(format!("--input {}: {e}", input.display())))?;
    std::fs::create_dir_all(&args.output)
        .map_err(|e| Error::from(SinkError::io(args.output.display(), e)))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let staging = Staging(args.output.join(format!(
        ".ocp-summary-ingest-{}-{nanos}",
        std::process::id()
    )));
    let out = staging.0.join("out");
    std::fs::create_dir_all(&out).map_err(|e| Error::from(SinkError::io(out.display(), e)))?;
    let payload = if meta.is_dir() {
        input.clone()
    } else {
        let dir = staging.0.join("payload");
        std::fs::create_dir_all(&dir).map_err(|e| Error::from(SinkError::io(dir.display(), e)))?;
        unpack(input, &dir)?;
        dir
    };
    let (manifest, planned) = plan(&payload, input)?;
    let target = Target {
        root: &out,
        org: &args.org,
        source: &args.source,
        chunk_rows: args.chunk_rows,
    };
    let mut summary = IngestSummary {
        cluster_id: manifest
            .get("cluster_id")
            .and_then(|c| c.as_str())
            .map(str::to_string),
        ..IngestSummary::default()
    };
    for p in &planned {
        let name = p
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stats = report::convert_file(&p.path, p.kind, &target)
            .map_err(|e| bad(format!("{}: {name}: {e:#}", input.display())))?;
        summary.reports.push((name, p.kind, stats));
    }
    let keys: BTreeSet<String> = summary
        .reports
        .iter()
        .flat_map(|(_, _, s)| s.label_keys.iter().cloned())
        .collect();
    summary.label_keys = keys.len();
    if db.is_some() {
        tag_keys::check_lengths(&keys)?;
    }
    if out.join("data").is_dir() {
        move_tree(&out, &args.output, Path::new("data"))
            .map_err(|e| Error::from(SinkError::io(args.output.display(), e)))?;
    }
    if let Some(db) = &db {
        summary.tag_keys_recorded = Some(record_keys(db, &keys, &args.output)?);
    }
    Ok(summary)
}
