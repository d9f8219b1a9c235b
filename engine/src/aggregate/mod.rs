//! Partial aggregation per row group, and the merge into run-wide tables.
//!
//! Each worker turns one row group into a small partial table ([`Partial`]) with its own reusable
//! hashbrown maps; the coordinator folds partials into the final tables in task order, so sums
//! come out the same whatever the thread count. One module per input table:
//!
//! | module | input table | result |
//! |---|---|---|
//! | [`capacity`] | hourly pod usage | node and cluster capacity per day (spec §5) |
//! | [`pod`] | daily pod usage | sums per (day, namespace, node, filtered pod labels) (spec §6) |
//! | [`labels`] | daily node / namespace labels | distinct filtered label sets per day (spec §4) |
//! | [`storage`] | daily storage usage | sums per distinct storage line (spec §7.3 pre-join) |
//! | [`cluster`] | daily pod usage, node labels, storage | Koku's cluster-information queries, and the evidence for node roles |
//! | [`gpu`] | daily GPU usage | Koku's usage-only GPU summary groups |
//! | [`node_roles`] | (rules only) | roles as Koku derives them from that evidence (spec §2.5) |
//! | [`vm`] | daily pod and storage, hourly VM report (month-wide) | the Parquet sides of Koku's VM temp table |
//! | [`volume_nodes`] | daily pod usage | (node, resource_id) of each pod per day (spec §7.1) |

pub mod capacity;
pub mod cluster;
pub mod exec;
pub mod gpu;
pub mod labels;
pub mod node_roles;
pub mod pod;
pub mod storage;
pub mod vm;
pub mod volume_nodes;

use crate::value::date::Day;

/// Moves the entries of `map` whose key lies on a day before `before` into a new map: a day's
/// groups leave the run-wide tables as soon as the day is complete (see `exec`).
pub fn take_days_before<K, V>(
    map: &mut hashbrown::HashMap<K, V>,
    before: Day,
    day_of: impl Fn(&K) -> Day,
) -> hashbrown::HashMap<K, V>
where
    K: std::hash::Hash + Eq,
{
    let moving = map.keys().filter(|k| day_of(k) < before).count();
    if moving == map.len() {
        return std::mem::take(map);
    }
    // Sized up front: growing from empty would rehash the batch several times over, and each
    // bigger table is fresh memory to fault in.
    let mut out = hashbrown::HashMap::with_capacity(moving);
    out.extend(map.extract_if(|k, _| day_of(k) < before));
    out
}

/// Nullable max, as SQL `max` ignoring NULLs.
#[inline]
pub fn max_opt(acc: &mut Option<f64>, v: Option<f64>) {
    if let Some(v) = v {
        *acc = Some(match *acc {
            Some(a) if a >= v => a,
            _ => v,
        });
    }
}

/// SQL `max` over doubles, NULLs ignored; NaN is greater than every number (Trino's and DuckDB's
/// ordering of doubles).
pub fn max_double(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if x.is_nan() || (!y.is_nan() && x >= y) {
            x
        } else {
            y
        }),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Nullable sum, as SQL `sum` ignoring NULLs (NULL when every input is NULL).
#[inline]
pub fn add_opt(acc: &mut Option<f64>, v: Option<f64>) {
    if let Some(v) = v {
        *acc = Some(acc.unwrap_or(0.0) + v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{sql_max, sql_sum, Rng};

    #[test]
    fn add_opt_is_sql_sum() {
        let cases = [
            (None, None, None),
            (None, Some(2.5), Some(2.5)),
            (Some(1.0), None, Some(1.0)),
            (Some(1.0), Some(2.5), Some(3.5)),
            (None, Some(0.0), Some(0.0)),
            (Some(-4.0), Some(1.0), Some(-3.0)),
        ];
        for (acc, v, want) in cases {
            let mut a = acc;
            add_opt(&mut a, v);
            assert_eq!(a, want, "{acc:?} + {v:?}");
        }
    }

    #[test]
    fn max_double_ignores_null_and_puts_nan_last() {
        assert_eq!(max_double(None, Some(2.0)), Some(2.0));
        assert_eq!(max_double(Some(3.0), Some(2.0)), Some(3.0));
        assert!(max_double(Some(3.0), Some(f64::NAN)).unwrap().is_nan());
        assert!(max_double(Some(f64::NAN), Some(3.0)).unwrap().is_nan());
        assert_eq!(max_double(None, None), None);
    }

    #[test]
    fn max_opt_is_sql_max() {
        let cases = [
            (None, None, None),
            (None, Some(-5.0), Some(-5.0)),
            (Some(-5.0), None, Some(-5.0)),
            (Some(-5.0), Some(-7.0), Some(-5.0)),
            (Some(1.0), Some(3.0), Some(3.0)),
            (Some(3.0), Some(1.0), Some(3.0)),
            (None, Some(0.0), Some(0.0)),
        ];
        for (acc, v, want) in cases {
            let mut a = acc;
            max_opt(&mut a, v);
            assert_eq!(a, want, "max({acc:?}, {v:?})");
        }
    }

    /// Folds over sequences with NULLs: NULL only when every input is NULL.
    #[test]
    fn folds_match_sql_aggregates() {
        let mut rng = Rng::new(11);
        for len in 0..40 {
            let values: Vec<Option<f64>> = (0..len)
                .map(|_| (!rng.percent(40)).then(|| rng.below(2001) as f64 - 1000.0))
                .collect();
            let (mut sum, mut max) = (None, None);
            for &v in &values {
                add_opt(&mut sum, v);
                max_opt(&mut max, v);
            }
            let present: Vec<f64> = values.iter().flatten().copied().collect();
            let want_sum = (!present.is_empty()).then(|| present.iter().sum::<f64>());
            let want_max = present.iter().copied().reduce(f64::max);
            assert_eq!(sum, want_sum, "{values:?}");
            assert_eq!(max, want_max, "{values:?}");
            assert_eq!(values.iter().fold(None, |a, &v| sql_sum(a, v)), want_sum);
            assert_eq!(values.iter().fold(None, |a, &v| sql_max(a, v)), want_max);
        }
    }

    fn check_split(keys: &[(i32, u32)], before: i32) {
        let mut map: hashbrown::HashMap<(i32, u32), u32> =
            keys.iter().map(|&(d, x)| ((d, x), x * 10)).collect();
        let original = map.clone();
        let taken = take_days_before(&mut map, Day(before), |k| Day(k.0));
        for (k, v) in &original {
            let (from, other) = if k.0 < before {
                (&taken, &map)
            } else {
                (&map, &taken)
            };
            assert_eq!(from.get(k), Some(v), "{k:?} before {before}");
            assert!(!other.contains_key(k), "{k:?} in both");
        }
        assert_eq!(taken.len() + map.len(), original.len());
    }

    #[test]
    fn take_days_before_moves_exactly_the_earlier_days() {
        let keys = [(-1, 1), (0, 2), (4, 3), (5, 4), (5, 5), (6, 6), (9, 7)];
        // Mixed, everything before (the whole map moves), nothing before, empty.
        for before in [5, 6, 10, i32::MAX, -1, i32::MIN] {
            check_split(&keys, before);
        }
        check_split(&[], 3);
        let mut all: hashbrown::HashMap<(i32, u32), u32> = keys.iter().map(|&k| (k, 0)).collect();
        assert_eq!(
            take_days_before(&mut all, Day(100), |k| Day(k.0)).len(),
            keys.len()
        );
        assert!(all.is_empty());
    }
}
