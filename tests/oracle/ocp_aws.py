#!/usr/bin/env python3
"""DuckDB oracle for Koku's OpenShift-on-AWS cost split (reporting_ocpawscostlineitem_project_daily_summary_p).

A port of masu's `AWSReportDBAccessor.populate_ocp_on_aws_cost_daily_summary_trino` run per chunk as
`OCPCloudParquetReportSummaryUpdater.update_aws_summary_tables` runs it, plus the PostgreSQL back-populate of the
OpenShift daily summary. SQL in ocp_aws.sql (one statement per `-- query: NAME`).

Koku files ported (project-koku/koku, commit of the stored version read):
  trino_sql/aws/openshift/populate_daily_summary/0_prepare_daily_summary_tables.sql  3484a41d8c60c2029f03331b984856859d887175
      (table shapes only: the temp tables below)
  trino_sql/aws/openshift/populate_daily_summary/1_resource_matching_by_cluster.sql   dceea76b5191cfa4a11835cc97952641618a42c4
  trino_sql/aws/openshift/populate_daily_summary/2_summarize_data_by_cluster.sql      0543c75b6c9245c20f7aa655600563747c4d6550
  trino_sql/aws/openshift/populate_daily_summary/3_reporting_ocpawscostlineitem_project_daily_summary_p.sql
                                                                                      8a9367b4408066dabda8ad896118071fe8281b3a
  trino_sql/openshift/ocp_special_matched_tags.sql                                    1217abdad95ddb392f8dcb8b26c882546738f7fc
  trino_sql/reporting_ocpaws_matched_tags.sql                                         2e5d6b258fd06c0fe6e7e457de9c0cb115fa2499
  sql/aws/openshift/reporting_ocpaws_ocp_infrastructure_back_populate.sql             6c20d78762920633f77aff63a0fd1235f410207d
  masu/database/aws_report_db_accessor.py (driver)                                    f16501809253ba3138c5f1b2869cb7616d49d1bb
  masu/processor/parquet/summary_sql_metadata.py (params)                             9ee516efd4cea71057c718f979892a43d0dbf9d0
  masu/processor/ocp/ocp_cloud_parquet_summary_updater.py (chunks)                    b16ca10254988794c42aaac53ef1d3e6212aa1b9
(The index holds several versions of steps 0-3; this set is the one consistent with the accessor above: no
`unattributed_storage` flag, `distribution` rendered inside step 2, step 3 filtering `tags` by enabled keys.)

Order per chunk (masu): 0 prepare (create tables) -> delete the chunk's days of the managed summary -> matched-tag
strings (`_get_matched_tags_strings`) -> `ocp_special_matched_tags` -> 1 -> 2 -> 3 -> back-populate.
Chunks: masu's `date_range_pair(start, end, step=5)` (TRINO_DATE_STEP): days 1-6, 7-11, 12-16, 17-21, 22-26,
27-end for a whole month (the first chunk is 6 days); `--start/--end` run ONE chunk for that range.

Not ported here (the driver has no switch for them): `reporting_ocpinfrastructure_provider_map.sql` (which sources
pair up: ported in provider_map.py; here the pair is given on the command line); the PostgreSQL matched-tag query `sql/aws/openshift/
reporting_ocpaws_matched_tags.sql` (reads the tag summary tables; masu tries it first and falls back to the Trino
query when it returns nothing: here the Trino query is always used); markup/UI/tag-summary/OCP-on-All steps;
TagMapping updates.

Trino -> DuckDB translations that matter:
- Costs are DOUBLE throughout (Trino double); `x * cast(markup as decimal(24,9))` is double * decimal = double, i.e.
  the markup rounded half-up to 9 places (decimal(33,9) and (24,9) give the same; the decimal(33,15) markups of
  step 2's temp rows are never read). No numeric(33,15) rounding of the PostgreSQL insert (compare's tolerance).
- Disk capacity: `ROUND(double)` (half away from zero in both) then cast to integer; `day(last_day_of_month) * 24`
  is computed in Python.
- JSON: `json_format(cast(map_filter(cast(json_parse(x) as map(varchar,varchar)), k in keys) as json))` and
  `map_concat` of two such maps are Python UDFs producing compact JSON with sorted keys (Trino's map->json cast
  sorts keys); map_concat is NULL if either side is NULL; `contains(NULL, k)` drops every entry (step 3 with no
  enabled key at all: `array['vm_kubevirt_io_name'] || NULL` is NULL, so tags become `{}`). `json_parse` of the
  cost category is stored/grouped as canonical JSON text. `json_query(tags, 'strict $.k' OMIT QUOTES)` -> the
  member if it is a JSON string (numbers as their text), else NULL.
- `strpos(a, b) != 0` -> `strpos(a, b) > 0`; `substr(s, -length(r)) = r` with r != '' -> `ends_with(s, r)`;
  `split(s, ',')` -> `string_split`; `replace(x, ' ')` -> `replace(x, ' ', '')` (removes every space);
  `any_match` -> `list_bool_or(list_transform(...))` (used only where NULL and false both mean "no match").
- `array_agg` order: the matched-tag array comes from a UNION (no order in Trino); it is only used through
  `strpos`/`any_match`, so its order is irrelevant except inside `matched_tag` (joined text), which no output reads.
- `uuid()` row ids of storage rows: fresh per row (they only matter for the group counts: each storage row counts
  1); the output `uuid` column is not written.
- `max(boolean)` -> `bool_or`.
- Timestamps are compared in UTC (`SET TimeZone='UTC'`; the AWS Parquet timestamps are UTC-adjusted).

Inputs:
- `--ocp-input ROOT`: OpenShift Parquet (`ROOT/data/parquet/daily/ORG/OCP/{pod_usage,storage_usage}/source=...`).
- `--aws-input ROOT`: AWS Parquet as written by `ocp-summary ingest --provider aws` (hourly `aws_line_items`
  for the disk capacities, daily `aws_line_items_daily` for everything else).
- `--ocp-summary CSV`: the Hive `reporting_ocpusagelineitem_daily_summary` rows (oracle.py's output format plus a
  `csi_volume_handle` column; oracle.py does not print it, so storage matching needs it added). `source`, `year`,
  unpadded `month`, `day` partitions are derived from `source_uuid` / `usage_start`.
- Enabled tag keys (`reporting_enabledtagkeys`): `--enabled-tag-keys FILE` (CSV `provider_type,key`, all enabled)
  and/or `--tag k1,k2` (each key enabled for both AWS and OCP).
- `--markup`: the SQL's `markup` parameter (a fraction: 0.1 for a 10 % cost-model markup).
- `--account-alias ACCOUNT=ID` rows of `reporting_awsaccountalias` (default none: account_alias_id NULL).

Outputs (sorted lines, `\\N` = NULL, floats as repr, JSON compact with sorted keys):
- `--out-project`: rows of reporting_ocpawscostlineitem_project_daily_summary_p (all columns but `uuid`).
- `--out-back-populate`: rows inserted into reporting_ocpusagelineitem_daily_summary by the back-populate
  (all columns but `uuid`), with the report period (id, --cluster-id, month, provider --ocp-source).
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
from decimal import Decimal, InvalidOperation, ROUND_HALF_UP

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import duckdb  # noqa: E402

import compare  # noqa: E402
import oracle  # noqa: E402

OracleError = oracle.OracleError
HERE = os.path.dirname(os.path.abspath(__file__))
NULL_TEXT = oracle.NULL_TEXT
OPENSHIFT_KEYS = ["openshift_cluster", "openshift_node", "openshift_project"]

PROJECT_COLUMNS = [
    "report_period_id", "cluster_id", "cluster_alias", "data_source", "namespace", "node", "persistentvolumeclaim",
    "persistentvolume", "storageclass", "resource_id", "usage_start", "usage_end", "product_code", "product_family",
    "instance_type", "cost_entry_bill_id", "usage_account_id", "account_alias_id", "availability_zone", "region",
    "unit", "usage_amount", "infrastructure_data_in_gigabytes", "infrastructure_data_out_gigabytes",
    "data_transfer_direction", "currency_code", "unblended_cost", "markup_cost", "blended_cost",
    "markup_cost_blended", "savingsplan_effective_cost", "markup_cost_savingsplan", "calculated_amortized_cost",
    "markup_cost_amortized", "pod_labels", "tags", "aws_cost_category", "cost_category_id", "source_uuid",
]
BACK_POPULATE_COLUMNS = [
    "report_period_id", "usage_start", "usage_end", "cluster_id", "cluster_alias", "namespace", "data_source", "node",
    "persistentvolumeclaim", "persistentvolume", "storageclass", "resource_id", "pod_labels", "volume_labels",
    "all_labels", "source_uuid", "infrastructure_raw_cost", "infrastructure_project_raw_cost",
    "infrastructure_usage_cost", "supplementary_usage_cost", "infrastructure_data_in_gigabytes",
    "infrastructure_data_out_gigabytes", "pod_usage_cpu_core_hours", "pod_request_cpu_core_hours",
    "pod_limit_cpu_core_hours", "pod_usage_memory_gigabyte_hours", "pod_request_memory_gigabyte_hours",
    "pod_limit_memory_gigabyte_hours", "node_capacity_cpu_cores", "node_capacity_cpu_core_hours",
    "node_capacity_memory_gigabytes", "node_capacity_memory_gigabyte_hours", "cluster_capacity_cpu_core_hours",
    "cluster_capacity_memory_gigabyte_hours", "persistentvolumeclaim_capacity_gigabyte",
    "persistentvolumeclaim_capacity_gigabyte_months", "volume_request_storage_gigabyte_months",
    "persistentvolumeclaim_usage_gigabyte_months", "raw_currency", "cost_category_id",
]
JSON_COLUMNS = {"pod_labels", "tags", "aws_cost_category", "volume_labels", "all_labels"}

TS, D, S = "TIMESTAMP", "DOUBLE", "VARCHAR"
AWS_COLUMNS = [
    ("row_uuid", S), ("lineitem_resourceid", S), ("lineitem_usagestartdate", TS), ("bill_billingentity", S),
    ("product_productname", S), ("lineitem_productcode", S), ("lineitem_usageaccountid", S),
    ("lineitem_availabilityzone", S), ("product_productfamily", S), ("product_instancetype", S),
    ("product_region", S), ("pricing_unit", S), ("resourcetags", S), ("costcategory", S),
    ("lineitem_usageamount", D), ("lineitem_usagetype", S), ("lineitem_operation", S),
    ("lineitem_currencycode", S), ("lineitem_lineitemtype", S), ("lineitem_unblendedcost", D),
    ("lineitem_unblendedrate", D), ("lineitem_blendedcost", D), ("savingsplan_savingsplaneffectivecost", D),
]
OCP_TABLES = {
    "openshift_pod_usage_line_items_daily": ("pod_usage", [
        ("interval_start", TS), ("namespace", S), ("node", S), ("resource_id", S)]),
    "openshift_storage_usage_line_items_daily": ("storage_usage", [
        ("interval_start", TS), ("persistentvolume", S), ("csi_volume_handle", S)]),
}
SUMMARY_FLOAT = {"pod_effective_usage_cpu_core_hours", "pod_effective_usage_memory_gigabyte_hours",
                 "node_capacity_cpu_core_hours", "node_capacity_memory_gigabyte_hours",
                 "persistentvolumeclaim_capacity_gigabyte"} | set(compare.FLOAT_COLUMNS)
SUMMARY_NEEDED = ["usage_start", "usage_end", "source_uuid", "cluster_id", "cluster_alias", "data_source",
                  "namespace", "node", "resource_id", "pod_labels", "volume_labels", "persistentvolumeclaim",
                  "persistentvolume", "storageclass", "csi_volume_handle", "persistentvolumeclaim_capacity_gigabyte",
                  "pod_effective_usage_cpu_core_hours", "pod_effective_usage_memory_gigabyte_hours",
                  "node_capacity_cpu_core_hours", "node_capacity_memory_gigabyte_hours", "cost_category_id"]

TEMP_DAILY = """CREATE TABLE managed_aws_openshift_daily_temp (row_uuid VARCHAR, resource_id VARCHAR,
  product_code VARCHAR, usage_start TIMESTAMP, usage_account_id VARCHAR, availability_zone VARCHAR,
  product_family VARCHAR, instance_type VARCHAR, region VARCHAR, unit VARCHAR, tags VARCHAR,
  aws_cost_category VARCHAR, data_transfer_direction VARCHAR, usage_amount DOUBLE, currency_code VARCHAR,
  unblended_cost DOUBLE, blended_cost DOUBLE, savingsplan_effective_cost DOUBLE, calculated_amortized_cost DOUBLE,
  resource_id_matched BOOLEAN, matched_tag VARCHAR, source VARCHAR, ocp_source VARCHAR, year VARCHAR,
  month VARCHAR, day VARCHAR)"""
SUMMARY_COLS = """row_uuid VARCHAR, cluster_id VARCHAR, cluster_alias VARCHAR, data_source VARCHAR,
  namespace VARCHAR, node VARCHAR, persistentvolumeclaim VARCHAR, persistentvolume VARCHAR, storageclass VARCHAR,
  resource_id VARCHAR, usage_start TIMESTAMP, usage_end TIMESTAMP, product_code VARCHAR, product_family VARCHAR,
  instance_type VARCHAR, usage_account_id VARCHAR, {extra1} availability_zone VARCHAR, region VARCHAR, unit VARCHAR,
  usage_amount DOUBLE, {extra2} currency_code VARCHAR, unblended_cost DOUBLE, markup_cost DOUBLE,
  blended_cost DOUBLE, markup_cost_blended DOUBLE, savingsplan_effective_cost DOUBLE,
  markup_cost_savingsplan DOUBLE, calculated_amortized_cost DOUBLE, markup_cost_amortized DOUBLE,
  pod_cost DOUBLE, project_markup_cost DOUBLE, {extra3} pod_labels VARCHAR, {extra4} tags VARCHAR,
  aws_cost_category VARCHAR, cost_category_id INTEGER, project_rank INTEGER, data_source_rank INTEGER,
  resource_id_matched BOOLEAN, matched_tag VARCHAR, source VARCHAR, ocp_source VARCHAR, year VARCHAR,
  month VARCHAR, day VARCHAR"""
TEMP_SUMMARY = "CREATE TABLE managed_reporting_ocpawscostlineitem_project_daily_summary_temp (" + SUMMARY_COLS.format(
    extra1="", extra2="", extra4="volume_labels VARCHAR,",
    extra3="pod_effective_usage_cpu_core_hours DOUBLE, pod_effective_usage_memory_gigabyte_hours DOUBLE, "
           "node_capacity_cpu_core_hours DOUBLE, node_capacity_memory_gigabyte_hours DOUBLE,") + ")"
MANAGED_SUMMARY = "CREATE TABLE managed_reporting_ocpawscostlineitem_project_daily_summary (" + SUMMARY_COLS.format(
    extra1="account_alias_id INTEGER,", extra2="data_transfer_direction VARCHAR,", extra3="", extra4="") + ")"
DISK = """CREATE TABLE managed_aws_openshift_disk_capacities_temp (resource_id VARCHAR, capacity INTEGER,
  usage_start TIMESTAMP, ocp_source VARCHAR, year VARCHAR, month VARCHAR)"""
PROJECT = """CREATE TABLE project_daily_summary (report_period_id INTEGER, cluster_id VARCHAR,
  cluster_alias VARCHAR, data_source VARCHAR, namespace VARCHAR, node VARCHAR, persistentvolumeclaim VARCHAR,
  persistentvolume VARCHAR, storageclass VARCHAR, resource_id VARCHAR, usage_start DATE, usage_end DATE,
  product_code VARCHAR, product_family VARCHAR, instance_type VARCHAR, cost_entry_bill_id INTEGER,
  usage_account_id VARCHAR, account_alias_id INTEGER, availability_zone VARCHAR, region VARCHAR, unit VARCHAR,
  usage_amount DOUBLE, infrastructure_data_in_gigabytes DOUBLE, infrastructure_data_out_gigabytes DOUBLE,
  data_transfer_direction VARCHAR, currency_code VARCHAR, unblended_cost DOUBLE, markup_cost DOUBLE,
  blended_cost DOUBLE, markup_cost_blended DOUBLE, savingsplan_effective_cost DOUBLE,
  markup_cost_savingsplan DOUBLE, calculated_amortized_cost DOUBLE, markup_cost_amortized DOUBLE,
  pod_labels VARCHAR, tags VARCHAR, aws_cost_category VARCHAR, cost_category_id INTEGER, source_uuid UUID)"""


# ---------------------------------------------------------------- Trino JSON helpers (Python UDFs)

def _json_to_map(text):
    """cast(json_parse(text) as map(varchar, varchar)); NULL / JSON null -> None."""
    if text is None:
        return None
    obj = json.loads(text)
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise ValueError(f"cannot cast {text!r} to map(varchar, varchar)")
    out = {}
    for k, v in obj.items():
        if isinstance(v, (dict, list)):
            raise ValueError(f"cannot cast {text!r} to map(varchar, varchar)")
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, (int, float)):
            v = json.dumps(v)
        out[k] = v
    return out


def _map_json(m):
    return None if m is None else json.dumps(dict(sorted(m.items())), separators=(",", ":"), ensure_ascii=False)


def udf_filter_json(text, keys):
    m = _json_to_map(text)
    if m is None:
        return None
    if keys is None:
        return "{}"
    return _map_json({k: v for k, v in m.items() if k in keys})


def udf_map_concat_json(a, b):
    ma, mb = _json_to_map(a), _json_to_map(b)
    if ma is None or mb is None:
        return None
    return _map_json({**ma, **mb})


def udf_json_query_str(text, key):
    if text is None:
        return None
    obj = json.loads(text)
    if not isinstance(obj, dict) or key not in obj:
        return None
    v = obj[key]
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    return None


def udf_canon_json(text):
    if text is None:
        return None
    obj = json.loads(text)
    if obj is None:
        return None
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def udf_json_to_map(text):
    return _json_to_map(text)


# ---------------------------------------------------------------- driver

def statements():
    with open(os.path.join(HERE, "ocp_aws.sql"), encoding="utf-8") as f:
        sql = f.read()
    parts = re.split(r"^-- query: (\w+)\s*$", sql, flags=re.M)
    return {parts[i]: parts[i + 1].strip().rstrip(";") for i in range(1, len(parts), 2)}


def execute(con, sql, params):
    used = set(oracle._PARAM_RE.findall(oracle._COMMENT_RE.sub("", sql)))
    missing = used - set(params)
    if missing:
        raise OracleError(f"ocp_aws.sql: missing parameters {sorted(missing)}")
    return con.execute(sql, {k: params[k] for k in used})


def fetch(con, sql, params):
    cur = execute(con, sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def date_range_pair(start, end, step=5):
    """masu.util.common.date_range_pair (rrule DAILY interval=step from start until end)."""
    dates = []
    d = start
    while d <= end:
        dates.append(d)
        d += dt.timedelta(days=step)
    if len(dates) == 1:
        yield start, end
        return
    s = start
    for d in dates:
        if d == s and d != end:
            continue
        yield s, d
        s = d + dt.timedelta(days=1)
    if dates[-1] != end:
        yield s, end


def aws_files(root, org, hourly, source, year, month):
    parts = [root, "data", "parquet"] + ([] if hourly else ["daily"]) + [org, "AWS"] + ([] if hourly else ["raw"])
    base = os.path.join(*parts)
    pattern = os.path.join(glob.escape(base), f"source={glob.escape(source)}", f"year={year}", f"month={month}",
                           "*.parquet")
    return sorted(glob.glob(pattern))


def load_enabled_keys(args):
    rows = set()
    if args.enabled_tag_keys:
        with open(args.enabled_tag_keys, encoding="utf-8", newline="") as f:
            records = compare.parse_csv(f.read())
        header = [v for v, _ in records[0]]
        if header[:2] != ["provider_type", "key"]:
            raise OracleError("--enabled-tag-keys: header must be provider_type,key")
        for rec in records[1:]:
            if len(rec) >= 2:
                rows.add((rec[0][0], rec[1][0]))
    for k in (args.tag or "").split(","):
        if k:
            rows.add(("AWS", k))
            rows.add(("OCP", k))
    return rows


def load_ocp_summary(con, path, year, month):
    with open(path, encoding="utf-8", newline="") as f:
        records = compare.parse_csv(f.read())
    if not records:
        raise OracleError(f"--ocp-summary {path}: empty file")
    header = [v for v, _ in records[0]]
    rows = []
    for rec in records[1:]:
        if len(rec) == 1 and rec[0] == ("", False):
            continue
        if len(rec) != len(header):
            raise OracleError(f"--ocp-summary {path}: {len(rec)} fields, header {len(header)}")
        rows.append([None if (v == NULL_TEXT and not q) else v for v, q in rec])
    q = [oracle.qident(c) for c in header]
    con.execute("CREATE OR REPLACE TEMP TABLE summary_text (" + ", ".join(f"{c} VARCHAR" for c in q) + ")")
    if rows:
        con.executemany("INSERT INTO summary_text VALUES (" + ", ".join("?" for _ in q) + ")", rows)

    def typ(c):
        if c in ("usage_start", "usage_end"):
            return "TIMESTAMP"
        if c in SUMMARY_FLOAT:
            return "DOUBLE"
        if c in ("report_period_id", "cost_category_id"):
            return "INTEGER"
        return "VARCHAR"
    sel = [f"CAST({oracle.qident(c)} AS {typ(c)}) AS {oracle.qident(c)}" if c in header
           else f"CAST(NULL AS {typ(c)}) AS {oracle.qident(c)}" for c in SUMMARY_NEEDED]
    con.execute("CREATE OR REPLACE TEMP TABLE ocp_summary AS SELECT *, CAST(source_uuid AS VARCHAR) AS source, "
                "CAST(year(usage_start) AS VARCHAR) AS year, CAST(month(usage_start) AS VARCHAR) AS month, "
                "CAST(day(usage_start) AS VARCHAR) AS day FROM (SELECT " + ", ".join(sel) + " FROM summary_text)")


def markup9(text):
    return float(Decimal(text).quantize(Decimal("1e-9"), rounding=ROUND_HALF_UP))


def setup(con, args):
    con.execute("SET TimeZone='UTC'")
    con.execute("SET threads=2")
    con.create_function("trino_filter_json", udf_filter_json, ["VARCHAR", "VARCHAR[]"], "VARCHAR",
                        null_handling="special")
    con.create_function("trino_map_concat_json", udf_map_concat_json, ["VARCHAR", "VARCHAR"], "VARCHAR",
                        null_handling="special")
    con.create_function("trino_json_query_str", udf_json_query_str, ["VARCHAR", "VARCHAR"], "VARCHAR",
                        null_handling="special")
    con.create_function("trino_canon_json", udf_canon_json, ["VARCHAR"], "VARCHAR", null_handling="special")
    con.create_function("trino_json_to_map", udf_json_to_map, ["VARCHAR"], "MAP(VARCHAR, VARCHAR)",
                        null_handling="special")
    year, month = f"{args.year:04d}", f"{args.month:02d}"
    oracle.create_table_view(con, "aws_line_items_daily",
                             aws_files(args.aws_input, args.org, False, args.aws_source, year, month), AWS_COLUMNS)
    oracle.create_table_view(con, "aws_line_items",
                             aws_files(args.aws_input, args.org, True, args.aws_source, year, month), AWS_COLUMNS)
    for name, (rtype, cols) in OCP_TABLES.items():
        oracle.create_table_view(con, name, oracle.partition_files(args.ocp_input, args.org, "daily", rtype,
                                                                   args.ocp_source, year, month), cols)
    load_ocp_summary(con, args.ocp_summary, year, month)
    for ddl in (TEMP_DAILY, TEMP_SUMMARY, MANAGED_SUMMARY, DISK, PROJECT):
        con.execute(ddl)
    con.execute("CREATE TABLE reporting_awsaccountalias (account_id VARCHAR, id INTEGER)")
    for item in args.account_alias:
        acc, _, ident = item.partition("=")
        con.execute("INSERT INTO reporting_awsaccountalias VALUES (?, ?)", [acc, int(ident)])
    con.execute("CREATE TABLE reporting_ocpusagereportperiod AS SELECT CAST(? AS INTEGER) AS id, "
                "CAST(? AS VARCHAR) AS cluster_id, CAST(? AS DATE) AS report_period_start, "
                "CAST(? AS UUID) AS provider_id",
                [args.report_period_id, args.cluster_id, dt.date(args.year, args.month, 1), args.ocp_source])


def matched_tag_strings(con, stmts, params, keys):
    """AWSReportDBAccessor._get_matched_tags_strings (Trino branch)."""
    by_key = {}
    for ptype, k in keys:
        by_key.setdefault(k, set()).add(ptype)
    both = sorted(k for k, p in by_key.items() if {"AWS", "OCP"} <= p)
    if not both:  # check_for_matching_enabled_keys() is False -> []
        return []
    rows = fetch(con, stmts["ocpaws_matched_tags"], {**params, "both_keys": both})
    out = []
    for r in rows:
        match = json.loads(r["tag"])  # Koku: json.loads(result[0]); a quote in a value raises there too
        out.append(json.dumps(match).replace("{", "").replace("}", ""))
    return out


def run(args):
    stmts = statements()
    con = duckdb.connect()
    try:
        setup(con, args)
        keys = load_enabled_keys(args)
        aws_keys = sorted(set(OPENSHIFT_KEYS) | {k for p, k in keys if p == "AWS"})
        pg_keys_raw = sorted({k for p, k in keys if p in ("AWS", "OCP")})
        pg_keys = (["vm_kubevirt_io_name"] + pg_keys_raw) if pg_keys_raw else None
        first = dt.date(args.year, args.month, 1)
        last = dt.date(args.year, args.month, calendar.monthrange(args.year, args.month)[1])
        if args.start or args.end:
            if not (args.start and args.end):
                raise OracleError("--start and --end go together")
            if not (first <= args.start <= args.end <= last):
                raise OracleError("--start/--end must lie in --year/--month, start <= end")
            chunks = [(args.start, args.end)]
        else:
            chunks = list(date_range_pair(first, last, 5))
        back = []
        for start, end in chunks:
            days = [str(d) for d in range(start.day, end.day + 1)]
            p = {
                "aws_source": args.aws_source, "ocp_source": args.ocp_source,
                "year": f"{args.year:04d}", "month": f"{args.month:02d}", "days": days,
                "start_ts": dt.datetime.combine(start, dt.time()),
                "end_excl_ts": dt.datetime.combine(end + dt.timedelta(days=1), dt.time()),
                "start_date": start, "end_date": end,
                "hours_in_month": calendar.monthrange(args.year, args.month)[1] * 24,
                "aws_enabled_keys": aws_keys, "pg_enabled_keys": pg_keys,
                "markup9": markup9(args.markup), "distribution": args.distribution,
                "report_period_id": args.report_period_id, "bill_id": args.bill_id,
                "cluster_id": args.cluster_id, "cluster_alias": args.cluster_alias,
            }
            execute(con, stmts["delete_days"], p)
            tag_strs = matched_tag_strings(con, stmts, p, keys)
            special = [r["matched_tag"] for r in fetch(con, stmts["special_matched_tags"],
                                                       {**p, "matched_tag_strs": tag_strs})]
            p["matched_tags"] = special or None  # array_agg over no rows is NULL
            for name in ("step1_delete", "step1_insert", "step2_delete_disk", "step2_disk_capacities",
                         "step2_delete_temp", "step2_storage", "step2_unattributed_storage", "step2_resource",
                         "step2_tag", "step2_final", "step2_network", "step3"):
                execute(con, stmts[name], p)
            back += fetch(con, stmts["back_populate"], p)
        project = fetch(con, "SELECT * FROM project_daily_summary", {})
        return project, back
    except duckdb.Error as e:
        raise OracleError(f"DuckDB: {e}")
    finally:
        con.close()


def format_value(col, v):
    if v is None:
        return NULL_TEXT
    if col in JSON_COLUMNS:
        s = udf_canon_json(v)
        if s is None:
            return NULL_TEXT
    elif isinstance(v, bool):
        s = "true" if v else "false"
    elif isinstance(v, float):
        if not math.isfinite(v):
            raise OracleError(f"non-finite value {v!r} in {col}: the PostgreSQL insert would fail")
        s = repr(v)
    elif isinstance(v, (dt.date, dt.datetime)):
        s = v.isoformat()
    else:
        s = str(v)
    if s == NULL_TEXT or s == "" or any(c in s for c in ',"\n\r'):
        s = '"' + s.replace('"', '""') + '"'
    return s


def write_csv(path, rows, columns):
    lines = sorted(",".join(format_value(c, r[c]) for c in columns) for r in rows)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(columns) + "\n")
        for line in lines:
            f.write(line + "\n")
    os.replace(tmp, path)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag in ("--ocp-input", "--aws-input", "--org", "--ocp-source", "--aws-source", "--cluster-id",
                 "--cluster-alias", "--ocp-summary", "--out-project"):
        ap.add_argument(flag, required=True)
    ap.add_argument("--year", required=True, type=int)
    ap.add_argument("--month", required=True, type=int)
    ap.add_argument("--start", type=oracle.parse_date)
    ap.add_argument("--end", type=oracle.parse_date)
    ap.add_argument("--report-period-id", required=True, type=int)
    ap.add_argument("--bill-id", required=True, type=int)
    ap.add_argument("--markup", default="0")
    ap.add_argument("--distribution", default="cpu", choices=("cpu", "memory"))
    ap.add_argument("--enabled-tag-keys")
    ap.add_argument("--tag", default="")
    ap.add_argument("--account-alias", action="append", default=[], metavar="ACCOUNT=ID")
    ap.add_argument("--out-back-populate")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        project, back = run(args)
        write_csv(args.out_project, project, PROJECT_COLUMNS)
        if args.out_back_populate:
            write_csv(args.out_back_populate, back, BACK_POPULATE_COLUMNS)
    except (OracleError, OSError, ValueError, InvalidOperation) as e:
        print(f"ocp_aws oracle: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
