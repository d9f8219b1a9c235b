//! `ingest --database-url`: the label keys of the payload become *disabled* OpenShift tag keys in
//! Koku's `reporting_enabledtagkeys`, as masu records them after converting a report, so Koku's
//! settings page lists them for the user to enable.
//!
//! Followed, in `project-koku/koku`:
//! - `koku/masu/util/ocp/ocp_post_processor.py`, `OCPPostProcessor.process_dataframe`: after
//!   `_remove_anomalies`, the keys of the label maps in the columns `pod_labels`,
//!   `persistentvolume_labels`, `persistentvolumeclaim_labels`, `namespace_labels` and
//!   `node_labels` (not `vm_labels`) go into one set. The maps come from
//!   `process_openshift_labels`: every `label_` is removed from a key, case is kept
//!   ([`crate::convert::label_pairs`]; collected in [`crate::report`]).
//! - `OCPPostProcessor.finalize_post_processing` calls `koku/masu/util/common.py`,
//!   `populate_enabled_tag_rows_with_false(schema, keys, Provider.PROVIDER_OCP)`: no keys, no
//!   database work; keys already present for provider type `OCP`, enabled or not, are left as
//!   they are (an enabled key is never disabled, a row of another provider type is another key);
//!   the others are inserted with `enabled = false` by `bulk_create(..., ignore_conflicts=True)`,
//!   that is `ON CONFLICT DO NOTHING`. No key limit or filter (the limit is
//!   `populate_enabled_tag_rows_with_limit`, which OpenShift does not use).
//! - `koku/masu/processor/parquet/parquet_report_processor.py`,
//!   `ParquetReportProcessor.convert_csv_to_parquet`: masu records the keys once per CSV, after
//!   all its chunks are written. `ingest` writes all or nothing, so it records the union once,
//!   after every Parquet file is in place; the rows end up the same.
//!
//! One statement (so one transaction) inserts every key, retried from the start on
//! connection-class failures like the summary load: `ON CONFLICT DO NOTHING` makes a retry, a
//! re-run or a concurrent masu harmless. Its row count is the number of keys newly recorded.

use std::collections::BTreeSet;
use std::time::Duration;

use ocp_summary_engine::database::{error_text, transient, Target};
use ocp_summary_engine::error::{Error, InputError};

/// Koku's `Provider.PROVIDER_OCP`.
pub const PROVIDER_TYPE: &str = "OCP";

/// Koku's column is `varchar(512)`; a longer key would fail the whole insert.
const MAX_KEY_CHARS: usize = 512;

/// Records `keys` as disabled OCP tag keys; returns how many were new. No keys: no connection.
pub fn record_disabled(target: &Target, keys: &BTreeSet<String>) -> Result<u64, Error> {
    if keys.is_empty() {
        return Ok(0);
    }
    check_lengths(keys)?;
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let sql = insert_sql(target);
    let mut delay = Duration::from_millis(500);
    let mut attempt = 0;
    loop {
        let mut client = target.connect()?;
        match client.execute(sql.as_str(), &[&keys]) {
            Ok(inserted) => return Ok(inserted),
            Err(e) if transient(&e) && attempt < target.retries => {
                attempt += 1;
                tracing::warn!(
                    "recording tag keys in {} failed, retrying ({attempt} of {}) in {:.1} s: {}",
                    target.describe(),
                    target.retries,
                    delay.as_secs_f64(),
                    error_text(&e)
                );
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(30));
            }
            Err(e) => {
                return Err(target.error("recording tag keys in reporting_enabledtagkeys", &e))
            }
        }
    }
}

/// `uuid` is given rather than left to a column default: Koku's model sets it in Python
/// (`default=uuid4`), so its table may have no default.
fn insert_sql(target: &Target) -> String {
    format!(
        "INSERT INTO {} (uuid, key, enabled, provider_type) \
         SELECT gen_random_uuid(), k, false, '{PROVIDER_TYPE}' FROM unnest($1::text[]) AS k \
         ON CONFLICT (key, provider_type) DO NOTHING",
        target.table("reporting_enabledtagkeys")
    )
}

/// A key the column cannot hold is bad input (exit 2), named rather than left to PostgreSQL's
/// bare "value too long". `ingest` checks before moving any Parquet into place.
pub fn check_lengths(keys: &BTreeSet<String>) -> Result<(), Error> {
    match keys.iter().find(|k| k.chars().count() > MAX_KEY_CHARS) {
        Some(k) => Err(InputError::Data(format!(
            "label key {:?}... has {} characters; reporting_enabledtagkeys.key holds {MAX_KEY_CHARS}",
            k.chars().take(40).collect::<String>(),
            k.chars().count()
        ))
        .into()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocp_summary_engine::database::DbSpec;

    fn target() -> Target {
        Target::new(&DbSpec {
            url: "postgres://u:secret@127.0.0.1:1/db?sslmode=disable".into(),
            schema: "Org \"1\"".into(),
            connect_attempts: 1,
            retries: 0,
        })
        .unwrap()
    }

    #[test]
    fn no_keys_needs_no_database() {
        // Port 1 refuses connections: reaching the database would fail.
        assert_eq!(record_disabled(&target(), &BTreeSet::new()).unwrap(), 0);
    }

    #[test]
    fn insert_names_the_quoted_table_and_never_updates() {
        let sql = insert_sql(&target());
        assert!(sql.starts_with("INSERT INTO \"Org \"\"1\"\"\".\"reporting_enabledtagkeys\""));
        assert!(sql.contains("false, 'OCP'"), "{sql}");
        assert!(sql.ends_with("ON CONFLICT (key, provider_type) DO NOTHING"));
    }

    #[test]
    fn too_long_keys_are_refused_by_name() {
        let ok: BTreeSet<String> = ["é".repeat(512)].into();
        assert!(check_lengths(&ok).is_ok());
        let long: BTreeSet<String> = ["k".repeat(513)].into();
        let err = check_lengths(&long).unwrap_err();
        assert!(err.to_string().contains("513 characters"), "{err}");
        assert_eq!(err.code(), 2);
    }
}
