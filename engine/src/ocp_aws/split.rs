//! Step 2, `2_summarize_data_by_cluster.sql`: the matched lines split over the OpenShift summary
//! rows of their day, into `managed_reporting_ocpawscostlineitem_project_daily_summary`.
//!
//! Statements, in the file's order:
//! * disk capacities (`calculated_capacity`): for each line whose resource id contains a summary
//!   row's CSI handle, `round(max(unblendedcost) / (max(unblendedrate) / hours in month))` over
//!   the hourly lines of that resource and day, kept when > 0;
//! * "Storage disk resource id matching": per (line, namespace, pod labels, volume labels) of the
//!   Storage rows on that volume, `PVC capacity / disk capacity * cost`; claimless volumes go
//!   to `Storage unattributed` without labels;
//! * "Unattributed Storage Cost": `(disk capacity - Σ PV capacity) / disk capacity * cost /
//!   clusters`, one row per line, when the volumes do not fill the disk;
//! * "Direct resource_id matching": per (line, namespace, pod labels) of the rows whose
//!   `resource_id` the line's id contains (no `data_source` filter, so Storage rows of the node
//!   join too) — lines that are not disks and not network;
//! * "Tag matching": per (line, namespace, data source) of the rows the line's `openshift_*` tags
//!   or matched-tag strings name, the special namespaces excluded;
//! * the final INSERT: resource-matched Pod rows take `pod usage / node capacity` of the cost
//!   (`distribution`), every other row `cost / rows of its line` (`cte_rankings`); tags are the
//!   pod (else volume) labels merged with the line's tags;
//! * "Node Network Costs": resource-matched data-transfer lines, one `Network unattributed` row
//!   per (line, node).

use super::json::{map_json, query_str, to_map, TagMap};
use super::matching::{chunk_rows, TempLine};
use super::read::AwsInput;
use super::sql::{contains, max_f64, max_i64, max_str, op, sum_f64};
use super::{Chunk, Distribution, OcpRow, Params};
use crate::error::{Error, InputError};
use crate::value::date::days_in_month;
use crate::value::Day;
use std::collections::{BTreeMap, HashMap};

const SPECIAL_NAMESPACES: [&str; 4] = [
    "Worker unallocated",
    "Platform unallocated",
    "Storage unattributed",
    "Network unattributed",
];

/// One row of `managed_reporting_ocpawscostlineitem_project_daily_summary`: texts borrowed from
/// the summary rows and the line it splits (its AWS columns are read through [`ManagedRow::line`]),
/// so a split row costs no string copies.
#[derive(Debug, Clone)]
pub struct ManagedRow<'a> {
    pub line: &'a TempLine,
    pub cluster_id: Option<&'a str>,
    pub cluster_alias: Option<&'a str>,
    pub data_source: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub node: Option<&'a str>,
    pub pvc: Option<&'a str>,
    pub pv: Option<&'a str>,
    pub storageclass: Option<&'a str>,
    pub account_alias_id: Option<i64>,
    pub usage_amount: Option<f64>,
    pub direction: Option<&'static str>,
    pub unblended: Option<f64>,
    pub markup: Option<f64>,
    pub blended: Option<f64>,
    pub markup_blended: Option<f64>,
    pub sp_effective: Option<f64>,
    pub markup_sp: Option<f64>,
    pub amortized: Option<f64>,
    pub markup_amortized: Option<f64>,
    /// Step 3's `enabled_tags` of the row's `tags` (see [`EnabledTags`]).
    pub enabled_tags: Option<String>,
    /// The line's cost category in canonical JSON ([`TempLine::cost_category_json`]).
    pub cost_category: Option<&'a str>,
    pub cost_category_id: Option<i64>,
}

/// One row of the step's temp table (`…_project_daily_summary_temp`), before the split.
#[derive(Debug, Clone, Default)]
struct TempRow<'a> {
    /// The line it came from; `None` for Storage rows, whose `uuid()` is fresh (count 1).
    line: Option<usize>,
    line_idx: usize,
    cluster_id: Option<&'a str>,
    cluster_alias: Option<&'a str>,
    data_source: Option<&'a str>,
    namespace: Option<&'a str>,
    node: Option<&'a str>,
    pvc: Option<&'a str>,
    pv: Option<&'a str>,
    storageclass: Option<&'a str>,
    usage_amount: Option<f64>,
    unblended: Option<f64>,
    blended: Option<f64>,
    sp_effective: Option<f64>,
    amortized: Option<f64>,
    pod_cpu: Option<f64>,
    pod_memory: Option<f64>,
    node_cpu: Option<f64>,
    node_memory: Option<f64>,
    pod_labels: Option<&'a str>,
    volume_labels: Option<&'a str>,
    /// Whether the row carries the line's tags (`aws.tags`); the unattributed-storage rows do not.
    line_tags: bool,
    cost_category: Option<&'a str>,
    cost_category_id: Option<i64>,
    resource_id_matched: bool,
}

/// Step 3's `enabled_tags` = `map_filter(map_concat(labels, line tags), enabled keys)`, computed
/// when step 2 makes the row. A key filter distributes over `map_concat`
/// (`filter(a ‖ b) = filter(a) ‖ filter(b)`), so each distinct label text and each line's tags
/// are parsed and filtered once, instead of every row's concatenated JSON being written by step 2
/// and parsed again by step 3.
pub struct EnabledTags<'a> {
    /// NULL without any enabled key: every map becomes `{}` (`array[...] || NULL`).
    keys: Option<Vec<String>>,
    labels: hashbrown::HashMap<&'a str, Option<TagMap>>,
    lines: Vec<Option<Option<TagMap>>>,
}

impl<'a> EnabledTags<'a> {
    pub fn new(keys: Option<Vec<String>>, lines: usize) -> Self {
        EnabledTags {
            keys,
            labels: hashbrown::HashMap::new(),
            lines: vec![None; lines],
        }
    }

    fn filter(&self, m: Option<TagMap>) -> Option<TagMap> {
        let keys = self.keys.as_deref();
        m.map(|m| {
            m.into_iter()
                .filter(|(k, _)| keys.is_some_and(|keys| keys.iter().any(|x| x == k)))
                .collect()
        })
    }

    fn labels(&mut self, text: Option<&'a str>) -> Result<Option<&TagMap>, Error> {
        let Some(text) = text else { return Ok(None) };
        if !self.labels.contains_key(text) {
            let m = self.filter(to_map(Some(text))?);
            self.labels.insert(text, m);
        }
        Ok(self.labels[text].as_ref())
    }

    fn line(&mut self, idx: usize, l: &TempLine) -> Option<&TagMap> {
        if self.lines[idx].is_none() {
            self.lines[idx] = Some(self.filter(l.tags_map.clone()));
        }
        self.lines[idx].as_ref().and_then(Option::as_ref)
    }

    /// `enabled_tags` of `map_concat(labels, line tags)`; NULL when either side is.
    fn concat(
        &mut self,
        labels: Option<&'a str>,
        line: Option<(usize, &TempLine)>,
    ) -> Result<Option<String>, Error> {
        let Some(mut merged) = self.labels(labels)?.cloned() else {
            return Ok(None);
        };
        let Some((idx, l)) = line else {
            return Ok(None);
        };
        let Some(tags) = self.line(idx, l) else {
            return Ok(None);
        };
        merged.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(Some(map_json(&merged)))
    }

    /// `enabled_tags` of the line's own tags (the network rows).
    fn of_line(&mut self, idx: usize, l: &TempLine) -> Option<String> {
        self.line(idx, l).map(map_json)
    }
}

/// `max()` accumulators over the OpenShift side of a group (borrowing the summary's texts).
#[derive(Default)]
struct OcpMax<'a> {
    cluster_id: Option<&'a str>,
    cluster_alias: Option<&'a str>,
    namespace: Option<&'a str>,
    node: Option<&'a str>,
    pvc: Option<&'a str>,
    pv: Option<&'a str>,
    storageclass: Option<&'a str>,
    pod_labels: Option<&'a str>,
    volume_labels: Option<&'a str>,
    data_source: Option<&'a str>,
    pvc_capacity: Option<f64>,
    pod_cpu: Option<f64>,
    pod_memory: Option<f64>,
    node_cpu: Option<f64>,
    node_memory: Option<f64>,
    cost_category_id: Option<i64>,
}

impl<'a> OcpMax<'a> {
    /// Adds one summary row; `nullif` applies `nullif(x, '')` to the claim, volume and class
    /// (the tag-matching statement's `max(nullif(ocp.persistentvolumeclaim, ''))`).
    fn add(&mut self, r: &'a OcpRow, nullif: bool) {
        let nz = |s: &'a Option<String>| -> Option<&'a str> {
            s.as_deref().filter(|s| !(nullif && s.is_empty()))
        };
        max_str(&mut self.cluster_id, r.cluster_id.as_deref());
        max_str(&mut self.cluster_alias, r.cluster_alias.as_deref());
        max_str(&mut self.namespace, r.namespace.as_deref());
        max_str(&mut self.node, r.node.as_deref());
        max_str(&mut self.pvc, nz(&r.pvc));
        max_str(&mut self.pv, nz(&r.pv));
        max_str(&mut self.storageclass, nz(&r.storageclass));
        max_str(&mut self.pod_labels, r.pod_labels.as_deref());
        max_str(&mut self.volume_labels, r.volume_labels.as_deref());
        max_str(&mut self.data_source, r.data_source.as_deref());
        max_f64(&mut self.pvc_capacity, r.pvc_capacity_gb);
        sum_f64(&mut self.pod_cpu, r.pod_effective_cpu);
        sum_f64(&mut self.pod_memory, r.pod_effective_memory);
        max_f64(&mut self.node_cpu, r.node_capacity_cpu_hours);
        max_f64(&mut self.node_memory, r.node_capacity_memory_hours);
        max_i64(&mut self.cost_category_id, r.cost_category_id);
    }
}

type DiskKey = (String, Day);
/// (namespace, pod labels, volume labels): a Storage group of one line.
type StorageKey<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);
/// (disk resource id, volume, cluster): a `combined_requests` group.
type VolumeKey<'a> = (&'a str, Option<&'a str>, Option<&'a str>);

/// `managed_aws_openshift_disk_capacities_temp` of the chunk: (resource id, day) → capacity.
fn disk_capacities(
    p: &Params,
    aws: &AwsInput,
    summary: &[OcpRow],
    temp: &[TempLine],
) -> Result<HashMap<DiskKey, i64>, Error> {
    let hours = f64::from(days_in_month(p.year, p.month) * 24);
    let mut by_day: HashMap<Day, Vec<&str>> = HashMap::new();
    for r in summary {
        let (y, m, _) = r.day.ymd();
        if r.source.as_deref() == Some(p.ocp_source.as_str()) && y == p.year && m == p.month {
            if let Some(csi) = r.csi.as_deref().filter(|c| !c.is_empty()) {
                by_day.entry(r.day).or_default().push(csi);
            }
        }
    }
    let mut out = HashMap::new();
    for l in temp {
        let Some(rid) = l.resource_id.as_deref() else {
            continue;
        };
        let day = l.day();
        if l.start_ms != day.start_millis() {
            continue; // `aws.usage_start = ocp.usage_start`: summary rows start at midnight
        }
        let key = (rid.to_string(), day);
        if out.contains_key(&key) {
            continue;
        }
        let joined = by_day
            .get(&day)
            .is_some_and(|handles| handles.iter().any(|h| rid.contains(h)));
        if !joined {
            continue;
        }
        let Some(&(cost, rate)) = aws.hourly.get(&key) else {
            continue;
        };
        let Some(capacity) = op(cost, rate, |c, r| (c / (r / hours)).round()) else {
            continue;
        };
        // `WHERE capacity > 0` (NaN is the largest double), then `CAST(… AS INTEGER)`.
        if capacity > 0.0 || capacity.is_nan() {
            if !capacity.is_finite() || capacity > f64::from(i32::MAX) {
                return Err(InputError::Data(format!(
                    "disk capacity of {rid} on {day} is {capacity}: out of range for integer \
                     (unblended cost {cost:?}, rate {rate:?})"
                ))
                .into());
            }
            out.insert(key, capacity as i64);
        }
    }
    Ok(out)
}

/// Step 2 of one chunk.
pub fn step2<'a>(
    p: &Params,
    chunk: &Chunk,
    aws: &AwsInput,
    summary: &'a [OcpRow],
    temp: &'a [TempLine],
    tags: &mut EnabledTags<'a>,
) -> Result<Vec<ManagedRow<'a>>, Error> {
    let disks = disk_capacities(p, aws, summary, temp)?;
    let rows: Vec<&OcpRow> = chunk_rows(p, chunk, summary).collect();
    let mut by_day: HashMap<Day, Vec<&OcpRow>> = HashMap::new();
    for r in &rows {
        by_day.entry(r.day).or_default().push(r);
    }
    // `cte_total_pv_capacity` reads the month's rows of the chunk's days from every source.
    let mut any_source: HashMap<Day, Vec<&OcpRow>> = HashMap::new();
    for r in summary {
        let (y, m, _) = r.day.ymd();
        if y == p.year && m == p.month && chunk.contains(r.day) {
            any_source.entry(r.day).or_default().push(r);
        }
    }
    let day_rows = |l: &TempLine| -> &[&OcpRow] {
        let day = l.day();
        if l.start_ms != day.start_millis() {
            return &[];
        }
        by_day.get(&day).map_or(&[], Vec::as_slice)
    };
    let disk_of = |l: &TempLine| -> Option<i64> {
        let rid = l.resource_id.as_deref()?;
        disks.get(&(rid.to_string(), l.day())).copied()
    };
    let csi_joins = |l: &TempLine, r: &OcpRow| {
        r.csi.as_deref().is_some_and(|c| !c.is_empty())
            && contains(l.resource_id.as_deref(), r.csi.as_deref())
    };

    let mut temp_rows: Vec<TempRow> = Vec::new();
    let line_row = |idx: usize, l: &'a TempLine| TempRow {
        line: None,
        line_idx: idx,
        usage_amount: l.usage_amount,
        unblended: l.unblended,
        blended: l.blended,
        sp_effective: l.sp_effective,
        amortized: l.amortized,
        line_tags: true,
        cost_category: l.cost_category_json.as_deref(),
        ..TempRow::default()
    };

    // Storage disk resource id matching.
    for (idx, l) in temp.iter().enumerate() {
        if !l.resource_id_matched || l.direction.is_some() {
            continue;
        }
        let Some(capacity) = disk_of(l) else { continue };
        let mut groups: BTreeMap<StorageKey, OcpMax> = BTreeMap::new();
        for r in day_rows(l) {
            if r.pv.is_none()
                || r.namespace.is_none()
                || r.namespace.as_deref() == Some("Storage unattributed")
                || !csi_joins(l, r)
            {
                continue;
            }
            let key = (
                r.namespace.as_deref(),
                r.pod_labels.as_deref(),
                r.volume_labels.as_deref(),
            );
            groups.entry(key).or_default().add(r, false);
        }
        for ((_, pod_labels, volume_labels), g) in groups {
            let claimless = g.pvc == Some("");
            let share = |cost: Option<f64>| {
                op(g.pvc_capacity, Some(capacity as f64), |a, b| a / b)
                    .and_then(|s| op(Some(s), cost, |a, b| a * b))
            };
            temp_rows.push(TempRow {
                cluster_id: g.cluster_id,
                cluster_alias: g.cluster_alias,
                data_source: Some("Storage"),
                namespace: if claimless {
                    Some("Storage unattributed")
                } else {
                    g.namespace
                },
                node: g.node,
                pvc: g.pvc,
                pv: g.pv,
                storageclass: g.storageclass,
                usage_amount: if claimless { None } else { l.usage_amount },
                unblended: share(l.unblended),
                blended: share(l.blended),
                sp_effective: share(l.sp_effective),
                amortized: share(l.amortized),
                pod_labels: if claimless { None } else { pod_labels },
                volume_labels: if claimless { None } else { volume_labels },
                cost_category: if claimless {
                    None
                } else {
                    l.cost_category_json.as_deref()
                },
                cost_category_id: if claimless { None } else { g.cost_category_id },
                resource_id_matched: true,
                ..line_row(idx, l)
            });
        }
    }

    // Unattributed storage: Σ max(PV capacity) per disk over the chunk (`cte_total_pv_capacity`).
    let mut pv_caps: BTreeMap<VolumeKey, Option<f64>> = BTreeMap::new();
    for l in temp.iter().filter(|l| l.resource_id_matched) {
        let Some(rid) = l.resource_id.as_deref() else {
            continue;
        };
        let day = l.day();
        let same_day = if l.start_ms == day.start_millis() {
            any_source.get(&day).map_or(&[][..], Vec::as_slice)
        } else {
            &[]
        };
        for r in same_day.iter().filter(|r| csi_joins(l, r)) {
            let cap = pv_caps
                .entry((rid, r.pv.as_deref(), r.cluster_id.as_deref()))
                .or_default();
            max_f64(cap, r.pvc_capacity_gb);
        }
    }
    let mut totals: HashMap<&str, (Option<f64>, std::collections::BTreeSet<&str>)> = HashMap::new();
    for ((rid, _, cluster), cap) in &pv_caps {
        let t = totals.entry(rid).or_default();
        sum_f64(&mut t.0, *cap);
        if let Some(c) = cluster {
            t.1.insert(c);
        }
    }
    for (idx, l) in temp.iter().enumerate() {
        if !l.resource_id_matched || l.direction.is_some() {
            continue;
        }
        let (Some(capacity), Some(rid)) = (disk_of(l), l.resource_id.as_deref()) else {
            continue;
        };
        let Some((Some(total), clusters)) = totals.get(rid) else {
            continue;
        };
        let cap = capacity as f64;
        if cap == *total {
            continue;
        }
        let mut g = OcpMax::default();
        let mut any = false;
        for r in day_rows(l) {
            if r.pv.is_none()
                || r.namespace.is_none()
                || r.namespace.as_deref() == Some("Storage unattributed")
                || !csi_joins(l, r)
            {
                continue;
            }
            any = true;
            g.add(r, false);
        }
        if !any {
            continue;
        }
        let count = clusters.len() as f64;
        let share = |cost: Option<f64>| cost.map(|c| (cap - total) / cap * c / count);
        temp_rows.push(TempRow {
            cluster_id: g.cluster_id,
            cluster_alias: g.cluster_alias,
            data_source: Some("Storage"),
            namespace: Some("Storage unattributed"),
            pvc: g.pvc,
            pv: g.pv,
            storageclass: g.storageclass,
            usage_amount: None,
            unblended: share(l.unblended),
            blended: share(l.blended),
            sp_effective: share(l.sp_effective),
            amortized: share(l.amortized),
            line_tags: false,
            cost_category: None,
            resource_id_matched: true,
            ..line_row(idx, l)
        });
    }

    // Direct resource_id matching.
    for (idx, l) in temp.iter().enumerate() {
        if !l.resource_id_matched || l.direction.is_some() || disk_of(l).is_some() {
            continue;
        }
        let mut groups: BTreeMap<(Option<&str>, Option<&str>), OcpMax> = BTreeMap::new();
        for r in day_rows(l) {
            let Some(res) = r.resource_id.as_deref().filter(|s| !s.is_empty()) else {
                continue;
            };
            if !contains(l.resource_id.as_deref(), Some(res)) {
                continue;
            }
            groups
                .entry((r.namespace.as_deref(), r.pod_labels.as_deref()))
                .or_default()
                .add(r, false);
        }
        for ((namespace, pod_labels), g) in groups {
            temp_rows.push(TempRow {
                line: Some(idx),
                cluster_id: g.cluster_id,
                cluster_alias: g.cluster_alias,
                data_source: Some("Pod"),
                namespace,
                node: g.node,
                pod_cpu: g.pod_cpu,
                pod_memory: g.pod_memory,
                node_cpu: g.node_cpu,
                node_memory: g.node_memory,
                pod_labels,
                cost_category_id: g.cost_category_id,
                resource_id_matched: true,
                ..line_row(idx, l)
            });
        }
    }

    // Tag matching.
    for (idx, l) in temp.iter().enumerate() {
        let Some(matched) = l.matched_tag.as_deref().filter(|m| !m.is_empty()) else {
            continue;
        };
        if l.resource_id_matched {
            continue;
        }
        let pieces: Vec<String> = matched.split(',').map(|x| x.replace(' ', "")).collect();
        let project = query_str(l.tags_map.as_ref(), "openshift_project");
        let node = query_str(l.tags_map.as_ref(), "openshift_node");
        let cluster = query_str(l.tags_map.as_ref(), "openshift_cluster");
        let mut groups: BTreeMap<(Option<&str>, Option<&str>), OcpMax> = BTreeMap::new();
        for r in day_rows(l) {
            let Some(ns) = r.namespace.as_deref() else {
                continue;
            };
            if SPECIAL_NAMESPACES.contains(&ns) {
                continue;
            }
            let eq = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
            let hit = eq(&project, &r.namespace)
                || eq(&node, &r.node)
                || eq(&cluster, &r.cluster_alias)
                || eq(&cluster, &r.cluster_id)
                || pieces
                    .iter()
                    .any(|x| contains(r.pod_labels.as_deref(), Some(x)))
                || pieces
                    .iter()
                    .any(|x| contains(r.volume_labels.as_deref(), Some(x)));
            if hit {
                groups
                    .entry((Some(ns), r.data_source.as_deref()))
                    .or_default()
                    .add(r, true);
            }
        }
        for ((namespace, _), g) in groups {
            temp_rows.push(TempRow {
                line: Some(idx),
                cluster_id: g.cluster_id,
                cluster_alias: g.cluster_alias,
                data_source: g.data_source,
                namespace,
                node: g.node,
                pvc: g.pvc,
                pv: g.pv,
                storageclass: g.storageclass,
                pod_labels: g.pod_labels,
                volume_labels: g.volume_labels,
                cost_category_id: g.cost_category_id,
                resource_id_matched: false,
                ..line_row(idx, l)
            });
        }
    }

    // The final INSERT.
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for t in &temp_rows {
        if let Some(i) = t.line {
            *counts.entry(i).or_default() += 1;
        }
    }
    let alias = |account: &Option<String>| -> Option<i64> {
        let account = account.as_deref()?;
        p.account_aliases
            .iter()
            .filter(|(a, _)| a == account)
            .map(|(_, id)| *id)
            .max()
    };
    let m = p.markup;
    let mut out = Vec::with_capacity(temp_rows.len());
    for t in temp_rows {
        let l = &temp[t.line_idx];
        let count = t.line.map_or(1, |i| counts[&i]) as f64;
        let by_usage = t.resource_id_matched && t.data_source == Some("Pod");
        let (pod, node) = match p.distribution {
            Distribution::Cpu => (t.pod_cpu, t.node_cpu),
            Distribution::Memory => (t.pod_memory, t.node_memory),
        };
        let ratio = op(pod, node.filter(|n| *n != 0.0), |a, b| a / b);
        let split = |cost: Option<f64>| -> (Option<f64>, Option<f64>) {
            if by_usage {
                let c = op(ratio, cost, |r, c| r * c);
                (c, c.map(|c| c * m))
            } else {
                let c = cost.map(|c| c / count);
                (c, c.map(|c| c * m))
            }
        };
        let (unblended, markup) = split(t.unblended);
        let (blended, markup_blended) = split(t.blended);
        let (sp_effective, markup_sp) = split(t.sp_effective);
        let (amortized, markup_amortized) = split(t.amortized);
        let labels = if t.pod_labels.is_some() {
            t.pod_labels
        } else {
            t.volume_labels
        };
        let line_tags = t.line_tags.then_some((t.line_idx, l));
        out.push(ManagedRow {
            line: l,
            cluster_id: t.cluster_id,
            cluster_alias: t.cluster_alias,
            data_source: t.data_source,
            namespace: t.namespace,
            node: t.node,
            pvc: t.pvc,
            pv: t.pv,
            storageclass: t.storageclass,
            account_alias_id: alias(&l.account),
            usage_amount: t.usage_amount.map(|u| u / count),
            direction: None,
            unblended,
            markup,
            blended,
            markup_blended,
            sp_effective,
            markup_sp,
            amortized,
            markup_amortized,
            enabled_tags: tags.concat(labels, line_tags)?,
            cost_category: t.cost_category,
            cost_category_id: t.cost_category_id,
        });
    }

    // Node network costs.
    for (idx, l) in temp.iter().enumerate() {
        if !l.resource_id_matched || l.direction.is_none() {
            continue;
        }
        let mut groups: BTreeMap<Option<&str>, OcpMax> = BTreeMap::new();
        for r in day_rows(l) {
            let Some(res) = r.resource_id.as_deref().filter(|s| !s.is_empty()) else {
                continue;
            };
            if r.data_source.as_deref() != Some("Pod")
                || !contains(l.resource_id.as_deref(), Some(res))
            {
                continue;
            }
            groups.entry(r.node.as_deref()).or_default().add(r, false);
        }
        for (node, g) in groups {
            let mk = |c: Option<f64>| c.map(|c| c * m);
            out.push(ManagedRow {
                line: l,
                cluster_id: g.cluster_id,
                cluster_alias: g.cluster_alias,
                data_source: g.data_source,
                namespace: Some("Network unattributed"),
                node,
                pvc: g.pvc,
                pv: g.pv,
                storageclass: g.storageclass,
                account_alias_id: alias(&l.account),
                usage_amount: l.usage_amount,
                direction: l.direction,
                unblended: l.unblended,
                markup: mk(l.unblended),
                blended: l.blended,
                markup_blended: mk(l.blended),
                sp_effective: l.sp_effective,
                markup_sp: mk(l.sp_effective),
                amortized: l.amortized,
                markup_amortized: mk(l.amortized),
                enabled_tags: tags.of_line(idx, l),
                cost_category: None,
                cost_category_id: None,
            });
        }
    }
    Ok(out)
}
