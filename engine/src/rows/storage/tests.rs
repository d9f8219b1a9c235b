//! Storage rows (spec §7) against the SQL computed literally from the raw rows: `vn` as the
//! distinct join of storage lines and pod places (§7.1), the distinct-node count per (day, pv)
//! (§7.2), then every storage row LEFT JOINed to `vn` on (day, pvc, pod, namespace) — not pv
//! (E8) — and to the label and cost-category tables, grouped by the §7.3 key, with the
//! gigabyte-month formulas (D = days in the row's month).

use super::*;
use crate::aggregate::storage::StorageAcc;
use crate::catalog::Catalog;
use crate::plan::lookups::CostCategory;
use crate::rows::labels::MergeMemo;
use crate::test_util::{
    catalog, concat, filter_labels, intern, label_map, label_set, sql_like, sql_max, sql_sum,
    LabelMap, Rng,
};
use std::collections::{BTreeMap, BTreeSet};

const ENABLED: [&str; 3] = ["app", "env", "team"];

type S = Option<&'static str>;
type Json = Option<&'static str>;

#[derive(Clone)]
struct Raw {
    day: Day,
    ns: S,
    pod: S,
    pvc: S,
    pv: S,
    sc: S,
    csi: S,
    pv_labels: Json,
    pvc_labels: Json,
    /// capacity bytes, capacity, request and usage byte-seconds.
    m: [Option<f64>; 4],
}

/// (day, namespace, pod, node, resource_id) of a daily pod row.
type Place = (Day, S, S, S, S);
type LabelRow = (Day, S, Json);

struct Input {
    storage: Vec<Raw>,
    places: Vec<Place>,
    node_labels: Vec<LabelRow>,
    namespace_labels: Vec<LabelRow>,
    categories: Vec<CostCategory>,
}

/// 2024-02-28, 2024-02-29 (leap day, D = 29) and 2024-03-01 (D = 31).
fn days() -> [Day; 3] {
    [(2, 28), (2, 29), (3, 1)].map(|(m, d)| Day::from_ymd(2024, m, d).unwrap())
}

fn input(seed: u64) -> Input {
    let mut rng = Rng::new(seed);
    let namespaces: [S; 4] = [Some("ns-a"), Some("openshift-s"), Some(""), None];
    let pods: [S; 4] = [Some("p1"), Some("p2"), Some(""), None];
    let pv_json: [Json; 4] = [
        Some(r#"{"app": "pv", "team": "tv"}"#),
        Some("{}"),
        Some(r#"{"env": "pv-env"}"#),
        None,
    ];
    let pvc_json: [Json; 4] = [
        Some(r#"{"app": "pvc"}"#),
        Some("{}"),
        Some(r#"{"x": "1"}"#),
        None,
    ];
    let mut storage: Vec<Raw> = (0..300)
        .map(|_| Raw {
            day: rng.pick(&days()),
            ns: rng.pick(&namespaces),
            pod: rng.pick(&pods),
            pvc: rng.pick(&[Some("c1"), Some("c2"), Some(""), None]),
            pv: rng.pick(&[Some("v1"), Some("v2"), Some("v3"), None]),
            sc: rng.pick(&[Some("gp3"), None]),
            csi: rng.pick(&[Some("h1"), None]),
            pv_labels: if rng.percent(10) {
                None
            } else {
                rng.pick(&pv_json[..3])
            },
            pvc_labels: if rng.percent(10) {
                None
            } else {
                rng.pick(&pvc_json[..3])
            },
            m: std::array::from_fn(|_| (!rng.percent(15)).then(|| rng.below(1 << 20) as f64)),
        })
        .collect();
    let mut places = Vec::new();
    for day in days() {
        for ns in namespaces {
            for pod in pods {
                for _ in 0..rng.below(3) {
                    let node = rng.pick(&[Some("n1"), Some("n2"), Some(""), None]);
                    let rid = rng.pick(&[Some("i-1"), Some("i-2"), None]);
                    places.push((day, ns, pod, node, rid));
                }
            }
        }
    }
    // E9: a volume whose only pod ran on a NULL node: the node count is 0.
    for day in days() {
        places.push((day, Some("ns-a"), Some("p9"), None, Some("i-9")));
        storage.push(Raw {
            day,
            ns: Some("ns-a"),
            pod: Some("p9"),
            pvc: Some("c9"),
            pv: Some("v9"),
            sc: None,
            csi: None,
            pv_labels: Some("{}"),
            pvc_labels: Some("{}"),
            m: [Some(1.0), Some(2.0), Some(3.0), Some(0.0)],
        });
    }
    let node_json: [Json; 4] = [
        Some(r#"{"env": "node", "team": "tn"}"#),
        Some(r#"{"app": "node"}"#),
        Some("{}"),
        None,
    ];
    let ns_json: [Json; 3] = [Some(r#"{"team": "tns"}"#), Some("{}"), None];
    let mut label_rows = |entities: &[S], json: &[Json]| -> Vec<LabelRow> {
        let mut rows = Vec::new();
        for day in days() {
            for &e in entities {
                for _ in 0..rng.below(3) {
                    rows.push((day, e, rng.pick(json)));
                }
            }
        }
        rows
    };
    let node_labels = label_rows(&[Some("n1"), Some("n2"), Some(""), None], &node_json);
    let namespace_labels = label_rows(&namespaces, &ns_json);
    let categories = [("openshift-%", 1), ("%-s", 4), ("ns-_", 2)]
        .into_iter()
        .map(|(p, id)| CostCategory {
            pattern: p.to_string(),
            id,
        })
        .collect();
    Input {
        storage,
        places,
        node_labels,
        namespace_labels,
        categories,
    }
}

fn aggregates(cat: &Catalog, input: &Input) -> Aggregates {
    let s = |v: S| intern(cat, v);
    let mut agg = Aggregates::default();
    for r in &input.storage {
        let key = StorageKey {
            day: r.day,
            namespace: s(r.ns),
            pod: s(r.pod),
            pvc: s(r.pvc),
            pv: s(r.pv),
            storageclass: s(r.sc),
            csi_volume_handle: s(r.csi),
            pv_labels: label_set(cat, r.pv_labels),
            pvc_labels: label_set(cat, r.pvc_labels),
        };
        let row = StorageAcc {
            cap_bytes: r.m[0],
            sums: [r.m[1], r.m[2], r.m[3]],
        };
        agg.storage.groups.entry(key).or_default().merge(&row);
    }
    // The pod-side worker drops rows with a NULL namespace or pod (they cannot join).
    agg.volume_nodes.merge(
        input
            .places
            .iter()
            .filter(|p| p.1.is_some() && p.2.is_some())
            .map(|&(day, ns, pod, node, rid)| (day, s(ns), s(pod), s(node), s(rid)))
            .collect(),
    );
    let sets = |rows: &[LabelRow]| -> Vec<(Day, u32, u32)> {
        rows.iter()
            .map(|&(day, e, json)| (day, s(e), label_set(cat, json)))
            .collect()
    };
    agg.node_labels.merge(sets(&input.node_labels));
    agg.namespace_labels.merge(sets(&input.namespace_labels));
    agg
}

/// SQL `=`: NULL never matches.
fn eq(a: S, b: S) -> bool {
    a.is_some() && a == b
}

fn owned(s: S) -> Option<String> {
    s.map(str::to_string)
}

/// The §7.3 group key: (day, namespace, node, resource_id, pvc, pv, storageclass, csi, V).
type Key = (Day, S, S, S, S, S, S, S, Option<LabelMap>);

/// What an output row shows of its key (the csi handle is not an output column).
type Visible = (
    Day,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<LabelMap>,
);

/// The four storage numbers (bits, NaN canonical) and the category of one row.
type Values = ([Option<u64>; 4], Option<i32>);

fn bits(v: Option<f64>) -> Option<u64> {
    v.map(|v| if v.is_nan() { f64::NAN } else { v }.to_bits())
}

#[derive(Debug, Default)]
struct Acc {
    cap_bytes: Option<f64>,
    sums: [Option<f64>; 3],
    node_count: Option<u32>,
    category: Option<i32>,
}

/// What happened on the way, so the test can show the sample reaches the edge cases.
#[derive(Default)]
struct Seen {
    e6_no_pod_row: bool,
    e8_two_pvs: bool,
    e9_zero_nodes: bool,
    shared: bool,
}

fn reference(input: &Input, seen: &mut Seen) -> BTreeMap<Key, Acc> {
    // §7.1: distinct (day, pvc, pv, pod, namespace, node, resource_id).
    let vn: BTreeSet<(Day, S, S, S, S, S, S)> = input
        .storage
        .iter()
        .flat_map(|s| {
            input
                .places
                .iter()
                .filter(move |u| u.0 == s.day && eq(u.1, s.ns) && eq(u.2, s.pod))
                .map(move |u| (s.day, s.pvc, s.pv, s.pod, s.ns, u.3, u.4))
        })
        .collect();
    // §7.2: count(DISTINCT node) per (day, pv); NULL nodes are not counted.
    let mut nodes: BTreeMap<(Day, S), BTreeSet<&str>> = BTreeMap::new();
    for v in &vn {
        let e = nodes.entry((v.0, v.2)).or_default();
        if let Some(node) = v.5 {
            e.insert(node);
        }
    }
    let label_sets = |rows: &[LabelRow], day: Day, e: S| -> Vec<Option<LabelMap>> {
        let sets: BTreeSet<Option<LabelMap>> = rows
            .iter()
            .filter(|r| r.0 == day && eq(r.1, e))
            .map(|r| filter_labels(r.2, &ENABLED))
            .collect();
        if sets.is_empty() {
            vec![None]
        } else {
            sets.into_iter().collect()
        }
    };
    let mut out: BTreeMap<Key, Acc> = BTreeMap::new();
    for s in &input.storage {
        let matches: Vec<&(Day, S, S, S, S, S, S)> = vn
            .iter()
            .filter(|v| v.0 == s.day && eq(v.1, s.pvc) && eq(v.3, s.pod) && eq(v.4, s.ns))
            .collect();
        let pvs: BTreeSet<S> = matches.iter().map(|v| v.2).collect();
        seen.e8_two_pvs |= pvs.len() > 1;
        let mut joined: Vec<(S, S)> = matches.iter().map(|v| (v.5, v.6)).collect();
        if joined.is_empty() {
            seen.e6_no_pod_row = true;
            joined.push((None, None));
        }
        let node_count =
            s.pv.and_then(|_| nodes.get(&(s.day, s.pv)))
                .map(|n| n.len() as u32);
        seen.e9_zero_nodes |= node_count == Some(0);
        seen.shared |= node_count > Some(1);
        let cats: Vec<Option<i32>> = {
            let ids: Vec<Option<i32>> = match s.ns {
                None => Vec::new(),
                Some(ns) => input
                    .categories
                    .iter()
                    .filter(|c| sql_like(&c.pattern, ns))
                    .map(|c| Some(c.id))
                    .collect(),
            };
            if ids.is_empty() {
                vec![None]
            } else {
                ids
            }
        };
        let pv = filter_labels(s.pv_labels, &ENABLED);
        let pvc = filter_labels(s.pvc_labels, &ENABLED);
        for (node, rid) in joined {
            for nl in label_sets(&input.node_labels, s.day, node) {
                for nsl in label_sets(&input.namespace_labels, s.day, s.ns) {
                    for &category in &cats {
                        // map_concat is NULL when the PV or PVC map is (E5).
                        let v = match (&pv, &pvc) {
                            (Some(pv), Some(pvc)) => Some(concat(&[
                                &nl.clone().unwrap_or_default(),
                                &nsl.clone().unwrap_or_default(),
                                pv,
                                pvc,
                            ])),
                            _ => None,
                        };
                        let key = (s.day, s.ns, node, rid, s.pvc, s.pv, s.sc, s.csi, v);
                        let a = out.entry(key).or_default();
                        a.cap_bytes = sql_max(a.cap_bytes, s.m[0]);
                        for (acc, v) in a.sums.iter_mut().zip(&s.m[1..]) {
                            *acc = sql_sum(*acc, *v);
                        }
                        a.node_count = a.node_count.max(node_count);
                        a.category = a.category.max(category);
                    }
                }
            }
        }
    }
    out
}

/// The §7.3 output formulas.
fn expected_rows(input: &Input, seen: &mut Seen) -> BTreeMap<Visible, Vec<Values>> {
    let mut out: BTreeMap<Visible, Vec<Values>> = BTreeMap::new();
    for (k, a) in reference(input, seen) {
        let (y, m, _) = k.0.ymd();
        let month_days = match (y, m) {
            (2024, 2) => 29.0,
            (2024, 3) => 31.0,
            _ => unreachable!("test days"),
        };
        let months = |bs: f64| bs / (86_400.0 * month_days) * GIB;
        let shared = |s: Option<f64>| Some(months(s? / f64::from(a.node_count?)));
        let values = [
            a.cap_bytes.map(|b| b * GIB),
            a.sums[0].map(months),
            shared(a.sums[1]),
            shared(a.sums[2]),
        ];
        let visible = (
            k.0,
            owned(k.1),
            owned(k.2),
            owned(k.3),
            owned(k.4),
            owned(k.5),
            owned(k.6),
            k.8,
        );
        out.entry(visible)
            .or_default()
            .push((values.map(bits), a.category));
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

#[test]
fn storage_rows_match_the_sql_joins_and_formulas() {
    let cat = catalog(&ENABLED);
    let mut seen = Seen::default();
    for seed in [101, 102, 103, 104] {
        let input = input(seed);
        let agg = aggregates(&cat, &input);
        let mut categories = CategoryMatcher::new(&input.categories);
        let mut memo = MergeMemo::default();
        let got: BTreeMap<Visible, Vec<Values>> = cat.with_labels(|labels, keys| {
            let strings = cat.strings();
            let rows = {
                let mut merger = LabelMerger::new(&mut *labels, &mut memo);
                build(&agg, &mut categories, strings, &mut merger)
            };
            let s = |id: u32| {
                (id != NULL_ID).then(|| String::from_utf8(strings.get(id).to_vec()).unwrap())
            };
            let mut out: BTreeMap<Visible, Vec<Values>> = BTreeMap::new();
            for r in rows {
                assert_eq!(r.data_source, DataSource::Storage);
                assert_eq!(r.pod_labels, NULL_SET);
                assert!(r
                    .pod
                    .iter()
                    .chain(&r.capacities())
                    .all(|v| v.get().is_none()));
                assert!(r.has_infrastructure_usage_cost);
                let visible = (
                    r.day,
                    s(r.namespace),
                    s(r.node),
                    s(r.resource_id),
                    s(r.persistentvolumeclaim),
                    s(r.persistentvolume),
                    s(r.storageclass),
                    label_map(labels, keys, r.volume_labels),
                );
                let values = r.storage.map(|v| bits(v.get()));
                out.entry(visible)
                    .or_default()
                    .push((values, r.cost_category_id));
            }
            for v in out.values_mut() {
                v.sort();
            }
            out
        });
        let want = expected_rows(&input, &mut seen);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>()
        );
        for (k, w) in &want {
            assert_eq!(&got[k], w, "{k:?}");
        }
    }
    assert!(seen.e6_no_pod_row, "a line without a pod row (E6)");
    assert!(seen.e8_two_pvs, "a claim bound to two PVs in a day (E8)");
    assert!(
        seen.e9_zero_nodes,
        "a PV whose pods all have a NULL node (E9)"
    );
    assert!(seen.shared, "a PV on several nodes (E7)");
}
