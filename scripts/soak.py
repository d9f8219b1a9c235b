#!/usr/bin/env python3
"""Fault and soak test: many runs with a random fault each; the table must never be mixed.

Usage: scripts/soak.py [--runs 1000] [--seed 1] [--keep] [--faults KIND,KIND...]

Run on demand, not in CI. It starts a throwaway PostgreSQL 15 (as the `postgres` user when run as
root), creates Koku's tables with `ocp-summary init-db`, generates two datasets A and B for the same
month, and loads both in turn (the table starts with B's rows). It also serves both datasets from a
local s3s-fs (objects `s3://koku/A/...`, `s3://koku/B/...`) behind a TCP proxy. Then each run picks
A or B and one fault:

  none               a clean run
  sigkill-engine     SIGKILL of ocp-summary at a random moment
  terminate-backend  pg_terminate_backend of the run's connection while it COPYs
  server-restart     `pg_ctl restart -m immediate` at a random moment
  disk-full-csv      CSV output to a 64 KiB tmpfs (needs root; skipped otherwise)
  s3-drop            input from s3:// through the proxy, which drops connections at random: each
                     chunk of up to 64 KiB it relays from the server is, with a probability drawn
                     per run from 2, 5, 10 and 30%, cut (a random prefix of it is sent) and both
                     sides closed; chunks from the client are dropped at half that rate. A column
                     chunk response spans several relay chunks, so its odds of a cut are higher.
                     `--s3-retries` is 1, 2 or 5. Exit 0 with the new rows or exit 3
                     with the old rows is correct; anything else counts as bad. Needs s3s-fs
                     (`cargo install s3s-fs@0.14.1 --locked --features binary`; skipped otherwise).

After every run it checks that the report period's rows are exactly A's or exactly B's (a digest of
every column but uuid) with no duplicate keys, and that a failed CSV run left no file. A table
reported as "new" or "old" rows is one that changed to the run's dataset or kept the other one;
"old = new" means the table already held the run's dataset, so the two cannot be told apart. It
prints a table of outcomes per fault kind and exits 1 if any state was mixed or duplicated (or an
S3 run ended other than as above).
"""
import argparse, os, random, shutil, signal, socket, subprocess, sys, tempfile, threading, time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / "target/release/ocp-summary"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
ORG, SOURCE, SCHEMA = "org1234567", "6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10", "soak"
ROOT = os.geteuid() == 0
S3_KEY, S3_SECRET, S3_BUCKET = "soak-key", "soak-secret-0123456789", "koku"


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


def s3s_fs():
    found = shutil.which("s3s-fs")
    if found:
        return found
    home = Path.home() / ".cargo/bin/s3s-fs"
    return str(home) if home.exists() else None


class S3:
    """A local s3s-fs serving `root` (a bucket is a folder under it), stopped by `stop`."""

    def __init__(self, exe, root):
        self.port = free_port()
        self.proc = subprocess.Popen([exe, "--host", "127.0.0.1", "--port", str(self.port),
                                      "--access-key", S3_KEY, "--secret-key", S3_SECRET, root],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("s3s-fs did not start")
                time.sleep(0.05)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class DropProxy:
    """A TCP relay to 127.0.0.1:`upstream` that drops connections at random.

    Bytes are relayed unchanged (SigV4 signatures stay valid). Each chunk read from the server is,
    with probability `rate`, cut: a random prefix of it is sent and both connections are closed, so
    the client sees a response end mid-headers or mid-body. Each chunk from the client is dropped
    the same way (nothing forwarded) with probability `rate / 2`. `drops` counts the cuts.
    """

    def __init__(self, upstream, seed):
        self.upstream = upstream
        self.rate = 0.0
        self.drops = 0
        self.lock = threading.Lock()
        self.rnd = random.Random(seed)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.endpoint = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def cut(self, rate):
        """(drop?, fraction of the chunk to send first)"""
        with self.lock:
            drop = self.rnd.random() < rate
            if drop:
                self.drops += 1
            return drop, self.rnd.random()

    def serve(self, client):
        try:
            server = socket.create_connection(("127.0.0.1", self.upstream))
        except OSError:
            client.close()
            return

        def close_both():
            for s in (client, server):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

        def pump(src, dst, response):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    drop, frac = self.cut(self.rate if response else self.rate / 2)
                    if drop:
                        if response:
                            dst.sendall(data[:int(len(data) * frac)])
                        break
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                close_both()

        threading.Thread(target=pump, args=(client, server, False), daemon=True).start()
        pump(server, client, True)


def s3_env():
    """The environment for an S3 run: the s3s-fs credentials and nothing from the host's AWS setup."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")}
    env.update(AWS_ACCESS_KEY_ID=S3_KEY, AWS_SECRET_ACCESS_KEY=S3_SECRET, AWS_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    return env


def s3_counters(stderr):
    """(requests, retries) from the run summary's `s3 requests N  retries N ...` line."""
    for line in stderr.splitlines():
        words = line.split()
        if len(words) >= 5 and words[:2] == ["s3", "requests"] and words[3] == "retries":
            return int(words[2].replace(",", "")), int(words[4].replace(",", ""))
    return 0, 0


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
    ap.add_argument("--faults", help="comma-separated fault kinds to draw from (default: all available)")
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
    s3 = proxy = None
    s3_exe = s3s_fs()
    if s3_exe:
        faults.append("s3-drop")
    else:
        print("s3s-fs not found: the s3-drop fault is skipped", file=sys.stderr)
    if a.faults:
        wanted = a.faults.split(",")
        missing = [f for f in wanted if f not in faults]
        if missing:
            sys.exit(f"fault kinds not available here: {', '.join(missing)} (available: {', '.join(faults)})")
        faults = wanted
    s3_stats = Counter()
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
        current = states[digest(server)]
        if "s3-drop" in faults:
            s3_root = Path(tmp) / "s3"
            for name, (d, _) in datasets.items():
                shutil.copytree(d, s3_root / S3_BUCKET / name)
            s3 = S3(s3_exe, s3_root)
            proxy = DropProxy(s3.port, a.seed)
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
            if fault == "s3-drop":
                proxy.rate = rnd.choice([0.02, 0.05, 0.1, 0.3])
                retries = rnd.choice(["1", "2", "5"])
                args = run_args(f"s3://{S3_BUCKET}/{name}", server,
                                ["--s3-endpoint", proxy.endpoint, "--s3-path-style", "--s3-retries", retries])
                drops_before = proxy.drops
                p = subprocess.run(args, env=s3_env(), capture_output=True, text=True)
                proxy.rate = 0.0
                state = digest(server)
                which = states.get(state)
                dup = state[0] != state[1]
                requests, retried = s3_counters(p.stderr)
                s3_stats["runs"] += 1
                s3_stats["drops"] += proxy.drops - drops_before
                s3_stats[f"exit {p.returncode}"] += 1
                if p.returncode == 0:
                    s3_stats["requests (exit 0)"] += requests
                    s3_stats["retries (exit 0)"] += retried
                if which is None or dup:
                    bad += 1
                    outcome[fault][f"exit {p.returncode}: MIXED/DUPLICATE {state[:2]}"] += 1
                    print(f"run {i}: {fault} left a bad state {state}", file=sys.stderr)
                else:
                    table = ("old = new" if which == current == name
                             else "new" if which == name else "old")
                    ok = (p.returncode == 0 and which == name) or (p.returncode == 3 and which == current)
                    if not ok:
                        bad += 1
                        print(f"run {i}: {fault} exit {p.returncode} with table = {table} rows:\n"
                              f"{p.stderr[-2000:]}", file=sys.stderr)
                    outcome[fault][f"exit {p.returncode}, table = {table} rows"
                                   + ("" if ok else " (WRONG)")] += 1
                    current = which
                if (i + 1) % 50 == 0:
                    print(f"{i + 1} runs, {bad} bad", file=sys.stderr)
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
                table = "old = new" if which == current == name else "new" if which == name else "old"
                outcome[fault][f"{result}, table = {table} rows"] += 1
                current = which
            if (i + 1) % 50 == 0:
                print(f"{i + 1} runs, {bad} bad", file=sys.stderr)
        print(f"\n| fault | outcome | runs |\n|---|---|---|")
        for fault in faults:
            for o, n in sorted(outcome[fault].items()):
                print(f"| {fault} | {o} | {n} |")
        if s3_stats["runs"]:
            print(f"\ns3-drop: {s3_stats['runs']} runs, {s3_stats['drops']} connections cut by the proxy; "
                  f"runs that succeeded made {s3_stats['requests (exit 0)']} requests with "
                  f"{s3_stats['retries (exit 0)']} retries")
        clean = a.runs - bad
        print(f"\n{a.runs} runs: {clean} left the table complete (old or new rows), {bad} mixed or duplicated "
              f"({100.0 * clean / a.runs:.1f}% consistent)")
        return 1 if bad else 0
    finally:
        if s3:
            s3.stop()
        if ROOT and tmpfs.exists():
            subprocess.run(["umount", tmpfs], capture_output=True)
        server.stop()
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
