//! Where output rows go. Each sink renders [`SummaryRow`]s through a shared [`RenderContext`].

pub mod csv;
pub mod pgcopy;
pub mod uuid;

use crate::catalog::LabelTable;
use crate::plan::Plan;
use crate::rows::SummaryRow;
use ocp_summary_kernels::intern::Interner;
use ocp_summary_kernels::labels::{write_json, EnabledKeys, SetId};

/// Koku's constant (spec §6): Trino writes this text; PostgreSQL stores it as jsonb.
pub const INFRASTRUCTURE_USAGE_COST: &str =
    r#"{"cpu": 0.000000000, "memory": 0.000000000, "storage": 0.000000000}"#;

/// The PostgreSQL columns this computation fills, in output order.
pub const COLUMNS: &[&str] = &[
    "uuid",
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
    "pod_usage_cpu_core_hours",
    "pod_request_cpu_core_hours",
    "pod_effective_usage_cpu_core_hours",
    "pod_limit_cpu_core_hours",
    "pod_usage_memory_gigabyte_hours",
    "pod_request_memory_gigabyte_hours",
    "pod_effective_usage_memory_gigabyte_hours",
    "pod_limit_memory_gigabyte_hours",
    "node_capacity_cpu_cores",
    "node_capacity_cpu_core_hours",
    "node_capacity_memory_gigabytes",
    "node_capacity_memory_gigabyte_hours",
    "cluster_capacity_cpu_core_hours",
    "cluster_capacity_memory_gigabyte_hours",
    "persistentvolumeclaim",
    "persistentvolume",
    "storageclass",
    "volume_labels",
    "all_labels",
    "persistentvolumeclaim_capacity_gigabyte",
    "persistentvolumeclaim_capacity_gigabyte_months",
    "volume_request_storage_gigabyte_months",
    "persistentvolumeclaim_usage_gigabyte_months",
    "source_uuid",
    "infrastructure_usage_cost",
    "cost_category_id",
];

/// Everything a sink needs to turn ids back into text.
pub struct RenderContext<'a> {
    pub strings: &'a Interner,
    /// Compact JSON of every label set, indexed by set id.
    pub label_json: Vec<Vec<u8>>,
    pub plan: &'a Plan,
}

impl<'a> RenderContext<'a> {
    pub fn new(
        strings: &'a Interner,
        labels: &LabelTable,
        enabled: &EnabledKeys,
        plan: &'a Plan,
    ) -> Self {
        let label_json = (0..labels.sets.len() as u32)
            .map(|id| {
                let mut out = Vec::new();
                write_json(
                    labels.sets.get(SetId(id)),
                    enabled,
                    &labels.values,
                    &mut out,
                );
                out
            })
            .collect();
        RenderContext {
            strings,
            label_json,
            plan,
        }
    }

    /// Sorts rows into the output order: day, data source, namespace, node, labels.
    pub fn sort(&self, rows: &mut [SummaryRow]) {
        use crate::catalog::{NULL_ID, NULL_SET};
        let s = |id: u32| (id != NULL_ID).then(|| self.strings.get(id));
        let l = |id: u32| (id != NULL_SET).then(|| self.label_json[id as usize].as_slice());
        rows.sort_by(|a, b| {
            (a.day, a.data_source, s(a.namespace), s(a.node))
                .cmp(&(b.day, b.data_source, s(b.namespace), s(b.node)))
                .then_with(|| l(a.pod_labels).cmp(&l(b.pod_labels)))
                .then_with(|| l(a.volume_labels).cmp(&l(b.volume_labels)))
                .then_with(|| s(a.persistentvolumeclaim).cmp(&s(b.persistentvolumeclaim)))
                .then_with(|| s(a.persistentvolume).cmp(&s(b.persistentvolume)))
                .then_with(|| s(a.resource_id).cmp(&s(b.resource_id)))
                .then_with(|| a.cost_category_id.cmp(&b.cost_category_id))
        });
    }
}

/// Rows and bytes a sink wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct SinkSummary {
    pub rows: u64,
    pub bytes: u64,
}

/// Writes sorted rows to the plan's output.
pub fn write_rows(
    plan: &Plan,
    rows: &[SummaryRow],
    ctx: &RenderContext<'_>,
) -> Result<SinkSummary, crate::error::RunError> {
    let path = match &plan.output {
        crate::plan::OutputSpec::CsvStdout => None,
        crate::plan::OutputSpec::CsvFile(p) => Some(p.as_path()),
        crate::plan::OutputSpec::PgCopyFile(p) => return write_pgcopy_file(p, rows, ctx),
        crate::plan::OutputSpec::Postgres => return crate::db::load(plan, rows, ctx),
    };
    let where_ = || path.map_or("stdout".to_string(), |p| p.display().to_string());
    let fail = |e: std::io::Error| crate::error::RunError::Sink(format!("{}: {e}", where_()));
    let mut sink = csv::CsvSink::create(path).map_err(fail)?;
    for row in rows {
        match sink.write(row, ctx) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break,
            r => r.map_err(fail)?,
        }
    }
    match sink.finish() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Default::default()),
        r => r.map_err(fail),
    }
}

/// The binary COPY stream in a file, written under a temporary name and renamed when complete.
fn write_pgcopy_file(
    path: &std::path::Path,
    rows: &[SummaryRow],
    ctx: &RenderContext<'_>,
) -> Result<SinkSummary, crate::error::RunError> {
    use crate::error::RunError;
    use std::io::Write;
    let fail = |e: std::io::Error| RunError::Sink(format!("{}: {e}", path.display()));
    let mut encoder =
        pgcopy::PgCopyEncoder::new(ctx).map_err(|e| RunError::BadInput(e.to_string()))?;
    let tmp = csv::tmp_name(path);
    let result = (|| {
        let mut file = std::fs::File::create(&tmp).map_err(fail)?;
        let mut buf = Vec::with_capacity(1 << 17);
        buf.extend_from_slice(pgcopy::HEADER);
        let mut summary = SinkSummary::default();
        for row in rows {
            encoder
                .row(row, ctx, &mut buf)
                .map_err(|e| RunError::BadInput(format!("{e}; nothing was written")))?;
            summary.rows += 1;
            if buf.len() >= 1 << 16 {
                file.write_all(&buf).map_err(fail)?;
                summary.bytes += buf.len() as u64;
                buf.clear();
            }
        }
        buf.extend_from_slice(pgcopy::TRAILER);
        file.write_all(&buf).map_err(fail)?;
        summary.bytes += buf.len() as u64;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&tmp, path).map_err(fail)?;
        Ok(summary)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
