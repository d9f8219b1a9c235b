//! Thin column-at-a-time wrapper over parquet's low-level `SerializedFileWriter`.
//!
//! A file is written row group by row group; inside a row group each column is produced in small
//! batches by a [`Frame`], so only one batch of one column is materialised at a time (plus the
//! encoded pages parquet keeps for the open column chunk).

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::{ColumnPath, Type};

/// Physical/logical column kind, as pandas + pyarrow write Koku's frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `OPTIONAL INT64 (TIMESTAMP(MILLIS,false))` — naive millisecond timestamp.
    Ts,
    /// `OPTIONAL DOUBLE`.
    F64,
    /// `OPTIONAL BYTE_ARRAY (STRING)`.
    Str,
    /// `OPTIONAL INT64` — pandas' nullable `Int64` (the GPU report's MIG counts).
    I64,
    /// `OPTIONAL INT64 (TIMESTAMP(MILLIS,true))` — a UTC-adjusted millisecond timestamp, as
    /// pyarrow writes a tz-aware pandas column (the AWS CUR's `...Z` dates).
    TsUtc,
}

/// A flat schema: names and kinds in file order.
#[derive(Debug, Clone)]
pub struct Schema {
    pub cols: Vec<(&'static str, Kind)>,
    pub ptr: Arc<Type>,
}

impl Schema {
    pub fn new(cols: &[(&'static str, Kind)]) -> Self {
        let mut msg = String::from("message schema {\n");
        for (name, kind) in cols {
            let ty = match kind {
                Kind::Ts | Kind::I64 | Kind::TsUtc => "INT64",
                Kind::F64 => "DOUBLE",
                Kind::Str => "BYTE_ARRAY",
            };
            let logical = match kind {
                Kind::Ts => " (TIMESTAMP(MILLIS,false))",
                Kind::TsUtc => " (TIMESTAMP(MILLIS,true))",
                Kind::F64 | Kind::I64 => "",
                Kind::Str => " (STRING)",
            };
            msg.push_str(&format!("  OPTIONAL {ty} {name}{logical};\n"));
        }
        msg.push('}');
        let ty = parse_message_type(&msg).expect("generated schema must parse");
        Schema {
            cols: cols.to_vec(),
            ptr: Arc::new(ty),
        }
    }
}

/// Writer properties matching pyarrow's defaults as closely as parquet-rs allows: snappy, dictionary
/// encoding (falls back to plain past the 1 MiB dictionary page limit), data page v1, chunk-level
/// statistics, no page index.
///
/// `plain_columns` are written without dictionary: the per-hour random usage columns, where every
/// value is distinct, so a dictionary only costs time (pyarrow tries one and, in Koku's 200k-row row
/// groups, falls back to PLAIN after 128Ki values anyway).
pub fn writer_props(rows_per_row_group: usize, plain_columns: &[&str]) -> Arc<WriterProperties> {
    let mut b = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::SNAPPY)
        .set_dictionary_enabled(true)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_offset_index_disabled(true)
        .set_max_row_group_row_count(Some(rows_per_row_group.max(1)));
    for c in plain_columns {
        b = b.set_column_dictionary_enabled(ColumnPath::from(*c), false);
    }
    Arc::new(b.build())
}

/// Reusable per-column batch buffers. A frame fills exactly one of the value vectors (according to
/// the column's kind) and `defs` (one definition level per row: 1 = value, 0 = NULL).
#[derive(Default)]
pub struct Buf {
    pub i64s: Vec<i64>,
    pub f64s: Vec<f64>,
    pub bytes: Vec<ByteArray>,
    pub defs: Vec<i16>,
}

impl Buf {
    fn clear(&mut self) {
        self.i64s.clear();
        self.f64s.clear();
        self.bytes.clear();
        self.defs.clear();
    }
}

/// A source of rows, loaded one row group at a time and produced column by column. Frames keep their
/// buffers between row groups.
pub trait Frame {
    /// Make rows `start..start + len` of the file the current row group.
    fn load(&mut self, start: usize, len: usize);
    /// Push values (and definition levels) of column `col` for rows `lo..hi` of the current row
    /// group into `buf`.
    fn fill(&self, col: usize, lo: usize, hi: usize, buf: &mut Buf);
}

const BATCH: usize = 4096;

/// Writes `total_rows` rows of `frame` to `path` in row groups of at most `rows_per_rg` rows.
/// Returns the file size in bytes.
pub fn write_file<F: Frame>(
    path: &Path,
    schema: &Schema,
    props: &Arc<WriterProperties>,
    total_rows: usize,
    rows_per_rg: usize,
    frame: &mut F,
) -> anyhow::Result<u64> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let sink = BufWriter::with_capacity(1 << 20, file);
    let mut writer = SerializedFileWriter::new(sink, schema.ptr.clone(), props.clone())?;
    let mut buf = Buf::default();
    let rows_per_rg = rows_per_rg.max(1);
    let mut start = 0;
    while start < total_rows {
        let len = rows_per_rg.min(total_rows - start);
        frame.load(start, len);
        let mut rg = writer.next_row_group()?;
        for (ci, (_, kind)) in schema.cols.iter().enumerate() {
            let mut col = rg.next_column()?.context("schema/column count mismatch")?;
            let mut lo = 0;
            while lo < len {
                let hi = (lo + BATCH).min(len);
                buf.clear();
                frame.fill(ci, lo, hi, &mut buf);
                debug_assert_eq!(buf.defs.len(), hi - lo);
                match kind {
                    Kind::Ts | Kind::I64 | Kind::TsUtc => {
                        col.typed::<Int64Type>()
                            .write_batch(&buf.i64s, Some(&buf.defs), None)?;
                    }
                    Kind::F64 => {
                        col.typed::<DoubleType>()
                            .write_batch(&buf.f64s, Some(&buf.defs), None)?;
                    }
                    Kind::Str => {
                        col.typed::<ByteArrayType>().write_batch(
                            &buf.bytes,
                            Some(&buf.defs),
                            None,
                        )?;
                    }
                }
                lo = hi;
            }
            col.close()?;
        }
        rg.close()?;
        start += len;
    }
    let sink = writer.into_inner()?;
    let file = sink.into_inner().map_err(|e| e.into_error())?;
    let bytes = file.metadata()?.len();
    Ok(bytes)
}

/// Helpers for frames: push `n` non-null definition levels.
#[inline]
pub fn all_defined(buf: &mut Buf, n: usize) {
    buf.defs.resize(buf.defs.len() + n, 1);
}

/// Push a nullable string value.
#[inline]
pub fn push_opt_str(buf: &mut Buf, v: Option<&ByteArray>) {
    match v {
        Some(v) => {
            buf.bytes.push(v.clone());
            buf.defs.push(1);
        }
        None => buf.defs.push(0),
    }
}
