"""ocp_summary.max_min_timestamp and cluster_information against the CLI's `max-min-timestamp`
and `cluster-info` on generated Parquet with every kind of node-role evidence (--cluster-cases)."""

import datetime
import faulthandler
import shutil
import socket
import threading
import uuid

import ocp_summary
import pytest
from conftest import BIN, ORG, SCHEMA, SOURCE, run

# (start, end): the whole month, one day inside the data, and days after it (no rows).
RANGES = [
    ("2026-03-01", "2026-03-31"),
    ("2026-03-02", "2026-03-02"),
    ("2026-03-10", "2026-03-20"),
]


def cli(command, dataset, start, end):
    """The CLI's CSV for `command` over start..end, as lists of fields: a quoted field is a
    string, an unquoted one the raw token (`\\N` is NULL)."""
    out = run(
        [
            str(BIN), command, "--input", str(dataset), "--org", ORG, "--source", SOURCE,
            "--year", start[:4], "--month", str(int(start[5:7])), "--start", start,
            "--end", end, "--cluster-id", "c",
        ]
    ).stdout
    sections, rows = {}, None
    for line in out.splitlines():
        if line.startswith("# "):
            rows = sections[line[2:]] = []
            continue
        if rows is None:
            rows = sections["only"] = []
        rows.append(fields(line))
    # The first row of each section is its header.
    return sections


def fields(line):
    """Splits one CSV line: ("s", text) for a quoted field, ("raw", token) otherwise."""
    out, i = [], 0
    while True:
        if line.startswith('"', i):
            j, text = i + 1, []
            while True:
                k = line.index('"', j)
                text.append(line[j:k])
                if line.startswith('"', k + 1):
                    text.append('"')
                    j = k + 2
                else:
                    break
            out.append(("s", "".join(text)))
            i = k + 1
        else:
            k = line.find(",", i)
            k = len(line) if k < 0 else k
            out.append(("raw", line[i:k]))
            i = k
        if i >= len(line):
            return out
        assert line[i] == ",", line
        i += 1


def text(field):
    kind, value = field
    if kind == "s":
        return value
    assert value == "\\N", field
    return None


def number(field):
    kind, value = field
    assert kind == "raw", field
    return None if value == "\\N" else float(value)


def timestamp(field):
    kind, value = field
    assert kind == "raw", field
    return None if value == "\\N" else datetime.datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%f")


def info(dataset, start, end, **kwargs):
    return ocp_summary.cluster_information(
        SOURCE, start, end, schema=SCHEMA, input=str(dataset), threads=2, **kwargs
    )


@pytest.mark.parametrize("start,end", RANGES)
def test_cluster_information_equals_cli(cluster_dataset, start, end):
    got = info(cluster_dataset, start, end)
    assert set(got) == {"nodes", "pvcs", "projects"}
    want = cli("cluster-info", cluster_dataset, start, end)
    header = "node,resource_id,node_capacity_cpu_cores,node_role,arch"
    assert want["nodes"][0] == [("raw", c) for c in header.split(",")]
    nodes = [
        [text(n), text(r), number(c), text(role), text(a)]
        for n, r, c, role, a in want["nodes"][1:]
    ]
    pvcs = [[text(f) for f in row] for row in want["pvcs"][1:]]
    projects = [text(row[0]) for row in want["projects"][1:]]
    assert got["nodes"] == nodes
    assert got["pvcs"] == pvcs
    assert got["projects"] == projects
    # The Trino client's shapes: rows are lists, the capacity a float, NULL None.
    for row in got["nodes"]:
        assert isinstance(row, list) and len(row) == 5
        assert row[2] is None or type(row[2]) is float
    for row in got["pvcs"]:
        assert isinstance(row, list) and len(row) == 3
    if start == "2026-03-10":
        assert got == {"nodes": [], "pvcs": [], "projects": []}
    else:
        roles = {row[3] for row in got["nodes"]}
        assert {"master", "worker"} <= roles and len(roles) >= 3, roles
        assert None in {row[4] for row in got["nodes"]}
        assert len(got["pvcs"]) > 0 and len(got["projects"]) > 0


@pytest.mark.parametrize("start,end", RANGES)
def test_max_min_timestamp_equals_cli(cluster_dataset, start, end):
    # Dates as masu passes them (datetime.date) and the source as a uuid.UUID.
    got = ocp_summary.max_min_timestamp(
        uuid.UUID(SOURCE), datetime.date.fromisoformat(start), datetime.date.fromisoformat(end),
        schema=SCHEMA, input=str(cluster_dataset), threads=2,
    )
    want = cli("max-min-timestamp", cluster_dataset, start, end)["only"]
    assert want[0] == [("raw", "min_timestamp"), ("raw", "max_timestamp")]
    low, high = (timestamp(f) for f in want[1])
    # masu: a NULL min is midnight of start_date, a NULL max midnight of end_date.
    if low is None:
        low = datetime.datetime.fromisoformat(start)
    if high is None:
        high = datetime.datetime.fromisoformat(end)
    assert isinstance(got, tuple) and got == (low, high)
    for t in got:
        assert type(t) is datetime.datetime and t.tzinfo is None
    if start == "2026-03-10":
        assert got == (datetime.datetime(2026, 3, 10), datetime.datetime(2026, 3, 20))
    else:
        assert want[1][0] != ("raw", "\\N") and low >= datetime.datetime.fromisoformat(start)


def test_cluster_reads_raise_input_error(cluster_dataset, tmp_path):
    with pytest.raises(ocp_summary.InputError):
        info(cluster_dataset, 20260301, "2026-03-31")
    with pytest.raises(ocp_summary.InputError):
        ocp_summary.max_min_timestamp(
            SOURCE, "2026-03-01", "2026-04-02", schema=SCHEMA, input=str(cluster_dataset)
        )
    # An undecodable pod file is bad input data, named in the message.
    broken = tmp_path / "broken"
    shutil.copytree(cluster_dataset, broken)
    pod_file = next(p for p in sorted(broken.rglob("*.parquet")) if "/daily/" in str(p) and "/pod_usage/" in str(p))
    pod_file.write_bytes(b"not parquet at all")
    for call in (info, lambda d, s, e: ocp_summary.max_min_timestamp(
            SOURCE, s, e, schema=SCHEMA, input=str(d))):
        with pytest.raises(ocp_summary.InputError) as e:
            call(broken, "2026-03-01", "2026-03-31")
        assert isinstance(e.value, ocp_summary.OcpSummaryError)
        assert pod_file.name in str(e.value)


@pytest.mark.parametrize("name", ["max_min_timestamp", "cluster_information"])
def test_gil_is_released(name):
    """While a read waits on a silent S3 endpoint, other Python threads keep running; when the
    endpoint goes away, the read fails with SourceError after its retries (about 2 s)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    errors = []
    # A call holding the GIL would hang this test: turn that into a failed run.
    faulthandler.dump_traceback_later(120, exit=True)

    def call():
        try:
            getattr(ocp_summary, name)(
                SOURCE, "2026-03-01", "2026-03-31", schema=SCHEMA, input="s3://koku",
                s3_endpoint=f"http://127.0.0.1:{port}", s3_access_key="k", s3_secret="s",
                s3_region="us-east-1",
            )
        except ocp_summary.OcpSummaryError as e:
            errors.append(e)

    worker = threading.Thread(target=call)
    worker.start()
    listener.settimeout(30)
    conn, _ = listener.accept()
    # The worker is inside the call, waiting on S3; this thread still runs Python.
    assert worker.is_alive()
    counted = sum(1 for _ in range(100_000))
    assert counted == 100_000 and worker.is_alive()
    conn.close()
    listener.close()
    worker.join(60)
    assert not worker.is_alive()
    faulthandler.cancel_dump_traceback_later()
    assert len(errors) == 1 and isinstance(errors[0], ocp_summary.SourceError)
