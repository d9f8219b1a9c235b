//! Where the GPU summary rows go: a CSV file next to the summary output, or
//! `reporting_ocp_gpu_summary_p` inside the load's transaction.
//!
//! In the database the rows replace those of the run's source and day range, as masu's UI step
//! does before its usage-only insert (the PostgreSQL `reporting_ocp_gpu_summary_p.sql` deletes the
//! range, then Trino inserts). Koku runs the usage-only query only when the source's cost model
//! has no GPU tag rate (`metric_to_tag_params_map.get("gpu_cost_per_month")`): with one, the cost
//! model's own rows stand and nothing here runs ([`has_gpu_rate`]).

use crate::database::Target;
use crate::plan::RowConstants;
use crate::render::text::{date, float, int, opt_text, sep, text};
use crate::rows::gpu::GpuRow;
use crate::value::numeric::numeric_text;
use postgres::Transaction;
use std::io::Write;

/// The columns, in the INSERT's order without `id`.
pub const COLUMNS: &[&str] = &[
    "cluster_id",
    "cluster_alias",
    "usage_start",
    "usage_end",
    "namespace",
    "node",
    "vendor_name",
    "model_name",
    "memory_capacity_gb",
    "mig_instance_id",
    "physical_gpu_uuid",
    "gpu_mode",
    "mig_profile",
    "mig_slice_count",
    "gpu_max_slices",
    "mig_strategy",
    "mig_memory_capacity_gb",
    "source_uuid",
    "cost_category_id",
];

pub const TABLE: &str = "reporting_ocp_gpu_summary_p";

/// The rows as CSV in the summary's dialect (header, `\N` for NULL).
pub fn csv(rows: &[GpuRow], c: &RowConstants, out: &mut impl Write) -> std::io::Result<()> {
    let mut buf = COLUMNS.join(",").into_bytes();
    buf.push(b'\n');
    for r in rows {
        text(&mut buf, c.cluster_id.as_bytes());
        sep(&mut buf);
        text(&mut buf, c.cluster_alias.as_bytes());
        for d in [r.usage_start, r.usage_start] {
            sep(&mut buf);
            date(&mut buf, d);
        }
        for s in [&r.namespace, &r.node, &r.vendor_name, &r.model_name] {
            sep(&mut buf);
            opt_text(&mut buf, s.as_deref());
        }
        sep(&mut buf);
        float(&mut buf, r.memory_capacity_gb);
        for s in [&r.mig_instance_id, &r.physical_gpu_uuid] {
            sep(&mut buf);
            opt_text(&mut buf, s.as_deref());
        }
        sep(&mut buf);
        text(&mut buf, r.gpu_mode.as_bytes());
        sep(&mut buf);
        opt_text(&mut buf, r.mig_profile.as_deref());
        for v in [r.mig_slice_count, r.gpu_max_slices] {
            sep(&mut buf);
            int(&mut buf, v);
        }
        sep(&mut buf);
        opt_text(&mut buf, r.mig_strategy.as_deref());
        sep(&mut buf);
        opt_text(&mut buf, r.mig_memory_capacity_gb.as_deref());
        sep(&mut buf);
        text(&mut buf, c.source_uuid.as_bytes());
        sep(&mut buf);
        int(&mut buf, r.cost_category_id.map(i64::from));
        buf.push(b'\n');
    }
    out.write_all(&buf)
}

/// Whether the source's cost model prices GPUs by tag, in which case Koku skips the usage-only
/// rows. A schema without Koku's cost-model tables has no cost model.
pub fn has_gpu_rate(
    target: &Target,
    tx: &mut Transaction<'_>,
    c: &RowConstants,
) -> Result<bool, postgres::Error> {
    let (models, maps) = (target.table("cost_model"), target.table("cost_model_map"));
    let exists: bool = tx
        .query_one(
            "SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL",
            &[&models, &maps],
        )?
        .get(0);
    if !exists {
        return Ok(false);
    }
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM {maps} m JOIN {models} c ON c.uuid = m.cost_model_id, \
         jsonb_array_elements(CASE jsonb_typeof(c.rates::jsonb) WHEN 'array' THEN c.rates::jsonb \
         ELSE '[]'::jsonb END) r \
         WHERE m.provider_uuid::text = $1 AND r->'metric'->>'name' = 'gpu_cost_per_month' \
         AND jsonb_typeof(r->'tag_rates') = 'object')"
    );
    Ok(tx.query_one(&sql, &[&c.source_uuid])?.get(0))
}

/// Replaces the run's source and day range in the table with `rows`; returns rows inserted.
pub fn write(
    target: &Target,
    tx: &mut Transaction<'_>,
    c: &RowConstants,
    range: (crate::value::Day, crate::value::Day),
    rows: &[GpuRow],
) -> Result<u64, postgres::Error> {
    let table = target.table(TABLE);
    let (start, end) = (range.0.to_string(), range.1.to_string());
    tx.execute(
        &format!(
            "DELETE FROM {table} WHERE usage_start >= $1::text::date AND usage_start <= $2::text::date \
             AND source_uuid = $3::text::uuid"
        ),
        &[&start, &end, &c.source_uuid],
    )?;
    let days: Vec<String> = rows.iter().map(|r| r.usage_start.to_string()).collect();
    let strs =
        |f: fn(&GpuRow) -> Option<&str>| -> Vec<Option<&str>> { rows.iter().map(f).collect() };
    // numeric(33,15) as Trino's DOUBLE→DECIMAL cast makes it (a float8 parameter would be cast by
    // PostgreSQL at 15 significant digits instead).
    let memory: Vec<Option<String>> = rows
        .iter()
        .map(|r| r.memory_capacity_gb.and_then(numeric_text))
        .collect();
    let modes: Vec<&str> = rows.iter().map(|r| r.gpu_mode).collect();
    let slices: Vec<Option<i64>> = rows.iter().map(|r| r.mig_slice_count).collect();
    let max_slices: Vec<Option<i64>> = rows.iter().map(|r| r.gpu_max_slices).collect();
    let categories: Vec<Option<i32>> = rows.iter().map(|r| r.cost_category_id).collect();
    let (ns, node, vendor, model) = (
        strs(|r| r.namespace.as_deref()),
        strs(|r| r.node.as_deref()),
        strs(|r| r.vendor_name.as_deref()),
        strs(|r| r.model_name.as_deref()),
    );
    let (instance, uuid, profile, strategy, mig_memory) = (
        strs(|r| r.mig_instance_id.as_deref()),
        strs(|r| r.physical_gpu_uuid.as_deref()),
        strs(|r| r.mig_profile.as_deref()),
        strs(|r| r.mig_strategy.as_deref()),
        strs(|r| r.mig_memory_capacity_gb.as_deref()),
    );
    let sql = format!(
        "INSERT INTO {table} (id, cluster_id, cluster_alias, usage_start, usage_end, namespace, \
         node, vendor_name, model_name, memory_capacity_gb, mig_instance_id, physical_gpu_uuid, \
         gpu_mode, mig_profile, mig_slice_count, gpu_max_slices, mig_strategy, \
         mig_memory_capacity_gb, source_uuid, cost_category_id) \
         SELECT gen_random_uuid(), $1, $2, d::date, d::date, ns, node, vendor, model, mem::numeric, inst, \
         gpu, mode, profile, slices::int4, max_slices::int4, strategy, mig_mem::numeric, \
         $3::text::uuid, category \
         FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], \
         $10::text[], $11::text[], $12::text[], $13::text[], $14::int8[], $15::int8[], \
         $16::text[], $17::text[], $18::int4[]) \
         AS q(d, ns, node, vendor, model, mem, inst, gpu, mode, profile, slices, max_slices, \
         strategy, mig_mem, category)"
    );
    tx.execute(
        &sql,
        &[
            &c.cluster_id,
            &c.cluster_alias,
            &c.source_uuid,
            &days,
            &ns,
            &node,
            &vendor,
            &model,
            &memory,
            &instance,
            &uuid,
            &modes,
            &profile,
            &slices,
            &max_slices,
            &strategy,
            &mig_memory,
            &categories,
        ],
    )
}
