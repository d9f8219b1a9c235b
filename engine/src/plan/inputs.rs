//! Which files and row groups a run reads.
//!
//! For each input table we list its partition folder, read every footer, resolve the needed
//! columns, and keep only row groups whose `interval_start` statistics overlap the day range. The
//! result is a flat list of [`Task`]s, one per row group, that the workers pull from.

use super::columns::{resolve, ColumnRequest, ResolvedColumn};
use super::InputScope;
use crate::error::{Error, InputError};
use crate::source::footer::{read_metadata, read_metadata_many, FooterError};
use crate::source::layout::Table;
use crate::source::threads::map_on_threads;
use crate::source::{ObjectMeta, ObjectStore};
use crate::value::date::Day;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::Statistics;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// One Parquet object with its metadata and resolved columns.
pub struct InputFile {
    pub object: ObjectMeta,
    pub location: String,
    pub metadata: Arc<ParquetMetaData>,
    pub columns: Vec<ResolvedColumn>,
}

/// Everything read from one table.
pub struct TableInput {
    pub table: Table,
    pub files: Vec<InputFile>,
    pub row_groups_total: usize,
    pub row_groups_selected: usize,
    pub bytes_selected: u64,
    pub partition_found: bool,
}

/// One unit of work: a row group of a file of a table.
#[derive(Debug, Clone, Copy)]
pub struct Task {
    pub seq: usize,
    pub table: usize,
    pub file: usize,
    pub row_group: usize,
    /// The earliest day its rows can hold in the run's range (from `interval_start` statistics;
    /// the run's first day without them). Tasks run in this order so that a day is complete, and
    /// can be written out, once every task starting on or before it has been merged.
    pub first_day: Day,
    /// Other tables' reads of this same row group, decoded with it ([`super::shared`]).
    pub riders: Riders,
}

/// A table whose row group is read by another task (its host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rider {
    pub table: usize,
    pub file: usize,
}

/// A host's riders. Fixed-size so [`Task`] stays `Copy`: no table has more than
/// [`Riders::MAX`] others reading the same Parquet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Riders {
    len: u8,
    slots: [Option<Rider>; Riders::MAX],
}

impl Riders {
    pub const MAX: usize = 3;

    /// Adds `rider`; false (and nothing added) when full.
    pub fn push(&mut self, rider: Rider) -> bool {
        let Some(slot) = self.slots.get_mut(self.len as usize) else {
            return false;
        };
        *slot = Some(rider);
        self.len += 1;
        true
    }

    pub fn iter(&self) -> impl Iterator<Item = Rider> + Clone + '_ {
        self.slots.iter().flatten().copied()
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Footers already read in this run, by key, and listings by prefix: several scans read the same
/// pod files, and on a remote store every footer and listing is a round trip.
#[derive(Default)]
pub struct FooterCache(
    Mutex<HashMap<String, Arc<ParquetMetaData>>>,
    Mutex<HashMap<String, Listing>>,
);

/// Whether a partition prefix exists, and its objects.
type Listing = (bool, Vec<ObjectMeta>);

/// The listing of `prefix`, once per run. A listing with objects proves the prefix exists; only
/// an empty one asks whether the folder is there.
fn list_once(
    store: &dyn ObjectStore,
    cache: &FooterCache,
    prefix: &str,
) -> Result<Listing, crate::error::SourceError> {
    if let Some(listing) = cache.1.lock().expect("not poisoned").get(prefix) {
        return Ok(listing.clone());
    }
    let objects = store.list(prefix)?;
    let found = !objects.is_empty() || store.prefix_exists(prefix)?;
    let listing = (found, objects);
    cache
        .1
        .lock()
        .expect("not poisoned")
        .insert(prefix.to_string(), listing.clone());
    Ok(listing)
}

/// Lists, opens and prunes one table.
pub fn scan_table(
    store: &dyn ObjectStore,
    cache: &FooterCache,
    scope: &InputScope,
    threads: usize,
    table: Table,
    requests: &[ColumnRequest],
) -> Result<TableInput, Error> {
    let prefix = table.partition_prefix(&scope.org, &scope.source, scope.year, scope.month);
    let (partition_found, objects) = list_once(store, cache, &prefix)?;
    let ms = scope.millis_range();
    let mut input = TableInput {
        table,
        files: Vec::new(),
        row_groups_total: 0,
        row_groups_selected: 0,
        bytes_selected: 0,
        partition_found,
    };
    let objects: Vec<_> = objects
        .into_iter()
        .filter(|o| o.key.ends_with(".parquet"))
        .collect();
    let footers = read_footers(store, cache, &objects, threads);
    for (object, footer) in objects.into_iter().zip(footers) {
        let location = store.describe(&object.key);
        let metadata = footer.map_err(|e| match e {
            FooterError::Source(s) => Error::from(s),
            cause => Error::from(InputError::Footer {
                table: Some(table.to_string()),
                cause,
            }),
        })?;
        let columns = resolve(metadata.file_metadata().schema_descr(), requests).map_err(|e| {
            InputError::Schema {
                object: location.clone(),
                message: e.to_string(),
            }
        })?;
        input.row_groups_total += metadata.num_row_groups();
        for rg in 0..metadata.num_row_groups() {
            if row_group_overlaps(&metadata, rg, &columns, &ms) {
                input.row_groups_selected += 1;
                input.bytes_selected += columns
                    .iter()
                    .filter_map(|c| c.leaf)
                    .map(|leaf| metadata.row_group(rg).column(leaf).compressed_size().max(0) as u64)
                    .sum::<u64>();
            }
        }
        input.files.push(InputFile {
            object,
            location,
            metadata,
            columns,
        });
    }
    Ok(input)
}

/// Footers of `objects`, in order: from the cache, else read and cached. On a store that reads in
/// the background (S3) the missing footers are all in flight at once ([`read_metadata_many`]);
/// otherwise up to `threads` threads read them, so many files on a slow disk do not cost their
/// latencies one after another.
fn read_footers(
    store: &dyn ObjectStore,
    cache: &FooterCache,
    objects: &[ObjectMeta],
    threads: usize,
) -> Vec<Result<Arc<ParquetMetaData>, FooterError>> {
    let mut found: Vec<Option<_>> = {
        let cached = cache.0.lock().expect("not poisoned");
        objects
            .iter()
            .map(|o| cached.get(&o.key).cloned().map(Ok))
            .collect()
    };
    let missing: Vec<usize> = (0..objects.len()).filter(|&i| found[i].is_none()).collect();
    let to_read: Vec<&ObjectMeta> = missing.iter().map(|&i| &objects[i]).collect();
    let read = read_metadata_many(store, &to_read)
        .unwrap_or_else(|| map_on_threads(&to_read, threads, |o| read_metadata(store, o)));
    let mut cached = cache.0.lock().expect("not poisoned");
    for (i, m) in missing.into_iter().zip(read) {
        if let Ok(m) = &m {
            cached.insert(objects[i].key.clone(), m.clone());
        }
        found[i] = Some(m);
    }
    found
        .into_iter()
        .map(|f| f.expect("every footer cached or read"))
        .collect()
}

/// Appends the tasks of `input` (table index `table`) to `tasks`.
pub fn push_tasks(input: &TableInput, table: usize, ms: &Range<i64>, tasks: &mut Vec<Task>) {
    for (file_idx, file) in input.files.iter().enumerate() {
        for rg in 0..file.metadata.num_row_groups() {
            if row_group_overlaps(&file.metadata, rg, &file.columns, ms) {
                let first = interval_range(&file.metadata, rg, &file.columns)
                    .map_or(ms.start, |(min, _)| min.max(ms.start));
                tasks.push(Task {
                    seq: tasks.len(),
                    table,
                    file: file_idx,
                    row_group: rg,
                    first_day: Day::of_millis(first),
                    riders: Riders::default(),
                });
            }
        }
    }
}

/// Puts tasks in day order (then in listing order) and numbers them in that order, the order
/// their partials are merged in.
pub fn order_by_day(tasks: &mut [Task]) {
    tasks.sort_by_key(|t| (t.first_day, t.seq));
    for (i, t) in tasks.iter_mut().enumerate() {
        t.seq = i;
    }
}

/// The row groups of `file` a run reads.
pub fn selected_row_groups(file: &InputFile, ms: &Range<i64>) -> Vec<usize> {
    (0..file.metadata.num_row_groups())
        .filter(|&rg| row_group_overlaps(&file.metadata, rg, &file.columns, ms))
        .collect()
}

/// False only when statistics prove no `interval_start` of the row group lies in `ms`.
fn row_group_overlaps(
    metadata: &ParquetMetaData,
    rg: usize,
    columns: &[ResolvedColumn],
    ms: &Range<i64>,
) -> bool {
    if metadata.row_group(rg).num_rows() == 0 {
        return false;
    }
    interval_range(metadata, rg, columns).is_none_or(|(min, max)| max >= ms.start && min < ms.end)
}

/// The `interval_start` (min, max) of a row group in milliseconds, when statistics give both.
fn interval_range(
    metadata: &ParquetMetaData,
    rg: usize,
    columns: &[ResolvedColumn],
) -> Option<(i64, i64)> {
    let ts = columns
        .iter()
        .find(|c| c.request.name == "interval_start")?;
    match metadata.row_group(rg).column(ts.leaf?).statistics() {
        Some(Statistics::Int64(s)) => {
            let (min, max) = (s.min_opt()?, s.max_opt()?);
            Some(((ts.to_millis)(*min), (ts.to_millis)(*max)))
        }
        _ => None,
    }
}

/// Whether any Parquet object lies under `prefix`; on S3, the first page that shows one ends the
/// listing.
fn any_parquet(store: &dyn ObjectStore, prefix: &str) -> Result<bool, Error> {
    Ok(store.any_object_ending(prefix, ".parquet")?)
}

/// Whether the org has any Parquet object of `table`, for any source: Koku's `trino_table_exists`.
pub fn org_has_table(store: &dyn ObjectStore, org: &str, table: Table) -> Result<bool, Error> {
    let p = table.partition_prefix(org, "x", 2000, 1);
    any_parquet(store, &p[..p.find("source=").expect("partition prefix")])
}

/// Whether `source` has any Parquet object of `table`, in any year and month: Koku's
/// `source_in_trino_table`.
pub fn source_has_table(
    store: &dyn ObjectStore,
    org: &str,
    source: &str,
    table: Table,
) -> Result<bool, Error> {
    let p = table.partition_prefix(org, source, 2000, 1);
    any_parquet(store, &p[..p.find("year=").expect("partition prefix")])
}
