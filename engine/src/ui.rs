//! masu's two UI-summary steps that still call Trino, one function each, with masu's inputs
//! (`OCPReportDBAccessor`, `koku/masu/database/ocp_report_db_accessor.py`):
//!
//! * `_populate_gpu_ui_summary_table_with_usage_only` → [`populate_gpu_summary`]: the usage-only GPU
//!   rows into `reporting_ocp_gpu_summary_p`, unless the source's cost model prices GPUs;
//! * the Trino insert of `_populate_virtualization_ui_summary_table` → [`populate_vm_tmp_table`]:
//!   the rows of the `tmp_virt_<uuid>` table masu has just created, before its PostgreSQL VM UI SQL
//!   reads them.
//!
//! They run after masu's summary is in PostgreSQL, as Koku's queries do: the VM query without a VM
//! report reads the summary rows back from the table (every source's rows of the second-to-last
//! day, as Koku's SQL does), and the PVC map and the VM report from the Parquet. `run` computes the
//! same rows from its own scan ([`crate::run`]).

use crate::aggregate::gpu::{self, GpuTable};
use crate::aggregate::vm::{self, VmReport, VmTable};
use crate::catalog::Catalog;
use crate::cluster::SequentialReader;
use crate::database::{quote_ident, Target};
use crate::error::{Error, SinkError};
use crate::plan::inputs::{org_has_table, source_has_table, FooterCache};
use crate::plan::lookups::Lookups;
use crate::plan::Plan;
use crate::rows::gpu::gpu_rows;
use crate::rows::vm::{from_report, join_pvcs, one_per_vm, Candidate, VmRow};
use crate::sink::postgres::cluster::ensure_provider_row;
use crate::sink::{gpu as gpu_sink, GpuWritten};
use crate::source::layout::Table;
use crate::source::ObjectStore;
use ocp_summary_kernels::labels::EnabledKeys;

fn source_has(store: &dyn ObjectStore, plan: &Plan, table: Table) -> Result<bool, Error> {
    source_has_table(store, &plan.scope.org, &plan.scope.source, table)
}

fn org_has(store: &dyn ObjectStore, plan: &Plan, table: Table) -> Result<bool, Error> {
    org_has_table(store, &plan.scope.org, table)
}

fn db(plan: &Plan) -> Result<Target, Error> {
    let spec = plan
        .db
        .as_ref()
        .ok_or_else(|| Error::options("this step writes to a database: pass --database-url"))?;
    Target::new(spec)
}

/// masu's `_populate_gpu_ui_summary_table_with_usage_only`. `None` when the source has no GPU
/// report (Koku returns before running anything).
pub fn populate_gpu_summary(plan: &Plan, lookups: &Lookups) -> Result<Option<GpuWritten>, Error> {
    let store = crate::source::open(&plan.scope.input, &plan.s3)
        .map_err(|e| Error::options(e.to_string()))?;
    if !source_has(store.as_ref(), plan, Table::GPU_DAILY)? {
        return Ok(None);
    }
    let catalog = Catalog::new(EnabledKeys::new(std::iter::empty::<&[u8]>()));
    let ms = plan.scope.millis_range();
    let mut table = GpuTable::default();
    let footers = FooterCache::default();
    let reader = SequentialReader {
        store: store.as_ref(),
        footers: &footers,
        plan,
        catalog: &catalog,
    };
    reader.for_each(Table::GPU_DAILY, gpu::COLUMNS, &ms, |data| {
        table.merge(gpu::run(data, &ms, &catalog), &catalog)
    })?;
    let rows = gpu_rows(&table, &lookups.cost_categories, catalog.strings());
    let target = db(plan)?;
    let mut client = target.connect()?;
    let target = &target;
    let pg = |what: &'static str| move |e: postgres::Error| target.error(what, &e);
    let mut tx = client.transaction().map_err(pg("begin"))?;
    let missing: bool = tx
        .query_one(
            "SELECT to_regclass($1) IS NULL",
            &[&target.table(gpu_sink::TABLE)],
        )
        .map_err(pg("reading the GPU table"))?
        .get(0);
    if missing {
        return Err(SinkError::Schema(format!(
            "table {} does not exist in {} (create it with `ocp-summary init-db`)",
            target.table(gpu_sink::TABLE),
            target.describe()
        ))
        .into());
    }
    let written = if gpu_sink::has_gpu_rate(target, &mut tx, &plan.constants)
        .map_err(pg("reading the cost model"))?
    {
        GpuWritten::CostModelPricesGpus
    } else {
        let range = (plan.scope.start, plan.scope.end);
        let n = gpu_sink::write(target, &mut tx, &plan.constants, range, &rows)
            .map_err(pg("writing the GPU summary"))?;
        ensure_provider_row(target, &mut tx, &plan.constants)
            .map_err(|f| target.error(&f.what, &f.error))?;
        GpuWritten::Rows(n)
    };
    tx.commit().map_err(pg("commit"))?;
    Ok(Some(written))
}

/// masu's Trino insert into `table` (the `tmp_virt_<uuid>` it created), in the plan's schema.
/// Returns the rows inserted; none when the org lacks daily pod or storage Parquet (Koku skips
/// the step).
pub fn populate_vm_tmp_table(plan: &Plan, table: &str) -> Result<u64, Error> {
    let store = crate::source::open(&plan.scope.input, &plan.s3)
        .map_err(|e| Error::options(e.to_string()))?;
    let store = store.as_ref();
    if !org_has(store, plan, Table::POD_DAILY)? || !org_has(store, plan, Table::STORAGE_DAILY)? {
        return Ok(0);
    }
    let target = db(plan)?;
    let catalog = Catalog::new(EnabledKeys::new(std::iter::empty::<&[u8]>()));
    let footers = FooterCache::default();
    let reader = SequentialReader {
        store,
        footers: &footers,
        plan,
        catalog: &catalog,
    };
    let month = i64::MIN..i64::MAX;
    let mut vm_table = VmTable::default();
    let rows = if source_has(store, plan, Table::VM_DAILY)? {
        reader.for_each(Table::VM_HOURLY, vm::REPORT_COLUMNS, &month, |data| {
            let mut report = VmReport::default();
            report.add(data, &catalog);
            vm_table.report.merge(report);
        })?;
        from_report(&vm_table, catalog.strings())
    } else {
        reader.for_each(Table::POD_DAILY, vm::POD_COLUMNS, &month, |data| {
            if let vm::VmPartial::PodLabels(p) = vm::pod_labels(data) {
                vm_table.pod_labels.extend(p);
            }
        })?;
        reader.for_each(Table::STORAGE_DAILY, vm::STORAGE_COLUMNS, &month, |data| {
            if let vm::VmPartial::PodPvcs(p) = vm::pod_pvcs(data, &catalog) {
                vm_table.pod_pvcs.extend(p);
            }
        })?;
        let latest = latest_from_summary(&target, plan)?;
        join_pvcs(one_per_vm(latest), &vm_table, catalog.strings())
    };
    insert_vm_rows(&target, table, &rows)
}

/// The summary rows of the second-to-last day with a CPU request, as Koku's query reads them.
fn latest_from_summary(target: &Target, plan: &Plan) -> Result<Vec<Candidate>, Error> {
    let summary = target.table(crate::sink::postgres::SUMMARY_TABLE);
    let sql = format!(
        "WITH day AS (SELECT DISTINCT usage_start AS d FROM {summary} \
         WHERE usage_start >= $1::text::date AND usage_start <= $2::text::date \
         AND source_uuid::text = $3 AND pod_request_cpu_core_hours IS NOT NULL \
         ORDER BY d DESC LIMIT 1 OFFSET 1) \
         SELECT pod_labels->>'vm_kubevirt_io_name', node, \
         pod_request_cpu_core_hours::float8, pod_request_memory_gigabyte_hours::float8 \
         FROM {summary} WHERE usage_start = (SELECT d FROM day) \
         AND pod_request_cpu_core_hours IS NOT NULL \
         AND pod_labels->>'vm_kubevirt_io_name' IS NOT NULL"
    );
    let mut client = target.connect()?;
    let (start, end) = (plan.scope.start.to_string(), plan.scope.end.to_string());
    let source = plan.scope.source.to_lowercase();
    let rows = client
        .query(&sql, &[&start, &end, &source])
        .map_err(|e| target.error("reading the summary's VM rows", &e))?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect())
}

fn insert_vm_rows(target: &Target, table: &str, rows: &[VmRow]) -> Result<u64, Error> {
    let name = format!("{}.{}", quote_ident(&target.schema), quote_ident(table));
    let vm: Vec<&str> = rows.iter().map(|r| r.vm_name.as_str()).collect();
    let node: Vec<Option<&str>> = rows.iter().map(|r| r.node.as_deref()).collect();
    let pvc: Vec<Option<&str>> = rows.iter().map(|r| r.pvc_name.as_deref()).collect();
    let cpu: Vec<Option<f64>> = rows.iter().map(|r| r.cpu_request).collect();
    let mem: Vec<Option<f64>> = rows.iter().map(|r| r.mem_request).collect();
    let mut client = target.connect()?;
    client
        .execute(
            &format!(
                "INSERT INTO {name} (vm_name, node, pvc_name, cpu_request, mem_request) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[])"
            ),
            &[&vm, &node, &pvc, &cpu, &mem],
        )
        .map_err(|e| target.error(&format!("inserting into {name}"), &e))
}
