//! One row group of one file → the requested columns, decoded.
//!
//! Only the chunks of requested columns are fetched (one ranged read each), so a wide pod file
//! costs the bytes of the four or five columns a table needs. Buffers live in [`RowGroupData`] and
//! are reused from task to task by the worker that owns them.

use super::chunk::{decode_chunk, ColumnOut, F64Decoder, I64Decoder, Int96Decoder, Scratch};
pub use super::column::{ColumnData, ColumnPlan};
use super::pages::{ChunkPages, CratePages, PageSource};
use super::strings::{StringDecoder, StringMode};
use super::{DecodeError, DecodeStats, ReadError};
use crate::catalog::{Catalog, TextTable, NULL_ID};
use crate::plan::columns::ColumnKind;
use crate::plan::DecodeMode;
use crate::source::chunk::ChunkBytes;
use crate::source::readahead::merge_ranges;
use crate::source::ObjectStore;
use parquet::file::metadata::RowGroupMetaData;
use parquet::file::serialized_reader::SerializedPageReader;
use std::sync::Arc;

/// Decoded columns of one row group, in request order.
#[derive(Default)]
pub struct RowGroupData {
    pub num_rows: usize,
    pub columns: Vec<ColumnData>,
    scratch: Scratch,
    /// Decompressed pages ([`ChunkPages`]), kept from page to page and task to task.
    page_buf: Vec<u8>,
}

/// Rows decoded at once per row group. Koku's writer makes at most 200,000 per file and pyarrow's
/// default row group is 1Mi rows; a row group past 4Mi rows (about 50 MB of buffers per column) is
/// refused rather than allowed to claim unbounded memory from a forged row count.
pub const MAX_ROW_GROUP_ROWS: usize = 1 << 22;

/// Reads and decodes `columns` of row group `meta` of object `key`.
#[allow(clippy::too_many_arguments)]
pub fn read_row_group(
    store: &dyn ObjectStore,
    key: &str,
    object_len: u64,
    meta: &RowGroupMetaData,
    columns: &[ColumnPlan],
    catalog: &Catalog,
    out: &mut RowGroupData,
    stats: &mut DecodeStats,
) -> Result<u64, ReadError> {
    let num_rows = usize::try_from(meta.num_rows()).unwrap_or(0);
    if num_rows > MAX_ROW_GROUP_ROWS {
        return Err(ReadError::TooManyRows {
            rows: num_rows,
            max: MAX_ROW_GROUP_ROWS,
        });
    }
    out.num_rows = num_rows;
    out.columns.resize_with(columns.len(), ColumnData::default);
    // Fetch every needed chunk first, merging neighbours the store finds worth merging.
    let mut wanted = Vec::with_capacity(columns.len());
    for (i, plan) in columns.iter().enumerate() {
        if let Some(leaf) = plan.resolved.leaf {
            let (start, len) = chunk_range(meta.column(leaf), object_len)
                .map_err(|source| ReadError::Column { column: i, source })?;
            wanted.push((i, start, len));
        }
    }
    let mut chunks = fetch_merged(store, key, &wanted)?;
    let bytes_read = wanted.iter().map(|w| w.2).sum::<u64>();
    for (i, (plan, data)) in columns.iter().zip(out.columns.iter_mut()).enumerate() {
        let wrap = |source| ReadError::Column { column: i, source };
        clear(data);
        let Some(leaf) = plan.resolved.leaf else {
            fill_null(plan.resolved.request.kind, num_rows, data);
            continue;
        };
        let chunk_meta = meta.column(leaf);
        let (start, bytes) = chunks[i].take().expect("fetched above");
        let expected = plan.resolved.physical_type();
        if chunk_meta.column_type() != expected {
            return Err(wrap(DecodeError::PhysicalType {
                found: chunk_meta.column_type(),
                expected,
            }));
        }
        // Only for chunks `ChunkPages` leaves to the parquet crate, and `--decode reference`.
        let page_reader = || {
            let reader = Arc::new(ChunkBytes::new(start, bytes.clone(), object_len));
            SerializedPageReader::new(reader, chunk_meta, num_rows, None)
                .map_err(|e| wrap(e.into()))
        };
        let reference = |data: &mut ColumnData| {
            let descr = chunk_meta.column_descr_ptr();
            let pages = Box::new(page_reader()?);
            super::reference::decode_column(pages, descr, num_rows, plan, catalog, data)
                .map_err(wrap)
        };
        match plan.decode {
            DecodeMode::Reference => reference(data)?,
            DecodeMode::Kernels => {
                let (mut own, mut theirs);
                let pages: &mut dyn PageSource =
                    match ChunkPages::new(&bytes, chunk_meta.compression(), &mut out.page_buf) {
                        Some(p) => {
                            own = p;
                            &mut own
                        }
                        None => {
                            theirs = CratePages::new(page_reader()?);
                            &mut theirs
                        }
                    };
                let kernels = decode_column(
                    pages,
                    num_rows,
                    plan,
                    catalog,
                    data,
                    &mut out.scratch,
                    stats,
                );
                match kernels {
                    // An encoding the kernels lack (none a writer is known to produce for the
                    // types read here): the chunk goes through the parquet crate's reader instead.
                    Err(DecodeError::UnsupportedEncoding(encoding)) => {
                        tracing::debug!("{encoding:?} page: chunk decoded by the reference reader");
                        clear(data);
                        stats.fallback_chunks += 1;
                        reference(data)?;
                    }
                    other => other.map_err(wrap)?,
                }
            }
        }
        let got = match plan.resolved.request.kind {
            ColumnKind::String => data.ids.len(),
            ColumnKind::Double => data.f64s.len(),
            ColumnKind::Timestamp | ColumnKind::Int => data.i64s.len(),
        };
        if got != num_rows {
            return Err(wrap(DecodeError::Corrupt(format!(
                "chunk holds {got} values but the row group has {num_rows} rows"
            ))));
        }
    }
    Ok(bytes_read)
}

/// Reads the `(column index, start, len)` ranges of one object in the requests
/// [`merge_ranges`] makes of them (neighbours merged when the gap is small), the same requests
/// the S3 read-ahead sends early, so a read ahead is found by its range.
fn fetch_merged(
    store: &dyn ObjectStore,
    key: &str,
    wanted: &[(usize, u64, u64)],
) -> Result<Vec<Option<(u64, bytes::Bytes)>>, crate::error::SourceError> {
    let mut out: Vec<Option<(u64, bytes::Bytes)>> =
        vec![None; wanted.iter().map(|w| w.0 + 1).max().unwrap_or(0)];
    let spans: Vec<(u64, u64)> = wanted.iter().map(|w| (w.1, w.2)).collect();
    for range in merge_ranges(&spans, store.merge_gap()) {
        let bytes = store.get_range(key, range.clone())?;
        let inside = wanted
            .iter()
            .filter(|w| range.start <= w.1 && w.1 + w.2 <= range.end);
        for w in inside {
            let from = (w.1 - range.start) as usize;
            out[w.0] = Some((w.1, bytes.slice(from..from + w.2 as usize)));
        }
    }
    Ok(out)
}

/// The chunk's byte range, checked against the object so corrupt metadata cannot panic later.
fn chunk_range(
    chunk: &parquet::file::metadata::ColumnChunkMetaData,
    object_len: u64,
) -> Result<(u64, u64), DecodeError> {
    let start = chunk
        .dictionary_page_offset()
        .unwrap_or(chunk.data_page_offset());
    let len = chunk.compressed_size();
    if start < 0 || len < 0 || (start as u64).saturating_add(len as u64) > object_len {
        return Err(DecodeError::Corrupt(format!(
            "column chunk range {start}+{len} lies outside the file ({object_len} bytes)"
        )));
    }
    Ok((start as u64, len as u64))
}

fn clear(data: &mut ColumnData) {
    data.ids.clear();
    data.f64s.clear();
    data.i64s.clear();
    data.valid.clear();
}

fn fill_null(kind: ColumnKind, rows: usize, data: &mut ColumnData) {
    match kind {
        ColumnKind::String => data.ids.resize(rows, NULL_ID),
        ColumnKind::Double => data.f64s.resize(rows, 0.0),
        ColumnKind::Timestamp | ColumnKind::Int => data.i64s.resize(rows, 0),
    }
    data.valid.extend_constant(rows, false);
}

/// Label set ids for the global string ids of every row (decoded as [`StringMode::Interned`]).
fn resolve_per_row(catalog: &Catalog, ids: &mut [u32]) -> Result<(), DecodeError> {
    catalog
        .resolve_labels(TextTable::Strings, ids)
        .map_err(|b| DecodeError::Label {
            preview: b.preview,
            reason: b.reason,
        })
}

fn decode_column(
    pages: &mut dyn PageSource,
    rows: usize,
    plan: &ColumnPlan,
    catalog: &Catalog,
    data: &mut ColumnData,
    scratch: &mut Scratch,
    stats: &mut DecodeStats,
) -> Result<(), DecodeError> {
    let max_def = plan.resolved.max_def;
    let rows_left = rows;
    match plan.resolved.request.kind {
        ColumnKind::String => {
            // `--label-memo off`: labels resolve row by row after decoding, not per dictionary
            // entry, so each row's text is parsed.
            let per_row = plan.string_mode == StringMode::Labels && !catalog.label_memo();
            let mode = match per_row {
                true => StringMode::Interned,
                false => plan.string_mode,
            };
            let cache = std::mem::take(&mut scratch.labels);
            let mut decoder = StringDecoder::new(catalog, mode).with_label_cache(cache);
            let out = ColumnOut {
                values: &mut data.ids,
                valid: None,
                rows_left,
            };
            let decoded = decode_chunk(pages, max_def, &mut decoder, out, scratch, stats);
            scratch.labels = decoder.into_label_cache();
            decoded?;
            if per_row {
                resolve_per_row(catalog, &mut data.ids)?;
            }
            Ok(())
        }
        ColumnKind::Double => {
            let out = ColumnOut {
                values: &mut data.f64s,
                valid: Some(&mut data.valid),
                rows_left,
            };
            decode_chunk(
                pages,
                max_def,
                &mut F64Decoder::default(),
                out,
                scratch,
                stats,
            )
        }
        ColumnKind::Timestamp if plan.resolved.int96 => {
            let out = ColumnOut {
                values: &mut data.i64s,
                valid: Some(&mut data.valid),
                rows_left,
            };
            let decoder = &mut Int96Decoder::default();
            decode_chunk(pages, max_def, decoder, out, scratch, stats)
        }
        ColumnKind::Timestamp | ColumnKind::Int => {
            let mut decoder = I64Decoder::new(plan.resolved.to_millis);
            let out = ColumnOut {
                values: &mut data.i64s,
                valid: Some(&mut data.valid),
                rows_left,
            };
            decode_chunk(pages, max_def, &mut decoder, out, scratch, stats)
        }
    }
}

#[cfg(test)]
mod readahead_tests;
