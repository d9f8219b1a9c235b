//! The pod_usage frames: hourly rows with their cached per-row draws, feeding the daily rollup.

use super::fill::{push_f64s, push_i64s, push_strs, Clock, RowWindow};
use super::rollup::{DailyWindow, Kahan, Rollup};
use crate::topology::Topology;
use ocp_summary_ingest::pq::{push_opt_str, Buf, Frame};

/// Hourly pod frame. Per-row draws are cached per row group as (pod seconds, cpu cores used,
/// memory bytes used); loading a row group also feeds the chunk's daily rollup.
pub(super) struct PodHourly<'a> {
    pub(super) topo: &'a Topology,
    pub(super) clock: Clock,
    pub(super) win: RowWindow<'a>,
    pub(super) vals: Vec<[f64; 3]>,
    pub(super) rollup: Rollup<PodDay>,
}

impl Frame for PodHourly<'_> {
    fn load(&mut self, start: usize, len: usize) {
        self.win.load(start, len);
        self.vals.clear();
        let topo = self.topo;
        for &(h, p) in &self.win.rows {
            let secs = topo.pod_secs(p as usize, h);
            let (c, m) = topo.pod_usage(p as usize, h);
            self.vals.push([secs, c, m]);
            let pod = &topo.pods[p as usize];
            let day = h / 24;
            let s = &mut self
                .rollup
                .slot(p, day, || PodDay {
                    pod: p,
                    day,
                    sums: [Kahan::default(); 10],
                })
                .sums;
            let (u_c, r_c, l_c) = (c * secs, pod.req_cpu * secs, pod.lim_cpu * secs);
            let (u_m, r_m, l_m) = (m * secs, pod.req_mem * secs, pod.lim_mem * secs);
            s[0].add(u_c);
            s[1].add(r_c);
            s[2].add(u_c.max(r_c));
            s[3].add(l_c);
            s[4].add(u_m);
            s[5].add(r_m);
            s[6].add(u_m.max(r_m));
            s[7].add(l_m);
            s[8].add(pod.cores * 3600.0);
            s[9].add(pod.mem * 3600.0);
        }
    }

    fn fill(&self, col: usize, lo: usize, hi: usize, buf: &mut Buf) {
        let rows = &self.win.rows[lo..hi];
        let vals = &self.vals[lo..hi];
        let pods = &self.topo.pods;
        let pod = |r: &(u32, u32)| &pods[r.1 as usize];
        let rv = || rows.iter().zip(vals).map(|(r, v)| (pod(r), v));
        match col {
            0..=3 => self.clock.fill_ts(col, rows, buf),
            4 => push_strs(buf, rows.iter().map(|r| &pod(r).name)),
            5 => push_strs(buf, rows.iter().map(|r| &pod(r).namespace)),
            6 => push_strs(buf, rows.iter().map(|r| &pod(r).node)),
            7 => push_strs(buf, rows.iter().map(|r| &pod(r).resource_id)),
            8 => push_f64s(buf, rv().map(|(_, v)| v[1] * v[0])),
            9 => push_f64s(buf, rv().map(|(p, v)| p.req_cpu * v[0])),
            10 => push_f64s(buf, rv().map(|(p, v)| p.lim_cpu * v[0])),
            11 => push_f64s(buf, rv().map(|(_, v)| v[2] * v[0])),
            12 => push_f64s(buf, rv().map(|(p, v)| p.req_mem * v[0])),
            13 => push_f64s(buf, rv().map(|(p, v)| p.lim_mem * v[0])),
            14 => push_f64s(buf, rows.iter().map(|r| pod(r).cores)),
            15 => push_f64s(buf, rows.iter().map(|r| pod(r).cores * 3600.0)),
            16 => push_f64s(buf, rows.iter().map(|r| pod(r).mem)),
            17 => push_f64s(buf, rows.iter().map(|r| pod(r).mem * 3600.0)),
            18 => {
                for r in rows {
                    push_opt_str(buf, pod(r).labels.as_ref());
                }
            }
            19 => push_f64s(buf, rv().map(|(p, v)| (v[1] * v[0]).max(p.req_cpu * v[0]))),
            20 => push_f64s(buf, rv().map(|(p, v)| (v[2] * v[0]).max(p.req_mem * v[0]))),
            _ => unreachable!(),
        }
    }
}

/// One daily pod row: sums in [`POD_DAILY`](super::schema::POD_DAILY) order (usage, request,
/// effective, limit for cpu, then memory; then node cpu-seconds and node memory byte-seconds).
pub(super) struct PodDay {
    pub(super) pod: u32,
    pub(super) day: u32,
    pub(super) sums: [Kahan; 10],
}

pub(super) struct PodDaily<'a> {
    pub(super) topo: &'a Topology,
    pub(super) clock: Clock,
    pub(super) win: DailyWindow<'a, PodDay>,
}

impl Frame for PodDaily<'_> {
    fn load(&mut self, start: usize, len: usize) {
        self.win.load(start, len);
    }

    fn fill(&self, col: usize, lo: usize, hi: usize, buf: &mut Buf) {
        let rows = self.win.rows(lo, hi);
        let pods = &self.topo.pods;
        let pod = |r: &PodDay| &pods[r.pod as usize];
        match col {
            0 => push_strs(buf, rows.iter().map(|r| &pod(r).namespace)),
            1 => push_strs(buf, rows.iter().map(|r| &pod(r).node)),
            2 => push_strs(buf, rows.iter().map(|r| &pod(r).name)),
            3 => {
                for r in rows {
                    push_opt_str(buf, pod(r).labels.as_ref());
                }
            }
            4 => push_i64s(buf, rows.iter().map(|r| self.clock.day(r.day))),
            5 => push_i64s(buf, rows.iter().map(|_| self.clock.rp_start)),
            6 => push_i64s(buf, rows.iter().map(|_| self.clock.rp_end)),
            7 => push_strs(buf, rows.iter().map(|r| &pod(r).resource_id)),
            8..=15 => push_f64s(buf, rows.iter().map(|r| r.sums[col - 8].get())),
            16 => push_f64s(buf, rows.iter().map(|r| pod(r).cores)),
            17 => push_f64s(buf, rows.iter().map(|r| r.sums[8].get())),
            18 => push_f64s(buf, rows.iter().map(|r| pod(r).mem)),
            19 => push_f64s(buf, rows.iter().map(|r| r.sums[9].get())),
            20 if self.topo.params.cluster_cases => {
                for r in rows {
                    push_opt_str(buf, pod(r).node_role.as_ref());
                }
            }
            20 => buf.defs.resize(rows.len(), 0),
            _ => unreachable!(),
        }
    }
}
