//! `ocp_summary`: the ocp-summary engine as a Python module, for Koku's masu workers.
//!
//! [`populate::populate_daily_summary`] does what masu's Trino path does for one month of one
//! OpenShift source: it deletes the day range of `reporting_ocpusagelineitem_daily_summary` and
//! loads the new rows in one transaction (as `ocp-summary run --database-url` does), taking
//! masu's parameter names (`populate_line_item_daily_summary_table_trino(start_date, end_date,
//! report_period_id, cluster_id, cluster_alias, source)`) and returning the run report as a dict.
//! [`cluster::max_min_timestamp`] and [`cluster::cluster_information`] answer masu's
//! cluster-information reads (`get_max_min_timestamp_from_parquet`, `get_nodes_trino`,
//! `get_pvcs_trino`, `get_projects_trino`) in their return shapes, from the Parquet alone.
//! [`cluster_tables::populate_cluster_information`] is masu's
//! `populate_openshift_cluster_information_tables`: those reads, written into Koku's cluster tables.
//!
//! Every function reads the settings masu reads from the environment (`S3_*`, `DATABASE_*`)
//! unless keyword arguments give them ([`settings`]), releases the GIL while it works, and raises
//! one exception class per engine error kind, all subclasses of `OcpSummaryError`. Nothing is
//! cached between calls: every call builds its plan, store and connections and drops them before
//! returning.

mod cluster;
mod cluster_tables;
mod cost_model;
mod ocp_aws;
mod populate;
mod settings;
mod ui;

use ocp_summary_engine::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

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

#[pymodule]
fn ocp_summary(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(populate::populate_daily_summary, m)?)?;
    m.add_function(wrap_pyfunction!(cost_model::populate_vm_usage_costs, m)?)?;
    m.add_function(wrap_pyfunction!(cost_model::populate_monthly_cost_sql, m)?)?;
    m.add_function(wrap_pyfunction!(cost_model::populate_tag_based_costs, m)?)?;
    m.add_function(wrap_pyfunction!(cost_model::update_cost_model_costs, m)?)?;
    m.add_function(wrap_pyfunction!(
        ocp_aws::populate_ocp_on_aws_cost_daily_summary_trino,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(
        ocp_aws::get_ocp_infrastructure_map_trino,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(cluster::max_min_timestamp, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::cluster_information, m)?)?;
    m.add_function(wrap_pyfunction!(
        cluster_tables::populate_cluster_information,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(ui::populate_gpu_summary, m)?)?;
    m.add_function(wrap_pyfunction!(ui::populate_vm_tmp_table, m)?)?;
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
            "max_min_timestamp",
            "cluster_information",
            "populate_cluster_information",
            "populate_gpu_summary",
            "populate_vm_tmp_table",
            "populate_vm_usage_costs",
            "populate_monthly_cost_sql",
            "populate_tag_based_costs",
            "update_cost_model_costs",
            "populate_ocp_on_aws_cost_daily_summary_trino",
            "get_ocp_infrastructure_map_trino",
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
