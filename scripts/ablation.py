#!/usr/bin/env python3
"""Each optimisation's own effect: every switch off in turn, then all off, then all on.

    scripts/ablation.py [--binary target/release/ocp-summary] [--size L] [--runs 3]
                        [--database-url URL] [--out docs/benchmarks/ablation.md] [--png PATH]

The same generated month (scripts/bench.py's sizes) runs under each configuration, in turns, and
the table gives the median of `--runs` runs of wall time, CPU time (user + system) and peak RSS,
with the ratio to "all on". Every configuration must give the same rows as "all on" (the CSV
minus its uuid column, compared by hash); a difference stops the script. With --database-url,
`--copy text` against binary is measured on the PostgreSQL load too (into a scratch schema made
by `init-db`). `--png` draws a bar chart when matplotlib is importable.
"""

import argparse
import hashlib
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ORG, SOURCE = "org1234567", "6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10"
SIZES = {"S": (4, 5, 7), "M": (20, 10, 7), "L": (20, 20, 35), "XL": (50, 40, 35)}

# (name, flags that turn the optimisation off). "all on" is the default of every switch.
SWITCHES = [
    ("threads 1 (no parallel workers)", ["--threads", "1"]),
    ("decode reference (no page kernels)", ["--decode", "reference"]),
    ("label-memo off (parse per row)", ["--label-memo", "off"]),
    ("streaming month (no day batches)", ["--streaming", "month"]),
    ("output-io buffered (no O_DIRECT)", ["--output-io", "buffered"]),
]


def timed(cmd):
    """Wall seconds, CPU seconds and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if status != 0:
        sys.exit(f"failed ({status}): {' '.join(cmd)}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def rows_hash(csv):
    """The CSV's lines without the uuid column, hashed in order."""
    h = hashlib.sha256()
    with open(csv, "rb") as f:
        for line in f:
            h.update(line.split(b",", 1)[-1])
    return h.hexdigest()


def generate(binary, root, size):
    nodes, nss, pods = SIZES[size]
    if (root / "generate.json").exists():
        return
    subprocess.run([binary, "generate", "--out", str(root), "--org", ORG, "--source", SOURCE,
                    "--start", "2026-03-01", "--days", "30", "--nodes", str(nodes),
                    "--namespaces-per-node", str(nss), "--pods-per-namespace", str(pods),
                    "--labels-per-pod", "15", "--force"], check=True, stdout=subprocess.DEVNULL)


def psql(url, sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="target/release/ocp-summary")
    ap.add_argument("--size", default="L", choices=SIZES)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="out/ablation")
    ap.add_argument("--database-url")
    ap.add_argument("--out", default="docs/benchmarks/ablation.md")
    ap.add_argument("--png", default="docs/benchmarks/ablation.png")
    a = ap.parse_args()
    if a.runs < 3:
        sys.exit("--runs must be at least 3 (medians)")
    root = Path(a.dir) / a.size
    generate(a.binary, root, a.size)
    base = [a.binary, "run", "--input", str(root), "--org", ORG, "--source", SOURCE, "--year", "2026",
            "--month", "03", "--cluster-id", "c1", "--cluster-alias", "C1", "--report-period-id", "1",
            "--enabled-keys", "app,environment,team", "--cost-category", "openshift-%=1",
            "--cost-category", "kube-%=1"]
    configs = [("all on", [])] + SWITCHES + [("all off", [f for _, fl in SWITCHES for f in fl])]
    results = {name: [] for name, _ in configs}
    hashes = {}
    for _ in range(a.runs):
        for name, flags in configs:
            out = root / "ablation-out.csv"
            results[name].append(timed(base + flags + ["--output", f"csv:{out}"]))
            hashes.setdefault(name, rows_hash(out))
    reference = hashes["all on"]
    for name, h in hashes.items():
        if h != reference:
            sys.exit(f"{name}: different rows from 'all on'")
    db_rows = []
    if a.database_url:
        db_rows = copy_rows(a, base)
    write_report(a, configs, results, db_rows)


def copy_rows(a, base):
    """Median times of the PostgreSQL load with binary and text COPY."""
    out = {"copy binary": [], "copy text": []}
    for schema in ("ablation_binary", "ablation_text"):
        psql(a.database_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        subprocess.run([a.binary, "init-db", "--database-url", a.database_url, "--schema", schema],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        psql(a.database_url, f'INSERT INTO "{schema}".reporting_ocpusagereportperiod '
                             "(id, cluster_id, report_period_start, report_period_end) "
                             "VALUES (1, 'c1', '2026-03-01', '2026-04-01')")
    for _ in range(a.runs):
        for name, schema in (("copy binary", "ablation_binary"), ("copy text", "ablation_text")):
            fmt = name.split()[1]
            out[name].append(timed(base + ["--database-url", a.database_url, "--schema", schema,
                                            "--copy", fmt]))
    return list(out.items())


def med(samples, i):
    return statistics.median(s[i] for s in samples)


def write_report(a, configs, results, db_rows):
    on = results["all on"]
    lines = [
        "# Ablation: each optimisation's own effect",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.node()} ({os.cpu_count()} cores, "
        f"{platform.machine()}), `{a.binary}`, size {a.size} of scripts/bench.py (30 days, "
        f"{'×'.join(map(str, SIZES[a.size]))} nodes×namespaces×pods, 15 labels per pod), CSV out. "
        f"Medians of {a.runs} runs taken in turns; ratios against \"all on\". Every configuration gave "
        "the same rows as \"all on\" (CSV without the uuid column, hashed).",
        "",
        "| configuration | wall s | × | CPU s | × | peak RSS MiB | × |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [(name, results[name]) for name, _ in configs] + db_rows
    for name, samples in rows:
        base = on if not name.startswith("copy") else dict(db_rows)["copy binary"]
        cells = []
        for i in range(3):
            v, b = med(samples, i), med(base, i)
            cells += [f"{v:.2f}" if i < 2 else f"{v:.0f}", f"{v / b:.2f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if db_rows:
        lines += ["", "The `copy` rows load into PostgreSQL (`--database-url`); their ratios are "
                      "against binary COPY."]
    text = "\n".join(lines) + "\n"
    Path(a.out).write_text(text)
    print(text)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not importable: no chart", file=sys.stderr)
        return
    names = [n for n, _ in rows]
    fig, axes = plt.subplots(1, 3, figsize=(13, 0.5 * len(names) + 1.5), sharey=True)
    for ax, (i, label) in zip(axes, [(0, "wall s"), (1, "CPU s"), (2, "peak RSS MiB")]):
        ax.barh(names, [med(s, i) for _, s in rows], color="#4a7bb7")
        ax.set_xlabel(label)
    axes[0].invert_yaxis()
    fig.suptitle(f"ocp-summary ablation, size {a.size}, medians of {a.runs} runs")
    fig.tight_layout()
    fig.savefig(a.png, dpi=110)


if __name__ == "__main__":
    main()
