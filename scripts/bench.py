#!/usr/bin/env python3
"""End-to-end benchmark: ocp-summary vs DuckDB, Polars and DataFusion on the same generated Koku Parquet.

Usage: scripts/bench.py [--sizes S,M,L] [--runs 3] [--dir /tmp/ocp-bench] [--oracle-sizes S,M]
                        [--skip-duckdb] [--skip-peers]

Self-sufficient: builds the release binary and creates its own venv (<--dir>/venv, pinned
duckdb/polars/datafusion/pyarrow/matplotlib from PyPI) and re-runs itself with it.
Peers (scripts/peers/): duckdb_fused.py, polars_pod.py, datafusion_pod.py write the Pod rows only;
ocp-summary and the oracle write all kinds, and their Pod rows are filtered out for the same-rows check
(every engine's Pod rows against the oracle's where the oracle ran, else against ocp-summary's).

For each size it generates a dataset with `ocp-summary generate` (once, cached in --dir), then runs,
taking turns, `ocp-summary run` to CSV and the DuckDB port of Koku's SQL (tests/oracle/oracle.py,
threads=2) to CSV, each under `/usr/bin/time -v`. It reports medians of wall time, CPU time and peak
RSS, checks that both engines give the same rows (tests/oracle/compare.py), and writes a Markdown
table to docs/benchmarks/results.md and, when matplotlib is installed, a log-log plot of wall time and
peak RSS against input rows (docs/benchmarks/results.png).

Cost per input (issue 16, item 7): for each size, one extra untimed `ocp-summary run --report-json` gives the
rows and bytes the run reads (its `inputs`); the table then shows ocp-summary's CPU time per hourly pod row, per
daily pod row and per byte read, and hourly rows per second per core, so growth faster than linear shows (masu's
chunked roll-up makes daily rows grow faster than hourly rows on bigger clusters). `--out FILE` writes the
Markdown elsewhere (a smoke run should not replace the committed results).
"""
import argparse, os, re, statistics, subprocess, sys, time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / "target/release/ocp-summary"
ORG, SOURCE = "org1234567", "6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10"
# (nodes, namespaces per node, pods per namespace) for 30 days of hourly rows.
SIZES = {
    "S": (4, 5, 7),        # ~100K hourly pod rows
    "M": (20, 10, 7),      # ~1M
    "L": (20, 20, 35),     # ~10M
    "XL": (50, 40, 35),    # ~50M
}
KEYS = "app,environment,team,tier,version,k001,k002"
PINS = ["duckdb==2.0.1", "polars==2.1.0", "datafusion==55.0.0", "pyarrow==26.0.1", "matplotlib==3.11.2"]


def ensure_venv(venv):
    """Creates/updates the benchmark venv and re-executes this script with it."""
    py = Path(venv) / "bin/python"
    if Path(sys.prefix).resolve() == Path(venv).resolve():
        return
    if not py.exists():
        subprocess.run([sys.executable if sys.prefix == sys.base_prefix else "python3", "-m", "venv", venv],
                       check=True)
    check = "import importlib.metadata as m, sys; sys.exit(any(m.version(p.split('==')[0]) != p.split('==')[1] for p in sys.argv[1:]))"
    if subprocess.run([py, "-c", check, *PINS], stderr=subprocess.DEVNULL).returncode != 0:
        subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", *PINS], check=True)
    os.execv(py, [str(py), __file__, *sys.argv[1:]])


def pod_only(src, dst):
    """Copies the header and the rows of the Pod query: data_source = 'Pod' (column 5) minus the unallocated
    rows, which are also 'Pod' rows, with namespace (column 8) 'Platform/Worker unallocated' or NULL (no node
    role). Columns 1-8 never hold quoted commas in generated data; the labels (column 11) come after."""
    skip = {"\\N", "Platform unallocated", "Worker unallocated"}
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as o:
        o.write(f.readline())
        for line in f:
            c = line.split(",", 8)
            if c[4] == "Pod" and c[7] not in skip:
                o.write(line)


def split_by_day(src, folder):
    """Splits a CSV by usage_start (column 6, never quoted) into folder/<day>.csv, each with the header."""
    folder.mkdir(parents=True, exist_ok=True)
    outs = {}
    with open(src, encoding="utf-8") as f:
        header = f.readline()
        for line in f:
            day = line.split(",", 6)[5]
            o = outs.get(day)
            if o is None:
                o = outs[day] = open(folder / f"{day}.csv", "w", encoding="utf-8")
                o.write(header)
            o.write(line)
    for o in outs.values():
        o.close()
    return set(outs)


def same_rows(ref, other, work):
    """compare.py holds both files in memory (about 15x their size), so big outputs are compared one
    usage_start day at a time: every row has one day, so equal days mean equal files."""
    compare = lambda a, b: subprocess.run([sys.executable, REPO / "tests/oracle/compare.py", a, b],
                                          capture_output=True, text=True)
    if max(Path(ref).stat().st_size, Path(other).stat().st_size) < 200 << 20:
        return compare(ref, other)
    import shutil
    shutil.rmtree(work, ignore_errors=True)
    days_a, days_b = split_by_day(ref, work / "a"), split_by_day(other, work / "b")
    if days_a != days_b:
        return subprocess.CompletedProcess([], 1, f"days differ: {sorted(days_a ^ days_b)}\n", "")
    from concurrent.futures import ThreadPoolExecutor
    days = sorted(days_a)
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:  # one compare.py process per core
        results = list(pool.map(lambda d: compare(work / "a" / f"{d}.csv", work / "b" / f"{d}.csv"), days))
    shutil.rmtree(work, ignore_errors=True)
    for day, cmp in zip(days, results):
        if cmp.returncode != 0:
            cmp.stdout = f"day {day}: {cmp.stdout}"
            return cmp
    return subprocess.CompletedProcess([], 0, f"{len(days)} days match\n", "")


def timed(cmd):
    """Runs cmd under /usr/bin/time -v; returns (wall s, cpu s, peak RSS MiB)."""
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{p.stderr[-3000:]}")
    f = lambda k: re.search(rf"{k}: (.*)", p.stderr).group(1)
    wall = f(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\)").split(":")
    wall_s = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
    cpu = float(f("User time \\(seconds\\)")) + float(f("System time \\(seconds\\)"))
    rss = int(f("Maximum resident set size \\(kbytes\\)")) / 1024
    return wall_s, cpu, rss


def fresh_start(out):
    """Untimed, before every run of every engine: the engine's previous output is deleted and dirty
    pages are written back. Replacing a 1.2 GB output made the file system free the old file's pages
    inside the timed run (1-3 s of system time at XL, 0.06 s at L), and writeback of the previous
    engine's output overlapped the next engine's run."""
    Path(out).unlink(missing_ok=True)
    os.sync()


def params(root, peer=False):
    if peer:
        return ["--input", str(root), "--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "03",
                "--cluster-id", "bench", "--cluster-alias", "bench", "--report-period-id", "1",
                "--enabled-keys", KEYS, "--threads", "2"]
    return ["--input", str(root), "--org", ORG, "--source", SOURCE, "--year", "2026",
            "--month", "03", "--cluster-id", "bench", "--cluster-alias", "bench",
            "--report-period-id", "1", "--enabled-keys", KEYS]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="S,M,L")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/ocp-bench")
    ap.add_argument("--venv", help="benchmark venv (default: <dir>/venv)")
    ap.add_argument("--oracle-sizes", default="S,M",
                    help="sizes where the literal oracle SQL also runs (slow: ~65 s at L)")
    ap.add_argument("--skip-duckdb", action="store_true", help="no oracle and no fused DuckDB")
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--out", default=str(REPO / "docs/benchmarks/results.md"),
                    help="where the Markdown goes (the plot goes beside it, .png)")
    a = ap.parse_args()
    Path(a.dir).mkdir(parents=True, exist_ok=True)
    ensure_venv(a.venv or str(Path(a.dir) / "venv"))
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    os.environ["POLARS_MAX_THREADS"] = "2"  # every peer at 2 threads, like DuckDB's threads=2
    load = os.getloadavg()
    rows = []
    inputs = {}
    for size in a.sizes.split(","):
        nodes, nss, pods = SIZES[size]
        root = Path(a.dir) / size
        if not (root / "generate.json").exists():
            subprocess.run([BIN, "generate", "--out", root, "--org", ORG, "--source", SOURCE,
                            "--start", "2026-03-01", "--days", "30", "--nodes", str(nodes),
                            "--namespaces-per-node", str(nss), "--pods-per-namespace", str(pods),
                            "--labels-per-pod", "15", "--force"], check=True)
        meta = __import__("json").loads((root / "generate.json").read_text())
        hourly = meta["hourly_rows"]["pod_usage"]
        engines = {
            # the Pod query alone, like the peers: the fair comparison
            "ocp-summary": lambda out: [BIN, "run", *params(root), "--pod-only", "--output", f"csv:{out}"],
            # the whole job: Pod, Storage and unallocated rows
            "ocp-summary (all kinds)": lambda out: [BIN, "run", *params(root), "--output", f"csv:{out}"],
        }
        peer = lambda script: (lambda out: [sys.executable, REPO / "scripts/peers" / script,
                                            *params(root, peer=True), "--out", out])
        if not a.skip_duckdb:
            if size in a.oracle_sizes.split(","):
                engines["duckdb (oracle SQL)"] = lambda out: [
                    sys.executable, REPO / "tests/oracle/oracle.py", *params(root), "--out", out]
            engines["duckdb fused"] = peer("duckdb_fused.py")
        if not a.skip_peers:
            engines["polars"] = peer("polars_pod.py")
            engines["datafusion"] = peer("datafusion_pod.py")
        inputs[size] = read_inputs(root)
        outs = {name: root / f"out-{re.sub(r'[^a-z0-9]+', '-', name).strip('-')}.csv" for name in engines}
        results = {name: [] for name in engines}
        for _ in range(a.runs):  # taking turns
            for name, cmd in engines.items():
                fresh_start(outs[name])
                results[name].append(timed(cmd(outs[name])))
        # same rows: Pod rows of every engine against the oracle's (or ocp-summary's) Pod rows
        pods = {}
        for name, out in outs.items():
            pods[name] = root / f"pod-{out.name}"
            pod_only(out, pods[name])
        ref = "duckdb (oracle SQL)" if "duckdb (oracle SQL)" in engines else "ocp-summary"
        same = {}
        for name in engines:
            if name == ref:
                continue
            cmp = same_rows(pods[ref], pods[name], root / "compare-by-day")
            same[name] = ("yes" if cmp.returncode == 0 else "NO") + ("" if ref != "ocp-summary" else " (vs ocp-summary)")
            if cmp.returncode != 0:
                print(f"{size} {name}: {cmp.stdout[-2000:]}{cmp.stderr[-2000:]}")
        same[ref] = "reference" if len(engines) > 1 else "n/a"
        for name, rs in results.items():
            wall = statistics.median(r[0] for r in rs)
            cpu = statistics.median(r[1] for r in rs)
            rss = statistics.median(r[2] for r in rs)
            rows.append((size, hourly, name, wall, cpu, rss, hourly / wall / 1e6, same[name]))
            print(f"{size:>3} {hourly:>10} {name:<22} wall {wall:8.2f}s cpu {cpu:8.2f}s "
                  f"rss {rss:8.0f} MiB  {hourly / wall / 1e6:6.2f} M rows/s  same rows: {same[name]}")
    md = ["| size | hourly pod rows | engine | wall (s) | CPU (s) | peak RSS (MiB) | M rows/s | same rows |",
          "|---|---|---|---|---|---|---|---|"]
    md += [f"| {s} | {h} | {n} | {w:.2f} | {c:.2f} | {r:.0f} | {t:.2f} | {same} |"
           for s, h, n, w, c, r, t, same in rows]
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = (f"# End-to-end benchmark\n\nMeasured {stamp} on this machine ({os.cpu_count()} cores) "
            f"by `scripts/bench.py --sizes {a.sizes} --runs {a.runs}`; medians of {a.runs} runs "
            f"taken in turns. Load average (1/5/15 min) at the start: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}; "
            f"at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (the 2 cores are shared).\n\n"
            "All engines read the same files. `ocp-summary` runs with `--pod-only` (the Pod query's rows, like "
            "the peers); `ocp-summary (all kinds)` and the oracle (`tests/oracle`, literal port of Koku's "
            "SQL) also write Storage and unallocated rows; the peers (`scripts/peers/`: fused DuckDB query, "
            "Polars, DataFusion; 2 threads each) write the Pod rows only. Before each run (untimed) the engine's "
            "previous output is deleted and dirty pages are synced. \"same rows\" compares the Pod rows "
            "of each engine with the oracle's (`tests/oracle/compare.py`; at sizes without the oracle, with "
            "ocp-summary's).\n\n"
            + "\n".join(md) + "\n\n" + ratios(rows) + "\n\n" + costs(rows, inputs) + "\n")
    out = Path(a.out)
    out.write_text(text)
    print(text)
    plot(rows, out.with_suffix(".png"))


def read_inputs(root):
    """(hourly pod rows, daily pod rows, bytes read) of `ocp-summary run` on root, from its --report-json
    (one untimed run)."""
    import json, tempfile
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([BIN, "run", *params(root), "--output", f"csv:{Path(tmp) / 'out.csv'}",
                        "--report-json", report], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        got = json.loads(report.read_text())["inputs"]
    rows = {i["table"]: i["rows"] for i in got}
    return (rows.get("openshift_pod_usage_line_items", 0), rows.get("openshift_pod_usage_line_items_daily", 0),
            sum(i["bytes"] for i in got))


def costs(rows, inputs):
    """ocp-summary's CPU cost per input at each size, and XL's against L's (target: within 1.1x)."""
    out = ["## Cost per input (ocp-summary, all kinds; CPU time = user + system, medians)\n",
           "| size | hourly pod rows | daily pod rows | MB read | ns CPU / hourly row | ns CPU / daily row "
           "| ns CPU / byte read | M hourly rows/s/core |",
           "|---|---|---|---|---|---|---|---|"]
    per = {}
    for size, hourly_rows, name, wall, cpu, rss, _, _ in rows:
        if name != "ocp-summary (all kinds)" or size not in inputs:
            continue
        hourly, daily, nbytes = inputs[size]
        per[size] = (cpu / max(daily, 1), cpu / max(nbytes, 1))
        out.append(f"| {size} | {hourly} | {daily} | {nbytes / 1e6:.1f} | {cpu / max(hourly, 1) * 1e9:.0f} | "
                   f"{cpu / max(daily, 1) * 1e9:.0f} | {cpu / max(nbytes, 1) * 1e9:.2f} | "
                   f"{hourly / max(cpu, 1e-9) / 1e6:.2f} |")
    if "L" in per and "XL" in per:
        out.append(f"\nXL / L cost per daily pod row: {per['XL'][0] / per['L'][0]:.2f}; "
                   f"per byte read: {per['XL'][1] / per['L'][1]:.2f} (target: <= 1.1)")
    return "\n".join(out)


def ratios(rows):
    """The issue-7 targets as measured: ocp-summary (Pod only) against the peers at each size."""
    out = ["## Ratios (ocp-summary `--pod-only` / peer; targets: wall <= 1/3 of the fastest peer and "
           "<= 1/5 of DuckDB's, RSS <= 1/4 of the smallest peer's, XL RSS <= 1.2x L's, >= 20M rows/s)\n",
           "| size | wall / fastest peer | wall / DuckDB fused | RSS / smallest-RSS peer | M rows/s |",
           "|---|---|---|---|---|"]
    by = {(r[0], r[2]): r for r in rows}
    peers = ("duckdb fused", "polars", "datafusion")
    for size in dict.fromkeys(r[0] for r in rows):
        ours = by.get((size, "ocp-summary"))
        got = [by[(size, p)] for p in peers if (size, p) in by]
        if not ours or not got:
            continue
        fast = min(got, key=lambda r: r[3])
        small = min(got, key=lambda r: r[5])
        duck = by.get((size, "duckdb fused"))
        out.append(f"| {size} | {ours[3] / fast[3]:.2f} ({fast[2]}) | "
                   f"{(f'{ours[3] / duck[3]:.2f}' if duck else 'n/a')} | "
                   f"{ours[5] / small[5]:.2f} ({small[2]}) | {ours[6]:.2f} |")
    if ("L", "ocp-summary") in by and ("XL", "ocp-summary") in by:
        out.append(f"\nXL peak RSS / L peak RSS: {by[('XL', 'ocp-summary')][5] / by[('L', 'ocp-summary')][5]:.2f}")
    return "\n".join(out)


def plot(rows, path):
    """Log-log plot of wall time and peak RSS against hourly pod rows, one line per engine."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot (pip install matplotlib)")
        return
    fig, (t_ax, m_ax) = plt.subplots(1, 2, figsize=(11, 4.5))
    for engine in dict.fromkeys(r[2] for r in rows):
        pts = sorted((r[1], r[3], r[5]) for r in rows if r[2] == engine)
        xs = [p[0] for p in pts]
        t_ax.plot(xs, [p[1] for p in pts], marker="o", label=engine)
        m_ax.plot(xs, [p[2] for p in pts], marker="o", label=engine)
    for ax, what in ((t_ax, "wall time (s)"), (m_ax, "peak RSS (MiB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("hourly pod rows")
        ax.set_ylabel(what)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("ocp-summary vs peers (medians)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


if __name__ == "__main__":
    main()
