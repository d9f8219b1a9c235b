//! Unallocated rows (spec §8) against a plain computation from the Pod rows' text: group by
//! (day, node), role = string max of the roles joined on (node, resource_id), capacity minus the
//! sums, one row per matching cost category.

use super::*;
use crate::catalog::NULL_SET;
use crate::plan::lookups::RoleResource;
use crate::rows::OptF64;
use crate::test_util::{close, sql_like, sql_max, sql_sum, Rng};
use std::collections::BTreeMap;

const PLATFORM: &str = "Platform unallocated";
const WORKER: &str = "Worker unallocated";

fn role(node: &str, resource_id: RoleResource, role: Option<&str>) -> NodeRole {
    NodeRole {
        node: node.to_string(),
        resource_id,
        role: role.map(str::to_string),
    }
}

fn id(rid: &str) -> RoleResource {
    RoleResource::Id(rid.to_string())
}

/// The `reporting_ocp_nodes` rows of the tests (and E10's ways to end up with no namespace).
fn roles() -> Vec<NodeRole> {
    vec![
        role("n1", id("i-1"), Some("master")),
        role("n1", id("i-2"), Some("worker")), // n1 with both ids that day: max → worker
        role("n2", RoleResource::Any, Some("infra")),
        role("n2", id("i-2"), Some("worker")), // exact and any both apply: max
        role("n3", id("i-1"), Some("zzz-other")), // not a known role → NULL namespace
        role("n3", id("i-2"), None),           // NULL role
        role("n4", RoleResource::Null, Some("worker")), // NULL resource id never joins
        role("ghost", id("i-1"), Some("master")), // a node no Pod row has
    ]
}

/// Derived roles (`--derive-node-roles`), as (node, resource id, role) text.
const DERIVED: [(&str, &str, &str); 3] = [
    ("n5", "i-1", "worker"), // no flag: counts
    ("n1", "i-1", "infra"),  // the flag names (n1, i-1): ignored
    ("n2", "i-1", "master"), // the flag covers every id of n2: ignored
];

/// Plain role lookup for one Pod row, from the text of the tables above.
fn reference_role(node: &str, rid: Option<&str>) -> Option<String> {
    let rid = rid?;
    let flags = roles();
    let flagged: Vec<&NodeRole> = flags
        .iter()
        .filter(|r| r.node == node && r.role.is_some())
        .collect();
    let mut best: Option<String> = None;
    for r in &flagged {
        let applies = match &r.resource_id {
            RoleResource::Any => true,
            RoleResource::Id(x) => x == rid,
            RoleResource::Null => false,
        };
        if applies {
            best = best.max(r.role.clone());
        }
    }
    let named = flagged.iter().any(|r| match &r.resource_id {
        RoleResource::Any => true,
        RoleResource::Id(x) => x == rid,
        RoleResource::Null => false,
    });
    for (n, r, role) in DERIVED {
        if n == node && r == rid && !named {
            best = best.max(Some(role.to_string()));
        }
    }
    best
}

struct Fixture {
    strings: SharedInterner,
    special: [u32; 4],
    lookup: RoleLookup,
}

fn fixture(extra: &[&str]) -> Fixture {
    let strings = SharedInterner::new();
    for s in [
        "n1",
        "n2",
        "n3",
        "n4",
        "n5",
        "ns-a",
        "openshift-x",
        "",
        "i-1",
        "i-2",
    ]
    .iter()
    .chain(extra)
    {
        strings.intern(s.as_bytes());
    }
    let special = intern_namespaces(&strings);
    let derived: Vec<(u32, u32, String)> = DERIVED
        .iter()
        .map(|(n, r, role)| {
            (
                strings.lookup(n.as_bytes()).unwrap(),
                strings.lookup(r.as_bytes()).unwrap(),
                role.to_string(),
            )
        })
        .collect();
    let lookup = RoleLookup::new(&roles(), &derived, &strings);
    Fixture {
        strings,
        special,
        lookup,
    }
}

fn categories() -> Vec<CostCategory> {
    [
        ("Platform unallocated", 1),
        ("%unallocated", 7),
        ("Worker%", 9),
        ("openshift-%", 1),
    ]
    .into_iter()
    .map(|(p, id)| CostCategory {
        pattern: p.to_string(),
        id,
    })
    .collect()
}

fn s(f: &Fixture, v: Option<&str>) -> u32 {
    v.map_or(NULL_ID, |v| {
        f.strings.lookup(v.as_bytes()).expect("interned")
    })
}

fn t(f: &Fixture, id: u32) -> Option<String> {
    (id != NULL_ID).then(|| String::from_utf8(f.strings.get(id).to_vec()).unwrap())
}

fn pod_rows(f: &Fixture, n: usize, seed: u64) -> Vec<SummaryRow> {
    let mut rng = Rng::new(seed);
    let nodes = [
        Some("n1"),
        Some("n2"),
        Some("n3"),
        Some("n4"),
        Some("n5"),
        None,
    ];
    let namespaces = [
        Some("ns-a"),
        Some("openshift-x"),
        Some(""),
        None,
        Some(SPECIAL[0]),
        Some(SPECIAL[1]),
        Some(SPECIAL[2]),
        Some(SPECIAL[3]),
    ];
    let rids = [None, Some(""), Some("i-1"), Some("i-2")];
    let num = |rng: &mut Rng, null_pct| {
        OptF64::from((!rng.percent(null_pct)).then(|| rng.below(5_000) as f64 - 500.0))
    };
    (0..n)
        .map(|_| {
            let source = if rng.percent(10) {
                DataSource::Storage
            } else {
                DataSource::Pod
            };
            let mut r = SummaryRow::empty(source, Day(20_900 + rng.below(40) as i32));
            r.node = s(f, rng.pick(&nodes));
            r.namespace = s(f, rng.pick(&namespaces));
            r.resource_id = s(f, rng.pick(&rids));
            for v in r.pod.iter_mut() {
                *v = num(&mut rng, 10);
            }
            r.node_capacity_cpu_cores = num(&mut rng, 5);
            r.node_capacity_cpu_core_hours = num(&mut rng, 5);
            r.node_capacity_memory_gigabytes = num(&mut rng, 5);
            r.node_capacity_memory_gigabyte_hours = num(&mut rng, 5);
            r.cluster_capacity_cpu_core_hours = num(&mut rng, 5);
            r.cluster_capacity_memory_gigabyte_hours = num(&mut rng, 5);
            r
        })
        .collect()
}

/// What an unallocated row must hold, in text and plain numbers.
#[derive(Debug, PartialEq, Clone)]
struct Want {
    namespace: Option<String>,
    resource_id: Option<String>,
    pod: [Option<f64>; 8],
    capacities: [Option<f64>; 6],
    category: Option<i32>,
}

/// Key: (day, node text, category).
type Key = (Day, String, Option<i32>);

fn reference(f: &Fixture, rows: &[SummaryRow]) -> BTreeMap<Key, Want> {
    #[derive(Default)]
    struct Group {
        rid: Option<String>,
        role: Option<String>,
        sums: [Option<f64>; 8],
        caps: [Option<f64>; 6],
    }
    let mut groups: BTreeMap<(Day, String), Group> = BTreeMap::new();
    for r in rows {
        let (Some(node), Some(ns)) = (t(f, r.node), t(f, r.namespace)) else {
            continue;
        };
        if r.data_source != DataSource::Pod || SPECIAL.contains(&ns.as_str()) {
            continue;
        }
        let g = groups.entry((r.day, node.clone())).or_default();
        let rid = t(f, r.resource_id);
        g.role = g.role.clone().max(reference_role(&node, rid.as_deref()));
        g.rid = g.rid.clone().max(rid);
        for (acc, v) in g.sums.iter_mut().zip(r.pod) {
            *acc = sql_sum(*acc, v.get());
        }
        for (acc, v) in g.caps.iter_mut().zip(r.capacities()) {
            *acc = sql_max(*acc, v.get());
        }
    }
    let mut out = BTreeMap::new();
    for ((day, node), g) in groups {
        let namespace = match g.role.as_deref() {
            Some("master") | Some("infra") => Some(PLATFORM),
            Some("worker") => Some(WORKER),
            _ => None,
        };
        let [_, cpu_hours, _, gib_hours, _, _] = g.caps;
        let minus = |cap: Option<f64>, sum: Option<f64>| Some(cap? - sum?);
        let pod = [
            minus(cpu_hours, g.sums[0]),
            minus(cpu_hours, g.sums[1]),
            minus(cpu_hours, g.sums[2]),
            None,
            minus(gib_hours, g.sums[4]),
            minus(gib_hours, g.sums[5]),
            minus(gib_hours, g.sums[6]),
            None,
        ];
        let ids: Vec<i32> = namespace.map_or(Vec::new(), |ns| {
            categories()
                .iter()
                .filter(|c| sql_like(&c.pattern, ns))
                .map(|c| c.id)
                .collect()
        });
        let ids = if ids.is_empty() {
            vec![None]
        } else {
            ids.into_iter().map(Some).collect()
        };
        for category in ids {
            let want = Want {
                namespace: namespace.map(str::to_string),
                resource_id: g.rid.clone(),
                pod,
                capacities: g.caps,
                category,
            };
            assert!(out.insert((day, node.clone(), category), want).is_none());
        }
    }
    out
}

fn got(f: &Fixture, rows: &[SummaryRow]) -> BTreeMap<Key, Want> {
    let mut out = BTreeMap::new();
    for r in rows {
        assert_eq!(r.data_source, DataSource::Pod);
        assert_eq!((r.pod_labels, r.volume_labels), (NULL_SET, NULL_SET));
        assert!(r.storage.iter().all(|v| v.get().is_none()));
        assert!(!r.has_infrastructure_usage_cost);
        let key = (r.day, t(f, r.node).expect("node"), r.cost_category_id);
        let want = Want {
            namespace: t(f, r.namespace),
            resource_id: t(f, r.resource_id),
            pod: r.pod.map(OptF64::get),
            capacities: r.capacities().map(OptF64::get),
            category: r.cost_category_id,
        };
        assert!(out.insert(key, want).is_none(), "one row per key");
    }
    out
}

#[test]
fn rows_match_a_plain_computation_from_the_pod_rows() {
    let f = fixture(&[]);
    let rows = pod_rows(&f, 800, 81);
    let built = build(&rows, &f.lookup, &categories(), &f.strings, f.special);
    let (got, want) = (got(&f, &built), reference(&f, &rows));
    assert_eq!(got.len(), want.len());
    for (k, w) in &want {
        let g = &got[k];
        assert_eq!(
            (&g.namespace, &g.resource_id, g.category),
            (&w.namespace, &w.resource_id, w.category),
            "{k:?}"
        );
        for i in 0..8 {
            assert!(close(g.pod[i], w.pod[i]), "{k:?} pod[{i}]: {g:?} vs {w:?}");
        }
        assert_eq!(g.capacities, w.capacities, "{k:?}");
    }
    // The sample reaches every namespace outcome.
    let namespaces: Vec<Option<&str>> = want.values().map(|w| w.namespace.as_deref()).collect();
    assert!(namespaces.contains(&Some(PLATFORM)));
    assert!(namespaces.contains(&Some(WORKER)));
    assert!(namespaces.contains(&None));
}

fn pod_row(f: &Fixture, node: &str, ns: &str, rid: Option<&str>, usage: f64) -> SummaryRow {
    let mut r = SummaryRow::empty(DataSource::Pod, Day(20_900));
    r.node = s(f, Some(node));
    r.namespace = s(f, Some(ns));
    r.resource_id = s(f, rid);
    r.pod = [
        Some(usage),
        Some(100.0),
        None,
        Some(1.0),
        None,
        Some(2.0),
        Some(3.0),
        Some(4.0),
    ]
    .map(OptF64::from);
    r.node_capacity_cpu_core_hours = Some(96.0).into();
    r.node_capacity_memory_gigabyte_hours = Some(10.0).into();
    r
}

fn namespace_of(f: &Fixture, rows: &[SummaryRow], node: &str) -> Vec<Option<String>> {
    rows.iter()
        .filter(|r| t(f, r.node).as_deref() == Some(node))
        .map(|r| t(f, r.namespace))
        .collect()
}

/// Spec §8 by hand, and the ways E10 leaves the namespace NULL.
#[test]
fn roles_and_formulas_by_hand() {
    let f = fixture(&[]);
    let rows = vec![
        // n1: rows with i-1 (master) and i-2 (worker): max("master", "worker") = worker.
        pod_row(&f, "n1", "ns-a", Some("i-1"), 10.0),
        pod_row(&f, "n1", "openshift-x", Some("i-2"), 20.0),
        // n2: any id → infra.
        pod_row(&f, "n2", "ns-a", Some("i-1"), 0.0),
        // n3: a role Koku does not map.
        pod_row(&f, "n3", "ns-a", Some("i-1"), 0.0),
        // n4: its only role row has a NULL resource id.
        pod_row(&f, "n4", "ns-a", Some("i-1"), 0.0),
        // n5: role only from the derived rows.
        pod_row(&f, "n5", "ns-a", Some("i-1"), 0.0),
        // A NULL resource id never joins (n1 would be master or worker otherwise).
        pod_row(&f, "n1", "ns-a", None, 0.0),
    ];
    let built = build(&rows, &f.lookup, &[], &f.strings, f.special);
    let worker = Some(WORKER.to_string());
    let platform = Some(PLATFORM.to_string());
    assert_eq!(namespace_of(&f, &built, "n1"), vec![worker.clone()]);
    assert_eq!(namespace_of(&f, &built, "n2"), vec![platform]);
    assert_eq!(namespace_of(&f, &built, "n3"), vec![None]);
    assert_eq!(namespace_of(&f, &built, "n4"), vec![None]);
    assert_eq!(namespace_of(&f, &built, "n5"), vec![worker]);
    let n1 = built.iter().find(|r| r.node == s(&f, Some("n1"))).unwrap();
    assert_eq!(n1.pod[0].get(), Some(96.0 - 30.0));
    assert_eq!(n1.pod[1].get(), Some(96.0 - 300.0), "may be negative (E11)");
    assert_eq!(n1.pod[2].get(), None, "a NULL sum gives NULL");
    assert_eq!(n1.pod[3].get(), None, "limits are not carried");
    assert_eq!(n1.pod[5].get(), Some(10.0 - 6.0));
    assert_eq!(n1.pod[6].get(), Some(10.0 - 9.0));
    assert_eq!(n1.pod[7].get(), None);
    assert_eq!(t(&f, n1.resource_id).as_deref(), Some("i-2"));
    // NULL capacity → NULL results.
    let mut no_capacity = pod_row(&f, "n2", "ns-a", Some("i-1"), 5.0);
    no_capacity.node_capacity_cpu_core_hours = OptF64::NULL;
    let built = build(&[no_capacity], &f.lookup, &[], &f.strings, f.special);
    assert_eq!(built[0].pod[0].get(), None);
    assert_eq!(built[0].pod[5].get(), Some(8.0));
}

/// Koku's seed maps `Platform unallocated` to Platform and `Worker unallocated` to nothing;
/// overlapping patterns give one row per match (a plain LEFT JOIN, no aggregation).
#[test]
fn cost_categories_duplicate_rows() {
    let f = fixture(&[]);
    let rows = vec![
        pod_row(&f, "n2", "ns-a", Some("i-1"), 1.0),
        pod_row(&f, "n1", "ns-a", Some("i-2"), 1.0),
        pod_row(&f, "n3", "ns-a", Some("i-1"), 1.0),
    ];
    let seed: Vec<CostCategory> = ["openshift-%", "kube-%", "Platform unallocated", "openshift"]
        .iter()
        .map(|p| CostCategory {
            pattern: p.to_string(),
            id: 1,
        })
        .collect();
    let built = build(&rows, &f.lookup, &seed, &f.strings, f.special);
    let by_node = |node: &str| -> Vec<Option<i32>> {
        built
            .iter()
            .filter(|r| r.node == s(&f, Some(node)))
            .map(|r| r.cost_category_id)
            .collect()
    };
    assert_eq!(by_node("n2"), vec![Some(1)]);
    assert_eq!(by_node("n1"), vec![None]);
    assert_eq!(by_node("n3"), vec![None]);
    let built = build(&rows, &f.lookup, &categories(), &f.strings, f.special);
    let mut n2: Vec<Option<i32>> = built
        .iter()
        .filter(|r| r.node == s(&f, Some("n2")))
        .map(|r| r.cost_category_id)
        .collect();
    n2.sort();
    assert_eq!(n2, vec![Some(1), Some(7)]);
}
