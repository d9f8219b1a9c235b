#!/usr/bin/env python3
"""Rewrite every Parquet file under SRC into DST with pyarrow, under one writer setting.

Usage: rewrite_parquet.py SRC DST SETTINGS_JSON

SETTINGS_JSON is a JSON object of `pyarrow.parquet.write_table` keyword arguments (use_dictionary,
compression, data_page_version, data_page_size, row_group_size, use_deprecated_int96_timestamps,
coerce_timestamps, write_statistics, ...), plus two keys of this script's own:

* "encoding_by_type": {"INT64": ENC, "DOUBLE": ENC, "BYTE_ARRAY": ENC} becomes `column_encoding`
  for every column of that physical type (pyarrow wants it per column, and the dictionary off);
* "timestamp_unit": "ns" (or "us", "ms", "s") casts every timestamp column to that unit before
  writing (pyarrow's `coerce_timestamps` offers only "ms" and "us");
* "byte_stream_split_types": ["DOUBLE", ...] becomes `use_byte_stream_split` for the columns of
  those physical types (True would name the string columns too, which pyarrow refuses);
* "writer": "duckdb" writes with DuckDB's `COPY ... TO ... (FORMAT PARQUET, ...)` instead, the
  other keys becoming its options (compression, row_group_size, parquet_version, ...).

Files other than Parquet are copied as they are, and the folder layout is kept, so DST is the
same data set as SRC for the engine. Prints one JSON object: the files written, their row groups,
and the union of encodings, compressions and physical types of their column chunks, so the caller
can check the setting took effect.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def physical_types(path: Path) -> dict[str, str]:
    schema = pq.ParquetFile(path).schema
    return {schema.column(i).name: schema.column(i).physical_type for i in range(len(schema))}


def duckdb_copy(src: Path, dst: Path, options: dict) -> None:
    import duckdb

    def value(v):
        return f"'{v}'" if isinstance(v, str) else str(v)

    extra = "".join(f", {k.upper()} {value(v)}" for k, v in options.items())
    con = duckdb.connect()
    con.execute("SET threads = 1")  # one row group order, whatever the machine
    con.execute(f"COPY (SELECT * FROM read_parquet('{src}')) TO '{dst}' (FORMAT PARQUET{extra})")
    con.close()


def rewrite(src: Path, dst: Path, settings: dict) -> dict:
    settings = dict(settings)
    if settings.pop("writer", "pyarrow") == "duckdb":
        dst.parent.mkdir(parents=True, exist_ok=True)
        duckdb_copy(src, dst, settings)
        return summarize(dst)
    by_type = settings.pop("encoding_by_type", None)
    unit = settings.pop("timestamp_unit", None)
    split_types = settings.pop("byte_stream_split_types", None)
    table = pq.read_table(src)
    if unit is not None:
        fields = []
        for field in table.schema:
            if pa.types.is_timestamp(field.type):
                field = field.with_type(pa.timestamp(unit, tz=field.type.tz))
            fields.append(field)
        table = table.cast(pa.schema(fields, metadata=table.schema.metadata))
    if by_type is not None:
        types = physical_types(src)
        settings["column_encoding"] = {
            name: by_type[t] for name, t in types.items() if t in by_type
        }
    if split_types is not None:
        types = physical_types(src)
        settings["use_byte_stream_split"] = [n for n, t in types.items() if t in split_types]
    dst.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, dst, **settings)
    return summarize(dst)


def summarize(dst: Path) -> dict:
    meta = pq.ParquetFile(dst).metadata
    out = {"row_groups": meta.num_row_groups, "encodings": set(), "compression": set(),
           "physical_types": set()}
    for rg in range(meta.num_row_groups):
        for c in range(meta.num_columns):
            col = meta.row_group(rg).column(c)
            out["encodings"].update(col.encodings)
            out["compression"].add(col.compression)
            out["physical_types"].add(col.physical_type)
    return out


def parquet_files(src: Path, dst: Path):
    """Yields (source, target) for every Parquet file under `src`, the target at the same place
    under `dst`; other files are copied to `dst` as they are, so `dst` is the same data set."""
    for path in sorted(src.rglob("*")):
        if path.is_dir():
            continue
        target = dst / path.relative_to(src)
        if path.suffix != ".parquet":
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            continue
        yield path, target


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst, settings = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
    summary = {"files": 0, "row_groups": 0, "encodings": set(), "compression": set(),
               "physical_types": set()}
    for path, target in parquet_files(src, dst):
        one = rewrite(path, target, settings)
        summary["files"] += 1
        summary["row_groups"] += one["row_groups"]
        for key in ("encodings", "compression", "physical_types"):
            summary[key] |= one[key]
    print(json.dumps({k: sorted(v) if isinstance(v, set) else v for k, v in summary.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
