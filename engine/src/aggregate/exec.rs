//! The worker pool: row-group tasks in, partial tables out, merged in task order.
//!
//! Workers (crossbeam channels, scoped threads) each own their decode buffers and hash tables, so
//! the hot path takes no lock except the per-dictionary-page interning. The coordinator thread
//! merges partials strictly by task sequence number, which keeps floating-point sums identical for
//! any thread count. The results channel is bounded, so at most a few partials wait in memory.

use super::capacity::{CapacityPartial, CapacityTable, CapacityWorker};
use super::cluster::ClusterTable;
use super::gpu::{GpuPartial, GpuTable};
use super::labels::{LabelPartial, LabelTable, LabelWorker};
use super::pod::{PodPartial, PodTable, PodWorker};
use super::storage::{StoragePartial, StorageTable, StorageWorker};
use super::vm::{VmPartial, VmReport, VmTable};
use super::volume_nodes::{VolumeNodePartial, VolumeNodeTable, VolumeNodeWorker};
use crate::catalog::Catalog;
use crate::decode::rowgroup::{read_row_group, ColumnData, RowGroupData};
use crate::decode::DecodeStats;
use crate::error::{Error, InputError, InputLocation, ReadError};
use crate::plan::inputs::{TableInput, Task};
use crate::plan::DecodeMode;
use crate::source::readahead::{row_group_fetches, ReadAhead, ReadAheadLimits, TaskFetches};
use crate::source::ObjectStore;
use crate::value::date::Day;
use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use shared::{LabelSetCache, SharedRead, View};
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

/// What a table feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Capacity,
    Pods,
    NodeLabels,
    NamespaceLabels,
    /// Daily storage rows (spec §7.3).
    Storage,
    /// (day, namespace, pod) → node of the daily pod rows, for §7.1; read only with storage.
    VolumeNodes,
    /// Daily pod rows for Koku's node and project queries, and as node-role evidence (spec §2.5).
    ClusterPods,
    /// Raw node-label text for the node query (role and architecture).
    ClusterLabels,
    /// Daily storage rows for Koku's PVC query; read only when the cluster tables are written.
    ClusterPvcs,
    /// Daily GPU rows for the usage-only GPU summary.
    Gpu,
    /// Daily pod rows (pod, raw labels), month-wide, for the VM temp table's PVC mapping.
    VmPodLabels,
    /// Daily storage rows (pod, PVC), month-wide, for the same mapping.
    VmPvcs,
    /// The hourly VM report, month-wide, when the source has one.
    VmReport,
}

impl Role {
    /// Small tables that span days (labels, role evidence): read whole before the per-day ones.
    pub fn is_dimension(self) -> bool {
        matches!(
            self,
            Role::NodeLabels
                | Role::NamespaceLabels
                | Role::ClusterPods
                | Role::ClusterLabels
                | Role::ClusterPvcs
                | Role::Gpu
                | Role::VmPodLabels
                | Role::VmPvcs
                | Role::VmReport
        )
    }

    /// Tables Koku reads for the whole month, whatever the day range.
    pub fn month_wide(self) -> bool {
        matches!(self, Role::VmPodLabels | Role::VmPvcs | Role::VmReport)
    }

    pub(crate) fn label_columns(self) -> &'static [usize] {
        match self {
            Role::Capacity
            | Role::VolumeNodes
            | Role::ClusterPods
            | Role::ClusterLabels
            | Role::ClusterPvcs
            | Role::Gpu
            | Role::VmPodLabels
            | Role::VmPvcs
            | Role::VmReport => &[],
            Role::Storage => super::storage::LABEL_COLUMNS,
            Role::Pods => super::pod::LABEL_COLUMNS,
            Role::NodeLabels | Role::NamespaceLabels => super::labels::LABEL_COLUMNS,
        }
    }
}

/// A table to read and the role its rows play.
pub struct RoleInput {
    pub role: Role,
    pub input: TableInput,
}

/// Rows and bytes read from one table.
#[derive(Debug, Default, Clone, Copy)]
pub struct TableStats {
    pub row_groups: u64,
    pub rows: u64,
    /// Bytes fetched for this table's tasks; a row group read with another table's
    /// (`shared_row_groups`) adds nothing here.
    pub bytes: u64,
    /// Row groups that rode on another table's read of the same row group.
    pub shared_row_groups: u64,
}

/// Everything the row builders need.
#[derive(Default)]
pub struct Aggregates {
    pub capacity: CapacityTable,
    pub pods: PodTable,
    pub node_labels: LabelTable,
    pub namespace_labels: LabelTable,
    pub storage: StorageTable,
    pub volume_nodes: VolumeNodeTable,
    /// Run-wide: the cluster-information queries and the node-role evidence.
    pub cluster: ClusterTable,
    /// Run-wide: the GPU summary's groups.
    pub gpu: GpuTable,
    /// Month-wide: the Parquet sides of the VM temp table.
    pub vm: VmTable,
    pub table_stats: Vec<TableStats>,
    pub decode: DecodeStats,
}

impl Aggregates {
    /// Moves every per-day group of the days before `day` into a batch of its own; statistics
    /// and the cluster table (run-wide) stay.
    pub fn split_before(&mut self, day: Day) -> Aggregates {
        Aggregates {
            capacity: self.capacity.split_before(day),
            pods: self.pods.split_before(day),
            node_labels: self.node_labels.split_before(day),
            namespace_labels: self.namespace_labels.split_before(day),
            storage: self.storage.split_before(day),
            volume_nodes: self.volume_nodes.split_before(day),
            ..Default::default()
        }
    }
}

/// Called on the merging thread whenever the days before `Day` are complete: every task that can
/// hold them has been merged. The last call has `Day(i32::MAX)`.
pub type OnComplete<'a> = dyn FnMut(&mut Aggregates, Day) -> Result<(), Error> + 'a;

enum Partial {
    Capacity(CapacityPartial),
    Pods(PodPartial),
    NodeLabels(LabelPartial),
    NamespaceLabels(LabelPartial),
    Storage(StoragePartial),
    VolumeNodes(VolumeNodePartial),
    Cluster(ClusterTable),
    Gpu(GpuPartial),
    Vm(VmPartial),
}

struct Done {
    seq: usize,
    /// Per table the task read (the host, then its riders): table index and row count.
    tables: Vec<(usize, u64)>,
    /// Bytes fetched, counted on the host's table.
    bytes: u64,
    /// Each table's partial, in `tables` order.
    partials: Result<Vec<Partial>, Error>,
    decode: DecodeStats,
}

#[derive(Default)]
struct Worker {
    data: RowGroupData,
    /// One table's columns, lent from `data` ([`shared::lend`]).
    view: RowGroupData,
    label_sets: LabelSetCache,
    tables: Aggregators,
}

/// Each role's per-worker state (hash tables kept from row group to row group).
#[derive(Default)]
struct Aggregators {
    capacity: CapacityWorker,
    pods: PodWorker,
    labels: LabelWorker,
    storage: StorageWorker,
    volume_nodes: VolumeNodeWorker,
}

/// Partials each worker may have finished ahead of the merge, at least. A partial holds a row
/// group's groups (up to ~10 MB on 100k-row daily row groups), so the queue stays short unless a
/// day has more tasks ([`merge_window`]).
const DONE_PER_WORKER: usize = 2;

/// Partials each worker may have ahead of the merge, at most.
const MAX_DONE_PER_WORKER: usize = 16;

/// The row groups that may be decoded, queued or waiting to merge at once: a day's tasks (the
/// lower quartile over the days), within `DONE_PER_WORKER ..= MAX_DONE_PER_WORKER` per worker.
///
/// The merging thread stops merging while it builds a completed day's rows, once per day. With
/// fewer tickets than a day's tasks the workers ran out of tickets in that pause and waited for
/// it: at XL (23 tasks a day) `perf sched` showed each core idle 20% of the run, the workers
/// parked on the ticket channel for 0.8-1.9 s each. At L (4-5 tasks a day) the window stays
/// at 4, where it was: each ticket more holds a partial more (+28 MiB at L with 32 tickets).
fn merge_window(first_days: &[Day], threads: usize) -> usize {
    let mut per_day: Vec<usize> = first_days
        .chunk_by(|a, b| a == b)
        .map(|tasks| tasks.len())
        .collect();
    per_day.sort_unstable();
    // The lower quartile: a typical day, leaning low, since each ticket more holds another
    // partial (about 4 MiB at L, whose days have 4 or 5 tasks).
    let quartile = per_day.get(per_day.len() / 4).copied().unwrap_or(0);
    quartile.clamp(threads * DONE_PER_WORKER, threads * MAX_DONE_PER_WORKER)
}

/// Emptied pod partials, from the merge back to the workers. A partial holds a row group's groups
/// (megabytes on 100k-row row groups), and a fresh vector per row group faulted its pages in
/// every time (2% of the CPU at L).
struct SparePartials {
    tx: Sender<PodPartial>,
    rx: Receiver<PodPartial>,
}

impl SparePartials {
    /// Keeps at most `n`: more are never in flight at once.
    fn new(n: usize) -> Self {
        let (tx, rx) = bounded(n);
        SparePartials { tx, rx }
    }

    fn take(&self) -> PodPartial {
        self.rx.try_recv().unwrap_or_default()
    }

    fn give(&self, mut partial: PodPartial) {
        partial.clear();
        let _ = self.tx.try_send(partial);
    }
}

/// How wide and how big a run may get.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub threads: usize,
    pub memory_limit: u64,
    /// How the workers decode (`--decode`).
    pub decode: DecodeMode,
}

/// The read-ahead over every pass of a run (`passes`, in the order they run), so that the first
/// row groups of a pass are in flight while the pass before it ends: started afresh, each pass
/// began with its workers waiting a round trip. A pass reads through it with [`execute`]'s
/// `first_seq`, the number of tasks in the passes before it.
pub fn read_ahead<'a>(
    store: &'a dyn ObjectStore,
    inputs: &[RoleInput],
    passes: &[&[Task]],
    limits: ReadAheadLimits,
) -> ReadAhead<'a> {
    let fetches = match limits.depth {
        0 => Vec::new(),
        _ => passes
            .iter()
            .flat_map(|tasks| task_fetches(store, inputs, tasks))
            .collect(),
    };
    ReadAhead::new(store, fetches, limits)
}

/// Where a pass reads: the run's [`read_ahead`], and the place of the pass's first task in it.
#[derive(Clone, Copy)]
pub struct PassReads<'r, 'a> {
    pub read_ahead: &'r ReadAhead<'a>,
    pub first_seq: usize,
}

/// Runs every task and merges the partials in `seq` order; stops at the first error.
///
/// `tasks` must be numbered in `first_day` order ([`order_by_day`]): then, once the partials up
/// to task `k` are merged, no later task can add to a day before `tasks[k + 1].first_day`, and
/// `on_complete` gets to turn those days into rows while the workers read on. Memory then holds
/// the days in flight, not the month.
///
/// [`order_by_day`]: crate::plan::inputs::order_by_day
#[allow(clippy::too_many_arguments)]
pub fn execute(
    reads: PassReads<'_, '_>,
    inputs: &[RoleInput],
    tasks: Vec<Task>,
    catalog: &Catalog,
    ms: &Range<i64>,
    limits: Limits,
    progress: &indicatif::ProgressBar,
    mut agg: Aggregates,
    on_complete: &mut OnComplete<'_>,
) -> Result<Aggregates, Error> {
    let Limits {
        threads,
        memory_limit,
        decode: decode_mode,
    } = limits;
    let (task_tx, task_rx) = unbounded::<Task>();
    let first_days: Vec<Day> = tasks.iter().map(|t| t.first_day).collect();
    let window = merge_window(&first_days, threads);
    let (done_tx, done_rx) = bounded::<Done>(window);
    // A worker takes a ticket before a task and the merge gives one back per merged partial, so at
    // most `window` row groups are decoded, queued or waiting for an earlier one to merge. Without
    // this, one slow row group let the partials behind it pile up without bound.
    let (ticket_tx, ticket_rx) = bounded::<()>(window);
    let spares = SparePartials::new(threads);
    for _ in 0..window {
        ticket_tx.send(()).expect("room for every ticket");
    }
    let mut ticket_tx = Some(ticket_tx);
    let stop = AtomicBool::new(false);
    debug_assert!(tasks.iter().enumerate().all(|(i, t)| t.seq == i));
    debug_assert!(first_days.windows(2).all(|w| w[0] <= w[1]));
    let mut complete_before = Day(i32::MIN);
    for t in tasks {
        task_tx.send(t).expect("receiver alive");
    }
    drop(task_tx);
    agg.table_stats.resize(inputs.len(), TableStats::default());
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (task_rx, done_tx, stop) = (task_rx.clone(), done_tx.clone(), &stop);
            let (ticket_rx, spares) = (ticket_rx.clone(), &spares);
            s.spawn(move || {
                let mut w = Worker::default();
                let context = TaskContext {
                    inputs,
                    catalog,
                    ms,
                    spares,
                };
                // Tasks leave the queue in `seq` order, so the earliest unmerged one always holds
                // a ticket and the merge can always move on.
                while ticket_rx.recv().is_ok() {
                    let Ok(task) = task_rx.recv() else { break };
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    // Starts the reads of the next tasks; this task's own reads may be in flight.
                    let reads = reads.read_ahead.take(reads.first_seq + task.seq);
                    let done = w.run(&reads, &context, task, decode_mode);
                    drop(reads);
                    if done_tx.send(done).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        drop(ticket_rx);
        let mut pending = BTreeMap::new();
        let mut next = 0usize;
        let mut first_error = None;
        for done in done_rx {
            progress.inc(1);
            for (i, &(table, rows)) in done.tables.iter().enumerate() {
                let stats = &mut agg.table_stats[table];
                stats.row_groups += 1;
                stats.rows += rows;
                match i {
                    0 => stats.bytes += done.bytes,
                    _ => stats.shared_row_groups += 1,
                }
            }
            agg.decode.add(&done.decode);
            match done.partials {
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(e);
                }
                Ok(p) => {
                    pending.insert(done.seq, p);
                    while let Some(partials) = pending.remove(&next) {
                        for p in partials {
                            agg.merge(p, catalog, &spares);
                        }
                        next += 1;
                        if let Some(tickets) = &ticket_tx {
                            let _ = tickets.try_send(());
                        }
                        let day = first_days.get(next).copied().unwrap_or(Day(i32::MAX));
                        let mut step = || {
                            if next % 8 == 0 {
                                crate::plan::memory::check(memory_limit, "aggregating")?;
                            }
                            if day > complete_before && first_error.is_none() {
                                complete_before = day;
                                on_complete(&mut agg, day)?;
                            }
                            Ok(())
                        };
                        if let Err(e) = step() {
                            stop.store(true, Ordering::Relaxed);
                            first_error.get_or_insert(e);
                        }
                    }
                }
            }
            if first_error.is_some() {
                // Workers waiting for a ticket see the channel close and stop.
                ticket_tx = None;
            }
        }
        if first_error.is_none() && first_days.is_empty() {
            on_complete(&mut agg, Day(i32::MAX))?;
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })?;
    Ok(agg)
}

/// What each task reads, as `decode::rowgroup` will ask for it ([`row_group_fetches`]).
fn task_fetches(store: &dyn ObjectStore, inputs: &[RoleInput], tasks: &[Task]) -> Vec<TaskFetches> {
    let max_gap = store.merge_gap();
    let fetches = |task: &Task| {
        let file = &inputs[task.table].input.files[task.file];
        row_group_fetches(
            &file.object,
            file.metadata.row_group(task.row_group),
            shared::task_leaves(inputs, task).into_iter(),
            max_gap,
        )
    };
    tasks.iter().map(fetches).collect()
}

impl Aggregates {
    fn merge(&mut self, partial: Partial, catalog: &Catalog, spares: &SparePartials) {
        match partial {
            Partial::Capacity(p) => self.capacity.merge(p),
            Partial::Pods(mut p) => {
                self.pods.merge(&mut p, catalog);
                spares.give(p);
            }
            Partial::NodeLabels(p) => self.node_labels.merge(p),
            Partial::NamespaceLabels(p) => self.namespace_labels.merge(p),
            Partial::Storage(p) => self.storage.merge(p),
            Partial::VolumeNodes(p) => self.volume_nodes.merge(p),
            Partial::Cluster(p) => self.cluster.merge(p, catalog),
            Partial::Gpu(p) => self.gpu.merge(p, catalog),
            Partial::Vm(p) => self.vm.merge(p),
        }
    }
}

/// What every task of a run shares.
struct TaskContext<'a> {
    inputs: &'a [RoleInput],
    catalog: &'a Catalog,
    ms: &'a Range<i64>,
    spares: &'a SparePartials,
}

impl Worker {
    fn run(
        &mut self,
        store: &dyn ObjectStore,
        context: &TaskContext<'_>,
        task: Task,
        decode_mode: DecodeMode,
    ) -> Done {
        let TaskContext {
            inputs, catalog, ..
        } = *context;
        let file = &inputs[task.table].input.files[task.file];
        let read = SharedRead::new(inputs, &task, decode_mode);
        let meta = file.metadata.row_group(task.row_group);
        let rows = meta.num_rows().max(0) as u64;
        let mut decode = DecodeStats::default();
        let fetched = read_row_group(
            store,
            &file.object.key,
            file.object.size,
            meta,
            &read.plans,
            catalog,
            &mut self.data,
            &mut decode,
        )
        .and_then(|bytes| {
            let partials = read
                .views
                .iter()
                .map(|view| self.aggregate_view(view, context))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((bytes, partials))
        });
        let located = fetched.map_err(|e| {
            e.at(&file.location, task.row_group, |i| {
                read.plans[i].resolved.request.name.to_string()
            })
        });
        let checked = located.and_then(|done| {
            let ts = read
                .position("interval_start")
                .map(|i| &self.data.columns[i]);
            match ts.and_then(|ts| row_before(ts, task.first_day, context.ms)) {
                Some(t) => Err(Error::from(InputError::RowBeforeStatistics {
                    at: InputLocation {
                        object: file.location.clone(),
                        row_group: Some(task.row_group),
                        column: Some("interval_start".into()),
                    },
                    millis: t,
                    first_day: task.first_day,
                })),
                None => Ok(done),
            }
        });
        let (bytes, partials) = match checked {
            Err(e) => (0, Err(e)),
            Ok((bytes, partials)) => (bytes, Ok(partials)),
        };
        Done {
            seq: task.seq,
            tables: read.views.iter().map(|v| (v.table, rows)).collect(),
            bytes,
            partials,
            decode,
        }
    }

    /// One table's partial, from its columns lent out of the shared read.
    fn aggregate_view(
        &mut self,
        view: &View,
        context: &TaskContext<'_>,
    ) -> Result<Partial, ReadError> {
        let catalog = context.catalog;
        let union = &mut self.data.columns;
        shared::lend(
            view,
            union,
            &mut self.view.columns,
            &mut self.label_sets,
            catalog,
        )?;
        self.view.num_rows = self.data.num_rows;
        let role = context.inputs[view.table].role;
        let partial = self.tables.aggregate(role, &self.view, context);
        shared::give_back(view, &mut self.data.columns, &mut self.view.columns);
        Ok(partial)
    }
}

impl Aggregators {
    fn aggregate(&mut self, role: Role, data: &RowGroupData, context: &TaskContext<'_>) -> Partial {
        let (ms, catalog) = (context.ms, context.catalog);
        match role {
            Role::Capacity => Partial::Capacity(self.capacity.run(data, ms)),
            Role::Pods => Partial::Pods(self.pods.run(data, ms, context.spares.take())),
            Role::NodeLabels => Partial::NodeLabels(self.labels.run(data, ms)),
            Role::NamespaceLabels => Partial::NamespaceLabels(self.labels.run(data, ms)),
            Role::Storage => Partial::Storage(self.storage.run(data, ms)),
            Role::VolumeNodes => Partial::VolumeNodes(self.volume_nodes.run(data, ms)),
            Role::Gpu => Partial::Gpu(super::gpu::run(data, ms, catalog)),
            Role::VmPodLabels => Partial::Vm(super::vm::pod_labels(data)),
            Role::VmPvcs => Partial::Vm(super::vm::pod_pvcs(data, catalog)),
            Role::VmReport => {
                let mut report = VmReport::default();
                report.add(data, catalog);
                Partial::Vm(VmPartial::Report(report))
            }
            Role::ClusterPods | Role::ClusterLabels | Role::ClusterPvcs => {
                // Few rows (daily, deduplicated by the table's sets): a fresh table per row group.
                let mut table = ClusterTable::default();
                match role {
                    Role::ClusterPods => table.add_pods(data, ms, catalog),
                    Role::ClusterLabels => table.add_labels(data, ms),
                    _ => table.add_pvcs(data, ms),
                }
                Partial::Cluster(table)
            }
        }
    }
}

/// The first in-range `interval_start` before `first_day`, which the statistics promised cannot
/// exist. Such a row would add to a day already written out, so it must stop the run.
fn row_before(ts: &ColumnData, first_day: Day, ms: &Range<i64>) -> Option<i64> {
    let floor = first_day.start_millis().max(ms.start);
    ts.i64s
        .iter()
        .zip(ts.valid.iter())
        .find(|&(&t, valid)| valid && t >= ms.start && t < floor)
        .map(|(&t, _)| t)
}

mod shared;

#[cfg(test)]
mod tests;
