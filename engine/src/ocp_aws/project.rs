//! Step 3 and the back-populate, per chunk:
//!
//! * `3_reporting_ocpawscostlineitem_project_daily_summary_p.sql`: the chunk's managed rows
//!   grouped by day and every descriptive column, tags filtered to `vm_kubevirt_io_name` + the keys
//!   enabled for AWS or OCP (`{}` for every row when no key is enabled: `array[...] || NULL`),
//!   costs and usage summed, data in/out split by direction;
//! * `sql/aws/openshift/reporting_ocpaws_ocp_infrastructure_back_populate.sql` (PostgreSQL): the
//!   chunk's project rows of the report period's cluster grouped back into OpenShift daily-summary
//!   rows carrying `infrastructure_raw_cost = Σ (amortized cost + its markup)`.

use super::split::ManagedRow;
use super::sql::{max_i64, max_str, op, sum_f64};
use super::{Chunk, Params};
use crate::value::Day;
use hashbrown::hash_table::Entry;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::{BuildHasher, Hash};

/// One row of `reporting_ocpawscostlineitem_project_daily_summary_p` (all columns but `uuid`),
/// borrowing its texts from the chunk's managed rows.
#[derive(Debug, Clone, Default)]
pub struct ProjectRow<'a> {
    pub report_period_id: i64,
    pub cluster_id: Option<&'a str>,
    pub cluster_alias: Option<&'a str>,
    pub data_source: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub node: Option<&'a str>,
    pub pvc: Option<&'a str>,
    pub pv: Option<&'a str>,
    pub storageclass: Option<&'a str>,
    pub resource_id: Option<&'a str>,
    pub day: Day,
    pub product_code: Option<&'a str>,
    pub product_family: Option<&'a str>,
    pub instance_type: Option<&'a str>,
    pub bill_id: i64,
    pub account: Option<&'a str>,
    pub account_alias_id: Option<i64>,
    pub zone: Option<&'a str>,
    pub region: Option<&'a str>,
    pub unit: Option<&'a str>,
    pub usage_amount: Option<f64>,
    pub data_in: Option<f64>,
    pub data_out: Option<f64>,
    pub direction: Option<&'a str>,
    pub currency: Option<&'a str>,
    pub unblended: Option<f64>,
    pub markup: Option<f64>,
    pub blended: Option<f64>,
    pub markup_blended: Option<f64>,
    pub sp_effective: Option<f64>,
    pub markup_sp: Option<f64>,
    pub amortized: Option<f64>,
    pub markup_amortized: Option<f64>,
    /// `enabled_tags`, which step 3 writes to both `pod_labels` and `tags` (canonical JSON).
    pub tags: Option<&'a str>,
    /// Canonical JSON.
    pub cost_category: Option<&'a str>,
    pub cost_category_id: Option<i64>,
    pub source_uuid: &'a str,
}

/// Step 3's GROUP BY: the day, the text columns, `cost_category_id`.
type GroupKey<'a> = (Day, [Option<&'a str>; 19], Option<i64>);

impl<'a> ProjectRow<'a> {
    /// The row's GROUP BY key (unique within a chunk).
    pub fn key(&self) -> GroupKey<'a> {
        (
            self.day,
            [
                self.cluster_id,
                self.data_source,
                self.namespace,
                self.node,
                self.pvc,
                self.pv,
                self.storageclass,
                self.resource_id,
                self.product_code,
                self.product_family,
                self.instance_type,
                self.account,
                self.zone,
                self.region,
                self.unit,
                self.direction,
                self.currency,
                self.tags,
                self.cost_category,
            ],
            self.cost_category_id,
        )
    }
}

/// The keys step 3 keeps: NULL without any enabled key (then every tag map becomes `{}`).
pub fn pg_keys(p: &Params) -> Option<Vec<String>> {
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

/// Rows grouped by a key read back from the rows themselves: the table holds only row indices,
/// so no key is stored twice, and the rows keep the order their groups were first seen in.
struct Groups<R> {
    rows: Vec<R>,
    table: HashTable<usize>,
    hasher: DefaultHashBuilder,
}

impl<R> Groups<R> {
    fn with_capacity(n: usize) -> Self {
        Groups {
            rows: Vec::with_capacity(n),
            table: HashTable::with_capacity(n),
            hasher: DefaultHashBuilder::default(),
        }
    }

    /// The group `head` belongs to (by `key`), added as `head` when new.
    fn entry<K: Hash + Eq>(&mut self, head: R, key: impl Fn(&R) -> K) -> &mut R {
        let k = key(&head);
        let (rows, hasher) = (&self.rows, &self.hasher);
        let entry = self.table.entry(
            hasher.hash_one(&k),
            |&i| key(&rows[i]) == k,
            |&i| hasher.hash_one(key(&rows[i])),
        );
        let i = match entry {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                e.insert(self.rows.len());
                self.rows.push(head);
                self.rows.len() - 1
            }
        };
        &mut self.rows[i]
    }
}

/// Step 3 over one chunk's managed rows (the tags are filtered already: [`ManagedRow::enabled_tags`]).
/// `source_uuid` is the AWS source in lower case.
pub fn step3<'a>(
    p: &Params,
    managed: &'a [ManagedRow<'_>],
    source_uuid: &'a str,
) -> Vec<ProjectRow<'a>> {
    let mut groups = Groups::with_capacity(managed.len());
    for r in managed {
        let l = r.line;
        let head = ProjectRow {
            report_period_id: p.report_period_id,
            cluster_id: r.cluster_id,
            data_source: r.data_source,
            namespace: r.namespace,
            node: r.node,
            pvc: r.pvc,
            pv: r.pv,
            storageclass: r.storageclass,
            resource_id: l.resource_id.as_deref(),
            day: l.day(),
            product_code: l.product_code.as_deref(),
            product_family: l.family.as_deref(),
            instance_type: l.instance_type.as_deref(),
            bill_id: p.bill_id,
            account: l.account.as_deref(),
            zone: l.zone.as_deref(),
            region: l.region.as_deref(),
            unit: l.unit.as_deref(),
            direction: r.direction,
            currency: l.currency.as_deref(),
            tags: r.enabled_tags.as_deref(),
            cost_category: r.cost_category,
            cost_category_id: r.cost_category_id,
            source_uuid,
            ..ProjectRow::default()
        };
        let g = groups.entry(head, ProjectRow::key);
        max_str(&mut g.cluster_alias, r.cluster_alias);
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
    groups.rows
}

/// One row the back-populate inserts into `reporting_ocpusagelineitem_daily_summary` (the
/// columns it sets; every usage column is the constant 0), borrowing from the project rows.
#[derive(Debug, Clone, Default)]
pub struct BackRow<'a> {
    pub report_period_id: i64,
    pub day: Day,
    pub cluster_id: Option<&'a str>,
    pub cluster_alias: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub data_source: Option<&'a str>,
    pub node: Option<&'a str>,
    pub pvc: Option<&'a str>,
    pub pv: Option<&'a str>,
    pub storageclass: Option<&'a str>,
    pub resource_id: Option<&'a str>,
    pub pod_labels: Option<&'a str>,
    pub volume_labels: Option<&'a str>,
    pub all_labels: Option<&'a str>,
    pub source_uuid: &'a str,
    pub infrastructure_raw_cost: Option<f64>,
    pub data_in: Option<f64>,
    pub data_out: Option<f64>,
    pub raw_currency: Option<&'a str>,
    pub cost_category_id: Option<i64>,
    direction: Option<&'a str>,
}

/// The back-populate's GROUP BY: the day and the text columns.
type BackKey<'a> = (Day, [Option<&'a str>; 9]);

impl<'a> BackRow<'a> {
    /// The row's GROUP BY key (unique within a chunk).
    pub fn key(&self) -> BackKey<'a> {
        (
            self.day,
            [
                self.cluster_id,
                self.cluster_alias,
                self.namespace,
                self.data_source,
                self.node,
                self.pvc,
                self.resource_id,
                self.all_labels,
                self.direction,
            ],
        )
    }
}

/// The back-populate over the chunk's project rows; `source_uuid` is the OpenShift source in
/// lower case.
pub fn back_populate<'a>(
    p: &Params,
    chunk: &Chunk,
    project: &[ProjectRow<'a>],
    source_uuid: &'a str,
) -> Vec<BackRow<'a>> {
    let mut groups = Groups::with_capacity(project.len());
    for r in project {
        // JOIN reporting_ocpusagereportperiod: the period's cluster and month.
        if r.cluster_id != Some(p.cluster_id.as_str())
            || !chunk.contains(r.day)
            || r.report_period_id != p.report_period_id
        {
            continue;
        }
        let ds = r.data_source;
        let head = BackRow {
            report_period_id: r.report_period_id,
            day: r.day,
            cluster_id: r.cluster_id,
            cluster_alias: r.cluster_alias,
            namespace: r.namespace,
            data_source: r.data_source,
            node: r.node,
            pvc: r.pvc,
            resource_id: r.resource_id,
            pod_labels: if ds == Some("Pod") {
                r.tags
            } else {
                Some("{}")
            },
            volume_labels: if ds == Some("Storage") {
                r.tags
            } else {
                Some("{}")
            },
            all_labels: r.tags,
            source_uuid,
            direction: r.direction,
            ..BackRow::default()
        };
        let g = groups.entry(head, BackRow::key);
        max_str(&mut g.pv, r.pv);
        max_str(&mut g.storageclass, r.storageclass);
        sum_f64(
            &mut g.infrastructure_raw_cost,
            op(r.amortized, r.markup_amortized, |a, b| a + b),
        );
        sum_f64(&mut g.data_in, r.data_in);
        sum_f64(&mut g.data_out, r.data_out);
        max_str(&mut g.raw_currency, r.currency);
        max_i64(&mut g.cost_category_id, r.cost_category_id);
    }
    let mut rows = groups.rows;
    for g in &mut rows {
        let dir = g.direction;
        if !is_dir(dir, "IN") {
            g.data_in = None;
        }
        if !is_dir(dir, "OUT") {
            g.data_out = None;
        }
    }
    rows
}
