#!/usr/bin/env bash
# Idempotently create the Python venv used by the test oracle (tests/oracle/).
# Usage: scripts/setup-python.sh   -> prints the venv's python path on stdout.
# Env: OCP_VENV (default: <repo>/.venv), PYTHON (default: python3).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${OCP_VENV:-$REPO_ROOT/.venv}"
PY="${PYTHON:-python3}"
DUCKDB_VERSION="2.0.1"
# DuckDB's Python UDFs (create_function, used by the oracle ports) need numpy.
NUMPY_VERSION="2.3.5"
# tests/writers.rs rewrites generated Parquet under every pyarrow writer setting
# (tests/oracle/rewrite_parquet.py); the version scripts/bench.py pins.
PYARROW_VERSION="26.0.1"

if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PY" -m venv "$VENV" >&2 2>/dev/null; then
        # Debian ships venv/ensurepip in a separate package.
        if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
            pyver="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
            apt-get update >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y "python${pyver}-venv" >&2 \
                || DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv >&2
            rm -rf "$VENV"
            "$PY" -m venv "$VENV" >&2
        else
            echo "error: '$PY -m venv' failed (install python3-venv)" >&2
            exit 1
        fi
    fi
fi

if ! "$VENV/bin/python" -c "import duckdb, sys; sys.exit(0 if duckdb.__version__ == '$DUCKDB_VERSION' else 1)" 2>/dev/null; then
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q "duckdb==$DUCKDB_VERSION" >&2
fi
if ! "$VENV/bin/python" -c "import numpy, sys; sys.exit(0 if numpy.__version__ == '$NUMPY_VERSION' else 1)" 2>/dev/null; then
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q "numpy==$NUMPY_VERSION" >&2
fi
if ! "$VENV/bin/python" -c "import pyarrow, sys; sys.exit(0 if pyarrow.__version__ == '$PYARROW_VERSION' else 1)" 2>/dev/null; then
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q "pyarrow==$PYARROW_VERSION" >&2
fi

echo "$VENV/bin/python"
