//! One run: plan → scan → aggregate → rows → sink, timed stage by stage.
//!
//! [`execute`] is what the command line and the Python package call: it resolves the lookups
//! (from the database when the options leave them out), streams the rows to the output and
//! writes the run report. [`describe_plan`] answers `ocp-summary plan` without computing.

use crate::aggregate::exec::{self, Aggregates, Limits, OnComplete, Role, RoleInput};
use crate::aggregate::{capacity, cluster, gpu, labels, pod, storage, vm, volume_nodes};
use crate::catalog::Catalog;
use crate::error::{Error, InputError, SinkError};
use crate::plan::inputs::{
    order_by_day, org_has_table, push_tasks, scan_table, selected_row_groups, source_has_table,
    FooterCache, TableInput, Task,
};
use crate::plan::lookups::{Lookups, NodeRole, RoleResource};
use crate::plan::shared::share_reads;
use crate::plan::{memory, Plan, ReportPaths, RowConstants, Streaming};
use crate::render::LabelJson;
use crate::report::{write_atomic, InputReport, MetricLabels, RunReport};
use crate::rows::batch::{BatchBuilder, Tables};
use crate::rows::labels::LabelAccess;
use crate::rows::unallocated::{self, RoleLookup};
use crate::rows::vm::VmLatest;
use crate::rows::SummaryRow;
use crate::sink::batch_text::QuotedLabels;
use crate::sink::{self, BatchText, ClusterTableCounts, GpuWritten, RowSink};
use crate::source::layout::Table;
use crate::source::readahead::{ReadAhead, ReadAheadLimits};
use crate::source::ObjectStore;
use crate::value::Day;
use ocp_summary_kernels::labels::EnabledKeys;
use ocp_summary_kernels::shared_intern::SharedInterner;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Runs `plan` to the end: resolves the lookups, streams the rows to the plan's output and
/// writes the reports. A failed run still writes its `--metrics` file, with the exit code.
pub fn execute(plan: &Plan) -> Result<RunReport, Error> {
    execute_with(plan, Summary::Stderr)
}

/// Whether a run prints its summary ([`RunReport::text`]) to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    /// The command line: the summary goes to stderr.
    Stderr,
    /// Library callers (the Python package): nothing is printed; the caller has the report.
    Quiet,
}

/// [`execute`], printing the summary or not.
pub fn execute_with(plan: &Plan, summary: Summary) -> Result<RunReport, Error> {
    let result = resolve_lookups(plan).and_then(|lookups| run_plan_with(plan, &lookups, summary));
    if let (Err(e), Some(path)) = (&result, &plan.reports.metrics) {
        let code = e.code();
        let labels = metric_labels(plan);
        if let Err(w) = write_atomic(path, &crate::report::failure_prometheus(code, &labels)) {
            tracing::warn!("could not write metrics to {}: {w}", path.display());
        }
    }
    result
}

/// The plan's lookups, with those the options left out read from its database, if any.
pub fn resolve_lookups(plan: &Plan) -> Result<Lookups, Error> {
    let mut given = plan.lookups.clone();
    if plan.rows.cluster_tables && given.node_roles.is_none() {
        // Read inside the load's transaction, after the cluster tables are written.
        given.node_roles = Some(Vec::new());
    }
    match &plan.db {
        Some(spec) => crate::plan::lookups::read_lookups(spec, given),
        None => Ok(given.without_database()),
    }
}

/// The run itself, with its lookups resolved.
pub fn run_plan(plan: &Plan, lookups: &Lookups) -> Result<RunReport, Error> {
    run_plan_with(plan, lookups, Summary::Stderr)
}

fn run_plan_with(plan: &Plan, lookups: &Lookups, summary: Summary) -> Result<RunReport, Error> {
    let run_started = Instant::now();
    let mut report = RunReport::default();
    let store = crate::source::open(&plan.scope.input, &plan.s3)
        .map_err(|e| Error::options(e.to_string()))?;
    let footers = FooterCache::default();
    let enabled = match &lookups.enabled_keys {
        Some(keys) => EnabledKeys::new(keys.iter().map(String::as_bytes)),
        None => EnabledKeys::new(std::iter::empty::<&[u8]>()),
    };
    let catalog = Catalog::new(enabled).with_label_memo(plan.switches.label_memo);
    intern_roles(catalog.strings(), &lookups.node_roles);
    let special = unallocated::intern_namespaces(catalog.strings());
    let ms = plan.scope.millis_range();

    let inputs = report.stage("plan", || scan_inputs(store.as_ref(), &footers, plan))?;
    let mut tasks = Vec::new();
    for (i, ri) in inputs.iter().enumerate() {
        // Month-wide tables keep every row group: Koku filters them by partition only.
        let range = if ri.role.month_wide() {
            i64::MIN..i64::MAX
        } else {
            ms.clone()
        };
        push_tasks(&ri.input, i, &range, &mut tasks);
    }
    let tasks = share_pod_and_storage_reads(tasks, &inputs, plan.switches.label_memo);
    let per_row_group = tasks
        .iter()
        .map(|t| decoded_bytes(&inputs, t))
        .max()
        .unwrap_or(0);
    let limits = Limits {
        threads: memory::workers_within(
            plan.limits.memory_limit,
            per_row_group,
            plan.limits.threads,
        ),
        memory_limit: plan.limits.memory_limit,
        decode: plan.switches.decode,
    };
    let progress = match summary {
        Summary::Stderr => progress_bar(tasks.len() as u64),
        Summary::Quiet => indicatif::ProgressBar::hidden(),
    };
    // Label and role tables are small and span days: read them first, whole. The per-day tables
    // stream in day order behind them.
    let (mut dims, mut facts): (Vec<Task>, Vec<Task>) = tasks
        .into_iter()
        .partition(|t| inputs[t.table].role.is_dimension());
    order_by_day(&mut dims);
    order_by_day(&mut facts);
    let read_ahead_limits = ReadAheadLimits {
        depth: plan.s3.read_ahead,
        small_bytes: crate::source::readahead::SMALL_BYTES,
        requests: plan.s3.concurrency,
        bytes: memory::read_ahead_budget(plan.limits.memory_limit),
    };
    let read_ahead = exec::read_ahead(store.as_ref(), &inputs, &[&dims, &facts], read_ahead_limits);

    let pass = Pass {
        plan,
        lookups,
        read_ahead: &read_ahead,
        inputs: &inputs,
        catalog: &catalog,
        ms: &ms,
        limits,
        progress: &progress,
    };
    let started = Instant::now();
    let mut json = LabelJson::default();
    let mut finished: Option<(Aggregates, BatchTimes)> = None;
    let sink_summary = crate::sink::stream_to_output(plan, &mut |sink| {
        progress.reset();
        finished = Some(stream_days(&pass, &dims, &facts, special, &mut json, sink)?);
        Ok(())
    })?;
    progress.finish_and_clear();
    let (agg, times) = finished.expect("a successful output ran the pipeline");
    (report.batches, report.max_batch_rows) = (times.batches, times.max_batch_rows);
    // The merging thread reads, merges, builds and sorts; the writer thread renders and writes
    // at the same time, so `write` overlaps the others and the total is the wall time.
    let merging = started.elapsed().saturating_sub(times.build + times.sort);
    report.stages.extend([
        ("aggregate", merging),
        ("rows", times.build),
        ("sort", times.sort),
        ("write", times.write),
    ]);
    report
        .notes
        .push("stage write runs on its own thread, overlapping the others".into());
    if let Some(counts) = times.cluster_tables {
        report.notes.push(counts.describe());
    }
    report
        .notes
        .extend(times.gpu.iter().chain(&times.vm).cloned());
    report.wall = Some(run_started.elapsed());

    for (ri, stats) in inputs.iter().zip(&agg.table_stats) {
        report.inputs.push(InputReport {
            table: match ri.role {
                Role::VolumeNodes => format!("{} (pod places)", ri.input.table),
                Role::ClusterPods | Role::ClusterLabels | Role::ClusterPvcs => {
                    format!("{} (cluster information)", ri.input.table)
                }
                Role::VmPodLabels | Role::VmPvcs => format!("{} (VM temp table)", ri.input.table),
                _ => ri.input.table.to_string(),
            },
            files: ri.input.files.len(),
            row_groups_read: stats.row_groups,
            row_groups_total: ri.input.row_groups_total,
            rows: stats.rows,
            bytes: stats.bytes,
            row_groups_shared: stats.shared_row_groups,
        });
    }
    if let Some(line) = store.summary() {
        report.notes.push(line);
    }
    report.pages = agg.decode;
    report.retries = store.retries() + sink_summary.retries;
    report.rows_out = sink_summary.rows;
    report.bytes_out = sink_summary.bytes;
    (report.label_sets, report.label_parses) =
        catalog.with_labels(|labels, _| (labels.sets.len(), labels.parses));
    report.distinct_strings = catalog.strings().len() + catalog.label_text_count();
    report.switches = switch_names(plan);
    if summary == Summary::Stderr {
        eprint!("{}", report.text());
    }
    write_reports(&plan.reports, &report, &metric_labels(plan))?;
    Ok(report)
}

/// Role names are looked up by text when the role table is built; interning them first keeps
/// that lookup independent of which row groups have been read by then.
fn intern_roles(strings: &SharedInterner, roles: &[NodeRole]) {
    for r in roles {
        strings.intern(r.node.as_bytes());
        if let RoleResource::Id(rid) = &r.resource_id {
            strings.intern(rid.as_bytes());
        }
    }
}

/// The switches of a run, for the report.
fn switch_names(plan: &Plan) -> Vec<(&'static str, String)> {
    let sw = &plan.switches;
    let lower = |v: &dyn std::fmt::Debug| format!("{v:?}").to_lowercase();
    let mut out = vec![
        ("threads", plan.limits.threads.to_string()),
        ("decode", lower(&sw.decode)),
        (
            "label_memo",
            if sw.label_memo { "on" } else { "off" }.to_string(),
        ),
        ("streaming", lower(&sw.streaming)),
    ];
    match plan.output {
        crate::plan::OutputSpec::Postgres => out.push(("copy", lower(&sw.copy))),
        crate::plan::OutputSpec::CsvFile(_) | crate::plan::OutputSpec::PgCopyFile(_) => {
            out.push(("output_io", lower(&sw.output_io)))
        }
        crate::plan::OutputSpec::CsvStdout => {}
    }
    if plan.scope.input.starts_with("s3://") {
        out.push(("s3_concurrency", plan.s3.concurrency.to_string()));
        out.push(("s3_read_ahead", plan.s3.read_ahead.to_string()));
    }
    out
}

/// What every pass over the input shares.
struct Pass<'a> {
    plan: &'a Plan,
    lookups: &'a Lookups,
    /// Over the passes' tasks in the order they run: dims, then facts.
    read_ahead: &'a ReadAhead<'a>,
    inputs: &'a [RoleInput],
    catalog: &'a Catalog,
    ms: &'a std::ops::Range<i64>,
    limits: Limits,
    progress: &'a indicatif::ProgressBar,
}

impl Pass<'_> {
    /// Runs `tasks`, which come after `first_seq` tasks of earlier passes in the read-ahead.
    fn execute(
        &self,
        tasks: &[Task],
        first_seq: usize,
        agg: Aggregates,
        on_complete: &mut OnComplete<'_>,
    ) -> Result<Aggregates, Error> {
        let reads = exec::PassReads {
            read_ahead: self.read_ahead,
            first_seq,
        };
        exec::execute(
            reads,
            self.inputs,
            tasks.to_vec(),
            self.catalog,
            self.ms,
            self.limits,
            self.progress,
            agg,
            on_complete,
        )
    }
}

/// Reads the day-spanning tables (`dims`), then the per-day ones (`facts`, in day order). Each
/// batch of complete days is built on the merging thread and written to `sink` by a writer thread,
/// so decoding, building and writing overlap.
fn stream_days(
    pass: &Pass<'_>,
    dims: &[Task],
    facts: &[Task],
    special: [u32; 4],
    json: &mut LabelJson,
    sink: &mut (dyn RowSink + Send),
) -> Result<(Aggregates, BatchTimes), Error> {
    let (plan, catalog) = (pass.plan, pass.catalog);
    // Read without a lock, so building a batch leaves the table to the workers.
    let strings = catalog.strings();
    let agg = pass.execute(dims, 0, Aggregates::default(), &mut |_, _| Ok(()))?;
    let gpu_written = match plan.rows.gpu_summary {
        true => write_gpu_summary(pass, &agg, sink)?,
        false => None,
    };
    let tables_written = match plan.rows.cluster_tables {
        true => sink.write_cluster_tables(&agg.cluster.rows(strings))?,
        false => None,
    };
    let roles = match &tables_written {
        // Koku's summary reads its roles back from `reporting_ocp_nodes` after
        // `populate_node_table`: the table as written, unless flags name the roles.
        Some(w) if plan.lookups.node_roles.is_none() => {
            intern_roles(strings, &w.node_roles);
            RoleLookup::new(&w.node_roles, &[], strings)
        }
        _ => {
            let derived = match plan.rows.derive_node_roles {
                true => agg.cluster.derived_roles(strings),
                false => Vec::new(),
            };
            RoleLookup::new(&pass.lookups.node_roles, &derived, strings)
        }
    };
    let mut builder = BatchBuilder::new(plan.rows, &pass.lookups.cost_categories, roles, special);
    let by_summary = pass.inputs.iter().any(|ri| ri.role == Role::VmPodLabels);
    let mut vm_latest = by_summary.then(VmLatest::default);
    let (tx, rx) = crossbeam_channel::bounded::<(Vec<SummaryRow>, BatchText)>(1);
    // Written batches' row vectors, back to this thread for the next batches.
    let (spare_tx, spare_rx) = crossbeam_channel::bounded::<Vec<SummaryRow>>(2);
    let memory_limit = plan.limits.memory_limit;
    let (merged, written) = std::thread::scope(|s| {
        let writer = s.spawn(move || write_batches(&plan.constants, rx, spare_tx, sink));
        let month = plan.switches.streaming == Streaming::Month;
        let merged = pass.execute(facts, dims.len(), agg, &mut |agg, day| {
            if month && day != Day(i32::MAX) {
                // `--streaming month`: every day stays until the input is read.
                return Ok(());
            }
            let batch = agg.split_before(day);
            spare_rx.try_iter().for_each(|rows| builder.recycle(rows));
            // The label table is locked per new merge, not for the whole build: workers
            // parsing label strings meanwhile need it.
            let mut tables = Tables {
                strings,
                labels: LabelAccess::Shared(catalog),
                enabled: catalog.enabled(),
                json: &mut *json,
            };
            let merged = builder.merge_labels(&batch, &mut tables);
            agg.pods.recycle(batch.pods);
            let (rows, text) = builder.finish(merged, strings, json, |rows, strings, json| {
                if let Some(vm) = vm_latest.as_mut() {
                    vm.take(&rows);
                }
                check_batch(memory_limit, rows, strings, json)
            })?;
            if let Some(vm) = vm_latest.as_mut() {
                catalog.with_labels(|labels, enabled| vm.resolve(labels, enabled, strings));
            }
            if rows.is_empty() {
                return Ok(());
            }
            // A closed channel means the writer failed; its error is reported below.
            tx.send((rows, text))
                .map_err(|_| Error::from(SinkError::Stopped))
        });
        drop(tx);
        let written = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (merged, written)
    });
    // A failed write is the cause when both failed: the merge only saw the writer go away.
    let mut times = written?;
    let agg = merged?;
    times.build = builder.build_time;
    times.sort = builder.sort_time;
    times.cluster_tables = tables_written.map(|w| w.counts);
    times.vm = write_vm_rows(pass, &agg, vm_latest.as_ref())?;
    times.gpu = gpu_written;
    Ok((agg, times))
}

/// The usage-only GPU summary: into the sink when it keeps the table (the database), else into
/// a CSV file beside the output. Returns the report's line about it.
fn write_gpu_summary(
    pass: &Pass<'_>,
    agg: &Aggregates,
    sink: &mut (dyn RowSink + Send),
) -> Result<Option<String>, Error> {
    let plan = pass.plan;
    // Koku runs the query only for a source with GPU partitions (`source_in_trino_table`).
    let has_gpu_files = pass
        .inputs
        .iter()
        .any(|ri| ri.role == Role::Gpu && !ri.input.files.is_empty());
    if !has_gpu_files {
        return Ok(None);
    }
    let strings = pass.catalog.strings();
    let rows = crate::rows::gpu::gpu_rows(&agg.gpu, &pass.lookups.cost_categories, strings);
    if let Some(written) = sink.write_gpu_summary(&rows)? {
        return Ok(Some(match written {
            GpuWritten::Rows(n) => format!("gpu summary: {n} rows into {}", sink::gpu::TABLE),
            GpuWritten::CostModelPricesGpus => {
                "gpu summary: skipped, the source's cost model prices GPUs (Koku's rule)".into()
            }
        }));
    }
    let Some(path) = gpu_csv_path(&plan.output) else {
        return Ok(None);
    };
    let fail = |e: std::io::Error| Error::from(SinkError::io(path.display(), e));
    let mut text = Vec::new();
    sink::gpu::csv(&rows, &plan.constants, &mut text).map_err(fail)?;
    write_atomic(&path, std::str::from_utf8(&text).expect("CSV is UTF-8")).map_err(fail)?;
    Ok(Some(format!(
        "gpu summary: {} rows into {}",
        rows.len(),
        path.display()
    )))
}

/// The VM temp-table rows into `<output>.vm_tmp.csv`, when a variant of Koku's query applies.
fn write_vm_rows(
    pass: &Pass<'_>,
    agg: &Aggregates,
    latest: Option<&VmLatest>,
) -> Result<Option<String>, Error> {
    let by_report = pass.inputs.iter().any(|ri| ri.role == Role::VmReport);
    if !by_report && latest.is_none() {
        return Ok(None);
    }
    let strings = pass.catalog.strings();
    let rows = match latest {
        Some(latest) => crate::rows::vm::from_summary(latest, &agg.vm, strings),
        None => crate::rows::vm::from_report(&agg.vm, strings),
    };
    let Some(path) = sibling_path(&pass.plan.output, "vm_tmp") else {
        return Ok(None);
    };
    let fail = |e: std::io::Error| Error::from(SinkError::io(path.display(), e));
    let mut text = Vec::new();
    sink::vm::csv(&rows, &mut text).map_err(fail)?;
    write_atomic(&path, std::str::from_utf8(&text).expect("CSV is UTF-8")).map_err(fail)?;
    let variant = if by_report {
        "VM report"
    } else {
        "summary rows"
    };
    Ok(Some(format!(
        "vm temp table: {} rows (from the {variant}) into {}",
        rows.len(),
        path.display()
    )))
}

/// `<output>.gpu_summary.csv` beside a CSV or PGCOPY output file.
pub fn gpu_csv_path(output: &crate::plan::OutputSpec) -> Option<std::path::PathBuf> {
    sibling_path(output, "gpu_summary")
}

/// `<output stem>.<what>.csv` beside a CSV or PGCOPY output file.
pub fn sibling_path(output: &crate::plan::OutputSpec, what: &str) -> Option<std::path::PathBuf> {
    use crate::plan::OutputSpec;
    let path = match output {
        OutputSpec::CsvFile(p) | OutputSpec::PgCopyFile(p) => p,
        OutputSpec::CsvStdout | OutputSpec::Postgres => return None,
    };
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    Some(path.with_file_name(format!("{stem}.{what}.csv")))
}

/// Checks one sorted batch and copies out the text it renders from (under the catalog locks).
fn check_batch(
    memory_limit: u64,
    mut rows: Vec<SummaryRow>,
    strings: &SharedInterner,
    label_json: &LabelJson,
) -> Result<(Vec<SummaryRow>, BatchText), Error> {
    tracing::debug!(
        "batch of days up to {}: {} rows, peak RSS {} MiB",
        rows.last().map_or("none".into(), |r| r.day.to_string()),
        rows.len(),
        crate::report::peak_rss_bytes().unwrap_or(0) >> 20
    );
    memory::check(memory_limit, "building rows")?;
    check_representable(&rows, strings)?;
    let text = BatchText::capture(&mut rows, strings, label_json.as_slice());
    Ok((rows, text))
}

/// The writer thread: renders and writes batches in the order they come.
fn write_batches(
    constants: &RowConstants,
    batches: crossbeam_channel::Receiver<(Vec<SummaryRow>, BatchText)>,
    spare: crossbeam_channel::Sender<Vec<SummaryRow>>,
    sink: &mut (dyn RowSink + Send),
) -> Result<BatchTimes, Error> {
    let mut times = BatchTimes::default();
    let mut quoted = QuotedLabels::default();
    for (rows, mut text) in batches {
        let t = Instant::now();
        sink.write_batch(&rows, &text.context(constants, &mut quoted))?;
        times.write += t.elapsed();
        times.batches += 1;
        times.max_batch_rows = times.max_batch_rows.max(rows.len() as u64);
        // Full or gone: the merging thread has spares enough, or has stopped; drop it here.
        let _ = spare.try_send(rows);
    }
    Ok(times)
}

/// Time the merging thread spent on complete days, over all batches.
#[derive(Default)]
struct BatchTimes {
    build: Duration,
    sort: Duration,
    write: Duration,
    batches: u64,
    max_batch_rows: u64,
    /// What the load wrote into the cluster tables, when it did.
    cluster_tables: Option<ClusterTableCounts>,
    /// Where the GPU summary went, when it was computed.
    gpu: Option<String>,
    /// Where the VM temp-table rows went, when they were computed.
    vm: Option<String>,
}

/// Spec §11 (E9): a value numeric(33,15) cannot hold fails the run before the output is complete
/// (the temporary file is removed, the transaction rolled back).
fn check_representable(rows: &[SummaryRow], strings: &SharedInterner) -> Result<(), Error> {
    let Some(bad) = rows.iter().find(|r| r.unrepresentable().is_some()) else {
        return Ok(());
    };
    Err(InputError::Data(format!(
        "a {} row of {} (node {:?}) has the value {} that numeric(33,15) cannot hold \
         (spec §11, E9); nothing was written",
        bad.data_source.as_str(),
        bad.day,
        String::from_utf8_lossy(strings_get(strings, bad.node)),
        bad.unrepresentable().unwrap_or(f64::NAN)
    ))
    .into())
}

/// The labels of a run's metrics: its source and month.
fn metric_labels(plan: &Plan) -> MetricLabels {
    MetricLabels::of_run(&plan.scope.source, plan.scope.year, plan.scope.month)
}

/// `--report-json` and `--metrics`, each written atomically.
fn write_reports(
    paths: &ReportPaths,
    report: &RunReport,
    labels: &MetricLabels,
) -> Result<(), Error> {
    let fail = |p: &std::path::Path, e: std::io::Error| Error::from(SinkError::io(p.display(), e));
    if let Some(p) = &paths.report_json {
        write_atomic(p, &report.json()).map_err(|e| fail(p, e))?;
    }
    if let Some(p) = &paths.metrics {
        write_atomic(p, &report.prometheus(labels)).map_err(|e| fail(p, e))?;
    }
    Ok(())
}

/// Tables reading the daily pod or storage Parquet besides the summary ride on the summary's
/// read of the same row group ([`share_reads`]): the volume→node mapping and both VM sides. The
/// VM pod side reads the labels as raw text, which the summary then maps to label sets through a
/// per-worker memo; without `--label-memo` it keeps its own read, so that switch still parses
/// every label text it meets.
fn share_pod_and_storage_reads(tasks: Vec<Task>, inputs: &[RoleInput], memo: bool) -> Vec<Task> {
    let tables: Vec<&TableInput> = inputs.iter().map(|ri| &ri.input).collect();
    let role = |t: usize| inputs[t].role;
    let may_host = |t| matches!(role(t), Role::Pods | Role::Storage);
    let may_ride = |t| match role(t) {
        Role::VolumeNodes | Role::VmPvcs => true,
        Role::VmPodLabels => memo,
        _ => false,
    };
    share_reads(tasks, &tables, may_host, may_ride)
}

/// A task's decoded size, for the memory limit: its tables' columns, counted per table (a column
/// two tables share is counted twice: an upper bound).
fn decoded_bytes(inputs: &[RoleInput], task: &Task) -> u64 {
    task.reads()
        .map(|(table, file)| file_decoded_bytes(&inputs[table].input.files[file], task.row_group))
        .sum()
}

/// Decode buffers one row group of one file needs: ~9 bytes a value (value and validity) plus
/// its chunks.
fn file_decoded_bytes(file: &crate::plan::inputs::InputFile, row_group: usize) -> u64 {
    let rg = file.metadata.row_group(row_group);
    let rows = rg.num_rows().max(0) as u64;
    let chunks: u64 = file
        .columns
        .iter()
        .filter_map(|c| c.leaf)
        .map(|leaf| rg.column(leaf).compressed_size().max(0) as u64)
        .sum();
    rows * 9 * file.columns.len() as u64 + chunks
}

/// Lists and opens every input table a run reads (the `plan` stage).
fn scan_inputs(
    store: &dyn ObjectStore,
    footers: &FooterCache,
    plan: &Plan,
) -> Result<Vec<RoleInput>, Error> {
    let specs: [(Role, Table, &[_]); 5] = [
        (Role::Capacity, Table::POD_HOURLY, capacity::COLUMNS),
        (Role::Pods, Table::POD_DAILY, pod::COLUMNS),
        (
            Role::NodeLabels,
            Table::NODE_LABELS_DAILY,
            labels::NODE_COLUMNS,
        ),
        (
            Role::NamespaceLabels,
            Table::NAMESPACE_LABELS_DAILY,
            labels::NAMESPACE_COLUMNS,
        ),
        (Role::Storage, Table::STORAGE_DAILY, storage::COLUMNS),
    ];
    let remote = plan.scope.input.starts_with("s3://");
    // On S3 a table's footers are all in flight at once without threads (`read_footers`).
    let scan = |&(role, table, cols): &(Role, Table, &[_])| {
        scan_table(
            store,
            footers,
            &plan.scope,
            plan.limits.threads,
            table,
            cols,
        )
        .map(|input| RoleInput { role, input })
    };
    // A month with storage but no pod reports (a payload whose storage starts the day before)
    // still gives Storage rows, as in Koku; a month with neither is most likely a wrong path.
    let storage_found;
    let inputs = {
        // The tables every run reads. On S3 they are listed and opened at the same time, since
        // each listing and each wave of footers is a round trip; the first error in this order is
        // the one reported, as when they are scanned one after another. The scans below reuse the
        // listings and footers these read.
        let (scanned, early): (Vec<Result<RoleInput, Error>>, EarlyScans) = match remote {
            true => std::thread::scope(|s| {
                let scan = &scan;
                // The GPU table's listing and the VM step's checks (listings of the org's tables)
                // go in the same wave; their results wait for their turn below, so errors keep
                // their order.
                let gpu = plan
                    .rows
                    .gpu_summary
                    .then(|| s.spawn(move || scan(&GPU_SPEC)));
                let vm = plan
                    .rows
                    .vm_rows
                    .then(|| s.spawn(move || vm_inputs(store, plan)));
                let handles: Vec<_> = specs
                    .iter()
                    .map(|spec| s.spawn(move || scan(spec)))
                    .collect();
                let scanned = handles
                    .into_iter()
                    .map(|h| h.join().expect("a scan thread never panics"))
                    .collect();
                let early = EarlyScans {
                    gpu: gpu.map(|h| h.join().expect("a scan thread never panics")),
                    vm: vm.map(|h| h.join().expect("a scan thread never panics")),
                };
                (scanned, early)
            }),
            // Locally, one after another, stopping at the first error.
            false => match specs.iter().map(scan).collect::<Result<Vec<_>, _>>() {
                Ok(all) => (all.into_iter().map(Ok).collect(), EarlyScans::default()),
                Err(e) => (vec![Err(e)], EarlyScans::default()),
            },
        };
        let mut scanned = scanned.into_iter().collect::<Result<Vec<_>, _>>()?;
        // Storage rows only when storage files exist (Koku's `storage_exists`); the pod side of
        // the volume→node join is read only then.
        let storage = scanned.pop().expect("the storage scan");
        let mut inputs = scanned;
        storage_found = storage.input.partition_found;
        if !storage.input.files.is_empty() && !plan.rows.pod_only {
            inputs.push(storage);
            inputs.push(scan(&(
                Role::VolumeNodes,
                Table::POD_DAILY,
                volume_nodes::COLUMNS,
            ))?);
        }
        if plan.rows.derive_node_roles || plan.rows.cluster_tables {
            inputs.push(scan(&(
                Role::ClusterPods,
                Table::POD_DAILY,
                cluster::POD_COLUMNS,
            ))?);
            inputs.push(scan(&(
                Role::ClusterLabels,
                Table::NODE_LABELS_DAILY,
                cluster::LABEL_COLUMNS,
            ))?);
        }
        if plan.rows.cluster_tables {
            inputs.push(scan(&(
                Role::ClusterPvcs,
                Table::STORAGE_DAILY,
                cluster::PVC_COLUMNS,
            ))?);
        }
        if plan.rows.gpu_summary {
            inputs.push(early.gpu.unwrap_or_else(|| scan(&GPU_SPEC))?);
        }
        if plan.rows.vm_rows {
            let vm_specs = early.vm.unwrap_or_else(|| vm_inputs(store, plan))?;
            for spec in vm_specs {
                inputs.push(scan(&spec)?);
            }
        }
        inputs
    };
    warn_missing(plan, &inputs);
    if !inputs[0].input.partition_found && !inputs[1].input.partition_found && !storage_found {
        let scope = &plan.scope;
        return Err(Error::options(format!(
            "no pod_usage partition for source={} year={} month={:02} under {} (looked for {})",
            scope.source,
            scope.year,
            scope.month,
            scope.input,
            Table::POD_DAILY.partition_prefix(&scope.org, &scope.source, scope.year, scope.month)
        )));
    }
    Ok(inputs)
}

/// A table to scan and the role its rows play.
type TableSpec = (Role, Table, &'static [crate::plan::columns::ColumnRequest]);

const GPU_SPEC: TableSpec = (Role::Gpu, Table::GPU_DAILY, gpu::COLUMNS);

/// On S3, what the plan stage learns in its first wave of requests for the steps after the five
/// tables every run reads (each listing is a round trip; one after another they cost five at L).
#[derive(Default)]
struct EarlyScans {
    gpu: Option<Result<RoleInput, Error>>,
    vm: Option<Result<Vec<TableSpec>, Error>>,
}

/// The tables of the VM temp table, as masu picks its query: none unless the org has daily pod
/// and storage Parquet (`trino_table_exists`); the hourly VM report when the source has VM
/// report partitions in any month (`source_in_trino_table`); else the pod and storage sides.
///
/// The three checks are listings, a round trip each on S3, so they run at once; their answers are
/// taken in this order, so the outcome and the error reported are those of asking one by one.
fn vm_inputs(store: &dyn ObjectStore, plan: &Plan) -> Result<Vec<TableSpec>, Error> {
    let (org, source) = (&plan.scope.org, &plan.scope.source);
    let (pods, storage, vm_report) = std::thread::scope(|s| {
        let pods = s.spawn(|| org_has_table(store, org, Table::POD_DAILY));
        let storage = s.spawn(|| org_has_table(store, org, Table::STORAGE_DAILY));
        let vm_report = source_has_table(store, org, source, Table::VM_DAILY);
        let join =
            |h: std::thread::ScopedJoinHandle<'_, _>| h.join().expect("a check never panics");
        (join(pods), join(storage), vm_report)
    });
    if !pods? || !storage? {
        return Ok(Vec::new());
    }
    if vm_report? {
        return Ok(vec![(Role::VmReport, Table::VM_HOURLY, vm::REPORT_COLUMNS)]);
    }
    Ok(vec![
        (Role::VmPodLabels, Table::POD_DAILY, vm::POD_COLUMNS),
        (Role::VmPvcs, Table::STORAGE_DAILY, vm::STORAGE_COLUMNS),
    ])
}

/// A table with no partition for the month is read as empty, as Koku's SQL reads it; the run can
/// still be valid (a month with storage only), but a partial upload looks the same, so say so.
fn warn_missing(plan: &Plan, inputs: &[RoleInput]) {
    let effect = |role: Role| match role {
        Role::Capacity => "node and cluster capacity columns will be NULL",
        Role::Pods => "no Pod or unallocated rows",
        Role::NodeLabels => "no node labels in the label columns",
        Role::NamespaceLabels => "no namespace labels in the label columns",
        _ => "",
    };
    let scope = &plan.scope;
    for ri in inputs {
        let what = effect(ri.role);
        if !what.is_empty() && !ri.input.partition_found {
            tracing::warn!(
                "no {} partition for source={} year={} month={:02} under {}: read as empty ({what})",
                ri.input.table,
                scope.source,
                scope.year,
                scope.month,
                scope.input
            );
        }
    }
}

/// `ocp-summary plan`: which files, row groups, columns and bytes a run would read.
pub fn describe_plan(plan: &Plan) -> Result<String, Error> {
    let store = crate::source::open(&plan.scope.input, &plan.s3)
        .map_err(|e| Error::options(e.to_string()))?;
    let inputs = scan_inputs(store.as_ref(), &FooterCache::default(), plan)?;
    let ms = plan.scope.millis_range();
    let mut out = String::new();
    let mut total = 0u64;
    for ri in &inputs {
        let i = &ri.input;
        total += i.bytes_selected;
        out += &format!(
            "{} ({:?}): {} files, {}/{} row groups, {} bytes of column chunks\n",
            i.table,
            ri.role,
            i.files.len(),
            i.row_groups_selected,
            i.row_groups_total,
            i.bytes_selected
        );
        for f in &i.files {
            let cols: Vec<&str> = f
                .columns
                .iter()
                .map(|c| {
                    if c.leaf.is_some() {
                        c.request.name
                    } else {
                        "(absent)"
                    }
                })
                .collect();
            out += &format!(
                "  {}  row groups {:?}  columns [{}]\n",
                f.location,
                selected_row_groups(f, &ms),
                cols.join(", ")
            );
        }
    }
    out += &format!("total: {total} bytes of column chunks\n");
    Ok(out)
}

fn progress_bar(len: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() || len < 8 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} row groups {pos}/{len} {wide_bar} {per_sec} eta {eta}",
        )
        .expect("valid template"),
    );
    bar
}

fn strings_get(strings: &ocp_summary_kernels::shared_intern::SharedInterner, id: u32) -> &[u8] {
    if id == crate::catalog::NULL_ID {
        b"NULL"
    } else {
        strings.get(id)
    }
}
