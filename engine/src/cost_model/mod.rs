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

pub mod csv;
pub mod decimal;
pub mod label_hash;
pub mod rates;
pub mod rtu;
pub mod steps;
pub mod summary;
pub mod usage;
pub mod write;

use crate::catalog::Catalog;
use crate::cluster::SequentialReader;
use crate::error::Error;
use crate::plan::inputs::{org_has_table, FooterCache};
use crate::plan::lookups::Lookups;
use crate::plan::Plan;
use crate::source::layout::Table;
use crate::value::date::days_in_month;
pub use csv::{csv_text, rtu_csv_text, write_csv};
use decimal::Dec;
use ocp_summary_kernels::labels::EnabledKeys;
use rates::{CostModel, RateValue, RtuParams, TagRate, INFRASTRUCTURE, SUPPLEMENTARY};
pub use steps::{CostRow, Params, Path};
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
    /// Which twins ran: the rows of `_rtu` files carry [`CostRow::rtu`].
    pub path: Path,
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
        rates: Vec<(String, RateValue, RtuParams)>,
        path: Path,
    },
    /// `populate_monthly_cost_sql("OCP_VM_CORE", rate_type, amortized_rate, ...)` (no `_rtu`
    /// twin in our Koku snapshot).
    MonthlyVmCore {
        rate_type: Option<String>,
        amortized_rate: Option<Dec>,
    },
    /// `populate_tag_based_costs(..., metric_to_tag_params_map, cluster_params)`.
    TagBased {
        map: Vec<(String, Vec<TagRate>)>,
        path: Path,
    },
    /// `populate_distributed_cost_sql`'s GPU step on the RTU path
    /// (`distribute_unallocated_gpu_cost_rtu.sql`), over the earlier calls' RTU rows.
    DistributeGpu { cost_model_id: Option<String> },
}

impl Call {
    pub fn name(&self) -> &'static str {
        match self {
            Call::VmUsage { .. } => "populate_vm_usage_costs",
            Call::MonthlyVmCore { .. } => "populate_monthly_cost_sql",
            Call::TagBased { .. } => "populate_tag_based_costs",
            Call::DistributeGpu { .. } => "populate_distributed_cost_sql",
        }
    }

    fn tags(&self, metric: &str) -> &[TagRate] {
        match self {
            Call::TagBased { map, .. } => map
                .iter()
                .find(|(m, _)| m == metric)
                .map_or(&[], |(_, t)| t.as_slice()),
            _ => &[],
        }
    }

    fn path(&self) -> Path {
        match self {
            Call::VmUsage { path, .. } | Call::TagBased { path, .. } => *path,
            Call::MonthlyVmCore { .. } => Path::Direct,
            Call::DistributeGpu { .. } => Path::Rtu,
        }
    }

    /// Whether the call prices VM hours (read from the pod rows when the org has no VM table).
    fn prices_vm_hours(&self) -> bool {
        match self {
            Call::VmUsage { rates, .. } => rates.iter().any(|(m, _, _)| m == rates::VM_HOUR),
            _ => !self.tags(rates::VM_HOUR).is_empty(),
        }
    }

    /// Whether the call reads the GPU rows (and, on the RTU path, the GPU nodes' labels).
    fn reads_gpu(&self) -> bool {
        matches!(self, Call::DistributeGpu { .. }) || !self.tags(rates::GPU_MONTH).is_empty()
    }

    /// The call's rows; `rtu_so_far` are the RTU rows of the calls before it.
    fn rows(&self, input: &Inputs, rtu_so_far: &[CostRow]) -> Vec<CostRow> {
        let (summary, usage, p) = (&input.summary[..], &input.usage, &input.params);
        match self {
            Call::VmUsage {
                rate_type,
                rates,
                path,
            } => {
                let mut rows = Vec::new();
                for (metric, rate, rtu) in rates {
                    if metric == rates::VM_HOUR {
                        rows.extend(steps::hourly_cost_virtual_machine(
                            summary, usage, p, rate_type, rate, *path, rtu,
                        ));
                    } else if metric == rates::VM_CORE_HOUR && usage.vm_table && *path == Path::Rtu
                    {
                        // The direct hourly_vm_core.sql is a bare SELECT in Koku: it inserts
                        // nothing (docs/cost-model.md); its _rtu twin does.
                        rows.extend(rtu::hourly_vm_core_rtu(
                            summary, usage, p, rate_type, rate, rtu,
                        ));
                    }
                }
                rows
            }
            Call::MonthlyVmCore {
                rate_type: Some(rate_type),
                amortized_rate: Some(rate),
            } if usage.vm_table && !rate.is_zero() => {
                steps::monthly_vm_core(summary, usage, p, rate_type, rate)
            }
            Call::MonthlyVmCore { .. } => Vec::new(),
            Call::TagBased { path, .. } => self.tag_rows(input, *path),
            Call::DistributeGpu { cost_model_id } if usage.gpu_table => {
                rtu::distribute_unallocated_gpu_cost_rtu(rtu_so_far, usage, p, cost_model_id)
            }
            Call::DistributeGpu { .. } => Vec::new(),
        }
    }

    fn tag_rows(&self, input: &Inputs, path: Path) -> Vec<CostRow> {
        let (summary, usage, p) = (&input.summary[..], &input.usage, &input.params);
        let mut rows = Vec::new();
        for tag in self.tags(rates::VM_HOUR) {
            rows.extend(steps::hourly_cost_vm_tag_based(
                summary, usage, p, tag, path,
            ));
        }
        if usage.vm_table {
            for tag in self.tags(rates::VM_CORE_MONTH) {
                rows.extend(steps::monthly_vm_core_tag_based(
                    summary, usage, p, tag, path,
                ));
            }
            for tag in self.tags(rates::VM_CORE_HOUR) {
                rows.extend(steps::hourly_vm_core_tag_based(
                    summary, usage, p, tag, path,
                ));
            }
        }
        if usage.gpu_table {
            for tag in self.tags(rates::GPU_MONTH) {
                match path {
                    Path::Direct => rows.extend(steps::monthly_cost_gpu(usage, p, tag)),
                    Path::Rtu => {
                        rows.extend(rtu::monthly_cost_gpu_rtu(usage, p, tag));
                        rows.extend(rtu::gpu_unallocated_rtu(usage, p, tag));
                    }
                }
            }
        }
        // No _rtu twin in our snapshot: it writes the daily summary on either path.
        for tag in self.tags(rates::PROJECT_MONTH) {
            rows.extend(steps::monthly_project_tag_based(summary, usage, p, tag));
        }
        rows
    }
}

/// masu's calls for a cost model, in `update_summary_cost_model_costs`' order: VM usage per cost
/// type, the monthly VM-core cost, then the tag based costs when the model has tag rates; on the
/// RTU path, the GPU distribution last when `distribution_info` asks for it.
pub fn calls_for(model: &CostModel, days_in_month: u32, path: Path) -> Vec<Call> {
    let mut calls = Vec::new();
    for rate_type in [INFRASTRUCTURE, SUPPLEMENTARY] {
        let rates: Vec<(String, RateValue, RtuParams)> = [rates::VM_HOUR, rates::VM_CORE_HOUR]
            .into_iter()
            .filter_map(|m| {
                model
                    .tiered_with_rtu(rate_type, m)
                    .map(|(r, rtu)| (m.to_string(), r, rtu))
            })
            .collect();
        calls.push(Call::VmUsage {
            rate_type: rate_type.into(),
            rates,
            path,
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
            path,
        });
    }
    if path == Path::Rtu && model.distributes_gpu() {
        calls.push(Call::DistributeGpu {
            cost_model_id: model.uuid.clone(),
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
        gpu_table: any(&Call::reads_gpu) && org_has_table(store, org, Table::GPU_DAILY)?,
        pod_vm_hours: !vm_table && any(&Call::prices_vm_hours),
        namespaces: any(&|c| !c.tags(rates::PROJECT_MONTH).is_empty()),
        gpu_nodes: any(&|c| c.path() == Path::Rtu && !c.tags(rates::GPU_MONTH).is_empty()),
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

/// Each call's rows, in order (the GPU distribution reads the RTU rows computed before it).
pub fn compute(calls: &[Call], input: &Inputs) -> Vec<StepRows> {
    let mut out: Vec<StepRows> = Vec::with_capacity(calls.len());
    for c in calls {
        let so_far: Vec<CostRow> = out
            .iter()
            .flat_map(|s| s.rows.iter().filter(|r| r.rtu.is_some()).cloned())
            .collect();
        out.push(StepRows {
            call: c.name(),
            rate_type: match c {
                Call::VmUsage { rate_type, .. } => Some(rate_type.clone()),
                _ => None,
            },
            path: c.path(),
            rows: c.rows(input, &so_far),
        });
    }
    out
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
