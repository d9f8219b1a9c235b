#!/usr/bin/env python3
"""Independent correctness oracle for reporting_ocpusagelineitem_daily_summary.

Runs a literal DuckDB port of Koku's Trino SQL (tests/oracle/*.sql) over Koku-layout Parquet files and writes
the rows that Koku would insert into PostgreSQL as CSV (see README.md in this folder for the format).

Usage:
  oracle.py --input ROOT --org ORG --source UUID --year YYYY --month MM
            [--start YYYY-MM-DD --end YYYY-MM-DD] --cluster-id ID --cluster-alias NAME
            --report-period-id N (--enabled-keys k1,k2 | --no-enabled-keys)
            [--cost-category PATTERN=ID]... [--node-role NODE@RESOURCE_ID=ROLE]... [--no-derive-node-roles]
            [--kinds pod,storage,unallocated] [--adjust-start] [--allow-nonfinite] --out FILE.csv
"""
from __future__ import annotations

import argparse
import calendar
import datetime as dt
import glob
import json
import math
import os
import re
import sys
import uuid as uuidlib

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))

OUTPUT_COLUMNS = [
    "uuid", "report_period_id", "cluster_id", "cluster_alias", "data_source", "usage_start", "usage_end",
    "namespace", "node", "resource_id", "pod_labels",
    "pod_usage_cpu_core_hours", "pod_request_cpu_core_hours", "pod_effective_usage_cpu_core_hours",
    "pod_limit_cpu_core_hours", "pod_usage_memory_gigabyte_hours", "pod_request_memory_gigabyte_hours",
    "pod_effective_usage_memory_gigabyte_hours", "pod_limit_memory_gigabyte_hours",
    "node_capacity_cpu_cores", "node_capacity_cpu_core_hours", "node_capacity_memory_gigabytes",
    "node_capacity_memory_gigabyte_hours", "cluster_capacity_cpu_core_hours",
    "cluster_capacity_memory_gigabyte_hours", "persistentvolumeclaim", "persistentvolume", "storageclass",
    "volume_labels", "all_labels", "persistentvolumeclaim_capacity_gigabyte",
    "persistentvolumeclaim_capacity_gigabyte_months", "volume_request_storage_gigabyte_months",
    "persistentvolumeclaim_usage_gigabyte_months", "source_uuid", "infrastructure_usage_cost", "cost_category_id",
]
LABEL_COLUMNS = {"pod_labels", "volume_labels", "all_labels"}
NULL_TEXT = "\\N"

# Columns of the Trino tables the summary reads (types as Trino assigns them, spec §2.1/§2.4).
TS, D, S = "TIMESTAMP", "DOUBLE", "VARCHAR"
TABLES = {
    # name: (hourly|daily, report_type, [(column, type)])
    "openshift_pod_usage_line_items": ("hourly", "pod_usage", [
        ("interval_start", TS), ("node", S),
        ("node_capacity_cpu_core_seconds", D), ("node_capacity_memory_byte_seconds", D),
    ]),
    "openshift_pod_usage_line_items_daily": ("daily", "pod_usage", [
        ("interval_start", TS), ("namespace", S), ("node", S), ("pod", S), ("resource_id", S), ("pod_labels", S),
        ("pod_usage_cpu_core_seconds", D), ("pod_request_cpu_core_seconds", D),
        ("pod_effective_usage_cpu_core_seconds", D), ("pod_limit_cpu_core_seconds", D),
        ("pod_usage_memory_byte_seconds", D), ("pod_request_memory_byte_seconds", D),
        ("pod_effective_usage_memory_byte_seconds", D), ("pod_limit_memory_byte_seconds", D),
        ("node_capacity_cpu_cores", D), ("node_capacity_cpu_core_seconds", D),
        ("node_capacity_memory_bytes", D), ("node_capacity_memory_byte_seconds", D), ("node_role", S),
    ]),
    "openshift_storage_usage_line_items_daily": ("daily", "storage_usage", [
        ("interval_start", TS), ("namespace", S), ("pod", S), ("node", S), ("persistentvolumeclaim", S),
        ("persistentvolume", S), ("storageclass", S), ("csi_driver", S), ("csi_volume_handle", S),
        ("persistentvolume_labels", S), ("persistentvolumeclaim_labels", S),
        ("persistentvolumeclaim_capacity_bytes", D), ("persistentvolumeclaim_capacity_byte_seconds", D),
        ("volume_request_storage_byte_seconds", D), ("persistentvolumeclaim_usage_byte_seconds", D),
    ]),
    "openshift_node_labels_line_items_daily": ("daily", "node_labels", [
        ("interval_start", TS), ("node", S), ("node_labels", S),
    ]),
    "openshift_namespace_labels_line_items_daily": ("daily", "namespace_labels", [
        ("interval_start", TS), ("namespace", S), ("namespace_labels", S),
    ]),
}
KINDS = ("pod", "storage", "unallocated")


class OracleError(Exception):
    pass


def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def qident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def table_base(root: str, org: str, granularity: str, report_type: str) -> str:
    parts = [root, "data", "parquet"] + (["daily"] if granularity == "daily" else []) + [org, "OCP", report_type]
    return os.path.join(*parts)


def partition_files(root, org, granularity, report_type, source, year, month):
    base = table_base(root, org, granularity, report_type)
    pattern = os.path.join(glob.escape(base), f"source={glob.escape(source)}", f"year={year}",
                           f"month={month}", "*.parquet")
    return sorted(glob.glob(pattern))


def create_table_view(con, name, files, columns):
    """A view with exactly `columns` (+ varchar partitions source/year/month). Columns absent from every
    file are NULL (old files lacking e.g. pod_effective_usage_*); no files -> empty view."""
    if files:
        reader = ("read_parquet([" + ", ".join(sql_str(f) for f in files) + "], hive_partitioning=true, "
                  "union_by_name=true, hive_types_autocast=false)")
        present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()}
        for p in ("source", "year", "month"):
            if p not in present:
                raise OracleError(f"{name}: partition column {p} missing (files not in hive layout?)")
        sel = [f"CAST({qident(c)} AS {t}) AS {qident(c)}" if c in present else f"CAST(NULL AS {t}) AS {qident(c)}"
               for c, t in columns]
        sel += ["CAST(source AS VARCHAR) AS source", "CAST(year AS VARCHAR) AS year",
                "CAST(month AS VARCHAR) AS month"]
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {', '.join(sel)} FROM {reader}")
    else:
        sel = [f"CAST(NULL AS {t}) AS {qident(c)}" for c, t in columns]
        sel += ["CAST(NULL AS VARCHAR) AS source", "CAST(NULL AS VARCHAR) AS year", "CAST(NULL AS VARCHAR) AS month"]
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {', '.join(sel)} WHERE false")


_COMMENT_RE = re.compile(r"/\*.*?\*/|--[^\n]*", re.S)
_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def run_sql_file(con, filename, params=None):
    with open(os.path.join(HERE, filename), encoding="utf-8") as f:
        sql = f.read()
    if params is None:
        return con.execute(sql)
    used = set(_PARAM_RE.findall(_COMMENT_RE.sub("", sql)))
    missing = used - set(params)
    if missing:
        raise OracleError(f"{filename}: missing parameters {sorted(missing)}")
    return con.execute(sql, {k: params[k] for k in used})


def parse_date(s):
    return dt.date.fromisoformat(s)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True, help="root folder holding data/parquet/...")
    ap.add_argument("--org", required=True, help="account/org id (path component)")
    ap.add_argument("--source", required=True, help="source (provider) uuid = hive partition source=")
    ap.add_argument("--year", required=True)
    ap.add_argument("--month", required=True)
    ap.add_argument("--start", type=parse_date, help="first day (default: first of month)")
    ap.add_argument("--end", type=parse_date, help="last day, inclusive (default: last of month)")
    ap.add_argument("--cluster-id", required=True)
    ap.add_argument("--cluster-alias", required=True)
    ap.add_argument("--report-period-id", required=True, type=int)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--enabled-keys", help="comma-separated enabled OCP tag keys")
    g.add_argument("--no-enabled-keys", action="store_true", help="no enabled OCP tag key (E4)")
    ap.add_argument("--cost-category", action="append", default=[], metavar="PATTERN=ID",
                    help="row of reporting_ocp_cost_category_namespace (LIKE pattern); repeatable")
    ap.add_argument("--node-role", action="append", default=[], metavar="NODE@RESOURCE_ID=ROLE",
                    help="row of reporting_ocp_nodes; repeatable; \\N for a NULL resource_id/role. Without any, "
                         "the table holds the roles of cluster.sql's nodes query over the range (what Koku's "
                         "populate_node_table writes into an empty table)")
    ap.add_argument("--no-derive-node-roles", action="store_true",
                    help="without --node-role, leave reporting_ocp_nodes empty (no role: NULL unallocated namespace)")
    ap.add_argument("--kinds", default="pod,storage,unallocated",
                    help="comma-separated subset of pod,storage,unallocated (default: all)")
    ap.add_argument("--adjust-start", action="store_true",
                    help="emulate UPD._check_parquet_date_range: move start to the first day of daily pod data")
    ap.add_argument("--allow-nonfinite", action="store_true",
                    help="write inf/nan instead of failing (Koku's PostgreSQL insert would fail, E9)")
    ap.add_argument("--out", required=True, help="output CSV path")
    return ap.parse_args(argv)


def build_lookups(con, args):
    con.execute("CREATE OR REPLACE TEMP TABLE reporting_enabledtagkeys "
                "(key VARCHAR, enabled BOOLEAN, provider_type VARCHAR)")
    if not args.no_enabled_keys:
        keys = [k for k in args.enabled_keys.split(",") if k != ""]
        if not keys:
            raise OracleError("--enabled-keys is empty; use --no-enabled-keys")
        for k in dict.fromkeys(keys):  # unique (key, provider_type)
            con.execute("INSERT INTO reporting_enabledtagkeys VALUES (?, true, 'OCP')", [k])
    con.execute("CREATE OR REPLACE TEMP TABLE reporting_ocp_cost_category_namespace "
                "(namespace VARCHAR, cost_category_id INTEGER)")
    seen = set()
    for item in args.cost_category:
        pattern, sep, cid = item.rpartition("=")
        if not sep:
            raise OracleError(f"--cost-category {item!r}: expected PATTERN=ID")
        if pattern in seen:
            raise OracleError(f"--cost-category: duplicate pattern {pattern!r} (namespace is unique)")
        seen.add(pattern)
        con.execute("INSERT INTO reporting_ocp_cost_category_namespace VALUES (?, ?)", [pattern, int(cid)])
    con.execute("CREATE OR REPLACE TEMP TABLE reporting_ocp_nodes "
                "(node VARCHAR, resource_id VARCHAR, node_role VARCHAR)")
    for item in args.node_role:
        left, sep, role = item.rpartition("=")
        node, sep2, rid = left.partition("@")
        if not sep or not sep2:
            raise OracleError(f"--node-role {item!r}: expected NODE@RESOURCE_ID=ROLE")
        con.execute("INSERT INTO reporting_ocp_nodes VALUES (?, ?, ?)",
                    [node, None if rid == NULL_TEXT else rid, None if role == NULL_TEXT else role])


def storage_table_exists(root, org):
    """Koku's trino_table_exists(openshift_storage_usage_line_items_daily): any storage_usage daily
    parquet for this org (any source / month)."""
    base = table_base(root, org, "daily", "storage_usage")
    return bool(glob.glob(os.path.join(glob.escape(base), "**", "*.parquet"), recursive=True))


def adjusted_start(con, source, year, month, start, end):
    """UPD._check_parquet_date_range: start moves to the first day of daily pod data in the range."""
    row = con.execute(
        "SELECT min(interval_start) FROM openshift_pod_usage_line_items_daily WHERE source = ? AND year = ? "
        "AND month = ? AND interval_start >= ? AND interval_start < ?",
        [source, year, month, start, end + dt.timedelta(days=1)]).fetchone()
    if row[0] is not None and row[0].date() > start:
        return row[0].date()
    return start


def derive_node_roles(con, params):
    """Fills reporting_ocp_nodes as Koku's populate_openshift_cluster_information_tables does into an empty
    table before the summary: one row per (node, resource_id) of cluster.sql's nodes query over the range.
    Needs the table views (openshift_pod_usage_line_items_daily, openshift_node_labels_line_items_daily)."""
    # cluster.py imports this module: import it here, and let it find this module (also when run as a script)
    sys.modules.setdefault("oracle", sys.modules[__name__])
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    import cluster

    names, rows = cluster.query(con, "nodes", params)
    idx = [names.index(c) for c in ("node", "resource_id", "node_role")]
    for r in rows:
        con.execute("INSERT INTO reporting_ocp_nodes VALUES (?, ?, ?)", [r[i] for i in idx])
    return len(rows)


def run(args) -> list[tuple]:
    year = f"{int(args.year):04d}"
    month = f"{int(args.month):02d}"
    first = dt.date(int(year), int(month), 1)
    last = dt.date(int(year), int(month), calendar.monthrange(int(year), int(month))[1])
    start = args.start or first
    end = args.end or last
    for d, n in ((start, "--start"), (end, "--end")):
        if not first <= d <= last:
            raise OracleError(f"{n} {d} is outside {year}-{month} (Koku never crosses a month)")
    if start > end:
        raise OracleError("--start is after --end")
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    bad = set(kinds) - set(KINDS)
    if bad or not kinds:
        raise OracleError(f"--kinds: unknown {sorted(bad)}; allowed {KINDS}")

    con = duckdb.connect()
    con.execute("SET threads=2")
    con.execute("SET TimeZone='UTC'")
    run_sql_file(con, "00_macros.sql")
    build_lookups(con, args)

    for name, (gran, rtype, cols) in TABLES.items():
        files = partition_files(args.input, args.org, gran, rtype, args.source, year, month)
        create_table_view(con, name, files, cols)
    storage_exists = storage_table_exists(args.input, args.org)
    if args.adjust_start:
        start = adjusted_start(con, args.source, year, month, start, end)

    params = {
        "source": args.source, "year": year, "month": month, "start_date": start, "end_date": end,
        "report_period_id": args.report_period_id, "cluster_id": args.cluster_id,
        "cluster_alias": args.cluster_alias,
    }
    if not args.node_role and not args.no_derive_node_roles:
        derive_node_roles(con, params)
    run_sql_file(con, "pod.sql", params)
    if storage_exists and "storage" in kinds:
        run_sql_file(con, "storage.sql", params)
    if "unallocated" in kinds:
        run_sql_file(con, "unallocated.sql", params)
    days = [str(start.day + i) for i in range((end - start).days + 1)]
    cur = run_sql_file(con, "copy_to_postgres.sql", dict(params, days=days, kinds=kinds))
    names = [d[0] for d in cur.description]
    if names != OUTPUT_COLUMNS:
        raise OracleError(f"copy_to_postgres.sql columns mismatch: {names}")
    rows = cur.fetchall()
    con.close()
    return rows


def _canon_labels(text):
    if text is None:
        return None
    obj = json.loads(text)
    if obj is None:
        return None
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def format_field(col, v, allow_nonfinite=False):
    if v is None:
        return NULL_TEXT
    if col in LABEL_COLUMNS:
        s = _canon_labels(v)
        if s is None:
            return NULL_TEXT
    elif isinstance(v, bool):
        s = "true" if v else "false"
    elif isinstance(v, float):
        if not math.isfinite(v) and not allow_nonfinite:
            raise OracleError(f"non-finite value {v!r} in {col}: Koku's PostgreSQL insert would fail (E9)")
        s = repr(v)
    elif isinstance(v, int):
        s = str(v)
    elif isinstance(v, (dt.date, dt.datetime)):
        s = v.isoformat()
    elif isinstance(v, uuidlib.UUID):
        s = str(v)
    else:
        s = str(v)
    if s == NULL_TEXT or any(c in s for c in ',"\n\r'):
        s = '"' + s.replace('"', '""') + '"'
    return s


def write_csv(path, rows, allow_nonfinite=False):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(OUTPUT_COLUMNS) + "\n")
        for r in rows:
            f.write(",".join(format_field(c, v, allow_nonfinite) for c, v in zip(OUTPUT_COLUMNS, r)) + "\n")
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    try:
        rows = run(args)
        write_csv(args.out, rows, args.allow_nonfinite)
    except OracleError as e:
        print(f"oracle: error: {e}", file=sys.stderr)
        return 2
    except duckdb.Error as e:  # e.g. malformed label JSON: Trino's json_parse would fail the query too
        print(f"oracle: query failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    print(f"oracle: wrote {len(rows)} rows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
