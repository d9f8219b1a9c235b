//! `populate_daily_summary`: masu's `populate_line_item_daily_summary_table_trino`.

use crate::py_error;
use crate::settings::{
    database_url as database_url_setting, required_database_url, scoped_options, storage,
};
use ocp_summary_engine::plan::options::{DbOptions, RunOptions};
use ocp_summary_engine::plan::Plan;
use ocp_summary_engine::run::{self, Summary};
use ocp_summary_engine::Error;
use pyo3::prelude::*;

/// Computes Koku's OpenShift daily summary for one source and one month, and loads it.
///
/// Deletes the rows of `report_period_id` and the day range `start_date..=end_date`
/// from `<schema>.reporting_ocpusagelineitem_daily_summary` (except infrastructure raw cost, as
/// masu's `delete_all_except_infrastructure_raw_cost_from_daily_summary`) and loads the new rows,
/// in one transaction. Returns the run report (rows read and written, stage times) as a dict.
///
/// Settings come from keyword arguments, else from the environment variables masu reads; see
/// python/README.md. `output="csv:PATH"` / `"pgcopy:PATH"` writes a file instead of loading.
/// The cluster tables are masu's step before this one (`populate_cluster_information`), so they
/// are written here only with `cluster_tables=True`; the unallocated rows' roles are read from
/// `reporting_ocp_nodes`, and derived from the Parquet for nodes it lacks
/// (`derive_node_roles=False` turns that off).
#[pyfunction]
#[pyo3(signature = (
    start_date, end_date, report_period_id, cluster_id, cluster_alias, source, *,
    schema, org=None, input=None, database_url=None, output=None,
    s3_endpoint=None, s3_access_key=None, s3_secret=None, s3_region=None, s3_path_style=None,
    enabled_keys=None, cost_categories=None, node_roles=None, derive_node_roles=true,
    cluster_tables=false,
    threads=None, memory_limit=None, db_connect_attempts=None, db_retries=None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn populate_daily_summary(
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
    cluster_tables: bool,
    threads: Option<usize>,
    memory_limit: Option<String>,
    db_connect_attempts: Option<u32>,
    db_retries: Option<u32>,
) -> PyResult<Py<PyAny>> {
    let storage = storage(
        input,
        s3_endpoint,
        s3_access_key,
        s3_secret,
        s3_region,
        s3_path_style,
    )?;
    let (scoped, _, _) = scoped_options(source, start_date, end_date, &schema, org, storage)?;
    let to_file = output.as_deref().is_some_and(|o| o != "postgres");
    // A file output reads its lookups from a database only when one is configured; a load
    // always needs one (Koku's defaults apply when the DATABASE_* variables are partly set).
    let database_url = match to_file {
        true => database_url_setting(database_url),
        false => Some(required_database_url(database_url)?),
    };
    let options = RunOptions {
        cluster_alias: cluster_alias.or_else(|| Some(cluster_id.clone())),
        cluster_id: Some(cluster_id),
        report_period_id: Some(report_period_id),
        enabled_keys,
        cost_categories: cost_categories.unwrap_or_default(),
        node_roles: node_roles.unwrap_or_default(),
        no_derive_node_roles: !derive_node_roles,
        no_cluster_tables: !cluster_tables,
        db: DbOptions {
            database_url,
            schema: Some(schema),
            db_connect_attempts,
            db_retries,
        },
        output,
        threads,
        memory_limit,
        ..scoped
    };
    let report = py.detach(move || {
        let plan = Plan::from_options(&options).map_err(|e| Error::options(format!("{e:#}")))?;
        run::execute_with(&plan, Summary::Quiet).map(|r| r.json())
    });
    let json = report.map_err(py_error)?;
    Ok(py.import("json")?.call_method1("loads", (json,))?.unbind())
}
