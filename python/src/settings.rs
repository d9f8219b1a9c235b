//! Settings shared by the module's functions: dates, the input and S3 (keyword arguments, else
//! the `S3_*` variables masu reads) and the database (`DATABASE_URL`, else Koku's `DATABASE_*`).

use crate::InputError;
use ocp_summary_engine::plan::options::{RunOptions, S3Options};
use ocp_summary_engine::source::s3::S3Credentials;
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyString};

/// A non-empty environment variable.
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `YYYY-MM-DD` from a `datetime.date` / `datetime.datetime` or an ISO string
/// (`2026-03-01`, `2026-03-01T00:00:00`, `2026-03-01 00:00:00+00:00`).
pub(crate) fn iso_day(name: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
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
pub(crate) fn year_month(name: &str, day: &str) -> PyResult<(i32, u32)> {
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

/// The database: the keyword argument, else `DATABASE_URL`, else Koku's `DATABASE_*` settings.
pub(crate) fn database_url(given: Option<String>) -> Option<String> {
    given
        .or_else(|| env("DATABASE_URL"))
        .or_else(koku_database_from_env)
}

/// [`database_url`] for a call that writes to the database: an `InputError` without one.
pub(crate) fn required_database_url(given: Option<String>) -> PyResult<String> {
    database_url(given).ok_or_else(|| {
        crate::InputError::new_err(
            "no database: pass database_url= or set DATABASE_URL or Koku's DATABASE_HOST, \
             DATABASE_PORT, DATABASE_NAME, DATABASE_USER, DATABASE_PASSWORD",
        )
    })
}

/// Koku's database settings (`koku/configurator.py`, `EnvConfigurator`), as a libpq key=value
/// string: `DATABASE_HOST`/`DATABASE_PORT` (ours; Koku reads only the next two), else
/// `<DATABASE_SERVICE_NAME>_SERVICE_HOST`/`_PORT`
/// (default localhost:15432), `DATABASE_NAME`, `DATABASE_USER`, `DATABASE_PASSWORD` (default
/// postgres each), and with `DATABASE_SERVICE_CERT` set, `sslmode=verify-full` against
/// `DATABASE_SERVICE_CERTFILE`. `None` when none of them is set.
pub(crate) fn koku_database_from_env() -> Option<String> {
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
pub(crate) fn org_for_schema(schema: &str) -> String {
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

/// Where the Parquet is read from, and how.
pub(crate) struct Storage {
    /// A folder or `s3://BUCKET[/PREFIX]`.
    pub input: String,
    /// The S3 settings, static credentials included (`None`: the AWS default chain).
    pub s3: S3Options,
}

/// The input and S3 settings from keyword arguments, else from Koku's `S3_BUCKET_NAME`,
/// `S3_ENDPOINT`, `S3_REGION`, `S3_ACCESS_KEY` and `S3_SECRET`.
pub(crate) fn storage(
    input: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key: Option<String>,
    s3_secret: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
) -> PyResult<Storage> {
    let input = match input {
        Some(i) => i,
        None => match env("S3_BUCKET_NAME") {
            Some(bucket) => format!("s3://{bucket}"),
            None => return Err(InputError::new_err(
                "no input: pass input= (a folder or s3://BUCKET[/PREFIX]) or set S3_BUCKET_NAME",
            )),
        },
    };
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
    Ok(Storage {
        input,
        s3: S3Options {
            s3_endpoint: endpoint,
            s3_region: s3_region.or_else(|| env("S3_REGION")),
            s3_path_style: path_style,
            credentials,
            ..S3Options::default()
        },
    })
}

/// The options every function shares: masu's `(source, start_date, end_date)`, the tenant, and
/// where the Parquet is. Year and month come from `start_date` (Koku runs one month at a time);
/// masu passes the source as a `str` or a `uuid.UUID`. Returns the options and the two days.
pub(crate) fn scoped_options(
    source: &Bound<'_, PyAny>,
    start_date: &Bound<'_, PyAny>,
    end_date: &Bound<'_, PyAny>,
    schema: &str,
    org: Option<String>,
    storage: Storage,
) -> PyResult<(RunOptions, String, String)> {
    let start = iso_day("start_date", start_date)?;
    let end = iso_day("end_date", end_date)?;
    let (year, month) = year_month("start_date", &start)?;
    let options = RunOptions {
        input: Some(storage.input),
        org: Some(org.unwrap_or_else(|| org_for_schema(schema))),
        source: Some(source.str()?.to_string()),
        year: Some(year),
        month: Some(month),
        start: Some(start.clone()),
        end: Some(end.clone()),
        s3: storage.s3,
        ..RunOptions::default()
    };
    Ok((options, start, end))
}
