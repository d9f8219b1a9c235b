//! masu's cost-model steps that still run on Trino (`OCPCostModelCostUpdater` →
//! `OCPReportDBAccessor`, `koku/masu/database/ocp_report_db_accessor.py`), without Trino:
//!
//! * `populate_vm_usage_costs` → `hourly_cost_virtual_machine.sql`, `hourly_vm_core.sql`;
//! * `populate_monthly_cost_sql("OCP_VM_CORE")` → `monthly_vm_core.sql`;
//! * `populate_tag_based_costs` → `hourly_cost_vm_tag_based.sql`, `monthly_vm_core_tag_based.sql`,
//!   `hourly_vm_core_tag_based.sql`, `monthly_cost_gpu.sql`, `monthly_project_tag_based.sql`.
//!
//! The rates come from a cost-model file ([`rates`]), the summary rows from the tenant's table or
//! a summary CSV ([`summary`]), the usage from one read of the Parquet ([`usage`]); [`steps`]
//! holds one function per SQL file. See `docs/cost-model.md` for the Koku snapshot they follow.

pub mod decimal;
pub mod rates;
pub mod steps;
pub mod summary;
pub mod usage;

use crate::catalog::Catalog;
use crate::cluster::SequentialReader;
use crate::error::{Error, SinkError};
use crate::plan::inputs::{org_has_table, FooterCache};
use crate::plan::lookups::Lookups;
use crate::plan::Plan;
use crate::source::layout::Table;
use crate::value::date::days_in_month;
use ocp_summary_kernels::labels::EnabledKeys;
use rates::{CostModel, INFRASTRUCTURE, SUPPLEMENTARY};
use steps::{CostRow, Params};
use summary::SummaryRow;
use usage::{Usage, Wants};

/// Where the summary rows come from.
#[derive(Debug, Clone)]
pub enum SummarySource {
    /// A summary CSV (`run --output csv:`).
    Csv(std::path::PathBuf),
    /// The plan's database.
    Database,
}

/// One accessor call's rows, in masu's order.
#[derive(Debug, Clone)]
pub struct StepRows {
    /// The accessor function (`populate_vm_usage_costs`, ...).
    pub call: &'static str,
    pub rows: Vec<CostRow>,
}

fn params(plan: &Plan, lookups: &Lookups) -> Result<Params, Error> {
    let report_period_id = plan
        .constants
        .report_period_id
        .ok_or_else(|| Error::options("the cost model needs --report-period-id"))?;
    Ok(Params {
        start: plan.scope.start,
        end: plan.scope.end,
        report_period_id: i64::from(report_period_id),
        source_uuid: plan.constants.source_uuid.clone(),
        cluster_id: plan.constants.cluster_id.clone(),
        cluster_alias: plan.constants.cluster_alias.clone(),
        days_in_month: days_in_month(plan.scope.year, plan.scope.month),
        cost_categories: lookups
            .cost_categories
            .iter()
            .map(|c| (c.pattern.clone(), c.id))
            .collect(),
    })
}

fn read_summary(plan: &Plan, source: &SummarySource, p: &Params) -> Result<Vec<SummaryRow>, Error> {
    match source {
        SummarySource::Csv(path) => summary::from_csv(path),
        SummarySource::Database => {
            let spec = plan.db.as_ref().ok_or_else(|| {
                Error::options("the summary rows come from --summary FILE or --database-url")
            })?;
            let target = crate::database::Target::new(spec)?;
            let first = crate::value::Day::from_ymd(plan.scope.year, plan.scope.month, 1)
                .expect("a valid month");
            let last = crate::value::Day(first.0 + p.days_in_month as i32 - 1);
            summary::from_database(&target, p.report_period_id, &p.source_uuid, (first, last))
        }
    }
}

/// Computes every step's rows, reading the Parquet once.
pub fn compute(
    plan: &Plan,
    lookups: &Lookups,
    model: &CostModel,
    source: &SummarySource,
) -> Result<Vec<StepRows>, Error> {
    let p = params(plan, lookups)?;
    let store = crate::source::open(&plan.scope.input, &plan.s3)
        .map_err(|e| Error::options(e.to_string()))?;
    let store = store.as_ref();
    let org = &plan.scope.org;
    let tagged = model.has_tag_rates();
    let wants = Wants {
        vm_table: org_has_table(store, org, Table::VM_HOURLY)?,
        gpu_table: tagged && org_has_table(store, org, Table::GPU_DAILY)?,
        pod_vm_hours: true,
        namespaces: tagged && !model.tag_rates(rates::PROJECT_MONTH).is_empty(),
    };
    let catalog = Catalog::new(EnabledKeys::new(std::iter::empty::<&[u8]>()));
    let footers = FooterCache::default();
    let reader = SequentialReader {
        store,
        footers: &footers,
        plan,
        catalog: &catalog,
    };
    let usage = Usage::read(&reader, &catalog, wants)?;
    let rows = read_summary(plan, source, &p)?;
    Ok(run_steps(model, &rows, &usage, &p))
}

/// masu's calls in its order: VM usage per cost type, the monthly VM-core cost, then the tag
/// based costs when the model has tag rates.
pub fn run_steps(
    model: &CostModel,
    summary: &[SummaryRow],
    usage: &Usage,
    p: &Params,
) -> Vec<StepRows> {
    let mut out = Vec::new();
    for rate_type in [INFRASTRUCTURE, SUPPLEMENTARY] {
        let mut rows = Vec::new();
        if let Some(rate) = model.tiered(rate_type, rates::VM_HOUR) {
            rows.extend(steps::hourly_cost_virtual_machine(
                summary, usage, p, rate_type, &rate,
            ));
        }
        // hourly_vm_core.sql is a bare SELECT in Koku: it inserts nothing (docs/cost-model.md).
        out.push(StepRows {
            call: "populate_vm_usage_costs",
            rows,
        });
    }
    let monthly = [INFRASTRUCTURE, SUPPLEMENTARY].into_iter().find_map(|t| {
        model
            .tiered(t, rates::VM_CORE_MONTH)
            .filter(|r| r.truthy())
            .map(|r| (t, r))
    });
    let mut rows = Vec::new();
    if let (true, Some((rate_type, rate))) = (usage.vm_table, monthly) {
        if let Some(amortized) = rate.amortized(p.days_in_month) {
            rows = steps::monthly_vm_core(summary, usage, p, rate_type, &amortized);
        }
    }
    out.push(StepRows {
        call: "populate_monthly_cost_sql",
        rows,
    });
    if model.has_tag_rates() {
        out.push(StepRows {
            call: "populate_tag_based_costs",
            rows: tag_based(model, summary, usage, p),
        });
    }
    out
}

fn tag_based(model: &CostModel, summary: &[SummaryRow], usage: &Usage, p: &Params) -> Vec<CostRow> {
    let mut rows = Vec::new();
    for tag in model.tag_rates(rates::VM_HOUR) {
        rows.extend(steps::hourly_cost_vm_tag_based(summary, usage, p, &tag));
    }
    if usage.vm_table {
        for tag in model.tag_rates(rates::VM_CORE_MONTH) {
            rows.extend(steps::monthly_vm_core_tag_based(summary, usage, p, &tag));
        }
        for tag in model.tag_rates(rates::VM_CORE_HOUR) {
            rows.extend(steps::hourly_vm_core_tag_based(summary, usage, p, &tag));
        }
    }
    if usage.gpu_table {
        for tag in model.tag_rates(rates::GPU_MONTH) {
            rows.extend(steps::monthly_cost_gpu(usage, p, &tag));
        }
    }
    for tag in model.tag_rates(rates::PROJECT_MONTH) {
        rows.extend(steps::monthly_project_tag_based(summary, usage, p, &tag));
    }
    rows
}

/// The CSV header of [`write_csv`].
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

/// Every row as CSV (`\N` for NULL, RFC 4180 quoting), steps in masu's order.
pub fn csv_text(steps: &[StepRows]) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push('\n');
    for r in steps.iter().flat_map(|s| &s.rows) {
        let cells: [Option<String>; 18] = [
            Some(r.step.to_string()),
            r.report_period_id.map(|v| v.to_string()),
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
            r.cost_category_id.map(|v| v.to_string()),
        ];
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, c.as_deref());
        }
        out.push('\n');
    }
    out
}

/// Writes [`csv_text`] to `path`.
pub fn write_csv(path: &std::path::Path, steps: &[StepRows]) -> Result<(), Error> {
    std::fs::write(path, csv_text(steps))
        .map_err(|e| SinkError::io(path.display().to_string(), e).into())
}
