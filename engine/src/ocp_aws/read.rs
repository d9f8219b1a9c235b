//! The Parquet inputs, through the engine's page kernels:
//!
//! * `aws_line_items_daily` (`data/parquet/daily/ORG/AWS/raw/source=…/year=…/month=…/`): every
//!   column steps 1–2 read (`1_resource_matching_by_cluster.sql`'s SELECT list);
//! * `aws_line_items` (hourly, `data/parquet/ORG/AWS/source=…/`): resource id, start, unblended
//!   cost and rate, for step 2's disk capacities (`calculated_capacity`);
//! * the OpenShift daily pod rows (nodes, resource ids, namespaces: step 1's
//!   `cte_array_agg_nodes`, `ocp_special_matched_tags.sql`) and storage rows (PV names and CSI
//!   handles: `cte_array_agg_volumes`, and the summary's `csi_volume_handle` when the summary CSV
//!   lacks it).
//!
//! The AWS timestamps are `TIMESTAMP(MILLIS, isAdjustedToUTC=true)`; the column resolver reads
//! the instant as stored, so days are UTC days, as the oracle's `SET TimeZone='UTC'`.

use super::{AwsLine, DayKey, OcpDaily};
use crate::catalog::{id_text, Catalog};
use crate::cluster::SequentialReader;
use crate::decode::rowgroup::{read_row_group, ColumnData, ColumnPlan, RowGroupData};
use crate::decode::strings::StringMode;
use crate::decode::DecodeStats;
use crate::error::{Error, InputError};
use crate::plan::columns::{resolve, ColumnKind, ColumnRequest};
use crate::plan::inputs::FooterCache;
use crate::plan::{DecodeMode, Plan};
use crate::source::footer::{read_metadata, FooterError};
use crate::source::layout::Table;
use crate::source::ObjectStore;
use crate::value::Day;
use ocp_summary_kernels::shared_intern::SharedInterner;
use std::collections::{BTreeMap, HashMap};

const AWS_DAILY_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("row_uuid", ColumnKind::String),
    ColumnRequest::required("lineitem_resourceid", ColumnKind::String),
    ColumnRequest::required("lineitem_usagestartdate", ColumnKind::Timestamp),
    ColumnRequest::required("bill_billingentity", ColumnKind::String),
    ColumnRequest::required("product_productname", ColumnKind::String),
    ColumnRequest::required("lineitem_productcode", ColumnKind::String),
    ColumnRequest::required("lineitem_usageaccountid", ColumnKind::String),
    ColumnRequest::required("lineitem_availabilityzone", ColumnKind::String),
    ColumnRequest::required("product_productfamily", ColumnKind::String),
    ColumnRequest::required("product_instancetype", ColumnKind::String),
    ColumnRequest::required("product_region", ColumnKind::String),
    ColumnRequest::required("pricing_unit", ColumnKind::String),
    ColumnRequest::required("resourcetags", ColumnKind::String),
    ColumnRequest::required("costcategory", ColumnKind::String),
    ColumnRequest::required("lineitem_usageamount", ColumnKind::Double),
    ColumnRequest::required("lineitem_usagetype", ColumnKind::String),
    ColumnRequest::required("lineitem_operation", ColumnKind::String),
    ColumnRequest::required("lineitem_currencycode", ColumnKind::String),
    ColumnRequest::required("lineitem_lineitemtype", ColumnKind::String),
    ColumnRequest::required("lineitem_unblendedcost", ColumnKind::Double),
    ColumnRequest::required("lineitem_blendedcost", ColumnKind::Double),
    ColumnRequest::required("savingsplan_savingsplaneffectivecost", ColumnKind::Double),
];

const AWS_HOURLY_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("lineitem_resourceid", ColumnKind::String),
    ColumnRequest::required("lineitem_usagestartdate", ColumnKind::Timestamp),
    ColumnRequest::required("lineitem_unblendedcost", ColumnKind::Double),
    ColumnRequest::required("lineitem_unblendedrate", ColumnKind::Double),
];

const POD_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    ColumnRequest::required("namespace", ColumnKind::String),
    ColumnRequest::required("node", ColumnKind::String),
    ColumnRequest::required("resource_id", ColumnKind::String),
];

const STORAGE_COLUMNS: &[ColumnRequest] = &[
    ColumnRequest::required("interval_start", ColumnKind::Timestamp),
    // Only for the CSI lookup of a summary CSV without the column (NULL when absent).
    ColumnRequest::optional("namespace", ColumnKind::String),
    ColumnRequest::optional("persistentvolumeclaim", ColumnKind::String),
    ColumnRequest::required("persistentvolume", ColumnKind::String),
    // Older operator reports have no CSI column; Trino reads it as NULL.
    ColumnRequest::optional("csi_volume_handle", ColumnKind::String),
];

/// Koku's AWS partition folder (`get_path_prefix`): daily files under `daily/…/AWS/raw/`.
pub fn aws_prefix(org: &str, source: &str, year: i32, month: u32, daily: bool) -> String {
    let (head, tail) = if daily { ("daily/", "/raw") } else { ("", "") };
    format!("data/parquet/{head}{org}/AWS{tail}/source={source}/year={year:04}/month={month:02}/")
}

/// Calls `f` with every row group of the `.parquet` files directly in `prefix`, in key order.
pub(super) fn for_each_file(
    store: &dyn ObjectStore,
    prefix: &str,
    table: &str,
    columns: &[ColumnRequest],
    decode: DecodeMode,
    catalog: &Catalog,
    mut f: impl FnMut(&RowGroupData, &SharedInterner),
) -> Result<(), Error> {
    let mut objects: Vec<_> = store
        .list(prefix)?
        .into_iter()
        .filter(|o| {
            o.key.ends_with(".parquet")
                && o.key
                    .strip_prefix(prefix)
                    .is_some_and(|name| !name.contains('/'))
        })
        .collect();
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    let mut data = RowGroupData::default();
    let mut stats = DecodeStats::default();
    for object in objects {
        let location = store.describe(&object.key);
        let metadata = read_metadata(store, &object).map_err(|e| match e {
            FooterError::Source(s) => Error::from(s),
            cause => Error::from(InputError::Footer {
                table: Some(table.to_string()),
                cause,
            }),
        })?;
        let resolved = resolve(metadata.file_metadata().schema_descr(), columns).map_err(|e| {
            InputError::Schema {
                object: location.clone(),
                message: e.to_string(),
            }
        })?;
        let plans: Vec<ColumnPlan> = resolved
            .iter()
            .map(|r| ColumnPlan {
                resolved: *r,
                string_mode: StringMode::Interned,
                decode,
            })
            .collect();
        for rg in 0..metadata.num_row_groups() {
            read_row_group(
                store,
                &object.key,
                object.size,
                metadata.row_group(rg),
                &plans,
                catalog,
                &mut data,
                &mut stats,
            )
            .map_err(|e| {
                e.at(&location, rg, |i| {
                    plans[i].resolved.request.name.to_string()
                })
            })?;
            f(&data, catalog.strings());
        }
    }
    Ok(())
}

pub(super) fn text(strings: &SharedInterner, c: &ColumnData, i: usize) -> Option<String> {
    id_text(strings, c.ids[i])
}

fn num(c: &ColumnData, i: usize) -> Option<f64> {
    c.valid.get(i).then_some(c.f64s[i])
}

/// The AWS source's month: the daily lines with a start in `days` (inclusive), and the hourly
/// (resource id, day) → (`max(lineitem_unblendedcost)`, `max(lineitem_unblendedrate)`).
pub struct AwsInput {
    pub lines: Vec<AwsLine>,
    pub hourly: HashMap<(String, Day), (Option<f64>, Option<f64>)>,
}

/// Reads the AWS Parquet of `source` for the plan's month from `input`.
pub fn read_aws(
    plan: &Plan,
    input: &str,
    source: &str,
    days: (Day, Day),
) -> Result<AwsInput, Error> {
    let store = crate::source::open(input, &plan.s3).map_err(|e| Error::options(e.to_string()))?;
    let catalog = Catalog::new(ocp_summary_kernels::labels::EnabledKeys::new(
        std::iter::empty::<&[u8]>(),
    ));
    let (org, year, month) = (&plan.scope.org, plan.scope.year, plan.scope.month);
    let range = days.0.start_millis()..Day(days.1 .0 + 1).start_millis();
    let mut lines = Vec::new();
    let daily = aws_prefix(org, source, year, month, true);
    for_each_file(
        store.as_ref(),
        &daily,
        "aws_line_items_daily",
        AWS_DAILY_COLUMNS,
        plan.switches.decode,
        &catalog,
        |data, strings| {
            let c = &data.columns;
            for i in 0..data.num_rows {
                if !c[2].valid.get(i) || !range.contains(&c[2].i64s[i]) {
                    continue;
                }
                let t = |k: usize| text(strings, &c[k], i);
                lines.push(AwsLine {
                    row_uuid: t(0),
                    resource_id: t(1),
                    start_ms: c[2].i64s[i],
                    billing_entity: t(3),
                    product_name: t(4),
                    product_code: t(5),
                    account: t(6),
                    zone: t(7),
                    family: t(8),
                    instance_type: t(9),
                    region: t(10),
                    unit: t(11),
                    resourcetags: t(12),
                    costcategory: t(13),
                    usage_amount: num(&c[14], i),
                    usage_type: t(15),
                    operation: t(16),
                    currency: t(17),
                    line_type: t(18),
                    unblended: num(&c[19], i),
                    blended: num(&c[20], i),
                    sp_effective: num(&c[21], i),
                });
            }
        },
    )?;
    let mut hourly: HashMap<(String, Day), (Option<f64>, Option<f64>)> = HashMap::new();
    let hourly_prefix = aws_prefix(org, source, year, month, false);
    for_each_file(
        store.as_ref(),
        &hourly_prefix,
        "aws_line_items",
        AWS_HOURLY_COLUMNS,
        plan.switches.decode,
        &catalog,
        |data, strings| {
            let c = &data.columns;
            for i in 0..data.num_rows {
                let (Some(id), true) = (text(strings, &c[0], i), c[1].valid.get(i)) else {
                    continue;
                };
                let acc = hourly
                    .entry((id, Day::of_millis(c[1].i64s[i])))
                    .or_default();
                super::sql::max_f64(&mut acc.0, num(&c[2], i));
                super::sql::max_f64(&mut acc.1, num(&c[3], i));
            }
        },
    )?;
    Ok(AwsInput { lines, hourly })
}

/// Reads the OpenShift daily pod and storage rows of the plan's range.
pub fn read_ocp(plan: &Plan) -> Result<OcpDaily, Error> {
    let store = crate::source::open(&plan.scope.input, &plan.s3)
        .map_err(|e| Error::options(e.to_string()))?;
    let footers = FooterCache::default();
    let catalog = Catalog::new(ocp_summary_kernels::labels::EnabledKeys::new(
        std::iter::empty::<&[u8]>(),
    ));
    let reader = SequentialReader {
        store: store.as_ref(),
        footers: &footers,
        plan,
        catalog: &catalog,
    };
    let range = plan.scope.millis_range();
    let strings = catalog.strings();
    let mut out = OcpDaily::default();
    reader.for_each(Table::POD_DAILY, POD_COLUMNS, &range, |data| {
        let c = &data.columns;
        for i in 0..data.num_rows {
            if !c[0].valid.get(i) || !range.contains(&c[0].i64s[i]) {
                continue;
            }
            out.pods.push((
                Day::of_millis(c[0].i64s[i]),
                text(strings, &c[1], i),
                text(strings, &c[2], i),
                text(strings, &c[3], i),
            ));
        }
    })?;
    let mut handles: BTreeMap<DayKey, Option<String>> = BTreeMap::new();
    reader.for_each(Table::STORAGE_DAILY, STORAGE_COLUMNS, &range, |data| {
        let c = &data.columns;
        for i in 0..data.num_rows {
            if !c[0].valid.get(i) || !range.contains(&c[0].i64s[i]) {
                continue;
            }
            let day = Day::of_millis(c[0].i64s[i]);
            let pv = text(strings, &c[3], i);
            let csi = text(strings, &c[4], i);
            let key = (
                day,
                text(strings, &c[1], i),
                text(strings, &c[2], i),
                pv.clone(),
            );
            super::sql::max_text(handles.entry(key).or_default(), csi.as_deref());
            out.volumes.push((day, pv, csi));
        }
    })?;
    out.pods.sort();
    out.pods.dedup();
    out.volumes.sort();
    out.volumes.dedup();
    out.handles = handles;
    Ok(out)
}
