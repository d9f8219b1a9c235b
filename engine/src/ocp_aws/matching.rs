//! Which AWS lines belong to the cluster, per chunk.
//!
//! * [`matched_tags`]: masu's `_get_matched_tags_strings` over `trino_sql/reporting_ocpaws_matched_tags.sql`
//!   (pairs of keys enabled for both AWS and OCP that an AWS line and an OpenShift summary row
//!   share, compared case-insensitively; a line or row qualifies when its tag *text* contains an
//!   enabled key anywhere), unioned with `trino_sql/openshift/ocp_special_matched_tags.sql`
//!   (`"openshift_cluster": "<alias>"`, `"<id>"`, `"openshift_node": "<node>"`,
//!   `"openshift_project": "<namespace>"` of the chunk's pod rows).
//! * [`step1`]: `1_resource_matching_by_cluster.sql`: a line is resource-matched when its
//!   `lineitem_resourceid` ends with a node's `resource_id`, a PV name or a non-empty CSI handle
//!   (`cte_matchable_resource_names`); otherwise tag-matched when its `resourcetags` text
//!   contains one of the matched-tag strings (`cte_agg_tags`, `strpos`); other lines are dropped.

use super::json::{canonical, filter_json, python_dumps_pair, to_map, TagMap};
use super::read::AwsInput;
use super::sql::{contains, nullif_empty};
use super::{Chunk, OcpDaily, OcpRow, Params};
use crate::error::Error;
use std::collections::{BTreeSet, HashMap};

/// Step 1 keeps these keys besides the AWS-enabled ones (`array['openshift_cluster', …]`).
pub const OPENSHIFT_KEYS: [&str; 3] = ["openshift_cluster", "openshift_node", "openshift_project"];

/// One row of `managed_aws_openshift_daily_temp` (step 1's output).
#[derive(Debug, Clone)]
pub struct TempLine {
    pub row_uuid: Option<String>,
    pub resource_id: Option<String>,
    pub product_code: Option<String>,
    pub start_ms: i64,
    pub account: Option<String>,
    pub zone: Option<String>,
    pub family: Option<String>,
    pub instance_type: Option<String>,
    pub region: Option<String>,
    pub unit: Option<String>,
    /// `resourcetags` filtered to the OpenShift and AWS-enabled keys.
    pub tags: Option<String>,
    pub tags_map: Option<TagMap>,
    /// `costcategory` as the outputs hold it (`json_parse`: canonical JSON, JSON `null` → NULL).
    pub cost_category_json: Option<String>,
    pub direction: Option<&'static str>,
    pub usage_amount: Option<f64>,
    pub currency: Option<String>,
    pub unblended: Option<f64>,
    pub blended: Option<f64>,
    pub sp_effective: Option<f64>,
    pub amortized: Option<f64>,
    pub resource_id_matched: bool,
    /// The matched-tag strings found in the line's tags, joined by `,` (NULL when resource-matched).
    pub matched_tag: Option<String>,
}

impl TempLine {
    pub fn day(&self) -> crate::value::Day {
        crate::value::Day::of_millis(self.start_ms)
    }
}

/// The summary rows the chunk's statements read: `ocp.source = {{ocp_source}}`, the month, and
/// `day IN {{days}}`.
pub fn chunk_rows<'s>(
    p: &Params,
    chunk: &Chunk,
    summary: &'s [OcpRow],
) -> impl Iterator<Item = &'s OcpRow> + 's {
    let source = p.ocp_source.clone();
    let (year, month, chunk) = (p.year, p.month, *chunk);
    summary.iter().filter(move |r| {
        let (y, m, _) = r.day.ymd();
        r.source.as_deref() == Some(source.as_str())
            && (y, m) == (year, month)
            && chunk.contains(r.day)
    })
}

fn pairs(map: Option<TagMap>, out: &mut BTreeSet<(String, String)>) {
    for (k, v) in map.into_iter().flatten() {
        if let Some(v) = v {
            out.insert((k, v));
        }
    }
}

/// The chunk's matched-tag strings (`matched_tags` of step 1), sorted.
pub fn matched_tags(
    p: &Params,
    chunk: &Chunk,
    aws: &AwsInput,
    ocp: &OcpDaily,
    summary: &[OcpRow],
) -> Result<Vec<String>, Error> {
    let mut out = BTreeSet::new();
    let both: Vec<&String> = p
        .aws_keys
        .iter()
        .filter(|k| p.ocp_keys.contains(k))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // check_for_matching_enabled_keys(): without a key enabled for both, no query at all.
    if !both.is_empty() {
        let has_key = |text: Option<&str>| both.iter().any(|k| contains(text, Some(k)));
        let mut aws_pairs = BTreeSet::new();
        for line in aws.lines.iter().filter(|l| chunk.contains(l.day())) {
            if has_key(line.resourcetags.as_deref()) {
                pairs(to_map(line.resourcetags.as_deref())?, &mut aws_pairs);
            }
        }
        let mut ocp_pairs = BTreeSet::new();
        for r in chunk_rows(p, chunk, summary) {
            if has_key(r.pod_labels.as_deref()) || has_key(r.volume_labels.as_deref()) {
                pairs(to_map(r.pod_labels.as_deref())?, &mut ocp_pairs);
                pairs(to_map(r.volume_labels.as_deref())?, &mut ocp_pairs);
            }
        }
        let ocp_lower: BTreeSet<(String, String)> = ocp_pairs
            .iter()
            .map(|(k, v)| (k.to_lowercase(), v.to_lowercase()))
            .collect();
        for (k, v) in &aws_pairs {
            if ocp_lower.contains(&(k.to_lowercase(), v.to_lowercase())) {
                out.insert(python_dumps_pair(k, v)?);
            }
        }
    }
    let null = |s: Option<&String>| s.cloned().unwrap_or_else(|| "null".into());
    out.insert(format!(
        "\"openshift_cluster\": \"{}\"",
        null(p.cluster_alias.as_ref())
    ));
    out.insert(format!("\"openshift_cluster\": \"{}\"", p.cluster_id));
    for (day, namespace, node, _) in &ocp.pods {
        if chunk.contains(*day) {
            out.insert(format!("\"openshift_node\": \"{}\"", null(node.as_ref())));
            out.insert(format!(
                "\"openshift_project\": \"{}\"",
                null(namespace.as_ref())
            ));
        }
    }
    Ok(out.into_iter().collect())
}

fn lower_has(s: Option<&str>, needle: &str) -> bool {
    s.is_some_and(|s| s.to_lowercase().contains(needle))
}

/// `data_transfer_direction` of step 1.
fn direction(line: &super::AwsLine) -> Option<&'static str> {
    if line.product_code.as_deref() != Some("AmazonEC2")
        || line.family.as_deref() != Some("Data Transfer")
    {
        return None;
    }
    let (ut, op) = (line.usage_type.as_deref(), line.operation.as_deref());
    if lower_has(ut, "in-bytes") {
        Some("IN")
    } else if lower_has(ut, "out-bytes") {
        Some("OUT")
    } else if lower_has(ut, "regional-bytes") && lower_has(op, "-in") {
        Some("IN")
    } else if lower_has(ut, "regional-bytes") && lower_has(op, "-out") {
        Some("OUT")
    } else {
        None
    }
}

/// Step 1: the chunk's matched lines.
pub fn step1(
    p: &Params,
    chunk: &Chunk,
    aws: &AwsInput,
    ocp: &OcpDaily,
    matched_tags: &[String],
) -> Result<Vec<TempLine>, Error> {
    let nodes: BTreeSet<&str> = ocp
        .pods
        .iter()
        .filter(|(d, ..)| chunk.contains(*d))
        .filter_map(|(_, _, _, r)| r.as_deref().filter(|r| !r.is_empty()))
        .collect();
    let volumes: BTreeSet<(&str, Option<&str>)> = ocp
        .volumes
        .iter()
        .filter(|(d, ..)| chunk.contains(*d))
        .filter_map(|(_, pv, csi)| {
            let pv = pv.as_deref().filter(|pv| !pv.is_empty())?;
            Some((pv, csi.as_deref()))
        })
        .collect();
    let mut keys: Vec<String> = OPENSHIFT_KEYS.iter().map(|k| k.to_string()).collect();
    keys.extend(p.aws_keys.iter().cloned());
    keys.sort();
    keys.dedup();
    let mut matchable: HashMap<&str, bool> = HashMap::new();
    let mut out = Vec::new();
    for line in aws.lines.iter().filter(|l| chunk.contains(l.day())) {
        let resource_id_matched = line.resource_id.as_deref().is_some_and(|rid| {
            *matchable.entry(rid).or_insert_with(|| {
                nodes.iter().any(|n| rid.ends_with(n))
                    || volumes.iter().any(|(pv, csi)| {
                        rid.ends_with(pv) || csi.is_some_and(|c| !c.is_empty() && rid.ends_with(c))
                    })
            })
        });
        let matched_tag = if resource_id_matched {
            None
        } else {
            let found: Vec<&str> = matched_tags
                .iter()
                .filter(|t| contains(line.resourcetags.as_deref(), Some(t)))
                .map(String::as_str)
                .collect();
            if found.is_empty() {
                continue;
            }
            Some(found.join(","))
        };
        let product_code = if line.billing_entity.as_deref() == Some("AWS Marketplace") {
            nullif_empty(line.product_name.as_deref())
                .or_else(|| nullif_empty(line.product_code.as_deref()))
        } else {
            nullif_empty(line.product_code.as_deref())
        };
        let covered = line.line_type.as_deref() == Some("SavingsPlanCoveredUsage");
        let amortized = match line.line_type.as_deref() {
            Some("Tax") | Some("Usage") => line.unblended,
            _ => line.sp_effective,
        };
        let tags = filter_json(line.resourcetags.as_deref(), Some(&keys))?;
        out.push(TempLine {
            row_uuid: line.row_uuid.clone(),
            resource_id: nullif_empty(line.resource_id.as_deref()),
            product_code,
            start_ms: line.start_ms,
            account: line.account.clone(),
            zone: nullif_empty(line.zone.as_deref()),
            family: nullif_empty(line.family.as_deref()),
            instance_type: nullif_empty(line.instance_type.as_deref()),
            region: nullif_empty(line.region.as_deref()),
            unit: nullif_empty(line.unit.as_deref()),
            tags_map: to_map(tags.as_deref())?,
            tags,
            cost_category_json: canonical(line.costcategory.as_deref())?,
            direction: direction(line),
            usage_amount: line.usage_amount,
            currency: nullif_empty(line.currency.as_deref()),
            unblended: if covered { Some(0.0) } else { line.unblended },
            blended: if covered { Some(0.0) } else { line.blended },
            sp_effective: line.sp_effective,
            amortized,
            resource_id_matched,
            matched_tag,
        });
    }
    Ok(out)
}
