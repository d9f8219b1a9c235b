"""Self-tests for ocp_aws.py: hand-made Parquet and Hive daily summary, hand-computed values.

SQL line references are to the pinned Koku files listed in ocp_aws.py's docstring ("step 1" =
1_resource_matching_by_cluster.sql, "step 2" = 2_summarize_data_by_cluster.sql, "step 3" =
3_reporting_ocpawscostlineitem_project_daily_summary_p.sql).

Fixture (March 2024, 31 days, markup 0.1, cpu distribution, `--tag app` = key `app` enabled for AWS and OCP):
cluster c1 ("Cluster One", OpenShift source O1): node n1 (resource i-abc, 24 core-hours/day) runs ns1, ns2;
node n2 (i-def, 10 core-hours/day) runs ns3 and mounts claim-a (pv-a, CSI handle vol-123, 20 GB, ns1) and claim-b
(pv-b, no CSI handle, ns2). Cluster c2 ("Cluster Two", source O2): node n9 (i-zzz) runs ns9.
AWS lines (day 5 unless noted):
  L1 EC2 i-abc 12.0 (blended 11.0)  L2 data transfer out on i-abc 2.0 (10 GB)   L3 EBS vol-123 4.0 (100 GB disk)
  L4 EBS vol-pv-b 5.0               L5 tag openshift_project=ns3 5.0             L6 tag openshift_cluster=Cluster One 10.0
  L7 tag openshift_node=n2 3.0      L8 tag app=db 4.0                             L9 EC2 i-def tagged openshift_project=ns9 6.0
  L10 EC2 i-abc on day 7 24.0
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import sys
import tempfile
import unittest
import datetime as dt

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ocp_aws  # noqa: E402

ORG = "org1234567"
O1 = "11111111-1111-1111-1111-111111111111"
O2 = "22222222-2222-2222-2222-222222222222"
A1 = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
AWS_COLS = [(c, "DOUBLE" if t == "DOUBLE" else ("TIMESTAMP" if t == "TIMESTAMP" else "VARCHAR"))
            for c, t in ocp_aws.AWS_COLUMNS]
POD_COLS = [("interval_start", "TIMESTAMP"), ("namespace", "VARCHAR"), ("node", "VARCHAR"), ("resource_id", "VARCHAR")]
STO_COLS = [("interval_start", "TIMESTAMP"), ("persistentvolume", "VARCHAR"), ("csi_volume_handle", "VARCHAR")]
SUMMARY_HEADER = ocp_aws.SUMMARY_NEEDED
TOL = 1e-9


def day(d):
    return dt.datetime(2024, 3, d)


def write_parquet(path, columns, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f'"{c}" {t}' for c, t in columns) + ")")
    con.executemany("INSERT INTO t VALUES (" + ", ".join("?" for _ in columns) + ")",
                    [[r.get(c) for c, _ in columns] for r in rows])
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    con.close()


def aws_line(uuid, res, d, cost, **kw):
    r = dict(row_uuid=uuid, lineitem_resourceid=res, lineitem_usagestartdate=day(d), bill_billingentity="AWS",
             product_productname="", lineitem_productcode="AmazonEC2", lineitem_usageaccountid="123456789012",
             lineitem_availabilityzone="us-east-1a", product_productfamily="Compute Instance",
             product_instancetype="m5.xlarge", product_region="us-east-1", pricing_unit="Hrs", resourcetags="{}",
             costcategory="{}", lineitem_usageamount=24.0, lineitem_usagetype="BoxUsage:m5.xlarge",
             lineitem_operation="RunInstances", lineitem_currencycode="USD", lineitem_lineitemtype="Usage",
             lineitem_unblendedcost=cost, lineitem_unblendedrate=0.5, lineitem_blendedcost=cost,
             savingsplan_savingsplaneffectivecost=0.0)
    r.update(kw)
    return r


def tags(**kv):
    return json.dumps(kv)  # masu's json.dumps form: {"k": "v"}


AWS_DAILY = [
    aws_line("L1", "i-abc", 5, 12.0, lineitem_blendedcost=11.0,
             resourcetags='{"openshift_cluster": "c1", "app": "web", "team": "x"}'),
    aws_line("L2", "i-abc", 5, 2.0, product_productfamily="Data Transfer", lineitem_usageamount=10.0,
             lineitem_usagetype="USE1-DataTransfer-Out-Bytes", pricing_unit="GB"),
    aws_line("L3", "vol-123", 5, 4.0, product_productfamily="Storage", lineitem_usageamount=3.2,
             lineitem_usagetype="EBS:VolumeUsage.gp3", pricing_unit="GB-Mo"),
    aws_line("L4", "vol-pv-b", 5, 5.0, product_productfamily="Storage", lineitem_usageamount=1.0,
             lineitem_usagetype="EBS:VolumeUsage.gp3", pricing_unit="GB-Mo"),
    aws_line("L5", "bucket-1", 5, 5.0, lineitem_productcode="AmazonS3", resourcetags=tags(openshift_project="ns3")),
    aws_line("L6", "db-1", 5, 10.0, lineitem_productcode="AmazonRDS",
             resourcetags=tags(openshift_cluster="Cluster One")),
    aws_line("L7", "lb-1", 5, 3.0, lineitem_productcode="AWSELB", resourcetags=tags(openshift_node="n2")),
    aws_line("L8", "q-1", 5, 4.0, lineitem_productcode="AWSQueueService", resourcetags=tags(app="db")),
    aws_line("L9", "i-def", 5, 6.0, lineitem_usageamount=30.0, resourcetags=tags(openshift_project="ns9")),
    aws_line("L10", "i-abc", 7, 24.0),
    aws_line("L11", "nothing", 5, 99.0, resourcetags=tags(app="other")),
]
# hourly EBS lines for the disk capacity: round(max(cost) / (max(rate) / 744)) = round(0.010752688/(0.08/744)) = 100
AWS_HOURLY = [aws_line(f"h{h}", "vol-123", 5, 0.08 * 100 / 744, lineitem_unblendedrate=0.08,
                       lineitem_usagestartdate=day(5) + dt.timedelta(hours=h)) for h in range(3)]


def srow(src, cid, alias, d, ds, ns, node, res, **kw):
    r = dict(usage_start=f"2024-03-{d:02d}", usage_end=f"2024-03-{d:02d}", source_uuid=src, cluster_id=cid,
             cluster_alias=alias, data_source=ds, namespace=ns, node=node, resource_id=res)
    r.update(kw)
    return r


def pod(src, cid, alias, d, ns, node, res, eff, cap, labels):
    return srow(src, cid, alias, d, "Pod", ns, node, res, pod_effective_usage_cpu_core_hours=eff,
                node_capacity_cpu_core_hours=cap, pod_effective_usage_memory_gigabyte_hours=1.0,
                node_capacity_memory_gigabyte_hours=4.0, pod_labels=labels)


C1 = (O1, "c1", "Cluster One")
SUMMARY = [
    pod(*C1, 5, "ns1", "n1", "i-abc", 6.0, 24.0, '{"app":"web"}'),
    pod(*C1, 5, "ns2", "n1", "i-abc", 2.0, 24.0, "{}"),
    pod(*C1, 5, "Worker unallocated", "n1", "i-abc", 16.0, 24.0, None),
    pod(*C1, 5, "ns3", "n2", "i-def", 1.0, 10.0, '{"app":"db"}'),
    srow(*C1, 5, "Storage", "ns1", "n2", "i-def", persistentvolumeclaim="claim-a", persistentvolume="pv-a",
         storageclass="gp3", csi_volume_handle="vol-123", persistentvolumeclaim_capacity_gigabyte=20.0,
         volume_labels='{"app":"web"}'),
    srow(*C1, 5, "Storage", "ns2", "n2", "i-def", persistentvolumeclaim="claim-b", persistentvolume="pv-b",
         storageclass="gp3", csi_volume_handle="", persistentvolumeclaim_capacity_gigabyte=5.0, volume_labels="{}"),
    pod(*C1, 7, "ns1", "n1", "i-abc", 12.0, 24.0, "{}"),
    pod(*C1, 7, "Worker unallocated", "n1", "i-abc", 12.0, 24.0, None),
    pod(O2, "c2", "Cluster Two", 5, "ns9", "n9", "i-zzz", 1.0, 4.0, "{}"),
]


def write_summary_csv(path):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(SUMMARY_HEADER) + "\n")
        for r in SUMMARY:
            vals = []
            for c in SUMMARY_HEADER:
                v = r.get(c)
                if v is None:
                    vals.append("\\N")
                elif v == "" or any(ch in str(v) for ch in ',"'):
                    vals.append('"' + str(v).replace('"', '""') + '"')
                else:
                    vals.append(str(v))
            f.write(",".join(vals) + "\n")


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    out = []
    for r in rows[1:]:
        out.append({c: (None if v == "\\N" else v) for c, v in zip(header, r)})
    return out


class OcpAwsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        t = cls.tmp
        aws_root, ocp_root = os.path.join(t, "aws"), os.path.join(t, "ocp")
        part = os.path.join(f"source={A1}", "year=2024", "month=03", "x.parquet")
        write_parquet(os.path.join(aws_root, "data", "parquet", "daily", ORG, "AWS", "raw", part), AWS_COLS, AWS_DAILY)
        write_parquet(os.path.join(aws_root, "data", "parquet", ORG, "AWS", part), AWS_COLS, AWS_HOURLY)
        daily = os.path.join(ocp_root, "data", "parquet", "daily", ORG, "OCP")
        for src, rows in ((O1, [dict(interval_start=day(5), namespace="ns1", node="n1", resource_id="i-abc"),
                                dict(interval_start=day(5), namespace="ns2", node="n1", resource_id="i-abc"),
                                dict(interval_start=day(5), namespace="ns3", node="n2", resource_id="i-def"),
                                dict(interval_start=day(7), namespace="ns1", node="n1", resource_id="i-abc")]),
                          (O2, [dict(interval_start=day(5), namespace="ns9", node="n9", resource_id="i-zzz")])):
            p = os.path.join(daily, "pod_usage", f"source={src}", "year=2024", "month=03", "x.parquet")
            write_parquet(p, POD_COLS, rows)
        p = os.path.join(daily, "storage_usage", f"source={O1}", "year=2024", "month=03", "x.parquet")
        write_parquet(p, STO_COLS, [dict(interval_start=day(5), persistentvolume="pv-a", csi_volume_handle="vol-123"),
                                    dict(interval_start=day(5), persistentvolume="pv-b", csi_volume_handle="")])
        cls.summary = os.path.join(t, "summary.csv")
        write_summary_csv(cls.summary)
        cls.aws_root, cls.ocp_root = aws_root, ocp_root
        cls.c1 = cls.run_oracle(O1, "c1", "Cluster One")
        cls.c2 = cls.run_oracle(O2, "c2", "Cluster Two")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def run_oracle(cls, src, cid, alias, extra=(), name=None):
        name = name or cid
        out = os.path.join(cls.tmp, f"{name}-project.csv")
        back = os.path.join(cls.tmp, f"{name}-back.csv")
        argv = ["--ocp-input", cls.ocp_root, "--aws-input", cls.aws_root, "--org", ORG, "--ocp-source", src,
                "--aws-source", A1, "--year", "2024", "--month", "3", "--cluster-id", cid, "--cluster-alias", alias,
                "--report-period-id", "7", "--bill-id", "3", "--markup", "0.1", "--distribution", "cpu",
                "--tag", "app", "--ocp-summary", cls.summary, "--out-project", out, "--out-back-populate", back,
                *extra]
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = ocp_aws.main(argv)
        if rc != 0:
            raise AssertionError(f"ocp_aws failed: {err.getvalue()}")
        return read_csv(out), read_csv(back)

    def rows(self, rows, **flt):
        return [r for r in rows if all(r.get(k) == v for k, v in flt.items())]

    def one(self, rows, **flt):
        found = self.rows(rows, **flt)
        self.assertEqual(len(found), 1, f"{flt}: {found}")
        return found[0]

    def close(self, text, value):
        self.assertIsNotNone(text)
        self.assertAlmostEqual(float(text), value, delta=TOL)

    # ---------------------------------------------------------------- chunks
    def test_chunks_are_masus_date_range_pair(self):
        got = [(a.day, b.day) for a, b in ocp_aws.date_range_pair(dt.date(2024, 3, 1), dt.date(2024, 3, 31))]
        self.assertEqual(got, [(1, 6), (7, 11), (12, 16), (17, 21), (22, 26), (27, 31)])
        got = [(a.day, b.day) for a, b in ocp_aws.date_range_pair(dt.date(2024, 4, 1), dt.date(2024, 4, 30))]
        self.assertEqual(got[-1], (27, 30))

    # ---------------------------------------------------------------- EC2 by resource id
    def test_ec2_resource_match_split_by_effective_usage(self):
        # step 1 cte_matchable_resource_names: "i-abc" ends with the node's resource_id.
        # step 2 "Direct resource_id matching": one temp row per (line, namespace, pod_labels); final INSERT:
        # (pod_column / node_column) * cost = eff / 24 * 12.0; markup * cast(0.1 as decimal(24,9)).
        p, _ = self.c1
        rows = self.rows(p, resource_id="i-abc", usage_start="2024-03-05", data_transfer_direction=None)
        self.assertEqual(sorted(r["namespace"] for r in rows), ["Worker unallocated", "ns1", "ns2"])
        for ns, eff in (("ns1", 6.0), ("ns2", 2.0), ("Worker unallocated", 16.0)):
            r = self.one(rows, namespace=ns)
            self.assertEqual(r["data_source"], "Pod")
            self.assertEqual(r["node"], "n1")
            self.close(r["unblended_cost"], eff / 24 * 12.0)
            self.close(r["blended_cost"], eff / 24 * 11.0)
            self.close(r["calculated_amortized_cost"], eff / 24 * 12.0)  # lineitemtype Usage: unblended (step 1)
            self.close(r["savingsplan_effective_cost"], 0.0)
            self.close(r["markup_cost"], eff / 24 * 12.0 * 0.1)
            self.close(r["markup_cost_amortized"], eff / 24 * 12.0 * 0.1)
            # usage_amount / aws_uuid_count: 24 / 3 namespace groups
            self.close(r["usage_amount"], 8.0)
            self.assertEqual(r["report_period_id"], "7")
            self.assertEqual(r["cost_entry_bill_id"], "3")
            self.assertEqual(r["source_uuid"], A1)
            self.assertEqual(r["cluster_id"], "c1")
        # step 2 final: tags = map_concat(pod_labels, aws tags filtered to openshift_* + AWS keys (step 1));
        # step 3 keeps only ['vm_kubevirt_io_name'] + enabled AWS/OCP keys: openshift_cluster is dropped.
        self.assertEqual(json.loads(self.one(rows, namespace="ns1")["tags"]), {"app": "web"})
        self.assertEqual(self.one(rows, namespace="ns1")["pod_labels"], self.one(rows, namespace="ns1")["tags"])
        # the unallocated row has NULL pod_labels and volume_labels: map_concat(NULL, tags) is NULL
        self.assertIsNone(self.one(rows, namespace="Worker unallocated")["tags"])

    def test_storage_rows_of_the_node_join_the_ec2_line(self):
        # step 2 "Direct resource_id matching" has no data_source filter: the two Storage rows of n2 carry
        # resource_id i-def, so L9 (i-def) gets 'Pod' rows for ns1/ns2 with NULL effective usage -> NULL cost,
        # and the line's usage_amount is divided by 3 groups (ns3 + two storage groups).
        p, _ = self.c1
        rows = self.rows(p, resource_id="i-def")
        self.assertEqual(sorted(r["namespace"] for r in rows), ["ns1", "ns2", "ns3"])
        self.close(self.one(rows, namespace="ns3")["unblended_cost"], 1.0 / 10.0 * 6.0)
        for ns in ("ns1", "ns2"):
            r = self.one(rows, namespace=ns)
            self.assertEqual(r["data_source"], "Pod")
            self.assertIsNone(r["unblended_cost"])
            self.close(r["usage_amount"], 10.0)

    # ---------------------------------------------------------------- EBS
    def test_ebs_csi_handle_split_by_pvc_capacity(self):
        # disk capacity = ROUND(max(hourly cost) / (max(rate) / (31 * 24))) = 100 (step 2, calculated_capacity);
        # attributed = 20 / 100 * 4.0 (step 2 "Storage disk resource id matching"),
        # unattributed = (100 - 20) / 100 * 4.0 / 1 cluster (step 2 "Unattributed Storage Cost").
        p, _ = self.c1
        rows = self.rows(p, resource_id="vol-123")
        self.assertEqual(len(rows), 2)
        a = self.one(rows, namespace="ns1")
        self.assertEqual((a["data_source"], a["node"], a["persistentvolumeclaim"], a["persistentvolume"],
                          a["storageclass"]), ("Storage", "n2", "claim-a", "pv-a", "gp3"))
        self.close(a["unblended_cost"], 0.8)
        self.close(a["markup_cost"], 0.08)
        self.close(a["usage_amount"], 3.2)
        self.assertEqual(json.loads(a["tags"]), {"app": "web"})  # volume_labels merged with the AWS tags
        u = self.one(rows, namespace="Storage unattributed")
        self.assertEqual(u["data_source"], "Storage")
        self.assertIsNone(u["node"])
        self.assertEqual(u["persistentvolumeclaim"], "claim-a")  # max(ocp.persistentvolumeclaim)
        self.close(u["unblended_cost"], 3.2)
        self.close(u["markup_cost"], 0.32)
        self.assertIsNone(u["usage_amount"])
        self.assertIsNone(u["tags"])  # volume_labels NULL -> map_concat NULL

    def test_ebs_matched_by_pv_name_only_is_dropped(self):
        # step 1 matches vol-pv-b by the PV name (resource_id_matched = TRUE, so no tag matching), but every
        # storage INSERT of step 2 joins on csi_volume_handle only, and the pod INSERT on the node resource id:
        # the line produces no row at all.
        p, _ = self.c1
        self.assertEqual(self.rows(p, resource_id="vol-pv-b"), [])

    # ---------------------------------------------------------------- network
    def test_network_line_to_network_unattributed(self):
        # step 1: AmazonEC2 + 'Data Transfer' + usagetype '...out-bytes' -> OUT; step 2 "Node Network Costs":
        # one row per (line, node), full cost, data_source = max(ocp.data_source) = 'Pod'.
        p, b = self.c1
        r = self.one(p, namespace="Network unattributed")
        self.assertEqual((r["data_source"], r["node"], r["resource_id"], r["data_transfer_direction"]),
                         ("Pod", "n1", "i-abc", "OUT"))
        self.close(r["unblended_cost"], 2.0)
        self.close(r["markup_cost"], 0.2)
        self.close(r["infrastructure_data_out_gigabytes"], 10.0)
        self.close(r["infrastructure_data_in_gigabytes"], 0.0)
        self.assertEqual(r["tags"], "{}")
        # back-populate: sum(amortized + markup_amortized); in = NULL (CASE ... ELSE NULL), out = 10
        bp = self.one(b, namespace="Network unattributed")
        self.close(bp["infrastructure_raw_cost"], 2.2)
        self.close(bp["infrastructure_data_out_gigabytes"], 10.0)
        self.assertIsNone(bp["infrastructure_data_in_gigabytes"])
        self.assertEqual(bp["source_uuid"], O1)

    # ---------------------------------------------------------------- tags
    def test_tag_matches_equal_shares(self):
        p, _ = self.c1
        # L5 openshift_project=ns3: json_query(...openshift_project) = ocp.namespace -> 1 group (ns3, Pod)
        r = self.one(p, resource_id="bucket-1")
        self.assertEqual((r["namespace"], r["data_source"]), ("ns3", "Pod"))
        self.close(r["unblended_cost"], 5.0)
        self.close(r["markup_cost"], 0.5)
        # L6 openshift_cluster=Cluster One (the alias): every row of the cluster but the unallocated namespaces:
        # groups (ns1,Pod) (ns2,Pod) (ns3,Pod) (ns1,Storage) (ns2,Storage) -> 10.0 / 5 each (aws_uuid_count)
        rows = self.rows(p, resource_id="db-1")
        self.assertEqual(sorted((r["namespace"], r["data_source"]) for r in rows),
                         [("ns1", "Pod"), ("ns1", "Storage"), ("ns2", "Pod"), ("ns2", "Storage"), ("ns3", "Pod")])
        for r in rows:
            self.close(r["unblended_cost"], 2.0)
            self.close(r["markup_cost"], 0.2)
            self.close(r["usage_amount"], 24.0 / 5)
        # L7 openshift_node=n2: ns3 Pod, ns1 Storage, ns2 Storage -> 3.0 / 3
        rows = self.rows(p, resource_id="lb-1")
        self.assertEqual(len(rows), 3)
        for r in rows:
            self.close(r["unblended_cost"], 1.0)
        st = self.one(rows, namespace="ns1", data_source="Storage")
        self.assertEqual((st["persistentvolumeclaim"], st["persistentvolume"]), ("claim-a", "pv-a"))
        # L8 app=db: reporting_ocpaws_matched_tags gives '"app": "db"' (AWS pair also in the OCP labels);
        # step 2 strpos(pod_labels, replace('"app": "db"', ' ')) hits ns3's {"app":"db"} only
        r = self.one(p, resource_id="q-1")
        self.assertEqual(r["namespace"], "ns3")
        self.close(r["unblended_cost"], 4.0)
        self.assertEqual(json.loads(r["tags"]), {"app": "db"})
        # L11 app=other has no OpenShift counterpart: not matched
        self.assertEqual(self.rows(p, resource_id="nothing"), [])

    def test_resource_match_in_one_cluster_tag_match_in_another(self):
        # masu runs each (OpenShift source, AWS source) pair on its own: L9 (i-def, tagged openshift_project=ns9)
        # is resource-matched in c1 (step 1 LEFT JOIN cte_agg_tags requires resource_names IS NULL) and
        # tag-matched in c2 (no node i-def there): its cost is attributed in both clusters.
        p2, _ = self.c2
        self.assertEqual(len(p2), 1)
        r = p2[0]
        self.assertEqual((r["cluster_id"], r["namespace"], r["resource_id"]), ("c2", "ns9", "i-def"))
        self.close(r["unblended_cost"], 6.0)
        self.close(r["markup_cost"], 0.6)
        p1, _ = self.c1
        self.close(self.one(p1, resource_id="i-def", namespace="ns3")["unblended_cost"], 0.6)

    def test_markup_on_every_cost(self):
        p, _ = self.c1
        for r in p:
            for cost, mk in (("unblended_cost", "markup_cost"), ("blended_cost", "markup_cost_blended"),
                             ("savingsplan_effective_cost", "markup_cost_savingsplan"),
                             ("calculated_amortized_cost", "markup_cost_amortized")):
                if r[cost] is None:
                    self.assertIsNone(r[mk])
                else:
                    self.close(r[mk], float(r[cost]) * 0.1)

    # ---------------------------------------------------------------- chunks
    def test_chunk_boundary(self):
        # day 7 is in the month's second chunk (7-11); its EC2 line is split with that day's usage only
        p, _ = self.c1
        rows = self.rows(p, usage_start="2024-03-07")
        self.assertEqual(sorted(r["namespace"] for r in rows), ["Worker unallocated", "ns1"])
        for r in rows:
            self.close(r["unblended_cost"], 12.0)
        # one chunk 2024-03-07..07 gives the same day-7 rows; a chunk 06..06 gives nothing
        p7, _ = self.run_oracle(O1, "c1", "Cluster One", ["--start", "2024-03-07", "--end", "2024-03-07"], "d7")
        self.assertEqual(sorted(map(str, p7)), sorted(map(str, rows)))
        p6, _ = self.run_oracle(O1, "c1", "Cluster One", ["--start", "2024-03-06", "--end", "2024-03-06"], "d6")
        self.assertEqual(p6, [])

    # ---------------------------------------------------------------- distribution / matched tags
    def test_memory_distribution(self):
        # step 2 final: distribution != 'cpu' -> pod_effective_usage_memory_gigabyte_hours / node_capacity_memory
        # (1.0 / 4.0 for every pod row of the fixture) * 12.0
        p, _ = self.run_oracle(O1, "c1", "Cluster One", ["--distribution", "memory"], "mem")
        for ns in ("ns1", "ns2", "Worker unallocated"):
            self.close(self.one(p, resource_id="i-abc", usage_start="2024-03-05", namespace=ns,
                                data_transfer_direction=None)["unblended_cost"], 3.0)

    def test_matched_tag_strings(self):
        # reporting_ocpaws_matched_tags.sql: keys enabled for both AWS and OCP (p_count > 1); AWS pairs of the
        # lines whose resourcetags contain the key text, joined case-insensitively with the OCP label pairs.
        # ocp_special_matched_tags.sql adds cluster id/alias, nodes and namespaces of the pod daily data.
        args = ocp_aws.parse_args(["--ocp-input", self.ocp_root, "--aws-input", self.aws_root, "--org", ORG,
                                   "--ocp-source", O1, "--aws-source", A1, "--year", "2024", "--month", "3",
                                   "--cluster-id", "c1", "--cluster-alias", "Cluster One", "--report-period-id",
                                   "7", "--bill-id", "3", "--ocp-summary", self.summary, "--out-project", "x"])
        con = duckdb.connect()
        try:
            ocp_aws.setup(con, args)
            stmts = ocp_aws.statements()
            p = {"aws_source": A1, "ocp_source": O1, "year": "2024", "month": "03", "days": ["1", "2", "3", "4",
                 "5", "6"], "start_ts": day(1), "end_excl_ts": day(7), "cluster_id": "c1",
                 "cluster_alias": "Cluster One"}
            strs = ocp_aws.matched_tag_strings(con, stmts, p, {("AWS", "app"), ("OCP", "app")})
            self.assertEqual(strs, ['"app": "db"', '"app": "web"'])
            self.assertEqual(ocp_aws.matched_tag_strings(con, stmts, p, {("AWS", "app")}), [])
            special = [r["matched_tag"] for r in ocp_aws.fetch(con, stmts["special_matched_tags"],
                                                              {**p, "matched_tag_strs": strs})]
            self.assertEqual(special, ['"app": "db"', '"app": "web"', '"openshift_cluster": "Cluster One"',
                                       '"openshift_cluster": "c1"', '"openshift_node": "n1"',
                                       '"openshift_node": "n2"', '"openshift_project": "ns1"',
                                       '"openshift_project": "ns2"', '"openshift_project": "ns3"'])
        finally:
            con.close()

    # ---------------------------------------------------------------- back-populate
    def test_back_populate(self):
        _, b = self.c1
        r = self.one(b, namespace="ns1", resource_id="i-abc", usage_start="2024-03-05")
        self.close(r["infrastructure_raw_cost"], 3.0 + 0.3)
        self.close(r["infrastructure_project_raw_cost"], 3.3)
        self.assertEqual((r["data_source"], r["source_uuid"], r["report_period_id"]), ("Pod", O1, "7"))
        self.assertEqual(json.loads(r["pod_labels"]), {"app": "web"})
        self.assertEqual(r["volume_labels"], "{}")
        self.assertEqual(r["pod_usage_cpu_core_hours"], "0")
        s = self.one(b, namespace="ns1", resource_id="vol-123")
        self.assertEqual(s["pod_labels"], "{}")
        self.assertEqual(json.loads(s["volume_labels"]), {"app": "web"})
        self.close(s["infrastructure_raw_cost"], 0.88)


if __name__ == "__main__":
    unittest.main()
