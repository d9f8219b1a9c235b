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
pub mod write;

use crate::catalog::Catalog;
use crate::cluster::SequentialReader;
use crate::error::{Error, SinkError};
use crate::plan::inputs::{org_has_table, FooterCache};
use crate::plan::lookups::Lookups;
use crate::plan::Plan;
use crate::source::layout::Table;
use crate::value::date::days_in_month;
use decimal::Dec;
use ocp_summary_kernels::labels::EnabledKeys;
use rates::{CostModel, RateValue, TagRate, INFRASTRUCTURE, SUPPLEMENTARY};
pub use steps::{CostRow, Params};
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
    /// The cost type of a `populate_vm_usage_costs` call (its delete is per type).
    pub rate_type: Option<String>,
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

/// Whether the tag call deletes first, as masu's `_delete_tag_usage_costs` does before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagDelete {
    Masu,
    /// The caller deleted already (masu's own flow calling `populate_tag_based_costs`).
    None,
}

/// One accessor call of masu's cost-model updater, with the parameters masu passes it.
#[derive(Debug, Clone)]
pub enum Call {
    /// `populate_vm_usage_costs(rate_type, vm_usage_rates, ...)`: metric → hourly rate.
    VmUsage {
        rate_type: String,
        rates: Vec<(String, RateValue)>,
    },
    /// `populate_monthly_cost_sql("OCP_VM_CORE", rate_type, amortized_rate, ...)`.
    MonthlyVmCore {
        rate_type: Option<String>,
        amortized_rate: Option<Dec>,
    },
    /// `populate_tag_based_costs(..., metric_to_tag_params_map, cluster_params)`.
    TagBased { map: Vec<(String, Vec<TagRate>)> },
}

impl Call {
    pub fn name(&self) -> &'static str {
        match self {
            Call::VmUsage { .. } => "populate_vm_usage_costs",
            Call::MonthlyVmCore { .. } => "populate_monthly_cost_sql",
            Call::TagBased { .. } => "populate_tag_based_costs",
        }
    }

    fn tags(&self, metric: &str) -> &[TagRate] {
        match self {
            Call::TagBased { map } => map
                .iter()
                .find(|(m, _)| m == metric)
                .map_or(&[], |(_, t)| t.as_slice()),
            _ => &[],
        }
    }

    /// Whether the call prices VM hours (read from the pod rows when the org has no VM table).
    fn prices_vm_hours(&self) -> bool {
        match self {
            Call::VmUsage { rates, .. } => rates.iter().any(|(m, _)| m == rates::VM_HOUR),
            _ => !self.tags(rates::VM_HOUR).is_empty(),
        }
    }

    fn rows(&self, input: &Inputs) -> Vec<CostRow> {
        let (summary, usage, p) = (&input.summary[..], &input.usage, &input.params);
        match self {
            Call::VmUsage { rate_type, rates } => rates
                .iter()
                .filter(|(m, _)| m == rates::VM_HOUR)
                .flat_map(|(_, r)| {
                    steps::hourly_cost_virtual_machine(summary, usage, p, rate_type, r)
                })
                // hourly_vm_core.sql is a bare SELECT in Koku: it inserts nothing (docs/cost-model.md).
                .collect(),
            Call::MonthlyVmCore {
                rate_type: Some(rate_type),
                amortized_rate: Some(rate),
            } if usage.vm_table && !rate.is_zero() => {
                steps::monthly_vm_core(summary, usage, p, rate_type, rate)
            }
            Call::MonthlyVmCore { .. } => Vec::new(),
            Call::TagBased { .. } => self.tag_rows(input),
        }
    }

    fn tag_rows(&self, input: &Inputs) -> Vec<CostRow> {
        let (summary, usage, p) = (&input.summary[..], &input.usage, &input.params);
        let mut rows = Vec::new();
        for tag in self.tags(rates::VM_HOUR) {
            rows.extend(steps::hourly_cost_vm_tag_based(summary, usage, p, tag));
        }
        if usage.vm_table {
            for tag in self.tags(rates::VM_CORE_MONTH) {
                rows.extend(steps::monthly_vm_core_tag_based(summary, usage, p, tag));
            }
            for tag in self.tags(rates::VM_CORE_HOUR) {
                rows.extend(steps::hourly_vm_core_tag_based(summary, usage, p, tag));
            }
        }
        if usage.gpu_table {
            for tag in self.tags(rates::GPU_MONTH) {
                rows.extend(steps::monthly_cost_gpu(usage, p, tag));
            }
        }
        for tag in self.tags(rates::PROJECT_MONTH) {
            rows.extend(steps::monthly_project_tag_based(summary, usage, p, tag));
        }
        rows
    }
}

/// masu's calls for a cost model, in `update_summary_cost_model_costs`' order: VM usage per cost
/// type, the monthly VM-core cost, then the tag based costs when the model has tag rates.
pub fn calls_for(model: &CostModel, days_in_month: u32) -> Vec<Call> {
    let mut calls = Vec::new();
    for rate_type in [INFRASTRUCTURE, SUPPLEMENTARY] {
        let rates: Vec<(String, RateValue)> = [rates::VM_HOUR, rates::VM_CORE_HOUR]
            .into_iter()
            .filter_map(|m| model.tiered(rate_type, m).map(|r| (m.to_string(), r)))
            .collect();
        calls.push(Call::VmUsage {
            rate_type: rate_type.into(),
            rates,
        });
    }
    let monthly = [INFRASTRUCTURE, SUPPLEMENTARY].into_iter().find_map(|t| {
        model
            .tiered(t, rates::VM_CORE_MONTH)
            .filter(RateValue::truthy)
            .map(|r| (t, r))
    });
    calls.push(Call::MonthlyVmCore {
        rate_type: monthly.as_ref().map(|(t, _)| t.to_string()),
        amortized_rate: monthly.and_then(|(_, r)| r.amortized(days_in_month)),
    });
    if model.has_tag_rates() {
        let metrics = [
            rates::VM_HOUR,
            rates::VM_CORE_MONTH,
            rates::VM_CORE_HOUR,
            rates::GPU_MONTH,
            rates::PROJECT_MONTH,
        ];
        calls.push(Call::TagBased {
            map: metrics
                .into_iter()
                .map(|m| (m.to_string(), model.tag_rates(m)))
                .filter(|(_, t)| !t.is_empty())
                .collect(),
        });
    }
    calls
}

/// What the calls read: the summary rows, the Parquet aggregates and masu's parameters.
pub struct Inputs {
    pub summary: Vec<SummaryRow>,
    pub usage: Usage,
    pub params: Params,
}

/// Reads what `calls` need, the Parquet once.
pub fn read_inputs(
    plan: &Plan,
    lookups: &Lookups,
    calls: &[Call],
    source: &SummarySource,
) -> Result<Inputs, Error> {
    let params = params(plan, lookups)?;
    let store = crate::source::open(&plan.scope.input, &plan.s3)
        .map_err(|e| Error::options(e.to_string()))?;
    let store = store.as_ref();
    let org = &plan.scope.org;
    let any = |f: &dyn Fn(&Call) -> bool| calls.iter().any(f);
    let vm_table = org_has_table(store, org, Table::VM_HOURLY)?;
    let wants = Wants {
        vm_table,
        gpu_table: any(&|c| !c.tags(rates::GPU_MONTH).is_empty())
            && org_has_table(store, org, Table::GPU_DAILY)?,
        pod_vm_hours: !vm_table && any(&Call::prices_vm_hours),
        namespaces: any(&|c| !c.tags(rates::PROJECT_MONTH).is_empty()),
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
    let summary = read_summary(plan, source, &params)?;
    Ok(Inputs {
        summary,
        usage,
        params,
    })
}

/// Each call's rows.
pub fn compute(calls: &[Call], input: &Inputs) -> Vec<StepRows> {
    calls
        .iter()
        .map(|c| StepRows {
            call: c.name(),
            rate_type: match c {
                Call::VmUsage { rate_type, .. } => Some(rate_type.clone()),
                _ => None,
            },
            rows: c.rows(input),
        })
        .collect()
}

/// Writes the rows into the plan's database, one transaction per call.
pub fn write_database(
    plan: &Plan,
    input: &Inputs,
    steps: &[StepRows],
    tag_delete: TagDelete,
) -> Result<Vec<write::Written>, Error> {
    let spec = plan
        .db
        .as_ref()
        .ok_or_else(|| Error::options("writing the cost rows needs --database-url"))?;
    let target = crate::database::Target::new(spec)?;
    let p = &input.params;
    write::write(
        &target,
        steps,
        p.report_period_id,
        (p.start, p.end),
        &p.source_uuid,
        tag_delete,
    )
}

/// The source's cost model from the plan's database.
pub fn cost_model_from_database(plan: &Plan) -> Result<CostModel, Error> {
    let spec = plan.db.as_ref().ok_or_else(|| {
        Error::options("the cost model comes from --cost-model FILE or --database-url")
    })?;
    let target = crate::database::Target::new(spec)?;
    match write::read_cost_model(&target, &plan.constants.source_uuid)? {
        Some(v) => CostModel::from_json(&v).map_err(|e| Error::options(e.to_string())),
        None => Ok(CostModel::default()),
    }
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

/// Reads what `calls` need from the Parquet and the plan's database, and writes their rows
/// there: one masu accessor call (or several) end to end, as the Python package runs them.
pub fn populate(
    plan: &Plan,
    calls: &[Call],
    tag_delete: TagDelete,
) -> Result<Vec<(&'static str, write::Written)>, Error> {
    let lookups = crate::run::resolve_lookups(plan)?;
    let input = read_inputs(plan, &lookups, calls, &SummarySource::Database)?;
    let steps = compute(calls, &input);
    let written = write_database(plan, &input, &steps, tag_delete)?;
    Ok(steps.iter().map(|s| s.call).zip(written).collect())
}
