#!/usr/bin/env bash
# COPY throughput: ocp-summary's binary COPY (run --database-url) against `psql \copy` of the same
# rows as CSV, into the same empty, indexed, partitioned table. Single runs; prints the numbers.
#   scripts/bench_copy.sh [DIR]        (default /tmp/ocp-bench-copy; size M of scripts/bench.py)
# Uses $DATABASE_URL if set, otherwise starts a throwaway PostgreSQL 15 (as user postgres if root).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-/tmp/ocp-bench-copy}
# DATA=folder uses an existing generated dataset (e.g. /tmp/ocp-bench/L of scripts/bench.py) instead.
DATA=${DATA:-$DIR/data}
BIN=target/release/ocp-summary
ORG=org1234567
SOURCE=6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10
SCHEMA=bench
cargo build --release --quiet
mkdir -p "$DIR"
if [ ! -f "$DATA/generate.json" ]; then
  $BIN generate --out "$DATA" --org $ORG --source $SOURCE --start 2026-03-01 --days 30 \
    --nodes 20 --namespaces-per-node 10 --pods-per-namespace 7 --labels-per-pod 15 --force >/dev/null 2>&1
fi

PGBIN=/usr/lib/postgresql/15/bin
if [ -z "${DATABASE_URL:-}" ]; then
  PGDIR=$(mktemp -d /tmp/ocp-bench-pg.XXXX)
  as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
  as_pg $PGBIN/initdb -D "$PGDIR/data" -A trust -U postgres >/dev/null
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg $PGBIN/pg_ctl -D "$PGDIR/data" -o "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1" -l "$PGDIR/log" -w start >/dev/null
  trap 'as_pg $PGBIN/pg_ctl -D "$PGDIR/data" -m fast stop >/dev/null; rm -rf "$PGDIR"' EXIT
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
fi
T="$SCHEMA.reporting_ocpusagelineitem_daily_summary"
$BIN init-db --schema $SCHEMA 2>/dev/null
psql -qX "$DATABASE_URL" -c "INSERT INTO $SCHEMA.reporting_ocpusagereportperiod (id, cluster_id, report_period_start, report_period_end) VALUES (1, 'bench', '2026-03-01', '2026-04-01') ON CONFLICT DO NOTHING"
ARGS=(--input "$DATA" --org $ORG --source $SOURCE --year 2026 --month 3 --cluster-id bench
      --report-period-id 1 --enabled-keys app,environment,team,tier,version,k001,k002 --schema $SCHEMA)
now() { date +%s.%N; }

$BIN run "${ARGS[@]}" --output "csv:$DIR/rows.csv" 2>"$DIR/csv.log"
$BIN run "${ARGS[@]}" --output "pgcopy:$DIR/rows.pgcopy" 2>"$DIR/pgcopy.log"
ROWS=$(($(wc -l <"$DIR/rows.csv") - 1))
COLS=$(head -1 "$DIR/rows.csv")

if [ -n "${NO_INDEXES:-}" ]; then  # isolate the wire format from index maintenance
  for i in $(psql -qAtX "$DATABASE_URL" -c "SELECT indexname FROM pg_indexes WHERE schemaname = '$SCHEMA' AND tablename = 'reporting_ocpusagelineitem_daily_summary' AND indexname NOT LIKE '%pkey'"); do
    psql -qX "$DATABASE_URL" -c "DROP INDEX $SCHEMA.$i"
  done
fi
# Taking turns, RUNS times, each into the emptied table; the "write" stage of ocp-summary is its load
# (connect, lock, checks, delete, binary COPY, commit).
RUNS=${RUNS:-3}
: >"$DIR/times"
for _ in $(seq "$RUNS"); do
  psql -qX "$DATABASE_URL" -c "TRUNCATE $T"
  $BIN run "${ARGS[@]}" 2>"$DIR/db.log"
  echo "ours $(awk '$1 == "stage" && $2 == "write" && $3 ~ /^[0-9.]+$/ {print $3}' "$DIR/db.log") $(awk '/^  total/ {print $2}' "$DIR/db.log")" >>"$DIR/times"
  psql -qX "$DATABASE_URL" -c "TRUNCATE $T"
  t0=$(now); psql -qX "$DATABASE_URL" -c "\\copy $T ($COLS) FROM '$DIR/rows.csv' WITH (FORMAT csv, HEADER, NULL '\\N')"; t1=$(now)
  echo "csv $(python3 -c "print($t1 - $t0)")" >>"$DIR/times"
  psql -qX "$DATABASE_URL" -c "TRUNCATE $T"
  t0=$(now); psql -qX "$DATABASE_URL" -c "\\copy $T ($COLS) FROM '$DIR/rows.pgcopy' WITH (FORMAT binary)"; t1=$(now)
  echo "bin $(python3 -c "print($t1 - $t0)")" >>"$DIR/times"
done

python3 - "$ROWS" "$DIR/times" "${NO_INDEXES:+ (indexes dropped)}" <<'EOF'
import statistics as st, sys
rows, path, note = int(sys.argv[1]), sys.argv[2], sys.argv[3]
t = {}
for line in open(path):
    k, *v = line.split()
    t.setdefault(k, []).append(list(map(float, v)))
med = lambda k, i=0: st.median(x[i] for x in t[k])
w, total, csv, binf = med("ours"), med("ours", 1), med("csv"), med("bin")
n = len(t["ours"])
print(f"rows: {rows}; medians of {n} runs taken in turns{note}")
print(f"ocp-summary run --database-url: total {total:.2f} s ({rows / total:,.0f} rows/s end to end; "
      f"reading, computing and the binary COPY overlap, the writer thread was busy {w:.2f} s)")
print(f"psql \\copy of the same rows as CSV:      {csv:.2f} s ({rows / csv:,.0f} rows/s)")
print(f"psql \\copy of the pgcopy file (binary):  {binf:.2f} s ({rows / binf:,.0f} rows/s)")
print(f"ocp-summary total / PostgreSQL's own binary ingest: {total / binf:.2f} (issue #7 target: <= 1.3)")
EOF
