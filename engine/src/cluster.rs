//! `ocp-summary cluster-info`: Koku's cluster-information queries for a plan's source, month and
//! day range, computed from the Parquet (see [`crate::aggregate::cluster`] for the SQL they
//! follow). One pass per table, row group after row group, reading only the columns the asked
//! queries need; the results are printed as CSV in the oracle's format (`\N` is NULL).

use crate::aggregate::cluster::{
    ClusterRows, ClusterTable, NodeRow, PvcRow, LABEL_COLUMNS, POD_COLUMNS, PVC_COLUMNS,
    TIMESTAMP_COLUMNS,
};
use crate::catalog::Catalog;
use crate::decode::rowgroup::{read_row_group, ColumnPlan, RowGroupData};
use crate::decode::strings::StringMode;
use crate::decode::DecodeStats;
use crate::error::Error;
use crate::plan::columns::ColumnRequest;
use crate::plan::inputs::{push_tasks, scan_table, FooterCache, Task};
use crate::plan::Plan;
use crate::sink::ClusterTableCounts;
use crate::source::layout::Table;
use crate::value::date::{Day, MS_PER_DAY};
use ocp_summary_kernels::labels::EnabledKeys;

/// One of Koku's four queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ClusterQuery {
    /// `get_nodes_query_sql`.
    Nodes,
    /// `get_pvcs_query_sql`.
    Pvcs,
    /// `get_projects_query_sql`.
    Projects,
    /// `get_max_min_timestamp_sql`.
    Timestamps,
}

impl ClusterQuery {
    pub const ALL: [ClusterQuery; 4] = [
        ClusterQuery::Nodes,
        ClusterQuery::Pvcs,
        ClusterQuery::Projects,
        ClusterQuery::Timestamps,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ClusterQuery::Nodes => "nodes",
            ClusterQuery::Pvcs => "pvcs",
            ClusterQuery::Projects => "projects",
            ClusterQuery::Timestamps => "timestamps",
        }
    }
}

/// The results of the asked queries (`None` for those not asked).
#[derive(Debug, Default)]
pub struct ClusterInfo {
    pub nodes: Option<Vec<NodeRow>>,
    pub pvcs: Option<Vec<PvcRow>>,
    pub projects: Option<Vec<Option<String>>>,
    /// `(min_timestamp, max_timestamp)` in milliseconds.
    pub timestamps: Option<(Option<i64>, Option<i64>)>,
}

#[derive(Clone, Copy)]
enum Feed {
    Timestamps,
    Pods,
    Labels,
    Pvcs,
}

/// Runs `queries` over the plan's input.
pub fn cluster_info(plan: &Plan, queries: &[ClusterQuery]) -> Result<ClusterInfo, Error> {
    let wants = |q| queries.contains(&q);
    let store = crate::source::open(&plan.scope.input, &plan.s3)
        .map_err(|e| Error::options(e.to_string()))?;
    let footers = FooterCache::default();
    let catalog = Catalog::new(EnabledKeys::new(std::iter::empty::<&[u8]>()))
        .with_label_memo(plan.switches.label_memo);
    let ms = plan.scope.millis_range();

    let mut feeds: Vec<(Feed, Table, &[ColumnRequest])> = Vec::new();
    if wants(ClusterQuery::Nodes) || wants(ClusterQuery::Projects) {
        feeds.push((Feed::Pods, Table::POD_DAILY, POD_COLUMNS));
    } else if wants(ClusterQuery::Timestamps) {
        feeds.push((Feed::Timestamps, Table::POD_DAILY, TIMESTAMP_COLUMNS));
    }
    if wants(ClusterQuery::Nodes) {
        feeds.push((Feed::Labels, Table::NODE_LABELS_DAILY, LABEL_COLUMNS));
    }
    if wants(ClusterQuery::Pvcs) {
        feeds.push((Feed::Pvcs, Table::STORAGE_DAILY, PVC_COLUMNS));
    }

    let mut table = ClusterTable::default();
    let reader = SequentialReader {
        store: store.as_ref(),
        footers: &footers,
        plan,
        catalog: &catalog,
    };
    for (feed, t, columns) in feeds {
        reader.for_each(t, columns, &ms, |data| match feed {
            Feed::Timestamps => table.add_timestamps(data, &ms),
            Feed::Pods => table.add_pods(data, &ms, &catalog),
            Feed::Labels => table.add_labels(data, &ms),
            Feed::Pvcs => table.add_pvcs(data, &ms),
        })?;
    }

    let strings = catalog.strings();
    Ok(ClusterInfo {
        nodes: wants(ClusterQuery::Nodes).then(|| table.nodes(strings)),
        pvcs: wants(ClusterQuery::Pvcs).then(|| table.pvcs(strings)),
        projects: wants(ClusterQuery::Projects).then(|| table.projects(strings)),
        timestamps: wants(ClusterQuery::Timestamps).then_some((table.min_ts, table.max_ts)),
    })
}

/// Reads small tables row group after row group on the calling thread, for the drivers that answer
/// one query (`cluster-info`, the Python package's UI steps).
pub struct SequentialReader<'a> {
    pub store: &'a dyn crate::source::ObjectStore,
    pub footers: &'a FooterCache,
    pub plan: &'a Plan,
    pub catalog: &'a Catalog,
}

impl SequentialReader<'_> {
    /// Calls `f` with every row group of `table` whose statistics may hold rows in `range`.
    pub fn for_each(
        &self,
        table: Table,
        columns: &[ColumnRequest],
        range: &std::ops::Range<i64>,
        mut f: impl FnMut(&RowGroupData),
    ) -> Result<(), Error> {
        let plan = self.plan;
        let input = scan_table(
            self.store,
            self.footers,
            &plan.scope,
            plan.limits.threads,
            table,
            columns,
        )?;
        let mut tasks: Vec<Task> = Vec::new();
        push_tasks(&input, 0, range, &mut tasks);
        let mut data = RowGroupData::default();
        let mut decode = DecodeStats::default();
        for task in tasks {
            let file = &input.files[task.file];
            let plans: Vec<ColumnPlan> = file
                .columns
                .iter()
                .map(|resolved| ColumnPlan {
                    resolved: *resolved,
                    string_mode: StringMode::Interned,
                    decode: plan.switches.decode,
                })
                .collect();
            let meta = file.metadata.row_group(task.row_group);
            read_row_group(
                self.store,
                &file.object.key,
                file.object.size,
                meta,
                &plans,
                self.catalog,
                &mut data,
                &mut decode,
            )
            .map_err(|e| {
                e.at(&file.location, task.row_group, |i| {
                    plans[i].resolved.request.name.to_string()
                })
            })?;
            f(&data);
        }
        Ok(())
    }
}

/// masu's `populate_openshift_cluster_information_tables` without Trino: Koku's node, PVC and
/// project queries over the plan's range, written into the cluster tables of the plan's database
/// in one transaction. `run --database-url` does the same inside its load.
pub fn populate_cluster_information(plan: &Plan) -> Result<ClusterTableCounts, Error> {
    let spec = plan.db.as_ref().ok_or_else(|| {
        Error::options("writing the cluster tables needs a database (--database-url)")
    })?;
    let info = cluster_info(
        plan,
        &[
            ClusterQuery::Nodes,
            ClusterQuery::Pvcs,
            ClusterQuery::Projects,
        ],
    )?;
    let rows = ClusterRows {
        nodes: info.nodes.unwrap_or_default(),
        pvcs: info.pvcs.unwrap_or_default(),
        projects: info.projects.unwrap_or_default(),
    };
    crate::sink::postgres::cluster::populate(spec, &plan.constants, &rows)
}

const NULL_TEXT: &str = "\\N";

fn field(s: Option<&str>) -> String {
    match s {
        None => NULL_TEXT.to_string(),
        Some(s) => format!("\"{}\"", s.replace('"', "\"\"")),
    }
}

fn float(v: Option<f64>) -> String {
    match v {
        None => NULL_TEXT.to_string(),
        Some(v) if v.is_nan() => "NaN".into(),
        Some(v) => format!("{v:?}"),
    }
}

/// Trino's text form of a `timestamp(3)`: `2026-03-01 00:00:00.000`.
pub fn timestamp_text(ms: i64) -> String {
    let day = Day::of_millis(ms);
    let rest = ms - day.start_millis();
    debug_assert!((0..MS_PER_DAY).contains(&rest));
    format!(
        "{day} {:02}:{:02}:{:02}.{:03}",
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000
    )
}

impl ClusterInfo {
    /// The CSV of one query (header, then rows), or `None` if it was not asked.
    pub fn csv(&self, query: ClusterQuery) -> Option<String> {
        let mut out = String::new();
        match query {
            ClusterQuery::Nodes => {
                out.push_str("node,resource_id,node_capacity_cpu_cores,node_role,arch\n");
                for r in self.nodes.as_ref()? {
                    out.push_str(&format!(
                        "{},{},{},{},{}\n",
                        field(Some(&r.node)),
                        field(r.resource_id.as_deref()),
                        float(r.node_capacity_cpu_cores),
                        field(Some(&r.node_role)),
                        field(r.arch.as_deref()),
                    ));
                }
            }
            ClusterQuery::Pvcs => {
                out.push_str("persistentvolume,persistentvolumeclaim,csi_volume_handle\n");
                for r in self.pvcs.as_ref()? {
                    out.push_str(&format!(
                        "{},{},{}\n",
                        field(r.persistentvolume.as_deref()),
                        field(r.persistentvolumeclaim.as_deref()),
                        field(r.csi_volume_handle.as_deref()),
                    ));
                }
            }
            ClusterQuery::Projects => {
                out.push_str("namespace\n");
                for r in self.projects.as_ref()? {
                    out.push_str(&field(r.as_deref()));
                    out.push('\n');
                }
            }
            ClusterQuery::Timestamps => {
                let (min, max) = self.timestamps?;
                let ts = |t: Option<i64>| t.map_or(NULL_TEXT.to_string(), timestamp_text);
                out.push_str("min_timestamp,max_timestamp\n");
                out.push_str(&format!("{},{}\n", ts(min), ts(max)));
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_as_trino_does() {
        let d = Day::of_millis(0);
        assert_eq!(timestamp_text(0), format!("{d} 00:00:00.000"));
        assert_eq!(
            timestamp_text(MS_PER_DAY + 3_723_004),
            format!("{} 01:02:03.004", Day::of_millis(MS_PER_DAY))
        );
    }

    #[test]
    fn csv_quotes_strings_and_marks_null() {
        let info = ClusterInfo {
            projects: Some(vec![None, Some("a\"b".into()), Some("\\N".into())]),
            ..Default::default()
        };
        assert_eq!(
            info.csv(ClusterQuery::Projects).unwrap(),
            "namespace\n\\N\n\"a\"\"b\"\n\"\\N\"\n"
        );
        assert_eq!(info.csv(ClusterQuery::Nodes), None);
    }
}
