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
    /// Byte-order rank of every string id (1-based; equal strings share a rank).
    string_rank: Vec<u32>,
    /// Byte-order rank of every label set's JSON (1-based; equal JSON shares a rank).
    label_rank: Vec<u32>,
}

/// 1-based ranks of `n` items in `key` order; equal keys share a rank, so 0 is left for NULL.
fn ranks<'k>(n: usize, key: impl Fn(u32) -> &'k [u8]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_unstable_by(|&a, &b| key(a).cmp(key(b)));
    let mut rank = vec![0u32; n];
    let mut r = 0u32;
    for (i, &id) in order.iter().enumerate() {
        if i == 0 || key(order[i - 1]) != key(id) {
            r += 1;
        }
        rank[id as usize] = r;
    }
    rank
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
            .collect::<Vec<_>>();
        let string_rank = ranks(strings.len(), |id| strings.get(id));
        let label_rank = ranks(label_json.len(), |id| &label_json[id as usize]);
        RenderContext {
            strings,
            label_json,
            plan,
            string_rank,
            label_rank,
        }
    }

    /// Sorts rows into the output order: day, data source, namespace, node, labels, then the
    /// remaining ids, strings and label JSON compared by byte order (NULL first). Strings and label
    /// sets are ranked once, so the sort compares integer keys, not bytes.
    pub fn sort(&self, rows: &mut [SummaryRow]) {
        rows.sort_by_cached_key(|r| self.sort_key(r));
    }

    /// The output order of a row as integers: (day, source, namespace, node), (pod labels, volume
    /// labels, pvc, pv), (resource id, cost category).
    fn sort_key(&self, r: &SummaryRow) -> (u128, u128, u64) {
        use crate::catalog::{NULL_ID, NULL_SET};
        let s = |id: u32| {
            u128::from(match id {
                NULL_ID => 0,
                id => self.string_rank[id as usize],
            })
        };
        let l = |id: u32| {
            u128::from(match id {
                NULL_SET => 0,
                id => self.label_rank[id as usize],
            })
        };
        let day = u128::from((r.day.0 as u32) ^ 0x8000_0000);
        let k0 = day << 96 | (r.data_source as u128) << 64 | s(r.namespace) << 32 | s(r.node);
        let k1 = l(r.pod_labels) << 96
            | l(r.volume_labels) << 64
            | s(r.persistentvolumeclaim) << 32
            | s(r.persistentvolume);
        let category = r
            .cost_category_id
            .map_or(0, |c| (i64::from(c) - i64::from(i32::MIN) + 1) as u64);
        (k0, k1, (s(r.resource_id) as u64) << 33 | category)
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
    match sink.write_all(rows, ctx, plan.threads) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r.map_err(fail)?,
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
