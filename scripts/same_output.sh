#!/usr/bin/env bash
# Checks that two builds of ocp-summary give the same output, byte for byte apart from the uuids.
#
#   scripts/same_output.sh OLD_BINARY NEW_BINARY [WORK_DIR]
#
# For refactors that must not change behaviour. Both binaries run the same matrix: generated
# datasets of several shapes and seeds (generated once, by OLD_BINARY, so only `run` differs;
# NEW_BINARY's `generate` is then checked to write the same Parquet bytes), every output kind
# (CSV, PGCOPY, --pod-only), enabled keys on and off, cost categories, node roles given and
# derived, a day sub-range, and Koku's test payload through `ingest`. The uuid column is dropped
# before comparing, since uuids are random per run.
set -euo pipefail
old=$(realpath "$1")
new=$(realpath "$2")
work=${3:-$(mktemp -d)}
mkdir -p "$work"
org=org1234567
src=6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10
repo=$(cd "$(dirname "$0")/.." && pwd)
fail=0

# dataset name, then generate flags
datasets=(
  "d1|--days 3 --seed 1"
  "d2|--days 2 --seed 2 --nodes 5"
  "d3|--days 2 --seed 5 --nodes 3 --pods-per-namespace 6 --rows-per-file 700 --rows-per-row-group 90"
  "d4|--days 2 --seed 9 --nodes 4 --pvcs-per-pod 2 --no-edge-cases"
  "d5|--start 2026-03-30 --days 4 --seed 13 --pods-per-namespace 5"
)
# run name, then run flags (year/month added per dataset)
runs=(
  "keys|--enabled-keys app,team --cost-category openshift-%=1 --cost-category kube-%=1 --cost-category %e%=2"
  "nokeys|--no-enabled-keys"
  "roles|--enabled-keys app --node-role node-001=master --node-role node-002@\\N=worker --derive-node-roles"
  "podonly|--enabled-keys app --pod-only"
  "oneday|--enabled-keys environment --start @START --end @START"
  "threads1|--enabled-keys app,team --threads 1"
)

strip_uuid() { cut -d, -f2- "$1"; }
# A binary COPY stream with every row's first field (the uuid) zeroed.
pgcopy_without_uuid() {
  python3 - "$1" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
i = 19 + struct.unpack_from(">i", b, 15)[0]  # signature, flags, header extension
while True:
    (n,) = struct.unpack_from(">h", b, i); i += 2
    if n == -1:
        break
    for f in range(n):
        (size,) = struct.unpack_from(">i", b, i); i += 4
        if f == 0 and size > 0:
            b[i:i + size] = bytes(size)
        i += max(size, 0)
sys.stdout.buffer.write(b)
PY
}

for d in "${datasets[@]}"; do
  name=${d%%|*}; flags=${d#*|}
  data="$work/data-$name"
  # shellcheck disable=SC2086
  [ -d "$data" ] || "$old" generate --out "$data" --org "$org" --source "$src" $flags >/dev/null 2>&1
  month_dir=$(find "$data" -path '*/month=*' -type d | sort | head -n 1)
  year=$(sed -n 's/.*year=\([0-9]*\).*/\1/p' <<<"$month_dir")
  month=$(sed -n 's/.*month=\([0-9]*\).*/\1/p' <<<"$month_dir")
  start=$(sed -n 's/.*--start \([0-9-]*\).*/\1/p' <<<"$flags"); start=${start:-$year-$month-01}
  for r in "${runs[@]}"; do
    rname=${r%%|*}; rflags=${r#*|}; rflags=${rflags//@START/$start}
    for out in csv pgcopy; do
      [ "$out" = pgcopy ] && [ "$rname" != keys ] && continue
      for bin in old new; do
        b=$old; [ $bin = new ] && b=$new
        f="$work/$name-$rname.$bin.$out"
        # shellcheck disable=SC2086
        "$b" run --input "$data" --org "$org" --source "$src" --year "$year" --month "$month" \
          --cluster-id cluster-a --cluster-alias "Cluster A" --report-period-id 7 $rflags \
          --output "$out:$f" 2>"$f.log" || { echo "FAIL $bin $name $rname $out: $(tail -n 2 "$f.log")"; fail=1; }
      done
      a="$work/$name-$rname.old.$out"; b="$work/$name-$rname.new.$out"
      if [ "$out" = csv ]; then
        if cmp -s <(strip_uuid "$a") <(strip_uuid "$b"); then
          echo "same  $name $rname csv ($(($(wc -l <"$a") - 1)) rows)"
        else echo "DIFF  $name $rname csv"; fail=1; fi
      else
        if cmp -s <(pgcopy_without_uuid "$a") <(pgcopy_without_uuid "$b"); then
          echo "same  $name $rname pgcopy ($(stat -c %s "$a") bytes)"
        else echo "DIFF  $name $rname pgcopy"; fail=1; fi
      fi
    done
  done
  # The new generate must write the same files.
  # shellcheck disable=SC2086
  "$new" generate --out "$work/gen-new-$name" --org "$org" --source "$src" $flags >/dev/null 2>&1
  if diff -r "$data" "$work/gen-new-$name" >/dev/null; then echo "same  $name generate"; else
    echo "DIFF  $name generate"; fail=1; fi
done

# Koku's own payload through ingest, then run on both months it touches.
for bin in old new; do
  b=$old; [ $bin = new ] && b=$new
  "$b" ingest --input "$repo/tests/data/koku-payloads/payload.tar.gz" --output "$work/ingest-$bin" \
    --org "$org" --source "$src" >/dev/null 2>&1
done
if diff -r "$work/ingest-old" "$work/ingest-new" >/dev/null; then echo "same  payload ingest"; else
  echo "DIFF  payload ingest"; fail=1; fi

[ $fail = 0 ] && echo "all outputs the same" || { echo "outputs differ (files in $work)"; exit 1; }
