#!/usr/bin/env python3
"""Compare two daily-summary CSVs (oracle format) as multisets of rows.

Usage: compare.py EXPECTED.csv ACTUAL.csv [--rel 1e-9] [--abs 1e-9] [--max-diffs 20]
                  [--preset summary|gpu|vm|cost_model|rtu|ocp_aws|ocp_aws_back_populate] [--float-columns a,b] [--int-columns a,b] [--json-columns a,b]
                  [--ignore-columns a,b]

The column roles default to the daily summary's (below). `--preset gpu` / `--preset vm` select those of vm_gpu.py's
outputs (gpu: floats memory_capacity_gb, mig_memory_capacity_gb; ints mig_slice_count, gpu_max_slices,
cost_category_id; vm: floats cpu_request, mem_request; no JSON or ignored column). Each `--*-columns` flag
replaces that role's set of the preset (an empty value = no column).

* `uuid` is ignored.
* String and integer columns must match exactly; `\\N` (unquoted) is NULL and only matches NULL.
* JSON columns (pod_labels, volume_labels, all_labels, infrastructure_usage_cost) are compared as parsed JSON
  (key order and whitespace ignored, numbers compared numerically).
* Float columns match when |a-b| <= abs or |a-b| <= rel * max(|a|, |b|); NaN matches NaN.
* Rows are matched on the tuple of all non-float columns; within a group sharing that tuple, rows are matched
  greedily in sorted order of their float columns.
Exit status: 0 when equal ("N rows match"), 1 on mismatch, 2 on unusable input.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict

NULL_TEXT = "\\N"
JSON_COLUMNS = {"pod_labels", "volume_labels", "all_labels", "infrastructure_usage_cost"}
INT_COLUMNS = {"report_period_id", "cost_category_id"}
FLOAT_COLUMNS = {
    "pod_usage_cpu_core_hours", "pod_request_cpu_core_hours", "pod_effective_usage_cpu_core_hours",
    "pod_limit_cpu_core_hours", "pod_usage_memory_gigabyte_hours", "pod_request_memory_gigabyte_hours",
    "pod_effective_usage_memory_gigabyte_hours", "pod_limit_memory_gigabyte_hours",
    "node_capacity_cpu_cores", "node_capacity_cpu_core_hours", "node_capacity_memory_gigabytes",
    "node_capacity_memory_gigabyte_hours", "cluster_capacity_cpu_core_hours",
    "cluster_capacity_memory_gigabyte_hours", "persistentvolumeclaim_capacity_gigabyte",
    "persistentvolumeclaim_capacity_gigabyte_months", "volume_request_storage_gigabyte_months",
    "persistentvolumeclaim_usage_gigabyte_months",
}
IGNORED_COLUMNS = {"uuid"}

PRESETS = {
    "summary": dict(float_columns=FLOAT_COLUMNS, int_columns=INT_COLUMNS, json_columns=JSON_COLUMNS,
                    ignore_columns=IGNORED_COLUMNS),
    "gpu": dict(float_columns={"memory_capacity_gb", "mig_memory_capacity_gb"},
                int_columns={"mig_slice_count", "gpu_max_slices", "cost_category_id"}, json_columns=set(),
                ignore_columns=set()),
    "vm": dict(float_columns={"cpu_request", "mem_request"}, int_columns=set(), json_columns=set(),
               ignore_columns=set()),
    "cost_model": dict(float_columns={"cost_model_cpu_cost", "cost_model_gpu_cost"},
                       int_columns={"report_period_id", "cost_category_id"},
                       json_columns={"pod_labels", "all_labels"}, ignore_columns={"uuid"}),
    "rtu": dict(float_columns={"calculated_cost", "distributed_cost"}, int_columns={"report_period_id", "cost_category_id"},
                json_columns={"pod_labels", "all_labels"}, ignore_columns={"uuid"}),
    # ocp_aws.py --out-project: reporting_ocpawscostlineitem_project_daily_summary_p
    "ocp_aws": dict(float_columns={"usage_amount", "infrastructure_data_in_gigabytes",
                                   "infrastructure_data_out_gigabytes", "unblended_cost", "markup_cost",
                                   "blended_cost", "markup_cost_blended", "savingsplan_effective_cost",
                                   "markup_cost_savingsplan", "calculated_amortized_cost", "markup_cost_amortized"},
                    int_columns={"report_period_id", "cost_entry_bill_id", "account_alias_id", "cost_category_id"},
                    json_columns={"pod_labels", "tags", "aws_cost_category"}, ignore_columns={"uuid"}),
    # ocp_aws.py --out-back-populate: the daily-summary rows of the back-populate (usage columns are integer 0)
    "ocp_aws_back_populate": dict(
        float_columns={"infrastructure_raw_cost", "infrastructure_project_raw_cost",
                       "infrastructure_data_in_gigabytes", "infrastructure_data_out_gigabytes"},
        int_columns={"report_period_id", "cost_category_id"} | (FLOAT_COLUMNS - {
            "pod_effective_usage_cpu_core_hours", "pod_effective_usage_memory_gigabyte_hours"}),
        json_columns={"pod_labels", "volume_labels", "all_labels", "infrastructure_usage_cost",
                      "supplementary_usage_cost"},
        ignore_columns={"uuid"}),
}


class Roles:
    """Which columns are floats / integers / JSON / ignored (default: the daily summary's)."""

    def __init__(self, float_columns=None, int_columns=None, json_columns=None, ignore_columns=None):
        self.floats = set(FLOAT_COLUMNS if float_columns is None else float_columns)
        self.ints = set(INT_COLUMNS if int_columns is None else int_columns)
        self.jsons = set(JSON_COLUMNS if json_columns is None else json_columns)
        self.ignored = set(IGNORED_COLUMNS if ignore_columns is None else ignore_columns)


DEFAULT_ROLES = Roles()


class InputError(Exception):
    pass


class _Null:
    """Sentinel for SQL NULL (sorts before every value)."""
    def __repr__(self):
        return "NULL"


NULL = _Null()


def parse_csv(text: str):
    """RFC-4180 parser that remembers whether a field was quoted (so `"\\N"` is the string, `\\N` is NULL).
    Returns a list of records; each record is a list of (value, quoted)."""
    records, record, field, quoted = [], [], [], False
    i, n = 0, len(text)
    at_field_start = True
    while i < n:
        ch = text[i]
        if at_field_start and ch == '"':
            quoted, at_field_start = True, False
            i += 1
            while True:
                if i >= n:
                    raise InputError("unterminated quoted field")
                ch = text[i]
                if ch == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        field.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                field.append(ch)
                i += 1
            continue
        if ch == ",":
            record.append(("".join(field), quoted))
            field, quoted, at_field_start = [], False, True
            i += 1
        elif ch == "\n" or ch == "\r":
            record.append(("".join(field), quoted))
            records.append(record)
            record, field, quoted, at_field_start = [], [], False, True
            i += 2 if (ch == "\r" and i + 1 < n and text[i + 1] == "\n") else 1
        else:
            if quoted:
                raise InputError(f"character {ch!r} after closing quote")
            field.append(ch)
            at_field_start = False
            i += 1
    if field or record or quoted:
        record.append(("".join(field), quoted))
        records.append(record)
    return records


def _json_norm(obj):
    if isinstance(obj, dict):
        return {k: _json_norm(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_norm(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    return float(obj)


def convert(col, value, quoted, where, roles=DEFAULT_ROLES):
    if value == NULL_TEXT and not quoted:
        return NULL
    if col in roles.floats:
        try:
            return float(value)
        except ValueError:
            raise InputError(f"{where}: column {col}: not a number: {value!r}")
    if col in roles.ints:
        try:
            return int(value)
        except ValueError:
            raise InputError(f"{where}: column {col}: not an integer: {value!r}")
    if col in roles.jsons:
        try:
            obj = _json_norm(json.loads(value))
        except ValueError:
            raise InputError(f"{where}: column {col}: invalid JSON: {value!r}")
        return ("json", json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    return value


def load(path, roles=DEFAULT_ROLES):
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    except OSError as e:
        raise InputError(f"{path}: {e}")
    records = parse_csv(text)
    if not records:
        raise InputError(f"{path}: empty file (no header)")
    header = [v for v, _ in records[0]]
    if len(set(header)) != len(header):
        raise InputError(f"{path}: duplicate column names in header")
    rows = []
    for ln, rec in enumerate(records[1:], start=2):
        if len(rec) == 1 and rec[0] == ("", False):
            continue  # blank line
        if len(rec) != len(header):
            raise InputError(f"{path}: record {ln}: {len(rec)} fields, header has {len(header)}")
        rows.append({c: convert(c, v, q, f"{path}: record {ln}", roles) for c, (v, q) in zip(header, rec)})
    return header, rows


def show(v):
    if v is NULL:
        return "NULL"
    if isinstance(v, tuple) and v and v[0] == "json":
        return v[1]
    if isinstance(v, float):
        return repr(v)
    return repr(v)


def float_close(a, b, rel, abs_):
    if a is NULL or b is NULL:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    d = abs(a - b)
    return d <= abs_ or d <= rel * max(abs(a), abs(b))


def _sort_key_value(v):
    if v is NULL:
        return (0, 0.0)
    if math.isnan(v):
        return (2, 0.0)
    return (1, v)


def compare(expected_path, actual_path, rel=1e-9, abs_=1e-9, max_diffs=20, out=None, roles=None):
    out = sys.stdout if out is None else out
    roles = roles or DEFAULT_ROLES
    eh, erows = load(expected_path, roles)
    ah, arows = load(actual_path, roles)
    if set(eh) != set(ah):
        only_e = sorted(set(eh) - set(ah))
        only_a = sorted(set(ah) - set(eh))
        print(f"column sets differ: only in expected {only_e}, only in actual {only_a}", file=out)
        return 1
    cols = [c for c in eh if c not in roles.ignored]
    num_cols = [c for c in cols if c in roles.floats]
    key_cols = [c for c in cols if c not in roles.floats]

    def group(rows):
        g = defaultdict(list)
        for r in rows:
            g[tuple(r[c] for c in key_cols)].append(r)
        for k in g:
            g[k].sort(key=lambda r: [_sort_key_value(r[c]) for c in num_cols])
        return g

    eg, ag = group(erows), group(arows)
    diffs = []  # (kind, text)

    def key_text(k):
        return ", ".join(f"{c}={show(v)}" for c, v in zip(key_cols, k))

    def row_text(r):
        return ", ".join(f"{c}={show(r[c])}" for c in num_cols)

    for k in sorted(set(eg) | set(ag), key=lambda k: [show(v) for v in k]):
        es, as_ = eg.get(k, []), list(ag.get(k, []))
        unmatched_e = []
        for e in es:
            for j, a in enumerate(as_):
                if all(float_close(e[c], a[c], rel, abs_) for c in num_cols):
                    del as_[j]
                    break
            else:
                unmatched_e.append(e)
        # pair the leftovers of the same group to show column differences
        while unmatched_e and as_:
            e, a = unmatched_e.pop(0), as_.pop(0)
            cd = [f"    {c}: expected {show(e[c])}, actual {show(a[c])}"
                  for c in num_cols if not float_close(e[c], a[c], rel, abs_)]
            diffs.append(f"DIFF  [{key_text(k)}]\n" + "\n".join(cd))
        for e in unmatched_e:
            diffs.append(f"MISSING (expected, not in actual) [{key_text(k)}]\n    {row_text(e)}")
        for a in as_:
            diffs.append(f"EXTRA (in actual, not expected) [{key_text(k)}]\n    {row_text(a)}")

    if diffs:
        print(f"MISMATCH: expected {len(erows)} rows, actual {len(arows)} rows, {len(diffs)} differences "
              f"(rel={rel}, abs={abs_})", file=out)
        for d in diffs[:max_diffs]:
            print(d, file=out)
        if len(diffs) > max_diffs:
            print(f"... and {len(diffs) - max_diffs} more", file=out)
        return 1
    print(f"{len(erows)} rows match", file=out)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("expected")
    ap.add_argument("actual")
    ap.add_argument("--rel", type=float, default=1e-9)
    ap.add_argument("--abs", type=float, default=1e-9, dest="abs_")
    ap.add_argument("--max-diffs", type=int, default=20)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="summary",
                    help="column roles: the daily summary's (default) or vm_gpu.py's gpu / vm outputs")
    for role in ("float", "int", "json", "ignore"):
        ap.add_argument(f"--{role}-columns", metavar="A,B", help=f"replace the preset's {role} columns")
    a = ap.parse_args(argv)
    kw = dict(PRESETS[a.preset])
    for role in ("float", "int", "json", "ignore"):
        v = getattr(a, f"{role}_columns")
        if v is not None:
            kw[f"{role}_columns"] = {c.strip() for c in v.split(",") if c.strip()}
    try:
        return compare(a.expected, a.actual, a.rel, a.abs_, a.max_diffs, roles=Roles(**kw))
    except InputError as e:
        print(f"compare: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # output piped into head
        sys.exit(1)
