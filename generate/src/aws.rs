//! `generate --aws`: an AWS Cost and Usage Report matched to the generated cluster, written as
//! masu receives it (a `*-Manifest.json` and a gzipped CSV per billing month), so that
//! `ingest --provider aws` converts it into Koku's AWS Parquet layout.
//!
//! Layout: `OUT/aws/<YYYYMMDD-YYYYMMDD>/ocp-summary-cur-Manifest.json` and
//! `ocp-summary-cur-00001.csv.gz` (the billing period, as CUR folders are named).
//!
//! Lines, every hour of the generated range unless said otherwise (all costs markup-free; the
//! unblended, blended, savings-plan effective and public on-demand columns are set as AWS
//! does for each line type, and `reservation/EffectiveCost` carries the amortized RI cost):
//! - **EC2 instances**: one `BoxUsage` line per node, `lineItem/ResourceId` = the node's
//!   `resource_id` (Koku matches instances by the resource id ending with it), tagged
//!   `openshift_cluster` (`--aws-cluster-id`), `openshift_node` (the node name) and the enabled
//!   key:value tags `environment`, `app`; masters and infra nodes also carry
//!   `costCategory/team=platform`. Node `k` is billed by `k % 3`: 0 on demand (`Usage`),
//!   1 covered by a savings plan (`SavingsPlanCoveredUsage` plus its `SavingsPlanNegation`),
//!   2 covered by a reserved instance (`DiscountedUsage`, with one `RIFee` line per month).
//! - **Network**: `DataTransfer-Out-Bytes` and `DataTransfer-In-Bytes` lines on each node's
//!   instance (product family `Data Transfer`), which Koku attributes to "Network unattributed".
//! - **EBS volumes**: one `EBS:VolumeUsage.gp3` line per distinct PV; the resource id is the PV's
//!   CSI volume handle when it has one, else `vol-<pv name>` (ends with the PV name); tagged
//!   `openshift_cluster`, `openshift_project` (the PVC's namespace) and `app`.
//! - **Unrelated**: an untagged S3 bucket and an RDS database tagged only `app=billing`.
//!
//! Deterministic: every value comes from `--seed` and the topology.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::rng::{h3, unit};
use crate::time::{civil_from_days, days_from_civil, days_in_month};
use crate::topology::Topology;

/// The CUR header, in the order the file has it.
pub const HEADER: &[&str] = &[
    "identity/LineItemId",
    "identity/TimeInterval",
    "bill/InvoiceId",
    "bill/BillingEntity",
    "bill/BillType",
    "bill/PayerAccountId",
    "bill/BillingPeriodStartDate",
    "bill/BillingPeriodEndDate",
    "lineItem/UsageAccountId",
    "lineItem/LineItemType",
    "lineItem/UsageStartDate",
    "lineItem/UsageEndDate",
    "lineItem/ProductCode",
    "lineItem/UsageType",
    "lineItem/Operation",
    "lineItem/AvailabilityZone",
    "lineItem/ResourceId",
    "lineItem/UsageAmount",
    "lineItem/NormalizationFactor",
    "lineItem/NormalizedUsageAmount",
    "lineItem/CurrencyCode",
    "lineItem/UnblendedRate",
    "lineItem/UnblendedCost",
    "lineItem/BlendedRate",
    "lineItem/BlendedCost",
    "lineItem/LineItemDescription",
    "lineItem/TaxType",
    "lineItem/LegalEntity",
    "product/ProductName",
    "product/instanceType",
    "product/memory",
    "product/operatingSystem",
    "product/productFamily",
    "product/region",
    "product/servicecode",
    "product/sku",
    "product/vcpu",
    "pricing/publicOnDemandCost",
    "pricing/publicOnDemandRate",
    "pricing/term",
    "pricing/unit",
    "reservation/AmortizedUpfrontCostForUsage",
    "reservation/AmortizedUpfrontFeeForBillingPeriod",
    "reservation/EffectiveCost",
    "reservation/EndTime",
    "reservation/NumberOfReservations",
    "reservation/RecurringFeeForUsage",
    "reservation/ReservationARN",
    "reservation/StartTime",
    "reservation/UnitsPerReservation",
    "reservation/UnusedQuantity",
    "reservation/UnusedRecurringFee",
    "savingsPlan/SavingsPlanARN",
    "savingsPlan/SavingsPlanEffectiveCost",
    "savingsPlan/SavingsPlanRate",
    "resourceTags/aws:createdBy",
    "resourceTags/user:app",
    "resourceTags/user:environment",
    "resourceTags/user:openshift_cluster",
    "resourceTags/user:openshift_node",
    "resourceTags/user:openshift_project",
    "costCategory/team",
];

const ACCOUNT: &str = "589173575009";
const REPORT: &str = "ocp-summary-cur";
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// What `--aws` wrote.
#[derive(Debug, Clone, Default)]
pub struct AwsSummary {
    /// (manifest path, CSV path, lines).
    pub reports: Vec<(PathBuf, PathBuf, usize)>,
}

/// `2026-03-01T00:00:00Z`.
fn iso(ms: i64) -> String {
    let day = ms.div_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(day);
    let s = ms.rem_euclid(DAY_MS) / 1000;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Decimal text as a CUR has it (up to 10 decimals, trailing zeros trimmed).
fn num(x: f64) -> String {
    let s = format!("{x:.10}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// One line being built.
struct Line<'a> {
    idx: &'a HashMap<&'static str, usize>,
    cells: Vec<String>,
}

impl Line<'_> {
    fn set(&mut self, col: &str, v: impl Into<String>) -> &mut Self {
        let i = *self
            .idx
            .get(col)
            .unwrap_or_else(|| panic!("no CUR column {col}"));
        self.cells[i] = v.into();
        self
    }

    fn cost(&mut self, col: &str, v: f64) -> &mut Self {
        self.set(col, num(v))
    }
}

/// How a node's instance is billed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Billing {
    OnDemand,
    SavingsPlan,
    Reserved,
}

fn instance(cores: f64) -> (&'static str, f64, f64) {
    match cores as u32 {
        4 => ("m5.xlarge", 0.192, 8.0),
        8 => ("m5.2xlarge", 0.384, 16.0),
        16 => ("m5.4xlarge", 0.768, 32.0),
        _ => ("m5.8xlarge", 1.536, 64.0),
    }
}

/// Writes the CUR of every billing month the generated range touches.
pub fn write(
    topo: &Topology,
    out: &Path,
    cluster_id: &str,
    seed: u64,
) -> anyhow::Result<AwsSummary> {
    let idx: HashMap<&'static str, usize> =
        HEADER.iter().enumerate().map(|(i, h)| (*h, i)).collect();
    let p = &topo.params;
    let start_ms = p.start_day * DAY_MS;
    let hours = i64::from(p.days) * 24;
    // billing month (y, m) -> lines
    let mut months: BTreeMap<(i64, u32), Vec<Vec<String>>> = BTreeMap::new();
    let zones = ["us-east-1a", "us-east-1b", "us-east-1c"];
    let mut serial = 0u64;
    let mut new_line = |t: i64, end: i64| {
        serial += 1;
        let (y, m, _) = civil_from_days(t.div_euclid(DAY_MS));
        let first = days_from_civil(y, m, 1) * DAY_MS;
        let next = first + i64::from(days_in_month(y, m)) * DAY_MS;
        let mut l = Line {
            idx: &idx,
            cells: vec![String::new(); HEADER.len()],
        };
        l.set(
            "identity/LineItemId",
            format!(
                "{:016x}{:016x}",
                h3(seed, serial, 0, 91),
                h3(seed, serial, 1, 91)
            ),
        )
        .set("identity/TimeInterval", format!("{}/{}", iso(t), iso(end)))
        .set("bill/InvoiceId", format!("EUINUS{y:04}{m:02}-0001"))
        .set("bill/BillingEntity", "AWS")
        .set("bill/BillType", "Anniversary")
        .set("bill/PayerAccountId", ACCOUNT)
        .set("bill/BillingPeriodStartDate", iso(first))
        .set("bill/BillingPeriodEndDate", iso(next))
        .set("lineItem/UsageAccountId", ACCOUNT)
        .set("lineItem/UsageStartDate", iso(t))
        .set("lineItem/UsageEndDate", iso(end))
        .set("lineItem/CurrencyCode", "USD")
        .set("lineItem/LegalEntity", "Amazon Web Services, Inc.")
        .set("product/region", "us-east-1");
        ((y, m), l)
    };
    let billing = |k: usize| match k % 3 {
        0 => Billing::OnDemand,
        1 => Billing::SavingsPlan,
        _ => Billing::Reserved,
    };
    // distinct PVs, in topology order
    let mut pvs: Vec<(String, String, String)> = Vec::new();
    for v in &topo.volumes {
        let pv = String::from_utf8_lossy(v.pv.data()).into_owned();
        if pv.is_empty() || pvs.iter().any(|(p, _, _)| *p == pv) {
            continue;
        }
        let handle = String::from_utf8_lossy(v.csi_volume_handle.data()).into_owned();
        let ns = String::from_utf8_lossy(v.namespace.data()).into_owned();
        pvs.push((pv, handle, ns));
    }
    for h in 0..hours {
        let t = start_ms + h * HOUR_MS;
        let end = t + HOUR_MS;
        for (k, node) in topo.nodes.iter().enumerate() {
            let (itype, od, nf) = instance(node.cores);
            let mode = billing(k);
            let zone = zones[k % 3];
            let env = if k % 2 == 0 { "prod" } else { "dev" };
            let platform = node.role != "worker";
            let tag = |l: &mut Line| {
                l.set("resourceTags/user:openshift_cluster", cluster_id)
                    .set("resourceTags/user:openshift_node", node.name.clone())
                    .set("resourceTags/user:environment", env)
                    .set("resourceTags/aws:createdBy", "AssumedRole:installer");
                if platform {
                    l.set("costCategory/team", "platform");
                } else {
                    l.set("resourceTags/user:app", "ocp");
                }
            };
            let product = |l: &mut Line| {
                l.set("lineItem/ProductCode", "AmazonEC2")
                    .set("lineItem/AvailabilityZone", zone)
                    .set("lineItem/ResourceId", node.resource_id.clone())
                    .set("product/ProductName", "Amazon Elastic Compute Cloud")
                    .set("product/servicecode", "AmazonEC2");
            };
            // the instance hour
            let (key, mut l) = new_line(t, end);
            product(&mut l);
            tag(&mut l);
            l.set("lineItem/UsageType", format!("USE1-BoxUsage:{itype}"))
                .set("lineItem/Operation", "RunInstances")
                .set("lineItem/UsageAmount", "1")
                .cost("lineItem/NormalizationFactor", nf)
                .cost("lineItem/NormalizedUsageAmount", nf)
                .set("product/instanceType", itype)
                .set(
                    "product/memory",
                    format!("{} GiB", node.mem / (1u64 << 30) as f64),
                )
                .set("product/vcpu", format!("{}", node.cores as u32))
                .set("product/operatingSystem", "Linux")
                .set("product/productFamily", "Compute Instance")
                .set("product/sku", format!("SKU{itype}"))
                .cost("pricing/publicOnDemandCost", od)
                .cost("pricing/publicOnDemandRate", od)
                .set("pricing/unit", "Hrs");
            let sp_rate = od * 0.72;
            let ri_rate = od * 0.6;
            let sp_arn = format!("arn:aws:savingsplans::{ACCOUNT}:savingsplan/sp-{k:04}");
            let ri_arn = format!("arn:aws:ec2:us-east-1:{ACCOUNT}:reserved-instances/ri-{k:04}");
            match mode {
                Billing::OnDemand => {
                    l.set("lineItem/LineItemType", "Usage")
                        .cost("lineItem/UnblendedRate", od)
                        .cost("lineItem/UnblendedCost", od)
                        .cost("lineItem/BlendedRate", od)
                        .cost("lineItem/BlendedCost", od)
                        .set(
                            "lineItem/LineItemDescription",
                            format!("${od} per On Demand Linux {itype} Instance Hour"),
                        )
                        .set("pricing/term", "OnDemand");
                }
                Billing::SavingsPlan => {
                    l.set("lineItem/LineItemType", "SavingsPlanCoveredUsage")
                        .cost("lineItem/UnblendedRate", od)
                        .cost("lineItem/UnblendedCost", od)
                        .cost("lineItem/BlendedRate", od)
                        .cost("lineItem/BlendedCost", od)
                        .set(
                            "lineItem/LineItemDescription",
                            format!("{} per hour for {itype} in us-east-1", num(sp_rate)),
                        )
                        .set("pricing/term", "OnDemand")
                        .set("savingsPlan/SavingsPlanARN", sp_arn.clone())
                        .cost("savingsPlan/SavingsPlanEffectiveCost", sp_rate)
                        .cost("savingsPlan/SavingsPlanRate", sp_rate);
                }
                Billing::Reserved => {
                    l.set("lineItem/LineItemType", "DiscountedUsage")
                        .cost("lineItem/UnblendedRate", 0.0)
                        .cost("lineItem/UnblendedCost", 0.0)
                        .cost("lineItem/BlendedRate", 0.0)
                        .cost("lineItem/BlendedCost", 0.0)
                        .set(
                            "lineItem/LineItemDescription",
                            format!("USD 0.0 hourly fee per Linux/UNIX, {itype} instance"),
                        )
                        .set("pricing/term", "Reserved")
                        .set("reservation/ReservationARN", ri_arn.clone())
                        .cost("reservation/EffectiveCost", ri_rate)
                        .cost("reservation/RecurringFeeForUsage", ri_rate)
                        .cost("reservation/AmortizedUpfrontCostForUsage", 0.0);
                }
            }
            months.entry(key).or_default().push(l.cells);
            if mode == Billing::SavingsPlan {
                let (key, mut l) = new_line(t, end);
                product(&mut l);
                tag(&mut l);
                l.set("lineItem/LineItemType", "SavingsPlanNegation")
                    .set("lineItem/UsageType", format!("USE1-BoxUsage:{itype}"))
                    .set("lineItem/Operation", "RunInstances")
                    .set("lineItem/UsageAmount", "0")
                    .cost("lineItem/UnblendedRate", -od)
                    .cost("lineItem/UnblendedCost", -od)
                    .cost("lineItem/BlendedRate", -od)
                    .cost("lineItem/BlendedCost", -od)
                    .set(
                        "lineItem/LineItemDescription",
                        format!("SavingsPlanNegation used by AccountId : {ACCOUNT} and UsageSku : SKU{itype}"),
                    )
                    .set("savingsPlan/SavingsPlanARN", sp_arn);
                months.entry(key).or_default().push(l.cells);
            }
            if mode == Billing::Reserved {
                // one RIFee line per month, on the first hour of the month in range
                let (y, m, d) = civil_from_days(t.div_euclid(DAY_MS));
                if (d == 1 && t.rem_euclid(DAY_MS) == 0) || h == 0 {
                    let first = days_from_civil(y, m, 1) * DAY_MS;
                    let next = first + i64::from(days_in_month(y, m)) * DAY_MS;
                    let month_hours = ((next - first) / HOUR_MS) as f64;
                    let (key, mut l) = new_line(first, next);
                    l.set("lineItem/LineItemType", "RIFee")
                        .set("lineItem/ProductCode", "AmazonEC2")
                        .set("lineItem/UsageType", format!("USE1-HeavyUsage:{itype}"))
                        .set("lineItem/Operation", "RunInstances")
                        .cost("lineItem/UsageAmount", month_hours)
                        .cost("lineItem/UnblendedRate", ri_rate)
                        .cost("lineItem/UnblendedCost", ri_rate * month_hours)
                        .cost("lineItem/BlendedRate", ri_rate)
                        .cost("lineItem/BlendedCost", ri_rate * month_hours)
                        .set(
                            "lineItem/LineItemDescription",
                            format!(
                                "USD {} hourly fee per Linux/UNIX, {itype} instance",
                                num(ri_rate)
                            ),
                        )
                        .set("product/ProductName", "Amazon Elastic Compute Cloud")
                        .set("product/instanceType", itype)
                        .set("product/productFamily", "Compute Instance")
                        .set("product/servicecode", "AmazonEC2")
                        .set("pricing/term", "Reserved")
                        .set("pricing/unit", "Hrs")
                        .set("reservation/ReservationARN", ri_arn)
                        .set("reservation/NumberOfReservations", "1")
                        .set("reservation/UnitsPerReservation", num(month_hours))
                        .set("reservation/StartTime", iso(first - 30 * DAY_MS))
                        .set("reservation/EndTime", iso(first + 335 * DAY_MS))
                        .cost("reservation/AmortizedUpfrontFeeForBillingPeriod", 0.0)
                        .cost("reservation/UnusedQuantity", 0.0)
                        .cost("reservation/UnusedRecurringFee", 0.0);
                    months.entry(key).or_default().push(l.cells);
                }
            }
            // network: data out (charged) and in (free)
            for (dir, rate, stream) in [("Out", 0.09, 2u64), ("In", 0.0, 3u64)] {
                let gb = 0.01 + 2.0 * unit(h3(seed, k as u64, h as u64, 100 + stream));
                let (key, mut l) = new_line(t, end);
                product(&mut l);
                tag(&mut l);
                l.set("lineItem/LineItemType", "Usage")
                    .set(
                        "lineItem/UsageType",
                        format!("USE1-DataTransfer-{dir}-Bytes"),
                    )
                    .set("lineItem/Operation", "RunInstances")
                    .cost("lineItem/UsageAmount", gb)
                    .cost("lineItem/UnblendedRate", rate)
                    .cost("lineItem/UnblendedCost", gb * rate)
                    .cost("lineItem/BlendedRate", rate)
                    .cost("lineItem/BlendedCost", gb * rate)
                    .set(
                        "lineItem/LineItemDescription",
                        format!("${rate} per GB - data transfer {dir}"),
                    )
                    .set("product/productFamily", "Data Transfer")
                    .set("product/sku", format!("SKUDT{dir}"))
                    .cost("pricing/publicOnDemandCost", gb * rate)
                    .cost("pricing/publicOnDemandRate", rate)
                    .set("pricing/term", "OnDemand")
                    .set("pricing/unit", "GB");
                months.entry(key).or_default().push(l.cells);
            }
        }
        // EBS volumes behind the PVs
        for (i, (pv, handle, ns)) in pvs.iter().enumerate() {
            let gib = 10.0 * (1 + i % 10) as f64;
            let (y, m, _) = civil_from_days(t.div_euclid(DAY_MS));
            let month_hours = f64::from(days_in_month(y, m) * 24);
            let amount = gib / month_hours;
            let rate = 0.08;
            let rid = if handle.is_empty() {
                format!("vol-{pv}")
            } else {
                handle.clone()
            };
            let (key, mut l) = new_line(t, end);
            l.set("lineItem/LineItemType", "Usage")
                .set("lineItem/ProductCode", "AmazonEC2")
                .set("lineItem/UsageType", "USE1-EBS:VolumeUsage.gp3")
                .set("lineItem/Operation", "CreateVolume-Gp3")
                .set("lineItem/AvailabilityZone", zones[i % 3])
                .set("lineItem/ResourceId", rid)
                .cost("lineItem/UsageAmount", amount)
                .cost("lineItem/UnblendedRate", rate)
                .cost("lineItem/UnblendedCost", amount * rate)
                .cost("lineItem/BlendedRate", rate)
                .cost("lineItem/BlendedCost", amount * rate)
                .set(
                    "lineItem/LineItemDescription",
                    "$0.08 per GB-month of General Purpose (gp3) provisioned storage",
                )
                .set("product/ProductName", "Amazon Elastic Compute Cloud")
                .set("product/productFamily", "Storage")
                .set("product/servicecode", "AmazonEC2")
                .set("product/sku", "SKUGP3")
                .cost("pricing/publicOnDemandCost", amount * rate)
                .cost("pricing/publicOnDemandRate", rate)
                .set("pricing/term", "OnDemand")
                .set("pricing/unit", "GB-Mo")
                .set("resourceTags/user:openshift_cluster", cluster_id)
                .set("resourceTags/user:openshift_project", ns.clone())
                .set("resourceTags/user:app", format!("app-{}", i % 4));
            months.entry(key).or_default().push(l.cells);
        }
        // unrelated: an untagged S3 bucket, an RDS database tagged app=billing only
        let (key, mut l) = new_line(t, end);
        let gb = 5.0 + unit(h3(seed, 7, h as u64, 200));
        l.set("lineItem/LineItemType", "Usage")
            .set("lineItem/ProductCode", "AmazonS3")
            .set("lineItem/UsageType", "USE1-TimedStorage-ByteHrs")
            .set("lineItem/Operation", "StandardStorage")
            .set("lineItem/ResourceId", "ocp-summary-unrelated-bucket")
            .cost("lineItem/UsageAmount", gb)
            .cost("lineItem/UnblendedRate", 0.023)
            .cost("lineItem/UnblendedCost", gb * 0.023)
            .cost("lineItem/BlendedRate", 0.023)
            .cost("lineItem/BlendedCost", gb * 0.023)
            .set(
                "lineItem/LineItemDescription",
                "$0.023 per GB - first 50 TB / month of storage used",
            )
            .set("product/ProductName", "Amazon Simple Storage Service")
            .set("product/productFamily", "Storage")
            .set("product/servicecode", "AmazonS3")
            .set("pricing/term", "OnDemand")
            .set("pricing/unit", "GB-Mo");
        months.entry(key).or_default().push(l.cells);
        let (key, mut l) = new_line(t, end);
        l.set("lineItem/LineItemType", "Usage")
            .set("lineItem/ProductCode", "AmazonRDS")
            .set("lineItem/UsageType", "USE1-InstanceUsage:db.t3.medium")
            .set("lineItem/Operation", "CreateDBInstance:0014")
            .set("lineItem/AvailabilityZone", "us-east-1a")
            .set(
                "lineItem/ResourceId",
                format!("arn:aws:rds:us-east-1:{ACCOUNT}:db:billing-db"),
            )
            .set("lineItem/UsageAmount", "1")
            .cost("lineItem/UnblendedRate", 0.068)
            .cost("lineItem/UnblendedCost", 0.068)
            .cost("lineItem/BlendedRate", 0.068)
            .cost("lineItem/BlendedCost", 0.068)
            .set(
                "lineItem/LineItemDescription",
                "$0.068 per RDS db.t3.medium instance hour",
            )
            .set("product/ProductName", "Amazon Relational Database Service")
            .set("product/instanceType", "db.t3.medium")
            .set("product/productFamily", "Database Instance")
            .set("product/servicecode", "AmazonRDS")
            .set("product/vcpu", "2")
            .set("product/memory", "4 GiB")
            .cost("pricing/publicOnDemandCost", 0.068)
            .cost("pricing/publicOnDemandRate", 0.068)
            .set("pricing/term", "OnDemand")
            .set("pricing/unit", "Hrs")
            .set("resourceTags/user:app", "billing");
        months.entry(key).or_default().push(l.cells);
    }
    let mut summary = AwsSummary::default();
    for ((y, m), lines) in months {
        let first = days_from_civil(y, m, 1);
        let next = first + i64::from(days_in_month(y, m));
        let (ny, nm, _) = civil_from_days(next);
        let period = format!("{y:04}{m:02}01-{ny:04}{nm:02}01");
        let dir = out.join("aws").join(&period);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let assembly = {
            let a = format!(
                "{:016x}{:016x}",
                h3(seed, y as u64, u64::from(m), 92),
                h3(seed, 1, 2, 93)
            );
            format!(
                "{}-{}-4{}-a{}-{}",
                &a[0..8],
                &a[8..12],
                &a[13..16],
                &a[17..20],
                &a[20..32]
            )
        };
        let csv_name = format!("{REPORT}-00001.csv.gz");
        let csv_path = dir.join(&csv_name);
        let file = std::fs::File::create(&csv_path)
            .with_context(|| format!("creating {}", csv_path.display()))?;
        let gz = flate2::write::GzEncoder::new(
            std::io::BufWriter::new(file),
            flate2::Compression::fast(),
        );
        let mut w = csv::Writer::from_writer(gz);
        w.write_record(HEADER)?;
        for l in &lines {
            w.write_record(l)?;
        }
        w.into_inner()
            .map_err(|e| anyhow::anyhow!("{}: {e}", csv_path.display()))?
            .finish()?
            .flush()?;
        let manifest = serde_json::json!({
            "assemblyId": assembly,
            "account": ACCOUNT,
            "columns": HEADER.iter().map(|h| {
                let (category, name) = h.split_once('/').unwrap_or(("", h));
                serde_json::json!({"category": category, "name": name})
            }).collect::<Vec<_>>(),
            "charset": "UTF-8",
            "compression": "GZIP",
            "contentType": "text/csv",
            "reportId": format!("{:016x}", h3(seed, 3, 4, 94)),
            "reportName": REPORT,
            "billingPeriod": {
                "start": format!("{y:04}{m:02}01T000000.000Z"),
                "end": format!("{ny:04}{nm:02}01T000000.000Z"),
            },
            "bucket": "ocp-summary-cur",
            "reportKeys": [format!("cur/{REPORT}/{period}/{assembly}/{csv_name}")],
            "additionalArtifactKeys": [],
        });
        let manifest_path = dir.join(format!("{REPORT}-Manifest.json"));
        std::fs::write(&manifest_path, serde_json::to_string_pretty(&manifest)?)
            .with_context(|| format!("writing {}", manifest_path.display()))?;
        summary.reports.push((manifest_path, csv_path, lines.len()));
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_and_numbers() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            iso(days_from_civil(2026, 3, 1) * DAY_MS + 3_723_000),
            "2026-03-01T01:02:03Z"
        );
        assert_eq!(num(0.192), "0.192");
        assert_eq!(num(1.0), "1");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(0.1 + 0.2), "0.3");
    }
}
