#!/usr/bin/env python3
"""Pod rows with DataFusion (Python SessionContext, target_partitions=2): SQL close to duckdb_fused.py.

DataFusion has no JSON-to-map functions, so label strings are parsed and filtered once per distinct string
in Python (the distinct strings come from a DataFusion query), registered as small tables, and joined back;
the node < namespace < pod merge runs once per distinct label triple the same way. Everything else
(capacity, pre-aggregation, joins, grouped sums, CSV writing with COPY) is DataFusion SQL.
No cost categories (the benchmark passes none: NULL).
"""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyarrow as pa
from datafusion import SessionContext, SessionConfig
from common import parse_args, files, filter_labels, to_json, merge, INFRA_COST, OUTPUT_COLUMNS


def main():
    a = parse_args()
    keys = set(a.keys)
    ctx = SessionContext(SessionConfig().with_target_partitions(a.threads))
    for name, daily, rtype in (("hourly", False, "pod_usage"), ("daily", True, "pod_usage"),
                               ("nodel", True, "node_labels"), ("nsl", True, "namespace_labels")):
        fs = files(a, daily, rtype)
        if not fs:
            sys.exit(f"no {rtype} files")  # the benchmark always has all four tables
        ctx.register_parquet(name, os.path.dirname(fs[0]), file_extension=".parquet")
    rng = f"interval_start >= TIMESTAMP '{a.first}T00:00:00' AND interval_start < TIMESTAMP '{a.end_excl}T00:00:00'"

    def strings_table(name, sql, fn):
        raw = [r for b in ctx.sql(sql).collect() for r in b.column(0).to_pylist()]
        ctx.register_record_batches(name, [[pa.record_batch(
            [pa.array(raw, pa.string()), pa.array([fn(s) for s in raw], pa.string())], names=["s", "j"])]])

    lab = lambda s: to_json(filter_labels(s, keys))
    strings_table("nl_map", f"SELECT DISTINCT node_labels FROM nodel WHERE {rng}", lab)
    strings_table("sl_map", f"SELECT DISTINCT namespace_labels FROM nsl WHERE {rng}", lab)
    strings_table("pl_map", f"SELECT DISTINCT pod_labels FROM daily WHERE {rng} AND node != ''", lab)

    g = "(1.0 / 3600.0 / 1073741824.0)"
    def eff(e, u, r):
        return f"coalesce({e}, CASE WHEN {u} IS NULL OR {r} IS NULL THEN NULL ELSE greatest({u}, {r}) END)"
    ctx.sql(f"""CREATE VIEW joined AS
WITH nl AS (SELECT DISTINCT CAST(r.interval_start AS DATE) d, r.node, m.j FROM nodel r
        JOIN nl_map m ON (r.node_labels IS NOT DISTINCT FROM m.s) WHERE {rng}),
    sl AS (SELECT DISTINCT CAST(r.interval_start AS DATE) d, r.namespace, m.j FROM nsl r
        JOIN sl_map m ON (r.namespace_labels IS NOT DISTINCT FROM m.s) WHERE {rng}),
    pre AS (SELECT CAST(interval_start AS DATE) d, namespace, node, pod_labels s, max(resource_id) resource_id,
        sum(pod_usage_cpu_core_seconds) uc, sum(pod_request_cpu_core_seconds) rc,
        sum({eff('pod_effective_usage_cpu_core_seconds', 'pod_usage_cpu_core_seconds', 'pod_request_cpu_core_seconds')}) ec,
        sum(pod_limit_cpu_core_seconds) lc, sum(pod_usage_memory_byte_seconds) um, sum(pod_request_memory_byte_seconds) rm,
        sum({eff('pod_effective_usage_memory_byte_seconds', 'pod_usage_memory_byte_seconds', 'pod_request_memory_byte_seconds')}) em,
        sum(pod_limit_memory_byte_seconds) lm, max(node_capacity_cpu_cores) ncc, max(node_capacity_memory_bytes) ncm
        FROM daily WHERE {rng} AND node != '' GROUP BY 1, 2, 3, 4)
SELECT p.*, pm.j pj, nl.j nj, sl.j sj FROM pre p JOIN pl_map pm ON p.s IS NOT DISTINCT FROM pm.s
    LEFT JOIN nl ON nl.node = p.node AND nl.d = p.d LEFT JOIN sl ON sl.namespace = p.namespace AND sl.d = p.d""")
    tri = ctx.sql("SELECT DISTINCT nj, sj, pj FROM joined").to_arrow_table()
    nj, sj, pj = (tri.column(c).to_pylist() for c in ("nj", "sj", "pj"))
    ctx.register_record_batches("triples", [[pa.record_batch(
        [pa.array(nj, pa.string()), pa.array(sj, pa.string()), pa.array(pj, pa.string()),
         pa.array([merge(*t) for t in zip(nj, sj, pj)], pa.string())], names=["nj", "sj", "pj", "lab"])]])
    q = f"""
WITH cap_h AS (SELECT interval_start, node, max(node_capacity_cpu_core_seconds) c,
        max(node_capacity_memory_byte_seconds) m FROM hourly WHERE {rng} GROUP BY 1, 2),
    nc AS (SELECT CAST(interval_start AS DATE) d, node, sum(c) c, sum(m) m FROM cap_h GROUP BY 1, 2),
    cc AS (SELECT d, sum(c) c, sum(m) m FROM nc GROUP BY d),
    pua AS (SELECT j.d, j.namespace, j.node, t.lab, max(j.resource_id) resource_id, sum(uc) uc, sum(rc) rc,
        sum(ec) ec, sum(lc) lc, sum(um) um, sum(rm) rm, sum(em) em, sum(lm) lm, max(ncc) ncc, max(ncm) ncm
        FROM joined j JOIN triples t ON (j.nj IS NOT DISTINCT FROM t.nj) AND (j.sj IS NOT DISTINCT FROM t.sj)
            AND (j.pj IS NOT DISTINCT FROM t.pj)
        GROUP BY 1, 2, 3, 4)
SELECT CAST(NULL AS VARCHAR) AS uuid, {a.report_period_id} AS report_period_id, '{a.cluster_id}' AS cluster_id,
    '{a.cluster_alias}' AS cluster_alias, 'Pod' AS data_source, p.d AS usage_start, p.d AS usage_end,
    p.namespace, p.node, p.resource_id, p.lab AS pod_labels,
    uc / 3600.0 AS pod_usage_cpu_core_hours, rc / 3600.0 AS pod_request_cpu_core_hours,
    ec / 3600.0 AS pod_effective_usage_cpu_core_hours, lc / 3600.0 AS pod_limit_cpu_core_hours,
    um * {g} AS pod_usage_memory_gigabyte_hours, rm * {g} AS pod_request_memory_gigabyte_hours,
    em * {g} AS pod_effective_usage_memory_gigabyte_hours, lm * {g} AS pod_limit_memory_gigabyte_hours,
    ncc AS node_capacity_cpu_cores, nc.c / 3600.0 AS node_capacity_cpu_core_hours,
    ncm / 1073741824.0 AS node_capacity_memory_gigabytes, nc.m * {g} AS node_capacity_memory_gigabyte_hours,
    cc.c / 3600.0 AS cluster_capacity_cpu_core_hours, cc.m * {g} AS cluster_capacity_memory_gigabyte_hours,
    CAST(NULL AS VARCHAR) AS persistentvolumeclaim, CAST(NULL AS VARCHAR) AS persistentvolume,
    CAST(NULL AS VARCHAR) AS storageclass, CAST(NULL AS VARCHAR) AS volume_labels,
    coalesce(p.lab, '{{}}') AS all_labels,
    CAST(NULL AS DOUBLE) AS persistentvolumeclaim_capacity_gigabyte,
    CAST(NULL AS DOUBLE) AS persistentvolumeclaim_capacity_gigabyte_months,
    CAST(NULL AS DOUBLE) AS volume_request_storage_gigabyte_months,
    CAST(NULL AS DOUBLE) AS persistentvolumeclaim_usage_gigabyte_months,
    '{a.source}' AS source_uuid, '{INFRA_COST}' AS infrastructure_usage_cost, CAST(NULL AS INT) AS cost_category_id
FROM pua p LEFT JOIN nc ON nc.d = p.d AND nc.node = p.node LEFT JOIN cc ON cc.d = p.d"""
    ctx.sql(f"COPY ({q}) TO '{a.out}' STORED AS CSV OPTIONS ('format.has_header' 'true', "
            "'format.null_value' '\\N')").collect()


if __name__ == "__main__":
    main()
