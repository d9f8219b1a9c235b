//! The pod worker and table against a plain reference: a loop over the raw rows with a HashMap,
//! SQL `sum`/`max` ignoring NULLs, `coalesce(effective, greatest(usage, request))`, and the
//! string max of resource ids compared as text.

use super::*;
use crate::decode::rowgroup::{ColumnData, RowGroupData};
use crate::test_util::{
    catalog, f64_col, id_col, intern, label_set, row_group, sql_max, sql_sum, text, ts_col, Rng,
};
use hashbrown::HashMap;
use std::collections::HashMap as StdMap;
use std::ops::Range;

const DAY_MS: i64 = 86_400_000;
const D0: i64 = 20_500;

/// The run covers days D0+1 and D0+2.
fn range() -> Range<i64> {
    (D0 + 1) * DAY_MS..(D0 + 3) * DAY_MS
}

/// One daily pod row as written: strings as text, labels as a set id.
#[derive(Clone, Debug)]
struct Raw {
    ts: Option<i64>,
    ns: Option<&'static str>,
    node: Option<&'static str>,
    rid: Option<&'static str>,
    labels: u32,
    /// usage, request, effective, limit (cpu); the same for memory; node cores; node bytes.
    m: [Option<f64>; 10],
}

fn random_rows(cat: &Catalog, n: usize, seed: u64) -> Vec<Raw> {
    let mut rng = Rng::new(seed);
    let r = range();
    let ts_pool = [
        r.start - 1,
        r.start,
        r.start + 5,
        r.start + DAY_MS - 1,
        r.start + DAY_MS,
        r.start + DAY_MS + 7,
        r.end - 1,
        r.end,
        r.start - 3 * DAY_MS,
    ];
    let label_pool = [
        label_set(cat, Some(r#"{"app": "web"}"#)),
        label_set(cat, Some(r#"{"app": "db"}"#)),
        label_set(cat, Some("{}")),
        label_set(cat, None),
    ];
    (0..n)
        .map(|_| {
            let mut m = [None; 10];
            for (i, v) in m.iter_mut().enumerate() {
                let null_pct = if i == 2 || i == 6 { 40 } else { 15 };
                *v = (!rng.percent(null_pct)).then(|| rng.below(10_000) as f64);
            }
            Raw {
                ts: rng.maybe(5, &ts_pool),
                ns: rng.pick(&[Some("ns-a"), Some("openshift-x"), Some(""), None]),
                node: rng.pick(&[Some("n1"), Some("n2"), Some("n3"), Some(""), None]),
                rid: rng.pick(&[None, Some(""), Some("i-b"), Some("i-a"), Some("i-ab")]),
                labels: rng.pick(&label_pool),
                m,
            }
        })
        .collect()
}

/// The same rows with values inexact in binary: within one row group a sum in any order but
/// the rows' would then differ from the reference's in the last bits.
fn fractional(mut rows: Vec<Raw>) -> Vec<Raw> {
    for r in &mut rows {
        r.m.iter_mut().flatten().for_each(|v| *v *= 0.37);
    }
    rows
}

fn to_row_group(cat: &Catalog, rows: &[Raw], effective_column: bool) -> RowGroupData {
    let ids = |f: &dyn Fn(&Raw) -> Option<&'static str>| -> ColumnData {
        id_col(&rows.iter().map(|r| intern(cat, f(r))).collect::<Vec<_>>())
    };
    let num = |i: usize| f64_col(&rows.iter().map(|r| r.m[i]).collect::<Vec<_>>());
    let absent = || f64_col(&vec![None; rows.len()]);
    let mut cols = vec![
        ts_col(&rows.iter().map(|r| r.ts).collect::<Vec<_>>()),
        ids(&|r| r.ns),
        ids(&|r| r.node),
        ids(&|r| r.rid),
        id_col(&rows.iter().map(|r| r.labels).collect::<Vec<_>>()),
    ];
    for i in 0..10 {
        let is_effective = i == 2 || i == 6;
        cols.push(if is_effective && !effective_column {
            absent()
        } else {
            num(i)
        });
    }
    assert_eq!(cols.len(), COLUMNS.len());
    row_group(rows.len(), cols)
}

#[derive(Debug, Default, PartialEq)]
struct Expected {
    sums: [Option<f64>; METRICS],
    rid: Option<String>,
    cap_cpu: Option<f64>,
    cap_mem: Option<f64>,
}

type Key = (Day, u32, u32, u32);

fn reference(cat: &Catalog, rows: &[Raw], effective_column: bool) -> StdMap<Key, Expected> {
    let r = range();
    let mut out: StdMap<Key, Expected> = StdMap::new();
    for row in rows {
        let Some(t) = row.ts else { continue };
        if t < r.start || t >= r.end || matches!(row.node, None | Some("")) {
            continue;
        }
        let day = Day((t as f64 / DAY_MS as f64).floor() as i32);
        let key = (day, intern(cat, row.ns), intern(cat, row.node), row.labels);
        let m = row.m;
        let eff = |e: Option<f64>, u: Option<f64>, q: Option<f64>| {
            let e = if effective_column { e } else { None };
            e.or_else(|| Some(u?.max(q?)))
        };
        let metrics = [
            m[0],
            m[1],
            eff(m[2], m[0], m[1]),
            m[3],
            m[4],
            m[5],
            eff(m[6], m[4], m[5]),
            m[7],
        ];
        let e = out.entry(key).or_default();
        for (s, v) in e.sums.iter_mut().zip(metrics) {
            *s = sql_sum(*s, v);
        }
        e.rid = e.rid.clone().max(row.rid.map(str::to_string));
        e.cap_cpu = sql_max(e.cap_cpu, m[8]);
        e.cap_mem = sql_max(e.cap_mem, m[9]);
    }
    out
}

fn check(cat: &Catalog, got: &HashMap<PodKey, PodAcc>, want: &StdMap<Key, Expected>) {
    assert_eq!(got.len(), want.len());
    for (k, acc) in got {
        let w = &want[&(k.day, k.namespace, k.node, k.labels)];
        let have = Expected {
            sums: std::array::from_fn(|i| acc.sum(i)),
            rid: text(cat, acc.resource_id),
            cap_cpu: acc.cap_cpu_cores(),
            cap_mem: acc.cap_mem_bytes(),
        };
        assert_eq!(&have, w, "{k:?}");
    }
}

/// A worker's partial merged into one table. Each key's first entry holds its sums; any later
/// entry carries only another resource id to compare.
fn collapse(cat: &Catalog, mut partial: PodPartial) -> HashMap<PodKey, PodAcc> {
    let mut seen = std::collections::HashSet::new();
    for (key, acc) in &partial {
        if !seen.insert(*key) {
            let only_id = acc.present == 0 && acc.sums == [0.0; METRICS];
            assert!(only_id && acc.cap_cpu_cores().is_none() && acc.cap_mem_bytes().is_none());
            assert_ne!(acc.resource_id, NULL_ID);
        }
    }
    let mut table = PodTable::default();
    table.merge(&mut partial, cat);
    table.groups().map(|(k, a)| (*k, *a)).collect()
}

#[test]
fn worker_groups_one_row_group_like_sql() {
    let cat = catalog(&["app"]);
    for effective_column in [true, false] {
        let rows = fractional(random_rows(&cat, 400, 21));
        let data = to_row_group(&cat, &rows, effective_column);
        let partial = PodWorker::default().run(&data, &range(), Vec::new());
        let entries = partial.len();
        let got = collapse(&cat, partial);
        assert!(entries > got.len(), "some group met two resource ids");
        let want = reference(&cat, &rows, effective_column);
        assert!(want.len() > 20, "the sample makes many groups");
        check(&cat, &got, &want);
    }
}

#[test]
fn table_merges_row_groups_into_the_same_groups() {
    let cat = catalog(&["app"]);
    let rows = random_rows(&cat, 500, 22);
    let mut table = PodTable::default();
    let mut worker = PodWorker::default();
    // The vector each partial is built in is the last one, emptied by the merge; the first is
    // a stale partial, which `run` must empty first.
    let stale = worker.run(&to_row_group(&cat, &rows, true), &range(), Vec::new());
    let mut spare = stale;
    for part in [&rows[..123], &rows[123..124], &rows[124..400], &rows[400..]] {
        let mut partial = worker.run(&to_row_group(&cat, part, true), &range(), spare);
        table.merge(&mut partial, &cat);
        assert!(partial.is_empty(), "the merge takes every group");
        spare = partial;
    }
    let groups = table.groups().map(|(k, a)| (*k, *a)).collect();
    check(&cat, &groups, &reference(&cat, &rows, true));
}

/// Day maps a built batch gives back hold later days, emptied: the second day's groups are
/// those of its rows alone, though its map held the first day's.
#[test]
fn recycled_day_maps_start_empty() {
    let cat = catalog(&["app"]);
    let rows = random_rows(&cat, 500, 23);
    let second = Day((D0 + 2) as i32);
    let (first_rows, later_rows): (Vec<Raw>, Vec<Raw>) = rows
        .iter()
        .cloned()
        .partition(|r| r.ts.is_some_and(|t| t < second.start_millis()));
    let mut worker = PodWorker::default();
    let mut table = PodTable::default();
    let mut partial = worker.run(&to_row_group(&cat, &first_rows, true), &range(), Vec::new());
    table.merge(&mut partial, &cat);
    let done = table.split_before(second);
    assert!(
        done.len() > 10 && table.is_empty(),
        "one whole day moved out"
    );
    table.recycle(done);
    assert_eq!(table.spare.len(), 1, "its map kept for the next day");
    let mut partial = worker.run(&to_row_group(&cat, &later_rows, true), &range(), partial);
    table.merge(&mut partial, &cat);
    assert!(table.spare.is_empty(), "the next day took the map");
    let groups = table.groups().map(|(k, a)| (*k, *a)).collect();
    check(&cat, &groups, &reference(&cat, &later_rows, true));
}

/// Spec §6 by hand: `coalesce(effective, greatest(usage, request))` per daily row, `greatest`
/// NULL when either side is; resource id is a string max where `''` sorts first (E12).
#[test]
fn effective_usage_and_resource_id_by_hand() {
    let cat = catalog(&[]);
    let t = range().start + 10;
    let row = |rid: Option<&'static str>, eff: Option<f64>, u: Option<f64>, q: Option<f64>| Raw {
        ts: Some(t),
        ns: Some("ns"),
        node: Some("n"),
        rid,
        labels: 0,
        m: [u, q, eff, None, None, None, None, None, None, None],
    };
    let rows = [
        row(Some("i-b"), None, Some(5.0), Some(7.0)), // greatest → 7
        row(None, Some(3.0), Some(100.0), None),      // effective wins → 3
        row(Some(""), None, None, Some(9.0)),         // greatest(NULL, 9) → NULL
        row(Some("i-ab"), None, Some(2.0), Some(1.0)), // greatest → 2
    ];
    let data = to_row_group(&cat, &rows, true);
    let partial = PodWorker::default().run(&data, &range(), Vec::new());
    assert_eq!(
        partial.len(),
        3,
        "the group, then `''` and `i-ab` to compare"
    );
    let groups = collapse(&cat, partial);
    let [acc] = &groups.values().collect::<Vec<_>>()[..] else {
        panic!("one group")
    };
    assert_eq!(acc.sum(0), Some(107.0));
    assert_eq!(acc.sum(1), Some(17.0));
    assert_eq!(acc.sum(2), Some(12.0));
    assert_eq!(acc.sum(3), None, "every limit NULL");
    assert_eq!(text(&cat, acc.resource_id).as_deref(), Some("i-b"));
    let mut scaled = **acc;
    scaled.scale(3.0);
    assert_eq!(scaled.sum(2), Some(36.0));
    assert_eq!(scaled.sum(3), None, "NULL stays NULL");
}

#[test]
fn max_string_ignores_null_and_compares_text() {
    let cat = catalog(&[]);
    let cmp = |a: u32, b: u32| cat.compare(a, b);
    let id = |s: &str| intern(&cat, Some(s));
    // Interned in an order unlike their text order, so comparing ids would fail.
    let (z, a, empty, ab) = (id("z"), id("a"), id(""), id("ab"));
    let fold = |ids: &[u32]| {
        let mut acc = NULL_ID;
        for &v in ids {
            max_string(&mut acc, v, &cmp);
        }
        acc
    };
    assert_eq!(fold(&[]), NULL_ID);
    assert_eq!(fold(&[NULL_ID, NULL_ID]), NULL_ID);
    assert_eq!(fold(&[empty, NULL_ID]), empty);
    assert_eq!(fold(&[a, z, ab]), z);
    assert_eq!(fold(&[ab, a, NULL_ID, empty]), ab);
}
