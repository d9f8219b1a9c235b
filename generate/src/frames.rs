//! Report schemas, hourly/daily frames and the per-chunk task (one hourly file + its daily rollup).

use std::path::PathBuf;
use std::sync::Arc;

use parquet::file::properties::WriterProperties;

use super::time::{Segment, MS_PER_DAY, MS_PER_HOUR};
use super::topology::{LabelEntities, Stream, Topology};
use ocp_summary_ingest::pq::{all_defined, push_opt_str, write_file, Buf, Frame, Kind, Schema};

/// Report types, in the order of [`Topology::streams`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Report {
    Pod = 0,
    Storage = 1,
    NodeLabels = 2,
    NamespaceLabels = 3,
}

impl Report {
    pub const ALL: [Report; 4] = [
        Report::Pod,
        Report::Storage,
        Report::NodeLabels,
        Report::NamespaceLabels,
    ];

    pub fn dir(self) -> &'static str {
        match self {
            Report::Pod => "pod_usage",
            Report::Storage => "storage_usage",
            Report::NodeLabels => "node_labels",
            Report::NamespaceLabels => "namespace_labels",
        }
    }
}

use Kind::{Str, Ts, F64};

/// Hourly columns whose value is a fresh random draw on every row (dictionary disabled; see
/// [`super::pq::writer_props`]). Column paths are per name, so this also affects the daily files'
/// sums of the same names, which are just as distinct.
pub const PLAIN_COLUMNS: &[&str] = &[
    "pod_usage_cpu_core_seconds",
    "pod_usage_memory_byte_seconds",
    "pod_effective_usage_cpu_core_seconds",
    "pod_effective_usage_memory_byte_seconds",
    "persistentvolumeclaim_usage_byte_seconds",
];

pub const POD_HOURLY: &[(&str, Kind)] = &[
    ("report_period_start", Ts),
    ("report_period_end", Ts),
    ("interval_start", Ts),
    ("interval_end", Ts),
    ("pod", Str),
    ("namespace", Str),
    ("node", Str),
    ("resource_id", Str),
    ("pod_usage_cpu_core_seconds", F64),
    ("pod_request_cpu_core_seconds", F64),
    ("pod_limit_cpu_core_seconds", F64),
    ("pod_usage_memory_byte_seconds", F64),
    ("pod_request_memory_byte_seconds", F64),
    ("pod_limit_memory_byte_seconds", F64),
    ("node_capacity_cpu_cores", F64),
    ("node_capacity_cpu_core_seconds", F64),
    ("node_capacity_memory_bytes", F64),
    ("node_capacity_memory_byte_seconds", F64),
    ("pod_labels", Str),
    ("pod_effective_usage_cpu_core_seconds", F64),
    ("pod_effective_usage_memory_byte_seconds", F64),
];

pub const POD_DAILY: &[(&str, Kind)] = &[
    ("namespace", Str),
    ("node", Str),
    ("pod", Str),
    ("pod_labels", Str),
    ("interval_start", Ts),
    ("report_period_start", Ts),
    ("report_period_end", Ts),
    ("resource_id", Str),
    ("pod_usage_cpu_core_seconds", F64),
    ("pod_request_cpu_core_seconds", F64),
    ("pod_effective_usage_cpu_core_seconds", F64),
    ("pod_limit_cpu_core_seconds", F64),
    ("pod_usage_memory_byte_seconds", F64),
    ("pod_request_memory_byte_seconds", F64),
    ("pod_effective_usage_memory_byte_seconds", F64),
    ("pod_limit_memory_byte_seconds", F64),
    ("node_capacity_cpu_cores", F64),
    ("node_capacity_cpu_core_seconds", F64),
    ("node_capacity_memory_bytes", F64),
    ("node_capacity_memory_byte_seconds", F64),
    ("node_role", Str),
];

pub const STORAGE_HOURLY: &[(&str, Kind)] = &[
    ("report_period_start", Ts),
    ("report_period_end", Ts),
    ("interval_start", Ts),
    ("interval_end", Ts),
    ("namespace", Str),
    ("pod", Str),
    ("node", Str),
    ("persistentvolumeclaim", Str),
    ("persistentvolume", Str),
    ("storageclass", Str),
    ("csi_driver", Str),
    ("csi_volume_handle", Str),
    ("persistentvolumeclaim_capacity_bytes", F64),
    ("persistentvolumeclaim_capacity_byte_seconds", F64),
    ("volume_request_storage_byte_seconds", F64),
    ("persistentvolumeclaim_usage_byte_seconds", F64),
    ("persistentvolume_labels", Str),
    ("persistentvolumeclaim_labels", Str),
];

pub const STORAGE_DAILY: &[(&str, Kind)] = &[
    ("namespace", Str),
    ("node", Str),
    ("pod", Str),
    ("persistentvolumeclaim", Str),
    ("persistentvolume", Str),
    ("storageclass", Str),
    ("csi_driver", Str),
    ("csi_volume_handle", Str),
    ("persistentvolume_labels", Str),
    ("persistentvolumeclaim_labels", Str),
    ("interval_start", Ts),
    ("report_period_start", Ts),
    ("report_period_end", Ts),
    ("persistentvolumeclaim_capacity_bytes", F64),
    ("persistentvolumeclaim_capacity_byte_seconds", F64),
    ("volume_request_storage_byte_seconds", F64),
    ("persistentvolumeclaim_usage_byte_seconds", F64),
];

pub const NODE_LABELS_HOURLY: &[(&str, Kind)] = &[
    ("report_period_start", Ts),
    ("report_period_end", Ts),
    ("interval_start", Ts),
    ("interval_end", Ts),
    ("node", Str),
    ("node_labels", Str),
];

pub const NODE_LABELS_DAILY: &[(&str, Kind)] = &[
    ("node", Str),
    ("node_labels", Str),
    ("interval_start", Ts),
    ("report_period_start", Ts),
    ("report_period_end", Ts),
];

pub const NS_LABELS_HOURLY: &[(&str, Kind)] = &[
    ("report_period_start", Ts),
    ("report_period_end", Ts),
    ("interval_start", Ts),
    ("interval_end", Ts),
    ("namespace", Str),
    ("namespace_labels", Str),
];

pub const NS_LABELS_DAILY: &[(&str, Kind)] = &[
    ("namespace", Str),
    ("namespace_labels", Str),
    ("interval_start", Ts),
    ("report_period_start", Ts),
    ("report_period_end", Ts),
];

/// Parsed schemas, built once per run.
pub struct Schemas {
    pub hourly: [Schema; 4],
    pub daily: [Schema; 4],
}

impl Schemas {
    pub fn new() -> Self {
        Schemas {
            hourly: [
                Schema::new(POD_HOURLY),
                Schema::new(STORAGE_HOURLY),
                Schema::new(NODE_LABELS_HOURLY),
                Schema::new(NS_LABELS_HOURLY),
            ],
            daily: [
                Schema::new(POD_DAILY),
                Schema::new(STORAGE_DAILY),
                Schema::new(NODE_LABELS_DAILY),
                Schema::new(NS_LABELS_DAILY),
            ],
        }
    }
}

/// pandas' `group_sum` (Kahan-compensated, in row order).
#[derive(Debug, Clone, Copy, Default)]
pub struct Kahan {
    sum: f64,
    comp: f64,
}

impl Kahan {
    #[inline]
    pub fn add(&mut self, v: f64) {
        let y = v - self.comp;
        let t = self.sum + y;
        self.comp = t - self.sum - y;
        if self.comp.is_nan() {
            self.comp = 0.0;
        }
        self.sum = t;
    }

    #[inline]
    pub fn get(&self) -> f64 {
        self.sum
    }
}

/// Maps (group, day) to an accumulator slot; rows arrive day by day (hour-ordered), so a dense
/// per-group slot table reset at each day change suffices.
struct Grouper {
    slot: Vec<u32>,
    touched: Vec<u32>,
    day: u32,
}

impl Grouper {
    fn new(groups: usize) -> Self {
        Grouper {
            slot: vec![u32::MAX; groups],
            touched: Vec::new(),
            day: u32::MAX,
        }
    }

    /// Slot of `(group, day)`; `fresh` is called (and must push one accumulator) on first sight.
    #[inline]
    fn get(&mut self, group: u32, day: u32, len: usize, fresh: impl FnOnce()) -> usize {
        if day != self.day {
            for &g in &self.touched {
                self.slot[g as usize] = u32::MAX;
            }
            self.touched.clear();
            self.day = day;
        }
        let s = &mut self.slot[group as usize];
        if *s == u32::MAX {
            *s = len as u32;
            self.touched.push(group);
            fresh();
        }
        *s as usize
    }
}

/// Time context shared by frames of one month segment.
#[derive(Clone, Copy)]
struct Clock {
    /// Start of the run (midnight of `--start`), ms since the epoch.
    origin_ms: i64,
    rp_start: i64,
    rp_end: i64,
}

impl Clock {
    fn new(topo: &Topology, seg: &Segment) -> Self {
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
    fn day(&self, d: u32) -> i64 {
        self.origin_ms + d as i64 * MS_PER_DAY
    }

    /// Fills one of the four leading timestamp columns of an hourly frame.
    fn fill_ts(&self, col: usize, rows: &[(u32, u32)], buf: &mut Buf) {
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
fn push_strs<'a>(buf: &mut Buf, it: impl Iterator<Item = &'a parquet::data_type::ByteArray>) {
    let before = buf.bytes.len();
    buf.bytes.extend(it.cloned());
    let n = buf.bytes.len() - before;
    all_defined(buf, n);
}

#[inline]
fn push_i64s(buf: &mut Buf, it: impl Iterator<Item = i64>) {
    let before = buf.i64s.len();
    buf.i64s.extend(it);
    let n = buf.i64s.len() - before;
    all_defined(buf, n);
}

#[inline]
fn push_f64s(buf: &mut Buf, it: impl Iterator<Item = f64>) {
    let before = buf.f64s.len();
    buf.f64s.extend(it);
    let n = buf.f64s.len() - before;
    all_defined(buf, n);
}

/// Rows `(hour, entity)` of the current row group of an hourly file, collected from the stream.
struct RowWindow<'a> {
    stream: &'a Stream,
    first_row: u64,
    rows: Vec<(u32, u32)>,
}

impl<'a> RowWindow<'a> {
    fn new(stream: &'a Stream, first_row: u64) -> Self {
        RowWindow {
            stream,
            first_row,
            rows: Vec::new(),
        }
    }

    fn load(&mut self, start: usize, len: usize) {
        self.rows.clear();
        self.stream
            .collect(self.first_row + start as u64, len, &mut self.rows);
    }
}

/// Daily rollup state of one chunk: accumulators in first-seen order, sorted at the end.
struct Rollup<T> {
    grouper: Grouper,
    days: Vec<T>,
}

impl<T> Rollup<T> {
    fn new(groups: usize) -> Self {
        Rollup {
            grouper: Grouper::new(groups),
            days: Vec::new(),
        }
    }

    #[inline]
    fn slot(&mut self, group: u32, day: u32, fresh: impl FnOnce() -> T) -> &mut T {
        let n = self.days.len();
        let days = &mut self.days;
        let i = self.grouper.get(group, day, n, || days.push(fresh()));
        &mut self.days[i]
    }
}

/// A daily frame over sorted accumulators: `off..off + len` is the current row group.
struct DailyWindow<'a, T> {
    all: &'a [T],
    off: usize,
    len: usize,
}

impl<'a, T> DailyWindow<'a, T> {
    fn new(all: &'a [T]) -> Self {
        DailyWindow {
            all,
            off: 0,
            len: 0,
        }
    }

    fn load(&mut self, start: usize, len: usize) {
        self.off = start;
        self.len = len;
    }

    fn rows(&self, lo: usize, hi: usize) -> &'a [T] {
        &self.all[self.off..self.off + self.len][lo..hi]
    }
}

// ------------------------------------------------------------------------------------------------ pod

/// Hourly pod frame. Per-row draws are cached per row group as (pod seconds, cpu cores used,
/// memory bytes used); loading a row group also feeds the chunk's daily rollup.
struct PodHourly<'a> {
    topo: &'a Topology,
    clock: Clock,
    win: RowWindow<'a>,
    vals: Vec<[f64; 3]>,
    rollup: Rollup<PodDay>,
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

/// One daily pod row: sums in [`POD_DAILY`] order (usage, request, effective, limit for cpu, then
/// memory; then node cpu-seconds and node memory byte-seconds).
struct PodDay {
    pod: u32,
    day: u32,
    sums: [Kahan; 10],
}

struct PodDaily<'a> {
    topo: &'a Topology,
    clock: Clock,
    win: DailyWindow<'a, PodDay>,
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
            20 => buf.defs.resize(rows.len(), 0),
            _ => unreachable!(),
        }
    }
}

// ------------------------------------------------------------------------------------------------ storage

struct StorageHourly<'a> {
    topo: &'a Topology,
    clock: Clock,
    win: RowWindow<'a>,
    usage: Vec<f64>,
    rollup: Rollup<VolDay>,
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

struct VolDay {
    vol: u32,
    day: u32,
    sums: [Kahan; 3],
}

struct StorageDaily<'a> {
    topo: &'a Topology,
    clock: Clock,
    win: DailyWindow<'a, VolDay>,
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

// ------------------------------------------------------------------------------------------------ labels

struct LabelHourly<'a> {
    ents: &'a LabelEntities,
    clock: Clock,
    win: RowWindow<'a>,
    rollup: Rollup<LabelDay>,
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
struct LabelDay {
    group: u32,
    day: u32,
}

struct LabelDaily<'a> {
    ents: &'a LabelEntities,
    clock: Clock,
    win: DailyWindow<'a, LabelDay>,
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

// ------------------------------------------------------------------------------------------------ task

/// One unit of work: chunk `chunk` of report `report` in month segment `seg`.
#[derive(Debug, Clone)]
pub struct Task {
    pub report: Report,
    pub seg: usize,
    pub chunk: u64,
    /// Row offset of the chunk inside its stream (global row index).
    pub first_row: u64,
    pub rows: usize,
    pub hourly_path: PathBuf,
    pub daily_path: PathBuf,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct TaskResult {
    pub hourly_rows: u64,
    pub daily_rows: u64,
    pub bytes: u64,
}

/// Writes the hourly file of `task` and then the daily file rolled up from exactly those rows.
pub fn run_task(
    topo: &Topology,
    schemas: &Schemas,
    props: &Arc<WriterProperties>,
    rows_per_rg: usize,
    task: &Task,
) -> anyhow::Result<TaskResult> {
    let seg = &topo.segments[task.seg];
    let clock = Clock::new(topo, seg);
    let stream = &topo.streams[task.report as usize];
    let hs = &schemas.hourly[task.report as usize];
    let ds = &schemas.daily[task.report as usize];
    let win = RowWindow::new(stream, task.first_row);
    let (hb, db, daily_rows) = match task.report {
        Report::Pod => {
            let mut f = PodHourly {
                topo,
                clock,
                win,
                vals: Vec::new(),
                rollup: Rollup::new(topo.pods.len()),
            };
            let hb = write_file(&task.hourly_path, hs, props, task.rows, rows_per_rg, &mut f)?;
            let mut days = f.rollup.days;
            days.sort_by_key(|d| (topo.pod_rank[d.pod as usize], d.day));
            let mut d = PodDaily {
                topo,
                clock,
                win: DailyWindow::new(&days),
            };
            let db = write_file(&task.daily_path, ds, props, days.len(), rows_per_rg, &mut d)?;
            (hb, db, days.len())
        }
        Report::Storage => {
            let mut f = StorageHourly {
                topo,
                clock,
                win,
                usage: Vec::new(),
                rollup: Rollup::new(topo.volumes.len()),
            };
            let hb = write_file(&task.hourly_path, hs, props, task.rows, rows_per_rg, &mut f)?;
            let mut days = f.rollup.days;
            days.sort_by_key(|d| (topo.volume_rank[d.vol as usize], d.day));
            let mut d = StorageDaily {
                topo,
                clock,
                win: DailyWindow::new(&days),
            };
            let db = write_file(&task.daily_path, ds, props, days.len(), rows_per_rg, &mut d)?;
            (hb, db, days.len())
        }
        Report::NodeLabels | Report::NamespaceLabels => {
            let (ents, rank) = if task.report == Report::NodeLabels {
                (&topo.node_labels, &topo.node_label_rank)
            } else {
                (&topo.ns_labels, &topo.ns_label_rank)
            };
            let mut f = LabelHourly {
                ents,
                clock,
                win,
                rollup: Rollup::new(ents.names.len() * 2),
            };
            let hb = write_file(&task.hourly_path, hs, props, task.rows, rows_per_rg, &mut f)?;
            let mut days = f.rollup.days;
            days.sort_by_key(|d| (rank[d.group as usize], d.day));
            let mut d = LabelDaily {
                ents,
                clock,
                win: DailyWindow::new(&days),
            };
            let db = write_file(&task.daily_path, ds, props, days.len(), rows_per_rg, &mut d)?;
            (hb, db, days.len())
        }
    };
    Ok(TaskResult {
        hourly_rows: task.rows as u64,
        daily_rows: daily_rows as u64,
        bytes: hb + db,
    })
}

/// Builds the task list: for each month segment and report, chunks of `rows_per_file` rows.
/// File names: `<basename>_<chunk>.parquet` / `<basename>_daily_<chunk>.parquet`, with basename
/// `openshift_report.<n>` where `n = 4 * segment + report` (one "CSV" per report and month).
pub fn plan(
    topo: &Topology,
    rows_per_file: usize,
    dirs: &dyn Fn(Report, &Segment, bool) -> PathBuf,
) -> Vec<Task> {
    let mut tasks = Vec::new();
    let rpf = rows_per_file.max(1) as u64;
    for (si, seg) in topo.segments.iter().enumerate() {
        for report in Report::ALL {
            let stream = &topo.streams[report as usize];
            let base = stream.cum[seg.first_hour as usize];
            let total = stream.rows_between(seg.first_hour, seg.end_hour);
            let basename = format!("openshift_report.{}", si * 4 + report as usize);
            let mut chunk = 0u64;
            while chunk * rpf < total {
                let rows = (total - chunk * rpf).min(rpf) as usize;
                tasks.push(Task {
                    report,
                    seg: si,
                    chunk,
                    first_row: base + chunk * rpf,
                    rows,
                    hourly_path: dirs(report, seg, false)
                        .join(format!("{basename}_{chunk}.parquet")),
                    daily_path: dirs(report, seg, true)
                        .join(format!("{basename}_daily_{chunk}.parquet")),
                });
                chunk += 1;
            }
        }
    }
    tasks
}
