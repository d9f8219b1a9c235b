#!/usr/bin/env python3
"""Rewrite every Parquet file under SRC into DST with Apache Spark, under one named setting.

Usage: rewrite_spark.py SRC DST SETTING_NAME      (SETTING_NAME as in SETTINGS below, e.g.
                                                   "spark default"; --list prints them)

Issue 16 asks that a file from any common writer, Spark included, give the same rows as the same
data written by Koku. Installing pyspark costs a 317 MB download and a JVM, too much for every CI
run, so `tests/writers.rs::files_spark_wrote` reads fixtures this script wrote once with real
Spark (`scripts/spark_fixtures.sh`, provenance in `tests/fixtures/README.md`).

Each file is read by Spark (`local[1]`, session time zone UTC), coalesced to one partition and
written to a temporary folder under DST; the one part file Spark writes there is moved to the
source file's name, so DST keeps Koku's folder layout and file names. Files other than Parquet
are copied as they are. Every written file is then read back with pyarrow and checked against its
source: same column names in the same order, same values in the same row order (timestamps as
epoch milliseconds), or the script fails.

Koku's timestamps carry `isAdjustedToUTC=false`, which Spark 3.5 reads as TIMESTAMP_NTZ and then
always writes as INT64 TIMESTAMP(MICROS), whatever `spark.sql.parquet.outputTimestampType` says.
A Spark job's own timestamps (from `to_timestamp`, CSV, JDBC, ...) are TIMESTAMP, which
`outputTimestampType` governs (INT96 by default), so every setting but "spark ntz" reads with
`spark.sql.parquet.inferTimestampNTZ.enabled=false`: the same instants as TIMESTAMP, in UTC.

Prints one JSON object like rewrite_parquet.py's: files, row groups, and the union of encodings,
compressions and physical types of the column chunks, plus the `created_by` strings and Spark
versions in the footers, so the caller can check the setting took effect.
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rewrite_parquet import parquet_files, summarize  # noqa: E402

# Small row groups and pages (parquet-mr sizes them in bytes), so files have several of both.
SMALL = {"parquet.block.size": "131072", "parquet.page.size": "8192",
         "parquet.dictionary.page.size": "4096"}

# Each setting: Spark SQL confs, data source write options (which Spark passes on to parquet-mr's
# Hadoop configuration), and whether timestamps are read as TIMESTAMP_NTZ.
SETTINGS: dict[str, dict] = {
    # Spark 3.5's writer defaults: SNAPPY, V1 data pages, dictionaries, INT96 timestamps.
    "spark default": {},
    # Spark 3.5's defaults on the read side too: Koku's timestamps stay TIMESTAMP_NTZ, written as
    # INT64 TIMESTAMP(MICROS, isAdjustedToUTC=false).
    "spark ntz": {"ntz": True},
    "spark micros": {"conf": {"spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS"},
                     "options": SMALL},
    "spark millis": {"conf": {"spark.sql.parquet.outputTimestampType": "TIMESTAMP_MILLIS"}},
    # V2 data pages; dictionaries that fall back to DELTA_BYTE_ARRAY (strings) mid-chunk when a
    # chunk has more distinct values than the small dictionary page holds; INT96 timestamps.
    "spark v2": {"options": {"parquet.writer.version": "v2", **SMALL}},
    # V2 without dictionaries: DELTA_BINARY_PACKED (INT64 timestamps), DELTA_BYTE_ARRAY
    # (strings), PLAIN (doubles; parquet-mr 1.13 has no BYTE_STREAM_SPLIT switch).
    "spark v2 plain": {"conf": {"spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS"},
                       "options": {"parquet.writer.version": "v2",
                                   "parquet.enable.dictionary": "false", **SMALL}},
    "spark gzip": {"conf": {"spark.sql.parquet.compression.codec": "gzip"}},
    # ZSTD (zstd-jni, bundled with Spark) on V2 pages, whose levels stay uncompressed.
    "spark zstd": {"conf": {"spark.sql.parquet.compression.codec": "zstd"},
                   "options": {"parquet.writer.version": "v2"}},
    # Parquet's deprecated LZ4 (Hadoop's framing, Hadoop's Lz4Codec over lz4-java) and LZ4_RAW
    # (parquet-mr's own codec): pure Java, no native library needed. Spark's brotli and lzo need
    # codec jars Spark does not ship.
    "spark lz4": {"conf": {"spark.sql.parquet.compression.codec": "lz4"}},
    "spark lz4raw": {"conf": {"spark.sql.parquet.compression.codec": "lz4raw"}},
    # Hive/Impala-compatible layout (it changes decimals, lists and maps; flat columns stay).
    "spark legacy": {"conf": {"spark.sql.parquet.writeLegacyFormat": "true"}},
}


def session(setting: dict):
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[1]")
        .appName("rewrite_spark")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "1")
        # One file is one partition: the rows come back in the file's order.
        .config("spark.sql.files.maxPartitionBytes", str(1 << 30))
        .config("spark.sql.parquet.inferTimestampNTZ.enabled",
                "true" if setting.get("ntz") else "false")
    )
    for key, value in setting.get("conf", {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def spark_write(spark, setting: dict, src: Path, dst: Path, scratch: Path) -> None:
    df = spark.read.parquet(str(src))
    out = scratch / "out"
    writer = df.coalesce(1).write.mode("overwrite")
    for key, value in setting.get("options", {}).items():
        writer = writer.option(key, value)
    writer.parquet(str(out))
    parts = sorted(out.glob("part-*.parquet"))
    if len(parts) != 1:
        raise SystemExit(f"{src}: Spark wrote {len(parts)} part files, not one")
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(parts[0]), dst)
    shutil.rmtree(out)


def comparable(table: pa.Table) -> pa.Table:
    """Timestamps as epoch milliseconds (INT96 reads as ns, micros as us, maybe with tz UTC)."""
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.timestamp("ms", tz=column.type.tz)).cast(pa.int64())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def check_same(src: Path, dst: Path) -> None:
    a, b = comparable(pq.read_table(src)), comparable(pq.read_table(dst))
    if a.column_names != b.column_names:
        raise SystemExit(f"{dst}: columns {b.column_names}, not {a.column_names}")
    for name in a.column_names:
        x, y = a.column(name).combine_chunks(), b.column(name).combine_chunks()
        if x.type != y.type or not x.equals(y):
            raise SystemExit(f"{dst}: column {name} differs from {src} ({x.type} vs {y.type})")


def main() -> int:
    if sys.argv[1:] == ["--list"]:
        print("\n".join(SETTINGS))
        return 0
    if len(sys.argv) != 4 or sys.argv[3] not in SETTINGS:
        print(__doc__, file=sys.stderr)
        print("settings: " + ", ".join(SETTINGS), file=sys.stderr)
        return 2
    src, dst, setting = Path(sys.argv[1]), Path(sys.argv[2]), SETTINGS[sys.argv[3]]
    spark = session(setting)
    summary = {"files": 0, "row_groups": 0, "encodings": set(), "compression": set(),
               "physical_types": set(), "created_by": set(), "spark_version": set()}
    with tempfile.TemporaryDirectory(dir=dst.parent if dst.parent.exists() else None) as tmp:
        for path, target in parquet_files(src, dst):
            spark_write(spark, setting, path, target, Path(tmp))
            check_same(path, target)
            one = summarize(target)
            meta = pq.ParquetFile(target).metadata
            summary["files"] += 1
            summary["row_groups"] += one["row_groups"]
            for key in ("encodings", "compression", "physical_types"):
                summary[key] |= one[key]
            summary["created_by"].add(meta.created_by)
            summary["spark_version"].add(
                (meta.metadata or {}).get(b"org.apache.spark.version", b"").decode())
    spark.stop()
    print(json.dumps({k: sorted(v) if isinstance(v, set) else v for k, v in summary.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
