//! Builders and plain references shared by the unit tests.
//!
//! - small Parquet files written in memory with the `parquet` crate's writer, read back through
//!   the engine's own [`read_row_group`], and their pages listed independently of the engine;
//! - hand-built [`RowGroupData`] for the aggregation workers;
//! - catalog helpers (intern, text of an id, label sets as plain maps);
//! - obviously-correct references: label filtering with `serde_json`, `map_concat`, SQL `LIKE`;
//! - a tiny deterministic PRNG, so tests need no extra dependency and always see the same data.

use crate::catalog::{Catalog, LabelTable, TextTable, NULL_ID, NULL_SET};
use crate::decode::rowgroup::{read_row_group, ColumnData, ColumnPlan, RowGroupData};
use crate::decode::strings::StringMode;
use crate::decode::{DecodeStats, ReadError};
use crate::plan::columns::{resolve, ColumnRequest};
use crate::plan::DecodeMode;
use crate::source::footer::read_metadata;
use crate::source::memory::MemoryStore;
use crate::source::ObjectMeta;
use bytes::Bytes;
use ocp_summary_kernels::labels::{EnabledKeys, SetId};
use parquet::basic::Encoding;
use parquet::column::page::Page;
use parquet::column::writer::ColumnWriterImpl;
use parquet::data_type::{
    ByteArray, ByteArrayType, DataType, DoubleType, Int64Type, Int96, Int96Type,
};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::FileReader;
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::collections::BTreeMap;
use std::sync::Arc;

/// xorshift64*: deterministic, dependency-free test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p` percent.
    pub fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    /// `Some(pick)` or, with probability `null_pct` percent, `None`.
    pub fn maybe<T: Clone>(&mut self, null_pct: usize, items: &[T]) -> Option<T> {
        (!self.percent(null_pct)).then(|| self.pick(items))
    }
}

// ---------------------------------------------------------------------------------------------
// Parquet files in memory

/// The values of one column of a test file; `None` is NULL.
#[derive(Debug, Clone)]
pub enum Values {
    /// INT64 `TIMESTAMP(MILLIS)`.
    Millis(Vec<Option<i64>>),
    /// INT64 `TIMESTAMP(MICROS)`.
    Micros(Vec<Option<i64>>),
    /// INT64 with the given annotation, as the schema parser reads it: `TIMESTAMP(NANOS,true)`,
    /// or a legacy converted type alone, `TIMESTAMP_MILLIS`, `TIMESTAMP_MICROS`.
    Annotated(&'static str, Vec<Option<i64>>),
    /// INT96 timestamps as (Julian day, nanoseconds of the day).
    Int96(Vec<Option<(i32, i64)>>),
    /// DOUBLE.
    F64(Vec<Option<f64>>),
    /// BYTE_ARRAY `STRING`.
    Str(Vec<Option<String>>),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::Millis(v) | Values::Micros(v) | Values::Annotated(_, v) => v.len(),
            Values::Int96(v) => v.len(),
            Values::F64(v) => v.len(),
            Values::Str(v) => v.len(),
        }
    }
}

/// One column of a test file.
#[derive(Debug, Clone)]
pub struct Col {
    pub name: &'static str,
    pub values: Values,
    /// `REQUIRED` (no definition levels) instead of `OPTIONAL`.
    pub required: bool,
}

impl Col {
    pub fn optional(name: &'static str, values: Values) -> Self {
        Col {
            name,
            values,
            required: false,
        }
    }

    pub fn required(name: &'static str, values: Values) -> Self {
        Col {
            name,
            values,
            required: true,
        }
    }
}

/// Writes `cols` as a Parquet file in memory, `rows_per_group` rows per row group.
pub fn write_parquet(cols: &[Col], rows_per_group: usize, props: WriterProperties) -> Bytes {
    let fields: Vec<String> = cols
        .iter()
        .map(|c| {
            let rep = if c.required { "REQUIRED" } else { "OPTIONAL" };
            let name = c.name;
            match c.values {
                Values::Millis(_) => format!("{rep} INT64 {name} (TIMESTAMP(MILLIS,false));"),
                Values::Micros(_) => format!("{rep} INT64 {name} (TIMESTAMP(MICROS,false));"),
                Values::Annotated(a, _) => format!("{rep} INT64 {name} ({a});"),
                Values::Int96(_) => format!("{rep} INT96 {name};"),
                Values::F64(_) => format!("{rep} DOUBLE {name};"),
                Values::Str(_) => format!("{rep} BYTE_ARRAY {name} (STRING);"),
            }
        })
        .collect();
    let schema = parse_message_type(&format!("message schema {{ {} }}", fields.join(" ")))
        .expect("test schema");
    let rows = cols.first().map_or(0, |c| c.values.len());
    assert!(
        cols.iter().all(|c| c.values.len() == rows),
        "ragged test columns"
    );
    let mut buf = Vec::new();
    let mut w = SerializedFileWriter::new(&mut buf, Arc::new(schema), Arc::new(props))
        .expect("test writer");
    let mut start = 0;
    while start < rows {
        let end = (start + rows_per_group).min(rows);
        let mut rg = w.next_row_group().expect("row group");
        for c in cols {
            let mut cw = rg.next_column().expect("column").expect("one per field");
            match &c.values {
                Values::Millis(v) | Values::Micros(v) | Values::Annotated(_, v) => {
                    write_typed::<Int64Type, _>(cw.typed(), &v[start..end], c.required, |x| *x)
                }
                Values::Int96(v) => write_typed::<Int96Type, _>(
                    cw.typed(),
                    &v[start..end],
                    c.required,
                    |&(day, nanos)| {
                        let mut x = Int96::new();
                        x.set_data(nanos as u32, (nanos >> 32) as u32, day as u32);
                        x
                    },
                ),
                Values::F64(v) => {
                    write_typed::<DoubleType, _>(cw.typed(), &v[start..end], c.required, |x| *x)
                }
                Values::Str(v) => {
                    write_typed::<ByteArrayType, _>(cw.typed(), &v[start..end], c.required, |s| {
                        ByteArray::from(s.as_str())
                    })
                }
            }
            cw.close().expect("close column");
        }
        rg.close().expect("close row group");
        start = end;
    }
    w.close().expect("close file");
    Bytes::from(buf)
}

fn write_typed<T: DataType, V>(
    w: &mut ColumnWriterImpl<'_, T>,
    values: &[Option<V>],
    required: bool,
    f: impl Fn(&V) -> T::T,
) {
    let present: Vec<T::T> = values.iter().flatten().map(f).collect();
    if required {
        assert_eq!(
            present.len(),
            values.len(),
            "NULL in a REQUIRED test column"
        );
        w.write_batch(&present, None, None).expect("write");
    } else {
        let defs: Vec<i16> = values.iter().map(|v| i16::from(v.is_some())).collect();
        w.write_batch(&present, Some(&defs), None).expect("write");
    }
}

/// Every requested column of every row group, concatenated, as the engine decoded them.
pub struct Decoded {
    pub columns: Vec<ColumnData>,
    pub stats: DecodeStats,
    pub row_groups: usize,
}

/// Reads `bytes` back through a [`MemoryStore`], the footer reader and [`read_row_group`], as a
/// run does (see `decode::probe`).
pub fn read_back(
    bytes: &Bytes,
    requests: &[(ColumnRequest, StringMode)],
    catalog: &Catalog,
) -> Result<Decoded, ReadError> {
    read_back_with(bytes, requests, catalog, DecodeMode::Kernels)
}

/// [`read_back`] through the kernels or the parquet crate's readers.
pub fn read_back_with(
    bytes: &Bytes,
    requests: &[(ColumnRequest, StringMode)],
    catalog: &Catalog,
    decode: DecodeMode,
) -> Result<Decoded, ReadError> {
    let mut store = MemoryStore::default();
    store.insert("t.parquet", bytes.clone());
    let object = ObjectMeta {
        key: "t.parquet".into(),
        size: bytes.len() as u64,
    };
    let meta = read_metadata(&store, &object).expect("footer");
    let reqs: Vec<ColumnRequest> = requests.iter().map(|r| r.0).collect();
    let resolved = resolve(meta.file_metadata().schema_descr(), &reqs).expect("schema");
    let plans: Vec<ColumnPlan> = resolved
        .iter()
        .zip(requests)
        .map(|(r, (_, mode))| ColumnPlan {
            resolved: *r,
            string_mode: *mode,
            decode,
        })
        .collect();
    let mut out = Decoded {
        columns: (0..plans.len()).map(|_| ColumnData::default()).collect(),
        stats: DecodeStats::default(),
        row_groups: 0,
    };
    let mut data = RowGroupData::default();
    for rg in 0..meta.num_row_groups() {
        let rg_meta = meta.row_group(rg);
        read_row_group(
            &store,
            &object.key,
            object.size,
            rg_meta,
            &plans,
            catalog,
            &mut data,
            &mut out.stats,
        )?;
        assert_eq!(data.num_rows as i64, rg_meta.num_rows());
        for (acc, col) in out.columns.iter_mut().zip(&data.columns) {
            acc.ids.extend_from_slice(&col.ids);
            acc.f64s.extend_from_slice(&col.f64s);
            acc.i64s.extend_from_slice(&col.i64s);
            acc.valid.extend_from(&col.valid);
        }
        out.row_groups += 1;
    }
    Ok(out)
}

/// One page as the `parquet` crate's own reader sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Dictionary,
    V1(Encoding),
    V2 {
        encoding: Encoding,
        def_levels_byte_len: u32,
        rep_levels_byte_len: u32,
    },
}

/// The pages of column `column`, per row group, with their value counts: what a test file
/// really holds, read without the engine.
pub fn pages(bytes: &Bytes, column: usize) -> Vec<Vec<(PageKind, u32)>> {
    let reader = SerializedFileReader::new(bytes.clone()).expect("test file");
    (0..reader.num_row_groups())
        .map(|rg| {
            let pages = reader
                .get_row_group(rg)
                .expect("row group")
                .get_column_page_reader(column)
                .expect("page reader");
            pages
                .map(|p| match p.expect("page") {
                    Page::DictionaryPage { num_values, .. } => (PageKind::Dictionary, num_values),
                    Page::DataPage {
                        encoding,
                        num_values,
                        ..
                    } => (PageKind::V1(encoding), num_values),
                    Page::DataPageV2 {
                        encoding,
                        num_values,
                        def_levels_byte_len,
                        rep_levels_byte_len,
                        ..
                    } => (
                        PageKind::V2 {
                            encoding,
                            def_levels_byte_len,
                            rep_levels_byte_len,
                        },
                        num_values,
                    ),
                })
                .collect()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Hand-built page bodies

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// RLE/bit-packing hybrid with RLE runs only (a valid encoding; writers mix in bit-packed runs).
pub fn rle(values: &[u32], bit_width: u8) -> Vec<u8> {
    let width = usize::from(bit_width).div_ceil(8);
    let mut out = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let j = i + values[i..].iter().take_while(|&&v| v == values[i]).count();
        varint(((j - i) as u64) << 1, &mut out);
        out.extend_from_slice(&values[i].to_le_bytes()[..width]);
        i = j;
    }
    out
}

/// V1 definition levels: 4-byte length, then the hybrid runs.
pub fn levels_v1(levels: &[u32]) -> Vec<u8> {
    let runs = rle(levels, 1);
    let mut out = (runs.len() as u32).to_le_bytes().to_vec();
    out.extend(runs);
    out
}

/// Dictionary ids: one byte of bit width, then the hybrid runs.
pub fn dict_ids(ids: &[u32], bit_width: u8) -> Vec<u8> {
    let mut out = vec![bit_width];
    out.extend(rle(ids, bit_width));
    out
}

/// PLAIN BYTE_ARRAY values: 4-byte length, then the bytes.
pub fn plain_strings(values: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        out.extend((v.len() as u32).to_le_bytes());
        out.extend(v.as_bytes());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Hand-built row groups

/// A timestamp column; `None` is NULL.
pub fn ts_col(v: &[Option<i64>]) -> ColumnData {
    ColumnData {
        i64s: v.iter().map(|x| x.unwrap_or(0)).collect(),
        valid: v.iter().map(Option::is_some).collect(),
        ..Default::default()
    }
}

/// A double column; `None` is NULL.
pub fn f64_col(v: &[Option<f64>]) -> ColumnData {
    ColumnData {
        f64s: v.iter().map(|x| x.unwrap_or(0.0)).collect(),
        valid: v.iter().map(Option::is_some).collect(),
        ..Default::default()
    }
}

/// A string (or label set) column of ids, as the decoder leaves it: no validity.
pub fn id_col(v: &[u32]) -> ColumnData {
    ColumnData {
        ids: v.to_vec(),
        ..Default::default()
    }
}

pub fn row_group(num_rows: usize, columns: Vec<ColumnData>) -> RowGroupData {
    let mut data = RowGroupData::default();
    data.num_rows = num_rows;
    data.columns = columns;
    data
}

// ---------------------------------------------------------------------------------------------
// Catalog helpers and references

pub fn catalog(enabled: &[&str]) -> Catalog {
    Catalog::new(EnabledKeys::new(enabled.iter().map(|k| k.as_bytes())))
}

/// The global id of `s`, interning it; `None` → `NULL_ID`.
pub fn intern(catalog: &Catalog, s: Option<&str>) -> u32 {
    s.map_or(NULL_ID, |s| intern_in(catalog, TextTable::Strings, s))
}

fn intern_in(catalog: &Catalog, table: TextTable, s: &str) -> u32 {
    let mut out = Vec::new();
    let each = |push: &mut dyn FnMut(&[u8])| {
        push(s.as_bytes());
        Ok::<_, ocp_summary_kernels::KernelError>(())
    };
    match table {
        TextTable::Strings => catalog.intern_many(&mut out, each),
        TextTable::LabelTexts => catalog.intern_label_texts(&mut out, each),
    }
    .expect("intern");
    out[0]
}

/// The text of a string id; `NULL_ID` → `None`.
pub fn text(catalog: &Catalog, id: u32) -> Option<String> {
    (id != NULL_ID).then(|| String::from_utf8(catalog.strings().get(id).to_vec()).expect("utf-8"))
}

/// The label set id of label JSON `json` (`None` = NULL text), through the decoder's path.
pub fn label_set(catalog: &Catalog, json: Option<&str>) -> u32 {
    let Some(json) = json else { return NULL_SET };
    let mut ids = vec![intern_in(catalog, TextTable::LabelTexts, json)];
    catalog
        .resolve_labels(TextTable::LabelTexts, &mut ids)
        .expect("label JSON");
    ids[0]
}

pub type LabelMap = BTreeMap<String, String>;

/// Label set `set` as a plain map; `NULL_SET` → `None`.
pub fn label_map(labels: &LabelTable, enabled: &EnabledKeys, set: u32) -> Option<LabelMap> {
    (set != NULL_SET).then(|| {
        labels
            .sets
            .get(SetId(set))
            .iter()
            .map(|&(k, v)| {
                (
                    String::from_utf8(enabled.name(k).to_vec()).expect("utf-8"),
                    String::from_utf8(labels.values.get(v.0).to_vec()).expect("utf-8"),
                )
            })
            .collect()
    })
}

/// Reference for spec §3: parse with `serde_json`, keep the enabled keys. `None` for NULL text
/// and for JSON `null`.
pub fn filter_labels(json: Option<&str>, enabled: &[&str]) -> Option<LabelMap> {
    let map: Option<LabelMap> = serde_json::from_str(json?).expect("label JSON");
    Some(
        map?.into_iter()
            .filter(|(k, _)| enabled.contains(&k.as_str()))
            .collect(),
    )
}

/// Reference `map_concat`: later maps win.
pub fn concat(maps: &[&LabelMap]) -> LabelMap {
    let mut out = LabelMap::new();
    for m in maps {
        for (k, v) in m.iter() {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// Reference SQL `LIKE` without `ESCAPE`: `%` any run of characters, `_` one character.
pub fn sql_like(pattern: &str, s: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('%', rest)) => (0..=s.len()).any(|i| go(rest, &s[i..])),
            Some(('_', rest)) => !s.is_empty() && go(rest, &s[1..]),
            Some((c, rest)) => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    go(&p, &s)
}

/// Both NULL, or equal within a relative 1e-12 (sums of the same numbers in another order).
pub fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs()),
        _ => false,
    }
}

/// Reference nullable sum (SQL `sum`): `acc + v`, NULLs ignored.
pub fn sql_sum(acc: Option<f64>, v: Option<f64>) -> Option<f64> {
    match (acc, v) {
        (a, None) => a,
        (None, Some(v)) => Some(v),
        (Some(a), Some(v)) => Some(a + v),
    }
}

/// Reference nullable max (SQL `max`), NULLs ignored.
pub fn sql_max(acc: Option<f64>, v: Option<f64>) -> Option<f64> {
    match (acc, v) {
        (a, None) => a,
        (None, Some(v)) => Some(v),
        (Some(a), Some(v)) => Some(a.max(v)),
    }
}
