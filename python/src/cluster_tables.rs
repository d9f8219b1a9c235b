//! masu's `populate_openshift_cluster_information_tables(provider, cluster_id, cluster_alias,
//! start_date, end_date)` without Trino: Koku's node, PVC and project queries over the Parquet,
//! written into `reporting_ocp_clusters`, `_nodes`, `_pvcs` and `_projects` with Koku's
//! get-or-create and update-if-empty rules, in one transaction (the engine's
//! `sink::postgres::cluster` has the rules).

use crate::cluster::read_settings;
use crate::py_error;
use crate::settings::required_database_url;
use ocp_summary_engine::cluster::populate_cluster_information as populate;
use ocp_summary_engine::plan::options::{DbOptions, RunOptions};
use ocp_summary_engine::plan::Plan;
use ocp_summary_engine::Error;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Writes the cluster tables for `source` from its daily Parquet rows between `start_date` and
/// `end_date`, as masu's `populate_openshift_cluster_information_tables` does, and returns what
/// changed: `{"clusters_created": 0|1, "clusters_updated", "clusters_deleted", "nodes_created",
/// "nodes_updated", "pvcs_created", "pvcs_updated", "projects_created", "skipped"}`. Settings
/// as `populate_daily_summary`'s.
#[pyfunction]
#[pyo3(signature = (
    source, cluster_id, cluster_alias, start_date, end_date, *, schema, org=None, input=None,
    database_url=None, s3_endpoint=None, s3_access_key=None, s3_secret=None, s3_region=None,
    s3_path_style=None, threads=None, db_connect_attempts=None, db_retries=None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn populate_cluster_information<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    cluster_id: String,
    cluster_alias: Option<String>,
    start_date: &Bound<'py, PyAny>,
    end_date: &Bound<'py, PyAny>,
    schema: String,
    org: Option<String>,
    input: Option<String>,
    database_url: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key: Option<String>,
    s3_secret: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
    threads: Option<usize>,
    db_connect_attempts: Option<u32>,
    db_retries: Option<u32>,
) -> PyResult<Bound<'py, PyDict>> {
    let read = read_settings(
        source,
        start_date,
        end_date,
        schema.clone(),
        org,
        input,
        s3_endpoint,
        s3_access_key,
        s3_secret,
        s3_region,
        s3_path_style,
        threads,
    )?;
    let database_url = required_database_url(database_url)?;
    let options = RunOptions {
        cluster_alias: cluster_alias.or_else(|| Some(cluster_id.clone())),
        cluster_id: Some(cluster_id),
        db: DbOptions {
            database_url: Some(database_url),
            schema: Some(schema),
            db_connect_attempts,
            db_retries,
        },
        // The plan wants one with a database; these tables are not scoped by it.
        report_period_id: Some(0),
        ..read.options
    };
    let counts = py
        .detach(move || {
            let plan =
                Plan::from_options(&options).map_err(|e| Error::options(format!("{e:#}")))?;
            populate(&plan)
        })
        .map_err(py_error)?;
    let out = PyDict::new(py);
    for (key, value) in [
        ("clusters_created", counts.clusters_created),
        ("clusters_updated", counts.clusters_updated),
        ("clusters_deleted", counts.clusters_deleted),
        ("nodes_created", counts.nodes_created),
        ("nodes_updated", counts.nodes_updated),
        ("pvcs_created", counts.pvcs_created),
        ("pvcs_updated", counts.pvcs_updated),
        ("projects_created", counts.projects_created),
        ("skipped", counts.skipped),
    ] {
        out.set_item(key, value)?;
    }
    Ok(out)
}
