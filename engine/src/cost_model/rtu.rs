//! The `_rtu` twins that differ from their direct file by more than a filter: they write Koku's
//! `rates_to_usage` (the "rates to usage" pipeline masu runs behind a flag). `steps` handles the
//! twins that differ only in filters; this module holds `hourly_vm_core_rtu.sql` (which, unlike its
//! direct twin, inserts), `monthly_cost_gpu_rtu.sql` (MIG slices, and the unallocated GPU capacity
//! from the node labels) and `distribute_cost/distribute_unallocated_gpu_cost_rtu.sql`.

use super::decimal::Dec;
use super::label_hash::{label_hash, RtuFields};
use super::rates::{RateValue, RtuParams, TagRate};
use super::steps::{
    dec_cost, double_cost, double_text, in_run, latest_vm_labels, max_f64, max_text, not_priced,
    tag_rate_for, CostRow, Params, VmGroup, VM_KEY,
};
use super::summary::SummaryRow;
use super::usage::{GpuRow, Usage};
use crate::value::Day;
use std::collections::BTreeMap;

/// `hourly_vm_core_rtu.sql`: uptime hours × cores × rate per VM usage row, with the VM's merged
/// labels and latest node.
pub fn hourly_vm_core_rtu(
    summary: &[SummaryRow],
    usage: &Usage,
    p: &Params,
    rate_type: &str,
    hourly_rate: &RateValue,
    rtu: &RtuParams,
) -> Vec<CostRow> {
    let Some(rate) = hourly_rate.cast(15).map(|r| r.to_f64()) else {
        return Vec::new();
    };
    let labels = latest_vm_labels(summary, usage, p);
    // max(seconds), max(cores), max(node)
    type Acc = (Option<f64>, Option<f64>, Option<String>);
    let mut groups: BTreeMap<VmGroup, Acc> = BTreeMap::new();
    for row in summary.iter().filter(|r| in_run(r, p) && not_priced(r)) {
        let Some(vm) = row.pod_label(VM_KEY) else {
            continue;
        };
        let (Some(label), Some((_, node, _))) = (labels.get(&vm), usage.vm_hourly.latest.get(&vm))
        else {
            continue;
        };
        let day = row.usage_start;
        let joined: Vec<(Option<f64>, Option<f64>)> = usage
            .vm_hourly
            .by_cores
            .range((vm.clone(), day, None)..)
            .take_while(|((v, d, _), _)| *v == vm && *d == day)
            .map(|((_, _, c), acc)| (acc.seconds, c.map(f64::from_bits)))
            .collect();
        if joined.is_empty() {
            continue;
        }
        let key = VmGroup::of(row, label);
        let g = groups.entry(key).or_default();
        for (secs, cores) in joined {
            g.0 = max_f64(g.0, secs);
            g.1 = max_f64(g.1, cores);
        }
        max_text(&mut g.2, node);
    }
    groups
        .into_iter()
        .map(|(group, (secs, cores, node))| {
            let cost = secs.zip(cores).map(|(s, c)| s / 3600.0 * c * rate);
            let labels = Some(group.labels());
            let rtu = Some(RtuFields {
                params: rtu.clone(),
                label_hash: Some(label_hash(labels, labels)),
            });
            CostRow {
                step: "hourly_vm_core_rtu",
                report_period_id: Some(p.report_period_id),
                node,
                cost_model_rate_type: Some(rate_type.into()),
                cpu_cost: double_cost(cost),
                rtu,
                ..group.into_row()
            }
        })
        .collect()
}

/// `CAST(<bound float> AS decimal(24, 9)) / CAST(<n> AS decimal(24, 9))`, as a double.
fn per_unit(rate: f64, denominator: i64) -> Option<f64> {
    let r = RateValue::Float(rate).cast(9)?;
    let d = Dec::int(denominator).rescale(9);
    Some(r.div_trino(&d)?.to_f64())
}

/// The file's rate `CASE` over a model: the value's rate, else the default, else 0 (with value
/// rates), or the default, or 0.
fn gpu_rate(tag: &TagRate, model: Option<&str>) -> Option<f64> {
    if tag.value_rates.is_empty() {
        return Some(tag.default_rate.unwrap_or(0.0));
    }
    Some(tag_rate_for(tag, model).unwrap_or(0.0))
}

/// `CAST(mig_slice_count AS decimal(24,9)) / CAST(gpu_max_slices AS decimal(24,9))`, else 1.0.
fn slice_factor(g: &GpuRow) -> f64 {
    match (g.mig_slice_count, g.gpu_max_slices) {
        (Some(s), Some(m)) if m > 0 => Dec::int(s)
            .rescale(9)
            .div_trino(&Dec::int(m).rescale(9))
            .map_or(1.0, |q| q.to_f64()),
        _ => 1.0,
    }
}

fn text_map(pairs: &[(&str, Option<String>)]) -> String {
    let m: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .map(|(k, v)| {
            let v = v
                .clone()
                .map_or(serde_json::Value::Null, serde_json::Value::String);
            (k.to_string(), v)
        })
        .collect();
    serde_json::Value::Object(m).to_string()
}

fn gpu_all_labels(g: &GpuRow) -> String {
    let int = |v: Option<i64>| v.map(|v| v.to_string());
    let mode = match g.mig_profile.as_deref() {
        Some(p) if !p.is_empty() => "MIG",
        _ => "dedicated",
    };
    text_map(&[
        ("gpu-model", g.model.clone()),
        ("gpu-vendor", g.vendor.clone()),
        ("gpu-memory-mib", g.memory_mib.map(double_text)),
        ("mig-profile", g.mig_profile.clone()),
        ("mig-slice-count", int(g.mig_slice_count)),
        ("gpu-max-slices", int(g.gpu_max_slices)),
        ("mig-strategy", g.mig_strategy.clone()),
        ("mig-memory-mib", int(g.mig_memory_mib)),
        ("gpu-mode", Some(mode.to_string())),
        ("gpu-uuid", g.gpu_uuid.clone()),
        ("mig-instance-id", g.mig_instance_id.clone()),
    ])
}

/// `monthly_cost_gpu_rtu.sql`'s first insert: a row per GPU row of a vendor starting with the tag
/// key, and per cost category its namespace matches; the cost scaled by the MIG slice share.
pub fn monthly_cost_gpu_rtu(usage: &Usage, p: &Params, tag: &TagRate) -> Vec<CostRow> {
    let patterns: Vec<(ocp_summary_kernels::like::LikePattern, i32)> = p
        .cost_categories
        .iter()
        .map(|(pat, id)| (ocp_summary_kernels::like::LikePattern::new(pat), *id))
        .collect();
    let days = i64::from(p.days_in_month);
    let mut out = Vec::new();
    for g in &usage.gpu {
        let vendor_ok = g
            .vendor
            .as_deref()
            .is_some_and(|v| v.starts_with(tag.tag_key.as_str()));
        if g.day < p.start || g.day > p.end || !vendor_ok {
            continue;
        }
        let rate = gpu_rate(tag, g.model.as_deref());
        let explicit_zero = tag.value_rates.is_empty() && tag.default_rate.is_none();
        let cost = if explicit_zero {
            Some("0.000000000000000".to_string())
        } else {
            let daily = rate.and_then(|r| per_unit(r, days));
            double_cost(
                daily
                    .zip(g.uptime)
                    .map(|(d, u)| d * (u / 86400.0) * slice_factor(g)),
            )
        };
        let all = gpu_all_labels(g);
        let base = CostRow {
            step: "monthly_cost_gpu_rtu",
            report_period_id: Some(p.report_period_id),
            cluster_id: Some(p.cluster_id.clone()),
            cluster_alias: Some(p.cluster_alias.clone()),
            data_source: Some("GPU".into()),
            usage_start: g.day,
            usage_end: g.day,
            namespace: g.namespace.clone(),
            node: g.node.clone(),
            source_uuid: Some(p.source_uuid.to_lowercase()),
            cost_model_rate_type: Some(tag.rate_type.clone()),
            monthly_cost_type: Some("Tag".into()),
            cpu_cost: cost,
            rtu: Some(RtuFields {
                params: tag.rtu.clone(),
                label_hash: Some(label_hash(None, Some(&all))),
            }),
            all_labels: Some(all),
            ..CostRow::default()
        };
        let ns = g.namespace.as_deref().map(str::as_bytes);
        let ids: Vec<i32> = match ns {
            Some(ns) => patterns
                .iter()
                .filter(|(l, _)| l.matches(ns))
                .map(|(_, id)| *id)
                .collect(),
            None => Vec::new(),
        };
        if ids.is_empty() {
            out.push(base);
        } else {
            out.extend(ids.into_iter().map(|id| CostRow {
                cost_category_id: Some(id),
                ..base.clone()
            }));
        }
    }
    out
}

/// Per (node, model, day): `sum(uptime × coalesce(slices, 1)) / 3600` and
/// `max(coalesce(gpu_max_slices, 1))` of the vendor's GPU rows in the run.
fn gpu_by_node(usage: &Usage, p: &Params, tag: &TagRate) -> BTreeMap<(String, Day), Vec<NodeGpu>> {
    type Acc = (Option<f64>, i64);
    let mut acc: BTreeMap<(String, Day, Option<String>), Acc> = BTreeMap::new();
    for g in &usage.gpu {
        let vendor_ok = g
            .vendor
            .as_deref()
            .is_some_and(|v| v.starts_with(tag.tag_key.as_str()));
        let Some(node) = g.node.clone() else { continue };
        if g.day < p.start || g.day > p.end || !vendor_ok {
            continue;
        }
        let e = acc
            .entry((node, g.day, g.model.clone()))
            .or_insert((None, i64::MIN));
        if let Some(u) = g.uptime {
            e.0 = Some(e.0.unwrap_or(0.0) + u * g.mig_slice_count.unwrap_or(1) as f64);
        }
        e.1 = e.1.max(g.gpu_max_slices.unwrap_or(1));
    }
    let mut out: BTreeMap<(String, Day), Vec<_>> = BTreeMap::new();
    for ((node, day, model), (uptime, max_slices)) in acc {
        out.entry((node, day))
            .or_default()
            .push((model, uptime.map(|u| u / 3600.0), max_slices));
    }
    out
}

/// One GPU model on a node and day: (model, slice-hours, max slices per GPU).
type NodeGpu = (Option<String>, Option<f64>, i64);

/// Trino's `regexp_replace(model, '[^a-zA-Z0-9]+', ' ')`.
fn model_words(model: &str) -> String {
    let mut out = String::new();
    let mut in_run = false;
    for c in model.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push(' ');
            in_run = true;
        }
    }
    out
}

fn node_label(text: &str, key: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    super::summary::scalar(v.get(key)?)
}

/// `monthly_cost_gpu_rtu.sql`'s second insert: the unused GPU slice-hours of each GPU node
/// (`nvidia_com_gpu_count` GPUs of `max_slices` slices each, from its node labels), priced per
/// slice-hour, into namespace `GPU unallocated`.
pub fn gpu_unallocated_rtu(usage: &Usage, p: &Params, tag: &TagRate) -> Vec<CostRow> {
    let by_node = gpu_by_node(usage, p, tag);
    let days = i64::from(p.days_in_month);
    let mut out = Vec::new();
    for ((node, day, labels), hours) in &usage.gpu_node_hours {
        if *day < p.start || *day > p.end {
            continue;
        }
        // A node without GPU rows of the vendor joins NULLs (LEFT JOIN).
        let joined: Vec<(Option<String>, Option<f64>, Option<i64>)> =
            match by_node.get(&(node.clone(), *day)) {
                Some(list) => list
                    .iter()
                    .map(|(m, u, x)| (m.clone(), *u, Some(*x)))
                    .collect(),
                None => vec![(None, None, None)],
            };
        let product = node_label(labels, "nvidia_com_gpu_product");
        let strategy =
            node_label(labels, "nvidia_com_mig_strategy").map(|s| s.trim().to_lowercase());
        let count = node_label(labels, "nvidia_com_gpu_count").and_then(|c| Dec::parse(c.trim()));
        for (model, slice_hours, max_slices) in joined {
            let model_text = model
                .clone()
                .or_else(|| product.clone())
                .map(|m| model_words(&m));
            let Some(count) = &count else { continue }; // a NULL count makes the capacity NULL
            let capacity = match (strategy.as_deref(), max_slices) {
                (None | Some("mixed"), Some(m)) => {
                    Dec::int(*hours).mul(&count.rescale(15)).mul(&Dec::int(m))
                }
                (None | Some("mixed"), None) => continue, // NULL slices: NULL capacity
                (Some("single"), _) => Dec::int(*hours).mul(&count.rescale(15)),
                _ => continue, // ELSE 0: never > 0
            };
            let unused = capacity.to_f64() - slice_hours.unwrap_or(0.0);
            if unused.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                continue;
            }
            let rate = gpu_rate(tag, model_text.as_deref());
            let explicit_zero = tag.value_rates.is_empty() && tag.default_rate.is_none();
            let cost = if explicit_zero {
                Some("0.000000000000000".to_string())
            } else {
                let unit = max_slices.and_then(|m| rate.and_then(|r| per_unit(r, days * 24 * m)));
                double_cost(unit.map(|u| u * unused))
            };
            let all = text_map(&[
                ("gpu-model", model_text.clone()),
                ("max-slices-per-gpu", max_slices.map(|m| m.to_string())),
            ]);
            out.push(CostRow {
                step: "monthly_cost_gpu_rtu",
                report_period_id: Some(p.report_period_id),
                cluster_id: Some(p.cluster_id.clone()),
                cluster_alias: Some(p.cluster_alias.clone()),
                data_source: Some("GPU".into()),
                usage_start: *day,
                usage_end: *day,
                namespace: Some("GPU unallocated".into()),
                node: Some(node.clone()),
                source_uuid: Some(p.source_uuid.to_lowercase()),
                cost_model_rate_type: Some(tag.rate_type.clone()),
                monthly_cost_type: Some("Tag".into()),
                cpu_cost: cost,
                rtu: Some(RtuFields {
                    params: tag.rtu.clone(),
                    label_hash: Some(label_hash(None, Some(&all))),
                }),
                all_labels: Some(all),
                ..CostRow::default()
            });
        }
    }
    out
}

const DISTRIBUTED_TYPES: [&str; 5] = [
    "worker_distributed",
    "platform_distributed",
    "gpu_distributed",
    "unattributed_storage",
    "unattributed_network",
];

/// `distribute_cost/distribute_unallocated_gpu_cost_rtu.sql` over `rtu_rows` (the run's
/// `rates_to_usage` rows): each `GPU unallocated` cost spread over the namespaces by their
/// slice-hours on the node, model and day, then one negating row per node and day.
pub fn distribute_unallocated_gpu_cost_rtu(
    rtu_rows: &[CostRow],
    usage: &Usage,
    p: &Params,
    cost_model_id: &Option<String>,
) -> Vec<CostRow> {
    const RATE_TYPE: &str = "gpu_distributed";
    let month_start = Day::from_ymd(p.start.ymd().0, p.start.ymd().1, 1).unwrap_or(p.start);
    // gpu_rtu_cost: (day, source, cluster, alias, rp, node, model, name, metric, rate type) → sum
    type CostKey = (
        Day,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let mut costs: BTreeMap<CostKey, Dec> = BTreeMap::new();
    for r in rtu_rows {
        let Some(f) = &r.rtu else { continue };
        let unallocated = r.namespace.as_deref() == Some("GPU unallocated");
        let distributed = r
            .monthly_cost_type
            .as_deref()
            .is_some_and(|t| DISTRIBUTED_TYPES.contains(&t));
        if !unallocated || distributed || r.usage_start < month_start || r.usage_start > p.end {
            continue;
        }
        let model = r
            .all_labels
            .as_deref()
            .and_then(|t| node_label(t, "gpu-model"));
        let key = (
            r.usage_start,
            r.source_uuid.clone(),
            r.cluster_id.clone(),
            r.cluster_alias.clone(),
            r.report_period_id,
            r.node.clone(),
            model,
            f.params.custom_name.clone(),
            f.params.metric_type.clone(),
            r.cost_model_rate_type.clone(),
        );
        let value = r
            .cpu_cost
            .as_deref()
            .and_then(Dec::parse)
            .unwrap_or_else(|| Dec::int(0));
        let sum = costs.entry(key).or_insert_with(|| Dec::int(0));
        *sum = add(sum, &value);
    }
    // namespace_usage_information and total_usage over the GPU rows of the month up to the end.
    let mut ns_usage: BTreeMap<(Option<String>, String, Option<String>, Day), f64> =
        BTreeMap::new();
    for g in &usage.gpu {
        let Some(node) = g.node.clone() else { continue };
        if g.day < month_start || g.day > p.end {
            continue;
        }
        let Some(u) = g.uptime else { continue };
        *ns_usage
            .entry((g.model.clone(), node, g.namespace.clone(), g.day))
            .or_default() += u * g.mig_slice_count.unwrap_or(1) as f64;
    }
    let mut totals: BTreeMap<(String, Option<String>, Day), f64> = BTreeMap::new();
    for ((model, node, _, day), v) in &ns_usage {
        *totals
            .entry((node.clone(), model.clone(), *day))
            .or_default() += v;
    }
    // The distributed rows: (day, node, namespace, source, name, metric, rate type) → sums.
    type OutKey = (
        Day,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    type OutAcc = (f64, Option<i64>, Option<String>, Option<String>);
    let mut rows: BTreeMap<OutKey, OutAcc> = BTreeMap::new();
    for (k, cost) in &costs {
        let (day, source, cluster, alias, rp, node, model, name, metric, rate_type) = k;
        let Some(node) = node else { continue };
        for ((m, n, ns, d), slice_hours) in &ns_usage {
            if n != node || d != day || m.is_none() || m != model {
                continue;
            }
            let total = totals[&(n.clone(), m.clone(), *d)];
            if total == 0.0 {
                continue; // NULLIF: a NULL share adds nothing to the SUM
            }
            let share = slice_hours / total * cost.to_f64();
            let key = (
                *day,
                node.clone(),
                ns.clone(),
                source.clone(),
                name.clone(),
                metric.clone(),
                rate_type.clone(),
            );
            let e = rows.entry(key).or_insert((0.0, None, None, None));
            e.0 += share;
            e.1 = e.1.max(*rp);
            max_text(&mut e.2, cluster);
            max_text(&mut e.3, alias);
        }
    }
    let rtu = |metric: Option<String>, name: Option<String>| RtuFields {
        params: RtuParams {
            cost_model_id: cost_model_id.clone(),
            custom_name: name,
            metric_type: metric,
            rate_id: None,
        },
        label_hash: None,
    };
    let mut out: Vec<CostRow> = Vec::new();
    for ((day, node, ns, source, name, metric, _), (sum, rp, cluster, alias)) in rows {
        if sum == 0.0 {
            continue;
        }
        out.push(CostRow {
            step: "distribute_unallocated_gpu_cost_rtu",
            report_period_id: rp,
            source_uuid: source,
            usage_start: day,
            usage_end: day,
            cluster_id: cluster,
            cluster_alias: alias,
            namespace: ns,
            node: Some(node),
            cost_model_rate_type: Some(RATE_TYPE.into()),
            monthly_cost_type: Some(RATE_TYPE.into()),
            distributed_cost: double_cost(Some(sum)),
            rtu: Some(rtu(metric, Some(name.unwrap_or_default()))),
            ..CostRow::default()
        });
    }
    out.extend(negations(&out, &rtu));
    out
}

fn add(a: &Dec, b: &Dec) -> Dec {
    let scale = a.scale.max(b.scale);
    let (a, b) = (a.rescale(scale), b.rescale(scale));
    Dec {
        units: a.units + b.units,
        scale,
    }
}

/// The second insert: per (source, day, cluster, node), minus the sum of the stored
/// (numeric(33,15)) distributed costs, into `GPU unallocated`.
fn negations(
    distributed: &[CostRow],
    rtu: &impl Fn(Option<String>, Option<String>) -> RtuFields,
) -> Vec<CostRow> {
    type Key = (Option<String>, Day, Option<String>, Option<String>);
    let mut sums: BTreeMap<Key, (Dec, Option<i64>, Option<String>)> = BTreeMap::new();
    for r in distributed {
        let key = (
            r.source_uuid.clone(),
            r.usage_start,
            r.cluster_id.clone(),
            r.node.clone(),
        );
        let v = r
            .distributed_cost
            .as_deref()
            .and_then(Dec::parse)
            .unwrap_or_else(|| Dec::int(0));
        let e = sums.entry(key).or_insert_with(|| (Dec::int(0), None, None));
        e.0 = add(&e.0, &v);
        e.1 = e.1.max(r.report_period_id);
        max_text(&mut e.2, &r.cluster_alias);
    }
    sums.into_iter()
        .filter(|(_, (sum, _, _))| !sum.is_zero())
        .map(|((source, day, cluster, node), (sum, rp, alias))| CostRow {
            step: "distribute_unallocated_gpu_cost_rtu",
            report_period_id: rp,
            source_uuid: source,
            usage_start: day,
            usage_end: day,
            cluster_id: cluster,
            cluster_alias: alias,
            namespace: Some("GPU unallocated".into()),
            node,
            cost_model_rate_type: Some("gpu_distributed".into()),
            monthly_cost_type: Some("gpu_distributed".into()),
            distributed_cost: dec_cost(Some(Dec {
                units: -sum.units,
                scale: sum.scale,
            })),
            rtu: Some(rtu(Some(String::new()), Some(String::new()))),
            ..CostRow::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_words_replace_runs_of_other_characters() {
        assert_eq!(
            model_words("NVIDIA A100-SXM4-40GB"),
            "NVIDIA A100 SXM4 40GB"
        );
        assert_eq!(model_words("Tesla T4"), "Tesla T4");
        assert_eq!(model_words("a--b__c"), "a b c");
    }
}
