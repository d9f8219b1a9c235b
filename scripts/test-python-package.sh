#!/usr/bin/env bash
# Builds the `ocp_summary` wheel (python/, maturin, dev profile in the workspace's target dir),
# installs it into a fresh venv with pytest, and runs python/tests against a throwaway
# PostgreSQL 15. Called by scripts/test.sh after `cargo test` (which builds target/debug/ocp-summary,
# the CLI the tests compare with). pytest's exit code is this script's.
#   OCP_SUMMARY_PY_DIR   where the venvs and the wheel go (default target/py)
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-python3}"
DIR="${OCP_SUMMARY_PY_DIR:-target/py}"
MATURIN_VERSION="1.16.0"
mkdir -p "$DIR"

# maturin in its own venv, kept between runs.
if ! "$DIR/maturin-venv/bin/maturin" --version 2>/dev/null | grep -q " $MATURIN_VERSION\$"; then
  rm -rf "$DIR/maturin-venv"
  "$PY" -m venv "$DIR/maturin-venv"
  "$DIR/maturin-venv/bin/pip" install --disable-pip-version-check -q "maturin==$MATURIN_VERSION"
fi

# The dev profile shares the engine's dependencies with `cargo test`'s build in target/. The wheel
# links the system libssl (native-tls, for PostgreSQL); it is for this machine, so no auditwheel
# repair (a distributable manylinux wheel is built in a manylinux image, see python/README.md).
rm -rf "$DIR/wheels"
started=$(date +%s)
"$DIR/maturin-venv/bin/maturin" build --quiet --profile dev -m python/Cargo.toml \
  --interpreter "$PY" --out "$DIR/wheels" --auditwheel skip --strip
echo "wheel built in $(( $(date +%s) - started )) s: $(ls "$DIR"/wheels/*.whl)"

# A fresh venv each run, with the wheel and pytest only.
"$PY" -m venv --clear "$DIR/test-venv"
"$DIR/test-venv/bin/pip" install --disable-pip-version-check -q "$DIR"/wheels/*.whl pytest
cd python
PYTHONDONTWRITEBYTECODE=1 "../$DIR/test-venv/bin/python" -m pytest -q -p no:cacheprovider tests
