//! The in-memory frame of one daily split of one chunk, and its Parquet file.
//!
//! Types are those pandas gives masu's frame and pyarrow writes with
//! `to_parquet(coerce_timestamps="ms")`: `str` cells → `BYTE_ARRAY (STRING)` (never NULL: the
//! converters turn an empty cell into `""`), `safe_float` cells and the `0.0` defaults →
//! `DOUBLE`, `ciso8601` dates → `INT64 TIMESTAMP(MILLIS)`, UTC-adjusted when the CUR's text has a
//! zone (`...Z`, tz-aware pandas column), naive otherwise.

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use anyhow::Context;
use parquet::data_type::ByteArray;

use crate::pq::{self, Buf, Kind, Schema};

/// One column.
#[derive(Debug, Clone, PartialEq)]
pub enum Col {
    Str(Vec<String>),
    F64(Vec<f64>),
    /// Milliseconds since the epoch; `true` = UTC-adjusted.
    Ts(Vec<i64>, bool),
}

impl Col {
    pub fn len(&self) -> usize {
        match self {
            Col::Str(v) => v.len(),
            Col::F64(v) => v.len(),
            Col::Ts(v, _) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn kind(&self) -> Kind {
        match self {
            Col::Str(_) => Kind::Str,
            Col::F64(_) => Kind::F64,
            Col::Ts(_, false) => Kind::Ts,
            Col::Ts(_, true) => Kind::TsUtc,
        }
    }
}

/// Named columns of equal length.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    pub names: Vec<String>,
    pub cols: Vec<Col>,
    pub rows: usize,
}

impl Frame {
    pub fn col(&self, name: &str) -> Option<&Col> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.cols[i])
    }

    /// Writes the frame as one Parquet file (one row group, as pyarrow does for a chunk).
    pub fn write(&self, path: &Path) -> anyhow::Result<u64> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let cols: Vec<(&'static str, Kind)> = self
            .names
            .iter()
            .zip(&self.cols)
            .map(|(n, c)| (static_name(n), c.kind()))
            .collect();
        let schema = Schema::new(&cols);
        let rg = self.rows.max(1);
        let props = pq::writer_props(rg, &[]);
        let mut writer = Writer { frame: self };
        pq::write_file(path, &schema, &props, self.rows, rg, &mut writer)
    }
}

/// Column names as `&'static str` for [`Schema`]; each distinct name is leaked once.
fn static_name(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock().unwrap();
    if let Some(n) = names.iter().find(|n| **n == name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.push(n);
    n
}

struct Writer<'a> {
    frame: &'a Frame,
}

impl pq::Frame for Writer<'_> {
    fn load(&mut self, _start: usize, _len: usize) {}

    fn fill(&self, col: usize, lo: usize, hi: usize, buf: &mut Buf) {
        match &self.frame.cols[col] {
            Col::Str(v) => {
                for s in &v[lo..hi] {
                    buf.bytes.push(ByteArray::from(s.as_bytes().to_vec()));
                }
            }
            Col::F64(v) => buf.f64s.extend_from_slice(&v[lo..hi]),
            Col::Ts(v, _) => buf.i64s.extend_from_slice(&v[lo..hi]),
        }
        pq::all_defined(buf, hi - lo);
    }
}
