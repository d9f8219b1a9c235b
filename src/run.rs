//! One `run`: plan → scan → aggregate → rows → sink, timed stage by stage.

use crate::aggregate::exec::{execute, Limits, Role, RoleInput};
use crate::aggregate::{capacity, labels, node_roles, pod, storage, volume_nodes};
use crate::catalog::Catalog;
use crate::cli::args::DemoArgs;
use crate::cli::RunArgs;
use crate::error::RunError;
use crate::plan::date::Day;
use crate::plan::inputs::{push_tasks, scan_table, selected_row_groups, FooterCache};
use crate::plan::{memory, Plan};
use crate::report::{write_atomic, InputReport, RunReport};
use crate::rows::category::CategoryMatcher;
use crate::rows::unallocated::{self, RoleLookup};
use crate::sink::RenderContext;
use crate::source::layout::Table;
use crate::source::ObjectStore;
use ocp_summary_kernels::labels::EnabledKeys;
use std::io::IsTerminal;

pub fn run_command(args: &RunArgs) -> Result<(), RunError> {
    let mut plan = Plan::from_args(args).map_err(|e| RunError::BadInput(format!("{e:#}")))?;
    let result = crate::db::apply_lookups(&mut plan).and_then(|()| run_plan(&plan));
    if let (Err(e), Some(path)) = (&result, &plan.metrics) {
        let code = e.code();
        if let Err(w) = write_atomic(path, &crate::report::failure_prometheus(code)) {
            tracing::warn!("could not write metrics to {}: {w}", path.display());
        }
    }
    result
}

pub fn run_plan(plan: &Plan) -> Result<(), RunError> {
    let mut report = RunReport::default();
    let store = crate::source::open(plan)?;
    let footers = FooterCache::default();
    let enabled = match &plan.enabled_keys {
        Some(keys) => EnabledKeys::new(keys.iter().map(String::as_bytes)),
        None => EnabledKeys::new(std::iter::empty::<&[u8]>()),
    };
    let catalog = Catalog::new(enabled);
    let ms = plan.millis_range();

    let inputs = report.stage("plan", || scan_inputs(store.as_ref(), &footers, plan))?;
    let mut tasks = Vec::new();
    for (i, ri) in inputs.iter().enumerate() {
        push_tasks(&ri.input, i, &ms, &mut tasks);
    }
    let per_row_group = tasks
        .iter()
        .map(|t| decoded_bytes(&inputs[t.table], t))
        .max()
        .unwrap_or(0);
    let threads = memory::workers_within(plan.memory_limit, per_row_group, plan.threads);
    let progress = progress_bar(tasks.len() as u64);
    let mut agg = report.stage("aggregate", || {
        execute(
            store.as_ref(),
            &inputs,
            tasks,
            &catalog,
            &ms,
            Limits {
                threads,
                memory_limit: plan.memory_limit,
            },
            &progress,
        )
    })?;
    progress.finish_and_clear();

    let (mut strings, mut label_table, enabled) = catalog.finish();
    let (mut rows, storage_rows) = report.stage("rows", || {
        let daily = agg.capacity.daily();
        let mut categories = CategoryMatcher::new(&plan.cost_categories);
        let storage =
            crate::rows::storage::build(&agg, &mut categories, &strings, &mut label_table);
        // Room for the storage rows and at most one unallocated row per (day, node, category).
        let extra = storage.len() + daily.node.len() * plan.cost_categories.len().max(1);
        let pods = crate::rows::pod::build(
            &agg,
            &daily,
            &mut categories,
            &strings,
            &mut label_table,
            extra,
        );
        (pods, storage)
    });
    memory::check(plan.memory_limit, "building rows")?;
    // The pre-join tables are the largest structures of a run; free them before rendering.
    agg.release_inputs();
    let special = unallocated::intern_namespaces(&mut strings);
    let ctx = RenderContext::new(&strings, &label_table, &enabled, plan);
    report.stage("sort", || ctx.sort(&mut rows));
    report.stage("unalloc", || {
        let derived = agg.node_roles.derive(&strings);
        let roles = RoleLookup::new(&plan.node_roles, &derived, &strings);
        let extra = unallocated::build(&rows, &roles, &plan.cost_categories, &strings, special);
        rows.reserve_exact(extra.len() + storage_rows.len());
        rows.extend(extra);
        rows.extend(storage_rows);
    });
    report.stage("sort-all", || ctx.sort(&mut rows));
    if let Some(bad) = rows.iter().find(|r| r.unrepresentable().is_some()) {
        return Err(RunError::BadInput(format!(
            "a {} row of {} (node {:?}) has the value {} that numeric(33,15) cannot hold \
             (spec §11, E9); nothing was written",
            bad.data_source.as_str(),
            bad.day,
            String::from_utf8_lossy(strings_get(&strings, bad.node)),
            bad.unrepresentable().unwrap_or(f64::NAN)
        )));
    }
    let sink_summary = report.stage("write", || crate::sink::write_rows(plan, &rows, &ctx))?;

    for (ri, stats) in inputs.iter().zip(&agg.table_stats) {
        report.inputs.push(InputReport {
            table: match ri.role {
                Role::VolumeNodes => format!("{} (pod places)", ri.input.table),
                Role::NodeRolePods | Role::NodeLabelText => {
                    format!("{} (node roles)", ri.input.table)
                }
                _ => ri.input.table.to_string(),
            },
            files: ri.input.files.len(),
            row_groups_read: stats.row_groups,
            row_groups_total: ri.input.row_groups_total,
            rows: stats.rows,
            bytes: stats.bytes,
        });
    }
    if let Some(line) = store.summary() {
        report.notes.push(line);
    }
    report.pages = agg.decode;
    report.rows_out = sink_summary.rows;
    report.bytes_out = sink_summary.bytes;
    report.distinct_strings = strings.len();
    report.label_sets = label_table.sets.len();
    eprint!("{}", report.text());
    write_reports(plan, &report)
}

/// `--report-json` and `--metrics`, each written atomically.
fn write_reports(plan: &Plan, report: &RunReport) -> Result<(), RunError> {
    let fail =
        |p: &std::path::Path, e: std::io::Error| RunError::Sink(format!("{}: {e}", p.display()));
    if let Some(p) = &plan.report_json {
        write_atomic(p, &report.json()).map_err(|e| fail(p, e))?;
    }
    if let Some(p) = &plan.metrics {
        write_atomic(p, &report.prometheus()).map_err(|e| fail(p, e))?;
    }
    Ok(())
}

/// Decode buffers one row group needs: ~9 bytes a value (value and validity) plus its chunks.
fn decoded_bytes(input: &RoleInput, task: &crate::plan::inputs::Task) -> u64 {
    let file = &input.input.files[task.file];
    let rg = file.metadata.row_group(task.row_group);
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
) -> Result<Vec<RoleInput>, RunError> {
    let specs: [(Role, Table, &[_]); 4] = [
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
    ];
    let scan = |&(role, table, cols): &(Role, Table, &[_])| {
        scan_table(store, footers, plan, table, cols).map(|input| RoleInput { role, input })
    };
    // A month with storage but no pod reports (a payload whose storage starts the day before)
    // still gives Storage rows, as in Koku; a month with neither is most likely a wrong path.
    let storage_found;
    let inputs = {
        let mut inputs = specs.iter().map(scan).collect::<Result<Vec<_>, _>>()?;
        // Storage rows only when storage files exist (Koku's `storage_exists`); the pod side of
        // the volume→node join is read only then.
        let storage = scan(&(Role::Storage, Table::STORAGE_DAILY, storage::COLUMNS))?;
        storage_found = storage.input.partition_found;
        if !storage.input.files.is_empty() {
            inputs.push(storage);
            inputs.push(scan(&(
                Role::VolumeNodes,
                Table::POD_DAILY,
                volume_nodes::COLUMNS,
            ))?);
        }
        if plan.derive_node_roles {
            inputs.push(scan(&(
                Role::NodeRolePods,
                Table::POD_DAILY,
                node_roles::POD_COLUMNS,
            ))?);
            inputs.push(scan(&(
                Role::NodeLabelText,
                Table::NODE_LABELS_DAILY,
                node_roles::LABEL_COLUMNS,
            ))?);
        }
        inputs
    };
    if !inputs[0].input.partition_found && !inputs[1].input.partition_found && !storage_found {
        return Err(RunError::BadInput(format!(
            "no pod_usage partition for source={} year={} month={:02} under {} (looked for {})",
            plan.source,
            plan.year,
            plan.month,
            plan.input,
            Table::POD_DAILY.partition_prefix(&plan.org, &plan.source, plan.year, plan.month)
        )));
    }
    Ok(inputs)
}

/// `ocp-summary plan`: which files, row groups, columns and bytes a run would read.
pub fn plan_command(args: &RunArgs) -> Result<(), RunError> {
    let plan = Plan::from_args(args).map_err(|e| RunError::BadInput(format!("{e:#}")))?;
    let store = crate::source::open(&plan)?;
    let inputs = scan_inputs(store.as_ref(), &FooterCache::default(), &plan)?;
    let ms = plan.millis_range();
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
    print!("{out}");
    Ok(())
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

/// `ocp-summary demo`: generate a small sample and summarise it into `DIR/summary.csv`.
pub fn demo(args: &DemoArgs) -> Result<(), RunError> {
    #[derive(clap::Parser)]
    struct Wrap {
        #[command(flatten)]
        generate: crate::generate::GenerateArgs,
    }
    let data = args.dir.join("input");
    let gen_args = <Wrap as clap::Parser>::parse_from([
        "generate".as_ref(),
        "--out".as_ref(),
        data.as_os_str(),
        "--force".as_ref(),
        "--days".as_ref(),
        "3".as_ref(),
    ])
    .generate;
    let summary = crate::generate::run(&gen_args).map_err(|e| RunError::Sink(format!("{e:#}")))?;
    eprintln!("{summary}");
    let csv = args.dir.join("summary.csv");
    let start =
        Day::parse(&gen_args.start).ok_or_else(|| RunError::BadInput("demo start".into()))?;
    let (year, month, _) = start.ymd();
    let run_args = RunArgs {
        input: Some(data.display().to_string()),
        org: Some(gen_args.org.clone()),
        source: Some(gen_args.source.clone()),
        year: Some(year),
        month: Some(month),
        cluster_id: Some("demo-cluster".into()),
        cluster_alias: Some("Demo cluster".into()),
        report_period_id: Some(1),
        enabled_keys: Some(vec!["app".into(), "environment".into(), "team".into()]),
        cost_categories: KOKU_DEFAULT_COST_CATEGORIES
            .iter()
            .map(|s| s.to_string())
            .collect(),
        output: Some(format!("csv:{}", csv.display())),
        ..Default::default()
    };
    run_command(&run_args)?;
    let text = std::fs::read_to_string(&csv).map_err(|e| RunError::Sink(e.to_string()))?;
    println!(
        "{} rows in {}; the first five:",
        text.lines().count().saturating_sub(1),
        csv.display()
    );
    for line in text.lines().take(6) {
        println!("{line}");
    }
    Ok(())
}

/// `ocp-summary init-db`: Koku's tables in a schema, those missing only.
pub fn init_db(args: &crate::cli::args::InitDbArgs) -> Result<(), RunError> {
    let empty = crate::cli::args::DbArgs::default();
    let spec = crate::plan::DbSpec::from_args(&args.db, &empty, None)
        .map_err(|e| RunError::BadInput(format!("{e:#}")))?
        .ok_or_else(|| RunError::BadInput("missing --database-url (or DATABASE_URL)".into()))?;
    crate::db::ddl::init_db(&crate::db::Target::new(&spec)?)
}

/// Koku's seeded `reporting_ocp_cost_category_namespace` rows (category "Platform", id 1).
pub const KOKU_DEFAULT_COST_CATEGORIES: &[&str] = &[
    "openshift-%=1",
    "kube-%=1",
    "Platform unallocated=1",
    "openshift=1",
];

fn strings_get(strings: &ocp_summary_kernels::intern::Interner, id: u32) -> &[u8] {
    if id == crate::catalog::NULL_ID {
        b"NULL"
    } else {
        strings.get(id)
    }
}
