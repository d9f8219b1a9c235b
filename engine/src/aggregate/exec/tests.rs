use super::*;

#[test]
fn rows_before_the_statistics_minimum_are_found() {
    let day = Day(20_000);
    let col = |ts: &[i64], valid: &[bool]| ColumnData {
        i64s: ts.to_vec(),
        valid: valid.iter().copied().collect(),
        ..Default::default()
    };
    let ms = Day(19_990).start_millis()..Day(20_030).start_millis();
    let inside = day.start_millis() + 5;
    let early = day.start_millis() - 1;
    assert_eq!(
        row_before(&col(&[inside, inside], &[true, true]), day, &ms),
        None
    );
    assert_eq!(
        row_before(&col(&[inside, early], &[true, true]), day, &ms),
        Some(early)
    );
    // NULL slots and rows outside the run's range are not the statistics' fault.
    assert_eq!(
        row_before(&col(&[inside, early], &[true, false]), day, &ms),
        None
    );
    let before_run = ms.start - 1;
    assert_eq!(row_before(&col(&[before_run], &[true]), day, &ms), None);
}

mod split {
    use super::*;
    use crate::aggregate::capacity::IntervalMax;
    use crate::aggregate::cluster::ClusterTable;
    use crate::aggregate::pod::{PodKey, PodWorker, COLUMNS as POD_COLUMNS};
    use crate::aggregate::storage::{StorageAcc, StorageKey};
    use crate::catalog::NULL_ID;
    use crate::test_util::{catalog, f64_col, id_col, intern, row_group, ts_col};
    use std::collections::BTreeMap;

    const D: Day = Day(20_800);

    fn at(day_offset: i32, ms: i64) -> i64 {
        Day(D.0 + day_offset).start_millis() + ms
    }

    /// Every per-day table, keyed and printed, so two snapshots compare whole values.
    #[derive(Debug, PartialEq, Default)]
    struct Snap {
        node_capacity: BTreeMap<(Day, u32), String>,
        cluster_capacity: BTreeMap<Day, String>,
        pods: BTreeMap<PodKey, String>,
        node_labels: BTreeMap<(Day, u32), Vec<u32>>,
        namespace_labels: BTreeMap<(Day, u32), Vec<u32>>,
        storage: BTreeMap<StorageKey, String>,
    }

    fn snap(agg: &Aggregates) -> Snap {
        let daily = agg.capacity.daily();
        Snap {
            node_capacity: daily
                .node
                .iter()
                .map(|(k, v)| (*k, format!("{v:?}")))
                .collect(),
            cluster_capacity: daily
                .cluster
                .iter()
                .map(|(k, v)| (*k, format!("{v:?}")))
                .collect(),
            pods: agg
                .pods
                .groups()
                .map(|(k, v)| (*k, format!("{v:?}")))
                .collect(),
            node_labels: agg
                .node_labels
                .sets
                .iter()
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            namespace_labels: agg
                .namespace_labels
                .sets
                .iter()
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            storage: agg
                .storage
                .groups
                .iter()
                .map(|(k, v)| (*k, format!("{v:?}")))
                .collect(),
        }
    }

    /// The part of `s` on days `keep` says.
    fn filter(s: &Snap, keep: impl Fn(Day) -> bool) -> Snap {
        Snap {
            node_capacity: s
                .node_capacity
                .iter()
                .filter(|(k, _)| keep(k.0))
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            cluster_capacity: s
                .cluster_capacity
                .iter()
                .filter(|(k, _)| keep(**k))
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            pods: s
                .pods
                .iter()
                .filter(|(k, _)| keep(k.day))
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            node_labels: s
                .node_labels
                .iter()
                .filter(|(k, _)| keep(k.0))
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            namespace_labels: s
                .namespace_labels
                .iter()
                .filter(|(k, _)| keep(k.0))
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
            storage: s
                .storage
                .iter()
                .filter(|(k, _)| keep(k.day))
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
        }
    }

    struct Ids {
        n1: u32,
        n2: u32,
        ns: u32,
        pod: u32,
        rid: u32,
    }

    /// n1 (resource id i-1) ran an `openshift-kube-apiserver` pod and has a node-label row: a
    /// master by Koku's derivation.
    fn cluster_evidence(cat: &Catalog, ids: &Ids) -> ClusterTable {
        let api = intern(cat, Some("openshift-kube-apiserver"));
        let text = intern(cat, Some("{}"));
        let t = Some(at(0, 0));
        let mut table = ClusterTable::default();
        let pods = row_group(
            1,
            vec![
                ts_col(&[t]),
                id_col(&[ids.n1]),
                id_col(&[ids.rid]),
                id_col(&[api]),
                id_col(&[NULL_ID]),
                f64_col(&[Some(4.0)]),
            ],
        );
        table.add_pods(&pods, &(i64::MIN..i64::MAX), cat);
        let labels = row_group(1, vec![ts_col(&[t]), id_col(&[ids.n1]), id_col(&[text])]);
        table.add_labels(&labels, &(i64::MIN..i64::MAX));
        table
    }

    /// Groups on days D-2, D-1 (up to its last millisecond), D (from its first) and D+1.
    fn aggregates(cat: &Catalog) -> (Aggregates, Ids) {
        let s = |v: &str| intern(cat, Some(v));
        let ids = Ids {
            n1: s("n1"),
            n2: s("n2"),
            ns: s("ns"),
            pod: s("pod"),
            rid: s("i-1"),
        };
        let times = [at(-2, 5), at(0, -1), at(0, 0), at(1, 3_600_000)];
        let mut agg = Aggregates::default();
        let cap = |cpu: f64| IntervalMax {
            cpu: Some(cpu),
            mem: None,
        };
        agg.capacity.merge(vec![
            ((times[0], ids.n1), cap(1.0)),
            ((times[1], ids.n1), cap(2.0)),
            ((times[1], ids.n2), cap(4.0)),
            ((times[2], ids.n1), cap(8.0)),
            ((times[3], ids.n2), cap(16.0)),
        ]);
        let n = times.len();
        let mut cols = vec![
            ts_col(&times.map(Some)),
            id_col(&vec![ids.ns; n]),
            id_col(&[ids.n1, ids.n2, ids.n1, ids.n2]),
            id_col(&vec![ids.rid; n]),
            id_col(&vec![0; n]),
        ];
        for k in 0..POD_COLUMNS.len() - cols.len() {
            cols.push(f64_col(&[Some(k as f64), None, Some(1.0), Some(2.0)]));
        }
        let ms = at(-3, 0)..at(3, 0);
        let mut pods = PodWorker::default().run(&row_group(n, cols), &ms, Vec::new());
        agg.pods.merge(&mut pods, cat);
        agg.node_labels.merge(vec![
            (Day(D.0 - 1), ids.n1, 0),
            (D, ids.n1, 0),
            (D, ids.n1, 7),
            (Day(D.0 + 2), ids.n2, 5),
        ]);
        agg.namespace_labels
            .merge(vec![(Day(D.0 - 2), ids.ns, 0), (D, ids.ns, 3)]);
        for (day, pv) in [(D.0 - 1, 1), (D.0, 2), (D.0 + 1, 3)] {
            let key = StorageKey {
                day: Day(day),
                namespace: ids.ns,
                pod: ids.pod,
                pvc: pv,
                pv,
                storageclass: NULL_ID,
                csi_volume_handle: NULL_ID,
                pv_labels: 0,
                pvc_labels: 0,
            };
            let acc = StorageAcc {
                cap_bytes: Some(f64::from(pv)),
                sums: [Some(1.0), None, Some(2.0)],
            };
            agg.storage.groups.insert(key, acc);
        }
        agg.volume_nodes.merge(vec![
            (Day(D.0 - 1), ids.ns, ids.pod, ids.n1, ids.rid),
            (D, ids.ns, ids.pod, ids.n2, ids.rid),
        ]);
        agg.cluster = cluster_evidence(cat, &ids);
        agg.table_stats = vec![TableStats {
            row_groups: 1,
            rows: 4,
            bytes: 99,
            shared_row_groups: 0,
        }];
        agg.decode.values = 7;
        (agg, ids)
    }

    fn roles(cat: &Catalog, agg: &Aggregates) -> Vec<(u32, u32, String)> {
        agg.cluster.derived_roles(cat.strings())
    }

    #[test]
    fn split_before_moves_the_earlier_days_of_every_table() {
        let cat = catalog(&[]);
        let (mut agg, ids) = aggregates(&cat);
        let full = snap(&agg);
        let roles_before = roles(&cat, &agg);
        assert_eq!(roles_before.len(), 1);
        // The fixture has groups on both sides of D in every table.
        let (early, late) = (filter(&full, |d| d < D), filter(&full, |d| d >= D));
        for s in [&early, &late] {
            assert!(!s.node_capacity.is_empty() && !s.cluster_capacity.is_empty());
            assert!(!s.pods.is_empty() && !s.storage.is_empty());
            assert!(!s.node_labels.is_empty() && !s.namespace_labels.is_empty());
        }

        let batch = agg.split_before(D);
        assert_eq!(snap(&batch), early);
        assert_eq!(snap(&agg), late);
        // D-1 23:59:59.999 left with its day; D 00:00:00.000 stayed.
        assert!(batch
            .capacity
            .daily()
            .node
            .contains_key(&(Day(D.0 - 1), ids.n1)));
        assert!(agg.capacity.daily().node.contains_key(&(D, ids.n1)));
        let before = Day(D.0 - 1);
        assert_eq!(
            batch.volume_nodes.get(before, ids.ns, ids.pod),
            &[(ids.n1, ids.rid)]
        );
        assert!(batch.volume_nodes.get(D, ids.ns, ids.pod).is_empty());
        assert!(agg.volume_nodes.get(before, ids.ns, ids.pod).is_empty());
        assert_eq!(
            agg.volume_nodes.get(D, ids.ns, ids.pod),
            &[(ids.n2, ids.rid)]
        );
        // Run-wide state stays behind.
        assert_eq!(roles(&cat, &agg), roles_before);
        assert!(roles(&cat, &batch).is_empty());
        assert_eq!(agg.table_stats.len(), 1);
        assert!(batch.table_stats.is_empty());
        assert_eq!((agg.decode.values, batch.decode.values), (7, 0));

        // Nothing before D is left; the last call takes everything.
        assert_eq!(snap(&agg.split_before(D)), Snap::default());
        let rest = agg.split_before(Day(i32::MAX));
        assert_eq!(snap(&rest), late);
        assert_eq!(
            rest.volume_nodes.get(D, ids.ns, ids.pod),
            &[(ids.n2, ids.rid)]
        );
        assert_eq!(snap(&agg), Snap::default());
    }
}

#[test]
fn the_merge_window_holds_a_days_tasks_within_its_bounds() {
    let days = |counts: &[usize]| -> Vec<Day> {
        let each = counts.iter().enumerate();
        each.flat_map(|(d, &n)| std::iter::repeat_n(Day(d as i32), n))
            .collect()
    };
    // A typical day, leaning low (the lower quartile): L's days have 4 or 5 tasks after the
    // first; the first day's extra tasks do not set the window.
    let l_days = [6, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5];
    assert_eq!(merge_window(&days(&l_days), 2), 4);
    assert_eq!(merge_window(&days(&l_days), 1), 4);
    assert_eq!(merge_window(&days(&[9, 7, 7, 6, 7, 7, 8, 7]), 2), 7);
    // Never below DONE_PER_WORKER per worker, never above MAX_DONE_PER_WORKER.
    assert_eq!(merge_window(&days(&[1, 1, 2]), 2), 2 * DONE_PER_WORKER);
    assert_eq!(merge_window(&days(&[100, 100]), 2), 2 * MAX_DONE_PER_WORKER);
    assert_eq!(merge_window(&[], 3), 3 * DONE_PER_WORKER);
    // XL's shape: 23-25 tasks a day.
    assert_eq!(
        merge_window(&days(&[25, 23, 23, 24, 22, 24, 24, 23]), 2),
        23
    );
}
