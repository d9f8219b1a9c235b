#!/usr/bin/env python3
"""Times two builds of ocp-summary on the same data, taking turns, and prints medians.

    scripts/bench_builds.py OLD_BINARY NEW_BINARY [--size L] [--runs 5] [--dir out/bench-builds]

For refactors that must not cost speed: both binaries run the whole job (Pod, Storage and
unallocated rows, CSV out) and `--pod-only`, alternately, and the table gives the median wall
time and peak RSS of each, with the ratio new/old. The dataset is generated once by NEW_BINARY
(`generate` is deterministic), with the sizes of scripts/bench.py. Standard library only.
"""

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

ORG, SOURCE = "org1234567", "6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10"
SIZES = {"S": (4, 5, 7), "M": (20, 10, 7), "L": (20, 20, 35), "XL": (50, 40, 35)}


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--size", default="L", choices=SIZES)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dir", default="out/bench-builds")
    a = ap.parse_args()
    nodes, nss, pods = SIZES[a.size]
    root = Path(a.dir) / a.size
    if not (root / "generate.json").exists():
        subprocess.run([a.new, "generate", "--out", str(root), "--org", ORG, "--source", SOURCE,
                        "--start", "2026-03-01", "--days", "30", "--nodes", str(nodes),
                        "--namespaces-per-node", str(nss), "--pods-per-namespace", str(pods),
                        "--labels-per-pod", "15", "--force"], check=True,
                       stdout=subprocess.DEVNULL)
    base = ["run", "--input", str(root), "--org", ORG, "--source", SOURCE, "--year", "2026",
            "--month", "03", "--cluster-id", "c1", "--cluster-alias", "C1",
            "--report-period-id", "1", "--enabled-keys", "app,environment,team",
            "--cost-category", "openshift-%=1", "--cost-category", "kube-%=1"]
    jobs = {"all kinds": [], "--pod-only": ["--pod-only"]}
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(a.runs):
        for job, extra in jobs.items():
            for name, binary in (("old", a.old), ("new", a.new)):
                out = root / f"out-{name}.csv"
                cmd = [binary, *base, *extra, "--output", f"csv:{out}"]
                results.setdefault((job, name), []).append(timed(cmd))
    print(f"size {a.size}, {a.runs} runs each, taken in turns; load average {os.getloadavg()[0]:.2f}")
    print(f"{'job':<12} {'build':<5} {'wall s (median)':>16} {'peak RSS MiB':>13}  all walls")
    for job in jobs:
        med = {}
        for name in ("old", "new"):
            runs = results[(job, name)]
            med[name] = (statistics.median(w for w, _ in runs), statistics.median(r for _, r in runs))
            walls = " ".join(f"{w:.2f}" for w, _ in runs)
            print(f"{job:<12} {name:<5} {med[name][0]:>16.2f} {med[name][1]:>13.0f}  {walls}")
        print(f"{job:<12} new/old wall {med['new'][0] / med['old'][0]:.3f}, "
              f"RSS {med['new'][1] / med['old'][1]:.3f}")


if __name__ == "__main__":
    main()
