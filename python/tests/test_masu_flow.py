"""masu's `OCPReportParquetSummaryUpdater.update_summary_tables` with ocp_summary in Trino's place
(`koku/masu/processor/ocp/ocp_report_parquet_summary_updater.py`), against the CLI.

Schema A gets masu's calls, in masu's order: `get_max_min_timestamp_from_parquet` clamps the start
(`_check_parquet_date_range`), `populate_openshift_cluster_information_tables` writes the cluster
tables over the clamped range, then for each `date_range_pair(start, end, TRINO_DATE_STEP)` chunk
the delete and the load of the daily summary (`populate_daily_summary` does masu's
`delete_all_except_infrastructure_raw_cost_from_daily_summary` itself, in its transaction).
Schema B gets one `ocp-summary run --database-url` over the month, which writes the cluster tables
in the summary's transaction. Both must hold the same rows, and a re-run of each must change
nothing."""

import datetime
import json
import uuid

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
    init_schema,
    psql,
    run,
)

# koku/koku/settings.py: TRINO_DATE_STEP = ENVIRONMENT.int("TRINO_DATE_STEP", default=5)
TRINO_DATE_STEP = 5
SCHEMA_A = SCHEMA
SCHEMA_B = f"{SCHEMA}_cli"
SUMMARY = "reporting_ocpusagelineitem_daily_summary"
UNALLOCATED = ("Platform unallocated", "Worker unallocated")
# The data starts after the 1st, so the clamp moves the start; 7 days span two chunks.
DATA_START, DATA_DAYS = datetime.date(2026, 3, 3), 7


@pytest.fixture(scope="module")
def masu_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("masu-data")
    run(
        [
            str(BIN), "generate", "--out", str(out), "--org", ORG, "--source", SOURCE,
            "--start", DATA_START.isoformat(), "--days", str(DATA_DAYS), "--nodes", "4",
            "--namespaces-per-node", "2", "--pods-per-namespace", "2", "--labels-per-pod", "3",
        ]
    )
    return out


def date_range_pair(start_date, end_date, step):
    """masu.util.common.date_range_pair for `date`s: dateutil's rrule(DAILY, interval=step) from
    start through end, as (start, end) pairs with both ends inclusive."""
    dates = []
    d = start_date
    while d <= end_date:
        dates.append(d)
        d += datetime.timedelta(days=step)
    if len(dates) == 1:
        yield start_date, end_date
        return
    for date in dates:
        if date == start_date and date != end_date:
            continue
        yield start_date, date
        start_date = date + datetime.timedelta(days=1)
    if end_date not in dates:
        yield start_date, end_date


def masu_update_summary_tables(url, dataset, start_date, end_date):
    """update_summary_tables(start_date, end_date) with the engine's calls; returns the chunks
    and their reports."""
    storage = {"input": str(dataset), "threads": 2}
    provider_uuid = uuid.UUID(SOURCE)
    # _get_sql_inputs: strings become dates.
    if isinstance(start_date, str):
        start_date = datetime.datetime.fromisoformat(start_date).date()
    if isinstance(end_date, str):
        end_date = datetime.datetime.fromisoformat(end_date).date()
    # _check_parquet_date_range: a later first timestamp moves the start; the end stays.
    start_datetime = datetime.datetime(
        start_date.year, start_date.month, start_date.day, tzinfo=datetime.timezone.utc
    )
    min_timestamp, _ = ocp_summary.max_min_timestamp(
        provider_uuid, start_date, end_date, schema=SCHEMA_A, **storage
    )
    if min_timestamp:
        if min_timestamp.tzinfo is None:
            min_timestamp = min_timestamp.replace(tzinfo=datetime.timezone.utc)
        if min_timestamp > start_datetime:
            start_date = min_timestamp.date()
    # report_periods_for_provider_uuid(provider_uuid, start_date): conftest's period.
    report_period_id = REPORT_PERIOD_ID
    # populate_openshift_cluster_information_tables(provider, cluster_id, cluster_alias, start, end)
    cluster = ocp_summary.populate_cluster_information(
        str(provider_uuid), CLUSTER_ID, CLUSTER_ALIAS, start_date, end_date,
        schema=SCHEMA_A, database_url=url, **storage,
    )
    chunks = []
    for start, end in date_range_pair(start_date, end_date, step=TRINO_DATE_STEP):
        # _update_daily_summary_chunk: delete_all_except_infrastructure_raw_cost_from_daily_summary
        # and populate_line_item_daily_summary_table_trino, in one call and one transaction.
        report = ocp_summary.populate_line_item_daily_summary_table_trino(
            start, end, report_period_id, CLUSTER_ID, CLUSTER_ALIAS, provider_uuid,
            schema=SCHEMA_A, database_url=url, **storage,
        )
        chunks.append((start, end, report["rows_out"]))
    return cluster, chunks


def cli_run(url, dataset):
    run(
        [
            str(BIN), "run", "--input", str(dataset), "--org", ORG, "--source", SOURCE,
            "--year", "2026", "--month", "3", "--cluster-id", CLUSTER_ID,
            "--cluster-alias", CLUSTER_ALIAS, "--report-period-id", str(REPORT_PERIOD_ID),
            "--threads", "2", "--database-url", url, "--schema", SCHEMA_B,
        ]
    )


def count(url, sql):
    return int(psql(url, f"SELECT count(*) FROM ({sql}) q"))


def summary_columns(url):
    """The summary's columns but uuid; json ones as jsonb, which EXCEPT can compare."""
    out = psql(
        url,
        f"""SELECT string_agg(quote_ident(column_name)
                              || CASE WHEN data_type = 'json' THEN '::jsonb' ELSE '' END,
                              ', ' ORDER BY ordinal_position)
            FROM information_schema.columns
            WHERE table_schema = '{SCHEMA_A}' AND table_name = '{SUMMARY}'
              AND column_name <> 'uuid'""",
    )
    return out


def summary_differences(url):
    """Rows of A not in B plus rows of B not in A, as multisets (tests/common/pg.rs)."""
    c = summary_columns(url)
    a, b = f"{SCHEMA_A}.{SUMMARY}", f"{SCHEMA_B}.{SUMMARY}"
    return count(
        url,
        f"""(SELECT {c} FROM {a} EXCEPT ALL SELECT {c} FROM {b})
            UNION ALL (SELECT {c} FROM {b} EXCEPT ALL SELECT {c} FROM {a})""",
    )


def summary_rows(url, schema):
    c = summary_columns(url)
    return sorted(psql(url, f"SELECT {c} FROM {schema}.{SUMMARY}").splitlines())


def cluster_tables(url, schema, uuids=False):
    """The four cluster tables and the provider row; without uuids, rows name their cluster by
    (cluster_id, cluster_alias)."""
    c = f"{schema}.reporting_ocp_clusters"
    owner = "c.cluster_id, c.cluster_alias" + (", c.uuid" if uuids else "")
    sql = {
        "providers": f"SELECT uuid, name, type FROM {schema}.reporting_tenant_api_provider",
        "clusters": f"SELECT {owner}, c.provider_id FROM {c} c",
        "nodes": f"""SELECT {owner}, n.node, n.resource_id, n.node_capacity_cpu_cores::text AS cap,
                            n.node_role, n.architecture{', n.uuid' if uuids else ''}
                     FROM {schema}.reporting_ocp_nodes n JOIN {c} c ON c.uuid = n.cluster_id""",
        "pvcs": f"""SELECT {owner}, p.persistent_volume, p.persistent_volume_claim,
                           p.csi_volume_handle{', p.uuid' if uuids else ''}
                    FROM {schema}.reporting_ocp_pvcs p JOIN {c} c ON c.uuid = p.cluster_id""",
        "projects": f"""SELECT {owner}, p.project{', p.uuid' if uuids else ''}
                        FROM {schema}.reporting_ocp_projects p JOIN {c} c ON c.uuid = p.cluster_id""",
    }
    out = {}
    for name, q in sql.items():
        rows = json.loads(psql(url, f"SELECT coalesce(json_agg(to_json(r.*)), '[]') FROM ({q}) r"))
        out[name] = sorted((list(r.values()) for r in rows), key=str)
    return out


def unallocated(url, schema):
    """(node, usage_start, namespace) of the unallocated rows: the Pod rows whose namespace is
    NULL or one of Koku's two unallocated names."""
    rows = psql(
        url,
        f"""SELECT node || '|' || usage_start || '|' || coalesce(namespace, '<NULL>')
            FROM {schema}.{SUMMARY}
            WHERE data_source = 'Pod'
              AND (namespace IS NULL OR namespace IN ('{UNALLOCATED[0]}', '{UNALLOCATED[1]}'))""",
    )
    return sorted(tuple(line.split("|")) for line in rows.splitlines())


def test_masu_flow_equals_the_cli(masu_dataset, fresh_db):
    url = fresh_db
    init_schema(url, SCHEMA_B)

    cluster, chunks = masu_update_summary_tables(url, masu_dataset, "2026-03-01", "2026-03-31")
    d = datetime.date
    # The start moved to the data's first day; 5-day steps from there, both ends inclusive.
    assert [(s, e) for s, e, _ in chunks] == [
        (d(2026, 3, 3), d(2026, 3, 8)), (d(2026, 3, 9), d(2026, 3, 13)),
        (d(2026, 3, 14), d(2026, 3, 18)), (d(2026, 3, 19), d(2026, 3, 23)),
        (d(2026, 3, 24), d(2026, 3, 28)), (d(2026, 3, 29), d(2026, 3, 31)),
    ]
    # The data (3rd to 9th) lies in the first two chunks.
    assert chunks[0][2] > 0 and chunks[1][2] > 0
    assert all(rows == 0 for _, _, rows in chunks[2:])
    assert cluster["clusters_created"] == 1 and cluster["nodes_created"] > 0
    assert cluster["projects_created"] > 0 and cluster["pvcs_created"] > 0

    cli_run(url, masu_dataset)

    rows_a = count(url, f"SELECT 1 FROM {SCHEMA_A}.{SUMMARY}")
    assert rows_a == sum(rows for _, _, rows in chunks) > 0
    assert count(url, f"SELECT 1 FROM {SCHEMA_B}.{SUMMARY}") == rows_a
    assert summary_differences(url) == 0
    tables_a = cluster_tables(url, SCHEMA_A)
    assert tables_a == cluster_tables(url, SCHEMA_B)
    assert len(tables_a["clusters"]) == 1 and len(tables_a["nodes"]) == cluster["nodes_created"]

    # No role configuration (Koku's default): the roles populate_cluster_information wrote give
    # every node with node-label rows (every node of Koku's node query) a named unallocated
    # namespace, on each day it has pods.
    info = ocp_summary.cluster_information(
        SOURCE, "2026-03-01", "2026-03-31", schema=SCHEMA_A, input=str(masu_dataset)
    )
    labelled = {row[0] for row in info["nodes"]}
    assert labelled and all(row[3] is not None for row in info["nodes"])
    rows = unallocated(url, SCHEMA_A)
    assert rows == unallocated(url, SCHEMA_B)
    assert not [r for r in rows if r[0] in labelled and r[2] not in UNALLOCATED]
    pod_days = set(
        tuple(line.split("|"))
        for line in psql(
            url,
            f"""SELECT DISTINCT node || '|' || usage_start FROM {SCHEMA_A}.{SUMMARY}
                WHERE data_source = 'Pod' AND namespace NOT IN ('{UNALLOCATED[0]}',
                      '{UNALLOCATED[1]}')""",
        ).splitlines()
    )
    assert {(n, day) for n, day in pod_days if n in labelled} == {
        (n, day) for n, day, _ in rows if n in labelled
    }
    roles = {n[2]: n[5] for n in tables_a["nodes"]}
    assert "worker" in roles.values() and set(roles.values()) <= {"master", "infra", "worker"}
    for node, _, namespace in rows:
        if node in labelled:
            want = {"master": UNALLOCATED[0], "infra": UNALLOCATED[0], "worker": UNALLOCATED[1]}
            want = want[roles[node]]
            assert namespace == want, (node, roles[node], namespace)

    # A re-run of both changes nothing: the same summary rows, the same cluster rows (uuids too).
    before_a, before_b = summary_rows(url, SCHEMA_A), summary_rows(url, SCHEMA_B)
    uuids_a, uuids_b = cluster_tables(url, SCHEMA_A, True), cluster_tables(url, SCHEMA_B, True)
    cluster2, chunks2 = masu_update_summary_tables(url, masu_dataset, "2026-03-01", "2026-03-31")
    assert chunks2 == chunks
    assert cluster2["clusters_created"] == cluster2["nodes_created"] == 0
    assert cluster2["pvcs_created"] == cluster2["projects_created"] == 0
    cli_run(url, masu_dataset)
    assert summary_rows(url, SCHEMA_A) == before_a
    assert summary_rows(url, SCHEMA_B) == before_b
    assert cluster_tables(url, SCHEMA_A, True) == uuids_a
    assert cluster_tables(url, SCHEMA_B, True) == uuids_b
    assert summary_differences(url) == 0

    # The unallocated rows' roles come from reporting_ocp_nodes: without deriving them from the
    # Parquet, the month's rows are the same.
    ocp_summary.populate_daily_summary(
        "2026-03-01", "2026-03-31", REPORT_PERIOD_ID, CLUSTER_ID, CLUSTER_ALIAS, SOURCE,
        schema=SCHEMA_A, input=str(masu_dataset), database_url=url, threads=2,
        derive_node_roles=False,
    )
    assert summary_rows(url, SCHEMA_A) == before_a
