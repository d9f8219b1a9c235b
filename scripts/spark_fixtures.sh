#!/usr/bin/env bash
# Regenerate tests/fixtures/spark/: the generator's small month rewritten by Apache Spark under
# every setting of tests/oracle/rewrite_spark.py, for tests/writers.rs::files_spark_wrote.
#
# Needs a JVM (Java 8, 11 or 17) and Python; pyspark (a 317 MB download) goes into a venv outside
# the test venv. Run it after any change to the generator's output: the test then says so.
#
# Usage: scripts/spark_fixtures.sh
# Env: SPARK_PYTHON (a Python with pyspark and pyarrow; default: a venv at SPARK_VENV, default
#      <repo>/target/spark-venv, made with pyspark==3.5.3 and pyarrow==26.0.1 if missing).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$REPO_ROOT/tests/fixtures/spark"
PYSPARK_VERSION="3.5.3"
PYARROW_VERSION="26.0.1"
# The same arguments as SPARK_GENERATE in tests/writers.rs (plus tests/common's --org/--source).
GENERATE_ARGS=(--org org1234567 --source 6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10
               --days 2 --seed 16 --nodes 4 --namespaces-per-node 3 --pods-per-namespace 3)

if [ -z "${SPARK_PYTHON:-}" ]; then
    VENV="${SPARK_VENV:-$REPO_ROOT/target/spark-venv}"
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
    fi
    versions='import pyspark, pyarrow; print(pyspark.__version__, pyarrow.__version__)'
    have="$("$VENV/bin/python" -c "$versions" 2>/dev/null || true)"
    if [ "$have" != "$PYSPARK_VERSION $PYARROW_VERSION" ]; then
        "$VENV/bin/python" -m pip install --disable-pip-version-check -q \
            "pyspark==$PYSPARK_VERSION" "pyarrow==$PYARROW_VERSION"
    fi
    SPARK_PYTHON="$VENV/bin/python"
fi

java -version 2>&1 | head -1
"$SPARK_PYTHON" -c 'import pyspark, pyarrow; print("pyspark", pyspark.__version__,
                                                    "pyarrow", pyarrow.__version__)'

cd "$REPO_ROOT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cargo run -q --bin ocp-summary -- generate --out "$WORK/src" "${GENERATE_ARGS[@]}"

rm -rf "$OUT"
mkdir -p "$OUT"
cp "$WORK/src/generate.json" "$OUT/generate.json"
while IFS= read -r setting; do
    dir="$OUT/${setting// /_}"
    echo "== $setting -> ${dir#"$REPO_ROOT"/}"
    "$SPARK_PYTHON" tests/oracle/rewrite_spark.py "$WORK/src" "$dir" "$setting" \
        2>"$WORK/spark.log" || { cat "$WORK/spark.log" >&2; exit 1; }
    # Only the Parquet files: the generator's summary is kept once, at the top.
    rm -f "$dir/generate.json"
done < <("$SPARK_PYTHON" tests/oracle/rewrite_spark.py --list)
du -sh "$OUT"
