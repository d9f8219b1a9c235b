//! The cost rows into the tenant's `reporting_ocpusagelineitem_daily_summary`: one transaction per
//! accessor call, with the delete that makes a re-run replace its rows first.
//!
//! * `populate_monthly_cost_sql("OCP_VM_CORE")`: Koku's `delete_monthly_cost.sql` (the range's
//!   `monthly_cost_type = 'OCP_VM_CORE'` rows with a rate type).
//! * `populate_tag_based_costs`: masu's `_delete_tag_usage_costs` (the source's `Tag` and
//!   `Node_Core_Hour` rows of the range), which masu runs before its tag steps. Like masu, it also
//!   removes the rows of Koku's PostgreSQL tag SQL; masu runs that SQL after this delete.
//! * `populate_vm_usage_costs`: Koku relies on `usage_costs.sql`'s delete, which runs just before
//!   it. That file is PostgreSQL and not ours, so this delete is narrower: the rows this step
//!   writes (a VM-labelled Pod cost row of the rate type with only a CPU cost and no usage).

use super::steps::CostRow;
use super::{StepRows, TagDelete};
use crate::database::Target;
use crate::error::Error;
use crate::value::Day;
use postgres::Transaction;

/// What one call deletes before it inserts.
fn delete_sql(call: &str, summary: &str, tag_delete: TagDelete) -> Option<String> {
    let scope = format!(
        "DELETE FROM {summary} WHERE report_period_id = $1 \
         AND usage_start >= $2::text::date AND usage_start <= $3::text::date \
         AND ($4::text IS NOT NULL) AND ($5::text IS NULL OR cost_model_rate_type = $5)"
    );
    match call {
        "populate_vm_usage_costs" => Some(format!(
            "{scope} AND source_uuid::text = $4 AND data_source = 'Pod' AND monthly_cost_type IS NULL \
             AND cost_model_rate_type IN ('Infrastructure', 'Supplementary') \
             AND pod_usage_cpu_core_hours IS NULL AND cost_model_cpu_cost IS NOT NULL \
             AND cost_model_memory_cost IS NULL AND cost_model_volume_cost IS NULL \
             AND cost_model_gpu_cost IS NULL AND pod_labels ? 'vm_kubevirt_io_name'"
        )),
        "populate_monthly_cost_sql" => Some(format!(
            "{scope} AND cost_model_rate_type IS NOT NULL AND monthly_cost_type = 'OCP_VM_CORE'"
        )),
        "populate_tag_based_costs" if tag_delete == TagDelete::Masu => Some(format!(
            "{scope} AND source_uuid::text = $4 AND monthly_cost_type IN ('Tag', 'Node_Core_Hour')"
        )),
        _ => None,
    }
}

const INSERT_COLUMNS: &str = "uuid, report_period_id, cluster_id, cluster_alias, data_source, \
    usage_start, usage_end, namespace, node, resource_id, pod_labels, all_labels, source_uuid, \
    monthly_cost_type, cost_model_rate_type, cost_model_cpu_cost, cost_model_gpu_cost, cost_category_id";

fn insert(
    tx: &mut Transaction<'_>,
    summary: &str,
    rows: &[CostRow],
) -> Result<u64, postgres::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    let col = |f: fn(&CostRow) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
    let rp: Vec<Option<i32>> = rows
        .iter()
        .map(|r| r.report_period_id.map(|v| v as i32))
        .collect();
    let starts = col(|r| Some(r.usage_start.to_string()));
    let ends = col(|r| Some(r.usage_end.to_string()));
    let category: Vec<Option<i32>> = rows.iter().map(|r| r.cost_category_id).collect();
    let sql = format!(
        "INSERT INTO {summary} ({INSERT_COLUMNS}) \
         SELECT gen_random_uuid(), rp, cid, alias, ds, s::date, e::date, ns, node, rid, pl::jsonb, al::jsonb, \
         src::uuid, mct, cmrt, cpu::numeric(33,15), gpu::numeric(33,15), cat \
         FROM unnest($1::int4[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
         $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], \
         $15::text[], $16::text[], $17::int4[]) \
         AS t(rp, cid, alias, ds, s, e, ns, node, rid, pl, al, src, mct, cmrt, cpu, gpu, cat)"
    );
    tx.execute(
        &sql,
        &[
            &rp,
            &col(|r| r.cluster_id.clone()),
            &col(|r| r.cluster_alias.clone()),
            &col(|r| r.data_source.clone()),
            &starts,
            &ends,
            &col(|r| r.namespace.clone()),
            &col(|r| r.node.clone()),
            &col(|r| r.resource_id.clone()),
            &col(|r| r.pod_labels.clone()),
            &col(|r| r.all_labels.clone()),
            &col(|r| r.source_uuid.clone()),
            &col(|r| r.monthly_cost_type.clone()),
            &col(|r| r.cost_model_rate_type.clone()),
            &col(|r| r.cpu_cost.clone()),
            &col(|r| r.gpu_cost.clone()),
            &category,
        ],
    )
}

/// Rows deleted and inserted by one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub deleted: u64,
    pub inserted: u64,
}

/// Writes each call's rows in its own transaction, the call's delete first.
pub fn write(
    target: &Target,
    steps: &[StepRows],
    report_period_id: i64,
    range: (Day, Day),
    source_uuid: &str,
    tag_delete: TagDelete,
) -> Result<Vec<Written>, Error> {
    let summary = target.table(crate::sink::postgres::SUMMARY_TABLE);
    let mut client = target.connect()?;
    let pg = |what: &'static str| move |e: postgres::Error| target.error(what, &e);
    let (start, end) = (range.0.to_string(), range.1.to_string());
    let source = source_uuid.to_lowercase();
    let mut out = Vec::with_capacity(steps.len());
    for step in steps {
        let mut tx = client.transaction().map_err(pg("begin"))?;
        let deleted = match delete_sql(step.call, &summary, tag_delete) {
            Some(sql) => tx
                .execute(
                    &sql,
                    &[
                        &(report_period_id as i32),
                        &start,
                        &end,
                        &source,
                        &step.rate_type,
                    ],
                )
                .map_err(pg("deleting the cost rows"))?,
            None => 0,
        };
        let inserted =
            insert(&mut tx, &summary, &step.rows).map_err(pg("inserting the cost rows"))?;
        tx.commit().map_err(pg("commit"))?;
        out.push(Written { deleted, inserted });
    }
    Ok(out)
}

/// The source's cost model from `cost_model` through `cost_model_map` (Django's `.first()`:
/// by name, then uuid); `None` when the source has none.
pub fn read_cost_model(
    target: &Target,
    source_uuid: &str,
) -> Result<Option<serde_json::Value>, Error> {
    let (models, maps) = (target.table("cost_model"), target.table("cost_model_map"));
    let sql = format!(
        "SELECT json_build_object('uuid', c.uuid::text, 'rates', c.rates, \
         'distribution_info', c.distribution_info, 'markup', c.markup)::text \
         FROM {maps} m JOIN {models} c ON c.uuid = m.cost_model_id \
         WHERE m.provider_uuid::text = $1 ORDER BY c.name, c.uuid LIMIT 1"
    );
    let mut client = target.connect()?;
    let row = client
        .query_opt(&sql, &[&source_uuid.to_lowercase()])
        .map_err(|e| target.error("reading the cost model", &e))?;
    row.map(|r| {
        let text: String = r.get(0);
        serde_json::from_str(&text).map_err(|e| Error::options(format!("cost model JSON: {e}")))
    })
    .transpose()
}
