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
use crate::cost_model::summary::{for_each_record, FieldRef};
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

/// The columns [`read`] takes from the CSV, by name.
const COLUMNS: [&str; 20] = [
    "usage_start",
    "source_uuid",
    "cluster_id",
    "cluster_alias",
    "data_source",
    "namespace",
    "node",
    "resource_id",
    "pod_labels",
    "volume_labels",
    "persistentvolumeclaim",
    "persistentvolume",
    "storageclass",
    "csi_volume_handle",
    "persistentvolumeclaim_capacity_gigabyte",
    "pod_effective_usage_cpu_core_hours",
    "pod_effective_usage_memory_gigabyte_hours",
    "node_capacity_cpu_core_hours",
    "node_capacity_memory_gigabyte_hours",
    "cost_category_id",
];

/// The rows of `path`, record by record; `ocp` fills `csi_volume_handle` when the file has no
/// such column.
pub fn read(path: &std::path::Path, ocp: &OcpDaily) -> Result<Vec<OcpRow>, Error> {
    let bad = |what: String| -> Error {
        InputError::Data(format!("summary CSV {}: {what}", path.display())).into()
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let mut header: Option<(usize, [Option<usize>; 20])> = None;
    let mut rows = Vec::new();
    let mut failure = None;
    let mut n = 0usize;
    let parsed = for_each_record(&text, |rec| {
        n += 1;
        let Some((width, cols)) = &header else {
            let mut cols = [None; 20];
            for (c, name) in cols.iter_mut().zip(COLUMNS) {
                *c = rec.iter().position(|(n, _)| n == name);
            }
            header = Some((rec.len(), cols));
            return Ok(());
        };
        match record(rec, *width, cols, n, ocp) {
            Ok(Some(row)) => rows.push(row),
            Ok(None) => {}
            Err(what) => {
                failure = Some(bad(what));
                return Err(String::new());
            }
        }
        Ok(())
    });
    if let Some(e) = failure {
        return Err(e);
    }
    parsed.map_err(bad)?;
    match header {
        None => Err(bad("empty file".into())),
        Some((_, cols)) if cols[0].is_none() => Err(bad("no usage_start column".into())),
        Some(_) => Ok(rows),
    }
}

/// One record (line `n`) as a row; `None` for an empty line.
fn record(
    rec: &[FieldRef<'_>],
    width: usize,
    cols: &[Option<usize>; 20],
    n: usize,
    ocp: &OcpDaily,
) -> Result<Option<OcpRow>, String> {
    if rec.len() == 1 && rec[0].0.is_empty() && !rec[0].1 {
        return Ok(None);
    }
    if rec.len() != width {
        return Err(format!(
            "record {n}: {} fields, header has {width}",
            rec.len()
        ));
    }
    let field = |i: usize| -> Option<&str> {
        let (v, q) = &rec[cols[i]?];
        (*q || v != "\\N").then_some(v.as_ref())
    };
    let text = |i: usize| field(i).map(str::to_string);
    let float = |i: usize| -> Result<Option<f64>, String> {
        field(i)
            .map(|t| {
                t.trim()
                    .parse::<f64>()
                    .map_err(|_| format!("record {n}: {} {t:?}", COLUMNS[i]))
            })
            .transpose()
    };
    let start = field(0).unwrap_or_default();
    let day = Day::parse(start.get(..10).unwrap_or(start))
        .ok_or_else(|| format!("record {n}: bad usage_start {start:?}"))?;
    let mut row = OcpRow {
        day,
        source: text(1),
        cluster_id: text(2),
        cluster_alias: text(3),
        data_source: text(4),
        namespace: text(5),
        node: text(6),
        resource_id: text(7),
        pod_labels: text(8),
        volume_labels: text(9),
        pvc: text(10),
        pv: text(11),
        storageclass: text(12),
        csi: text(13),
        pvc_capacity_gb: float(14)?,
        pod_effective_cpu: float(15)?,
        pod_effective_memory: float(16)?,
        node_capacity_cpu_hours: float(17)?,
        node_capacity_memory_hours: float(18)?,
        cost_category_id: field(19)
            .map(|t| {
                t.parse::<i64>()
                    .map_err(|_| format!("record {n}: cost_category_id {t:?}"))
            })
            .transpose()?,
    };
    if cols[13].is_none() && row.data_source.as_deref() == Some("Storage") {
        let key = (day, row.namespace.clone(), row.pvc.clone(), row.pv.clone());
        row.csi = ocp.handles.get(&key).cloned().flatten();
    }
    Ok(Some(row))
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
