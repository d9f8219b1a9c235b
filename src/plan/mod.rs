//! A validated run: month, day range, parameters, lookups and output, fixed before any heavy I/O.
//!
//! [`Plan::from_args`] merges flags over the config file, checks every value and fails with a
//! message naming the bad option, so no worker starts on a plan that cannot finish.

pub mod date;
pub mod inputs;
pub mod memory;

use crate::cli::config::ConfigFile;
use crate::cli::RunArgs;
use anyhow::{anyhow, bail, Context};
use date::{days_in_month, Day};
use std::path::PathBuf;

/// Where output rows go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputSpec {
    CsvStdout,
    CsvFile(PathBuf),
    /// A binary COPY stream in a file, loadable with `\copy ... from PATH with (format binary)`.
    PgCopyFile(PathBuf),
    /// The database of [`Plan::db`]: one transaction per run (crate::db::load).
    Postgres,
}

/// A PostgreSQL database and tenant schema.
#[derive(Clone)]
pub struct DbSpec {
    /// Never printed: it may hold a password ([`crate::db`] describes targets without it).
    pub url: String,
    pub schema: String,
    pub connect_attempts: u32,
    pub retries: u32,
}

impl std::fmt::Debug for DbSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSpec")
            .field("url", &"<redacted>")
            .field("schema", &self.schema)
            .finish()
    }
}

impl DbSpec {
    pub fn from_args(
        args: &crate::cli::args::DbArgs,
        file: &crate::cli::args::DbArgs,
        default_schema: Option<&str>,
    ) -> anyhow::Result<Option<DbSpec>> {
        let Some(url) = pick(args.database_url.clone(), file.database_url.clone()) else {
            return Ok(None);
        };
        let schema = pick(args.schema.clone(), file.schema.clone())
            .or(default_schema.map(str::to_string))
            .filter(|s| !s.is_empty())
            .ok_or_else(|| anyhow!("missing --schema"))?;
        Ok(Some(DbSpec {
            url,
            schema,
            connect_attempts: pick(args.db_connect_attempts, file.db_connect_attempts)
                .unwrap_or(5)
                .max(1),
            retries: pick(args.db_retries, file.db_retries).unwrap_or(3),
        }))
    }
}

/// Which lookups the flags or config gave; the others come from the database, if any.
#[derive(Debug, Clone, Copy, Default)]
pub struct Given {
    pub enabled_keys: bool,
    pub cost_categories: bool,
    pub node_roles: bool,
}

/// One `reporting_ocp_cost_category_namespace` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostCategory {
    pub pattern: String,
    pub id: i32,
}

/// Which resource ids a node role applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleResource {
    /// `NODE=ROLE`: every resource id of the node.
    Any,
    /// `NODE@\N=ROLE`: a NULL resource id, which never joins (as in Koku).
    Null,
    Id(String),
}

/// One `reporting_ocp_nodes` row: the role of a node (spec §2.5, §8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRole {
    pub node: String,
    pub resource_id: RoleResource,
    /// `None` for `\N` (a NULL role).
    pub role: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub input: String,
    pub org: String,
    pub source: String,
    pub year: i32,
    pub month: u32,
    /// First and last day, inclusive, inside `year`-`month`.
    pub start: Day,
    pub end: Day,
    pub cluster_id: String,
    pub cluster_alias: String,
    pub report_period_id: Option<i32>,
    /// `None`: no enabled OCP keys (E4). `Some`: the keys, `vm_kubevirt_io_name` included.
    pub enabled_keys: Option<Vec<String>>,
    pub cost_categories: Vec<CostCategory>,
    /// Node roles given by flags or config, for the unallocated rows.
    pub node_roles: Vec<NodeRole>,
    /// Also derive roles from the input as Koku's `populate_node_table` does (spec §2.5).
    pub derive_node_roles: bool,
    /// Pod-query rows only (`--pod-only`).
    pub pod_only: bool,
    pub output: OutputSpec,
    pub threads: usize,
    /// Bytes the run may use (`--memory-limit`).
    pub memory_limit: u64,
    pub report_json: Option<PathBuf>,
    pub metrics: Option<PathBuf>,
    pub db: Option<DbSpec>,
    pub given: Given,
    /// S3 connection settings, used when `input` is an `s3://` URL.
    pub s3: crate::source::s3::S3Settings,
}

fn pick<T>(flag: Option<T>, file: Option<T>) -> Option<T> {
    flag.or(file)
}

impl Plan {
    pub fn from_args(args: &RunArgs) -> anyhow::Result<Plan> {
        let mut file = match &args.config {
            Some(path) => ConfigFile::load(path)?,
            None => ConfigFile::default(),
        };
        let file_db = crate::cli::args::DbArgs {
            database_url: file.database_url.take(),
            schema: file.schema.take(),
            db_connect_attempts: file.db_connect_attempts,
            db_retries: file.db_retries,
        };
        let need = |v: Option<String>, name: &str| {
            v.filter(|s| !s.is_empty())
                .ok_or_else(|| anyhow!("missing --{name} (flag or config file)"))
        };
        let input = need(pick(args.input.clone(), file.input), "input")?;
        let org = need(pick(args.org.clone(), file.org), "org")?;
        let source = need(pick(args.source.clone(), file.source), "source")?;
        let year = pick(args.year, file.year).ok_or_else(|| anyhow!("missing --year"))?;
        let month = pick(args.month, file.month).ok_or_else(|| anyhow!("missing --month"))?;
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
        let start = day(pick(args.start.clone(), file.start), "start", first)?;
        let end = day(pick(args.end.clone(), file.end), "end", last)?;
        if start < first || end > last || start > end {
            bail!("the day range {start}..{end} must lie inside {year}-{month:02} with start <= end (Koku runs one month at a time)");
        }
        let cluster_id = need(pick(args.cluster_id.clone(), file.cluster_id), "cluster-id")?;
        let cluster_alias = pick(args.cluster_alias.clone(), file.cluster_alias)
            .unwrap_or_else(|| cluster_id.clone());
        let report_period_id = pick(args.report_period_id, file.report_period_id);
        let keys_given = args.no_enabled_keys
            || args.enabled_keys.is_some()
            || file.no_enabled_keys.is_some()
            || file.enabled_keys.is_some();
        let no_keys = args.no_enabled_keys || file.no_enabled_keys.unwrap_or(false);
        let keys = if no_keys && args.enabled_keys.is_none() {
            None
        } else {
            pick(args.enabled_keys.clone(), file.enabled_keys)
        };
        let enabled_keys = enabled_key_list(keys);
        let patterns = if args.cost_categories.is_empty() {
            file.cost_categories.unwrap_or_default()
        } else {
            args.cost_categories.clone()
        };
        let cost_categories = patterns
            .iter()
            .map(|s| parse_cost_category(s))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let role_specs = if args.node_roles.is_empty() {
            file.node_roles.unwrap_or_default()
        } else {
            args.node_roles.clone()
        };
        let node_roles = role_specs
            .iter()
            .map(|s| parse_node_role(s))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let derive_node_roles = args.derive_node_roles || file.derive_node_roles.unwrap_or(false);
        let pod_only = args.pod_only || file.pod_only.unwrap_or(false);
        let db = DbSpec::from_args(&args.db, &file_db, Some(&org))?;
        let default_output = if db.is_some() { "postgres" } else { "csv:-" };
        let output = parse_output(
            &pick(args.output.clone(), file.output.clone()).unwrap_or(default_output.into()),
        )?;
        if output == OutputSpec::Postgres && db.is_none() {
            bail!("--output postgres needs --database-url (or DATABASE_URL)");
        }
        if pod_only && output == OutputSpec::Postgres {
            bail!("--pod-only writes files only: a database load replaces every row of the day range, Storage rows included");
        }
        if db.is_some() && report_period_id.is_none() {
            bail!("--report-period-id is required with a database (the rows and the pre-delete are scoped by it, spec §9.1)");
        }
        let given = Given {
            enabled_keys: keys_given,
            cost_categories: !cost_categories.is_empty(),
            node_roles: !node_roles.is_empty(),
        };
        let s3 = args.s3.settings(crate::cli::args::S3Args {
            s3_endpoint: file.s3_endpoint,
            s3_region: file.s3_region,
            s3_path_style: file.s3_path_style.unwrap_or(false),
            s3_ca_bundle: file.s3_ca_bundle,
            s3_concurrency: file.s3_concurrency,
            s3_retries: file.s3_retries,
        });
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        // Remote reads wait on the network: more workers keep more requests in flight.
        let default_threads = if input.starts_with("s3://") {
            cores.max(8)
        } else {
            cores
        };
        let threads = pick(args.threads, file.threads)
            .unwrap_or(default_threads)
            .max(1);
        Ok(Plan {
            input,
            org,
            source,
            year,
            month,
            start,
            end,
            cluster_id,
            cluster_alias,
            report_period_id,
            enabled_keys,
            cost_categories,
            node_roles,
            derive_node_roles,
            pod_only,
            output,
            threads,
            memory_limit: match pick(args.memory_limit.clone(), file.memory_limit.clone()) {
                None => memory::default_limit(),
                Some(s) => memory::parse_size(&s).ok_or_else(|| {
                    anyhow!("--memory-limit {s:?}: expected bytes or a size like 4G, 512M")
                })?,
            },
            report_json: pick(args.report_json.clone(), file.report_json),
            metrics: pick(args.metrics.clone(), file.metrics),
            db,
            given,
            s3,
        })
    }

    /// Timestamps `[start 00:00, end + 1 day 00:00)` in ms: Koku's `interval_start` predicate.
    pub fn millis_range(&self) -> std::ops::Range<i64> {
        self.start.start_millis()..self.end.start_millis() + date::MS_PER_DAY
    }
}

/// Trino's rule (spec §3, E4): no enabled key → nothing survives; otherwise the keys plus
/// `vm_kubevirt_io_name`.
pub fn enabled_key_list(keys: Option<Vec<String>>) -> Option<Vec<String>> {
    let mut keys: Vec<String> = keys?
        .into_iter()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect();
    if keys.is_empty() {
        return None;
    }
    keys.push("vm_kubevirt_io_name".into());
    keys.sort();
    keys.dedup();
    Some(keys)
}

fn parse_cost_category(s: &str) -> anyhow::Result<CostCategory> {
    let (pattern, id) = s
        .rsplit_once('=')
        .ok_or_else(|| anyhow!("--cost-category {s:?}: expected PATTERN=ID"))?;
    let id = id
        .trim()
        .parse()
        .with_context(|| format!("--cost-category {s:?}: ID must be an integer"))?;
    Ok(CostCategory {
        pattern: pattern.to_string(),
        id,
    })
}

/// `NODE[@RESOURCE_ID]=ROLE`; `\N` stands for NULL (resource id or role), as in the oracle.
fn parse_node_role(s: &str) -> anyhow::Result<NodeRole> {
    let (target, role) = s
        .rsplit_once('=')
        .ok_or_else(|| anyhow!("--node-role {s:?}: expected NODE[@RESOURCE_ID]=ROLE"))?;
    let (node, resource_id) = match target.split_once('@') {
        None => (target, RoleResource::Any),
        Some((node, "\\N")) => (node, RoleResource::Null),
        Some((node, rid)) => (node, RoleResource::Id(rid.to_string())),
    };
    if node.is_empty() {
        bail!("--node-role {s:?}: the node name is empty");
    }
    Ok(NodeRole {
        node: node.to_string(),
        resource_id,
        role: (role != "\\N").then(|| role.to_string()),
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
    fn enabled_keys_follow_trino() {
        assert_eq!(enabled_key_list(None), None);
        assert_eq!(enabled_key_list(Some(vec![])), None);
        assert_eq!(
            enabled_key_list(Some(vec!["b".into(), "a".into()])),
            Some(vec!["a".into(), "b".into(), "vm_kubevirt_io_name".into()])
        );
    }

    #[test]
    fn cost_category_and_output_parse() {
        let c = parse_cost_category("a=b%=7").unwrap();
        assert_eq!((c.pattern.as_str(), c.id), ("a=b%", 7));
        assert!(parse_cost_category("x").is_err());
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

    #[test]
    fn node_role_parses() {
        let r = parse_node_role("n1@i-1=master").unwrap();
        assert_eq!(r.node, "n1");
        assert_eq!(r.resource_id, RoleResource::Id("i-1".into()));
        assert_eq!(r.role.as_deref(), Some("master"));
        let r = parse_node_role("n2=worker").unwrap();
        assert_eq!(r.resource_id, RoleResource::Any);
        let r = parse_node_role("n3@\\N=\\N").unwrap();
        assert_eq!((r.resource_id, r.role), (RoleResource::Null, None));
        assert!(parse_node_role("n4").is_err());
        assert!(parse_node_role("=worker").is_err());
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
        let mut args = RunArgs {
            config: Some(path),
            ..Default::default()
        };
        args.s3.s3_retries = Some(1);
        let plan = Plan::from_args(&args).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(plan.s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(plan.s3.region.as_deref(), Some("eu-1"));
        assert!(plan.s3.path_style);
        assert_eq!((plan.s3.concurrency, plan.s3.retries), (4, 1));
        assert!(plan.threads >= 8, "S3 inputs default to at least 8 workers");
    }
}
