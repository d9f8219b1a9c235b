"""Shared parameters and helpers for the peer implementations of the Pod query (scripts/bench.py).

Every peer takes the same flags as `ocp-summary run` / tests/oracle/oracle.py (the subset the benchmark
uses) and writes the Pod rows only, in the oracle's CSV layout (tests/oracle/README.md), so that
tests/oracle/compare.py can check them against the oracle's Pod rows.
"""
import argparse, calendar, datetime as dt, glob, json, os

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
INFRA_COST = '{"cpu": 0.000000000, "memory": 0.000000000, "storage": 0.000000000}'
GIB = 2.0 ** -30


def parse_args(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--org", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--year", required=True)
    ap.add_argument("--month", required=True)
    ap.add_argument("--cluster-id", required=True)
    ap.add_argument("--cluster-alias", required=True)
    ap.add_argument("--report-period-id", required=True, type=int)
    ap.add_argument("--enabled-keys", required=True, help="comma separated; vm_kubevirt_io_name is added")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    a.year = f"{int(a.year):04d}"
    a.month = f"{int(a.month):02d}"
    a.first = dt.date(int(a.year), int(a.month), 1)
    a.end_excl = a.first + dt.timedelta(days=calendar.monthrange(int(a.year), int(a.month))[1])
    a.keys = sorted(set(["vm_kubevirt_io_name"] + [k for k in a.enabled_keys.split(",") if k]))
    return a


def files(a, daily, report_type):
    """Parquet files of one partition (source/year/month), as the oracle reads them."""
    parts = [a.input, "data", "parquet"] + (["daily"] if daily else []) + [a.org, "OCP", report_type,
             f"source={a.source}", f"year={a.year}", f"month={a.month}", "*.parquet"]
    return sorted(glob.glob(os.path.join(*parts)))


def _value(v):
    # CAST(json AS MAP(VARCHAR, VARCHAR)): strings as is, other scalars as their JSON text.
    if v is None or isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"))


def filter_labels(text, keys):
    """Trino: map_filter(cast(json_parse(text) as map), k in keys) -> dict, or None for NULL / JSON null."""
    if text is None:
        return None
    obj = json.loads(text)
    if obj is None:
        return None
    return {k: _value(v) for k, v in obj.items() if k in keys}


def to_json(m):
    return None if m is None else json.dumps(dict(sorted(m.items())), separators=(",", ":"), ensure_ascii=False)


def merge(node_json, ns_json, pod_json):
    """map_concat(node, namespace, pod): later wins; NULL pod map -> NULL (E5). node/ns NULL -> '{}'."""
    if pod_json is None:
        return None
    m = {}
    for s in (node_json, ns_json, pod_json):
        if s is not None:
            m.update(json.loads(s))
    return to_json(m)
