//! Node and namespace labels per day (spec §4).
//!
//! Koku groups label rows by (day, entity, filtered JSON), so what matters is the set of distinct
//! filtered label sets per (day, entity). NULL text is its own value, distinct from `{}`: both join
//! as `{}`, but each is a separate joined row (E2 double counting).

use crate::catalog::NULL_ID;
use crate::decode::rowgroup::RowGroupData;
use crate::plan::columns::{ColumnKind, ColumnRequest};
use crate::value::date::Day;
use hashbrown::{HashMap, HashSet};
use std::ops::Range;

pub const NODE_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("node", ColumnKind::String),
    ColumnRequest::required("node_labels", ColumnKind::String),
];

pub const NAMESPACE_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("namespace", ColumnKind::String),
    ColumnRequest::required("namespace_labels", ColumnKind::String),
];

/// Column 2 of either table holds labels.
pub const LABEL_COLUMNS: &[usize] = &[2];

/// (day, node or namespace id, label set id or `NULL_SET`).
pub type LabelPartial = Vec<(Day, u32, u32)>;

#[derive(Default)]
pub struct LabelWorker {
    seen: HashSet<(Day, u32, u32)>,
}

impl LabelWorker {
    pub fn run(&mut self, data: &RowGroupData, ms: &Range<i64>) -> LabelPartial {
        let [ts, entity, labels] = &data.columns[..] else {
            unreachable!("label tables read three columns")
        };
        self.seen.clear();
        for i in 0..data.num_rows {
            if ts.valid.get(i) && ms.contains(&ts.i64s[i]) {
                self.seen
                    .insert((Day::of_millis(ts.i64s[i]), entity.ids[i], labels.ids[i]));
            }
        }
        self.seen.drain().collect()
    }
}

/// Distinct label sets per (day, entity), sorted for repeatable output.
#[derive(Default)]
pub struct LabelTable {
    pub sets: HashMap<(Day, u32), Vec<u32>>,
}

impl LabelTable {
    pub fn merge(&mut self, partial: LabelPartial) {
        for (day, entity, set) in partial {
            let v = self.sets.entry((day, entity)).or_default();
            if let Err(pos) = v.binary_search(&set) {
                v.insert(pos, set);
            }
        }
    }

    /// Moves out the days before `day`.
    pub fn split_before(&mut self, day: Day) -> LabelTable {
        LabelTable {
            sets: super::take_days_before(&mut self.sets, day, |k| k.0),
        }
    }

    /// The sets joined to (day, entity); a miss joins once as `{}` (LEFT JOIN + coalesce).
    /// The join is an `=`, which never matches NULL: a NULL entity always misses.
    pub fn get(&self, day: Day, entity: u32) -> Option<&[u32]> {
        if entity == NULL_ID {
            return None;
        }
        self.sets.get(&(day, entity)).map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::NULL_SET;
    use crate::test_util::{id_col, row_group, ts_col, Rng};
    use std::collections::{BTreeMap, BTreeSet};

    const DAY: i64 = 86_400_000;

    fn range() -> Range<i64> {
        10 * DAY..12 * DAY
    }

    type Raw = (Option<i64>, u32, u32);

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
                    rng.pick(&[1, 2, 3, NULL_ID]),
                    rng.pick(&[0, 4, 5, NULL_SET]),
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
            ],
        )
    }

    /// Distinct label sets per (day, entity), sorted; NULL (`NULL_SET`) distinct from `{}` (0).
    fn reference(rows: &[Raw]) -> BTreeMap<(Day, u32), Vec<u32>> {
        let mut sets: BTreeMap<(Day, u32), BTreeSet<u32>> = BTreeMap::new();
        for &(ts, entity, set) in rows {
            if let Some(t) = ts.filter(|t| range().contains(t)) {
                sets.entry((Day((t / DAY) as i32), entity))
                    .or_default()
                    .insert(set);
            }
        }
        sets.into_iter()
            .map(|(k, v)| (k, v.into_iter().collect()))
            .collect()
    }

    #[test]
    fn distinct_sets_per_day_and_entity() {
        let rows = rows(300, 51);
        let mut table = LabelTable::default();
        let mut worker = LabelWorker::default();
        for part in rows.chunks(41) {
            let partial = worker.run(&data(part), &range());
            let distinct: BTreeSet<_> = partial.iter().collect();
            assert_eq!(distinct.len(), partial.len(), "a partial is distinct");
            table.merge(partial);
        }
        let got: BTreeMap<(Day, u32), Vec<u32>> =
            table.sets.iter().map(|(k, v)| (*k, v.clone())).collect();
        let want = reference(&rows);
        assert_eq!(got, want);
        assert!(want
            .values()
            .any(|v| v.contains(&0) && v.contains(&NULL_SET)));
        for (&(day, entity), sets) in &want {
            let joined = (entity != NULL_ID).then_some(&sets[..]);
            assert_eq!(table.get(day, entity), joined);
        }
        assert_eq!(table.get(Day(9), 1), None, "outside the range");
    }

    /// Spec §4/§6: label rows join on `namespace = namespace` (or node); `=` never matches NULL,
    /// so label rows with a NULL entity join nothing, not the rows whose entity is NULL too.
    #[test]
    fn a_null_entity_joins_no_label_row() {
        let mut table = LabelTable::default();
        table.merge(vec![(Day(10), NULL_ID, 5), (Day(10), 0, 4)]);
        assert_eq!(table.get(Day(10), NULL_ID), None);
        assert_eq!(
            table.get(Day(10), 0),
            Some(&[4][..]),
            "'' is an ordinary value"
        );
    }
}
