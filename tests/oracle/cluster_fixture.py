#!/usr/bin/env python3
"""Writes hand-made Parquet for the cluster-information queries into ROOT (Koku layout, org1234567,
source 11111111-2222-3333-4444-555555555555, 2025-10): NULL node / resource_id / namespace / label text,
a non-scalar arch, an operator role, label rows out of range. Used by tests/oracle_cluster.rs.

Usage: cluster_fixture.py ROOT
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_oracle import Fixture, pod_row, ts  # noqa: E402

root = sys.argv[1]
fx = Fixture(root)
infra = '{"node_role_kubernetes_io": "infra"}'
fx.pod_daily([
    pod_row(ns="openshift-kube-apiserver", node="n1", rid="i-1", cores=4.0),
    pod_row(ns="ns1", node="n1", rid="i-1", day=2, cores=8.0),
    pod_row(ns="ns1", node="n1", rid=None, cores=2.0),
    pod_row(ns="ns1", node="n2", rid="i-2"),
    pod_row(ns="openshift-kube-apiserver", node="n3", rid="i-3", node_role="custom"),
    pod_row(ns="ns1", node="n3", rid="i-3"),
    pod_row(ns="ns1", node="n4", rid="i-4"),
    pod_row(ns="ns1", node="n5", rid="i-5"),
    pod_row(ns=None, node=None, rid="i-6"),
    pod_row(ns="ns1", node="n6", rid="i-6"),
])
fx.node_labels([
    dict(interval_start=ts(1), node="n1", node_labels='{"a": "1", "kubernetes_io_arch": "AMD64"}'),
    dict(interval_start=ts(2), node="n1", node_labels='{"a": "2"}'),
    dict(interval_start=ts(1), node="n2", node_labels=infra),
    dict(interval_start=ts(1), node="n3", node_labels=infra),
    dict(interval_start=ts(1), node="n5", node_labels='{"kubernetes_io_arch": ["x"]}'),
    dict(interval_start=ts(1), node="n5", node_labels=None),
    dict(interval_start=ts(5), node="n6", node_labels=infra),
])
fx.storage([
    dict(interval_start=ts(2), persistentvolume="pv1", persistentvolumeclaim="c1", csi_volume_handle="h1"),
    dict(interval_start=ts(3), persistentvolume="pv2", persistentvolumeclaim="", csi_volume_handle=None),
])
