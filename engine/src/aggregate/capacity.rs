//! Node and cluster capacity from hourly pod rows (spec §5).
//!
//! For each (interval, node) the capacity is the max over that interval's pod rows; a node's daily
//! capacity is the sum of those maxima over the day's intervals, and the cluster's is the sum over
//! all nodes, the empty and NULL node included (E1). A partial holds one entry per (interval, node)
//! seen in a row group, a few thousand at most, so the per-row work is one hash probe.

use super::{add_opt, max_opt};
use crate::decode::rowgroup::RowGroupData;
use crate::plan::columns::{ColumnKind, ColumnRequest};
use crate::value::date::Day;
use hashbrown::HashMap;
use std::ops::Range;

pub const COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("node", ColumnKind::String),
    ColumnRequest::required("node_capacity_cpu_core_seconds", ColumnKind::Double),
    ColumnRequest::required("node_capacity_memory_byte_seconds", ColumnKind::Double),
];

/// Max capacity seconds of one (interval, node).
#[derive(Debug, Clone, Copy, Default)]
pub struct IntervalMax {
    pub cpu: Option<f64>,
    pub mem: Option<f64>,
}

pub type CapacityPartial = Vec<((i64, u32), IntervalMax)>;

/// Worker-side state, reused across row groups.
#[derive(Default)]
pub struct CapacityWorker {
    map: HashMap<(i64, u32), IntervalMax>,
}

impl CapacityWorker {
    pub fn run(&mut self, data: &RowGroupData, ms: &Range<i64>) -> CapacityPartial {
        let [ts, node, cpu, mem] = &data.columns[..] else {
            unreachable!("capacity reads four columns")
        };
        self.map.clear();
        for i in 0..data.num_rows {
            let t = ts.i64s[i];
            if !ts.valid[i] || !ms.contains(&t) {
                continue;
            }
            let e = self.map.entry((t, node.ids[i])).or_default();
            max_opt(&mut e.cpu, cpu.valid[i].then(|| cpu.f64s[i]));
            max_opt(&mut e.mem, mem.valid[i].then(|| mem.f64s[i]));
        }
        self.map.drain().collect()
    }
}

/// Run-wide maxima per (interval, node).
#[derive(Default)]
pub struct CapacityTable {
    intervals: HashMap<(i64, u32), IntervalMax>,
}

/// Daily capacity seconds: per node and per cluster.
#[derive(Default)]
pub struct DailyCapacity {
    pub node: HashMap<(Day, u32), IntervalMax>,
    pub cluster: HashMap<Day, IntervalMax>,
}

impl CapacityTable {
    pub fn merge(&mut self, partial: CapacityPartial) {
        for (key, v) in partial {
            let e = self.intervals.entry(key).or_default();
            max_opt(&mut e.cpu, v.cpu);
            max_opt(&mut e.mem, v.mem);
        }
    }

    /// Moves out the intervals of days before `day`.
    pub fn split_before(&mut self, day: Day) -> CapacityTable {
        CapacityTable {
            intervals: super::take_days_before(&mut self.intervals, day, |k| Day::of_millis(k.0)),
        }
    }

    /// Sums maxima per day in a fixed order (node id, then interval) for repeatable results.
    pub fn daily(&self) -> DailyCapacity {
        let mut entries: Vec<_> = self.intervals.iter().map(|(k, v)| (*k, *v)).collect();
        entries.sort_unstable_by_key(|((t, node), _)| (*node, *t));
        let mut daily = DailyCapacity::default();
        for ((t, node), v) in entries {
            let e = daily.node.entry((Day::of_millis(t), node)).or_default();
            add_opt(&mut e.cpu, v.cpu);
            add_opt(&mut e.mem, v.mem);
        }
        let mut nodes: Vec<_> = daily.node.iter().collect();
        nodes.sort_unstable_by_key(|((day, node), _)| (*day, *node));
        for ((day, _), v) in nodes {
            let e = daily.cluster.entry(*day).or_default();
            add_opt(&mut e.cpu, v.cpu);
            add_opt(&mut e.mem, v.mem);
        }
        daily
    }
}
