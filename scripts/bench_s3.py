#!/usr/bin/env python3
"""S3 against local-folder time (issue 16, item 5): how much a remote store costs, and how much of that
is the test server's own ceiling.

Usage: scripts/bench_s3.py [--size L] [--data DIR] [--runs 3] [--delay-ms 20] [--read-ahead 0,16]
                           [--concurrency 128] [--dir /tmp/ocp-bench-s3] [--no-build] [--no-etags]
                           [--no-loops] [-- extra run flags]

Generates a month with `ocp-summary generate` (bench.py's sizes; cached in --dir) or takes --data DIR (a
generated root) and serves it with s3s-fs on 127.0.0.1 (hard links into its root, no copy; plus the ETag
sidecar s3s-fs writes on PutObject, see etag_sidecars, unless --no-etags). Starts a delay proxy (a thread per
connection; every request waits --delay-ms before it is forwarded, as a round trip to real S3 adds), then
runs, taking turns, --runs times each:

  local            `run --input DIR`
  s3 ra=N          `run --input s3://...` straight to s3s-fs, `--s3-read-ahead N` for each N of --read-ahead
  s3+Dms ra=N      the same through the delay proxy
  sendfile ra=N    `run --input s3://...` against scripts/sendfile_s3.py (a lean endpoint for benchmarks: ListObjectsV2
  sendfile+Dms     and ranged GETs from the same folder, bytes sent by the kernel; the second waits --delay-ms
                   before each answer), for the last N of --read-ahead. On a 2-core machine s3s-fs and the proxy
                   take CPU the engine would otherwise use, where real S3 takes none of ours; this is the figure
                   closest to the engine's own cost of a remote store. Skipped with --no-sendfile.
  get-loop ...     the ranged GETs the last proxied run sent (captured at the proxy, signed requests replayed
                   byte for byte within a minute of signing) against s3s-fs: one at a time, and with as many
                   connections as `--s3-concurrency` (128); and the latter through the delay proxy. This is the
                   server's (and the proxy's) own ceiling for the same requests, with no decoding at all.

Prints medians of wall time, S3 requests and bytes (the run summary's `s3 requests` line; the loop's own
counts), the ratio to the local run, and the CPU seconds of the engine, of s3s-fs and of the proxy (all on
the same cores: on a small machine the server and the proxy take CPU the engine would otherwise use). Also
checks, once per variant, that the rows equal the local run's (CSV without the uuid column). No figures are
written anywhere: copy the table into docs/benchmarks/s3.md.
"""
import argparse, hashlib, os, queue, re, shutil, socket, statistics, subprocess, sys, threading, time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / "target/release/ocp-summary"
ORG, SOURCE = "org1234567", "6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10"
SIZES = {"S": (4, 5, 7), "M": (20, 10, 7), "L": (20, 20, 35), "XL": (50, 40, 35)}  # as bench.py
KEYS = "app,environment,team,tier,version,k001,k002"
KEY, SECRET, BUCKET, PREFIX = "bench-key", "bench-secret-0123456789", "koku", "month"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    t = time.time()
    while time.time() - t < timeout:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on 127.0.0.1:{port}")


def etag_sidecars(root, bucket, prefix):
    """What s3s-fs keeps for an object uploaded with PutObject: `{"e_tag": md5}` in
    `.bucket-B.object-K.internal.json` at its root. Without it s3s-fs 0.14.1 computes the MD5 of the whole
    object for every GET, ranged or not (`get_md5_sum`): a ceiling of the test server, not of S3."""
    import base64, json
    b64 = lambda s: base64.urlsafe_b64encode(s.encode()).decode().rstrip("=")
    base = Path(root) / bucket
    for dirpath, _, files in os.walk(base / prefix):
        for f in files:
            path = Path(dirpath) / f
            key = str(path.relative_to(base))
            md5 = hashlib.md5()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    md5.update(block)
            side = Path(root) / f".bucket-{b64(bucket)}.object-{b64(key)}.internal.json"
            side.write_text(json.dumps({"e_tag": md5.hexdigest()}))


def link_tree(src, dst):
    """Hard links (copies across file systems) so s3s-fs serves the files without a second copy."""
    for dirpath, _, files in os.walk(src):
        out = Path(dst) / Path(dirpath).relative_to(src)
        out.mkdir(parents=True, exist_ok=True)
        for f in files:
            try:
                os.link(Path(dirpath) / f, out / f)
            except OSError:
                shutil.copy2(Path(dirpath) / f, out / f)


# --- HTTP/1.1 message framing (enough for S3 requests and responses) ---

def read_head(f):
    """The head of the next message as bytes, or None at EOF."""
    lines = []
    while True:
        line = f.readline(65537)
        if not line:
            return None
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            return b"".join(lines)


def header(head, name):
    m = re.search(rb"(?im)^" + name.encode() + rb":\s*(.*?)\r?$", head)
    return m.group(1).decode() if m else None


def read_body(f, head, is_head=False):
    """The body after `head` (Content-Length or chunked), as bytes."""
    status = head.split(b" ", 2)[1] if head.startswith(b"HTTP/") else b""
    if is_head or status in (b"204", b"304"):
        return b""
    if (header(head, "transfer-encoding") or "").lower().find("chunked") >= 0:
        out = []
        while True:
            size_line = f.readline()
            out.append(size_line)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            out.append(f.read(size + 2))
            if size == 0:
                return b"".join(out)
    n = int(header(head, "content-length") or 0)
    return f.read(n) if n else b""


class DelayProxy:
    """Forwards HTTP/1.1 requests unchanged (SigV4 signatures stay valid) after `delay` seconds each, one
    thread per client connection; records each forwarded request when `capture` is a list."""

    def __init__(self, upstream_port, delay):
        self.upstream, self.delay = upstream_port, delay
        self.capture = None
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.sock.accept()
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def serve(self, client):
        try:
            up = socket.create_connection(("127.0.0.1", self.upstream))
            cf, uf = client.makefile("rb", buffering=1 << 20), up.makefile("rb", buffering=1 << 20)
            while True:
                head = read_head(cf)
                if head is None:
                    return
                request = head + read_body(cf, head)
                if self.delay:
                    time.sleep(self.delay)
                with self.lock:
                    if self.capture is not None and head.startswith(b"GET ") and b"\nrange:" in head.lower():
                        self.capture.append(request)
                up.sendall(request)
                rhead = read_head(uf)
                if rhead is None:
                    return
                client.sendall(rhead + read_body(uf, rhead, head.startswith(b"HEAD ")))
        except OSError:
            pass
        finally:
            client.close()


def get_loop(port, requests, connections):
    """Sends the captured requests to 127.0.0.1:port over `connections` keep-alive connections;
    returns (seconds, requests, body bytes)."""
    work = queue.Queue()
    for r in requests:
        work.put(r)
    got, errors = [0], []
    lock = threading.Lock()

    def worker():
        s = socket.create_connection(("127.0.0.1", port))
        f = s.makefile("rb", buffering=1 << 20)
        n = 0
        try:
            while True:
                try:
                    r = work.get_nowait()
                except queue.Empty:
                    return
                s.sendall(r)
                head = read_head(f)
                body = read_body(f, head)
                if not head.split(b" ", 2)[1].startswith(b"2"):
                    errors.append(head.split(b"\r\n", 1)[0].decode())
                n += len(body)
        finally:
            s.close()
            with lock:
                got[0] += n

    t = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        sys.exit(f"replayed GETs failed: {errors[:3]}")
    return time.perf_counter() - t, len(requests), got[0]


def rows_digest(path):
    """sha256 of the CSV lines without their first field (a fresh uuid per row)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for line in f:
            h.update(line.split(b",", 1)[-1])
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="L", choices=SIZES)
    ap.add_argument("--data", help="a generated root to serve instead of generating one")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--delay-ms", type=float, default=20)
    ap.add_argument("--read-ahead", default="0,16", help="--s3-read-ahead values to run, comma-separated")
    ap.add_argument("--concurrency", type=int, default=128, help="--s3-concurrency, and the GET loop's")
    ap.add_argument("--dir", default="/tmp/ocp-bench-s3")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--no-etags", action="store_true",
                    help="serve the files without s3s-fs's ETag sidecars: every GET then hashes its whole object")
    ap.add_argument("--no-loops", action="store_true", help="skip the plain GET loops")
    ap.add_argument("--no-sendfile", action="store_true", help="skip the sendfile_s3.py variants")
    ap.add_argument("extra", nargs="*", help="more `run` flags, after --")
    a = ap.parse_args()
    work = Path(a.dir)
    work.mkdir(parents=True, exist_ok=True)
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "ocp-summary"], cwd=REPO, check=True)
    if shutil.which("s3s-fs") is None:
        sys.exit("s3s-fs is not installed (cargo install s3s-fs@0.14.1 --locked --features binary)")
    data = Path(a.data) if a.data else work / a.size
    if not a.data and not (data / "generate.json").exists():
        nodes, nss, pods = SIZES[a.size]
        subprocess.run([BIN, "generate", "--out", data, "--org", ORG, "--source", SOURCE, "--start", "2026-03-01",
                        "--days", "30", "--nodes", str(nodes), "--namespaces-per-node", str(nss),
                        "--pods-per-namespace", str(pods), "--labels-per-pod", "15", "--force"], check=True)
    root = work / "s3root"
    shutil.rmtree(root, ignore_errors=True)
    link_tree(data, root / BUCKET / PREFIX)
    if not a.no_etags:
        etag_sidecars(root, BUCKET, PREFIX)
    port = free_port()
    server = subprocess.Popen(["s3s-fs", "--host", "127.0.0.1", "--port", str(port), "--access-key", KEY,
                               "--secret-key", SECRET, root], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lean = []
    try:
        wait_port(port)
        proxy = DelayProxy(port, a.delay_ms / 1000)
        if not a.no_sendfile:
            for delay in (0, a.delay_ms):
                lean_port = free_port()
                lean.append((subprocess.Popen([sys.executable, REPO / "scripts/sendfile_s3.py", root, str(lean_port),
                                               "--delay-ms", str(delay)], stderr=subprocess.DEVNULL), lean_port))
                wait_port(lean_port)
        bench(a, data, port, proxy, work, server.pid, [(p.pid, lp) for p, lp in lean])
    finally:
        for p in [server] + [p for p, _ in lean]:
            p.terminate()
            p.wait()
        shutil.rmtree(root, ignore_errors=True)


def cpu_of(pid):
    """User + system CPU seconds of process `pid` so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu():
    """CPU seconds of this process: the proxy's threads while the main thread waits for a run."""
    t = os.times()
    return t.user + t.system


def bench(a, data, port, proxy, work, server_pid, lean):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        env.pop(var, None)
    common = ["--org", ORG, "--source", SOURCE, "--year", "2026", "--month", "03", "--cluster-id", "bench",
              "--cluster-alias", "bench", "--report-period-id", "1", "--enabled-keys", KEYS, *a.extra]
    s3 = lambda endpoint, depth: ["--input", f"s3://{BUCKET}/{PREFIX}", "--s3-endpoint", endpoint,
                                  "--s3-path-style", "--s3-concurrency", str(a.concurrency),
                                  "--s3-read-ahead", str(depth)]
    depths = [int(x) for x in a.read_ahead.split(",")]
    delay = f"{a.delay_ms:g}ms"
    # (name, flags, capture the requests at the proxy, the server's pid, through the proxy)
    variants = [("local", ["--input", str(data)], False, None, False)]
    variants += [(f"s3 ra={d}", s3(f"http://127.0.0.1:{port}", d), False, server_pid, False) for d in depths]
    variants += [(f"s3+{delay} ra={d}", s3(f"http://127.0.0.1:{proxy.port}", d), d == depths[-1], server_pid, True)
                 for d in depths]
    for (pid, lean_port), name in zip(lean, ("sendfile", f"sendfile+{delay}")):
        variants.append((f"{name} ra={depths[-1]}", s3(f"http://127.0.0.1:{lean_port}", depths[-1]), False, pid,
                         False))
    results = {name: [] for name, *_ in variants}
    loops = {"get-loop seq": (port, 1), f"get-loop x{a.concurrency}": (port, a.concurrency),
             f"get-loop x{a.concurrency} +{delay}": (proxy.port, a.concurrency)}
    if a.no_loops:
        loops = {}
    results.update({name: [] for name in loops})
    digests = {}
    load = os.getloadavg()
    for run in range(a.runs):
        captured = None
        for name, args, capture, pid, proxied in variants:
            out = work / "out.csv"
            with proxy.lock:
                proxy.capture = [] if capture else None
            errf = work / "stderr.txt"
            server0, proxy0 = (cpu_of(pid) if pid else 0), own_cpu()
            t = time.perf_counter()
            with open(errf, "w") as err:
                p = subprocess.Popen([BIN, "run", *common, *args, "--output", f"csv:{out}"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=err)
                _, status, usage = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t
            p.returncode = os.waitstatus_to_exitcode(status)
            cpu = (usage.ru_utime + usage.ru_stime, (cpu_of(pid) - server0) if pid else 0,
                   (own_cpu() - proxy0) if proxied else 0)
            stderr = errf.read_text()
            with proxy.lock:
                if capture:
                    captured, proxy.capture = proxy.capture, None
            if p.returncode != 0:
                sys.exit(f"{name} failed ({p.returncode}):\n{stderr[-3000:]}")
            m = re.search(r"s3 requests (\d+)\s+retries (\d+)\s+bytes fetched (\d+)", stderr)
            reqs, retries, nbytes = (int(x) for x in m.groups()) if m else (None, None, None)
            results[name].append((wall, reqs, nbytes, retries, cpu))
            if name not in digests:
                digests[name] = rows_digest(out)
            print(f"run {run + 1} {name:<18} {wall:7.2f} s  requests {reqs}  bytes {nbytes}  retries {retries}  "
                  f"cpu engine/server/proxy {cpu[0]:.2f}/{cpu[1]:.2f}/{cpu[2]:.2f} s", flush=True)
        for name, (target, conns) in loops.items():
            server0, self0 = cpu_of(server_pid), own_cpu()
            wall, reqs, nbytes = get_loop(target, captured, conns)
            cpu = (own_cpu() - self0, cpu_of(server_pid) - server0, None)  # client and proxy: one process
            results[name].append((wall, reqs, nbytes, 0, cpu))
            print(f"run {run + 1} {name:<18} {wall:7.2f} s  requests {reqs}  bytes {nbytes}", flush=True)
    local = statistics.median(r[0] for r in results["local"])
    same = {n: ("yes" if d == digests["local"] else "NO") for n, d in digests.items()}
    md = ["| variant | median wall (s) | runs (s) | requests | MB | / local | CPU s: engine (loop: client+proxy) / server / proxy | same rows |",
          "|---|---|---|---|---|---|---|---|"]
    med = lambda xs: f"{statistics.median(xs):.2f}" if None not in xs else "-"
    for name, rs in results.items():
        wall = statistics.median(r[0] for r in rs)
        reqs = rs[-1][1] if rs[-1][1] is not None else "-"
        mb = f"{rs[-1][2] / 1e6:.1f}" if rs[-1][2] is not None else "-"
        md.append(f"| {name} | {wall:.2f} | {' '.join(f'{r[0]:.2f}' for r in rs)} | {reqs} | {mb} | "
                  f"{wall / local:.2f}x | {' / '.join(med([r[4][i] for r in rs]) for i in range(3))} | "
                  f"{same.get(name, 'n/a')} |")
    hourly = __import__("json").loads((data / "generate.json").read_text())["hourly_rows"]["pod_usage"] \
        if (data / "generate.json").exists() else "?"
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"data {data} ({hourly} hourly pod rows), runs {a.runs} in turns, delay {delay}, "
          f"ETag sidecars {'no' if a.no_etags else 'yes'}, extra flags {a.extra or 'none'}; load average at start {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}, "
          f"at end {' / '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
