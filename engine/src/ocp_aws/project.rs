//! Step 3 and the back-populate, per chunk:
//!
//! * `3_reporting_ocpawscostlineitem_project_daily_summary_p.sql`: the chunk's managed rows
//!   grouped by day and every descriptive column, tags filtered to `vm_kubevirt_io_name` + the keys
//!   enabled for AWS or OCP (`{}` for every row when no key is enabled: `array[...] || NULL`),
//!   costs and usage summed, data in/out split by direction;
//! * `sql/aws/openshift/reporting_ocpaws_ocp_infrastructure_back_populate.sql` (PostgreSQL): the
//!   chunk's project rows of the report period's cluster grouped back into OpenShift daily-summary
//!   rows carrying `infrastructure_raw_cost = Σ (amortized cost + its markup)`.

use super::json::{canonical, filter_json};
use super::split::ManagedRow;
use super::sql::{max_i64, max_text, op, sum_f64};
use super::{Chunk, Params};
use crate::error::Error;
use crate::value::Day;
use std::collections::BTreeMap;

/// One row of `reporting_ocpawscostlineitem_project_daily_summary_p` (all columns but `uuid`).
#[derive(Debug, Clone, Default)]
pub struct ProjectRow {
    pub report_period_id: i64,
    pub cluster_id: Option<String>,
    pub cluster_alias: Option<String>,
    pub data_source: Option<String>,
    pub namespace: Option<String>,
    pub node: Option<String>,
    pub pvc: Option<String>,
    pub pv: Option<String>,
    pub storageclass: Option<String>,
    pub resource_id: Option<String>,
    pub day: Day,
    pub product_code: Option<String>,
    pub product_family: Option<String>,
    pub instance_type: Option<String>,
    pub bill_id: i64,
    pub account: Option<String>,
    pub account_alias_id: Option<i64>,
    pub zone: Option<String>,
    pub region: Option<String>,
    pub unit: Option<String>,
    pub usage_amount: Option<f64>,
    pub data_in: Option<f64>,
    pub data_out: Option<f64>,
    pub direction: Option<String>,
    pub currency: Option<String>,
    pub unblended: Option<f64>,
    pub markup: Option<f64>,
    pub blended: Option<f64>,
    pub markup_blended: Option<f64>,
    pub sp_effective: Option<f64>,
    pub markup_sp: Option<f64>,
    pub amortized: Option<f64>,
    pub markup_amortized: Option<f64>,
    /// `enabled_tags`, which step 3 writes to both `pod_labels` and `tags`.
    pub tags: Option<String>,
    pub cost_category: Option<String>,
    pub cost_category_id: Option<i64>,
    pub source_uuid: String,
}

/// Step 3's GROUP BY: the day, the text columns, `cost_category_id`.
type GroupKey = (Day, Vec<Option<String>>, Option<i64>);

/// The keys step 3 keeps: NULL without any enabled key (then every tag map becomes `{}`).
fn pg_keys(p: &Params) -> Option<Vec<String>> {
    let mut keys: Vec<String> = p.aws_keys.iter().chain(&p.ocp_keys).cloned().collect();
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        return None;
    }
    keys.insert(0, "vm_kubevirt_io_name".into());
    Some(keys)
}

fn is_dir(direction: Option<&str>, want: &str) -> bool {
    direction.is_some_and(|d| d.to_uppercase() == want)
}

/// Step 3 over one chunk's managed rows.
pub fn step3(p: &Params, managed: &[ManagedRow]) -> Result<Vec<ProjectRow>, Error> {
    let keys = pg_keys(p);
    let mut groups: BTreeMap<GroupKey, ProjectRow> = BTreeMap::new();
    for r in managed {
        let tags = filter_json(r.tags.as_deref(), keys.as_deref())?;
        let category = canonical(r.cost_category.as_deref())?;
        let direction = r.direction.map(str::to_string);
        let key = (
            r.day,
            vec![
                r.cluster_id.clone(),
                r.data_source.clone(),
                r.namespace.clone(),
                r.node.clone(),
                r.pvc.clone(),
                r.pv.clone(),
                r.storageclass.clone(),
                r.resource_id.clone(),
                r.product_code.clone(),
                r.product_family.clone(),
                r.instance_type.clone(),
                r.account.clone(),
                r.zone.clone(),
                r.region.clone(),
                r.unit.clone(),
                direction.clone(),
                r.currency.clone(),
                tags.clone(),
                category.clone(),
            ],
            r.cost_category_id,
        );
        let g = groups.entry(key).or_insert_with(|| ProjectRow {
            report_period_id: p.report_period_id,
            cluster_id: r.cluster_id.clone(),
            data_source: r.data_source.clone(),
            namespace: r.namespace.clone(),
            node: r.node.clone(),
            pvc: r.pvc.clone(),
            pv: r.pv.clone(),
            storageclass: r.storageclass.clone(),
            resource_id: r.resource_id.clone(),
            day: r.day,
            product_code: r.product_code.clone(),
            product_family: r.product_family.clone(),
            instance_type: r.instance_type.clone(),
            bill_id: p.bill_id,
            account: r.account.clone(),
            zone: r.zone.clone(),
            region: r.region.clone(),
            unit: r.unit.clone(),
            direction,
            currency: r.currency.clone(),
            tags,
            cost_category: category,
            cost_category_id: r.cost_category_id,
            source_uuid: p.aws_source.to_lowercase(),
            ..ProjectRow::default()
        });
        max_text(&mut g.cluster_alias, r.cluster_alias.as_deref());
        max_i64(&mut g.account_alias_id, r.account_alias_id);
        sum_f64(&mut g.usage_amount, r.usage_amount);
        let split = |want: &str| {
            if is_dir(r.direction, want) {
                r.usage_amount
            } else {
                Some(0.0)
            }
        };
        sum_f64(&mut g.data_in, split("IN"));
        sum_f64(&mut g.data_out, split("OUT"));
        sum_f64(&mut g.unblended, r.unblended);
        sum_f64(&mut g.markup, r.markup);
        sum_f64(&mut g.blended, r.blended);
        sum_f64(&mut g.markup_blended, r.markup_blended);
        sum_f64(&mut g.sp_effective, r.sp_effective);
        sum_f64(&mut g.markup_sp, r.markup_sp);
        sum_f64(&mut g.amortized, r.amortized);
        sum_f64(&mut g.markup_amortized, r.markup_amortized);
    }
    Ok(groups.into_values().collect())
}

/// One row the back-populate inserts into `reporting_ocpusagelineitem_daily_summary` (the
/// columns it sets; every usage column is the constant 0).
#[derive(Debug, Clone, Default)]
pub struct BackRow {
    pub report_period_id: i64,
    pub day: Day,
    pub cluster_id: Option<String>,
    pub cluster_alias: Option<String>,
    pub namespace: Option<String>,
    pub data_source: Option<String>,
    pub node: Option<String>,
    pub pvc: Option<String>,
    pub pv: Option<String>,
    pub storageclass: Option<String>,
    pub resource_id: Option<String>,
    pub pod_labels: Option<String>,
    pub volume_labels: Option<String>,
    pub all_labels: Option<String>,
    pub source_uuid: String,
    pub infrastructure_raw_cost: Option<f64>,
    pub data_in: Option<f64>,
    pub data_out: Option<f64>,
    pub raw_currency: Option<String>,
    pub cost_category_id: Option<i64>,
    direction: Option<String>,
}

/// The back-populate over the chunk's project rows.
pub fn back_populate(p: &Params, chunk: &Chunk, project: &[ProjectRow]) -> Vec<BackRow> {
    let mut groups: BTreeMap<(Day, Vec<Option<String>>), BackRow> = BTreeMap::new();
    for r in project {
        // JOIN reporting_ocpusagereportperiod: the period's cluster and month.
        if r.cluster_id.as_deref() != Some(p.cluster_id.as_str())
            || !chunk.contains(r.day)
            || r.report_period_id != p.report_period_id
        {
            continue;
        }
        let key = (
            r.day,
            vec![
                r.cluster_id.clone(),
                r.cluster_alias.clone(),
                r.namespace.clone(),
                r.data_source.clone(),
                r.node.clone(),
                r.pvc.clone(),
                r.resource_id.clone(),
                r.tags.clone(),
                r.direction.clone(),
            ],
        );
        let g = groups.entry(key).or_insert_with(|| {
            let ds = r.data_source.as_deref();
            BackRow {
                report_period_id: r.report_period_id,
                day: r.day,
                cluster_id: r.cluster_id.clone(),
                cluster_alias: r.cluster_alias.clone(),
                namespace: r.namespace.clone(),
                data_source: r.data_source.clone(),
                node: r.node.clone(),
                pvc: r.pvc.clone(),
                resource_id: r.resource_id.clone(),
                pod_labels: if ds == Some("Pod") {
                    r.tags.clone()
                } else {
                    Some("{}".into())
                },
                volume_labels: if ds == Some("Storage") {
                    r.tags.clone()
                } else {
                    Some("{}".into())
                },
                all_labels: r.tags.clone(),
                source_uuid: p.ocp_source.to_lowercase(),
                direction: r.direction.clone(),
                ..BackRow::default()
            }
        });
        max_text(&mut g.pv, r.pv.as_deref());
        max_text(&mut g.storageclass, r.storageclass.as_deref());
        sum_f64(
            &mut g.infrastructure_raw_cost,
            op(r.amortized, r.markup_amortized, |a, b| a + b),
        );
        sum_f64(&mut g.data_in, r.data_in);
        sum_f64(&mut g.data_out, r.data_out);
        max_text(&mut g.raw_currency, r.currency.as_deref());
        max_i64(&mut g.cost_category_id, r.cost_category_id);
    }
    groups
        .into_values()
        .map(|mut g| {
            let dir = g.direction.as_deref();
            if !is_dir(dir, "IN") {
                g.data_in = None;
            }
            if !is_dir(dir, "OUT") {
                g.data_out = None;
            }
            g
        })
        .collect()
}
