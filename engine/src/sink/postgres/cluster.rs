//! Koku's cluster tables, written as masu's `populate_openshift_cluster_information_tables` writes
//! them (`koku/masu/database/ocp_report_db_accessor.py`): the Django loops of
//! `populate_cluster_table`, `populate_node_table`, `populate_pvc_table` and
//! `populate_project_table`, as a few set-based statements inside the caller's transaction.
//!
//! The rules, and where a set-based statement has to take care to give the loop's result:
//!
//! * **Cluster.** Among the source's clusters, when there are several, those whose alias differs
//!   from the run's are deleted (Django cascades to their nodes, PVCs and projects). The first
//!   remaining one by uuid is the cluster; none → a new one; an alias that differs is updated, the
//!   cluster id never is.
//! * **Nodes.** A query row matches an existing row of the cluster on (node, resource_id,
//!   capacity), NULL matching NULL as Django's `filter(x=None)` does. The capacity is compared as
//!   Django sends it: the double as a Decimal of 18 significant digits against the stored
//!   `numeric(18,2)`, so a capacity with more than two decimals never matches and a new row is
//!   added on every run (Koku does the same; `docs/koku-behaviours.md`). No match → a new row;
//!   a match whose role or architecture is empty (NULL or '') → both are overwritten, and only the
//!   first match by uuid is.
//! * **PVCs.** Matched on (PV, PVC). An existing row keeps a non-empty CSI handle; otherwise it
//!   takes the handle the loop would leave. Koku's loop depends on Trino's row order when one
//!   (PV, PVC) has several handles; we take the rows in sorted order (NULL, '', then the others), so
//!   the smallest non-empty handle wins ([`loop_handle`]). A NULL PV or PVC cannot be stored: Koku
//!   logs the IntegrityError and goes on, and so do we.
//! * **Projects.** Get-or-create per namespace. A NULL namespace would make Koku's
//!   `get_or_create` raise; we skip it with a warning instead.

use super::Target;
use crate::aggregate::cluster::{ClusterRows, NodeRow, PvcRow};
use crate::database::DbSpec;
use crate::error::{Error, SinkError};
use crate::plan::lookups::{node_role, node_roles_sql, NodeRole};
use crate::plan::RowConstants;
use crate::sink::output::ClusterTableCounts;
use postgres::Transaction;
use std::collections::BTreeMap;

/// The four tables, schema-qualified and quoted.
struct Tables {
    providers: String,
    clusters: String,
    nodes: String,
    pvcs: String,
    projects: String,
}

impl Tables {
    fn new(target: &Target) -> Tables {
        Tables {
            providers: target.table("reporting_tenant_api_provider"),
            clusters: target.table("reporting_ocp_clusters"),
            nodes: target.table("reporting_ocp_nodes"),
            pvcs: target.table("reporting_ocp_pvcs"),
            projects: target.table("reporting_ocp_projects"),
        }
    }
}

/// A failed statement, with what it was doing.
pub struct Failed {
    pub what: String,
    pub error: postgres::Error,
}

fn at(what: &str) -> impl FnOnce(postgres::Error) -> Failed + '_ {
    move |error| Failed {
        what: what.to_string(),
        error,
    }
}

/// masu's `populate_openshift_cluster_information_tables` on its own (the Python package's
/// `populate_cluster_information`): one transaction that writes `rows`.
pub fn populate(
    spec: &DbSpec,
    constants: &RowConstants,
    rows: &ClusterRows,
) -> Result<ClusterTableCounts, Error> {
    let target = Target::new(spec)?;
    let mut client = target.connect()?;
    let fail = |f: Failed| target.error(&f.what, &f.error);
    let mut tx = client
        .transaction()
        .map_err(|e| target.error("begin", &e))?;
    if let Some(table) = missing_table(&target, &mut tx).map_err(fail)? {
        return Err(missing_error(&target, &table));
    }
    let counts = write(&target, &mut tx, constants, rows).map_err(fail)?;
    tx.commit().map_err(|e| target.error("commit", &e))?;
    tracing::info!("{}: {}", target.describe(), counts.describe());
    Ok(counts)
}

/// The error for a cluster table that does not exist.
pub fn missing_error(target: &Target, table: &str) -> Error {
    SinkError::Schema(format!(
        "table {table} does not exist in {} (create it with `ocp-summary init-db`, or pass \
         --no-cluster-tables)",
        target.describe()
    ))
    .into()
}

/// Whether the cluster tables exist, for a clear error before any statement fails.
pub fn missing_table(target: &Target, tx: &mut Transaction<'_>) -> Result<Option<String>, Failed> {
    let t = Tables::new(target);
    for table in [&t.clusters, &t.nodes, &t.pvcs, &t.projects] {
        let found: bool = tx
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[table])
            .map_err(at("reading the cluster tables"))?
            .get(0);
        if !found {
            return Ok(Some(table.clone()));
        }
    }
    Ok(None)
}

/// Writes the cluster tables for the run's source, cluster id and alias, inside `tx`. Runs on one
/// source wait for each other here: two interleaved get-or-creates would add the same rows twice.
pub fn write(
    target: &Target,
    tx: &mut Transaction<'_>,
    constants: &RowConstants,
    rows: &ClusterRows,
) -> Result<ClusterTableCounts, Failed> {
    let key = format!(
        "ocp-summary-cluster:{}:{}",
        target.schema, constants.source_uuid
    );
    tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&key])
        .map_err(at("advisory lock on the source's cluster tables"))?;
    let t = Tables::new(target);
    let mut counts = ClusterTableCounts::default();
    let cluster = cluster_uuid(&t, tx, constants, &mut counts)?;
    write_nodes(&t, tx, &cluster, &rows.nodes, &mut counts)?;
    write_pvcs(&t, tx, &cluster, &rows.pvcs, &mut counts)?;
    write_projects(&t, tx, &cluster, &rows.projects, &mut counts)?;
    Ok(counts)
}

/// `populate_cluster_table`; the uuid of the run's cluster, as text.
fn cluster_uuid(
    t: &Tables,
    tx: &mut Transaction<'_>,
    c: &RowConstants,
    counts: &mut ClusterTableCounts,
) -> Result<String, Failed> {
    let (provider, alias) = (&c.source_uuid, &c.cluster_alias);
    ensure_provider(t, tx, c)?;
    let of_provider = "provider_id = $1::text::uuid";
    let n: i64 = tx
        .query_one(
            &format!("SELECT count(*) FROM {} WHERE {of_provider}", t.clusters),
            &[provider],
        )
        .map_err(at("reading the clusters"))?
        .get(0);
    if n > 1 {
        let doomed = format!(
            "SELECT uuid FROM {} WHERE {of_provider} AND cluster_alias IS DISTINCT FROM $2",
            t.clusters
        );
        for child in [&t.nodes, &t.pvcs, &t.projects] {
            tx.execute(
                &format!("DELETE FROM {child} WHERE cluster_id IN ({doomed})"),
                &[provider, alias],
            )
            .map_err(at("deleting duplicate clusters' rows"))?;
        }
        counts.clusters_deleted = tx
            .execute(
                &format!("DELETE FROM {} WHERE uuid IN ({doomed})", t.clusters),
                &[provider, alias],
            )
            .map_err(at("deleting duplicate clusters"))?;
    }
    let first = tx
        .query_opt(
            &format!(
                "SELECT uuid::text, cluster_alias FROM {} WHERE {of_provider} ORDER BY uuid LIMIT 1",
                t.clusters
            ),
            &[provider],
        )
        .map_err(at("reading the cluster"))?;
    match first {
        None => {
            counts.clusters_created = 1;
            let row = tx
                .query_one(
                    &format!(
                        "INSERT INTO {} (uuid, cluster_id, cluster_alias, provider_id) \
                         VALUES (gen_random_uuid(), $2, $3, $1::text::uuid) RETURNING uuid::text",
                        t.clusters
                    ),
                    &[provider, &c.cluster_id, alias],
                )
                .map_err(at("creating the cluster"))?;
            Ok(row.get(0))
        }
        Some(row) => {
            let uuid: String = row.get(0);
            let old: Option<String> = row.get(1);
            if old.as_deref() != Some(alias.as_str()) {
                counts.clusters_updated = tx
                    .execute(
                        &format!(
                            "UPDATE {} SET cluster_alias = $2 WHERE uuid = $1::text::uuid",
                            t.clusters
                        ),
                        &[&uuid, alias],
                    )
                    .map_err(at("updating the cluster alias"))?;
            }
            Ok(uuid)
        }
    }
}

/// Adds the source to `reporting_tenant_api_provider` if that table exists and lacks it. Koku's
/// tenant provider row always exists; a database made by `init-db` may lack it, and the foreign
/// keys of the cluster and GPU tables need it.
fn ensure_provider(t: &Tables, tx: &mut Transaction<'_>, c: &RowConstants) -> Result<(), Failed> {
    let has_providers: bool = tx
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&t.providers])
        .map_err(at("reading the provider table"))?
        .get(0);
    if has_providers {
        tx.execute(
            &format!(
                "INSERT INTO {} (uuid, name, type) VALUES ($1::text::uuid, $2, 'OCP') ON CONFLICT (uuid) DO NOTHING",
                t.providers
            ),
            &[&c.source_uuid, &c.cluster_alias],
        )
        .map_err(at("adding the source to the provider table"))?;
    }
    Ok(())
}

/// [`ensure_provider`] for the other tables of a load.
pub fn ensure_provider_row(
    target: &Target,
    tx: &mut Transaction<'_>,
    c: &RowConstants,
) -> Result<(), Failed> {
    ensure_provider(&Tables::new(target), tx, c)
}

/// The capacity as Django sends a float to a `DecimalField(max_digits=18)` filter or insert:
/// `Context(prec=18).create_decimal_from_float`, i.e. the exact value rounded to 18 significant
/// digits.
pub fn django_decimal(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        format!("{v:.17e}")
    }
}

/// `populate_node_table`.
fn write_nodes(
    t: &Tables,
    tx: &mut Transaction<'_>,
    cluster: &String,
    nodes: &[NodeRow],
    counts: &mut ClusterTableCounts,
) -> Result<(), Failed> {
    let names: Vec<&str> = nodes.iter().map(|n| n.node.as_str()).collect();
    let rids: Vec<Option<&str>> = nodes.iter().map(|n| n.resource_id.as_deref()).collect();
    let caps: Vec<Option<String>> = nodes
        .iter()
        .map(|n| n.node_capacity_cpu_cores.map(django_decimal))
        .collect();
    let roles: Vec<&str> = nodes.iter().map(|n| n.node_role.as_str()).collect();
    let archs: Vec<Option<&str>> = nodes.iter().map(|n| n.arch.as_deref()).collect();
    let q = "unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) \
             AS q(node, resource_id, cap, node_role, architecture)";
    let same = "n.cluster_id = $6::text::uuid AND n.node = q.node \
                AND n.resource_id IS NOT DISTINCT FROM q.resource_id \
                AND n.node_capacity_cpu_cores IS NOT DISTINCT FROM q.cap::numeric";
    let params: [&(dyn postgres::types::ToSql + Sync); 6] =
        [&names, &rids, &caps, &roles, &archs, cluster];
    // Only the first match by uuid is looked at, and updated when its role or architecture is empty.
    // Koku saves the row even when nothing changes; we skip those, so the count is of real changes.
    counts.nodes_updated = tx
        .execute(
            &format!(
                "WITH m AS (SELECT DISTINCT ON (q.node, q.resource_id) n.uuid, q.node_role, \
                 q.architecture, n.node_role AS old_role, n.architecture AS old_arch \
                 FROM {q} JOIN {nodes} n ON {same} ORDER BY q.node, q.resource_id, n.uuid) \
                 UPDATE {nodes} SET node_role = m.node_role, architecture = m.architecture FROM m \
                 WHERE {nodes}.uuid = m.uuid \
                 AND (coalesce(m.old_role, '') = '' OR coalesce(m.old_arch, '') = '') \
                 AND (m.old_role IS DISTINCT FROM m.node_role \
                      OR m.old_arch IS DISTINCT FROM m.architecture)",
                nodes = t.nodes
            ),
            &params,
        )
        .map_err(at("updating nodes"))?;
    counts.nodes_created = tx
        .execute(
            &format!(
                "INSERT INTO {nodes} (uuid, node, resource_id, node_capacity_cpu_cores, node_role, \
                 architecture, cluster_id) SELECT gen_random_uuid(), q.node, q.resource_id, \
                 q.cap::numeric, q.node_role, q.architecture, $6::text::uuid FROM {q} \
                 WHERE NOT EXISTS (SELECT 1 FROM {nodes} n WHERE {same})",
                nodes = t.nodes
            ),
            &params,
        )
        .map_err(at("creating nodes"))?;
    Ok(())
}

/// The handle Koku's loop leaves on a (PV, PVC) whose stored handle is empty, taking the query's
/// `handles` for it in sorted order: each one replaces an empty handle. So the smallest non-empty
/// handle if there is one, else the last of the empty ones ('' after NULL).
pub fn loop_handle(handles: &[Option<&str>]) -> Option<String> {
    let mut sorted = handles.to_vec();
    sorted.sort();
    let mut h: Option<&str> = None;
    for next in sorted {
        if h.unwrap_or("").is_empty() {
            h = next;
        }
    }
    h.map(str::to_string)
}

/// `populate_pvc_table`.
fn write_pvcs(
    t: &Tables,
    tx: &mut Transaction<'_>,
    cluster: &String,
    pvcs: &[PvcRow],
    counts: &mut ClusterTableCounts,
) -> Result<(), Failed> {
    let mut groups: BTreeMap<(&str, &str), Vec<Option<&str>>> = BTreeMap::new();
    for p in pvcs {
        match (&p.persistentvolume, &p.persistentvolumeclaim) {
            (Some(pv), Some(pvc)) => groups
                .entry((pv, pvc))
                .or_default()
                .push(p.csi_volume_handle.as_deref()),
            _ => {
                tracing::warn!("skipping PVC row {p:?}: Koku's reporting_ocp_pvcs cannot hold a NULL persistent volume or claim");
                counts.skipped += 1;
            }
        }
    }
    let pv: Vec<&str> = groups.keys().map(|k| k.0).collect();
    let pvc: Vec<&str> = groups.keys().map(|k| k.1).collect();
    let handle: Vec<Option<String>> = groups.values().map(|h| loop_handle(h)).collect();
    let q = "unnest($1::text[], $2::text[], $3::text[]) AS q(pv, pvc, handle)";
    let same = "p.cluster_id = $4::text::uuid AND p.persistent_volume = q.pv \
                AND p.persistent_volume_claim = q.pvc";
    let params: [&(dyn postgres::types::ToSql + Sync); 4] = [&pv, &pvc, &handle, cluster];
    counts.pvcs_updated = tx
        .execute(
            &format!(
                "UPDATE {pvcs} p SET csi_volume_handle = q.handle FROM {q} \
                 WHERE {same} AND coalesce(p.csi_volume_handle, '') = '' \
                 AND p.csi_volume_handle IS DISTINCT FROM q.handle",
                pvcs = t.pvcs
            ),
            &params,
        )
        .map_err(at("updating PVCs"))?;
    counts.pvcs_created = tx
        .execute(
            &format!(
                "INSERT INTO {pvcs} (uuid, persistent_volume, persistent_volume_claim, \
                 csi_volume_handle, cluster_id) SELECT gen_random_uuid(), q.pv, q.pvc, q.handle, \
                 $4::text::uuid FROM {q} WHERE NOT EXISTS (SELECT 1 FROM {pvcs} p WHERE {same})",
                pvcs = t.pvcs
            ),
            &params,
        )
        .map_err(at("creating PVCs"))?;
    Ok(())
}

/// `populate_project_table`.
fn write_projects(
    t: &Tables,
    tx: &mut Transaction<'_>,
    cluster: &String,
    projects: &[Option<String>],
    counts: &mut ClusterTableCounts,
) -> Result<(), Failed> {
    let names: Vec<&str> = projects.iter().filter_map(|p| p.as_deref()).collect();
    let nulls = projects.len() - names.len();
    if nulls > 0 {
        tracing::warn!("skipping a NULL namespace: Koku's reporting_ocp_projects cannot hold it (Koku's get_or_create would fail)");
        counts.skipped += nulls as u64;
    }
    counts.projects_created = tx
        .execute(
            &format!(
                "INSERT INTO {projects} (uuid, project, cluster_id) \
                 SELECT gen_random_uuid(), q.project, $2::text::uuid \
                 FROM (SELECT DISTINCT unnest($1::text[]) AS project) q WHERE NOT EXISTS \
                 (SELECT 1 FROM {projects} p WHERE p.project = q.project AND p.cluster_id = $2::text::uuid)",
                projects = t.projects
            ),
            &[&names, cluster],
        )
        .map_err(at("creating projects"))?;
    Ok(())
}

/// The roles the summary joins: `max(node_role)` per (node, resource_id) over every cluster of
/// the schema, as the daily-summary SQL reads `reporting_ocp_nodes` (spec §8, E10).
pub fn node_roles(target: &Target, tx: &mut Transaction<'_>) -> Result<Vec<NodeRole>, Failed> {
    let rows = tx
        .query(&node_roles_sql(target), &[])
        .map_err(at("reading node roles"))?;
    Ok(rows.iter().map(node_role).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities_go_out_as_django_sends_them() {
        assert_eq!(django_decimal(4.0), "4.00000000000000000e0");
        // 0.1 is 0.1000000000000000055511151231257827…: 18 significant digits keep the 55.
        assert_eq!(django_decimal(0.1), "1.00000000000000006e-1");
        assert_eq!(django_decimal(2.333), "2.33300000000000018e0");
        assert_eq!(django_decimal(f64::NAN), "NaN");
        assert_eq!(django_decimal(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn the_loop_keeps_the_first_non_empty_handle_in_sorted_order() {
        assert_eq!(loop_handle(&[None]), None);
        assert_eq!(loop_handle(&[Some(""), None]).as_deref(), Some(""));
        assert_eq!(
            loop_handle(&[Some("b"), None, Some("a")]).as_deref(),
            Some("a")
        );
        assert_eq!(loop_handle(&[Some("b"), Some("")]).as_deref(), Some("b"));
    }
}
