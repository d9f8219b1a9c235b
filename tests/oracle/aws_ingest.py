#!/usr/bin/env python3
"""Independent port of masu's AWS CUR → Parquet rules, checked against the files `ingest --provider aws` wrote.

Usage: aws_ingest.py --input MANIFEST.json|DIR --root OUT_DIR --org ORG --source UUID
                     [--manifest-id 1] [--chunk-rows 200000]

Plain Python (csv, gzip, json, re) for the expected frames, duckdb only to read the Parquet files. Ported from
`project-koku/koku`:
* `koku/masu/external/downloader/aws/aws_report_downloader.py`, `create_daily_archives`: chunks of
  PARQUET_PROCESSING_BATCH_SIZE rows, the columns of RECOMMENDED_COLUMNS | OPTIONAL_COLS (or the *_ALT_* sets when
  the header has no `bill/InvoiceId`) plus the `resourcetags*` / `costcategory*` columns that are not empty in every
  row (`fetch_optional_columns`), one CSV per day of `identity/TimeInterval`:
  `{date}_manifestid-{id}_basefile-{base}_batch-{i}.csv`.
* `koku/masu/util/aws/aws_post_processor.py` @ b484555: the `usecols` prefixes, COL_TRANSLATION, the converters,
  `handle_user_defined_json_columns` (sorted columns, `if value`, `json.dumps`), `TRINO_REQUIRED_COLUMNS` defaults,
  `strip_characters_from_column_name`, the drop of `resourceTags/` and `costCategory/` columns, and
  `_generate_daily_data` (group-by with `dropna=False`, sorted; sum / max; `row_uuid`).
* `koku/masu/processor/parquet/parquet_report_processor.py` @ a5afc4f: `{stem}_0.parquet` under
  `data/parquet/ORG/AWS/source=UUID/year=/month=`, `{stem}_daily_0.parquet` under `data/parquet/daily/ORG/AWS/raw/...`.

Compares the set of files, then per file the column names in order, their types (string → VARCHAR, float →
DOUBLE, dated text with a zone → TIMESTAMP WITH TIME ZONE), and every row and column (floats within 1e-9 relative;
`row_uuid` only as a version-4 uuid). Prints "N files, M rows match" and exits 0, or lists differences and exits 1.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import glob
import gzip
import io
import json
import math
import os
import re
import sys

import duckdb

RECOMMENDED = """bill/BillingEntity bill/BillType bill/PayerAccountId bill/BillingPeriodStartDate bill/BillingPeriodEndDate
bill/InvoiceId identity/TimeInterval lineItem/LineItemType lineItem/LegalEntity lineItem/LineItemDescription
lineItem/UsageAccountId lineItem/UsageStartDate lineItem/UsageEndDate lineItem/ProductCode lineItem/UsageType
lineItem/Operation lineItem/AvailabilityZone lineItem/ResourceId lineItem/UsageAmount lineItem/NormalizationFactor
lineItem/NormalizedUsageAmount lineItem/CurrencyCode lineItem/UnblendedRate lineItem/UnblendedCost lineItem/BlendedRate
lineItem/BlendedCost savingsPlan/SavingsPlanEffectiveCost lineItem/TaxType pricing/publicOnDemandCost
pricing/publicOnDemandRate reservation/AmortizedUpfrontFeeForBillingPeriod reservation/AmortizedUpfrontCostForUsage
reservation/RecurringFeeForUsage reservation/UnusedQuantity reservation/UnusedRecurringFee pricing/term pricing/unit
product/sku product/ProductName product/productFamily product/servicecode product/region
reservation/NumberOfReservations reservation/UnitsPerReservation reservation/StartTime reservation/EndTime""".split()
OPTIONAL = "product/physicalCores product/instanceType product/vcpu product/memory product/operatingSystem".split()
RECOMMENDED_ALT = """bill_billing_entity bill_bill_type bill_payer_account_id bill_billing_period_start_date
bill_billing_period_end_date bill_invoice_id identity_time_interval line_item_legal_entity
line_item_line_item_description line_item_line_item_type line_item_usage_account_id line_item_usage_start_date
line_item_usage_end_date line_item_product_code line_item_usage_type line_item_operation line_item_availability_zone
line_item_resource_id line_item_usage_amount line_item_normalization_factor line_item_normalized_usage_amount
line_item_currency_code line_item_unblended_rate line_item_unblended_cost line_item_blended_rate
line_item_blended_cost savings_plan_savings_plan_effective_cost line_item_tax_type pricing_public_on_demand_cost
pricing_public_on_demand_rate reservation_amortized_upfront_fee_for_billing_period
reservation_amortized_upfront_cost_for_usage reservation_recurring_fee_for_usage reservation_unused_quantity
reservation_unused_recurring_fee pricing_term pricing_unit product_sku product_product_name product_product_family
product_servicecode product_region reservation_number_of_reservations reservation_units_per_reservation
reservation_start_time reservation_end_time""".split()
OPTIONAL_ALT = "product_physical_cores product_instancetype product_vcpu product_memory product_operating_system".split()
CSV_COLUMN_PREFIX = ("resourceTags/", "costCategory/", "bill/", "lineItem/", "pricing/", "discount/", "product/sku")

# COL_TRANSLATION: alt name -> slash name, derived the way masu lists it (same pairs).
_SLASH = [c for c in RECOMMENDED if c not in ("lineItem/LegalEntity", "lineItem/LineItemDescription")]
COL_TRANSLATION = {
    "bill_billing_entity": "bill/BillingEntity", "bill_bill_type": "bill/BillType",
    "bill_payer_account_id": "bill/PayerAccountId", "bill_billing_period_start_date": "bill/BillingPeriodStartDate",
    "bill_billing_period_end_date": "bill/BillingPeriodEndDate", "bill_invoice_id": "bill/InvoiceId",
    "line_item_line_item_type": "lineItem/LineItemType", "line_item_usage_account_id": "lineItem/UsageAccountId",
    "line_item_usage_start_date": "lineItem/UsageStartDate", "line_item_usage_end_date": "lineItem/UsageEndDate",
    "line_item_product_code": "lineItem/ProductCode", "line_item_usage_type": "lineItem/UsageType",
    "line_item_operation": "lineItem/Operation", "line_item_availability_zone": "lineItem/AvailabilityZone",
    "line_item_resource_id": "lineItem/ResourceId", "line_item_usage_amount": "lineItem/UsageAmount",
    "line_item_normalization_factor": "lineItem/NormalizationFactor",
    "line_item_normalized_usage_amount": "lineItem/NormalizedUsageAmount",
    "line_item_currency_code": "lineItem/CurrencyCode", "line_item_unblended_rate": "lineItem/UnblendedRate",
    "line_item_unblended_cost": "lineItem/UnblendedCost", "line_item_blended_rate": "lineItem/BlendedRate",
    "line_item_blended_cost": "lineItem/BlendedCost",
    "savings_plan_savings_plan_effective_cost": "savingsPlan/SavingsPlanEffectiveCost",
    "line_item_tax_type": "lineItem/TaxType", "pricing_public_on_demand_cost": "pricing/publicOnDemandCost",
    "pricing_public_on_demand_rate": "pricing/publicOnDemandRate",
    "reservation_amortized_upfront_fee_for_billing_period": "reservation/AmortizedUpfrontFeeForBillingPeriod",
    "reservation_amortized_upfront_cost_for_usage": "reservation/AmortizedUpfrontCostForUsage",
    "reservation_recurring_fee_for_usage": "reservation/RecurringFeeForUsage",
    "reservation_unused_quantity": "reservation/UnusedQuantity",
    "reservation_unused_recurring_fee": "reservation/UnusedRecurringFee", "pricing_term": "pricing/term",
    "pricing_unit": "pricing/unit", "product_sku": "product/sku", "product_product_name": "product/ProductName",
    "product_product_family": "product/productFamily", "product_servicecode": "product/servicecode",
    "product_region": "product/region", "product_instance_type": "product/instanceType",
    "product_memory": "product/memory", "product_vcpu": "product/vcpu",
    "reservation_number_of_reservations": "reservation/NumberOfReservations",
    "reservation_units_per_reservation": "reservation/UnitsPerReservation",
    "reservation_start_time": "reservation/StartTime", "reservation_end_time": "reservation/EndTime",
    "product_physical_cores": "product/physicalCores", "identity_time_interval": "identity/TimeInterval",
    "product_operating_system": "product/operatingSystem",
}
DATE_CONV = {"bill/billingperiodstartdate", "bill/billingperiodenddate", "lineitem/usagestartdate",
             "lineitem/usageenddate", "bill_billing_period_start_date", "bill_billing_period_end_date",
             "line_item_usage_start_date", "line_item_usage_end_date"}
FLOAT_CONV = {"lineitem/usageamount", "lineitem/normalizationfactor", "lineitem/normalizedusageamount",
              "lineitem/unblendedrate", "lineitem/unblendedcost", "lineitem/blendedrate", "lineitem/blendedcost",
              "pricing/publicondemandcost", "pricing/publicondemandrate", "savingsplan/savingsplaneffectivecost",
              "line_item_usage_amount", "line_item_normalization_factor", "line_item_normalized_usage_amount",
              "line_item_unblended_rate", "line_item_unblended_cost", "line_item_blended_rate",
              "line_item_blended_cost", "pricing_public_on_demand_cost", "pricing_public_on_demand_rate",
              "savings_plan_savings_plan_effective_cost"}
TRINO_REQUIRED = [  # (name, default) in models.py dict order
    ("bill/BillingEntity", ""), ("lineItem/UsageStartDate", None), ("lineItem/ProductCode", ""),
    ("product/productFamily", ""), ("product/ProductName", ""), ("lineItem/UsageAccountId", ""),
    ("lineItem/LegalEntity", ""), ("lineItem/LineItemDescription", ""), ("lineItem/LineItemType", ""),
    ("lineItem/AvailabilityZone", ""), ("product/region", ""), ("product/instanceType", ""),
    ("product/physicalCores", ""), ("product/vcpu", ""), ("product/memory", ""), ("product/operatingSystem", ""),
    ("pricing/unit", ""), ("lineItem/UsageAmount", 0.0), ("lineItem/NormalizationFactor", 0.0),
    ("lineItem/NormalizedUsageAmount", 0.0), ("lineItem/CurrencyCode", ""), ("lineItem/UnblendedRate", 0.0),
    ("lineItem/UnblendedCost", 0.0), ("lineItem/BlendedRate", 0.0), ("lineItem/BlendedCost", 0.0),
    ("savingsPlan/SavingsPlanEffectiveCost", 0.0), ("pricing/publicOnDemandCost", 0.0),
    ("pricing/publicOnDemandRate", 0.0), ("lineItem/ResourceId", ""), ("resourceTags", ""), ("costCategory", ""),
]
GROUP_BY = ["lineitem_resourceid", "lineitem_usagestartdate", "bill_payeraccountid", "lineitem_usageaccountid",
            "lineitem_legalentity", "lineitem_lineitemdescription", "bill_billingentity", "lineitem_productcode",
            "lineitem_availabilityzone", "lineitem_lineitemtype", "lineitem_usagetype", "lineitem_operation",
            "product_productfamily", "product_operatingsystem", "product_instancetype", "product_region",
            "pricing_unit", "resourcetags", "costcategory"]
AGG = [("lineitem_usageamount", "sum"), ("lineitem_normalizationfactor", "max"),
       ("lineitem_normalizedusageamount", "sum"), ("lineitem_currencycode", "max"),
       ("lineitem_unblendedrate", "max"), ("lineitem_unblendedcost", "sum"), ("lineitem_blendedrate", "max"),
       ("lineitem_blendedcost", "sum"), ("pricing_publicondemandcost", "sum"), ("pricing_publicondemandrate", "max"),
       ("savingsplan_savingsplaneffectivecost", "sum"), ("bill_invoiceid", "max"), ("product_productname", "max"),
       ("product_vcpu", "max"), ("product_memory", "max")]
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def strip_characters_from_column_name(name):
    return re.sub(r"\W+", "_", name).lower()


def safe_float(text):
    try:
        return float(text)
    except (ValueError, TypeError):
        return 0.0


def parse_date(text):
    """ciso8601.parse_datetime → (epoch ms, tz-aware)."""
    d = dt.datetime.fromisoformat(text)
    aware = d.tzinfo is not None
    if not aware:
        d = d.replace(tzinfo=dt.timezone.utc)
    return int(d.timestamp() * 1000), aware


def read_rows(path):
    raw = gzip.open(path, "rt", newline="") if path.endswith(".gz") else open(path, newline="")
    with raw:
        reader = csv.reader(raw)
        header = next(reader)
        return header, [r + [""] * (len(header) - len(r)) for r in reader]


def json_column(names, row_of, prefix):
    """handle_user_defined_json_columns: the columns containing the prefix, in sorted column order."""
    cols = sorted(n for n in names if prefix in n)
    out = {}
    for c in cols:
        v = row_of[c]
        if v:
            out[c.replace(prefix, "")] = v
    return json.dumps(out)


def expected_files(path, org, source, manifest_id, chunk_rows, billing_month):
    header, rows = read_rows(path)
    slash = "bill/InvoiceId" in header
    base = os.path.basename(path).split(".")[0]
    split_cols = set(RECOMMENDED + OPTIONAL) if slash else set(RECOMMENDED_ALT + OPTIONAL_ALT)
    optional = ("resourcetags", "costcategory", "resource_tags", "cost_category")
    parquet_cols = set(RECOMMENDED + OPTIONAL + RECOMMENDED_ALT + OPTIONAL_ALT)
    kept = []
    for i, h in enumerate(header):
        is_opt = h.lower().startswith(optional)
        in_split = h in split_cols or (is_opt and any(r[i] for r in rows))
        in_parquet = h in parquet_cols or h.startswith(CSV_COLUMN_PREFIX)
        if in_split and in_parquet:
            name = COL_TRANSLATION.get(h, h) if "/" not in h else h
            kept.append((i, h, name))
    names = [n for _, _, n in kept]
    interval = next(i for i, _, n in kept if n == "identity/TimeInterval")
    files = {}
    for batch in range(0, max(len(rows), 1), chunk_rows):
        chunk = rows[batch:batch + chunk_rows]
        days = {}
        for r in chunk:
            days.setdefault(r[interval].split("T")[0], []).append(r)
        for day, day_rows in days.items():
            y, m = billing_month or (int(day[0:4]), int(day[5:7]))
            stem = f"{day}_manifestid-{manifest_id}_basefile-{base}_batch-{batch // chunk_rows}"
            cols = []  # (output name, kind, values)
            for i, h, name in kept:
                if "resourceTags/" in name or "costCategory/" in name:
                    continue
                low = h.lower()
                if low in DATE_CONV:
                    parsed = [parse_date(r[i]) for r in day_rows]
                    cols.append((name, "ts" if parsed[0][1] else "ts_naive", [p[0] for p in parsed]))
                elif low in FLOAT_CONV:
                    cols.append((name, "f", [safe_float(r[i]) for r in day_rows]))
                else:
                    cols.append((name, "s", [r[i] for r in day_rows]))
            by_name = [{n: r[i] for i, _, n in kept} for r in day_rows]
            cols.append(("resourceTags", "s", [json_column(names, d, "resourceTags/user:") for d in by_name]))
            cols.append(("costCategory", "s", [json_column(names, d, "costCategory/") for d in by_name]))
            present = {c[0] for c in cols}
            for name, default in TRINO_REQUIRED:
                if name not in present:
                    cols.append((name, "f" if isinstance(default, float) else "s", [default] * len(day_rows)))
            hourly = [(strip_characters_from_column_name(n), k, v) for n, k, v in cols]
            part = f"{org}/AWS/source={source}/year={y:04d}/month={m:02d}"
            files[f"data/parquet/{part}/{stem}_0.parquet"] = hourly
            files[f"data/parquet/daily/{org}/AWS/raw/source={source}/year={y:04d}/month={m:02d}/{stem}_daily_0.parquet"] = \
                daily(hourly, len(day_rows))
    return files


def daily(hourly, n):
    col = {name: (kind, values) for name, kind, values in hourly}
    groups = {}
    for r in range(n):
        key = tuple(
            (col[k][1][r] // 86_400_000) * 86_400_000 if k == "lineitem_usagestartdate" else col[k][1][r]
            for k in GROUP_BY)
        groups.setdefault(key, []).append(r)
    keys = sorted(groups)
    out = [(k, col[k][0], [key[i] for key in keys]) for i, k in enumerate(GROUP_BY)]
    for name, how in AGG:
        kind, values = col[name]
        vals = []
        for key in keys:
            xs = [values[r] for r in groups[key]]
            if kind == "f":
                xs = [x for x in xs if not math.isnan(x)]
                vals.append(math.fsum(xs) if how == "sum" else (max(xs) if xs else math.nan))
            else:
                vals.append(max(xs))
        out.append((name, kind, vals))
    out.append(("row_uuid", "uuid", [None] * len(keys)))
    return out


TYPES = {"s": "VARCHAR", "uuid": "VARCHAR", "f": "DOUBLE", "ts": "TIMESTAMP WITH TIME ZONE", "ts_naive": "TIMESTAMP"}


def read_parquet(con, path):
    desc = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}', hive_partitioning=false)").fetchall()
    sel = ", ".join(f'epoch_ms("{d[0]}")' if d[1].startswith("TIMESTAMP") else f'"{d[0]}"' for d in desc)
    rows = con.execute(f"SELECT {sel} FROM read_parquet('{path}', hive_partitioning=false)").fetchall()
    return [(d[0], d[1]) for d in desc], rows


def same(a, b, kind):
    if kind == "f":
        if a is None or b is None:
            return a is b
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)
    if kind == "uuid":
        return bool(UUID4.match(b or ""))
    return a == b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--org", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--manifest-id", type=int, default=1)
    ap.add_argument("--chunk-rows", type=int, default=200_000)
    a = ap.parse_args()
    manifest = a.input
    if os.path.isdir(manifest):
        found = sorted(glob.glob(os.path.join(manifest, "**", "*Manifest.json"), recursive=True))
        assert len(found) == 1, found
        manifest = found[0]
    m = json.load(open(manifest))
    start = m.get("billingPeriod", {}).get("start")
    billing_month = (int(start[0:4]), int(start[4:6])) if start else None
    expected = {}
    for key in m["reportKeys"]:
        path = os.path.join(os.path.dirname(manifest), key.split("/")[-1])
        expected.update(expected_files(path, a.org, a.source, a.manifest_id, a.chunk_rows, billing_month))
    actual = sorted(os.path.relpath(p, a.root) for p in glob.glob(os.path.join(a.root, "data", "**", "*.parquet"),
                                                                   recursive=True))
    problems = []
    if sorted(expected) != actual:
        problems.append(f"files differ:\n  expected {sorted(expected)}\n  actual   {actual}")
    con = duckdb.connect()
    total = 0
    for rel, cols in sorted(expected.items()):
        if rel not in actual:
            continue
        desc, rows = read_parquet(con, os.path.join(a.root, rel))
        want = [(n, TYPES[k]) for n, k, _ in cols]
        if desc != want:
            problems.append(f"{rel}: schema\n  expected {want}\n  actual   {desc}")
            continue
        n = len(cols[0][2])
        if len(rows) != n:
            problems.append(f"{rel}: {len(rows)} rows, expected {n}")
            continue
        for r in range(n):
            for c, (name, kind, values) in enumerate(cols):
                if not same(values[r], rows[r][c], kind):
                    problems.append(f"{rel}: row {r}, column {name}: expected {values[r]!r}, got {rows[r][c]!r}")
                    if len(problems) > 20:
                        break
        total += n
    if problems:
        print("\n".join(problems[:20]))
        sys.exit(1)
    print(f"{len(expected)} files, {total} rows match")


if __name__ == "__main__":
    main()
