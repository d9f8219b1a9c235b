#!/usr/bin/env bash
# Sets up everything the tests need and runs them all. This is the README's test command, and
# what .ci/run calls.
#   - a Python venv with duckdb for the oracle (scripts/setup-python.sh)
#   - formatting and lint gates
#   - s3s-fs, a local S3-compatible server for tests/s3.rs
#   - the Rust unit and integration tests (oracle comparisons included)
#   - the oracle's own self-tests
#   - a build of the fuzz targets on the stable toolchain
# Set FUZZ_SECONDS=N to also run every fuzz target for N seconds (needs cargo-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== python venv for the oracle"
PY=$(scripts/setup-python.sh | tail -n 1)
export OCP_ORACLE_PYTHON="$PY"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== s3s-fs (the local S3 server tests/s3.rs starts)"
command -v s3s-fs >/dev/null || cargo install s3s-fs@0.14.1 --locked --features binary

echo "== cargo test"
cargo test --workspace

echo "== oracle self-tests"
PYTHONDONTWRITEBYTECODE=1 "$PY" -m unittest discover -s tests/oracle -p 'test_*.py'

echo "== fuzz targets build"
(cd fuzz && cargo build --quiet)

if [ -n "${FUZZ_SECONDS:-}" ]; then
  echo "== fuzzing each target for ${FUZZ_SECONDS}s"
  command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
  for t in $(cd fuzz && cargo fuzz list); do
    (cd fuzz && cargo fuzz run -s none "$t" -- -max_total_time="$FUZZ_SECONDS")
  done
fi
echo "== all tests passed"
