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
    rows: &[&CostRow],
) -> Result<u64, postgres::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    let col = |f: fn(&CostRow) -> Option<String>| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
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

/// Rows deleted and inserted by one call, in the daily summary and in `rates_to_usage`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub deleted: u64,
    pub inserted: u64,
    pub rtu_deleted: u64,
    pub rtu_inserted: u64,
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
        let direct: Vec<&CostRow> = step.rows.iter().filter(|r| r.rtu.is_none()).collect();
        let inserted = insert(&mut tx, &summary, &direct).map_err(pg("inserting the cost rows"))?;
        tx.commit().map_err(pg("commit"))?;
        out.push(Written {
            deleted,
            inserted,
            ..Written::default()
        });
    }
    if steps.iter().any(|s| s.path == super::Path::Rtu) {
        let scope = (report_period_id, range, source.as_str());
        write_rtu(target, &mut client, steps, scope, &mut out)?;
    }
    Ok(out)
}

/// The metric types this engine's `_rtu` files write: those of the steps' rows and the metric
/// names (the default `metric_type`).
fn rtu_metric_types(steps: &[StepRows]) -> Vec<String> {
    let mut types: Vec<String> = [
        super::rates::VM_HOUR,
        super::rates::VM_CORE_HOUR,
        super::rates::VM_CORE_MONTH,
        super::rates::GPU_MONTH,
    ]
    .map(String::from)
    .to_vec();
    let rows = steps.iter().flat_map(|s| &s.rows);
    for f in rows.filter_map(|r| r.rtu.as_ref()) {
        if let Some(t) = &f.params.metric_type {
            if !types.contains(t) {
                types.push(t.clone());
            }
        }
    }
    types
}

/// Every RTU row of the run in one transaction, after deleting the source's rows of the run's
/// metric types in the range (and its GPU distribution rows of the month). Koku's RTU accessor
/// is not in our snapshot: this replacement rule is ours.
fn write_rtu(
    target: &Target,
    client: &mut postgres::Client,
    steps: &[StepRows],
    (report_period_id, range, source): (i64, (Day, Day), &str),
    out: &mut [Written],
) -> Result<(), Error> {
    let pg = |what: &'static str| move |e: postgres::Error| target.error(what, &e);
    let table = target.table("rates_to_usage");
    let month_start = Day::from_ymd(range.0.ymd().0, range.0.ymd().1, 1).unwrap_or(range.0);
    let mut tx = client.transaction().map_err(pg("begin"))?;
    let sql = format!(
        "DELETE FROM {table} WHERE source_uuid::text = $1 AND report_period_id = $2 \
         AND ((usage_start >= $3::text::date AND usage_start <= $4::text::date \
               AND metric_type = ANY($5::text[])) \
           OR (usage_start >= $6::text::date AND usage_start <= $4::text::date \
               AND monthly_cost_type = 'gpu_distributed'))"
    );
    let deleted = tx
        .execute(
            &sql,
            &[
                &source,
                &(report_period_id as i32),
                &range.0.to_string(),
                &range.1.to_string(),
                &rtu_metric_types(steps),
                &month_start.to_string(),
            ],
        )
        .map_err(pg("deleting the rates_to_usage rows"))?;
    for (i, step) in steps.iter().enumerate() {
        let rows: Vec<&CostRow> = step.rows.iter().filter(|r| r.rtu.is_some()).collect();
        out[i].rtu_inserted =
            insert_rtu(&mut tx, &table, &rows).map_err(pg("inserting rates_to_usage rows"))?;
    }
    if let Some(first) = out.first_mut() {
        first.rtu_deleted = deleted;
    }
    tx.commit().map_err(pg("commit"))
}

const RTU_INSERT_COLUMNS: &str = "uuid, cost_model_id, report_period_id, source_uuid, usage_start, \
    usage_end, node, namespace, cluster_id, cluster_alias, data_source, pod_labels, all_labels, \
    label_hash, custom_name, metric_type, cost_model_rate_type, monthly_cost_type, calculated_cost, \
    distributed_cost, cost_category_id, rate_id";

type Column<'a> = &'a dyn Fn(&CostRow) -> Option<String>;

fn insert_rtu(
    tx: &mut Transaction<'_>,
    table: &str,
    rows: &[&CostRow],
) -> Result<u64, postgres::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    let col = |f: Column| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
    let rtu = |r: &CostRow| r.rtu.clone().unwrap_or_default();
    let rp: Vec<Option<i32>> = rows
        .iter()
        .map(|r| r.report_period_id.map(|v| v as i32))
        .collect();
    let category: Vec<Option<i32>> = rows.iter().map(|r| r.cost_category_id).collect();
    let sql = format!(
        "INSERT INTO {table} ({RTU_INSERT_COLUMNS}) \
         SELECT gen_random_uuid(), cm::uuid, rp, src::uuid, s::date, e::date, node, ns, cid, alias, \
         ds, pl::jsonb, al::jsonb, lh, cn, mt, cmrt, mct, calc::numeric(33,15), \
         dist::numeric(33,15), cat, rid::uuid \
         FROM unnest($1::text[], $2::int4[], $3::text[], $4::text[], $5::text[], $6::text[], \
         $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], \
         $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], \
         $20::int4[], $21::text[]) \
         AS t(cm, rp, src, s, e, node, ns, cid, alias, ds, pl, al, lh, cn, mt, cmrt, mct, calc, \
         dist, cat, rid)"
    );
    tx.execute(
        &sql,
        &[
            &col(&|r| rtu(r).params.cost_model_id),
            &rp,
            &col(&|r| r.source_uuid.clone()),
            &col(&|r| Some(r.usage_start.to_string())),
            &col(&|r| Some(r.usage_end.to_string())),
            &col(&|r| r.node.clone()),
            &col(&|r| r.namespace.clone()),
            &col(&|r| r.cluster_id.clone()),
            &col(&|r| r.cluster_alias.clone()),
            &col(&|r| r.data_source.clone()),
            &col(&|r| r.pod_labels.clone()),
            &col(&|r| r.all_labels.clone()),
            &col(&|r| rtu(r).label_hash),
            &col(&|r| rtu(r).params.custom_name),
            &col(&|r| rtu(r).params.metric_type),
            &col(&|r| r.cost_model_rate_type.clone()),
            &col(&|r| r.monthly_cost_type.clone()),
            &col(&|r| r.cpu_cost.clone().or_else(|| r.gpu_cost.clone())),
            &col(&|r| r.distributed_cost.clone()),
            &category,
            &col(&|r| rtu(r).params.rate_id),
        ],
    )
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
