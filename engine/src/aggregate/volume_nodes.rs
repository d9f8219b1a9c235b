//! Where each pod ran, per day: the pod side of Koku's volume→node mapping (spec §7.1).
//!
//! `cte_volume_nodes` inner-joins storage rows with daily pod rows on (namespace, pod, day) and
//! keeps the distinct (node, resource_id) pairs, with no node filter (E1). This reads only those
//! five columns of the daily pod table, separately from the Pod role, and only when storage files
//! exist. Koku does not range-filter the pod side, but the join is on the storage row's day, which
//! is in range, so keeping in-range pod rows gives the same result. Rows with a NULL namespace or
//! pod can never satisfy the join's `=` and are dropped here.

use crate::catalog::NULL_ID;
use crate::decode::rowgroup::RowGroupData;
use crate::plan::columns::{ColumnKind, ColumnRequest};
use crate::value::date::Day;
use hashbrown::hash_map::Entry;
use hashbrown::{HashMap, HashSet};
use std::ops::Range;

pub const COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("namespace", ColumnKind::String),
    ColumnRequest::required("pod", ColumnKind::String),
    ColumnRequest::required("node", ColumnKind::String),
    ColumnRequest::required("resource_id", ColumnKind::String),
];

/// (day, namespace, pod, node, resource_id).
pub type PodPlace = (Day, u32, u32, u32, u32);

pub type VolumeNodePartial = Vec<PodPlace>;

#[derive(Default)]
pub struct VolumeNodeWorker {
    seen: HashSet<PodPlace>,
}

impl VolumeNodeWorker {
    pub fn run(&mut self, data: &RowGroupData, ms: &Range<i64>) -> VolumeNodePartial {
        let [ts, namespace, pod, node, resource_id] = &data.columns[..] else {
            unreachable!("volume nodes read five columns")
        };
        self.seen.clear();
        for i in 0..data.num_rows {
            let t = ts.i64s[i];
            let (ns, p) = (namespace.ids[i], pod.ids[i]);
            if !ts.valid.get(i) || !ms.contains(&t) || ns == NULL_ID || p == NULL_ID {
                continue;
            }
            self.seen
                .insert((Day::of_millis(t), ns, p, node.ids[i], resource_id.ids[i]));
        }
        self.seen.drain().collect()
    }
}

/// Distinct (node, resource_id) pairs per (day, namespace, pod).
#[derive(Default)]
pub struct VolumeNodeTable {
    places: HashMap<(Day, u32, u32), Places>,
}

/// One pod's distinct places on a day, sorted. A pod nearly always ran on one node a day, so one
/// place is kept inline: a `Vec` per pod-day was a heap allocation per daily pod row.
#[derive(Debug)]
enum Places {
    One([(u32, u32); 1]),
    Many(Vec<(u32, u32)>),
}

impl Places {
    fn as_slice(&self) -> &[(u32, u32)] {
        match self {
            Places::One(one) => one,
            Places::Many(many) => many,
        }
    }

    fn add(&mut self, place: (u32, u32)) {
        match self {
            Places::One([first]) if *first == place => {}
            Places::One([first]) => {
                let mut many = vec![*first, place];
                many.sort_unstable();
                *self = Places::Many(many);
            }
            Places::Many(many) => {
                if let Err(pos) = many.binary_search(&place) {
                    many.insert(pos, place);
                }
            }
        }
    }
}

impl VolumeNodeTable {
    pub fn merge(&mut self, partial: VolumeNodePartial) {
        for (day, ns, pod, node, rid) in partial {
            match self.places.entry((day, ns, pod)) {
                Entry::Vacant(e) => {
                    e.insert(Places::One([(node, rid)]));
                }
                Entry::Occupied(e) => e.into_mut().add((node, rid)),
            }
        }
    }

    /// Moves out the days before `day`.
    pub fn split_before(&mut self, day: Day) -> VolumeNodeTable {
        VolumeNodeTable {
            places: super::take_days_before(&mut self.places, day, |k| k.0),
        }
    }

    /// The (node, resource_id) pairs of a pod on a day, sorted; empty when it has no pod row.
    pub fn get(&self, day: Day, namespace: u32, pod: u32) -> &[(u32, u32)] {
        self.places
            .get(&(day, namespace, pod))
            .map_or(&[], Places::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{id_col, row_group, ts_col, Rng};
    use std::collections::{BTreeMap, BTreeSet};

    const DAY: i64 = 86_400_000;

    fn range() -> Range<i64> {
        10 * DAY..12 * DAY
    }

    /// (ts, namespace, pod, node, resource_id).
    type Raw = (Option<i64>, u32, u32, u32, u32);

    fn rows(n: usize, seed: u64) -> Vec<Raw> {
        let mut rng = Rng::new(seed);
        let ts = [
            9 * DAY + 5,
            10 * DAY,
            10 * DAY + 7,
            11 * DAY,
            12 * DAY - 1,
            12 * DAY,
        ];
        (0..n)
            .map(|_| {
                (
                    rng.maybe(5, &ts),
                    rng.pick(&[1, 2, NULL_ID]),
                    rng.pick(&[3, 4, 0, NULL_ID]),
                    rng.pick(&[5, 6, 0, NULL_ID]),
                    rng.pick(&[7, 8, NULL_ID]),
                )
            })
            .collect()
    }

    fn data(rows: &[Raw]) -> RowGroupData {
        row_group(
            rows.len(),
            vec![
                ts_col(&rows.iter().map(|r| r.0).collect::<Vec<_>>()),
                id_col(&rows.iter().map(|r| r.1).collect::<Vec<_>>()),
                id_col(&rows.iter().map(|r| r.2).collect::<Vec<_>>()),
                id_col(&rows.iter().map(|r| r.3).collect::<Vec<_>>()),
                id_col(&rows.iter().map(|r| r.4).collect::<Vec<_>>()),
            ],
        )
    }

    /// Spec §7.1: the pod side of `namespace = namespace AND pod = pod AND day = day`; NULL never
    /// equals, so rows with a NULL namespace or pod cannot join. Nodes are kept even when NULL.
    fn reference(rows: &[Raw]) -> BTreeMap<(Day, u32, u32), Vec<(u32, u32)>> {
        let mut out: BTreeMap<(Day, u32, u32), BTreeSet<(u32, u32)>> = BTreeMap::new();
        for &(ts, ns, pod, node, rid) in rows {
            let Some(t) = ts.filter(|t| range().contains(t)) else {
                continue;
            };
            if ns != NULL_ID && pod != NULL_ID {
                out.entry((Day((t / DAY) as i32), ns, pod))
                    .or_default()
                    .insert((node, rid));
            }
        }
        out.into_iter()
            .map(|(k, v)| (k, v.into_iter().collect()))
            .collect()
    }

    #[test]
    fn distinct_places_per_pod_and_day() {
        let rows = rows(300, 61);
        let mut table = VolumeNodeTable::default();
        let mut worker = VolumeNodeWorker::default();
        for part in rows.chunks(29) {
            table.merge(worker.run(&data(part), &range()));
        }
        let want = reference(&rows);
        assert!(want.values().flatten().any(|p| p.0 == NULL_ID));
        let got: BTreeMap<(Day, u32, u32), Vec<(u32, u32)>> = table
            .places
            .iter()
            .map(|(k, v)| (*k, v.as_slice().to_vec()))
            .collect();
        assert_eq!(got, want);
        for (&(day, ns, pod), places) in &want {
            assert_eq!(table.get(day, ns, pod), &places[..]);
        }
        assert!(table.get(Day(10), NULL_ID, 3).is_empty());
        assert!(table.get(Day(9), 1, 3).is_empty(), "outside the range");
    }
}
