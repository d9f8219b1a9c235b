//! masu's `AWSReportDBAccessor.populate_ocp_on_aws_cost_daily_summary_trino` and the
//! `back_populate_ocp_infrastructure_costs` that `update_aws_summary_tables` runs after it, for
//! one chunk (masu calls both per chunk): the engine's `ocp_aws` module computes the rows of
//! `reporting_ocpawscostlineitem_project_daily_summary_p` and the back-populated rows of the daily
//! summary, and writes them in one transaction with Koku's deletes first.

use crate::cost_model::{options, Scope};
use crate::py_error;
use ocp_summary_engine::database::Target;
use ocp_summary_engine::ocp_aws::{self, write, Distribution, Params, SummaryInput};
use ocp_summary_engine::plan::Plan;
use ocp_summary_engine::Error;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// `populate_ocp_on_aws_cost_daily_summary_trino(start_date, end_date, openshift_provider_uuid,
/// aws_provider_uuid, report_period_id, bill_id)` with masu's `SummarySqlMetadata` parameters
/// (`cluster_id`, `markup_value`, `distribution`), then the back-populate. The enabled tag keys
/// come from the tenant's `reporting_enabledtagkeys`, the OpenShift daily summary from its
/// `reporting_ocpusagelineitem_daily_summary` (the rows `populate_daily_summary` wrote) unless
/// `summary` names a `run --output csv:` file. Returns `{project_deleted, project_inserted,
/// back_deleted, back_inserted}`.
#[pyfunction]
#[pyo3(signature = (
    start_date, end_date, openshift_provider_uuid, cluster_id, aws_provider_uuid,
    report_period_id, bill_id, markup_value=None, distribution=None, *, schema,
    cluster_alias=None, org=None, input=None, aws_input=None, summary=None, account_aliases=None,
    database_url=None, s3_endpoint=None, s3_access_key=None, s3_secret=None, s3_region=None,
    s3_path_style=None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn populate_ocp_on_aws_cost_daily_summary_trino<'py>(
    py: Python<'py>,
    start_date: &Bound<'py, PyAny>,
    end_date: &Bound<'py, PyAny>,
    openshift_provider_uuid: &Bound<'py, PyAny>,
    cluster_id: String,
    aws_provider_uuid: &Bound<'py, PyAny>,
    report_period_id: i32,
    bill_id: i64,
    markup_value: Option<&Bound<'py, PyAny>>,
    distribution: Option<String>,
    schema: String,
    cluster_alias: Option<String>,
    org: Option<String>,
    input: Option<String>,
    aws_input: Option<String>,
    summary: Option<std::path::PathBuf>,
    account_aliases: Option<&Bound<'py, PyDict>>,
    database_url: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key: Option<String>,
    s3_secret: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
) -> PyResult<Bound<'py, PyDict>> {
    let distribution = match distribution.as_deref() {
        None | Some("cpu") => Distribution::Cpu,
        Some("memory") => Distribution::Memory,
        Some(other) => {
            return Err(PyValueError::new_err(format!(
                "distribution {other:?}: expected 'cpu' or 'memory'"
            )))
        }
    };
    // masu binds the markup as it is (a Decimal or a float); None is 0.
    let markup = match markup_value {
        Some(v) if !v.is_none() => v.str()?.to_string(),
        _ => "0".to_string(),
    };
    let markup = ocp_aws::markup9(&markup).map_err(py_error)?;
    let aws_source = aws_provider_uuid.str()?.to_string();
    let aliases = match account_aliases {
        Some(d) => d
            .iter()
            .map(|(k, v)| Ok((k.extract::<String>()?, v.extract::<i64>()?)))
            .collect::<PyResult<Vec<_>>>()?,
        None => Vec::new(),
    };
    let aws_input = aws_input.or_else(|| input.clone());
    let scope = Scope {
        schema,
        org,
        input,
        database_url,
        s3: [s3_endpoint, s3_access_key, s3_secret, s3_region],
        s3_path_style,
    };
    let opts = options(
        openshift_provider_uuid,
        start_date,
        end_date,
        report_period_id,
        (Some(cluster_id), cluster_alias),
        scope,
    )?;
    let written = py
        .detach(move || -> Result<write::Written, Error> {
            let plan = Plan::from_options(&opts).map_err(|e| Error::options(format!("{e:#}")))?;
            let spec = plan
                .db
                .as_ref()
                .ok_or_else(|| Error::options("a database_url is needed"))?;
            let target = Target::new(spec)?;
            let scope = &plan.scope;
            let params = Params {
                ocp_source: plan.constants.source_uuid.clone(),
                aws_source,
                year: scope.year,
                month: scope.month,
                chunks: vec![(scope.start, scope.end)],
                cluster_id: plan.constants.cluster_id.clone(),
                cluster_alias: Some(plan.constants.cluster_alias.clone()),
                report_period_id: i64::from(report_period_id),
                bill_id,
                markup,
                distribution,
                aws_keys: write::enabled_keys(&target, "AWS")?,
                ocp_keys: write::enabled_keys(&target, "OCP")?,
                account_aliases: aliases,
            };
            let aws_input = aws_input.unwrap_or_else(|| scope.input.clone());
            let summary = match &summary {
                Some(path) => SummaryInput::Csv(path),
                None => SummaryInput::Database,
            };
            let mut sink = write::DbSink::new(&target, &params)?;
            ocp_aws::run_chunks(&plan, &aws_input, summary, &params, &mut sink)?;
            let total = sink.total();
            Ok(total)
        })
        .map_err(py_error)?;
    let out = PyDict::new(py);
    out.set_item("project_deleted", written.project_deleted)?;
    out.set_item("project_inserted", written.project_inserted)?;
    out.set_item("back_deleted", written.back_deleted)?;
    out.set_item("back_inserted", written.back_inserted)?;
    Ok(out)
}

/// masu's `OCPReportDBAccessor.get_ocp_infrastructure_map_trino(start_date, end_date,
/// ocp_provider_uuid=None, aws_provider_uuid=None)` for AWS
/// (`trino_sql/aws/reporting_ocpinfrastructure_provider_map.sql`): `{ocp_uuid: (infra_uuid,
/// "AWS")}`. When one OpenShift source matches several AWS sources, masu's dict keeps the last
/// of Trino's unordered rows; here the rows are sorted, so it keeps the largest AWS uuid.
#[pyfunction]
#[pyo3(signature = (
    start_date, end_date, ocp_provider_uuid=None, aws_provider_uuid=None, *, schema, org=None,
    input=None, aws_input=None, s3_endpoint=None, s3_access_key=None, s3_secret=None,
    s3_region=None, s3_path_style=None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn get_ocp_infrastructure_map_trino<'py>(
    py: Python<'py>,
    start_date: &Bound<'py, PyAny>,
    end_date: &Bound<'py, PyAny>,
    ocp_provider_uuid: Option<&Bound<'py, PyAny>>,
    aws_provider_uuid: Option<&Bound<'py, PyAny>>,
    schema: String,
    org: Option<String>,
    input: Option<String>,
    aws_input: Option<String>,
    s3_endpoint: Option<String>,
    s3_access_key: Option<String>,
    s3_secret: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
) -> PyResult<Bound<'py, PyDict>> {
    use ocp_summary_engine::ocp_aws::provider_map::{provider_map, InfraPair, MapQuery};
    let text = |v: Option<&Bound<'py, PyAny>>| -> PyResult<Option<String>> {
        v.filter(|v| !v.is_none())
            .map(|v| Ok(v.str()?.to_string()))
            .transpose()
    };
    let ocp_source = text(ocp_provider_uuid)?;
    let aws_source = text(aws_provider_uuid)?;
    let aws_input = aws_input.or_else(|| input.clone());
    // The plan needs a source; the query reads every source unless `ocp_provider_uuid` names one.
    let any_source = pyo3::types::PyString::new(py, ocp_source.as_deref().unwrap_or("any"));
    let read = crate::cluster::read_settings(
        any_source.as_any(),
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
        None,
    )?;
    let options = read.options;
    let pairs = py
        .detach(move || -> Result<Vec<InfraPair>, Error> {
            let plan =
                Plan::from_options(&options).map_err(|e| Error::options(format!("{e:#}")))?;
            let open = |input: &str| {
                ocp_summary_engine::source::open(input, &plan.s3)
                    .map_err(|e| Error::options(e.to_string()))
            };
            let ocp_store = open(&plan.scope.input)?;
            let aws_store = open(aws_input.as_deref().unwrap_or(&plan.scope.input))?;
            let query = MapQuery {
                org: plan.scope.org.clone(),
                year: plan.scope.year,
                month: plan.scope.month,
                days: (plan.scope.start, plan.scope.end),
                ocp_source,
                aws_source,
                decode: plan.switches.decode,
            };
            provider_map(ocp_store.as_ref(), aws_store.as_ref(), &query)
        })
        .map_err(py_error)?;
    let out = PyDict::new(py);
    for p in pairs {
        out.set_item(p.ocp_source, (p.infra_source, InfraPair::TYPE))?;
    }
    Ok(out)
}
