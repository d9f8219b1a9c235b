//! masu's cluster-information reads, answered from the Parquet (no database): the engine's
//! `ocp-summary cluster-info` / `max-min-timestamp` queries in the shapes masu's
//! `OCPReportDBAccessor` methods return (`koku/masu/database/ocp_report_db_accessor.py`).
//!
//! * [`max_min_timestamp`]: `get_max_min_timestamp_from_parquet(source_uuid, start_date,
//!   end_date)`, the tuple `(minim, maxim)` of naive `datetime.datetime`s: `min`/`max` of
//!   `interval_start` of the daily pod rows in range, a NULL replaced by midnight of `start_date`
//!   (min) or of `end_date` (max), as masu's
//!   `datetime.datetime(start_date.year, start_date.month, start_date.day)` does.
//! * [`cluster_information`]: `{"nodes": get_nodes_trino(...), "pvcs": get_pvcs_trino(...),
//!   "projects": get_projects_trino(...)}`. Nodes and PVCs are the Trino client's rows (lists in
//!   the query's column order, NULL as `None`, `node_capacity_cpu_cores` a `float`); projects is
//!   the flat list of namespaces (`[project[0] for project in projects]`).

use crate::py_error;
use crate::settings::{scoped_options, storage};
use ocp_summary_engine::cluster::{cluster_info, ClusterInfo, ClusterQuery};
use ocp_summary_engine::plan::options::RunOptions;
use ocp_summary_engine::plan::Plan;
use ocp_summary_engine::value::Day;
use ocp_summary_engine::Error;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use pyo3::IntoPyObjectExt;

/// The settings every read takes: masu's `(source_uuid, start_date, end_date)` and the tenant.
pub(crate) struct Read {
    pub(crate) options: RunOptions,
    start: String,
    end: String,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn read_settings(
    source: &Bound<'_, PyAny>,
    start_date: &Bound<'_, PyAny>,
    end_date: &Bound<'_, PyAny>,
    schema: String,
    org: Option<String>,
    input: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key: Option<String>,
    s3_secret: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
    threads: Option<usize>,
) -> PyResult<Read> {
    let storage = storage(
        input,
        s3_endpoint,
        s3_access_key,
        s3_secret,
        s3_region,
        s3_path_style,
    )?;
    let (scoped, start, end) = scoped_options(source, start_date, end_date, &schema, org, storage)?;
    let options = RunOptions {
        // The plan needs one; none of these queries reads it.
        cluster_id: Some("cluster-information".into()),
        threads,
        ..scoped
    };
    Ok(Read {
        options,
        start,
        end,
    })
}

/// Runs `queries` with the GIL released.
fn run(py: Python<'_>, read: Read, queries: &[ClusterQuery]) -> PyResult<ClusterInfo> {
    let options = read.options;
    py.detach(move || {
        let plan = Plan::from_options(&options).map_err(|e| Error::options(format!("{e:#}")))?;
        cluster_info(&plan, queries)
    })
    .map_err(py_error)
}

/// A naive `datetime.datetime` for milliseconds since the epoch (Trino's `timestamp(3)`).
fn datetime<'py>(py: Python<'py>, ms: i64) -> PyResult<Bound<'py, PyAny>> {
    let day = Day::of_millis(ms);
    let (year, month, d) = day.ymd();
    let rest = ms - day.start_millis();
    py.import("datetime")?.getattr("datetime")?.call1((
        year,
        month,
        d,
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000 * 1000,
    ))
}

/// Midnight of `YYYY-MM-DD`, as masu's `datetime.datetime(d.year, d.month, d.day)`.
fn midnight<'py>(py: Python<'py>, name: &str, day: &str) -> PyResult<Bound<'py, PyAny>> {
    let day = Day::parse(day).ok_or_else(|| {
        crate::InputError::new_err(format!("{name}: {day:?} is not a YYYY-MM-DD date"))
    })?;
    datetime(py, day.start_millis())
}

/// masu's `get_max_min_timestamp_from_parquet(source_uuid, start_date, end_date)`: the tuple
/// `(min, max)` of `interval_start` of the source's daily pod rows from `start_date` through
/// `end_date`, as naive `datetime.datetime`s; with no rows, midnight of `start_date` and of
/// `end_date`. Reads the Parquet only; settings as `populate_daily_summary`'s.
#[pyfunction]
#[pyo3(signature = (
    source, start_date, end_date, *, schema, org=None, input=None,
    s3_endpoint=None, s3_access_key=None, s3_secret=None, s3_region=None, s3_path_style=None,
    threads=None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn max_min_timestamp<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    start_date: &Bound<'py, PyAny>,
    end_date: &Bound<'py, PyAny>,
    schema: String,
    org: Option<String>,
    input: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key: Option<String>,
    s3_secret: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyTuple>> {
    let read = read_settings(
        source,
        start_date,
        end_date,
        schema,
        org,
        input,
        s3_endpoint,
        s3_access_key,
        s3_secret,
        s3_region,
        s3_path_style,
        threads,
    )?;
    let (start, end) = (read.start.clone(), read.end.clone());
    let info = run(py, read, &[ClusterQuery::Timestamps])?;
    let (min, max) = info.timestamps.unwrap_or((None, None));
    let min = match min {
        Some(ms) => datetime(py, ms)?,
        None => midnight(py, "start_date", &start)?,
    };
    let max = match max {
        Some(ms) => datetime(py, ms)?,
        None => midnight(py, "end_date", &end)?,
    };
    PyTuple::new(py, [min, max])
}

/// One result row as the Trino client returns it: a list.
fn row<'py>(py: Python<'py>, values: Vec<Py<PyAny>>) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, values)
}

/// masu's `get_nodes_trino`, `get_pvcs_trino` and `get_projects_trino` for one source and day
/// range, as `{"nodes": [[node, resource_id, node_capacity_cpu_cores, node_role, arch], ...],
/// "pvcs": [[persistentvolume, persistentvolumeclaim, csi_volume_handle], ...],
/// "projects": [namespace, ...]}` (NULL as `None`; rows sorted, where Trino gives no order).
/// Reads the Parquet only; settings as `populate_daily_summary`'s.
#[pyfunction]
#[pyo3(signature = (
    source, start_date, end_date, *, schema, org=None, input=None,
    s3_endpoint=None, s3_access_key=None, s3_secret=None, s3_region=None, s3_path_style=None,
    threads=None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn cluster_information<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    start_date: &Bound<'py, PyAny>,
    end_date: &Bound<'py, PyAny>,
    schema: String,
    org: Option<String>,
    input: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key: Option<String>,
    s3_secret: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let read = read_settings(
        source,
        start_date,
        end_date,
        schema,
        org,
        input,
        s3_endpoint,
        s3_access_key,
        s3_secret,
        s3_region,
        s3_path_style,
        threads,
    )?;
    let queries = [
        ClusterQuery::Nodes,
        ClusterQuery::Pvcs,
        ClusterQuery::Projects,
    ];
    let info = run(py, read, &queries)?;
    let nodes = info
        .nodes
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            row(
                py,
                vec![
                    r.node.into_py_any(py)?,
                    r.resource_id.into_py_any(py)?,
                    r.node_capacity_cpu_cores.into_py_any(py)?,
                    r.node_role.into_py_any(py)?,
                    r.arch.into_py_any(py)?,
                ],
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    let pvcs = info
        .pvcs
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            row(
                py,
                vec![
                    r.persistentvolume.into_py_any(py)?,
                    r.persistentvolumeclaim.into_py_any(py)?,
                    r.csi_volume_handle.into_py_any(py)?,
                ],
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    let out = PyDict::new(py);
    out.set_item("nodes", PyList::new(py, nodes)?)?;
    out.set_item("pvcs", PyList::new(py, pvcs)?)?;
    out.set_item(
        "projects",
        PyList::new(py, info.projects.unwrap_or_default())?,
    )?;
    Ok(out)
}
