//! The storage_usage frames: one row per volume and hour, and its daily rollup.

use super::fill::{push_f64s, push_i64s, push_strs, Clock, RowWindow};
use super::rollup::{DailyWindow, Kahan, Rollup};
use crate::topology::Topology;
use ocp_summary_ingest::pq::{Buf, Frame};

pub(super) struct StorageHourly<'a> {
    pub(super) topo: &'a Topology,
    pub(super) clock: Clock,
    pub(super) win: RowWindow<'a>,
    pub(super) usage: Vec<f64>,
    pub(super) rollup: Rollup<VolDay>,
}

impl Frame for StorageHourly<'_> {
    fn load(&mut self, start: usize, len: usize) {
        self.win.load(start, len);
        self.usage.clear();
        let topo = self.topo;
        for &(h, v) in &self.win.rows {
            let u = topo.volume_usage(v as usize, h);
            self.usage.push(u);
            let vol = &topo.volumes[v as usize];
            let day = h / 24;
            let s = &mut self
                .rollup
                .slot(v, day, || VolDay {
                    vol: v,
                    day,
                    sums: [Kahan::default(); 3],
                })
                .sums;
            s[0].add(vol.cap * 3600.0);
            s[1].add(vol.req * 3600.0);
            s[2].add(u * 3600.0);
        }
    }

    fn fill(&self, col: usize, lo: usize, hi: usize, buf: &mut Buf) {
        let rows = &self.win.rows[lo..hi];
        let vols = &self.topo.volumes;
        let v = |r: &(u32, u32)| &vols[r.1 as usize];
        match col {
            0..=3 => self.clock.fill_ts(col, rows, buf),
            4 => push_strs(buf, rows.iter().map(|r| &v(r).namespace)),
            5 => push_strs(buf, rows.iter().map(|r| &v(r).pod)),
            6 => push_strs(buf, rows.iter().map(|r| &v(r).node)),
            7 => push_strs(buf, rows.iter().map(|r| &v(r).pvc)),
            8 => push_strs(buf, rows.iter().map(|r| &v(r).pv)),
            9 => push_strs(buf, rows.iter().map(|r| &v(r).storageclass)),
            10 => push_strs(buf, rows.iter().map(|r| &v(r).csi_driver)),
            11 => push_strs(buf, rows.iter().map(|r| &v(r).csi_volume_handle)),
            12 => push_f64s(buf, rows.iter().map(|r| v(r).cap)),
            13 => push_f64s(buf, rows.iter().map(|r| v(r).cap * 3600.0)),
            14 => push_f64s(buf, rows.iter().map(|r| v(r).req * 3600.0)),
            15 => push_f64s(buf, self.usage[lo..hi].iter().map(|u| u * 3600.0)),
            16 => push_strs(buf, rows.iter().map(|r| &v(r).pv_labels)),
            17 => push_strs(buf, rows.iter().map(|r| &v(r).pvc_labels)),
            _ => unreachable!(),
        }
    }
}

pub(super) struct VolDay {
    pub(super) vol: u32,
    pub(super) day: u32,
    pub(super) sums: [Kahan; 3],
}

pub(super) struct StorageDaily<'a> {
    pub(super) topo: &'a Topology,
    pub(super) clock: Clock,
    pub(super) win: DailyWindow<'a, VolDay>,
}

impl Frame for StorageDaily<'_> {
    fn load(&mut self, start: usize, len: usize) {
        self.win.load(start, len);
    }

    fn fill(&self, col: usize, lo: usize, hi: usize, buf: &mut Buf) {
        let rows = self.win.rows(lo, hi);
        let vols = &self.topo.volumes;
        let v = |r: &VolDay| &vols[r.vol as usize];
        match col {
            0 => push_strs(buf, rows.iter().map(|r| &v(r).namespace)),
            1 => push_strs(buf, rows.iter().map(|r| &v(r).node)),
            2 => push_strs(buf, rows.iter().map(|r| &v(r).pod)),
            3 => push_strs(buf, rows.iter().map(|r| &v(r).pvc)),
            4 => push_strs(buf, rows.iter().map(|r| &v(r).pv)),
            5 => push_strs(buf, rows.iter().map(|r| &v(r).storageclass)),
            6 => push_strs(buf, rows.iter().map(|r| &v(r).csi_driver)),
            7 => push_strs(buf, rows.iter().map(|r| &v(r).csi_volume_handle)),
            8 => push_strs(buf, rows.iter().map(|r| &v(r).pv_labels)),
            9 => push_strs(buf, rows.iter().map(|r| &v(r).pvc_labels)),
            10 => push_i64s(buf, rows.iter().map(|r| self.clock.day(r.day))),
            11 => push_i64s(buf, rows.iter().map(|_| self.clock.rp_start)),
            12 => push_i64s(buf, rows.iter().map(|_| self.clock.rp_end)),
            13 => push_f64s(buf, rows.iter().map(|r| v(r).cap)),
            14..=16 => push_f64s(buf, rows.iter().map(|r| r.sums[col - 14].get())),
            _ => unreachable!(),
        }
    }
}
