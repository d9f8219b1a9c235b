#!/usr/bin/env python3
"""DuckDB oracle for Koku's `reporting_ocpinfrastructure_provider_map.sql` (AWS): which OpenShift sources run on
which AWS sources.

Ported from project-koku/koku `koku/masu/database/trino_sql/aws/reporting_ocpinfrastructure_provider_map.sql`
(stored version at commit 15a1454e298bf72795b2969ebbaa7f52a678938e), run by
`OCPReportDBAccessor.get_ocp_infrastructure_map_trino` with `year`/`month` from the start date. The SQL text below
keeps Koku's statement; only the Hive tables become `read_parquet` over the partition folders, and the Jinja
parameters become DuckDB parameters.

    provider_map.py --ocp-input ROOT [--aws-input ROOT] --org ORG --year YYYY --month M
                    [--start YYYY-MM-DD --end YYYY-MM-DD] [--source|--ocp-source UUID] [--aws-source UUID] --out FILE.csv

Writes `ocp_uuid,infra_uuid,type` rows, sorted (Trino's order is unspecified).
"""
from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import glob
import os
import sys

import duckdb

SQL = """
WITH cte_aws_resource_ids AS (
    SELECT DISTINCT lineitem_resourceid,
        aws.source
    FROM read_parquet($aws_files, hive_partitioning = true,
                      hive_types = {'source': VARCHAR, 'year': VARCHAR, 'month': VARCHAR}) AS aws
    WHERE aws.lineitem_usagestartdate >= $start_date
        AND aws.lineitem_usagestartdate < $end_date + INTERVAL 1 DAY
        AND aws.lineitem_resourceid IS NOT NULL
        AND aws.lineitem_resourceid != ''
        AND ($aws_provider_uuid IS NULL OR aws.source = $aws_provider_uuid)
        AND aws.year = $year
        AND aws.month = $month
),
cte_ocp_resource_ids AS (
    SELECT DISTINCT resource_id,
        ocp.source
    FROM read_parquet($ocp_files, hive_partitioning = true,
                      hive_types = {'source': VARCHAR, 'year': VARCHAR, 'month': VARCHAR}) AS ocp
    WHERE ocp.interval_start >= $start_date
    AND ocp.interval_start < $end_date + INTERVAL 1 DAY
    AND ocp.resource_id IS NOT NULL
    AND ocp.resource_id != ''
    AND ($ocp_provider_uuid IS NULL OR ocp.source = $ocp_provider_uuid)
    AND ocp.year = $year
    AND ocp.month = $month
)
SELECT DISTINCT ocp.source as ocp_uuid,
    aws.source as infra_uuid,
    'AWS' as type
FROM cte_aws_resource_ids AS aws
JOIN cte_ocp_resource_ids AS ocp
    ON strpos(aws.lineitem_resourceid, ocp.resource_id) != 0
"""


def files(root: str, parts: list[str]) -> list[str]:
    base = os.path.join(glob.escape(root), "data", "parquet", "daily", *[glob.escape(p) for p in parts])
    return sorted(glob.glob(os.path.join(base, "source=*", "year=*", "month=*", "*.parquet")))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ocp-input", required=True)
    ap.add_argument("--aws-input")
    ap.add_argument("--org", required=True)
    ap.add_argument("--year", type=int, required=True)
    ap.add_argument("--month", type=int, required=True)
    ap.add_argument("--start")
    ap.add_argument("--end")
    ap.add_argument("--ocp-source", "--source", dest="ocp_source")
    ap.add_argument("--aws-source")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    last = calendar.monthrange(a.year, a.month)[1]
    start = dt.date.fromisoformat(a.start) if a.start else dt.date(a.year, a.month, 1)
    end = dt.date.fromisoformat(a.end) if a.end else dt.date(a.year, a.month, last)
    ocp_files = files(a.ocp_input, [a.org, "OCP", "pod_usage"])
    aws_files = files(a.aws_input or a.ocp_input, [a.org, "AWS", "raw"])
    rows = []
    if ocp_files and aws_files:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        rows = con.execute(SQL, {
            "aws_files": aws_files, "ocp_files": ocp_files,
            "start_date": start, "end_date": end,
            # masu: start_date.strftime("%Y") / ("%m")
            "year": start.strftime("%Y"), "month": start.strftime("%m"),
            "aws_provider_uuid": a.aws_source, "ocp_provider_uuid": a.ocp_source,
        }).fetchall()
    with open(a.out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["ocp_uuid", "infra_uuid", "type"])
        w.writerows(sorted(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
