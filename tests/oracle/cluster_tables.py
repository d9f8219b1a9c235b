#!/usr/bin/env python3
"""Oracle for Koku's OCPReportDBAccessor.populate_openshift_cluster_information_tables: the get-or-create
rules that turn the nodes / pvcs / projects queries (cluster.sql) into the rows of reporting_ocp_clusters,
reporting_ocp_nodes, reporting_ocp_pvcs and reporting_ocp_projects, starting from a given state.

Usage:
  cluster_tables.py --input ROOT --org ORG --source UUID --year YYYY --month MM [--start D --end D]
                    --cluster-id ID --cluster-alias ALIAS --state STATE.json --out OUT.json
(--source is the provider uuid; --adjust-start moves the start as oracle.py does, i.e. as Koku calls the
function after _check_parquet_date_range; oracle.py's other flags are accepted and ignored.)

STATE.json: {"clusters": [{uuid, cluster_id, cluster_alias, provider_id}],
             "nodes": [{uuid, node, resource_id, node_capacity_cpu_cores, cluster_id, node_role, architecture}],
             "pvcs": [{uuid, persistent_volume, persistent_volume_claim, csi_volume_handle, cluster_id}],
             "projects": [{uuid, project, cluster_id}]}
  node_capacity_cpu_cores is numeric(18,2) text ("4.00") or null; cluster_id in nodes/pvcs/projects is the
  referenced cluster's uuid. A missing list is empty.
OUT.json: the same four lists after Koku's steps. A row that existed keeps its uuid, a created row has
  "uuid": "new"; a reference to a created cluster is "cluster_id": "new". Capacities as numeric(18,2) text.
  Each list is sorted by json.dumps(row, sort_keys=True).

Koku (koku/masu/database/ocp_report_db_accessor.py), reproduced here:
  populate_cluster_table: the provider's clusters; if more than one, those whose alias IS DISTINCT FROM
    --cluster-alias are deleted (Django cascades to their nodes, pvcs, projects); the first remaining one (by
    uuid, as PostgreSQL orders uuids) is used, its alias updated if it differs (cluster_id is never updated);
    none left: one is created with --cluster-id / --cluster-alias.
  populate_node_table: per query row, the first node of that cluster with the same node, resource_id (NULL
    matches NULL) and capacity (the float as Django's Decimal with 18 significant digits, compared exactly with
    the stored numeric(18,2)); none: created (capacity rounded to 2 places, half away from zero); found with a
    NULL/'' role or architecture: both overwritten with the query's values.
  populate_pvc_table: per query row (sorted by pv, pvc, handle; NULL first), the first pvc with the same pv and
    pvc; found with a NULL/'' handle: handle overwritten; none: created (NULL pv or pvc: IntegrityError, skipped).
    No storage table for the org at all: no pvc rows (trino_table_exists).
  populate_project_table: get_or_create per namespace. A NULL namespace raises IntegrityError in Koku; here it
    is skipped with a warning on stderr (documented divergence).
Exit 2 where Koku's task would fail (e.g. a capacity numeric(18,2) cannot hold, several matching projects).
"""
from __future__ import annotations

import argparse
import decimal
import json
import math
import os
import sys
import uuid as uuidlib

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster  # noqa: E402
import oracle  # noqa: E402

NEW = "new"
LISTS = {
    "clusters": ("uuid", "cluster_id", "cluster_alias", "provider_id"),
    "nodes": ("uuid", "node", "resource_id", "node_capacity_cpu_cores", "cluster_id", "node_role", "architecture"),
    "pvcs": ("uuid", "persistent_volume", "persistent_volume_claim", "csi_volume_handle", "cluster_id"),
    "projects": ("uuid", "project", "cluster_id"),
}
CAPACITY_DIGITS, CAPACITY_PLACES = 18, 2
DJANGO_CONTEXT = decimal.Context(prec=CAPACITY_DIGITS)  # DecimalField(max_digits=18).context
CENT = decimal.Decimal("0.01")


class KokuFailure(Exception):
    """Koku's task would raise here."""


def uuid_key(u):
    """PostgreSQL orders uuids by their 16 bytes. A created row ("new") sorts by a random uuid4 in Koku; it is
    never compared with another candidate here (see populate_pvc_table), so any fixed place is fine."""
    if u == NEW:
        return b"\xff" * 17
    return uuidlib.UUID(str(u)).bytes


def same_uuid(a, b):
    if a is None or b is None:
        return False
    if a == NEW or b == NEW:
        return a == b
    return uuidlib.UUID(str(a)) == uuidlib.UUID(str(b))


def first(rows):
    """Django's .first() on an unordered queryset: ORDER BY pk."""
    return min(rows, key=lambda r: uuid_key(r["uuid"]), default=None)


def falsy(v):
    return v is None or v == ""


def null_first(*vals):
    return tuple((0, "") if v is None else (1, v) for v in vals)


# numeric(18,2) capacities --------------------------------------------------------------------------------------

def parse_stored_capacity(v):
    if v is None:
        return None
    if isinstance(v, float):
        raise ValueError(f"node_capacity_cpu_cores must be numeric text or null, got {v!r}")
    return decimal.Decimal(str(v))


def capacity_text(d):
    if d is None:
        return None
    if d.is_nan():
        return "NaN"
    d = d.quantize(CENT, rounding=decimal.ROUND_HALF_UP, context=decimal.Context(prec=60))
    return str(d.copy_abs() if d == 0 else d)  # PostgreSQL has no numeric -0


def filter_value(v):
    """The value Django puts into the WHERE clause for a float: DecimalField.to_python (18 significant digits)."""
    if v is None:
        return None
    return DJANGO_CONTEXT.create_decimal_from_float(float(v))


def stored_value(v):
    """What PostgreSQL stores into numeric(18,2) for that value: rounded to 2 places, half away from zero."""
    d = filter_value(v)
    if d is None or d.is_nan():
        return d
    if d.is_infinite():
        raise KokuFailure(f"node capacity {v!r}: numeric(18,2) cannot hold an infinite value")
    q = d.quantize(CENT, rounding=decimal.ROUND_HALF_UP, context=decimal.Context(prec=60))
    if q == 0:
        q = q.copy_abs()
    if abs(q) >= decimal.Decimal(10) ** (CAPACITY_DIGITS - CAPACITY_PLACES):
        raise KokuFailure(f"node capacity {v!r}: numeric field overflow for numeric(18,2)")
    return q


def numeric_equal(stored, wanted):
    """PostgreSQL `stored = wanted` for numeric (NaN equals NaN there); None means the filter is IS NULL."""
    if wanted is None:
        return stored is None
    if stored is None:
        return False
    if stored.is_nan() or wanted.is_nan():
        return stored.is_nan() and wanted.is_nan()
    return stored == wanted


# Koku's steps --------------------------------------------------------------------------------------------------

def load_state(path):
    with open(path, encoding="utf-8") as f:
        state = json.load(f)
    out = {}
    for name, cols in LISTS.items():
        rows = []
        for r in state.get(name) or []:
            row = {c: r.get(c) for c in cols}
            if row["uuid"] is None:
                raise ValueError(f"{name}: a row without uuid: {r!r}")
            uuidlib.UUID(str(row["uuid"]))
            if name == "nodes":
                row["node_capacity_cpu_cores"] = parse_stored_capacity(row["node_capacity_cpu_cores"])
            rows.append(row)
        out[name] = rows
    return out


def populate_cluster_table(state, provider_uuid, cluster_id, cluster_alias):
    def of_provider():
        return [c for c in state["clusters"] if same_uuid(c["provider_id"], provider_uuid)]

    clusters = of_provider()
    if len(clusters) > 1:
        # clusters.exclude(cluster_alias=alias).delete(): alias IS DISTINCT FROM; cascades to the children
        gone = [c["uuid"] for c in clusters if c["cluster_alias"] != cluster_alias]
        state["clusters"] = [c for c in state["clusters"] if not any(same_uuid(c["uuid"], g) for g in gone)]
        for name in ("nodes", "pvcs", "projects"):
            state[name] = [r for r in state[name] if not any(same_uuid(r["cluster_id"], g) for g in gone)]
    cl = first(of_provider())
    if cl is None:
        # get_or_create(cluster_id, cluster_alias, provider_id): nothing of this provider is left to get
        cl = {"uuid": NEW, "cluster_id": cluster_id, "cluster_alias": cluster_alias, "provider_id": provider_uuid}
        state["clusters"].append(cl)
    elif cl["cluster_alias"] != cluster_alias:
        cl["cluster_alias"] = cluster_alias  # cluster.save(): cluster_id stays
    return cl


def populate_node_table(state, cl, nodes):
    for node, resource_id, capacity, role, arch in sorted(nodes, key=lambda r: null_first(r[0], r[1])):
        if node is None:
            raise KokuFailure("a node row with a NULL node (reporting_ocp_nodes.node is NOT NULL)")
        wanted = filter_value(capacity)
        tmp = first([n for n in state["nodes"]
                     if same_uuid(n["cluster_id"], cl["uuid"]) and n["node"] == node
                     and n["resource_id"] == resource_id
                     and numeric_equal(n["node_capacity_cpu_cores"], wanted)])
        if tmp is None:
            state["nodes"].append({"uuid": NEW, "node": node, "resource_id": resource_id,
                                   "node_capacity_cpu_cores": stored_value(capacity), "cluster_id": cl["uuid"],
                                   "node_role": role, "architecture": arch})
        elif falsy(tmp["node_role"]) or falsy(tmp["architecture"]):
            tmp["node_role"] = role
            tmp["architecture"] = arch


def populate_pvc_table(state, cl, pvcs, warn):
    for pv, pvc, handle in sorted(pvcs, key=lambda r: null_first(*r)):
        # filter(x=None) is x IS NULL (never true for these NOT NULL columns in a real table)
        found = first([p for p in state["pvcs"]
                       if same_uuid(p["cluster_id"], cl["uuid"])
                       and p["persistent_volume"] == pv and p["persistent_volume_claim"] == pvc])
        if found is not None:
            if falsy(found["csi_volume_handle"]):
                found["csi_volume_handle"] = handle
        elif pv is None or pvc is None:
            warn(f"pvc ({pv!r}, {pvc!r}, {handle!r}) skipped: NOT NULL column (Koku: IntegrityError, logged)")
        else:
            state["pvcs"].append({"uuid": NEW, "persistent_volume": pv, "persistent_volume_claim": pvc,
                                  "csi_volume_handle": handle, "cluster_id": cl["uuid"]})


def populate_project_table(state, cl, projects, warn):
    for project in sorted(projects, key=lambda p: null_first(p)):
        if project is None:
            warn("NULL namespace skipped (Koku's get_or_create raises IntegrityError here)")
            continue
        got = [p for p in state["projects"] if same_uuid(p["cluster_id"], cl["uuid"]) and p["project"] == project]
        if len(got) > 1:
            raise KokuFailure(f"project {project!r}: get_or_create finds {len(got)} rows (MultipleObjectsReturned)")
        if not got:
            state["projects"].append({"uuid": NEW, "project": project, "cluster_id": cl["uuid"]})


def run(args, warn):
    state = load_state(args.state)
    con, params = cluster.connect(args)
    try:
        if args.adjust_start:
            params["start_date"] = oracle.adjusted_start(con, params["source"], params["year"], params["month"],
                                                         params["start_date"], params["end_date"])
        cl = populate_cluster_table(state, args.source, args.cluster_id, args.cluster_alias)
        names, nodes = cluster.query(con, "nodes", params)
        assert names == ["node", "resource_id", "node_capacity_cpu_cores", "node_role", "arch"], names
        pvcs = []
        if oracle.storage_table_exists(args.input, args.org):
            _, pvcs = cluster.query(con, "pvcs", params)
        _, projects = cluster.query(con, "projects", params)
    finally:
        con.close()
    populate_node_table(state, cl, [tuple(r) for r in nodes])
    populate_pvc_table(state, cl, [tuple(r) for r in pvcs], warn)
    populate_project_table(state, cl, [r[0] for r in projects], warn)
    out = {}
    for name, rows in state.items():
        if name == "nodes":
            rows = [dict(r, node_capacity_cpu_cores=capacity_text(r["node_capacity_cpu_cores"])) for r in rows]
        out[name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag in ("--input", "--org", "--source", "--year", "--month", "--cluster-id", "--cluster-alias",
                 "--state", "--out"):
        ap.add_argument(flag, required=True)
    ap.add_argument("--start", type=oracle.parse_date)
    ap.add_argument("--end", type=oracle.parse_date)
    ap.add_argument("--adjust-start", action="store_true")
    args, _ignored = ap.parse_known_args(argv)

    def warn(msg):
        print(f"cluster tables: warning: {msg}", file=sys.stderr)

    try:
        out = run(args, warn)
    except duckdb.Error as e:
        print(f"cluster tables: query failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    except (oracle.OracleError, KokuFailure, ValueError, decimal.InvalidOperation, OSError) as e:
        print(f"cluster tables: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, args.out)
    print("cluster tables: " + ", ".join(f"{len(v)} {k}" for k, v in out.items()) + f" -> {args.out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
