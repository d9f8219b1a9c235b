//! Pod rows (spec §6) against the SQL computed literally from the raw rows: every daily pod row
//! LEFT JOINs every distinct node label set of its (day, node) and namespace label set of its
//! (day, namespace) (E2) and every matching cost category (E3); the merged map is a group key;
//! then the output formulas of the §6 table.

use super::*;
use crate::aggregate::capacity::{CapacityTable, IntervalMax};
use crate::aggregate::pod::{PodWorker, COLUMNS};
use crate::catalog::{Catalog, NULL_ID};
use crate::plan::lookups::CostCategory;
use crate::rows::labels::MergeMemo;
use crate::test_util::{
    catalog, close, concat, f64_col, filter_labels, id_col, intern, label_map, label_set,
    row_group, sql_like, sql_max, sql_sum, text, ts_col, LabelMap, Rng,
};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

const ENABLED: [&str; 4] = ["app", "env", "team", "zone"];
const DAY: i64 = 86_400_000;
const D0: i32 = 20_400;

type Json = Option<&'static str>;

struct Raw {
    ts: Option<i64>,
    ns: Option<&'static str>,
    node: Option<&'static str>,
    rid: Option<&'static str>,
    labels: Json,
    /// usage, request, effective, limit (cpu); the same for memory; node cores; node bytes.
    m: [Option<f64>; 10],
}

type Cpu = Option<f64>;
type Mem = Option<f64>;

/// A label row of the node or namespace table: (day, entity, label JSON).
type LabelRow = (i32, Option<&'static str>, Json);

struct Input {
    pods: Vec<Raw>,
    node_labels: Vec<LabelRow>,
    namespace_labels: Vec<LabelRow>,
    /// Hourly capacity maxima: (interval start, node, cpu seconds, memory byte-seconds).
    capacity: Vec<(i64, Option<&'static str>, Cpu, Mem)>,
    categories: Vec<CostCategory>,
}

fn range() -> Range<i64> {
    i64::from(D0) * DAY..i64::from(D0 + 3) * DAY
}

fn input(seed: u64) -> Input {
    let mut rng = Rng::new(seed);
    let nodes = [Some("n1"), Some("n2"), Some("n3"), Some(""), None];
    let namespaces = [
        Some("ns-a"),
        Some("openshift-mon"), // three categories
        Some("openshift-x"),   // two
        Some("kube-x"),
        Some(""),
        None,
    ];
    let pod_labels: [Json; 5] = [
        Some(r#"{"app": "web"}"#),
        Some(r#"{"app": "db", "env": "dev"}"#),
        Some("{}"),
        None,
        Some(r#"{"zone": "z", "other": "o"}"#),
    ];
    let node_json: [Json; 5] = [
        Some(r#"{"env": "prod", "zone": "a"}"#),
        Some(r#"{"env": "dev"}"#),
        Some(r#"{"other": "x"}"#), // filters to {}
        Some("{}"),
        None,
    ];
    let ns_json: [Json; 4] = [
        Some(r#"{"team": "t1", "env": "stage"}"#),
        Some(r#"{"app": "from-ns"}"#),
        Some("{}"),
        None,
    ];
    let days = D0 - 1..D0 + 4;
    let pods = (0..400)
        .map(|_| {
            let day = i64::from(D0 - 1) + rng.below(5) as i64;
            Raw {
                ts: (!rng.percent(3)).then(|| day * DAY + rng.below(24) as i64 * 3_600_000),
                ns: rng.pick(&namespaces),
                node: rng.pick(&nodes),
                rid: rng.pick(&[None, Some(""), Some("i-1"), Some("i-2")]),
                labels: rng.pick(&pod_labels),
                m: std::array::from_fn(|i| {
                    let null_pct = if i == 2 || i == 6 { 50 } else { 10 };
                    (!rng.percent(null_pct)).then(|| rng.below(100_000) as f64)
                }),
            }
        })
        .collect();
    // Label rows for some (day, entity) pairs only, several sets for some (E2).
    let mut label_rows = |entities: &[Option<&'static str>], json: &[Json]| -> Vec<LabelRow> {
        let mut rows = Vec::new();
        for day in days.clone() {
            for &e in entities {
                for _ in 0..rng.below(4) {
                    rows.push((day, e, rng.pick(json)));
                }
            }
        }
        rows
    };
    let node_labels = label_rows(&nodes, &node_json);
    let namespace_labels = label_rows(&namespaces, &ns_json);
    let mut capacity = Vec::new();
    for day in days {
        for node in nodes {
            for hour in 0..3 {
                if rng.percent(70) {
                    let t = i64::from(day) * DAY + hour * 3_600_000;
                    let v =
                        |rng: &mut Rng| (!rng.percent(10)).then(|| rng.below(64) as f64 * 3600.0);
                    capacity.push((t, node, v(&mut rng), v(&mut rng)));
                }
            }
        }
    }
    let categories = [
        ("openshift-%", 1),
        ("kube-%", 1),
        ("openshift%", 3),
        ("%-mon", 2),
    ]
    .into_iter()
    .map(|(p, id)| CostCategory {
        pattern: p.to_string(),
        id,
    })
    .collect();
    Input {
        pods,
        node_labels,
        namespace_labels,
        capacity,
        categories,
    }
}

fn aggregates(cat: &Catalog, input: &Input) -> (Aggregates, DailyCapacity) {
    let rows = &input.pods;
    let ids = |f: &dyn Fn(&Raw) -> Option<&'static str>| {
        id_col(&rows.iter().map(|r| intern(cat, f(r))).collect::<Vec<_>>())
    };
    let mut cols = vec![
        ts_col(&rows.iter().map(|r| r.ts).collect::<Vec<_>>()),
        ids(&|r| r.ns),
        ids(&|r| r.node),
        ids(&|r| r.rid),
        id_col(
            &rows
                .iter()
                .map(|r| label_set(cat, r.labels))
                .collect::<Vec<_>>(),
        ),
    ];
    for i in 0..10 {
        cols.push(f64_col(&rows.iter().map(|r| r.m[i]).collect::<Vec<_>>()));
    }
    assert_eq!(cols.len(), COLUMNS.len());
    let mut agg = Aggregates::default();
    let data = row_group(rows.len(), cols);
    let mut partial = PodWorker::default().run(&data, &range(), Vec::new());
    agg.pods.merge(&mut partial, cat);
    let sets = |rows: &[LabelRow]| -> Vec<(Day, u32, u32)> {
        rows.iter()
            .map(|&(day, e, json)| (Day(day), intern(cat, e), label_set(cat, json)))
            .collect()
    };
    agg.node_labels.merge(sets(&input.node_labels));
    agg.namespace_labels.merge(sets(&input.namespace_labels));
    let mut capacity = CapacityTable::default();
    capacity.merge(
        input
            .capacity
            .iter()
            .map(|&(t, node, cpu, mem)| ((t, intern(cat, node)), IntervalMax { cpu, mem }))
            .collect(),
    );
    (agg, capacity.daily())
}

/// (day, namespace, node, merged labels).
type Key = (i32, Option<String>, String, Option<LabelMap>);

#[derive(Debug, Default)]
struct Acc {
    sums: [Option<f64>; 8],
    rid: Option<String>,
    cap_cores: Option<f64>,
    cap_bytes: Option<f64>,
    category: Option<i32>,
}

/// The SQL of spec §6, row by row.
fn reference(input: &Input) -> BTreeMap<Key, Acc> {
    let label_sets = |rows: &[LabelRow], day: i32, e: Option<&str>| -> Vec<Option<LabelMap>> {
        // `=` never matches NULL; a miss joins once with NULL, read as `{}`.
        let sets: BTreeSet<Option<LabelMap>> = rows
            .iter()
            .filter(|r| r.0 == day && r.1.is_some() && r.1 == e)
            .map(|r| filter_labels(r.2, &ENABLED))
            .collect();
        if sets.is_empty() {
            vec![None]
        } else {
            sets.into_iter().collect()
        }
    };
    let mut out: BTreeMap<Key, Acc> = BTreeMap::new();
    for r in &input.pods {
        let Some(t) = r.ts.filter(|t| range().contains(t)) else {
            continue;
        };
        let Some(node) = r.node.filter(|n| !n.is_empty()) else {
            continue;
        };
        let day = (t / DAY) as i32;
        let pod = filter_labels(r.labels, &ENABLED);
        let cats: Vec<Option<i32>> = match r.ns {
            None => vec![None],
            Some(ns) => {
                let ids: Vec<Option<i32>> = input
                    .categories
                    .iter()
                    .filter(|c| sql_like(&c.pattern, ns))
                    .map(|c| Some(c.id))
                    .collect();
                if ids.is_empty() {
                    vec![None]
                } else {
                    ids
                }
            }
        };
        let eff = |e: Option<f64>, u: Option<f64>, q: Option<f64>| e.or_else(|| Some(u?.max(q?)));
        let m = r.m;
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
        for nl in label_sets(&input.node_labels, day, Some(node)) {
            for nsl in label_sets(&input.namespace_labels, day, r.ns) {
                for &category in &cats {
                    let merged = pod.as_ref().map(|p| {
                        concat(&[
                            &nl.clone().unwrap_or_default(),
                            &nsl.clone().unwrap_or_default(),
                            p,
                        ])
                    });
                    let key = (day, r.ns.map(str::to_string), node.to_string(), merged);
                    let a = out.entry(key).or_default();
                    for (s, v) in a.sums.iter_mut().zip(metrics) {
                        *s = sql_sum(*s, v);
                    }
                    a.rid = a.rid.clone().max(r.rid.map(str::to_string));
                    a.cap_cores = sql_max(a.cap_cores, m[8]);
                    a.cap_bytes = sql_max(a.cap_bytes, m[9]);
                    a.category = a.category.max(category);
                }
            }
        }
    }
    out
}

/// Capacity seconds (cpu, memory) of a node or cluster.
type Pair = (Cpu, Mem);
type NodeCapacity = BTreeMap<(i32, Option<&'static str>), Pair>;

/// NC(day, node) and CC(day) of spec §5 from the hourly maxima.
fn reference_capacity(input: &Input) -> (NodeCapacity, BTreeMap<i32, Pair>) {
    let mut node = BTreeMap::new();
    let mut cluster = BTreeMap::new();
    for &(t, n, cpu, mem) in &input.capacity {
        let day = (t / DAY) as i32;
        let e: &mut Pair = node.entry((day, n)).or_default();
        *e = (sql_sum(e.0, cpu), sql_sum(e.1, mem));
        let c: &mut Pair = cluster.entry(day).or_default();
        *c = (sql_sum(c.0, cpu), sql_sum(c.1, mem));
    }
    (node, cluster)
}

#[test]
fn pod_rows_match_the_sql_joins_and_formulas() {
    let cat = catalog(&ENABLED);
    // The groups' table and the row vector carry over from seed to seed, as from batch to batch.
    let mut groups = PodGroups::default();
    let mut spare: Vec<SummaryRow> = Vec::new();
    for seed in [91, 92, 93] {
        let input = input(seed);
        let (agg, daily) = aggregates(&cat, &input);
        let mut categories = CategoryMatcher::new(&input.categories);
        let mut memo = MergeMemo::default();
        let got: BTreeMap<Key, SummaryRow> = cat.with_labels(|labels, keys| {
            let strings = cat.strings();
            let mut rows = {
                let mut merger = LabelMerger::new(&mut *labels, &mut memo);
                let rows = std::mem::take(&mut spare);
                build(
                    &agg,
                    &daily,
                    &mut categories,
                    strings,
                    &mut merger,
                    &mut groups,
                    rows,
                )
            };
            let mut out = BTreeMap::new();
            for r in rows.drain(..) {
                let s = |id: u32| {
                    (id != NULL_ID).then(|| String::from_utf8(strings.get(id).to_vec()).unwrap())
                };
                let key = (
                    r.day.0,
                    s(r.namespace),
                    s(r.node).expect("node"),
                    label_map(labels, keys, r.pod_labels),
                );
                assert!(out.insert(key, r).is_none(), "one row per group");
            }
            spare = rows;
            out
        });
        let want = reference(&input);
        let (nc, cc) = reference_capacity(&input);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>()
        );
        let mut multiplied = false;
        for (k, w) in &want {
            let r = &got[k];
            assert_eq!(r.data_source, DataSource::Pod);
            assert_eq!(r.day, Day(k.0));
            for i in 0..8 {
                let hours = |s: f64| if i < 4 { s / 3600.0 } else { s / 3600.0 * GIB };
                let want = w.sums[i].map(hours);
                assert!(
                    close(r.pod[i].get(), want),
                    "{k:?} pod[{i}]: {:?} vs {want:?}",
                    r.pod[i]
                );
            }
            assert_eq!(text(&cat, r.resource_id), w.rid, "{k:?}");
            assert_eq!(r.node_capacity_cpu_cores.get(), w.cap_cores);
            assert_eq!(
                r.node_capacity_memory_gigabytes.get(),
                w.cap_bytes.map(|b| b * GIB)
            );
            let node_cap = nc
                .get(&(k.0, Some(k.2.as_str())))
                .copied()
                .unwrap_or_default();
            assert!(close(
                r.node_capacity_cpu_core_hours.get(),
                node_cap.0.map(|s| s / 3600.0)
            ));
            assert!(close(
                r.node_capacity_memory_gigabyte_hours.get(),
                node_cap.1.map(|s| s / 3600.0 * GIB)
            ));
            let cl = cc.get(&k.0).copied().unwrap_or_default();
            assert!(close(
                r.cluster_capacity_cpu_core_hours.get(),
                cl.0.map(|s| s / 3600.0)
            ));
            assert!(close(
                r.cluster_capacity_memory_gigabyte_hours.get(),
                cl.1.map(|s| s / 3600.0 * GIB)
            ));
            assert_eq!(r.cost_category_id, w.category, "{k:?}");
            assert!(r.has_infrastructure_usage_cost);
            assert!(r.storage.iter().all(|v| v.get().is_none()));
            assert_eq!(r.volume_labels, crate::catalog::NULL_SET);
            multiplied |= w.category == Some(3) && k.1.as_deref() == Some("openshift-x");
        }
        assert!(
            multiplied,
            "the sample has namespaces in two and three categories"
        );
        assert!(want.keys().any(|k| k.3.is_none()), "NULL pod labels (E5)");
    }
}
