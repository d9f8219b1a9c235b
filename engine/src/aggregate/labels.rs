//! Node and namespace labels per day (spec §4).
//!
//! Koku groups label rows by (day, entity, filtered JSON), so what matters is the set of distinct
//! filtered label sets per (day, entity). NULL text is its own value, distinct from `{}`: both join
//! as `{}`, but each is a separate joined row (E2 double counting).

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
            if ts.valid[i] && ms.contains(&ts.i64s[i]) {
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
    pub fn get(&self, day: Day, entity: u32) -> Option<&[u32]> {
        self.sets.get(&(day, entity)).map(Vec::as_slice)
    }
}
