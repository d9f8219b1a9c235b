use super::*;

pub fn params() -> Params {
    Params {
        seed: 1,
        start_day: super::super::time::parse_date("2026-03-01").unwrap(),
        days: 2,
        nodes: 5,
        namespaces_per_node: 3,
        pods_per_namespace: 4,
        labels_per_pod: 5,
        label_key_cardinality: 12,
        label_value_cardinality: 5,
        short_lived_pct: 20.0,
        pvcs_per_pod: 1,
        shared_volumes: 2,
        claimless_volumes: 2,
        orphan_storage: 2,
        storage_classes: 3,
        csi_drivers: 2,
        edge_cases: true,
        cluster_cases: false,
        vm_gpu: false,
    }
}

#[test]
fn stream_collect_matches_full_scan() {
    let t = Topology::build(&params());
    for s in &t.streams {
        let total = *s.cum.last().unwrap();
        let mut all = Vec::new();
        s.collect(0, total as usize, &mut all);
        assert_eq!(all.len() as u64, total);
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        for start in [0u64, 1, 7, total / 3, total.saturating_sub(5)] {
            let n = (total - start).min(37) as usize;
            let mut part = Vec::new();
            s.collect(start, n, &mut part);
            assert_eq!(&part[..], &all[start as usize..start as usize + n]);
        }
    }
}

#[test]
fn names_unique_and_edges_present() {
    let t = Topology::build(&params());
    let mut names: Vec<&[u8]> = t.pods.iter().map(|p| p.name.data()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), t.pods.len());
    let mut ns = t.namespace_names.clone();
    ns.sort();
    ns.dedup();
    assert_eq!(ns.len(), t.namespace_names.len());
    assert_eq!(t.edge.empty_node_pods.len(), 2);
    assert!(t.pods.iter().any(|p| p.labels.is_none()));
    assert!(t.pods.iter().any(|p| p
        .labels
        .as_ref()
        .map(|l| l.data() == b"{}")
        .unwrap_or(false)));
    assert!(t.edge.label_change.is_some());
    assert_eq!(t.nodes[0].name, "master-000");
    assert_eq!(t.nodes[1].name, "infra-000");
    assert_eq!(t.namespace_names[0], "openshift-kube-apiserver");
}
