"""ocp_summary.populate_daily_summary against a real PostgreSQL 15 and generated Parquet."""

import datetime
import faulthandler
import os
import shutil
import socket
import subprocess
import threading
import time

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
    run,
    summary_rows,
)


def populate(dataset, url, **kwargs):
    return ocp_summary.populate_daily_summary(
        kwargs.pop("start_date", datetime.date(2026, 3, 1)),
        kwargs.pop("end_date", "2026-03-31"),
        REPORT_PERIOD_ID,
        CLUSTER_ID,
        CLUSTER_ALIAS,
        SOURCE,
        schema=SCHEMA,
        input=str(dataset),
        database_url=url,
        threads=2,
        **kwargs,
    )


def cli_run(dataset, url):
    run(
        [
            str(BIN), "run", "--input", str(dataset), "--org", ORG, "--source", SOURCE,
            "--year", "2026", "--month", "3", "--cluster-id", CLUSTER_ID,
            "--cluster-alias", CLUSTER_ALIAS, "--report-period-id", str(REPORT_PERIOD_ID),
            "--threads", "2", "--database-url", url, "--schema", SCHEMA,
        ]
    )


def test_exceptions_form_one_hierarchy():
    for cls in (
        ocp_summary.InputError,
        ocp_summary.SourceError,
        ocp_summary.SinkError,
        ocp_summary.MemoryLimitError,
    ):
        assert issubclass(cls, ocp_summary.OcpSummaryError)
    assert issubclass(ocp_summary.OcpSummaryError, Exception)
    assert ocp_summary.__version__
    assert (
        ocp_summary.populate_line_item_daily_summary_table_trino
        is ocp_summary.populate_daily_summary
    )


def test_same_rows_as_the_cli(dataset, fresh_db, server):
    report = populate(dataset, fresh_db)
    assert isinstance(report, dict)
    assert report["success"] is True
    rows = summary_rows(fresh_db)
    assert len(rows) > 0
    assert report["rows_out"] == len(rows)

    cli_db = fresh_db.replace("/t_", "/cli_t_")
    name = cli_db.split("/")[-1].split("?")[0]
    run(["psql", "-X", "-q", "-d", f"{server}/postgres?sslmode=disable", "-c",
         f"CREATE DATABASE {name} TEMPLATE {fresh_db.split('/')[-1].split('?')[0]}"])
    run(["psql", "-X", "-q", "-d", cli_db, "-c",
         f"TRUNCATE {SCHEMA}.reporting_ocpusagelineitem_daily_summary"])
    cli_run(dataset, cli_db)
    assert summary_rows(cli_db) == rows


def test_rerun_leaves_the_same_rows(dataset, fresh_db):
    populate(dataset, fresh_db)
    first = summary_rows(fresh_db)
    # Dates as strings the second time, as masu sometimes passes them.
    report = populate(dataset, fresh_db, start_date="2026-03-01", end_date="2026-03-31T00:00:00")
    assert report["rows_out"] == len(first)
    assert summary_rows(fresh_db) == first


def test_input_error(dataset, fresh_db, tmp_path):
    with pytest.raises(ocp_summary.InputError) as e:
        populate(tmp_path, fresh_db)
    assert isinstance(e.value, ocp_summary.OcpSummaryError)
    assert "no pod_usage partition" in str(e.value)
    # A report period that does not exist is bad input too, and nothing is written.
    with pytest.raises(ocp_summary.InputError):
        ocp_summary.populate_daily_summary(
            "2026-03-01", "2026-03-31", 999, CLUSTER_ID, None, SOURCE,
            schema=SCHEMA, input=str(dataset), database_url=fresh_db,
        )
    assert summary_rows(fresh_db) == []
    with pytest.raises(ocp_summary.InputError):
        populate(dataset, fresh_db, start_date=20260301)


def test_unreachable_database_is_a_sink_error(dataset):
    url = f"postgres://postgres@127.0.0.1:{free_port()}/none?sslmode=disable"
    with pytest.raises(ocp_summary.SinkError) as e:
        populate(dataset, url, db_connect_attempts=1)
    assert isinstance(e.value, ocp_summary.OcpSummaryError)


def test_settings_from_koku_environment(dataset, fresh_db, monkeypatch):
    # DATABASE_HOST / _PORT / _NAME / _USER / _PASSWORD as Koku reads them; no database_url.
    rest = fresh_db.split("://", 1)[1].split("?")[0]
    user_host, name = rest.split("/")
    user, hostport = user_host.split("@")
    host, port = hostport.split(":")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for k, v in {
        "DATABASE_HOST": host, "DATABASE_PORT": port, "DATABASE_NAME": name,
        "DATABASE_USER": user, "DATABASE_PASSWORD": "unused-with-trust",
    }.items():
        monkeypatch.setenv(k, v)
    report = ocp_summary.populate_daily_summary(
        "2026-03-01", "2026-03-31", REPORT_PERIOD_ID, CLUSTER_ID, CLUSTER_ALIAS, SOURCE,
        schema=SCHEMA, input=str(dataset), threads=2,
    )
    assert report["rows_out"] == len(summary_rows(fresh_db)) > 0


def test_gil_is_released(dataset, tmp_path):
    """While a run waits on a silent database, other Python threads keep running."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    errors = []
    # If the call held the GIL, this thread could not answer and both would wait forever:
    # turn that hang into a failed run.
    faulthandler.dump_traceback_later(120, exit=True)

    def call():
        try:
            populate(dataset, f"postgres://postgres@127.0.0.1:{port}/x?sslmode=disable",
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


def rss_bytes():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def test_memory_returns_to_baseline(dataset, tmp_path):
    """200 calls in one process: RSS after the last stays within 10% of RSS after the 10th."""
    out = tmp_path / "rows.csv"
    rss = {}
    for i in range(1, 201):
        report = ocp_summary.populate_daily_summary(
            "2026-03-01", "2026-03-31", REPORT_PERIOD_ID, CLUSTER_ID, CLUSTER_ALIAS, SOURCE,
            schema=SCHEMA, input=str(dataset), output=f"csv:{out}", threads=2,
        )
        assert report["rows_out"] > 0
        if i in (10, 200):
            rss[i] = rss_bytes()
    assert rss[200] <= rss[10] * 1.10, f"RSS grew from {rss[10]} to {rss[200]} bytes"


@pytest.fixture
def s3_server(dataset, tmp_path, monkeypatch):
    """s3s-fs (SigV4-checking, installed by scripts/test.sh) serving the dataset in bucket
    `koku`, with Koku's S3_* variables pointing at it and the AWS chain emptied, so only the
    explicit credentials can work."""
    exe = shutil.which("s3s-fs") or os.path.expanduser("~/.cargo/bin/s3s-fs")
    if not os.path.exists(exe):
        pytest.fail("s3s-fs is missing: scripts/test.sh installs it (cargo install s3s-fs)")
    root = tmp_path / "s3"
    shutil.copytree(dataset, root / "koku")
    port = free_port()
    child = subprocess.Popen(
        [exe, "--host", "127.0.0.1", "--port", str(port), "--access-key", "py-key",
         "--secret-key", "py-secret-0123456789", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        for name in list(os.environ):
            if name.startswith("AWS_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        monkeypatch.setenv("S3_BUCKET_NAME", "koku")
        monkeypatch.setenv("S3_ENDPOINT", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("S3_ACCESS_KEY", "py-key")
        monkeypatch.setenv("S3_SECRET", "py-secret-0123456789")
        monkeypatch.setenv("S3_REGION", "us-east-1")
        yield
    finally:
        child.kill()
        child.wait()


def test_s3_input_with_koku_credentials(dataset, s3_server, tmp_path, monkeypatch):
    def csv_run(out, **kwargs):
        ocp_summary.populate_daily_summary(
            "2026-03-01", "2026-03-31", REPORT_PERIOD_ID, CLUSTER_ID, CLUSTER_ALIAS, SOURCE,
            schema=SCHEMA, output=f"csv:{out}", threads=2, **kwargs,
        )
        lines = out.read_text().splitlines()
        # Every column but the uuid (the first), which is random per run.
        return lines[0], sorted(line.split(",", 1)[1] for line in lines[1:])

    from_s3 = csv_run(tmp_path / "s3.csv")  # input: s3://$S3_BUCKET_NAME
    from_folder = csv_run(tmp_path / "folder.csv", input=str(dataset))
    assert len(from_s3[1]) > 0
    assert from_s3 == from_folder
    monkeypatch.setenv("S3_SECRET", "not-the-secret")
    with pytest.raises(ocp_summary.SourceError) as e:
        csv_run(tmp_path / "wrong.csv")
    assert "not-the-secret" not in str(e.value)
