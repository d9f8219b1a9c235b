//! Node and cluster capacity from hourly pod rows (spec §5).
//!
//! For each (interval, node) the capacity is the max over that interval's pod rows; a node's daily
//! capacity is the sum of those maxima over the day's intervals, and the cluster's is the sum over
//! all nodes, the empty and NULL node included (E1). A partial holds one entry per (interval, node)
//! seen in a row group, a few thousand at most, so the per-row work is one hash probe.

use super::{add_opt, max_opt};
use crate::decode::rowgroup::{ColumnData, RowGroupData};
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

/// Worker-side state, reused across row groups: each (interval, node) seen gets a dense slot.
#[derive(Default)]
pub struct CapacityWorker {
    slots: HashMap<(i64, u32), u32>,
    keys: Vec<(i64, u32)>,
    maxes: Vec<IntervalMax>,
}

impl CapacityWorker {
    pub fn run(&mut self, data: &RowGroupData, ms: &Range<i64>) -> CapacityPartial {
        let [ts, node, cpu, mem] = &data.columns[..] else {
            unreachable!("capacity reads four columns")
        };
        self.slots.clear();
        self.keys.clear();
        self.maxes.clear();
        let rows = data.num_rows;
        let (ts_ms, nodes) = (&ts.i64s[..rows], &node.ids[..rows]);
        // Hourly rows come in runs of one (interval, node) (an interval's pods, node by node): each
        // run costs one key check per row and one probe, and one pass folds its maxima.
        // Rows still fold in row order, so the maxima are the ones a fold row by row gives.
        let mut start = 0;
        while start < rows {
            let key = (ts_ms[start], nodes[start]);
            let end = start
                + 1
                + ts_ms[start + 1..]
                    .iter()
                    .zip(&nodes[start + 1..])
                    .take_while(|&(&t, &n)| (t, n) == key)
                    .count();
            self.fold_run(start..end, key, [ts, cpu, mem], ms);
            start = end;
        }
        self.keys
            .iter()
            .copied()
            .zip(self.maxes.iter().copied())
            .collect()
    }

    /// Folds rows `run`, which share `key`, into its slot, in row order. A NULL timestamp leaves
    /// its row out, as one outside the query's days does.
    fn fold_run(
        &mut self,
        run: Range<usize>,
        key: (i64, u32),
        [ts, cpu, mem]: [&ColumnData; 3],
        ms: &Range<i64>,
    ) {
        if !ms.contains(&key.0) {
            return;
        }
        // A column without NULLs (the validity's count says so in one load) skips the bit tests.
        let has = |c: &ColumnData, i: usize| c.valid.null_count() == 0 || c.valid.get(i);
        let mut kept = run.filter(|&i| has(ts, i)).peekable();
        if kept.peek().is_none() {
            return;
        }
        let slot = self.slot(key);
        let e = &mut self.maxes[slot];
        for i in kept {
            for (acc, col) in [(&mut e.cpu, cpu), (&mut e.mem, mem)] {
                if has(col, i) {
                    max_opt(acc, Some(col.f64s[i]));
                }
            }
        }
    }

    fn slot(&mut self, key: (i64, u32)) -> usize {
        let next = self.keys.len();
        let slot = *self.slots.entry(key).or_insert(next as u32) as usize;
        if slot == next {
            self.keys.push(key);
            self.maxes.push(IntervalMax::default());
        }
        slot
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{
        catalog, f64_col, id_col, intern, row_group, sql_max, sql_sum, ts_col, Rng,
    };
    use std::collections::HashMap as StdMap;

    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    const D0: i64 = 20_600;

    #[derive(Clone, Copy)]
    struct Raw {
        ts: Option<i64>,
        node: u32,
        cpu: Option<f64>,
        mem: Option<f64>,
    }

    fn range() -> Range<i64> {
        D0 * DAY..(D0 + 2) * DAY
    }

    /// Hourly rows over days D0-1..D0+2, several pods per (hour, node), the empty and NULL node
    /// included.
    fn rows(cat: &crate::catalog::Catalog, n: usize, seed: u64) -> Vec<Raw> {
        let mut rng = Rng::new(seed);
        let nodes = [
            intern(cat, Some("n1")),
            intern(cat, Some("n2")),
            intern(cat, Some("")),
            intern(cat, None),
        ];
        (0..n)
            .map(|_| {
                let hour = rng.below(4 * 24 / 6) as i64 * 6; // few distinct intervals
                let ts = (D0 - 1) * DAY + hour * HOUR;
                Raw {
                    ts: (!rng.percent(4)).then_some(ts),
                    node: rng.pick(&nodes),
                    cpu: (!rng.percent(20)).then(|| rng.below(64) as f64 * 3600.0),
                    mem: (!rng.percent(20)).then(|| rng.below(1 << 20) as f64 * 4096.0),
                }
            })
            .collect()
    }

    fn data(rows: &[Raw]) -> RowGroupData {
        row_group(
            rows.len(),
            vec![
                ts_col(&rows.iter().map(|r| r.ts).collect::<Vec<_>>()),
                id_col(&rows.iter().map(|r| r.node).collect::<Vec<_>>()),
                f64_col(&rows.iter().map(|r| r.cpu).collect::<Vec<_>>()),
                f64_col(&rows.iter().map(|r| r.mem).collect::<Vec<_>>()),
            ],
        )
    }

    type Pair = (Option<f64>, Option<f64>);

    /// Spec §5 literally: max per (interval, node); Σ of those per (day, node); Σ over nodes.
    fn reference(rows: &[Raw]) -> (StdMap<(Day, u32), Pair>, StdMap<Day, Pair>) {
        let r = range();
        let mut intervals: StdMap<(i64, u32), Pair> = StdMap::new();
        for row in rows {
            let Some(t) = row.ts.filter(|t| r.contains(t)) else {
                continue;
            };
            let e = intervals.entry((t, row.node)).or_default();
            *e = (sql_max(e.0, row.cpu), sql_max(e.1, row.mem));
        }
        let mut node: StdMap<(Day, u32), Pair> = StdMap::new();
        for ((t, n), (cpu, mem)) in intervals {
            let e = node.entry((Day((t / DAY) as i32), n)).or_default();
            *e = (sql_sum(e.0, cpu), sql_sum(e.1, mem));
        }
        let mut cluster: StdMap<Day, Pair> = StdMap::new();
        for ((day, _), (cpu, mem)) in &node {
            let e = cluster.entry(*day).or_default();
            *e = (sql_sum(e.0, *cpu), sql_sum(e.1, *mem));
        }
        (node, cluster)
    }

    fn check(daily: &DailyCapacity, rows: &[Raw]) {
        let (node, cluster) = reference(rows);
        let got_node: StdMap<(Day, u32), Pair> = daily
            .node
            .iter()
            .map(|(k, v)| (*k, (v.cpu, v.mem)))
            .collect();
        let got_cluster: StdMap<Day, Pair> = daily
            .cluster
            .iter()
            .map(|(k, v)| (*k, (v.cpu, v.mem)))
            .collect();
        assert_eq!(got_node, node);
        assert_eq!(got_cluster, cluster);
        assert_eq!(cluster.len(), 2, "both days of the range, nothing outside");
    }

    #[test]
    fn one_row_group_gives_spec_capacities() {
        let cat = catalog(&[]);
        let rows = rows(&cat, 600, 31);
        let mut table = CapacityTable::default();
        table.merge(CapacityWorker::default().run(&data(&rows), &range()));
        check(&table.daily(), &rows);
    }

    /// The same interval split over row groups takes the max across them, not a sum.
    #[test]
    fn row_groups_merge_by_max_per_interval() {
        let cat = catalog(&[]);
        let rows = rows(&cat, 600, 32);
        let mut table = CapacityTable::default();
        let mut worker = CapacityWorker::default();
        for part in rows.chunks(37) {
            table.merge(worker.run(&data(part), &range()));
        }
        check(&table.daily(), &rows);
    }

    /// Rows in runs of one (interval, node), as hourly files hold them: a key that
    /// changes only its node or only its interval starts a new group, also across row groups
    /// read by one worker.
    #[test]
    fn runs_of_one_key_give_spec_capacities() {
        let cat = catalog(&[]);
        let mut rows = rows(&cat, 900, 33);
        rows.sort_by_key(|r| (r.ts, r.node));
        let mut table = CapacityTable::default();
        let mut worker = CapacityWorker::default();
        for part in rows.chunks(101) {
            table.merge(worker.run(&data(part), &range()));
        }
        check(&table.daily(), &rows);
    }

    /// Columns without NULLs (most hourly files) fold each run as a plain slice: the same
    /// capacities.
    #[test]
    fn runs_without_nulls_give_spec_capacities() {
        let cat = catalog(&[]);
        let mut rows = rows(&cat, 900, 34);
        for r in &mut rows {
            r.ts = r.ts.or(Some((D0 - 1) * DAY));
            r.cpu = r.cpu.or(Some(1.0));
            r.mem = r.mem.or(Some(2.0));
        }
        rows.sort_by_key(|r| (r.ts, r.node));
        let mut table = CapacityTable::default();
        let mut worker = CapacityWorker::default();
        for part in rows.chunks(101) {
            let data = data(part);
            assert!(data.columns.iter().all(|c| c.valid.null_count() == 0));
            table.merge(worker.run(&data, &range()));
        }
        check(&table.daily(), &rows);
    }

    #[test]
    fn by_hand() {
        let t = D0 * DAY;
        let (a, b) = (1, 2);
        let rows = [
            Raw {
                ts: Some(t),
                node: a,
                cpu: Some(4.0),
                mem: None,
            },
            Raw {
                ts: Some(t),
                node: a,
                cpu: Some(6.0),
                mem: None,
            },
            Raw {
                ts: Some(t + HOUR),
                node: a,
                cpu: Some(5.0),
                mem: Some(1.0),
            },
            Raw {
                ts: Some(t + HOUR),
                node: b,
                cpu: None,
                mem: None,
            },
        ];
        let mut table = CapacityTable::default();
        table.merge(CapacityWorker::default().run(&data(&rows), &range()));
        let daily = table.daily();
        let day = Day(D0 as i32);
        assert_eq!(daily.node[&(day, a)].cpu, Some(11.0), "max 6, then 5");
        assert_eq!(daily.node[&(day, a)].mem, Some(1.0));
        assert_eq!(daily.node[&(day, b)].cpu, None, "every value NULL");
        assert_eq!(daily.cluster[&day].cpu, Some(11.0));
    }
}
