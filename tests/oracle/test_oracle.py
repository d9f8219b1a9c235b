"""Self-tests for the oracle (run: python -m unittest discover -s tests/oracle -p 'test_*.py').

Each test writes tiny hand-made Parquet files in Koku's layout with DuckDB and checks hand-computed values.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import unittest

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import oracle  # noqa: E402

SRC = "11111111-2222-3333-4444-555555555555"
ORG = "org1234567"
GIB = 2.0 ** 30

POD_DAILY_COLS = [
    ("interval_start", "TIMESTAMP"), ("report_period_start", "TIMESTAMP"), ("report_period_end", "TIMESTAMP"),
    ("namespace", "VARCHAR"), ("node", "VARCHAR"), ("pod", "VARCHAR"), ("resource_id", "VARCHAR"),
    ("pod_labels", "VARCHAR"),
    ("pod_usage_cpu_core_seconds", "DOUBLE"), ("pod_request_cpu_core_seconds", "DOUBLE"),
    ("pod_effective_usage_cpu_core_seconds", "DOUBLE"), ("pod_limit_cpu_core_seconds", "DOUBLE"),
    ("pod_usage_memory_byte_seconds", "DOUBLE"), ("pod_request_memory_byte_seconds", "DOUBLE"),
    ("pod_effective_usage_memory_byte_seconds", "DOUBLE"), ("pod_limit_memory_byte_seconds", "DOUBLE"),
    ("node_capacity_cpu_cores", "DOUBLE"), ("node_capacity_cpu_core_seconds", "DOUBLE"),
    ("node_capacity_memory_bytes", "DOUBLE"), ("node_capacity_memory_byte_seconds", "DOUBLE"),
    ("node_role", "VARCHAR"),
]
POD_HOURLY_COLS = [
    ("interval_start", "TIMESTAMP"), ("interval_end", "TIMESTAMP"), ("namespace", "VARCHAR"), ("node", "VARCHAR"),
    ("pod", "VARCHAR"), ("resource_id", "VARCHAR"), ("pod_labels", "VARCHAR"),
    ("pod_usage_cpu_core_seconds", "DOUBLE"), ("node_capacity_cpu_cores", "DOUBLE"),
    ("node_capacity_cpu_core_seconds", "DOUBLE"), ("node_capacity_memory_bytes", "DOUBLE"),
    ("node_capacity_memory_byte_seconds", "DOUBLE"),
]
STORAGE_COLS = [
    ("interval_start", "TIMESTAMP"), ("namespace", "VARCHAR"), ("pod", "VARCHAR"), ("node", "VARCHAR"),
    ("persistentvolumeclaim", "VARCHAR"), ("persistentvolume", "VARCHAR"), ("storageclass", "VARCHAR"),
    ("csi_driver", "VARCHAR"), ("csi_volume_handle", "VARCHAR"), ("persistentvolume_labels", "VARCHAR"),
    ("persistentvolumeclaim_labels", "VARCHAR"), ("persistentvolumeclaim_capacity_bytes", "DOUBLE"),
    ("persistentvolumeclaim_capacity_byte_seconds", "DOUBLE"), ("volume_request_storage_byte_seconds", "DOUBLE"),
    ("persistentvolumeclaim_usage_byte_seconds", "DOUBLE"),
]
NODE_LABEL_COLS = [("interval_start", "TIMESTAMP"), ("node", "VARCHAR"), ("node_labels", "VARCHAR")]
NS_LABEL_COLS = [("interval_start", "TIMESTAMP"), ("namespace", "VARCHAR"), ("namespace_labels", "VARCHAR")]

INFRA = '{"cpu": 0.000000000, "memory": 0.000000000, "storage": 0.000000000}'


def write_parquet(path, columns, rows):
    """rows: list of dicts; missing keys -> NULL. Columns with drop=True are omitted from the file."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f'"{c}" {t}' for c, t in columns) + ")")
    if rows:
        con.executemany("INSERT INTO t VALUES (" + ", ".join("?" for _ in columns) + ")",
                        [[r.get(c) for c, _ in columns] for r in rows])
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    con.close()


def ts(day, hour=0, month=10, year=2025):
    return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:00:00"


def _max(a, b):
    return None if a is None or b is None else max(a, b)


def pod_row(ns="ns1", node="n1", pod="p1", day=1, labels='{"app": "a"}', rid="i-1", u_cpu=0.0, r_cpu=0.0,
            e_cpu="auto", l_cpu=0.0, u_mem=0.0, r_mem=0.0, e_mem="auto", l_mem=0.0, cores=4.0,
            cap_mem=16 * GIB, month=10, **kw):
    r = dict(interval_start=ts(day, month=month), namespace=ns, node=node, pod=pod, resource_id=rid,
             pod_labels=labels, pod_usage_cpu_core_seconds=u_cpu, pod_request_cpu_core_seconds=r_cpu,
             pod_effective_usage_cpu_core_seconds=_max(u_cpu, r_cpu) if e_cpu == "auto" else e_cpu,
             pod_limit_cpu_core_seconds=l_cpu, pod_usage_memory_byte_seconds=u_mem,
             pod_request_memory_byte_seconds=r_mem,
             pod_effective_usage_memory_byte_seconds=_max(u_mem, r_mem) if e_mem == "auto" else e_mem,
             pod_limit_memory_byte_seconds=l_mem, node_capacity_cpu_cores=cores,
             node_capacity_cpu_core_seconds=cores * 86400, node_capacity_memory_bytes=cap_mem,
             node_capacity_memory_byte_seconds=cap_mem * 86400)
    r.update(kw)
    return r


def hourly_rows(node="n1", day=1, cores=4.0, mem=16 * GIB, hours=range(24), ns="ns1", pod="p1", month=10):
    return [dict(interval_start=ts(day, h, month=month), node=node, namespace=ns, pod=pod,
                 node_capacity_cpu_cores=cores, node_capacity_cpu_core_seconds=cores * 3600,
                 node_capacity_memory_bytes=mem, node_capacity_memory_byte_seconds=mem * 3600) for h in hours]


class Fixture:
    def __init__(self, root):
        self.root = root
        self.n = 0

    def _path(self, daily, rtype, source=SRC, year="2025", month="10"):
        self.n += 1
        parts = [self.root, "data", "parquet"] + (["daily"] if daily else []) + [
            ORG, "OCP", rtype, f"source={source}", f"year={year}", f"month={month}", f"f{self.n}.parquet"]
        return os.path.join(*parts)

    def pod_daily(self, rows, columns=POD_DAILY_COLS, **p):
        write_parquet(self._path(True, "pod_usage", **p), columns, rows)

    def pod_hourly(self, rows, **p):
        write_parquet(self._path(False, "pod_usage", **p), POD_HOURLY_COLS, rows)

    def node_labels(self, rows, **p):
        write_parquet(self._path(True, "node_labels", **p), NODE_LABEL_COLS, rows)

    def ns_labels(self, rows, **p):
        write_parquet(self._path(True, "namespace_labels", **p), NS_LABEL_COLS, rows)

    def storage(self, rows, **p):
        write_parquet(self._path(True, "storage_usage", **p), STORAGE_COLS, rows)


def read_csv_rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        recs = compare.parse_csv(f.read())
    header = [v for v, _ in recs[0]]
    out = []
    for rec in recs[1:]:
        d = {}
        for c, (v, q) in zip(header, rec):
            if v == "\\N" and not q:
                d[c] = None
            elif c in compare.FLOAT_COLUMNS:
                d[c] = float(v)
            elif c in compare.INT_COLUMNS:
                d[c] = int(v)
            elif c in ("pod_labels", "volume_labels", "all_labels"):
                d[c] = json.loads(v)
            else:
                d[c] = v
        out.append(d)
    return header, out


class OracleTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="oracle-test-")
        self.fx = Fixture(self.tmp)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_oracle(self, keys=("app",), cats=(), roles=(), kinds="pod", start=None, end=None, expect_rc=0,
                   extra=()):
        out = os.path.join(self.tmp, "out.csv")
        argv = ["--input", self.tmp, "--org", ORG, "--source", SRC, "--year", "2025", "--month", "10",
                "--cluster-id", "cid", "--cluster-alias", "alias", "--report-period-id", "42", "--kinds", kinds,
                "--out", out]
        argv += ["--enabled-keys", ",".join(keys)] if keys else ["--no-enabled-keys"]
        for c in cats:
            argv += ["--cost-category", c]
        for r in roles:
            argv += ["--node-role", r]
        if start:
            argv += ["--start", start]
        if end:
            argv += ["--end", end]
        argv += list(extra)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = oracle.main(argv)
        self.assertEqual(rc, expect_rc, err.getvalue())
        if rc != 0:
            return None
        header, rows = read_csv_rows(out)
        self.assertEqual(header, oracle.OUTPUT_COLUMNS)
        return rows

    def one(self, rows, **match):
        got = [r for r in rows if all(r[k] == v for k, v in match.items())]
        self.assertEqual(len(got), 1, f"expected exactly one row matching {match}, got {got}")
        return got[0]


class PodRowTests(OracleTestCase):
    def test_basic_sums_units_and_capacity(self):
        fx = self.fx
        # hourly: node n1 4 cores / 16 GiB all day; a second row per hour with smaller capacity -> max per hour
        fx.pod_hourly(hourly_rows("n1") + hourly_rows("n1", cores=1.0, mem=GIB, pod="p2")
                      + hourly_rows("n2", cores=2.0, mem=8 * GIB, hours=range(12)))
        fx.pod_daily([
            pod_row(pod="p1", u_cpu=3600.0, r_cpu=7200.0, l_cpu=10800.0, u_mem=2 * 3600 * GIB, r_mem=3600 * GIB,
                    l_mem=4 * 3600 * GIB),
            # same ns/node/labels: collapses into the same row (pod name is not a key)
            pod_row(pod="p2", u_cpu=1800.0, r_cpu=900.0, l_cpu=0.0, u_mem=0.0, r_mem=3600 * GIB, l_mem=0.0,
                    cores=4.0),
        ])
        rows = self.run_oracle()
        self.assertEqual(len(rows), 1)
        r = rows[0]
        self.assertEqual(r["data_source"], "Pod")
        self.assertEqual((r["usage_start"], r["usage_end"]), ("2025-10-01", "2025-10-01"))
        self.assertEqual((r["namespace"], r["node"], r["resource_id"]), ("ns1", "n1", "i-1"))
        self.assertEqual((r["report_period_id"], r["cluster_id"], r["cluster_alias"]), (42, "cid", "alias"))
        self.assertEqual(r["source_uuid"], SRC)
        self.assertEqual(r["pod_labels"], {"app": "a"})
        self.assertEqual(r["all_labels"], {"app": "a"})
        self.assertEqual(r["infrastructure_usage_cost"], INFRA)
        self.assertAlmostEqual(r["pod_usage_cpu_core_hours"], 1.5, places=12)
        self.assertAlmostEqual(r["pod_request_cpu_core_hours"], 2.25, places=12)
        self.assertAlmostEqual(r["pod_effective_usage_cpu_core_hours"], (7200 + 1800) / 3600, places=12)
        self.assertAlmostEqual(r["pod_limit_cpu_core_hours"], 3.0, places=12)
        self.assertAlmostEqual(r["pod_usage_memory_gigabyte_hours"], 2.0, places=12)
        self.assertAlmostEqual(r["pod_request_memory_gigabyte_hours"], 2.0, places=12)
        self.assertAlmostEqual(r["pod_effective_usage_memory_gigabyte_hours"], 3.0, places=12)
        self.assertAlmostEqual(r["pod_limit_memory_gigabyte_hours"], 4.0, places=12)
        self.assertEqual(r["node_capacity_cpu_cores"], 4.0)
        self.assertEqual(r["node_capacity_memory_gigabytes"], 16.0)
        self.assertEqual(r["node_capacity_cpu_core_hours"], 96.0)  # sum over 24 h of max per hour
        self.assertEqual(r["node_capacity_memory_gigabyte_hours"], 384.0)
        self.assertEqual(r["cluster_capacity_cpu_core_hours"], 96.0 + 24.0)  # + n2 (12 h x 2 cores)
        self.assertEqual(r["cluster_capacity_memory_gigabyte_hours"], 384.0 + 96.0)
        for c in ("persistentvolumeclaim", "persistentvolume", "storageclass", "volume_labels",
                  "persistentvolumeclaim_capacity_gigabyte", "persistentvolumeclaim_capacity_gigabyte_months",
                  "volume_request_storage_gigabyte_months", "persistentvolumeclaim_usage_gigabyte_months",
                  "cost_category_id"):
            self.assertIsNone(r[c], c)
        # uuid is a v4 uuid
        self.assertRegex(r["uuid"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

    def test_e1_empty_node_excluded_but_counts_for_cluster_capacity(self):
        fx = self.fx
        fx.pod_hourly(hourly_rows("n1") + hourly_rows("", cores=1.0, mem=GIB)
                      + hourly_rows(None, cores=2.0, mem=GIB, hours=range(6)))
        fx.pod_daily([pod_row(u_cpu=3600.0), pod_row(node="", pod="px", u_cpu=7200.0),
                      pod_row(node=None, pod="py", u_cpu=7200.0)])
        rows = self.run_oracle()
        self.assertEqual(len(rows), 1)
        r = rows[0]
        self.assertEqual(r["node"], "n1")
        self.assertEqual(r["pod_usage_cpu_core_hours"], 1.0)
        self.assertEqual(r["node_capacity_cpu_core_hours"], 96.0)
        self.assertEqual(r["cluster_capacity_cpu_core_hours"], 96.0 + 24.0 + 12.0)
        self.assertEqual(r["cluster_capacity_memory_gigabyte_hours"], 384.0 + 24.0 + 6.0)

    def test_no_hourly_match_gives_null_capacity(self):
        self.fx.pod_hourly(hourly_rows("n1", day=2))
        self.fx.pod_daily([pod_row(u_cpu=3600.0)])
        r = self.run_oracle()[0]
        self.assertIsNone(r["node_capacity_cpu_core_hours"])
        self.assertIsNone(r["cluster_capacity_cpu_core_hours"])
        self.assertEqual(r["node_capacity_cpu_cores"], 4.0)

    def test_e2_node_with_two_label_sets_doubles_rows(self):
        fx = self.fx
        fx.pod_hourly(hourly_rows("n1"))
        fx.node_labels([
            dict(interval_start=ts(1), node="n1", node_labels='{"env": "a"}'),
            dict(interval_start=ts(1), node="n1", node_labels='{"env": "b"}'),
            # same filtered set as the first one ("other" is not enabled) -> collapses, no third row
            dict(interval_start=ts(1), node="n1", node_labels='{"env": "a", "other": "z"}'),
        ])
        fx.pod_daily([pod_row(labels='{"app": "x"}', u_cpu=3600.0), pod_row(pod="p2", labels='{"app": "x"}',
                                                                              u_cpu=3600.0)])
        rows = self.run_oracle(keys=("app", "env"))
        self.assertEqual(len(rows), 2)
        for env in ("a", "b"):
            r = self.one(rows, pod_labels={"app": "x", "env": env})
            self.assertEqual(r["pod_usage_cpu_core_hours"], 2.0)  # full sums on each
            self.assertEqual(r["node_capacity_cpu_core_hours"], 96.0)

    def test_e2_null_and_empty_node_labels_are_distinct_lookup_rows(self):
        # NULL and {} filtered node labels are two CTE rows; both merge to the same map -> one group, sums x2
        fx = self.fx
        fx.node_labels([dict(interval_start=ts(1), node="n1", node_labels=None),
                        dict(interval_start=ts(1), node="n1", node_labels='{"zzz": "1"}')])
        fx.pod_daily([pod_row(u_cpu=3600.0)])
        rows = self.run_oracle()
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["pod_usage_cpu_core_hours"], 2.0)

    def test_e3_namespace_matching_two_cost_category_patterns(self):
        fx = self.fx
        fx.pod_hourly(hourly_rows("n1"))
        fx.pod_daily([pod_row(ns="openshift-etcd", u_cpu=3600.0, r_cpu=3600.0, l_cpu=3600.0),
                      pod_row(ns="default", u_cpu=3600.0)])
        rows = self.run_oracle(cats=["openshift-%=1", "open%=5", "kube-%=1"])
        r = self.one(rows, namespace="openshift-etcd")
        self.assertEqual(r["cost_category_id"], 5)
        self.assertEqual(r["pod_usage_cpu_core_hours"], 2.0)
        self.assertEqual(r["pod_request_cpu_core_hours"], 2.0)
        self.assertEqual(r["pod_effective_usage_cpu_core_hours"], 2.0)
        self.assertEqual(r["pod_limit_cpu_core_hours"], 2.0)
        self.assertEqual(r["node_capacity_cpu_core_hours"], 96.0)  # max columns unaffected
        self.assertEqual(r["node_capacity_cpu_cores"], 4.0)
        r = self.one(rows, namespace="default")
        self.assertIsNone(r["cost_category_id"])
        self.assertEqual(r["pod_usage_cpu_core_hours"], 1.0)

    def test_like_wildcards_case_and_no_escape(self):
        fx = self.fx
        names = ["kube-a", "kube-ab", "Kube-a", "my-ns", "myxns", "my_ns", "a\\b", "ab", "x%y", "xzzy", "é1"]
        fx.pod_daily([pod_row(ns=n, pod=f"p{i}", u_cpu=3600.0) for i, n in enumerate(names)])
        rows = self.run_oracle(cats=["kube-_=1", "my_ns=2", "a\\b=3", "x%y=4", "_1=5"])
        got = {r["namespace"]: r["cost_category_id"] for r in rows}
        self.assertEqual(got, {"kube-a": 1, "kube-ab": None, "Kube-a": None, "my-ns": 2, "myxns": 2,
                               "my_ns": 2, "a\\b": 3, "ab": None, "x%y": 4, "xzzy": 4, "é1": 5})

    def test_e4_no_enabled_keys_gives_empty_maps(self):
        fx = self.fx
        fx.node_labels([dict(interval_start=ts(1), node="n1", node_labels='{"app": "n"}')])
        fx.ns_labels([dict(interval_start=ts(1), namespace="ns1", namespace_labels='{"app": "ns"}')])
        fx.pod_daily([pod_row(labels='{"app": "a", "vm_kubevirt_io_name": "vm1"}', u_cpu=3600.0)])
        r = self.run_oracle(keys=())[0]
        self.assertEqual(r["pod_labels"], {})
        self.assertEqual(r["all_labels"], {})

    def test_vm_kubevirt_key_always_allowed_with_some_enabled_key(self):
        self.fx.pod_daily([pod_row(labels='{"app": "a", "vm_kubevirt_io_name": "vm1", "x": "1"}')])
        r = self.run_oracle(keys=("zzz",))[0]
        self.assertEqual(r["pod_labels"], {"vm_kubevirt_io_name": "vm1"})

    def test_e5_null_pod_labels(self):
        fx = self.fx
        fx.node_labels([dict(interval_start=ts(1), node="n1", node_labels='{"app": "n"}')])
        fx.pod_daily([pod_row(pod="p1", labels=None, u_cpu=3600.0),
                      pod_row(pod="p2", labels="null", u_cpu=3600.0),
                      pod_row(pod="p3", labels="{}", u_cpu=7200.0)])
        rows = self.run_oracle()
        self.assertEqual(len(rows), 2)
        r = self.one(rows, pod_labels=None)
        self.assertEqual(r["pod_usage_cpu_core_hours"], 2.0)  # NULL and JSON null collapse into one group
        self.assertEqual(r["all_labels"], {})
        r = self.one(rows, pod_labels={"app": "n"})
        self.assertEqual(r["pod_usage_cpu_core_hours"], 2.0)
        self.assertEqual(r["all_labels"], {"app": "n"})

    def test_label_precedence_pod_over_namespace_over_node(self):
        fx = self.fx
        fx.node_labels([dict(interval_start=ts(1), node="n1", node_labels='{"a": "node", "b": "node", "c": "node"}')])
        fx.ns_labels([dict(interval_start=ts(1), namespace="ns1", namespace_labels='{"b": "ns", "c": "ns"}')])
        fx.pod_daily([pod_row(labels='{"c": "pod"}')])
        r = self.run_oracle(keys=("a", "b", "c"))[0]
        self.assertEqual(r["pod_labels"], {"a": "node", "b": "ns", "c": "pod"})

    def test_label_lookup_is_per_day(self):
        fx = self.fx
        fx.node_labels([dict(interval_start=ts(2), node="n1", node_labels='{"a": "day2"}')])
        fx.pod_daily([pod_row(day=1, labels="{}"), pod_row(day=2, labels="{}")])
        rows = self.run_oracle(keys=("a",))
        self.assertEqual(self.one(rows, usage_start="2025-10-01")["pod_labels"], {})
        self.assertEqual(self.one(rows, usage_start="2025-10-02")["pod_labels"], {"a": "day2"})

    def test_enabled_key_filtering_is_exact_and_case_sensitive(self):
        fx = self.fx
        fx.node_labels([dict(interval_start=ts(1), node="n1", node_labels='{"env": "n", "secret": "s"}')])
        fx.ns_labels([dict(interval_start=ts(1), namespace="ns1", namespace_labels='{"team": "t", "App": "X"}')])
        fx.pod_daily([pod_row(labels='{"app": "a", "App": "b", "ap": "c", "app2": "d"}')])
        r = self.run_oracle(keys=("app", "env", "team"))[0]
        self.assertEqual(r["pod_labels"], {"app": "a", "env": "n", "team": "t"})

    def test_distinct_label_maps_are_distinct_rows_and_key_order_irrelevant(self):
        self.fx.pod_daily([pod_row(pod="p1", labels='{"app": "a", "env": "x"}', u_cpu=3600.0),
                           pod_row(pod="p2", labels='{"env": "x", "app": "a"}', u_cpu=3600.0),
                           pod_row(pod="p3", labels='{"app": "b"}', u_cpu=3600.0)])
        rows = self.run_oracle(keys=("app", "env"))
        self.assertEqual(len(rows), 2)
        self.assertEqual(self.one(rows, pod_labels={"app": "a", "env": "x"})["pod_usage_cpu_core_hours"], 2.0)

    def test_resource_id_is_string_max(self):
        self.fx.pod_daily([pod_row(pod="p1", rid="i-9"), pod_row(pod="p2", rid="i-10"),
                           pod_row(pod="p3", rid=""),
                           pod_row(node="n2", pod="p4", rid=""), pod_row(node="n2", pod="p5", rid="a"),
                           pod_row(node="n3", pod="p6", rid=None)])
        rows = self.run_oracle()
        self.assertEqual(self.one(rows, node="n1")["resource_id"], "i-9")
        self.assertEqual(self.one(rows, node="n2")["resource_id"], "a")
        self.assertIsNone(self.one(rows, node="n3")["resource_id"])

    def test_effective_usage_fallback_when_column_missing(self):
        cols = [c for c in POD_DAILY_COLS if not c[0].startswith("pod_effective")]
        self.fx.pod_daily([pod_row(pod="p1", u_cpu=10.0, r_cpu=20.0, u_mem=5 * GIB, r_mem=1 * GIB),
                           pod_row(pod="p2", u_cpu=30.0, r_cpu=5.0, u_mem=1 * GIB, r_mem=2 * GIB),
                           pod_row(pod="p3", u_cpu=1000.0, r_cpu=None)],  # greatest(x, NULL) is NULL
                          columns=cols)
        r = self.run_oracle()[0]
        self.assertAlmostEqual(r["pod_effective_usage_cpu_core_hours"], 50.0 / 3600, places=15)
        self.assertAlmostEqual(r["pod_effective_usage_memory_gigabyte_hours"], 7.0 / 3600, places=15)
        self.assertAlmostEqual(r["pod_usage_cpu_core_hours"], 1040.0 / 3600, places=15)
        self.assertAlmostEqual(r["pod_request_cpu_core_hours"], 25.0 / 3600, places=15)

    def test_effective_usage_mixed_files_coalesce_per_row(self):
        cols = [c for c in POD_DAILY_COLS if not c[0].startswith("pod_effective")]
        self.fx.pod_daily([pod_row(pod="p1", u_cpu=10.0, r_cpu=20.0)], columns=cols)  # old file -> 20
        self.fx.pod_daily([pod_row(pod="p2", u_cpu=10.0, r_cpu=20.0, e_cpu=100.0),  # stored value wins
                           pod_row(pod="p3", u_cpu=10.0, r_cpu=20.0, e_cpu=None)])  # NULL -> greatest = 20
        r = self.run_oracle()[0]
        self.assertAlmostEqual(r["pod_effective_usage_cpu_core_hours"], 140.0 / 3600, places=15)

    def test_repeated_daily_rows_are_summed(self):
        # chunked daily rollup: the same pod/day may appear in several files
        self.fx.pod_daily([pod_row(u_cpu=3600.0)])
        self.fx.pod_daily([pod_row(u_cpu=3600.0)])
        self.assertEqual(self.run_oracle()[0]["pod_usage_cpu_core_hours"], 2.0)

    def test_date_range_and_partition_filters(self):
        fx = self.fx
        fx.pod_daily([pod_row(day=d, u_cpu=3600.0) for d in (1, 2, 3, 31)])
        fx.pod_daily([pod_row(day=2, u_cpu=99.0)], source="99999999-0000-0000-0000-000000000000")
        fx.pod_daily([pod_row(day=2, month=9, u_cpu=99.0)], month="09")
        # wrong month partition for the data: filtered by partition even though interval_start is in range
        fx.pod_daily([pod_row(day=2, u_cpu=99.0)], month="11")
        rows = self.run_oracle()
        self.assertEqual(sorted(r["usage_start"] for r in rows),
                         ["2025-10-01", "2025-10-02", "2025-10-03", "2025-10-31"])
        rows = self.run_oracle(start="2025-10-02", end="2025-10-03")
        self.assertEqual(sorted(r["usage_start"] for r in rows), ["2025-10-02", "2025-10-03"])
        self.assertTrue(all(r["pod_usage_cpu_core_hours"] == 1.0 for r in rows))

    def test_adjust_start(self):
        self.fx.storage([dict(interval_start=ts(1), namespace="ns1", pod="p1", persistentvolumeclaim="c",
                              persistentvolume="v", persistentvolumeclaim_capacity_bytes=GIB)])
        self.fx.pod_daily([pod_row(day=3)])
        self.assertEqual(len(self.run_oracle(kinds="pod,storage")), 2)
        self.assertEqual(len(self.run_oracle(kinds="pod,storage", extra=["--adjust-start"])), 1)

    def test_no_input_files_gives_header_only(self):
        self.assertEqual(self.run_oracle(kinds="pod,storage,unallocated"), [])

    def test_csv_quoting(self):
        self.fx.pod_daily([pod_row(ns='we,ird "ns"', labels='{"app": "x,\\"y\\"\\nz"}'),
                           pod_row(ns="\\N", pod="p2")])
        rows = self.run_oracle()
        self.assertEqual(self.one(rows, namespace='we,ird "ns"')["pod_labels"], {"app": 'x,"y"\nz'})
        self.one(rows, namespace="\\N")  # literal \N string is quoted, not NULL


class StorageTests(OracleTestCase):
    def test_storage_rows(self):
        fx = self.fx
        D = 31 * 86400
        fx.pod_daily([pod_row(ns="ns1", node="n1", pod="p1", rid="i-1"),
                      pod_row(ns="ns1", node="n2", pod="p2", rid="i-2"),
                      pod_row(ns="ns1", node="n1", pod="p3", rid="i-1")])
        fx.node_labels([dict(interval_start=ts(1), node="n1", node_labels='{"k": "node1", "n": "1"}')])
        fx.ns_labels([dict(interval_start=ts(1), namespace="ns1", namespace_labels='{"k": "ns", "s": "1"}')])
        fx.storage([
            # pv-shared mounted by p1 (n1) and p2 (n2): node_count 2 -> one row per node, request/usage halved
            dict(interval_start=ts(1), namespace="ns1", pod="p1", node="", persistentvolumeclaim="c1",
                 persistentvolume="pv-shared", storageclass="gp2", csi_volume_handle="h1",
                 persistentvolume_labels='{"k": "pv", "v": "1"}', persistentvolumeclaim_labels='{"k": "pvc"}',
                 persistentvolumeclaim_capacity_bytes=10 * GIB, persistentvolumeclaim_capacity_byte_seconds=10.0 * D * GIB,
                 volume_request_storage_byte_seconds=4.0 * D * GIB, persistentvolumeclaim_usage_byte_seconds=2.0 * D * GIB),
            dict(interval_start=ts(1), namespace="ns1", pod="p2", node="", persistentvolumeclaim="c1",
                 persistentvolume="pv-shared", storageclass="gp2", csi_volume_handle="h1",
                 persistentvolume_labels='{"k": "pv", "v": "1"}', persistentvolumeclaim_labels='{"k": "pvc"}',
                 persistentvolumeclaim_capacity_bytes=10 * GIB, persistentvolumeclaim_capacity_byte_seconds=10.0 * D * GIB,
                 volume_request_storage_byte_seconds=4.0 * D * GIB, persistentvolumeclaim_usage_byte_seconds=2.0 * D * GIB),
            # p3 on n1 shares the same pvc/pv: same group as p1 (pod is not a key) -> byte-seconds added
            dict(interval_start=ts(1), namespace="ns1", pod="p3", node="", persistentvolumeclaim="c1",
                 persistentvolume="pv-shared", storageclass="gp2", csi_volume_handle="h1",
                 persistentvolume_labels='{"k": "pv", "v": "1"}', persistentvolumeclaim_labels='{"k": "pvc"}',
                 persistentvolumeclaim_capacity_bytes=10 * GIB, persistentvolumeclaim_capacity_byte_seconds=10.0 * D * GIB,
                 volume_request_storage_byte_seconds=4.0 * D * GIB, persistentvolumeclaim_usage_byte_seconds=2.0 * D * GIB),
            # E6: pod without a pod-usage row that day
            dict(interval_start=ts(1), namespace="ns1", pod="ghost", node="", persistentvolumeclaim="c9",
                 persistentvolume="pv9", storageclass="gp3", csi_volume_handle=None,
                 persistentvolume_labels=None, persistentvolumeclaim_labels="{}",
                 persistentvolumeclaim_capacity_bytes=GIB, persistentvolumeclaim_capacity_byte_seconds=1.0 * D * GIB,
                 volume_request_storage_byte_seconds=1.0 * D * GIB, persistentvolumeclaim_usage_byte_seconds=1.0 * D * GIB),
        ])
        rows = self.run_oracle(keys=("k", "n", "s", "v"), kinds="pod,storage", cats=["ns%=7"])
        st = [r for r in rows if r["data_source"] == "Storage"]
        self.assertEqual(len(st), 3)
        r1 = self.one(st, node="n1")
        self.assertEqual(r1["resource_id"], "i-1")
        self.assertEqual(r1["volume_labels"], {"k": "pvc", "n": "1", "s": "1", "v": "1"})
        self.assertEqual(r1["all_labels"], r1["volume_labels"])
        self.assertIsNone(r1["pod_labels"])
        self.assertEqual(r1["persistentvolumeclaim_capacity_gigabyte"], 10.0)
        self.assertAlmostEqual(r1["persistentvolumeclaim_capacity_gigabyte_months"], 20.0, places=12)
        self.assertAlmostEqual(r1["volume_request_storage_gigabyte_months"], 4.0, places=12)  # (4+4)/2
        self.assertAlmostEqual(r1["persistentvolumeclaim_usage_gigabyte_months"], 2.0, places=12)
        self.assertEqual(r1["cost_category_id"], 7)
        self.assertEqual(r1["infrastructure_usage_cost"], INFRA)
        self.assertIsNone(r1["pod_usage_cpu_core_hours"])
        self.assertIsNone(r1["node_capacity_cpu_core_hours"])
        r2 = self.one(st, node="n2")
        self.assertEqual(r2["volume_labels"], {"k": "pvc", "s": "1", "v": "1"})
        self.assertAlmostEqual(r2["persistentvolumeclaim_capacity_gigabyte_months"], 10.0, places=12)
        self.assertAlmostEqual(r2["volume_request_storage_gigabyte_months"], 2.0, places=12)
        r3 = self.one(st, persistentvolume="pv9")
        self.assertIsNone(r3["node"])
        self.assertIsNone(r3["resource_id"])
        self.assertIsNone(r3["volume_labels"])  # NULL PV labels -> NULL map (E5)
        self.assertEqual(r3["all_labels"], {})
        self.assertAlmostEqual(r3["persistentvolumeclaim_capacity_gigabyte_months"], 1.0, places=12)
        self.assertIsNone(r3["volume_request_storage_gigabyte_months"])  # E6
        self.assertIsNone(r3["persistentvolumeclaim_usage_gigabyte_months"])

    def test_storage_only_when_requested(self):
        self.fx.pod_daily([pod_row()])
        self.fx.storage([dict(interval_start=ts(1), namespace="ns1", pod="p1", persistentvolumeclaim="c",
                              persistentvolume="v", persistentvolumeclaim_capacity_bytes=GIB)])
        self.assertEqual({r["data_source"] for r in self.run_oracle(kinds="pod")}, {"Pod"})
        self.assertEqual(len(self.run_oracle(kinds="pod,storage")), 2)

    def test_e9_zero_node_count_fails(self):
        self.fx.pod_daily([pod_row(node=None, pod="p1")])
        self.fx.storage([dict(interval_start=ts(1), namespace="ns1", pod="p1", persistentvolumeclaim="c",
                              persistentvolume="v", volume_request_storage_byte_seconds=1.0)])
        self.run_oracle(kinds="storage", expect_rc=2)


class UnallocatedTests(OracleTestCase):
    def test_unallocated_rows(self):
        fx = self.fx
        fx.pod_hourly(hourly_rows("n1") + hourly_rows("n2", cores=2.0) + hourly_rows("n3", cores=1.0))
        fx.pod_daily([
            pod_row(ns="ns1", node="n1", pod="p1", rid="i-1", u_cpu=3600.0, r_cpu=7200.0, u_mem=3600 * GIB,
                    l_cpu=1.0, labels='{"app": "a"}'),
            pod_row(ns="ns2", node="n1", pod="p2", rid="i-1", u_cpu=3600.0, r_cpu=0.0, u_mem=0.0,
                    labels='{"app": "b"}'),
            pod_row(ns="ns1", node="n2", pod="p3", rid="i-2", u_cpu=200 * 3600.0, cores=2.0),
            pod_row(ns="ns1", node="n3", pod="p4", rid="i-3", u_cpu=3600.0, cores=1.0),
            pod_row(ns="Platform unallocated", node="n3", pod="p5", rid="i-3", u_cpu=3600.0, cores=1.0),
        ])
        rows = self.run_oracle(kinds="pod,unallocated", cats=["Platform unallocated=1"],
                               roles=["n1@i-1=worker", "n2@i-2=master", "n3@other=infra"])
        un = [r for r in rows if r["pod_labels"] is None and r["namespace"] not in ("ns1", "ns2")
              and r["infrastructure_usage_cost"] is None]
        self.assertEqual(len(un), 3)
        r = self.one(un, node="n1")
        self.assertEqual(r["namespace"], "Worker unallocated")
        self.assertIsNone(r["cost_category_id"])
        self.assertEqual(r["data_source"], "Pod")
        self.assertEqual(r["resource_id"], "i-1")
        self.assertAlmostEqual(r["pod_usage_cpu_core_hours"], 96.0 - 2.0, places=12)
        self.assertAlmostEqual(r["pod_request_cpu_core_hours"], 96.0 - 2.0, places=12)
        self.assertAlmostEqual(r["pod_effective_usage_cpu_core_hours"], 96.0 - 3.0, places=12)
        self.assertAlmostEqual(r["pod_usage_memory_gigabyte_hours"], 384.0 - 1.0, places=12)
        self.assertIsNone(r["pod_limit_cpu_core_hours"])
        self.assertIsNone(r["pod_limit_memory_gigabyte_hours"])
        self.assertEqual(r["node_capacity_cpu_core_hours"], 96.0)
        self.assertEqual(r["cluster_capacity_cpu_core_hours"], 96.0 + 48.0 + 24.0)
        self.assertEqual(r["all_labels"], {})
        self.assertIsNone(r["volume_labels"])
        r = self.one(un, node="n2")
        self.assertEqual(r["namespace"], "Platform unallocated")
        self.assertEqual(r["cost_category_id"], 1)
        self.assertAlmostEqual(r["pod_usage_cpu_core_hours"], 48.0 - 200.0, places=12)  # negative allowed
        r = self.one(un, node="n3")
        self.assertIsNone(r["namespace"])  # resource_id mismatch with reporting_ocp_nodes (E10)
        self.assertAlmostEqual(r["pod_usage_cpu_core_hours"], 24.0 - 1.0, places=12)  # 'Platform unallocated' excluded

    def test_unallocated_role_max_and_duplicate_categories(self):
        self.fx.pod_hourly(hourly_rows("n1"))
        self.fx.pod_daily([pod_row(u_cpu=3600.0)])
        rows = self.run_oracle(kinds="unallocated", roles=["n1@i-1=master", "n1@i-1=worker"],
                               cats=["Worker%=1", "%unallocated=2"])
        self.assertEqual(len(rows), 2)  # one per matching pattern (E3 for unallocated)
        self.assertEqual({r["cost_category_id"] for r in rows}, {1, 2})
        self.assertTrue(all(r["namespace"] == "Worker unallocated" for r in rows))
        self.assertTrue(all(r["pod_usage_cpu_core_hours"] == 95.0 for r in rows))

    # Koku fills reporting_ocp_nodes (populate_openshift_cluster_information_tables) before every summary; with an
    # empty table that is the nodes query's rows. The oracle does the same unless --node-role / --no-derive-node-roles.
    def derived_roles_fixture(self):
        infra = '{"node_role_kubernetes_io": "infra"}'
        self.fx.pod_hourly(hourly_rows("n1") + hourly_rows("n2") + hourly_rows("n3") + hourly_rows("n4")
                           + hourly_rows("n5"))
        self.fx.pod_daily([
            pod_row(ns="openshift-kube-apiserver", node="n1", pod="api", rid="i-1", u_cpu=3600.0),
            pod_row(ns="ns1", node="n1", pod="p1", rid="i-1", u_cpu=3600.0),
            pod_row(ns="ns1", node="n2", pod="p2", rid="i-2", u_cpu=3600.0),
            pod_row(ns="ns1", node="n3", pod="p3", rid="i-3", u_cpu=3600.0),
            pod_row(ns="ns1", node="n4", pod="p4", rid="i-4", u_cpu=3600.0),  # no node-label rows
            pod_row(ns="ns1", node="n5", pod="p5", rid="i-5", u_cpu=3600.0, node_role="infra"),
        ])
        self.fx.node_labels([
            dict(interval_start=ts(1), node="n1", node_labels='{"kubernetes_io_arch": "amd64"}'),
            dict(interval_start=ts(1), node="n2", node_labels=infra),
            dict(interval_start=ts(1), node="n3", node_labels='{"node_role_kubernetes_io": "worker"}'),
            dict(interval_start=ts(1), node="n5", node_labels="{}"),
        ])

    def unallocated_namespaces(self, **kw):
        rows = self.run_oracle(kinds="unallocated", **kw)
        self.assertEqual(len(rows), 5, rows)
        for r in rows:  # n1 runs two one-hour pods
            self.assertAlmostEqual(r["pod_usage_cpu_core_hours"], 94.0 if r["node"] == "n1" else 95.0, places=12)
        return {r["node"]: r["namespace"] for r in rows}

    def test_node_roles_derived_by_default(self):
        self.derived_roles_fixture()
        self.assertEqual(self.unallocated_namespaces(), {
            "n1": "Platform unallocated",  # openshift-kube-apiserver pod -> master
            "n2": "Platform unallocated",  # infra node label -> infra
            "n3": "Worker unallocated",  # worker
            "n4": None,  # no node-label row: the nodes query's join drops the node, no role
            "n5": "Platform unallocated",  # the pod rows' node_role column wins
        })

    def test_no_derive_node_roles_leaves_the_table_empty(self):
        self.derived_roles_fixture()
        self.assertEqual(self.unallocated_namespaces(extra=["--no-derive-node-roles"]),
                         {f"n{i}": None for i in range(1, 6)})

    def test_given_node_roles_alone_are_the_table(self):
        self.derived_roles_fixture()
        self.assertEqual(self.unallocated_namespaces(roles=["n3@i-3=master", "n4@i-4=worker"]),
                         {"n1": None, "n2": None, "n3": "Platform unallocated", "n4": "Worker unallocated",
                          "n5": None})

    def test_derived_node_roles_use_the_summary_range(self):
        # the labels are read over the same (adjusted) range: n2's infra label is on day 1 only
        self.fx.pod_hourly(hourly_rows("n2", day=2))
        self.fx.pod_daily([pod_row(ns="ns1", node="n2", rid="i-2", day=2, u_cpu=3600.0)])
        self.fx.node_labels([dict(interval_start=ts(1), node="n2", node_labels='{"node_role_kubernetes_io": "infra"}'),
                             dict(interval_start=ts(2), node="n2", node_labels="{}")])
        rows = self.run_oracle(kinds="unallocated")
        self.assertEqual([r["namespace"] for r in rows], ["Platform unallocated"])
        rows = self.run_oracle(kinds="unallocated", start="2025-10-02")
        self.assertEqual([r["namespace"] for r in rows], ["Worker unallocated"])
        rows = self.run_oracle(kinds="unallocated", extra=["--adjust-start"])
        self.assertEqual([r["namespace"] for r in rows], ["Worker unallocated"])



def csv_field(v):
    """None -> unquoted \\N; strings quoted when needed (a literal '\\N' string is quoted)."""
    if v is None:
        return "\\N"
    if v == "\\N" or any(ch in v for ch in ',"\n\r'):
        return '"' + v.replace('"', '""') + '"'
    return v


class CompareTests(unittest.TestCase):
    HEADER = oracle.OUTPUT_COLUMNS

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="compare-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def base_row(self, **kw):
        r = {c: None for c in self.HEADER}
        r.update(uuid="00000000-0000-4000-8000-000000000000", report_period_id="1", cluster_id="c",
                 cluster_alias="a", data_source="Pod", usage_start="2025-10-01", usage_end="2025-10-01",
                 namespace="ns", node="n", resource_id="i", pod_labels='{"a":"1","b":"2"}',
                 pod_usage_cpu_core_hours="1.5", all_labels='{"a":"1","b":"2"}', source_uuid=SRC,
                 infrastructure_usage_cost=INFRA)
        r.update(kw)
        return r

    def write(self, name, rows, header=None):
        header = header or self.HEADER
        p = os.path.join(self.tmp, name)
        with open(p, "w", encoding="utf-8", newline="") as f:
            f.write(",".join(header) + "\n")
            for r in rows:
                f.write(",".join(csv_field(r[c]) for c in header) + "\n")
        return p

    def cmp(self, e, a, **kw):
        out = io.StringIO()
        rc = compare.compare(self.write("e.csv", e), self.write("a.csv", a), out=out, **kw)
        return rc, out.getvalue()

    def test_identical_and_uuid_ignored(self):
        rc, out = self.cmp([self.base_row()], [self.base_row(uuid="11111111-0000-4000-8000-000000000000")])
        self.assertEqual(rc, 0, out)
        self.assertEqual(out.strip(), "1 rows match")

    def test_tolerance(self):
        self.assertEqual(self.cmp([self.base_row(pod_usage_cpu_core_hours="1000.0")],
                                  [self.base_row(pod_usage_cpu_core_hours="1000.0000000005")])[0], 0)
        rc, out = self.cmp([self.base_row(pod_usage_cpu_core_hours="1000.0")],
                           [self.base_row(pod_usage_cpu_core_hours="1000.00001")])
        self.assertEqual(rc, 1)
        self.assertIn("pod_usage_cpu_core_hours: expected 1000.0, actual 1000.00001", out)
        # near zero: absolute tolerance
        self.assertEqual(self.cmp([self.base_row(pod_usage_cpu_core_hours="0.0")],
                                  [self.base_row(pod_usage_cpu_core_hours="1e-12")])[0], 0)
        self.assertEqual(self.cmp([self.base_row(pod_usage_cpu_core_hours="0.0")],
                                  [self.base_row(pod_usage_cpu_core_hours="1e-6")])[0], 1)
        self.assertEqual(self.cmp([self.base_row(pod_usage_cpu_core_hours="1000.0")],
                                  [self.base_row(pod_usage_cpu_core_hours="1000.00001")], rel=1e-6)[0], 0)

    def test_null_vs_zero(self):
        self.assertEqual(self.cmp([self.base_row(pod_limit_cpu_core_hours=None)],
                                  [self.base_row(pod_limit_cpu_core_hours="0.0")])[0], 1)
        self.assertEqual(self.cmp([self.base_row(cost_category_id=None)],
                                  [self.base_row(cost_category_id="0")])[0], 1)
        self.assertEqual(self.cmp([self.base_row(namespace=None)], [self.base_row(namespace="\\N")])[0], 1)
        self.assertEqual(self.cmp([self.base_row(namespace=None)], [self.base_row(namespace="")])[0], 1)
        self.assertEqual(self.cmp([self.base_row(pod_labels=None)], [self.base_row(pod_labels="{}")])[0], 1)
        self.assertEqual(self.cmp([self.base_row(namespace="\\N")], [self.base_row(namespace="\\N")])[0], 0)

    def test_json_key_order_and_numbers(self):
        rc, out = self.cmp([self.base_row()],
                           [self.base_row(pod_labels='{"b": "2", "a": "1"}',
                                          infrastructure_usage_cost='{"storage": 0.0, "cpu": 0, "memory": 0.0}')])
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.cmp([self.base_row()], [self.base_row(pod_labels='{"a": "1"}')])[0], 1)
        self.assertEqual(self.cmp([self.base_row()], [self.base_row(pod_labels='{"a": "1", "b": 2}')])[0], 1)

    def test_duplicates_are_a_multiset(self):
        r1 = self.base_row(pod_usage_cpu_core_hours="1.0")
        r2 = self.base_row(pod_usage_cpu_core_hours="2.0")
        self.assertEqual(self.cmp([r1, r2], [r2, r1])[0], 0)
        rc, out = self.cmp([r1, r1], [r1])
        self.assertEqual(rc, 1)
        self.assertIn("MISSING", out)
        rc, out = self.cmp([r1], [r1, r1])
        self.assertEqual(rc, 1)
        self.assertIn("EXTRA", out)
        self.assertEqual(self.cmp([r1, r1], [r1, r2])[0], 1)

    def test_missing_and_extra_rows_by_key(self):
        rc, out = self.cmp([self.base_row(namespace="x")], [self.base_row(namespace="y")])
        self.assertEqual(rc, 1)
        self.assertIn("MISSING", out)
        self.assertIn("EXTRA", out)
        self.assertIn("namespace='x'", out)

    def test_column_order_irrelevant_but_set_must_match(self):
        e = self.write("e.csv", [self.base_row()])
        a = self.write("a.csv", [self.base_row()], header=list(reversed(self.HEADER)))
        self.assertEqual(compare.compare(e, a, out=io.StringIO()), 0)
        a2 = self.write("a2.csv", [self.base_row()], header=self.HEADER[:-1])
        self.assertEqual(compare.compare(e, a2, out=io.StringIO()), 1)

    def test_oracle_output_roundtrip(self):
        # the oracle's own CSV compares equal to itself (quoting, \N, JSON)
        tmp = tempfile.mkdtemp(prefix="compare-rt-", dir=self.tmp)
        fx = Fixture(tmp)
        fx.pod_daily([pod_row(ns='a,"b"', labels='{"k": "v,1"}'), pod_row(ns="c", labels=None)])
        out = os.path.join(tmp, "o.csv")
        with contextlib.redirect_stderr(io.StringIO()):
            rc = oracle.main(["--input", tmp, "--org", ORG, "--source", SRC, "--year", "2025", "--month", "10",
                              "--cluster-id", "c", "--cluster-alias", "a", "--report-period-id", "1",
                              "--enabled-keys", "k", "--out", out])
        self.assertEqual(rc, 0)
        self.assertEqual(compare.compare(out, out, out=io.StringIO()), 0)


class ClusterTests(OracleTestCase):
    """cluster.py: Koku's cluster-information queries on hand-made rows."""

    def run_cluster(self, query, start=None, end=None):
        import cluster  # noqa: E402 (imported here: the module imports oracle too)
        out = os.path.join(self.tmp, f"cluster_{query}.csv")
        argv = ["--input", self.tmp, "--org", ORG, "--source", SRC, "--year", "2025", "--month", "10",
                "--query", query, "--out", out, "--cluster-id", "ignored"]
        if start:
            argv += ["--start", start]
        if end:
            argv += ["--end", end]
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = cluster.main(argv)
        self.assertEqual(rc, 0, err.getvalue())
        with open(out, encoding="utf-8", newline="") as f:
            recs = compare.parse_csv(f.read())
        header = [v for v, _ in recs[0]]
        rows = [tuple(None if (v == "\\N" and not q) else v for v, q in rec) for rec in recs[1:]]
        return header, sorted(rows, key=lambda r: tuple("" if v is None else v for v in r))

    def test_nodes_roles_arch_capacity_and_join(self):
        infra = '{"node_role_kubernetes_io": "infra"}'
        self.fx.pod_daily([
            pod_row(ns="openshift-kube-apiserver", node="n1", rid="i-1", cores=4.0),
            pod_row(ns="ns1", node="n1", rid="i-1", day=2, cores=8.0),
            pod_row(ns="ns1", node="n1", rid=None, cores=2.0),
            pod_row(ns="ns1", node="n2", rid="i-2"),
            pod_row(ns="openshift-kube-apiserver", node="n3", rid="i-3", node_role="custom"),
            pod_row(ns="ns1", node="n3", rid="i-3"),
            pod_row(ns="ns1", node="n4", rid="i-4"),
            pod_row(ns="ns1", node="n5", rid="i-5"),
            pod_row(ns="ns1", node=None, rid="i-6"),
            pod_row(ns="ns1", node="n6", rid="i-6"),
        ])
        self.fx.node_labels([
            dict(interval_start=ts(1), node="n1", node_labels='{"a": "1", "kubernetes_io_arch": "AMD64"}'),
            dict(interval_start=ts(2), node="n1", node_labels='{"a": "2"}'),
            dict(interval_start=ts(1), node="n2", node_labels=infra),
            dict(interval_start=ts(1), node="n3", node_labels=infra),
            dict(interval_start=ts(1), node="n5", node_labels='{"kubernetes_io_arch": ["x"]}'),
            dict(interval_start=ts(1), node="n5", node_labels=None),
            # n4 has no label rows; n6's are outside the range below
            dict(interval_start=ts(5), node="n6", node_labels=infra),
        ])
        header, rows = self.run_cluster("nodes", end="2025-10-03")
        self.assertEqual(header, ["node", "resource_id", "node_capacity_cpu_cores", "node_role", "arch"])
        self.assertEqual(rows, [
            # max(node_labels) over the range is '{"a": "2"}': no arch
            ("n1", None, "2.0", "worker", None),
            ("n1", "i-1", "8.0", "master", None),
            ("n2", "i-2", "4.0", "infra", None),
            ("n3", "i-3", "4.0", "custom", None),
            ("n5", "i-5", "4.0", "worker", None),
        ])
        _, rows = self.run_cluster("nodes", end="2025-10-01")
        self.assertEqual(rows[0], ("n1", None, "2.0", "worker", "amd64"))
        self.assertEqual(rows[1], ("n1", "i-1", "4.0", "master", "amd64"))

    def test_pvcs_projects_and_timestamps(self):
        self.fx.pod_daily([
            pod_row(ns="ns1", day=2), pod_row(ns="ns1", day=3), pod_row(ns=None, day=3),
            pod_row(ns="ns2", day=9),
        ])
        self.fx.storage([
            dict(interval_start=ts(2), persistentvolume="pv1", persistentvolumeclaim="c1", csi_volume_handle="h1"),
            dict(interval_start=ts(3), persistentvolume="pv1", persistentvolumeclaim="c1", csi_volume_handle="h1"),
            dict(interval_start=ts(3), persistentvolume="pv2", persistentvolumeclaim="", csi_volume_handle=None),
            dict(interval_start=ts(9), persistentvolume="pv3", persistentvolumeclaim="c3", csi_volume_handle="h3"),
        ])
        _, rows = self.run_cluster("pvcs", end="2025-10-05")
        self.assertEqual(rows, [("pv1", "c1", "h1"), ("pv2", "", None)])
        _, rows = self.run_cluster("projects", end="2025-10-05")
        self.assertEqual(rows, [(None,), ("ns1",)])
        header, rows = self.run_cluster("timestamps", start="2025-10-02", end="2025-10-05")
        self.assertEqual(header, ["min_timestamp", "max_timestamp"])
        self.assertEqual(rows, [("2025-10-02 00:00:00.000", "2025-10-03 00:00:00.000")])
        _, rows = self.run_cluster("timestamps", start="2025-10-10")
        self.assertEqual(rows, [(None, None)])


def u(n):
    """A fixed uuid whose byte order follows n."""
    return f"{n:08x}-0000-4000-8000-000000000000"


OTHER_SRC = "99999999-0000-0000-0000-000000000000"


class ClusterTablesTests(OracleTestCase):
    """cluster_tables.py: Koku's get-or-create rules for reporting_ocp_clusters / nodes / pvcs / projects."""

    def run_tables(self, state, alias="alias", cluster_id="cid", extra=(), expect_rc=0):
        import cluster_tables  # noqa: E402
        state_path = os.path.join(self.tmp, "state.json")
        out = os.path.join(self.tmp, "tables.json")
        with open(state_path, "w", encoding="utf-8") as f:
            json.dump(state, f)
        argv = ["--input", self.tmp, "--org", ORG, "--source", SRC, "--year", "2025", "--month", "10",
                "--cluster-id", cluster_id, "--cluster-alias", alias, "--state", state_path, "--out", out,
                "--report-period-id", "1", "--no-enabled-keys"] + list(extra)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = cluster_tables.main(argv)
        self.assertEqual(rc, expect_rc, err.getvalue())
        if rc != 0:
            return None, err.getvalue()
        with open(out, encoding="utf-8") as f:
            got = json.load(f)
        for rows in got.values():
            self.assertEqual(rows, sorted(rows, key=lambda r: json.dumps(r, sort_keys=True)))
        return got, err.getvalue()

    @staticmethod
    def as_state(out, first_uuid=1000):
        """OUT.json -> the next run's STATE.json: created rows get fresh uuids, references follow."""
        n = first_uuid
        new_cluster = None
        state = {}
        for name in ("clusters", "nodes", "pvcs", "projects"):
            state[name] = []
            for r in out[name]:
                r = dict(r)
                if r["uuid"] == "new":
                    r["uuid"] = u(n)
                    n += 1
                    if name == "clusters":
                        new_cluster = r["uuid"]
                if name != "clusters" and r["cluster_id"] == "new":
                    r["cluster_id"] = new_cluster
                state[name].append(r)
        return state

    def cluster_fixture(self, cores=4.0):
        self.fx.pod_daily([
            pod_row(ns="openshift-kube-apiserver", node="n1", rid="i-1", cores=cores),
            pod_row(ns="ns1", node="n2", rid="i-2"),
            pod_row(ns="ns1", node="n3", rid="i-3"),
        ])
        self.fx.node_labels([
            dict(interval_start=ts(1), node="n1", node_labels='{"kubernetes_io_arch": "AMD64"}'),
            dict(interval_start=ts(1), node="n2", node_labels='{"node_role_kubernetes_io": "infra", '
                                                              '"kubernetes_io_arch": "arm64"}'),
            dict(interval_start=ts(1), node="n3", node_labels="{}"),
        ])

    def test_empty_state_creates_everything(self):
        self.cluster_fixture(cores=2.5)
        self.fx.storage([dict(interval_start=ts(1), persistentvolume="pv1", persistentvolumeclaim="c1",
                              csi_volume_handle="h1")])
        out, _ = self.run_tables({})
        self.assertEqual(out["clusters"], [{"uuid": "new", "cluster_id": "cid", "cluster_alias": "alias",
                                            "provider_id": SRC}])
        self.assertEqual(out["nodes"], [
            {"uuid": "new", "node": "n1", "resource_id": "i-1", "node_capacity_cpu_cores": "2.50",
             "cluster_id": "new", "node_role": "master", "architecture": "amd64"},
            {"uuid": "new", "node": "n2", "resource_id": "i-2", "node_capacity_cpu_cores": "4.00",
             "cluster_id": "new", "node_role": "infra", "architecture": "arm64"},
            {"uuid": "new", "node": "n3", "resource_id": "i-3", "node_capacity_cpu_cores": "4.00",
             "cluster_id": "new", "node_role": "worker", "architecture": None},
        ])
        self.assertEqual(out["pvcs"], [{"uuid": "new", "persistent_volume": "pv1", "persistent_volume_claim": "c1",
                                        "csi_volume_handle": "h1", "cluster_id": "new"}])
        self.assertEqual(out["projects"], [{"uuid": "new", "project": p, "cluster_id": "new"}
                                           for p in ("ns1", "openshift-kube-apiserver")])
        # a second run over its own result changes nothing
        state = self.as_state(out)
        again, _ = self.run_tables(state)
        self.assertEqual(again, {k: sorted(v, key=lambda r: json.dumps(r, sort_keys=True))
                                 for k, v in state.items()})

    def test_duplicate_clusters_keep_the_alias_and_cascade(self):
        self.cluster_fixture()
        state = {
            "clusters": [
                {"uuid": u(1), "cluster_id": "cid", "cluster_alias": None, "provider_id": SRC},
                {"uuid": u(2), "cluster_id": "cid", "cluster_alias": "other", "provider_id": SRC},
                {"uuid": u(9), "cluster_id": "cid", "cluster_alias": "alias", "provider_id": SRC},
                {"uuid": u(5), "cluster_id": "cid", "cluster_alias": "alias", "provider_id": SRC},
                {"uuid": u(3), "cluster_id": "x", "cluster_alias": "x", "provider_id": OTHER_SRC},
            ],
            "nodes": [{"uuid": u(10 + c), "node": "n1", "resource_id": "i-1", "node_capacity_cpu_cores": "4.00",
                       "cluster_id": u(c), "node_role": "worker", "architecture": "amd64"} for c in (1, 2, 3, 9)],
            "pvcs": [{"uuid": u(20 + c), "persistent_volume": "pv", "persistent_volume_claim": "c",
                      "csi_volume_handle": None, "cluster_id": u(c)} for c in (1, 2, 3)],
            "projects": [{"uuid": u(30 + c), "project": "ns1", "cluster_id": u(c)} for c in (1, 2, 3, 5)],
        }
        out, _ = self.run_tables(state)
        self.assertEqual(sorted(c["uuid"] for c in out["clusters"]), [u(3), u(5), u(9)])
        # u(5) is the first remaining cluster by uuid: the nodes query's rows land there
        self.assertEqual(sorted((n["cluster_id"], n["node"], n["uuid"]) for n in out["nodes"]), [
            (u(3), "n1", u(13)), (u(5), "n1", "new"), (u(5), "n2", "new"), (u(5), "n3", "new"),
            (u(9), "n1", u(19))])
        self.assertEqual([(p["cluster_id"], p["uuid"]) for p in out["pvcs"]], [(u(3), u(23))])
        self.assertEqual(sorted((p["cluster_id"], p["project"], p["uuid"]) for p in out["projects"]), [
            (u(3), "ns1", u(33)), (u(5), "ns1", u(35)), (u(5), "openshift-kube-apiserver", "new")])

    def test_single_cluster_alias_change_keeps_cluster_id(self):
        self.cluster_fixture()
        state = {"clusters": [{"uuid": u(7), "cluster_id": "old-id", "cluster_alias": "old", "provider_id": SRC}]}
        out, _ = self.run_tables(state, alias="alias", cluster_id="cid")
        self.assertEqual(out["clusters"], [{"uuid": u(7), "cluster_id": "old-id", "cluster_alias": "alias",
                                            "provider_id": SRC}])
        self.assertEqual({n["cluster_id"] for n in out["nodes"]}, {u(7)})
        # one cluster of the provider is never deleted, whatever its alias (NULL here)
        state = {"clusters": [{"uuid": u(7), "cluster_id": "old-id", "cluster_alias": None, "provider_id": SRC}]}
        out, _ = self.run_tables(state)
        self.assertEqual([(c["uuid"], c["cluster_alias"]) for c in out["clusters"]], [(u(7), "alias")])

    def test_node_roles_are_sticky_unless_role_or_architecture_is_empty(self):
        self.cluster_fixture()

        def node(i, name, rid, role, arch, cap="4.00", cl=1):
            return {"uuid": u(i), "node": name, "resource_id": rid, "node_capacity_cpu_cores": cap,
                    "cluster_id": u(cl), "node_role": role, "architecture": arch}
        state = {
            "clusters": [{"uuid": u(1), "cluster_id": "cid", "cluster_alias": "alias", "provider_id": SRC},
                         {"uuid": u(2), "cluster_id": "o", "cluster_alias": "o", "provider_id": OTHER_SRC}],
            "nodes": [node(11, "n1", "i-1", "infra", "s390x"),  # has both: untouched (query: master, amd64)
                      node(12, "n2", "i-2", "worker", None),  # NULL architecture: role AND arch overwritten
                      node(13, "n3", "i-3", "custom", ""),  # '' architecture: both overwritten (arch NULL)
                      node(14, "n1", "i-1", "", "amd64", cl=2)],  # another cluster's node is not matched
        }
        out, _ = self.run_tables(state)
        got = {n["uuid"]: (n["node"], n["node_role"], n["architecture"], n["cluster_id"]) for n in out["nodes"]}
        self.assertEqual(got, {u(11): ("n1", "infra", "s390x", u(1)), u(12): ("n2", "infra", "arm64", u(1)),
                               u(13): ("n3", "worker", None, u(1)), u(14): ("n1", "", "amd64", u(2))})
        # an empty role with an architecture is overwritten as well; a NULL resource_id matches only NULL
        state["nodes"] = [node(11, "n1", "i-1", "", "s390x"), node(12, "n2", None, None, None)]
        out, _ = self.run_tables(state)
        got = sorted((n["uuid"], n["node"], n["resource_id"], n["node_role"], n["architecture"]) for n in out["nodes"])
        self.assertEqual(got, sorted([("new", "n2", "i-2", "infra", "arm64"), ("new", "n3", "i-3", "worker", None),
                                      (u(11), "n1", "i-1", "master", "amd64"), (u(12), "n2", None, None, None)],
                                     key=str))

    def test_capacity_not_representable_in_numeric_18_2_creates_a_node_every_run(self):
        self.cluster_fixture(cores=2.333)
        out, _ = self.run_tables({})
        self.assertEqual([(n["node"], n["node_capacity_cpu_cores"]) for n in out["nodes"]],
                         [("n1", "2.33"), ("n2", "4.00"), ("n3", "4.00")])
        out, _ = self.run_tables(self.as_state(out))
        got = sorted((n["node"], n["node_capacity_cpu_cores"], n["uuid"] == "new") for n in out["nodes"])
        self.assertEqual(got, [("n1", "2.33", False), ("n1", "2.33", True), ("n2", "4.00", False),
                               ("n3", "4.00", False)])
        # a capacity stored exactly (2.50) is found again
        state = {"clusters": [{"uuid": u(1), "cluster_id": "cid", "cluster_alias": "alias", "provider_id": SRC}],
                 "nodes": [{"uuid": u(2), "node": "n1", "resource_id": "i-1", "node_capacity_cpu_cores": "2.33",
                            "cluster_id": u(1), "node_role": "master", "architecture": "amd64"}]}
        self.fx = Fixture(self.tmp)
        shutil.rmtree(os.path.join(self.tmp, "data"))
        self.cluster_fixture(cores=0.1)
        out, _ = self.run_tables(state)
        self.assertEqual(sorted((n["node_capacity_cpu_cores"], n["uuid"]) for n in out["nodes"] if n["node"] == "n1"),
                         [("0.10", "new"), ("2.33", u(2))])
        state["nodes"][0]["node_capacity_cpu_cores"] = "0.10"
        out, _ = self.run_tables(state)
        self.assertEqual(sorted((n["node_capacity_cpu_cores"], n["uuid"]) for n in out["nodes"] if n["node"] == "n1"),
                         [("0.10", u(2)), ("0.10", "new")])

    def test_pvcs_handles_and_null_keys(self):
        self.fx.pod_daily([pod_row()])
        self.fx.storage([
            dict(interval_start=ts(1), persistentvolume="pv1", persistentvolumeclaim="c1", csi_volume_handle="h1"),
            dict(interval_start=ts(1), persistentvolume="pv2", persistentvolumeclaim="c2", csi_volume_handle="h2"),
            dict(interval_start=ts(1), persistentvolume="pv3", persistentvolumeclaim="c3", csi_volume_handle=None),
            dict(interval_start=ts(1), persistentvolume="pv3", persistentvolumeclaim="c3", csi_volume_handle="h3"),
            dict(interval_start=ts(1), persistentvolume="pv4", persistentvolumeclaim="c4", csi_volume_handle="b"),
            dict(interval_start=ts(1), persistentvolume="pv4", persistentvolumeclaim="c4", csi_volume_handle="a"),
            dict(interval_start=ts(1), persistentvolume=None, persistentvolumeclaim="c5", csi_volume_handle="h5"),
            dict(interval_start=ts(1), persistentvolume="pv6", persistentvolumeclaim=None, csi_volume_handle="h6"),
            dict(interval_start=ts(1), persistentvolume="pv7", persistentvolumeclaim="", csi_volume_handle=""),
            dict(interval_start=ts(1), persistentvolume="pv8", persistentvolumeclaim="c8", csi_volume_handle="h8"),
        ])
        state = {
            "clusters": [{"uuid": u(1), "cluster_id": "cid", "cluster_alias": "alias", "provider_id": SRC}],
            "pvcs": [{"uuid": u(11), "persistent_volume": "pv1", "persistent_volume_claim": "c1",
                      "csi_volume_handle": None, "cluster_id": u(1)},
                     {"uuid": u(12), "persistent_volume": "pv2", "persistent_volume_claim": "c2",
                      "csi_volume_handle": "old", "cluster_id": u(1)},
                     {"uuid": u(13), "persistent_volume": "pv8", "persistent_volume_claim": "c8",
                      "csi_volume_handle": "", "cluster_id": u(1)}],
        }
        out, err = self.run_tables(state)
        got = sorted((p["uuid"], p["persistent_volume"], p["persistent_volume_claim"], p["csi_volume_handle"])
                     for p in out["pvcs"])
        self.assertEqual(got, [
            (u(11), "pv1", "c1", "h1"),  # NULL handle gets the handle
            (u(12), "pv2", "c2", "old"),  # a handle is kept
            (u(13), "pv8", "c8", "h8"),  # '' is no handle either
            ("new", "pv3", "c3", "h3"),  # NULL handle first, then filled by the next row
            ("new", "pv4", "c4", "a"),  # the first handle in (pv, pvc, handle) order
            ("new", "pv7", "", ""),
        ])
        self.assertIn("'c5'", err)  # NULL pv: skipped with a warning
        self.assertIn("'pv6'", err)
        self.assertTrue(all(p["cluster_id"] == u(1) for p in out["pvcs"]))

    def test_pvcs_need_a_storage_table(self):
        self.fx.pod_daily([pod_row()])
        state = {"clusters": [{"uuid": u(1), "cluster_id": "cid", "cluster_alias": "alias", "provider_id": SRC}],
                 "pvcs": [{"uuid": u(11), "persistent_volume": "pv1", "persistent_volume_claim": "c1",
                           "csi_volume_handle": None, "cluster_id": u(1)}]}
        out, _ = self.run_tables(state)
        self.assertEqual([p["uuid"] for p in out["pvcs"]], [u(11)])
        # another source's storage files make the table exist; this source has no rows: nothing changes
        self.fx.storage([dict(interval_start=ts(1), persistentvolume="pv1", persistentvolumeclaim="c1",
                              csi_volume_handle="h")], source=OTHER_SRC)
        out, _ = self.run_tables(state)
        self.assertEqual([(p["uuid"], p["csi_volume_handle"]) for p in out["pvcs"]], [(u(11), None)])

    def test_projects_get_or_create_and_null_namespace(self):
        self.fx.pod_daily([pod_row(ns="ns1"), pod_row(ns=None, pod="p2"), pod_row(ns="", pod="p3")])
        state = {"clusters": [{"uuid": u(1), "cluster_id": "cid", "cluster_alias": "alias", "provider_id": SRC}],
                 "projects": [{"uuid": u(11), "project": "ns1", "cluster_id": u(1)},
                              {"uuid": u(12), "project": "gone", "cluster_id": u(1)}]}
        out, err = self.run_tables(state)
        self.assertEqual(sorted((p["uuid"], p["project"]) for p in out["projects"]),
                         [(u(11), "ns1"), (u(12), "gone"), ("new", "")])
        self.assertIn("NULL namespace", err)
        # Koku's get_or_create fails on two matching rows
        state["projects"].append({"uuid": u(13), "project": "ns1", "cluster_id": u(1)})
        self.run_tables(state, expect_rc=2)


if __name__ == "__main__":
    unittest.main()


# ---------------------------------------------------------------------------------------------------------------
# vm_gpu.py: Koku's GPU usage-only UI summary and VM temp-table queries.

GPU_DAILY_COLS = [
    ("interval_start", "TIMESTAMP"), ("node", "VARCHAR"), ("namespace", "VARCHAR"), ("pod", "VARCHAR"),
    ("gpu_uuid", "VARCHAR"), ("mig_instance_id", "VARCHAR"), ("gpu_model_name", "VARCHAR"),
    ("gpu_vendor_name", "VARCHAR"), ("gpu_memory_capacity_mib", "DOUBLE"), ("gpu_pod_uptime", "DOUBLE"),
    ("mig_profile", "VARCHAR"), ("mig_slice_count", "BIGINT"), ("gpu_max_slices", "BIGINT"),
    ("mig_memory_capacity_mib", "BIGINT"), ("mig_strategy", "VARCHAR"),
]
VM_HOURLY_COLS = [
    ("interval_start", "TIMESTAMP"), ("interval_end", "TIMESTAMP"), ("node", "VARCHAR"), ("namespace", "VARCHAR"),
    ("vm_name", "VARCHAR"), ("vm_cpu_request_cores", "DOUBLE"), ("vm_memory_request_bytes", "DOUBLE"),
    ("vm_persistentvolumeclaim_name", "VARCHAR"), ("vm_labels", "VARCHAR"),
]
VM_DAILY_COLS = [
    ("interval_start", "TIMESTAMP"), ("namespace", "VARCHAR"), ("node", "VARCHAR"), ("vm_name", "VARCHAR"),
    ("vm_labels", "VARCHAR"), ("vm_cpu_request_cores", "DOUBLE"), ("vm_persistentvolumeclaim_name", "VARCHAR"),
]
MIB_TO_GB = 0.001048576
SRC2 = "99999999-2222-3333-4444-555555555555"


def gpu_row(day=1, ns="ml", node="n1", pod="p1", uuid="GPU-a", model="Tesla T4", vendor="nvidia", mib=15360.0,
            month=10, year=2025, **kw):
    r = dict(interval_start=ts(day, month=month, year=year), namespace=ns, node=node, pod=pod, gpu_uuid=uuid,
             gpu_model_name=model, gpu_vendor_name=vendor, gpu_memory_capacity_mib=mib, gpu_pod_uptime=3600.0)
    r.update(kw)
    return r


def summary_row(day, vm=None, node="n1", cpu=1.0, mem=1.0, source=SRC, labels=None, **kw):
    r = {c: None for c in oracle.OUTPUT_COLUMNS}
    if labels is None and vm is not None:
        labels = json.dumps({"app": "x", "vm_kubevirt_io_name": vm})
    r.update(uuid="00000000-0000-4000-8000-000000000000", report_period_id="1", cluster_id="cid",
             cluster_alias="alias", data_source="Pod", usage_start=f"2025-10-{day:02d}",
             usage_end=f"2025-10-{day:02d}", namespace="vms", node=node, pod_labels=labels,
             pod_request_cpu_core_hours=None if cpu is None else repr(cpu),
             pod_request_memory_gigabyte_hours=None if mem is None else repr(mem), source_uuid=source)
    r.update(kw)
    return r


class VmGpuTestCase(OracleTestCase):
    def gpu_daily(self, rows, **p):
        write_parquet(self.fx._path(True, "gpu_usage", **p), GPU_DAILY_COLS, rows)

    def vm_hourly(self, rows, **p):
        write_parquet(self.fx._path(False, "vm_usage", **p), VM_HOURLY_COLS, rows)

    def vm_daily(self, rows, **p):
        write_parquet(self.fx._path(True, "vm_usage", **p), VM_DAILY_COLS, rows)

    def write_summary(self, rows):
        p = os.path.join(self.tmp, "summary.csv")
        with open(p, "w", encoding="utf-8", newline="") as f:
            f.write(",".join(oracle.OUTPUT_COLUMNS) + "\n")
            for r in rows:
                f.write(",".join(csv_field(r[c]) for c in oracle.OUTPUT_COLUMNS) + "\n")
        return p

    def run_vm_gpu(self, query, month="10", start=None, end=None, cats=(), summary=None, extra=(), expect_rc=0):
        import vm_gpu  # noqa: E402
        out = os.path.join(self.tmp, f"{query}.csv")
        argv = ["--input", self.tmp, "--org", ORG, "--source", SRC, "--year", "2025", "--month", month,
                "--cluster-id", "cid", "--cluster-alias", "alias", "--query", query, "--out", out,
                "--report-period-id", "42", "--no-enabled-keys"]  # oracle.py flags: ignored
        for c in cats:
            argv += ["--cost-category", c]
        if summary is not None:
            argv += ["--summary", summary]
        if start:
            argv += ["--start", start]
        if end:
            argv += ["--end", end]
        argv += list(extra)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = vm_gpu.main(argv)
        self.assertEqual(rc, expect_rc, err.getvalue())
        if rc != 0:
            return None
        with open(out, encoding="utf-8", newline="") as f:
            recs = compare.parse_csv(f.read())
        header = [v for v, _ in recs[0]]
        self.assertEqual(header, vm_gpu.GPU_COLUMNS if query == "gpu" else vm_gpu.VM_COLUMNS)
        rows = [dict(zip(header, (None if (v == "\\N" and not q) else v for v, q in rec))) for rec in recs[1:]]
        lines = [tuple(rec) for rec in recs[1:]]
        self.assertEqual(lines, sorted(lines, key=lambda r: [(0, "") if (v == "\\N" and not q) else (1, v)
                                                             for v, q in r]), "rows are sorted")
        return rows


class GpuTests(VmGpuTestCase):
    def test_grouping_mig_vs_dedicated_memory_and_cost_category(self):
        self.gpu_daily([
            # two dedicated T4s of one namespace/node/model on day 1: one row, max gpu_uuid
            gpu_row(pod="p1", uuid="GPU-a"),
            gpu_row(pod="p2", uuid="GPU-b", mib=16384.0),
            # MIG slices of an A100: one row per mig_profile
            gpu_row(pod="p3", uuid="GPU-c", model="A100", mib=40960.0, mig_instance_id="MIG-1",
                    mig_profile="1g.10gb", mig_slice_count=1, gpu_max_slices=7, mig_memory_capacity_mib=9984,
                    mig_strategy="single"),
            gpu_row(pod="p4", uuid="GPU-c", model="A100", mib=40960.0, mig_instance_id="MIG-2",
                    mig_profile="3g.40gb", mig_slice_count=3, gpu_max_slices=7, mig_memory_capacity_mib=40192,
                    mig_strategy="single"),
            gpu_row(pod="p5", uuid="GPU-d", model="A100", mib=40960.0, mig_instance_id="MIG-9",
                    mig_profile="1g.10gb", mig_slice_count=1, gpu_max_slices=7, mig_memory_capacity_mib=9984,
                    mig_strategy="mixed"),
            # another day and another namespace: own rows
            gpu_row(day=2, pod="p1", uuid="GPU-a"),
            gpu_row(ns="other", pod="q1", uuid="GPU-e"),
        ])
        rows = self.run_vm_gpu("gpu", cats=("m%=5", "ml=3", "x%=9"))
        self.assertEqual(len(rows), 5, rows)
        t4 = self.one(rows, usage_start="2025-10-01", namespace="ml", model_name="Tesla T4")
        self.assertEqual(t4, dict(
            cluster_id="cid", cluster_alias="alias", usage_start="2025-10-01", usage_end="2025-10-01",
            namespace="ml", node="n1", vendor_name="nvidia", model_name="Tesla T4",
            memory_capacity_gb=repr(16384.0 * MIB_TO_GB), mig_instance_id=None, physical_gpu_uuid="GPU-b",
            gpu_mode="dedicated", mig_profile=None, mig_slice_count=None, gpu_max_slices=None, mig_strategy=None,
            mig_memory_capacity_gb=None, source_uuid=SRC, cost_category_id="5"))
        small = self.one(rows, mig_profile="1g.10gb")
        self.assertEqual((small["gpu_mode"], small["mig_instance_id"], small["physical_gpu_uuid"],
                          small["mig_slice_count"], small["gpu_max_slices"], small["mig_strategy"],
                          small["memory_capacity_gb"], small["mig_memory_capacity_gb"]),
                         ("MIG", "MIG-9", "GPU-d", "1", "7", "single", repr(40960.0 * MIB_TO_GB),
                          repr(9984.0 * MIB_TO_GB)))
        big = self.one(rows, mig_profile="3g.40gb")
        self.assertEqual((big["gpu_mode"], big["mig_slice_count"], big["mig_memory_capacity_gb"]),
                         ("MIG", "3", repr(40192.0 * MIB_TO_GB)))
        self.assertEqual(self.one(rows, usage_start="2025-10-02")["physical_gpu_uuid"], "GPU-a")
        self.assertIsNone(self.one(rows, namespace="other")["cost_category_id"])
        self.assertEqual(repr(16384.0 * MIB_TO_GB), "17.179869184")

    def test_month_zero_padding_partitions_and_date_range(self):
        self.gpu_daily([gpu_row(day=1, month=3, pod="a", uuid="GPU-1")], month="3")     # unpadded partition
        self.gpu_daily([gpu_row(day=2, month=3, pod="b", uuid="GPU-2")], month="03")    # padded partition
        self.gpu_daily([gpu_row(day=3, month=3, pod="c", uuid="GPU-3")], month="03")    # after --end
        self.gpu_daily([gpu_row(day=1, month=3, pod="d", uuid="GPU-4")], year="2024", month="03")  # other year
        self.gpu_daily([gpu_row(day=2, month=3, pod="e", uuid="GPU-5")], source=SRC2, month="03")  # other source
        rows = self.run_vm_gpu("gpu", month="3", start="2025-03-01", end="2025-03-02")
        self.assertEqual([(r["usage_start"], r["physical_gpu_uuid"]) for r in rows],
                         [("2025-03-01", "GPU-1"), ("2025-03-02", "GPU-2")])
        # the default range is the whole month; the zero-padded --month also works
        self.assertEqual(len(self.run_vm_gpu("gpu", month="03")), 3)

    def test_no_gpu_data_or_gpu_rate_gives_header_only(self):
        self.assertEqual(self.run_vm_gpu("gpu"), [])
        self.gpu_daily([gpu_row()])
        self.assertEqual(len(self.run_vm_gpu("gpu")), 1)
        self.assertEqual(self.run_vm_gpu("gpu", extra=("--has-gpu-rate",)), [])


class VmTests(VmGpuTestCase):
    def vm_fixture(self):
        lab = lambda vm: json.dumps({"vm_kubevirt_io_name": vm})  # noqa: E731
        self.fx.pod_daily([
            pod_row(pod="virt-a", labels=lab("a"), day=1),
            pod_row(pod="virt-a", labels=lab("a"), day=2),
            pod_row(pod="virt-c", labels=lab("c"), day=2),
            pod_row(pod="virt-e", labels=lab("e"), day=2),
            pod_row(pod="plain", labels='{"app": "x"}', day=2),
        ])
        self.fx.storage([
            dict(interval_start=ts(1), namespace="vms", pod="virt-a", persistentvolumeclaim="a-disk1"),
            dict(interval_start=ts(2), namespace="vms", pod="virt-a", persistentvolumeclaim="a-disk2"),
            dict(interval_start=ts(2), namespace="vms", pod="virt-a", persistentvolumeclaim="a-disk2"),
            dict(interval_start=ts(2), namespace="vms", pod="virt-c", persistentvolumeclaim=""),
            dict(interval_start=ts(2), namespace="vms", pod="virt-c", persistentvolumeclaim=None),
            dict(interval_start=ts(2), namespace="vms", pod="virt-e", persistentvolumeclaim="e-disk"),
            dict(interval_start=ts(2), namespace="vms", pod="plain", persistentvolumeclaim="plain-disk"),
        ])
        # September data of the same pods: excluded by the month filter of the pvc subquery
        self.fx.storage([dict(interval_start=ts(2, month=9), pod="virt-c", persistentvolumeclaim="c-old")],
                        month="09")
        self.fx.pod_daily([pod_row(pod="virt-c", labels=lab("c"), day=2, month=9)], month="09")
        return self.write_summary([
            summary_row(1, "a", cpu=9.0, mem=9.0),
            summary_row(2, "a", node="n1", cpu=4.0, mem=8.0),       # second-to-last day (2025-10-02)
            summary_row(3, "a", node="n1", cpu=5.0, mem=10.0),      # last day
            summary_row(3, "b", cpu=7.0, mem=7.0),                  # seen on the last day only: no row
            summary_row(2, "c", node="n2", cpu=2.0, mem=1.0),       # ties on one day: smallest node wins
            summary_row(2, "c", node="n1", cpu=3.0, mem=2.0),
            summary_row(2, "c", node="n1", cpu=3.5, mem=0.5),
            summary_row(2, "e", cpu=1.0, mem=1.5),
            summary_row(2, "d", node="nx", cpu=6.0, mem=6.0, source=SRC2),  # other source, same day: kept (Koku)
            summary_row(2, None, labels='{"app": "x"}', cpu=1.0),   # no VM label
            summary_row(2, "f", cpu=None),                           # NULL request: skipped
            summary_row(4, "a", cpu=None, data_source="Storage"),   # NULL request: not a day
            summary_row(5, "g", cpu=1.0, source=SRC2),              # other source: not a day for SRC
        ])

    def test_second_to_last_day_ties_and_pvc_fanout(self):
        summary = self.vm_fixture()
        rows = self.run_vm_gpu("vm", summary=summary)
        got = [(r["vm_name"], r["node"], r["pvc_name"], r["cpu_request"], r["mem_request"]) for r in rows]
        self.assertEqual(got, [
            ("a", "n1", "a-disk1", "4.0", "8.0"),   # two PVCs: two rows (LEFT JOIN fan-out, any day of the month)
            ("a", "n1", "a-disk2", "4.0", "8.0"),
            ("c", "n1", None, "3.0", "2.0"),        # no PVC: NULL pvc_name
            ("d", "nx", None, "6.0", "6.0"),
            ("e", "n1", "e-disk", "1.0", "1.5"),    # one PVC
        ])

    def test_range_end_moves_the_second_to_last_day(self):
        summary = self.vm_fixture()
        rows = self.run_vm_gpu("vm", summary=summary, end="2025-10-02")   # days 1, 2: second-to-last = day 1
        self.assertEqual([(r["vm_name"], r["cpu_request"]) for r in rows], [("a", "9.0"), ("a", "9.0")])
        # a single day in the range: no second-to-last day, no row
        self.assertEqual(self.run_vm_gpu("vm", summary=summary, end="2025-10-01"), [])

    def test_vm_report_variant_selected_by_daily_vm_partitions(self):
        summary = self.vm_fixture()
        gib = 2.0 ** 30

        def vm(vm_name, hour, pvc, cpu=2.0, mem=4 * gib, node="n1", day=3):
            return dict(interval_start=ts(day, hour), interval_end=ts(day, hour), node=node, namespace="vms",
                        vm_name=vm_name, vm_cpu_request_cores=cpu, vm_memory_request_bytes=mem,
                        vm_persistentvolumeclaim_name=pvc)

        self.vm_hourly([
            vm("x", 23, "x-root"), vm("x", 23, "x-root", cpu=1.0),
            vm("x", 22, "x-data", cpu=8.0, mem=64 * gib),   # an earlier hour: its PVC counts, its sizes do not
            vm("x", 23, ""), vm("x", 21, None),             # empty / NULL claim: no row
            vm("y", 22, "y-root"),                          # not at the latest interval: no row
            vm("z", 23, "z-root", node="n2", cpu=0.5, mem=gib),
        ])
        self.vm_hourly([vm("x", 23, "x-sep", day=30)], month="09")  # other month: ignored
        # without daily vm_usage partitions for the source: the summary-based variant
        self.assertEqual(len(self.run_vm_gpu("vm", summary=summary)), 5)
        self.vm_daily([dict(interval_start=ts(1, month=9), vm_name="x")], month="09")   # any month counts
        rows = self.run_vm_gpu("vm", summary=summary)
        got = [(r["vm_name"], r["node"], r["pvc_name"], r["cpu_request"], r["mem_request"]) for r in rows]
        self.assertEqual(got, [
            ("x", "n1", "x-data", "48.0", "96.0"),
            ("x", "n1", "x-root", "48.0", "96.0"),
            ("z", "n2", "z-root", "12.0", "24.0"),
        ])
        # a daily vm_usage partition of another source does not select it
        shutil.rmtree(os.path.join(self.tmp, "data", "parquet", "daily", ORG, "OCP", "vm_usage"))
        self.vm_daily([dict(interval_start=ts(1), vm_name="x")], source=SRC2)
        self.assertEqual(len(self.run_vm_gpu("vm", summary=summary)), 5)

    def test_needs_pod_and_storage_tables(self):
        summary = self.write_summary([summary_row(1, "a"), summary_row(2, "a")])
        self.fx.pod_daily([pod_row(pod="virt-a", labels='{"vm_kubevirt_io_name": "a"}')])
        self.assertEqual(self.run_vm_gpu("vm", summary=summary), [])          # no storage table: Koku skips
        self.fx.storage([dict(interval_start=ts(1), pod="virt-a", persistentvolumeclaim="pv")], source=SRC2)
        self.assertEqual([(r["vm_name"], r["pvc_name"]) for r in self.run_vm_gpu("vm", summary=summary)],
                         [("a", None)])                                         # table exists (other source)
        self.run_vm_gpu("vm", expect_rc=2)                                      # pod_storage needs --summary


class CompareRolesTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="compare-roles-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, text):
        p = os.path.join(self.tmp, name)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        return p

    def run_cmp(self, e, a, *flags):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = compare.main([self.write("e.csv", e), self.write("a.csv", a), *flags])
        return rc, out.getvalue()

    def test_vm_and_gpu_presets_and_overrides(self):
        e = "vm_name,node,pvc_name,cpu_request,mem_request\na,n1,\\N,4.0,8.0\n"
        a = "vm_name,node,pvc_name,cpu_request,mem_request\na,n1,\\N,4.0000000000001,8.0\n"
        self.assertEqual(self.run_cmp(e, a)[0], 1)                       # default roles: text compare
        self.assertEqual(self.run_cmp(e, a, "--preset", "vm")[0], 0)
        self.assertEqual(self.run_cmp(e, a, "--float-columns", "cpu_request,mem_request")[0], 0)
        self.assertEqual(self.run_cmp(e, a, "--preset", "vm", "--float-columns", "mem_request")[0], 1)
        far = a.replace("4.0000000000001", "5.0")
        rc, out = self.run_cmp(e, far, "--preset", "vm")
        self.assertEqual(rc, 1)
        self.assertIn("cpu_request: expected 4.0, actual 5.0", out)
        g = "model_name,mig_slice_count,memory_capacity_gb,labels\nT4,1,16.10612736,\"{\"\"a\"\": 1}\"\n"
        h = "model_name,mig_slice_count,memory_capacity_gb,labels\nT4,01,16.106127360000001,\"{\"\"a\"\":1.0}\"\n"
        self.assertEqual(self.run_cmp(g, h, "--preset", "gpu")[0], 1)    # labels not JSON in the preset
        self.assertEqual(self.run_cmp(g, h, "--preset", "gpu", "--json-columns", "labels")[0], 0)
        self.assertEqual(self.run_cmp(g, h, "--preset", "gpu", "--json-columns", "labels",
                                      "--int-columns", "")[0], 1)        # "1" vs "01" as text
        self.assertEqual(self.run_cmp(g, h, "--preset", "gpu", "--json-columns", "labels",
                                      "--ignore-columns", "mig_slice_count", "--int-columns", "")[0], 0)
