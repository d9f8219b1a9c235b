//! Koku's cost-model Trino files, one function each, over the summary rows and the Parquet
//! aggregates ([`Usage`]). Each returns the rows its `INSERT` would write into
//! `reporting_ocpusagelineitem_daily_summary`.
//!
//! Types follow Trino: a bound double rate cast to `DECIMAL(33, 15)` is exact decimal arithmetic
//! with a `count(...)`, but any product with a double column (uptime seconds, CPU cores) is a
//! double, stored into numeric(33,15) as Trino's cast rounds it ([`crate::value::numeric`]).

use super::decimal::Dec;
use super::label_hash::{label_hash, RtuFields};
use super::rates::{RateValue, RtuParams, TagRate};
use super::summary::{scalar, SummaryRow};
use super::usage::{GpuRow, Usage};
use crate::value::numeric::numeric_text;
use crate::value::Day;
use std::collections::BTreeMap;

pub const VM_KEY: &str = "vm_kubevirt_io_name";

/// The parameters masu binds for every file (`BaseCostModelParams`), plus the cluster.
#[derive(Debug, Clone)]
pub struct Params {
    pub start: Day,
    pub end: Day,
    pub report_period_id: i64,
    pub source_uuid: String,
    pub cluster_id: String,
    pub cluster_alias: String,
    /// `DateHelper().days_in_month(start_date)`: `amortized_denominator`.
    pub days_in_month: u32,
    /// `reporting_ocp_cost_category_namespace` (pattern, id).
    pub cost_categories: Vec<(String, i32)>,
}

/// A cost as numeric(33,15) text, or NULL.
pub type Cost = Option<String>;

/// One row a cost-model file inserts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostRow {
    pub step: &'static str,
    pub report_period_id: Option<i64>,
    pub cluster_id: Option<String>,
    pub cluster_alias: Option<String>,
    pub data_source: Option<String>,
    pub usage_start: Day,
    pub usage_end: Day,
    pub namespace: Option<String>,
    pub node: Option<String>,
    pub resource_id: Option<String>,
    pub pod_labels: Option<String>,
    pub all_labels: Option<String>,
    pub source_uuid: Option<String>,
    pub monthly_cost_type: Option<String>,
    pub cost_model_rate_type: Option<String>,
    pub cpu_cost: Cost,
    pub gpu_cost: Cost,
    pub cost_category_id: Option<i32>,
    /// `distribute_unallocated_gpu_cost_rtu.sql`'s cost.
    pub distributed_cost: Cost,
    /// Set on the rows of an `_rtu` file (they go to `rates_to_usage`).
    pub rtu: Option<RtuFields>,
}

/// Which of a file's twins runs: the one writing the daily summary, or its `_rtu` twin writing
/// `rates_to_usage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    Direct,
    Rtu,
}

impl Path {
    fn step(self, direct: &'static str, rtu: &'static str) -> &'static str {
        match self {
            Path::Direct => direct,
            Path::Rtu => rtu,
        }
    }

    /// The RTU columns of a row with these labels.
    fn fields(
        self,
        params: &RtuParams,
        pod: &Option<String>,
        all: &Option<String>,
    ) -> Option<RtuFields> {
        (self == Path::Rtu).then(|| RtuFields {
            params: params.clone(),
            label_hash: Some(label_hash(pod.as_deref(), all.as_deref())),
        })
    }
}

pub(super) fn dec_cost(d: Option<Dec>) -> Cost {
    d.map(|d| d.rescale(15).text())
}

pub(super) fn double_cost(v: Option<f64>) -> Cost {
    v.and_then(numeric_text)
}

/// SQL `max` over doubles (NULLs ignored).
pub(super) fn max_f64(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    crate::aggregate::max_double(a, b)
}

pub(super) fn max_text(acc: &mut Option<String>, v: &Option<String>) {
    if let Some(v) = v {
        if acc.as_ref().is_none_or(|a| v.as_bytes() > a.as_bytes()) {
            *acc = Some(v.clone());
        }
    }
}

/// The lids `WHERE` shared by the hourly and monthly VM files.
pub(super) fn in_run(row: &SummaryRow, p: &Params) -> bool {
    in_run_any_monthly(row, p) && row.monthly_cost_type.is_none()
}

/// [`in_run`] without its `monthly_cost_type IS NULL` (`hourly_vm_core_tag_based_rtu.sql`).
fn in_run_any_monthly(row: &SummaryRow, p: &Params) -> bool {
    row.usage_start >= p.start
        && row.usage_start <= p.end
        && row.report_period_id == Some(p.report_period_id)
        && row.data_source.as_deref() == Some("Pod")
        && row.has_usage_cpu
        && row.has_request_cpu
}

pub(super) fn not_priced(row: &SummaryRow) -> bool {
    !matches!(
        row.cost_model_rate_type.as_deref(),
        Some("Infrastructure" | "Supplementary")
    )
}

/// The `GROUP BY` of the per-row VM files: every lids column but `resource_id`.
pub(super) type LidsKey = (
    Day,
    Day,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i32>,
    Option<String>,
    Option<String>,
);

pub(super) fn lids_key(r: &SummaryRow) -> LidsKey {
    (
        r.usage_start,
        r.usage_end,
        r.source_uuid.clone(),
        r.cluster_id.clone(),
        r.cluster_alias.clone(),
        r.node.clone(),
        r.namespace.clone(),
        r.data_source.clone(),
        r.cost_category_id,
        r.pod_labels.clone(),
        r.all_labels.clone(),
    )
}

pub(super) fn row_from_key(step: &'static str, k: &LidsKey, p: &Params) -> CostRow {
    CostRow {
        step,
        report_period_id: Some(p.report_period_id),
        usage_start: k.0,
        usage_end: k.1,
        source_uuid: k.2.clone(),
        cluster_id: k.3.clone(),
        cluster_alias: k.4.clone(),
        node: k.5.clone(),
        namespace: k.6.clone(),
        data_source: k.7.clone(),
        cost_category_id: k.8,
        pod_labels: k.9.clone(),
        all_labels: k.10.clone(),
        ..CostRow::default()
    }
}

/// The VM-hours of `vmhrs`: a count of hours, or uptime seconds over 3600 (a double).
#[derive(Debug, Clone, Copy)]
enum Hours {
    Count(i64),
    Fractional(Option<f64>),
}

fn vm_hours(usage: &Usage, vm: &str, day: Day, fractional: bool) -> Option<Hours> {
    if fractional {
        let secs = usage.vm_hourly.seconds.get(&(vm.to_string(), day))?;
        Some(Hours::Fractional(secs.map(|s| s / 3600.0)))
    } else {
        usage
            .pod_vm_hours
            .get(&(vm.to_string(), day))
            .map(|&n| Hours::Count(n))
    }
}

/// `max(vmhrs.vm_interval_hours) * CAST(rate AS DECIMAL(33, 15))`.
fn hours_cost(h: Hours, rate15: &Dec) -> Cost {
    match h {
        Hours::Count(n) => dec_cost(Some(Dec::int(n).mul(rate15))),
        Hours::Fractional(v) => double_cost(v.map(|v| v * rate15.to_f64())),
    }
}

/// The per-row VM join: lids rows matching `keep`, grouped, with their VM's hours.
fn vm_groups<'a>(
    summary: &'a [SummaryRow],
    usage: &Usage,
    p: &Params,
    fractional: bool,
    keep: impl Fn(&SummaryRow) -> bool,
) -> BTreeMap<LidsKey, (Option<String>, Hours, &'a SummaryRow)> {
    let mut groups = BTreeMap::new();
    for row in summary.iter().filter(|r| in_run(r, p) && keep(r)) {
        let Some(vm) = row.pod_label(VM_KEY) else {
            continue;
        };
        let Some(h) = vm_hours(usage, &vm, row.usage_start, fractional) else {
            continue;
        };
        let e = groups.entry(lids_key(row)).or_insert((None, h, row));
        max_text(&mut e.0, &row.resource_id);
    }
    groups
}

/// `hourly_cost_virtual_machine.sql` and its `_rtu` twin (the same rows, without `resource_id`).
pub fn hourly_cost_virtual_machine(
    summary: &[SummaryRow],
    usage: &Usage,
    p: &Params,
    rate_type: &str,
    hourly_rate: &RateValue,
    path: Path,
    rtu: &RtuParams,
) -> Vec<CostRow> {
    let Some(rate15) = hourly_rate.cast(15) else {
        return Vec::new();
    };
    let step = path.step(
        "hourly_cost_virtual_machine",
        "hourly_cost_virtual_machine_rtu",
    );
    vm_groups(summary, usage, p, usage.vm_table, not_priced)
        .into_iter()
        .map(|(k, (resource, h, _))| CostRow {
            resource_id: resource.filter(|_| path == Path::Direct),
            cost_model_rate_type: Some(rate_type.into()),
            cpu_cost: hours_cost(h, &rate15),
            rtu: path.fields(rtu, &k.9, &k.10),
            ..row_from_key(step, &k, p)
        })
        .collect()
}

/// A tag rate's `CASE` and `WHERE` over one label value.
pub(super) fn tag_rate_for(tag: &TagRate, value: Option<&str>) -> Option<f64> {
    if let Some(v) = value {
        if let Some((_, r)) = tag.value_rates.iter().find(|(name, _)| name == v) {
            return Some(*r);
        }
    }
    tag.default_rate
}

pub(super) fn tag_selects(tag: &TagRate, row: &SummaryRow) -> bool {
    if tag.default_rate.is_some() {
        row.has_pod_label(&tag.tag_key)
    } else {
        let v = row.pod_label(&tag.tag_key);
        tag.value_rates
            .iter()
            .any(|(name, _)| v.as_deref() == Some(name))
    }
}

/// `CAST(<bound float> AS DECIMAL(33, 15))`.
pub(super) fn cast15(rate: f64) -> Option<Dec> {
    RateValue::Float(rate).cast(15)
}

/// `hourly_cost_vm_tag_based.sql`; its `_rtu` twin also skips priced rows and writes no
/// `monthly_cost_type`.
pub fn hourly_cost_vm_tag_based(
    summary: &[SummaryRow],
    usage: &Usage,
    p: &Params,
    tag: &TagRate,
    path: Path,
) -> Vec<CostRow> {
    let keep = |r: &SummaryRow| (path == Path::Direct || not_priced(r)) && tag_selects(tag, r);
    let step = path.step("hourly_cost_vm_tag_based", "hourly_cost_vm_tag_based_rtu");
    vm_groups(summary, usage, p, usage.vm_table, keep)
        .into_iter()
        .map(|(k, (resource, h, row))| {
            let rate = tag_rate_for(tag, row.pod_label(&tag.tag_key).as_deref());
            CostRow {
                resource_id: resource.filter(|_| path == Path::Direct),
                monthly_cost_type: (path == Path::Direct).then(|| "Tag".into()),
                cost_model_rate_type: Some(tag.rate_type.clone()),
                cpu_cost: rate.and_then(cast15).and_then(|r| hours_cost(h, &r)),
                rtu: path.fields(&tag.rtu, &k.9, &k.10),
                ..row_from_key(step, &k, p)
            }
        })
        .collect()
}

/// The VM-core files' join: lids rows with their VM's cores of the day (several when the cores
/// changed), its hours and its latest node; grouped by lids, `max` over the joined rows.
struct CoreGroup<'a> {
    row: &'a SummaryRow,
    cores: Option<f64>,
    hours: Option<i64>,
    /// `max(sum(vm_uptime_total_seconds) / 3600)` over the cores groups (the `_rtu` twin).
    uptime_hours: Option<f64>,
    node: Option<String>,
    resource_id: Option<String>,
}

fn core_groups<'a>(
    summary: &'a [SummaryRow],
    usage: &Usage,
    p: &Params,
    daily_cores: bool,
    keep: impl Fn(&SummaryRow) -> bool,
) -> BTreeMap<LidsKey, CoreGroup<'a>> {
    let mut groups: BTreeMap<LidsKey, CoreGroup> = BTreeMap::new();
    for row in summary
        .iter()
        .filter(|r| in_run_any_monthly(r, p) && keep(r))
    {
        let Some(vm) = row.pod_label(VM_KEY) else {
            continue;
        };
        let day = row.usage_start;
        type Joined = (Option<f64>, Option<i64>, Option<f64>);
        let joined: Vec<Joined> = if daily_cores {
            match usage.vm_daily.get(&(vm.clone(), day)) {
                Some(list) => list.iter().map(|c| (*c, None, None)).collect(),
                None => continue,
            }
        } else {
            let lo = (vm.clone(), day, None);
            usage
                .vm_hourly
                .by_cores
                .range(lo..)
                .take_while(|((v, d, _), _)| *v == vm && *d == day)
                .map(|((_, _, c), acc)| {
                    (
                        c.map(f64::from_bits),
                        Some(acc.hours),
                        acc.seconds.map(|s| s / 3600.0),
                    )
                })
                .collect()
        };
        if joined.is_empty() {
            continue;
        }
        let latest = usage.vm_hourly.latest.get(&vm);
        let g = groups.entry(lids_key(row)).or_insert(CoreGroup {
            row,
            cores: None,
            hours: None,
            uptime_hours: None,
            node: None,
            resource_id: None,
        });
        for (c, h, u) in joined {
            g.cores = max_f64(g.cores, c);
            g.hours = g.hours.max(h);
            g.uptime_hours = max_f64(g.uptime_hours, u);
        }
        if let Some((_, node, resource)) = latest {
            max_text(&mut g.node, node);
            max_text(&mut g.resource_id, resource);
        }
    }
    groups
}

/// `hourly_vm_core_tag_based.sql`: cores × rate × hours (a count: masu passes no
/// `use_fractional_hours` to this file).
/// Its `_rtu` twin counts uptime seconds over 3600 instead, skips priced rows, and keeps rows
/// that already have a `monthly_cost_type`.
pub fn hourly_vm_core_tag_based(
    summary: &[SummaryRow],
    usage: &Usage,
    p: &Params,
    tag: &TagRate,
    path: Path,
) -> Vec<CostRow> {
    let keep = |r: &SummaryRow| match path {
        Path::Direct => r.monthly_cost_type.is_none() && tag_selects(tag, r),
        Path::Rtu => not_priced(r) && tag_selects(tag, r),
    };
    let step = path.step("hourly_vm_core_tag_based", "hourly_vm_core_tag_based_rtu");
    core_groups(summary, usage, p, false, keep)
        .into_iter()
        .map(|(k, g)| {
            let rate = tag_rate_for(tag, g.row.pod_label(&tag.tag_key).as_deref());
            let hours = match path {
                Path::Direct => g.hours.map(|h| h as f64),
                Path::Rtu => g.uptime_hours,
            };
            let cost = match (g.cores, rate.and_then(cast15), hours) {
                (Some(c), Some(r), Some(h)) => Some(c * r.to_f64() * h),
                _ => None,
            };
            CostRow {
                node: g.node,
                resource_id: g.resource_id.filter(|_| path == Path::Direct),
                monthly_cost_type: Some("Tag".into()),
                cost_model_rate_type: Some(tag.rate_type.clone()),
                cpu_cost: double_cost(cost),
                rtu: path.fields(&tag.rtu, &k.9, &k.10),
                ..row_from_key(step, &k, p)
            }
        })
        .collect()
}

/// `monthly_vm_core_tag_based.sql`: (cores × rate) / days in the month, cores from the daily report.
/// Its `_rtu` twin skips only rows priced Infrastructure or Supplementary.
pub fn monthly_vm_core_tag_based(
    summary: &[SummaryRow],
    usage: &Usage,
    p: &Params,
    tag: &TagRate,
    path: Path,
) -> Vec<CostRow> {
    let keep = |r: &SummaryRow| {
        let unpriced = match path {
            Path::Direct => r.cost_model_rate_type.is_none(),
            Path::Rtu => not_priced(r),
        };
        r.monthly_cost_type.is_none() && unpriced && tag_selects(tag, r)
    };
    let step = path.step("monthly_vm_core_tag_based", "monthly_vm_core_tag_based_rtu");
    core_groups(summary, usage, p, true, keep)
        .into_iter()
        .map(|(k, g)| {
            let rate = tag_rate_for(tag, g.row.pod_label(&tag.tag_key).as_deref());
            let cost = match (g.cores, rate.and_then(cast15)) {
                (Some(c), Some(r)) => Some(c * r.to_f64() / f64::from(p.days_in_month)),
                _ => None,
            };
            CostRow {
                node: g.node,
                resource_id: g.resource_id.filter(|_| path == Path::Direct),
                monthly_cost_type: Some("Tag".into()),
                cost_model_rate_type: Some(tag.rate_type.clone()),
                cpu_cost: double_cost(cost),
                rtu: path.fields(&tag.rtu, &k.9, &k.10),
                ..row_from_key(step, &k, p)
            }
        })
        .collect()
}

/// `latest_vm_labels`: each VM's pod and all labels merged (`map_concat`) over its usage rows of
/// the day of its latest hourly report. Trino's `ARRAY_AGG` order is unspecified; rows merge in
/// the order of their label texts, so the last such text wins a key both set.
pub(super) fn latest_vm_labels(
    summary: &[SummaryRow],
    usage: &Usage,
    p: &Params,
) -> BTreeMap<String, String> {
    type LabelTexts<'a> = Vec<(&'a Option<String>, &'a Option<String>)>;
    let mut parts: BTreeMap<String, LabelTexts> = BTreeMap::new();
    for row in summary {
        if row.report_period_id != Some(p.report_period_id) || !row.is_pod_usage() {
            continue;
        }
        let Some(vm) = row.pod_label(VM_KEY) else {
            continue;
        };
        let Some((latest, _, _)) = usage.vm_hourly.latest.get(&vm) else {
            continue;
        };
        if Day::of_millis(*latest) == row.usage_start {
            parts
                .entry(vm)
                .or_default()
                .push((&row.pod_labels, &row.all_labels));
        }
    }
    parts
        .into_iter()
        .map(|(vm, mut texts)| {
            texts.sort();
            let mut merged: BTreeMap<String, String> = BTreeMap::new();
            for (pod, all) in texts {
                for text in [pod, all].into_iter().flatten() {
                    merge_text_map(&mut merged, text);
                }
            }
            (
                vm,
                serde_json::to_string(&merged).expect("a map of strings"),
            )
        })
        .collect()
}

/// `CAST(json AS map(varchar, varchar))` merged into `m`; JSON null values stay out.
fn merge_text_map(m: &mut BTreeMap<String, String>, text: &str) {
    if let Ok(serde_json::Value::Object(o)) = serde_json::from_str::<serde_json::Value>(text) {
        for (k, v) in o {
            if let Some(s) = scalar(&v) {
                m.insert(k, s);
            }
        }
    }
}

/// `monthly_vm_core.sql` (`populate_monthly_cost_sql` for `OCP_VM_CORE`): max cores × the
/// amortised daily rate, labels merged per VM.
pub fn monthly_vm_core(
    summary: &[SummaryRow],
    usage: &Usage,
    p: &Params,
    rate_type: &str,
    amortized: &Dec,
) -> Vec<CostRow> {
    let labels = latest_vm_labels(summary, usage, p);
    let rate = amortized.rescale(15).to_f64();
    // GROUP BY the lids columns without node and labels, plus the merged labels.
    type Acc = (Option<f64>, Option<String>, Option<String>);
    let mut groups: BTreeMap<VmGroup, Acc> = BTreeMap::new();
    for row in summary.iter().filter(|r| in_run(r, p)) {
        let Some(vm) = row.pod_label(VM_KEY) else {
            continue;
        };
        let (Some(label), Some((_, node, resource))) =
            (labels.get(&vm), usage.vm_hourly.latest.get(&vm))
        else {
            continue;
        };
        let day = row.usage_start;
        let lo = (vm.clone(), day, None);
        let cores: Vec<Option<f64>> = usage
            .vm_hourly
            .by_cores
            .range(lo..)
            .take_while(|((v, d, _), _)| *v == vm && *d == day)
            .map(|((_, _, c), _)| c.map(f64::from_bits))
            .collect();
        if cores.is_empty() {
            continue;
        }
        let key = VmGroup::of(row, label);
        let g = groups.entry(key).or_default();
        for c in cores {
            g.0 = max_f64(g.0, c);
        }
        max_text(&mut g.1, node);
        max_text(&mut g.2, resource);
    }
    groups
        .into_iter()
        .map(|(group, (cores, node, resource))| CostRow {
            step: "monthly_vm_core",
            report_period_id: Some(p.report_period_id),
            node,
            resource_id: resource,
            cost_model_rate_type: Some(rate_type.into()),
            monthly_cost_type: Some("OCP_VM_CORE".into()),
            cpu_cost: double_cost(cores.map(|c| c * rate)),
            ..group.into_row()
        })
        .collect()
}

/// What the VM core steps group summary rows by: the lids columns without node and labels, plus
/// the VM's merged labels. Field order is the GROUP BY order, so the map iterates as before.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct VmGroup {
    usage_start: Day,
    usage_end: Day,
    source_uuid: Option<String>,
    cluster_id: Option<String>,
    cluster_alias: Option<String>,
    namespace: Option<String>,
    data_source: Option<String>,
    cost_category_id: Option<i32>,
    labels: String,
}

impl VmGroup {
    pub(super) fn of(row: &SummaryRow, labels: &str) -> VmGroup {
        VmGroup {
            usage_start: row.usage_start,
            usage_end: row.usage_end,
            source_uuid: row.source_uuid.clone(),
            cluster_id: row.cluster_id.clone(),
            cluster_alias: row.cluster_alias.clone(),
            namespace: row.namespace.clone(),
            data_source: row.data_source.clone(),
            cost_category_id: row.cost_category_id,
            labels: labels.to_string(),
        }
    }

    pub(super) fn labels(&self) -> &str {
        &self.labels
    }

    /// A cost row of the group's columns, its labels as both pod and all labels.
    pub(super) fn into_row(self) -> CostRow {
        CostRow {
            usage_start: self.usage_start,
            usage_end: self.usage_end,
            source_uuid: self.source_uuid,
            cluster_id: self.cluster_id,
            cluster_alias: self.cluster_alias,
            namespace: self.namespace,
            data_source: self.data_source,
            cost_category_id: self.cost_category_id,
            pod_labels: Some(self.labels.clone()),
            all_labels: Some(self.labels),
            ..CostRow::default()
        }
    }
}

/// Trino's `CAST(double AS varchar)`: Java's `Double.toString`.
pub(super) fn double_text(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e7 {
        format!("{v:.1}")
    } else if (1e-3..1e7).contains(&v.abs()) {
        ryu::Buffer::new().format_finite(v).to_string()
    } else {
        let s = format!("{v:E}");
        if s.contains('.') {
            s
        } else {
            s.replacen('E', ".0E", 1)
        }
    }
}

fn gpu_labels(g: &GpuRow) -> String {
    let mut m = serde_json::Map::new();
    let s = |v: &Option<String>| {
        v.clone()
            .map_or(serde_json::Value::Null, serde_json::Value::String)
    };
    m.insert("gpu-model".into(), s(&g.model));
    m.insert("gpu-vendor".into(), s(&g.vendor));
    m.insert("gpu-memory-mib".into(), s(&g.memory_mib.map(double_text)));
    serde_json::Value::Object(m).to_string()
}

/// `monthly_cost_gpu.sql`: one row per daily GPU row of the vendor (and listed models), and per
/// cost category its namespace matches (a `LEFT JOIN ... LIKE`, not aggregated).
pub fn monthly_cost_gpu(usage: &Usage, p: &Params, tag: &TagRate) -> Vec<CostRow> {
    let days = Dec::int(i64::from(p.days_in_month)).rescale(9);
    let daily = |rate: f64| -> Option<f64> {
        let r = RateValue::Float(rate).cast(9)?;
        Some(r.div_trino(&days)?.to_f64())
    };
    let patterns: Vec<(ocp_summary_kernels::like::LikePattern, i32)> = p
        .cost_categories
        .iter()
        .map(|(pat, id)| (ocp_summary_kernels::like::LikePattern::new(pat), *id))
        .collect();
    let mut out = Vec::new();
    for g in &usage.gpu {
        if g.day < p.start || g.day > p.end || g.vendor.as_deref() != Some(tag.tag_key.as_str()) {
            continue;
        }
        let model = g.model.as_deref();
        if !tag.value_rates.is_empty()
            && !tag
                .value_rates
                .iter()
                .any(|(v, _)| Some(v.as_str()) == model)
        {
            continue;
        }
        let rate = if tag.value_rates.is_empty() {
            tag.default_rate
        } else {
            tag_rate_for(tag, model)
        };
        let cost = match (tag.value_rates.is_empty(), tag.default_rate) {
            (true, None) => Some("0.000000000000000".to_string()),
            _ => double_cost(
                rate.and_then(daily)
                    .zip(g.uptime)
                    .map(|(d, u)| d * (u / 86400.0)),
            ),
        };
        let base = CostRow {
            step: "monthly_cost_gpu",
            report_period_id: Some(p.report_period_id),
            cluster_id: Some(p.cluster_id.clone()),
            cluster_alias: Some(p.cluster_alias.clone()),
            data_source: Some("GPU".into()),
            usage_start: g.day,
            usage_end: g.day,
            namespace: g.namespace.clone(),
            node: g.node.clone(),
            resource_id: g.gpu_uuid.clone(),
            all_labels: Some(gpu_labels(g)),
            source_uuid: Some(p.source_uuid.to_lowercase()),
            cost_model_rate_type: Some(tag.rate_type.clone()),
            gpu_cost: cost,
            monthly_cost_type: Some("Tag".into()),
            ..CostRow::default()
        };
        let ns = g.namespace.as_deref().map(str::as_bytes);
        let matches: Vec<i32> = match ns {
            Some(ns) => patterns
                .iter()
                .filter(|(l, _)| l.matches(ns))
                .map(|(_, id)| *id)
                .collect(),
            None => Vec::new(),
        };
        if matches.is_empty() {
            out.push(base);
        } else {
            for id in matches {
                out.push(CostRow {
                    cost_category_id: Some(id),
                    ..base.clone()
                });
            }
        }
    }
    out
}

fn excluded_namespace(ns: &str) -> bool {
    ns.starts_with("kube-") || ns.starts_with("openshift-") || ns == "openshift"
}

/// `monthly_project_tag_based.sql`: each namespace's amortised daily rate, split over the nodes
/// the (Hive) summary shows it on that day.
pub fn monthly_project_tag_based(
    summary: &[SummaryRow],
    usage: &Usage,
    p: &Params,
    tag: &TagRate,
) -> Vec<CostRow> {
    let denominator = Dec::int(i64::from(p.days_in_month));
    // ouds: (namespace, day) → distinct (cluster_id, cluster_alias, node) of Hive's summary rows.
    type Ouds = (Option<String>, Option<String>, Option<String>);
    let mut ouds: BTreeMap<(&str, Day), Vec<Ouds>> = BTreeMap::new();
    for r in summary.iter().filter(|r| r.from_summary) {
        if r.source_uuid.as_deref().map(str::to_lowercase) != Some(p.source_uuid.to_lowercase()) {
            continue;
        }
        let Some(ns) = r.namespace.as_deref() else {
            continue;
        };
        let key = (
            r.cluster_id.clone(),
            r.cluster_alias.clone(),
            r.node.clone(),
        );
        let list = ouds.entry((ns, r.usage_start)).or_default();
        if !list.contains(&key) {
            list.push(key);
        }
    }
    // filtered_data, grouped: (namespace, day, amortised cost, labels, cluster, alias, node).
    type Fd = (String, Day, Option<String>, String, Ouds);
    let mut filtered: BTreeMap<Fd, Option<Dec>> = BTreeMap::new();
    for n in &usage.namespaces {
        let Some(ns) = n.namespace.as_deref() else {
            continue;
        };
        if excluded_namespace(ns) {
            continue;
        }
        let map: Option<serde_json::Map<String, serde_json::Value>> = n
            .labels
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok());
        let value = map
            .as_ref()
            .and_then(|m| m.get(&tag.tag_key))
            .and_then(scalar);
        let present = map.as_ref().is_some_and(|m| m.contains_key(&tag.tag_key));
        let selected = if tag.default_rate.is_some() {
            present
        } else {
            tag.value_rates
                .iter()
                .any(|(v, _)| value.as_deref() == Some(v))
        };
        if !selected {
            continue;
        }
        let rate = if tag.value_rates.is_empty() {
            tag.default_rate
        } else {
            tag_rate_for(tag, value.as_deref())
        };
        let amortized = rate
            .and_then(cast15)
            .and_then(|r| r.div_trino(&denominator));
        // map_filter keeps every label when the tag key's value is a scalar, none otherwise.
        let mut labels: BTreeMap<String, String> = BTreeMap::new();
        if value.is_some() {
            if let Some(m) = &map {
                for (k, v) in m {
                    if let Some(s) = scalar(v) {
                        labels.insert(k.clone(), s);
                    }
                }
            }
        }
        let labels = serde_json::to_string(&labels).expect("a map of strings");
        let nodes = ouds
            .get(&(ns, n.day))
            .cloned()
            .unwrap_or_else(|| vec![(None, None, None)]);
        for o in nodes {
            let cost_key = amortized.as_ref().map(Dec::text);
            filtered.insert(
                (ns.to_string(), n.day, cost_key, labels.clone(), o),
                amortized.clone(),
            );
        }
    }
    let mut node_count: BTreeMap<(&str, Day), i64> = BTreeMap::new();
    for (ns, day, _, _, o) in filtered.keys() {
        *node_count.entry((ns.as_str(), *day)).or_default() += i64::from(o.2.is_some());
    }
    filtered
        .iter()
        .map(|((ns, day, _, labels, o), amortized)| {
            let count = node_count[&(ns.as_str(), *day)];
            let cost = amortized.as_ref().and_then(|a| {
                if count < 1 {
                    Some(a.clone())
                } else {
                    a.div_trino(&Dec::int(count).rescale(15))
                }
            });
            CostRow {
                step: "monthly_project_tag_based",
                report_period_id: Some(p.report_period_id),
                cluster_id: Some(p.cluster_id.clone()),
                cluster_alias: Some(p.cluster_alias.clone()),
                data_source: Some("Pod".into()),
                usage_start: *day,
                usage_end: *day,
                namespace: Some(ns.clone()),
                node: o.2.clone(),
                pod_labels: Some(labels.clone()),
                all_labels: Some(labels.clone()),
                source_uuid: Some(p.source_uuid.to_lowercase()),
                monthly_cost_type: Some("Tag".into()),
                cost_model_rate_type: Some(tag.rate_type.clone()),
                cpu_cost: dec_cost(cost),
                ..CostRow::default()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_text_matches_java() {
        assert_eq!(double_text(40960.0), "40960.0");
        assert_eq!(double_text(1.5), "1.5");
        assert_eq!(double_text(1e7), "1.0E7");
    }

    #[test]
    fn tag_rate_prefers_the_value_then_the_default() {
        let t = TagRate {
            rate_type: "Infrastructure".into(),
            tag_key: "app".into(),
            default_rate: Some(1.0),
            value_rates: vec![("web".into(), 2.0)],
            rtu: Default::default(),
        };
        assert_eq!(tag_rate_for(&t, Some("web")), Some(2.0));
        assert_eq!(tag_rate_for(&t, Some("db")), Some(1.0));
        assert_eq!(tag_rate_for(&t, None), Some(1.0));
    }
}
