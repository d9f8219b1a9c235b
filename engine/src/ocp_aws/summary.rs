//! The OpenShift daily summary as the OpenShift-on-AWS SQL reads it (Hive's
//! `reporting_ocpusagelineitem_daily_summary`, `ocp` in steps 2 and the matched-tag query), from
//! a CSV written by `run --output csv:` (RFC 4180, `\N` = NULL).
//!
//! `run` does not print `csi_volume_handle`, which Koku's Storage rows carry (it is part of the
//! Storage SELECT's GROUP BY in `reporting_ocpusagelineitem_daily_summary.sql`). A CSV with that
//! column (the oracle's `--ocp-summary` form) is read as is; without it, each Storage row takes
//! the handle of its (day, namespace, claim, volume) in the daily storage Parquet (the largest
//! when a volume has several on one day, which Koku would keep as separate rows).

use super::OcpDaily;
use crate::cost_model::summary::parse_csv;
use crate::error::{Error, InputError};
use crate::value::Day;

/// One summary row, with the columns the steps read.
#[derive(Debug, Clone, Default)]
pub struct OcpRow {
    pub day: Day,
    pub source: Option<String>,
    pub cluster_id: Option<String>,
    pub cluster_alias: Option<String>,
    pub data_source: Option<String>,
    pub namespace: Option<String>,
    pub node: Option<String>,
    pub resource_id: Option<String>,
    pub pod_labels: Option<String>,
    pub volume_labels: Option<String>,
    pub pvc: Option<String>,
    pub pv: Option<String>,
    pub storageclass: Option<String>,
    pub csi: Option<String>,
    pub pvc_capacity_gb: Option<f64>,
    pub pod_effective_cpu: Option<f64>,
    pub pod_effective_memory: Option<f64>,
    pub node_capacity_cpu_hours: Option<f64>,
    pub node_capacity_memory_hours: Option<f64>,
    pub cost_category_id: Option<i64>,
}

/// The rows of `path`; `ocp` fills `csi_volume_handle` when the file has no such column.
pub fn read(path: &std::path::Path, ocp: &OcpDaily) -> Result<Vec<OcpRow>, Error> {
    let bad = |what: String| -> Error {
        InputError::Data(format!("summary CSV {}: {what}", path.display())).into()
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let records = parse_csv(&text).map_err(bad)?;
    let Some((header, body)) = records.split_first() else {
        return Err(bad("empty file".into()));
    };
    let names: Vec<&str> = header.iter().map(|(n, _)| n.as_str()).collect();
    let col = |name: &str| names.iter().position(|n| *n == name);
    if col("usage_start").is_none() {
        return Err(bad("no usage_start column".into()));
    }
    let has_csi = col("csi_volume_handle").is_some();
    let mut rows = Vec::with_capacity(body.len());
    for (n, rec) in body.iter().enumerate() {
        if rec.len() == 1 && rec[0].0.is_empty() && !rec[0].1 {
            continue;
        }
        if rec.len() != names.len() {
            return Err(bad(format!(
                "record {}: {} fields, header has {}",
                n + 2,
                rec.len(),
                names.len()
            )));
        }
        let text = |name: &str| -> Option<String> {
            let (v, q) = &rec[col(name)?];
            (*q || v != "\\N").then(|| v.clone())
        };
        let float = |name: &str| -> Result<Option<f64>, Error> {
            text(name)
                .map(|t| {
                    t.trim()
                        .parse::<f64>()
                        .map_err(|_| bad(format!("record {}: {name} {t:?}", n + 2)))
                })
                .transpose()
        };
        let start = text("usage_start").unwrap_or_default();
        let day = Day::parse(start.get(..10).unwrap_or(&start))
            .ok_or_else(|| bad(format!("record {}: bad usage_start {start:?}", n + 2)))?;
        let mut row = OcpRow {
            day,
            source: text("source_uuid"),
            cluster_id: text("cluster_id"),
            cluster_alias: text("cluster_alias"),
            data_source: text("data_source"),
            namespace: text("namespace"),
            node: text("node"),
            resource_id: text("resource_id"),
            pod_labels: text("pod_labels"),
            volume_labels: text("volume_labels"),
            pvc: text("persistentvolumeclaim"),
            pv: text("persistentvolume"),
            storageclass: text("storageclass"),
            csi: text("csi_volume_handle"),
            pvc_capacity_gb: float("persistentvolumeclaim_capacity_gigabyte")?,
            pod_effective_cpu: float("pod_effective_usage_cpu_core_hours")?,
            pod_effective_memory: float("pod_effective_usage_memory_gigabyte_hours")?,
            node_capacity_cpu_hours: float("node_capacity_cpu_core_hours")?,
            node_capacity_memory_hours: float("node_capacity_memory_gigabyte_hours")?,
            cost_category_id: text("cost_category_id")
                .map(|t| {
                    t.parse::<i64>()
                        .map_err(|_| bad(format!("record {}: cost_category_id {t:?}", n + 2)))
                })
                .transpose()?,
        };
        if !has_csi && row.data_source.as_deref() == Some("Storage") {
            let key = (day, row.namespace.clone(), row.pvc.clone(), row.pv.clone());
            row.csi = ocp.handles.get(&key).cloned().flatten();
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The rows `run` wrote for the OpenShift source in `range` of the tenant's
/// `reporting_ocpusagelineitem_daily_summary` (masu's Trino reads the Hive copy, which holds only
/// those): no cost-model row, no back-populated row. Labels are re-rendered as the CSV has them
/// (compact JSON, sorted keys: `jsonb::text` adds spaces, which the `strpos` matches would see);
/// `csi_volume_handle` comes from `ocp` as for a CSV without the column. Numbers are the stored
/// `numeric(33,15)` values.
pub fn from_database(
    target: &crate::database::Target,
    ocp_source: &str,
    range: (Day, Day),
    ocp: &OcpDaily,
) -> Result<Vec<OcpRow>, Error> {
    let table = target.table(crate::sink::postgres::SUMMARY_TABLE);
    let sql = format!(
        "SELECT usage_start::text, source_uuid::text, cluster_id, cluster_alias, data_source, \
         namespace, node, resource_id, pod_labels::text, volume_labels::text, \
         persistentvolumeclaim, persistentvolume, storageclass, \
         persistentvolumeclaim_capacity_gigabyte::float8, \
         pod_effective_usage_cpu_core_hours::float8, \
         pod_effective_usage_memory_gigabyte_hours::float8, \
         node_capacity_cpu_core_hours::float8, node_capacity_memory_gigabyte_hours::float8, \
         cost_category_id::int8 \
         FROM {table} WHERE source_uuid::text = $1 \
         AND usage_start >= $2::text::date AND usage_start <= $3::text::date \
         AND cost_model_rate_type IS NULL AND monthly_cost_type IS NULL \
         AND coalesce(infrastructure_raw_cost, 0) = 0 AND supplementary_usage_cost IS NULL"
    );
    let mut client = target.connect()?;
    let rows = client
        .query(
            &sql,
            &[
                &ocp_source.to_lowercase(),
                &range.0.to_string(),
                &range.1.to_string(),
            ],
        )
        .map_err(|e| target.error("reading the daily summary", &e))?;
    let json = |v: Option<String>| super::json::canonical(v.as_deref());
    rows.iter()
        .map(|r| {
            let start: String = r.get(0);
            let day = Day::parse(&start)
                .ok_or_else(|| Error::options(format!("bad date {start:?} in the summary")))?;
            let mut row = OcpRow {
                day,
                source: r.get(1),
                cluster_id: r.get(2),
                cluster_alias: r.get(3),
                data_source: r.get(4),
                namespace: r.get(5),
                node: r.get(6),
                resource_id: r.get(7),
                pod_labels: json(r.get(8))?,
                volume_labels: json(r.get(9))?,
                pvc: r.get(10),
                pv: r.get(11),
                storageclass: r.get(12),
                csi: None,
                pvc_capacity_gb: r.get(13),
                pod_effective_cpu: r.get(14),
                pod_effective_memory: r.get(15),
                node_capacity_cpu_hours: r.get(16),
                node_capacity_memory_hours: r.get(17),
                cost_category_id: r.get(18),
            };
            if row.data_source.as_deref() == Some("Storage") {
                let key = (day, row.namespace.clone(), row.pvc.clone(), row.pv.clone());
                row.csi = ocp.handles.get(&key).cloned().flatten();
            }
            Ok(row)
        })
        .collect()
}
