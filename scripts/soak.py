#!/usr/bin/env python3
"""Fault and soak test: many runs with a random fault each; the table must never be mixed.

Usage: scripts/soak.py [--runs 1000] [--seed 1] [--keep]

Run on demand, not in CI. It starts a throwaway PostgreSQL 15 (as the `postgres` user when run as
root), creates Koku's tables with `ocp-summary init-db`, generates two datasets A and B for the same
month, and loads A. Then each run picks A or B and one fault:

  none               a clean run
  sigkill-engine     SIGKILL of ocp-summary at a random moment
  terminate-backend  pg_terminate_backend of the run's connection while it COPYs
  server-restart     `pg_ctl restart -m immediate` at a random moment
  disk-full-csv      CSV output to a 64 KiB tmpfs (needs root; skipped otherwise)

After every run it checks that the report period's rows are exactly A's or exactly B's (a digest of
every column but uuid) with no duplicate keys, and that a failed CSV run left no file. It prints
a table of outcomes per fault kind and exits 1 if any state was mixed or duplicated.
"""
import argparse, os, random, shutil, signal, socket, subprocess, sys, tempfile, time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / "target/release/ocp-summary"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
ORG, SOURCE, SCHEMA = "org1234567", "6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10", "soak"
ROOT = os.geteuid() == 0


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def as_pg(cmd):
    return ["runuser", "-u", "postgres", "--", *map(str, cmd)] if ROOT else list(map(str, cmd))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, tmp):
        self.dir = Path(tmp) / "pg"
        self.dir.mkdir()
        if ROOT:
            sh(["chown", "-R", "postgres", self.dir])
        self.data = self.dir / "data"
        sh(as_pg([PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync"]))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.start()

    def ctl(self, *args):
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        return subprocess.run(as_pg([PG_BIN / "pg_ctl", "-D", self.data, "-o", opts, "-l",
                                     self.dir / "log", "-w", *args]), capture_output=True, text=True)

    def start(self):
        self.ctl("start")

    def restart_immediate(self):
        self.ctl("-m", "immediate", "restart")

    def stop(self):
        self.ctl("-m", "immediate", "stop")

    def psql(self, sql):
        for _ in range(50):
            p = subprocess.run(["psql", self.url, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                                "-c", sql], capture_output=True, text=True)
            if p.returncode == 0:
                return p.stdout.strip()
            time.sleep(0.2)  # the server may be restarting
        raise RuntimeError(p.stderr)


def digest(server):
    """(rows, distinct keys, md5 of every column but uuid) of report period 1."""
    cols = server.psql(
        f"SELECT string_agg(quote_ident(column_name), ',' ORDER BY column_name) FROM information_schema.columns "
        f"WHERE table_schema = '{SCHEMA}' AND table_name = 'reporting_ocpusagelineitem_daily_summary' "
        f"AND column_name <> 'uuid'")
    t = f"{SCHEMA}.reporting_ocpusagelineitem_daily_summary"
    out = server.psql(
        f"SELECT count(*), count(DISTINCT r), coalesce(md5(string_agg(r, '|' ORDER BY r)), '') "
        f"FROM (SELECT ROW({cols})::text AS r FROM {t} WHERE report_period_id = 1) s")
    n, distinct, md5 = out.split("|")
    return int(n), int(distinct), md5


def run_args(data, server, extra=()):
    return [BIN, "run", "--input", data, "--org", ORG, "--source", SOURCE, "--year", "2026",
            "--month", "3", "--cluster-id", "soak", "--report-period-id", "1",
            "--database-url", server.url, "--schema", SCHEMA, "--db-retries", "1", *extra]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    tmp = tempfile.mkdtemp(prefix="ocp-soak-")
    os.chmod(tmp, 0o755)  # the server runs as `postgres` and must reach its folder
    server = Server(tmp)
    tmpfs = Path(tmp) / "tmpfs"
    faults = ["none", "sigkill-engine", "terminate-backend", "server-restart"]
    if ROOT:
        tmpfs.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", tmpfs]).returncode == 0:
            faults.append("disk-full-csv")
    try:
        sh([BIN, "init-db", "--database-url", server.url, "--schema", SCHEMA])
        server.psql(f"INSERT INTO {SCHEMA}.reporting_ocpusagereportperiod (id, cluster_id, report_period_start, "
                    f"report_period_end) VALUES (1, 'soak', '2026-03-01', '2026-04-01')")
        datasets = {}
        for name, seed in (("A", 1), ("B", 2)):
            d = Path(tmp) / name
            sh([BIN, "generate", "--out", d, "--org", ORG, "--source", SOURCE, "--days", "3",
                "--nodes", "6", "--seed", str(seed)])
            sh(run_args(d, server))
            datasets[name] = (d, digest(server))
        states = {v[1]: k for k, v in datasets.items()}
        outcome = defaultdict(Counter)
        bad = 0
        for i in range(a.runs):
            name = rnd.choice("AB")
            data = datasets[name][0]
            fault = rnd.choice(faults)
            delay = rnd.uniform(0.0, 0.6)
            if fault == "disk-full-csv":
                out = tmpfs / "out.csv"
                p = subprocess.run([*run_args(data, server)[:-8], "--output", f"csv:{out}"],
                                   capture_output=True, text=True)
                leftovers = list(tmpfs.iterdir())
                ok = p.returncode == 4 and not leftovers
                outcome[fault]["exit 4, no file" if ok else f"exit {p.returncode}, files {len(leftovers)}"] += 1
                bad += not ok
                for f in leftovers:
                    f.unlink()
                continue
            proc = subprocess.Popen(run_args(data, server), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True)
            if fault == "sigkill-engine":
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
            elif fault == "terminate-backend":
                deadline = time.time() + 5
                while proc.poll() is None and time.time() < deadline:
                    hit = server.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                      "WHERE query ILIKE 'COPY%' AND pid <> pg_backend_pid()")
                    if hit != "0":
                        break
                    time.sleep(0.005)
            elif fault == "server-restart":
                time.sleep(delay)
                server.restart_immediate()
            proc.wait()
            state = digest(server)
            which = states.get(state)
            dup = state[0] != state[1]
            result = "exit 0" if proc.returncode == 0 else f"exit {proc.returncode}"
            if which is None or dup:
                bad += 1
                outcome[fault][f"{result}: MIXED/DUPLICATE {state[:2]}"] += 1
                print(f"run {i}: {fault} left a bad state {state}", file=sys.stderr)
            else:
                outcome[fault][f"{result}, table = {'new' if which == name else 'old'} rows"] += 1
            if (i + 1) % 50 == 0:
                print(f"{i + 1} runs, {bad} bad", file=sys.stderr)
        print(f"\n| fault | outcome | runs |\n|---|---|---|")
        for fault in faults:
            for o, n in sorted(outcome[fault].items()):
                print(f"| {fault} | {o} | {n} |")
        clean = a.runs - bad
        print(f"\n{a.runs} runs: {clean} left the table complete (old or new rows), {bad} mixed or duplicated "
              f"({100.0 * clean / a.runs:.1f}% consistent)")
        return 1 if bad else 0
    finally:
        if ROOT and tmpfs.exists():
            subprocess.run(["umount", tmpfs], capture_output=True)
        server.stop()
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
