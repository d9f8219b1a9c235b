"""Fixtures for the ocp_summary tests: a throwaway PostgreSQL 15, a small generated dataset, and
one fresh database per test, initialised by `ocp-summary init-db`.

The server is started as tests/postgres.rs starts its own: `initdb` + `pg_ctl` from
/usr/lib/postgresql/15/bin in a temporary folder (owned by `postgres` when run as root) on a free
port, and stopped (`-m immediate`) and removed when the session ends. DATABASE_URL, if set,
points at an existing server instead. The CLI binary is target/debug/ocp-summary (or
$OCP_SUMMARY_BIN), built by `cargo test` before this suite runs.
"""

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("OCP_SUMMARY_BIN", REPO / "target" / "debug" / "ocp-summary"))
PG_BIN = Path("/usr/lib/postgresql/15/bin")

ORG = "org1234567"
SOURCE = "6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10"
SCHEMA = ORG
REPORT_PERIOD_ID = 7
CLUSTER_ID = "cluster-a"
CLUSTER_ALIAS = "Cluster A"

# Keep the database settings of the surrounding environment out of the tests' runs.
for _name in list(os.environ):
    if _name.startswith(("DATABASE_", "S3_")) and _name != "DATABASE_URL":
        del os.environ[_name]


def run(args, **kwargs):
    """Runs a command; fails with its output when it fails."""
    out = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if out.returncode != 0:
        raise AssertionError(
            f"{args} failed ({out.returncode}):\nstdout:\n{out.stdout}\nstderr:\n{out.stderr}"
        )
    return out


def pg_tool(name):
    p = PG_BIN / name
    return str(p) if p.exists() else name


def is_root():
    return os.geteuid() == 0


def as_postgres(args):
    return ["runuser", "-u", "postgres", "--", *args] if is_root() else list(args)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(url, sql):
    out = run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
    return out.stdout.strip()


@pytest.fixture(scope="session")
def server():
    """`postgres://postgres@127.0.0.1:PORT` (no database)."""
    given = os.environ.get("DATABASE_URL")
    if given:
        base = given.split("?")[0].rsplit("/", 1)[0]
        yield base
        return
    folder = Path(tempfile.mkdtemp(prefix="ocp-summary-pytest-pg-"))
    if is_root():
        shutil.chown(folder, "postgres")
    data = folder / "data"
    run(as_postgres([pg_tool("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]))
    port = free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(as_postgres([pg_tool("pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"]))
    try:
        yield f"postgres://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            as_postgres([pg_tool("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


_db_numbers = itertools.count()


@pytest.fixture
def fresh_db(server):
    """A new database with Koku's tables in schema SCHEMA, report period 7 and enabled keys."""
    name = f"t_{os.getpid()}_{next(_db_numbers)}"
    psql(f"{server}/postgres?sslmode=disable", f"CREATE DATABASE {name}")
    url = f"{server}/{name}?sslmode=disable"
    init_schema(url, SCHEMA)
    return url


def init_schema(url, schema):
    """`ocp-summary init-db` for `schema`, then report period 7 and the enabled keys."""
    run([str(BIN), "init-db", "--database-url", url, "--schema", schema])
    psql(
        url,
        f"""INSERT INTO {schema}.reporting_ocpusagereportperiod
                (id, cluster_id, report_period_start, report_period_end)
            VALUES ({REPORT_PERIOD_ID}, '{CLUSTER_ID}', '2026-03-01', '2026-04-01');
            INSERT INTO {schema}.reporting_enabledtagkeys (key, enabled, provider_type)
            VALUES ('app', true, 'OCP'), ('team', true, 'OCP'), ('tier', false, 'OCP')""",
    )


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    """A small month (3 days from 2026-03-01) in Koku's Parquet layout, under org ORG."""
    out = tmp_path_factory.mktemp("data")
    run(
        [
            str(BIN), "generate", "--out", str(out), "--org", ORG, "--source", SOURCE,
            "--start", "2026-03-01", "--days", "3", "--nodes", "4", "--namespaces-per-node", "2",
            "--pods-per-namespace", "4", "--labels-per-pod", "4",
        ]
    )
    return out


@pytest.fixture(scope="session")
def cluster_dataset(tmp_path_factory):
    """The same month with every kind of node-role evidence (`--cluster-cases`): operator roles,
    a node on two resource ids, `kubernetes_io_arch` labels on some nodes."""
    out = tmp_path_factory.mktemp("cluster-data")
    run(
        [
            str(BIN), "generate", "--out", str(out), "--org", ORG, "--source", SOURCE,
            "--start", "2026-03-01", "--days", "3", "--nodes", "4", "--namespaces-per-node", "2",
            "--pods-per-namespace", "4", "--labels-per-pod", "4", "--cluster-cases",
        ]
    )
    return out


def summary_rows(url):
    """Every column of the summary table but uuid, as sorted text lines."""
    cols = psql(
        url,
        f"""SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
            FROM information_schema.columns
            WHERE table_schema = '{SCHEMA}'
              AND table_name = 'reporting_ocpusagelineitem_daily_summary'
              AND column_name <> 'uuid'""",
    )
    text = psql(url, f"SELECT {cols} FROM {SCHEMA}.reporting_ocpusagelineitem_daily_summary")
    return sorted(text.splitlines())


@pytest.fixture(scope="session")
def vm_gpu_dataset(tmp_path_factory):
    """Four days from 2026-03-01 with KubeVirt VMs and GPUs (`--vm-gpu`): virt-launcher pods with
    PVCs, the hourly and daily `vm_usage` report, and `gpu_usage` (dedicated and MIG GPUs, a GPU
    node without pod rows)."""
    out = tmp_path_factory.mktemp("vm-gpu-data")
    run(
        [
            str(BIN), "generate", "--out", str(out), "--org", ORG, "--source", SOURCE,
            "--start", "2026-03-01", "--days", "4", "--nodes", "4", "--namespaces-per-node", "2",
            "--pods-per-namespace", "12", "--labels-per-pod", "4", "--vm-gpu",
        ]
    )
    return out
