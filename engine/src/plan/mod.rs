//! A validated run, fixed before any heavy I/O.
//!
//! [`Plan::from_options`] merges the options over the config file, checks every value and fails
//! with a message naming the bad option, so no worker starts on a plan that cannot finish. The
//! plan is never changed afterwards: the lookups a database supplies are a separate value
//! ([`lookups::Lookups`]), and each stage takes only the part of the plan it uses ([`InputScope`]
//! to read, [`RowConstants`] to render, [`RunLimits`] to size the workers, and so on).

pub mod columns;
pub mod inputs;
pub mod lookups;
pub mod memory;
pub mod options;
pub mod shared;

pub use crate::database::DbSpec;
use crate::source::s3::S3Settings;
use crate::value::date::{self, days_in_month, Day};
use anyhow::{anyhow, bail};
use lookups::{enabled_key_list, parse_cost_category, parse_node_role, GivenLookups};
use options::{ConfigFile, DbOptions, RunOptions, S3Options, Switch};
pub use options::{CopyFormat, DecodeMode, OutputIo, Streaming};
use std::path::PathBuf;

/// Where output rows go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputSpec {
    CsvStdout,
    CsvFile(PathBuf),
    /// A binary COPY stream in a file, loadable with `\copy ... from PATH with (format binary)`.
    PgCopyFile(PathBuf),
    /// The database of [`Plan::db`]: one transaction per run (`sink::postgres::load`).
    Postgres,
}

/// The database of `given` over `file`; `None` without a URL.
pub fn db_spec(
    given: &DbOptions,
    file: &DbOptions,
    default_schema: Option<&str>,
) -> anyhow::Result<Option<DbSpec>> {
    let Some(url) = pick(given.database_url.clone(), file.database_url.clone()) else {
        return Ok(None);
    };
    let schema = pick(given.schema.clone(), file.schema.clone())
        .or(default_schema.map(str::to_string))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| anyhow!("missing --schema"))?;
    Ok(Some(DbSpec {
        url,
        schema,
        connect_attempts: pick(given.db_connect_attempts, file.db_connect_attempts)
            .unwrap_or(5)
            .max(1),
        retries: pick(given.db_retries, file.db_retries).unwrap_or(3),
    }))
}

/// What a run reads: the input root, one source's partition of one month, and a day range.
#[derive(Debug, Clone)]
pub struct InputScope {
    /// A folder or `s3://BUCKET[/PREFIX]`.
    pub input: String,
    pub org: String,
    pub source: String,
    pub year: i32,
    pub month: u32,
    /// First and last day, inclusive, inside `year`-`month`.
    pub start: Day,
    pub end: Day,
}

impl InputScope {
    /// Timestamps `[start 00:00, end + 1 day 00:00)` in ms: Koku's `interval_start` predicate.
    pub fn millis_range(&self) -> std::ops::Range<i64> {
        self.start.start_millis()..self.end.start_millis() + date::MS_PER_DAY
    }
}

/// The values every output row repeats.
#[derive(Debug, Clone)]
pub struct RowConstants {
    pub report_period_id: Option<i32>,
    pub cluster_id: String,
    pub cluster_alias: String,
    /// The source uuid, as text.
    pub source_uuid: String,
}

/// Which rows a run computes beyond the defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct RowSelection {
    /// Pod-query rows only (`--pod-only`).
    pub pod_only: bool,
    /// Derive roles from the input as Koku's `populate_node_table` does (spec §2.5) where no
    /// flag or database row names the node (the default; off with `--pod-only`, whose rows
    /// use no roles).
    pub derive_node_roles: bool,
    /// Write Koku's cluster tables in the load's transaction (a database output only).
    pub cluster_tables: bool,
    /// Compute Koku's usage-only GPU summary (not with `--pod-only` or to stdout).
    pub gpu_summary: bool,
    /// Compute the rows of Koku's VM temp table (file outputs only).
    pub vm_rows: bool,
}

/// How much of the machine a run may take.
#[derive(Debug, Clone, Copy)]
pub struct RunLimits {
    pub threads: usize,
    /// Bytes the run may use (`--memory-limit`).
    pub memory_limit: u64,
}

/// One switch per optimisation, each with a slower path that must give the same rows: the
/// fallback if an optimisation is ever in doubt, and what `scripts/ablation.py` measures. The
/// defaults are the fast paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switches {
    pub decode: DecodeMode,
    /// Parse each distinct label string once and memoise label merges.
    pub label_memo: bool,
    pub streaming: Streaming,
    /// Write output files around the page cache.
    pub output_io: OutputIo,
    pub copy: CopyFormat,
}

impl Default for Switches {
    fn default() -> Self {
        Switches {
            decode: DecodeMode::Kernels,
            label_memo: true,
            streaming: Streaming::Days,
            output_io: OutputIo::Direct,
            copy: CopyFormat::Binary,
        }
    }
}

/// Where the run summary goes besides stderr.
#[derive(Debug, Clone, Default)]
pub struct ReportPaths {
    pub report_json: Option<PathBuf>,
    pub metrics: Option<PathBuf>,
}

/// A validated run. Built only by [`Plan::from_options`] and never changed afterwards.
#[derive(Debug, Clone)]
pub struct Plan {
    pub scope: InputScope,
    pub constants: RowConstants,
    pub rows: RowSelection,
    pub output: OutputSpec,
    pub limits: RunLimits,
    pub switches: Switches,
    pub reports: ReportPaths,
    pub db: Option<DbSpec>,
    /// S3 connection settings, used when the input is an `s3://` URL.
    pub s3: S3Settings,
    /// The lookups the options gave; the run resolves the rest ([`lookups::Lookups`]).
    pub lookups: GivenLookups,
}

fn pick<T>(flag: Option<T>, file: Option<T>) -> Option<T> {
    flag.or(file)
}

/// An on-by-default switch: the `--x` or `--no-x` flag, else the config file's `x`, else on.
fn switch(on: bool, off: bool, file: Option<bool>) -> bool {
    on || (!off && file.unwrap_or(true))
}

fn need(v: Option<String>, name: &str) -> anyhow::Result<String> {
    v.filter(|s| !s.is_empty())
        .ok_or_else(|| anyhow!("missing --{name} (flag or config file)"))
}

impl Plan {
    pub fn from_options(given: &RunOptions) -> anyhow::Result<Plan> {
        let mut file = match &given.config {
            Some(path) => ConfigFile::load(path)?,
            None => ConfigFile::default(),
        };
        let file_db = DbOptions {
            database_url: file.database_url.take(),
            schema: file.schema.take(),
            db_connect_attempts: file.db_connect_attempts,
            db_retries: file.db_retries,
        };
        let scope = input_scope(given, &mut file)?;
        let cluster_id = need(
            pick(given.cluster_id.clone(), file.cluster_id.take()),
            "cluster-id",
        )?;
        let constants = RowConstants {
            cluster_alias: pick(given.cluster_alias.clone(), file.cluster_alias.take())
                .unwrap_or_else(|| cluster_id.clone()),
            cluster_id,
            report_period_id: pick(given.report_period_id, file.report_period_id),
            source_uuid: scope.source.clone(),
        };
        let lookups = given_lookups(given, &mut file)?;
        let db = db_spec(&given.db, &file_db, Some(&scope.org))?;
        let output = output_spec(given, &file, db.is_some())?;
        let pod_only = given.pod_only || file.pod_only.unwrap_or(false);
        let rows = RowSelection {
            pod_only,
            // Derived roles only feed the unallocated rows, which `--pod-only` leaves out; the
            // daily pod and node-label reads behind them would be work for nothing.
            derive_node_roles: !pod_only
                && switch(
                    given.derive_node_roles,
                    given.no_derive_node_roles,
                    file.derive_node_roles,
                ),
            cluster_tables: output == OutputSpec::Postgres
                && switch(false, given.no_cluster_tables, file.cluster_tables),
            gpu_summary: output != OutputSpec::CsvStdout
                && !pod_only
                && switch(false, given.no_gpu_summary, file.gpu_summary),
            vm_rows: matches!(output, OutputSpec::CsvFile(_) | OutputSpec::PgCopyFile(_))
                && !pod_only
                && switch(false, given.no_vm_rows, file.vm_rows),
        };
        if rows.pod_only && output == OutputSpec::Postgres {
            bail!("--pod-only writes files only: a database load replaces every row of the day range, Storage rows included");
        }
        if db.is_some() && constants.report_period_id.is_none() {
            bail!("--report-period-id is required with a database (the rows and the pre-delete are scoped by it, spec §9.1)");
        }
        let s3 = given.s3.settings(S3Options {
            s3_endpoint: file.s3_endpoint.take(),
            s3_region: file.s3_region.take(),
            s3_path_style: file.s3_path_style.unwrap_or(false),
            s3_ca_bundle: file.s3_ca_bundle.take(),
            s3_concurrency: file.s3_concurrency,
            s3_retries: file.s3_retries,
            s3_read_ahead: file.s3_read_ahead,
            credentials: None,
        });
        let remote_waits = scope.input.starts_with("s3://") && s3.read_ahead == 0;
        let limits = run_limits(given, &file, remote_waits)?;
        let switches = Switches {
            decode: pick(given.decode, file.decode).unwrap_or_default(),
            label_memo: pick(given.label_memo, file.label_memo).unwrap_or_default() == Switch::On,
            streaming: pick(given.streaming, file.streaming).unwrap_or_default(),
            output_io: pick(given.output_io, file.output_io).unwrap_or_default(),
            copy: pick(given.copy, file.copy).unwrap_or_default(),
        };
        if switches.copy == CopyFormat::Text && output != OutputSpec::Postgres {
            bail!(
                "--copy text is the PostgreSQL load's format; use --output csv:PATH for a CSV file"
            );
        }
        let reports = ReportPaths {
            report_json: pick(given.report_json.clone(), file.report_json.take()),
            metrics: pick(given.metrics.clone(), file.metrics.take()),
        };
        Ok(Plan {
            scope,
            constants,
            rows,
            output,
            limits,
            switches,
            reports,
            db,
            s3,
            lookups,
        })
    }
}

/// The input root, partition and day range, checked to lie inside one month.
fn input_scope(given: &RunOptions, file: &mut ConfigFile) -> anyhow::Result<InputScope> {
    let input = need(pick(given.input.clone(), file.input.take()), "input")?;
    let org = need(pick(given.org.clone(), file.org.take()), "org")?;
    let source = need(pick(given.source.clone(), file.source.take()), "source")?;
    let year = pick(given.year, file.year).ok_or_else(|| anyhow!("missing --year"))?;
    let month = pick(given.month, file.month).ok_or_else(|| anyhow!("missing --month"))?;
    if !(1..=12).contains(&month) {
        bail!("--month {month} is not a month (1..12)");
    }
    if !(1900..=9999).contains(&year) {
        bail!("--year {year} is out of range");
    }
    let first = Day::from_ymd(year, month, 1).expect("valid month");
    let last = Day::from_ymd(year, month, days_in_month(year, month)).expect("valid month");
    let day = |v: Option<String>, name: &str, default: Day| -> anyhow::Result<Day> {
        match v {
            None => Ok(default),
            Some(s) => {
                Day::parse(&s).ok_or_else(|| anyhow!("--{name} {s:?} is not a date YYYY-MM-DD"))
            }
        }
    };
    let start = day(pick(given.start.clone(), file.start.take()), "start", first)?;
    let end = day(pick(given.end.clone(), file.end.take()), "end", last)?;
    if start < first || end > last || start > end {
        bail!("the day range {start}..{end} must lie inside {year}-{month:02} with start <= end (Koku runs one month at a time)");
    }
    Ok(InputScope {
        input,
        org,
        source,
        year,
        month,
        start,
        end,
    })
}

/// The lookups the flags or config file give; a lookup they leave out comes from the database.
fn given_lookups(given: &RunOptions, file: &mut ConfigFile) -> anyhow::Result<GivenLookups> {
    let keys_given = given.no_enabled_keys
        || given.enabled_keys.is_some()
        || file.no_enabled_keys.is_some()
        || file.enabled_keys.is_some();
    let no_keys = given.no_enabled_keys || file.no_enabled_keys.unwrap_or(false);
    let keys = if no_keys && given.enabled_keys.is_none() {
        None
    } else {
        pick(given.enabled_keys.clone(), file.enabled_keys.take())
    };
    let patterns = if given.cost_categories.is_empty() {
        file.cost_categories.take().unwrap_or_default()
    } else {
        given.cost_categories.clone()
    };
    let cost_categories = patterns
        .iter()
        .map(|s| parse_cost_category(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let role_specs = if given.node_roles.is_empty() {
        file.node_roles.take().unwrap_or_default()
    } else {
        given.node_roles.clone()
    };
    let node_roles = role_specs
        .iter()
        .map(|s| parse_node_role(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // An empty list of categories or roles means "not given": Koku always has some.
    Ok(GivenLookups {
        enabled_keys: keys_given.then(|| enabled_key_list(keys)),
        cost_categories: (!cost_categories.is_empty()).then_some(cost_categories),
        node_roles: (!node_roles.is_empty()).then_some(node_roles),
    })
}

fn output_spec(given: &RunOptions, file: &ConfigFile, db: bool) -> anyhow::Result<OutputSpec> {
    let default_output = if db { "postgres" } else { "csv:-" };
    let output = parse_output(
        &pick(given.output.clone(), file.output.clone()).unwrap_or(default_output.into()),
    )?;
    if output == OutputSpec::Postgres && !db {
        bail!("--output postgres needs --database-url (or DATABASE_URL)");
    }
    Ok(output)
}

/// `remote_waits`: an S3 input read without read-ahead, whose workers wait for each request.
fn run_limits(
    given: &RunOptions,
    file: &ConfigFile,
    remote_waits: bool,
) -> anyhow::Result<RunLimits> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    // One worker a core, S3 inputs too: the read-ahead keeps requests in flight while the workers
    // decode, and more workers only hold more row groups (L through 20 ms a request, 5 runs in
    // turns: 8 workers 1.63 s and 320 MB peak RSS, 2 workers 1.47 s and 183 MB). Without
    // read-ahead only more workers overlap the waits (2 workers 13.3 s, 8 workers 4.1 s).
    let default_threads = match remote_waits {
        true => cores.max(8),
        false => cores,
    };
    let threads = pick(given.threads, file.threads)
        .unwrap_or(default_threads)
        .max(1);
    let memory_limit = match pick(given.memory_limit.clone(), file.memory_limit.clone()) {
        None => memory::default_limit(),
        Some(s) => memory::parse_size(&s).ok_or_else(|| {
            anyhow!("--memory-limit {s:?}: expected bytes or a size like 4G, 512M")
        })?,
    };
    Ok(RunLimits {
        threads,
        memory_limit,
    })
}

fn parse_output(s: &str) -> anyhow::Result<OutputSpec> {
    match s.split_once(':') {
        Some(("csv", "-")) | None if s == "csv" || s == "csv:-" || s == "-" => {
            Ok(OutputSpec::CsvStdout)
        }
        Some(("csv", path)) if !path.is_empty() => Ok(OutputSpec::CsvFile(path.into())),
        Some(("pgcopy", path)) if !path.is_empty() && path != "-" => {
            Ok(OutputSpec::PgCopyFile(path.into()))
        }
        None if s == "postgres" => Ok(OutputSpec::Postgres),
        _ => bail!("--output {s:?}: expected csv:PATH, csv:-, pgcopy:PATH or postgres"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_parses() {
        assert_eq!(parse_output("csv:-").unwrap(), OutputSpec::CsvStdout);
        assert_eq!(
            parse_output("csv:/tmp/x.csv").unwrap(),
            OutputSpec::CsvFile("/tmp/x.csv".into())
        );
        assert!(parse_output("parquet:x").is_err());
        assert_eq!(
            parse_output("pgcopy:/tmp/x.bin").unwrap(),
            OutputSpec::PgCopyFile("/tmp/x.bin".into())
        );
        assert_eq!(parse_output("postgres").unwrap(), OutputSpec::Postgres);
        assert!(parse_output("pgcopy:").is_err());
    }

    fn minimal() -> RunOptions {
        RunOptions {
            input: Some("/in".into()),
            org: Some("o".into()),
            source: Some("s".into()),
            year: Some(2026),
            month: Some(2),
            cluster_id: Some("c".into()),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_fill_the_month_and_the_alias() {
        let plan = Plan::from_options(&minimal()).unwrap();
        assert_eq!(plan.scope.start.to_string(), "2026-02-01");
        assert_eq!(plan.scope.end.to_string(), "2026-02-28");
        assert_eq!(plan.constants.cluster_alias, "c");
        assert_eq!(plan.output, OutputSpec::CsvStdout);
        assert_eq!(plan.lookups, GivenLookups::default());
    }

    #[test]
    fn given_lookups_say_what_the_database_must_supply() {
        let mut o = minimal();
        o.no_enabled_keys = true;
        o.cost_categories = vec!["kube-%=1".into()];
        let given = Plan::from_options(&o).unwrap().lookups;
        assert_eq!(given.enabled_keys, Some(None));
        assert_eq!(given.cost_categories.map(|c| c.len()), Some(1));
        assert_eq!(given.node_roles, None);
    }

    /// `--pod-only` computes no unallocated rows, the only rows roles feed, so it reads nothing
    /// to derive them from; without it roles are derived unless switched off.
    #[test]
    fn pod_only_derives_no_node_roles() {
        let mut o = minimal();
        assert!(Plan::from_options(&o).unwrap().rows.derive_node_roles);
        o.pod_only = true;
        assert!(!Plan::from_options(&o).unwrap().rows.derive_node_roles);
        let mut o = minimal();
        o.no_derive_node_roles = true;
        assert!(!Plan::from_options(&o).unwrap().rows.derive_node_roles);
    }

    #[test]
    fn bad_ranges_and_combinations_are_refused() {
        let mut o = minimal();
        o.start = Some("2026-03-01".into());
        assert!(Plan::from_options(&o).is_err());
        let mut o = minimal();
        o.pod_only = true;
        o.output = Some("postgres".into());
        o.db.database_url = Some("postgres://x".into());
        o.report_period_id = Some(1);
        let e = Plan::from_options(&o).unwrap_err().to_string();
        assert!(e.contains("--pod-only"), "{e}");
    }

    #[test]
    fn s3_settings_come_from_the_config_file_and_flags_win() {
        let dir = std::env::temp_dir().join(format!("ocp-plan-s3-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.toml");
        std::fs::write(
            &path,
            "input = \"s3://b/p\"\norg = \"o\"\nsource = \"s\"\nyear = 2026\nmonth = 3\n\
             cluster_id = \"c\"\ns3_endpoint = \"http://127.0.0.1:9000\"\ns3_region = \"eu-1\"\n\
             s3_path_style = true\ns3_concurrency = 4\ns3_retries = 9\n",
        )
        .unwrap();
        let mut options = RunOptions {
            config: Some(path),
            ..Default::default()
        };
        options.s3.s3_retries = Some(1);
        let plan = Plan::from_options(&options).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(plan.s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(plan.s3.region.as_deref(), Some("eu-1"));
        assert!(plan.s3.path_style);
        assert_eq!((plan.s3.concurrency, plan.s3.retries), (4, 1));
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert_eq!(
            plan.limits.threads, cores,
            "S3 inputs default to one worker a core, as local ones"
        );
        // Without read-ahead the workers wait for each request: more of them overlap the waits.
        options.s3.s3_read_ahead = Some(0);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("c.toml"), "input = \"s3://b/p\"\norg = \"o\"\nsource = \"s\"\nyear = 2026\nmonth = 3\ncluster_id = \"c\"\n").unwrap();
        let plan = Plan::from_options(&options).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(plan.limits.threads, cores.max(8));
    }
}
