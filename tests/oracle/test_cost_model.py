"""Self-tests for cost_model.py (hand-made Parquet / summary / cost model, hand-computed values)."""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import unittest
from decimal import Decimal

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import cost_model  # noqa: E402

SRC = "11111111-2222-3333-4444-555555555555"
ORG = "org1234567"
VM_COLS = [("interval_start", "TIMESTAMP"), ("node", "VARCHAR"), ("resource_id", "VARCHAR"),
           ("namespace", "VARCHAR"), ("vm_name", "VARCHAR"), ("vm_uptime_total_seconds", "DOUBLE"),
           ("vm_cpu_request_cores", "DOUBLE")]
POD_HOURLY_COLS = [("interval_start", "TIMESTAMP"), ("pod_labels", "VARCHAR")]
GPU_COLS = [("interval_start", "TIMESTAMP"), ("node", "VARCHAR"), ("namespace", "VARCHAR"), ("pod", "VARCHAR"),
            ("gpu_uuid", "VARCHAR"), ("mig_instance_id", "VARCHAR"), ("gpu_model_name", "VARCHAR"),
            ("gpu_vendor_name", "VARCHAR"), ("gpu_memory_capacity_mib", "DOUBLE"), ("gpu_pod_uptime", "DOUBLE"),
            ("mig_profile", "VARCHAR")]
NS_COLS = [("interval_start", "TIMESTAMP"), ("namespace", "VARCHAR"), ("namespace_labels", "VARCHAR")]
SUMMARY_HEADER = ["usage_start", "usage_end", "source_uuid", "report_period_id", "cluster_id", "cluster_alias",
                  "data_source", "namespace", "node", "resource_id", "pod_labels", "all_labels",
                  "pod_usage_cpu_core_hours", "pod_request_cpu_core_hours", "pod_request_memory_gigabyte_hours",
                  "cost_category_id", "monthly_cost_type", "cost_model_rate_type"]


def write_parquet(path, columns, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f'"{c}" {t}' for c, t in columns) + ")")
    if rows:
        con.executemany("INSERT INTO t VALUES (" + ", ".join("?" for _ in columns) + ")",
                        [[r.get(c) for c, _ in columns] for r in rows])
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    con.close()


def vm_labels(vm, **extra):
    return json.dumps({"vm_kubevirt_io_name": vm, **extra})


def rate(metric, value, cost_type=None):
    r = {"metric": {"name": metric}, "tiered_rates": [{"value": value, "unit": "USD"}]}
    if cost_type:
        r["cost_type"] = cost_type
    return r


def tag_rate(metric, key, values=(), default=None, cost_type=None):
    tv = [{"tag_value": v, "value": x, "default": False} for v, x in values]
    if default is not None:
        tv.append({"tag_value": "whatever", "value": default, "default": True})
    r = {"metric": {"name": metric}, "tag_rates": {"tag_key": key, "tag_values": tv}}
    if cost_type:
        r["cost_type"] = cost_type
    return r


class CostModelTestCase(unittest.TestCase):
    year, month = 2025, 10

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cm_oracle_")
        self.summary = []

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def ts(self, day, hour=0):
        return f"{self.year:04d}-{self.month:02d}-{day:02d} {hour:02d}:00:00"

    def part(self, daily, rtype):
        parts = [self.tmp, "data", "parquet"] + (["daily"] if daily else []) + [ORG, "OCP", rtype,
                                                                                  f"source={SRC}",
                                                                                  f"year={self.year:04d}",
                                                                                  f"month={self.month:02d}", "f.parquet"]
        return os.path.join(*parts)

    def vm_hourly(self, rows):
        write_parquet(self.part(False, "vm_usage"), VM_COLS, rows)

    def vm_daily(self, rows):
        write_parquet(self.part(True, "vm_usage"), VM_COLS, rows)

    def pod_hourly(self, rows):
        write_parquet(self.part(False, "pod_usage"), POD_HOURLY_COLS, rows)

    def gpu(self, rows):
        write_parquet(self.part(True, "gpu_usage"), GPU_COLS, rows)

    def ns_labels(self, rows):
        write_parquet(self.part(True, "namespace_labels"), NS_COLS, rows)

    def srow(self, day, ns="ns1", node="n1", labels=None, ds="Pod", cat=None, rid="i-1", **kw):
        d = f"{self.year:04d}-{self.month:02d}-{day:02d}"
        row = {"usage_start": d, "usage_end": d, "source_uuid": SRC, "report_period_id": "7", "cluster_id": "c1",
               "cluster_alias": "alias1", "data_source": ds, "namespace": ns, "node": node, "resource_id": rid,
               "pod_labels": labels, "all_labels": labels, "pod_usage_cpu_core_hours": "1.0",
               "pod_request_cpu_core_hours": "1.0", "pod_request_memory_gigabyte_hours": "1.0",
               "cost_category_id": cat}
        row.update(kw)
        self.summary.append(row)

    def run_oracle(self, rates, expect_rc=0, start=None, end=None, cats=()):
        spath = os.path.join(self.tmp, "summary.csv")
        with open(spath, "w", encoding="utf-8", newline="") as f:
            f.write(",".join(SUMMARY_HEADER) + "\n")
            for r in self.summary:
                vals = []
                for c in SUMMARY_HEADER:
                    v = r.get(c)
                    vals.append("\\N" if v is None else '"' + str(v).replace('"', '""') + '"')
                f.write(",".join(vals) + "\n")
        cpath = os.path.join(self.tmp, "cm.json")
        with open(cpath, "w", encoding="utf-8") as f:
            json.dump({"uuid": "x", "rates": rates, "distribution_info": {"distribution_type": "cpu"}}, f)
        out = os.path.join(self.tmp, "out.csv")
        argv = ["--input", self.tmp, "--org", ORG, "--source", SRC, "--year", str(self.year), "--month",
                str(self.month), "--cluster-id", "c1", "--cluster-alias", "alias1", "--report-period-id", "7",
                "--summary", spath, "--cost-model", cpath, "--out", out]
        if start:
            argv += ["--start", start, "--end", end]
        for c in cats:
            argv += ["--cost-category", c]
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = cost_model.main(argv)
        self.assertEqual(rc, expect_rc, err.getvalue())
        if rc:
            return err.getvalue()
        with open(out, encoding="utf-8", newline="") as f:
            recs = compare.parse_csv(f.read())
        header = [v for v, _ in recs[0]]
        self.assertEqual(header, cost_model.OUTPUT_COLUMNS)
        return [{c: (None if (v == "\\N" and not q) else v) for c, (v, q) in zip(header, rec)} for rec in recs[1:]]

    def pick(self, rows, **match):
        got = [r for r in rows if all(r[k] == v for k, v in match.items())]
        self.assertEqual(len(got), 1, f"{match}: {got}")
        return got[0]


class HelperTests(unittest.TestCase):
    def test_decimal_casts_and_division(self):
        self.assertEqual(format(cost_model.to_decimal(0.1, 33, 15), "f"), "0.100000000000000")
        self.assertEqual(format(cost_model.to_decimal("0.0000000000000005", 33, 15), "f"), "0.000000000000001")
        self.assertEqual(format(cost_model.to_decimal(1e-16 * 5, 33, 15), "f"), "0.000000000000001")
        self.assertEqual(format(cost_model.to_decimal(100, 24, 9), "f"), "100.000000000")
        self.assertEqual(format(cost_model.decimal_divide(Decimal("1.000000000000000"), Decimal(3), 15), "f"),
                         "0.333333333333333")
        self.assertEqual(format(cost_model.decimal_divide(Decimal("2"), Decimal(3), 15), "f"), "0.666666666666667")
        self.assertEqual(format(cost_model.decimal_divide(Decimal("-2"), Decimal(3), 2), "f"), "-0.67")
        self.assertEqual(format(cost_model.decimal_divide(Decimal("0.5"), Decimal("1E+1"), 2), "f"), "0.05")
        with self.assertRaises(cost_model.OracleError):
            cost_model.to_decimal("1e18", 33, 15)
        self.assertEqual(format(cost_model.to_numeric15(0.1 + 0.2), "f"), "0.300000000000000")
        self.assertEqual(format(cost_model.to_numeric15(-0.0), "f"), "0.000000000000000")

    def test_amortized_rate_uses_python_default_context(self):
        self.assertEqual(str(cost_model.amortized_monthly_rate("100", 31)), "3.225806451612903225806451613")
        # a JSON number with a fraction is a float: Decimal(float) is its exact binary value
        self.assertEqual(str(cost_model.amortized_monthly_rate(0.1, 1)),
                         "0.1000000000000000055511151231")
        self.assertIsNone(cost_model.amortized_monthly_rate(None, 30))

    def test_java_double_to_string(self):
        self.assertEqual(cost_model.java_double_to_string(81920.0), "81920.0")
        self.assertEqual(cost_model.java_double_to_string(1e7), "1.0E7")
        self.assertEqual(cost_model.java_double_to_string(12345678.5), "1.23456785E7")
        self.assertEqual(cost_model.java_double_to_string(0.0001), "1.0E-4")
        self.assertEqual(cost_model.java_double_to_string(0.5), "0.5")

    def test_cost_model_parsing(self):
        rates = [rate("vm_cost_per_hour", "0.5"), rate("vm_cost_per_hour", "0.25"),
                 rate("vm_cost_per_hour", 1, "Supplementary"),
                 tag_rate("gpu_cost_per_month", "nvidia", [("T4", 100)], default=5),
                 tag_rate("project_per_month", "team", default=7, cost_type="Supplementary")]
        self.assertEqual(cost_model.tiered_rates(rates, "Infrastructure"), {"vm_cost_per_hour": 0.75})
        self.assertEqual(cost_model.tiered_rates(rates, "Supplementary"), {"vm_cost_per_hour": 1})
        m = cost_model.metric_to_tag_params_map(rates)
        self.assertEqual(m["gpu_cost_per_month"], [{"rate_type": "Infrastructure", "tag_key": "nvidia",
                                                    "default_rate": 5.0, "value_rates": {"T4": 100.0}}])
        self.assertEqual(m["project_per_month"], [{"rate_type": "Supplementary", "tag_key": "team",
                                                   "default_rate": 7.0}])
        self.assertTrue(cost_model.has_tag_rates(rates))
        self.assertFalse(cost_model.has_tag_rates(rates[:3]))


class VmHourlyTests(CostModelTestCase):
    def test_fractional_hours_infra_and_supplementary(self):
        self.vm_hourly([
            {"interval_start": self.ts(1, 0), "vm_name": "vm1", "vm_uptime_total_seconds": 3600.0},
            {"interval_start": self.ts(1, 1), "vm_name": "vm1", "vm_uptime_total_seconds": 3600.0},
            {"interval_start": self.ts(1, 2), "vm_name": "vm1", "vm_uptime_total_seconds": 1800.0},
            {"interval_start": self.ts(2, 5), "vm_name": "vm1", "vm_uptime_total_seconds": 900.0},
        ])
        self.srow(1, labels=vm_labels("vm1"), rid="i-a")
        self.srow(1, labels=vm_labels("vm1"), rid="i-b")  # same group: max(resource_id)
        self.srow(2, labels=vm_labels("vm1"))
        self.srow(3, labels=vm_labels("vm1"))  # no vm usage that day: no row
        self.srow(1, labels=vm_labels("vm1"), pod_usage_cpu_core_hours=None)  # not a usage row
        self.srow(1, labels=vm_labels("vm1"), ds="Storage")
        rows = self.run_oracle([rate("vm_cost_per_hour", "0.5"), rate("vm_cost_per_hour", 0.1, "Supplementary")])
        self.assertEqual(len(rows), 4)
        r = self.pick(rows, usage_start="2025-10-01", cost_model_rate_type="Infrastructure")
        self.assertEqual(r["step"], "hourly_cost_virtual_machine")
        self.assertEqual(r["cost_model_cpu_cost"], "1.250000000000000")  # 2.5 h * 0.5
        self.assertEqual(r["resource_id"], "i-b")
        self.assertIsNone(r["monthly_cost_type"])
        self.assertIsNone(r["cost_model_gpu_cost"])
        self.assertEqual(r["report_period_id"], "7")
        self.assertEqual(json.loads(r["pod_labels"]), {"vm_kubevirt_io_name": "vm1"})
        self.assertEqual(self.pick(rows, usage_start="2025-10-02", cost_model_rate_type="Infrastructure")
                         ["cost_model_cpu_cost"], "0.125000000000000")
        self.assertEqual(self.pick(rows, usage_start="2025-10-01", cost_model_rate_type="Supplementary")
                         ["cost_model_cpu_cost"], "0.250000000000000")
        self.assertEqual(self.pick(rows, usage_start="2025-10-02", cost_model_rate_type="Supplementary")
                         ["cost_model_cpu_cost"], "0.025000000000000")

    def test_count_hours_without_vm_table(self):
        self.pod_hourly([{"interval_start": self.ts(1, h), "pod_labels": vm_labels("vm1")} for h in range(5)]
                        + [{"interval_start": self.ts(1, 0), "pod_labels": '{"app": "x"}'}])
        self.srow(1, labels=vm_labels("vm1"))
        self.srow(1, ns="ns2", labels=vm_labels("vm1"))  # VM names are not namespaced: same 5 hours
        rows = self.run_oracle([rate("vm_cost_per_hour", "0.3"), rate("vm_core_cost_per_hour", "9"),
                                rate("vm_core_cost_per_month", "9")])
        self.assertEqual(sorted(r["step"] for r in rows), ["hourly_cost_virtual_machine"] * 2)
        for r in rows:
            self.assertEqual(r["cost_model_cpu_cost"], "1.500000000000000")  # 5 * 0.3 exact

    def test_already_costed_rows_are_skipped(self):
        self.pod_hourly([{"interval_start": self.ts(1, 0), "pod_labels": vm_labels("vm1")}])
        self.srow(1, labels=vm_labels("vm1"), cost_model_rate_type="Infrastructure")
        self.srow(1, labels=vm_labels("vm1"), node="n2", cost_model_rate_type="other")
        rows = self.run_oracle([rate("vm_cost_per_hour", "2")])
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["node"], "n2")

    def test_hourly_vm_core_inserts_nothing_but_would_compute(self):
        self.vm_hourly([{"interval_start": self.ts(1, h), "vm_name": "vm1", "node": "n1", "resource_id": "r1",
                         "vm_uptime_total_seconds": 3600.0, "vm_cpu_request_cores": 4.0} for h in range(3)])
        self.srow(1, labels=vm_labels("vm1"))
        rows = self.run_oracle([rate("vm_core_cost_per_hour", "0.5")])
        self.assertEqual(rows, [])
        # the SELECT alone: count hours 3 * 4 cores * 0.5
        args = type("A", (), {})()
        args.input, args.org, args.source, args.cost_category = self.tmp, ORG, SRC, []
        args.summary = os.path.join(self.tmp, "summary.csv")
        con = duckdb.connect()
        stmts = cost_model.statements()
        cost_model.setup(con, args, stmts)
        base = {"source": SRC, "year": "2025", "month": "10", "start_date": "2025-10-01",
                "end_date": "2025-10-31", "report_period_id": 7}
        got = cost_model.hourly_vm_core_rows(con, stmts, base, "0.5")
        con.close()
        self.assertEqual(len(got), 1)
        self.assertEqual(str(got[0]["cost_model_cpu_cost"]), "6.000000000000000")
        self.assertEqual(got[0]["node"], "n1")


class MonthlyVmCoreTests(CostModelTestCase):
    def check_month(self, year, month, expected):
        self.year, self.month = year, month
        self.vm_hourly([{"interval_start": self.ts(1, 0), "vm_name": "vm1", "node": "n1",
                         "vm_cpu_request_cores": 2.0}])
        self.srow(1, labels=vm_labels("vm1"))
        rows = self.run_oracle([rate("vm_core_cost_per_month", "100")])
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["step"], "monthly_vm_core")
        self.assertEqual(rows[0]["monthly_cost_type"], "OCP_VM_CORE")
        self.assertEqual(rows[0]["cost_model_rate_type"], "Infrastructure")
        self.assertEqual(rows[0]["cost_model_cpu_cost"], expected)

    def test_28_days(self):  # 100/28 = 3.5714285714285714.. -> 3.571428571428571 ; * 2
        self.check_month(2023, 2, "7.142857142857142")

    def test_29_days_leap_february(self):  # 100/29 = 3.4482758620689655.. -> 3.448275862068966 (half up)
        self.check_month(2024, 2, "6.896551724137932")

    def test_30_days(self):
        self.check_month(2025, 4, "6.666666666666666")

    def test_31_days(self):  # 100/31 = 3.2258064516129032.. -> 3.225806451612903
        self.check_month(2025, 1, "6.451612903225806")

    def test_vm_start_and_stop_mid_month_node_and_labels(self):
        rows_in = []
        # vm_a starts on day 10 on node n1, is on n2 at its last interval (day 11)
        rows_in += [{"interval_start": self.ts(10, 5), "vm_name": "vm_a", "node": "n1", "resource_id": "r1",
                     "vm_cpu_request_cores": 2.0},
                    {"interval_start": self.ts(11, 3), "vm_name": "vm_a", "node": "n2", "resource_id": "r2",
                     "vm_cpu_request_cores": 4.0}]
        # vm_b stops on day 2
        rows_in += [{"interval_start": self.ts(d, 0), "vm_name": "vm_b", "node": "n3", "resource_id": "r3",
                     "vm_cpu_request_cores": 1.0} for d in (1, 2)]
        self.vm_hourly(rows_in)
        for d in (10, 11):
            self.srow(d, node="n1", labels=vm_labels("vm_a", app="x"), all_labels=vm_labels("vm_a", env="p"))
        for d in (1, 2, 3):
            self.srow(d, labels=vm_labels("vm_b"))
        rows = self.run_oracle([rate("vm_core_cost_per_month", "31", "Supplementary")])  # 1/day in October
        got = sorted((r["usage_start"], r["node"], r["resource_id"], r["cost_model_cpu_cost"]) for r in rows)
        self.assertEqual(got, [("2025-10-01", "n3", "r3", "1.000000000000000"),
                               ("2025-10-02", "n3", "r3", "1.000000000000000"),
                               ("2025-10-10", "n2", "r2", "2.000000000000000"),
                               ("2025-10-11", "n2", "r2", "4.000000000000000")])
        a = self.pick(rows, usage_start="2025-10-10")
        # labels of the VM's last day, pod_labels then all_labels merged
        self.assertEqual(json.loads(a["pod_labels"]), {"vm_kubevirt_io_name": "vm_a", "app": "x", "env": "p"})
        self.assertEqual(a["pod_labels"], a["all_labels"])
        self.assertEqual(a["cost_model_rate_type"], "Supplementary")

    def test_rate_choice_truthy_infra_zero_wins(self):
        self.vm_hourly([{"interval_start": self.ts(1, 0), "vm_name": "vm1", "vm_cpu_request_cores": 2.0}])
        self.srow(1, labels=vm_labels("vm1"))
        self.assertEqual(self.run_oracle([rate("vm_core_cost_per_month", "0"),
                                          rate("vm_core_cost_per_month", "5", "Supplementary")]), [])
        rows = self.run_oracle([rate("vm_core_cost_per_month", 0),
                                rate("vm_core_cost_per_month", "62", "Supplementary")])
        self.assertEqual([(r["cost_model_rate_type"], r["cost_model_cpu_cost"]) for r in rows],
                         [("Supplementary", "4.000000000000000")])


class TagVmTests(CostModelTestCase):
    def setUp(self):
        super().setUp()
        self.srow(1, labels=vm_labels("vm1", tier="gold"))
        self.srow(1, labels=vm_labels("vm2", tier="bronze"))
        self.srow(1, labels=vm_labels("vm3"))

    def test_hourly_vm_tag_values_only_and_default_only(self):
        self.vm_hourly([{"interval_start": self.ts(1, 0), "vm_name": v, "vm_uptime_total_seconds": 5400.0,
                         "vm_cpu_request_cores": 2.0} for v in ("vm1", "vm2", "vm3")])
        rows = self.run_oracle([
            tag_rate("vm_cost_per_hour", "tier", [("gold", 2.0), ("silver", 1.0)]),
            tag_rate("vm_cost_per_hour", "tier", default=0.25, cost_type="Supplementary"),
        ])
        tagged = [r for r in rows if r["step"] == "hourly_cost_vm_tag_based"]
        got = sorted((json.loads(r["pod_labels"])["vm_kubevirt_io_name"], r["cost_model_rate_type"],
                      r["cost_model_cpu_cost"], r["monthly_cost_type"]) for r in tagged)
        self.assertEqual(got, [("vm1", "Infrastructure", "3.000000000000000", "Tag"),  # 1.5 h * 2
                               ("vm1", "Supplementary", "0.375000000000000", "Tag"),
                               ("vm2", "Supplementary", "0.375000000000000", "Tag")])

    def test_vm_core_hour_and_month_tag_based(self):
        self.vm_hourly([{"interval_start": self.ts(1, h), "vm_name": v, "node": "n9", "resource_id": "r9",
                         "vm_uptime_total_seconds": 1800.0, "vm_cpu_request_cores": 2.0}
                        for v in ("vm1", "vm2") for h in range(3)])
        self.vm_daily([{"interval_start": self.ts(1, 0), "vm_name": v, "vm_cpu_request_cores": 3.0}
                       for v in ("vm1", "vm2")])
        rows = self.run_oracle([
            tag_rate("vm_core_cost_per_hour", "tier", [("gold", 0.5)], default=0.1),
            tag_rate("vm_core_cost_per_month", "tier", [("gold", 62)]),
        ])
        hourly = {json.loads(r["pod_labels"])["vm_kubevirt_io_name"]: r for r in rows
                  if r["step"] == "hourly_vm_core_tag_based"}
        # count hours (no use_fractional_hours): 2 cores * rate * 3 rows
        self.assertEqual(hourly["vm1"]["cost_model_cpu_cost"], "3.000000000000000")
        self.assertEqual(hourly["vm2"]["cost_model_cpu_cost"], "0.600000000000000")
        self.assertEqual(hourly["vm1"]["node"], "n9")
        monthly = [r for r in rows if r["step"] == "monthly_vm_core_tag_based"]
        self.assertEqual(len(monthly), 1)  # bronze vm2 has no value rate and there is no default
        self.assertEqual(monthly[0]["cost_model_cpu_cost"], "6.000000000000000")  # daily 3 cores * 62 / 31
        self.assertEqual(monthly[0]["resource_id"], "r9")

    def test_tag_entry_without_values_and_default_fails(self):
        self.vm_hourly([{"interval_start": self.ts(1, 0), "vm_name": "vm1"}])
        err = self.run_oracle([tag_rate("vm_cost_per_hour", "tier")], expect_rc=2)
        self.assertIn("neither", err)


class GpuTests(CostModelTestCase):
    def setUp(self):
        super().setUp()
        base = {"node": "g1", "pod": "p", "gpu_vendor_name": "nvidia"}
        self.gpu([
            dict(base, interval_start=self.ts(1), namespace="ml-a", gpu_uuid="GPU-1", gpu_model_name="Tesla T4",
                 gpu_memory_capacity_mib=15360.0, gpu_pod_uptime=86400.0),
            dict(base, interval_start=self.ts(1), namespace="ml-b", gpu_uuid="GPU-2", gpu_model_name="A100",
                 gpu_memory_capacity_mib=81920.0, gpu_pod_uptime=43200.0, mig_instance_id="1", mig_profile="1g.10gb"),
            dict(base, interval_start=self.ts(1), namespace="ml-b", gpu_uuid="GPU-2", gpu_model_name="A100",
                 gpu_memory_capacity_mib=81920.0, gpu_pod_uptime=21600.0, mig_instance_id="2", mig_profile="1g.10gb"),
            dict(base, interval_start=self.ts(2), namespace="ml-c", gpu_uuid="GPU-3", gpu_model_name="H100",
                 gpu_memory_capacity_mib=81920.0, gpu_pod_uptime=86400.0),
            dict(base, interval_start=self.ts(2), namespace="ml-c", gpu_uuid="GPU-4", gpu_model_name="X",
                 gpu_vendor_name="amd", gpu_pod_uptime=86400.0),
        ])

    def test_value_rates_with_default_and_default_only(self):
        rows = self.run_oracle([
            tag_rate("gpu_cost_per_month", "nvidia", [("Tesla T4", 100), ("A100", 300)], default=50),
            tag_rate("gpu_cost_per_month", "nvidia", default=10, cost_type="Supplementary"),
        ], cats=["ml-%=3"])
        infra = sorted((r["resource_id"], r["cost_model_gpu_cost"]) for r in rows
                       if r["cost_model_rate_type"] == "Infrastructure")
        # 100/31 -> 3.225806452 (decimal(24,9), half up) * 1 day; 300/31 -> 9.677419355 * 0.5 and * 0.25;
        # H100 is not in value_rates: the WHERE drops it, the default is never used
        self.assertEqual(infra, [("GPU-1", "3.225806452000000"), ("GPU-2", "2.419354838750000"),
                                 ("GPU-2", "4.838709677500000")])
        supp = sorted((r["resource_id"], r["cost_model_gpu_cost"]) for r in rows
                      if r["cost_model_rate_type"] == "Supplementary")
        # 10/31 -> 0.322580645
        self.assertEqual(supp, [("GPU-1", "0.322580645000000"), ("GPU-2", "0.080645161250000"),
                                ("GPU-2", "0.161290322500000"), ("GPU-3", "0.322580645000000")])
        r = self.pick(rows, resource_id="GPU-1", cost_model_rate_type="Infrastructure")
        self.assertEqual(r["step"], "monthly_cost_gpu")
        self.assertEqual(r["data_source"], "GPU")
        self.assertEqual(r["all_labels"], '{"gpu-memory-mib":"15360.0","gpu-model":"Tesla T4","gpu-vendor":"nvidia"}')
        self.assertIsNone(r["pod_labels"])
        self.assertIsNone(r["cost_model_cpu_cost"])
        self.assertEqual(r["cost_category_id"], "3")
        self.assertEqual(r["cluster_alias"], "alias1")
        self.assertEqual(r["source_uuid"], SRC)

    def test_no_gpu_table_no_rows(self):
        shutil.rmtree(os.path.join(self.tmp, "data", "parquet", "daily", ORG, "OCP", "gpu_usage"))
        self.assertEqual(self.run_oracle([tag_rate("gpu_cost_per_month", "nvidia", default=10)]), [])


class ProjectTests(CostModelTestCase):
    def setUp(self):
        super().setUp()
        self.ns_labels([
            {"interval_start": self.ts(1), "namespace": "app1", "namespace_labels": '{"team": "a", "x": "1"}'},
            {"interval_start": self.ts(2), "namespace": "app1", "namespace_labels": '{"team": "a", "x": "1"}'},
            {"interval_start": self.ts(1), "namespace": "app2", "namespace_labels": '{"team": "b"}'},
            {"interval_start": self.ts(1), "namespace": "openshift-mon", "namespace_labels": '{"team": "a"}'},
            {"interval_start": self.ts(1), "namespace": "kube-system", "namespace_labels": '{"team": "a"}'},
            {"interval_start": self.ts(1), "namespace": "openshift", "namespace_labels": '{"team": "a"}'},
            {"interval_start": self.ts(1), "namespace": "app3", "namespace_labels": '{"other": "z"}'},
        ])
        for node in ("n1", "n2", "n3"):
            self.srow(1, ns="app1", node=node)
        self.srow(1, ns="app1", node="n3", ds="Storage")  # same node again: still 3 nodes
        self.srow(1, ns="app2", node="n1")

    def test_default_only_node_count_and_exclusions(self):
        rows = self.run_oracle([tag_rate("project_per_month", "team", default=31)], start="2025-10-05",
                               end="2025-10-06")
        got = sorted((r["namespace"], r["usage_start"], r["node"] or "", r["cost_model_cpu_cost"]) for r in rows)
        # 31/31 = 1 per day; day 1: 3 nodes -> 1/3 rounded half up; day 2: no summary row -> node NULL, 1
        # (the whole month is charged, start/end do not apply)
        self.assertEqual(got, [("app1", "2025-10-01", "n1", "0.333333333333333"),
                               ("app1", "2025-10-01", "n2", "0.333333333333333"),
                               ("app1", "2025-10-01", "n3", "0.333333333333333"),
                               ("app1", "2025-10-02", "", "1.000000000000000"),
                               ("app2", "2025-10-01", "n1", "1.000000000000000")])
        r = self.pick(rows, namespace="app2")
        self.assertEqual(r["step"], "monthly_project_tag_based")
        self.assertEqual(json.loads(r["pod_labels"]), {"team": "b"})
        self.assertEqual(r["monthly_cost_type"], "Tag")
        self.assertEqual(r["cost_model_rate_type"], "Infrastructure")
        self.assertEqual(r["data_source"], "Pod")
        self.assertIsNone(r["cost_category_id"])
        self.assertIsNone(r["resource_id"])
        self.assertEqual(json.loads(self.pick(rows, namespace="app1", node="n1")["all_labels"]),
                         {"team": "a", "x": "1"})

    def test_value_rates_only(self):
        rows = self.run_oracle([tag_rate("project_per_month", "team", [("a", 20)], cost_type="Supplementary")])
        got = sorted((r["namespace"], r["usage_start"], r["cost_model_cpu_cost"]) for r in rows)
        # 20/31 = 0.645161290322580|6 -> 0.645161290322581; /3 = 0.215053763440860|33 -> 0.215053763440860
        self.assertEqual(got, [("app1", "2025-10-01", "0.215053763440860")] * 3
                         + [("app1", "2025-10-02", "0.645161290322581")])
        self.assertTrue(all(r["cost_model_rate_type"] == "Supplementary" for r in rows))


class NoTagRatesTests(CostModelTestCase):
    def test_tag_steps_need_tag_rates(self):
        self.ns_labels([{"interval_start": self.ts(1), "namespace": "app1", "namespace_labels": '{"team": "a"}'}])
        self.assertEqual(self.run_oracle([rate("project_per_month", "5")]), [])
        self.assertEqual(len(self.run_oracle([tag_rate("project_per_month", "team", default=5)])), 1)


CM_UUID = "AAAAAAAA-0000-4000-8000-000000000001"
RATE_UUID = "bbbbbbbb-0000-4000-8000-000000000002"
GPU_RTU_COLS = GPU_COLS + [("mig_slice_count", "DOUBLE"), ("gpu_max_slices", "DOUBLE"),
                           ("mig_memory_capacity_mib", "DOUBLE"), ("mig_strategy", "VARCHAR")]
NODE_COLS = [("interval_start", "TIMESTAMP"), ("node", "VARCHAR"), ("node_labels", "VARCHAR")]


def meta(r, rate_id=None, custom_name=None, metric_type=None):
    if rate_id:
        r["rate_id"] = rate_id
    if custom_name is not None:
        r["custom_name"] = custom_name
    if metric_type:
        r["metric"]["metric_type"] = metric_type
    return r


class RtuTestCase(CostModelTestCase):
    def run_rtu(self, rates, gpu_unallocated=False, expect_rc=0, start=None, end=None):
        spath = os.path.join(self.tmp, "summary.csv")
        with open(spath, "w", encoding="utf-8", newline="") as f:
            f.write(",".join(SUMMARY_HEADER) + "\n")
            for r in self.summary:
                f.write(",".join("\\N" if r.get(c) is None else '"' + str(r.get(c)).replace('"', '""') + '"'
                                 for c in SUMMARY_HEADER) + "\n")
        cpath = os.path.join(self.tmp, "cm.json")
        with open(cpath, "w", encoding="utf-8") as f:
            json.dump({"uuid": CM_UUID, "rates": rates,
                       "distribution_info": {"distribution_type": "cpu", "gpu_unallocated": gpu_unallocated}}, f)
        out, rtu_out = os.path.join(self.tmp, "out.csv"), os.path.join(self.tmp, "rtu.csv")
        argv = ["--input", self.tmp, "--org", ORG, "--source", SRC, "--year", str(self.year), "--month",
                str(self.month), "--cluster-id", "c1", "--cluster-alias", "alias1", "--report-period-id", "7",
                "--summary", spath, "--cost-model", cpath, "--out", out, "--rates-to-usage", "--rtu-out", rtu_out]
        if start:
            argv += ["--start", start, "--end", end]
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = cost_model.main(argv)
        self.assertEqual(rc, expect_rc, err.getvalue())
        if rc:
            return err.getvalue()
        result = []
        for path, cols in ((out, cost_model.OUTPUT_COLUMNS), (rtu_out, cost_model.RTU_COLUMNS)):
            with open(path, encoding="utf-8", newline="") as f:
                recs = compare.parse_csv(f.read())
            header = [v for v, _ in recs[0]]
            self.assertEqual(header, cols)
            result.append([{c: (None if (v == "\\N" and not q) else v) for c, (v, q) in zip(header, rec)}
                           for rec in recs[1:]])
        return result

    def node_labels_hourly(self, rows):
        write_parquet(self.part(False, "node_labels"), NODE_COLS, rows)


class RtuVmTests(RtuTestCase):
    def test_header_exact(self):
        self.assertEqual(",".join(cost_model.RTU_COLUMNS),
                         "step,cost_model_id,report_period_id,source_uuid,usage_start,usage_end,node,namespace,"
                         "cluster_id,cluster_alias,data_source,pod_labels,all_labels,label_hash,custom_name,"
                         "metric_type,cost_model_rate_type,monthly_cost_type,calculated_cost,distributed_cost,"
                         "cost_category_id,rate_id")

    def test_hourly_cost_virtual_machine_rtu_and_label_hash(self):
        self.vm_hourly([
            {"interval_start": self.ts(1, 0), "vm_name": "vm1", "vm_uptime_total_seconds": 3600.0},
            {"interval_start": self.ts(1, 1), "vm_name": "vm1", "vm_uptime_total_seconds": 1800.0},
        ])
        self.srow(1, labels='{"vm_kubevirt_io_name": "vm1", "app": "x"}', cat="4")
        self.srow(1, node="n2", labels=vm_labels("vm1"), cost_model_rate_type="Supplementary")  # skipped
        rates = [meta(rate("vm_cost_per_hour", "0.5"), RATE_UUID, "VM hours", "vm_hours"),
                 meta(rate("vm_cost_per_hour", "0.25"), "cccccccc-0000-4000-8000-000000000003", "second"),
                 rate("vm_cost_per_hour", "2", "Supplementary")]
        direct, rows = self.run_rtu(rates)
        self.assertEqual(direct, [])
        self.assertEqual(len(rows), 2)
        r = self.pick(rows, cost_model_rate_type="Infrastructure")
        self.assertEqual(r["step"], "hourly_cost_virtual_machine_rtu")
        self.assertEqual(r["calculated_cost"], "1.125000000000000")  # 1.5 h * (0.5 + 0.25)
        # the summed entry's fields are the first entry's
        self.assertEqual((r["rate_id"], r["custom_name"], r["metric_type"]), (RATE_UUID, "VM hours", "vm_hours"))
        self.assertEqual(r["cost_model_id"], CM_UUID.lower())
        self.assertEqual((r["report_period_id"], r["source_uuid"], r["data_source"], r["cost_category_id"]),
                         ("7", SRC, "Pod", "4"))
        self.assertIsNone(r["monthly_cost_type"])
        self.assertIsNone(r["distributed_cost"])
        self.assertEqual(r["pod_labels"], '{"app":"x","vm_kubevirt_io_name":"vm1"}')
        text = '{"app":"x","vm_kubevirt_io_name":"vm1"}||{"app":"x","vm_kubevirt_io_name":"vm1"}'
        self.assertEqual(r["label_hash"], hashlib.sha256(text.encode()).hexdigest().upper())
        s = self.pick(rows, cost_model_rate_type="Supplementary")
        self.assertEqual(s["calculated_cost"], "3.000000000000000")
        self.assertEqual((s["rate_id"], s["custom_name"], s["metric_type"]), (None, None, "vm_cost_per_hour"))

    def test_label_hash_with_null_pod_labels(self):
        self.assertEqual(cost_model.label_hash(None, '{"a":"1"}'),
                         hashlib.sha256(b'||{"a":"1"}').hexdigest().upper())
        self.assertEqual(cost_model.label_hash(None, None), hashlib.sha256(b"||").hexdigest().upper())

    def test_hourly_vm_core_rtu_inserts(self):
        self.vm_hourly([{"interval_start": self.ts(1, h), "vm_name": "vm1", "node": "n7", "resource_id": "r1",
                         "vm_uptime_total_seconds": 1800.0, "vm_cpu_request_cores": 4.0} for h in range(3)])
        self.srow(1, labels=vm_labels("vm1"), all_labels='{"env": "p"}')
        rows = self.run_rtu([meta(rate("vm_core_cost_per_hour", "0.5", "Supplementary"), RATE_UUID, "cores")])[1]
        self.assertEqual(len(rows), 1)
        r = rows[0]
        self.assertEqual(r["step"], "hourly_vm_core_rtu")
        # 5400 s / 3600 * 4 cores * 0.5 (fractional uptime, unlike the direct SELECT's row count)
        self.assertEqual(r["calculated_cost"], "3.000000000000000")
        self.assertEqual(r["node"], "n7")
        combined = '{"env":"p","vm_kubevirt_io_name":"vm1"}'
        self.assertEqual((r["pod_labels"], r["all_labels"]), (combined, combined))
        self.assertEqual(r["label_hash"], hashlib.sha256((combined + "||" + combined).encode()).hexdigest().upper())
        self.assertEqual((r["cost_model_rate_type"], r["rate_id"], r["custom_name"]),
                         ("Supplementary", RATE_UUID, "cores"))
        self.assertIsNone(r["monthly_cost_type"])

    def test_tag_based_vm_files(self):
        self.vm_hourly([{"interval_start": self.ts(1, h), "vm_name": v, "node": "n9", "resource_id": "r9",
                         "vm_uptime_total_seconds": 1800.0, "vm_cpu_request_cores": 2.0}
                        for v in ("vm1", "vm2") for h in range(3)])
        self.vm_daily([{"interval_start": self.ts(1, 0), "vm_name": v, "vm_cpu_request_cores": 3.0}
                       for v in ("vm1", "vm2")])
        self.srow(1, labels=vm_labels("vm1", tier="gold"))
        self.srow(1, labels=vm_labels("vm2", tier="bronze"))
        # a usage row already tagged monthly: only hourly_vm_core_tag_based_rtu lacks that filter
        self.srow(1, ns="ns9", labels=vm_labels("vm1", tier="gold"), monthly_cost_type="Tag")
        rows = self.run_rtu([
            meta(tag_rate("vm_cost_per_hour", "tier", [("gold", 2.0)]), RATE_UUID, "tag vm"),
            tag_rate("vm_core_cost_per_hour", "tier", [("gold", 0.5)], default=0.1),
            tag_rate("vm_core_cost_per_month", "tier", [("gold", 62)]),
        ])[1]
        hv = [r for r in rows if r["step"] == "hourly_cost_vm_tag_based_rtu"]
        self.assertEqual(len(hv), 1)
        # count hours from pod rows? no: the vm table exists -> fractional 1.5 h * 2
        self.assertEqual(hv[0]["calculated_cost"], "3.000000000000000")
        self.assertIsNone(hv[0]["monthly_cost_type"])  # NULL in the _rtu twin, 'Tag' in the direct file
        self.assertEqual((hv[0]["rate_id"], hv[0]["custom_name"]), (RATE_UUID, "tag vm"))
        hc = sorted((r["namespace"], json.loads(r["pod_labels"])["vm_kubevirt_io_name"], r["calculated_cost"])
                    for r in rows if r["step"] == "hourly_vm_core_tag_based_rtu")
        # always fractional: 2 cores * rate * 1.5 h
        self.assertEqual(hc, [("ns1", "vm1", "1.500000000000000"), ("ns1", "vm2", "0.300000000000000"),
                              ("ns9", "vm1", "1.500000000000000")])
        self.assertTrue(all(r["monthly_cost_type"] == "Tag" and r["node"] == "n9" for r in rows
                            if r["step"] == "hourly_vm_core_tag_based_rtu"))
        mc = [r for r in rows if r["step"] == "monthly_vm_core_tag_based_rtu"]
        self.assertEqual([(r["namespace"], r["calculated_cost"], r["monthly_cost_type"]) for r in mc],
                         [("ns1", "6.000000000000000", "Tag")])  # 3 cores * 62 / 31

    def test_monthly_vm_core_and_project_stay_direct(self):
        self.vm_hourly([{"interval_start": self.ts(1, 0), "vm_name": "vm1", "node": "n1",
                         "vm_cpu_request_cores": 2.0}])
        self.ns_labels([{"interval_start": self.ts(1), "namespace": "app1", "namespace_labels": '{"team": "a"}'}])
        self.srow(1, labels=vm_labels("vm1"))
        direct, rows = self.run_rtu([rate("vm_core_cost_per_month", "31"),
                                     tag_rate("project_per_month", "team", default=31)])
        self.assertEqual(rows, [])
        self.assertEqual(sorted((r["step"], r["cost_model_cpu_cost"]) for r in direct),
                         [("monthly_project_tag_based", "1.000000000000000"),
                          ("monthly_vm_core", "2.000000000000000")])

    def test_bad_rate_id_fails(self):
        self.vm_hourly([{"interval_start": self.ts(1, 0), "vm_name": "vm1", "vm_uptime_total_seconds": 60.0}])
        self.srow(1, labels=vm_labels("vm1"))
        err = self.run_rtu([meta(rate("vm_cost_per_hour", "1"), "not-a-uuid")], expect_rc=2)
        self.assertIn("uuid", err)


class RtuGpuTests(RtuTestCase):
    def setUp(self):
        super().setUp()
        b = {"gpu_vendor_name": "nvidia", "pod": "p", "interval_start": self.ts(1)}
        mig = dict(b, gpu_model_name="A100", gpu_memory_capacity_mib=81920.0, gpu_max_slices=7.0)
        self.gpu_rows = [
            dict(mig, node="gm", namespace="ml-a", gpu_uuid="GPU-M", mig_instance_id="1", mig_profile="1g.10gb",
                 mig_slice_count=1.0, mig_memory_capacity_mib=9728.0, mig_strategy="mixed", gpu_pod_uptime=43200.0),
            dict(mig, node="gm", namespace="ml-b", gpu_uuid="GPU-M", mig_instance_id="2", mig_profile="2g.20gb",
                 mig_slice_count=2.0, mig_memory_capacity_mib=19968.0, mig_strategy="mixed",
                 gpu_pod_uptime=21600.0),
            dict(mig, node="gs", namespace="ml-c", gpu_uuid="GPU-S", mig_instance_id="1", mig_profile="1g.10gb",
                 mig_slice_count=1.0, mig_strategy="single", gpu_pod_uptime=43200.0),
            dict(b, node="gd2", namespace="ml-d", gpu_uuid="GPU-D", gpu_model_name="Tesla T4",
                 gpu_memory_capacity_mib=15360.0, gpu_pod_uptime=43200.0),
            dict(b, node="gh", namespace="ml-e", gpu_uuid="GPU-H", gpu_model_name="H100", gpu_pod_uptime=86400.0,
                 gpu_vendor_name="nvidia_corp"),
            dict(b, node="gx", namespace="ml-f", gpu_uuid="GPU-X", gpu_model_name="MI300", gpu_pod_uptime=86400.0,
                 gpu_vendor_name="amd"),
        ]
        write_parquet(self.part(True, "gpu_usage"), GPU_RTU_COLS, self.gpu_rows)

        def labels(**kw):
            return json.dumps({"nvidia_com_gpu_present": "True", **kw})
        nodes = {
            "gm": labels(nvidia_com_gpu_count="2", nvidia_com_gpu_product="NVIDIA-A100-SXM4-80GB",
                         nvidia_com_mig_strategy="mixed"),
            "gs": labels(nvidia_com_gpu_count="1", nvidia_com_gpu_product="NVIDIA-A100",
                         nvidia_com_mig_strategy=" Single "),
            "gd2": labels(nvidia_com_gpu_count="1", nvidia_com_gpu_product="Tesla-T4"),
            "gd": labels(nvidia_com_gpu_count="1", nvidia_com_gpu_product="Tesla-T4",
                         nvidia_com_mig_strategy="single"),
            "ge": labels(nvidia_com_gpu_count="4", nvidia_com_mig_strategy="mixed"),
            "cpu1": json.dumps({"nvidia_com_gpu_present": "False", "nvidia_com_gpu_count": "1"}),
        }
        self.node_labels_hourly([{"interval_start": self.ts(1, h), "node": n, "node_labels": l}
                                 for n, l in nodes.items() for h in range(24)])
        self.rates = [meta(tag_rate("gpu_cost_per_month", "nvidia", [("A100", 300), ("Tesla T4", 100)]),
                           RATE_UUID, "GPU rate")]

    def test_per_gpu_rows(self):
        rows = [r for r in self.run_rtu(self.rates)[1] if r["namespace"] != "GPU unallocated"]
        got = sorted((r["node"], r["namespace"], r["calculated_cost"]) for r in rows)
        self.assertEqual(got, [
            ("gd2", "ml-d", "1.612903226000000"),  # 100/31 -> 3.225806452 * 0.5 day
            ("gh", "ml-e", "0.000000000000000"),   # vendor LIKE 'nvidia%'; H100 not in value_rates: ELSE 0
            ("gm", "ml-a", "0.691244240334101"),   # 300/31 -> 9.677419355 * 0.5 * (1/7 -> 0.142857143)
            ("gm", "ml-b", "0.691244240334101"),   # 9.677419355 * 0.25 * (2/7 -> 0.285714286)
            ("gs", "ml-c", "0.691244240334101"),
        ])
        r = self.pick(rows, namespace="ml-a")
        self.assertEqual(r["step"], "monthly_cost_gpu_rtu")
        self.assertEqual((r["data_source"], r["monthly_cost_type"], r["cost_model_rate_type"]),
                         ("GPU", "Tag", "Infrastructure"))
        self.assertEqual((r["rate_id"], r["custom_name"], r["metric_type"]),
                         (RATE_UUID, "GPU rate", "gpu_cost_per_month"))
        labels = ('{"gpu-max-slices":"7","gpu-memory-mib":"81920.0","gpu-mode":"MIG","gpu-model":"A100",'
                  '"gpu-uuid":"GPU-M","gpu-vendor":"nvidia","mig-instance-id":"1","mig-memory-mib":"9728",'
                  '"mig-profile":"1g.10gb","mig-slice-count":"1","mig-strategy":"mixed"}')
        self.assertEqual(r["all_labels"], labels)
        self.assertIsNone(r["pod_labels"])
        self.assertEqual(r["label_hash"], hashlib.sha256(("||" + labels).encode()).hexdigest().upper())
        d = self.pick(rows, namespace="ml-d")
        self.assertEqual(json.loads(d["all_labels"])["gpu-mode"], "dedicated")
        self.assertIsNone(json.loads(d["all_labels"])["mig-slice-count"])

    def test_unallocated_rows(self):
        rows = [r for r in self.run_rtu(self.rates)[1] if r["namespace"] == "GPU unallocated"]
        got = sorted((r["node"], r["all_labels"], r["calculated_cost"]) for r in rows)
        self.assertEqual(got, [
            # single, no gpu usage that day: max_slices NULL -> the rate's CAST is NULL
            ("gd", '{"gpu-model":"Tesla T4","max-slices-per-gpu":null}', None),
            # no strategy label = mixed: 24 h * 1 gpu * 1 slice - 43200/3600 = 12; 100/744 -> 0.134408602 * 12
            ("gd2", '{"gpu-model":"Tesla T4","max-slices-per-gpu":"1"}', "1.612903224000000"),
            # mixed: 24 * 2 * 7 - (43200*1 + 21600*2)/3600 = 312; 300/5208 -> 0.057603687 * 312
            ("gm", '{"gpu-model":"A100","max-slices-per-gpu":"7"}', "17.972350344000000"),
            # ' Single ' (trimmed, lower): 24 * 1 - 12 = 12 (not * max slices); 0.057603687 * 12
            ("gs", '{"gpu-model":"A100","max-slices-per-gpu":"7"}', "0.691244244000000"),
        ])  # ge (mixed, no usage: NULL capacity) and cpu1 (gpu_present False) have no row
        r = self.pick(rows, node="gm")
        self.assertEqual((r["source_uuid"], r["cluster_id"], r["cluster_alias"], r["data_source"],
                          r["monthly_cost_type"], r["usage_end"]),
                         (SRC, "c1", "alias1", "GPU", "Tag", "2025-10-01"))
        self.assertIsNone(r["cost_category_id"])
        self.assertEqual(r["label_hash"],
                         hashlib.sha256(b'||{"gpu-model":"A100","max-slices-per-gpu":"7"}').hexdigest().upper())

    def test_distribution(self):
        rows = self.run_rtu(self.rates, gpu_unallocated=True)[1]
        dist = [r for r in rows if r["step"] == "distribute_unallocated_gpu_cost_rtu"]
        got = sorted((r["node"], r["namespace"], r["distributed_cost"], r["custom_name"], r["metric_type"])
                     for r in dist)
        self.assertEqual(got, [
            ("gd2", "GPU unallocated", "-1.612903224000000", "", ""),
            ("gd2", "ml-d", "1.612903224000000", "GPU rate", "gpu_cost_per_month"),
            ("gm", "GPU unallocated", "-17.972350344000000", "", ""),
            # equal slice-seconds (43200 * 1 and 21600 * 2): half each
            ("gm", "ml-a", "8.986175172000000", "GPU rate", "gpu_cost_per_month"),
            ("gm", "ml-b", "8.986175172000000", "GPU rate", "gpu_cost_per_month"),
            ("gs", "GPU unallocated", "-0.691244244000000", "", ""),
            ("gs", "ml-c", "0.691244244000000", "GPU rate", "gpu_cost_per_month"),
        ])
        for r in dist:
            self.assertEqual((r["cost_model_rate_type"], r["monthly_cost_type"], r["cost_model_id"]),
                             ("gpu_distributed", "gpu_distributed", CM_UUID.lower()))
            self.assertIsNone(r["calculated_cost"])
            self.assertIsNone(r["data_source"])
            self.assertIsNone(r["rate_id"])
            self.assertIsNone(r["label_hash"])
            self.assertEqual((r["report_period_id"], r["cluster_id"], r["usage_start"]), ("7", "c1", "2025-10-01"))
        net = {}
        for r in dist:
            net[(r["node"], r["usage_start"])] = net.get((r["node"], r["usage_start"]), 0) + Decimal(
                r["distributed_cost"])
        self.assertEqual(set(net.values()), {Decimal(0)})

    def test_distribution_nets_to_zero_with_rounding(self):
        # gd2: three namespaces with 3600, 3600, 18000 s -> aggregated 7 h, unutilized 17 -> 0.134408602 * 17
        # = 2.284946234; shares 1/7, 1/7, 5/7 each rounded to 15 places: the negation sums the STORED values
        for r in self.gpu_rows:
            if r["node"] == "gd2":
                r["gpu_pod_uptime"] = 3600.0
        self.gpu_rows.append(dict(self.gpu_rows[3], namespace="ml-g", gpu_pod_uptime=3600.0))
        self.gpu_rows.append(dict(self.gpu_rows[3], namespace="ml-h", gpu_pod_uptime=18000.0))
        write_parquet(self.part(True, "gpu_usage"), GPU_RTU_COLS, self.gpu_rows)
        rows = self.run_rtu(self.rates, gpu_unallocated=True)[1]
        un = self.pick(rows, node="gd2", namespace="GPU unallocated", step="monthly_cost_gpu_rtu")
        self.assertEqual(un["calculated_cost"], "2.284946234000000")
        dist = [r for r in rows if r["step"] == "distribute_unallocated_gpu_cost_rtu" and r["node"] == "gd2"]
        self.assertEqual(sorted((r["namespace"], r["distributed_cost"]) for r in dist),
                         [("GPU unallocated", "-2.284946234000001"), ("ml-d", "0.326420890571429"),
                          ("ml-g", "0.326420890571429"), ("ml-h", "1.632104452857143")])
        self.assertEqual(sum(Decimal(r["distributed_cost"]) for r in dist), 0)

    def test_gpu_unallocated_false_no_distribution(self):
        rows = self.run_rtu(self.rates, gpu_unallocated=False)[1]
        self.assertTrue(rows)
        self.assertFalse([r for r in rows if r["step"] == "distribute_unallocated_gpu_cost_rtu"])

    def test_model_with_punctuation_is_not_distributed(self):
        for r in self.gpu_rows:
            if r["node"] == "gd2":
                r["gpu_model_name"] = "Tesla-T4--16GB"
        write_parquet(self.part(True, "gpu_usage"), GPU_RTU_COLS, self.gpu_rows)
        rows = self.run_rtu([tag_rate("gpu_cost_per_month", "nvidia", default=100)], gpu_unallocated=True)[1]
        un = self.pick(rows, node="gd2", namespace="GPU unallocated", step="monthly_cost_gpu_rtu")
        self.assertEqual(json.loads(un["all_labels"])["gpu-model"], "Tesla T4 16GB")  # regexp_replace, every match
        self.assertEqual(un["calculated_cost"], "1.612903224000000")
        self.assertFalse([r for r in rows if r["step"] == "distribute_unallocated_gpu_cost_rtu"
                          and r["node"] == "gd2"])
        self.assertTrue([r for r in rows if r["step"] == "distribute_unallocated_gpu_cost_rtu"
                         and r["node"] == "gm"])

    def test_default_only_and_no_rates(self):
        rows = self.run_rtu([tag_rate("gpu_cost_per_month", "nvidia", default=31)])[1]
        h = self.pick(rows, node="gh")
        self.assertEqual(h["calculated_cost"], "1.000000000000000")  # 31/31 * 1 day
        self.assertIsNone(h["rate_id"])
        rows = self.run_rtu([{"metric": {"name": "gpu_cost_per_month"},
                              "tag_rates": {"tag_key": "nvidia", "tag_values": []}}])[1]
        self.assertTrue(rows)
        self.assertEqual({r["calculated_cost"] for r in rows}, {"0.000000000000000"})


class ComparePresetTests(unittest.TestCase):
    def test_cost_model_preset(self):
        p = compare.PRESETS["cost_model"]
        self.assertEqual(p["float_columns"], {"cost_model_cpu_cost", "cost_model_gpu_cost"})
        self.assertEqual(p["int_columns"], {"report_period_id", "cost_category_id"})
        self.assertEqual(p["json_columns"], {"pod_labels", "all_labels"})
        self.assertEqual(p["ignore_columns"], {"uuid"})

    def test_rtu_preset(self):
        p = compare.PRESETS["rtu"]
        self.assertEqual(p["float_columns"], {"calculated_cost", "distributed_cost"})
        self.assertEqual(p["int_columns"], {"report_period_id", "cost_category_id"})
        self.assertEqual(p["json_columns"], {"pod_labels", "all_labels"})
        self.assertEqual(p["ignore_columns"], {"uuid"})


if __name__ == "__main__":
    unittest.main()
