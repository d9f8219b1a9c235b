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

/// Compact JSON of every label set, by set id, rendered once per set for the whole run. Sets only
/// ever get added, so [`LabelJson::update`] renders the new ones before each batch.
#[derive(Default)]
pub struct LabelJson {
    json: Vec<Vec<u8>>,
}

impl LabelJson {
    pub fn update(&mut self, labels: &LabelTable, enabled: &EnabledKeys) {
        for id in self.json.len() as u32..labels.sets.len() as u32 {
            let mut out = Vec::new();
            write_json(
                labels.sets.get(SetId(id)),
                enabled,
                &labels.values,
                &mut out,
            );
            self.json.push(out);
        }
    }
}

/// The text one batch renders from, copied out of the run's tables. Rendering and writing then
/// need no lock, so the workers keep decoding (and interning) while a batch is written.
pub struct BatchText {
    strings: Interner,
    label_json: Vec<Vec<u8>>,
    /// The same JSON as CSV fields (quoted, quotes doubled): every CSV row prints its labels
    /// twice, so each set used is quoted once per batch instead of twice per row. Kept per batch,
    /// not per run, because the run-wide copy was the largest table at XL (125k sets).
    label_csv: Vec<Vec<u8>>,
}

impl BatchText {
    /// Copies the strings and label sets `rows` use and renumbers the rows' ids to them.
    pub fn capture(rows: &mut [SummaryRow], ctx: &RenderContext<'_>) -> BatchText {
        use crate::catalog::{NULL_ID, NULL_SET};
        let mut text = BatchText {
            strings: Interner::new(),
            label_json: Vec::new(),
            label_csv: Vec::new(),
        };
        let mut local_strings: hashbrown::HashMap<u32, u32> = hashbrown::HashMap::new();
        let mut local_sets: hashbrown::HashMap<u32, u32> = hashbrown::HashMap::new();
        let mut set = |text: &mut BatchText, id: u32| {
            *local_sets.entry(id).or_insert_with(|| {
                let json = &ctx.label_json[id as usize];
                let mut field = Vec::with_capacity(json.len() + 8);
                csv::text(&mut field, json);
                text.label_csv.push(field);
                text.label_json.push(json.clone());
                text.label_json.len() as u32 - 1
            })
        };
        // Set 0 is the empty map, which `all_labels` names by id.
        set(&mut text, 0);
        for r in rows {
            for id in [
                &mut r.namespace,
                &mut r.node,
                &mut r.resource_id,
                &mut r.persistentvolumeclaim,
                &mut r.persistentvolume,
                &mut r.storageclass,
            ] {
                if *id != NULL_ID {
                    let global = *id;
                    *id = *local_strings
                        .entry(global)
                        .or_insert_with(|| text.strings.intern(ctx.strings.get(global)));
                }
            }
            for id in [&mut r.pod_labels, &mut r.volume_labels] {
                if *id != NULL_SET {
                    *id = set(&mut text, *id);
                }
            }
        }
        text
    }

    /// A context that renders rows renumbered by [`BatchText::capture`] (it cannot sort them).
    pub fn context<'a>(&'a self, plan: &'a Plan) -> RenderContext<'a> {
        RenderContext {
            strings: &self.strings,
            label_json: &self.label_json,
            label_csv: &self.label_csv,
            plan,
            string_rank: Vec::new(),
            label_rank: Vec::new(),
        }
    }
}

/// Everything a sink needs to turn one batch's ids back into text, and to order the batch.
pub struct RenderContext<'a> {
    pub strings: &'a Interner,
    /// Compact JSON of every label set, indexed by set id.
    pub label_json: &'a [Vec<u8>],
    /// The JSON as CSV fields, indexed by set id (empty in a ranking context).
    pub label_csv: &'a [Vec<u8>],
    pub plan: &'a Plan,
    /// Byte-order rank of the string ids the batch sorts on (1-based; 0 for the others).
    string_rank: Vec<u32>,
    /// Byte-order rank of the label sets the batch sorts on, by JSON (1-based; 0 for the others).
    label_rank: Vec<u32>,
}

/// 1-based ranks, in `key` order, of the distinct `ids` (< `n`); equal keys share a rank and
/// every other id gets 0, which is also NULL's rank.
fn ranks<'k>(n: usize, mut ids: Vec<u32>, key: impl Fn(u32) -> &'k [u8]) -> Vec<u32> {
    ids.sort_unstable();
    ids.dedup();
    ids.sort_unstable_by(|&a, &b| key(a).cmp(key(b)));
    let mut rank = vec![0u32; n];
    let mut r = 0u32;
    for (i, &id) in ids.iter().enumerate() {
        if i == 0 || key(ids[i - 1]) != key(id) {
            r += 1;
        }
        rank[id as usize] = r;
    }
    rank
}

impl<'a> RenderContext<'a> {
    /// A context that ranks only what the rows of `parts` and the `extra` string ids sort on.
    pub fn ranking(
        strings: &'a Interner,
        label_json: &'a LabelJson,
        plan: &'a Plan,
        parts: &[&[SummaryRow]],
        extra: &[u32],
    ) -> Self {
        use crate::catalog::{NULL_ID, NULL_SET};
        let n = parts.iter().map(|p| p.len()).sum::<usize>();
        let mut string_ids = Vec::with_capacity(n * 2 + extra.len());
        let mut label_ids = Vec::with_capacity(n);
        string_ids.extend_from_slice(extra);
        for r in parts.iter().flat_map(|p| p.iter()) {
            let ids = [
                r.namespace,
                r.node,
                r.persistentvolumeclaim,
                r.persistentvolume,
                r.resource_id,
            ];
            string_ids.extend(ids.into_iter().filter(|&id| id != NULL_ID));
            let sets = [r.pod_labels, r.volume_labels];
            label_ids.extend(sets.into_iter().filter(|&id| id != NULL_SET));
        }
        let json = &label_json.json;
        RenderContext {
            strings,
            label_json: json,
            // Ranking contexts sort; rendering goes through `BatchText::context`.
            label_csv: &[],
            plan,
            string_rank: ranks(strings.len(), string_ids, |id| strings.get(id)),
            label_rank: ranks(json.len(), label_ids, |id| &json[id as usize]),
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

/// A destination that takes sorted rows one batch of complete days at a time.
pub trait RowSink {
    fn write_batch(
        &mut self,
        rows: &[SummaryRow],
        ctx: &RenderContext<'_>,
    ) -> Result<(), crate::error::RunError>;
}

/// What produces a run's rows: called with the plan's output, it writes every batch into it.
/// A database load calls it again from the start when the transaction has to be retried.
pub type Produce<'a> =
    dyn FnMut(&mut (dyn RowSink + Send)) -> Result<(), crate::error::RunError> + 'a;

/// Runs `produce` against the plan's output, and completes the output (rename, commit) only when
/// every batch was written.
pub fn stream_to_output(
    plan: &Plan,
    produce: &mut Produce<'_>,
) -> Result<SinkSummary, crate::error::RunError> {
    let path = match &plan.output {
        crate::plan::OutputSpec::CsvStdout => None,
        crate::plan::OutputSpec::CsvFile(p) => Some(p.as_path()),
        crate::plan::OutputSpec::PgCopyFile(p) => return write_pgcopy_file(p, plan, produce),
        crate::plan::OutputSpec::Postgres => return crate::db::load(plan, produce),
    };
    let where_ = path.map_or("stdout".to_string(), |p| p.display().to_string());
    let fail = |e: std::io::Error| crate::error::RunError::Sink(format!("{where_}: {e}"));
    let mut sink = csv::CsvSink::create(path, plan.threads, where_.clone()).map_err(fail)?;
    produce(&mut sink)?;
    if sink.closed_pipe() {
        return Ok(Default::default());
    }
    match sink.finish() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Default::default()),
        r => r.map_err(fail),
    }
}

/// The binary COPY stream in a file, written under a temporary name and renamed when complete.
fn write_pgcopy_file(
    path: &std::path::Path,
    plan: &Plan,
    produce: &mut Produce<'_>,
) -> Result<SinkSummary, crate::error::RunError> {
    use crate::error::RunError;
    let fail = |e: std::io::Error| RunError::Sink(format!("{}: {e}", path.display()));
    let tmp = csv::tmp_name(path);
    let result = (|| {
        let file = std::fs::File::create(&tmp).map_err(fail)?;
        let mut sink = pgcopy::CopySink::new(file, plan).map_err(fail)?;
        produce(&mut sink)?;
        let (file, summary) = sink.finish().map_err(fail)?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&tmp, path).map_err(fail)?;
        Ok(summary)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
