#!/usr/bin/env python3
"""End-to-end benchmark: ocp-summary vs DuckDB on the same generated Koku Parquet.

Usage: scripts/bench.py [--sizes S,M,L] [--runs 3] [--dir /tmp/ocp-bench] [--skip-duckdb]

For each size it generates a dataset with `ocp-summary generate` (once, cached in --dir), then runs,
taking turns, `ocp-summary run` to CSV and the DuckDB port of Koku's SQL (tests/oracle/oracle.py,
threads=2) to CSV, each under `/usr/bin/time -v`. It reports medians of wall time, CPU time and peak
RSS, checks that both engines give the same rows (tests/oracle/compare.py), and writes a Markdown
table to docs/benchmarks/results.md and, when matplotlib is installed, a log-log plot of wall time and
peak RSS against input rows (docs/benchmarks/results.png). Run it with the venv Python from
scripts/setup-python.sh.
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


def params(root):
    return ["--input", str(root), "--org", ORG, "--source", SOURCE, "--year", "2026",
            "--month", "03", "--cluster-id", "bench", "--cluster-alias", "bench",
            "--report-period-id", "1", "--enabled-keys", KEYS]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="S,M,L")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/ocp-bench")
    ap.add_argument("--skip-duckdb", action="store_true")
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    rows = []
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
        engines = {"ocp-summary": lambda out: [BIN, "run", *params(root), "--output", f"csv:{out}"]}
        if not a.skip_duckdb:
            engines["duckdb (oracle SQL)"] = lambda out: [sys.executable, REPO / "tests/oracle/oracle.py",
                                                         *params(root), "--out", out]
        results = {name: [] for name in engines}
        for _ in range(a.runs):  # taking turns
            for name, cmd in engines.items():
                out = root / f"out-{name.split()[0]}.csv"
                results[name].append(timed(cmd(out)))
        if not a.skip_duckdb:
            cmp = subprocess.run([sys.executable, REPO / "tests/oracle/compare.py",
                                  root / "out-duckdb.csv", root / "out-ocp-summary.csv"],
                                 capture_output=True, text=True)
            same = "yes" if cmp.returncode == 0 else "NO"
        else:
            same = "n/a"
        for name, rs in results.items():
            wall = statistics.median(r[0] for r in rs)
            cpu = statistics.median(r[1] for r in rs)
            rss = statistics.median(r[2] for r in rs)
            rows.append((size, hourly, name, wall, cpu, rss, hourly / wall / 1e6, same))
            print(f"{size:>3} {hourly:>10} {name:<22} wall {wall:8.2f}s cpu {cpu:8.2f}s "
                  f"rss {rss:8.0f} MiB  {hourly / wall / 1e6:6.2f} M rows/s  same rows: {same}")
    md = ["| size | hourly pod rows | engine | wall (s) | CPU (s) | peak RSS (MiB) | M rows/s | same rows |",
          "|---|---|---|---|---|---|---|---|"]
    md += [f"| {s} | {h} | {n} | {w:.2f} | {c:.2f} | {r:.0f} | {t:.2f} | {same} |"
           for s, h, n, w, c, r, t, same in rows]
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = (f"# End-to-end benchmark\n\nMeasured {stamp} on this machine ({os.cpu_count()} cores) "
            f"by `scripts/bench.py --sizes {a.sizes} --runs {a.runs}`; medians of {a.runs} runs "
            f"taken in turns. Both engines read the same files and produce Pod, Storage and unallocated rows as CSV.\n\n"
            + "\n".join(md) + "\n")
    (REPO / "docs/benchmarks/results.md").write_text(text)
    print(text)
    plot(rows, REPO / "docs/benchmarks/results.png")


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
