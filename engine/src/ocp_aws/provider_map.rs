//! `trino_sql/aws/reporting_ocpinfrastructure_provider_map.sql`: which OpenShift sources run on
//! which AWS sources. masu asks this (`OCPReportDBAccessor.get_ocp_infrastructure_map_trino`)
//! before the OpenShift-on-AWS steps, to find the (OpenShift source, AWS source) pairs to run.
//!
//! The SQL: the distinct non-empty `lineitem_resourceid` of each AWS source's daily lines, and
//! the distinct non-empty `resource_id` of each OpenShift source's daily pod rows, both in the
//! month's partition with a start in `[start, end + 1 day)`; a pair of sources is returned when
//! `strpos(aws resource id, ocp resource id) != 0` for some pair of ids. Either side can be
//! narrowed to one source (`aws_provider_uuid`, `ocp_provider_uuid`).

use super::read::{for_each_file, text};
use crate::catalog::Catalog;
use crate::error::Error;
use crate::plan::columns::{ColumnKind, ColumnRequest};
use crate::plan::DecodeMode;
use crate::source::layout::Table;
use crate::source::threads::map_on_threads;
use crate::source::ObjectStore;
use crate::value::Day;
use std::collections::BTreeSet;

/// The query's parameters.
#[derive(Debug, Clone)]
pub struct MapQuery {
    pub org: String,
    pub year: i32,
    pub month: u32,
    /// First and last day, inclusive.
    pub days: (Day, Day),
    /// `ocp_provider_uuid`: only this OpenShift source.
    pub ocp_source: Option<String>,
    /// `aws_provider_uuid`: only this AWS source.
    pub aws_source: Option<String>,
    pub decode: DecodeMode,
}

/// One result row: `(ocp_uuid, infra_uuid, type)`, the type always `AWS` here.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InfraPair {
    pub ocp_source: String,
    pub infra_source: String,
}

impl InfraPair {
    pub const TYPE: &'static str = "AWS";
}

/// The sources with Parquet in the month's partition under `root`, or only `only`'s, sorted.
/// Only the partitions of the month are looked at: the sources are the folders under `root`
/// (one listing grouped at `/`), or the one masu names. Listing every source and month of the
/// org's table to keep the month's would cost a listing page per thousand objects, one round
/// trip after another on S3.
fn month_sources(
    store: &dyn ObjectStore,
    root: &str,
    year: i32,
    month: u32,
    only: &Option<String>,
) -> Result<Vec<String>, Error> {
    let candidates = match only {
        Some(source) if source.contains('/') => return Ok(Vec::new()),
        Some(source) => vec![source.clone()],
        None => store
            .list_folders(root)?
            .into_iter()
            .filter_map(|f| f.strip_prefix("source=").map(str::to_string))
            .collect(),
    };
    let has_month = |source: &String| {
        let partition = format!("{root}source={source}/year={year:04}/month={month:02}/");
        store.any_object_ending(&partition, ".parquet")
    };
    // The checks are a listing each, several in flight at once, so that on S3 they cost a
    // round trip or two whatever the number of sources.
    let found = map_on_threads(&candidates, CHECKS_AT_ONCE, has_month);
    let mut out = Vec::new();
    for (source, found) in candidates.into_iter().zip(found) {
        if found? {
            out.push(source);
        }
    }
    Ok(out)
}

/// Month checks in flight at once when the query is not narrowed to one source.
const CHECKS_AT_ONCE: usize = 16;

/// The distinct non-empty ids of column 1 of the `.parquet` files in `prefix`, where the
/// timestamp in column 0 falls in the query's days.
fn resource_ids(
    store: &dyn ObjectStore,
    prefix: &str,
    table: &str,
    columns: &[ColumnRequest],
    q: &MapQuery,
) -> Result<BTreeSet<String>, Error> {
    let catalog = Catalog::new(ocp_summary_kernels::labels::EnabledKeys::new(
        std::iter::empty::<&[u8]>(),
    ));
    let range = q.days.0.start_millis()..Day(q.days.1 .0 + 1).start_millis();
    let mut ids = BTreeSet::new();
    for_each_file(
        store,
        prefix,
        table,
        columns,
        q.decode,
        &catalog,
        |data, strings| {
            let c = &data.columns;
            for i in 0..data.num_rows {
                if c[0].valid.get(i) && range.contains(&c[0].i64s[i]) {
                    if let Some(id) = text(strings, &c[1], i).filter(|s| !s.is_empty()) {
                        ids.insert(id);
                    }
                }
            }
        },
    )?;
    Ok(ids)
}

const AWS_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("lineitem_usagestartdate", ColumnKind::Timestamp),
    ColumnRequest::required("lineitem_resourceid", ColumnKind::String),
];

const POD_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("resource_id", ColumnKind::String),
];

/// Runs the query: the OpenShift Parquet under `ocp_store`, the AWS Parquet under `aws_store`
/// (often the same root). Pairs sorted, distinct.
pub fn provider_map(
    ocp_store: &dyn ObjectStore,
    aws_store: &dyn ObjectStore,
    q: &MapQuery,
) -> Result<Vec<InfraPair>, Error> {
    let (org, year, month) = (q.org.as_str(), q.year, q.month);
    let pod_root = format!("data/parquet/daily/{org}/OCP/pod_usage/");
    let aws_root = format!("data/parquet/daily/{org}/AWS/raw/");
    let mut ocp = Vec::new();
    for source in month_sources(ocp_store, &pod_root, year, month, &q.ocp_source)? {
        let prefix = Table::POD_DAILY.partition_prefix(org, &source, year, month);
        let table = Table::POD_DAILY.to_string();
        ocp.push((
            source,
            resource_ids(ocp_store, &prefix, &table, POD_COLUMNS, q)?,
        ));
    }
    let mut out = BTreeSet::new();
    for source in month_sources(aws_store, &aws_root, year, month, &q.aws_source)? {
        let prefix = super::read::aws_prefix(org, &source, year, month, true);
        let ids = resource_ids(aws_store, &prefix, "aws_line_items_daily", AWS_COLUMNS, q)?;
        for (ocp_source, nodes) in &ocp {
            if ids
                .iter()
                .any(|a| nodes.iter().any(|n| a.contains(n.as_str())))
            {
                out.insert(InfraPair {
                    ocp_source: ocp_source.clone(),
                    infra_source: source.clone(),
                });
            }
        }
    }
    Ok(out.into_iter().collect())
}
