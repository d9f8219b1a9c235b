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


def run(args):
    year = f"{int(args.year):04d}"
    month = f"{int(args.month):02d}"
    first = dt.date(int(year), int(month), 1)
    last = dt.date(int(year), int(month), calendar.monthrange(int(year), int(month))[1])
    start = args.start or first
    end = args.end or last
    con = duckdb.connect()
    con.execute("SET threads=2")
    con.execute("SET TimeZone='UTC'")
    oracle.run_sql_file(con, "00_macros.sql")
    con.execute(statements()["setup"])
    for name, (gran, rtype, cols) in oracle.TABLES.items():
        files = oracle.partition_files(args.input, args.org, gran, rtype, args.source, year, month)
        oracle.create_table_view(con, name, files, cols)
    params = {"source": args.source, "year": year, "month": month, "start_date": start, "end_date": end}
    sql = statements()[args.query]
    used = set(re.findall(r"\$([A-Za-z_]+)", sql))
    cur = con.execute(sql, {k: params[k] for k in used})
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    con.close()
    return names, rows


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
