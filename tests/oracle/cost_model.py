#!/usr/bin/env python3
"""Oracle for Koku's OpenShift cost-model Trino queries (DuckDB ports in cost_model.sql).

Spec snapshot (project-koku/koku, koku/masu/database/trino_sql/openshift/cost_model/):
  hourly_cost_virtual_machine.sql  @ 2dc26d31a1b06d31910efa494b2711d782d6182f
  hourly_vm_core.sql               @ a3e2e47085adf56962f4975ae582ed7967120209  (bare WITH ... SELECT, no INSERT)
  hourly_cost_vm_tag_based.sql     @ 225b687c8a58bfec6781f189b47db14ffb56fa2f
  hourly_vm_core_tag_based.sql     @ 4f24bca40a5c74bf5aad5182a3ac3a6cc1b7a4cc
  monthly_vm_core.sql              @ d2612ed5c7ab82a05bcb2ea03fa704687663c846
  monthly_vm_core_tag_based.sql    @ 31500d6ae8a329843c6a627cfef7ed102e5f401c
  monthly_cost_gpu.sql             @ bf74f2b08a0f4de468bc6314e6a09cfd8b964d7e
  monthly_project_tag_based.sql    @ 4814f91fd34fcb86b9d7d5c2ff9fd03c1f694416
Dispatch: koku/masu/database/ocp_report_db_accessor.py (stored version, index id 1221154567:
populate_vm_usage_costs, populate_monthly_cost_sql, populate_tag_based_costs);
koku/masu/database/cost_model_db_accessor.py @ 7d71393c59813813de934a968c660055fca1e61c (price_list,
infrastructure_rates, supplementary_rates, metric_to_tag_params_map, tag_based_price_list);
koku/cost_models/sql_parameters.py @ a4e3fd4227ba6bd4bc9e7634737999db4b9cbf66; masu/util/ocp/common.py
get_amortized_monthly_cost_model_rate; api/metrics/constants.py (default cost types: every metric used here,
including UNLEASH_METRICS_GPU's gpu_cost_per_month, defaults to "Infrastructure"); masu ocp_cost_model_cost_updater
(_update_monthly_cost's truthiness rule, update_summary_cost_model_costs' "only if tag rates" rule).

Usage:
  cost_model.py --input ROOT --org ORG --source UUID --year YYYY --month MM [--start D --end D]
                --cluster-id ID --cluster-alias NAME --report-period-id N --summary SUMMARY.csv
                --cost-model COST_MODEL.json [--cost-category PATTERN=ID]... --out FILE.csv

Steps (masu's update_summary_cost_model_costs, Trino parts only, in this order; every step reads only the usage
rows given as --summary: the rows a step inserts are never read by a later one, as each filters on
pod_usage_cpu_core_hours IS NOT NULL, which no cost row sets, or reads Parquet / the Hive summary):
 1. populate_vm_usage_costs(Infrastructure|Supplementary, that type's tiered rates of vm_cost_per_hour /
    vm_core_cost_per_hour): hourly_cost_virtual_machine (use_fractional_hours = the org has hourly vm_usage
    Parquet) and hourly_vm_core (skipped without that table; inserts nothing, see below).
 2. populate_monthly_cost_sql("OCP_VM_CORE"): monthly_vm_core with rate = Decimal(raw)/days_in_month.
 3. populate_tag_based_costs (only if the model has tag rates of type Infrastructure/Supplementary):
    hourly_cost_vm_tag_based, monthly_vm_core_tag_based, hourly_vm_core_tag_based, monthly_cost_gpu,
    monthly_project_tag_based, once per tag-rate entry (vm_cost_per_month's file is PostgreSQL: not ported).

Output: `step` (the SQL file stem) + the INSERT columns without `uuid`; columns a step does not write are NULL;
costs are numeric(33,15) text; see README.md.

Trino typing, as evaluated by cost() below (R = the rate CAST to DECIMAL(33,15); Trino -> Python):
  bound parameters (trino client): float -> DOUBLE, str -> VARCHAR, int -> integer, Decimal -> DECIMAL literal
  CAST(DOUBLE AS DECIMAL(p,s))   -> Decimal(repr(x)) rounded ROUND_HALF_UP to s (Java BigDecimal.valueOf)
  CAST(VARCHAR AS DECIMAL(p,s))  -> Decimal(text) rounded ROUND_HALF_UP; CAST(int/DECIMAL) likewise (exact, then
                                    rounded); more than p-s integer digits = error (exit 2)
  DOUBLE * DECIMAL, BIGINT * DOUBLE, DOUBLE / INTEGER, DOUBLE / DECIMAL -> IEEE double (Python float)
  BIGINT * DECIMAL(33,15)        -> exact Decimal (count hours)
  DECIMAL / DECIMAL|INTEGER      -> exact quotient rounded ROUND_HALF_UP to max(s1, s2) (integer: scale 0)
  INSERT into numeric(33,15)     -> DOUBLE: Decimal(repr(x)) rounded half-up to 15 places; DECIMAL: rounded
                                    half-up to 15 places; NaN/Inf or > 18 integer digits = error (exit 2)
Per file (h = hours, c = vm_cpu_request_cores max, d = days in month, n = node_count):
  hourly_cost_virtual_machine / hourly_cost_vm_tag_based: fractional: double(h) * double(R); count: h * R exact
  hourly_vm_core (not inserted): count: (double(h) * c) * double(R)   (use_fractional_hours is not passed)
  monthly_vm_core: c * double(R), R = CAST(DECIMAL literal of Decimal(raw)/d (28 digits, ROUND_HALF_EVEN))
  hourly_vm_core_tag_based: (c * double(R)) * double(h)   (count hours: use_fractional_hours not passed)
  monthly_vm_core_tag_based: (c * double(R)) / d
  monthly_cost_gpu: double(round9(R9 / d)) * (uptime / 86400.0), R9 = CAST(rate AS decimal(24,9)); neither
                    value_rates nor default: integer 0
  monthly_project_tag_based: A = round15(R / d); n < 1: A, else round15(A / n)

Surprising Koku behaviour (ported as is):
  * hourly_vm_core.sql (pinned version) has no INSERT: Koku runs the SELECT and discards it, so no row.
    vm_core_cost_per_hour tiered rates produce no cost. hourly_vm_core_rows() shows what it would compute.
  * latest_vm_labels (hourly_vm_core, monthly_vm_core) folds ARRAY_AGG(map_concat(pod_labels, all_labels)) with
    map_concat: later rows win on a duplicate key, and ARRAY_AGG's order is undefined in Trino. Here the order is
    (pod_labels, all_labels) ascending by canonical JSON text, NULLS FIRST; the labels are per VM name, taken from
    the day of the VM's latest interval_start, from any source of the report period.
  * monthly_vm_core / latest_vm_labels group by the combined labels, not by node or pod_labels: all rows of one
    VM (or of several VMs with equal combined labels) in a namespace and day become one row, node = the node of
    the VM's latest hourly row (max if several).
  * VM names are not namespaced: the hours/cores of two VMs of the same name in different namespaces are joined
    to both (count hours add up, as does the uptime).
  * hourly_cost_virtual_machine's count branch counts pod hourly rows (two pods of one VM in an hour count 2).
  * _update_monthly_cost picks Infrastructure when the raw infra value is truthy ("0" is truthy): then a zero
    rate inserts nothing, and a Supplementary rate of the same metric is ignored.
  * tag_values: the last `default: true` entry wins; a JSON null tag value (`{"k": null}`) passes the
    `json_extract(...) IS NOT NULL` filter and is charged the default rate.
  * monthly_cost_gpu: with value_rates the WHERE keeps only those models, so the default rate never applies;
    without value_rates and default the cost is 0 for every row of the vendor; rows are not grouped, and a
    namespace matching two cost-category patterns yields two rows (LEFT JOIN ... LIKE).
  * monthly_project_tag_based: the namespace label rows of the WHOLE month are charged (no start/end filter);
    filtered_namespace_labels is the whole namespace label map when the tag has a scalar value, else `{}`
    (the map_filter lambda ignores k and v); the node count is the number of distinct nodes of the namespace in
    the Hive daily summary that day (Pod and Storage rows), 0 -> the amortized cost undivided, node NULL.
  * A tag-rate entry with neither value_rates nor a default fails Jinja rendering (value_rates.items() on an
    undefined) in every file but monthly_cost_gpu: exit 2.
"""
from __future__ import annotations

import argparse
import calendar
import datetime as dt
import decimal
import hashlib
import json
import math
import os
import re
import sys
from decimal import Decimal

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402
import vm_gpu  # noqa: E402

OracleError = oracle.OracleError
INFRA, SUPP = "Infrastructure", "Supplementary"
VM_HOUR, VM_CORE_HOUR = "vm_cost_per_hour", "vm_core_cost_per_hour"
VM_MONTH, VM_CORE_MONTH = "vm_cost_per_month", "vm_core_cost_per_month"
GPU_MONTH, PROJECT_MONTH = "gpu_cost_per_month", "project_per_month"

# api/metrics/constants.py COST_MODEL_METRIC_MAP (+ UNLEASH_METRICS_GPU): default_cost_type
_SUPP_DEFAULT = ("cpu_core_usage_per_hour", "cpu_core_request_per_hour", "cpu_core_effective_usage_per_hour",
                 "memory_gb_usage_per_hour", "memory_gb_request_per_hour", "memory_gb_effective_usage_per_hour",
                 "storage_gb_usage_per_month", "storage_gb_request_per_month")
_INFRA_DEFAULT = ("node_core_cost_per_hour", "node_cost_per_month", "node_core_cost_per_month",
                  "cluster_cost_per_month", "cluster_cost_per_hour", "pvc_cost_per_month", VM_MONTH, VM_HOUR,
                  "cluster_core_cost_per_hour", PROJECT_MONTH, VM_CORE_MONTH, VM_CORE_HOUR, GPU_MONTH)
DEFAULT_COST_TYPE = {**{m: SUPP for m in _SUPP_DEFAULT}, **{m: INFRA for m in _INFRA_DEFAULT}}

OUTPUT_COLUMNS = [
    "step", "report_period_id", "cluster_id", "cluster_alias", "data_source", "usage_start", "usage_end",
    "namespace", "node", "resource_id", "pod_labels", "all_labels", "source_uuid", "monthly_cost_type",
    "cost_model_rate_type", "cost_model_cpu_cost", "cost_model_gpu_cost", "cost_category_id",
]
QUERY_COLUMNS = [c for c in OUTPUT_COLUMNS if c not in ("step", "cost_model_rate_type", "cost_model_cpu_cost",
                                                        "cost_model_gpu_cost")]
LABEL_COLUMNS = ("pod_labels", "all_labels")

TS, D, S = "TIMESTAMP", "DOUBLE", "VARCHAR"
TABLES = {
    "openshift_vm_usage_line_items": ("hourly", "vm_usage", vm_gpu.VM_HOURLY_COLUMNS),
    "openshift_vm_usage_line_items_daily": ("daily", "vm_usage", vm_gpu.VM_HOURLY_COLUMNS),
    "openshift_pod_usage_line_items": ("hourly", "pod_usage", [("interval_start", TS), ("pod_labels", S)]),
    "openshift_gpu_usage_line_items_daily": ("daily", "gpu_usage", vm_gpu.GPU_DAILY_COLUMNS),
    "openshift_namespace_labels_line_items_daily": oracle.TABLES["openshift_namespace_labels_line_items_daily"],
    # the HOURLY node-label table (monthly_cost_gpu_rtu's unqualified `openshift_node_labels_line_items`)
    "openshift_node_labels_line_items": ("hourly", "node_labels",
                                         oracle.TABLES["openshift_node_labels_line_items_daily"][2]),
}
RTU_COLUMNS = [
    "step", "cost_model_id", "report_period_id", "source_uuid", "usage_start", "usage_end", "node", "namespace",
    "cluster_id", "cluster_alias", "data_source", "pod_labels", "all_labels", "label_hash", "custom_name",
    "metric_type", "cost_model_rate_type", "monthly_cost_type", "calculated_cost", "distributed_cost",
    "cost_category_id", "rate_id",
]
RTU_TYPES = {"cost_model_id": "UUID", "report_period_id": "INTEGER", "source_uuid": "UUID", "usage_start": "DATE",
             "usage_end": "DATE", "calculated_cost": "DECIMAL(33, 15)", "distributed_cost": "DECIMAL(33, 15)",
             "cost_category_id": "INTEGER", "rate_id": "UUID"}
COST_COLUMNS = ("cost_model_cpu_cost", "cost_model_gpu_cost", "calculated_cost", "distributed_cost")
GPU_DISTRIBUTED = "gpu_distributed"
_UUID_RE = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
SUMMARY_EXTRA = {"cluster_id": "VARCHAR", "cluster_alias": "VARCHAR", "data_source": "VARCHAR",
                 "usage_end": "DATE", "namespace": "VARCHAR", "resource_id": "VARCHAR", "all_labels": "VARCHAR",
                 "report_period_id": "INTEGER", "pod_usage_cpu_core_hours": "DOUBLE",
                 "monthly_cost_type": "VARCHAR", "cost_model_rate_type": "VARCHAR", "cost_category_id": "INTEGER"}

_WIDE = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_UP, Emax=999999, Emin=-999999)
_PY_DEFAULT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)  # Python's default context
_KEY_RE = re.compile(r"^[A-Za-z0-9_]+$")


# ---------------------------------------------------------------- Trino arithmetic
def round_half_up(d: Decimal, scale: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-scale), rounding=decimal.ROUND_HALF_UP, context=_WIDE)


def _check_precision(d: Decimal, p: int, s: int, what: str) -> Decimal:
    if d != 0 and d.adjusted() >= p - s:
        raise OracleError(f"{what}: {d} does not fit DECIMAL({p},{s})")
    return d


def to_decimal(v, p: int, s: int) -> Decimal:
    """CAST(<bound parameter> AS DECIMAL(p, s)) in Trino."""
    if isinstance(v, bool) or v is None:
        raise OracleError(f"rate {v!r}: not a number")
    if isinstance(v, float):
        if not math.isfinite(v):
            raise OracleError(f"rate {v!r}: CAST to DECIMAL fails")
        d = Decimal(repr(v))
    elif isinstance(v, (int, Decimal)):
        d = Decimal(v)
    elif isinstance(v, str):
        try:
            d = Decimal(v.strip())
        except decimal.InvalidOperation:
            raise OracleError(f"rate {v!r}: CAST AS DECIMAL fails")
        if not d.is_finite():
            raise OracleError(f"rate {v!r}: CAST AS DECIMAL fails")
    else:
        raise OracleError(f"rate {v!r}: unsupported type {type(v).__name__}")
    return _check_precision(round_half_up(d, s), p, s, "CAST")


def decimal_divide(a: Decimal, b: Decimal, scale: int) -> Decimal:
    """Trino DECIMAL division: the exact quotient rounded half up (away from zero) to `scale` places."""
    if b == 0:
        raise OracleError("Division by zero")
    ta, tb = a.as_tuple(), b.as_tuple()
    ia = int("".join(map(str, ta.digits)) or "0")  # a = ia * 10^ta.exponent
    ib = int("".join(map(str, tb.digits)) or "0")
    num, den = ia, ib
    e = ta.exponent - tb.exponent + scale  # quotient * 10^scale = ia / ib * 10^e
    if e >= 0:
        num *= 10 ** e
    else:
        den *= 10 ** -e
    q = (2 * num + den) // (2 * den)  # half up
    sign = -1 if ta.sign != tb.sign else 1
    return Decimal(sign * q).scaleb(-scale, context=_WIDE)


def to_numeric15(v):
    """The value PostgreSQL's numeric(33,15) column stores for a DOUBLE or DECIMAL result (None = NULL)."""
    if v is None:
        return None
    if isinstance(v, float):
        if not math.isfinite(v):
            raise OracleError(f"non-finite cost {v!r}: the cast to numeric(33,15) fails")
        v = Decimal(repr(v))
    d = round_half_up(Decimal(v), 15)
    if d == 0:
        d = Decimal(0).scaleb(-15)
    return _check_precision(d, 33, 15, "numeric(33,15)")


def amortized_monthly_rate(raw, days: int):
    """get_amortized_monthly_cost_model_rate: Decimal(monthly_rate) / days_in_month (default context)."""
    if raw is None:
        return None
    try:
        d = Decimal(raw)  # a float: its exact binary expansion
    except (decimal.InvalidOperation, TypeError):
        raise OracleError(f"monthly rate {raw!r}: Decimal() fails")
    return _PY_DEFAULT.divide(d, Decimal(days))


def java_double_to_string(x: float) -> str:
    """Java Double.toString (Trino CAST(double AS varchar)), with the shortest repr digits."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1, x) < 0 else "0.0"
    a = abs(x)
    sign = "-" if x < 0 else ""
    if 1e-3 <= a < 1e7:
        s = format(Decimal(repr(a)), "f")
        if "." not in s:
            s += ".0"
        return sign + s
    t = Decimal(repr(a)).normalize().as_tuple()
    digits = "".join(map(str, t.digits))
    exp = len(digits) - 1 + t.exponent
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exp}"


# ---------------------------------------------------------------- label UDFs (Trino map/json casts)
def _json_to_map(text):
    """CAST(json AS map(varchar, varchar)): None for SQL NULL / JSON null; error for a non-object."""
    if text is None:
        return None
    obj = json.loads(text)
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise ValueError(f"cannot cast {text!r} to map(varchar, varchar)")
    out = {}
    for k, v in obj.items():
        if v is None or isinstance(v, str):
            out[k] = v
        elif isinstance(v, bool):
            out[k] = "true" if v else "false"
        elif isinstance(v, int):
            out[k] = str(v)
        elif isinstance(v, float):
            out[k] = java_double_to_string(v)
        else:
            raise ValueError(f"cannot cast {text!r} to map(varchar, varchar): nested value")
    return out


def _map_json(m):
    return json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def udf_labels_json(text):
    m = _json_to_map(text)
    return None if m is None else _map_json(m)


def udf_merge_labels(pairs):
    """REDUCE(ARRAY_AGG(map_concat(COALESCE(pod, MAP()), COALESCE(all, MAP()))), MAP(), map_concat)."""
    if pairs is None:
        return None
    acc = {}
    for p in pairs:
        pod, all_ = json.loads(p)
        acc.update(_json_to_map(pod) or {})
        acc.update(_json_to_map(all_) or {})
    return _map_json(acc)


def udf_gpu_labels(model, vendor, mib):
    """cast(map(ARRAY['gpu-model','gpu-vendor','gpu-memory-mib'], ARRAY[model, vendor, CAST(mib AS varchar)]) as json)."""
    return _map_json({"gpu-model": model, "gpu-vendor": vendor,
                      "gpu-memory-mib": None if mib is None else java_double_to_string(float(mib))})


def udf_canon_json(text):
    """jsonb normalisation of the summary's label text (key order / whitespace irrelevant)."""
    if text is None:
        return None
    obj = json.loads(text)
    return None if obj is None else json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# ---------------------------------------------------------------- cost model (CostModelDBAccessor)
def _default_cost_type(metric):
    if metric not in DEFAULT_COST_TYPE:
        raise OracleError(f"cost model: unknown metric {metric!r} (Koku's cost_model_metric_map KeyError)")
    return DEFAULT_COST_TYPE[metric]


def load_cost_model(path):
    return load_cost_model_doc(path)[1]


def load_cost_model_doc(path):
    """(the cost model object or {}, its rates list)."""
    try:
        with open(path, encoding="utf-8") as f:
            cm = json.load(f)
    except (OSError, ValueError) as e:
        raise OracleError(f"--cost-model {path}: {e}")
    rates = cm.get("rates") if isinstance(cm, dict) else cm
    if not isinstance(rates, list):
        raise OracleError(f"--cost-model {path}: no `rates` list")
    return (cm if isinstance(cm, dict) else {}), rates


def price_list(rates):
    """{metric: {cost_type: first-tier value}} as CostModelDBAccessor.price_list (duplicates summed as floats)."""
    out = {}
    for rate in rates:
        if not rate.get("tiered_rates"):
            continue
        metric = (rate.get("metric") or {}).get("name")
        ctype = rate.get("cost_type") or _default_cost_type(metric)
        tiers = rate["tiered_rates"]
        if metric in out:
            if ctype in out[metric]:
                out[metric][ctype] = float(out[metric][ctype]) + float(tiers[0].get("value"))
            else:
                out[metric][ctype] = tiers[0].get("value")
        else:
            out[metric] = {ctype: tiers[0].get("value")}
    return out


def tiered_rates(rates, cost_type):
    return {m: v[cost_type] for m, v in price_list(rates).items() if cost_type in v}


def has_tag_rates(rates):
    """tag_infrastructure_rates != {} or tag_supplementary_rates != {}."""
    for rate in rates:
        if not rate.get("tag_rates"):
            continue
        metric = (rate.get("metric") or {}).get("name")
        ctype = rate.get("cost_type") or _default_cost_type(metric)
        for tv in rate["tag_rates"].get("tag_values") or []:
            float(tv.get("value"))  # tag_based_price_list: float() of every value
        if ctype in (INFRA, SUPP):
            return True
    return False


def metric_to_tag_params_map(rates):
    out = {}
    for rate in rates:
        tag = rate.get("tag_rates")
        if not tag:
            continue
        metric = (rate.get("metric") or {}).get("name")
        params = {"rate_type": rate["cost_type"] if "cost_type" in rate else _default_cost_type(metric),
                  "tag_key": tag.get("tag_key")}
        _default_cost_type(metric)
        values = {}
        for tv in tag.get("tag_values") or []:
            if tv.get("default"):
                params["default_rate"] = float(tv.get("value"))
            else:
                values[tv.get("tag_value")] = float(tv.get("value"))
        if values:
            params["value_rates"] = values
        out.setdefault(metric, []).append(params)
    return out


# ---------------------------------------------------------------- rates_to_usage helpers
def cast_uuid(v, what):
    """CAST(<bound varchar> AS uuid): NULL stays NULL; the 8-4-4-4-12 hex form, else Trino fails (exit 2)."""
    if v is None:
        return None
    if not isinstance(v, str) or not _UUID_RE.match(v):
        raise OracleError(f"{what} {v!r}: CAST AS uuid fails")
    return v.lower()


def label_hash(pod_labels, all_labels):
    """to_hex(sha256(to_utf8(COALESCE(json_format(pod), '') || '|' || '' || '|' || COALESCE(json_format(all), ''))));
    the arguments are already Trino's canonical JSON text (compact, sorted keys) or None."""
    text = (pod_labels or "") + "|" + "" + "|" + (all_labels or "")
    return hashlib.sha256(text.encode("utf-8")).hexdigest().upper()


def trino_int_text(x):
    """CAST(CAST(<double> AS INTEGER) AS varchar): Trino rounds half away from zero; NaN / out of range fail."""
    if x is None:
        return None
    if not math.isfinite(x):
        raise OracleError(f"CAST({x!r} AS INTEGER) fails")
    n = int(Decimal(repr(x)).to_integral_value(rounding=decimal.ROUND_HALF_UP))
    if not -2 ** 31 <= n < 2 ** 31:
        raise OracleError(f"CAST({x!r} AS INTEGER): out of range")
    return str(n)


def bigint_text(x):
    """CAST(<bigint> AS varchar) of gpu_max_slices. masu writes the column as pandas Int64 (Parquet INT64), and
    `COALESCE(gpu.gpu_max_slices, 1)` only type-checks on a numeric column, so the Hive column is read as the
    file's BIGINT: 7 -> '7' (a DOUBLE column would give '7.0'). The tables here hold it as DOUBLE."""
    if x is None:
        return None
    if x != int(x):
        raise OracleError(f"gpu_max_slices {x!r} is not an integer")
    return str(int(x))


def rate_meta(rate):
    """Our RTU parameter mapping of one cost-model rate entry (see the docstring)."""
    metric = rate.get("metric") or {}
    custom = rate.get("custom_name")
    return {"rate_uuid": cast_uuid(rate.get("rate_id"), "rate_id"),
            "custom_name": None if custom is None else str(custom),
            "metric_type": metric.get("metric_type", metric.get("name"))}


def tiered_rate_meta(rates, cost_type):
    """{metric: meta of the FIRST rate entry with tiered_rates of that metric and cost type}."""
    out = {}
    for rate in rates:
        if not rate.get("tiered_rates"):
            continue
        metric = (rate.get("metric") or {}).get("name")
        ctype = rate.get("cost_type") or _default_cost_type(metric)
        if ctype == cost_type:
            out.setdefault(metric, rate_meta(rate))  # the summed rate records its first entry
    return out


def tag_rate_meta(rates):
    """{metric: [meta, ...]} in metric_to_tag_params_map's order (one per tag-rate entry)."""
    out = {}
    for rate in rates:
        if not rate.get("tag_rates"):
            continue
        out.setdefault((rate.get("metric") or {}).get("name"), []).append(rate_meta(rate))
    return out


# ---------------------------------------------------------------- DuckDB
def statements():
    with open(os.path.join(oracle.HERE, "cost_model.sql"), encoding="utf-8") as f:
        sql = f.read()
    parts = re.split(r"^-- query: (\w+)\s*$", sql, flags=re.M)
    return {parts[i]: parts[i + 1].strip().rstrip(";") for i in range(1, len(parts), 2)}


def _execute(con, sql, params):
    used = set(oracle._PARAM_RE.findall(oracle._COMMENT_RE.sub("", sql)))
    missing = used - set(params)
    if missing:
        raise OracleError(f"cost_model.sql: missing parameters {sorted(missing)}")
    return con.execute(sql, {k: params[k] for k in used})


def _fetch(con, sql, params):
    cur = _execute(con, sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def setup(con, args, stmts):
    con.execute("SET threads=2")
    con.execute("SET TimeZone='UTC'")
    con.create_function("trino_labels_json", udf_labels_json, ["VARCHAR"], "VARCHAR", null_handling="special")
    con.create_function("trino_merge_labels", udf_merge_labels, ["VARCHAR[]"], "VARCHAR", null_handling="special")
    con.create_function("trino_gpu_labels_json", udf_gpu_labels, ["VARCHAR", "VARCHAR", "DOUBLE"], "VARCHAR",
                        null_handling="special")
    con.create_function("canon_json", udf_canon_json, ["VARCHAR"], "VARCHAR", null_handling="special")
    con.execute(stmts["setup"])
    for name, (gran, rtype, cols) in TABLES.items():
        oracle.create_table_view(con, name, vm_gpu.source_files(args.input, args.org, gran, rtype, args.source),
                                 cols)
    vm_gpu.build_cost_categories(con, args.cost_category)
    vm_gpu.load_summary(con, args.summary)
    have = {r[0] for r in con.execute("DESCRIBE reporting_ocpusagelineitem_daily_summary").fetchall()}
    sel = []
    for c in sorted(have):
        q = oracle.qident(c)
        sel.append(f"canon_json({q}) AS {q}" if c in LABEL_COLUMNS else q)
    sel += [f"CAST(NULL AS {t}) AS {oracle.qident(c)}" for c, t in SUMMARY_EXTRA.items() if c not in have]
    con.execute("CREATE OR REPLACE TEMP TABLE reporting_ocpusagelineitem_daily_summary AS SELECT "
                + ", ".join(sel) + " FROM reporting_ocpusagelineitem_daily_summary")
    # Koku's Hive reporting_ocpusagelineitem_daily_summary: the summary SQL's Pod/Storage rows (cost rows exist
    # only in PostgreSQL), partitions source = source_uuid text, year, month unpadded (CAST(month(d) AS varchar)).
    con.execute("""CREATE OR REPLACE TEMP VIEW hive_reporting_ocpusagelineitem_daily_summary AS
        SELECT *, CAST(source_uuid AS VARCHAR) AS source, CAST(year(usage_start) AS VARCHAR) AS year,
               CAST(month(usage_start) AS VARCHAR) AS month
        FROM reporting_ocpusagelineitem_daily_summary
        WHERE data_source IN ('Pod', 'Storage') AND cost_model_rate_type IS NULL AND monthly_cost_type IS NULL""")
    con.execute("CREATE OR REPLACE TEMP TABLE tag_values (value VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE rates_to_usage ("
                + ", ".join(f"{c} {RTU_TYPES.get(c, 'VARCHAR')}" for c in RTU_COLUMNS) + ")")


def set_tag_values(con, values):
    con.execute("DELETE FROM tag_values")
    if values:
        con.executemany("INSERT INTO tag_values VALUES (?)", [[v] for v in values])


def fill_vmhrs(con, stmts, params, fractional):
    sql = stmts["vmhrs_fractional" if fractional else "vmhrs_count"]
    con.execute("DROP TABLE IF EXISTS vmhrs")
    _execute(con, "CREATE TEMP TABLE vmhrs AS " + sql, params)


def vm_core_sql(stmts, query, table="openshift_vm_usage_line_items", hours_expr="NULL"):
    ctes = stmts["vm_core_ctes"].replace("@VM_USAGE_TABLE@", table).replace("@HOURS_EXPR@", hours_expr)
    return ctes + "\n" + stmts[query]


def _tag_path(tag_key):
    if not isinstance(tag_key, str) or not _KEY_RE.match(tag_key):
        raise OracleError(f"tag key {tag_key!r}: only [A-Za-z0-9_]+ keys are ported (JSON path '$.<key>')")
    return "$." + tag_key


def _check_renderable(step, tp):
    if "value_rates" not in tp and "default_rate" not in tp:
        raise OracleError(f"{step}: a tag rate (key {tp.get('tag_key')!r}) with neither tag values nor a default: "
                          "Koku's template rendering fails (value_rates undefined)")
    for v in tp.get("value_rates", {}):
        if not isinstance(v, str):
            raise OracleError(f"{step}: tag value {v!r} is not a string (bound as non-VARCHAR: not ported)")


def _tag_rate(tp, tag_value):
    """The CASE of the tag files: the value's rate, else default_rate (ELSE), else NULL."""
    vr = tp.get("value_rates")
    if vr is not None and tag_value is not None and tag_value in vr:
        return vr[tag_value]
    return tp.get("default_rate")


def _f(d):
    return float(d)


def hourly_vm_core_rows(con, stmts, params, hourly_rate, fractional=False):
    """What hourly_vm_core.sql's SELECT computes (Koku discards it: no INSERT). Koku passes no
    use_fractional_hours for it, so fractional=False is Koku's call."""
    hours = "sum(vm_map.vm_uptime_total_seconds)" if fractional else "count(vm_map.interval_start)"
    rows = _fetch(con, vm_core_sql(stmts, "vm_core_combined_labels", hours_expr=hours),
                  dict(params, monthly_cost_type=None))
    r = to_decimal(hourly_rate, 33, 15)
    for row in rows:
        h, c = row.pop("_hours"), row.pop("_cores")
        if h is None or c is None:
            cost = None
        elif fractional:
            cost = (float(h) / 3600 * c) * _f(r)
        else:
            cost = (float(h) * c) * _f(r)
        row["cost_model_cpu_cost"] = to_numeric15(cost)
    return rows


# ---------------------------------------------------------------- the dispatch
def run(args):
    """The direct (daily summary) rows; with args.rates_to_usage also the RTU rows: run_all() returns both."""
    return run_all(args)[0]


def run_all(args):
    rtu = bool(getattr(args, "rates_to_usage", False))
    year = f"{int(args.year):04d}"
    month = f"{int(args.month):02d}"
    first = dt.date(int(year), int(month), 1)
    days = calendar.monthrange(first.year, first.month)[1]
    start = args.start or first
    end = args.end or first.replace(day=days)
    for d, n in ((start, "--start"), (end, "--end")):
        if (d.year, d.month) != (first.year, first.month):
            raise OracleError(f"{n} {d} is outside {year}-{month}")
    if start > end:
        raise OracleError("start_date cannot be after end_date")
    doc, rates = load_cost_model_doc(args.cost_model)
    infra, supp = tiered_rates(rates, INFRA), tiered_rates(rates, SUPP)
    tag_map = metric_to_tag_params_map(rates)
    tagged = has_tag_rates(rates)
    vm_table = vm_gpu.org_table_exists(args.input, args.org, "hourly", "vm_usage")
    gpu_table = vm_gpu.org_table_exists(args.input, args.org, "daily", "gpu_usage")
    cost_model_id = cast_uuid(doc.get("uuid"), "cost model uuid") if rtu else None
    dist_info = doc.get("distribution_info") if isinstance(doc.get("distribution_info"), dict) else {}
    if rtu:
        meta = {INFRA: tiered_rate_meta(rates, INFRA), SUPP: tiered_rate_meta(rates, SUPP)}
        tag_meta = tag_rate_meta(rates)

    stmts = statements()
    con = duckdb.connect()
    out, rtu_out = [], []
    try:
        setup(con, args, stmts)
        base = {"source": args.source, "year": year, "month": month, "start_date": start, "end_date": end,
                "report_period_id": args.report_period_id, "cluster_id": args.cluster_id,
                "cluster_alias": args.cluster_alias}

        def emit(step, rows, rate_type, cost_col, cost_fn):
            for row in rows:
                cost = cost_fn(row)
                rec = {c: row.get(c) for c in QUERY_COLUMNS}
                rec.update(step=step, cost_model_rate_type=rate_type, cost_model_cpu_cost=None,
                           cost_model_gpu_cost=None)
                rec[cost_col] = to_numeric15(cost)
                out.append(rec)

        def store_rtu(recs):
            """INSERT INTO rates_to_usage: later steps (the distribution) read the stored values."""
            full = [{c: r.get(c) for c in RTU_COLUMNS} for r in recs]
            if full:
                con.executemany("INSERT INTO rates_to_usage VALUES (" + ", ".join("?" for _ in RTU_COLUMNS) + ")",
                                [[None if r[c] is None else (str(r[c]) if c in ("source_uuid", "cost_model_id",
                                                                                 "rate_id") else r[c])
                                  for c in RTU_COLUMNS] for r in full])
            rtu_out.extend(full)

        def emit_rtu(step, rows, m, rate_type, monthly_cost_type, cost_fn):
            recs = []
            for row in rows:
                cost = cost_fn(row)
                rec = {c: row.get(c) for c in ("source_uuid", "usage_start", "usage_end", "node", "namespace",
                                               "cluster_id", "cluster_alias", "data_source", "pod_labels",
                                               "all_labels", "cost_category_id")}
                rec.update(step=step, cost_model_id=cost_model_id, report_period_id=args.report_period_id,
                           label_hash=label_hash(rec["pod_labels"], rec["all_labels"]),
                           custom_name=m["custom_name"], metric_type=m["metric_type"],
                           cost_model_rate_type=rate_type, monthly_cost_type=monthly_cost_type,
                           calculated_cost=to_numeric15(cost), distributed_cost=None, rate_id=m["rate_uuid"])
                recs.append(rec)
            store_rtu(recs)

        # 1. populate_vm_usage_costs
        for rate_type, tiers in ((INFRA, infra), (SUPP, supp)):
            vm_rates = {m: v for m, v in tiers.items() if m in (VM_HOUR, VM_CORE_HOUR)}
            for metric, hourly_rate in vm_rates.items():
                if metric == VM_CORE_HOUR:
                    if vm_table and rtu:
                        r = to_decimal(hourly_rate, 33, 15)
                        rows = _fetch(con, vm_core_sql(stmts, "hourly_vm_core_rtu",
                                                       hours_expr="sum(vm_map.vm_uptime_total_seconds)"), base)
                        emit_rtu("hourly_vm_core_rtu", rows, meta[rate_type][metric], rate_type, None,
                                 lambda row, r=r: None if row["_hours"] is None or row["_cores"] is None
                                 else (row["_hours"] / 3600 * row["_cores"]) * _f(r))
                    elif vm_table:
                        hourly_vm_core_rows(con, stmts, base, hourly_rate)  # runs, inserts nothing
                    continue
                r = to_decimal(hourly_rate, 33, 15)
                fill_vmhrs(con, stmts, base, vm_table)
                rows = _fetch(con, stmts["hourly_cost_virtual_machine"], base)
                if rtu:
                    emit_rtu("hourly_cost_virtual_machine_rtu", rows, meta[rate_type][metric], rate_type, None,
                             lambda row, r=r: _hours_times(row["_hours"], r))
                else:
                    emit("hourly_cost_virtual_machine", rows, rate_type, "cost_model_cpu_cost",
                         lambda row, r=r: _hours_times(row["_hours"], r))

        # 2. populate_monthly_cost_sql("OCP_VM_CORE") (no RTU twin: always the daily summary)
        rate_type, raw = None, None
        if infra.get(VM_CORE_MONTH):
            rate_type, raw = INFRA, infra.get(VM_CORE_MONTH)
        elif supp.get(VM_CORE_MONTH):
            rate_type, raw = SUPP, supp.get(VM_CORE_MONTH)
        amortized = amortized_monthly_rate(raw, days)
        if vm_table and amortized:
            r = to_decimal(amortized, 33, 15)
            rows = _fetch(con, vm_core_sql(stmts, "vm_core_combined_labels"),
                          dict(base, monthly_cost_type="OCP_VM_CORE"))
            emit("monthly_vm_core", rows, rate_type, "cost_model_cpu_cost",
                 lambda row, r=r: None if row["_cores"] is None else row["_cores"] * _f(r))

        # 3. populate_tag_based_costs
        if tagged:
            for metric in (VM_HOUR, VM_MONTH, VM_CORE_MONTH, VM_CORE_HOUR, GPU_MONTH, PROJECT_MONTH):
                if metric == VM_MONTH:
                    continue  # sql/openshift/cost_model/monthly_cost_virtual_machine.sql: PostgreSQL, not ported
                if metric in (VM_CORE_HOUR, VM_CORE_MONTH) and not vm_table:
                    continue
                if metric == GPU_MONTH and not gpu_table:
                    continue
                for i, tp in enumerate(tag_map.get(metric, [])):
                    if rtu and metric != PROJECT_MONTH:
                        run_tag_entry_rtu(con, stmts, base, metric, tp, tag_meta[metric][i], days, vm_table,
                                          emit_rtu)
                    else:
                        run_tag_entry(con, stmts, base, metric, tp, days, vm_table, emit)

        # 4. distribute_unallocated_gpu_cost_rtu over the month so far, after every other RTU step
        if rtu and dist_info.get("gpu_unallocated") is True:
            dparams = dict(base, start_date=first, cost_model_rate_type=GPU_DISTRIBUTED)
            common = dict(step="distribute_unallocated_gpu_cost_rtu", cost_model_id=cost_model_id,
                          cost_model_rate_type=GPU_DISTRIBUTED, monthly_cost_type=GPU_DISTRIBUTED)
            rows = _fetch(con, stmts["distribute_unallocated_gpu_cost_rtu"], dparams)
            store_rtu([dict(row, **common, distributed_cost=to_numeric15(row["distributed_cost"]))
                       for row in rows])
            rows = _fetch(con, stmts["distribute_unallocated_gpu_cost_rtu_negate"], dparams)
            store_rtu([dict(row, **common, custom_name="", metric_type="",
                            distributed_cost=to_numeric15(row["distributed_cost"])) for row in rows])
    finally:
        con.close()
    return out, rtu_out


def _hours_times(h, r):
    if h is None:
        return None
    if isinstance(h, int):  # count: BIGINT * DECIMAL(33,15), exact
        return Decimal(h) * r
    return float(h) * _f(r)  # DOUBLE * DECIMAL -> DOUBLE


def run_tag_entry(con, stmts, base, metric, tp, days, vm_table, emit):
    rate_type = tp["rate_type"]
    has_values = "value_rates" in tp
    has_default = "default_rate" in tp
    if metric == GPU_MONTH:
        values = [str(v) for v in tp.get("value_rates", {})]  # '{{value | sqlsafe}}': Jinja text of the key
        set_tag_values(con, values)
        vr = {str(k): v for k, v in tp.get("value_rates", {}).items()}
        params = dict(base, vendor=str(tp.get("tag_key")), has_values=has_values)
        rows = _fetch(con, stmts["monthly_cost_gpu"], params)

        def gpu_cost(row):
            if has_values:
                rate = vr.get(row["_tag_value"], tp.get("default_rate"))
            elif has_default:
                rate = tp["default_rate"]
            else:
                return Decimal(0)  # `0,`
            if rate is None or row["_uptime"] is None:
                return None
            daily = decimal_divide(to_decimal(rate, 24, 9), to_decimal(days, 24, 9), 9)
            return _f(daily) * (row["_uptime"] / 86400.0)

        emit("monthly_cost_gpu", rows, rate_type, "cost_model_gpu_cost", gpu_cost)
        return

    step = {VM_HOUR: "hourly_cost_vm_tag_based", VM_CORE_MONTH: "monthly_vm_core_tag_based",
            VM_CORE_HOUR: "hourly_vm_core_tag_based", PROJECT_MONTH: "monthly_project_tag_based"}[metric]
    _check_renderable(step, tp)
    set_tag_values(con, list(tp.get("value_rates", {})))
    params = dict(base, path=_tag_path(tp.get("tag_key")), has_default=has_default, has_values=has_values)

    def rate_of(row):
        rate = _tag_rate(tp, row["_tag_value"])
        return None if rate is None else to_decimal(rate, 33, 15)

    if metric == VM_HOUR:
        fill_vmhrs(con, stmts, base, vm_table)
        rows = _fetch(con, stmts["hourly_cost_vm_tag_based"], params)
        emit(step, rows, rate_type, "cost_model_cpu_cost",
             lambda row: None if rate_of(row) is None else _hours_times(row["_hours"], rate_of(row)))
    elif metric == VM_CORE_HOUR:
        sql = vm_core_sql(stmts, "vm_core_tag_based", hours_expr="count(vm_map.interval_start)")
        rows = _fetch(con, sql, dict(params, extra_rate_type_filter=False))

        def cost(row):
            r, c, h = rate_of(row), row["_cores"], row["_hours"]
            return None if r is None or c is None or h is None else (c * _f(r)) * float(h)

        emit(step, rows, rate_type, "cost_model_cpu_cost", cost)
    elif metric == VM_CORE_MONTH:
        sql = vm_core_sql(stmts, "vm_core_tag_based", table="openshift_vm_usage_line_items_daily")
        rows = _fetch(con, sql, dict(params, extra_rate_type_filter=True))

        def cost(row):
            r, c = rate_of(row), row["_cores"]
            return None if r is None or c is None else (c * _f(r)) / days

        emit(step, rows, rate_type, "cost_model_cpu_cost", cost)
    else:
        rows = _fetch(con, stmts["monthly_project_tag_based"], params)

        def cost(row):
            r = rate_of(row)
            if r is None:
                return None
            amortized = decimal_divide(r, Decimal(days), 15)
            n = row["_node_count"]
            return amortized if n < 1 else decimal_divide(amortized, Decimal(n), 15)

        emit(step, rows, rate_type, "cost_model_cpu_cost", cost)


def _gpu_daily_rate(rate, days):
    """CAST(rate AS decimal(24,9)) / CAST(days AS decimal(24,9)): decimal(33,9), rounded half up."""
    return decimal_divide(to_decimal(rate, 24, 9), to_decimal(days, 24, 9), 9)


def _gpu_labels_rtu(row):
    """monthly_cost_gpu_rtu's 11-key map(varchar, varchar) cast to JSON (sorted keys, NULL values = null)."""
    prof = row["_mig_profile"]
    return _map_json({
        "gpu-model": row["_model"], "gpu-vendor": row["_vendor"],
        "gpu-memory-mib": None if row["_mib"] is None else java_double_to_string(float(row["_mib"])),
        "mig-profile": prof, "mig-slice-count": trino_int_text(row["_slices"]),
        "gpu-max-slices": trino_int_text(row["_max_slices"]), "mig-strategy": row["_mig_strategy"],
        "mig-memory-mib": trino_int_text(row["_mig_mib"]),
        "gpu-mode": "MIG" if prof is not None and prof != "" else "dedicated",
        "gpu-uuid": row["_gpu_uuid"], "mig-instance-id": row["_mig_instance_id"]})


_ZERO = object()  # the template's literal `0` (ELSE 0 / `0 AS calculated_cost`)


def _gpu_rate_choice(tp, model):
    """`rate` is never defined in our tag params: value_rates (WHEN model = 'value') / default_rate / 0."""
    if "value_rates" in tp:
        vr = {str(k): v for k, v in tp["value_rates"].items()}
        if model is not None and model in vr:
            return vr[model]
        return tp["default_rate"] if "default_rate" in tp else _ZERO
    if "default_rate" in tp:
        return tp["default_rate"]
    return _ZERO


def unutilized_uptime(row):
    """cte_unutilized_uptime_hours' CASE: DOUBLE (BIGINT * DECIMAL(33,15) exact, then * / - DOUBLE)."""
    strategy, n, ms, agg = row["_strategy"], row["_hour_count"], row["max_slices_per_gpu"], row["_aggregated"]
    aggc = 0.0 if agg is None else agg
    if strategy is None or strategy in ("mixed", "single"):
        if row["_gpu_count"] is None:
            return None
        capacity = Decimal(n) * to_decimal(row["_gpu_count"], 33, 15)
        _check_precision(capacity, 38, 15, "gpu count * hours")
        if strategy == "single":
            return float(capacity) - aggc
        return None if ms is None else float(capacity) * ms - aggc
    return 0.0


def run_tag_entry_rtu(con, stmts, base, metric, tp, m, days, vm_table, emit_rtu):
    rate_type = tp["rate_type"]
    if metric == GPU_MONTH:
        tag_key = str(tp.get("tag_key"))
        params = dict(base, vendor_like=tag_key + "%")
        rows = _fetch(con, stmts["monthly_cost_gpu_rtu"], params)
        for row in rows:
            row["all_labels"], row["pod_labels"] = _gpu_labels_rtu(row), None

        def gpu_cost(row):
            rate = _gpu_rate_choice(tp, row["_model"])
            if rate is _ZERO:
                return Decimal(0)
            if row["_uptime"] is None:
                return None
            s, mx = row["_slices"], row["_max_slices"]
            if s is not None and mx is not None and mx > 0:
                factor = decimal_divide(to_decimal(s, 24, 9), to_decimal(mx, 24, 9), 9)
            else:
                factor = Decimal("1.0")
            return (_f(_gpu_daily_rate(rate, days)) * (row["_uptime"] / 86400.0)) * _f(factor)

        emit_rtu("monthly_cost_gpu_rtu", rows, m, rate_type, "Tag", gpu_cost)

        rows = []
        for row in _fetch(con, stmts["monthly_cost_gpu_unallocated_rtu"], params):
            u = unutilized_uptime(row)
            if u is None or not u > 0:  # WHERE unutilized_uptime > 0
                continue
            ms = row["max_slices_per_gpu"]
            rows.append(dict(
                row, _unutilized=u, source_uuid=base["source"], usage_end=row["usage_start"],
                namespace="GPU unallocated", cluster_id=base["cluster_id"], cluster_alias=base["cluster_alias"],
                data_source="GPU", pod_labels=None, cost_category_id=None,
                all_labels=_map_json({"gpu-model": row["model"],
                                      "max-slices-per-gpu": bigint_text(ms)})))

        def unalloc_cost(row):
            rate = _gpu_rate_choice(tp, row["model"])
            if rate is _ZERO:
                return Decimal(0)
            ms = row["max_slices_per_gpu"]
            if ms is None:
                return None
            denom = to_decimal(float(days * 24) * ms, 24, 9)  # integer * integer * DOUBLE -> DOUBLE
            return _f(decimal_divide(to_decimal(rate, 24, 9), denom, 9)) * row["_unutilized"]

        emit_rtu("monthly_cost_gpu_rtu", rows, m, rate_type, "Tag", unalloc_cost)
        return

    step = {VM_HOUR: "hourly_cost_vm_tag_based_rtu", VM_CORE_MONTH: "monthly_vm_core_tag_based_rtu",
            VM_CORE_HOUR: "hourly_vm_core_tag_based_rtu"}[metric]
    _check_renderable(step, tp)
    set_tag_values(con, list(tp.get("value_rates", {})))
    params = dict(base, path=_tag_path(tp.get("tag_key")), has_default="default_rate" in tp)

    def rate_of(row):
        rate = _tag_rate(tp, row["_tag_value"])
        return None if rate is None else to_decimal(rate, 33, 15)

    if metric == VM_HOUR:
        fill_vmhrs(con, stmts, base, vm_table)
        rows = _fetch(con, stmts["hourly_cost_vm_tag_based_rtu"], params)
        emit_rtu(step, rows, m, rate_type, None,
                 lambda row: None if rate_of(row) is None else _hours_times(row["_hours"], rate_of(row)))
        return
    if metric == VM_CORE_HOUR:
        sql = vm_core_sql(stmts, "vm_core_tag_based_rtu", hours_expr="sum(vm_map.vm_uptime_total_seconds) / 3600")
        rows = _fetch(con, sql, dict(params, monthly=False))

        def cost(row):  # max(cores) * CAST(rate AS DECIMAL(33, 15)) * max(hours): DOUBLE
            r, c, h = rate_of(row), row["_cores"], row["_hours"]
            return None if r is None or c is None or h is None else (c * _f(r)) * h
    else:
        sql = vm_core_sql(stmts, "vm_core_tag_based_rtu", table="openshift_vm_usage_line_items_daily")
        rows = _fetch(con, sql, dict(params, monthly=True))

        def cost(row):  # (max(cores) * CAST(rate AS DECIMAL(33, 15))) / amortized_denominator: DOUBLE
            r, c = rate_of(row), row["_cores"]
            return None if r is None or c is None else (c * _f(r)) / days
    emit_rtu(step, rows, m, rate_type, "Tag", cost)


# ---------------------------------------------------------------- output
def format_value(col, v):
    if v is None:
        return oracle.NULL_TEXT
    if col in COST_COLUMNS:
        s = format(v, "f")
    elif col in LABEL_COLUMNS:
        s = udf_canon_json(v)
        if s is None:
            return oracle.NULL_TEXT
    elif isinstance(v, (dt.date, dt.datetime)):
        s = v.isoformat()
    else:
        s = str(v)
    if s == oracle.NULL_TEXT or s == "" or any(c in s for c in ',"\n\r'):
        s = '"' + s.replace('"', '""') + '"'
    return s


def write_csv(path, rows, columns=None):
    columns = columns or OUTPUT_COLUMNS
    lines = sorted(",".join(format_value(c, r[c]) for c in columns) for r in rows)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(columns) + "\n")
        for line in lines:
            f.write(line + "\n")
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag in ("--input", "--org", "--source", "--year", "--month", "--out", "--cluster-id", "--cluster-alias",
                 "--summary", "--cost-model"):
        ap.add_argument(flag, required=True)
    ap.add_argument("--report-period-id", required=True, type=int)
    ap.add_argument("--start", type=oracle.parse_date)
    ap.add_argument("--end", type=oracle.parse_date)
    ap.add_argument("--cost-category", action="append", default=[], metavar="PATTERN=ID")
    ap.add_argument("--rates-to-usage", action="store_true",
                    help="run the _rtu twins (rates_to_usage rows to --rtu-out) and the GPU distribution")
    ap.add_argument("--rtu-out", help="the rates_to_usage rows (with --rates-to-usage)")
    args, _ignored = ap.parse_known_args(argv)
    if args.rates_to_usage != bool(args.rtu_out):
        print("cost_model oracle: --rates-to-usage and --rtu-out go together", file=sys.stderr)
        return 2
    rtu_rows = []
    try:
        rows, rtu_rows = run_all(args)
        write_csv(args.out, rows)
        if args.rates_to_usage:
            write_csv(args.rtu_out, rtu_rows, RTU_COLUMNS)
    except duckdb.Error as e:
        print(f"cost_model oracle: query failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    except (OracleError, ValueError, TypeError, KeyError) as e:
        print(f"cost_model oracle: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    print(f"cost_model oracle: wrote {len(rows)} rows to {args.out}"
          + (f", {len(rtu_rows)} rows to {args.rtu_out}" if args.rates_to_usage else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
