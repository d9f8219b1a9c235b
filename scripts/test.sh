#!/usr/bin/env bash
# Sets up everything the tests need and runs them all. This is the README's test command, and
# what .ci/run calls.
#   - a Python venv with duckdb for the oracle (scripts/setup-python.sh)
#   - formatting and lint gates, and the architecture picture's check (scripts/architecture.py)
#   - s3s-fs, a local S3-compatible server for tests/s3.rs
#   - the Rust unit and integration tests (oracle comparisons included)
#   - the oracle's own self-tests
#   - the Python package (python/): wheel built with maturin, pytest against PostgreSQL 15
#   - a build of the fuzz targets on the stable toolchain
# FUZZ_SECONDS=N runs every fuzz target for N seconds (default 8: the 12 targets then fit CI's 25 minutes with
# room; run longer by hand, see fuzz/README.md). Each stage line shows the seconds elapsed since the start.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== [${SECONDS} s] python venv for the oracle"
PY=$(scripts/setup-python.sh | tail -n 1)
export OCP_ORACLE_PYTHON="$PY"

echo "== [${SECONDS} s] PostgreSQL 15 server binaries (tests/postgres.rs starts its own server)"
if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || ! command -v psql >/dev/null || ! command -v openssl >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 postgresql-client-15 openssl
fi

echo "== [${SECONDS} s] cargo fmt --check"
cargo fmt --all -- --check

echo "== [${SECONDS} s] cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== [${SECONDS} s] architecture: no import cycles, docs/architecture.dot matches the code"
python3 scripts/architecture.py --check

echo "== [${SECONDS} s] s3s-fs (the local S3 server tests/s3.rs starts)"
command -v s3s-fs >/dev/null || cargo install s3s-fs@0.14.1 --locked --features binary

# ---- deploy/ checks (issue 15): alert rules and their unit tests, Kubernetes manifests, Grafana dashboard ----
echo "== [${SECONDS} s] deploy/: promtool check/test rules, kubernetes-validate (offline schemas), dashboard metric names"
command -v promtool >/dev/null \
  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus; }
KUBERNETES_VALIDATE_VERSION="1.37.0"
"$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('kubernetes-validate') != '$KUBERNETES_VALIDATE_VERSION')" 2>/dev/null \
  || "$PY" -m pip install --disable-pip-version-check -q "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
promtool check rules deploy/alerts.yaml
promtool test rules deploy/alerts.test.yaml
manifests=()
for f in deploy/*.yaml; do
  case "${f##*/}" in alerts*.yaml) ;; *) manifests+=("$f") ;; esac
done
# 1.29: the oldest Kubernetes the manifests are for (docs/deployment.md); 1.37: the package's newest schemas.
for k8s in 1.29.0 1.37.0; do
  "$(dirname "$PY")/kubernetes-validate" --strict --quiet -k "$k8s" "${manifests[@]}"
done
"$PY" -m json.tool deploy/dashboard.json >/dev/null
# Every metric the rules and the dashboard name is one engine/src/report.rs writes or a rule records, and
# every dashboard query parses (promtool checks them as recording rules).
mkdir -p target
dash_rules=target/deploy-dashboard-queries.yaml
"$PY" - deploy/alerts.yaml deploy/dashboard.json engine/src/report.rs "$dash_rules" <<'EOF'
import json, re, sys, yaml
alerts_path, dash_path, report_path, out_path = sys.argv[1:]
written = set(re.findall(r"ocp_summary_[a-z_]+", open(report_path).read()))
rules = [r for g in yaml.safe_load(open(alerts_path))["groups"] for r in g["rules"]]
recorded = {r["record"] for r in rules if "record" in r}
dash = json.load(open(dash_path))
exprs = [("alerts.yaml " + r.get("record", r.get("alert", "")), r["expr"]) for r in rules]
for p in dash["panels"]:
    exprs += [("dashboard panel " + repr(p["title"]), t["expr"]) for t in p.get("targets", [])]
for v in dash["templating"]["list"]:
    if v["type"] == "query":
        exprs.append(("dashboard variable " + v["name"], re.sub(r"^label_values\((.*), *\w+\)$", r"\1", v["definition"])))
bad = []
for where, e in exprs:
    for name in re.findall(r"\b(?:ocp_summary_[a-z_]+|[a-z_]+:[a-z_:]+)\b", e):
        if name not in (recorded if ":" in name else written):
            bad.append(f"{where}: unknown metric {name}")
if bad:
    sys.exit("\n".join(bad))
queries = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
group = {"name": "dashboard", "rules": [{"record": f"dashboard:query_{i}", "expr": q.replace("$source", ".*").replace("$month", ".*")}
                                        for i, q in enumerate(queries)]}
yaml.safe_dump({"groups": [group]}, open(out_path, "w"))
print(f"{len(exprs)} expressions name only known metrics ({len(written)} written, {len(recorded)} recorded)")
EOF
promtool check rules "$dash_rules"
# ---- end of deploy/ checks ----

echo "== [${SECONDS} s] cargo test"
cargo test --workspace

echo "== [${SECONDS} s] oracle self-tests"
PYTHONDONTWRITEBYTECODE=1 "$PY" -m unittest discover -s tests/oracle -p 'test_*.py'

echo "== [${SECONDS} s] python package: maturin wheel (dev profile) and pytest (python/tests)"
scripts/test-python-package.sh

echo "== [${SECONDS} s] fuzz: build the targets with coverage instrumentation (stable toolchain) and run each briefly"
# cargo-fuzz's flags by hand, so no extra tool is needed; --target keeps them off build scripts.
FUZZ_FLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
  -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
(cd fuzz && RUSTFLAGS="$FUZZ_FLAGS" cargo build --quiet --target "$TRIPLE")
for t in labels_json rle_hybrid like_pattern parquet_file pgcopy_numeric pgcopy_rows \
  delta_binary_packed delta_length_byte_array delta_byte_array byte_stream_split int96 page_header; do
  scratch="fuzz/target/scratch/$t"
  mkdir -p "$scratch"
  log="fuzz/target/scratch/$t.log"
  if ! "fuzz/target/$TRIPLE/debug/$t" "$scratch" "fuzz/corpus/$t" \
      -max_total_time="${FUZZ_SECONDS:-8}" -rss_limit_mb=2048 \
      -artifact_prefix="fuzz/target/scratch/$t-" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz target $t found a failure (reproducer above; see fuzz/README.md)"
    exit 1
  fi
  echo "fuzz $t: $(grep -E '^Done' "$log")"
done

echo "== [${SECONDS} s] all tests passed"
