#!/usr/bin/env python3
"""Pod rows with Polars (lazy scan_parquet; POLARS_MAX_THREADS=2 is set by scripts/bench.py).

Same logic as tests/oracle/pod.sql: hourly capacity (max per interval+node, summed per day, summed per
cluster-day), label JSON parsed and filtered once per distinct string (Python over the unique strings),
node < namespace < pod merge once per distinct label triple, grouped sums. No cost categories (the
benchmark passes none: NULL).
"""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datetime as dt
import polars as pl
from common import parse_args, files, filter_labels, to_json, merge, INFRA_COST, OUTPUT_COLUMNS, GIB


def label_table(strings, keys):
    """Distinct raw strings -> filtered canonical JSON (NULL stays NULL)."""
    raw = strings.to_list()
    return pl.DataFrame({"s": raw, "j": [to_json(filter_labels(x, keys)) for x in raw]},
                        schema={"s": pl.String, "j": pl.String})


def main():
    a = parse_args()
    keys = set(a.keys)
    lo, hi = dt.datetime.combine(a.first, dt.time()), dt.datetime.combine(a.end_excl, dt.time())
    rng = (pl.col("interval_start") >= lo) & (pl.col("interval_start") < hi)
    day = pl.col("interval_start").dt.date().alias("d")

    def scan(daily, rtype, cols):
        fs = files(a, daily, rtype)
        if not fs:
            return None
        return pl.scan_parquet(fs).select(cols).filter(rng)

    cap = (scan(False, "pod_usage", ["interval_start", "node", "node_capacity_cpu_core_seconds",
                                     "node_capacity_memory_byte_seconds"])
           .group_by("interval_start", "node")
           .agg(pl.col("node_capacity_cpu_core_seconds").max().alias("c"),
                pl.col("node_capacity_memory_byte_seconds").max().alias("m"))
           .group_by(day, "node").agg(pl.col("c").sum(), pl.col("m").sum()))
    nc = cap.collect().lazy()
    cc = nc.group_by("d").agg(pl.col("c").sum().alias("cc"), pl.col("m").sum().alias("cm"))

    def labels(rtype, key, col):
        lf = scan(True, rtype, ["interval_start", key, col])
        if lf is None:
            return pl.LazyFrame(schema={"d": pl.Date, key: pl.String, "j": pl.String})
        raw = lf.select(day, key, pl.col(col).alias("s")).unique().collect()
        m = label_table(raw.get_column("s").unique(), keys)
        return raw.join(m, on="s", how="left", nulls_equal=True).select("d", key, "j").unique().lazy()

    nl = labels("node_labels", "node", "node_labels").rename({"j": "nj"})
    sl = labels("namespace_labels", "namespace", "namespace_labels").rename({"j": "sj"})

    def gmax(a, b):  # Trino greatest: NULL if either is NULL
        return pl.when(pl.col(a).is_null() | pl.col(b).is_null()).then(None).otherwise(pl.max_horizontal(a, b))

    sums = {"uc": pl.col("pod_usage_cpu_core_seconds"), "rc": pl.col("pod_request_cpu_core_seconds"),
            "ec": pl.coalesce(pl.col("pod_effective_usage_cpu_core_seconds"),
                              gmax("pod_usage_cpu_core_seconds", "pod_request_cpu_core_seconds")),
            "lc": pl.col("pod_limit_cpu_core_seconds"),
            "um": pl.col("pod_usage_memory_byte_seconds"), "rm": pl.col("pod_request_memory_byte_seconds"),
            "em": pl.coalesce(pl.col("pod_effective_usage_memory_byte_seconds"),
                              gmax("pod_usage_memory_byte_seconds", "pod_request_memory_byte_seconds")),
            "lm": pl.col("pod_limit_memory_byte_seconds")}
    cols = ["interval_start", "namespace", "node", "resource_id", "pod_labels", "pod_usage_cpu_core_seconds",
            "pod_request_cpu_core_seconds", "pod_effective_usage_cpu_core_seconds", "pod_limit_cpu_core_seconds",
            "pod_usage_memory_byte_seconds", "pod_request_memory_byte_seconds",
            "pod_effective_usage_memory_byte_seconds", "pod_limit_memory_byte_seconds",
            "node_capacity_cpu_cores", "node_capacity_memory_bytes"]
    pre = (scan(True, "pod_usage", cols).filter(pl.col("node") != "")
           .group_by(day, "namespace", "node", pl.col("pod_labels").alias("s"))
           .agg(pl.col("resource_id").max(), *[e.sum().alias(k) for k, e in sums.items()],
                pl.col("node_capacity_cpu_cores").max().alias("ncc"),
                pl.col("node_capacity_memory_bytes").max().alias("ncm"))
           .collect())
    pm = label_table(pre.get_column("s").unique(), keys).rename({"j": "pj"})
    joined = (pre.lazy().join(pm.lazy(), on="s", how="left", nulls_equal=True)
              .join(nl, on=["d", "node"], how="left").join(sl, on=["d", "namespace"], how="left").collect())
    tri = joined.select("nj", "sj", "pj").unique()
    tri = tri.with_columns(pl.Series("lab", [merge(n, s, p) for n, s, p in tri.iter_rows()], dtype=pl.String))
    h, g = 1 / 3600.0, 1 / 3600.0 * GIB
    out = (joined.lazy().join(tri.lazy(), on=["nj", "sj", "pj"], how="left", nulls_equal=True)
           .group_by("d", "namespace", "node", "lab")
           .agg(pl.col("resource_id").max(), *[pl.col(k).sum() for k in sums], pl.col("ncc").max(),
                pl.col("ncm").max())
           .join(nc, on=["d", "node"], how="left").join(cc, on="d", how="left")
           .select(pl.lit(None, pl.String).alias("uuid"), pl.lit(a.report_period_id).alias("report_period_id"),
                   pl.lit(a.cluster_id).alias("cluster_id"), pl.lit(a.cluster_alias).alias("cluster_alias"),
                   pl.lit("Pod").alias("data_source"), pl.col("d").alias("usage_start"),
                   pl.col("d").alias("usage_end"), "namespace", "node", "resource_id",
                   pl.col("lab").alias("pod_labels"),
                   (pl.col("uc") * h).alias("pod_usage_cpu_core_hours"),
                   (pl.col("rc") * h).alias("pod_request_cpu_core_hours"),
                   (pl.col("ec") * h).alias("pod_effective_usage_cpu_core_hours"),
                   (pl.col("lc") * h).alias("pod_limit_cpu_core_hours"),
                   (pl.col("um") * g).alias("pod_usage_memory_gigabyte_hours"),
                   (pl.col("rm") * g).alias("pod_request_memory_gigabyte_hours"),
                   (pl.col("em") * g).alias("pod_effective_usage_memory_gigabyte_hours"),
                   (pl.col("lm") * g).alias("pod_limit_memory_gigabyte_hours"),
                   pl.col("ncc").alias("node_capacity_cpu_cores"),
                   (pl.col("c") * h).alias("node_capacity_cpu_core_hours"),
                   (pl.col("ncm") * GIB).alias("node_capacity_memory_gigabytes"),
                   (pl.col("m") * g).alias("node_capacity_memory_gigabyte_hours"),
                   (pl.col("cc") * h).alias("cluster_capacity_cpu_core_hours"),
                   (pl.col("cm") * g).alias("cluster_capacity_memory_gigabyte_hours"),
                   *[pl.lit(None, pl.String).alias(c) for c in
                     ("persistentvolumeclaim", "persistentvolume", "storageclass", "volume_labels")],
                   pl.col("lab").fill_null("{}").alias("all_labels"),
                   *[pl.lit(None, pl.Float64).alias(c) for c in
                     ("persistentvolumeclaim_capacity_gigabyte", "persistentvolumeclaim_capacity_gigabyte_months",
                      "volume_request_storage_gigabyte_months", "persistentvolumeclaim_usage_gigabyte_months")],
                   pl.lit(a.source).alias("source_uuid"), pl.lit(INFRA_COST).alias("infrastructure_usage_cost"),
                   pl.lit(None, pl.Int32).alias("cost_category_id")))
    df = out.collect()
    assert df.columns == OUTPUT_COLUMNS
    df.write_csv(a.out, null_value="\\N")


if __name__ == "__main__":
    main()
