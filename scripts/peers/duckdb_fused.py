#!/usr/bin/env python3
"""Pod rows with DuckDB (threads=2): the oracle's Pod SQL rewritten as one query, written with COPY.

Differences from tests/oracle/pod.sql (same result): one statement instead of views + INSERT + copy;
projection of the needed columns only; labels are parsed and filtered once per distinct string and merged
once per distinct (node, namespace, pod) label triple, then joined back; the daily rows are pre-aggregated
per raw pod label string before the label join. No cost categories (the benchmark passes none: NULL).
"""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import duckdb
from common import parse_args, files, INFRA_COST, OUTPUT_COLUMNS


def lst(fs):
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in fs) + "]"


def main():
    a = parse_args()
    hourly, daily = files(a, False, "pod_usage"), files(a, True, "pod_usage")
    nodel, nsl = files(a, True, "node_labels"), files(a, True, "namespace_labels")
    con = duckdb.connect()
    con.execute(f"SET threads={a.threads}")
    con.execute("SET TimeZone='UTC'")
    keys = "[" + ", ".join("'" + k.replace("'", "''") + "'" for k in a.keys) + "]::VARCHAR[]"
    con.execute(f"""CREATE MACRO flt(s) AS CASE WHEN json(s) IS NULL OR json_type(json(s)) = 'NULL' THEN NULL ELSE
        CAST(to_json(map_from_entries(list_sort(list_filter(map_entries(CAST(json(s) AS MAP(VARCHAR, VARCHAR))),
             lambda e: list_contains({keys}, e.key))))) AS VARCHAR) END""")
    con.execute("""CREATE MACRO mrg(n, s, p) AS CASE WHEN p IS NULL THEN NULL ELSE
        CAST(to_json(map_from_entries(list_sort(map_entries(map_concat(
            CAST(json(coalesce(n, '{}')) AS MAP(VARCHAR, VARCHAR)),
            CAST(json(coalesce(s, '{}')) AS MAP(VARCHAR, VARCHAR)),
            CAST(json(p) AS MAP(VARCHAR, VARCHAR))))))) AS VARCHAR) END""")
    rng = f"interval_start >= DATE '{a.first}' AND interval_start < DATE '{a.end_excl}'"
    empty = lambda cols: "SELECT " + ", ".join(f"NULL::{t} AS {c}" for c, t in cols) + " WHERE false"
    src = lambda fs, cols: (f"read_parquet({lst(fs)}, union_by_name=true)" if fs else f"({empty(cols)})")
    TS, V, D = "TIMESTAMP", "VARCHAR", "DOUBLE"
    q = f"""
WITH cap_h AS (
    SELECT interval_start, node, max(node_capacity_cpu_core_seconds) c, max(node_capacity_memory_byte_seconds) m
    FROM {src(hourly, [("interval_start", TS), ("node", V), ("node_capacity_cpu_core_seconds", D), ("node_capacity_memory_byte_seconds", D)])}
    WHERE {rng} GROUP BY ALL),
nc AS (SELECT CAST(interval_start AS DATE) d, node, sum(c) c, sum(m) m FROM cap_h GROUP BY ALL),
cc AS (SELECT d, sum(c) c, sum(m) m FROM nc GROUP BY d),
nl_raw AS (SELECT DISTINCT CAST(interval_start AS DATE) d, node, node_labels s
    FROM {src(nodel, [("interval_start", TS), ("node", V), ("node_labels", V)])} WHERE {rng}),
nl_map AS (SELECT s, flt(s) j FROM (SELECT DISTINCT s FROM nl_raw)),
nl AS (SELECT DISTINCT r.d, r.node, m.j FROM nl_raw r JOIN nl_map m ON r.s IS NOT DISTINCT FROM m.s),
sl_raw AS (SELECT DISTINCT CAST(interval_start AS DATE) d, namespace, namespace_labels s
    FROM {src(nsl, [("interval_start", TS), ("namespace", V), ("namespace_labels", V)])} WHERE {rng}),
sl_map AS (SELECT s, flt(s) j FROM (SELECT DISTINCT s FROM sl_raw)),
sl AS (SELECT DISTINCT r.d, r.namespace, m.j FROM sl_raw r JOIN sl_map m ON r.s IS NOT DISTINCT FROM m.s),
pre AS (
    SELECT CAST(interval_start AS DATE) d, namespace, node, source_uuid, pod_labels s, max(resource_id) resource_id,
        sum(pod_usage_cpu_core_seconds) uc, sum(pod_request_cpu_core_seconds) rc,
        sum(coalesce(pod_effective_usage_cpu_core_seconds,
            CASE WHEN pod_usage_cpu_core_seconds IS NULL OR pod_request_cpu_core_seconds IS NULL THEN NULL
                 ELSE greatest(pod_usage_cpu_core_seconds, pod_request_cpu_core_seconds) END)) ec,
        sum(pod_limit_cpu_core_seconds) lc,
        sum(pod_usage_memory_byte_seconds) um, sum(pod_request_memory_byte_seconds) rm,
        sum(coalesce(pod_effective_usage_memory_byte_seconds,
            CASE WHEN pod_usage_memory_byte_seconds IS NULL OR pod_request_memory_byte_seconds IS NULL THEN NULL
                 ELSE greatest(pod_usage_memory_byte_seconds, pod_request_memory_byte_seconds) END)) em,
        sum(pod_limit_memory_byte_seconds) lm,
        max(node_capacity_cpu_cores) ncc, max(node_capacity_memory_bytes) ncm
    FROM (SELECT *, '{a.source}' AS source_uuid FROM {src(daily, [])})
    WHERE {rng} AND node != ''
    GROUP BY ALL),
pl_map AS (SELECT s, flt(s) j FROM (SELECT DISTINCT s FROM pre)),
joined AS (
    SELECT p.*, pm.j pj, nl.j nj, sl.j sj
    FROM pre p JOIN pl_map pm ON p.s IS NOT DISTINCT FROM pm.s
    LEFT JOIN nl ON nl.node = p.node AND nl.d = p.d
    LEFT JOIN sl ON sl.namespace = p.namespace AND sl.d = p.d),
triples AS (SELECT nj, sj, pj, mrg(nj, sj, pj) lab FROM (SELECT DISTINCT nj, sj, pj FROM joined)),
pua AS (
    SELECT j.d, j.namespace, j.node, j.source_uuid, t.lab, max(j.resource_id) resource_id,
        sum(uc) uc, sum(rc) rc, sum(ec) ec, sum(lc) lc, sum(um) um, sum(rm) rm, sum(em) em, sum(lm) lm,
        max(ncc) ncc, max(ncm) ncm
    FROM joined j JOIN triples t ON j.nj IS NOT DISTINCT FROM t.nj AND j.sj IS NOT DISTINCT FROM t.sj
        AND j.pj IS NOT DISTINCT FROM t.pj
    GROUP BY j.d, j.namespace, j.node, j.source_uuid, t.lab)
SELECT uuid() AS uuid, {a.report_period_id} AS report_period_id, '{a.cluster_id}' AS cluster_id,
    '{a.cluster_alias}' AS cluster_alias, 'Pod' AS data_source, p.d AS usage_start, p.d AS usage_end,
    p.namespace, p.node, p.resource_id, p.lab AS pod_labels,
    uc / 3600.0 AS pod_usage_cpu_core_hours, rc / 3600.0 AS pod_request_cpu_core_hours,
    ec / 3600.0 AS pod_effective_usage_cpu_core_hours, lc / 3600.0 AS pod_limit_cpu_core_hours,
    um / 3600.0 * power(2, -30) AS pod_usage_memory_gigabyte_hours,
    rm / 3600.0 * power(2, -30) AS pod_request_memory_gigabyte_hours,
    em / 3600.0 * power(2, -30) AS pod_effective_usage_memory_gigabyte_hours,
    lm / 3600.0 * power(2, -30) AS pod_limit_memory_gigabyte_hours,
    ncc AS node_capacity_cpu_cores, nc.c / 3600.0 AS node_capacity_cpu_core_hours,
    ncm * power(2, -30) AS node_capacity_memory_gigabytes,
    nc.m / 3600.0 * power(2, -30) AS node_capacity_memory_gigabyte_hours,
    cc.c / 3600.0 AS cluster_capacity_cpu_core_hours, cc.m / 3600.0 * power(2, -30) AS cluster_capacity_memory_gigabyte_hours,
    NULL AS persistentvolumeclaim, NULL AS persistentvolume, NULL AS storageclass, NULL AS volume_labels,
    coalesce(p.lab, '{{}}') AS all_labels,
    NULL::DOUBLE AS persistentvolumeclaim_capacity_gigabyte, NULL::DOUBLE AS persistentvolumeclaim_capacity_gigabyte_months,
    NULL::DOUBLE AS volume_request_storage_gigabyte_months, NULL::DOUBLE AS persistentvolumeclaim_usage_gigabyte_months,
    p.source_uuid, '{INFRA_COST}' AS infrastructure_usage_cost, NULL::INTEGER AS cost_category_id
FROM pua p LEFT JOIN nc ON nc.d = p.d AND nc.node = p.node LEFT JOIN cc ON cc.d = p.d
"""
    con.execute(f"COPY ({q}) TO '{a.out}' (FORMAT csv, HEADER true, NULLSTR '\\N')")


if __name__ == "__main__":
    main()
