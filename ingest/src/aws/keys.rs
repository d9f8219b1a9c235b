//! `ingest --provider aws --database-url`: the CUR's tag keys and cost-category keys recorded as
//! masu's `AWSPostProcessor.finalize_post_processing` records them
//! (`koku/masu/util/aws/aws_post_processor.py` @ b484555fb67cbe9b6517403d516defce89458841):
//!
//! - tag keys (`resourceTags/user:*`) → `reporting_enabledtagkeys`, provider type `AWS`, by
//!   `populate_enabled_tag_rows_with_limit` (`koku/masu/util/common.py`, stored version id
//!   1283263076): keys already present for `AWS` (enabled or not) are left alone; with
//!   `TAG_ENABLED_LIMIT` > 0 (masu's `Config.ENABLED_TAG_LIMIT`, default 200) the new keys are
//!   enabled while the count of enabled rows of *every* provider type stays under the limit, and
//!   the rest are inserted disabled; with a limit ≤ 0 every new key is enabled. masu walks a
//!   Python `set` (no order); here the new keys go in sorted order, so which ones get the
//!   remaining enabled places is reproducible;
//! - cost-category keys (`costCategory/*`) → `reporting_awsenabledcategorykeys` by
//!   `create_enabled_categories`: new keys inserted with the model's default `enabled = true`.
//!
//! Both in one transaction, `ON CONFLICT DO NOTHING` as masu's `bulk_create(ignore_conflicts=True)`,
//! after the Parquet is in place (a failure leaves the files written; a re-run is harmless).

use std::collections::BTreeSet;

use ocp_summary_engine::database::Target;
use ocp_summary_engine::error::Error;

/// Koku's `Provider.PROVIDER_AWS`.
pub const PROVIDER_TYPE: &str = "AWS";

/// masu's `DEFAULT_ENABLED_TAG_LIMIT`.
pub const DEFAULT_TAG_LIMIT: i64 = 200;

/// What [`record`] inserted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub tags_enabled: u64,
    pub tags_disabled: u64,
    pub categories: u64,
}

/// Which of the sorted `new` keys are enabled: the first `limit - enabled_now` of them with a
/// positive limit, all of them otherwise.
pub fn enabled_flags(new: &[&str], limit: i64, enabled_now: i64) -> Vec<bool> {
    let room = if limit > 0 {
        usize::try_from((limit - enabled_now).max(0)).unwrap_or(usize::MAX)
    } else {
        usize::MAX
    };
    (0..new.len()).map(|i| i < room).collect()
}

/// Records `tags` and `categories` in the target's schema; no keys, no connection.
pub fn record(
    target: &Target,
    tags: &BTreeSet<String>,
    categories: &BTreeSet<String>,
    limit: i64,
) -> Result<Recorded, Error> {
    if tags.is_empty() && categories.is_empty() {
        return Ok(Recorded::default());
    }
    crate::tag_keys::check_lengths(tags)?;
    let keys_table = target.table("reporting_enabledtagkeys");
    let categories_table = target.table("reporting_awsenabledcategorykeys");
    let pg = |what: &'static str| move |e: postgres::Error| target.error(what, &e);
    let mut client = target.connect()?;
    let mut tx = client.transaction().map_err(pg("begin"))?;
    let existing: BTreeSet<String> = tx
        .query(
            &format!("SELECT key FROM {keys_table} WHERE provider_type = $1"),
            &[&PROVIDER_TYPE],
        )
        .map_err(pg("reading the AWS tag keys"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let new: Vec<&str> = tags
        .iter()
        .filter(|k| !existing.contains(*k))
        .map(String::as_str)
        .collect();
    let enabled_now: i64 = tx
        .query_one(
            &format!("SELECT count(*) FROM {keys_table} WHERE enabled"),
            &[],
        )
        .map_err(pg("counting the enabled tag keys"))?
        .get(0);
    let flags = enabled_flags(&new, limit, enabled_now);
    let inserted_tags = tx
        .execute(
            &format!(
                "INSERT INTO {keys_table} (uuid, key, enabled, provider_type) \
                 SELECT gen_random_uuid(), k, e, $3 FROM unnest($1::text[], $2::bool[]) AS t(k, e) \
                 ON CONFLICT (key, provider_type) DO NOTHING"
            ),
            &[&new, &flags, &PROVIDER_TYPE],
        )
        .map_err(pg("recording the AWS tag keys"))?;
    let categories: Vec<&str> = categories.iter().map(String::as_str).collect();
    let inserted_categories = tx
        .execute(
            &format!(
                "INSERT INTO {categories_table} (uuid, key, enabled) \
                 SELECT gen_random_uuid(), k, true FROM unnest($1::text[]) AS k \
                 ON CONFLICT (key) DO NOTHING"
            ),
            &[&categories],
        )
        .map_err(pg("recording the AWS cost-category keys"))?;
    tx.commit().map_err(pg("commit"))?;
    let tags_enabled = flags.iter().filter(|f| **f).count() as u64;
    Ok(Recorded {
        tags_enabled: tags_enabled.min(inserted_tags),
        tags_disabled: inserted_tags.saturating_sub(tags_enabled),
        categories: inserted_categories,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_enables_the_first_new_keys_only() {
        let new = ["a", "b", "c"];
        assert_eq!(enabled_flags(&new, 200, 0), [true, true, true]);
        assert_eq!(enabled_flags(&new, 5, 3), [true, true, false]);
        assert_eq!(enabled_flags(&new, 5, 9), [false, false, false]);
        assert_eq!(enabled_flags(&new, 0, 9), [true, true, true]);
        assert_eq!(enabled_flags(&new, -1, 0), [true, true, true]);
    }
}
