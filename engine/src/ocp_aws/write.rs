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

use super::csv::{
    back_line, project_line, BACK_POPULATE_COLUMNS, PROJECT_COLUMNS, ZERO_USAGE_COST,
};
use super::project::{BackRow, ProjectRow};
use super::{Chunk, ChunkSink, Params};
use crate::database::Target;
use crate::error::{Error, InputError};
use crate::sink::uuid::UuidGen;
use postgres::Transaction;
use std::io::Write;

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
    uuids: UuidGen,
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
            uuids: UuidGen::new(),
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
        // A render failure returns before the commit: dropping `tx` rolls the deletes back.
        let project_inserted = copy_rows(
            &mut tx,
            project_table,
            PROJECT_COLUMNS,
            project,
            project_line,
            &mut self.uuids,
        )?
        .map_err(pg("copying the OpenShift-on-AWS project rows"))?;
        let back_inserted = copy_rows(
            &mut tx,
            summary,
            BACK_POPULATE_COLUMNS,
            back_populate,
            back_line,
            &mut self.uuids,
        )?
        .map_err(pg("copying the back-populated infrastructure rows"))?;
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

/// Streams `rows` into `COPY table (uuid, columns…) FROM STDIN (FORMAT csv, NULL '\N')`, each
/// line rendered as the CSV output renders it (`render`) behind a fresh v4 uuid. A value that
/// cannot be written (a non-finite cost) fails the COPY, and with it the chunk's transaction.
fn copy_rows<R>(
    tx: &mut Transaction<'_>,
    table: &str,
    columns: &[&str],
    rows: &[R],
    render: fn(&R, &mut String) -> Result<(), Error>,
    uuids: &mut UuidGen,
) -> Result<Result<u64, postgres::Error>, Error> {
    if rows.is_empty() {
        return Ok(Ok(0));
    }
    let sql = format!(
        "COPY {table} (uuid, {}) FROM STDIN (FORMAT csv, NULL '\\N')",
        columns.join(", ")
    );
    let mut writer = match tx.copy_in(&sql) {
        Ok(w) => w,
        Err(e) => return Ok(Err(e)),
    };
    let (mut line, mut out) = (String::new(), Vec::with_capacity(1 << 20));
    for r in rows {
        render(r, &mut line)?;
        crate::render::text::uuid(&mut out, uuids.next_bytes());
        out.push(b',');
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
        if out.len() >= 1 << 20 {
            if let Err(e) = writer.write_all(&out) {
                return Err(InputError::Data(format!("COPY into {table}: {e}")).into());
            }
            out.clear();
        }
    }
    if let Err(e) = writer.write_all(&out) {
        return Err(InputError::Data(format!("COPY into {table}: {e}")).into());
    }
    Ok(writer.finish())
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
