#!/usr/bin/env python3
"""Oracle for Koku's GPU and VM UI-summary Trino queries (see vm_gpu.sql).

  gpu  reporting_ocp_gpu_summary_p_usage_only.sql: the rows Koku inserts into reporting_ocp_gpu_summary_p
       (without the random `id`), from openshift_gpu_usage_line_items_daily + reporting_ocp_cost_category_namespace.
  vm   the rows of the temp table tmp_virt_<uuid> (create_virtualization_tmp_table.sql) that Koku fills with
       populate_vm_tmp_table_with_vm_report.sql when the source has vm_usage DAILY partitions (that SQL reads the
       HOURLY openshift_vm_usage_line_items), else with populate_vm_tmp_table.sql (the PostgreSQL daily summary,
       given as --summary, + pod/storage daily Parquet).

Usage:
  vm_gpu.py --input ROOT --org ORG --source UUID --year YYYY --month MM [--start D --end D]
            --cluster-id ID --cluster-alias A [--cost-category PATTERN=ID]... [--summary SUMMARY.csv]
            --query gpu|vm [--vm-variant auto|vm_report|pod_storage] [--has-gpu-rate] [--allow-nonfinite]
            --out FILE.csv
(oracle.py's other flags are accepted and ignored.)

When Koku runs each query (OCPReportDBAccessor.populate_ui_summary_tables):
  gpu  `_populate_gpu_ui_summary_table_with_usage_only`: only if the source has partitions in
       openshift_gpu_usage_line_items_daily (here: any gpu_usage daily Parquet under source=<uuid>, any month;
       without it the query has no rows anyway) and the cost model has no gpu_cost_per_month rate
       (--has-gpu-rate: Koku skips the query; header-only output).
  vm   `_populate_virtualization_ui_summary_table`: only if the Trino tables openshift_storage_usage_line_items_daily
       and openshift_pod_usage_line_items_daily exist (here: any such daily Parquet for the org, any source/month),
       else header-only output. Variant (--vm-variant auto): vm_report if any vm_usage DAILY Parquet exists under
       source=<uuid> (any month: `source_in_trino_table` counts the source's partitions), else pod_storage.

--summary: a daily-summary CSV in the oracle/engine format (header = column names; unquoted `\\N` = NULL) standing
for PostgreSQL's reporting_ocpusagelineitem_daily_summary (ALL of its rows: the pod_storage query's outer SELECT
filters on the day only, not on the source). Types: usage_start/usage_end DATE, source_uuid UUID, the float
columns of compare.py DOUBLE, report_period_id/cost_category_id INTEGER, the rest VARCHAR (pod_labels is JSON text).
Needed only by the pod_storage variant; required then.

Output: header = the INSERT's column list (GPU: without `id`), `\\N` = NULL, floats as Python repr, dates ISO,
rows sorted (NULL first). Exit 2 on a DuckDB error, bad input, or a non-finite float (PostgreSQL's FLOAT would
accept it, but Koku never produces one from finite input; --allow-nonfinite writes it).
"""
from __future__ import annotations

import argparse
import datetime as dt
import glob
import os
import re
import sys

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster  # noqa: E402
import compare  # noqa: E402
import oracle  # noqa: E402

TS, D, S = "TIMESTAMP", "DOUBLE", "VARCHAR"

# Koku masu/util/ocp/common.py OCP_REPORT_TYPES["gpu_usage"]: the daily rollup groups by
# node, namespace, pod, gpu_uuid, mig_instance_id + day (interval_start = midnight, interval_end dropped) and keeps
# max of report_period_*, gpu_model_name, gpu_vendor_name, gpu_memory_capacity_mib, mig_profile, mig_slice_count,
# gpu_max_slices, mig_memory_capacity_mib, mig_strategy and sum of gpu_pod_uptime. The three derived MIG counts are
# pandas Int64 (Parquet int64); they are read as DOUBLE (the Trino query multiplies mig_memory_capacity_mib by a
# decimal and casts the others to INTEGER; any numeric type gives the same values).
GPU_DAILY_COLUMNS = [
    ("interval_start", TS), ("report_period_start", TS), ("report_period_end", TS),
    ("node", S), ("namespace", S), ("pod", S), ("gpu_uuid", S), ("mig_instance_id", S),
    ("gpu_model_name", S), ("gpu_vendor_name", S), ("gpu_memory_capacity_mib", D), ("gpu_pod_uptime", D),
    ("mig_profile", S), ("mig_slice_count", D), ("gpu_max_slices", D), ("mig_memory_capacity_mib", D),
    ("mig_strategy", S),
]
# Koku VM_USAGE_COLUMNS (hourly table openshift_vm_usage_line_items); numeric columns are DOUBLE
# (OCPReportParquetProcessor numeric_columns), timestamps naive, the rest VARCHAR (vm_labels JSON text).
VM_HOURLY_COLUMNS = [
    ("interval_start", TS), ("interval_end", TS), ("report_period_start", TS), ("report_period_end", TS),
    ("node", S), ("resource_id", S), ("namespace", S), ("vm_name", S), ("vm_instance_type", S), ("vm_os", S),
    ("vm_guest_os_arch", S), ("vm_guest_os_name", S), ("vm_guest_os_version", S),
    ("vm_uptime_total_seconds", D), ("vm_cpu_limit_cores", D), ("vm_cpu_limit_core_seconds", D),
    ("vm_cpu_request_cores", D), ("vm_cpu_request_core_seconds", D), ("vm_cpu_request_sockets", D),
    ("vm_cpu_request_socket_seconds", D), ("vm_cpu_request_threads", D), ("vm_cpu_request_thread_seconds", D),
    ("vm_cpu_usage_total_seconds", D), ("vm_memory_limit_bytes", D), ("vm_memory_limit_byte_seconds", D),
    ("vm_memory_request_bytes", D), ("vm_memory_request_byte_seconds", D), ("vm_memory_usage_byte_seconds", D),
    ("vm_device", S), ("vm_volume_mode", S), ("vm_persistentvolumeclaim_name", S),
    ("vm_disk_allocated_size_byte_seconds", D), ("vm_labels", S),
]

TABLES = {
    # name: (hourly|daily, report_type, columns)
    "openshift_gpu_usage_line_items_daily": ("daily", "gpu_usage", GPU_DAILY_COLUMNS),
    "openshift_vm_usage_line_items": ("hourly", "vm_usage", VM_HOURLY_COLUMNS),
    "openshift_pod_usage_line_items_daily": oracle.TABLES["openshift_pod_usage_line_items_daily"],
    "openshift_storage_usage_line_items_daily": oracle.TABLES["openshift_storage_usage_line_items_daily"],
}

GPU_COLUMNS = [
    "cluster_id", "cluster_alias", "usage_start", "usage_end", "namespace", "node", "vendor_name", "model_name",
    "memory_capacity_gb", "mig_instance_id", "physical_gpu_uuid", "gpu_mode", "mig_profile", "mig_slice_count",
    "gpu_max_slices", "mig_strategy", "mig_memory_capacity_gb", "source_uuid", "cost_category_id",
]
VM_COLUMNS = ["vm_name", "node", "pvc_name", "cpu_request", "mem_request"]
GPU_FLOAT_COLUMNS = ("memory_capacity_gb", "mig_memory_capacity_gb")
VM_FLOAT_COLUMNS = ("cpu_request", "mem_request")

SUMMARY_REQUIRED = ("usage_start", "source_uuid", "node", "pod_labels", "pod_request_cpu_core_hours",
                    "pod_request_memory_gigabyte_hours")


def statements():
    with open(os.path.join(oracle.HERE, "vm_gpu.sql"), encoding="utf-8") as f:
        sql = f.read()
    parts = re.split(r"^-- query: (\w+)\s*$", sql, flags=re.M)
    return {parts[i]: parts[i + 1].strip().rstrip(";") for i in range(1, len(parts), 2)}


def source_files(root, org, granularity, report_type, source):
    """Every Parquet file of the source, all year=/month= partitions (the SQL filters year/month itself)."""
    base = oracle.table_base(root, org, granularity, report_type)
    pattern = os.path.join(glob.escape(base), f"source={glob.escape(source)}", "year=*", "month=*", "*.parquet")
    return sorted(glob.glob(pattern))


def any_parquet(path):
    return bool(glob.glob(os.path.join(glob.escape(path), "**", "*.parquet"), recursive=True))


def org_table_exists(root, org, granularity, report_type):
    """trino_table_exists: any Parquet of that table for the org (any source, any month)."""
    return any_parquet(oracle.table_base(root, org, granularity, report_type))


def source_in_table(root, org, granularity, report_type, source):
    """source_in_trino_table: the source has partitions in the table (any year/month)."""
    return any_parquet(os.path.join(oracle.table_base(root, org, granularity, report_type), f"source={source}"))


def summary_type(col):
    if col in ("usage_start", "usage_end"):
        return "DATE"
    if col == "source_uuid":
        return "UUID"
    if col in compare.FLOAT_COLUMNS:
        return "DOUBLE"
    if col in ("report_period_id", "cost_category_id"):
        return "INTEGER"
    return "VARCHAR"


def load_summary(con, path):
    """reporting_ocpusagelineitem_daily_summary from a summary CSV (None path: an empty table)."""
    if path is None:
        header, rows = list(SUMMARY_REQUIRED), []
    else:
        try:
            with open(path, encoding="utf-8", newline="") as f:
                records = compare.parse_csv(f.read())
        except (OSError, compare.InputError) as e:
            raise oracle.OracleError(f"--summary {path}: {e}")
        if not records:
            raise oracle.OracleError(f"--summary {path}: empty file (no header)")
        header = [v for v, _ in records[0]]
        missing = [c for c in SUMMARY_REQUIRED if c not in header]
        if missing:
            raise oracle.OracleError(f"--summary {path}: missing columns {missing}")
        rows = []
        for n, rec in enumerate(records[1:], start=2):
            if len(rec) == 1 and rec[0] == ("", False):
                continue
            if len(rec) != len(header):
                raise oracle.OracleError(f"--summary {path}: record {n}: {len(rec)} fields, header {len(header)}")
            rows.append([None if (v == oracle.NULL_TEXT and not q) else v for v, q in rec])
    q = [oracle.qident(c) for c in header]
    con.execute("CREATE OR REPLACE TEMP TABLE summary_text (" + ", ".join(f"{c} VARCHAR" for c in q) + ")")
    if rows:
        con.executemany("INSERT INTO summary_text VALUES (" + ", ".join("?" for _ in q) + ")", rows)
    con.execute("CREATE OR REPLACE TEMP TABLE reporting_ocpusagelineitem_daily_summary AS SELECT "
                + ", ".join(f"CAST({qc} AS {summary_type(c)}) AS {qc}" for c, qc in zip(header, q))
                + " FROM summary_text")


def build_cost_categories(con, items):
    con.execute("CREATE OR REPLACE TEMP TABLE reporting_ocp_cost_category_namespace "
                "(namespace VARCHAR, cost_category_id INTEGER)")
    seen = set()
    for item in items:
        pattern, sep, cid = item.rpartition("=")
        if not sep:
            raise oracle.OracleError(f"--cost-category {item!r}: expected PATTERN=ID")
        if pattern in seen:
            raise oracle.OracleError(f"--cost-category: duplicate pattern {pattern!r} (namespace is unique)")
        seen.add(pattern)
        con.execute("INSERT INTO reporting_ocp_cost_category_namespace VALUES (?, ?)", [pattern, int(cid)])


def vm_variant(args):
    if args.vm_variant != "auto":
        return args.vm_variant
    return "vm_report" if source_in_table(args.input, args.org, "daily", "vm_usage", args.source) else "pod_storage"


def run(args):
    """Returns (column names, rows) of the query (rows unsorted)."""
    year, month, start, end = cluster.month_range(args)
    first = dt.date(int(year), int(month), 1)
    for d, n in ((start, "--start"), (end, "--end")):
        if d.year != first.year or d.month != first.month:
            raise oracle.OracleError(f"{n} {d} is outside {year}-{month} (Koku never crosses a month)")
    if start > end:
        raise oracle.OracleError("--start is after --end")
    names = GPU_COLUMNS if args.query == "gpu" else VM_COLUMNS
    if args.query == "gpu":
        if args.has_gpu_rate or not source_in_table(args.input, args.org, "daily", "gpu_usage", args.source):
            return names, []
        stmt = "gpu"
    else:
        if not (org_table_exists(args.input, args.org, "daily", "storage_usage")
                and org_table_exists(args.input, args.org, "daily", "pod_usage")):
            return names, []
        stmt = {"vm_report": "vm_report", "pod_storage": "vm_pod_storage"}[vm_variant(args)]
        if stmt == "vm_pod_storage" and args.summary is None:
            raise oracle.OracleError("the pod_storage VM variant needs --summary")

    con = duckdb.connect()
    try:
        con.execute("SET threads=2")
        con.execute("SET TimeZone='UTC'")
        for name, (gran, rtype, cols) in TABLES.items():
            files = source_files(args.input, args.org, gran, rtype, args.source)
            oracle.create_table_view(con, name, files, cols)
        build_cost_categories(con, args.cost_category)
        load_summary(con, args.summary)
        stmts = statements()
        con.execute(stmts["setup"])
        params = {"source": args.source, "year": year, "month": month, "start_date": start, "end_date": end,
                  "cluster_id": args.cluster_id, "cluster_alias": args.cluster_alias}
        sql = stmts[stmt]
        used = set(oracle._PARAM_RE.findall(oracle._COMMENT_RE.sub("", sql)))
        cur = con.execute(sql, {k: params[k] for k in used})
        got = [d[0] for d in cur.description]
        if got != names:
            raise oracle.OracleError(f"vm_gpu.sql {stmt}: columns {got}, expected {names}")
        return names, cur.fetchall()
    finally:
        con.close()


def _sort_key(row):
    return [(0, "") if v is None else (1, v) for v in row]


def write_csv(path, names, rows, allow_nonfinite=False):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(names) + "\n")
        for r in sorted(rows, key=_sort_key):
            f.write(",".join(oracle.format_field(c, v, allow_nonfinite) for c, v in zip(names, r)) + "\n")
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag in ("--input", "--org", "--source", "--year", "--month", "--out", "--cluster-id", "--cluster-alias"):
        ap.add_argument(flag, required=True)
    ap.add_argument("--start", type=oracle.parse_date)
    ap.add_argument("--end", type=oracle.parse_date)
    ap.add_argument("--query", required=True, choices=("gpu", "vm"))
    ap.add_argument("--summary", help="daily-summary CSV (PostgreSQL reporting_ocpusagelineitem_daily_summary)")
    ap.add_argument("--cost-category", action="append", default=[], metavar="PATTERN=ID")
    ap.add_argument("--vm-variant", default="auto", choices=("auto", "vm_report", "pod_storage"))
    ap.add_argument("--has-gpu-rate", action="store_true",
                    help="the cost model has a gpu_cost_per_month rate: Koku skips the usage-only GPU query")
    ap.add_argument("--allow-nonfinite", action="store_true")
    args, _ignored = ap.parse_known_args(argv)
    try:
        names, rows = run(args)
        write_csv(args.out, names, rows, args.allow_nonfinite)
    except duckdb.Error as e:
        print(f"vm_gpu oracle: query failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    except oracle.OracleError as e:
        print(f"vm_gpu oracle: error: {e}", file=sys.stderr)
        return 2
    print(f"vm_gpu oracle: wrote {len(rows)} {args.query} rows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
