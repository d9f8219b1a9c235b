//! `ingest --provider aws` (an AWS CUR → Koku's AWS Parquet layout) and `generate --aws`:
//! (a) the generated CUR ingests into masu's partitions with masu's schema, and matches the
//!     generated cluster (instances, volumes, tags, network, savings plans, reserved instances);
//! (b) every file, row and column equals the Python port of masu's rules (tests/oracle/aws_ingest.py);
//! (c) `resourcetags` / `costcategory` of hand-written rows are the text masu's code gives;
//! (d) broken CURs fail with exit 2, a message naming the file, line and column, and write nothing.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const HOURLY: &str =
    "data/parquet/org1234567/AWS/source=6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10/year=2026/month=03";
const DAILY: &str =
    "data/parquet/daily/org1234567/AWS/raw/source=6f0b2c1e-8d3a-4c55-9a7e-0d2f4b6a8c10/year=2026/month=03";

fn ingest_aws(input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    bin()
        .args(["ingest", "--provider", "aws", "--input"])
        .arg(input)
        .arg("--output")
        .arg(out)
        .args(["--org", ORG, "--source", SOURCE])
        .args(extra)
        .output()
        .expect("spawn ingest")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().unwrap().is_dir() {
                out.extend(files_under(&e.path()));
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn names(dir: &Path) -> Vec<String> {
    files_under(dir)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// Runs a duckdb query in `root`; rows as `repr` values joined by `|`.
fn duck(root: &Path, sql: &str) -> String {
    let script = format!(
        "import duckdb, os\nos.chdir({:?})\nfor r in duckdb.sql({:?}).fetchall(): print('|'.join(map(repr, r)))",
        root.display().to_string(),
        sql
    );
    let out = std::process::Command::new(python())
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    String::from_utf8(check(out, "duckdb").stdout).unwrap()
}

/// (column name, physical type, logical type) of a Parquet file, as the parquet crate reads it.
fn schema(path: &Path) -> Vec<(String, String, String)> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let r = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let descr = r.metadata().file_metadata().schema_descr_ptr();
    descr
        .columns()
        .iter()
        .map(|c| {
            (
                c.name().to_string(),
                format!("{:?}", c.physical_type()),
                format!("{:?}", c.logical_type_ref()),
            )
        })
        .collect()
}

fn generated(days: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    generate(
        dir.path(),
        &[
            "--aws",
            "--days",
            days,
            "--nodes",
            "6",
            "--namespaces-per-node",
            "2",
            "--pods-per-namespace",
            "4",
        ],
    );
    dir
}

fn cur_dir(gen: &Path) -> PathBuf {
    gen.join("aws/20260301-20260401")
}

#[test]
fn generated_cur_ingests_into_masu_partitions_and_schema() {
    let gen = generated("2");
    let out = TempDir::new().unwrap();
    check(
        ingest_aws(&cur_dir(gen.path()), out.path(), &[]),
        "ingest --provider aws",
    );
    let stem = "manifestid-1_basefile-ocp-summary-cur-00001_batch-0";
    assert_eq!(
        names(&out.path().join(HOURLY)),
        [
            format!("2026-03-01_{stem}_0.parquet"),
            format!("2026-03-02_{stem}_0.parquet")
        ]
    );
    assert_eq!(
        names(&out.path().join(DAILY)),
        [
            format!("2026-03-01_{stem}_daily_0.parquet"),
            format!("2026-03-02_{stem}_daily_0.parquet")
        ]
    );
    // nothing else, and no staging folder left
    assert_eq!(files_under(out.path()).len(), 4);
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1);

    let ts = "Some(Timestamp(TimestampType { is_adjusted_to_u_t_c: true, unit: MILLIS }))";
    let s = "Some(String)";
    let hourly = schema(
        &out.path()
            .join(HOURLY)
            .join(format!("2026-03-01_{stem}_0.parquet")),
    );
    let text = |cols: &[(String, String, String)]| {
        cols.iter()
            .map(|(n, p, l)| format!("{n} {p} {l}"))
            .collect::<Vec<_>>()
    };
    let mut want: Vec<String> = Vec::new();
    for (n, kind) in [
        ("identity_timeinterval", "s"),
        ("bill_invoiceid", "s"),
        ("bill_billingentity", "s"),
        ("bill_billtype", "s"),
        ("bill_payeraccountid", "s"),
        ("bill_billingperiodstartdate", "t"),
        ("bill_billingperiodenddate", "t"),
        ("lineitem_usageaccountid", "s"),
        ("lineitem_lineitemtype", "s"),
        ("lineitem_usagestartdate", "t"),
        ("lineitem_usageenddate", "t"),
        ("lineitem_productcode", "s"),
        ("lineitem_usagetype", "s"),
        ("lineitem_operation", "s"),
        ("lineitem_availabilityzone", "s"),
        ("lineitem_resourceid", "s"),
        ("lineitem_usageamount", "f"),
        ("lineitem_normalizationfactor", "f"),
        ("lineitem_normalizedusageamount", "f"),
        ("lineitem_currencycode", "s"),
        ("lineitem_unblendedrate", "f"),
        ("lineitem_unblendedcost", "f"),
        ("lineitem_blendedrate", "f"),
        ("lineitem_blendedcost", "f"),
        ("lineitem_lineitemdescription", "s"),
        ("lineitem_taxtype", "s"),
        ("lineitem_legalentity", "s"),
        ("product_productname", "s"),
        ("product_instancetype", "s"),
        ("product_memory", "s"),
        ("product_operatingsystem", "s"),
        ("product_productfamily", "s"),
        ("product_region", "s"),
        ("product_servicecode", "s"),
        ("product_sku", "s"),
        ("product_vcpu", "s"),
        ("pricing_publicondemandcost", "f"),
        ("pricing_publicondemandrate", "f"),
        ("pricing_term", "s"),
        ("pricing_unit", "s"),
        ("reservation_amortizedupfrontcostforusage", "s"),
        ("reservation_amortizedupfrontfeeforbillingperiod", "s"),
        ("reservation_endtime", "s"),
        ("reservation_numberofreservations", "s"),
        ("reservation_recurringfeeforusage", "s"),
        ("reservation_starttime", "s"),
        ("reservation_unitsperreservation", "s"),
        ("reservation_unusedquantity", "s"),
        ("reservation_unusedrecurringfee", "s"),
        ("savingsplan_savingsplaneffectivecost", "f"),
        ("resourcetags", "s"),
        ("costcategory", "s"),
        // TRINO_REQUIRED_COLUMNS the CUR lacks, with their default
        ("product_physicalcores", "s"),
    ] {
        want.push(match kind {
            "s" => format!("{n} BYTE_ARRAY {s}"),
            "t" => format!("{n} INT64 {ts}"),
            _ => format!("{n} DOUBLE None"),
        });
    }
    assert_eq!(text(&hourly), want);

    let daily = schema(
        &out.path()
            .join(DAILY)
            .join(format!("2026-03-01_{stem}_daily_0.parquet")),
    );
    let daily_names: Vec<&str> = daily.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        daily_names,
        [
            "lineitem_resourceid",
            "lineitem_usagestartdate",
            "bill_payeraccountid",
            "lineitem_usageaccountid",
            "lineitem_legalentity",
            "lineitem_lineitemdescription",
            "bill_billingentity",
            "lineitem_productcode",
            "lineitem_availabilityzone",
            "lineitem_lineitemtype",
            "lineitem_usagetype",
            "lineitem_operation",
            "product_productfamily",
            "product_operatingsystem",
            "product_instancetype",
            "product_region",
            "pricing_unit",
            "resourcetags",
            "costcategory",
            "lineitem_usageamount",
            "lineitem_normalizationfactor",
            "lineitem_normalizedusageamount",
            "lineitem_currencycode",
            "lineitem_unblendedrate",
            "lineitem_unblendedcost",
            "lineitem_blendedrate",
            "lineitem_blendedcost",
            "pricing_publicondemandcost",
            "pricing_publicondemandrate",
            "savingsplan_savingsplaneffectivecost",
            "bill_invoiceid",
            "product_productname",
            "product_vcpu",
            "product_memory",
            "row_uuid",
        ]
    );
    assert_eq!(daily[1].1, "INT64");
    assert_eq!(daily[1].2, ts);
    assert_eq!(daily[24].1, "DOUBLE");

    // Matched to the generated cluster: every node's resource id ends an EC2 instance line of
    // each day, every PV (name or CSI handle) ends an EBS line's resource id.
    let ocp = gen.path().display().to_string();
    let aws = out.path().display().to_string();
    let lines = format!("read_parquet('{aws}/{HOURLY}/*.parquet', hive_partitioning=false)");
    let missing_nodes = duck(
        gen.path(),
        &format!(
            "with n as (select distinct resource_id, node from read_parquet('{ocp}/data/parquet/{ORG}/OCP/pod_usage/*/*/*/*.parquet') where resource_id <> '' and node <> ''), \
             e as (select distinct lineitem_resourceid r, resourcetags t from {lines} where lineitem_usagetype like '%BoxUsage%') \
             select count(*) from n where not exists (select 1 from e where ends_with(e.r, n.resource_id) \
             and json_extract_string(e.t, '$.openshift_node') = n.node and json_extract_string(e.t, '$.openshift_cluster') = 'ocp-cluster-1')"
        ),
    );
    assert_eq!(missing_nodes.trim(), "0");
    let missing_pvs = duck(
        gen.path(),
        &format!(
            "with pv as (select distinct persistentvolume, csi_volume_handle, namespace from read_parquet('{ocp}/data/parquet/{ORG}/OCP/storage_usage/*/*/*/*.parquet') where persistentvolume <> ''), \
             e as (select distinct lineitem_resourceid r, resourcetags t from {lines} where lineitem_usagetype like '%EBS:VolumeUsage%') \
             select count(*) from pv where not exists (select 1 from e where (ends_with(e.r, pv.persistentvolume) or (pv.csi_volume_handle <> '' and ends_with(e.r, pv.csi_volume_handle))) \
             and (pv.namespace = '' or json_extract_string(e.t, '$.openshift_project') is not null))"
        ),
    );
    assert_eq!(missing_pvs.trim(), "0");
    let kinds = duck(
        gen.path(),
        &format!(
            "select lineitem_lineitemtype, product_productfamily, count(*) > 0, \
             bool_or(resourcetags = '{{}}'), bool_or(resourcetags like '%\"app\": \"billing\"%'), \
             bool_or(savingsplan_savingsplaneffectivecost > 0), bool_or(lineitem_unblendedcost < 0) \
             from {lines} group by all order by all"
        ),
    );
    for want in [
        "'DiscountedUsage'|'Compute Instance'|True|False|False|False|False",
        "'RIFee'|'Compute Instance'|True|True|False|False|False",
        "'SavingsPlanCoveredUsage'|'Compute Instance'|True|False|False|True|False",
        "'SavingsPlanNegation'|''|True|False|False|False|True",
        "'Usage'|'Data Transfer'|True|False|False|False|False",
        "'Usage'|'Database Instance'|True|False|True|False|False",
        "'Usage'|'Storage'|True|True|False|False|False",
    ] {
        assert!(kinds.contains(want), "no {want} in\n{kinds}");
    }
}

#[test]
fn generated_cur_matches_the_python_port_of_masu() {
    let gen = generated("3");
    for chunk in ["200000", "997"] {
        let out = TempDir::new().unwrap();
        check(
            ingest_aws(
                &cur_dir(gen.path()),
                out.path(),
                &["--chunk-rows", chunk, "--manifest-id", "7"],
            ),
            "ingest --provider aws",
        );
        let res = std::process::Command::new(python())
            .arg(repo().join("tests/oracle/aws_ingest.py"))
            .arg("--input")
            .arg(cur_dir(gen.path()))
            .arg("--root")
            .arg(out.path())
            .args([
                "--org",
                ORG,
                "--source",
                SOURCE,
                "--manifest-id",
                "7",
                "--chunk-rows",
                chunk,
            ])
            .output()
            .unwrap();
        let text = String::from_utf8(check(res, "aws_ingest.py").stdout).unwrap();
        assert!(text.contains("rows match"), "{text}");
        if chunk == "997" {
            assert!(names(&out.path().join(HOURLY))
                .iter()
                .any(|n| n.contains("_batch-3_")));
        }
    }
}

const MANIFEST: &str = r#"{"assemblyId": "3c9ac6a1-0e3c-4d8f-9a55-1d7f3b3e2b10",
 "billingPeriod": {"start": "20260301T000000.000Z", "end": "20260401T000000.000Z"},
 "reportKeys": ["cur/hand/20260301-20260401/3c9ac6a1-0e3c-4d8f-9a55-1d7f3b3e2b10/hand-00001.csv"]}"#;

const HAND_HEADER: &str = "identity/LineItemId,identity/TimeInterval,bill/InvoiceId,bill/PayerAccountId,\
lineItem/UsageStartDate,lineItem/UsageType,lineItem/Operation,lineItem/ResourceId,lineItem/UnblendedCost,\
resourceTags/user:openshift_project,resourceTags/aws:createdBy,resourceTags/user:Environment,\
resourceTags/user:app,resourceTags/user:unused,costCategory/team,costCategory/env";

/// Writes a hand-made CUR (the manifest names the file by its S3 key; the local copy carries
/// masu's `{assemblyId}-` prefix).
fn hand_cur(dir: &Path, rows: &[&str]) {
    std::fs::write(dir.join("hand-Manifest.json"), MANIFEST).unwrap();
    let mut text = String::from(HAND_HEADER);
    for r in rows {
        text.push('\n');
        text.push_str(r);
    }
    text.push('\n');
    std::fs::write(
        dir.join("3c9ac6a1-0e3c-4d8f-9a55-1d7f3b3e2b10-hand-00001.csv"),
        text,
    )
    .unwrap();
}

const IV: &str = "2026-03-05T10:00:00Z/2026-03-05T11:00:00Z";

#[test]
fn resourcetags_text_is_what_masu_gives() {
    let input = TempDir::new().unwrap();
    hand_cur(
        input.path(),
        &[
            &format!("1,{IV},INV,111,2026-03-05T10:00:00Z,BoxUsage,RunInstances,i-1,1.5,payments,AssumedRole:x,Prod,web,,blue,"),
            &format!("2,{IV},INV,111,2026-03-05T10:00:00Z,BoxUsage,RunInstances,i-2,2,,,,,,,"),
            &format!("3,{IV},INV,111,2026-03-05T10:00:00Z,BoxUsage,RunInstances,i-3,,équipe \"a\",,,x\\y,,,dev"),
        ],
    );
    let out = TempDir::new().unwrap();
    let res = check(
        ingest_aws(input.path(), out.path(), &[]),
        "ingest --provider aws",
    );
    let stderr = String::from_utf8_lossy(&res.stderr);
    // aws_post_processor.py `handle_user_defined_json_columns` (lines 25-42 @ b484555): the
    // `resourceTags/user:` columns in sorted column order ("E" < "a" < "o" < "u"), the prefix
    // removed, empty cells left out (`if value`), `json.dumps` defaults (", " / ": ", \uXXXX,
    // escaped quote and backslash), `{}` for none. `resourceTags/user:unused` is empty in every
    // row: `fetch_optional_columns` drops it (no key recorded). aws: tags are not user tags.
    assert!(
        stderr.contains("tag keys: 3 (Environment, app, openshift_project)"),
        "{stderr}"
    );
    let got = duck(
        out.path(),
        "select lineitem_resourceid, resourcetags, costcategory, lineitem_unblendedcost \
         from read_parquet('data/parquet/*/AWS/*/*/*/*.parquet', hive_partitioning=false) order by 1",
    );
    let want = [
        r#"'i-1'|'{"Environment": "Prod", "app": "web", "openshift_project": "payments"}'|'{"team": "blue"}'|1.5"#,
        r#"'i-2'|'{}'|'{}'|2.0"#,
        r#"'i-3'|'{"app": "x\\\\y", "openshift_project": "\\u00e9quipe \\"a\\""}'|'{"env": "dev"}'|0.0"#,
    ];
    assert_eq!(got.lines().collect::<Vec<_>>(), want, "{got}");
    let daily = duck(
        out.path(),
        "select count(*), sum(lineitem_unblendedcost), min(lineitem_usagestartdate)::varchar \
         from read_parquet('data/parquet/daily/*/AWS/raw/*/*/*/*.parquet', hive_partitioning=false)",
    );
    assert!(daily.starts_with("3|3.5|'2026-03-05 "), "{daily}");
}

fn assert_fails_writing_nothing(rows: &[&str], header: Option<&str>, needles: &[&str]) {
    let input = TempDir::new().unwrap();
    hand_cur(input.path(), rows);
    if let Some(h) = header {
        let p = input
            .path()
            .join("3c9ac6a1-0e3c-4d8f-9a55-1d7f3b3e2b10-hand-00001.csv");
        let text = std::fs::read_to_string(&p).unwrap();
        let body = text.split_once('\n').unwrap().1;
        std::fs::write(&p, format!("{h}\n{body}")).unwrap();
    }
    let out = TempDir::new().unwrap();
    let res = ingest_aws(input.path(), out.path(), &[]);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "no {n:?} in {stderr}");
    }
    assert_eq!(files_under(out.path()), Vec::<PathBuf>::new(), "{stderr}");
}

#[test]
fn broken_curs_fail_clearly_and_write_nothing() {
    let good = format!("1,{IV},INV,111,2026-03-05T10:00:00Z,BoxUsage,RunInstances,i-1,1.5,,,,,,,");
    // a bad number on line 3 (the good line 2 must not be written either)
    assert_fails_writing_nothing(
        &[
            &good,
            &format!("2,{IV},INV,111,2026-03-05T10:00:00Z,BoxUsage,RunInstances,i-2,1.2.3,,,,,,,"),
        ],
        None,
        &[
            "hand-00001.csv",
            "line 3",
            "lineItem/UnblendedCost",
            "\"1.2.3\" is not a number",
        ],
    );
    // a bad date
    assert_fails_writing_nothing(
        &[&format!(
            "1,{IV},INV,111,yesterday,BoxUsage,RunInstances,i-1,1,,,,,,,"
        )],
        None,
        &["line 2", "lineItem/UsageStartDate", "not a timestamp"],
    );
    // a missing required column (lineItem/Operation renamed away)
    assert_fails_writing_nothing(
        &[&good],
        Some(&HAND_HEADER.replace("lineItem/Operation", "lineItem/Op")),
        &["hand-00001.csv", "required column(s) lineItem/Operation"],
    );
    // the manifest names a file the folder does not hold
    let input = TempDir::new().unwrap();
    std::fs::write(input.path().join("hand-Manifest.json"), MANIFEST).unwrap();
    let out = TempDir::new().unwrap();
    let res = ingest_aws(input.path(), out.path(), &[]);
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("hand-00001.csv"));
    assert_eq!(files_under(out.path()), Vec::<PathBuf>::new());
}

#[test]
fn openshift_ingest_stays_the_default() {
    // Without --provider, a CUR folder is read as an operator payload: no manifest.json.
    let input = TempDir::new().unwrap();
    hand_cur(input.path(), &[]);
    let out = TempDir::new().unwrap();
    let res = bin()
        .args(["ingest", "--input"])
        .arg(input.path())
        .arg("--output")
        .arg(out.path())
        .args(["--org", ORG, "--source", SOURCE])
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("no manifest.json"));
}

#[test]
fn generated_cur_is_deterministic_with_the_seed() {
    let read = |seed: &str| {
        let dir = TempDir::new().unwrap();
        generate(
            dir.path(),
            &["--aws", "--days", "1", "--nodes", "4", "--seed", seed],
        );
        let d = cur_dir(dir.path());
        (
            std::fs::read(d.join("ocp-summary-cur-00001.csv.gz")).unwrap(),
            std::fs::read(d.join("ocp-summary-cur-Manifest.json")).unwrap(),
        )
    };
    assert_eq!(read("5"), read("5"));
    assert_ne!(read("5").0, read("6").0);
}
