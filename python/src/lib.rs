//! `ocp_summary`: the ocp-summary engine as a Python module, for Koku's masu workers.
//!
//! One function does what masu's Trino path does for one month of one OpenShift source:
//! [`populate_daily_summary`] deletes the day range of `reporting_ocpusagelineitem_daily_summary`
//! and loads the new rows in one transaction (as `ocp-summary run --database-url` does). It takes
//! masu's parameter names (`populate_line_item_daily_summary_table_trino(start_date, end_date,
//! report_period_id, cluster_id, cluster_alias, source)`), reads the settings masu reads from the
//! environment (`S3_*`, `DATABASE_*`) unless keyword arguments give them, releases the GIL while
//! it works, and returns the run report as a dict. Failures raise one exception class per engine
//! error kind, all subclasses of `OcpSummaryError`.
//!
//! Nothing is cached between calls: every call builds its plan, store and connections and drops
//! them before returning.

use ocp_summary_engine::plan::options::{DbOptions, RunOptions, S3Options};
use ocp_summary_engine::plan::Plan;
use ocp_summary_engine::run::{self, Summary};
use ocp_summary_engine::source::s3::S3Credentials;
use ocp_summary_engine::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyString};

create_exception!(
    ocp_summary,
    OcpSummaryError,
    PyException,
    "Any failure of a run; the subclass says who must act."
);
create_exception!(
    ocp_summary,
    InputError,
    OcpSummaryError,
    "Bad input data or options (the CLI's exit code 2); re-running will not help."
);
create_exception!(
    ocp_summary,
    SourceError,
    OcpSummaryError,
    "The input could not be read: S3 or file I/O (exit code 3)."
);
create_exception!(
    ocp_summary,
    SinkError,
    OcpSummaryError,
    "The output could not be written: database unreachable, authentication, missing table (exit code 4)."
);
create_exception!(
    ocp_summary,
    MemoryLimitError,
    OcpSummaryError,
    "The run would pass its memory limit; nothing was written (exit code 5)."
);

/// The exception for an engine error, by kind.
fn py_error(e: Error) -> PyErr {
    // The class names the kind, so the message leaves out its `bad input: ` prefix.
    let message = e.detail();
    match e {
        Error::Input(_) => InputError::new_err(message),
        Error::Source(_) => SourceError::new_err(message),
        Error::Sink(_) => SinkError::new_err(message),
        Error::Memory(_) => MemoryLimitError::new_err(message),
    }
}

/// A non-empty environment variable.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `YYYY-MM-DD` from a `datetime.date` / `datetime.datetime` or an ISO string
/// (`2026-03-01`, `2026-03-01T00:00:00`, `2026-03-01 00:00:00+00:00`).
fn iso_day(name: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if value.is_instance_of::<PyDate>() {
        return value.call_method1("strftime", ("%Y-%m-%d",))?.extract();
    }
    if value.is_instance_of::<PyString>() {
        let text: String = value.extract()?;
        let day = text.trim().split(['T', ' ']).next().unwrap_or("");
        return Ok(day.to_string());
    }
    Err(InputError::new_err(format!(
        "{name}: expected a datetime.date or an ISO date string, got {}",
        value.get_type().name()?
    )))
}

/// The year and month of `YYYY-MM-DD`.
fn year_month(name: &str, day: &str) -> PyResult<(i32, u32)> {
    let bad = || InputError::new_err(format!("{name}: {day:?} is not a YYYY-MM-DD date"));
    let mut parts = day.splitn(3, '-');
    let year = parts.next().and_then(|y| y.parse().ok()).ok_or_else(bad)?;
    let month = parts.next().and_then(|m| m.parse().ok()).ok_or_else(bad)?;
    Ok((year, month))
}

/// A libpq key=value value, quoted.
fn kv(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Koku's database settings (`koku/configurator.py`, `EnvConfigurator`), as a libpq key=value
/// string: `DATABASE_HOST`/`DATABASE_PORT`, else `<DATABASE_SERVICE_NAME>_SERVICE_HOST`/`_PORT`
/// (default localhost:15432), `DATABASE_NAME`, `DATABASE_USER`, `DATABASE_PASSWORD` (default
/// postgres each), and with `DATABASE_SERVICE_CERT` set, `sslmode=verify-full` against
/// `DATABASE_SERVICE_CERTFILE`. `None` when none of them is set.
fn koku_database_from_env() -> Option<String> {
    let service = env("DATABASE_SERVICE_NAME").map(|s| s.to_uppercase().replace('-', "_"));
    let from_service = |suffix: &str| {
        service
            .as_ref()
            .and_then(|s| env(&format!("{s}_SERVICE_{suffix}")))
    };
    let host = env("DATABASE_HOST").or_else(|| from_service("HOST"));
    let port = env("DATABASE_PORT").or_else(|| from_service("PORT"));
    let name = env("DATABASE_NAME");
    let user = env("DATABASE_USER");
    let password = env("DATABASE_PASSWORD");
    if host.is_none() && port.is_none() && name.is_none() && user.is_none() && password.is_none() {
        return None;
    }
    let mut s = format!(
        "host={} port={} dbname={} user={} password={}",
        kv(&host.unwrap_or_else(|| "localhost".into())),
        kv(&port.unwrap_or_else(|| "15432".into())),
        kv(&name.unwrap_or_else(|| "postgres".into())),
        kv(&user.unwrap_or_else(|| "postgres".into())),
        kv(&password.unwrap_or_else(|| "postgres".into())),
    );
    if env("DATABASE_SERVICE_CERT").is_some() {
        let file =
            env("DATABASE_SERVICE_CERTFILE").unwrap_or_else(|| "/etc/ssl/certs/server.pem".into());
        s += &format!(" sslmode=verify-full sslrootcert={}", kv(&file));
    }
    Some(s)
}

/// The Parquet path's tenant segment for a schema, as masu's `ParquetReportProcessor.account`
/// derives it: legacy `acct<N>` schemas drop the prefix, `org<N>` schemas are used whole.
fn org_for_schema(schema: &str) -> String {
    match schema.strip_prefix("acct") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => schema.to_string(),
    }
}

/// Koku's `S3_ENDPOINT` may omit the scheme (`EnvConfigurator.get_object_store_endpoint`).
fn endpoint_url(endpoint: String) -> String {
    if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        endpoint
    } else {
        format!("https://{endpoint}")
    }
}

/// Computes Koku's OpenShift daily summary for one source and one month, and loads it.
///
/// Deletes the rows of `report_period_id` and the day range `start_date..=end_date`
/// from `<schema>.reporting_ocpusagelineitem_daily_summary` (except infrastructure raw cost, as
/// masu's `delete_all_except_infrastructure_raw_cost_from_daily_summary`) and loads the new rows,
/// in one transaction. Returns the run report (rows read and written, stage times) as a dict.
///
/// Settings come from keyword arguments, else from the environment variables masu reads; see
/// python/README.md. `output="csv:PATH"` / `"pgcopy:PATH"` writes a file instead of loading.
#[pyfunction]
#[pyo3(signature = (
    start_date, end_date, report_period_id, cluster_id, cluster_alias, source, *,
    schema, org=None, input=None, database_url=None, output=None,
    s3_endpoint=None, s3_access_key=None, s3_secret=None, s3_region=None, s3_path_style=None,
    enabled_keys=None, cost_categories=None, node_roles=None, derive_node_roles=false,
    threads=None, memory_limit=None, db_connect_attempts=None, db_retries=None,
))]
#[allow(clippy::too_many_arguments)]
fn populate_daily_summary(
    py: Python<'_>,
    start_date: &Bound<'_, PyAny>,
    end_date: &Bound<'_, PyAny>,
    report_period_id: i32,
    cluster_id: String,
    cluster_alias: Option<String>,
    source: &Bound<'_, PyAny>,
    schema: String,
    org: Option<String>,
    input: Option<String>,
    database_url: Option<String>,
    output: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key: Option<String>,
    s3_secret: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
    enabled_keys: Option<Vec<String>>,
    cost_categories: Option<Vec<String>>,
    node_roles: Option<Vec<String>>,
    derive_node_roles: bool,
    threads: Option<usize>,
    memory_limit: Option<String>,
    db_connect_attempts: Option<u32>,
    db_retries: Option<u32>,
) -> PyResult<Py<PyAny>> {
    let start = iso_day("start_date", start_date)?;
    let end = iso_day("end_date", end_date)?;
    let (year, month) = year_month("start_date", &start)?;
    // masu passes the provider uuid as a str or a uuid.UUID.
    let source = source.str()?.to_string();
    let input = match input {
        Some(i) => i,
        None => match env("S3_BUCKET_NAME") {
            Some(bucket) => format!("s3://{bucket}"),
            None => return Err(InputError::new_err(
                "no input: pass input= (a folder or s3://BUCKET[/PREFIX]) or set S3_BUCKET_NAME",
            )),
        },
    };
    let to_file = output.as_deref().is_some_and(|o| o != "postgres");
    // A file output reads its lookups from a database only when one is configured; a load
    // always needs one (Koku's defaults apply when the DATABASE_* variables are partly set).
    let database_url = database_url
        .or_else(|| env("DATABASE_URL"))
        .or_else(koku_database_from_env);
    if database_url.is_none() && !to_file {
        return Err(InputError::new_err(
            "no database: pass database_url= or set DATABASE_URL or Koku's DATABASE_HOST, \
             DATABASE_PORT, DATABASE_NAME, DATABASE_USER, DATABASE_PASSWORD",
        ));
    }
    let endpoint = s3_endpoint.or_else(|| env("S3_ENDPOINT")).map(endpoint_url);
    // MinIO, Ceph RGW and ODF need path-style addressing; AWS prefers virtual hosts.
    let path_style = s3_path_style.unwrap_or_else(|| {
        endpoint
            .as_deref()
            .is_some_and(|e| !e.contains(".amazonaws.com"))
    });
    let credentials = match (
        s3_access_key.or_else(|| env("S3_ACCESS_KEY")),
        s3_secret.or_else(|| env("S3_SECRET")),
    ) {
        (Some(access_key_id), Some(secret_access_key)) => Some(S3Credentials {
            access_key_id,
            secret_access_key,
        }),
        (None, None) => None,
        _ => {
            return Err(InputError::new_err(
                "S3 credentials: give both the access key and the secret (S3_ACCESS_KEY and \
                 S3_SECRET, or s3_access_key= and s3_secret=), or neither for the AWS chain",
            ))
        }
    };
    let options = RunOptions {
        input: Some(input),
        org: Some(org.unwrap_or_else(|| org_for_schema(&schema))),
        source: Some(source),
        year: Some(year),
        month: Some(month),
        start: Some(start),
        end: Some(end),
        cluster_alias: cluster_alias.or_else(|| Some(cluster_id.clone())),
        cluster_id: Some(cluster_id),
        report_period_id: Some(report_period_id),
        enabled_keys,
        cost_categories: cost_categories.unwrap_or_default(),
        node_roles: node_roles.unwrap_or_default(),
        derive_node_roles,
        db: DbOptions {
            database_url,
            schema: Some(schema),
            db_connect_attempts,
            db_retries,
        },
        output,
        threads,
        memory_limit,
        s3: S3Options {
            s3_endpoint: endpoint,
            s3_region: s3_region.or_else(|| env("S3_REGION")),
            s3_path_style: path_style,
            ..S3Options::default()
        },
        ..RunOptions::default()
    };
    let report = py.detach(move || {
        let mut plan =
            Plan::from_options(&options).map_err(|e| Error::options(format!("{e:#}")))?;
        plan.s3.credentials = credentials;
        run::execute_with(&plan, Summary::Quiet).map(|r| r.json())
    });
    let json = report.map_err(py_error)?;
    Ok(py.import("json")?.call_method1("loads", (json,))?.unbind())
}

#[pymodule]
fn ocp_summary(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(populate_daily_summary, m)?)?;
    // masu's own name for the same step.
    m.add(
        "populate_line_item_daily_summary_table_trino",
        m.getattr("populate_daily_summary")?,
    )?;
    m.add("OcpSummaryError", py.get_type::<OcpSummaryError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("SourceError", py.get_type::<SourceError>())?;
    m.add("SinkError", py.get_type::<SinkError>())?;
    m.add("MemoryLimitError", py.get_type::<MemoryLimitError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // maturin's package `__init__` re-exports `__all__`, which must name `__version__` too.
    m.add(
        "__all__",
        vec![
            "populate_daily_summary",
            "populate_line_item_daily_summary_table_trino",
            "OcpSummaryError",
            "InputError",
            "SourceError",
            "SinkError",
            "MemoryLimitError",
            "__version__",
        ],
    )?;
    Ok(())
}
