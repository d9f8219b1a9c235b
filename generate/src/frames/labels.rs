//! The node_labels and namespace_labels frames: one row per entity and hour with the label set
//! of that hour, and the daily rows per (entity, label set).

use super::fill::{push_i64s, push_strs, Clock, RowWindow};
use super::rollup::{DailyWindow, Rollup};
use crate::topology::LabelEntities;
use ocp_summary_ingest::pq::{Buf, Frame};

pub(super) struct LabelHourly<'a> {
    pub(super) ents: &'a LabelEntities,
    pub(super) clock: Clock,
    pub(super) win: RowWindow<'a>,
    pub(super) rollup: Rollup<LabelDay>,
}

impl Frame for LabelHourly<'_> {
    fn load(&mut self, start: usize, len: usize) {
        self.win.load(start, len);
        for &(h, e) in &self.win.rows {
            let group = e * 2 + self.ents.variant(e as usize, h) as u32;
            let day = h / 24;
            self.rollup.slot(group, day, || LabelDay { group, day });
        }
    }

    fn fill(&self, col: usize, lo: usize, hi: usize, buf: &mut Buf) {
        let rows = &self.win.rows[lo..hi];
        let e = self.ents;
        match col {
            0..=3 => self.clock.fill_ts(col, rows, buf),
            4 => push_strs(buf, rows.iter().map(|r| &e.names[r.1 as usize])),
            5 => push_strs(
                buf,
                rows.iter()
                    .map(|&(h, i)| &e.labels[i as usize][e.variant(i as usize, h)]),
            ),
            _ => unreachable!(),
        }
    }
}

/// Daily label row: group = 2 * entity + variant.
pub(super) struct LabelDay {
    pub(super) group: u32,
    pub(super) day: u32,
}

pub(super) struct LabelDaily<'a> {
    pub(super) ents: &'a LabelEntities,
    pub(super) clock: Clock,
    pub(super) win: DailyWindow<'a, LabelDay>,
}

impl Frame for LabelDaily<'_> {
    fn load(&mut self, start: usize, len: usize) {
        self.win.load(start, len);
    }

    fn fill(&self, col: usize, lo: usize, hi: usize, buf: &mut Buf) {
        let rows = self.win.rows(lo, hi);
        let e = self.ents;
        match col {
            0 => push_strs(buf, rows.iter().map(|r| &e.names[r.group as usize / 2])),
            1 => push_strs(
                buf,
                rows.iter()
                    .map(|r| &e.labels[r.group as usize / 2][r.group as usize % 2]),
            ),
            2 => push_i64s(buf, rows.iter().map(|r| self.clock.day(r.day))),
            3 => push_i64s(buf, rows.iter().map(|_| self.clock.rp_start)),
            4 => push_i64s(buf, rows.iter().map(|_| self.clock.rp_end)),
            _ => unreachable!(),
        }
    }
}
