//! Koku's cluster-information queries (`reportdb_accessor_trino.py`), which
//! `OCPReportParquetSummaryUpdater.update_summary_tables` runs before the summary:
//!
//! * `get_max_min_timestamp_sql`: `min`/`max(interval_start)` of the daily pod rows in range;
//! * `get_nodes_query_sql`: per (node, resource_id) of the daily pod rows in range,
//!   `max(node_capacity_cpu_cores)`, the role (see [`super::node_roles`]) and
//!   `lower(json_extract_scalar(max(node_labels), '$.kubernetes_io_arch'))`. The pod rows are
//!   LEFT JOINed to the node-label rows `ON ocp.node = nl.node`, but the WHERE clause filters on
//!   `nl.*`, so only nodes with label rows in range appear (an inner join); the join multiplies
//!   rows, which changes none of the aggregates (`max`, `array_agg(DISTINCT)`). `max(node_labels)`
//!   is the greatest label *text* of the node in range, whatever the resource id;
//! * `get_pvcs_query_sql`: distinct (persistentvolume, persistentvolumeclaim, csi_volume_handle)
//!   of the daily storage rows in range;
//! * `get_projects_query_sql`: distinct namespace of the daily pod rows in range (NULL included).
//!
//! Each `add_*` function takes one decoded row group. A run's workers fill one table per row group
//! and the coordinator [`ClusterTable::merge`]s them; `cluster-info` fills one table directly.
//! [`ClusterTable::rows`] renders the three results ([`ClusterRows`]), and
//! [`ClusterTable::derived_roles`] the roles the unallocated rows use without a role table.

use super::max_double;
use super::node_roles::{infra_by_node, role_name, RoleEvidence, API_SERVER};
use crate::catalog::{id_text, Catalog, NULL_ID};
use crate::decode::rowgroup::RowGroupData;
use crate::plan::columns::{ColumnKind, ColumnRequest};
use hashbrown::{HashMap, HashSet};
use ocp_summary_kernels::shared_intern::SharedInterner;
use std::ops::Range;

/// Daily pod columns for the node and project queries (and the timestamps alongside).
pub const POD_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("node", ColumnKind::String),
    ColumnRequest::required("resource_id", ColumnKind::String),
    ColumnRequest::required("namespace", ColumnKind::String),
    // Older operators do not report it (spec §2.3): NULL, as Trino reads a missing column.
    ColumnRequest::optional("node_role", ColumnKind::String),
    ColumnRequest::optional("node_capacity_cpu_cores", ColumnKind::Double),
];

/// Daily pod columns when only the timestamps are asked for.
pub const TIMESTAMP_COLUMNS: &[ColumnRequest] = &[ColumnRequest::required(
    "interval_start",
    ColumnKind::Timestamp,
)];

/// Daily node-label columns: the raw label text, interned as plain strings.
pub use super::node_roles::LABEL_COLUMNS;

/// Daily storage columns for the PVC query.
pub const PVC_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("persistentvolume", ColumnKind::String),
    ColumnRequest::required("persistentvolumeclaim", ColumnKind::String),
    ColumnRequest::optional("csi_volume_handle", ColumnKind::String),
];

#[derive(Debug, Clone, Copy)]
struct NodeGroup {
    role: RoleEvidence,
    /// `max(node_capacity_cpu_cores)`, NULLs ignored.
    capacity: Option<f64>,
}

/// The four results, accumulated row group by row group.
#[derive(Default)]
pub struct ClusterTable {
    /// `min`/`max(interval_start)` in milliseconds.
    pub min_ts: Option<i64>,
    pub max_ts: Option<i64>,
    nodes: HashMap<(u32, u32), NodeGroup>,
    namespaces: HashSet<u32>,
    /// Distinct (node, label text) in range.
    label_texts: HashSet<(u32, u32)>,
    pvcs: HashSet<(u32, u32, u32)>,
}

/// One row of `get_nodes_query_sql`.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeRow {
    pub node: String,
    pub resource_id: Option<String>,
    pub node_capacity_cpu_cores: Option<f64>,
    pub node_role: String,
    pub arch: Option<String>,
}

/// The results of the node, PVC and project queries: what Koku's
/// `populate_openshift_cluster_information_tables` writes into its cluster tables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterRows {
    pub nodes: Vec<NodeRow>,
    pub pvcs: Vec<PvcRow>,
    pub projects: Vec<Option<String>>,
}

/// One row of `get_pvcs_query_sql`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PvcRow {
    pub persistentvolume: Option<String>,
    pub persistentvolumeclaim: Option<String>,
    pub csi_volume_handle: Option<String>,
}

impl ClusterTable {
    fn timestamp(&mut self, t: i64) {
        self.min_ts = Some(self.min_ts.map_or(t, |m| m.min(t)));
        self.max_ts = Some(self.max_ts.map_or(t, |m| m.max(t)));
    }

    /// A row group read with [`TIMESTAMP_COLUMNS`].
    pub fn add_timestamps(&mut self, data: &RowGroupData, ms: &Range<i64>) {
        let [ts] = &data.columns[..] else {
            unreachable!("timestamps read one column")
        };
        for i in 0..data.num_rows {
            if ts.valid.get(i) && ms.contains(&ts.i64s[i]) {
                self.timestamp(ts.i64s[i]);
            }
        }
    }

    /// A row group read with [`POD_COLUMNS`].
    pub fn add_pods(&mut self, data: &RowGroupData, ms: &Range<i64>, catalog: &Catalog) {
        let [ts, node, rid, namespace, role, capacity] = &data.columns[..] else {
            unreachable!("cluster pods read six columns")
        };
        let api = catalog.lookup(API_SERVER).unwrap_or(NULL_ID);
        let cmp = |a: u32, b: u32| catalog.compare(a, b);
        for i in 0..data.num_rows {
            if !ts.valid.get(i) || !ms.contains(&ts.i64s[i]) {
                continue;
            }
            self.timestamp(ts.i64s[i]);
            self.namespaces.insert(namespace.ids[i]);
            let row = NodeGroup {
                role: RoleEvidence {
                    operator_role: role.ids[i],
                    api_server: api != NULL_ID && namespace.ids[i] == api,
                },
                capacity: capacity.valid.get(i).then_some(capacity.f64s[i]),
            };
            match self.nodes.entry((node.ids[i], rid.ids[i])) {
                hashbrown::hash_map::Entry::Vacant(v) => {
                    v.insert(row);
                }
                hashbrown::hash_map::Entry::Occupied(mut o) => {
                    let g = o.get_mut();
                    g.role.merge(row.role, &cmp);
                    g.capacity = max_double(g.capacity, row.capacity);
                }
            }
        }
    }

    /// Adds a table filled from other row groups.
    pub fn merge(&mut self, other: ClusterTable, catalog: &Catalog) {
        let cmp = |a: u32, b: u32| catalog.compare(a, b);
        if let Some(t) = other.min_ts {
            self.timestamp(t);
        }
        if let Some(t) = other.max_ts {
            self.timestamp(t);
        }
        for (key, row) in other.nodes {
            match self.nodes.entry(key) {
                hashbrown::hash_map::Entry::Vacant(v) => {
                    v.insert(row);
                }
                hashbrown::hash_map::Entry::Occupied(mut o) => {
                    let g = o.get_mut();
                    g.role.merge(row.role, &cmp);
                    g.capacity = max_double(g.capacity, row.capacity);
                }
            }
        }
        self.namespaces.extend(other.namespaces);
        self.label_texts.extend(other.label_texts);
        self.pvcs.extend(other.pvcs);
    }

    /// A row group read with [`LABEL_COLUMNS`].
    pub fn add_labels(&mut self, data: &RowGroupData, ms: &Range<i64>) {
        let [ts, node, text] = &data.columns[..] else {
            unreachable!("node label text reads three columns")
        };
        for i in 0..data.num_rows {
            if ts.valid.get(i) && ms.contains(&ts.i64s[i]) {
                self.label_texts.insert((node.ids[i], text.ids[i]));
            }
        }
    }

    /// A row group read with [`PVC_COLUMNS`].
    pub fn add_pvcs(&mut self, data: &RowGroupData, ms: &Range<i64>) {
        let [ts, pv, pvc, handle] = &data.columns[..] else {
            unreachable!("pvcs read four columns")
        };
        for i in 0..data.num_rows {
            if ts.valid.get(i) && ms.contains(&ts.i64s[i]) {
                self.pvcs.insert((pv.ids[i], pvc.ids[i], handle.ids[i]));
            }
        }
    }

    /// The three query results.
    pub fn rows(&self, strings: &SharedInterner) -> ClusterRows {
        ClusterRows {
            nodes: self.nodes(strings),
            pvcs: self.pvcs(strings),
            projects: self.projects(strings),
        }
    }

    /// (node, resource_id, role) of every node row, sorted: the roles Koku's `populate_node_table`
    /// writes into an empty `reporting_ocp_nodes`.
    pub fn derived_roles(&self, strings: &SharedInterner) -> Vec<(u32, u32, String)> {
        let infra = infra_by_node(&self.label_texts, strings);
        let mut out: Vec<(u32, u32, String)> = self
            .nodes
            .iter()
            .filter_map(|(&(node, rid), g)| {
                let node_infra = *infra.get(&node)?;
                Some((node, rid, role_name(&g.role, node_infra, strings)))
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// The node rows, sorted by (node, resource_id) with NULL first.
    pub fn nodes(&self, strings: &SharedInterner) -> Vec<NodeRow> {
        let infra = infra_by_node(&self.label_texts, strings);
        // max(nl.node_labels) per node: the greatest non-NULL text by bytes.
        let mut max_text: HashMap<u32, u32> = HashMap::new();
        for &(node, text) in &self.label_texts {
            if node == NULL_ID || text == NULL_ID {
                continue;
            }
            max_text
                .entry(node)
                .and_modify(|m| {
                    if strings.get(text) > strings.get(*m) {
                        *m = text;
                    }
                })
                .or_insert(text);
        }
        let mut rows: Vec<NodeRow> = self
            .nodes
            .iter()
            .filter_map(|(&(node, rid), g)| {
                let node_infra = *infra.get(&node)?;
                let arch = max_text
                    .get(&node)
                    .and_then(|&t| json_extract_scalar(strings.get(t), "kubernetes_io_arch"))
                    .map(|s| s.to_lowercase());
                Some(NodeRow {
                    node: id_text(strings, node)?,
                    resource_id: id_text(strings, rid),
                    node_capacity_cpu_cores: g.capacity,
                    node_role: role_name(&g.role, node_infra, strings),
                    arch,
                })
            })
            .collect();
        rows.sort_by(|a, b| (&a.node, &a.resource_id).cmp(&(&b.node, &b.resource_id)));
        rows
    }

    /// The distinct namespaces, sorted, NULL first.
    pub fn projects(&self, strings: &SharedInterner) -> Vec<Option<String>> {
        let mut out: Vec<Option<String>> = self
            .namespaces
            .iter()
            .map(|&n| id_text(strings, n))
            .collect();
        out.sort();
        out
    }

    /// The distinct PVC triples, sorted.
    pub fn pvcs(&self, strings: &SharedInterner) -> Vec<PvcRow> {
        let mut out: Vec<PvcRow> = self
            .pvcs
            .iter()
            .map(|&(pv, pvc, handle)| PvcRow {
                persistentvolume: id_text(strings, pv),
                persistentvolumeclaim: id_text(strings, pvc),
                csi_volume_handle: id_text(strings, handle),
            })
            .collect();
        out.sort();
        out
    }
}

/// Trino's `json_extract_scalar(text, '$.KEY')`: the value of a top-level key when it is a string
/// (unescaped), a number or a boolean (as written); NULL for JSON null, objects, arrays, a missing
/// key or text that is not JSON.
pub fn json_extract_scalar(text: &[u8], key: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(text).ok()?;
    match value.as_object()?.get(key)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_extract_scalar_follows_trino() {
        let f = |t: &str| json_extract_scalar(t.as_bytes(), "kubernetes_io_arch");
        assert_eq!(
            f(r#"{"kubernetes_io_arch": "AMD64"}"#).as_deref(),
            Some("AMD64")
        );
        assert_eq!(
            f(r#"{"kubernetes_io_arch": true}"#).as_deref(),
            Some("true")
        );
        assert_eq!(f(r#"{"kubernetes_io_arch": 7}"#).as_deref(), Some("7"));
        assert_eq!(f(r#"{"kubernetes_io_arch": null}"#), None);
        assert_eq!(f(r#"{"kubernetes_io_arch": {"a": 1}}"#), None);
        assert_eq!(f(r#"{"beta_kubernetes_io_arch": "amd64"}"#), None);
        assert_eq!(f("not json"), None);
        assert_eq!(f("[1]"), None);
    }
}
