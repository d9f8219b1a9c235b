//! What every frame fills its columns from: the timestamps of a month segment ([`Clock`]), the
//! `(hour, entity)` rows of the current hourly row group ([`RowWindow`]), and pushes of
//! all-defined values into a column buffer.

use crate::time::{Segment, MS_PER_DAY, MS_PER_HOUR};
use crate::topology::{Stream, Topology};
use ocp_summary_ingest::pq::{all_defined, Buf};

/// Time context shared by frames of one month segment.
#[derive(Clone, Copy)]
pub(super) struct Clock {
    /// Start of the run (midnight of `--start`), ms since the epoch.
    origin_ms: i64,
    pub(super) rp_start: i64,
    pub(super) rp_end: i64,
}

impl Clock {
    pub(super) fn new(topo: &Topology, seg: &Segment) -> Self {
        Clock {
            origin_ms: topo.params.start_day * MS_PER_DAY,
            rp_start: seg.period_start_ms,
            rp_end: seg.period_end_ms,
        }
    }

    #[inline]
    fn hour(&self, h: u32) -> i64 {
        self.origin_ms + h as i64 * MS_PER_HOUR
    }

    #[inline]
    pub(super) fn day(&self, d: u32) -> i64 {
        self.origin_ms + d as i64 * MS_PER_DAY
    }

    /// Fills one of the four leading timestamp columns of an hourly frame.
    pub(super) fn fill_ts(&self, col: usize, rows: &[(u32, u32)], buf: &mut Buf) {
        match col {
            0 => buf.i64s.resize(rows.len(), self.rp_start),
            1 => buf.i64s.resize(rows.len(), self.rp_end),
            2 => buf.i64s.extend(rows.iter().map(|&(h, _)| self.hour(h))),
            _ => buf
                .i64s
                .extend(rows.iter().map(|&(h, _)| self.hour(h) + MS_PER_HOUR - 1000)),
        }
        all_defined(buf, rows.len());
    }
}

#[inline]
pub(super) fn push_strs<'a>(
    buf: &mut Buf,
    it: impl Iterator<Item = &'a parquet::data_type::ByteArray>,
) {
    let before = buf.bytes.len();
    buf.bytes.extend(it.cloned());
    let n = buf.bytes.len() - before;
    all_defined(buf, n);
}

#[inline]
pub(super) fn push_i64s(buf: &mut Buf, it: impl Iterator<Item = i64>) {
    let before = buf.i64s.len();
    buf.i64s.extend(it);
    let n = buf.i64s.len() - before;
    all_defined(buf, n);
}

#[inline]
pub(super) fn push_f64s(buf: &mut Buf, it: impl Iterator<Item = f64>) {
    let before = buf.f64s.len();
    buf.f64s.extend(it);
    let n = buf.f64s.len() - before;
    all_defined(buf, n);
}

/// Rows `(hour, entity)` of the current row group of an hourly file, collected from the stream.
pub(super) struct RowWindow<'a> {
    stream: &'a Stream,
    first_row: u64,
    pub(super) rows: Vec<(u32, u32)>,
}

impl<'a> RowWindow<'a> {
    pub(super) fn new(stream: &'a Stream, first_row: u64) -> Self {
        RowWindow {
            stream,
            first_row,
            rows: Vec::new(),
        }
    }

    pub(super) fn load(&mut self, start: usize, len: usize) {
        self.rows.clear();
        self.stream
            .collect(self.first_row + start as u64, len, &mut self.rows);
    }
}
