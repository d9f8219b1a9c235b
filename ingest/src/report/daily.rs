//! The daily roll-up of one chunk, as pandas computes `groupby(...).agg(...)`: the same
//! accumulators (Kahan sums, NaN-skipping maxima) and the same group order.

use std::collections::HashMap;

use super::columns::Agg;
use super::table::{static_name, Col, Table};
use super::ReportKind;
use crate::pq::Kind;

const MS_PER_DAY: i64 = 86_400_000;

/// Running aggregate of one column in one group, as pandas' groupby kernels compute it.
#[derive(Debug, Clone)]
enum Acc {
    TsMax(Option<i64>),
    F64Max(Option<f64>),
    /// pandas `group_sum`: Kahan-compensated, NaN skipped, 0.0 when empty.
    F64Sum {
        sum: f64,
        comp: f64,
    },
    StrMax(Option<String>),
    I64Max(Option<i64>),
}

impl Acc {
    fn new(col: &Col, agg: Agg) -> Acc {
        match (col, agg) {
            (Col::Ts(_), _) => Acc::TsMax(None),
            (Col::F64(_), Agg::Max) => Acc::F64Max(None),
            (Col::F64(_), Agg::Sum) => Acc::F64Sum {
                sum: 0.0,
                comp: 0.0,
            },
            (Col::Str(_), _) => Acc::StrMax(None),
            (Col::I64(_), _) => Acc::I64Max(None),
        }
    }

    fn add(&mut self, col: &Col, r: usize) {
        match (self, col) {
            (Acc::TsMax(m), Col::Ts(v)) | (Acc::I64Max(m), Col::I64(v)) => {
                if let Some(x) = v[r] {
                    *m = Some(m.map_or(x, |m| m.max(x)));
                }
            }
            (Acc::F64Max(m), Col::F64(v)) => {
                let x = v[r];
                if !x.is_nan() {
                    *m = Some(m.map_or(x, |m| if x > m { x } else { m }));
                }
            }
            (Acc::F64Sum { sum, comp }, Col::F64(v)) => {
                let x = v[r];
                if !x.is_nan() {
                    let y = x - *comp;
                    let t = *sum + y;
                    *comp = t - *sum - y;
                    if comp.is_nan() {
                        *comp = 0.0;
                    }
                    *sum = t;
                }
            }
            (Acc::StrMax(m), Col::Str(v)) => {
                if let Some(x) = &v[r] {
                    if m.as_ref().is_none_or(|m| x > m) {
                        *m = Some(x.clone());
                    }
                }
            }
            _ => unreachable!("accumulator built for this column"),
        }
    }
}

/// `df.groupby(group_by + [Grouper(interval_start, freq="D")], dropna=False).agg(agg)`, then the
/// missing new-version columns as NULL strings. Rows come out sorted by the keys, as pandas does.
pub(super) fn daily_rollup(hourly: &Table, kind: ReportKind) -> Table {
    let key_cols: Vec<(&'static str, &Col)> = kind
        .group_by()
        .iter()
        .filter_map(|k| hourly.col(k).map(|c| (*k, c)))
        .collect();
    let agg_cols: Vec<(&'static str, &Col, Agg)> = kind
        .aggs()
        .iter()
        .filter_map(|(k, a)| hourly.col(k).map(|c| (*k, c, *a)))
        .collect();
    let Some(Col::Ts(starts)) = hourly.col("interval_start") else {
        unreachable!("interval_start is required")
    };
    let key_str = |c: &Col, r: usize| -> Option<String> {
        match c {
            Col::Str(v) => v[r].clone(),
            Col::F64(v) => Some(v[r].to_string()),
            Col::Ts(v) | Col::I64(v) => v[r].map(|t| t.to_string()),
        }
    };
    type Key = (Vec<Option<String>>, i64);
    let mut groups: HashMap<Key, Vec<Acc>> = HashMap::new();
    for (r, start) in starts.iter().enumerate().take(hourly.rows) {
        let day = start.expect("checked").div_euclid(MS_PER_DAY) * MS_PER_DAY;
        let key: Key = (key_cols.iter().map(|(_, c)| key_str(c, r)).collect(), day);
        let accs = groups
            .entry(key)
            .or_insert_with(|| agg_cols.iter().map(|(_, c, a)| Acc::new(c, *a)).collect());
        for (acc, (_, c, _)) in accs.iter_mut().zip(&agg_cols) {
            acc.add(c, r);
        }
    }
    let mut groups: Vec<(Key, Vec<Acc>)> = groups.into_iter().collect();
    // pandas sorts group keys ascending with NaN last.
    groups.sort_by(|(a, _), (b, _)| {
        for (x, y) in a.0.iter().zip(&b.0) {
            let o = match (x, y) {
                (Some(x), Some(y)) => x.cmp(y),
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(_), None) => std::cmp::Ordering::Less,
            };
            if o.is_ne() {
                return o;
            }
        }
        a.1.cmp(&b.1)
    });
    let n = groups.len();
    let mut names: Vec<&'static str> = Vec::new();
    let mut cols: Vec<Col> = Vec::new();
    for (i, (name, _)) in key_cols.iter().enumerate() {
        names.push(name);
        cols.push(Col::Str(groups.iter().map(|g| g.0 .0[i].clone()).collect()));
    }
    names.push(static_name("interval_start"));
    cols.push(Col::Ts(groups.iter().map(|g| Some(g.0 .1)).collect()));
    for (i, (name, _, _)) in agg_cols.iter().enumerate() {
        names.push(name);
        let col = match agg_cols[i].1 {
            Col::Ts(_) => Col::Ts(
                groups
                    .iter()
                    .map(|g| match &g.1[i] {
                        Acc::TsMax(m) => *m,
                        _ => None,
                    })
                    .collect(),
            ),
            Col::F64(_) => Col::F64(
                groups
                    .iter()
                    .map(|g| match &g.1[i] {
                        Acc::F64Max(m) => m.unwrap_or(f64::NAN),
                        Acc::F64Sum { sum, .. } => *sum,
                        _ => f64::NAN,
                    })
                    .collect(),
            ),
            Col::Str(_) => Col::Str(
                groups
                    .iter()
                    .map(|g| match &g.1[i] {
                        Acc::StrMax(m) => m.clone(),
                        _ => None,
                    })
                    .collect(),
            ),
            Col::I64(_) => Col::I64(
                groups
                    .iter()
                    .map(|g| match &g.1[i] {
                        Acc::I64Max(m) => *m,
                        _ => None,
                    })
                    .collect(),
            ),
        };
        cols.push(col);
    }
    for (extra, ty) in kind.new_version_columns() {
        if hourly.col(extra).is_none() {
            names.push(extra);
            cols.push(match ty {
                Kind::I64 => Col::I64(vec![None; n]),
                _ => Col::Str(vec![None; n]),
            });
        }
    }
    Table {
        names,
        cols,
        rows: n,
        offset: 0,
    }
}
