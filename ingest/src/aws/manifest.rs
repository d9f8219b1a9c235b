//! The CUR manifest masu downloads before the report files (`<report>-Manifest.json`).
//!
//! masu reads `reportKeys` (the report files), `assemblyId` and `billingPeriod.start`
//! (`AWSReportDownloader._get_manifest` / `get_manifest_context_for_date`): local files are named
//! `{assemblyId}-{basename}` (`get_local_file_name`, `koku/masu/util/aws/common.py`), and the
//! billing period gives the `year=`/`month=` partition of every file of the report.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// What ingest needs from the manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub path: PathBuf,
    pub assembly_id: Option<String>,
    pub report_keys: Vec<String>,
    /// `billingPeriod.start` as (year, month).
    pub billing_month: Option<(i32, u32)>,
}

/// Every `*Manifest.json` under `dir`.
fn find(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let ty = entry.file_type()?;
        if ty.is_dir() {
            find(&entry.path(), out)?;
        } else if ty.is_file()
            && entry
                .file_name()
                .to_string_lossy()
                .ends_with("Manifest.json")
        {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// The manifest: `input` itself when it is a file, else the only `*Manifest.json` under it.
pub fn locate(input: &Path) -> anyhow::Result<PathBuf> {
    if input.is_file() {
        return Ok(input.to_path_buf());
    }
    let mut found = Vec::new();
    find(input, &mut found).context("cannot list the folder")?;
    match found.len() {
        0 => bail!("no *Manifest.json (the CUR manifest) in the folder"),
        1 => Ok(found.remove(0)),
        n => bail!("{n} *Manifest.json files in the folder; give one with --input"),
    }
}

/// `20260301T000000.000Z` (masu's `manifest_date_format`) → (2026, 3).
fn billing_month(text: &str) -> Option<(i32, u32)> {
    let y = text.get(0..4)?.parse().ok()?;
    let m = text.get(4..6)?.parse().ok()?;
    (1..=12).contains(&m).then_some((y, m))
}

impl Manifest {
    pub fn read(path: &Path) -> anyhow::Result<Manifest> {
        let text = std::fs::read_to_string(path).context("cannot read")?;
        let v: serde_json::Value = serde_json::from_str(&text).context("not JSON")?;
        let keys = v
            .get("reportKeys")
            .and_then(|k| k.as_array())
            .context("no \"reportKeys\" list")?;
        let mut report_keys = Vec::new();
        for k in keys {
            let Some(k) = k.as_str() else {
                bail!("\"reportKeys\" holds a non-string: {k}");
            };
            report_keys.push(k.to_string());
        }
        let billing_month = match v.pointer("/billingPeriod/start") {
            None => None,
            Some(s) => Some(
                s.as_str()
                    .and_then(billing_month)
                    .with_context(|| format!("billingPeriod.start {s} is not YYYYMMDDT..."))?,
            ),
        };
        Ok(Manifest {
            path: path.to_path_buf(),
            assembly_id: v
                .get("assemblyId")
                .and_then(|a| a.as_str())
                .map(str::to_string),
            report_keys,
            billing_month,
        })
    }

    /// The local file of each report key, next to the manifest: `basename`, or masu's local name
    /// `{assemblyId}-{basename}`. Errors name the keys without a file.
    pub fn files(&self) -> anyhow::Result<Vec<(String, PathBuf)>> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let mut out = Vec::new();
        let mut missing = Vec::new();
        for key in &self.report_keys {
            let base = key.rsplit('/').next().unwrap_or(key).to_string();
            let plain = dir.join(&base);
            let local = self
                .assembly_id
                .as_ref()
                .map(|a| dir.join(format!("{a}-{base}")));
            match (plain.is_file(), local) {
                (true, _) => out.push((base, plain)),
                (false, Some(l)) if l.is_file() => out.push((base, l)),
                _ => missing.push(key.as_str()),
            }
        }
        if !missing.is_empty() {
            bail!(
                "the manifest lists report files the folder does not hold: {}",
                missing.join(", ")
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_month_from_manifest_format() {
        assert_eq!(billing_month("20260301T000000.000Z"), Some((2026, 3)));
        assert_eq!(billing_month("20261301T000000.000Z"), None);
        assert_eq!(billing_month("2026"), None);
    }
}
