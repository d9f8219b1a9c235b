//! masu's cost-model calls that run Trino SQL (`OCPReportDBAccessor`), with masu's parameters:
//! `populate_vm_usage_costs`, `populate_monthly_cost_sql` (its `OCP_VM_CORE` cost type, the only
//! Trino one) and `populate_tag_based_costs`; and `update_cost_model_costs`, the Trino part of
//! `OCPCostModelCostUpdater.update_summary_cost_model_costs` with the rates read from the tenant's
//! cost model. The engine's `cost_model` module has the rules; each call writes its rows in one
//! transaction, its delete first.

use crate::cluster::read_settings;
use crate::py_error;
use crate::settings::required_database_url;
use ocp_summary_engine::cost_model::decimal::Dec;
use ocp_summary_engine::cost_model::rates::{RateValue, TagRate};
use ocp_summary_engine::cost_model::{self as cm, Call, TagDelete};
use ocp_summary_engine::plan::options::{DbOptions, RunOptions};
use ocp_summary_engine::plan::Plan;
use ocp_summary_engine::Error;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyList};

/// The settings every call shares.
pub(crate) struct Scope {
    pub(crate) schema: String,
    pub(crate) org: Option<String>,
    pub(crate) input: Option<String>,
    pub(crate) database_url: Option<String>,
    pub(crate) s3: [Option<String>; 4],
    pub(crate) s3_path_style: Option<bool>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn options(
    source: &Bound<'_, PyAny>,
    start_date: &Bound<'_, PyAny>,
    end_date: &Bound<'_, PyAny>,
    report_period_id: i32,
    cluster: (Option<String>, Option<String>),
    scope: Scope,
) -> PyResult<RunOptions> {
    let [s3_endpoint, s3_access_key, s3_secret, s3_region] = scope.s3;
    let read = read_settings(
        source,
        start_date,
        end_date,
        scope.schema.clone(),
        scope.org,
        scope.input,
        s3_endpoint,
        s3_access_key,
        s3_secret,
        s3_region,
        scope.s3_path_style,
        None,
    )?;
    // The VM calls take the cluster from the summary rows; the plan wants one all the same.
    let cluster_id = cluster.0.unwrap_or_else(|| "cost-model".into());
    Ok(RunOptions {
        cluster_alias: cluster.1.or_else(|| Some(cluster_id.clone())),
        cluster_id: Some(cluster_id),
        report_period_id: Some(report_period_id),
        db: DbOptions {
            database_url: Some(required_database_url(scope.database_url)?),
            schema: Some(scope.schema),
            ..Default::default()
        },
        ..read.options
    })
}

/// A rate as masu binds it: a float stays a float, anything else is its text.
fn rate_value(v: &Bound<'_, PyAny>) -> PyResult<RateValue> {
    if v.is_instance_of::<PyFloat>() {
        Ok(RateValue::Float(v.extract()?))
    } else {
        Ok(RateValue::Text(v.str()?.to_string()))
    }
}

fn run_calls<'py>(
    py: Python<'py>,
    opts: RunOptions,
    calls: Vec<Call>,
    tag_delete: TagDelete,
) -> PyResult<Bound<'py, PyDict>> {
    let written = py
        .detach(move || {
            let plan = Plan::from_options(&opts).map_err(|e| Error::options(format!("{e:#}")))?;
            cm::populate(&plan, &calls, tag_delete)
        })
        .map_err(py_error)?;
    written_dict(py, written)
}

/// `{call: [{"deleted", "inserted", "rtu_deleted", "rtu_inserted"}, ...]}`, a list entry per call
/// (`populate_vm_usage_costs` runs once per cost type).
fn written_dict<'py>(
    py: Python<'py>,
    written: Vec<(&'static str, cm::write::Written)>,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    for (call, w) in written {
        let d = PyDict::new(py);
        d.set_item("deleted", w.deleted)?;
        d.set_item("inserted", w.inserted)?;
        d.set_item("rtu_deleted", w.rtu_deleted)?;
        d.set_item("rtu_inserted", w.rtu_inserted)?;
        match out.get_item(call)? {
            Some(prev) => prev.cast::<PyList>()?.append(d)?,
            None => out.set_item(call, PyList::new(py, [d])?)?,
        }
    }
    Ok(out)
}

/// masu's `populate_vm_usage_costs(rate_type, vm_usage_rates, start_date, end_date,
/// provider_uuid, report_period_id)`: `hourly_cost_virtual_machine.sql` (and
/// `hourly_vm_core.sql`, which inserts nothing in Koku). Returns `{call: [{deleted, inserted}]}`.
#[pyfunction]
#[pyo3(signature = (
    rate_type, vm_usage_rates, start_date, end_date, provider_uuid, report_period_id, *, schema,
    org=None, input=None, database_url=None, s3_endpoint=None, s3_access_key=None, s3_secret=None,
    s3_region=None, s3_path_style=None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn populate_vm_usage_costs<'py>(
    py: Python<'py>,
    rate_type: String,
    vm_usage_rates: &Bound<'py, PyDict>,
    start_date: &Bound<'py, PyAny>,
    end_date: &Bound<'py, PyAny>,
    provider_uuid: &Bound<'py, PyAny>,
    report_period_id: i32,
    schema: String,
    org: Option<String>,
    input: Option<String>,
    database_url: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key: Option<String>,
    s3_secret: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
) -> PyResult<Bound<'py, PyDict>> {
    let rates = vm_usage_rates
        .iter()
        .map(|(k, v)| Ok((k.extract::<String>()?, rate_value(&v)?)))
        .collect::<PyResult<Vec<_>>>()?;
    let scope = Scope {
        schema,
        org,
        input,
        database_url,
        s3: [s3_endpoint, s3_access_key, s3_secret, s3_region],
        s3_path_style,
    };
    let opts = options(
        provider_uuid,
        start_date,
        end_date,
        report_period_id,
        (None, None),
        scope,
    )?;
    let rates = rates
        .into_iter()
        .map(|(m, r)| (m, r, Default::default()))
        .collect();
    let call = Call::VmUsage {
        rate_type,
        rates,
        path: cm::Path::Direct,
    };
    run_calls(py, opts, vec![call], TagDelete::None)
}

/// masu's `populate_monthly_cost_sql(cost_type, rate_type, rate, start_date, end_date,
/// distribution, provider_uuid)` for `cost_type="OCP_VM_CORE"` (`monthly_vm_core.sql`; `rate` is
/// masu's amortised daily rate). Deletes the range's `OCP_VM_CORE` rows first, as Koku does,
/// also when `rate` is None. The other cost types are PostgreSQL SQL in Koku: ValueError.
#[pyfunction]
#[pyo3(signature = (
    cost_type, rate_type, rate, start_date, end_date, distribution, provider_uuid, *,
    report_period_id, schema, org=None, input=None, database_url=None, s3_endpoint=None,
    s3_access_key=None, s3_secret=None, s3_region=None, s3_path_style=None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn populate_monthly_cost_sql<'py>(
    py: Python<'py>,
    cost_type: String,
    rate_type: Option<String>,
    rate: Option<&Bound<'py, PyAny>>,
    start_date: &Bound<'py, PyAny>,
    end_date: &Bound<'py, PyAny>,
    distribution: Option<String>,
    provider_uuid: &Bound<'py, PyAny>,
    report_period_id: i32,
    schema: String,
    org: Option<String>,
    input: Option<String>,
    database_url: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key: Option<String>,
    s3_secret: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
) -> PyResult<Bound<'py, PyDict>> {
    let _ = distribution; // monthly_vm_core.sql does not read it
    if cost_type != "OCP_VM_CORE" {
        return Err(PyValueError::new_err(format!(
            "cost type {cost_type:?} runs PostgreSQL SQL in Koku; only OCP_VM_CORE runs on Trino"
        )));
    }
    let amortized_rate = match rate {
        None => None,
        Some(r) if r.is_instance_of::<PyFloat>() => Dec::shortest(r.extract()?),
        Some(r) => {
            let text = r.str()?.to_string();
            Some(Dec::parse(&text).ok_or_else(|| PyValueError::new_err(format!("rate {text:?}")))?)
        }
    };
    let scope = Scope {
        schema,
        org,
        input,
        database_url,
        s3: [s3_endpoint, s3_access_key, s3_secret, s3_region],
        s3_path_style,
    };
    let opts = options(
        provider_uuid,
        start_date,
        end_date,
        report_period_id,
        (None, None),
        scope,
    )?;
    let call = Call::MonthlyVmCore {
        rate_type,
        amortized_rate,
    };
    run_calls(py, opts, vec![call], TagDelete::None)
}

fn tag_rate(d: &Bound<'_, PyAny>) -> PyResult<TagRate> {
    let d = d.cast::<PyDict>()?;
    let get = |k: &str| d.get_item(k);
    let value_rates = match get("value_rates")? {
        Some(v) if !v.is_none() => v
            .cast::<PyDict>()?
            .iter()
            .map(|(k, r)| Ok((k.str()?.to_string(), r.extract::<f64>()?)))
            .collect::<PyResult<Vec<_>>>()?,
        _ => Vec::new(),
    };
    Ok(TagRate {
        rate_type: get("rate_type")?
            .map(|v| v.extract())
            .transpose()?
            .unwrap_or_default(),
        tag_key: get("tag_key")?
            .map(|v| v.extract())
            .transpose()?
            .unwrap_or_default(),
        default_rate: get("default_rate")?
            .filter(|v| !v.is_none())
            .map(|v| v.extract())
            .transpose()?,
        value_rates,
        rtu: Default::default(),
    })
}

/// masu's `populate_tag_based_costs(start_date, end_date, provider_uuid,
/// metric_to_tag_params_map, cluster_params)`: its Trino files. Like masu's, it deletes nothing
/// (masu's `_delete_tag_usage_costs` runs before it).
#[pyfunction]
#[pyo3(signature = (
    start_date, end_date, provider_uuid, metric_to_tag_params_map, cluster_params, *,
    report_period_id, schema, org=None, input=None, database_url=None, s3_endpoint=None,
    s3_access_key=None, s3_secret=None, s3_region=None, s3_path_style=None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn populate_tag_based_costs<'py>(
    py: Python<'py>,
    start_date: &Bound<'py, PyAny>,
    end_date: &Bound<'py, PyAny>,
    provider_uuid: &Bound<'py, PyAny>,
    metric_to_tag_params_map: &Bound<'py, PyDict>,
    cluster_params: &Bound<'py, PyDict>,
    report_period_id: i32,
    schema: String,
    org: Option<String>,
    input: Option<String>,
    database_url: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key: Option<String>,
    s3_secret: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut map = Vec::new();
    for (metric, list) in metric_to_tag_params_map.iter() {
        let tags = list
            .try_iter()?
            .map(|d| tag_rate(&d?))
            .collect::<PyResult<Vec<_>>>()?;
        map.push((metric.extract::<String>()?, tags));
    }
    let text = |k: &str| -> PyResult<Option<String>> {
        cluster_params
            .get_item(k)?
            .filter(|v| !v.is_none())
            .map(|v| v.extract())
            .transpose()
    };
    let cluster = (text("cluster_id")?, text("cluster_alias")?);
    let scope = Scope {
        schema,
        org,
        input,
        database_url,
        s3: [s3_endpoint, s3_access_key, s3_secret, s3_region],
        s3_path_style,
    };
    let opts = options(
        provider_uuid,
        start_date,
        end_date,
        report_period_id,
        cluster,
        scope,
    )?;
    let call = Call::TagBased {
        map,
        path: cm::Path::Direct,
    };
    run_calls(py, opts, vec![call], TagDelete::None)
}

/// The Trino part of masu's `update_summary_cost_model_costs`, rates from the source's cost model
/// in `cost_model`/`cost_model_map`: the VM usage costs per cost type, the monthly VM-core cost,
/// and, when the model has tag rates, masu's tag delete and the tag based costs.
#[pyfunction]
#[pyo3(signature = (
    source, start_date, end_date, cluster_id, cluster_alias, report_period_id, *, schema,
    org=None, input=None, database_url=None, s3_endpoint=None, s3_access_key=None, s3_secret=None,
    s3_region=None, s3_path_style=None, rates_to_usage=false,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn update_cost_model_costs<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    start_date: &Bound<'py, PyAny>,
    end_date: &Bound<'py, PyAny>,
    cluster_id: String,
    cluster_alias: Option<String>,
    report_period_id: i32,
    schema: String,
    org: Option<String>,
    input: Option<String>,
    database_url: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key: Option<String>,
    s3_secret: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
    rates_to_usage: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let scope = Scope {
        schema,
        org,
        input,
        database_url,
        s3: [s3_endpoint, s3_access_key, s3_secret, s3_region],
        s3_path_style,
    };
    let cluster = (Some(cluster_id), cluster_alias);
    let opts = options(
        source,
        start_date,
        end_date,
        report_period_id,
        cluster,
        scope,
    )?;
    let written = py
        .detach(move || {
            let plan = Plan::from_options(&opts).map_err(|e| Error::options(format!("{e:#}")))?;
            let model = cm::cost_model_from_database(&plan)?;
            let days =
                ocp_summary_engine::value::date::days_in_month(plan.scope.year, plan.scope.month);
            let path = if rates_to_usage {
                cm::Path::Rtu
            } else {
                cm::Path::Direct
            };
            cm::populate(&plan, &cm::calls_for(&model, days, path), TagDelete::Masu)
        })
        .map_err(py_error)?;
    written_dict(py, written)
}
