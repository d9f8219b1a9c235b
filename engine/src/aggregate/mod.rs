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
//! | [`node_roles`] | daily pod usage, node labels | roles as Koku derives them (spec §2.5; opt-in) |
//! | [`volume_nodes`] | daily pod usage | (node, resource_id) of each pod per day (spec §7.1) |

pub mod capacity;
pub mod exec;
pub mod labels;
pub mod node_roles;
pub mod pod;
pub mod storage;
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
    if map.keys().all(|k| day_of(k) < before) {
        return std::mem::take(map);
    }
    map.extract_if(|k, _| day_of(k) < before).collect()
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

/// Nullable sum, as SQL `sum` ignoring NULLs (NULL when every input is NULL).
#[inline]
pub fn add_opt(acc: &mut Option<f64>, v: Option<f64>) {
    if let Some(v) = v {
        *acc = Some(acc.unwrap_or(0.0) + v);
    }
}
