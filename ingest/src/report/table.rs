//! The in-memory frame of one chunk: typed columns, written to Parquet through [`pq::write_file`].

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use anyhow::Context;
use parquet::data_type::ByteArray;

use crate::pq::{self, Buf, Frame, Kind, Schema};

/// Column names as `&'static str` (the Parquet schema helper wants them); each distinct name is
/// leaked once.
pub(super) fn static_name(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock().unwrap();
    if let Some(n) = names.iter().find(|n| **n == name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.push(n);
    n
}

/// A column of a frame. Hourly frames have no NULL strings; the daily frame's added
/// new-version columns are all NULL.
#[derive(Debug, Clone)]
pub(super) enum Col {
    Ts(Vec<Option<i64>>),
    F64(Vec<f64>),
    Str(Vec<Option<String>>),
    /// pandas' nullable `Int64` (the GPU report's MIG counts).
    I64(Vec<Option<i64>>),
}

impl Col {
    pub(super) fn new(kind: Kind) -> Col {
        match kind {
            Kind::Ts | Kind::TsUtc => Col::Ts(Vec::new()),
            Kind::F64 => Col::F64(Vec::new()),
            Kind::Str => Col::Str(Vec::new()),
            Kind::I64 => Col::I64(Vec::new()),
        }
    }

    pub(super) fn gather(&self, rows: &[usize]) -> Col {
        match self {
            Col::Ts(v) => Col::Ts(rows.iter().map(|&r| v[r]).collect()),
            Col::F64(v) => Col::F64(rows.iter().map(|&r| v[r]).collect()),
            Col::Str(v) => Col::Str(rows.iter().map(|&r| v[r].clone()).collect()),
            Col::I64(v) => Col::I64(rows.iter().map(|&r| v[r]).collect()),
        }
    }
}

/// A frame held in memory (at most one chunk), written through [`pq::write_file`].
pub(super) struct Table {
    pub(super) names: Vec<&'static str>,
    pub(super) cols: Vec<Col>,
    pub(super) rows: usize,
    pub(super) offset: usize,
}

impl Table {
    fn schema(&self) -> Schema {
        let cols: Vec<(&'static str, Kind)> = self
            .names
            .iter()
            .zip(&self.cols)
            .map(|(n, c)| {
                let k = match c {
                    Col::Ts(_) => Kind::Ts,
                    Col::F64(_) => Kind::F64,
                    Col::Str(_) => Kind::Str,
                    Col::I64(_) => Kind::I64,
                };
                (*n, k)
            })
            .collect();
        Schema::new(&cols)
    }

    pub(super) fn col(&self, name: &str) -> Option<&Col> {
        self.names
            .iter()
            .position(|n| *n == name)
            .map(|i| &self.cols[i])
    }

    pub(super) fn col_mut(&mut self, name: &str) -> Option<&mut Col> {
        self.names
            .iter()
            .position(|n| *n == name)
            .map(|i| &mut self.cols[i])
    }

    pub(super) fn write(&mut self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let schema = self.schema();
        let rg = self.rows.max(1);
        let props = pq::writer_props(rg, &[]);
        let rows = self.rows;
        pq::write_file(path, &schema, &props, rows, rg, self)?;
        Ok(())
    }
}

impl Frame for Table {
    fn load(&mut self, start: usize, _len: usize) {
        self.offset = start;
    }

    fn fill(&self, col: usize, lo: usize, hi: usize, buf: &mut Buf) {
        let (lo, hi) = (self.offset + lo, self.offset + hi);
        match &self.cols[col] {
            Col::Ts(v) | Col::I64(v) => {
                for x in &v[lo..hi] {
                    match x {
                        Some(t) => {
                            buf.i64s.push(*t);
                            buf.defs.push(1);
                        }
                        None => buf.defs.push(0),
                    }
                }
            }
            Col::F64(v) => {
                buf.f64s.extend_from_slice(&v[lo..hi]);
                pq::all_defined(buf, hi - lo);
            }
            Col::Str(v) => {
                for x in &v[lo..hi] {
                    match x {
                        Some(s) => {
                            buf.bytes.push(ByteArray::from(s.as_bytes().to_vec()));
                            buf.defs.push(1);
                        }
                        None => buf.defs.push(0),
                    }
                }
            }
        }
    }
}
