//! The cost rows as CSV, for runs without a database: the daily-summary rows (`--cost-output`)
//! and the `rates_to_usage` rows of the `_rtu` files (`<output>.rates_to_usage.csv` beside it).
//! `\N` is NULL; fields are quoted as RFC 4180 asks; `step` names the Koku file.

use super::{CostRow, StepRows};
use crate::error::{Error, SinkError};

/// The daily-summary CSV's header.
pub const CSV_COLUMNS: &[&str] = &[
    "step",
    "report_period_id",
    "cluster_id",
    "cluster_alias",
    "data_source",
    "usage_start",
    "usage_end",
    "namespace",
    "node",
    "resource_id",
    "pod_labels",
    "all_labels",
    "source_uuid",
    "monthly_cost_type",
    "cost_model_rate_type",
    "cost_model_cpu_cost",
    "cost_model_gpu_cost",
    "cost_category_id",
];

/// The `rates_to_usage` CSV's header.
pub const RTU_COLUMNS: &[&str] = &[
    "step",
    "cost_model_id",
    "report_period_id",
    "source_uuid",
    "usage_start",
    "usage_end",
    "node",
    "namespace",
    "cluster_id",
    "cluster_alias",
    "data_source",
    "pod_labels",
    "all_labels",
    "label_hash",
    "custom_name",
    "metric_type",
    "cost_model_rate_type",
    "monthly_cost_type",
    "calculated_cost",
    "distributed_cost",
    "cost_category_id",
    "rate_id",
];

fn field(out: &mut String, v: Option<&str>) {
    match v {
        None => out.push_str("\\N"),
        Some(s) if s == "\\N" || s.contains([',', '"', '\n', '\r']) => {
            out.push('"');
            out.push_str(&s.replace('"', "\"\""));
            out.push('"');
        }
        Some(s) => out.push_str(s),
    }
}

fn record(out: &mut String, cells: &[Option<String>]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, c.as_deref());
    }
    out.push('\n');
}

fn int(v: Option<impl ToString>) -> Option<String> {
    v.map(|v| v.to_string())
}

/// The daily-summary rows, steps in masu's order.
pub fn csv_text(steps: &[StepRows]) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push('\n');
    for r in steps
        .iter()
        .flat_map(|s| &s.rows)
        .filter(|r| r.rtu.is_none())
    {
        record(
            &mut out,
            &[
                Some(r.step.to_string()),
                int(r.report_period_id),
                r.cluster_id.clone(),
                r.cluster_alias.clone(),
                r.data_source.clone(),
                Some(r.usage_start.to_string()),
                Some(r.usage_end.to_string()),
                r.namespace.clone(),
                r.node.clone(),
                r.resource_id.clone(),
                r.pod_labels.clone(),
                r.all_labels.clone(),
                r.source_uuid.clone(),
                r.monthly_cost_type.clone(),
                r.cost_model_rate_type.clone(),
                r.cpu_cost.clone(),
                r.gpu_cost.clone(),
                int(r.cost_category_id),
            ],
        );
    }
    out
}

/// `calculated_cost`: the CPU or GPU cost the file computed.
fn calculated(r: &CostRow) -> Option<String> {
    r.cpu_cost.clone().or_else(|| r.gpu_cost.clone())
}

/// The `rates_to_usage` rows, steps in masu's order.
pub fn rtu_csv_text(steps: &[StepRows]) -> String {
    let mut out = RTU_COLUMNS.join(",");
    out.push('\n');
    for r in steps.iter().flat_map(|s| &s.rows) {
        let Some(f) = &r.rtu else { continue };
        record(
            &mut out,
            &[
                Some(r.step.to_string()),
                f.params.cost_model_id.clone(),
                int(r.report_period_id),
                r.source_uuid.clone(),
                Some(r.usage_start.to_string()),
                Some(r.usage_end.to_string()),
                r.node.clone(),
                r.namespace.clone(),
                r.cluster_id.clone(),
                r.cluster_alias.clone(),
                r.data_source.clone(),
                r.pod_labels.clone(),
                r.all_labels.clone(),
                f.label_hash.clone(),
                f.params.custom_name.clone(),
                f.params.metric_type.clone(),
                r.cost_model_rate_type.clone(),
                r.monthly_cost_type.clone(),
                calculated(r),
                r.distributed_cost.clone(),
                int(r.cost_category_id),
                f.params.rate_id.clone(),
            ],
        );
    }
    out
}

fn write(path: &std::path::Path, text: String) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|e| SinkError::io(path.display().to_string(), e).into())
}

/// Writes the daily-summary rows to `path`, and the `rates_to_usage` rows, if the run has any
/// `_rtu` step, to `<path>.rates_to_usage.csv`.
pub fn write_csv(path: &std::path::Path, steps: &[StepRows]) -> Result<(), Error> {
    write(path, csv_text(steps))?;
    if steps.iter().any(|s| s.path == super::Path::Rtu) {
        let mut rtu = path.as_os_str().to_owned();
        rtu.push(".rates_to_usage.csv");
        write(std::path::Path::new(&rtu), rtu_csv_text(steps))?;
    }
    Ok(())
}
