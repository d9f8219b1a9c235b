"""ocp_summary.populate_cluster_information: masu's `populate_openshift_cluster_information_tables`
writing reporting_ocp_clusters / _nodes / _pvcs / _projects with Koku's get-or-create rules
(`koku/masu/database/ocp_report_db_accessor.py`), on generated Parquet with every kind of
node-role evidence (conftest's `cluster_dataset`)."""

import faulthandler
import json
import socket
import threading
import uuid
from decimal import ROUND_HALF_UP, Decimal

import ocp_summary
import pytest
from conftest import CLUSTER_ALIAS, CLUSTER_ID, SCHEMA, SOURCE, free_port, psql

START, END = "2026-03-01", "2026-03-31"
COUNT_KEYS = {
    "clusters_created", "clusters_updated", "clusters_deleted", "nodes_created", "nodes_updated",
    "pvcs_created", "pvcs_updated", "projects_created", "skipped",
}
CLUSTER = f"{SCHEMA}.reporting_ocp_clusters"
NODES = f"{SCHEMA}.reporting_ocp_nodes"
PVCS = f"{SCHEMA}.reporting_ocp_pvcs"
PROJECTS = f"{SCHEMA}.reporting_ocp_projects"


def populate(dataset, url, alias=CLUSTER_ALIAS, **kwargs):
    return ocp_summary.populate_cluster_information(
        SOURCE, CLUSTER_ID, alias, START, END,
        schema=SCHEMA, input=str(dataset), database_url=url, threads=2, **kwargs,
    )


def info(dataset):
    return ocp_summary.cluster_information(
        SOURCE, START, END, schema=SCHEMA, input=str(dataset), threads=2
    )


def query(url, sql):
    """The rows of `sql` as lists (through json_agg, so NULL is None and '' stays '')."""
    out = psql(url, f"SELECT coalesce(json_agg(to_json(r.*)), '[]') FROM ({sql}) r")
    return [list(row.values()) for row in json.loads(out)]


def tables(url):
    """Every row of the four tables, uuids included, sorted."""
    return {
        "clusters": sorted(
            query(url, f"SELECT uuid, cluster_id, cluster_alias, provider_id FROM {CLUSTER}"),
            key=str,
        ),
        "nodes": sorted(
            query(
                url,
                f"""SELECT uuid, node, resource_id, node_capacity_cpu_cores::text AS cap,
                           node_role, architecture, cluster_id FROM {NODES}""",
            ),
            key=str,
        ),
        "pvcs": sorted(query(url, f"SELECT * FROM {PVCS}"), key=str),
        "projects": sorted(query(url, f"SELECT * FROM {PROJECTS}"), key=str),
    }


def capacity(value):
    """A float capacity as numeric(18,2) stores what Django sends (18 significant digits)."""
    if value is None:
        return None
    return str(Decimal(format(value, ".17e")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def empty(text):
    return text is None or text == ""


def test_writes_the_cluster_information_and_a_rerun_changes_nothing(cluster_dataset, fresh_db):
    want = info(cluster_dataset)
    counts = populate(cluster_dataset, fresh_db)
    assert set(counts) == COUNT_KEYS and all(type(v) is int for v in counts.values())

    clusters = query(fresh_db, f"SELECT uuid, cluster_id, cluster_alias, provider_id FROM {CLUSTER}")
    assert len(clusters) == 1
    cluster_uuid, cluster_id, alias, provider = clusters[0]
    assert (cluster_id, alias, provider) == (CLUSTER_ID, CLUSTER_ALIAS, SOURCE)
    # init-db's database has no provider row: one is added for the cluster's foreign key.
    assert query(fresh_db, f"SELECT uuid, type FROM {SCHEMA}.reporting_tenant_api_provider") == [
        [SOURCE, "OCP"]
    ]

    # Nodes: cluster_information's rows, the capacity as numeric(18,2).
    nodes = query(
        fresh_db,
        f"""SELECT node, resource_id, node_capacity_cpu_cores::text, node_role, architecture
            FROM {NODES} WHERE cluster_id = '{cluster_uuid}'""",
    )
    expected_nodes = [[n, rid, capacity(c), role, arch] for n, rid, c, role, arch in want["nodes"]]
    assert sorted(nodes, key=str) == sorted(expected_nodes, key=str)
    assert len(nodes) == len(want["nodes"]) > 0
    # The evidence of --cluster-cases reached the table: several roles, a NULL architecture and
    # one node on two resource ids.
    assert len({row[3] for row in nodes}) >= 3
    assert None in {row[4] for row in nodes} and len({row[4] for row in nodes}) >= 2
    assert len({row[0] for row in nodes}) < len(nodes)

    # PVCs: one per distinct non-NULL (pv, pvc).
    pvcs = query(
        fresh_db,
        f"""SELECT persistent_volume, persistent_volume_claim, csi_volume_handle
            FROM {PVCS} WHERE cluster_id = '{cluster_uuid}'""",
    )
    pairs = {(pv, pvc) for pv, pvc, _ in want["pvcs"] if pv is not None and pvc is not None}
    assert sorted((pv, pvc) for pv, pvc, _ in pvcs) == sorted(pairs)
    for pv, pvc, handle in pvcs:
        handles = {h for p, c, h in want["pvcs"] if (p, c) == (pv, pvc)}
        assert handle in handles
    # Projects: one per non-NULL namespace.
    projects = query(fresh_db, f"SELECT project FROM {PROJECTS} WHERE cluster_id = '{cluster_uuid}'")
    names = [p for p in want["projects"] if p is not None]
    assert sorted(p for (p,) in projects) == sorted(names)

    skipped = sum(1 for pv, pvc, _ in want["pvcs"] if pv is None or pvc is None)
    skipped += len(want["projects"]) - len(names)
    assert counts == {
        "clusters_created": 1, "clusters_updated": 0, "clusters_deleted": 0,
        "nodes_created": len(nodes), "nodes_updated": 0,
        "pvcs_created": len(pairs), "pvcs_updated": 0,
        "projects_created": len(names), "skipped": skipped,
    }

    # A second call creates nothing and changes nothing. (Koku's loop saves again, with the same
    # values, every node whose role or architecture is empty and every PVC whose handle is; those
    # writes change nothing, so they are skipped and not counted.)
    assert any(empty(row[4]) for row in nodes) and any(empty(row[2]) for row in pvcs)
    before = tables(fresh_db)
    again = populate(cluster_dataset, fresh_db)
    assert tables(fresh_db) == before
    assert again == {
        "clusters_created": 0, "clusters_updated": 0, "clusters_deleted": 0,
        "nodes_created": 0, "nodes_updated": 0, "pvcs_created": 0, "pvcs_updated": 0,
        "projects_created": 0, "skipped": skipped,
    }


def add_cluster(url, alias, provider=SOURCE):
    cluster = str(uuid.uuid4())
    psql(
        url,
        f"""INSERT INTO {SCHEMA}.reporting_tenant_api_provider (uuid, name, type)
                VALUES ('{provider}', 'p', 'OCP') ON CONFLICT DO NOTHING;
            INSERT INTO {CLUSTER} (uuid, cluster_id, cluster_alias, provider_id)
                VALUES ('{cluster}', '{CLUSTER_ID}', '{alias}', '{provider}')""",
    )
    return cluster


def add_node(url, cluster, node, rid, cap, role, arch):
    def lit(v):
        return "NULL" if v is None else f"'{v}'"

    psql(
        url,
        f"""INSERT INTO {NODES} (uuid, node, resource_id, node_capacity_cpu_cores, node_role,
                                 architecture, cluster_id)
            VALUES (gen_random_uuid(), {lit(node)}, {lit(rid)}, {lit(cap)}, {lit(role)},
                    {lit(arch)}, '{cluster}')""",
    )


def test_existing_rows(cluster_dataset, fresh_db):
    want = info(cluster_dataset)
    # Two nodes of the query, stored before the run with the cluster of the run's alias.
    sticky, overwritten = [n for n in want["nodes"] if n[3] is not None][:2]
    keep = add_cluster(fresh_db, CLUSTER_ALIAS)
    add_node(fresh_db, keep, sticky[0], sticky[1], capacity(sticky[2]), "custom-role", "custom-arch")
    add_node(fresh_db, keep, overwritten[0], overwritten[1], capacity(overwritten[2]), "old-role", None)
    # A second cluster of the source with another alias, with children: deleted with them.
    other = add_cluster(fresh_db, "Other alias")
    add_node(fresh_db, other, "n-other", "r-other", "1", "worker", "amd64")
    psql(
        fresh_db,
        f"""INSERT INTO {PVCS} (uuid, persistent_volume, persistent_volume_claim, cluster_id)
                VALUES (gen_random_uuid(), 'pv-other', 'pvc-other', '{other}');
            INSERT INTO {PROJECTS} (uuid, project, cluster_id)
                VALUES (gen_random_uuid(), 'project-other', '{other}')""",
    )
    # Another source's cluster is left alone.
    stranger_source = str(uuid.uuid4())
    stranger = add_cluster(fresh_db, "Stranger", provider=stranger_source)
    add_node(fresh_db, stranger, "n-stranger", None, None, None, None)

    counts = populate(cluster_dataset, fresh_db)
    assert counts["clusters_created"] == 0 and counts["clusters_deleted"] == 1
    assert counts["clusters_updated"] == 0
    assert query(fresh_db, f"SELECT uuid, cluster_alias FROM {CLUSTER} ORDER BY cluster_alias") == [
        [keep, CLUSTER_ALIAS], [stranger, "Stranger"]
    ]
    for table in (NODES, PVCS, PROJECTS):
        assert query(fresh_db, f"SELECT 1 FROM {table} WHERE cluster_id = '{other}'") == []
    assert query(fresh_db, f"SELECT node FROM {NODES} WHERE cluster_id = '{stranger}'") == [
        ["n-stranger"]
    ]

    def stored(node):
        return query(
            fresh_db,
            f"""SELECT node_role, architecture FROM {NODES}
                WHERE cluster_id = '{keep}' AND node = '{node[0]}' AND resource_id = '{node[1]}'""",
        )

    # Role and architecture set: both kept. The architecture empty: both overwritten.
    assert stored(sticky) == [["custom-role", "custom-arch"]]
    assert stored(overwritten) == [[overwritten[3], overwritten[4]]]
    assert counts["nodes_created"] == len(want["nodes"]) - 2
    assert counts["nodes_updated"] == 1

    # An alias change updates the alias only: same row, same cluster id, same children.
    before = tables(fresh_db)
    counts = populate(cluster_dataset, fresh_db, alias="Renamed")
    assert counts["clusters_updated"] == 1
    assert counts["clusters_created"] == counts["clusters_deleted"] == 0
    assert counts["nodes_created"] == counts["pvcs_created"] == counts["projects_created"] == 0
    after = tables(fresh_db)
    assert [c for c in after["clusters"] if c[0] == keep] == [[keep, CLUSTER_ID, "Renamed", SOURCE]]
    for table in ("nodes", "pvcs", "projects"):
        assert after[table] == before[table]


def test_errors(cluster_dataset, fresh_db, tmp_path):
    url = f"postgres://postgres@127.0.0.1:{free_port()}/none?sslmode=disable"
    with pytest.raises(ocp_summary.SinkError) as e:
        populate(cluster_dataset, url, db_connect_attempts=1)
    assert isinstance(e.value, ocp_summary.OcpSummaryError)
    # A missing input folder is bad input; nothing is written.
    with pytest.raises(ocp_summary.InputError):
        populate(tmp_path / "missing", fresh_db)
    # So is a bad date or an end in another month.
    with pytest.raises(ocp_summary.InputError):
        ocp_summary.populate_cluster_information(
            SOURCE, CLUSTER_ID, CLUSTER_ALIAS, 20260301, END,
            schema=SCHEMA, input=str(cluster_dataset), database_url=fresh_db,
        )
    with pytest.raises(ocp_summary.InputError):
        ocp_summary.populate_cluster_information(
            SOURCE, CLUSTER_ID, CLUSTER_ALIAS, START, "2026-04-02",
            schema=SCHEMA, input=str(cluster_dataset), database_url=fresh_db,
        )
    assert query(fresh_db, f"SELECT 1 FROM {CLUSTER}") == []
    # Tables init-db did not create: a SinkError naming the table, nothing written.
    psql(fresh_db, f"DROP TABLE {PROJECTS}")
    with pytest.raises(ocp_summary.SinkError) as e:
        populate(cluster_dataset, fresh_db)
    assert "reporting_ocp_projects" in str(e.value)
    assert query(fresh_db, f"SELECT 1 FROM {CLUSTER}") == []


def test_no_database_is_an_input_error(cluster_dataset, monkeypatch):
    for name in ("DATABASE_URL", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME",
                 "DATABASE_USER", "DATABASE_PASSWORD", "DATABASE_SERVICE_NAME"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ocp_summary.InputError) as e:
        ocp_summary.populate_cluster_information(
            SOURCE, CLUSTER_ID, CLUSTER_ALIAS, START, END, schema=SCHEMA,
            input=str(cluster_dataset),
        )
    assert "no database" in str(e.value)


def test_gil_is_released(cluster_dataset):
    """While a call waits on a silent database, other Python threads keep running."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    errors = []
    # A call holding the GIL would hang this test: turn that into a failed run.
    faulthandler.dump_traceback_later(120, exit=True)

    def call():
        try:
            populate(cluster_dataset, f"postgres://postgres@127.0.0.1:{port}/x?sslmode=disable",
                     db_connect_attempts=1)
        except ocp_summary.OcpSummaryError as e:
            errors.append(e)

    worker = threading.Thread(target=call)
    worker.start()
    listener.settimeout(30)
    conn, _ = listener.accept()
    # The worker is inside the call, blocked on the database; this thread still runs Python.
    assert worker.is_alive()
    counted = sum(1 for _ in range(100_000))
    assert counted == 100_000 and worker.is_alive()
    conn.close()
    listener.close()
    worker.join(30)
    assert not worker.is_alive()
    faulthandler.cancel_dump_traceback_later()
    assert len(errors) == 1 and isinstance(errors[0], ocp_summary.SinkError)


def test_repeated_calls(cluster_dataset, fresh_db):
    """Twenty calls in one process (dates and source in masu's types too) leave the first call's
    rows; none creates anything."""
    import datetime

    populate(cluster_dataset, fresh_db)
    first = tables(fresh_db)
    for i in range(20):
        counts = ocp_summary.populate_cluster_information(
            uuid.UUID(SOURCE), CLUSTER_ID, CLUSTER_ALIAS,
            datetime.date(2026, 3, 1), datetime.datetime(2026, 3, 31),
            schema=SCHEMA, input=str(cluster_dataset), database_url=fresh_db, threads=1 + i % 2,
        )
        assert counts["clusters_created"] == counts["nodes_created"] == 0
        assert counts["pvcs_created"] == counts["projects_created"] == 0
    assert tables(fresh_db) == first
