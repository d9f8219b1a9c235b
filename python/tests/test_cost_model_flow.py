"""masu's whole OpenShift flow with Trino off, and the oracle's flow on the same data.

masu's side runs, in masu's order, with ocp_summary in Trino's place: the cluster tables
(`populate_openshift_cluster_information_tables`), the daily summary in `TRINO_DATE_STEP` chunks
(`update_summary_tables`), then `OCPCostModelCostUpdater.update_summary_cost_model_costs`' Trino
calls with the rates masu's `CostModelDBAccessor` reads from the tenant's cost model
(`populate_vm_usage_costs` per cost type, `populate_monthly_cost_sql("OCP_VM_CORE")`, masu's tag
delete and `populate_tag_based_costs`), and the UI steps (`populate_gpu_summary`,
`populate_vm_tmp_table`).

The oracle's side is independent of the engine: tests/oracle/oracle.py computes the daily summary
from the Parquet, tests/oracle/cost_model.py the cost rows from that summary, vm_gpu.py the VM
temp-table rows. The database must hold the same rows, and a second pass of masu's cost calls must
leave it unchanged."""

import datetime
import json
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import ocp_summary
from conftest import CLUSTER_ALIAS, CLUSTER_ID, ORG, REPO, REPORT_PERIOD_ID, SCHEMA, SOURCE, psql

SUMMARY = f"{SCHEMA}.reporting_ocpusagelineitem_daily_summary"
FIXTURE = REPO / "tests" / "fixtures" / "cost_model.json"
TRINO_DATE_STEP = 5
START, END = datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)
KEYS = ("app", "team", "environment")
INFRA, SUPP = "Infrastructure", "Supplementary"
# koku/cost_models/sql_parameters.py, api/metrics/constants.py
VM_HOUR, VM_CORE_HOUR, VM_CORE_MONTH = "vm_cost_per_hour", "vm_core_cost_per_hour", "vm_core_cost_per_month"


def oracle_python():
    out = subprocess.run(
        ["bash", str(REPO / "scripts" / "setup-python.sh")], capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]


def oracle(script, *args):
    out = subprocess.run(
        [oracle_python(), str(REPO / "tests" / "oracle" / script), *map(str, args)],
        capture_output=True, text=True,
    )
    assert out.returncode == 0, f"{script}: {out.stderr}"
    return out.stdout


def common_args(dataset):
    return [
        "--input", dataset, "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "03",
        "--cluster-id", CLUSTER_ID, "--cluster-alias", CLUSTER_ALIAS,
    ]


def compare(preset, expected, actual, *extra):
    out = oracle("compare.py", "--preset", preset, *extra, expected, actual)
    assert "rows match" in out, out
    return out


def export(url, select, path):
    psql(url, f"\\copy ({select}) TO '{path}' WITH (FORMAT csv, HEADER, NULL '\\N')")


# --- masu's side ------------------------------------------------------------------------------

def price_list(rates, cost_type):
    """CostModelDBAccessor.infrastructure_rates / supplementary_rates: the first tier's value,
    two rates of one metric and type added as floats."""
    out = {}
    for rate in rates:
        if not rate.get("tiered_rates"):
            continue
        if rate.get("cost_type", INFRA) != cost_type:
            continue
        name, value = rate["metric"]["name"], rate["tiered_rates"][0]["value"]
        out[name] = float(out[name]) + float(value) if name in out else value
    return out


def metric_to_tag_params_map(rates):
    """CostModelDBAccessor.metric_to_tag_params_map."""
    out = {}
    for rate in rates:
        tag = rate.get("tag_rates")
        if not tag:
            continue
        param = {"rate_type": rate.get("cost_type", INFRA), "tag_key": tag.get("tag_key")}
        values = {}
        for tv in tag.get("tag_values"):
            if tv.get("default"):
                param["default_rate"] = float(tv.get("value"))
            else:
                values[tv.get("tag_value")] = float(tv.get("value"))
        if values:
            param["value_rates"] = values
        out.setdefault(rate["metric"]["name"], []).append(param)
    return out


def masu_summary(url, storage):
    provider = uuid.UUID(SOURCE)
    ocp_summary.populate_cluster_information(
        SOURCE, CLUSTER_ID, CLUSTER_ALIAS, START, END, schema=SCHEMA, database_url=url, **storage
    )
    start = START
    while start <= END:
        end = min(start + datetime.timedelta(days=TRINO_DATE_STEP - 1), END)
        ocp_summary.populate_line_item_daily_summary_table_trino(
            start, end, REPORT_PERIOD_ID, CLUSTER_ID, CLUSTER_ALIAS, provider,
            schema=SCHEMA, database_url=url, **storage,
        )
        start = end + datetime.timedelta(days=1)


def masu_cost_model(url, storage, model):
    """update_summary_cost_model_costs' Trino calls, masu's parameters."""
    provider = uuid.UUID(SOURCE)
    rates = model["rates"]
    infra, supp = price_list(rates, INFRA), price_list(rates, SUPP)
    db = dict(schema=SCHEMA, database_url=url, input=storage["input"])
    out = {}
    # _update_usage_costs → populate_vm_usage_costs(rate_type, vm_usage_rates, ...)
    for rate_type, typed in ((INFRA, infra), (SUPP, supp)):
        vm_rates = {k: v for k, v in typed.items() if k in (VM_HOUR, VM_CORE_HOUR)}
        if vm_rates:
            out[f"vm {rate_type}"] = ocp_summary.populate_vm_usage_costs(
                rate_type, vm_rates, START, END, provider, REPORT_PERIOD_ID, **db
            )
    # _update_monthly_cost for OCP_VM_CORE: the infrastructure rate, else the supplementary one.
    rate_type, rate = None, None
    if infra.get(VM_CORE_MONTH):
        rate_type, rate = INFRA, infra[VM_CORE_MONTH]
    elif supp.get(VM_CORE_MONTH):
        rate_type, rate = SUPP, supp[VM_CORE_MONTH]
    amortized = None if rate is None else Decimal(rate) / 31  # get_amortized_monthly_cost_model_rate
    out["monthly"] = ocp_summary.populate_monthly_cost_sql(
        "OCP_VM_CORE", rate_type, amortized, START, END, "cpu", provider,
        report_period_id=REPORT_PERIOD_ID, **db,
    )
    # _delete_tag_usage_costs, then populate_tag_based_costs.
    psql(
        url,
        f"""DELETE FROM {SUMMARY} WHERE source_uuid = '{SOURCE}' AND usage_start >= '{START}'
            AND usage_start <= '{END}' AND report_period_id = {REPORT_PERIOD_ID}
            AND monthly_cost_type IN ('Tag', 'Node_Core_Hour')""",
    )
    out["tag"] = ocp_summary.populate_tag_based_costs(
        START, END, provider, metric_to_tag_params_map(rates),
        {"cluster_id": CLUSTER_ID, "cluster_alias": CLUSTER_ALIAS},
        report_period_id=REPORT_PERIOD_ID, **db,
    )
    return out


def store_cost_model(url, model):
    text = json.dumps(model)
    psql(
        url,
        f"""INSERT INTO {SCHEMA}.cost_model (uuid, name, rates, distribution_info)
            SELECT (j->>'uuid')::uuid, 'flow', j->'rates', j->'distribution_info'
            FROM (SELECT $j${text}$j$::jsonb AS j) x;
            INSERT INTO {SCHEMA}.cost_model_map (provider_uuid, cost_model_id)
            SELECT '{SOURCE}', uuid FROM {SCHEMA}.cost_model;
            INSERT INTO {SCHEMA}.reporting_enabledtagkeys (key, enabled, provider_type)
            VALUES ('environment', true, 'OCP')""",
    )


def cost_rows(url):
    return sorted(
        psql(
            url,
            f"""SELECT data_source, usage_start, namespace, node, resource_id, pod_labels::text,
                       monthly_cost_type, cost_model_rate_type, cost_model_cpu_cost, cost_model_gpu_cost
                FROM {SUMMARY} WHERE cost_model_rate_type IS NOT NULL""",
        ).splitlines()
    )


def test_masu_flow_with_the_cost_model_equals_the_oracle_flow(vm_gpu_dataset, fresh_db, tmp_path):
    url, dataset = fresh_db, Path(vm_gpu_dataset)
    model = json.loads(FIXTURE.read_text())
    store_cost_model(url, model)
    storage = {"input": str(dataset), "threads": 2}
    masu_summary(url, storage)
    written = masu_cost_model(url, storage, model)
    assert written["tag"]["populate_tag_based_costs"][0]["inserted"] > 50, written
    gpu = ocp_summary.populate_gpu_summary(
        SOURCE, START, END, CLUSTER_ID, CLUSTER_ALIAS, schema=SCHEMA, database_url=url, input=str(dataset)
    )
    assert "rows" not in gpu, f"the cost model prices GPUs, so no usage-only rows: {gpu}"
    psql(url, f"CREATE TABLE {SCHEMA}.tmp_virt_flow (vm_name text, node text, pvc_name text, "
              "cpu_request numeric, mem_request numeric)")
    ocp_summary.populate_vm_tmp_table(
        "tmp_virt_flow", SOURCE, START, END, schema=SCHEMA, database_url=url, input=str(dataset)
    )

    # The oracle's flow, from the Parquet alone.
    expected_summary = tmp_path / "oracle_summary.csv"
    categories = ["openshift-%=1", "kube-%=1", "Platform unallocated=1", "openshift=1"]
    cat_args = [a for c in categories for a in ("--cost-category", c)]
    oracle(
        "oracle.py", *common_args(dataset), "--report-period-id", REPORT_PERIOD_ID,
        "--enabled-keys", ",".join(KEYS), *cat_args, "--out", expected_summary,
    )
    expected_costs = tmp_path / "oracle_costs.csv"
    oracle(
        "cost_model.py", *common_args(dataset), "--report-period-id", REPORT_PERIOD_ID,
        *cat_args, "--summary", expected_summary, "--cost-model", FIXTURE, "--out", expected_costs,
    )
    expected_vm = tmp_path / "oracle_vm.csv"
    oracle(
        "vm_gpu.py", *common_args(dataset), *cat_args, "--summary", expected_summary,
        "--query", "vm", "--out", expected_vm,
    )

    # The database against it.
    header = open(expected_summary).readline().strip()
    actual_summary = tmp_path / "db_summary.csv"
    export(url, f"SELECT {header} FROM {SUMMARY} WHERE cost_model_rate_type IS NULL", actual_summary)
    compare("summary", expected_summary, actual_summary)
    cost_cols = open(expected_costs).readline().strip().split(",")[1:]
    actual_costs = tmp_path / "db_costs.csv"
    export(
        url,
        f"SELECT '' AS step, {', '.join(cost_cols)} FROM {SUMMARY} WHERE cost_model_rate_type IS NOT NULL",
        actual_costs,
    )
    compare("cost_model", expected_costs, actual_costs, "--ignore-columns", "uuid,step")
    vm_header = open(expected_vm).readline().strip()
    actual_vm = tmp_path / "db_vm.csv"
    export(url, f"SELECT {vm_header} FROM {SCHEMA}.tmp_virt_flow", actual_vm)
    compare("vm", expected_vm, actual_vm)

    # masu's cost calls again: the same rows.
    before = cost_rows(url)
    masu_cost_model(url, storage, model)
    assert cost_rows(url) == before


RTU_FIXTURE = REPO / "tests" / "fixtures" / "cost_model_rtu.json"


def test_update_cost_model_costs_on_the_rates_to_usage_path_equals_the_oracle(
    vm_gpu_dataset, fresh_db, tmp_path
):
    """`update_cost_model_costs(rates_to_usage=True)`: the `_rtu` twins into rates_to_usage, with
    the GPU distribution, against the oracle's flow; a second call replaces the rows."""
    url, dataset = fresh_db, Path(vm_gpu_dataset)
    model = json.loads(RTU_FIXTURE.read_text())
    store_cost_model(url, model)
    storage = {"input": str(dataset), "threads": 2}
    masu_summary(url, storage)
    db = dict(schema=SCHEMA, database_url=url, input=str(dataset))
    written = ocp_summary.update_cost_model_costs(
        SOURCE, START, END, CLUSTER_ID, CLUSTER_ALIAS, REPORT_PERIOD_ID, rates_to_usage=True, **db
    )
    assert written["populate_distributed_cost_sql"][0]["rtu_inserted"] > 0, written

    expected_summary = tmp_path / "oracle_summary.csv"
    categories = ["openshift-%=1", "kube-%=1", "Platform unallocated=1", "openshift=1"]
    cat_args = [a for c in categories for a in ("--cost-category", c)]
    oracle(
        "oracle.py", *common_args(dataset), "--report-period-id", REPORT_PERIOD_ID,
        "--enabled-keys", ",".join(KEYS), *cat_args, "--out", expected_summary,
    )
    expected, expected_rtu = tmp_path / "oracle_costs.csv", tmp_path / "oracle_rtu.csv"
    oracle(
        "cost_model.py", *common_args(dataset), "--report-period-id", REPORT_PERIOD_ID,
        *cat_args, "--summary", expected_summary, "--cost-model", RTU_FIXTURE,
        "--rates-to-usage", "--rtu-out", expected_rtu, "--out", expected,
    )
    rtu_cols = open(expected_rtu).readline().strip().split(",")[1:]
    actual_rtu = tmp_path / "db_rtu.csv"
    for attempt in ("first", "second"):
        if attempt == "second":
            ocp_summary.update_cost_model_costs(
                SOURCE, START, END, CLUSTER_ID, CLUSTER_ALIAS, REPORT_PERIOD_ID,
                rates_to_usage=True, **db,
            )
        export(
            url,
            f"SELECT '' AS step, {', '.join(rtu_cols)} FROM {SCHEMA}.rates_to_usage",
            actual_rtu,
        )
        compare("rtu", expected_rtu, actual_rtu, "--ignore-columns", "uuid,step")
