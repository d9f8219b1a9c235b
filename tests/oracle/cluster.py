#!/usr/bin/env python3
"""Oracle for Koku's cluster-information queries (see cluster.sql): nodes, pvcs, projects, timestamps.

Runs the DuckDB port of the Trino SQL over Koku-layout Parquet files (tables as oracle.py builds them) and
writes one query's result as CSV in the oracle format (`\\N` is NULL; timestamps as Trino prints a
timestamp(3), `2026-03-01 00:00:00.000`).

Usage:
  cluster.py --input ROOT --org ORG --source UUID --year YYYY --month MM [--start D --end D]
             --query nodes|pvcs|projects|timestamps --out FILE.csv
(oracle.py's other flags are accepted and ignored, so the tests pass the same arguments to both.)
"""
from __future__ import annotations

import argparse
import calendar
import datetime as dt
import os
import re
import sys

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

QUERIES = ("nodes", "pvcs", "projects", "timestamps")
FLOAT_COLUMNS = {"node_capacity_cpu_cores"}


def statements():
    with open(os.path.join(oracle.HERE, "cluster.sql"), encoding="utf-8") as f:
        sql = f.read()
    parts = re.split(r"^-- query: (\w+)\s*$", sql, flags=re.M)
    return {parts[i]: parts[i + 1].strip().rstrip(";") for i in range(1, len(parts), 2)}


def timestamp_text(v):
    return v.strftime("%Y-%m-%d %H:%M:%S.") + f"{v.microsecond // 1000:03d}"


def field(col, v):
    if v is None:
        return oracle.NULL_TEXT
    if isinstance(v, dt.datetime):
        return timestamp_text(v)
    if col in FLOAT_COLUMNS:
        return repr(float(v))
    s = str(v)
    if s == oracle.NULL_TEXT or s == "" or any(c in s for c in ',"\n\r'):
        s = '"' + s.replace('"', '""') + '"'
    return s


def month_range(args):
    """(year 'YYYY', month 'MM', start, end) from --year/--month/--start/--end (default: the whole month)."""
    year = f"{int(args.year):04d}"
    month = f"{int(args.month):02d}"
    first = dt.date(int(year), int(month), 1)
    last = dt.date(int(year), int(month), calendar.monthrange(int(year), int(month))[1])
    return year, month, args.start or first, args.end or last


def connect(args):
    """A DuckDB connection with the macros and the Parquet table views of oracle.py, and the query
    parameters ($source, $year, $month, $start_date, $end_date)."""
    year, month, start, end = month_range(args)
    con = duckdb.connect()
    con.execute("SET threads=2")
    con.execute("SET TimeZone='UTC'")
    oracle.run_sql_file(con, "00_macros.sql")
    for name, (gran, rtype, cols) in oracle.TABLES.items():
        files = oracle.partition_files(args.input, args.org, gran, rtype, args.source, year, month)
        oracle.create_table_view(con, name, files, cols)
    params = {"source": args.source, "year": year, "month": month, "start_date": start, "end_date": end}
    return con, params


def query(con, name, params):
    """Runs the cluster.sql statement `name` on a connection that already has 00_macros.sql and the table
    views (as oracle.py and connect() build them; the nodes query needs openshift_pod_usage_line_items_daily
    and openshift_node_labels_line_items_daily). Extra keys in `params` are ignored. Returns (names, rows)."""
    stmts = statements()
    con.execute(stmts["setup"])  # CREATE OR REPLACE: idempotent
    sql = stmts[name]
    used = set(oracle._PARAM_RE.findall(oracle._COMMENT_RE.sub("", sql)))
    missing = used - set(params)
    if missing:
        raise oracle.OracleError(f"cluster.sql {name}: missing parameters {sorted(missing)}")
    cur = con.execute(sql, {k: params[k] for k in used})
    return [d[0] for d in cur.description], cur.fetchall()


def run(args):
    con, params = connect(args)
    try:
        return query(con, args.query, params)
    finally:
        con.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag in ("--input", "--org", "--source", "--year", "--month", "--out"):
        ap.add_argument(flag, required=True)
    ap.add_argument("--start", type=oracle.parse_date)
    ap.add_argument("--end", type=oracle.parse_date)
    ap.add_argument("--query", required=True, choices=QUERIES)
    args, _ignored = ap.parse_known_args(argv)
    try:
        names, rows = run(args)
    except duckdb.Error as e:
        print(f"cluster oracle: query failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    except oracle.OracleError as e:
        print(f"cluster oracle: error: {e}", file=sys.stderr)
        return 2
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(names) + "\n")
        for r in rows:
            f.write(",".join(field(c, v) for c, v in zip(names, r)) + "\n")
    os.replace(tmp, args.out)
    print(f"cluster oracle: wrote {len(rows)} {args.query} rows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
