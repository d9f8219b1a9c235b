"""ocp_summary.populate_gpu_summary and ocp_summary.populate_vm_tmp_table: masu's two UI-summary
steps that still call Trino (`OCPReportDBAccessor._populate_gpu_ui_summary_table_with_usage_only`
and the Trino insert of `_populate_virtualization_ui_summary_table`), against the rows the CLI's
`run --output csv:DIR/out.csv` writes beside its output (`out.gpu_summary.csv`, `out.vm_tmp.csv`),
on data generated with `--vm-gpu` (conftest's `vm_gpu_dataset`)."""

import csv
import json
import math
import shutil

import ocp_summary
import pytest
from conftest import (
    BIN,
    CLUSTER_ALIAS,
    CLUSTER_ID,
    ORG,
    REPORT_PERIOD_ID,
    SCHEMA,
    SOURCE,
    free_port,
    psql,
    run,
)

START, END = "2026-03-01", "2026-03-31"
GPU = f"{SCHEMA}.reporting_ocp_gpu_summary_p"
GPU_COLUMNS = [
    "cluster_id", "cluster_alias", "usage_start", "usage_end", "namespace", "node", "vendor_name",
    "model_name", "memory_capacity_gb", "mig_instance_id", "physical_gpu_uuid", "gpu_mode",
    "mig_profile", "mig_slice_count", "gpu_max_slices", "mig_strategy", "mig_memory_capacity_gb",
    "source_uuid", "cost_category_id",
]
GPU_FLOATS = {"memory_capacity_gb", "mig_memory_capacity_gb"}
GPU_INTS = {"mig_slice_count", "gpu_max_slices", "cost_category_id"}
VM_COLUMNS = ["vm_name", "node", "pvc_name", "cpu_request", "mem_request"]
VM_FLOATS = {"cpu_request", "mem_request"}
# init-db's reporting_ocp_cost_category_namespace (Koku's defaults), plus one pattern added by
# the GPU test so that some GPU rows (namespace `kubex`) get a category.
KOKU_CATEGORIES = ["openshift-%=1", "kube-%=1", "Platform unallocated=1", "openshift=1"]
EXTRA_CATEGORY = ("kube%", 1)
# init-db's enabled keys (conftest's init_schema).
ENABLED_KEYS = "app,team"
TMP_TABLE = "tmp_virt_x"
GPU_RATE = {
    "metric": {"name": "gpu_cost_per_month"},
    "cost_type": "Infrastructure",
    "tag_rates": {"tag_key": "nvidia_com_gpu", "tag_values": [{"tag_value": "Tesla T4", "value": 10}]},
}


def cli_csv(dataset, out_dir, categories=KOKU_CATEGORIES):
    """`ocp-summary run --output csv:OUT/out.csv` on `dataset`; returns OUT."""
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [
        str(BIN), "run", "--input", str(dataset), "--org", ORG, "--source", SOURCE,
        "--year", "2026", "--month", "3", "--cluster-id", CLUSTER_ID,
        "--cluster-alias", CLUSTER_ALIAS, "--report-period-id", str(REPORT_PERIOD_ID),
        "--threads", "2", "--enabled-keys", ENABLED_KEYS, "--output", f"csv:{out_dir}/out.csv",
    ]
    for c in categories:
        args += ["--cost-category", c]
    run(args)
    return out_dir


def read_csv(path, columns, floats, ints=()):
    """The CSV's rows as dicts: `\\N` → None, `""` → "", floats and ints parsed."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        assert next(reader) == columns
        rows = []
        for values in reader:
            row = {}
            assert len(values) == len(columns), values
            for name, v in zip(columns, values):
                if v == "\\N":
                    v = None
                elif name in floats:
                    v = float(v)
                elif name in ints:
                    v = int(v)
                row[name] = v
            rows.append(row)
    return rows


def query(url, sql):
    """The rows of `sql` as dicts (through json_agg: NULL is None, '' stays '')."""
    return json.loads(psql(url, f"SELECT coalesce(json_agg(to_json(r.*)), '[]') FROM ({sql}) r"))


def same_rows(got, want, floats):
    """Equal multisets of rows: the non-float columns exactly, the floats within 1e-12 (the table's
    numeric(33,15) and float8 columns hold what the CSV's shortest float text gives, up to
    PostgreSQL's float8 → numeric rounding to 15 significant digits)."""

    def key(row):
        return json.dumps({k: v for k, v in row.items() if k not in floats}, sort_keys=True)

    got, want = sorted(got, key=key), sorted(want, key=key)
    assert len(got) == len(want), (len(got), len(want))
    for g, w in zip(got, want):
        assert key(g) == key(w), (g, w)
        for name in floats:
            a, b = g[name], w[name]
            if a is None or b is None:
                assert a is None and b is None, (name, g, w)
            else:
                assert math.isclose(float(a), b, rel_tol=1e-12, abs_tol=1e-15), (name, g, w)


def gpu_table(url, where="TRUE"):
    cols = ", ".join(
        f"{c}::text AS {c}" if c in ("usage_start", "usage_end", "source_uuid") else c
        for c in GPU_COLUMNS
    )
    rows = query(url, f"SELECT {cols} FROM {GPU} WHERE {where}")
    for row in rows:
        for c in GPU_FLOATS:
            if row[c] is not None:
                row[c] = float(row[c])
    return rows


def populate_gpu(dataset, url, **kwargs):
    return ocp_summary.populate_gpu_summary(
        SOURCE, START, END, CLUSTER_ID, CLUSTER_ALIAS,
        schema=SCHEMA, input=str(dataset), database_url=url, **kwargs,
    )


def add_gpu_row(url, source, day, namespace):
    """A row the call must leave alone (another source, or a day outside the range)."""
    psql(
        url,
        f"""INSERT INTO {SCHEMA}.reporting_tenant_api_provider (uuid, name, type)
                VALUES ('{source}', 'p', 'OCP') ON CONFLICT DO NOTHING;
            INSERT INTO {GPU} (id, cluster_id, cluster_alias, namespace, node, usage_start,
                               usage_end, gpu_mode, source_uuid)
            VALUES (gen_random_uuid(), 'other', 'other', '{namespace}', 'n', '{day}', '{day}',
                    'dedicated', '{source}')""",
    )


def cost_model(url, rates, provider=SOURCE):
    """A cost model with `rates` for `provider`, in init-db's `cost_model` / `cost_model_map`."""
    rates = json.dumps(rates).replace("'", "''")
    psql(
        url,
        f"""TRUNCATE {SCHEMA}.cost_model, {SCHEMA}.cost_model_map;
            INSERT INTO {SCHEMA}.cost_model (uuid, name, rates)
            VALUES ('11111111-2222-3333-4444-555555555555', 'test', '{rates}');
            INSERT INTO {SCHEMA}.cost_model_map (provider_uuid, cost_model_id)
            VALUES ('{provider}', '11111111-2222-3333-4444-555555555555')""",
    )


def test_gpu_summary_equals_the_cli(vm_gpu_dataset, fresh_db, tmp_path):
    pattern, category = EXTRA_CATEGORY
    psql(
        fresh_db,
        f"""INSERT INTO {SCHEMA}.reporting_ocp_cost_category_namespace
                (namespace, system_default, cost_category_id) VALUES ('{pattern}', false, {category})""",
    )
    # The database's categories are Koku's defaults plus EXTRA_CATEGORY: so are the CLI's.
    stored = query(fresh_db, f"SELECT namespace, cost_category_id FROM {SCHEMA}.reporting_ocp_cost_category_namespace")
    categories = [f"{r['namespace']}={r['cost_category_id']}" for r in stored]
    assert sorted(categories) == sorted(KOKU_CATEGORIES + [f"{pattern}={category}"])
    want = read_csv(
        cli_csv(vm_gpu_dataset, tmp_path / "cli", categories) / "out.gpu_summary.csv",
        GPU_COLUMNS, GPU_FLOATS, GPU_INTS,
    )
    # The data has what the comparison must cover: MIG instances, several days and namespaces,
    # rows with and without a cost category, NULLs and empty strings.
    assert len(want) >= 12
    assert {r["mig_profile"] for r in want} >= {"1g.5gb", "2g.10gb", "3g.20gb"}
    assert len({r["usage_start"] for r in want}) == 4
    assert {r["cost_category_id"] for r in want} == {None, category}
    assert any(r["mig_slice_count"] is None for r in want)

    other_source = "00000000-0000-0000-0000-000000000001"
    add_gpu_row(fresh_db, other_source, "2026-03-02", "other-source")
    kept = gpu_table(fresh_db)

    assert populate_gpu(vm_gpu_dataset, fresh_db) == {"rows": len(want)}
    mine = f"source_uuid = '{SOURCE}' AND usage_start BETWEEN '{START}' AND '{END}'"
    same_rows(gpu_table(fresh_db, mine), want, GPU_FLOATS)
    same_rows(gpu_table(fresh_db, f"NOT ({mine})"), kept, GPU_FLOATS)
    # The call added the provider row of the rows' source (init-db's database has none).
    providers = query(fresh_db, f"SELECT uuid::text FROM {SCHEMA}.reporting_tenant_api_provider")
    assert sorted(p["uuid"] for p in providers) == sorted([other_source, SOURCE])

    # A second call replaces the rows: the same table, no duplicates; the source's rows outside
    # the range stay.
    add_gpu_row(fresh_db, SOURCE, "2026-04-01", "next-month")
    before = sorted(json.dumps(r, sort_keys=True) for r in gpu_table(fresh_db))
    assert len(before) == len(want) + 2
    assert populate_gpu(vm_gpu_dataset, fresh_db) == {"rows": len(want)}
    assert sorted(json.dumps(r, sort_keys=True) for r in gpu_table(fresh_db)) == before

    # A narrower range replaces that range only.
    out = ocp_summary.populate_gpu_summary(
        SOURCE, "2026-03-02", "2026-03-02", CLUSTER_ID, "Renamed",
        schema=SCHEMA, input=str(vm_gpu_dataset), database_url=fresh_db,
    )
    day2 = [r for r in want if r["usage_start"] == "2026-03-02"]
    assert out == {"rows": len(day2)}
    renamed = gpu_table(fresh_db, "cluster_alias = 'Renamed'")
    same_rows(renamed, [{**r, "cluster_alias": "Renamed"} for r in day2], GPU_FLOATS)
    assert len(gpu_table(fresh_db)) == len(before)


def test_gpu_cost_model_skips(vm_gpu_dataset, fresh_db):
    add_gpu_row(fresh_db, SOURCE, "2026-03-02", "stale")
    stale = gpu_table(fresh_db)

    # A GPU tag rate in the source's cost model: skipped, the table untouched.
    cost_model(fresh_db, [{"metric": {"name": "cpu_core_usage_per_hour"}}, GPU_RATE])
    assert populate_gpu(vm_gpu_dataset, fresh_db) == {"skipped": "cost model prices GPUs"}
    assert gpu_table(fresh_db) == stale

    # The GPU metric without tag rates, or a GPU tag rate of another provider's cost model, does
    # not price this source's GPUs: the rows are replaced.
    no_tags = {k: v for k, v in GPU_RATE.items() if k != "tag_rates"}
    no_tags["tiered_rates"] = [{"value": 1, "unit": "USD"}]
    for rates, provider in (([no_tags], SOURCE), ([GPU_RATE], "00000000-0000-0000-0000-000000000002")):
        cost_model(fresh_db, rates, provider)
        out = populate_gpu(vm_gpu_dataset, fresh_db)
        assert set(out) == {"rows"} and out["rows"] > 0
        assert len(gpu_table(fresh_db)) == out["rows"]
        assert not gpu_table(fresh_db, "namespace = 'stale'")
        add_gpu_row(fresh_db, SOURCE, "2026-03-02", "stale")


def test_gpu_without_gpu_report(dataset, fresh_db):
    add_gpu_row(fresh_db, SOURCE, "2026-03-02", "stale")
    before = gpu_table(fresh_db)
    assert populate_gpu(dataset, fresh_db) == {"skipped": "no GPU report"}
    assert gpu_table(fresh_db) == before


def create_tmp_table(url, name=TMP_TABLE):
    """sql/openshift/create_virtualization_tmp_table.sql, as masu runs it."""
    psql(
        url,
        f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.{name} (
                vm_name TEXT, node TEXT, pvc_name TEXT, cpu_request FLOAT, mem_request FLOAT);
            CREATE INDEX IF NOT EXISTS idx_tmp_virt_vm_name ON {SCHEMA}.{name} (vm_name);
            CREATE INDEX IF NOT EXISTS idx_tmp_virt_pvc_name ON {SCHEMA}.{name} (pvc_name);
            CREATE INDEX IF NOT EXISTS idx_tmp_virt_node ON {SCHEMA}.{name} (node)""",
    )


def vm_table(url, name=TMP_TABLE):
    return query(url, f"SELECT {', '.join(VM_COLUMNS)} FROM {SCHEMA}.{name}")


def populate_vm(dataset, url, name=TMP_TABLE, **kwargs):
    return ocp_summary.populate_vm_tmp_table(
        name, SOURCE, START, END, schema=SCHEMA, input=str(dataset), database_url=url, **kwargs
    )


def test_vm_tmp_table_from_the_vm_report(vm_gpu_dataset, fresh_db, tmp_path):
    want = read_csv(cli_csv(vm_gpu_dataset, tmp_path / "cli") / "out.vm_tmp.csv", VM_COLUMNS, VM_FLOATS)
    assert want and all(r["pvc_name"] for r in want)
    create_tmp_table(fresh_db)
    # The report variant reads no summary: the summary table is empty here.
    assert psql(fresh_db, f"SELECT count(*) FROM {SCHEMA}.reporting_ocpusagelineitem_daily_summary") == "0"
    assert populate_vm(vm_gpu_dataset, fresh_db) == len(want)
    same_rows(vm_table(fresh_db), want, VM_FLOATS)


def without_vm_report(dataset, folder):
    """A copy of `dataset` without the `vm_usage` Parquet (hourly and daily)."""
    shutil.copytree(dataset, folder)
    for sub in (f"data/parquet/{ORG}/OCP/vm_usage", f"data/parquet/daily/{ORG}/OCP/vm_usage"):
        assert (folder / sub).is_dir()
        shutil.rmtree(folder / sub)
    return folder


def test_vm_tmp_table_from_the_summary(vm_gpu_dataset, fresh_db, tmp_path):
    data = without_vm_report(vm_gpu_dataset, tmp_path / "no-vm-report")
    want = read_csv(cli_csv(data, tmp_path / "cli") / "out.vm_tmp.csv", VM_COLUMNS, VM_FLOATS)
    # The rows the comparison must cover: several VMs, one with several PVCs, one without.
    assert len({r["vm_name"] for r in want}) >= 2
    assert any(r["pvc_name"] is None for r in want)
    assert max(sum(r["vm_name"] == v["vm_name"] for r in want) for v in want) >= 2
    create_tmp_table(fresh_db)

    # Without the summary in the table there are no rows to read.
    assert populate_vm(data, fresh_db) == 0
    assert vm_table(fresh_db) == []

    run(
        [
            str(BIN), "run", "--input", str(data), "--org", ORG, "--source", SOURCE,
            "--year", "2026", "--month", "3", "--cluster-id", CLUSTER_ID,
            "--cluster-alias", CLUSTER_ALIAS, "--report-period-id", str(REPORT_PERIOD_ID),
            "--threads", "2", "--database-url", fresh_db, "--schema", SCHEMA,
        ]
    )
    assert populate_vm(data, fresh_db) == len(want)
    same_rows(vm_table(fresh_db), want, VM_FLOATS)


def test_errors(vm_gpu_dataset, fresh_db):
    url = f"postgres://postgres@127.0.0.1:{free_port()}/none?sslmode=disable"
    with pytest.raises(ocp_summary.SinkError):
        populate_gpu(vm_gpu_dataset, url)
    with pytest.raises(ocp_summary.SinkError):
        populate_vm(vm_gpu_dataset, url)
    # The temp table masu did not create: a SinkError naming it.
    with pytest.raises(ocp_summary.SinkError) as e:
        populate_vm(vm_gpu_dataset, fresh_db, name="tmp_virt_missing")
    assert "tmp_virt_missing" in str(e.value)
    # The GPU table missing: a SinkError naming it.
    psql(fresh_db, f"DROP TABLE {GPU}")
    with pytest.raises(ocp_summary.SinkError) as e:
        populate_gpu(vm_gpu_dataset, fresh_db)
    assert "reporting_ocp_gpu_summary_p" in str(e.value)
