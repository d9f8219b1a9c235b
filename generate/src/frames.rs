//! Report schemas, hourly/daily frames and the per-chunk task (one hourly file + its daily rollup).
//!
//! This file is the task: which chunks there are ([`plan`]) and how one is written
//! ([`run_task`]). The frames of each report type are modules of their own (`pod`, `storage`,
//! `labels`), each an hourly frame that feeds its daily rollup and the daily frame over the
//! result; what they share is in `fill` (timestamps, row windows, column pushes) and `rollup`
//! (pandas' grouping and Kahan sums), and the column lists are in `schema`.

mod fill;
mod labels;
mod pod;
mod rollup;
mod schema;
mod storage;

pub use schema::{Schemas, PLAIN_COLUMNS};

use std::path::PathBuf;
use std::sync::Arc;

use parquet::file::properties::WriterProperties;

use super::time::Segment;
use super::topology::Topology;
use fill::{Clock, RowWindow};
use labels::{LabelDaily, LabelHourly};
use ocp_summary_ingest::pq::write_file;
use pod::{PodDaily, PodHourly};
use rollup::{DailyWindow, Rollup};
use storage::{StorageDaily, StorageHourly};

/// Report types, in the order of [`Topology::streams`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Report {
    Pod = 0,
    Storage = 1,
    NodeLabels = 2,
    NamespaceLabels = 3,
}

impl Report {
    pub const ALL: [Report; 4] = [
        Report::Pod,
        Report::Storage,
        Report::NodeLabels,
        Report::NamespaceLabels,
    ];

    pub fn dir(self) -> &'static str {
        match self {
            Report::Pod => "pod_usage",
            Report::Storage => "storage_usage",
            Report::NodeLabels => "node_labels",
            Report::NamespaceLabels => "namespace_labels",
        }
    }
}

/// One unit of work: chunk `chunk` of report `report` in month segment `seg`.
#[derive(Debug, Clone)]
pub struct Task {
    pub report: Report,
    pub seg: usize,
    pub chunk: u64,
    /// Row offset of the chunk inside its stream (global row index).
    pub first_row: u64,
    pub rows: usize,
    pub hourly_path: PathBuf,
    pub daily_path: PathBuf,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct TaskResult {
    pub hourly_rows: u64,
    pub daily_rows: u64,
    pub bytes: u64,
}

/// Writes the hourly file of `task` and then the daily file rolled up from exactly those rows.
pub fn run_task(
    topo: &Topology,
    schemas: &Schemas,
    props: &Arc<WriterProperties>,
    rows_per_rg: usize,
    task: &Task,
) -> anyhow::Result<TaskResult> {
    let seg = &topo.segments[task.seg];
    let clock = Clock::new(topo, seg);
    let stream = &topo.streams[task.report as usize];
    let hs = &schemas.hourly[task.report as usize];
    let ds = &schemas.daily[task.report as usize];
    let win = RowWindow::new(stream, task.first_row);
    let (hb, db, daily_rows) = match task.report {
        Report::Pod => {
            let mut f = PodHourly {
                topo,
                clock,
                win,
                vals: Vec::new(),
                rollup: Rollup::new(topo.pods.len()),
            };
            let hb = write_file(&task.hourly_path, hs, props, task.rows, rows_per_rg, &mut f)?;
            let mut days = f.rollup.days;
            days.sort_by_key(|d| (topo.pod_rank[d.pod as usize], d.day));
            let mut d = PodDaily {
                topo,
                clock,
                win: DailyWindow::new(&days),
            };
            let db = write_file(&task.daily_path, ds, props, days.len(), rows_per_rg, &mut d)?;
            (hb, db, days.len())
        }
        Report::Storage => {
            let mut f = StorageHourly {
                topo,
                clock,
                win,
                usage: Vec::new(),
                rollup: Rollup::new(topo.volumes.len()),
            };
            let hb = write_file(&task.hourly_path, hs, props, task.rows, rows_per_rg, &mut f)?;
            let mut days = f.rollup.days;
            days.sort_by_key(|d| (topo.volume_rank[d.vol as usize], d.day));
            let mut d = StorageDaily {
                topo,
                clock,
                win: DailyWindow::new(&days),
            };
            let db = write_file(&task.daily_path, ds, props, days.len(), rows_per_rg, &mut d)?;
            (hb, db, days.len())
        }
        Report::NodeLabels | Report::NamespaceLabels => {
            let (ents, rank) = if task.report == Report::NodeLabels {
                (&topo.node_labels, &topo.node_label_rank)
            } else {
                (&topo.ns_labels, &topo.ns_label_rank)
            };
            let mut f = LabelHourly {
                ents,
                clock,
                win,
                rollup: Rollup::new(ents.names.len() * 2),
            };
            let hb = write_file(&task.hourly_path, hs, props, task.rows, rows_per_rg, &mut f)?;
            let mut days = f.rollup.days;
            days.sort_by_key(|d| (rank[d.group as usize], d.day));
            let mut d = LabelDaily {
                ents,
                clock,
                win: DailyWindow::new(&days),
            };
            let db = write_file(&task.daily_path, ds, props, days.len(), rows_per_rg, &mut d)?;
            (hb, db, days.len())
        }
    };
    Ok(TaskResult {
        hourly_rows: task.rows as u64,
        daily_rows: daily_rows as u64,
        bytes: hb + db,
    })
}

/// Builds the task list: for each month segment and report, chunks of `rows_per_file` rows.
/// File names: `<basename>_<chunk>.parquet` / `<basename>_daily_<chunk>.parquet`, with basename
/// `openshift_report.<n>` where `n = 4 * segment + report` (one "CSV" per report and month).
pub fn plan(
    topo: &Topology,
    rows_per_file: usize,
    dirs: &dyn Fn(Report, &Segment, bool) -> PathBuf,
) -> Vec<Task> {
    let mut tasks = Vec::new();
    let rpf = rows_per_file.max(1) as u64;
    for (si, seg) in topo.segments.iter().enumerate() {
        for report in Report::ALL {
            let stream = &topo.streams[report as usize];
            let base = stream.cum[seg.first_hour as usize];
            let total = stream.rows_between(seg.first_hour, seg.end_hour);
            let basename = format!("openshift_report.{}", si * 4 + report as usize);
            let mut chunk = 0u64;
            while chunk * rpf < total {
                let rows = (total - chunk * rpf).min(rpf) as usize;
                tasks.push(Task {
                    report,
                    seg: si,
                    chunk,
                    first_row: base + chunk * rpf,
                    rows,
                    hourly_path: dirs(report, seg, false)
                        .join(format!("{basename}_{chunk}.parquet")),
                    daily_path: dirs(report, seg, true)
                        .join(format!("{basename}_daily_{chunk}.parquet")),
                });
                chunk += 1;
            }
        }
    }
    tasks
}
