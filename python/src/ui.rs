//! masu's UI-summary steps that still call Trino (`OCPReportDBAccessor.populate_ui_summary_tables`):
//! `_populate_gpu_ui_summary_table_with_usage_only` and the Trino insert of
//! `_populate_virtualization_ui_summary_table`. The engine's `ui` module has the rules.

use crate::cluster::read_settings;
use crate::py_error;
use crate::settings::required_database_url;
use ocp_summary_engine::plan::options::{DbOptions, RunOptions};
use ocp_summary_engine::plan::Plan;
use ocp_summary_engine::sink::GpuWritten;
use ocp_summary_engine::{run, ui, Error};
use pyo3::prelude::*;

/// The plan of one UI step: masu's source and range, the tenant schema and its database.
#[allow(clippy::too_many_arguments)]
fn options(
    source: &Bound<'_, PyAny>,
    start_date: &Bound<'_, PyAny>,
    end_date: &Bound<'_, PyAny>,
    cluster_id: Option<String>,
    cluster_alias: Option<String>,
    schema: String,
    org: Option<String>,
    input: Option<String>,
    database_url: Option<String>,
    s3: [Option<String>; 4],
    s3_path_style: Option<bool>,
) -> PyResult<RunOptions> {
    let [s3_endpoint, s3_access_key, s3_secret, s3_region] = s3;
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
        None,
    )?;
    let cluster_id = cluster_id.unwrap_or_else(|| "ui-summary".into());
    Ok(RunOptions {
        cluster_alias: cluster_alias.or_else(|| Some(cluster_id.clone())),
        cluster_id: Some(cluster_id),
        db: DbOptions {
            database_url: Some(required_database_url(database_url)?),
            schema: Some(schema),
            ..Default::default()
        },
        // The plan wants one with a database; these steps are not scoped by it.
        report_period_id: Some(0),
        ..read.options
    })
}

/// masu's `_populate_gpu_ui_summary_table_with_usage_only`: replaces the source's rows of the
/// range in `reporting_ocp_gpu_summary_p` with the usage-only GPU rows, unless the source's cost
/// model prices GPUs. Returns `{"rows": N}`, `{"skipped": "cost model prices GPUs"}` or
/// `{"skipped": "no GPU report"}`.
#[pyfunction]
#[pyo3(signature = (
    source, start_date, end_date, cluster_id, cluster_alias, *, schema, org=None, input=None,
    database_url=None, s3_endpoint=None, s3_access_key=None, s3_secret=None, s3_region=None,
    s3_path_style=None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn populate_gpu_summary<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    start_date: &Bound<'py, PyAny>,
    end_date: &Bound<'py, PyAny>,
    cluster_id: String,
    cluster_alias: Option<String>,
    schema: String,
    org: Option<String>,
    input: Option<String>,
    database_url: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key: Option<String>,
    s3_secret: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let opts = options(
        source,
        start_date,
        end_date,
        Some(cluster_id),
        cluster_alias,
        schema,
        org,
        input,
        database_url,
        [s3_endpoint, s3_access_key, s3_secret, s3_region],
        s3_path_style,
    )?;
    let written = py
        .detach(move || {
            let plan = Plan::from_options(&opts).map_err(|e| Error::options(format!("{e:#}")))?;
            let lookups = run::resolve_lookups(&plan)?;
            ui::populate_gpu_summary(&plan, &lookups)
        })
        .map_err(py_error)?;
    let out = pyo3::types::PyDict::new(py);
    match written {
        Some(GpuWritten::Rows(n)) => out.set_item("rows", n)?,
        Some(GpuWritten::CostModelPricesGpus) => {
            out.set_item("skipped", "cost model prices GPUs")?
        }
        None => out.set_item("skipped", "no GPU report")?,
    }
    Ok(out)
}

/// masu's Trino insert of `_populate_virtualization_ui_summary_table`: fills `table_name` (the
/// `tmp_virt_<uuid>` masu created in `schema`) with the VM rows Koku's
/// `populate_vm_tmp_table[_with_vm_report].sql` gives. Returns the rows inserted.
#[pyfunction]
#[pyo3(signature = (
    table_name, source, start_date, end_date, *, schema, org=None, input=None,
    database_url=None, s3_endpoint=None, s3_access_key=None, s3_secret=None, s3_region=None,
    s3_path_style=None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn populate_vm_tmp_table(
    py: Python<'_>,
    table_name: String,
    source: &Bound<'_, PyAny>,
    start_date: &Bound<'_, PyAny>,
    end_date: &Bound<'_, PyAny>,
    schema: String,
    org: Option<String>,
    input: Option<String>,
    database_url: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key: Option<String>,
    s3_secret: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
) -> PyResult<u64> {
    let opts = options(
        source,
        start_date,
        end_date,
        None,
        None,
        schema,
        org,
        input,
        database_url,
        [s3_endpoint, s3_access_key, s3_secret, s3_region],
        s3_path_style,
    )?;
    py.detach(move || {
        let plan = Plan::from_options(&opts).map_err(|e| Error::options(format!("{e:#}")))?;
        ui::populate_vm_tmp_table(&plan, &table_name)
    })
    .map_err(py_error)
}
