//! The rows of both outputs into the tenant's tables: one transaction per chunk (masu calls
//! `populate_ocp_on_aws_cost_daily_summary_trino` and `back_populate_ocp_infrastructure_costs` per
//! chunk), Koku's deletes first, so a re-run replaces its rows and a failure leaves the old ones.
//!
//! Deletes, per chunk (`project-koku/koku`, stored versions):
//!
//! * `reporting_ocpawscostlineitem_project_daily_summary_p`: masu's
//!   `OCPCloudParquetReportSummaryUpdater.delete_summary_table_data`
//!   (`masu/processor/ocp/ocp_cloud_parquet_summary_updater.py` @
//!   b16ca10254988794c42aaac53ef1d3e6212aa1b9) → `delete_line_item_daily_summary_entries_for_date_range_raw`
//!   (`masu/database/report_db_accessor_base.py`): `usage_start` in the range and
//!   `cost_entry_bill_id` = the AWS bill. masu runs it once for the whole range before re-running
//!   every cluster of the AWS source; one run here is one (cluster, AWS source) pair, so the delete
//!   is narrowed to the pair's rows (`report_period_id`, `source_uuid`) and leaves other clusters'.
//!   (For a whole month with one AWS source masu TRUNCATEs the month's partition instead: the same
//!   rows for a single pair.)
//! * `reporting_ocpusagelineitem_daily_summary`: masu's
//!   `OCPReportDBAccessor.delete_infrastructure_raw_cost_from_daily_summary` (called by
//!   `update_aws_summary_tables` before the chunks): the report period's rows of the range with
//!   `infrastructure_raw_cost IS NOT NULL AND infrastructure_raw_cost != 0`. The back-populate
//!   (`sql/aws/openshift/reporting_ocpaws_ocp_infrastructure_back_populate.sql` @
//!   6c20d78762920633f77aff63a0fd1235f410207d) is an INSERT only, so its rows with a NULL or zero
//!   cost survive Koku's delete and pile up on each re-run; here they are deleted too (ours: the
//!   rows the back-populate shape gives, `supplementary_usage_cost` = its zero JSON, zero pod and
//!   node usage, no cost-model rate type), so a re-run does not duplicate rows.

use super::csv::{python_float, ZERO_USAGE_COST};
use super::project::{BackRow, ProjectRow};
use super::{Chunk, ChunkSink, Params};
use crate::database::Target;
use crate::error::{Error, InputError};
use postgres::Transaction;

/// Koku's table of the OpenShift-on-AWS project rows (`init-db` creates it).
pub use crate::sink::postgres::OCP_AWS_PROJECT_TABLE as PROJECT_TABLE;

/// Rows deleted and inserted for one chunk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub project_deleted: u64,
    pub project_inserted: u64,
    pub back_deleted: u64,
    pub back_inserted: u64,
}

/// Writes each chunk's rows in its own transaction, the deletes first ([`ChunkSink`]).
pub struct DbSink<'t> {
    target: &'t Target,
    client: postgres::Client,
    project: String,
    summary: String,
    report_period_id: i32,
    bill_id: i32,
    aws_source: String,
    /// What each chunk deleted and inserted, in chunk order.
    pub written: Vec<(Chunk, Written)>,
}

impl<'t> DbSink<'t> {
    pub fn new(target: &'t Target, p: &Params) -> Result<Self, Error> {
        Ok(DbSink {
            target,
            client: target.connect()?,
            project: target.table(PROJECT_TABLE),
            summary: target.table(crate::sink::postgres::SUMMARY_TABLE),
            report_period_id: i32::try_from(p.report_period_id).map_err(|_| {
                Error::options("--report-period-id does not fit a PostgreSQL integer")
            })?,
            bill_id: i32::try_from(p.bill_id)
                .map_err(|_| Error::options("--bill-id does not fit a PostgreSQL integer"))?,
            aws_source: p.aws_source.to_lowercase(),
            written: Vec::new(),
        })
    }

    /// The totals over every chunk written so far.
    pub fn total(&self) -> Written {
        let mut t = Written::default();
        for (_, w) in &self.written {
            t.project_deleted += w.project_deleted;
            t.project_inserted += w.project_inserted;
            t.back_deleted += w.back_deleted;
            t.back_inserted += w.back_inserted;
        }
        t
    }
}

impl ChunkSink for DbSink<'_> {
    fn chunk(
        &mut self,
        chunk: Chunk,
        project: &[ProjectRow<'_>],
        back_populate: &[BackRow<'_>],
    ) -> Result<(), Error> {
        let target = self.target;
        let pg = |what: &'static str| move |e: postgres::Error| target.error(what, &e);
        let (rp, bill) = (self.report_period_id, self.bill_id);
        let (project_table, summary) = (&self.project, &self.summary);
        // Rendered before the transaction: a bad value (non-finite cost, out-of-range id) fails
        // the chunk before anything is deleted.
        let project_rows = ProjectColumns::new(project)?;
        let back_rows = BackColumns::new(back_populate)?;
        let (start, end) = (chunk.start.to_string(), chunk.end.to_string());
        let mut tx = self.client.transaction().map_err(pg("begin"))?;
        let project_deleted = tx
            .execute(
                &format!(
                    "DELETE FROM {project_table} WHERE usage_start >= $1::text::date \
                     AND usage_start <= $2::text::date AND cost_entry_bill_id = $3 \
                     AND report_period_id = $4 AND source_uuid::text = $5"
                ),
                &[&start, &end, &bill, &rp, &self.aws_source],
            )
            .map_err(pg("deleting the OpenShift-on-AWS project rows"))?;
        let back_deleted = tx
            .execute(
                &format!(
                    "DELETE FROM {summary} WHERE usage_start >= $1::text::date \
                     AND usage_start <= $2::text::date AND report_period_id = $3 \
                     AND ((infrastructure_raw_cost IS NOT NULL AND infrastructure_raw_cost != 0) \
                       OR (supplementary_usage_cost = $4::text::jsonb \
                           AND cost_model_rate_type IS NULL AND monthly_cost_type IS NULL \
                           AND pod_usage_cpu_core_hours = 0 AND node_capacity_cpu_cores = 0 \
                           AND cluster_capacity_cpu_core_hours = 0))"
                ),
                &[&start, &end, &rp, &ZERO_USAGE_COST],
            )
            .map_err(pg("deleting the back-populated infrastructure rows"))?;
        let project_inserted = project_rows
            .insert(&mut tx, project_table)
            .map_err(pg("inserting the OpenShift-on-AWS project rows"))?;
        let back_inserted = back_rows
            .insert(&mut tx, summary)
            .map_err(pg("inserting the back-populated infrastructure rows"))?;
        tx.commit().map_err(pg("commit"))?;
        self.written.push((
            chunk,
            Written {
                project_deleted,
                project_inserted,
                back_deleted,
                back_inserted,
            },
        ));
        Ok(())
    }
}

type Texts = Vec<Option<String>>;

fn own(s: Option<&str>) -> Option<String> {
    s.map(str::to_string)
}

fn float(column: &str, v: Option<f64>) -> Result<Option<String>, Error> {
    match v {
        Some(x) if !x.is_finite() => Err(InputError::Data(format!(
            "non-finite value {x} in {column}: the PostgreSQL insert would fail"
        ))
        .into()),
        v => Ok(v.map(python_float)),
    }
}

fn int32(column: &str, v: Option<i64>) -> Result<Option<i32>, Error> {
    v.map(|x| {
        i32::try_from(x)
            .map_err(|_| InputError::Data(format!("{column} {x} does not fit an integer")).into())
    })
    .transpose()
}

/// The project rows as one array per column.
struct ProjectColumns {
    ints: [Vec<Option<i32>>; 4],
    texts: Vec<Texts>,
}

const PROJECT_TEXT_COLUMNS: &[(&str, &str)] = &[
    ("cluster_id", "text"),
    ("cluster_alias", "text"),
    ("data_source", "text"),
    ("namespace", "text"),
    ("node", "text"),
    ("persistentvolumeclaim", "text"),
    ("persistentvolume", "text"),
    ("storageclass", "text"),
    ("resource_id", "text"),
    ("usage_start", "date"),
    ("usage_end", "date"),
    ("product_code", "text"),
    ("product_family", "text"),
    ("instance_type", "text"),
    ("usage_account_id", "text"),
    ("availability_zone", "text"),
    ("region", "text"),
    ("unit", "text"),
    ("usage_amount", "numeric"),
    ("infrastructure_data_in_gigabytes", "numeric"),
    ("infrastructure_data_out_gigabytes", "numeric"),
    ("data_transfer_direction", "text"),
    ("currency_code", "text"),
    ("unblended_cost", "numeric"),
    ("markup_cost", "numeric"),
    ("blended_cost", "numeric"),
    ("markup_cost_blended", "numeric"),
    ("savingsplan_effective_cost", "numeric"),
    ("markup_cost_savingsplan", "numeric"),
    ("calculated_amortized_cost", "numeric"),
    ("markup_cost_amortized", "numeric"),
    ("pod_labels", "jsonb"),
    ("tags", "jsonb"),
    ("aws_cost_category", "jsonb"),
    ("source_uuid", "uuid"),
];

const PROJECT_INT_COLUMNS: [&str; 4] = [
    "report_period_id",
    "cost_entry_bill_id",
    "account_alias_id",
    "cost_category_id",
];

impl ProjectColumns {
    fn new(rows: &[ProjectRow]) -> Result<Self, Error> {
        let mut ints: [Vec<Option<i32>>; 4] = Default::default();
        let mut texts: Vec<Texts> =
            vec![Vec::with_capacity(rows.len()); PROJECT_TEXT_COLUMNS.len()];
        for r in rows {
            let ids = [
                Some(r.report_period_id),
                Some(r.bill_id),
                r.account_alias_id,
                r.cost_category_id,
            ];
            for (i, v) in ids.into_iter().enumerate() {
                ints[i].push(int32(PROJECT_INT_COLUMNS[i], v)?);
            }
            let tags = own(r.tags);
            let day = Some(r.day.to_string());
            let values: Vec<Option<String>> = vec![
                own(r.cluster_id),
                own(r.cluster_alias),
                own(r.data_source),
                own(r.namespace),
                own(r.node),
                own(r.pvc),
                own(r.pv),
                own(r.storageclass),
                own(r.resource_id),
                day.clone(),
                day,
                own(r.product_code),
                own(r.product_family),
                own(r.instance_type),
                own(r.account),
                own(r.zone),
                own(r.region),
                own(r.unit),
                float("usage_amount", r.usage_amount)?,
                float("infrastructure_data_in_gigabytes", r.data_in)?,
                float("infrastructure_data_out_gigabytes", r.data_out)?,
                own(r.direction),
                own(r.currency),
                float("unblended_cost", r.unblended)?,
                float("markup_cost", r.markup)?,
                float("blended_cost", r.blended)?,
                float("markup_cost_blended", r.markup_blended)?,
                float("savingsplan_effective_cost", r.sp_effective)?,
                float("markup_cost_savingsplan", r.markup_sp)?,
                float("calculated_amortized_cost", r.amortized)?,
                float("markup_cost_amortized", r.markup_amortized)?,
                tags.clone(),
                tags,
                own(r.cost_category),
                Some(r.source_uuid.to_string()),
            ];
            for (col, v) in texts.iter_mut().zip(values) {
                col.push(v);
            }
        }
        Ok(ProjectColumns { ints, texts })
    }

    fn insert(&self, tx: &mut Transaction<'_>, table: &str) -> Result<u64, postgres::Error> {
        if self.ints[0].is_empty() {
            return Ok(0);
        }
        let mut names: Vec<&str> = PROJECT_INT_COLUMNS.to_vec();
        names.extend(PROJECT_TEXT_COLUMNS.iter().map(|(n, _)| *n));
        let mut select = vec!["gen_random_uuid()".to_string()];
        let mut arrays = Vec::new();
        for (i, _) in PROJECT_INT_COLUMNS.iter().enumerate() {
            select.push(format!("c{i}"));
            arrays.push(format!("${}::int4[]", i + 1));
        }
        let k = PROJECT_INT_COLUMNS.len();
        for (j, (_, ty)) in PROJECT_TEXT_COLUMNS.iter().enumerate() {
            select.push(format!("c{}::{ty}", k + j));
            arrays.push(format!("${}::text[]", k + j + 1));
        }
        let aliases: Vec<String> = (0..names.len()).map(|i| format!("c{i}")).collect();
        let sql = format!(
            "INSERT INTO {table} (uuid, {}) SELECT {} FROM unnest({}) AS t({})",
            names.join(", "),
            select.join(", "),
            arrays.join(", "),
            aliases.join(", ")
        );
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = Vec::new();
        for v in &self.ints {
            params.push(v);
        }
        for v in &self.texts {
            params.push(v);
        }
        tx.execute(&sql, &params)
    }
}

/// The back-populated rows as one array per column.
struct BackColumns {
    ints: [Vec<Option<i32>>; 2],
    texts: Vec<Texts>,
}

const BACK_TEXT_COLUMNS: &[(&str, &str)] = &[
    ("usage_start", "date"),
    ("usage_end", "date"),
    ("cluster_id", "text"),
    ("cluster_alias", "text"),
    ("namespace", "text"),
    ("data_source", "text"),
    ("node", "text"),
    ("persistentvolumeclaim", "text"),
    ("persistentvolume", "text"),
    ("storageclass", "text"),
    ("resource_id", "text"),
    ("pod_labels", "jsonb"),
    ("volume_labels", "jsonb"),
    ("all_labels", "jsonb"),
    ("source_uuid", "uuid"),
    ("infrastructure_raw_cost", "numeric"),
    ("infrastructure_project_raw_cost", "numeric"),
    ("infrastructure_data_in_gigabytes", "numeric"),
    ("infrastructure_data_out_gigabytes", "numeric"),
    ("raw_currency", "text"),
];

const BACK_INT_COLUMNS: [&str; 2] = ["report_period_id", "cost_category_id"];

/// The back-populate's constant columns: the zero usage-cost JSON and 16 usage columns at 0.
const BACK_ZERO_COLUMNS: &[&str] = &[
    "pod_usage_cpu_core_hours",
    "pod_request_cpu_core_hours",
    "pod_limit_cpu_core_hours",
    "pod_usage_memory_gigabyte_hours",
    "pod_request_memory_gigabyte_hours",
    "pod_limit_memory_gigabyte_hours",
    "node_capacity_cpu_cores",
    "node_capacity_cpu_core_hours",
    "node_capacity_memory_gigabytes",
    "node_capacity_memory_gigabyte_hours",
    "cluster_capacity_cpu_core_hours",
    "cluster_capacity_memory_gigabyte_hours",
    "persistentvolumeclaim_capacity_gigabyte",
    "persistentvolumeclaim_capacity_gigabyte_months",
    "volume_request_storage_gigabyte_months",
    "persistentvolumeclaim_usage_gigabyte_months",
];

impl BackColumns {
    fn new(rows: &[BackRow]) -> Result<Self, Error> {
        let mut ints: [Vec<Option<i32>>; 2] = Default::default();
        let mut texts: Vec<Texts> = vec![Vec::with_capacity(rows.len()); BACK_TEXT_COLUMNS.len()];
        for r in rows {
            ints[0].push(int32("report_period_id", Some(r.report_period_id))?);
            ints[1].push(int32("cost_category_id", r.cost_category_id)?);
            let day = Some(r.day.to_string());
            let cost = float("infrastructure_raw_cost", r.infrastructure_raw_cost)?;
            let values: Vec<Option<String>> = vec![
                day.clone(),
                day,
                own(r.cluster_id),
                own(r.cluster_alias),
                own(r.namespace),
                own(r.data_source),
                own(r.node),
                own(r.pvc),
                own(r.pv),
                own(r.storageclass),
                own(r.resource_id),
                own(r.pod_labels),
                own(r.volume_labels),
                own(r.all_labels),
                Some(r.source_uuid.to_string()),
                cost.clone(),
                cost,
                float("infrastructure_data_in_gigabytes", r.data_in)?,
                float("infrastructure_data_out_gigabytes", r.data_out)?,
                own(r.raw_currency),
            ];
            for (col, v) in texts.iter_mut().zip(values) {
                col.push(v);
            }
        }
        Ok(BackColumns { ints, texts })
    }

    fn insert(&self, tx: &mut Transaction<'_>, table: &str) -> Result<u64, postgres::Error> {
        if self.ints[0].is_empty() {
            return Ok(0);
        }
        let mut names: Vec<&str> = BACK_INT_COLUMNS.to_vec();
        names.extend(BACK_TEXT_COLUMNS.iter().map(|(n, _)| *n));
        let mut select = vec!["gen_random_uuid()".to_string()];
        let mut arrays = Vec::new();
        for (i, _) in BACK_INT_COLUMNS.iter().enumerate() {
            select.push(format!("c{i}"));
            arrays.push(format!("${}::int4[]", i + 1));
        }
        let k = BACK_INT_COLUMNS.len();
        for (j, (_, ty)) in BACK_TEXT_COLUMNS.iter().enumerate() {
            select.push(format!("c{}::{ty}", k + j));
            arrays.push(format!("${}::text[]", k + j + 1));
        }
        let aliases: Vec<String> = (0..names.len()).map(|i| format!("c{i}")).collect();
        let zero_json = crate::database::quote_literal(ZERO_USAGE_COST);
        let sql = format!(
            "INSERT INTO {table} (uuid, {}, infrastructure_usage_cost, supplementary_usage_cost, {}) \
             SELECT {}, {zero_json}::jsonb, {zero_json}::jsonb, {} FROM unnest({}) AS t({})",
            names.join(", "),
            BACK_ZERO_COLUMNS.join(", "),
            select.join(", "),
            vec!["0"; BACK_ZERO_COLUMNS.len()].join(", "),
            arrays.join(", "),
            aliases.join(", ")
        );
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = Vec::new();
        for v in &self.ints {
            params.push(v);
        }
        for v in &self.texts {
            params.push(v);
        }
        tx.execute(&sql, &params)
    }
}

/// The keys of `reporting_enabledtagkeys` enabled for `provider_type` (`AWS`, `OCP`), sorted.
pub fn enabled_keys(target: &Target, provider_type: &str) -> Result<Vec<String>, Error> {
    let table = target.table("reporting_enabledtagkeys");
    let mut client = target.connect()?;
    let rows = client
        .query(
            &format!("SELECT key FROM {table} WHERE enabled AND provider_type = $1 ORDER BY key"),
            &[&provider_type],
        )
        .map_err(|e| target.error("reading the enabled tag keys", &e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
